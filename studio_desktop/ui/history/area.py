"""The History area: the feed of jobs and their images, its filters, and what can be done to them.

::

    ┌ filter bar: [search…] [type] [status] [profile] [Clear filters]        [S M L] ┐
    │ feed (one card row per job, newest first)               │ opened job (Enter)     │
    └─────────────────────────────────────────────────────────────────────────────────┘

Built by the app controller over the workspace's services and its blob requester::

    area = make_history_area(services, request_blob=workspace.request_blob)
    area.notify_blob_available(bucket, path)    # the controller, when the sync has fetched one

"Open in Magic Canvas" asks the window's navigator (``ui/navigation.py``) to open the creation.

Actions work on the selected jobs (several with Shift/Ctrl-click or Ctrl+A) and are in the
context menu with their shortcuts: Open (Enter; the job beside the feed), Open in Magic Canvas
(Ctrl+Return), Retry (Ctrl+R), Cancel, Copy error, Export… (Ctrl+E, File ▸ Export), Keep offline,
Delete… (Delete; asks first), Home/End (the first/last job; End reads the remaining pages
first), Paste (Ctrl+V: an image or image files from the clipboard, offered like a drop: cut out
a garment or edit in Magic Canvas), and Ctrl+F for the search. Images drag out as files.
:meth:`HistoryArea.reveal_job` selects a job and scrolls to it ("Show in History"), waiting for
it to arrive in the feed when it is not there yet.
Every service call runs through ``run_op`` (off the GUI thread, readable errors in the message
bar); the feed itself updates from its Qt-free model's events (``services/history_feed.py``:
filters, search, pages and live updates live there), not from the calls' results.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPoint,
    QSettings,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QAction, QDrag, QGuiApplication, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from studio_desktop.domain.enums import JobStatus
from studio_desktop.domain.errors import ExternalError
from studio_desktop.ui.areas import AreaKey, AreaWidget
from studio_desktop.ui.history.drag_out import (
    DragFiles,
    DragItem,
    clear_drag_folder,
    prepare_drag_files,
)
from studio_desktop.ui.history.roles import BlobRequester, Role, no_blob_requests
from studio_desktop.ui.icons import icon
from studio_desktop.ui.preferences import ThumbnailSize
from studio_desktop.ui.widgets.empty_state import EmptyState
from studio_desktop.ui.widgets.message_bar import MessageLevel

if TYPE_CHECKING:  # the feed's modules are imported when a workspace is first shown
    from collections.abc import Callable

    from studio_desktop.domain.models import Job, JobOutput
    from studio_desktop.services.history import (
        DeleteJobsResult,
        ExportResult,
        HistoryFilter,
        KeepOfflineResult,
    )
    from studio_desktop.services.history_early import EarlyFeed
    from studio_desktop.services.workspace import WorkspaceServices
    from studio_desktop.ui.history.delegate import JobDelegate
    from studio_desktop.ui.history.detail_panel import JobDetailPanel
    from studio_desktop.ui.history.feed_model import FeedModel
    from studio_desktop.ui.history.feed_view import FeedView
    from studio_desktop.ui.history.filter_bar import FilterBar
    from studio_desktop.ui.history.thumbnails import ThumbnailLoader

log = logging.getLogger(__name__)


def run_op(parent: QWidget, work: object, **options: object) -> object:
    """:func:`~studio_desktop.ui.operations.run_op`, imported at the first call (it brings
    asyncio: not before the History's early page, see :meth:`HistoryArea.show_early_feed`)."""
    from studio_desktop.ui.operations import run_op as run

    return run(parent, work, **options)  # type: ignore[arg-type]


def find_host(widget: QWidget) -> object:
    from studio_desktop.ui.operations import find_host as find

    return find(widget)


EMPTY_TITLE = "No jobs yet"
EMPTY_TEXT = (
    "Drag photos onto this window, then drop them on what you want: “Cut out garment” or "
    "“Edit in Magic Canvas” (Ctrl+V pastes the same way). Every pack, try-on and edit you "
    "make appears here, newest first, and stays browsable offline."
)
#: Shown until the app gives the area its workspace (the first moment after start-up).
NO_WORKSPACE_TITLE = "Opening the workspace…"
NO_WORKSPACE_TEXT = (
    "Its jobs appear here in a moment. If it cannot be opened, a message at the bottom says why."
)
EXPORT_DIR_KEY = "history/export_dir"


def make_history_area(
    services: WorkspaceServices, *, request_blob: BlobRequester | None = None
) -> HistoryArea:
    """The factory the composition root registers for ``AreaKey.HISTORY``."""
    return HistoryArea(services, request_blob=request_blob)


class HistoryArea(AreaWidget):
    area_key = AreaKey.HISTORY
    accepts_paste = True

    #: How many jobs are selected (the window enables File ▸ Export from it).
    selection_changed = Signal(int)
    #: The feed's first page was painted (once per workspace; logged, for start-up figures).
    first_page_painted = Signal()
    #: Paste (Ctrl+V) with image files chosen for a destination: (DropChoice value, paths).
    paste_chosen = Signal(str, list)

    def __init__(
        self,
        services: WorkspaceServices | None = None,
        parent: QWidget | None = None,
        *,
        request_blob: BlobRequester | None = None,
    ) -> None:
        super().__init__(parent)
        self.services: WorkspaceServices | None = None
        self.model: FeedModel | None = None
        self.loader: ThumbnailLoader | None = None
        self.detail: JobDetailPanel | None = None
        self._request_blob: BlobRequester = request_blob or no_blob_requests
        self._thumb_px = ThumbnailSize.SMALL.pixels
        self._window_connected = False
        self._active = False
        self.delete_dialog: QMessageBox | None = None
        self.export_dialog: QFileDialog | None = None
        self.context_menu: QMenu | None = None
        self.last_drag: QDrag | None = None
        self.last_message = ""
        self.paste_menu: QMenu | None = None
        self._pending_reveal: str | None = None
        self._seeking_end = False

        self._built = False
        #: The early page shown until the workspace opens (see :meth:`show_early_feed`).
        self._early: EarlyFeed | None = None
        #: What was asked of the early page that needs the workspace (run once it is open).
        self._deferred: list[Callable[[], object]] = []
        self._awaiting_first_paint = False
        self._opened_at = 0.0
        self.empty_state = EmptyState("history", EMPTY_TITLE, EMPTY_TEXT, self)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.empty_state)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)
        if services is not None:
            self.set_services(services)
        else:
            self.empty_state.title_label.setText(NO_WORKSPACE_TITLE)
            self.empty_state.text_label.setText(NO_WORKSPACE_TEXT)
            self.pages.setCurrentWidget(self.empty_state)

    def _build_feed(self) -> None:
        """The feed's widgets, built when the first workspace is shown (so that the window's
        placeholder, made before any workspace is open, imports nothing heavy)."""
        from studio_desktop.ui.history.delegate import JobDelegate
        from studio_desktop.ui.history.feed_view import FeedView
        from studio_desktop.ui.history.filter_bar import FilterBar

        self.filter_bar: FilterBar = FilterBar(self)
        self.filter_bar.filters_changed.connect(self._on_filters_changed)
        self.filter_bar.size_requested.connect(self._on_size_requested)
        self.filter_bar.set_size(ThumbnailSize.SMALL)

        self.view: FeedView = FeedView(self)
        self.delegate: JobDelegate = JobDelegate(self.view)
        self.view.setItemDelegate(self.delegate)
        self.view.drag_handler = self._start_drag
        self.view.doubleClicked.connect(lambda _i: self.open_current())
        self.view.customContextMenuRequested.connect(self._show_context_menu)
        self.delegate.retry_clicked.connect(lambda job_id: self.retry([job_id]))
        self.delegate.cancel_clicked.connect(lambda job_id: self.cancel([job_id]))

        self.no_results = QWidget(self)
        no_results_state = EmptyState(
            "search",
            "No jobs match",
            "Nothing in this workspace passes these filters. Try fewer words, or another type, "
            "status or profile.",
            self.no_results,
        )
        self.clear_filters_button = QPushButton(icon("close"), "Clear filters", no_results_state)
        self.clear_filters_button.clicked.connect(self.filter_bar.clear)
        state_layout = no_results_state.layout()
        assert isinstance(state_layout, QVBoxLayout)
        state_layout.insertSpacing(state_layout.count() - 1, 8)
        state_layout.insertWidget(
            state_layout.count() - 1, self.clear_filters_button, 0, Qt.AlignmentFlag.AlignHCenter
        )
        no_results_layout = QVBoxLayout(self.no_results)
        no_results_layout.addWidget(no_results_state, 1)

        self.feed_stack = QStackedWidget(self)
        self.feed_stack.addWidget(self.view)
        self.feed_stack.addWidget(self.no_results)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.feed_stack)
        feed_page = QWidget(self)
        feed_layout = QVBoxLayout(feed_page)
        feed_layout.setContentsMargins(0, 0, 0, 0)
        feed_layout.setSpacing(0)
        feed_layout.addWidget(self.filter_bar)
        feed_layout.addWidget(self.splitter, 1)
        self.feed_page = feed_page
        self.pages.addWidget(feed_page)

        self._build_actions()
        self._built = True
        self._apply_thumb_px()
        self.view.viewport().installEventFilter(self)
        if self.isVisible():
            self._connect_window()

    # ================================================================== wiring
    def show_early_feed(self, early: EarlyFeed) -> None:
        """Show the History's early page (its first page, read before the workspace opened:
        ``services/history_early.py``) until :meth:`set_services` brings the workspace's live
        feed, which takes these rows over as they are. Its tiles show as loading until then;
        what is asked of it that needs the workspace (open, retry, delete, export...) waits
        for the workspace and is done then."""
        if self.services is not None or self.model is not None:
            return
        from studio_desktop.ui.history.feed_model import FeedModel

        if not self._built:
            self._build_feed()
        self._early = early
        self.model = FeedModel(early, parent=self)
        self.view.setModel(self.model)
        self._connect_model()
        self.pages.setCurrentWidget(self.feed_page)
        self.feed_stack.setCurrentWidget(self.view)
        self._apply_thumb_px()
        self._awaiting_first_paint = True
        self._opened_at = early.read_at
        self._sync_profiles()

    @property
    def awaiting_first_page(self) -> bool:
        """No first page painted yet for the feed shown (``first_page_painted`` is to come)."""
        return self._awaiting_first_paint

    def set_services(self, services: WorkspaceServices) -> None:
        """Show the feed of this workspace (the previous one's model is closed). The early
        page, when one shows, is taken over by the live feed when it was read from this
        workspace (:meth:`~studio_desktop.services.history_feed.HistoryFeed.adopt`), else
        replaced by its first page."""
        # The first page is read on a worker thread while the widgets below are built.
        feed = services.history.open_feed()
        early, self._early = self._early, None
        adopted = (
            early is not None
            and self.model is not None
            and self.model.feed is early
            and feed.adopt(early)
        )
        if self._built:
            feed.set_filter(self.filter_bar.current_filter())  # (a filter chosen meanwhile)
        else:
            feed.reload()  # the filter bar starts with no filter
        from studio_desktop.ui.history.feed_model import FeedModel
        from studio_desktop.ui.history.thumbnails import ThumbnailLoader

        if not self._built:
            self._build_feed()
        if self.model is not None and not adopted:
            self.model.close()
        if self.loader is not None:
            self.loader.close()
        if self.detail is not None:
            self.detail.hide()
            self.detail.deleteLater()
            self.detail = None
        self.services = services
        clear_drag_folder(services.store.dirs.root)
        self.loader = ThumbnailLoader(  # on its own pool: one thread per core
            services.store,
            services.thumbnails_on_first_use,  # (Pillow: imported by the first load)
            request_blob=self._request_blob,
            parent=self,
        )
        if adopted:
            assert self.model is not None
            self.model.adopt_feed(feed)
            self.model.set_loader(self.loader)  # (the early tiles showed as loading)
            self._sync_profiles()
            log.info("history feed: the early page was taken over by the workspace's feed")
        else:
            if early is not None:
                log.info("history feed: the early page is replaced by the workspace's own")
            old = self.model
            self.model = FeedModel(feed, self.loader, parent=self)
            self.view.setModel(self.model)
            if old is not None:
                old.deleteLater()
            self._connect_model()
            self._awaiting_first_paint = True
            self._opened_at = time.perf_counter()
        self.splitter.setStretchFactor(0, 1)
        self._apply_thumb_px()
        if not adopted:
            self.pages.setCurrentWidget(self.feed_page)
            self.feed_stack.setCurrentWidget(self.view)
        else:
            self._update_page()
        deferred, self._deferred = self._deferred, []
        for action in deferred:  # asked of the early page: done now, in order
            QTimer.singleShot(0, self, action)

    def _connect_model(self) -> None:
        """The area follows its (new) model: selection, pages, errors, profile names."""
        assert self.model is not None
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self._selection_changed())
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        self.model.page_loaded.connect(lambda _reset: self._update_page())
        self.model.rowsInserted.connect(lambda *_a: self._update_page())
        self.model.rowsRemoved.connect(lambda *_a: self._update_page())
        self.model.load_failed.connect(self._show_load_error)
        self.model.modelReset.connect(self._selection_changed)
        self.model.page_loaded.connect(lambda _reset: self._after_rows_arrived())
        self.model.rowsInserted.connect(lambda *_a: self._after_rows_arrived())
        self.model.profiles_changed.connect(self._sync_profiles)

    def _defer(self, action: Callable[[], object]) -> None:
        """``action`` needs the workspace: while the early page shows, it is done once the
        workspace is open (a click is never lost); without any feed there is nothing to act on."""
        if self._early is not None:
            self._deferred.append(action)

    def set_blob_requester(self, request_blob: BlobRequester | None) -> None:
        """The sync layer's hook for outputs that are on screen but not on this computer."""
        self._request_blob = request_blob or no_blob_requests
        if self.loader is not None:
            self.loader.request_blob = self._request_blob

    def notify_blob_available(self, bucket: str, path: str) -> None:
        """An object arrived in the blob cache (the sync fetched it): show it."""
        if self.model is None or self.loader is None:
            return
        self.loader.forget_blob_request(bucket, path)
        for output_id in self.model.feed.outputs_stored_at(bucket, path):
            self.model.refresh_output(output_id)

    def _sync_profiles(self) -> None:
        if self.model is not None:
            self.filter_bar.set_profiles(self.model.profile_names)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._connect_window()

    def area_activated(self) -> None:
        self._active = True
        self._connect_window()
        if self._built:
            self._selection_changed()
            self.view.setFocus(Qt.FocusReason.OtherFocusReason)

    def drop_options(self, paths: list[Path]) -> list[object]:
        from studio_desktop.ui.drop_choices import choices_for

        return list(choices_for(AreaKey.HISTORY, paths))

    def area_deactivated(self) -> None:
        self._active = False
        window = self._window()
        if window is not None:
            window.set_export_enabled(False)

    def _window(self):
        from studio_desktop.ui.main_window import MainWindow

        window = self.window()
        return window if isinstance(window, MainWindow) else None

    def _connect_window(self) -> None:
        if self._window_connected or not self._built:
            return
        window = self._window()
        if window is None:
            self.addAction(self.action_export)  # standalone: Ctrl+E is ours
            return
        self._window_connected = True
        self.removeAction(self.action_export)  # File ▸ Export owns Ctrl+E in the window
        window.thumbnail_size_changed.connect(self.set_thumbnail_px)
        self.paste_chosen.connect(window.deliver_drop)
        window.export_requested.connect(self._on_window_export)
        self.set_thumbnail_px(window.thumbnail_size)

    def _on_window_export(self) -> None:
        window = self._window()
        if window is not None and window.current_area_key is AreaKey.HISTORY:
            self.export_selected()

    # ================================================================== actions
    def _build_actions(self) -> None:
        def make(
            text: str,
            icon_name: str | None,
            slot: object,
            shortcut: QKeySequence | str | None = None,
            *,
            on_view: bool = True,
        ) -> QAction:
            action = QAction(icon(icon_name) if icon_name else icon("image"), text, self)
            if icon_name is None:
                action.setIcon(icon("image"))
                action.setIconVisibleInMenu(False)
            if shortcut is not None:
                action.setShortcut(QKeySequence(shortcut))
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            if on_view and shortcut is not None:
                self.view.addAction(action)
            return action

        self.action_open = make("Open", "image", self.open_current, "Return")
        self.action_open.setShortcuts([QKeySequence("Return"), QKeySequence("Enter")])
        self.action_open_canvas = make(
            "Open in Magic Canvas", "canvas", self._open_current_in_canvas, "Ctrl+Return"
        )
        self.action_retry = make(
            "Retry", "retry", lambda: self.retry(self._selected_with(JobStatus.FAILED)), "Ctrl+R"
        )
        self.action_cancel = make(
            "Cancel job", "cancel", lambda: self.cancel(self._selected_running()), "Ctrl+."
        )
        self.action_copy_error = make("Copy error", "copy", self.copy_error, "Ctrl+Shift+C")
        self.action_export = make(
            "Export…", "export", self.export_selected, "Ctrl+E", on_view=False
        )
        self.action_keep_offline = make(
            "Keep offline",
            "pin",
            lambda *_a: self.keep_offline(
                self.selected_job_ids(), self.action_keep_offline.isChecked()
            ),
        )
        self.action_keep_offline.setCheckable(True)
        self.action_delete = make(
            "Delete…",
            "delete",
            lambda: self.confirm_delete(self.selected_job_ids()),
            QKeySequence(QKeySequence.StandardKey.Delete),
        )
        self.action_select_all = make("Select all", None, self.view.selectAll, "Ctrl+A")
        self.action_search = make(
            "Search", "search", self.filter_bar.focus_search, "Ctrl+F", on_view=False
        )
        self.addAction(self.action_search)
        self.action_close_panel = make(
            "Close the opened job", "close", self._close_panel, "Esc", on_view=False
        )
        self.addAction(self.action_close_panel)
        self.action_first = make("First job", None, self.go_first, "Home")
        self.action_last = make("Last job", None, self.go_last, "End")
        self.action_paste = make(
            "Paste image",
            "import",
            self.paste,
            QKeySequence(QKeySequence.StandardKey.Paste),
            on_view=False,
        )
        self.addAction(self.action_paste)  # the empty state (no view shown) pastes too
        self.action_paste.setToolTip(
            "Paste an image: cut out a garment, or edit it in Magic Canvas (Ctrl+V)"
        )

    def _show_context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if index.isValid() and not self.view.selectionModel().isSelected(index):
            self.view.setCurrentIndex(index)
        menu = self.build_context_menu()
        self.context_menu = menu
        menu.popup(self.view.viewport().mapToGlobal(pos))

    def build_context_menu(self) -> QMenu:
        """The menu for the selection (every action, enabled for what applies)."""
        self._update_actions()
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for action in (self.action_open, self.action_open_canvas):
            menu.addAction(action)
        menu.addSeparator()
        for action in (self.action_retry, self.action_cancel, self.action_copy_error):
            if action.isEnabled():
                menu.addAction(action)
        menu.addSeparator()
        for action in (self.action_export, self.action_keep_offline):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.action_select_all)
        menu.addAction(self.action_delete)
        return menu

    def _update_actions(self) -> None:
        ids = self.selected_job_ids()
        jobs = [j for j in (self._job(i) for i in ids) if j is not None]
        one = len(jobs) == 1
        with_images = any(self._outputs(j.id) for j in jobs)
        self.action_open.setEnabled(one)
        self.action_open_canvas.setEnabled(one and with_images)
        self.action_retry.setEnabled(
            any(j.status in (JobStatus.FAILED, JobStatus.CANCELED) for j in jobs)
        )
        self.action_cancel.setEnabled(
            any(j.status in (JobStatus.RUNNING, JobStatus.QUEUED) for j in jobs)
        )
        self.action_copy_error.setEnabled(one and bool(jobs and jobs[0].error))
        self.action_export.setEnabled(with_images)
        self.action_keep_offline.setEnabled(with_images)
        self.action_keep_offline.setChecked(with_images and self._all_pinned(jobs))
        self.action_delete.setEnabled(bool(jobs))
        if len(jobs) > 1:
            self.action_delete.setText(f"Delete {len(jobs)} jobs…")
            self.action_export.setText(f"Export images of {len(jobs)} jobs…")
        else:
            self.action_delete.setText("Delete…")
            self.action_export.setText("Export…")

    def _all_pinned(self, jobs: list[Job]) -> bool:
        if self.loader is None:
            return False
        states = [self.loader.pinned(o.id) for j in jobs for o in self._outputs(j.id)]
        return bool(states) and all(states)

    # ================================================================== selection
    def selected_job_ids(self) -> list[str]:
        """The selected jobs, in feed order."""
        if self.model is None:
            return []
        rows = sorted(i.row() for i in self.view.selectionModel().selectedRows())
        return [self.model.feed_row(r).job.id for r in rows if r < self.model.rowCount()]

    def select_jobs(self, job_ids: list[str]) -> None:
        """Select these jobs (the first becomes current)."""
        if self.model is None:
            return
        selection = self.view.selectionModel()
        selection.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for n, job_id in enumerate(job_ids):
            index = self.model.index_of(job_id)
            if not index.isValid():
                continue
            if n == 0:
                selection.setCurrentIndex(index, flags)
            else:
                selection.select(index, flags)

    def reveal_job(self, job_id: str) -> None:
        """Select ``job_id`` and scroll to it (its row in the middle); a job not in the feed
        yet is revealed when it arrives, and filters that hide it are cleared first."""
        self._pending_reveal = job_id
        if self.model is None:
            return
        if self._try_reveal():
            return
        if self.model.filters.is_filtered:
            self.filter_bar.clear()
        elif not self.model.is_loading:
            self.model.reload()

    def _try_reveal(self) -> bool:
        job_id = self._pending_reveal
        if job_id is None or self.model is None:
            return False
        index = self.model.index_of(job_id)
        if not index.isValid():
            return False
        self._pending_reveal = None
        self.select_jobs([job_id])
        self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def _after_rows_arrived(self) -> None:
        if self._pending_reveal is not None:
            self._try_reveal()
        if self._seeking_end:
            QTimer.singleShot(0, self.go_last)

    # ================================================================== keyboard
    def go_first(self) -> None:
        """Home: the newest job becomes current and selected."""
        self._seeking_end = False
        if self.model is not None and self.model.rowCount():
            self._go_to_row(0)

    def go_last(self) -> None:
        """End: the oldest job; pages not read yet are read first (the selection follows)."""
        if self.model is None:
            return
        if self.model.has_more:
            self._seeking_end = True
            if self.model.rowCount():
                self._go_to_row(self.model.rowCount() - 1)
            self.model.fetchMore()
            return
        self._seeking_end = False
        if self.model.rowCount():
            self._go_to_row(self.model.rowCount() - 1)

    def _go_to_row(self, row: int) -> None:
        assert self.model is not None
        index = self.model.index(row, 0)
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.view.selectionModel().setCurrentIndex(index, flags)
        self.view.scrollTo(index)

    # ================================================================== paste
    def can_paste(self) -> bool:
        from studio_desktop.ui.drop_choices import clipboard_has_paste

        return self.services is not None and clipboard_has_paste()

    def paste(self) -> QMenu | None:
        """Ctrl+V: like a drop of the clipboard's image(s) on this window: a menu asks where
        it goes (cut out a garment, or edit in Magic Canvas) when both apply."""
        from studio_desktop.ui.drop_choices import choice_menu, choices_for, clipboard_files

        if self.services is None:
            self._defer(self.paste)
            return None
        try:
            paths = clipboard_files(self.services.store.dirs.root / "pasted")
        except OSError as error:
            self._message(f"The pasted image could not be saved: {error}.", MessageLevel.ERROR)
            return None
        if paths is None:
            self._message(
                "The clipboard holds no image to paste. Copy an image or image files, then "
                "press Ctrl+V again.",
                MessageLevel.WARNING,
            )
            return None
        options = choices_for(AreaKey.HISTORY, paths)
        if len(options) == 1:
            self.paste_chosen.emit(options[0].choice.value, paths)
            return None
        menu = choice_menu(self, options, lambda choice: self.paste_chosen.emit(choice, paths))
        self.paste_menu = menu
        rect = self.view.viewport().rect()
        menu.popup(self.view.viewport().mapToGlobal(rect.center()))
        return menu

    def _job(self, job_id: str) -> Job | None:
        if self.model is None:
            return None
        row = self.model.row_of(job_id)
        return self.model.feed_row(row).job if row >= 0 else None

    def _outputs(self, job_id: str) -> tuple[JobOutput, ...]:
        if self.model is None:
            return ()
        row = self.model.row_of(job_id)
        return self.model.feed_row(row).outputs if row >= 0 else ()

    def _selected_with(self, *statuses: str) -> list[str]:
        wanted = set(statuses) | ({JobStatus.CANCELED} if JobStatus.FAILED in statuses else set())
        return [i for i in self.selected_job_ids() if (j := self._job(i)) and j.status in wanted]

    def _selected_running(self) -> list[str]:
        return self._selected_with(JobStatus.RUNNING, JobStatus.QUEUED)

    def _selection_changed(self) -> None:
        count = len(self.selected_job_ids())
        self._update_actions()
        window = self._window()
        if window is not None and self._active:
            window.set_export_enabled(self.action_export.isEnabled())
        self.selection_changed.emit(count)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self.detail is not None and self.detail.isVisible() and current.isValid():
            self.detail.show_job(current.data(Role.JOB_ID))

    # ================================================================== open
    def open_current(self) -> None:
        """Open the current job beside the feed (its images larger, its prompt, its actions)."""
        index = self.view.currentIndex()
        if not index.isValid() or self.model is None:
            return
        if self.loader is None:  # (the early page: the panel shows the loader's pictures)
            self._defer(self.open_current)
            return
        detail = self.detail or self._build_detail()
        detail.show_job(index.data(Role.JOB_ID))
        if not detail.isVisible():
            detail.show()
            width = self.splitter.width()
            self.splitter.setSizes([max(300, width - 380), 380])

    def _build_detail(self) -> JobDetailPanel:
        """The job's panel beside the feed, built when a job is first opened (not at start-up,
        where it cost the first page its construction)."""
        from studio_desktop.ui.history.detail_panel import JobDetailPanel

        assert self.model is not None
        self.detail = detail = JobDetailPanel(self.model, self)
        self.detail.hide()
        self.detail.closed.connect(self.view.setFocus)
        self.detail.retry_requested.connect(lambda job_id: self.retry([job_id]))
        self.detail.cancel_requested.connect(lambda job_id: self.cancel([job_id]))
        self.detail.open_canvas_requested.connect(self.open_in_canvas)
        self.detail.export_requested.connect(lambda job_id: self.export_jobs([job_id]))
        self.detail.keep_offline_requested.connect(
            lambda job_id, keep: self.keep_offline([job_id], keep)
        )
        self.detail.delete_requested.connect(lambda job_id: self.confirm_delete([job_id]))
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(1, 0)
        return detail

    def _close_panel(self) -> None:
        if self.detail is not None and self.detail.isVisible():
            self.detail.close_panel()

    def _open_current_in_canvas(self) -> None:
        ids = self.selected_job_ids()
        if len(ids) == 1:
            self.open_in_canvas(ids[0])

    def open_in_canvas(self, job_id: str) -> None:
        """Make (or reopen) the job's creation, then switch to the Canvas area."""
        if self.services is None:
            self._defer(lambda: self.open_in_canvas(job_id))
            return
        history = self.services.history

        def opened(thread_id: str) -> None:
            self.navigator.open_creation(thread_id)

        run_op(self, history.open_in_canvas(job_id), on_success=opened, progress="Opening…")

    # ================================================================== retry / cancel

    def retry(self, job_ids: list[str]) -> None:
        if self.services is None:
            self._defer(lambda: self.retry(job_ids))
            return
        history = self.services.history
        for job_id in job_ids:
            run_op(self, history.retry(job_id), progress="Retrying…")

    def cancel(self, job_ids: list[str]) -> None:
        if self.services is None:
            self._defer(lambda: self.cancel(job_ids))
            return
        history = self.services.history
        for job_id in job_ids:
            run_op(self, history.cancel(job_id), progress="Canceling…")

    def copy_error(self) -> None:
        ids = self.selected_job_ids()
        job = self._job(ids[0]) if len(ids) == 1 else None
        if job is not None and job.error:
            QGuiApplication.clipboard().setText(job.error)
            self._message("The error was copied to the clipboard.", MessageLevel.SUCCESS)

    # ================================================================== delete
    def confirm_delete(self, job_ids: list[str]) -> QMessageBox | None:
        """Ask before deleting (window-modal; nothing is deleted until "Delete" is clicked)."""
        ids = [i for i in job_ids if self._job(i) is not None]
        if ids and self.services is None:
            self._defer(lambda: self.confirm_delete(ids))
        if not ids or self.services is None:
            return None
        images = sum(len(self._outputs(i)) for i in ids)
        jobs_text = f"{len(ids)} job{'s' if len(ids) != 1 else ''}"
        images_text = f"{images} image{'s' if images != 1 else ''}"
        where = (
            "from this computer"
            if self.services.store.is_local
            else "from this computer and from your account"
        )
        box = QMessageBox(self)
        box.setObjectName("HistoryDeleteDialog")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Delete jobs")
        box.setText(f"Delete {jobs_text} and {images_text}?" if images else f"Delete {jobs_text}?")
        box.setInformativeText(
            f"They are removed {where}. Running jobs are stopped first. This cannot be undone."
        )
        delete_button = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        delete_button.setObjectName("HistoryDeleteConfirm")
        cancel_button = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel_button)
        box.setEscapeButton(cancel_button)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(button: object) -> None:
            if button is delete_button:
                self._delete(ids)

        box.buttonClicked.connect(answered)
        self.delete_dialog = box
        box.open()
        return box

    def _delete(self, job_ids: list[str]) -> None:
        assert self.services is not None

        def done(result: DeleteJobsResult) -> None:
            n = len(result.deleted)
            self._message(f"Deleted {n} job{'s' if n != 1 else ''}.", MessageLevel.SUCCESS)

        run_op(
            self, self.services.history.delete_jobs(job_ids), on_success=done, progress="Deleting…"
        )

    # ================================================================== export
    def export_selected(self) -> QFileDialog | None:
        return self.export_jobs(self.selected_job_ids())

    def export_jobs(self, job_ids: list[str]) -> QFileDialog | None:
        """Choose a folder, then copy the jobs' images into it (File ▸ Export, Ctrl+E)."""
        ids = [i for i in job_ids if self._outputs(i)]
        if ids and self.services is None:
            self._defer(lambda: self.export_jobs(ids))
            return None
        if not ids or self.services is None:
            if job_ids:
                self._message("The selected jobs have no images to export.", MessageLevel.INFO)
            return None
        settings = QSettings()
        start = str(settings.value(EXPORT_DIR_KEY, "") or Path.home())
        dialog = QFileDialog(self, "Export images to a folder", start)
        dialog.setObjectName("HistoryExportDialog")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        dialog.setLabelText(QFileDialog.DialogLabel.Accept, "Export")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda folder: self._export_to(ids, Path(folder)))
        self.export_dialog = dialog
        dialog.open()
        return dialog

    def _export_to(self, job_ids: list[str], folder: Path) -> None:
        assert self.services is not None
        QSettings().setValue(EXPORT_DIR_KEY, str(folder))

        def done(result: ExportResult) -> None:
            level = MessageLevel.WARNING if result.skipped else MessageLevel.SUCCESS
            self._message(result.message, level)

        run_op(
            self,
            self.services.history.export_jobs(job_ids, folder),
            on_success=done,
            progress="Exporting…",
        )

    # ================================================================== keep offline
    def keep_offline(self, job_ids: list[str], keep: bool) -> None:
        if self.services is None and job_ids:
            self._defer(lambda: self.keep_offline(job_ids, keep))
        if self.services is None or not job_ids:
            return
        output_ids = {o.id for i in job_ids for o in self._outputs(i)}

        def done(result: KeepOfflineResult) -> None:
            if self.loader is not None:
                self.loader.set_pinned(output_ids, keep)
            if self.model is not None:
                for job_id in job_ids:
                    index = self.model.index_of(job_id)
                    if index.isValid():
                        self.model.dataChanged.emit(index, index)
            n = result.outputs
            if keep:
                text = f"{n} image{'s' if n != 1 else ''} will be kept on this computer."
                if result.queued_downloads:
                    text += f" {result.queued_downloads} will download when you are online."
            else:
                text = f"{n} image{'s' if n != 1 else ''} may be removed from the cache again."
            self._message(text, MessageLevel.SUCCESS)

        run_op(
            self,
            self.services.history.keep_offline(job_ids, keep),
            on_success=done,
            progress="Keeping offline…" if keep else "Releasing…",
        )

    # ================================================================== drag out
    def drag_items(self, press_pos: QPoint) -> list[DragItem]:
        """What a drag that starts at ``press_pos`` carries: the image under the pointer when
        one job is selected, else every image of the selected jobs."""
        if self.model is None or self.services is None:
            return []
        index = self.view.indexAt(press_pos)
        ids = self.selected_job_ids()
        if index.isValid() and index.data(Role.JOB_ID) not in ids:
            ids = [index.data(Role.JOB_ID)]
        chosen: list[tuple[Job, JobOutput, int]] = []
        tile = (
            self.delegate.tile_at(self.view.visualRect(index), index, press_pos)
            if index.isValid()
            else None
        )
        if len(ids) == 1 and tile is not None:
            job = index.data(Role.JOB)
            outputs = index.data(Role.OUTPUTS)
            chosen.append((job, outputs[tile], tile + 1))
        else:
            for job_id in ids:
                job = self._job(job_id)
                for n, output in enumerate(self._outputs(job_id), start=1):
                    if job is not None:
                        chosen.append((job, output, n))
        items = []
        for job, output, n in chosen:
            items.append(DragItem(job, output, n, self._cached_path(output)))
        return items

    def _cached_path(self, output: JobOutput) -> Path | None:
        assert self.services is not None and self.loader is not None
        from studio_desktop.services.common import output_ref

        known = self.loader.known_path(output.id)
        if known is not None and known.exists():
            return known
        ref = output_ref(output)
        if ref is None:
            return None
        # A read of the blob index (WAL: never waits for a writer); fast enough for a drag.
        return self.services.store.blobs.get_path(ref.bucket, ref.path)

    def drag_files(self, press_pos: QPoint) -> DragFiles:
        assert self.services is not None
        return prepare_drag_files(self.services.store.dirs.root, self.drag_items(press_pos))

    def _start_drag(self, press_pos: QPoint) -> None:
        if self.services is None:
            return
        prepared = self.drag_files(press_pos)
        note = prepared.message()
        if note:
            self._message(note, MessageLevel.WARNING)
        if not prepared.files:
            return
        from PySide6.QtCore import QMimeData

        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(p)) for p in prepared.files])
        drag = QDrag(self.view)
        drag.setMimeData(mime)
        index = self.view.indexAt(press_pos)
        if index.isValid():
            pixmap = index.data(Qt.ItemDataRole.DecorationRole)
            if pixmap is not None and not pixmap.isNull():
                drag.setPixmap(pixmap.scaled(QSize(96, 96), Qt.AspectRatioMode.KeepAspectRatio))
        self.last_drag = drag
        drag.exec(Qt.DropAction.CopyAction)

    # ================================================================== filters & size
    def _on_filters_changed(self, filters: HistoryFilter) -> None:
        if self.model is not None:
            self.model.set_filter(filters)

    def _on_size_requested(self, size: ThumbnailSize) -> None:
        window = self._window()
        if window is not None:
            window.set_thumbnail_size(size)  # emits thumbnail_size_changed -> set_thumbnail_px
        else:
            self.set_thumbnail_px(size.pixels)

    def set_thumbnail_px(self, px: int) -> None:
        """The tile size in pixels (View ▸ Thumbnail size, or the bar's S / M / L)."""
        self._thumb_px = px
        for size in ThumbnailSize:
            if size.pixels == px and self._built:
                self.filter_bar.set_size(size)
        self._apply_thumb_px()

    @property
    def thumbnail_px(self) -> int:
        return self._thumb_px

    def _apply_thumb_px(self) -> None:
        if not self._built:
            return
        from studio_desktop.ui.history.delegate import row_height

        self.delegate.set_thumb_px(self._thumb_px)
        self.view.set_row_height(row_height(self._thumb_px))
        if self.model is not None:
            self.model.set_device_pixels(round(self._thumb_px * self.devicePixelRatioF()))
        self.view.doItemsLayout()
        self.view.viewport().update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            self._awaiting_first_paint
            and event.type() == QEvent.Type.Paint
            and watched is self.view.viewport()
            and self.model is not None
            and self.model.loaded_once
        ):
            self._awaiting_first_paint = False
            QTimer.singleShot(0, self._first_page_painted)
        return super().eventFilter(watched, event)

    def _first_page_painted(self) -> None:
        rows = self.model.rowCount() if self.model is not None else 0
        log.info(
            "history feed: first page painted, %d jobs, %.0f ms after %s",
            rows,
            (time.perf_counter() - self._opened_at) * 1000,
            "it was read (the early page: the workspace is not open yet)"
            if self._early is not None
            else "the workspace was shown",
        )
        self.first_page_painted.emit()

    # ================================================================== pages & messages
    def _update_page(self) -> None:
        if self.model is None or not self.model.loaded_once or not self._built:
            return
        if self.model.rowCount() > 0:
            self.pages.setCurrentWidget(self.feed_page)
            self.feed_stack.setCurrentWidget(self.view)
        elif self.model.is_loading or self.model.has_more:
            return
        elif self.model.filters.is_filtered:
            self.pages.setCurrentWidget(self.feed_page)
            self.feed_stack.setCurrentWidget(self.no_results)
        else:
            self.empty_state.title_label.setText(EMPTY_TITLE)
            self.empty_state.text_label.setText(EMPTY_TEXT)
            self.pages.setCurrentWidget(self.empty_state)

    @property
    def showing_empty_state(self) -> bool:
        return self.pages.currentWidget() is self.empty_state

    @property
    def showing_no_results(self) -> bool:
        return self._built and (
            self.pages.currentWidget() is self.feed_page
            and self.feed_stack.currentWidget() is self.no_results
        )

    def _show_load_error(self, message: str) -> None:
        host = find_host(self)
        if host is not None:
            host.show_external_error(ExternalError(message))
        else:
            log.warning("history feed: %s", message)

    def _message(self, text: str, level: MessageLevel) -> None:
        window = self._window()
        if window is not None:
            window.show_message(text, level=level)
        else:
            log.info("history: %s", text)
        self.last_message = text
