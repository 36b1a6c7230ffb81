"""The gateway process: an aiohttp server on 127.0.0.1 in a background thread with its own loop.

>>> gw = Gateway(GatewayConfig(dsn=cluster.dsn("mydb")))
>>> gw.start()                 # binds a free port (or config.port); gw.url = "http://127.0.0.1:PORT"
>>> gw.stop(); gw.start()      # goes offline (connection refused) and back, same port
>>> gw.close()                 # stops for good

Test-facing controls: :attr:`Gateway.faults` (see :mod:`.faults`), :attr:`Gateway.log`,
:attr:`Gateway.auth_settings` (token TTL, refresh reuse interval), :meth:`Gateway.create_user`,
:meth:`Gateway.mint_session`, :meth:`Gateway.set_clock_offset` (a server clock ahead or behind),
:meth:`Gateway.reset`, :attr:`Gateway.internal_errors` (requests that crashed the gateway
itself: a bug here, never a fault the test asked for).
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import socket
import tempfile
import threading
import time
import traceback
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from . import keys
from .auth import AuthService, AuthSettings
from .common import json_response
from .db import Database
from .errors import AuthError, GatewayError
from .faults import DEFAULT_SEED, Decision, Faults, LoggedRequest, RequestLog
from .realtime import RealtimeService
from .rest import RestService
from .storage import BlobStore, StorageService

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

AUTH_API_VERSION = "2024-01-01"


@dataclass(frozen=True)
class GatewayConfig:
    #: DSN of the database (any login role; the gateway logs in as ``authenticator``,
    #: ``supabase_storage_admin`` and ``supabase_auth_admin`` on the same server and database).
    dsn: str
    host: str = "127.0.0.1"
    port: int = 0  # 0 = a free port, kept across stop()/start()
    storage_dir: Path | None = None  # None = a temp dir removed by close()
    jwt_secret: str = keys.JWT_SECRET
    max_rest_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 50 * 1024 * 1024
    access_token_ttl: int = 3600
    refresh_reuse_interval: float = 0.0
    bcrypt_rounds: int = 10
    seed: int = DEFAULT_SEED
    max_connections: int = 8


@dataclass(frozen=True)
class Limits:
    """Body size limits a test may lower at run time (``gateway.set_limits(...)``)."""

    max_rest_body_bytes: int
    max_upload_bytes: int


@dataclass(frozen=True)
class InternalError:
    method: str
    path: str
    traceback: str


class Gateway:
    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.faults = Faults()
        self.faults.seed(config.seed)
        self.log = RequestLog()
        self.internal_errors: list[InternalError] = []
        self.auth_settings = self._default_auth_settings()
        self.limits = self._default_limits()
        self.db = Database(config.dsn, max_connections=config.max_connections)
        self._own_storage_dir = config.storage_dir is None
        self.storage_dir = config.storage_dir or Path(tempfile.mkdtemp(prefix="studio-gw-"))
        self.blobs = BlobStore(self.storage_dir)
        self.port = config.port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._db_open = False
        self._auth = AuthService(self)
        self._rest = RestService(self)
        self._storage = StorageService(self, self.blobs)
        #: Supabase Realtime's websocket (see :mod:`.realtime`): faults and counters.
        self.realtime = RealtimeService(self)

    def _default_auth_settings(self) -> AuthSettings:
        return AuthSettings(
            access_token_ttl=self.config.access_token_ttl,
            refresh_reuse_interval=self.config.refresh_reuse_interval,
            bcrypt_rounds=self.config.bcrypt_rounds,
        )

    def _default_limits(self) -> Limits:
        return Limits(self.config.max_rest_body_bytes, self.config.max_upload_bytes)

    # ------------------------------------------------------------ properties

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (what ``create_client`` takes as the Supabase URL)."""
        return f"http://{self.config.host}:{self.port}"

    @property
    def anon_key(self) -> str:
        return (
            keys.ANON_KEY
            if self.config.jwt_secret == keys.JWT_SECRET
            else keys.sign(
                {"iss": "supabase-demo", "role": "anon", "exp": 1983812996}, self.config.jwt_secret
            )
        )

    @property
    def service_role_key(self) -> str:
        return (
            keys.SERVICE_ROLE_KEY
            if self.config.jwt_secret == keys.JWT_SECRET
            else keys.sign(
                {"iss": "supabase-demo", "role": "service_role", "exp": 1983812996},
                self.config.jwt_secret,
            )
        )

    @property
    def running(self) -> bool:
        return self._runner is not None

    # ------------------------------------------------------------ lifecycle

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="supabase-test-gateway", daemon=True
            )
            thread.start()
            self._loop, self._thread = loop, thread
        return self._loop

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run a coroutine on the gateway's loop from any other thread; return its result."""
        loop = self._ensure_loop()
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)

    def start(self) -> None:
        """Serve (again) on the same port. Opens the database pools on first start."""
        if self._runner is not None:
            return
        self.call(self._start())

    def stop(self) -> None:
        """Go offline: the port refuses connections and open ones are closed. :meth:`start`
        serves again on the same port with the same data."""
        if self._runner is None:
            return
        self.call(self._stop())

    def close(self) -> None:
        """Stop for good: server, database pools, loop thread, the temp storage dir."""
        if self._loop is None:
            return
        self.call(self._stop())
        self.call(self.realtime.close())
        if self._db_open:
            self.call(self.db.close())
            self._db_open = False
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(10)
        self._loop.close()
        self._loop = None
        if self._own_storage_dir:
            shutil.rmtree(self.storage_dir, ignore_errors=True)

    def __enter__(self) -> Gateway:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def _ensure_db(self) -> None:
        if not self._db_open:
            await self.db.open()
            self._db_open = True

    async def _start(self) -> None:
        await self._ensure_db()
        app = self._make_app()
        runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None, handle_signals=False)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            deadline = time.monotonic() + 5
            while True:
                try:
                    sock.bind((self.config.host, self.port))
                    break
                except OSError:
                    if self.port == 0 or time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.05)
            self.port = int(sock.getsockname()[1])
            site = web.SockSite(runner, sock)
            await site.start()
            await self.realtime.start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self._runner = runner

    async def _stop(self) -> None:
        runner, self._runner = self._runner, None
        await self.realtime.stop()
        if runner is not None:
            await runner.cleanup()

    # ------------------------------------------------------------ test controls

    def reset(self) -> None:
        """Between tests: no faults (seed restored), empty log, default auth settings and body
        limits, no recorded internal errors, and serving again if a test stopped it."""
        self.faults.reset()
        self.faults.seed(self.config.seed)
        self.log.clear()
        self.internal_errors.clear()
        self.auth_settings = self._default_auth_settings()
        self.limits = self._default_limits()
        self.set_clock_offset(0.0)
        self.realtime.reset()
        self.start()

    def server_now(self) -> float:
        """The gateway's "now" (epoch seconds, shifted by :meth:`set_clock_offset`)."""
        return keys.clock()

    def set_clock_offset(self, seconds: float) -> None:
        """Play a server whose clock is ``seconds`` ahead of this machine's (negative: behind):
        the ``Date`` header of every answer, the ``iat``/``exp`` of the tokens it issues and its
        checks of tokens' expiry all use it (the clock is process-wide: one gateway per test)."""
        keys.clock_offset = float(seconds)

    def set_auth(self, **changes: Any) -> None:
        """Change auth settings at run time, e.g. ``set_auth(access_token_ttl=2)``."""
        self.auth_settings = dataclasses.replace(self.auth_settings, **changes)

    def set_limits(self, **changes: int) -> None:
        """Lower (or raise) body limits at run time, e.g. ``set_limits(max_upload_bytes=1024)``."""
        self.limits = dataclasses.replace(self.limits, **changes)

    def create_user(
        self, email: str, password: str, user_metadata: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A confirmed user inserted straight into ``auth.users`` (bcrypt hash); its row."""
        self.call(self._ensure_db())
        return self.call(self._auth.create_user(email, password, user_metadata))

    def mint_session(self, user_id: str, *, ttl: int | None = None) -> dict[str, Any]:
        """A new real session for ``user_id`` whose access token lives ``ttl`` seconds
        (negative: already expired; the refresh token works). Shaped like a token answer."""
        self.call(self._ensure_db())
        return self.call(self._auth.mint_session(user_id, ttl=ttl))

    def reload_schema(self) -> None:
        """Re-read tables and functions (PostgREST's ``NOTIFY pgrst, 'reload schema'``)."""
        self.call(self._ensure_db())
        self.call(self.db.reload_catalog())

    # ------------------------------------------------------------ the app

    def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=2**40)
        app.add_routes(self._auth.routes())
        app.add_routes(self._rest.routes())
        app.add_routes(self._storage.routes())
        app.add_routes(self.realtime.routes())
        return app

    def _error_response(self, request: web.Request, exc: GatewayError) -> web.Response:
        body = exc.body
        if isinstance(exc, AuthError):
            body = exc.body_for(request.headers.get("X-Supabase-Api-Version"))
        return json_response(body, exc.status, dict(exc.headers))

    def _fault_response(self, request: web.Request, status: int) -> web.Response:
        text = "injected by the test gateway"
        if request.path.startswith("/auth/"):
            # GoTrue's own codes: its rate limiter's for a 429, else an unexpected failure
            code = "over_request_rate_limit" if status == 429 else "unexpected_failure"
            message = "Request rate limit reached" if status == 429 else text
            error = AuthError(status, code, message)
            return json_response(
                error.body_for(request.headers.get("X-Supabase-Api-Version")),
                status,
                dict(error.headers),
            )
        if request.path.startswith("/storage/") and status == 429:
            # Storage's only 429: its database pool is exhausted (src/http/error-handler.ts)
            body: Any = {
                "statusCode": "429",
                "error": "too_many_connections",
                "code": "SlowDown",
                "message": "Too many connections issued to the database",
            }
        elif request.path.startswith("/storage/"):
            body = {
                "statusCode": str(status),
                "code": "InternalError",
                "error": "Internal",
                "message": text,
            }
        else:
            body = {"code": str(status), "message": text, "details": None, "hint": None}
        return json_response(body, status)

    async def _drop(
        self, request: web.Request, where: str, response: web.StreamResponse | None
    ) -> web.StreamResponse:
        """Cut the connection: before any byte (``headers``) or after the status line, the
        headers and half of the body (``body``). Returns the (dead) response for aiohttp."""
        transport = request.transport
        if where == "headers":
            if transport is not None:
                transport.abort()
            return web.Response(status=499)
        body = b""
        status = 200
        headers: Any = {"Content-Type": "application/json"}
        if isinstance(response, web.Response):
            body = response.body if isinstance(response.body, bytes) else b""
            status, headers = response.status, response.headers
        if len(body) < 2:
            body = body + b" " * (64 - len(body))
        cut = web.StreamResponse(status=status, headers=headers)
        cut.content_length = len(body)
        await cut.prepare(request)
        await cut.write(body[: len(body) // 2])
        await asyncio.sleep(0.01)
        if transport is not None:
            transport.close()
        return cut

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.monotonic()
        decision: Decision = self.faults.decide(request.method, request.path)
        status = 0
        fault: str | None = None
        try:
            if decision.latency:
                await asyncio.sleep(decision.latency)
            if decision.fail_status is not None and decision.fail_stage == "before":
                fault = "fail"
                response: web.StreamResponse = self._fault_response(request, decision.fail_status)
            elif decision.drop is not None and decision.drop_stage == "before":
                fault = f"drop:{decision.drop}"
                return await self._drop(request, decision.drop, None)
            else:
                response = await self._handle(request, handler)
                if decision.fail_status is not None:
                    fault = "fail"
                    response = self._fault_response(request, decision.fail_status)
                elif decision.drop is not None:
                    fault = f"drop:{decision.drop}"
                    return await self._drop(request, decision.drop, response)
            if request.path.startswith("/auth/"):
                response.headers["X-Supabase-Api-Version"] = AUTH_API_VERSION
            if not response.prepared:
                # Every Supabase answer carries the server's time; ours may be shifted.
                response.headers["Date"] = format_datetime(
                    datetime.fromtimestamp(keys.clock(), UTC), usegmt=True
                )
            status = response.status
            return response
        finally:
            self.log.add(
                LoggedRequest(
                    request.method, request.path, status, fault, time.monotonic() - started
                )
            )

    async def _handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except GatewayError as exc:
            return self._error_response(request, exc)
        except web.HTTPException as exc:
            return json_response({"message": exc.reason, "code": str(exc.status)}, exc.status)
        except asyncio.CancelledError:
            raise
        except ConnectionResetError:
            # The connection was lost while the request was read (the client went away, or
            # the test stopped the gateway mid-request): nothing the gateway did wrong.
            raise
        except Exception:
            self.internal_errors.append(
                InternalError(request.method, request.path, traceback.format_exc())
            )
            return json_response(
                {
                    "code": "XX000",
                    "message": "gateway internal error",
                    "details": None,
                    "hint": None,
                },
                500,
            )
