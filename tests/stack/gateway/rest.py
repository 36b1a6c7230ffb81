"""``/rest/v1``: the PostgREST subset supabase-py speaks, answered from Postgres under RLS."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
from aiohttp import web
from psycopg import sql
from psycopg_pool import PoolTimeout

from . import keys, sqlgen
from .catalog import Function, Relation
from .common import bearer_token, caller_from_token, check_api_key, json_response, read_body
from .db import Caller, pg_error_fields
from .errors import GatewayError, PgrstError, bearer_challenge, pg_status
from .keys import JwtError
from .query import ParsedQuery, QueryError, SelectItem, parse_query

#: Seconds of clock skew PostgREST allows on a token's ``exp``/``nbf``/``iat``.
JWT_SKEW = 30

if TYPE_CHECKING:
    from .server import Gateway

OBJECT_MEDIA = "application/vnd.pgrst.object+json"
ARRAY_MEDIA = "application/vnd.pgrst.array+json"
_JSON_MEDIA = ("application/json", ARRAY_MEDIA, "*/*", "application/*")


@dataclass(frozen=True)
class Prefer:
    returning: str = "minimal"  # PostgREST's default for writes
    count: str | None = None
    resolution: str | None = None  # "merge" | "ignore"
    missing_default: bool = False
    strict: bool = False
    max_affected: int | None = None
    explicit_return: bool = False


def parse_prefer(values: list[str]) -> Prefer:
    returning = "minimal"
    explicit = False
    count = resolution = None
    missing_default = strict = False
    max_affected: int | None = None
    for value in values:
        for raw in value.split(","):
            item = raw.strip()
            key, _, val = item.partition("=")
            if key == "return" and val in ("representation", "minimal", "headers-only"):
                returning, explicit = val, True
            elif key == "count" and val in ("exact", "planned", "estimated"):
                count = val
            elif key == "resolution" and val in ("merge-duplicates", "ignore-duplicates"):
                resolution = val.split("-")[0]
            elif key == "missing":
                missing_default = val == "default"
            elif key == "handling":
                strict = val == "strict"
            elif key == "max-affected" and val.isdigit():
                max_affected = int(val)
    return Prefer(returning, count, resolution, missing_default, strict, max_affected, explicit)


def _wants_object(request: web.Request) -> tuple[bool, bool]:
    """(single object?, strip nulls?) from ``Accept``; 406 PGRST107 for media we cannot give."""
    accept = request.headers.get("Accept", "application/json").strip() or "application/json"
    for raw in accept.split(","):
        media, *params = [p.strip() for p in raw.split(";")]
        strip = "nulls=stripped" in params
        if media == OBJECT_MEDIA:
            return True, strip
        if media in _JSON_MEDIA:
            return False, strip
    raise PgrstError(406, "PGRST107", f"None of these media types are available: {accept}")


def _parse_range(request: web.Request) -> tuple[int, int | None] | None:
    header = request.headers.get("Range")
    if not header:
        return None
    unit = request.headers.get("Range-Unit", "items")
    match = re.fullmatch(r"\s*(?:items=)?(\d+)-(\d*)\s*", header)
    if unit != "items" or not match:
        raise PgrstError(
            416,
            "PGRST103",
            "Requested range not satisfiable",
            details=f"Range header {header!r} is not 'items' 'first-last'",
        )
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) else None
    if last is not None and last < first:
        raise PgrstError(416, "PGRST103", "Requested range not satisfiable")
    return first, last


def _page(
    parsed: ParsedQuery, header_range: tuple[int, int | None] | None
) -> tuple[int | None, int]:
    """(limit, offset): the intersection of ``limit``/``offset`` and the ``Range`` header."""
    offset = parsed.offset or 0
    limit = parsed.limit
    if header_range is None:
        return limit, offset
    first, last = header_range
    lo = max(first, offset)
    ends = [e for e in (last, (offset + limit - 1) if limit is not None else None) if e is not None]
    hi = min(ends) if ends else None
    if hi is None:
        return None, lo
    return max(0, hi - lo + 1), lo


def _content_range(offset: int, returned: int, total: int | None) -> str:
    total_text = "*" if total is None else str(total)
    if returned == 0:
        return f"*/{total_text}"
    return f"{offset}-{offset + returned - 1}/{total_text}"


def _strip_nulls(value: Any) -> Any:
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if v is not None}
    return value


@dataclass(frozen=True)
class _Call:
    """One parsed table request."""

    request: web.Request
    caller: Caller
    rel: Relation
    parsed: ParsedQuery
    prefer: Prefer
    single: bool
    strip: bool


class RestService:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def routes(self) -> list[web.RouteDef]:
        return [
            web.route("*", "/rest/v1/rpc/{fn}", self.rpc),
            web.route("*", "/rest/v1/{table}", self.table),
            web.route("*", "/rest/v1/{tail:.*}", self.unknown_path),
        ]

    # ------------------------------------------------------------ authentication

    def _caller(self, request: web.Request) -> Caller:
        """Who asks, checked as PostgREST checks the bearer token (``PGRST301`` for a token it
        cannot decode or verify, ``PGRST303`` for its claims, each a 401 with a
        ``WWW-Authenticate`` challenge)."""
        secret = self.gateway.config.jwt_secret
        check_api_key(request, secret)
        token = bearer_token(request)
        if token is None:
            token = request.headers.get("apikey") or request.query.get("apikey") or ""
        if token == "":
            empty = "Empty JWT is sent in Authorization header"
            raise PgrstError(401, "PGRST301", empty, headers=bearer_challenge(empty))

        def problem(exc: JwtError) -> GatewayError:
            code = "PGRST303" if exc.kind in ("expired", "claims") else "PGRST301"
            return PgrstError(401, code, exc.message, headers=bearer_challenge(exc.message))

        # PostgREST allows 30 s of clock skew on exp, nbf and iat (Auth/Jwt.hs)
        caller = caller_from_token(token, secret, problem, leeway=JWT_SKEW)
        iat = caller.claims.get("iat")
        if isinstance(iat, int | float) and iat > keys.clock() + JWT_SKEW:
            future = "JWT issued at future"
            raise PgrstError(401, "PGRST303", future, headers=bearer_challenge(future))
        return caller

    def _check_profile(self, request: web.Request) -> None:
        for header in ("Accept-Profile", "Content-Profile"):
            profile = request.headers.get(header)
            if profile is not None and profile != self.gateway.db.schema:
                raise PgrstError(
                    406,
                    "PGRST106",
                    f"The schema must be one of the following: {self.gateway.db.schema}",
                )

    async def _json_body(self, request: web.Request) -> Any:
        content_type = request.headers.get("Content-Type", "application/json")
        media = content_type.split(";")[0].strip().lower()
        if media not in ("application/json", ""):
            raise PgrstError(415, "PGRST107", f"Content-Type not acceptable: {content_type}")
        limit = self.gateway.limits.max_rest_body_bytes

        def too_large(size: int) -> GatewayError:
            return PgrstError(
                413,
                "413",
                "Payload Too Large",
                details=f"The request body has {size} bytes; this gateway accepts at most {limit}",
            )

        raw = await read_body(request, limit, too_large)
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PgrstError(400, "PGRST102", "Empty or invalid json", details=f"{exc}") from exc

    # ------------------------------------------------------------ running SQL

    async def _run(
        self,
        request: web.Request,
        caller: Caller,
        statements: list[tuple[sql.Composable, list[Any]]],
        *,
        read_only: bool = False,
        check: Any = None,
    ) -> list[tuple[Any, ...] | None]:
        """Run the statements in ONE transaction as the caller; PG errors -> PostgREST errors."""
        db = self.gateway.db
        results: list[tuple[Any, ...] | None] = []
        try:
            async with db.as_caller(
                db.rest_pool, caller, method=request.method, path=request.path, read_only=read_only
            ) as conn:
                for statement, params in statements:
                    cur = await conn.execute(statement, params)
                    results.append(await cur.fetchone() if cur.description else None)
                if check is not None:
                    check(results)
        except psycopg.Error as exc:
            if exc.sqlstate is None and not isinstance(exc, psycopg.OperationalError):
                raise  # psycopg refused our own SQL: a gateway bug, not the caller's error
            sqlstate, message, details, hint = pg_error_fields(exc)
            if isinstance(exc, psycopg.OperationalError) and not exc.sqlstate:
                raise PgrstError(
                    503, "PGRST000", "Database connection error", details=str(exc)
                ) from exc
            raise PgrstError(
                pg_status(sqlstate, caller.role), sqlstate, message, details=details, hint=hint
            ) from exc
        except PoolTimeout as exc:
            raise PgrstError(
                504, "PGRST003", "Timed out acquiring connection from connection pool."
            ) from exc
        return results

    # ------------------------------------------------------------ /rest/v1/<table>

    async def unknown_path(self, request: web.Request) -> web.Response:
        raise PgrstError(404, "PGRST125", f"Invalid path specified in request URL: {request.path}")

    async def table(self, request: web.Request) -> web.StreamResponse:
        caller = self._caller(request)
        self._check_profile(request)
        rel = await self.gateway.db.relation(request.match_info["table"])
        try:
            parsed = parse_query(request.query.items())
        except QueryError as exc:
            raise PgrstError(400, exc.code, exc.message, details=exc.details) from exc
        prefer = parse_prefer(request.headers.getall("Prefer", []))
        single, strip = _wants_object(request)
        method = request.method
        call = _Call(request, caller, rel, parsed, prefer, single, strip)
        if method in ("GET", "HEAD"):
            return await self._read(call)
        if method == "POST":
            return await self._insert(call)
        if method == "PATCH":
            return await self._update(call)
        if method == "DELETE":
            return await self._delete(call)
        if method == "OPTIONS":
            return web.Response(status=200, headers={"Allow": "OPTIONS,GET,HEAD,POST,PATCH,DELETE"})
        raise PgrstError(405, "PGRST117", f"Unsupported HTTP method: {method}")

    def _answer(
        self,
        request: web.Request,
        rows_json: str,
        n_rows: int,
        *,
        status: int,
        single: bool,
        strip: bool,
        content_range: str,
        body_wanted: bool = True,
    ) -> web.Response:
        headers = {"Content-Range": content_range}
        if single and body_wanted and n_rows != 1:
            raise PgrstError(
                406,
                "PGRST116",
                "JSON object requested, multiple (or no) rows returned",
                details=f"The result contains {n_rows} rows",
            )
        if not body_wanted:
            return web.Response(status=status if status != 200 else 204, headers=headers)
        if single or strip:
            value = json.loads(rows_json)
            if single:
                value = value[0]
            if strip:
                value = _strip_nulls(value)
            rows_json = json.dumps(value, separators=(",", ":"))
        if request.method == "HEAD":
            return web.Response(status=status, headers=headers, content_type="application/json")
        return json_response(None, status, headers, raw=rows_json)

    async def _read(self, call: _Call) -> web.Response:
        request, caller, rel, parsed = call.request, call.caller, call.rel, call.parsed
        prefer, single, strip = call.prefer, call.single, call.strip
        limit, offset = _page(parsed, _parse_range(request))
        statements = [
            sqlgen.select_statement(
                rel, parsed.select, parsed.where, parsed.order, limit=limit, offset=offset
            )
        ]
        if prefer.count:
            statements.append(sqlgen.count_statement(rel, parsed.where))
        results = await self._run(request, caller, statements, read_only=True)
        rows_json, n_rows = results[0] or ("[]", 0)
        total = int(results[1][0]) if prefer.count and results[1] else None
        status = 200
        if total is not None and (limit is not None or offset):
            if offset > total or (offset == total and total > 0 and limit != 0):
                raise PgrstError(
                    416,
                    "PGRST103",
                    "Requested range not satisfiable",
                    details=f"An offset of {offset} was requested,"
                    f" but there are only {total} rows.",
                    headers={"Content-Range": f"*/{total}"},
                )
            if n_rows < total:
                status = 206
        return self._answer(
            request,
            rows_json,
            int(n_rows),
            status=status,
            single=single,
            strip=strip,
            content_range=_content_range(offset, int(n_rows), total),
        )

    def _check_max_affected(self, prefer: Prefer) -> Any:
        if not (prefer.strict and prefer.max_affected is not None):
            return None
        maximum = prefer.max_affected

        def check(results: list[tuple[Any, ...] | None]) -> None:
            affected = int(results[0][1]) if results and results[0] else 0
            if affected > maximum:
                raise PgrstError(
                    400,
                    "PGRST124",
                    "Query result exceeds max-affected preference constraint",
                    details=f"The query affects {affected} rows",
                )

        return check

    async def _insert(self, call: _Call) -> web.Response:
        request, caller, rel, parsed = call.request, call.caller, call.rel, call.parsed
        prefer, single, strip = call.prefer, call.single, call.strip
        body = await self._json_body(request)
        if isinstance(body, dict):
            rows = [body]
        elif isinstance(body, list) and all(isinstance(r, dict) for r in body):
            rows = body
        else:
            raise PgrstError(
                400,
                "PGRST102",
                "Empty or invalid json",
                details="Expected a JSON object or an array of objects",
            )
        if parsed.columns is not None:
            columns = list(parsed.columns)
        else:
            columns = list(rows[0]) if rows else []
            if any(set(r) != set(columns) for r in rows):
                raise PgrstError(400, "PGRST102", "All object keys must match")
        if not rows:
            return self._answer(
                request,
                "[]",
                0,
                status=201,
                single=False,
                strip=False,
                content_range="*/*",
                body_wanted=prefer.returning == "representation",
            )
        statement = sqlgen.insert_statement(
            rel,
            rows,
            columns,
            items=parsed.select,
            on_conflict=parsed.on_conflict or None,
            resolution=prefer.resolution,
            missing_default=prefer.missing_default,
        )
        results = await self._run(request, caller, [statement])
        rows_json, n_rows = results[0] or ("[]", 0)
        total = int(n_rows) if prefer.count else None
        return self._answer(
            request,
            rows_json,
            int(n_rows),
            status=201,
            single=single,
            strip=strip,
            content_range=f"*/{total if total is not None else '*'}",
            body_wanted=prefer.returning == "representation",
        )

    async def _update(self, call: _Call) -> web.Response:
        request, caller, rel, parsed = call.request, call.caller, call.rel, call.parsed
        prefer, single, strip = call.prefer, call.single, call.strip
        self._no_paging(parsed)
        body = await self._json_body(request)
        if not isinstance(body, dict):
            raise PgrstError(
                400, "PGRST102", "Empty or invalid json", details="PATCH expects one JSON object"
            )
        if not body:
            return self._answer(
                request,
                "[]",
                0,
                status=200,
                single=False,
                strip=False,
                content_range="*/*",
                body_wanted=prefer.returning == "representation",
            )
        statement = sqlgen.update_statement(rel, body, parsed.where, items=parsed.select)
        results = await self._run(
            request, caller, [statement], check=self._check_max_affected(prefer)
        )
        rows_json, n_rows = results[0] or ("[]", 0)
        return self._answer(
            request,
            rows_json,
            int(n_rows),
            status=200,
            single=single,
            strip=strip,
            content_range=_content_range(0, int(n_rows), int(n_rows) if prefer.count else None),
            body_wanted=prefer.returning == "representation",
        )

    async def _delete(self, call: _Call) -> web.Response:
        request, caller, rel, parsed = call.request, call.caller, call.rel, call.parsed
        prefer, single, strip = call.prefer, call.single, call.strip
        self._no_paging(parsed)
        statement = sqlgen.delete_statement(rel, parsed.where, items=parsed.select)
        results = await self._run(
            request, caller, [statement], check=self._check_max_affected(prefer)
        )
        rows_json, n_rows = results[0] or ("[]", 0)
        return self._answer(
            request,
            rows_json,
            int(n_rows),
            status=200,
            single=single,
            strip=strip,
            content_range=_content_range(0, int(n_rows), int(n_rows) if prefer.count else None),
            body_wanted=prefer.returning == "representation",
        )

    @staticmethod
    def _no_paging(parsed: ParsedQuery) -> None:
        if parsed.limit is not None or parsed.offset is not None or parsed.order:
            raise PgrstError(
                400,
                "PGRST127",
                "limit, offset and order on PATCH/DELETE are not supported by the test gateway",
            )

    # ------------------------------------------------------------ /rest/v1/rpc/<fn>

    async def rpc(self, request: web.Request) -> web.Response:
        caller = self._caller(request)
        self._check_profile(request)
        name = request.match_info["fn"]
        method = request.method
        if method not in ("GET", "HEAD", "POST"):
            raise PgrstError(405, "PGRST101", "Only GET and POST are allowed for functions")
        if method == "POST":
            body = await self._json_body(request)
            if body is None:
                body = {}
            if not isinstance(body, dict):
                raise PgrstError(
                    400,
                    "PGRST102",
                    "Empty or invalid json",
                    details="Function arguments must be a JSON object",
                )
            args: dict[str, Any] = body
            candidates = self.gateway.db.catalog.functions.get(name, [])
            skip: set[str] = set()
        else:
            if name not in self.gateway.db.catalog.functions:
                await self.gateway.db.reload_catalog()
            candidates = self.gateway.db.catalog.functions.get(name, [])
            arg_names = {a.name for fn in candidates for a in fn.args}
            args = {k: v for k, v in request.query.items() if k in arg_names}
            skip = set(args)
        fn = await self.gateway.db.function(name, set(args))
        try:
            parsed = parse_query(request.query.items(), skip=tuple(skip))
        except QueryError as exc:
            raise PgrstError(400, exc.code, exc.message, details=exc.details) from exc
        prefer = parse_prefer(request.headers.getall("Prefer", []))
        single, strip = _wants_object(request)
        statement, params, shape = self._call_statement(fn, args, parsed)
        results = await self._run(
            request,
            caller,
            [(statement, params)],
            read_only=method in ("GET", "HEAD"),
        )
        row = results[0]
        if fn.returns_void:
            return web.Response(status=204)
        assert row is not None
        if shape == "rows":
            rows_json, n_rows = row
            return self._answer(
                request,
                rows_json,
                int(n_rows),
                status=200,
                single=single,
                strip=strip,
                content_range=_content_range(
                    parsed.offset or 0, int(n_rows), int(n_rows) if prefer.count else None
                ),
            )
        if shape == "object":
            rows_json, n_rows = row
            value = json.loads(rows_json)
            return json_response(value[0] if value else None)
        return json_response(None, raw=row[0] if row[0] is not None else "null")

    def _call_statement(
        self, fn: Function, args: dict[str, Any], parsed: ParsedQuery
    ) -> tuple[sql.Composable, list[Any], str]:
        """``SELECT ... FROM json_to_record($args) AS _a(...), LATERAL fn(x := _a.x) AS _f``."""
        params = sqlgen.Params()
        used = [a for a in fn.args if a.name in args]
        call_args = sql.SQL(", ").join(
            sql.SQL("{} := {}").format(sql.Identifier(a.name), sql.Identifier("_a", a.name))
            for a in used
        )
        if used:
            # Types come from pg_catalog (format_type), never from the request.
            record_def = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(a.name), sql.SQL(a.type)) for a in used
            )
            source_sql = sql.SQL("json_to_record({}::json) AS _a({}), LATERAL ").format(
                params.add(json.dumps({a.name: args[a.name] for a in used})), record_def
            )
        else:
            source_sql = sql.SQL("")
        call = sql.SQL("{}({})").format(fn.ident, call_args)
        if fn.out_columns is not None:
            col_defs = sql.SQL(", ").join(sql.Identifier(c) for c in fn.out_columns)
            from_sql = sql.SQL("{}{} AS _f({})").format(source_sql, call, col_defs)
            source = sqlgen.Source(fn.name, dict(fn.out_columns), "_f")
            select_list = sqlgen.compose_select_list(parsed.select, source)
            where_sql = sqlgen.compose_where(parsed.where, source, params)
            order_sql = sqlgen.compose_order(parsed.order, source)
            page_sql = sqlgen.compose_page(parsed.limit, parsed.offset, params)
            inner = sql.SQL("SELECT {} FROM {}{}{}{}").format(
                select_list, from_sql, where_sql, order_sql, page_sql
            )
            return sqlgen.json_rows(inner), params.values, "rows" if fn.returns_set else "object"
        if parsed.where.children or parsed.order or parsed.select != (SelectItem("*"),):
            raise PgrstError(
                400, "PGRST100", f"function {fn.name} returns a scalar; it cannot be filtered"
            )
        if fn.returns_set:
            inner = sql.SQL(
                "SELECT coalesce(json_agg(_f), '[]'::json)::text FROM {}{} AS _f"
            ).format(source_sql, call)
        else:
            inner = sql.SQL("SELECT to_json(_f)::text FROM {}{} AS _f").format(source_sql, call)
        return inner, params.values, "scalar"
