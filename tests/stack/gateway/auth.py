"""``/auth/v1``: the GoTrue subset supabase-py uses, on ``auth.users``, ``auth.sessions`` and
``auth.refresh_tokens``.

- ``POST /signup`` (auto-confirmed, answers with a session), ``POST /token?grant_type=password``,
  ``POST /token?grant_type=refresh_token`` with rotation: every refresh revokes the token it used
  and issues a child; presenting a revoked token again (after the reuse interval, 0 s by default)
  is refused with ``refresh_token_already_used`` and revokes the whole session, as GoTrue does;
- ``GET /user``, ``PUT /user`` (``data`` and ``password``),
  ``POST /logout?scope=global|local|others``.

Passwords are bcrypt hashes in ``auth.users.encrypted_password``; access tokens are HS256 JWTs
with GoTrue's claims (``sub``, ``role``, ``aud``, ``exp``, ``iat``, ``session_id``, ``email``,
``app_metadata``, ``user_metadata``, ``aal``, ``amr``...).
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import bcrypt
import psycopg
from aiohttp import web
from psycopg import AsyncConnection

from . import keys
from .common import bearer_token, check_api_key, json_response, read_body
from .errors import AuthError, GatewayError

if TYPE_CHECKING:
    from .server import Gateway

INSTANCE_ID = "00000000-0000-0000-0000-000000000000"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 6

_USER_COLUMNS = (
    "id, aud, role, email, encrypted_password, email_confirmed_at, confirmed_at, last_sign_in_at,"
    " raw_app_meta_data, raw_user_meta_data, created_at, updated_at, phone, is_anonymous"
)


@dataclass(frozen=True)
class AuthSettings:
    """What a test may change at run time through ``gateway.auth_settings``."""

    access_token_ttl: int = 3600
    #: GoTrue's ``GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL`` (seconds); 0 = strict.
    refresh_reuse_interval: float = 0.0
    bcrypt_rounds: int = 10


def hash_password(password: str, rounds: int) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def user_json(row: dict[str, Any]) -> dict[str, Any]:
    """A user the way GoTrue renders it (``User`` in supabase_auth.types)."""
    app_metadata = row["raw_app_meta_data"] or {}
    return {
        "id": str(row["id"]),
        "aud": row["aud"] or "authenticated",
        "role": row["role"] or "authenticated",
        "email": row["email"],
        "email_confirmed_at": _iso(row["email_confirmed_at"]),
        "phone": row["phone"] or "",
        "confirmed_at": _iso(row["confirmed_at"]),
        "last_sign_in_at": _iso(row["last_sign_in_at"]),
        "app_metadata": app_metadata,
        "user_metadata": row["raw_user_meta_data"] or {},
        "identities": [],
        "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
        "is_anonymous": bool(row["is_anonymous"]),
    }


class AuthService:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    @property
    def settings(self) -> AuthSettings:
        return self.gateway.auth_settings

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/auth/v1/signup", self.signup),
            web.post("/auth/v1/token", self.token),
            web.get("/auth/v1/user", self.get_user),
            web.put("/auth/v1/user", self.update_user),
            web.post("/auth/v1/logout", self.logout),
            web.get("/auth/v1/health", self.health),
            web.get("/auth/v1/settings", self.settings_endpoint),
            web.route("*", "/auth/v1/{tail:.*}", self.unknown),
        ]

    # ------------------------------------------------------------ helpers

    async def _body(self, request: web.Request) -> dict[str, Any]:
        def too_large(size: int) -> GatewayError:
            return AuthError(413, "request_too_large", f"Request body too large ({size} bytes)")

        raw = await read_body(request, self.gateway.limits.max_rest_body_bytes, too_large)
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise AuthError(400, "bad_json", "Could not parse request body as JSON") from exc
        if not isinstance(body, dict):
            raise AuthError(400, "bad_json", "Request body must be a JSON object")
        return body

    def _issue_access_token(
        self, user: dict[str, Any], session_id: str, *, ttl: int | None = None
    ) -> tuple[str, int, int]:
        """(token, expires_in, expires_at) for ``user`` in ``session_id``."""
        now = keys.now()
        expires_in = self.settings.access_token_ttl if ttl is None else ttl
        claims = {
            "iss": f"{self.gateway.url}/auth/v1",
            "sub": str(user["id"]),
            "aud": user["aud"] or "authenticated",
            "exp": now + expires_in,
            "iat": now,
            "email": user["email"],
            "phone": user["phone"] or "",
            "app_metadata": user["raw_app_meta_data"] or {},
            "user_metadata": user["raw_user_meta_data"] or {},
            "role": user["role"] or "authenticated",
            "aal": "aal1",
            "amr": [{"method": "password", "timestamp": now}],
            "session_id": session_id,
            "is_anonymous": bool(user["is_anonymous"]),
        }
        return keys.sign(claims, self.gateway.config.jwt_secret), expires_in, now + expires_in

    def _session_json(
        self, user: dict[str, Any], session_id: str, refresh_token: str
    ) -> dict[str, Any]:
        access_token, expires_in, expires_at = self._issue_access_token(user, session_id)
        return {
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": expires_in,
            "expires_at": expires_at,
            "refresh_token": refresh_token,
            "user": user_json(user),
        }

    @staticmethod
    async def _user_by(conn: AsyncConnection[Any], where: str, value: Any) -> dict[str, Any] | None:
        cur = await conn.execute(
            f"SELECT {_USER_COLUMNS} FROM auth.users WHERE {where}",  # where: fixed text only
            (value,),
        )
        row = await cur.fetchone()
        if row is None or cur.description is None:
            return None
        return {col.name: val for col, val in zip(cur.description, row, strict=True)}

    @staticmethod
    async def _new_session(conn: AsyncConnection[Any], user_id: str) -> tuple[str, str]:
        session_id = str(uuid.uuid4())
        token = secrets.token_urlsafe(24)
        await conn.execute(
            "INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal, refreshed_at)"
            " VALUES (%s, %s, now(), now(), 'aal1', now())",
            (session_id, user_id),
        )
        await conn.execute(
            "INSERT INTO auth.refresh_tokens"
            " (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)"
            " VALUES (%s, %s, %s, false, now(), now(), NULL, %s)",
            (INSTANCE_ID, token, user_id, session_id),
        )
        return session_id, token

    def _api_version(self, request: web.Request) -> str | None:
        return request.headers.get("X-Supabase-Api-Version")

    async def _authenticated_user(
        self, request: web.Request, conn: AsyncConnection[Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(user row, claims) for the bearer token, checked the way GoTrue checks it."""
        token = bearer_token(request)
        if not token:
            raise AuthError(401, "no_authorization", "This endpoint requires a valid Bearer token")
        try:
            claims = keys.verify(token, self.gateway.config.jwt_secret)
        except keys.JwtError as exc:
            reason = {
                "expired": "token has invalid claims: token is expired",
                "signature": "signature is invalid",
                "malformed": "token is malformed",
            }.get(exc.kind, exc.message)
            raise AuthError(
                403, "bad_jwt", f"invalid JWT: unable to parse or verify signature, {reason}"
            ) from exc
        sub = claims.get("sub")
        if not sub:
            raise AuthError(403, "bad_jwt", "invalid claim: missing sub claim")
        try:
            uuid.UUID(str(sub))
        except ValueError as exc:
            raise AuthError(400, "bad_jwt", "invalid claim: sub claim must be a UUID") from exc
        user = await self._user_by(conn, "id = %s", str(sub))
        if user is None:
            raise AuthError(403, "user_not_found", "User from sub claim in JWT does not exist")
        session_id = claims.get("session_id")
        if session_id:
            cur = await conn.execute(
                "SELECT 1 FROM auth.sessions WHERE id = %s", (str(session_id),)
            )
            if await cur.fetchone() is None:
                raise AuthError(
                    403, "session_not_found", "Session from session_id claim in JWT does not exist"
                )
        return user, claims

    # ------------------------------------------------------------ endpoints

    async def health(self, request: web.Request) -> web.Response:
        check_api_key(request, self.gateway.config.jwt_secret)  # Kong guards /health too
        return json_response(
            {
                "version": "gateway",
                "name": "GoTrue",
                "description": "GoTrue is a user registration and authentication API",
            }
        )

    async def settings_endpoint(self, request: web.Request) -> web.Response:
        """``GET /auth/v1/settings``: GoTrue's public settings (``internal/api/settings.go``),
        behind the API gateway's key check like every other Auth path."""
        check_api_key(request, self.gateway.config.jwt_secret)
        providers = [
            "anonymous_users",
            "apple",
            "azure",
            "bitbucket",
            "discord",
            "facebook",
            "snapchat",
            "figma",
            "fly",
            "github",
            "gitlab",
            "google",
            "keycloak",
            "kakao",
            "linkedin",
            "linkedin_oidc",
            "notion",
            "spotify",
            "slack",
            "slack_oidc",
            "workos",
            "twitch",
            "twitter",
            "email",
            "phone",
            "zoom",
        ]
        external = {name: name == "email" for name in providers}
        return json_response(
            {
                "external": external,
                "disable_signup": False,
                "mailer_autoconfirm": True,
                "phone_autoconfirm": False,
                "sms_provider": "",
                "saml_enabled": False,
                "saml_private_key_next_configured": False,
                "passkeys_enabled": False,
            }
        )

    async def unknown(self, request: web.Request) -> web.Response:
        """GoTrue's router has no handler of its own for unknown paths: chi's plain 404."""
        check_api_key(request, self.gateway.config.jwt_secret)
        return web.Response(
            status=404, text="404 page not found\n", content_type="text/plain", charset="utf-8"
        )

    async def signup(self, request: web.Request) -> web.Response:
        check_api_key(request, self.gateway.config.jwt_secret)
        body = await self._body(request)
        email = body.get("email")
        password = body.get("password")
        data = body.get("data") or {}
        if not isinstance(email, str) or not email:
            raise AuthError(400, "validation_failed", "To signup, please provide your email")
        if not _EMAIL.match(email):
            raise AuthError(
                400, "email_address_invalid", "Unable to validate email address: invalid format"
            )
        if not isinstance(password, str) or not password:
            raise AuthError(400, "validation_failed", "Signup requires a valid password")
        if len(password) < MIN_PASSWORD_LENGTH:
            error = AuthError(
                422,
                "weak_password",
                f"Password should be at least {MIN_PASSWORD_LENGTH} characters.",
            )
            error.body["weak_password"] = {"reasons": ["length"]}
            raise error
        if not isinstance(data, dict):
            raise AuthError(400, "validation_failed", "data must be a JSON object")
        encrypted = await asyncio.get_running_loop().run_in_executor(
            None, hash_password, password, self.settings.bcrypt_rounds
        )
        user_id = str(uuid.uuid4())
        async with self.gateway.db.auth_pool.connection() as conn, conn.transaction():
            try:
                await conn.execute(
                    "INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password,"
                    " email_confirmed_at, last_sign_in_at, raw_app_meta_data, raw_user_meta_data,"
                    " created_at, updated_at)"
                    " VALUES (%s, %s, 'authenticated', 'authenticated', lower(%s), %s,"
                    " now(), now(),"
                    " %s, %s, now(), now())",
                    (
                        INSTANCE_ID,
                        user_id,
                        email,
                        encrypted,
                        json.dumps({"provider": "email", "providers": ["email"]}),
                        json.dumps(data),
                    ),
                )
            except psycopg.errors.UniqueViolation as exc:
                raise AuthError(422, "user_already_exists", "User already registered") from exc
            user = await self._user_by(conn, "id = %s", user_id)
            assert user is not None
            session_id, refresh = await self._new_session(conn, user_id)
        return json_response(self._session_json(user, session_id, refresh))

    async def token(self, request: web.Request) -> web.Response:
        check_api_key(request, self.gateway.config.jwt_secret)
        grant = request.query.get("grant_type")
        body = await self._body(request)
        if grant == "password":
            return await self._password_grant(body)
        if grant == "refresh_token":
            return await self._refresh_grant(body)
        # GoTrue's Token(): a coded HTTP error, not an OAuth one (internal/api/token.go)
        raise AuthError(400, "invalid_credentials", "unsupported_grant_type")

    async def _password_grant(self, body: dict[str, Any]) -> web.Response:
        email = body.get("email")
        password = body.get("password")
        if not isinstance(email, str) or not email:
            raise AuthError(400, "validation_failed", "missing email or phone")
        if not isinstance(password, str):
            password = ""  # GoTrue goes on and the password check fails
        async with self.gateway.db.auth_pool.connection() as conn, conn.transaction():
            user = await self._user_by(conn, "email = lower(%s)", email)
            ok = False
            if user is not None and user["encrypted_password"]:
                ok = await asyncio.get_running_loop().run_in_executor(
                    None,
                    bcrypt.checkpw,
                    password.encode("utf-8"),
                    str(user["encrypted_password"]).encode("ascii"),
                )
            if user is None or not ok:
                raise AuthError(400, "invalid_credentials", "Invalid login credentials")
            await conn.execute(
                "UPDATE auth.users SET last_sign_in_at = now(), updated_at = now() WHERE id = %s",
                (user["id"],),
            )
            user = await self._user_by(conn, "id = %s", user["id"])
            assert user is not None
            session_id, refresh = await self._new_session(conn, str(user["id"]))
        return json_response(self._session_json(user, session_id, refresh))

    async def _refresh_grant(self, body: dict[str, Any]) -> web.Response:
        token = body.get("refresh_token")
        if not isinstance(token, str) or len(token) < 12:
            # RefreshTokenGrantParams.Validate (internal/api/token_refresh.go)
            raise AuthError(400, "validation_failed", "Refresh token is not valid")
        async with self.gateway.db.auth_pool.connection() as conn:
            # The family revocation must survive the refused answer: its own transaction.
            async with conn.transaction():
                cur = await conn.execute(
                    "SELECT id, user_id, revoked, session_id, updated_at"
                    " FROM auth.refresh_tokens WHERE token = %s FOR UPDATE",
                    (token,),
                )
                row = await cur.fetchone()
                if row is None or row[3] is None:
                    raise AuthError(
                        400,
                        "refresh_token_not_found",
                        "Invalid Refresh Token: Refresh Token Not Found",
                    )
                token_id, user_id, revoked, session_id, updated_at = row
                session_id = str(session_id)
                user = await self._user_by(conn, "id = %s", user_id)
                if user is None:
                    raise AuthError(
                        400,
                        "refresh_token_not_found",
                        "Invalid Refresh Token: Refresh Token Not Found",
                    )
                if revoked:
                    reused = await self._within_reuse_interval(conn, token, updated_at)
                    if reused is not None:
                        return json_response(self._session_json(user, session_id, reused))
                    # Reuse of a revoked token: assume theft, revoke the whole family.
                    await conn.execute(
                        "UPDATE auth.refresh_tokens SET revoked = true, updated_at = now()"
                        " WHERE session_id = %s AND NOT revoked",
                        (session_id,),
                    )
                    refused = AuthError(
                        400, "refresh_token_already_used", "Invalid Refresh Token: Already Used"
                    )
                else:
                    refused = None
                    new_token = secrets.token_urlsafe(24)
                    await conn.execute(
                        "UPDATE auth.refresh_tokens SET revoked = true, updated_at = now()"
                        " WHERE id = %s",
                        (token_id,),
                    )
                    await conn.execute(
                        "INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked,"
                        " created_at, updated_at, parent, session_id)"
                        " VALUES (%s, %s, %s, false, now(), now(), %s, %s)",
                        (INSTANCE_ID, new_token, user_id, token, session_id),
                    )
                    await conn.execute(
                        "UPDATE auth.sessions SET refreshed_at = now(), updated_at = now()"
                        " WHERE id = %s",
                        (session_id,),
                    )
            if refused is not None:
                raise refused
        return json_response(self._session_json(user, session_id, new_token))

    async def _within_reuse_interval(
        self, conn: AsyncConnection[Any], token: str, revoked_at: datetime | None
    ) -> str | None:
        """GoTrue's reuse interval: a token revoked moments ago by a concurrent refresh still
        yields the session's current token instead of an error."""
        interval = self.settings.refresh_reuse_interval
        if interval <= 0 or revoked_at is None:
            return None
        if time.time() - revoked_at.timestamp() > interval:
            return None
        cur = await conn.execute(
            "SELECT token FROM auth.refresh_tokens WHERE parent = %s AND NOT revoked",
            (token,),
        )
        row = await cur.fetchone()
        return str(row[0]) if row else None

    async def get_user(self, request: web.Request) -> web.Response:
        check_api_key(request, self.gateway.config.jwt_secret)
        async with self.gateway.db.auth_pool.connection() as conn:
            user, _claims = await self._authenticated_user(request, conn)
        return json_response(user_json(user))

    async def update_user(self, request: web.Request) -> web.Response:
        check_api_key(request, self.gateway.config.jwt_secret)
        body = await self._body(request)
        async with self.gateway.db.auth_pool.connection() as conn, conn.transaction():
            user, _claims = await self._authenticated_user(request, conn)
            if "data" in body:
                if not isinstance(body["data"], dict):
                    raise AuthError(400, "validation_failed", "data must be a JSON object")
                await conn.execute(
                    "UPDATE auth.users SET raw_user_meta_data ="
                    " coalesce(raw_user_meta_data, '{}'::jsonb) || %s::jsonb, updated_at = now()"
                    " WHERE id = %s",
                    (json.dumps(body["data"]), user["id"]),
                )
            if "password" in body:
                password = body["password"]
                if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
                    error = AuthError(
                        422,
                        "weak_password",
                        f"Password should be at least {MIN_PASSWORD_LENGTH} characters.",
                    )
                    error.body["weak_password"] = {"reasons": ["length"]}
                    raise error
                encrypted = await asyncio.get_running_loop().run_in_executor(
                    None, hash_password, password, self.settings.bcrypt_rounds
                )
                await conn.execute(
                    "UPDATE auth.users SET encrypted_password = %s, updated_at = now()"
                    " WHERE id = %s",
                    (encrypted, user["id"]),
                )
            if "email" in body and body["email"] != user["email"]:
                raise AuthError(
                    422,
                    "email_change_not_supported",
                    "Changing the email is not offered by the test gateway",
                )
            updated = await self._user_by(conn, "id = %s", user["id"])
            assert updated is not None
        return json_response(user_json(updated))

    async def logout(self, request: web.Request) -> web.Response:
        check_api_key(request, self.gateway.config.jwt_secret)
        scope = request.query.get("scope", "global")
        if scope not in ("global", "local", "others"):
            raise AuthError(
                400,
                "validation_failed",
                f"Unsupported logout scope {scope!r}: use global, local or others",
            )
        async with self.gateway.db.auth_pool.connection() as conn, conn.transaction():
            user, claims = await self._authenticated_user(request, conn)
            session_id = str(claims.get("session_id") or "")
            if scope == "global":
                await conn.execute("DELETE FROM auth.sessions WHERE user_id = %s", (user["id"],))
            elif scope == "local":
                await conn.execute("DELETE FROM auth.sessions WHERE id = %s", (session_id or None,))
            else:
                await conn.execute(
                    "DELETE FROM auth.sessions WHERE user_id = %s AND id IS DISTINCT FROM %s",
                    (user["id"], session_id or None),
                )
        return web.Response(status=204)

    # ------------------------------------------------------------ for tests (no HTTP)

    async def create_user(
        self, email: str, password: str, user_metadata: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Insert a confirmed user directly (what ``make_user`` uses)."""
        encrypted = await asyncio.get_running_loop().run_in_executor(
            None, hash_password, password, self.settings.bcrypt_rounds
        )
        user_id = str(uuid.uuid4())
        async with self.gateway.db.auth_pool.connection() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password,"
                " email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at,"
                " updated_at)"
                " VALUES (%s, %s, 'authenticated', 'authenticated', lower(%s), %s, now(), %s, %s,"
                " now(), now())",
                (
                    INSTANCE_ID,
                    user_id,
                    email,
                    encrypted,
                    json.dumps({"provider": "email", "providers": ["email"]}),
                    json.dumps(user_metadata or {}),
                ),
            )
            user = await self._user_by(conn, "id = %s", user_id)
        assert user is not None
        return user

    async def mint_session(self, user_id: str, *, ttl: int | None = None) -> dict[str, Any]:
        """A real session (rows in auth.sessions/refresh_tokens) with an access token that lives
        ``ttl`` seconds (negative = already expired), answered like a password grant."""
        async with self.gateway.db.auth_pool.connection() as conn, conn.transaction():
            user = await self._user_by(conn, "id = %s", user_id)
            if user is None:
                raise ValueError(f"no user {user_id}")
            session_id, refresh = await self._new_session(conn, user_id)
        access_token, expires_in, expires_at = self._issue_access_token(user, session_id, ttl=ttl)
        return {
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": expires_in,
            "expires_at": expires_at,
            "refresh_token": refresh,
            "user": user_json(user),
        }
