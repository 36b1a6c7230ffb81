"""View ▸ Full screen (F11): the window over the whole screen and back, in the middle of an
edit, without losing the edit, its reply, the painted mask or the shown image."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest

from tests.ui.canvas.conftest import image_stroke, open_creation_from, scene, write_png
from tests.ui.canvas.test_chat import messages, wait_reply

pytestmark = pytest.mark.gui


def test_full_screen_and_back_during_an_edit(qtbot, window, area, tmp_path: Path) -> None:
    path = write_png(tmp_path / "in", "bag.png", scene((400, 300)))
    open_creation_from(qtbot, area, [path])
    action = window.action_full_screen
    assert action.shortcut() == QKeySequence(QKeySequence.StandardKey.FullScreen)
    assert "Full screen" in action.text().replace("&", "")
    area.canvas.set_brush_size(40)
    image_stroke(area, [(150, 120), (250, 140)])
    asset = area.current_asset_id
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    area.chat.input.setFocus()
    area.chat.input.setPlainText("make it navy")
    QTest.keyClick(area.chat.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    action.trigger()  # while the edit runs
    qtbot.waitUntil(window.isFullScreen, timeout=5_000)
    assert action.isChecked()
    reply = wait_reply(qtbot, area)
    assert reply.text and messages(area)[0].text == "make it navy"
    action.trigger()
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=5_000)
    assert not action.isChecked()
    assert area.current_asset_id == asset
    qtbot.waitUntil(lambda: len(area.state.asset(asset).versions) == 2, timeout=10_000)
    assert area.canvas.image is not None
    # The desktop taking the window out of full screen unticks the menu entry.
    window.showFullScreen()
    qtbot.waitUntil(action.isChecked, timeout=5_000)
    window.showNormal()
    qtbot.waitUntil(lambda: not action.isChecked(), timeout=5_000)
