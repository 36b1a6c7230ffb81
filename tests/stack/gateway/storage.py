"""``/storage/v1``: the Storage API subset supabase-py (storage3) uses.

Object metadata lives in ``storage.objects`` and is read and written as the caller (its role and
JWT claims, one transaction per request), so the ``storage.objects`` RLS policies decide who may
upload, read, sign, list and delete. Buckets are read as the storage admin, as the Storage API
does. Bytes live in a directory of files named by bucket, a hash of the object name and the
object's version (a fresh uuid per upload), so a replaced or deleted object's bytes are removed
only after its row change committed.

Signed URLs carry an HS256 token ``{"url": "<bucket>/<name>", "scope": "download", "iat",
"exp"}``; fetching one needs no API key or session, as on Supabase.

Tokens are judged the way Storage's ``jose`` verifier judges them (:func:`.keys.jose_problem`):
a bad, expired or garbage bearer token is ``AccessDenied`` (HTTP 400, ``statusCode "403"``, error
``Unauthorized``, jose's own words such as ``"exp" claim timestamp check failed``) on upload,
sign, list and remove, while a plain download (``GET /object/<bucket>/<name>``) ignores it and
runs as anon, which answers ``NoSuchBucket`` (``statusCode "404"``) for a private bucket. A bad
signed-URL token is ``InvalidJWT`` with jose's words. The exact answers and their sources are
listed in ``tests/stack/SUPABASE_ANSWERS.md``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import psycopg
from aiohttp import BodyPartReader, web
from psycopg import AsyncConnection

from . import keys
from .common import bearer_token, caller_from_token, check_api_key, json_response, read_body
from .db import Caller, pg_error_fields
from .errors import (
    GatewayError,
    StorageError,
    storage_access_denied,
    storage_duplicate,
    storage_invalid_jwt,
    storage_no_bucket,
    storage_not_found,
    storage_rls,
)

if TYPE_CHECKING:
    from .server import Gateway

_SORT_COLUMNS = ("name", "updated_at", "created_at", "last_accessed_at")
_SIGN_ERROR = "Either the object does not exist or you do not have access to it"


def validate_key(name: str) -> str:
    """Storage's object-key rule: no empty or dot segments, no control characters."""
    parts = name.split("/")
    if (
        not name
        or any(part in ("", ".", "..") for part in parts)
        or re.search(r"[\x00-\x1f\x7f]", name)
        or len(name.encode("utf-8")) > 1024
    ):
        raise StorageError(400, "InvalidKey", f"Invalid key: {name}")
    return name


def mime_allowed(mime: str, allowed: list[str] | None) -> bool:
    if not allowed:
        return True
    base = mime.split(";", maxsplit=1)[0].strip().lower()
    for raw in allowed:
        pattern = raw.lower()
        if pattern == base or (pattern.endswith("/*") and base.startswith(pattern[:-1])):
            return True
    return False


