"""Fixtures every test can use: its own data and config directories, offscreen Qt.

Fixtures for the PostgreSQL cluster and the Supabase-compatible gateway live in
``tests/stack/`` and are registered here as plugins, so any test module can ask for them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import Store, open_account_store

# Before anything imports Qt: render offscreen, never on the developer's screen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins: list[str] = ["tests.stack.fixtures", "tests.stack.gateway_fixtures"]


@pytest.fixture
def data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh data root for this test only; the user's real data dir is never touched."""
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("STUDIO_DESKTOP_DATA_DIR", str(root))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    yield root


@pytest.fixture
def user_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def store(data_root: Path, user_id: str) -> Iterator[Store]:
    """An account workspace (so every change has its outbox entry) in this test's data root,
    for a project that is never reached. Directories with other needs override it."""
    opened = open_account_store(DataDirs(data_root).ensure(), "http://127.0.0.1:1", user_id)
    try:
        yield opened
    finally:
        opened.close()
