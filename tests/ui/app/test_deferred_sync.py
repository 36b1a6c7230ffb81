"""Starting on an account's workspace: the History's first page comes before the sync stack
(issue 14, "Content at once"), and the sync starts right after it, by itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from studio_desktop.domain.status import SyncState, SyncStatus
from studio_desktop.services.account import AccountService
from studio_desktop.store.locations import LOCAL_WORKSPACE, DataDirs
from studio_desktop.ui.app_controller import AppController
from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.main_window import MainWindow
from tests.bench.bench_ui import seed_jobs
from tests.sync.helpers import fast_options
from tests.ui.app.test_account_and_sync import sign_in
from tests.ui.profiles.helpers import App, await_on_loop, close_app

pytestmark = [pytest.mark.gui, pytest.mark.gateway, pytest.mark.pg]


def test_the_account_workspace_shows_its_first_page_then_syncs(
    qtbot,
    *,
    launch: Callable[[], App],
    gateway,
    make_user,
    supabase_url: str,
    anon_key: str,
    data_dirs: DataDirs,
    keyring_backend: Any,
) -> None:
    user = make_user()
    first = launch()
    sign_in(
        qtbot, first, url=supabase_url, anon_key=anon_key, email=user.email, password=user.password
    )
    qtbot.waitUntil(lambda: first.controller.workspace.key != LOCAL_WORKSPACE, timeout=15_000)
    qtbot.waitUntil(
        lambda: first.window.sync_status.status.state is SyncState.UP_TO_DATE, timeout=15_000
    )
    # Jobs in the account's workspace, as a pull from another computer leaves them (an empty
    # feed paints no page).
    seed_jobs(first.services.store, 5, 0, statuses=("failed",))
    first.window.set_current_area(AreaKey.HISTORY)
    close_app(qtbot, first)
    first.window.close()

    # Start again, as app.py does, with a spy on the status bar from the first moment.
    window = MainWindow(data_dirs)
    account = AccountService(
        data_dirs, keyring_backend=keyring_backend, sync_options=fast_options(), connect_timeout=1.0
    )
    controller = AppController(window, account)
    again = App(window, account, controller)
    seen: list[SyncStatus] = []
    shown = window.set_sync_status

    def spy(status: SyncStatus) -> None:
        seen.append(status)
        shown(status)

    window.set_sync_status = spy  # type: ignore[method-assign]
    qtbot.addWidget(window, before_close_func=lambda _w: close_app(qtbot, again))
    window.resize(1240, 800)
    window.show()
    qtbot.waitExposed(window)
    assert window.current_area_key is AreaKey.HISTORY
    at_first_page: list[tuple[object, bool, SyncStatus]] = []

    def shown_workspace(workspace: Any) -> None:  # (in _show: before the first page)
        window.area(AreaKey.HISTORY).first_page_painted.connect(
            lambda: at_first_page.append((workspace.engine, workspace.sync_pending, seen[-1]))
        )

    controller.workspace_changed.connect(shown_workspace)
    workspace = await_on_loop(qtbot, controller.start())
    assert workspace.key != LOCAL_WORKSPACE and workspace.account.email == user.email

    # The first page is painted before the sync exists; the status bar says it is starting.
    qtbot.waitUntil(lambda: bool(at_first_page), timeout=15_000)
    engine, pending, status = at_first_page[0]
    assert engine is None and pending
    assert status.state is SyncState.SYNCING and status.detail == "Starting the sync…"
    assert status.account == user.email
    assert window.area(AreaKey.HISTORY).model.rowCount() == 5

    # Right after the first page: the sync engine is attached and followed by the status bar.
    qtbot.waitUntil(lambda: workspace.engine is not None, timeout=15_000)
    assert not workspace.sync_pending
    qtbot.waitUntil(lambda: window.sync_status.status.state is SyncState.UP_TO_DATE, timeout=15_000)
    await_on_loop(qtbot, controller.settled())
    assert all(workspace.services.is_built(name) for name in ("canvas", "imports", "profiles"))
    # Asking again attaches nothing twice.
    assert await_on_loop(qtbot, account.start_deferred_sync(workspace)) is False
