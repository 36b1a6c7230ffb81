"""The main window around the History's early page (``app.show_early_page``): an area chosen
right after the first paint, before the window's zero-timer ran, is painted before the menus
are filled (a turn later), and File ▸ Export's state set before the menus exist is kept."""

from __future__ import annotations

from typing import Any

from studio_desktop.app import wait_for_first_paint
from studio_desktop.store.locations import DataDirs
from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.main_window import MainWindow


def test_menus_come_after_an_area_chosen_early_and_keep_the_export_state(
    qtbot: Any, data_dirs: DataDirs
) -> None:
    window = MainWindow(data_dirs)
    qtbot.addWidget(window)
    window.resize(1180, 760)
    window.show()
    assert wait_for_first_paint(window, 10_000)
    assert not window._menus_filled, "the first frame has the menu titles only"
    window.set_current_area(AreaKey.HISTORY)  # as the early page does, before the timer ran
    window.set_export_enabled(True, "Export 3 jobs…")
    assert not window._menus_filled, "asking File ▸ Export's state did not fill the menus"
    qtbot.waitUntil(lambda: window._menus_filled, timeout=10_000)
    assert window.current_area_key is AreaKey.HISTORY
    assert window.action_export.isEnabled()
    assert window.action_export.text() == "Export 3 jobs…"
    assert window.area_actions[AreaKey.HISTORY].isChecked()