class BlobStore:
    """Object bytes on disk, one file per (bucket, name, version)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, bucket: str, name: str, version: str) -> Path:
        digest = hashlib.sha256(f"{bucket}\0{name}".encode()).hexdigest()
        # Bucket ids come from storage.buckets (checked before), versions are uuids we made.
        return self.root / hashlib.sha256(bucket.encode()).hexdigest()[:16] / digest / version

    def write(self, bucket: str, name: str, version: str, data: bytes) -> Path:
        path = self.path(bucket, name, version)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return path

    def remove(self, bucket: str, name: str, version: str | None) -> None:
        if not version:
            return
        path = self.path(bucket, name, version)
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()


class StorageService:
    def __init__(self, gateway: Gateway, blobs: BlobStore) -> None:
        self.gateway = gateway
        self.blobs = blobs

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/storage/v1/bucket", self.list_buckets),
            web.get("/storage/v1/bucket/{bucket}", self.get_bucket),
            web.post("/storage/v1/object/list/{bucket}", self.list_objects),
            web.post("/storage/v1/object/move", self.move),
            web.post("/storage/v1/object/copy", self.copy),
            web.post("/storage/v1/object/sign/{bucket}", self.sign_many),
            web.post("/storage/v1/object/sign/{bucket}/{name:.+}", self.sign_one),
            web.get("/storage/v1/object/sign/{bucket}/{name:.+}", self.fetch_signed),
            web.get("/storage/v1/object/info/authenticated/{bucket}/{name:.+}", self.info),
            web.get("/storage/v1/object/info/{bucket}/{name:.+}", self.info),
            web.get("/storage/v1/object/authenticated/{bucket}/{name:.+}", self.download),
            web.get("/storage/v1/object/public/{bucket}/{name:.+}", self.download_public),
            web.delete("/storage/v1/object/{bucket}", self.remove_many),
            web.post("/storage/v1/object/{bucket}/{name:.+}", self.upload),
            web.put("/storage/v1/object/{bucket}/{name:.+}", self.upload),
            web.get("/storage/v1/object/{bucket}/{name:.+}", self.download),
            web.delete("/storage/v1/object/{bucket}/{name:.+}", self.remove_one),
            web.route("*", "/storage/v1/{tail:.*}", self.unknown),
        ]

    # ------------------------------------------------------------ helpers

    def _caller(self, request: web.Request) -> Caller:
        """Who asks, checked as Storage's JWT plugin does: the ``Authorization`` bearer token
        (the API key when there is none) verified by ``jose``; a token it refuses is
        ``AccessDenied`` (HTTP 400, ``statusCode "403"``, jose's words as the message)."""
        caller = self._caller_or_none(request, raise_problem=True)
        assert caller is not None
        return caller

    def _caller_or_none(
        self, request: web.Request, *, raise_problem: bool = False
    ) -> Caller | None:
        """The verified caller, or ``None`` when the token does not verify: the routes Storage
        marks ``allowInvalidJwt`` (``GET /object/<bucket>/<name>``, ``/object/info/...``) then
        go on unauthenticated, as ``anon``, which sees no private bucket at all."""
        secret = self.gateway.config.jwt_secret
        check_api_key(request, secret)
        token = bearer_token(request)
        if token is None:
            token = request.headers.get("apikey") or request.query.get("apikey") or ""
        problem = keys.jose_problem(token, secret)
        if problem is not None:
            if raise_problem:
                raise storage_access_denied(problem)
            return None
        try:
            return caller_from_token(token, secret, lambda p: storage_access_denied(p.message))
        except StorageError:
            if raise_problem:
                raise
            return None

    async def _reader(self, request: web.Request) -> tuple[Caller | None, dict[str, Any]]:
        """(caller or ``None`` for "unauthenticated, public buckets only", bucket) of a read,
        in Storage's order: token, then the bucket as superuser, then the public check."""
        lenient = "/authenticated/" not in request.path
        caller = self._caller_or_none(request, raise_problem=not lenient)
        bucket_id = request.match_info["bucket"]
        validate_key(request.match_info["name"])
        try:
            bucket = await self._bucket(bucket_id)
        except StorageError:
            raise storage_no_bucket() from None
        if caller is None and not bucket["public"]:
            raise storage_no_bucket()
        return caller, bucket

    async def _bucket(self, bucket_id: str) -> dict[str, Any]:
        async with self.gateway.db.storage_pool.connection() as conn:
            cur = await conn.execute(
                "SELECT id, name, public, file_size_limit, allowed_mime_types"
                " FROM storage.buckets WHERE id = %s",
                (bucket_id,),
            )
            row = await cur.fetchone()
        if row is None:
            raise storage_no_bucket()
        return dict(
            zip(("id", "name", "public", "file_size_limit", "allowed_mime_types"), row, strict=True)
        )

    def _as_caller(self, request: web.Request, caller: Caller) -> Any:
        db = self.gateway.db
        return db.as_caller(db.storage_pool, caller, method=request.method, path=request.path)

    @staticmethod
    def _translate(exc: psycopg.Error) -> GatewayError:
        if exc.sqlstate is None and not isinstance(exc, psycopg.OperationalError):
            raise exc  # psycopg refused our own SQL: a gateway bug, not the caller's error
        sqlstate, message, _details, _hint = pg_error_fields(exc)
        if sqlstate == "23505":
            return storage_duplicate()
        if sqlstate == "42501":
            # Storage drops Postgres's ' for table "objects"' (DBError.fromDBError)
            return storage_rls(
                "new row violates row-level security policy"
                if "row-level security" in message
                else message
            )
        if sqlstate.startswith("08") or isinstance(exc, psycopg.OperationalError):
            return StorageError(503, "DatabaseError", message)
        return StorageError(500, "DatabaseError", message)

    def _object_response(
        self, request: web.Request, bucket: str, name: str, row: dict[str, Any]
    ) -> web.StreamResponse:
        meta = row["metadata"] or {}
        path = self.blobs.path(bucket, name, str(row["version"]))
        if not path.exists():
            raise storage_not_found()
        data = path.read_bytes()
        headers = {
            "Content-Type": str(meta.get("mimetype") or "application/octet-stream"),
            "Cache-Control": str(meta.get("cacheControl") or "no-cache"),
            "ETag": str(meta.get("eTag") or ""),
            "Last-Modified": format_datetime(row["updated_at"].astimezone(UTC), usegmt=True),
        }
        download = request.query.get("download")
        if download is not None:
            filename = download or name.rsplit("/", 1)[-1]
            headers["Content-Disposition"] = f'attachment; filename="{quote(filename)}"'
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(data))
            return web.Response(status=200, headers=headers)
        return web.Response(body=data, status=200, headers=headers)

    @staticmethod
    async def _fetch_object(
        conn: AsyncConnection[Any], bucket: str, name: str
    ) -> dict[str, Any] | None:
        cur = await conn.execute(
            "SELECT id, version, metadata, created_at, updated_at, last_accessed_at, user_metadata"
            " FROM storage.objects WHERE bucket_id = %s AND name = %s",
            (bucket, name),
        )
        row = await cur.fetchone()
        if row is None:
            return None
        keys_ = (
            "id",
            "version",
            "metadata",
            "created_at",
            "updated_at",
            "last_accessed_at",
            "user_metadata",
        )
        return dict(zip(keys_, row, strict=True))

    # ------------------------------------------------------------ endpoints

    async def unknown(self, request: web.Request) -> web.Response:
        # Storage's not-found handler; behind the API gateway it sees the URL without the
        # /storage/v1 prefix (Kong strips it), query string included.
        raw_url = request.rel_url.raw_path_qs.removeprefix("/storage/v1")
        raise GatewayError(
            404,
            {
                "statusCode": "404",
                "error": "Not Found",
                "message": f"Route {request.method}:{raw_url} not found",
                "code": "InvalidRequest",
            },
        )

    async def list_buckets(self, request: web.Request) -> web.Response:
        caller = self._caller(request)
        try:
            async with self._as_caller(request, caller) as conn:
                cur = await conn.execute(
                    "SELECT coalesce(json_agg(b ORDER BY b.id), '[]'::json)::text FROM"
                    " (SELECT id, name, owner, public, file_size_limit, allowed_mime_types,"
                    " created_at, updated_at FROM storage.buckets) AS b"
                )
                row = await cur.fetchone()
        except psycopg.Error as exc:
            raise self._translate(exc) from exc
        return json_response(None, raw=row[0] if row else "[]")

    async def get_bucket(self, request: web.Request) -> web.Response:
        caller = self._caller(request)
        try:
            async with self._as_caller(request, caller) as conn:
                cur = await conn.execute(
                    "SELECT row_to_json(b)::text FROM (SELECT id, name, owner, public,"
                    " file_size_limit, allowed_mime_types, created_at, updated_at"
                    " FROM storage.buckets WHERE id = %s) AS b",
                    (request.match_info["bucket"],),
                )
                row = await cur.fetchone()
        except psycopg.Error as exc:
            raise self._translate(exc) from exc
        if row is None:
            raise storage_no_bucket()
        return json_response(None, raw=row[0])

    async def upload(self, request: web.Request) -> web.Response:
        caller = self._caller(request)
        bucket_id = request.match_info["bucket"]
        name = validate_key(request.match_info["name"])
        bucket = await self._bucket(bucket_id)
        # PUT is storage3's update(): replace, never "Duplicate". POST honours x-upsert.
        upsert = request.method == "PUT" or request.headers.get("x-upsert", "false") == "true"
        data, mime, cache_control, user_metadata = await self._read_upload(request, bucket)
        if not mime_allowed(mime, bucket["allowed_mime_types"]):
            raise StorageError(
                415, "InvalidMimeType", f"mime type {mime} is not supported", "invalid_mime_type"
            )
        version = str(uuid.uuid4())
        now = datetime.now(UTC)
        metadata = {
            "eTag": f'"{hashlib.md5(data).hexdigest()}"',
            "size": len(data),
            "mimetype": mime,
            "cacheControl": cache_control,
            "lastModified": now.isoformat().replace("+00:00", "Z"),
            "contentLength": len(data),
            "httpStatusCode": 200,
        }
        owner = caller.user_id
        try:
            uuid.UUID(owner or "")
        except ValueError:
            owner = None
        self.blobs.write(bucket_id, name, version, data)
        old_version: str | None = None
        try:
            async with self._as_caller(request, caller) as conn:
                if upsert:
                    existing = await self._fetch_object(conn, bucket_id, name)
                    old_version = str(existing["version"]) if existing else None
                    conflict = (
                        " ON CONFLICT (bucket_id, name) DO UPDATE SET metadata = EXCLUDED.metadata,"
                        " version = EXCLUDED.version, owner = EXCLUDED.owner,"
                        " owner_id = EXCLUDED.owner_id, user_metadata = EXCLUDED.user_metadata,"
                        " updated_at = now(), last_accessed_at = now()"
                    )
                else:
                    conflict = ""
                cur = await conn.execute(
                    "INSERT INTO storage.objects"
                    " (bucket_id, name, owner, owner_id, metadata, version, user_metadata)"
                    " VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s::jsonb)"
                    + conflict
                    + " RETURNING id",
                    (
                        bucket_id,
                        name,
                        owner,
                        caller.user_id,
                        json.dumps(metadata),
                        version,
                        json.dumps(user_metadata) if user_metadata is not None else None,
                    ),
                )
                row = await cur.fetchone()
        except psycopg.Error as exc:
            self.blobs.remove(bucket_id, name, version)
            raise self._translate(exc) from exc
        except BaseException:
            self.blobs.remove(bucket_id, name, version)
            raise
        if old_version and old_version != version:
            self.blobs.remove(bucket_id, name, old_version)
        assert row is not None
        return json_response({"Id": str(row[0]), "Key": f"{bucket_id}/{name}"})

    async def _read_upload(
        self, request: web.Request, bucket: dict[str, Any]
    ) -> tuple[bytes, str, str, dict[str, Any] | None]:
        """(bytes, mime type, cache control, user metadata) from a multipart or raw body."""
        limit = self.gateway.limits.max_upload_bytes
        if bucket["file_size_limit"]:
            limit = min(limit, int(bucket["file_size_limit"]))

        def too_large(size: int) -> GatewayError:
            return StorageError(
                413,
                "EntityTooLarge",
                "The object exceeded the maximum allowed size",
                "Payload too large",
            )

        content_type = request.headers.get("Content-Type", "application/octet-stream")
        cache_control = request.headers.get("Cache-Control") or request.headers.get("cache-control")
        cache_value = "3600"
        user_metadata: dict[str, Any] | None = None
        if content_type.lower().startswith("multipart/form-data"):
            fields = await _read_multipart(request, limit + 64 * 1024, too_large)
            file_part = fields.get("file") or next(
                (f for f in fields.values() if f[1] is not None), None
            )
            if file_part is None:
                raise StorageError(400, "InvalidRequest", "No content provided")
            data, mime = file_part[0], file_part[1] or "text/plain;charset=UTF-8"
            if len(data) > limit:
                raise too_large(len(data))
            if "cacheControl" in fields:
                cache_value = fields["cacheControl"][0].decode("utf-8", "replace")
            if "metadata" in fields:
                try:
                    parsed = json.loads(fields["metadata"][0])
                except ValueError as exc:
                    raise StorageError(400, "InvalidRequest", "metadata is not valid JSON") from exc
                user_metadata = parsed if isinstance(parsed, dict) else None
        else:
            data = await read_body(request, limit, too_large)
            mime = content_type
            if cache_control:
                cache_value = cache_control
        cache_value = (
            cache_value if cache_value.startswith(("max-age", "no-")) else f"max-age={cache_value}"
        )
        return data, mime, cache_value, user_metadata

    async def download(self, request: web.Request) -> web.StreamResponse:
        caller, bucket = await self._reader(request)
        bucket_id = request.match_info["bucket"]
        name = request.match_info["name"]
        row = await self._read_object(request, caller, bucket, name)
        return self._object_response(request, bucket_id, name, row)

    async def _read_object(
        self, request: web.Request, caller: Caller | None, bucket: dict[str, Any], name: str
    ) -> dict[str, Any]:
        """The object's row: as superuser in a public bucket, else as the caller (RLS)."""
        try:
            if caller is None or bucket["public"]:
                async with self.gateway.db.storage_pool.connection() as conn:
                    row = await self._fetch_object(conn, bucket["id"], name)
            else:
                async with self._as_caller(request, caller) as conn:
                    row = await self._fetch_object(conn, bucket["id"], name)
        except psycopg.Error as exc:
            raise self._translate(exc) from exc
        if row is None:
            raise storage_not_found()
        return row

    async def download_public(self, request: web.Request) -> web.StreamResponse:
        bucket_id = request.match_info["bucket"]
        name = validate_key(request.match_info["name"])
        bucket = await self._bucket(bucket_id)
        if not bucket["public"]:
            raise storage_no_bucket()
        async with self.gateway.db.storage_pool.connection() as conn:
            row = await self._fetch_object(conn, bucket_id, name)
        if row is None:
            raise storage_not_found()
        return self._object_response(request, bucket_id, name, row)

    async def info(self, request: web.Request) -> web.Response:
        caller, bucket = await self._reader(request)
        bucket_id = request.match_info["bucket"]
        name = request.match_info["name"]
        row = await self._read_object(request, caller, bucket, name)
        meta = row["metadata"] or {}
        return json_response(
            {
                "id": str(row["id"]),
                "name": name,
                "version": row["version"],
                "bucket_id": bucket_id,
                "size": meta.get("size"),
                "content_type": meta.get("mimetype"),
                "cache_control": meta.get("cacheControl"),
                "etag": meta.get("eTag"),
                "metadata": row["user_metadata"] or {},
                "last_modified": row["updated_at"].isoformat(),
                "created_at": row["created_at"].isoformat(),
            }
        )

    # ------------------------------------------------------------ signed URLs

    @staticmethod
    def _expires_in(body: dict[str, Any]) -> int:
        raw = body.get("expiresIn")
        try:
            value = int(str(raw))
        except ValueError as exc:
            raise StorageError(
                400, "InvalidRequest", "body/expiresIn must be integer", "Bad Request"
            ) from exc
        if value < 1:
            raise StorageError(400, "InvalidRequest", "body/expiresIn must be >= 1", "Bad Request")
        return value

    def _signed_path(self, bucket: str, name: str, expires_in: int) -> str:
        now = keys.now()
        token = keys.sign(
            {"url": f"{bucket}/{name}", "scope": "download", "iat": now, "exp": now + expires_in},
            self.gateway.config.jwt_secret,
        )
        return f"/object/sign/{quote(bucket, safe='')}/{quote(name, safe='/')}?token={token}"

    async def _json_body(self, request: web.Request) -> dict[str, Any]:
        def too_large(size: int) -> GatewayError:
            return StorageError(
                413, "EntityTooLarge", "The request body is too large", "Payload too large"
            )

        raw = await read_body(request, self.gateway.limits.max_rest_body_bytes, too_large)
        try:
            body = json.loads(raw) if raw.strip() else {}
        except (ValueError, UnicodeDecodeError) as exc:
            raise StorageError(
                400, "InvalidRequest", "Body is not valid JSON", "Bad Request"
            ) from exc
        if not isinstance(body, dict):
            raise StorageError(400, "InvalidRequest", "body must be object", "Bad Request")
        return body

    async def sign_one(self, request: web.Request) -> web.Response:
        caller = self._caller(request)
        bucket_id = request.match_info["bucket"]
        name = validate_key(request.match_info["name"])
        body = await self._json_body(request)
        expires_in = self._expires_in(body)
        await self._bucket(bucket_id)
        try:
            async with self._as_caller(request, caller) as conn:
                row = await self._fetch_object(conn, bucket_id, name)
        except psycopg.Error as exc:
            raise self._translate(exc) from exc
        if row is None:
            raise storage_not_found()
        return json_response({"signedURL": self._signed_path(bucket_id, name, expires_in)})

    async def sign_many(self, request: web.Request) -> web.Response:
        caller = self._caller(request)
        bucket_id = request.match_info["bucket"]
        body = await self._json_body(request)
        expires_in = self._expires_in(body)
        paths = body.get("paths")
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise StorageError(
                400, "InvalidRequest", "body/paths must be array of strings", "Bad Request"
            )
        await self._bucket(bucket_id)
        try:
            async with self._as_caller(request, caller) as conn:
                cur = await conn.execute(
                    "SELECT name FROM storage.objects WHERE bucket_id = %s AND name = ANY(%s)",
                    (bucket_id, paths),
                )
                visible = {str(r[0]) for r in await cur.fetchall()}
        except psycopg.Error as exc:
            raise self._translate(exc) from exc
        answer = [
            {
                "error": None if p in visible else _SIGN_ERROR,
                "path": p,
                "signedURL": self._signed_path(bucket_id, p, expires_in) if p in visible else None,
            }
            for p in paths
        ]
        return json_response(answer)

    async def fetch_signed(self, request: web.Request) -> web.StreamResponse:
        bucket_id = request.match_info["bucket"]
        name = request.match_info["name"]
        token = request.query.get("token")
        if not token:
            raise StorageError(
                400,
                "InvalidRequest",
                "querystring must have required property 'token'",
                "Bad Request",
            )
        # Storage verifies the token with jose and wraps any failure in InvalidJWT (HTTP 400,
        # statusCode "400"), then checks the scope and that the token is for this object.
        problem = keys.jose_problem(token, self.gateway.config.jwt_secret)
        if problem is not None:
            raise storage_invalid_jwt(problem)
        claims = keys.verify(token, self.gateway.config.jwt_secret)
        scope = claims.get("scope")
        if not (scope == "download" or (scope is None and "upsert" not in claims)):
            raise StorageError(400, "InvalidSignature", "Token is not scoped for download")
        if claims.get("url") != f"{bucket_id}/{name}":
            raise StorageError(400, "InvalidSignature", "Invalid signature")
        async with self.gateway.db.storage_pool.connection() as conn:
            row = await self._fetch_object(conn, bucket_id, name)
        if row is None:
            raise storage_not_found()
        return self._object_response(request, bucket_id, name, row)

    # ------------------------------------------------------------ move and copy

    async def _move_body(self, request: web.Request) -> tuple[str, str, str, str]:
        body = await self._json_body(request)
        for key in ("bucketId", "sourceKey", "destinationKey"):
            if not isinstance(body.get(key), str):
                raise StorageError(
                    400,
                    "InvalidRequest",
                    f"body must have required property '{key}'",
                    "Bad Request",
                )
        bucket_id = body["bucketId"]
        destination_bucket = body.get("destinationBucket") or bucket_id
        if not isinstance(destination_bucket, str):
            raise StorageError(
                400, "InvalidRequest", "body/destinationBucket must be string", "Bad Request"
            )
        return (
            bucket_id,
            validate_key(body["sourceKey"]),
            destination_bucket,
            validate_key(body["destinationKey"]),
        )

    async def move(self, request: web.Request) -> web.Response:
        """``POST /object/move``: the source must be visible to the caller (else 404 "Object not
        found") and the rename must pass the update policy (else AccessDenied)."""
        caller = self._caller(request)
        bucket_id, source, destination_bucket, destination = await self._move_body(request)
        await self._bucket(bucket_id)
        await self._bucket(destination_bucket)
        version = str(uuid.uuid4())
        try:
            async with self._as_caller(request, caller) as conn:
                row = await self._fetch_object(conn, bucket_id, source)
                if row is None:
                    raise storage_not_found()
                old = self.blobs.path(bucket_id, source, str(row["version"]))
                if not old.exists():
                    raise storage_not_found()
                self.blobs.write(destination_bucket, destination, version, old.read_bytes())
                cur = await conn.execute(
                    "UPDATE storage.objects SET name = %s, bucket_id = %s, version = %s,"
                    " updated_at = now() WHERE bucket_id = %s AND name = %s RETURNING id",
                    (destination, destination_bucket, version, bucket_id, source),
                )
                moved = await cur.fetchone()
                if moved is None:
                    raise storage_rls()
        except psycopg.Error as exc:
            self.blobs.remove(destination_bucket, destination, version)
            raise self._translate(exc) from exc
        except BaseException:
            self.blobs.remove(destination_bucket, destination, version)
            raise
        self.blobs.remove(bucket_id, source, str(row["version"]))
        return json_response(
            {"message": "Successfully moved", "Id": str(moved[0]), "Key": destination}
        )

    async def copy(self, request: web.Request) -> web.Response:
        """``POST /object/copy``: the source must be visible to the caller (else 404) and the
        new object must pass the insert policy (``x-upsert: true`` replaces, else 409)."""
        caller = self._caller(request)
        bucket_id, source, destination_bucket, destination = await self._move_body(request)
        await self._bucket(bucket_id)
        await self._bucket(destination_bucket)
        upsert = request.headers.get("x-upsert", "false") == "true"
        version = str(uuid.uuid4())
        conflict = (
            " ON CONFLICT (bucket_id, name) DO UPDATE SET metadata = EXCLUDED.metadata,"
            " version = EXCLUDED.version, owner = EXCLUDED.owner, owner_id = EXCLUDED.owner_id,"
            " user_metadata = EXCLUDED.user_metadata, updated_at = now()"
            if upsert
            else ""
        )
        try:
            async with self._as_caller(request, caller) as conn:
                row = await self._fetch_object(conn, bucket_id, source)
                if row is None:
                    raise storage_not_found()
                old = self.blobs.path(bucket_id, source, str(row["version"]))
                if not old.exists():
                    raise storage_not_found()
                self.blobs.write(destination_bucket, destination, version, old.read_bytes())
                cur = await conn.execute(
                    "INSERT INTO storage.objects"
                    " (bucket_id, name, owner, owner_id, metadata, version, user_metadata)"
                    " VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s::jsonb)"
                    + conflict
                    + " RETURNING id",
                    (
                        destination_bucket,
                        destination,
                        caller.user_id if _is_uuid(caller.user_id) else None,
                        caller.user_id,
                        json.dumps(row["metadata"]),
                        version,
                        json.dumps(row["user_metadata"])
                        if row["user_metadata"] is not None
                        else None,
                    ),
                )
                copied = await cur.fetchone()
        except psycopg.Error as exc:
            self.blobs.remove(destination_bucket, destination, version)
            raise self._translate(exc) from exc
        except BaseException:
            self.blobs.remove(destination_bucket, destination, version)
            raise
        assert copied is not None
        return json_response({"Id": str(copied[0]), "Key": f"{destination_bucket}/{destination}"})

    # ------------------------------------------------------------ list and remove

    async def list_objects(self, request: web.Request) -> web.Response:
        caller = self._caller(request)
        bucket_id = request.match_info["bucket"]
        body = await self._json_body(request)
        prefix = body.get("prefix", "")
        if not isinstance(prefix, str):
            raise StorageError(400, "InvalidRequest", "body/prefix must be string", "Bad Request")
        try:
            limit = int(body.get("limit", 100))
            offset = int(body.get("offset", 0))
        except (TypeError, ValueError) as exc:
            raise StorageError(
                400, "InvalidRequest", "limit and offset must be integers", "Bad Request"
            ) from exc
        sort = body.get("sortBy") or {}
        column = sort.get("column", "name") if isinstance(sort, dict) else "name"
        order = sort.get("order", "asc") if isinstance(sort, dict) else "asc"
        if column not in _SORT_COLUMNS or str(order).lower() not in ("asc", "desc"):
            raise StorageError(400, "InvalidRequest", "invalid sortBy", "Bad Request")
        search = body.get("search", "") or ""
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        levels = len(prefix.split("/"))
        await self._bucket(bucket_id)
        try:
            async with self._as_caller(request, caller) as conn:
                cur = await conn.execute(
                    "SELECT coalesce(json_agg(s), '[]'::json)::text FROM"
                    " storage.search(%s, %s, %s, %s, %s, %s, %s, %s) AS s",
                    (
                        prefix,
                        bucket_id,
                        limit,
                        levels,
                        offset,
                        str(search),
                        column,
                        str(order).lower(),
                    ),
                )
                row = await cur.fetchone()
        except psycopg.Error as exc:
            raise self._translate(exc) from exc
        return json_response(None, raw=row[0] if row else "[]")

    async def _delete(
        self, request: web.Request, caller: Caller, bucket_id: str, names: list[str]
    ) -> list[dict[str, Any]]:
        try:
            async with self._as_caller(request, caller) as conn:
                cur = await conn.execute(
                    "DELETE FROM storage.objects WHERE bucket_id = %s AND name = ANY(%s)"
                    " RETURNING json_build_object('bucket_id', bucket_id, 'name', name,"
                    " 'owner', owner, 'owner_id', owner_id, 'id', id, 'updated_at', updated_at,"
                    " 'created_at', created_at, 'last_accessed_at', last_accessed_at,"
                    " 'metadata', metadata, 'user_metadata', user_metadata,"
                    " 'version', version)::text",
                    (bucket_id, names),
                )
                deleted = [json.loads(r[0]) for r in await cur.fetchall()]
        except psycopg.Error as exc:
            raise self._translate(exc) from exc
        for obj in deleted:
            self.blobs.remove(bucket_id, obj["name"], obj.get("version"))
        return deleted

    async def remove_many(self, request: web.Request) -> web.Response:
        caller = self._caller(request)
        bucket_id = request.match_info["bucket"]
        body = await self._json_body(request)
        prefixes = body.get("prefixes")
        if not isinstance(prefixes, list) or not all(isinstance(p, str) for p in prefixes):
            raise StorageError(
                400, "InvalidRequest", "body/prefixes must be array of strings", "Bad Request"
            )
        await self._bucket(bucket_id)
        return json_response(await self._delete(request, caller, bucket_id, prefixes))

    async def remove_one(self, request: web.Request) -> web.Response:
        caller = self._caller(request)
        bucket_id = request.match_info["bucket"]
        name = validate_key(request.match_info["name"])
        await self._bucket(bucket_id)
        # Storage finds the object as superuser first (missing: 404), then deletes it as the
        # caller; a delete RLS filtered out is AccessDenied "Access denied".
        async with self.gateway.db.storage_pool.connection() as conn:
            exists = await self._fetch_object(conn, bucket_id, name)
        if exists is None:
            raise storage_not_found()
        deleted = await self._delete(request, caller, bucket_id, [name])
        if not deleted:
            raise storage_access_denied("Access denied")
        return json_response({"message": "Successfully deleted"})


def _is_uuid(value: str | None) -> bool:
    try:
        uuid.UUID(value or "")
    except ValueError:
        return False
    return True


async def _read_multipart(
    request: web.Request, limit: int, too_large: Any
) -> dict[str, tuple[bytes, str | None]]:
    """name -> (bytes, the part's content type or None) of a ``multipart/form-data`` body.

    More than ``limit`` bytes in all parts: the rest is drained and ``too_large`` raised."""
    fields: dict[str, tuple[bytes, str | None]] = {}
    total = 0
    try:
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                continue
            chunks: list[bytes] = []
            while True:
                chunk = await part.read_chunk(64 * 1024)
                if not chunk:
                    break
                total += len(chunk)
                if total <= limit:
                    chunks.append(chunk)
            fields[part.name or ""] = (b"".join(chunks), part.headers.get("Content-Type"))
    except (ValueError, AssertionError, KeyError) as exc:
        raise StorageError(400, "InvalidRequest", f"Malformed multipart body: {exc}") from exc
    if total > limit:
        raise too_large(total)
    return fields
