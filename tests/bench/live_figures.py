"""Live sync figures of suite ``sync`` (called from ``bench_sync.run``): Supabase Realtime as a
hint to pull, measured on the same stack as the engine figures (PostgreSQL 15 with the
project's migrations, the gateway as its own process with its Realtime websocket), with the
real engine, supabase-py and its Realtime client on both ends.

- **live propagation**: device A pushes a new profile, 50 times, one after the other; the
  figure is the time from A's push returning (the row is committed on the server) to the row
  being committed in device B's store, whose engine polls every 30 s (the app's interval) and
  is live. p95 and median over the 50. Anchors in the same run: the 30 s poll interval (what B
  would wait, up to, without Realtime) and one plain supabase-py ``sync_pull`` round trip.
- **pulls per burst**: B's HTTP requests while 1,000 rows arrive in ONE transaction, and while
  1,000 single-row transactions arrive back to back (anchor: the number of changes).
- **idle cost**: with the socket up and nothing happening, HTTP requests per minute and
  websocket frames sent per minute, for 1 device and for 20 devices of one user, over a
  measured window (anchor: polling every 30 s, 2 requests a minute a device).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from keyring.backends import fail

from studio_desktop.domain.models import Profile, new_id
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.repository import ChangeSet
from studio_desktop.store.workspace import open_account_store
from studio_desktop.sync.connection import ConnectionConfig
from studio_desktop.sync.engine import SyncEngine, SyncOptions
from studio_desktop.sync.live import LiveOptions
from studio_desktop.sync.session import make_session
from tests.bench.harness import Bench, percentile
from tests.bench.sync_engine_figures import PASSWORD, Stack, close_plain, plain_client, stack
from tests.stack.gateway import ANON_KEY

POLL_INTERVAL = 30.0


def bench_live(bench: Bench) -> None:
    logging.getLogger("studio_desktop.sync.secrets").setLevel(logging.ERROR)
    with stack() as st:
        asyncio.run(_figures(bench, st))


async def _device(st: Stack, root: Path, *, live: bool) -> SyncEngine:
    session = make_session(
        ConnectionConfig(st.url, ANON_KEY, read_timeout=60.0),
        root / "secrets",
        backend=fail.Keyring(),
    )
    record = await session.sign_in(st.email, PASSWORD)
    store = open_account_store(DataDirs(root), st.url, record.user_id, email=record.email)
    options = SyncOptions(interval=POLL_INTERVAL, live=LiveOptions() if live else None)
    engine = SyncEngine(store, session, options=options)
    report = await engine.run_cycle()
    assert report.ok, report.error
    return engine


async def _close(engine: SyncEngine) -> None:
    await engine.close()
    await engine.session.connection.close()
    engine.store.close()


async def _until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


def _arrivals(engine: SyncEngine) -> dict[str, float]:
    """Row id -> when B's store committed it (rows_changed fires after the commit)."""
    seen: dict[str, float] = {}

    def on_change(change: ChangeSet) -> None:
        now = time.perf_counter()
        if change.table == "profiles":
            for row_id in change.ids:
                seen.setdefault(row_id, now)

    engine.store.rows.rows_changed.connect(on_change)
    return seen


def _insert(dsn: str, user_id: str, count: int, one_transaction: bool) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        if one_transaction:
            conn.execute(
                "INSERT INTO public.profiles (user_id, name)"
                " SELECT %s, 'web ' || g FROM generate_series(1, %s) g",
                (user_id, count),
            )
            return
        for i in range(count):
            conn.execute(
                "INSERT INTO public.profiles (user_id, name) VALUES (%s, %s)", (user_id, f"web {i}")
            )


def _server_profiles(dsn: str, user_id: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM public.profiles WHERE user_id = %s", (user_id,)
        ).fetchone()
        return int(row[0]) if row else 0


