"""The first workspace is shown in the History the window built at start (issue 14, "Content
at once"): its placeholder takes the feed itself, and the feed shows the workspace's jobs."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from studio_desktop.services.account import AccountService
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import open_local_store
from studio_desktop.ui.app_controller import AppController
from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.main_window import MainWindow
from studio_desktop.ui.welcome import DONT_SHOW_KEY
from tests.bench.bench_ui import seed_jobs
from tests.ui.profiles.helpers import App, await_on_loop, close_app


def test_the_history_placeholder_shows_the_first_workspace(qtbot, data_dirs: DataDirs) -> None:
    store = open_local_store(data_dirs)
    seed_jobs(store, 7, 0, statuses=("failed",))
    store.close()
    window = MainWindow(data_dirs)
    account = AccountService(data_dirs)
    controller = AppController(window, account)
    app = App(window, account, controller)
    qtbot.addWidget(window, before_close_func=lambda _w: close_app(qtbot, app))
    window.resize(1240, 800)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.is_area_built(AreaKey.HISTORY))
    placeholder = window.area(AreaKey.HISTORY)
    assert placeholder.services is None  # built before any workspace

    painted: list[bool] = []
    placeholder.first_page_painted.connect(lambda: painted.append(True))
    workspace = await_on_loop(qtbot, controller.start())
    assert window.area(AreaKey.HISTORY) is placeholder
    assert placeholder.services is workspace.services
    qtbot.waitUntil(lambda: bool(painted), timeout=10_000)
    assert placeholder.model.rowCount() == 7
    assert placeholder.pages.currentWidget() is placeholder.feed_page
    assert window.undo_group.activeStack() is placeholder.undo_stack
    await_on_loop(qtbot, controller.settled())
    assert workspace.services.is_built("canvas")


def test_the_welcome_comes_after_the_first_page_of_jobs(qtbot, data_dirs: DataDirs) -> None:
    """A local workspace with jobs, the welcome not turned off: the jobs' first page is painted,
    then the welcome opens over it; with no jobs it opens at once (see test_welcome_samples)."""
    store = open_local_store(data_dirs)
    seed_jobs(store, 4, 0, statuses=("failed",))
    store.close()
    QSettings().setValue(DONT_SHOW_KEY, False)
    window = MainWindow(data_dirs)
    account = AccountService(data_dirs)
    controller = AppController(window, account)
    app = App(window, account, controller)
    qtbot.addWidget(window, before_close_func=lambda _w: close_app(qtbot, app))
    window.resize(1240, 800)
    window.show()
    qtbot.waitExposed(window)
    welcome_at_first_page: list[object] = []
    controller.workspace_changed.connect(
        lambda _ws: window.area(AreaKey.HISTORY).first_page_painted.connect(
            lambda: welcome_at_first_page.append(window.welcome)
        )
    )
    await_on_loop(qtbot, controller.start())
    qtbot.waitUntil(lambda: bool(welcome_at_first_page), timeout=10_000)
    assert welcome_at_first_page == [None]
    qtbot.waitUntil(lambda: window.welcome is not None, timeout=10_000)
    assert window.welcome.isVisible()
    assert window.area(AreaKey.HISTORY).model.rowCount() == 4
