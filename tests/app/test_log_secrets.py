"""The log never holds a password, a token or a key: a real sign-in (and a refused one), a token
refresh, sync cycles (a push with uploads, pulls) and a sign-out through the app's sync layer
and the real supabase-py, against the test gateway, with the app's own logging set up at DEBUG
(``--verbose``: httpx and httpcore log every request too), plus the debug lines a careless
change might add (the session record, the request headers). Then the log file and stderr are
grepped for every secret that went over the wire."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from studio_desktop.app import configure_logging
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import open_account_store
from studio_desktop.sync.connection import ConnectionConfig
from studio_desktop.sync.engine import SyncEngine
from studio_desktop.sync.session import SignInError, make_session
from tests.sync.conftest import plaintext_keyring
from tests.sync.factories import add_job, add_profile
from tests.sync.helpers import fast_options

pytestmark = [pytest.mark.pg, pytest.mark.gateway]

WRONG_PASSWORD = "not-the-password-Zq81"


@pytest.fixture
def app_log(tmp_path: Path) -> Iterator[Path]:
    """The app's logging (file + stderr, redacting), verbose, restored afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    noisy = {name: logging.getLogger(name).level for name in ("httpx", "httpcore", "asyncio")}
    for handler in saved[0]:
        root.removeHandler(handler)
    path = configure_logging(tmp_path / "logs", verbose=True)
    try:
        yield path
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        for name, level in noisy.items():
            logging.getLogger(name).setLevel(level)
        logging.captureWarnings(False)


def test_no_secret_reaches_the_log_after_sign_in_and_sync(
    *,
    app_log: Path,
    tmp_path: Path,
    supabase_url: str,
    anon_key: str,
    make_user: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    user = make_user()
    secrets: set[str] = {user.password, anon_key, WRONG_PASSWORD}
    root = tmp_path / "device"

    async def scenario() -> None:
        session = make_session(
            ConnectionConfig(supabase_url, anon_key, connect_timeout=2.0, read_timeout=10.0),
            root / "secrets",
            backend=plaintext_keyring(root / "keyring"),
        )
        with pytest.raises(SignInError):
            await session.sign_in(user.email, WRONG_PASSWORD)
        record = await session.sign_in(user.email, user.password)
        secrets.update({record.access_token, record.refresh_token})
        # What a careless debug line elsewhere in the app would write: the session record
        # (repr and JSON) and the client's real request headers (apikey, Authorization).
        careless = logging.getLogger("studio_desktop.sync.debugging")
        careless.debug("session %r", record)
        careless.debug("stored session %s", record.to_json())
        careless.debug("headers %s", dict(session.connection.client.options.headers))
        store = open_account_store(DataDirs(root), supabase_url, record.user_id, email=user.email)
        engine = SyncEngine(store, session, options=fast_options())
        try:
            add_profile(store, "Ana")
            add_job(store, outputs=2, files=True)
            report = await engine.run_cycle()
            assert report.ok, report.error
            assert report.push is not None and report.push.pushed
            refreshed = await session.refresh()
            secrets.update({refreshed.access_token, refreshed.refresh_token})
            assert (await engine.run_cycle()).ok
            await session.sign_out()
        finally:
            await engine.close()
            await session.connection.close()
            store.close()

    asyncio.run(scenario())
    for handler in logging.getLogger().handlers:
        handler.flush()
    written = app_log.read_text(encoding="utf-8")
    stderr = capsys.readouterr().err

    # The log did record the work (so the check below is not about an empty file)...
    assert "signed in as user" in written
    assert "/auth/v1/token" in written  # httpx's request lines, at DEBUG
    assert "/rest/v1/" in written
    assert "/storage/v1/object/" in written
    # ...and none of the secrets that went over the wire.
    assert all(len(secret) >= 8 for secret in secrets)
    leaked = sorted(s[:6] + "…" for s in secrets if s in written or s in stderr)
    assert leaked == [], f"secrets in the log: {leaked}"
