"""Live sync end to end: two devices of one user (real stores, real supabase-py, the real
Realtime client) against the test stack; a change on A reaches B by a Realtime hint and a pull,
well before B's 30 s poll would. Faults: dropped sockets mid-burst, a gateway restart, stalled
heartbeats, a token expiring while subscribed, 1,000 changes in one transaction, Realtime
disabled. Every case ends with B's mirror equal to the server and its pulls counted."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from studio_desktop.sync.engine import SyncOptions
from studio_desktop.sync.live import LiveOptions
from tests.stack.gateway import ANON_KEY, Gateway
from tests.stack.gateway_fixtures import GatewayUser
from tests.sync.factories import add_profile
from tests.sync.helpers import FAST_RETRY, Device, mirror_rows, open_device, server_rows

pytestmark = [pytest.mark.pg, pytest.mark.gateway]

FAST_LIVE = LiveOptions(
    debounce=0.1,
    heartbeat_interval=0.5,
    heartbeat_timeout=0.5,
    join_timeout=3.0,
    backoff_min=0.1,
    backoff_max=0.5,
    refused_backoff=1.0,
    lag_retry=0.1,
    lag_retry_max=0.5,
)


def run(body: Callable[[], Any], timeout: float = 90.0) -> Any:
    """Run an async test body on a fresh loop; if it hangs, say where every task is."""

    async def bounded() -> Any:
        task = asyncio.ensure_future(body())
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:
            stacks = []
            for other in asyncio.all_tasks():
                chain, awaited = [], other.get_coro()
                while awaited is not None:
                    frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
                    if frame is not None:
                        chain.append(f"{frame.f_code.co_name}:{frame.f_lineno}")
                    awaited = getattr(awaited, "cr_await", None) or getattr(
                        awaited, "gi_yieldfrom", None
                    )
                stacks.append(f"{other.get_name()}: {' -> '.join(chain)}")
            print("HUNG TASKS:\n" + "\n".join(stacks), flush=True)
            task.cancel()
            raise AssertionError("the test body hung:\n" + "\n".join(stacks))
        return task.result()

    return asyncio.run(bounded())


def live_options(interval: float = 30.0, **live: Any) -> SyncOptions:
    """B's engine: polls every ``interval`` (30 s: the app's), live hints in between."""
    return SyncOptions(
        retry=FAST_RETRY,
        interval=interval,
        backoff_min=0.05,
        backoff_max=0.2,
        wake_debounce=0.0,
        live=dataclasses.replace(FAST_LIVE, **live),
    )


async def until(check: Callable[[], bool], timeout: float, what: str) -> float:
    """Wait (on the loop) until ``check()``; return the seconds it took."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


def insert_profiles(dsn: str, user_id: str, count: int, one_transaction: bool) -> None:
    """Rows written by "elsewhere" (the web app): straight into Postgres as the superuser."""
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
                "INSERT INTO public.profiles (user_id, name) VALUES (%s, %s)",
                (user_id, f"web {i}"),
            )


async def in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


def converged(device: Device, dsn: str, user_id: str) -> bool:
    return mirror_rows(device.store) == server_rows(dsn, user_id)


async def two_devices(
    tmp_path: Path, gateway: Gateway, user: GatewayUser, options: SyncOptions
) -> tuple[Device, Device]:
    a = await open_device(tmp_path / "a", gateway.url, ANON_KEY, user)
    b = await open_device(tmp_path / "b", gateway.url, ANON_KEY, user, options=options)
    await a.sync_until_quiet()
    await b.sync_until_quiet()
    return a, b


async def start_live(device: Device) -> None:
    device.engine.start()
    await until(lambda: device.engine.status.live, 10, "the live channel")
    await until(
        lambda: device.engine.live is not None and device.engine.live.wakes >= 1,
        5,
        "the catch-up pull",
    )


def test_a_change_on_a_reaches_b_in_seconds_not_at_the_next_poll(
    tmp_path: Path, gateway: Gateway, make_user: Callable[..., GatewayUser], gateway_db: str
) -> None:
    user = make_user()

    async def body() -> None:
        a, b = await two_devices(tmp_path, gateway, user, live_options())
        try:
            await start_live(b)
            assert b.engine.status.live
            profile = await in_thread(add_profile, a.store, "From the laptop")
            await a.sync()
            took = await until(
                lambda: bool(
                    b.store.db.query("SELECT 1 FROM profiles WHERE id = ?", (profile.id,))
                ),
                5,
                "the profile on B",
            )
            assert took < 2.0
            assert b.engine.live is not None and b.engine.live.hints >= 1
            await until(lambda: converged(b, gateway_db, user.id), 5, "convergence")
        finally:
            await b.close()
            await a.close()

    run(body)


