"""The Qt side of the composition: the open workspace, its areas, the account and sync status.

:class:`AppController` owns the :class:`~studio_desktop.services.account.AccountService` (which
owns the open workspace's services and sync engine) and wires the main window to it:

- ``connect_requested`` → ``account.connect`` (URL and anon key remembered; no network);
- ``sign_in_requested`` → ``account.sign_in``: the account's workspace opens and syncs; coming
  from a local workspace with items, a question offers to move them into the account;
- ``sign_out_requested`` → ``account.sign_out`` (back to the local workspace);
- ``workspace_switch_requested`` → ``account.switch``;
- ``settings_changed`` → cache budget, engine (local / remote API);
- ``dropped_files`` / ``import_requested`` → ``ImportService.start_creation``, then the new
  creation opens in the Canvas (``window.navigator.open_creation``);
- ``garment_drop_requested`` / ``reference_drop_requested`` → the navigator's
  ``cut_out_garments`` / ``take_reference`` (``ui/navigation.py``).

Each workspace change rebuilds the three areas over the new services (built areas are replaced,
the others get a new factory: :data:`AREA_MAKERS`, each importing its screen's module only when
the screen is first shown), follows the new sync engine's ``status_changed`` through an
:class:`EventBridge` into ``window.set_sync_status``, and hands each file the sync downloads to
the built areas (``AreaWidget.notify_blob_available``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QVBoxLayout, QWidget

from studio_desktop.domain.errors import ExternalError
from studio_desktop.domain.status import SyncStatus
from studio_desktop.services.account import (
    AccountService,
    OpenWorkspace,
    SignInOutcome,
    describe_items,
)
from studio_desktop.services.missing_files import BlobRequester
from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.ui.areas import AreaKey, AreaWidget
from studio_desktop.ui.bridge import EventBridge
from studio_desktop.ui.crash import report_crash
from studio_desktop.ui.main_window import MainWindow
from studio_desktop.ui.operations import event_loop, run_op, running_operations
from studio_desktop.ui.preferences import EngineChoice, SettingsValues
from studio_desktop.ui.welcome import WelcomePanel, should_show_welcome
from studio_desktop.ui.widgets.empty_state import EmptyState
from studio_desktop.ui.widgets.message_bar import MessageLevel
from studio_desktop.ui.widgets.message_box import MESSAGE_BOX_WIDTH

if TYPE_CHECKING:
    from studio_desktop.services.imports import CreationResult
    from studio_desktop.services.samples import SamplesResult
    from studio_desktop.ui.dialogs.connect_dialog import ProjectConnection
    from studio_desktop.ui.dialogs.sign_in_dialog import Credentials

log = logging.getLogger(__name__)

#: How long closing a workspace waits for operations its screens started (a running pack
#: waits for its job, which closing then stops).
DRAIN_SECONDS = 2.0

#: How long the rest of a workspace's services wait for the History's first page before they
#: are built anyway (an empty or hidden feed may paint no page).
FIRST_PAGE_WAIT_SECONDS = 1.0

#: Builds an area over a workspace's services and its blob requester.
AreaMaker = Callable[[WorkspaceServices, BlobRequester], AreaWidget]


# Each screen's module is imported when the screen is first shown, not when the workspace
# opens: the Canvas (NumPy and its brush) costs a start-up that shows History nothing.
def _make_history(services: WorkspaceServices, request_blob: BlobRequester) -> AreaWidget:
    from studio_desktop.ui.history.area import make_history_area

    return make_history_area(services, request_blob=request_blob)


def _make_profiles(services: WorkspaceServices, request_blob: BlobRequester) -> AreaWidget:
    from studio_desktop.ui.profiles.area import make_profiles_area

    return make_profiles_area(services, request_blob=request_blob)


def _make_canvas(services: WorkspaceServices, request_blob: BlobRequester) -> AreaWidget:
    from studio_desktop.ui.canvas.area import make_canvas_area

    return make_canvas_area(services, request_blob=request_blob)


AREA_MAKERS: dict[AreaKey, AreaMaker] = {
    AreaKey.HISTORY: _make_history,
    AreaKey.PROFILES: _make_profiles,
    AreaKey.CANVAS: _make_canvas,
}


def _import_history() -> None:
    from studio_desktop.services import history_feed, output_tiles  # noqa: F401
    from studio_desktop.ui.history import (  # noqa: F401
        area,
        delegate,
        detail_panel,
        feed_model,
        feed_view,
        filter_bar,
        thumbnails,
    )


def _import_profiles() -> None:
    from studio_desktop.services import profiles_screen  # noqa: F401
    from studio_desktop.ui.profiles import area  # noqa: F401


def _import_canvas() -> None:
    from studio_desktop.services import canvas_screen  # noqa: F401
    from studio_desktop.ui.canvas import area  # noqa: F401


#: What each screen imports when it is first built over a workspace (its area's own lazy
#: imports and the services it uses first), imported ahead on a worker thread for the screen
#: the window starts on (:func:`import_screen`).
SCREEN_IMPORTS: dict[AreaKey, Callable[[], None]] = {
    AreaKey.HISTORY: _import_history,
    AreaKey.PROFILES: _import_profiles,
    AreaKey.CANVAS: _import_canvas,
}


def import_screen(key: AreaKey) -> None:
    """Import the modules of ``key``'s screen (safe on a worker thread: it builds nothing).

    The start-up calls it on a worker for the screen the window shows first, while the last
    workspace's database is checked, so that building the screen (on the GUI thread) does not
    import them."""
    SCREEN_IMPORTS[key]()


def area_factory(key: AreaKey, workspace: OpenWorkspace) -> Callable[[], AreaWidget]:
    """The factory of an area over ``workspace``'s services (called when it is first shown)."""
    make = AREA_MAKERS[key]
    services = workspace.services
    request_blob = workspace.request_blob
    return lambda: make(services, request_blob)


