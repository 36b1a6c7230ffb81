"""The connection to one Supabase project: supabase-py's async client on ONE shared HTTP client.

Why it is built this way (supabase-py's pitfalls, measured against its source and a logging
server):

- One ``httpx.AsyncClient`` with explicit connect/read/write/pool timeouts is handed to
  supabase-py (``AsyncClientOptions(httpx_client=...)``), so Auth, PostgREST and Storage share
  its connection pool, and a token refresh (which rebuilds supabase-py's sub-clients) never
  leaks connections.
- The session storage is ours (:class:`studio_desktop.sync.session.SessionStorage`), not the
  in-memory default; supabase-py's own refresh timer is off (the engine refreshes before each
  cycle, see ``session.py``); PostgREST's built-in retries are off (the push has its own, with
  backoff and a bound).
- Raw ``httpx`` errors escape storage3 and postgrest, and ``APIError`` does not keep the HTTP
  status: :meth:`Connection.call` runs one supabase-py call, learns the status of its last
  response through an event hook, and turns any failure into one of the typed errors of
  :mod:`studio_desktop.sync.errors` (:func:`classify`).
- Token expiry is a matter of the SERVER's clock: the same event hook reads every response's
  ``Date`` header and keeps :attr:`Connection.clock_skew` (server minus local, seconds), so the
  session manager can tell "expires soon" even when this computer's clock is off by minutes.

    conn = Connection(ConnectionConfig(url, anon_key), storage)
    await conn.open()
    rows = await conn.call(lambda: conn.client.table("jobs").select("*").execute(), "read jobs")
    await conn.close()
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from postgrest.exceptions import APIError
from storage3.exceptions import StorageApiError
from supabase_auth import AsyncSupportedStorage
from supabase_auth.errors import AuthApiError, AuthError, AuthRetryableError

from studio_desktop.domain.errors import BugError
from studio_desktop.domain.redact import redact
from studio_desktop.sync.errors import (
    AuthRequiredError,
    OfflineError,
    RefusedError,
    SessionRevokedError,
    SessionSuspectError,
    SyncError,
    TransientError,
)
from supabase import AsyncClient, AsyncClientOptions, acreate_client

log = logging.getLogger(__name__)
T = TypeVar("T")

#: PostgREST's codes for a JWT it does not accept (expired, invalid, missing claims).
_JWT_CODES = frozenset({"PGRST300", "PGRST301", "PGRST302", "PGRST303"})
#: GoTrue's codes for a refresh token that is no longer valid.
_REFRESH_REFUSED = frozenset(
    {
        "refresh_token_not_found",
        "refresh_token_already_used",
        "session_not_found",
        "session_expired",
        "user_not_found",
        "user_banned",
        "invalid_grant",
        "bad_jwt",
    }
)
_TRANSIENT_STATUS = frozenset({408, 425, 429})

# The HTTP status of the last response seen by the current supabase-py call (see ``call``).
_last_status: contextvars.ContextVar[list[int | None] | None] = contextvars.ContextVar(
    "studio_sync_last_status", default=None
)


@dataclass(frozen=True, slots=True)
class ConnectionConfig:
    """Where the project is and how long to wait for it (seconds)."""

    url: str
    anon_key: str
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    write_timeout: float = 30.0
    pool_timeout: float = 10.0
    max_connections: int = 8

    @property
    def normalized_url(self) -> str:
        return self.url.rstrip("/")

    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self.connect_timeout,
            read=self.read_timeout,
            write=self.write_timeout,
            pool=self.pool_timeout,
        )


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _classify_transport(exc: httpx.RequestError, what: str) -> SyncError:
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return OfflineError(f"The server cannot be reached ({what}): you are offline.")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return RefusedError(f"the project URL is not an http(s) address ({exc})")
    if isinstance(exc, httpx.TimeoutException):
        return TransientError(f"The server took too long to answer ({what}).")
    # ReadError, WriteError, RemoteProtocolError (a dropped connection), CloseError, ProxyError
    return TransientError(f"The connection to the server broke ({what}): {type(exc).__name__}.")


def _postgrest_reason(exc: APIError) -> str:
    parts = [str(exc.message or "").strip() or "the request was refused"]
    details = exc.details if isinstance(exc.details, str) else None
    if details and len(details) < 500:
        parts.append(details.strip())
    if exc.hint:
        parts.append(str(exc.hint).strip())
    return redact(" — ".join(p for p in parts if p))


#: Words of the messages a JWT verifier (Storage's ``jose``, PostgREST, GoTrue) gives a token it
#: does not accept: an answer carrying one is about the token, never about the data.
_TOKEN_WORDS = (
    "jwt",
    "jws",
    "jwe",
    "claim",
    "signature verification failed",
    "invalid compact",
    "(algorithm) header",
    "token",
)
#: The error names (Storage's ``error`` or ``code``) of answers Storage also sends for a token
#: it could not verify: ``AccessDenied`` on upload/sign/remove, ``NoSuchBucket`` on a download
#: (a bad token is ignored there and the request runs as anon, which sees no private bucket).
_SUSPECT_ERRORS = frozenset({"AccessDenied", "Unauthorized", "NoSuchBucket", "Bucket not found"})


def _storage_body_code(exc: StorageApiError) -> str:
    """Storage's own ``code`` field (storage3 keeps only ``error``), when the answer had one."""
    cause = exc.__cause__
    if isinstance(cause, httpx.HTTPStatusError):
        try:
            body = cause.response.json()
        except ValueError:
            return ""
        if isinstance(body, dict):
            return str(body.get("code") or "")
    return ""


