"""pytest plugin: the PostgreSQL test cluster with Supabase's base and the project's migrations.

Registered in ``tests/conftest.py`` (``pytest_plugins``). Fixtures:

- ``pg_cluster`` (session): a running :class:`~tests.stack.pg.PgCluster`, stopped at session end.
- ``supabase_template`` (session): the *name* of a template database holding
  ``tests/stack/supabase_base.sql`` + every ``supabase/migrations/*.sql``. Never connect to it
  (a template with open connections cannot be copied).
- ``supabase_db`` (function): a fresh copy of the template for this test; yields its superuser
  DSN; dropped afterwards.
- ``supabase_module_db`` (module): the same, shared by the tests of one module.

And :func:`as_user` / :func:`as_role`: run SQL inside a transaction as PostgREST would for a
request (``SET LOCAL ROLE`` + ``request.jwt.claims``), so Postgres RLS decides.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import pq

from tests.stack.pg import BASE_SQL, PgCluster, apply_sql_files, migration_files, start_cluster

TEMPLATE_NAME = "supabase_template"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def supabase_template(pg_cluster: PgCluster) -> str:
    """Build the template once per session (base + migrations), then mark it a template."""
    pg_cluster.create_database(TEMPLATE_NAME)
    apply_sql_files(pg_cluster.dsn(TEMPLATE_NAME), [BASE_SQL, *migration_files()])
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{TEMPLATE_NAME}" WITH IS_TEMPLATE true')
    return TEMPLATE_NAME


def _fresh_db(cluster: PgCluster, template: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    # The template may be briefly busy if another fixture is just copying it; retry shortly.
    for attempt in range(50):
        try:
            cluster.create_database(name, template=template)
            break
        except psycopg.errors.ObjectInUse:
            if attempt == 49:
                raise
            time.sleep(0.05)
    try:
        yield cluster.dsn(name)
    finally:
        cluster.drop_database(name)


@pytest.fixture
def supabase_db(pg_cluster: PgCluster, supabase_template: str) -> Iterator[str]:
    """A fresh database (base + migrations) for this test only; yields the superuser DSN."""
    yield from _fresh_db(pg_cluster, supabase_template)


@pytest.fixture(scope="module")
def supabase_module_db(pg_cluster: PgCluster, supabase_template: str) -> Iterator[str]:
    """Like ``supabase_db`` but shared by one test module (cheaper; tests must not collide)."""
    yield from _fresh_db(pg_cluster, supabase_template)


def jwt_claims(user_id: str | None, **extra: Any) -> dict[str, Any]:
    """The claims PostgREST would put in ``request.jwt.claims`` for a Supabase access token
    (``user_id``) or for the anon key (``None``)."""
    now = int(time.time())
    if user_id is None:
        claims: dict[str, Any] = {"iss": "supabase", "role": "anon", "iat": now, "exp": now + 3600}
    else:
        claims = {
            "iss": "supabase-test/auth/v1",
            "sub": user_id,
            "aud": "authenticated",
            "role": "authenticated",
            "iat": now,
            "exp": now + 3600,
            "aal": "aal1",
            "session_id": str(uuid.uuid4()),
            "is_anonymous": False,
        }
    claims.update(extra)
    return claims


@contextlib.contextmanager
def as_role(
    conn: psycopg.Connection[Any], role: str, claims: dict[str, Any]
) -> Iterator[psycopg.Connection[Any]]:
    """One transaction as ``role`` with ``claims``, like a PostgREST request: commits when the
    block ends normally, rolls back when it raises. ``conn`` must be idle (not in a transaction)
    so that the role and claims end with the block."""
    if conn.info.transaction_status != pq.TransactionStatus.IDLE:
        raise RuntimeError(
            "as_user/as_role needs an idle connection (commit or roll back first): "
            "the role and claims must end with the block's own transaction"
        )
    with conn.transaction():
        conn.execute("SELECT set_config('role', %s, true)", (role,))
        # PostgREST >= 10 sets only the whole claims object (auth.uid() also reads the older
        # per-claim settings, which nothing sets any more).
        conn.execute("SELECT set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))
        yield conn


@contextlib.contextmanager
def as_user(
    conn: psycopg.Connection[Any], user_id: str | None, **extra_claims: Any
) -> Iterator[psycopg.Connection[Any]]:
    """Run the block as the signed-in ``user_id`` (role ``authenticated``) or, for ``None``, as
    ``anon`` — inside one transaction, with the JWT claims PostgREST would set."""
    claims = jwt_claims(user_id, **extra_claims)
    with as_role(conn, str(claims["role"]), claims) as c:
        yield c
