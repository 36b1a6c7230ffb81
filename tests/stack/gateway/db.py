"""Connections to Postgres, and the one rule every data request follows.

Like the real services, each part of the gateway logs in as its own role:

- REST (PostgREST) as ``authenticator``;
- Storage as ``supabase_storage_admin`` (owner of ``storage.*``; switches to the caller's role
  for everything that touches ``storage.objects``);
- Auth (GoTrue) as ``supabase_auth_admin`` (owner of ``auth.*``).

:meth:`Database.as_caller` opens ONE transaction, ``SET LOCAL ROLE`` to the caller's role
(``anon``/``authenticated``/``service_role`` only) and sets ``request.jwt.claims`` (plus the
per-claim settings older policies read), ``request.method`` and ``request.path``; the statement
then runs inside it, so Postgres RLS decides what the caller may read and write.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import AsyncConnection, sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import AsyncConnectionPool

from .catalog import Catalog, Function, Relation
from .errors import PgrstError

#: The only roles a request may switch to (what a Supabase JWT's ``role`` claim may say).
API_ROLES = frozenset({"anon", "authenticated", "service_role"})


@dataclass(frozen=True)
class Caller:
    """Who is asking: the Postgres role and the verified JWT claims."""

    role: str
    claims: dict[str, Any]

    @property
    def user_id(self) -> str | None:
        sub = self.claims.get("sub")
        return str(sub) if sub else None


def dsn_for(dsn: str, user: str) -> str:
    """The same server and database as ``dsn``, logging in as ``user``."""
    params = conninfo_to_dict(dsn)
    params["user"] = user
    params.pop("password", None)
    return make_conninfo(**{k: v for k, v in params.items() if v is not None})


class Database:
    def __init__(self, dsn: str, *, schema: str = "public", max_connections: int = 8) -> None:
        self.dsn = dsn
        self.schema = schema
        self.catalog = Catalog(schema)
        kwargs = {"autocommit": True}
        self.rest_pool = AsyncConnectionPool(
            dsn_for(dsn, "authenticator"),
            min_size=1,
            max_size=max_connections,
            kwargs=kwargs,
            open=False,
            name="gateway-rest",
        )
        self.storage_pool = AsyncConnectionPool(
            dsn_for(dsn, "supabase_storage_admin"),
            min_size=1,
            max_size=max_connections,
            kwargs=kwargs,
            open=False,
            name="gateway-storage",
        )
        self.auth_pool = AsyncConnectionPool(
            dsn_for(dsn, "supabase_auth_admin"),
            min_size=1,
            max_size=max_connections,
            kwargs=kwargs,
            open=False,
            name="gateway-auth",
        )

    async def open(self) -> None:
        for pool in (self.rest_pool, self.storage_pool, self.auth_pool):
            await pool.open(wait=True, timeout=15)
        await self.reload_catalog()

    async def close(self) -> None:
        for pool in (self.rest_pool, self.storage_pool, self.auth_pool):
            await pool.close()

    async def reload_catalog(self) -> None:
        async with self.rest_pool.connection() as conn:
            await self.catalog.load(conn)

    async def relation(self, name: str) -> Relation:
        """The table/view ``name`` of the exposed schema; PGRST205 (404) if there is none."""
        rel = self.catalog.relations.get(name)
        if rel is None:
            await self.reload_catalog()
            rel = self.catalog.relations.get(name)
        if rel is None:
            suggestion = self.catalog.suggest_relation(name)
            raise PgrstError(
                404,
                "PGRST205",
                f"Could not find the table '{self.schema}.{name}' in the schema cache",
                hint=f"Perhaps you meant the table '{self.schema}.{suggestion}'"
                if suggestion
                else None,
            )
        return rel

    async def function(self, name: str, arg_names: set[str]) -> Function:
        """The overload of ``name`` that takes exactly these named arguments (PGRST202/203)."""
        candidates = self.catalog.functions.get(name)
        if not candidates or not any(fn.accepts(arg_names) for fn in candidates):
            await self.reload_catalog()
            candidates = self.catalog.functions.get(name, [])
        matching = [fn for fn in candidates if fn.accepts(arg_names)]
        args_text = ", ".join(sorted(arg_names))
        if not matching:
            hint = None
            if candidates:
                shown = ", ".join(a.name for a in candidates[0].args)
                hint = f"Perhaps you meant to call the function {self.schema}.{name}({shown})"
            raise PgrstError(
                404,
                "PGRST202",
                f"Could not find the function {self.schema}.{name}({args_text})"
                " in the schema cache",
                details="Searched for the function "
                f"{self.schema}.{name} with parameters {args_text or '(none)'}",
                hint=hint,
            )
        if len(matching) > 1:
            raise PgrstError(
                300,
                "PGRST203",
                "Could not choose the best candidate function between: "
                + ", ".join(
                    f"{self.schema}.{fn.name}({', '.join(a.name for a in fn.args)})"
                    for fn in matching
                ),
            )
        return matching[0]

    @asynccontextmanager
    async def as_caller(
        self,
        pool: AsyncConnectionPool,
        caller: Caller,
        *,
        method: str,
        path: str,
        read_only: bool = False,
    ) -> AsyncIterator[AsyncConnection[Any]]:
        """One transaction as the caller (see the module docstring); commits on success."""
        if caller.role not in API_ROLES:
            raise PgrstError(403, "42501", f'permission denied to set role "{caller.role}"')
        async with pool.connection() as conn, conn.transaction():
            if read_only:
                await conn.execute("SET TRANSACTION READ ONLY")
            await conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(caller.role)))
            await conn.execute(
                "SELECT set_config('request.jwt.claims', %s, true),"
                " set_config('request.jwt.claim.sub', %s, true),"
                " set_config('request.jwt.claim.role', %s, true),"
                " set_config('request.jwt.claim.email', %s, true),"
                " set_config('request.method', %s, true),"
                " set_config('request.path', %s, true)",
                (
                    json.dumps(caller.claims),
                    str(caller.claims.get("sub") or ""),
                    caller.role,
                    str(caller.claims.get("email") or ""),
                    method,
                    path,
                ),
            )
            yield conn


def pg_error_fields(exc: psycopg.Error) -> tuple[str, str, str | None, str | None]:
    """(sqlstate, message, details, hint) of a Postgres error."""
    diag = exc.diag
    return (
        exc.sqlstate or "XX000",
        diag.message_primary or str(exc),
        diag.message_detail,
        diag.message_hint,
    )
