"""The welcome tells a designer where to drop a photo (“Edit in Magic Canvas”); on every screen
a photo dragged over the window shows a zone with those words: History's and Profiles' zones,
and the Canvas screen's own drop area with no creation open (it said "Drop to start a new
creation from 1 image" before)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QWidget

from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.welcome import STEPS
from tests.ui.profiles.helpers import App
from tests.ui.ux.test_drops_paste_history import drag_over, garment_photo

pytestmark = pytest.mark.gui


def welcome_target() -> str:
    """The zone the welcome's first step names, in its quotes."""
    named = re.findall(r"“([^”]+)”", STEPS[0].text)
    assert len(named) == 1, STEPS[0].text
    return named[0]


def test_every_screen_shows_the_zone_the_welcome_names(
    qtbot, app: App, tmp_path: Path, scheme: str, screenshot: Callable[[QWidget, str], Path]
) -> None:
    target = welcome_target().casefold()
    assert target == "edit in magic canvas"
    window = app.window
    photo = garment_photo(tmp_path / "tee front.png")
    from tests.ui.conftest import file_mime

    for key in (AreaKey.HISTORY, AreaKey.PROFILES):
        window.set_current_area(key)
        drag_over(window, file_mime([photo]), window.drop_zone_point([photo], "canvas"))
        overlay = window.drop_overlay
        assert overlay.isVisible()
        assert target in [o.label.casefold() for o in overlay.options], key
        overlay.hide()

    window.set_current_area(AreaKey.CANVAS)
    canvas = window.area(AreaKey.CANVAS)
    assert canvas.state is None  # no creation open: a drop starts one
    middle = QPoint(canvas.width() // 2, canvas.height() // 2)
    drag_over(canvas, file_mime([photo]), middle)
    shown = canvas.drop_overlay.text
    assert canvas.drop_overlay.isVisible()
    assert target in shown.casefold(), shown
    assert "new creation" in shown
    screenshot(window, "ux-canvas-drop-wording")
    canvas.drop_overlay.hide()
