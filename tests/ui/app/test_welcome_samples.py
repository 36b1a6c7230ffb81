"""The first start of the local workspace: the controller shows the welcome, and its "Try it
with sample images" fills the workspace through the real services, then the welcome goes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt

from studio_desktop.services.samples import PROFILE_NAME
from studio_desktop.store.locations import DataDirs
from tests.ui.profiles.helpers import App, app_fixture

pytestmark = pytest.mark.gui


@pytest.fixture
def app(qtbot, data_dirs: DataDirs) -> Iterator[App]:
    yield from app_fixture(qtbot, data_dirs, welcome=True)


def test_the_first_start_welcomes_and_adds_samples(qtbot, app: App) -> None:
    panel = app.window.welcome
    assert panel is not None and panel.isVisible()
    qtbot.mouseClick(panel.samples_button, Qt.MouseButton.LeftButton)
    store = app.services.store
    qtbot.waitUntil(lambda: app.window.welcome is None, timeout=60_000)
    assert [p.name for p in store.queries.profiles()] == [PROFILE_NAME]
    assert store.rows.count("canvas_assets") == 2
    assert store.rows.count("jobs") >= 1  # the sample product pack
    assert "remove the bag" in app.window.message_bar.text()


def test_the_welcome_stays_over_every_screen(qtbot, app: App) -> None:
    """Switching screens while the welcome is open keeps its card on top (the stack raises
    the page it shows, which hid the card or drew the screen through it)."""
    from studio_desktop.ui.areas import AreaKey

    window = app.window
    panel = window.welcome
    assert panel is not None and panel.isVisible()
    centre = panel.card.geometry().center()
    for key in (AreaKey.PROFILES, AreaKey.CANVAS, AreaKey.HISTORY):
        window.set_current_area(key)
        qtbot.wait(20)
        assert window.stack.children()[-1] is panel  # the topmost child of the stack
        top = window.stack.childAt(centre)
        assert top is not None and (top is panel or panel.isAncestorOf(top)), key
