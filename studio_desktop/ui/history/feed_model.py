"""The history feed as a Qt item model: one row per job, newest first, its outputs in roles.

A thin adapter over :class:`~studio_desktop.services.history_feed.HistoryFeed`, which owns the
rows, the filter and search, the pages, the background reads and the live updates (and is
tested without a display). This model only turns the feed's events into Qt's:

- ``resetting`` / ``reset`` -> ``beginResetModel`` / ``endResetModel`` (a new filter's first
  page: the old rows stay on screen until it is read);
- ``rows_inserting`` / ``rows_inserted`` and ``rows_removing`` / ``rows_removed`` -> row
  inserts and removals (a page, a job from elsewhere placed where it belongs, a deletion);
- ``rows_changed`` -> ``dataChanged`` for those rows and the roles that changed;
- ``canFetchMore`` / ``fetchMore`` -> the feed's next page.

At start-up it first shows the History's early page (an
:class:`~studio_desktop.services.history_early.EarlyFeed`, read before the workspace opened,
with no tile loader: its tiles show as loading); :meth:`FeedModel.adopt_feed` then puts the
live feed that took those rows over in its place (same rows: no reset, the view keeps its
selection and scroll) and :meth:`FeedModel.set_loader` brings the tiles. This module imports
no asyncio and no store (the early page is painted before they are imported).

The feed emits on the event loop's thread, which under qasync is the GUI thread, so its events
are connected directly. **Thumbnails** are not in the rows: the delegate asks the
:class:`~studio_desktop.ui.history.thumbnails.ThumbnailLoader` while painting, and a finished
load becomes ``dataChanged`` for the one row that shows that output.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QPixmap

from studio_desktop.domain.enums import JobStatus
from studio_desktop.domain.events import Event
from studio_desktop.domain.models import Job, JobOutput
from studio_desktop.services.history_labels import (
    HistoryFilter,
    job_prompt,
    job_type_label,
    status_label,
)
from studio_desktop.services.history_rows import Aspect, FeedRow, FeedRows, RowsChanged
from studio_desktop.ui.history.roles import Role

if TYPE_CHECKING:  # (asyncio and the store: not imported before the early page)
    from studio_desktop.services.history_early import EarlyFeed
    from studio_desktop.services.history_feed import HistoryFeed
    from studio_desktop.ui.history.thumbnails import Thumb, ThumbnailLoader

#: Also what the delegate and the detail panel take from here.
__all__ = ["FeedModel", "FeedRow", "Role", "status_label"]

log = logging.getLogger(__name__)

AnyIndex = QModelIndex | QPersistentModelIndex

_ROLES_OF: dict[Aspect, list[int]] = {
    Aspect.JOB: [],  # every role
    Aspect.PROGRESS: [int(Role.PROGRESS), int(Role.PROGRESS_MESSAGE)],
    Aspect.PROFILE: [int(Role.PROFILE_NAME)],
}


def _placeholder_pixmap() -> QPixmap:
    pixmap = QPixmap(16, 16)
    pixmap.fill(QColor(128, 128, 128, 60))
    return pixmap


class FeedModel(QAbstractListModel):
    """See the module docstring."""

    #: A page or a changed row could not be read (the message is for the message bar).
    load_failed = Signal(str)
    #: A page was applied (``reset`` True for a first page); the area updates its empty states.
    page_loaded = Signal(bool)
    #: Loading started/stopped (a first page or a further one).
    loading_changed = Signal(bool)
    #: The profile names changed (id -> name in :attr:`profile_names`).
    profiles_changed = Signal()

    def __init__(
        self,
        feed: HistoryFeed | EarlyFeed,
        loader: ThumbnailLoader | None = None,
        *,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.feed: HistoryFeed | EarlyFeed = feed
        #: The tile loader; ``None`` while the early page shows (its tiles show as loading).
        self.loader: ThumbnailLoader | None = None
        self._placeholder = _placeholder_pixmap()
        self.device_pixels = 112
        self._links: list[tuple[Event[Any], Callable[[Any], object]]] = []
        self._link(feed)
        links = self._links
        shown = self._shown = [feed]

        def unlink(*_args: object) -> None:  # (no ``self``: it may be gone by then)
            """The model deleted without :meth:`close` (its parent went first): a read that
            finishes later must not reach it."""
            shown[0].close()
            for event, slot in links:  # empty when close() ran first (it clears this list)
                event.disconnect(slot)
            links.clear()

        self.destroyed.connect(unlink)
        #: Outputs whose tile changed since the last flush: one ``dataChanged`` per event-loop
        #: turn for all of them (a screen of "Not downloaded" tiles answers in one burst, and a
        #: signal per tile made every one of them a full repaint of the view).
        self._thumbs_changed: set[str] = set()
        self._thumbs_flush = QTimer(self)
        self._thumbs_flush.setSingleShot(True)
        self._thumbs_flush.setInterval(0)
        self._thumbs_flush.timeout.connect(self._flush_thumbnails)
        if loader is not None:
            self.set_loader(loader)

    def _link(self, feed: FeedRows) -> None:
        root = QModelIndex()
        self._links[:] = [
            (feed.resetting, lambda _v: self.beginResetModel()),
            (feed.reset, lambda _v: self.endResetModel()),
            (feed.rows_inserting, lambda s: self.beginInsertRows(root, s.first, s.last)),
            (feed.rows_inserted, lambda _s: self.endInsertRows()),
            (feed.rows_removing, lambda s: self.beginRemoveRows(root, s.first, s.last)),
            (feed.rows_removed, lambda _s: self.endRemoveRows()),
            (feed.rows_changed, self._on_rows_changed),
            (feed.outputs_left, self._on_outputs_left),
            (feed.page_loaded, self.page_loaded.emit),
            (feed.loading_changed, self.loading_changed.emit),
            (feed.profiles_changed, lambda _names: self.profiles_changed.emit()),
            (feed.load_failed, self.load_failed.emit),
            (feed.crashed, _report_crash),
        ]
        for event, slot in self._links:
            event.connect(slot)

    def _unlink(self) -> None:
        for event, slot in self._links:
            try:
                event.disconnect(slot)
            except ValueError:
                log.debug("history feed model: %s was already disconnected", event.name)
        self._links.clear()

    def adopt_feed(self, feed: HistoryFeed) -> None:
        """Show ``feed``, which took the shown early feed's rows over
        (:meth:`~studio_desktop.services.history_feed.HistoryFeed.adopt`), in its place: the
        rows are the same, so nothing is reset and the view keeps its selection and scroll."""
        if len(feed) != len(self.feed) or feed.job_ids() != self.feed.job_ids():
            raise ValueError("a feed adopted by the model must show the same rows")
        self._unlink()
        self.feed.close()
        self.feed = self._shown[0] = feed
        self._link(feed)

    def set_loader(self, loader: ThumbnailLoader) -> None:
        """The tile loader (the early page has none): every row's tiles are asked again."""
        self.loader = loader
        loader.ready.connect(self._on_thumbnail_ready)
        if len(self.feed):
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(len(self.feed) - 1, 0),
                [Qt.ItemDataRole.DecorationRole, int(Role.THUMBS)],
            )

    # ================================================================== Qt model API
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.feed)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsDragEnabled
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.feed) or index.column() != 0:
            return None
        row = self.feed.row(index.row())
        if role == Role.JOB_ID:
            return row.job_id
        if role == Role.STATUS:
            return row.status
        if role == Role.PROGRESS:
            return self.feed.progress(row.job_id)[0]
        if role == Role.PROGRESS_MESSAGE:
            return self.feed.progress(row.job_id)[1]
        if role == Role.THUMBS:
            if self.loader is None:  # (the early page: no tile loaded yet)
                return tuple(None for _ in row.output_ids)
            return tuple(self.loader.peek(i, self.device_pixels) for i in row.output_ids)
        if role == Qt.ItemDataRole.DecorationRole:
            if not row.output_count or self.loader is None:
                return self._placeholder
            thumb = self.loader.peek(row.output_ids[0], self.device_pixels)
            return thumb.pixmap if thumb.pixmap is not None else self._placeholder
        if role == Role.OUTPUTS:
            return row.outputs
        job = row.job
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            parts = [job_type_label(job.type), status_label(job.status)]
            prompt = job_prompt(job)
            if prompt:
                parts.append(prompt)
            return " · ".join(parts)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(row, job, self.feed.profile_name(job))
        if role == Role.JOB:
            return job
        if role == Role.PROFILE_NAME:
            return self.feed.profile_name(job)
        if role == Role.PROMPT:
            return job_prompt(job)
        if role == Role.ERROR:
            return job.error if job.status == JobStatus.FAILED else None
        if role == Role.TYPE_LABEL:
            return job_type_label(job.type)
        return None

    def roleNames(self) -> dict[int, bytes]:
        names = dict(super().roleNames())
        for role in Role:
            names[int(role)] = role.name.lower().encode()
        return names

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self.feed.can_fetch_more

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if not parent.isValid():
            self.feed.fetch_more()

    # ================================================================== the feed's state
    @property
    def filters(self) -> HistoryFilter:
        return self.feed.filters

    @property
    def is_loading(self) -> bool:
        return self.feed.is_loading

    @property
    def has_more(self) -> bool:
        return self.feed.has_more

    @property
    def loaded_once(self) -> bool:
        return self.feed.loaded_once

    @property
    def profile_names(self) -> dict[str, str]:
        return self.feed.profile_names

    def row_of(self, job_id: str) -> int:
        """The row showing a job, or -1."""
        return self.feed.row_of(job_id)

    def index_of(self, job_id: str) -> QModelIndex:
        row = self.feed.row_of(job_id)
        return self.index(row, 0) if row >= 0 else QModelIndex()

    def feed_row(self, row: int) -> FeedRow:
        return self.feed.row(row)

    def job_ids(self) -> list[str]:
        return self.feed.job_ids()

    def profile_name(self, job: Job) -> str | None:
        return self.feed.profile_name(job)

    def thumb(self, output: JobOutput) -> Thumb | None:
        """For the delegate: the tile's state, queuing a load on a miss (visible tiles only);
        ``None`` (a tile still loading) before there is a loader or a tile size."""
        if self.loader is None or self.device_pixels <= 0:
            return None
        return self.loader.get(output, self.device_pixels)

    # ================================================================== commands
    def set_filter(self, filters: HistoryFilter) -> None:
        """Show the jobs that pass ``filters`` (read the first page, then swap the rows)."""
        self.feed.set_filter(filters)

    def reload(self) -> None:
        """Read the first page again (the filter changed, or a workspace was opened)."""
        self.feed.reload()

    def set_device_pixels(self, device_pixels: int) -> None:
        """The thumbnail tile's size in device pixels (repaints every row)."""
        if device_pixels == self.device_pixels:
            return
        self.device_pixels = device_pixels
        if len(self.feed):
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(len(self.feed) - 1, 0),
                [Qt.ItemDataRole.DecorationRole, int(Role.THUMBS)],
            )

    def refresh_output(self, output_id: str) -> None:
        """An output's file arrived (or vanished): show it again from the cache."""
        if self.loader is None:
            return
        self.loader.forget(output_id)
        self._on_thumbnail_ready(output_id)

    def close(self) -> None:
        """Stop listening and loading (the area closes or switches workspace)."""
        self.feed.close()
        self._unlink()

    # ================================================================== events
    def _on_rows_changed(self, change: RowsChanged) -> None:
        self.dataChanged.emit(
            self.index(change.first, 0), self.index(change.last, 0), _ROLES_OF[change.aspect]
        )

    def _on_outputs_left(self, output_ids: tuple[str, ...]) -> None:
        if self.loader is None:
            return
        for output_id in output_ids:
            self.loader.forget(output_id)

    def _on_thumbnail_ready(self, output_id: str) -> None:
        self._thumbs_changed.add(output_id)
        if not self._thumbs_flush.isActive():
            self._thumbs_flush.start()

    def _flush_thumbnails(self) -> None:
        """One ``dataChanged`` over the rows whose tiles changed since the last turn."""
        rows = [self.feed.row_of_output(output_id) for output_id in self._thumbs_changed]
        self._thumbs_changed.clear()
        rows = [row for row in rows if row >= 0]
        if not rows:
            return
        roles = [Qt.ItemDataRole.DecorationRole, int(Role.THUMBS)]
        self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), 0), roles)


def _report_crash(error: BaseException) -> None:
    from studio_desktop.ui.crash import report_crash  # (its dialog: not before the early page)

    report_crash(error)


def _tooltip(row: FeedRow, job: Job, profile: str | None) -> str:
    lines = [f"{job_type_label(job.type)} — {status_label(job.status)}"]
    if profile:
        lines.append(f"Profile: {profile}")
    prompt = job_prompt(job)
    if prompt:
        lines.append(prompt)
    if job.status == JobStatus.FAILED and job.error:
        lines.append(f"Error: {job.error}")
    count = row.output_count
    if count:
        lines.append(f"{count} output{'s' if count != 1 else ''}")
    return "\n".join(lines)
