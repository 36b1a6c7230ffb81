"""The sync engine's figures of suite ``sync`` (called from ``bench_sync.run``).

They bring up their own stack outside pytest: a PostgreSQL 15 cluster with Supabase's base and
the project's migrations (``tests.stack.pg``), a user, and the Supabase-compatible gateway as a
separate process (``python -m tests.stack.gateway``), so client and server do not share a GIL.
The client side is the real engine with the real supabase-py; every anchor is plain supabase-py
doing the same network work, measured in the same run:

- initial sync of 50,000 rows (10,000 jobs, 30,000 outputs, 10,000 canvas rows, seeded with SQL)
  vs fetching the same keyset pages with plain supabase-py into memory: goal <= 1.25x, judged
  on the median of seven (fetch, sync) pairs' ratios; the medians of each are printed too;
- a cycle with nothing to do: HTTP requests (must be 1) and median ms (goal < 50 ms) vs one
  plain supabase-py ``rpc`` call;
- pushing 1,000 queued changes: ops/s and HTTP requests vs 1,000 single-row inserts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from keyring.backends import fail

from studio_desktop.domain.models import TABLES, Job, JobOutput, new_id
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import open_account_store
from studio_desktop.sync.connection import ConnectionConfig
from studio_desktop.sync.engine import SyncEngine
from studio_desktop.sync.session import make_session
from tests.bench.harness import Bench
from tests.stack.gateway import ANON_KEY, Gateway, GatewayConfig
from tests.stack.gateway_fixtures import GatewaySubprocess, start_gateway_process
from tests.stack.pg import BASE_SQL, PgCluster, apply_sql_files, migration_files, start_cluster

PASSWORD = "bench-password-123"
PAGE = 1000

_SEED = """
INSERT INTO public.jobs (id, user_id, type, status, input_json, created_at, updated_at)
SELECT gen_random_uuid(), %(uid)s::uuid,
       (ARRAY['product_pack','tryon_image','canvas_edit','extract_garment'])[1 + n %% 4],
       'succeeded',
       jsonb_build_object('prompt', 'a linen coat, studio light, number ' || n,
                          'profile_id', gen_random_uuid(),
                          'angles', '["front","back","side"]'::jsonb),
       now() - n * interval '1 second', now() - n * interval '1 second'
  FROM generate_series(1, %(jobs)s) AS n;
INSERT INTO public.job_outputs (job_id, kind, angle, mime_type, storage_path, width, height,
                                created_at)
SELECT j.id, 'image', (ARRAY['front','back','side'])[k], 'image/png',
       %(uid)s::text || '/jobs/' || j.id || '/' || gen_random_uuid() || '.png', 1024, 1536,
       j.created_at
  FROM public.jobs j CROSS JOIN generate_series(1, 3) AS k WHERE j.user_id = %(uid)s::uuid;
INSERT INTO public.canvas_threads (id, user_id, title, created_at, updated_at)
SELECT gen_random_uuid(), %(uid)s::uuid, 'creation ' || n, now() - n * interval '1 second',
       now() - n * interval '1 second'
  FROM generate_series(1, %(each)s) AS n;
INSERT INTO public.canvas_assets (thread_id, user_id, label, created_at, updated_at)
SELECT t.id, %(uid)s::uuid, 'front', t.created_at, t.created_at
  FROM public.canvas_threads t WHERE t.user_id = %(uid)s::uuid;
INSERT INTO public.canvas_conversations (thread_id, user_id, title, created_at, updated_at)
SELECT t.id, %(uid)s::uuid, 'chat', t.created_at, t.created_at
  FROM public.canvas_threads t WHERE t.user_id = %(uid)s::uuid;
INSERT INTO public.canvas_messages (thread_id, user_id, conversation_id, role, text, created_at)
SELECT c.thread_id, %(uid)s::uuid, c.id, 'user', 'make the collar darker', c.created_at
  FROM public.canvas_conversations c WHERE c.user_id = %(uid)s::uuid;