def _classify_storage(exc: StorageApiError, what: str, status: int | None) -> SyncError:
    """Storage answers every client error with HTTP 400 and the meaning as a string in
    ``statusCode``; an expired or bad token is indistinguishable by status from a refusal or a
    missing bucket (see :class:`SessionSuspectError`)."""
    error = str(exc.code or "")
    code = _storage_body_code(exc) or error
    message = str(exc.message or "")
    lowered = message.lower()
    body_status = _as_int(exc.status)
    if (
        "InvalidJWT" in (code, error)
        or error == "invalid_jwt"
        or body_status == 401
        or status == 401
    ):
        return AuthRequiredError(f"Storage did not accept the sign-in token ({message}).")
    suspect = code in _SUSPECT_ERRORS or error in _SUSPECT_ERRORS
    if suspect and any(word in lowered for word in _TOKEN_WORDS):
        # "exp" claim timestamp check failed, JWS Protected Header is invalid, ...
        return AuthRequiredError(f"Storage did not accept the sign-in token ({message}).")
    effective = body_status or status
    if effective is not None and (effective >= 500 or effective in _TRANSIENT_STATUS):
        return TransientError(f"Storage had a problem ({what}, HTTP {effective}).", effective)
    refusal = RefusedError(
        redact(message or code or "storage refused"), code=error, status=effective
    )
    if suspect or effective == 403:
        return SessionSuspectError(
            f"Storage refused {what} ({message}); the sign-in token may be stale.", refusal
        )
    return refusal


def classify(
    exc: BaseException, what: str = "request", status: int | None = None
) -> SyncError | None:
    """The typed error for a failure of a supabase-py call, or ``None`` when ``exc`` is not a
    transport or server error (a bug of ours: let it propagate). ``status`` is the HTTP status
    of the failing response when known (``APIError`` does not keep it)."""
    if isinstance(exc, SyncError):
        return exc
    if isinstance(exc, httpx.RequestError):
        return _classify_transport(exc, what)
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        if status == 401:
            return AuthRequiredError("The server did not accept the sign-in token.")
        if status >= 500 or status in _TRANSIENT_STATUS:
            return TransientError(f"The server had a problem ({what}, HTTP {status}).", status)
        return RefusedError(f"HTTP {status}", status=status)
    if isinstance(exc, AuthRetryableError):
        cause = exc.__cause__
        if isinstance(cause, httpx.RequestError):
            return _classify_transport(cause, what)
        code = _as_int(getattr(exc, "status", None))
        if not code:
            return OfflineError(f"The server cannot be reached ({what}): you are offline.")
        return TransientError(f"The sign-in service had a problem (HTTP {code}).", code)
    if isinstance(exc, AuthApiError):
        code = str(exc.code or "")
        if code in _REFRESH_REFUSED:
            return SessionRevokedError(
                "Your session has ended (it was signed out or expired on the server). "
                "Sign in again to keep syncing; your unsynced changes are kept."
            )
        if exc.status in (401, 403):
            return AuthRequiredError("The server did not accept the sign-in token.")
        if exc.status >= 500 or exc.status in _TRANSIENT_STATUS:
            return TransientError(
                f"The sign-in service had a problem (HTTP {exc.status}).", exc.status
            )
        return RefusedError(
            redact(exc.message or "the sign-in service refused"), code=code, status=exc.status
        )
    if isinstance(exc, AuthError):
        cause = exc.__cause__
        if isinstance(cause, httpx.RequestError):
            return _classify_transport(cause, what)
        return AuthRequiredError(redact(str(exc.message)))
    if isinstance(exc, APIError):
        code = str(exc.code or "")
        code_status = _as_int(code) if code.isdigit() and len(code) == 3 else None
        http_status = status or code_status
        if http_status == 401 or code in _JWT_CODES:
            return AuthRequiredError(
                f"The server did not accept the sign-in token ({_postgrest_reason(exc)})."
            )
        if http_status is not None and (http_status >= 500 or http_status in _TRANSIENT_STATUS):
            return TransientError(
                f"The server had a problem ({what}, HTTP {http_status}).", http_status
            )
        if code in ("40001", "40P01", "57014", "53300", "55P03"):
            return TransientError(f"The server was busy ({what}); it will be retried.", http_status)
        return RefusedError(_postgrest_reason(exc), code=code or None, status=http_status)
    if isinstance(exc, StorageApiError):
        return _classify_storage(exc, what, status)
    return None


