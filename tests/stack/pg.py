"""A throwaway PostgreSQL 15 cluster for the test session, and helpers to load SQL into it.

The cluster lives in a temp directory under the system temp dir (pytest's ``tmp_path`` is not
reachable by the ``postgres`` OS user). As root, ``initdb`` refuses to run, so every server
binary is run as the ``postgres`` OS user; as a normal user they run directly. Authentication is
``trust`` for local sockets and 127.0.0.1, so any role with LOGIN connects without a password
(the gateway logs in as ``authenticator``, like PostgREST does on Supabase).

Public API (other test modules code against exactly this):

- :class:`PgCluster` (``host``, ``port``, ``socket_dir``, ``superuser``, :meth:`PgCluster.dsn`,
  :meth:`PgCluster.create_database`, :meth:`PgCluster.drop_database`, :meth:`PgCluster.stop`)
- :func:`start_cluster`
- :func:`apply_sql_files`, :func:`migration_files`, :data:`BASE_SQL`, :data:`MIGRATIONS_DIR`
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from psycopg import sql

PG_BIN = Path("/usr/lib/postgresql/15/bin")
REPO_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = REPO_ROOT / "supabase" / "migrations"
#: What Supabase itself provides (roles, ``auth``, ``storage``), applied before the migrations.
BASE_SQL = Path(__file__).resolve().parent / "supabase_base.sql"

SUPERUSER = "postgres"
#: The login role the gateway connects as (NOINHERIT; it switches to anon/authenticated/...).
AUTHENTICATOR = "authenticator"


class PgStackError(RuntimeError):
    """The test cluster could not be started, or SQL could not be applied; the message says why."""


@dataclass
class PgCluster:
    """A running cluster: connect over TCP (``host``/``port``) or the socket in ``socket_dir``."""

    host: str
    port: int
    socket_dir: str
    base_dir: Path
    superuser: str = SUPERUSER
    _run_as_postgres: bool = False
    _stopped: bool = field(default=False, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    def dsn(self, dbname: str, user: str | None = None) -> str:
        """A libpq URL (usable by psycopg, asyncpg and pg_prove-style tools) over TCP."""
        role = user or self.superuser
        return (
            f"postgresql://{quote(role, safe='')}@{self.host}:{self.port}/{quote(dbname, safe='')}"
        )

    def _admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.dsn("postgres"), autocommit=True)

    def create_database(self, name: str, template: str | None = None) -> None:
        """``CREATE DATABASE name [TEMPLATE template]``. The template must have no open
        connections (Postgres refuses to copy a database that is in use)."""
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            # FILE_COPY: for small databases a directory copy beats WAL-logging every block.
            query = sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        with self._admin() as conn:
            conn.execute(query)

    def drop_database(self, name: str) -> None:
        """Drop the database, disconnecting anyone still connected to it; no error if absent."""
        with self._admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def stop(self) -> None:
        """Stop the server at once (``-m immediate``: nothing here needs to survive) and delete
        its files. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        try:
            _run_pg(
                [str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"],
                as_postgres=self._run_as_postgres,
                check=False,
            )
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=True)


def _run_pg(
    args: list[str], *, as_postgres: bool, check: bool = True
) -> subprocess.CompletedProcess[str]:
    kwargs: dict[str, Any] = {}
    if as_postgres:
        kwargs = {"user": "postgres", "group": "postgres", "extra_groups": []}
    result = subprocess.run(
        args, capture_output=True, text=True, check=False, cwd="/", timeout=60, **kwargs
    )
    if check and result.returncode != 0:
        raise PgStackError(
            f"{Path(args[0]).name} failed (exit {result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_cluster() -> PgCluster:
    """initdb + start a fresh cluster on a free port of 127.0.0.1 (about a second).

    Creates the password-less ``authenticator`` LOGIN role too. The caller must :meth:`stop` it;
    an ``atexit`` hook stops it anyway if the process exits first.
    """
    if not (PG_BIN / "initdb").exists():
        raise PgStackError(
            f"PostgreSQL 15 binaries not found in {PG_BIN} (apt-get install postgresql-15)"
        )
    as_postgres = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="studio-pg-"))
    (base / "sock").mkdir()
    if as_postgres:
        import pwd

        pw = pwd.getpwnam("postgres")
        for path in (base, base / "sock"):
            os.chown(path, pw.pw_uid, pw.pw_gid)
        base.chmod(0o700)
    cluster: PgCluster | None = None
    try:
        _run_pg(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(base / "data"),
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "-N",
            ],
            as_postgres=as_postgres,
        )
        last_error: PgStackError | None = None
        for _attempt in range(5):  # another process may grab the free port before we bind it
            port = _free_port()
            options = " ".join(
                [
                    "-c listen_addresses=127.0.0.1",
                    f"-p {port}",
                    f"-k {base / 'sock'}",
                    "-c fsync=off",
                    "-c synchronous_commit=off",
                    "-c full_page_writes=off",
                    "-c max_connections=200",
                ]
            )
            result = _run_pg(
                [
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(base / "data"),
                    "-l",
                    str(base / "server.log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "30",
                    "start",
                ],
                as_postgres=as_postgres,
                check=False,
            )
            if result.returncode == 0:
                cluster = PgCluster(
                    host="127.0.0.1",
                    port=port,
                    socket_dir=str(base / "sock"),
                    base_dir=base,
                    _run_as_postgres=as_postgres,
                )
                break
            log = (
                (base / "server.log").read_text(errors="replace")
                if (base / "server.log").exists()
                else ""
            )
            last_error = PgStackError(f"pg_ctl start failed:\n{result.stderr}\n{log[-2000:]}")
            time.sleep(0.1)
        if cluster is None:
            assert last_error is not None
            raise last_error
        atexit.register(cluster.stop)
        with psycopg.connect(cluster.dsn("postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN NOINHERIT").format(sql.Identifier(AUTHENTICATOR))
            )
        return cluster
    except BaseException:
        if cluster is not None:
            cluster.stop()
        else:
            shutil.rmtree(base, ignore_errors=True)
        raise


def migration_files() -> list[Path]:
    """``supabase/migrations/*.sql`` in the order the Supabase CLI applies them (by name)."""
    return sorted(MIGRATIONS_DIR.glob("*.sql"), key=lambda p: p.name)


def _line_of(text: str, position: int | None) -> str:
    if not position:
        return ""
    line = text.count("\n", 0, position - 1) + 1
    return f" (line {line})"


def apply_sql_files(dsn: str, paths: Sequence[Path]) -> None:
    """Run each file in its own transaction, in the given order, like ``supabase db push``.

    A failing file raises :class:`PgStackError` naming the file, the line and Postgres' message;
    nothing of that file stays applied.
    """
    with psycopg.connect(dsn, autocommit=True) as conn:
        for path in paths:
            text = path.read_text(encoding="utf-8")
            try:
                with conn.transaction():
                    # No parameters: psycopg sends it as one simple query, several statements.
                    conn.execute(text.encode("utf-8"))
            except psycopg.Error as exc:
                diag = exc.diag
                position = int(diag.statement_position) if diag.statement_position else None
                raise PgStackError(
                    f"{path.name}{_line_of(text, position)}: {diag.message_primary or exc}"
                    + (f"\nDETAIL: {diag.message_detail}" if diag.message_detail else "")
                    + (f"\nCONTEXT: {diag.context}" if diag.context else "")
                ) from exc