def test_no_event_reaches_another_user_or_anon(
    tmp_path: Path, gateway: Gateway, make_user: Callable[..., GatewayUser], gateway_db: str
) -> None:
    """A third user's device is live on its own topic and hears nothing of user 1's 30
    transactions; the gateway counts who got each broadcast about user 1's rows."""
    first, third = make_user(), make_user()

    async def body() -> tuple[int, int]:
        b = await open_device(tmp_path / "b", gateway.url, ANON_KEY, first, options=live_options())
        c = await open_device(tmp_path / "c", gateway.url, ANON_KEY, third, options=live_options())
        try:
            await start_live(b)
            await start_live(c)
            await in_thread(insert_profiles, gateway_db, first.id, 30, False)
            await until(lambda: converged(b, gateway_db, first.id), 10, "B converged")
            await asyncio.sleep(0.5)
            assert c.engine.live is not None and b.engine.live is not None
            return c.engine.live.hints, b.engine.live.hints
        finally:
            await c.close()
            await b.close()

    third_hints, first_hints = run(body)
    assert third_hints == 0
    assert first_hints >= 1
    about_first = [d for d in gateway.realtime.deliveries if d.topic == f"sync:{first.id}"]
    assert about_first and {d.subscriber for d in about_first} == {first.id}
    assert not [d for d in gateway.realtime.deliveries if d.subscriber == "anon"]


def test_a_thousand_changes_in_one_transaction_cost_a_handful_of_pulls(
    tmp_path: Path,
    gateway: Gateway,
    make_user: Callable[..., GatewayUser],
    gateway_db: str,
    record_property: Callable[[str, object], None],
) -> None:
    user = make_user()

    async def body() -> tuple[int, int]:
        a, b = await two_devices(tmp_path, gateway, user, live_options())
        try:
            await start_live(b)
            await asyncio.sleep(0.3)
            before = b.session.connection.requests
            await in_thread(insert_profiles, gateway_db, user.id, 1000, True)
            await until(lambda: converged(b, gateway_db, user.id), 15, "1,000 rows on B")
            await asyncio.sleep(0.5)
            assert b.engine.live is not None
            return b.session.connection.requests - before, b.engine.live.hints
        finally:
            await b.close()
            await a.close()

    requests, hints = run(body)
    record_property("pull_requests_for_1000_in_one_transaction", requests)
    assert hints == 1  # one broadcast per owner per transaction
    assert requests <= 4


def test_a_burst_of_single_row_transactions_costs_a_handful_of_pulls_and_survives_a_drop(
    tmp_path: Path,
    gateway: Gateway,
    make_user: Callable[..., GatewayUser],
    gateway_db: str,
    record_property: Callable[[str, object], None],
) -> None:
    """400 transactions in a row; the socket is cut in the middle of them."""
    user = make_user()

    async def body() -> tuple[int, int, int]:
        a, b = await two_devices(tmp_path, gateway, user, live_options())
        try:
            await start_live(b)
            live = b.engine.live
            assert live is not None
            before = b.session.connection.requests
            writer = asyncio.ensure_future(
                in_thread(insert_profiles, gateway_db, user.id, 400, False)
            )
            await until(lambda: live.hints >= 20, 20, "the burst under way")
            assert await in_thread(gateway.realtime.drop_sockets) >= 1
            await writer
            await until(lambda: converged(b, gateway_db, user.id), 20, "convergence")
            await until(lambda: b.engine.status.live, 10, "live again")
            await until(lambda: converged(b, gateway_db, user.id), 5, "convergence after rejoin")
            return b.session.connection.requests - before, live.hints, live.connects
        finally:
            await b.close()
            await a.close()

    requests, hints, connects = run(body)
    record_property("pull_requests_for_400_transactions_with_a_drop", requests)
    record_property("hints_received", hints)
    assert connects >= 2
    assert requests < 100  # 400 hints -> far fewer pulls


def test_gateway_restart_polling_meanwhile_then_live_again(
    tmp_path: Path, gateway: Gateway, make_user: Callable[..., GatewayUser], gateway_db: str
) -> None:
    user = make_user()

    async def body() -> None:
        a, b = await two_devices(tmp_path, gateway, user, live_options(interval=1.5))
        try:
            await start_live(b)
            await in_thread(gateway.stop)
            await until(lambda: not b.engine.status.live, 3, "B noticing the socket is gone")
            await in_thread(insert_profiles, gateway_db, user.id, 5, False)  # while it is down
            await asyncio.sleep(0.5)
            await in_thread(gateway.start)
            await until(lambda: b.engine.status.live, 10, "live again after the restart")
            await until(lambda: converged(b, gateway_db, user.id), 10, "convergence")
        finally:
            await b.close()
            await a.close()

    run(body)


