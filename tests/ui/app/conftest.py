"""The whole app against the test stack: a real keyring backend per test (keyrings.alt's file
keyring in a temp dir), fast sync timings, and a spy on what the status bar is told."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from studio_desktop.domain.status import SyncState, SyncStatus
from studio_desktop.store.locations import DataDirs
from tests.sync.conftest import plaintext_keyring
from tests.sync.helpers import fast_options
from tests.ui.profiles.helpers import App, close_app, open_app


class StatusSpy:
    """Every status the window's status bar is given, in order (it still renders each)."""

    def __init__(self, app: App) -> None:
        self.seen: list[SyncStatus] = []
        window = app.window
        original = window.set_sync_status

        def spy(status: SyncStatus) -> None:
            self.seen.append(status)
            original(status)

        window.set_sync_status = spy  # type: ignore[method-assign]

    @property
    def states(self) -> list[SyncState]:
        out: list[SyncState] = []
        for status in self.seen:
            if not out or out[-1] is not status.state:
                out.append(status.state)
        return out


@pytest.fixture
def keyring_backend(tmp_path: Path) -> Any:
    return plaintext_keyring(tmp_path / "keyring")


@pytest.fixture
def launch(qtbot, data_dirs: DataDirs, keyring_backend: Any) -> Iterator[Callable[[], App]]:
    """``launch()`` starts the app (again) on the same data dir; every launch is closed after."""
    opened: list[App] = []

    def start() -> App:
        app = open_app(
            qtbot,
            data_dirs,
            keyring_backend=keyring_backend,
            sync_options=fast_options(),
            connect_timeout=1.0,
        )
        opened.append(app)
        return app

    yield start
    for app in opened:
        close_app(qtbot, app)
