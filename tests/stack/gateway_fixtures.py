"""pytest plugin: the Supabase-compatible gateway over its own copy of the Supabase template.

Registered in ``tests/conftest.py`` (``pytest_plugins``). Fixtures:

- ``gateway`` (session): a running :class:`~tests.stack.gateway.Gateway` on 127.0.0.1 over a
  database copied from ``supabase_template``. Users and rows persist across tests, so tests make
  their own users (``make_user``) and never assume an empty database. After every test that used
  it, ``gateway.reset()`` runs (faults off, log cleared, auth settings back to defaults, serving
  again if the test stopped it) and a test fails if the gateway itself crashed on a request.
- ``isolated_gateway`` (function): a separate gateway over a fresh ``supabase_db`` copy, closed
  after the test (for tests that need an empty database).
- ``gateway_db`` (session): the superuser DSN of the gateway's database (to check what landed in
  Postgres, bypassing RLS).
- ``supabase_url``, ``anon_key``, ``service_role_key``: what ``create_client`` takes.
- ``make_user`` (function): ``make_user(email=None, password=DEFAULT_PASSWORD) -> GatewayUser``,
  a confirmed user inserted directly (bcrypt, 4 rounds to keep tests fast).
- ``make_client`` (function): ``make_client(user=None, **options) -> supabase.Client`` (sync),
  signed in as ``user`` when given; ``async_client(user=None, **options)`` is its async twin, an
  async context manager. Both share one httpx client per supabase client, have auto-refresh
  timers and PostgREST retries off (override with ``options``), and are closed for you.
- ``gateway_process`` (function): ``gateway_process(port=0) -> GatewaySubprocess``: the gateway as
  a separate OS process on the same database (for SIGKILL tests); killed after the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.stack.gateway import ANON_KEY, SERVICE_ROLE_KEY, Gateway, GatewayConfig
from tests.stack.pg import PgCluster

DEFAULT_PASSWORD = "correct horse battery staple"
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class GatewayUser:
    id: str
    email: str
    password: str


@pytest.fixture(scope="session")
def gateway_db(pg_cluster: PgCluster, supabase_template: str) -> Iterator[str]:
    name = f"gw_{uuid.uuid4().hex[:12]}"
    pg_cluster.create_database(name, template=supabase_template)
    try:
        yield pg_cluster.dsn(name)
    finally:
        pg_cluster.drop_database(name)


@pytest.fixture(scope="session")
def gateway(gateway_db: str) -> Iterator[Gateway]:
    gw = Gateway(GatewayConfig(dsn=gateway_db, bcrypt_rounds=4))
    gw.start()
    try:
        yield gw
    finally:
        gw.close()


@pytest.fixture
def isolated_gateway(supabase_db: str) -> Iterator[Gateway]:
    """A gateway of its own over a fresh database (``supabase_db``) for one test, for tests
    that need an empty database (counting every row, every change). Make users with
    ``isolated_gateway.create_user(email, password)``; faults/log work as on ``gateway``."""
    gw = Gateway(GatewayConfig(dsn=supabase_db, bcrypt_rounds=4))
    gw.start()
    try:
        yield gw
    finally:
        crashes = list(gw.internal_errors)
        gw.close()
    if crashes:
        pytest.fail(
            "the isolated test gateway crashed on a request:\n"
            + "\n".join(f"{c.method} {c.path}\n{c.traceback}" for c in crashes)
        )


@pytest.fixture(autouse=True)
def _gateway_hygiene(request: pytest.FixtureRequest) -> Iterator[None]:
    """Only for tests that use the gateway: reset it after the test, and fail the test if the
    gateway crashed on one of its requests (a gateway bug must not pass as a client error)."""
    if "gateway" not in request.fixturenames:
        yield
        return
    gw: Gateway = request.getfixturevalue("gateway")
    gw.reset()
    yield
    crashes = list(gw.internal_errors)
    gw.reset()
    if crashes:
        pytest.fail(
            "the test gateway crashed on a request:\n"
            + "\n".join(f"{c.method} {c.path}\n{c.traceback}" for c in crashes)
        )


@pytest.fixture
def supabase_url(gateway: Gateway) -> str:
    return gateway.url


@pytest.fixture
def anon_key() -> str:
    return ANON_KEY


@pytest.fixture
def service_role_key() -> str:
    return SERVICE_ROLE_KEY


@pytest.fixture
def make_user(gateway: Gateway) -> Callable[..., GatewayUser]:
    def make(email: str | None = None, password: str = DEFAULT_PASSWORD) -> GatewayUser:
        address = email or f"user-{uuid.uuid4().hex[:12]}@example.test"
        row = gateway.create_user(address, password)
        return GatewayUser(str(row["id"]), str(row["email"]), password)

    return make


@pytest.fixture
def make_client(gateway: Gateway) -> Iterator[Callable[..., Any]]:
    """``make_client(user=None, **options)`` -> a sync ``supabase.Client`` on the gateway.

    All its parts share one ``httpx.Client`` (closed after the test); auto-refresh timers and
    PostgREST's GET retries are off unless ``options`` say otherwise."""
    import httpx

    from supabase import Client, ClientOptions, create_client

    opened: list[httpx.Client] = []

    def make(user: GatewayUser | None = None, **options: Any) -> Client:
        http = httpx.Client(timeout=10)
        opened.append(http)
        settings: dict[str, Any] = {"auto_refresh_token": False, "postgrest_client_retry": False}
        settings.update(options)
        client = create_client(gateway.url, ANON_KEY, ClientOptions(httpx_client=http, **settings))
        if user is not None:
            client.auth.sign_in_with_password({"email": user.email, "password": user.password})
        return client

    yield make
    for http in opened:
        http.close()