async def _figures(bench: Bench, st: Stack) -> None:
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        root = Path(tmp)
        a = await _device(st, root / "a", live=False)
        b = await _device(st, root / "b", live=True)
        client = await plain_client(st)
        try:
            b.start()
            await _until(lambda: b.status.live, 20, "B live")
            await asyncio.sleep(0.5)
            arrived = _arrivals(b)
            # ---- propagation: 50 changes, one after the other
            count = 20 if bench.quick else 50
            delays: list[float] = []
            for n in range(count):
                profile = Profile(id=new_id(), user_id=a.store.user_id, name=f"laptop {n}")
                a.store.rows.save_many([profile])
                report = await a.run_cycle()
                assert report.ok and report.push is not None and report.push.pushed == 1
                committed = time.perf_counter()
                await _until(lambda pid=profile.id: pid in arrived, 30, "the row on B")
                delays.append(arrived[profile.id] - committed)
            rtt: list[float] = []
            for _ in range(21):
                t0 = time.perf_counter()
                await client.rpc("sync_pull", {"p_cursor": None, "p_limit": 1}).execute()
                rtt.append(time.perf_counter() - t0)
            p95 = percentile(delays, 95)
            print(
                f"  (propagation over {count}: median {statistics.median(delays) * 1000:.0f} ms,"
                f" max {max(delays) * 1000:.0f} ms)",
                flush=True,
            )
            bench.record(
                f"live propagation p95 ({count} changes)",
                p95,
                "s",
                anchor="30 s poll interval (no Realtime)",
                anchor_value=POLL_INTERVAL,
                goal="< 2 s",
                ok=p95 < 2.0,
            )
            bench.record(
                f"live propagation median ({count} changes)",
                statistics.median(delays) * 1000,
                "ms",
                anchor="one plain pull round trip",
                anchor_value=statistics.median(rtt) * 1000,
                goal="< 2,000 ms",
                ok=statistics.median(delays) < 2.0,
            )

            # ---- pulls per burst
            live = b.live
            assert live is not None
            for one_transaction in (True, False):
                expected = _server_profiles(st.dsn, st.user_id) + 1000
                before = b.session.connection.requests
                hints = live.hints
                started = time.perf_counter()
                await loop.run_in_executor(None, _insert, st.dsn, st.user_id, 1000, one_transaction)
                await _until(
                    lambda n=expected: b.store.rows.count("profiles") == n, 120, "the burst on B"
                )
                took = time.perf_counter() - started
                await asyncio.sleep(1.0)
                pulls = b.session.connection.requests - before
                what = (
                    "1,000 changes in one transaction"
                    if one_transaction
                    else ("1,000 single-row transactions")
                )
                print(
                    f"  ({what}: {live.hints - hints} hint(s), {pulls} request(s), all on B"
                    f" {took:.2f} s after the first write)",
                    flush=True,
                )
                bench.record(
                    f"pulls for {what}",
                    pulls,
                    "req",
                    anchor="changes",
                    anchor_value=1000,
                    goal="a handful (<= 5)" if one_transaction else "<= 50",
                    ok=pulls <= (5 if one_transaction else 50),
                )
        finally:
            await close_plain(client)
            await _close(b)
            await _close(a)

        # ---- idle cost: 1 device, then 20 devices of one user
        window = 15.0 if bench.quick else 60.0
        for devices in (1, 20):
            engines = [
                await _device(st, root / f"idle-{devices}-{i}", live=True) for i in range(devices)
            ]
            try:
                for engine in engines:
                    engine.start()
                await _until(
                    lambda group=engines: all(e.status.live for e in group), 60, "all live"
                )
                await asyncio.sleep(2.0)  # the catch-up pulls are done
                http0 = sum(e.session.connection.requests for e in engines)
                frames0 = sum(e.live.heartbeats_sent for e in engines if e.live)
                await asyncio.sleep(window)
                http = sum(e.session.connection.requests for e in engines) - http0
                frames = sum(e.live.heartbeats_sent for e in engines if e.live) - frames0
                per_minute = http * 60.0 / window
                print(
                    f"  (idle, {devices} device(s), {window:.0f} s: {http} HTTP request(s), "
                    f"{frames} websocket frame(s) sent)",
                    flush=True,
                )
                bench.record(
                    f"idle: HTTP requests/min, {devices} device(s)",
                    per_minute,
                    "req/min",
                    anchor=f"polling every 30 s, {devices} device(s)",
                    anchor_value=2.0 * devices,
                    goal="<= 1 safety poll/5 min each",
                    ok=http <= devices * math.ceil(window / 300.0),
                )
                bench.record(
                    f"idle: websocket frames/min, {devices} device(s)",
                    frames * 60.0 / window,
                    "fr/min",
                    anchor=f"polling every 30 s, {devices} device(s)",
                    anchor_value=2.0 * devices,
                    goal="one heartbeat/15 s each",
                    ok=frames * 60.0 / window <= 4.5 * devices,
                )
            finally:
                for engine in engines:
                    with contextlib.suppress(Exception):
                        await _close(engine)