def closing_factory(key: AreaKey) -> Callable[[], AreaWidget]:
    """A plain area shown while one workspace closes and the next opens."""
    cls = type(f"Switching{key.label}Area", (_SwitchingArea,), {"area_key": key})
    return cls


class _SwitchingArea(AreaWidget):
    area_key = AreaKey.HISTORY

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(
            EmptyState(
                self.area_key.icon_name,
                "Opening the workspace…",
                "Your work appears here in a moment.",
                self,
            )
        )


def _drop(bridge: EventBridge | None) -> None:
    if bridge is not None and shiboken6.isValid(bridge):
        bridge.disconnect_all()
        bridge.deleteLater()


class AppController(QObject):
    """Wires a :class:`MainWindow` to the account and the open workspace."""

    workspace_changed = Signal(object)  # OpenWorkspace, after the areas were rebuilt
    move_question_asked = Signal(object)  # the QMessageBox (tests answer it)

    def __init__(self, window: MainWindow, account: AccountService) -> None:
        super().__init__(window)
        self.window = window
        self.account = account
        self.workspace: OpenWorkspace | None = None
        self.move_box: QMessageBox | None = None
        self._status_bridge: EventBridge | None = None
        self._blob_bridge: EventBridge | None = None
        self._completing: asyncio.Task[None] | None = None
        #: The welcome waits for the History's first page (see start).
        self._welcome_pending = False
        window.connect_requested.connect(self.connect_project)
        window.project_checker = account.check_project
        window.sign_in_requested.connect(self.sign_in)
        window.sign_out_requested.connect(self.sign_out)
        window.workspace_switch_requested.connect(self.switch_workspace)
        window.move_local_work_requested.connect(self.move_local_work)
        window.settings_changed.connect(self.apply_settings)
        window.dropped_files.connect(self.start_creation)
        window.garment_drop_requested.connect(self.cut_out_garment)
        window.reference_drop_requested.connect(self.set_profile_reference)
        window.import_requested.connect(self.start_creation)
        window.welcome_shown.connect(self._offer_samples)

    # ------------------------------------------------------------------ start and stop
    async def start(self) -> OpenWorkspace:
        """Apply the saved settings, open the last used workspace and show it."""
        values = self.window.preferences.settings_values()
        self.account.cache_budget_bytes = values.cache_budget_bytes
        self.account.engine_choice = values.engine.value
        self.account.remote_api_url = values.remote_api_url
        # An account's sync engine is attached after the first page (see _complete).
        workspace = await self.account.open_initial(sync_later=True)
        # The welcome's panel covers the History: shown after the jobs' first page (by
        # _complete), at once when there are no jobs to show.
        self._welcome_pending = should_show_welcome(is_local=workspace.is_local)
        self._show(workspace)
        if self._welcome_pending and (
            self._completing is None or not await self._has_jobs(workspace)
        ):
            self._welcome_pending = False
            self.window.show_welcome()
        return workspace

    async def _has_jobs(self, workspace: OpenWorkspace) -> bool:
        loop = asyncio.get_running_loop()
        count = await loop.run_in_executor(
            workspace.services.executor, workspace.store.rows.count, "jobs"
        )
        return count > 0

    async def aclose(self) -> None:
        """Stop following the sync status, then close the workspace, sync and sessions."""
        self._drop_bridges()
        self._stop_completing()
        await self.account.aclose(before_close=self._releaser(own=0))
        self.workspace = None

    def _releaser(self, *, own: int) -> Callable[[], Any]:
        """The ``before_close`` hook: the areas over the closing workspace are replaced by
        plain ones (so nothing new starts on it), then the operations they started are given
        a moment to end (``own``: operations of the caller itself, still running)."""

        async def release() -> None:
            self._drop_bridges()
            window = self.window
            # (A window already gone shows nothing any more: only the operations are left.)
            if shiboken6.isValid(window) and shiboken6.isValid(window.undo_group):
                for key in AreaKey:
                    factory = closing_factory(key)
                    window.set_area_factory(key, factory)
                    if window.is_area_built(key):
                        window.replace_area(key, factory())
            loop = event_loop()
            deadline = loop.time() + DRAIN_SECONDS
            while running_operations() > own and loop.time() < deadline:
                await asyncio.sleep(0.02)

        return release

    # ------------------------------------------------------------------ showing a workspace
    def _show(self, workspace: OpenWorkspace) -> None:
        self.workspace = workspace
        window = self.window
        for key in AreaKey:
            factory = area_factory(key, workspace)
            window.set_area_factory(key, factory)
            if window.is_area_built(key) and not self._adopt_placeholder(key, workspace):
                window.replace_area(key, factory())
        window.set_account(workspace.account.email if workspace.account else None)
        window.set_workspaces(self.account.workspaces(), workspace.key)
        self._follow_status(workspace)
        self._follow_blobs(workspace)
        if workspace.store.recovery is not None:
            window.show_message(workspace.store.recovery.message, level=MessageLevel.WARNING)
        log.info("showing workspace %s", workspace.key)
        self._complete_later(workspace)
        self.workspace_changed.emit(workspace)

    # ------------------------------------------------------------------ the rest, behind
    def _complete_later(self, workspace: OpenWorkspace) -> None:
        """After the History's first page (or at once, when another area is shown): start an
        account's sync (left out by ``open_initial(sync_later=True)``), then import the rest of
        the workspace's services on a worker thread and build them (Canvas, imports, garments,
        profiles...), so the first use of another screen does not wait."""
        self._stop_completing()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # (no event loop: a test building the controller by hand)
            return
        self._completing = loop.create_task(self._complete(workspace))

    async def settled(self) -> None:
        """Wait until the shown workspace's rest is built (see :meth:`_complete_later`)."""
        task = self._completing
        if task is not None and not task.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)

    def _stop_completing(self) -> None:
        task, self._completing = self._completing, None
        if task is not None and not task.done():
            task.cancel()

    async def _complete(self, workspace: OpenWorkspace) -> None:
        try:
            await self._complete_workspace(workspace)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            report_crash(error, self.window)

    async def _complete_workspace(self, workspace: OpenWorkspace) -> None:
        window = self.window
        if window.current_area_key is AreaKey.HISTORY and window.is_area_built(AreaKey.HISTORY):
            painted = asyncio.get_running_loop().create_future()
            area = window.area(AreaKey.HISTORY)
            signal = getattr(area, "first_page_painted", None)
            # (Not when it was painted already: the early page, taken over by the feed.)
            if signal is not None and getattr(area, "awaiting_first_page", True):

                def done() -> None:
                    if not painted.done():
                        painted.set_result(None)

                signal.connect(done)
                try:
                    await asyncio.wait_for(painted, FIRST_PAGE_WAIT_SECONDS)
                except TimeoutError:
                    log.debug("no first page of the feed yet: building the rest anyway")
                finally:
                    if shiboken6.isValid(area):
                        signal.disconnect(done)
        if self._welcome_pending and self.workspace is workspace:
            self._welcome_pending = False
            if self.window.welcome is None:
                self.window.show_welcome()
        if workspace.sync_pending:
            await self.account.start_deferred_sync(workspace)
            if self.workspace is workspace:
                self._follow_status(workspace)
        services = workspace.services
        await asyncio.get_running_loop().run_in_executor(services.executor, services.import_all)
        if self.workspace is workspace and not workspace.store.db.closed:
            services.build_all()
            log.info("workspace %s: every service is ready", workspace.key)

    def _adopt_placeholder(self, key: AreaKey, workspace: OpenWorkspace) -> bool:
        """The History's placeholder (built at start, before any workspace) shows the first
        workspace's feed itself (``HistoryArea.set_services``) rather than being replaced by a
        new area: one area less to build before the first page. True if it did."""
        if key is not AreaKey.HISTORY:
            return False
        area = self.window.area(key)
        set_services = getattr(area, "set_services", None)
        if set_services is None or getattr(area, "services", True) is not None:
            return False
        area.set_blob_requester(workspace.request_blob)  # type: ignore[attr-defined]
        set_services(workspace.services)
        if self.window.current_area_key is key:
            area.area_activated()
        return True

    def _follow_status(self, workspace: OpenWorkspace) -> None:
        """Show the workspace's sync status now, then every change its engine publishes."""
        self._drop_status_bridge()
        self.window.set_sync_status(workspace.status)
        if workspace.engine is not None and not workspace.not_syncing_reason:
            bridge = EventBridge(self)
            bridge.connect_event(workspace.engine.status_changed, self._status_changed)
            self._status_bridge = bridge

    def _status_changed(self, status: SyncStatus) -> None:
        self.window.set_sync_status(status)

    def _follow_blobs(self, workspace: OpenWorkspace) -> None:
        """Files the sync downloads reach the areas that show them as "not downloaded"."""
        _drop(self._blob_bridge)
        bridge = EventBridge(self)
        bridge.connect_event(workspace.store.blobs.available, self._blob_available)
        self._blob_bridge = bridge

    def _blob_available(self, ref: tuple[str, str]) -> None:
        for key in AreaKey:
            if self.window.is_area_built(key):
                self.window.area(key).notify_blob_available(*ref)

    def _drop_status_bridge(self) -> None:
        bridge, self._status_bridge = self._status_bridge, None
        _drop(bridge)

    def _drop_bridges(self) -> None:
        """Stop listening to the closing workspace: its sync status and its blob arrivals."""
        self._drop_status_bridge()
        bridge, self._blob_bridge = self._blob_bridge, None
        _drop(bridge)

    def _detach(self) -> None:
        """Before the workspace closes: no more status or blob arrivals from it."""
        self._drop_bridges()

    # ------------------------------------------------------------------ account
    def connect_project(self, connection: ProjectConnection) -> None:
        def connected(_session: object) -> None:
            self.window.preferences.project_url = connection.url
            host = connection.url.split("://", 1)[-1]
            if connection.checked:
                self.window.show_message(
                    f"Connected to {host}. Sign in to sync your work.", level=MessageLevel.SUCCESS
                )
            else:
                self.window.show_message(
                    f"Added {host}, not checked yet (you seem to be offline). It is checked "
                    "when you sign in.",
                    level=MessageLevel.WARNING,
                )

        run_op(
            self.window,
            self.account.connect(connection.url, connection.anon_key, checked=connection.checked),
            on_success=connected,
            progress="Connecting to the project…",
        )

    def sign_in(self, credentials: Credentials) -> None:
        async def work() -> SignInOutcome:
            self._detach()
            return await self.account.sign_in(
                credentials.email, credentials.password, before_close=self._releaser(own=1)
            )

        def signed_in(outcome: SignInOutcome) -> None:
            if outcome.workspace is not self.workspace:
                self._show(outcome.workspace)
            else:
                self._follow_status(outcome.workspace)
                self.window.set_workspaces(self.account.workspaces(), outcome.workspace.key)
            who = outcome.workspace.account.email if outcome.workspace.account else ""
            self.window.show_message(
                f"Signed in as {who}. Your work syncs with the studio.",
                level=MessageLevel.SUCCESS,
            )
            if outcome.local_items is not None:
                self.ask_to_move(describe_items(outcome.local_items), outcome.local_waiting)

        def failed(error: ExternalError) -> None:
            self._reshow_current()
            self.window.show_external_error(error)

        run_op(self.window, work(), on_success=signed_in, on_failure=failed, progress="Signing in…")

    def _reshow_current(self) -> None:
        """After a failed account action: the workspace still open (the same, or a new one)."""
        current = self.account.current
        if current is None:
            return
        if current is self.workspace:
            self._follow_status(current)
        else:
            self._show(current)

    def ask_to_move(self, what: str, waiting: int = 0) -> QMessageBox:
        """The question after the first sign-in from a local workspace with items (``waiting``
        of them try-ons waiting for the studio's engine, which only a move lets run)."""
        box = QMessageBox(self.window)
        box.setObjectName("move_local_items")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Move your local work?")
        box.setText("Move your local work into your account?")
        box.setInformativeText(
            f"The local workspace holds {what}. Moved into your account, they sync to the "
            "studio and are on your other computers too. If you keep them local, they stay "
            "in the local workspace (Account → Switch workspace)."
            + (f" {_waiting_tryons(waiting)} runs only once moved." if waiting else "")
        )
        move = box.addButton("Move into my account", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Keep them local", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(move)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setStyleSheet(MESSAGE_BOX_WIDTH)

        def answered(button: object) -> None:
            if button is move:
                self.move_local_items()
            elif waiting:
                # Kept local: say why the try-on keeps waiting, and how to run it later.
                self.window.show_message(
                    f"{_waiting_tryons(waiting)} keeps waiting in the local workspace: it "
                    "uses a profile kept on this computer only. To run it, choose Account → "
                    "Move local work into my account, or cancel it there.",
                    level=MessageLevel.WARNING,
                )

        box.buttonClicked.connect(answered)
        box.destroyed.connect(lambda *_a: setattr(self, "move_box", None))
        self.move_box = box
        box.open()
        self.move_question_asked.emit(box)
        return box

    def move_local_work(self) -> None:
        """Account → Move local work into my account (also a waiting try-on's button): from
        the local workspace, the signed-in account's workspace opens first."""
        current = self.account.current
        if current is not None and not current.is_local:
            self.move_local_items()
            return

        async def work() -> OpenWorkspace:
            self._detach()
            return await self.account.open_signed_in_account(before_close=self._releaser(own=1))

        def opened(workspace: OpenWorkspace) -> None:
            self._show(workspace)
            self.move_local_items()

        def failed(error: ExternalError) -> None:
            self._reshow_current()
            self.window.show_external_error(error)

        run_op(
            self.window,
            work(),
            on_success=opened,
            on_failure=failed,
            progress="Opening your account's workspace…",
        )

    def move_local_items(self) -> None:
        def moved(result: tuple[Any, Any]) -> None:
            report, _cycle = result
            files = report.files
            rows = sum(report.rows.values())
            self.window.show_message(
                f"Moved {rows} item(s) and {files} file(s) into your account.",
                level=MessageLevel.SUCCESS,
            )

        run_op(
            self.window,
            self.account.move_local_items(),
            on_success=moved,
            progress="Moving your local work…",
        )

    def sign_out(self) -> None:
        async def work() -> OpenWorkspace:
            self._detach()
            return await self.account.sign_out(before_close=self._releaser(own=1))

        def signed_out(workspace: OpenWorkspace) -> None:
            self._show(workspace)
            self.window.show_message(
                "Signed out. Your account's work stays on this computer until you sign in again.",
                level=MessageLevel.INFO,
            )

        def failed(error: ExternalError) -> None:
            self._reshow_current()
            self.window.show_external_error(error)

        run_op(
            self.window, work(), on_success=signed_out, on_failure=failed, progress="Signing out…"
        )

    def switch_workspace(self, key: str) -> None:
        if self.workspace is not None and self.workspace.key == key:
            return

        async def work() -> OpenWorkspace:
            self._detach()
            return await self.account.switch(key, before_close=self._releaser(own=1))

        def failed(error: ExternalError) -> None:
            self._reshow_current()
            self.window.show_external_error(error)

        run_op(
            self.window,
            work(),
            on_success=self._show,
            on_failure=failed,
            progress="Opening the workspace…",
        )

    # ------------------------------------------------------------------ settings
    def apply_settings(self, values: SettingsValues) -> None:
        async def work() -> str | None:
            await self.account.set_cache_budget(values.cache_budget_bytes)
            return await self.account.set_engine(values.engine.value, values.remote_api_url)

        def applied(note: str | None) -> None:
            if note:
                self.window.show_message(note, level=MessageLevel.WARNING)
            elif values.engine is EngineChoice.REMOTE:
                self.window.show_message(
                    "New jobs use the studio's generation service.", level=MessageLevel.SUCCESS
                )

        run_op(self.window, work(), on_success=applied, progress="Applying the settings…")

    # ------------------------------------------------------------------ drops
    def _offer_samples(self, panel: WelcomePanel) -> None:
        panel.samples_requested.connect(lambda: self.add_samples(panel))

    def add_samples(self, panel: WelcomePanel | None = None) -> None:
        """Welcome ▸ "Try it with sample images": a sample profile, creation and product pack
        in the open workspace (adding them twice adds nothing)."""
        workspace = self.workspace
        if workspace is None:
            if panel is not None:
                panel.samples_finished(False)
            return

        def finished(ok: bool) -> None:
            if panel is not None and shiboken6.isValid(panel):
                panel.samples_finished(ok)

        def added(result: SamplesResult) -> None:
            finished(True)
            self.window.show_message(result.message, level=MessageLevel.SUCCESS)

        def failed(error: ExternalError) -> None:
            finished(False)
            self.window.show_external_error(error)

        from studio_desktop.services.samples import create_samples  # NumPy: only when asked

        run_op(
            self.window,
            create_samples(workspace.services),
            on_success=added,
            on_failure=failed,
            progress="Adding sample images…",
        )

    def cut_out_garment(self, paths: list[Path]) -> None:
        """Photos dropped (or pasted) as "Cut out garment": the Profiles screen's garment
        panel cuts them out, the first as the front, a second as the back."""
        if self.workspace is not None and paths:
            self.window.navigator.cut_out_garments(paths)

    def set_profile_reference(self, paths: list[Path]) -> None:
        """A photo dropped (or pasted) as "Set profile reference" for the selected profile."""
        if self.workspace is not None and paths:
            self.window.navigator.take_reference(paths)

    def start_creation(self, paths: list[Path]) -> None:
        """Images dropped on the window (or imported): a new creation, shown in the Canvas."""
        workspace = self.workspace
        if workspace is None or not paths:
            return

        def created(result: CreationResult) -> None:
            title = result.thread.title or "Untitled"
            level = MessageLevel.WARNING if result.refused else MessageLevel.SUCCESS
            if self.window.navigator.open_creation(result.thread.id):
                self.window.show_message(f"“{title}”: {result.message}", level=level)
            else:
                self.window.show_message(f"New creation “{title}”. {result.message}", level=level)

        count = len(paths)
        run_op(
            self.window,
            workspace.services.imports.start_creation(paths),
            on_success=created,
            progress=f"Checking {count} file{'s' if count != 1 else ''}…",
        )


def _waiting_tryons(count: int) -> str:
    """ "Your waiting try-on" / "Your 2 waiting try-ons" (the subject of a sentence)."""
    return "Your waiting try-on" if count == 1 else f"Your {count} waiting try-ons"