def test_stalled_heartbeats_polling_takes_over_within_one_interval(
    tmp_path: Path,
    gateway: Gateway,
    make_user: Callable[..., GatewayUser],
    gateway_db: str,
    record_property: Callable[[str, object], None],
) -> None:
    """The server stops answering heartbeats but keeps the socket open (the client library
    still says connected): B declares it dead, polls at its interval, and a change made
    meanwhile arrives within one interval; when heartbeats come back, B is live again."""
    user = make_user()
    interval = 2.0

    async def body() -> tuple[float, float]:
        a, b = await two_devices(tmp_path, gateway, user, live_options(interval=interval))
        try:
            await start_live(b)
            gateway.realtime.stall_heartbeats = True
            detected = await until(lambda: not b.engine.status.live, 5, "a dead socket noticed")
            await in_thread(insert_profiles, gateway_db, user.id, 1, False)
            arrived = await until(
                lambda: converged(b, gateway_db, user.id), interval + 2.0, "the change by polling"
            )
            gateway.realtime.stall_heartbeats = False
            await until(lambda: b.engine.status.live, 10, "live again")
            return detected, arrived
        finally:
            await b.close()
            await a.close()

    detected, arrived = run(body)
    record_property("dead_socket_detected_s", round(detected, 2))
    record_property("change_by_polling_s", round(arrived, 2))
    assert arrived <= interval + 1.0


def test_a_token_expiring_while_subscribed_is_renewed_and_the_channel_stays(
    tmp_path: Path, gateway: Gateway, make_user: Callable[..., GatewayUser], gateway_db: str
) -> None:
    """Tokens live 4 s: B refreshes before expiry and hands the new token to the socket
    (set_auth), so the server never closes the channel; hints keep coming."""
    user = make_user()
    gateway.set_auth(access_token_ttl=4)

    async def body() -> tuple[int, list[str]]:
        a = await open_device(tmp_path / "a", gateway.url, ANON_KEY, user, refresh_margin=2.0)
        b = await open_device(
            tmp_path / "b",
            gateway.url,
            ANON_KEY,
            user,
            options=live_options(token_margin=2.0),
            refresh_margin=2.0,
        )
        try:
            await a.sync_until_quiet()
            await b.sync_until_quiet()
            await start_live(b)
            live = b.engine.live
            assert live is not None
            first_token = b.session.record.access_token if b.session.record else ""
            await asyncio.sleep(6.0)  # past the first token's life
            assert b.session.record is not None
            assert b.session.record.access_token != first_token
            await in_thread(insert_profiles, gateway_db, user.id, 1, False)
            await until(lambda: converged(b, gateway_db, user.id), 3, "the change, live")
            return live.connects, list(live.failures)
        finally:
            await b.close()
            await a.close()

    connects, failures = run(body)
    assert connects == 1, failures
    assert failures == []


def test_a_join_with_an_expired_token_refreshes_first(
    tmp_path: Path, gateway: Gateway, make_user: Callable[..., GatewayUser], gateway_db: str
) -> None:
    """B's saved session has an expired token (laptop asleep overnight): the first join is
    made with a refreshed one, never refused."""
    user = make_user()

    async def body() -> list[str]:
        b = await open_device(tmp_path / "b", gateway.url, ANON_KEY, user, options=live_options())
        try:
            await b.sync_until_quiet()
            record = b.session.record
            assert record is not None
            minted = gateway.mint_session(user.id, ttl=-60)
            from dataclasses import replace

            expired = replace(
                record,
                access_token=minted["access_token"],
                refresh_token=minted["refresh_token"],
                expires_at=int(time.time()) - 60,
            )
            b.session.storage.save(expired)
            b.session.record = expired
            await start_live(b)
            assert b.engine.live is not None
            return list(b.engine.live.failures)
        finally:
            await b.close()

    assert run(body) == []


def test_realtime_disabled_means_polling_as_before(
    tmp_path: Path, gateway: Gateway, make_user: Callable[..., GatewayUser], gateway_db: str
) -> None:
    user = make_user()
    gateway.realtime.disabled = True

    async def body() -> tuple[bool, list[str]]:
        a, b = await two_devices(tmp_path, gateway, user, live_options(interval=1.0))
        try:
            b.engine.start()
            await asyncio.sleep(0.5)
            await in_thread(insert_profiles, gateway_db, user.id, 3, False)
            await until(lambda: converged(b, gateway_db, user.id), 4, "convergence by polling")
            assert b.engine.live is not None
            return b.engine.status.live, list(b.engine.live.failures)
        finally:
            await b.close()
            await a.close()

    live, failures = run(body)
    assert live is False
    assert failures and "RealtimeDisabledForTenant" in failures[0]


