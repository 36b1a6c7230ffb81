"""Devices for the sync tests: one data dir, one store, one session, one engine each, with the
REAL supabase-py client talking to the test gateway."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psycopg

from studio_desktop.domain.models import MODEL_BY_TABLE, TABLES
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import Store, open_account_store
from studio_desktop.sync.connection import ConnectionConfig
from studio_desktop.sync.engine import CycleReport, SyncEngine, SyncOptions
from studio_desktop.sync.retry import RetryPolicy
from studio_desktop.sync.session import SessionManager, make_session
from tests.sync.conftest import plaintext_keyring

T = TypeVar("T")

FAST_RETRY = RetryPolicy(attempts=8, offline_attempts=2, base_delay=0.005, max_delay=0.05)


def fast_options(**changes: Any) -> SyncOptions:
    values: dict[str, Any] = {
        "retry": FAST_RETRY,
        "interval": 0.2,
        "backoff_min": 0.05,
        "backoff_max": 0.2,
        "wake_debounce": 0.0,
    }
    values.update(changes)
    return SyncOptions(**values)


@dataclass
class Device:
    root: Path
    store: Store
    session: SessionManager
    engine: SyncEngine

    async def sync(self, *, expect_ok: bool = True) -> CycleReport:
        report = await self.engine.run_cycle()
        if report.exception is not None:
            raise report.exception
        if expect_ok and not report.ok:
            raise AssertionError(f"sync failed: {report.error!r}")
        return report

    async def sync_until_quiet(self, limit: int = 20) -> CycleReport:
        """Cycles until one pushes and pulls nothing (everything settled)."""
        for _ in range(limit):
            report = await self.sync()
            assert report.push is not None and report.pull is not None
            if not report.push.pushed and not report.pull.upserts and not report.pull.deletes:
                return report
        raise AssertionError("sync did not settle")

    async def close(self) -> None:
        await self.engine.close()
        await self.session.connection.close()
        self.store.close()


async def open_device(
    root: Path,
    url: str,
    anon_key: str,
    user: Any | None = None,
    *,
    options: SyncOptions | None = None,
    refresh_margin: float = 120.0,
) -> Device:
    """Restore the session saved under ``root`` or sign in as ``user``; open its store."""
    session = make_session(
        ConnectionConfig(url, anon_key, connect_timeout=2.0, read_timeout=10.0),
        root / "secrets",
        backend=plaintext_keyring(root / "keyring"),
        refresh_margin=refresh_margin,
    )
    record = await session.restore()
    if record is None:
        assert user is not None, "no saved session and no user to sign in"
        record = await session.sign_in(user.email, user.password)
    store = open_account_store(DataDirs(root), url, record.user_id, email=record.email)
    engine = SyncEngine(store, session, options=options or fast_options())
    return Device(root, store, session, engine)


def run(coro_fn: Callable[[], Awaitable[T]]) -> T:
    """Run an async test body on a fresh loop."""
    return asyncio.run(coro_fn())  # type: ignore[arg-type]


# ---------------------------------------------------------------------- comparing
def _norm(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        from studio_desktop.domain.models import format_ts, parse_ts

        return format_ts(parse_ts(value))
    return value


def server_rows(dsn: str, user_id: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Every row of the user on the server (as superuser: RLS off), by table and id."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    with psycopg.connect(dsn) as conn:
        for table in TABLES:
            columns = MODEL_BY_TABLE[table].columns()
            if table == "job_outputs":
                where = "job_id IN (SELECT id FROM public.jobs WHERE user_id = %s)"
            else:
                where = "user_id = %s"
            cur = conn.execute(
                f"SELECT {', '.join(columns)} FROM public.{table} WHERE {where}", (user_id,)
            )
            out[table] = {
                str(r[0]): {
                    c: _norm(v) if not isinstance(v, dict) else v
                    for c, v in zip(columns, r, strict=True)
                }
                for r in cur.fetchall()
            }
            for row in out[table].values():
                for key, value in row.items():
                    if value is not None and key.endswith("id") and not isinstance(value, str):
                        row[key] = str(value)
    return out


def mirror_rows(store: Store) -> dict[str, dict[str, dict[str, Any]]]:
    """Every row of the local mirror, by table and id, in the server's shape."""
    import json

    out: dict[str, dict[str, dict[str, Any]]] = {}
    for table in TABLES:
        columns = MODEL_BY_TABLE[table].columns()
        rows = store.db.query(f"SELECT {', '.join(columns)} FROM {table}")
        table_rows: dict[str, dict[str, Any]] = {}
        for r in rows:
            row = {c: r[c] for c in columns}
            if "input_json" in row and isinstance(row["input_json"], str):
                row["input_json"] = json.loads(row["input_json"])
            for key in columns:
                if key.endswith("_at") and row[key] is not None:
                    row[key] = _norm(row[key])
            table_rows[str(row["id"])] = row
        out[table] = table_rows
    return out


def count_server(dsn: str, user_id: str) -> dict[str, int]:
    return {t: len(rows) for t, rows in server_rows(dsn, user_id).items()}
