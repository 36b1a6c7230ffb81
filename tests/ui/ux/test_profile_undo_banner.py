"""Issue 14, item 11: after Ctrl+Z of a profile delete the banner says the profile was restored
(it no longer says "deleted"); redo says "deleted" again."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.ui.profiles.helpers import App, await_on_loop, click_box_button

pytestmark = pytest.mark.gui


def test_undoing_a_profile_delete_updates_the_banner(qtbot, app: App) -> None:
    profile = await_on_loop(qtbot, app.services.profiles.create("Mia"))
    area = app.profiles_area
    qtbot.waitUntil(lambda: area.select_profile(profile.id))
    box = area.delete_selected()
    assert box is not None
    click_box_button(box, "Delete profile")
    bar = app.window.message_bar
    qtbot.waitUntil(lambda: bar.text() == "Profile “Mia” deleted. Undo with Ctrl+Z.")
    qtbot.waitUntil(lambda: area.model.rowCount() == 0)

    app.window.activateWindow()
    qtbot.waitUntil(app.window.isActiveWindow)
    area.grid.setFocus()
    qtbot.keyClick(app.window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: area.model.rowCount() == 1, timeout=10_000)
    qtbot.waitUntil(lambda: bar.text() == "Profile “Mia” restored.")
    assert bar.isVisible() and "deleted" not in bar.text_label.text()

    qtbot.keyClick(
        app.window,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: area.model.rowCount() == 0, timeout=10_000)
    qtbot.waitUntil(lambda: bar.text() == "Profile “Mia” deleted. Undo with Ctrl+Z.")