class Connection:
    """supabase-py's :class:`AsyncClient` for one project, on one shared ``httpx`` client."""

    def __init__(
        self,
        config: ConnectionConfig,
        storage: AsyncSupportedStorage,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.storage = storage
        self._http: httpx.AsyncClient | None = None
        self._client: AsyncClient | None = None
        #: HTTP requests sent so far (every attempt counts); for tests and benchmarks.
        self.requests = 0
        #: This computer's clock (epoch seconds); injectable so tests can set it wrong.
        self.clock = clock
        #: Server clock minus local clock, seconds, from the last response's ``Date`` header
        #: (``None`` until a response had one). ``Date`` has whole seconds: +-0.5 s.
        self.clock_skew: float | None = None

    def server_time(self) -> float:
        """Now on the server's clock, as well as this connection knows it (the local clock
        until a response carried a ``Date`` header)."""
        return self.clock() + (self.clock_skew or 0.0)

    def note_server_date(self, value: str | None, received_at: float | None = None) -> None:
        """Learn the clock skew from an HTTP ``Date`` header (ignored when unreadable)."""
        if not value:
            return
        try:
            stamp = parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return
        local = self.clock() if received_at is None else received_at
        # The header truncates to the second: the server's clock was in [stamp, stamp + 1).
        self.clock_skew = stamp + 0.5 - local

    # ------------------------------------------------------------------ lifecycle
    async def open(self) -> AsyncClient:
        """Build the HTTP client and supabase-py's client (idempotent)."""
        if self._client is not None:
            return self._client
        limits = httpx.Limits(
            max_connections=self.config.max_connections,
            max_keepalive_connections=self.config.max_connections,
            keepalive_expiry=30.0,
        )
        self._http = httpx.AsyncClient(
            timeout=self.config.timeout(),
            limits=limits,
            follow_redirects=True,
            event_hooks={"request": [self._on_request], "response": [self._on_response]},
        )
        options = AsyncClientOptions(
            httpx_client=self._http,
            storage=self.storage,
            auto_refresh_token=False,  # refreshed before each cycle by the session manager
            persist_session=True,
            postgrest_client_retry=False,  # the push retries with its own bounded backoff
        )
        try:
            self._client = await acreate_client(
                self.config.normalized_url, self.config.anon_key, options
            )
        except Exception:
            await self._http.aclose()
            self._http = None
            raise
        return self._client

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            timer = getattr(client.auth, "_refresh_token_timer", None)
            if timer is not None:
                timer.cancel()
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()

    @property
    def is_open(self) -> bool:
        return self._client is not None

    @property
    def client(self) -> AsyncClient:
        if self._client is None:
            raise BugError("the Supabase connection is used before open()")
        return self._client

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            raise BugError("the Supabase connection is used before open()")
        return self._http

    # ------------------------------------------------------------------ auth header
    def bearer_token(self) -> str | None:
        """The token supabase-py will send as ``Authorization`` on REST/Storage requests, or
        ``None`` when that is the anon key (not signed in, or silently fallen back to anon)."""
        if self._client is None:
            return None
        header = self._client.options.headers.get("Authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else header
        if not token or token == self.config.anon_key:
            return None
        return token

    # ------------------------------------------------------------------ calls
    async def _on_request(self, request: httpx.Request) -> None:
        self.requests += 1

    async def _on_response(self, response: httpx.Response) -> None:
        self.note_server_date(response.headers.get("Date"))
        holder = _last_status.get()
        if holder is not None:
            holder[0] = response.status_code

    async def call(self, make: Callable[[], Awaitable[T]], what: str = "request") -> T:
        """Run one supabase-py call; any failure leaves as a typed :class:`SyncError`."""
        holder: list[int | None] = [None]
        token = _last_status.set(holder)
        try:
            return await make()
        except Exception as exc:
            error = classify(exc, what, holder[0])
            if error is None:
                raise
            if error is not exc:
                raise error from exc
            raise
        finally:
            _last_status.reset(token)
