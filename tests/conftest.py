"""Fixtures every test can use: its own data and config directories, offscreen Qt.

Fixtures for the PostgreSQL cluster and the Supabase-compatible gateway live in
``tests/stack/`` and are registered here as plugins, so any test module can ask for them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

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
