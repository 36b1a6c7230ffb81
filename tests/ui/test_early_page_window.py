"""The main window around the History's early page (``app.show_early_page``): the menus are
filled after the early page's first page is painted (not before it, nor never), and File ▸
Export's state set before the menus exist is kept for them."""

from __future__ import annotations

from typing import Any

from studio_desktop.app import wait_for_first_paint
from studio_desktop.services.history_early import read_early_feed
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import open_local_store
from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.main_window import MainWindow
from tests.services.test_history_feed import seed


def shown_window(qtbot: Any, data_dirs: DataDirs) -> MainWindow:
    window = MainWindow(data_dirs)
    qtbot.addWidget(window)
    window.resize(1180, 760)
    window.show()
    assert wait_for_first_paint(window, 10_000)
    assert not window._menus_filled, "the first frame has the menu titles only"
    return window


def test_the_menus_come_after_the_early_page_is_painted(qtbot: Any, data_dirs: DataDirs) -> None:
    store = open_local_store(data_dirs)
    seed(store, 10, outputs=1)
    store.close()
    early = read_early_feed(data_dirs.workspace().database)
    assert early is not None
    window = shown_window(qtbot, data_dirs)
    area = window.area(AreaKey.HISTORY)
    area.show_early_feed(early)  # type: ignore[attr-defined]
    window.set_current_area(AreaKey.HISTORY)
    painted: list[bool] = []
    area.first_page_painted.connect(lambda: painted.append(window._menus_filled))  # type: ignore[attr-defined]
    window.set_export_enabled(True, "Export 3 jobs…")
    assert not window._menus_filled, "asking File ▸ Export's state did not fill the menus"
    qtbot.waitUntil(lambda: window._menus_filled, timeout=10_000)
    assert painted == [False], "the page was painted (and logged) before the menus were filled"
    assert window.action_export.isEnabled()
    assert window.action_export.text() == "Export 3 jobs…"
    assert window.area_actions[AreaKey.HISTORY].isChecked()
    area.model.close()  # type: ignore[attr-defined]


def test_an_area_chosen_early_without_a_page_to_wait_for_gets_its_menus(
    qtbot: Any, data_dirs: DataDirs
) -> None:
    window = shown_window(qtbot, data_dirs)
    window.set_current_area(AreaKey.PROFILES)
    qtbot.waitUntil(lambda: window._menus_filled, timeout=10_000)
    assert window.current_area_key is AreaKey.PROFILES
    assert window.area_actions[AreaKey.PROFILES].isChecked()
