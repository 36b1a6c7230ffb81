"""Sign in/out, the session in a real keyring (and the 0600 file where there is none), refresh
before expiry, offline refresh keeps the session, a refused refresh signs out with a reason."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail

from studio_desktop.domain.status import SyncState
from studio_desktop.sync import secrets as secrets_module
from studio_desktop.sync.connection import ConnectionConfig
from studio_desktop.sync.errors import NotSignedInError, OfflineError, SessionRevokedError
from studio_desktop.sync.secrets import SecretStore, service_name
from studio_desktop.sync.session import (
    SESSION_KEY,
    SessionRecord,
    SessionStorage,
    SignInError,
    make_session,
)
from tests.sync.factories import add_job
from tests.sync.helpers import open_device, run

pytestmark = [pytest.mark.pg, pytest.mark.gateway]


def _config(gateway: Any, anon_key: str) -> ConnectionConfig:
    return ConnectionConfig(gateway.url, anon_key, connect_timeout=2.0, read_timeout=10.0)


@pytest.mark.usefixtures("system_keyring")
def test_session_lives_in_the_system_keyring_and_survives_a_restart(
    tmp_path: Path, gateway: Any, anon_key: str, make_user: Any, caplog: pytest.LogCaptureFixture
) -> None:
    user = make_user()
    caplog.set_level(logging.DEBUG)

    async def body() -> None:
        session = make_session(_config(gateway, anon_key), tmp_path / "secrets")
        record = await session.sign_in(user.email, user.password)
        assert record.user_id == user.id and record.email == user.email
        saved = keyring.get_password(service_name(gateway.url), SESSION_KEY)
        assert saved is not None and record.refresh_token in saved
        assert not (tmp_path / "secrets").exists()  # no fallback file with a real keyring
        await session.connection.close()

        # "Restart": a new manager restores from the keyring without a network round trip.
        again = make_session(_config(gateway, anon_key), tmp_path / "secrets")
        gateway.log.clear()
        restored = await again.restore()
        assert restored == record
        assert again.connection.bearer_token() == record.access_token
        assert gateway.log.count() == 0
        fresh = await again.ensure_fresh()
        assert fresh.access_token == record.access_token and gateway.log.count() == 0

        await again.sign_out()
        assert keyring.get_password(service_name(gateway.url), SESSION_KEY) is None
        assert again.connection.bearer_token() is None  # back to the anon key
        with pytest.raises(NotSignedInError):
            await again.ensure_fresh()
        await again.connection.close()
        return record

    record = run(body)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert record.access_token not in logged and record.refresh_token not in logged
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name != "keyring_pass.cfg":
            assert record.refresh_token.encode() not in path.read_bytes(), path


def test_without_a_keyring_the_session_goes_to_a_private_file(
    tmp_path: Path, gateway: Any, anon_key: str, make_user: Any, caplog: pytest.LogCaptureFixture
) -> None:
    user = make_user()
    secrets_module._warned[0] = False
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    caplog.set_level(logging.WARNING)
    try:

        async def body() -> SessionRecord:
            session = make_session(_config(gateway, anon_key), tmp_path / "secrets")
            assert session.storage.secrets.uses_fallback
            record = await session.sign_in(user.email, user.password)
            await session.refresh()  # a second write: still one warning
            await session.connection.close()
            again = make_session(_config(gateway, anon_key), tmp_path / "secrets")
            restored = await again.restore()
            assert restored is not None and restored.user_id == user.id
            await again.connection.close()
            return record

        run(body)
    finally:
        keyring.set_keyring(previous)
    files = list((tmp_path / "secrets").iterdir())
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700
    warnings = [r for r in caplog.records if "No system keyring" in r.getMessage()]
    assert len(warnings) == 1


def test_fallback_file_is_0600_even_with_a_loose_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        store = SecretStore("studio-desktop:http://x", tmp_path / "s", backend=fail.Keyring())
        store.set("k", "v")
        assert store.get("k") == "v"
        store.delete("k")
        assert store.get("k") is None
    finally:
        os.umask(old)
    (file,) = list((tmp_path / "s").iterdir())
    assert stat.S_IMODE(file.stat().st_mode) == 0o600


def test_wrong_password_is_a_readable_error(
    tmp_path: Path, gateway: Any, anon_key: str, make_user: Any
) -> None:
    user = make_user()

    async def body() -> None:
        session = make_session(_config(gateway, anon_key), tmp_path / "s", backend=fail.Keyring())
        with pytest.raises(SignInError, match="password is not right"):
            await session.sign_in(user.email, "not the password")
        assert not session.signed_in
        await session.connection.close()

    run(body)


def test_refresh_before_expiry_rotates_and_saves_the_refresh_token(
    tmp_path: Path, gateway: Any, anon_key: str, make_user: Any
) -> None:
    user = make_user()
    gateway.set_auth(access_token_ttl=60)  # inside the 120 s margin: refresh before the cycle

    async def body() -> None:
        device = await open_device(tmp_path / "d", gateway.url, anon_key, user)
        try:
            first = device.session.record
            assert first is not None
            gateway.set_auth(access_token_ttl=3600)
            add_job(device.store)
            await device.sync()
            second = device.session.record
            assert second is not None and second.refresh_token != first.refresh_token
            assert second.access_token != first.access_token
            assert device.session.storage.load() == second  # the keyring has the new one
            assert device.session.connection.bearer_token() == second.access_token
            assert gateway.log.count("/auth/v1/token") == 2  # sign-in + one refresh
        finally:
            await device.close()

    run(body)


def test_offline_refresh_keeps_the_session_and_a_refused_one_signs_out(
    tmp_path: Path, gateway: Any, anon_key: str, make_user: Any
) -> None:
    user = make_user()

    async def body() -> None:
        device = await open_device(tmp_path / "d", gateway.url, anon_key, user)
        try:
            job = add_job(device.store)
            record = device.session.record
            assert record is not None
            gateway.stop()
            with pytest.raises(OfflineError):
                await device.session.refresh()
            assert device.session.record == record  # kept: signed in, offline
            assert device.session.storage.load() == record
            report = await device.sync(expect_ok=False)
            assert device.engine.status.state == SyncState.OFFLINE
            assert device.engine.status.account == user.email
            assert report.error is not None
            gateway.start()
            # Someone else uses the refresh token first (rotation): ours becomes invalid.
            other = make_session(
                _config(gateway, anon_key), tmp_path / "other", backend=fail.Keyring()
            )
            client = await other.connection.open()
            await client.auth.refresh_session(record.refresh_token)
            await other.connection.close()
            with pytest.raises(SessionRevokedError) as caught:
                await device.session.refresh()
            assert "Sign in again" in caught.value.message
            assert device.session.record is None
            assert device.session.storage.load() is None
            report = await device.sync(expect_ok=False)
            status = device.engine.status
            assert status.state == SyncState.NEEDS_SIGN_IN
            assert status.detail and "Sign in again" in status.detail
            # The change made before is still queued, waiting for the next sign-in.
            assert status.queued == device.store.outbox.counts().pending == 3
            assert device.store.rows.exists("jobs", job.id)
        finally:
            await device.close()

    run(body)


def test_saving_the_same_session_again_does_not_rewrite_the_keyring(tmp_path: Path) -> None:
    """supabase-py saves back the session it read on every start; a rewrite of an unchanged
    record is a needless window in which a killed process can lose it."""
    secrets = SecretStore("studio-desktop:http://x", tmp_path / "s", backend=fail.Keyring())
    storage = SessionStorage(secrets)
    record = SessionRecord("access", "refresh", 2_000_000_000, "uid", "a@b.c")
    storage.save(record)
    written = secrets.fallback_file.stat().st_mtime_ns
    again = SessionStorage(secrets)  # the next start
    assert again.load() == record
    os.utime(secrets.fallback_file, ns=(written - 10**9, written - 10**9))
    again.save(record)
    assert secrets.fallback_file.stat().st_mtime_ns == written - 10**9  # untouched
    again.save(SessionRecord("access2", "refresh2", 2_000_000_100, "uid", "a@b.c"))
    assert again.load().refresh_token == "refresh2"
