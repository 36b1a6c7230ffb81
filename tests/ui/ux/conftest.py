"""The real composition (main window, account service, controller) on a fresh data dir."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from studio_desktop.store.locations import DataDirs
from tests.ui.profiles.helpers import App, app_fixture


@pytest.fixture
def app(qtbot, data_dirs: DataDirs) -> Iterator[App]:
    yield from app_fixture(qtbot, data_dirs)