def test_offline_start_polls_and_goes_live_when_the_server_is_back_after_many_failures(
    tmp_path: Path, gateway: Gateway, make_user: Callable[..., GatewayUser], gateway_db: str
) -> None:
    user = make_user()

    async def body() -> None:
        a, b = await two_devices(tmp_path, gateway, user, live_options(interval=1.0))
        try:
            await in_thread(gateway.stop)
            b.engine.start()
            live = b.engine.live
            assert live is not None
            # More failed attempts than the client library's 5 retries: we never give up.
            await until(lambda: len(live.failures) >= 7, 15, "seven failed attempts")
            assert not b.engine.status.live
            await in_thread(gateway.start)
            await until(lambda: b.engine.status.live, 10, "live once the server is back")
            await in_thread(insert_profiles, gateway_db, user.id, 2, False)
            await until(lambda: converged(b, gateway_db, user.id), 5, "convergence")
        finally:
            await b.close()
            await a.close()

    run(body)


def test_idle_with_the_socket_up_only_safety_polls(
    tmp_path: Path, gateway: Gateway, make_user: Callable[..., GatewayUser], gateway_db: str
) -> None:
    """Polling every 0.2 s but live: cycles come at the safety poll (1 s here, 5 min in the
    app), not at the interval; once the socket is down, at the interval again."""
    user = make_user()

    async def body() -> tuple[int, int]:
        b = await open_device(
            tmp_path / "b",
            gateway.url,
            ANON_KEY,
            user,
            options=live_options(interval=0.2, safety_poll=1.0),
        )
        try:
            await b.sync_until_quiet()
            await start_live(b)
            await asyncio.sleep(0.5)
            before = b.session.connection.requests
            await asyncio.sleep(3.0)
            live_requests = b.session.connection.requests - before
            gateway.realtime.disabled = True  # rejoins are refused: it stays down
            await in_thread(gateway.realtime.drop_sockets)
            await until(lambda: not b.engine.status.live, 5, "the socket lost")
            await asyncio.sleep(0.3)
            before = b.session.connection.requests
            await asyncio.sleep(3.0)
            return live_requests, b.session.connection.requests - before
        finally:
            await b.close()

    live_requests, polling_requests = run(body)
    assert live_requests <= 4  # about one safety poll a second
    assert polling_requests >= 8  # about five a second, less the cycle time


def test_a_hint_for_a_change_held_back_by_an_older_transaction_is_pulled_once_it_ends(
    tmp_path: Path, gateway: Gateway, make_user: Callable[..., GatewayUser], gateway_db: str
) -> None:
    """A pull only returns entries below the oldest running transaction. An older transaction
    held open elsewhere hides the hinted change from the first pull; B keeps pulling (with
    backoff) until its cursor is past the hinted xid, instead of waiting for its 30 s poll."""
    user = make_user()

    async def body() -> tuple[bool, float]:
        b = await open_device(tmp_path / "b", gateway.url, ANON_KEY, user, options=live_options())
        older = psycopg.connect(gateway_db)
        try:
            await b.sync_until_quiet()
            await start_live(b)
            await asyncio.sleep(0.3)
            older.execute("SELECT pg_current_xact_id()")  # an xid below the change's
            await in_thread(insert_profiles, gateway_db, user.id, 1, False)
            await asyncio.sleep(1.0)
            early = converged(b, gateway_db, user.id)
            older.commit()
            ended = time.monotonic()
            await until(lambda: converged(b, gateway_db, user.id), 3, "the held-back change")
            return early, time.monotonic() - ended
        finally:
            older.close()
            await b.close()

    early, after_end = run(body)
    assert early is False  # really held back
    assert after_end < 1.5  # lag_retry_max is 0.5 s here


def test_a_channel_error_is_rejoined_with_a_catch_up_pull(
    tmp_path: Path, gateway: Gateway, make_user: Callable[..., GatewayUser], gateway_db: str
) -> None:
    user = make_user()

    async def body() -> int:
        b = await open_device(tmp_path / "b", gateway.url, ANON_KEY, user, options=live_options())
        try:
            await b.sync_until_quiet()
            await start_live(b)
            live = b.engine.live
            assert live is not None
            wakes = live.wakes
            assert await in_thread(gateway.realtime.crash_channels) == 1
            await in_thread(insert_profiles, gateway_db, user.id, 2, False)  # meanwhile
            await until(lambda: live.connects >= 2 and b.engine.status.live, 10, "rejoined")
            await until(lambda: converged(b, gateway_db, user.id), 5, "convergence")
            return live.wakes - wakes
        finally:
            await b.close()

    assert run(body) >= 1
