"""Offline: every change is kept and queued; after a restart of the app and of the server,
everything arrives exactly once. Starting offline with an expired session deletes nothing and
shows the user as offline (still signed in), and nothing is ever read with the anon key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from studio_desktop.domain.models import Profile
from studio_desktop.domain.status import SyncState
from studio_desktop.sync.errors import AuthRequiredError
from studio_desktop.sync.secrets import SecretStore, service_name
from studio_desktop.sync.session import SESSION_KEY, SessionRecord
from tests.sync.conftest import plaintext_keyring
from tests.sync.factories import add_job, add_profile
from tests.sync.helpers import count_server, mirror_rows, open_device, run, server_rows

pytestmark = [pytest.mark.pg, pytest.mark.gateway]


def _objects(dsn: str, user_id: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT bucket_id, name, metadata->>'mimetype' FROM storage.objects "
            "WHERE name LIKE %s ORDER BY name",
            (f"{user_id}/%",),
        ).fetchall()
    return [(str(a), str(b), str(c)) for a, b, c in rows]


def save_expired_session(root: Path, url: str, minted: dict[str, Any], email: str) -> None:
    """Put an already-expired session (with a working refresh token) where a device keeps it."""
    record = SessionRecord(
        access_token=minted["access_token"],
        refresh_token=minted["refresh_token"],
        expires_at=int(minted["expires_at"]),
        user_id=str(minted["user"]["id"]),
        email=email,
    )
    secrets = SecretStore(
        service_name(url), root / "secrets", backend=plaintext_keyring(root / "keyring")
    )
    secrets.set(SESSION_KEY, record.to_json())


def test_offline_changes_arrive_exactly_once_after_both_restart(
    tmp_path: Path, gateway: Any, gateway_db: str, make_user: Any, anon_key: str
) -> None:
    user = make_user()

    async def offline_work() -> dict[str, int]:
        device = await open_device(tmp_path / "a", gateway.url, anon_key, user)
        try:
            keep = add_job(device.store, outputs=1)
            await device.sync()
            gateway.stop()
            for n in range(5):
                add_job(device.store, outputs=2, files=True, prompt=f"offline {n}")
            profile = add_profile(device.store, "Offline profile")
            device.store.rows.save(Profile(id=profile.id, user_id=user.id, name="Renamed"))
            device.store.rows.delete("jobs", keep.id)
            queued = device.store.outbox.counts().pending
            assert (
                queued == 5 * 3 + 10 + 2 + 1 + 1
            )  # rows + uploads + profile x2 + delete + removal
            report = await device.sync(expect_ok=False)
            assert not report.ok
            status = device.engine.status
            assert status.state == SyncState.OFFLINE
            assert status.queued == queued
            assert status.account == user.email
            assert device.store.outbox.counts().pending == queued  # nothing lost, nothing sent
            return {t: device.store.rows.count(t) for t in ("jobs", "job_outputs", "profiles")}
        finally:
            await device.close()

    local_counts = run(offline_work)
    gateway.start()

    async def after_restart() -> None:
        device = await open_device(tmp_path / "a", gateway.url, anon_key)  # restored session
        other = await open_device(tmp_path / "b", gateway.url, anon_key, user)
        try:
            await device.sync()
            await device.sync()  # a second cycle sends nothing again
            assert device.store.outbox.counts().pending == 0
            await other.sync()
            server = server_rows(gateway_db, user.id)
            assert {t: len(server[t]) for t in local_counts} == local_counts
            assert mirror_rows(device.store) == server == mirror_rows(other.store)
            objects = _objects(gateway_db, user.id)
            assert len(objects) == 10  # each file exactly once, with its real content type
            assert {o[2] for o in objects} == {"image/png"}
        finally:
            await device.close()
            await other.close()

    run(after_restart)
    assert count_server(gateway_db, user.id)["profiles"] == 1


def test_starting_offline_with_an_expired_session_deletes_nothing(
    tmp_path: Path, gateway: Any, gateway_db: str, make_user: Any, anon_key: str
) -> None:
    user = make_user()
    root = tmp_path / "d"

    async def first_run() -> dict[str, Any]:
        device = await open_device(root, gateway.url, anon_key, user)
        try:
            for _ in range(3):
                add_job(device.store, outputs=2)
            await device.sync()
            return mirror_rows(device.store)
        finally:
            await device.close()

    before = run(first_run)
    save_expired_session(root, gateway.url, gateway.mint_session(user.id, ttl=-60), user.email)
    gateway.stop()

    async def offline_start() -> None:
        device = await open_device(root, gateway.url, anon_key)
        try:
            assert device.session.signed_in
            # supabase-py would send the anon key now; the puller refuses to read with it.
            assert device.session.connection.bearer_token() is None
            with pytest.raises(AuthRequiredError):
                await device.engine.puller.pull()
            report = await device.sync(expect_ok=False)
            status = device.engine.status
            assert status.state == SyncState.OFFLINE  # offline, NOT signed out
            assert status.account == user.email
            assert device.session.signed_in
            assert mirror_rows(device.store) == before  # nothing deleted
            assert report.requests >= 1  # the refresh attempt, nothing else

            gateway.start()
            gateway.log.clear()
            gateway.faults.fail_next(1, 503, paths="/auth/v1/token")
            await device.sync(expect_ok=False)
            assert device.engine.status.state == SyncState.OFFLINE
            assert gateway.log.count("/rest/") == 0  # never pulled without the user's token
            assert mirror_rows(device.store) == before

            await device.sync()  # the refresh works now
            assert device.engine.status.state == SyncState.UP_TO_DATE
            assert mirror_rows(device.store) == before == server_rows(gateway_db, user.id)
        finally:
            await device.close()

    run(offline_start)
