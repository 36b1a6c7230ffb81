"""Tokens against Storage as the real server answers (the gateway plays it; see
``tests/gateway/test_storage_answers.py``): an upload refused with ``AccessDenied`` and a download
answered ``NoSuchBucket`` because the token expired between two requests both succeed after ONE
refresh, with nothing parked or marked unavailable; with this computer's clock 10 minutes behind
the server's, a sync cycle refreshes before its first request (also right after a restart); and
a genuine refusal is still parked with its reason, after one refresh to rule out the token.

The token "expires between two requests" by moving the server's clock on
(``gateway.set_clock_offset``): the app learnt the server's time from earlier answers, so it
believes the token is good, sends it, and the server refuses it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import psycopg
import pytest

from studio_desktop.domain.status import SyncState
from studio_desktop.sync.errors import RefusedError
from studio_desktop.sync.session import SessionRecord
from tests.sync.factories import add_job, png_bytes
from tests.sync.helpers import Device, open_device, run, server_rows

pytestmark = [pytest.mark.pg, pytest.mark.gateway]

TTL = 3600  # the gateway's default access-token lifetime


def _uploads(device: Device, job_id: str) -> list[str]:
    return [
        r["storage_path"]
        for r in device.store.db.query(
            "SELECT storage_path FROM job_outputs WHERE job_id = ? ORDER BY storage_path",
            (job_id,),
        )
    ]


def _storage_objects(gateway_db: str, user_id: str) -> set[str]:
    with psycopg.connect(gateway_db) as conn:
        rows = conn.execute(
            "SELECT name FROM storage.objects WHERE owner_id = %s", (user_id,)
        ).fetchall()
    return {r[0] for r in rows}


def test_an_upload_whose_token_expired_since_the_last_request_succeeds_after_one_refresh(
    tmp_path: Path, gateway: Any, gateway_db: str, make_user: Any, anon_key: str
) -> None:
    user = make_user()

    async def body() -> None:
        device = await open_device(tmp_path / "d", gateway.url, anon_key, user)
        try:
            add_job(device.store)
            await device.sync()  # requests with the token: fine
            job = add_job(device.store, outputs=4, files=True)
            before = device.session.record
            assert before is not None
            gateway.set_clock_offset(TTL + 5)  # meanwhile the token expired on the server
            gateway.log.clear()
            report = await device.sync()
            assert device.engine.requester.refreshes == 1
            assert report.push is not None and report.push.parked == 0
            assert report.push.uploads == 4
            assert device.store.outbox.parked() == []
            assert set(_uploads(device, job.id)) <= _storage_objects(gateway_db, user.id)
            assert len(server_rows(gateway_db, user.id)["jobs"]) == 2
            entries = [(e.path, e.status) for e in gateway.log.entries]
            # The first upload(s) got the real server's AccessDenied (HTTP 400, "403"), then ONE
            # refresh, then every upload went through.
            assert entries[0][0].startswith("/storage/v1/object/outputs/"), entries
            assert entries[0][1] == 400, entries
            assert gateway.log.count("/auth/v1/token") == 1
            refreshed_at = [p for p, _ in entries].index("/auth/v1/token")
            assert all(status == 400 for _, status in entries[:refreshed_at]), entries
            assert all(status < 400 for _, status in entries[refreshed_at:]), entries
            after = device.session.record
            assert after is not None and after.refresh_token != before.refresh_token
            assert device.engine.status.state == SyncState.UP_TO_DATE
        finally:
            await device.close()

    run(body)


def test_a_download_answered_no_such_bucket_for_an_expired_token_succeeds_after_one_refresh(
    tmp_path: Path, gateway: Any, make_user: Any, anon_key: str
) -> None:
    user = make_user()

    async def body() -> None:
        a = await open_device(tmp_path / "a", gateway.url, anon_key, user)
        b = await open_device(tmp_path / "b", gateway.url, anon_key, user)
        try:
            job = add_job(a.store, outputs=3, files=True)
            await a.sync()
            await b.sync()
            paths = _uploads(b, job.id)
            assert all(b.store.blobs.get_path("outputs", p) is None for p in paths)

            # On demand (a thumbnail): the token expired since b's last request.
            gateway.set_clock_offset(TTL + 5)
            gateway.log.clear()
            b.engine.requester.new_cycle()
            local = await b.engine.blobs.fetch("outputs", paths[0])
            assert (
                local.read_bytes()
                == (a.store.blobs.get_path("outputs", paths[0]) or Path()).read_bytes()
            )
            assert b.engine.requester.refreshes == 1
            assert [(e.path.startswith("/storage/"), e.status) for e in gateway.log.entries] == [
                (True, 400),  # NoSuchBucket: the server ran the download as anon
                (False, 200),  # the one refresh
                (True, 200),
            ]

            # Queued downloads, several at once, after the server's clock moved on again.
            b.store.blobs.want("outputs", paths[1])
            b.store.blobs.want("outputs", paths[2])
            gateway.set_clock_offset(2 * (TTL + 5))
            gateway.log.clear()
            b.engine.requester.new_cycle()
            report = await b.engine.blobs.download_queued()
            assert (report.downloaded, report.unavailable) == (2, 0)
            assert b.engine.requester.refreshes == 1
            assert gateway.log.count("/auth/v1/token") == 1
            assert b.engine.blobs._unavailable == {}
            for path in paths:
                assert b.store.blobs.get_path("outputs", path) is not None
        finally:
            await a.close()
            await b.close()

    run(body)


def test_with_the_computers_clock_10_minutes_behind_a_cycle_refreshes_first(
    tmp_path: Path, gateway: Any, make_user: Any, anon_key: str
) -> None:
    user = make_user()
    gateway.set_clock_offset(600)  # the server's clock is 10 minutes ahead of this computer's

    def expired_on_the_server(device: Device) -> SessionRecord:
        """A real session whose token the SERVER considers expired 100 s ago, while this
        computer's clock says it has 500 s left (its ``exp`` is the server's time)."""
        minted = gateway.mint_session(user.id, ttl=-100)
        record = device.session.storage.stamped(
            SessionRecord(
                minted["access_token"],
                minted["refresh_token"],
                int(minted["expires_at"]),
                user.id,
                user.email,
            )
        )
        assert record.expires_at - device.session.clock() > 400  # "good" by the local clock
        device.session.storage.save(record)
        device.session.record = record
        return record

    async def first() -> None:
        device = await open_device(tmp_path / "d", gateway.url, anon_key, user)
        try:
            skew = device.session.connection.clock_skew
            assert skew is not None and abs(skew - 600) < 2  # learnt from the sign-in's Date
            await device.session._install()
            expired_on_the_server(device)
            await device.session._install()
            add_job(device.store, outputs=2, files=True)
            gateway.log.clear()
            await device.sync()
            entries = [(e.path, e.status) for e in gateway.log.entries]
            assert entries[0] == ("/auth/v1/token", 200), entries  # refreshed first
            assert all(status < 400 for _, status in entries), entries
            assert gateway.log.count("/auth/v1/token") == 1
            # Next time the app starts, the server's clock is still ahead, and the token
            # has expired there again.
            expired_on_the_server(device)
        finally:
            await device.close()

    async def after_restart() -> None:
        device = await open_device(tmp_path / "d", gateway.url, anon_key)  # restored session
        try:
            assert device.session.connection.clock_skew is not None  # from the saved session
            add_job(device.store, outputs=1, files=True)
            gateway.log.clear()
            await device.sync()
            entries = [(e.path, e.status) for e in gateway.log.entries]
            assert entries[0] == ("/auth/v1/token", 200), entries
            assert all(status < 400 for _, status in entries), entries
        finally:
            await device.close()

    run(first)
    run(after_restart)


def test_a_genuine_refusal_is_still_parked_after_one_refresh(
    tmp_path: Path, gateway: Any, gateway_db: str, make_user: Any, anon_key: str
) -> None:
    alice, bob = make_user(), make_user()

    async def body() -> None:
        device = await open_device(tmp_path / "a", gateway.url, anon_key, alice)
        try:
            # A file queued under Bob's folder: the storage policy refuses it, whoever asks.
            intruder = f"{bob.id}/outputs/x.png"
            device.store.blobs.put("outputs", intruder, png_bytes(3), "image/png", upload=True)
            job = add_job(device.store, outputs=3, files=True)
            gateway.log.clear()
            report = await device.sync()
            assert report.push is not None and report.push.parked == 1
            [parked] = device.store.outbox.parked()
            assert parked.payload["path"] == intruder
            assert "row-level security" in (parked.parked_reason or "")
            assert device.engine.requester.refreshes == 1  # the token was ruled out once
            assert set(_uploads(device, job.id)) <= _storage_objects(gateway_db, alice.id)
            assert intruder not in _storage_objects(gateway_db, bob.id)
            # The next cycle does not try it again, and does not refresh again.
            await asyncio.sleep(0)
            again = await device.sync()
            assert again.push is not None and again.push.parked == 0
            assert device.engine.requester.refreshes == 0
        finally:
            await device.close()

    run(body)


def test_a_bucket_that_really_does_not_exist_is_unavailable_after_one_refresh(
    tmp_path: Path, gateway: Any, make_user: Any, anon_key: str
) -> None:
    user = make_user()

    async def body() -> None:
        device = await open_device(tmp_path / "d", gateway.url, anon_key, user)
        try:
            device.engine.requester.new_cycle()
            with pytest.raises(RefusedError) as info:
                await device.engine.blobs.fetch("no-such-bucket", f"{user.id}/x.png")
            assert "Bucket not found" in info.value.reason
            assert device.engine.requester.refreshes == 1  # the token was ruled out first
            # Queued, it is marked unavailable (not asked again for a while); a second
            # refusal with the token just refreshed costs no second refresh.
            device.store.blobs.want("no-such-bucket", f"{user.id}/y.png")
            report = await device.engine.blobs.download_queued()
            assert (report.downloaded, report.unavailable) == (0, 1)
            assert device.engine.requester.refreshes == 1
        finally:
            await device.close()

    run(body)


def test_with_the_computers_clock_10_minutes_ahead_a_good_token_still_syncs(
    tmp_path: Path, gateway: Any, make_user: Any, anon_key: str
) -> None:
    """supabase-py judges expiry on the local clock: 10 minutes ahead, it drops a token the
    server still accepts for 5 minutes. The cycle refreshes instead of giving up."""
    user = make_user()
    gateway.set_clock_offset(-600)

    async def body() -> None:
        device = await open_device(tmp_path / "d", gateway.url, anon_key, user)
        try:
            minted = gateway.mint_session(user.id, ttl=300)
            record = device.session.storage.stamped(
                SessionRecord(
                    minted["access_token"],
                    minted["refresh_token"],
                    int(minted["expires_at"]),
                    user.id,
                    user.email,
                )
            )
            assert record.expires_at < device.session.clock()  # "expired" by the local clock
            assert not device.session.expires_within(120)  # good for 5 min on the server's
            device.session.storage.save(record)
            device.session.record = record
            add_job(device.store, outputs=2, files=True)
            gateway.log.clear()
            report = await device.sync()
            assert report.push is not None and report.push.pushed == 5
            entries = [(e.path, e.status) for e in gateway.log.entries]
            assert entries[0] == ("/auth/v1/token", 200), entries
            assert all(status < 400 for _, status in entries), entries
            assert device.engine.status.state == SyncState.UP_TO_DATE
        finally:
            await device.close()

    run(body)


def test_a_request_whose_token_is_about_to_expire_refreshes_before_it_is_sent(
    tmp_path: Path, gateway: Any, make_user: Any, anon_key: str
) -> None:
    """Between cycles (an image opened long after the last sync), a token with 20 s left on
    the server's clock is refreshed before the download goes out, not after a refusal."""
    user = make_user()

    async def body() -> None:
        a = await open_device(tmp_path / "a", gateway.url, anon_key, user)
        b = await open_device(tmp_path / "b", gateway.url, anon_key, user)
        try:
            job = add_job(a.store, outputs=1, files=True)
            await a.sync()
            await b.sync()
            [path] = _uploads(b, job.id)
            minted = gateway.mint_session(user.id, ttl=20)
            record = SessionRecord(
                minted["access_token"],
                minted["refresh_token"],
                int(minted["expires_at"]),
                user.id,
                user.email,
            )
            b.session.storage.save(record)
            b.session.record = record
            await b.session._install()
            assert b.session.connection.bearer_token() == record.access_token
            gateway.log.clear()
            b.engine.requester.new_cycle()
            await b.engine.blobs.fetch("outputs", path)
            entries = [(e.path, e.status) for e in gateway.log.entries]
            assert entries == [("/auth/v1/token", 200), (f"/storage/v1/object/outputs/{path}", 200)]
            assert b.engine.requester.refreshes == 1
            assert (
                b.session.record is not None
                and b.session.record.access_token != record.access_token
            )
        finally:
            await a.close()
            await b.close()

    run(body)