ANALYZE;
"""


@dataclass
class Stack:
    cluster: PgCluster
    dsn: str
    gateway: GatewaySubprocess
    user_id: str
    email: str

    @property
    def url(self) -> str:
        return self.gateway.url


def _make_user(dsn: str, email: str) -> str:
    """Create the user through an in-process gateway (its real sign-up path), then close it."""
    gw = Gateway(GatewayConfig(dsn=dsn, bcrypt_rounds=4))
    gw.start()
    try:
        return str(gw.create_user(email, PASSWORD)["id"])
    finally:
        gw.close()


@contextlib.contextmanager
def stack() -> Iterator[Stack]:
    cluster = start_cluster()
    gateway: GatewaySubprocess | None = None
    try:
        cluster.create_database("bench")
        dsn = cluster.dsn("bench")
        apply_sql_files(dsn, [BASE_SQL, *migration_files()])
        email = "bench@example.test"
        user_id = _make_user(dsn, email)
        gateway = start_gateway_process(dsn, 0)
        yield Stack(cluster, dsn, gateway, user_id, email)
    finally:
        if gateway is not None:
            gateway.terminate()
            for pipe in (gateway.process.stdout, gateway.process.stderr):
                if pipe:
                    pipe.close()
        cluster.stop()


def seed(st: Stack, jobs: int, canvas_rows: int) -> int:
    with psycopg.connect(st.dsn, autocommit=True) as conn:
        params = {"uid": st.user_id, "jobs": jobs, "each": canvas_rows // 4}
        for statement in _SEED.split(";"):
            if statement.strip():
                conn.execute(statement, params)
        total = 0
        for table in TABLES:
            where = (
                "job_id IN (SELECT id FROM public.jobs WHERE user_id = %s)"
                if table == "job_outputs"
                else "user_id = %s"
            )
            row = conn.execute(f"SELECT count(*) FROM public.{table} WHERE {where}", (st.user_id,))
            total += int(row.fetchone()[0])  # type: ignore[index]
    return total


async def open_engine(st: Stack, root: Path) -> SyncEngine:
    session = make_session(
        ConnectionConfig(st.url, ANON_KEY, read_timeout=60.0),
        root / "secrets",
        backend=fail.Keyring(),
    )
    record = await session.sign_in(st.email, PASSWORD)
    store = open_account_store(DataDirs(root), st.url, record.user_id, email=record.email)
    return SyncEngine(store, session)


async def close_engine(engine: SyncEngine) -> None:
    await engine.close()
    await engine.session.connection.close()
    engine.store.close()


async def plain_client(st: Stack) -> Any:
    from supabase import AsyncClientOptions, acreate_client

    client = await acreate_client(st.url, ANON_KEY, AsyncClientOptions(auto_refresh_token=False))
    await client.auth.sign_in_with_password({"email": st.email, "password": PASSWORD})
    return client


async def close_plain(client: Any) -> None:
    await client.auth._http_client.aclose()
    for sub in (client._postgrest, client._storage):
        session = getattr(sub, "session", None)
        if session is not None:
            await session.aclose()


async def plain_fetch_all(client: Any) -> int:
    """The anchor: the same keyset pages, one after the other, into memory."""
    rows = 0
    for table in TABLES:
        after: tuple[str, str] | None = None
        while True:
            query = client.table(table).select("*").order("created_at").order("id").limit(PAGE)
            if after is not None:
                ts, row_id = after
                query = query.or_(f'created_at.gt."{ts}",and(created_at.eq."{ts}",id.gt.{row_id})')
            data = (await query.execute()).data
            rows += len(data)
            if len(data) < PAGE:
                break
            after = (data[-1]["created_at"], data[-1]["id"])
    return rows


# ---------------------------------------------------------------------- the figures
def bench_engine(bench: Bench) -> None:
    logging.getLogger("studio_desktop.sync.secrets").setLevel(logging.ERROR)
    scale = 10 if bench.quick else 1
    jobs, canvas = 10_000 // scale, 10_000 // scale
    with stack() as st:
        started = time.perf_counter()
        total = seed(st, jobs, canvas)
        print(f"  (seeded {total:,} rows in {time.perf_counter() - started:.1f} s)", flush=True)
        asyncio.run(_figures(bench, st, total))


async def _figures(bench: Bench, st: Stack, total: int) -> None:
    # The machine is shared and its speed drifts over seconds: seven pairs (a plain fetch, then
    # a sync, moments apart), and the verdict is the median of the pairs' ratios.
    repeats = 1 if bench.quick else 7
    # ---- initial sync vs plain fetch, alternating, medians
    sync_times: list[float] = []
    fetch_times: list[float] = []
    engine: SyncEngine | None = None
    with tempfile.TemporaryDirectory(prefix="bench-sync-engine-") as tmp:
        client = await plain_client(st)
        try:
            await plain_fetch_all(client)  # warm the server's caches once
            for n in range(repeats):
                t0 = time.perf_counter()
                fetched = await plain_fetch_all(client)
                fetch_times.append(time.perf_counter() - t0)
                assert fetched == total, (fetched, total)
                if engine is not None:
                    await close_engine(engine)
                engine = await open_engine(st, Path(tmp) / f"device-{n}")
                writing = _time_store_work(engine)
                t0 = time.perf_counter()
                report = await engine.run_cycle()
                sync_times.append(time.perf_counter() - t0)
                print(
                    f"  (initial sync {sync_times[-1]:.2f} s, of which writing the mirror "
                    f"{writing[0]:.2f} s; plain fetch {fetch_times[-1]:.2f} s)",
                    flush=True,
                )
                assert report.ok and report.pull is not None, report.error
                stored = sum(engine.store.rows.count(t) for t in TABLES)
                assert stored == total, (stored, total)
            sync_s, fetch_s = statistics.median(sync_times), statistics.median(fetch_times)
            ratio = statistics.median(a / b for a, b in zip(sync_times, fetch_times, strict=True))
            bench.record(
                f"initial sync of {total:,} rows",
                sync_s,
                "s",
                anchor="plain supabase-py, same pages",
                anchor_value=fetch_s,
                goal="<= 1.25x (median of pairs)",
                ok=ratio <= 1.25,
                ratio=ratio,
            )

            # ---- a cycle with nothing to do
            assert engine is not None
            await engine.run_cycle()
            idle: list[float] = []
            requests: list[int] = []
            for _ in range(41 if not bench.quick else 15):
                t0 = time.perf_counter()
                report = await engine.run_cycle()
                idle.append(time.perf_counter() - t0)
                requests.append(report.requests)
                assert report.ok
            rpc: list[float] = []
            for _ in range(41 if not bench.quick else 15):
                t0 = time.perf_counter()
                await client.rpc("sync_pull", {"p_cursor": None, "p_limit": 1}).execute()
                rpc.append(time.perf_counter() - t0)
            bench.record(
                "idle cycle: HTTP requests (max)",
                max(requests),
                "req",
                anchor="one plain supabase-py rpc",
                anchor_value=1,
                goal="1 request",
                ok=max(requests) == 1,
            )
            idle_ms = statistics.median(idle) * 1000
            bench.record(
                "idle cycle: median time",
                idle_ms,
                "ms",
                anchor="one plain supabase-py rpc",
                anchor_value=statistics.median(rpc) * 1000,
                goal="< 50 ms",
                ok=idle_ms < 50,
            )

            # ---- pushing 1,000 queued changes
            changes = _queue_changes(engine, 1000)
            before = engine.connection.requests
            t0 = time.perf_counter()
            pushed = await engine.pusher.push()
            push_s = time.perf_counter() - t0
            push_requests = engine.connection.requests - before
            assert pushed.pushed == changes and pushed.parked == 0, pushed
            single_s = await _single_inserts(client, st.user_id, changes)
            bench.record(
                f"push {changes:,} queued changes",
                changes / push_s,
                "ops/s",
                anchor="1,000 single-row inserts",
                anchor_value=changes / single_s,
                goal="faster than single rows",
                ok=push_s < single_s,
            )
            bench.record(
                f"push {changes:,} queued changes: requests",
                push_requests,
                "req",
                anchor="1,000 single-row inserts",
                anchor_value=changes,
                goal="batched (<= 1 per 100)",
                ok=push_requests <= changes / 100,
            )
        finally:
            if engine is not None:
                await close_engine(engine)
            await close_plain(client)


def _time_store_work(engine: SyncEngine) -> list[float]:
    """Seconds the engine's store thread spends (the SQLite writes), accumulated in [0]."""
    spent = [0.0]
    original = engine.runner.run

    async def timed(fn: Any, *args: Any, **kwargs: Any) -> Any:
        def work() -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - started

        return await original(work)

    engine.runner.run = timed  # type: ignore[method-assign]
    return spent


def _queue_changes(engine: SyncEngine, count: int) -> int:
    """250 jobs with 3 outputs each: 1,000 outbox entries, written as the app would."""
    store = engine.store
    made = 0
    while made < count:
        job = Job(id=new_id(), user_id=store.user_id, type="product_pack", input_json={"n": made})
        outputs = [
            JobOutput(id=new_id(), job_id=job.id, kind="image", angle="front", width=64, height=64)
            for _ in range(3)
        ]
        store.rows.save_many([job, *outputs])
        made += 4
    return made


async def _single_inserts(client: Any, user_id: str, count: int) -> float:
    t0 = time.perf_counter()
    made = 0
    while made < count:
        job_id = new_id()
        await (
            client.table("jobs")
            .insert({"id": job_id, "user_id": user_id, "type": "product_pack", "input_json": {}})
            .execute()
        )
        made += 1
        for _ in range(3):
            await (
                client.table("job_outputs")
                .insert(
                    {"id": new_id(), "job_id": job_id, "kind": "image", "width": 64, "height": 64}
                )
                .execute()
            )
            made += 1
    return time.perf_counter() - t0