@pytest.fixture
def async_client(gateway: Gateway) -> Callable[..., Any]:
    """``async with async_client(user=None, **options) as client:`` an ``AsyncClient`` whose
    shared ``httpx.AsyncClient`` is closed when the block ends (inside the test's own loop)."""
    import httpx

    from supabase import AsyncClient, AsyncClientOptions, acreate_client

    @contextlib.asynccontextmanager
    async def open_client(
        user: GatewayUser | None = None, **options: Any
    ) -> AsyncIterator[AsyncClient]:
        async with httpx.AsyncClient(timeout=10) as http:
            settings: dict[str, Any] = {
                "auto_refresh_token": False,
                "postgrest_client_retry": False,
            }
            settings.update(options)
            client = await acreate_client(
                gateway.url, ANON_KEY, AsyncClientOptions(httpx_client=http, **settings)
            )
            if user is not None:
                await client.auth.sign_in_with_password(
                    {"email": user.email, "password": user.password}
                )
            yield client

    return open_client


@dataclass
class GatewaySubprocess:
    process: subprocess.Popen[str]
    url: str

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, connections reset, as when a server dies."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def start_gateway_process(dsn: str, port: int = 0, *extra_args: str) -> GatewaySubprocess:
    """Run ``python -m tests.stack.gateway`` and wait for its ``GATEWAY READY <url>`` line."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.stack.gateway",
            "--dsn",
            dsn,
            "--port",
            str(port),
            "--bcrypt-rounds",
            "4",
            *extra_args,
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("GATEWAY READY "):
        process.kill()
        _out, err = process.communicate(timeout=10)
        raise RuntimeError(f"the gateway process did not start: {line}{err}")
    return GatewaySubprocess(process, line.split()[-1])


@pytest.fixture
def gateway_process(gateway_db: str) -> Iterator[Callable[..., GatewaySubprocess]]:
    started: list[GatewaySubprocess] = []

    def start(port: int = 0, *extra_args: str) -> GatewaySubprocess:
        proc = start_gateway_process(gateway_db, port, *extra_args)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill()
        if proc.process.stdout:
            proc.process.stdout.close()
        if proc.process.stderr:
            proc.process.stderr.close()


def run(coro: Awaitable[Any]) -> Any:
    """Drive a coroutine to completion on a fresh event loop (no pytest-asyncio here)."""
    return asyncio.run(coro)  # type: ignore[arg-type]
