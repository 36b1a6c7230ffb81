"""The history feed as a Qt item model: one row per job, newest first, its outputs in roles.

A thin adapter over ``HistoryService.feed_page`` (keyset pages, read in the executor):

- **Lazy pages.** The first page loads on :meth:`FeedModel.reload`; ``canFetchMore`` /
  ``fetchMore`` load the next one when the view scrolls near the end. A page is read off the
  GUI thread and appended with one ``beginInsertRows``. Changing the filter reads the new first
  page first and swaps the rows in one reset, so the old rows stay on screen until then.
- **Events, not re-reads.** ``store.rows.rows_changed`` (jobs and outputs inserted, updated or
  deleted, here or by the sync) and the job service's ``job_changed`` / ``job_progress`` arrive
  through an :class:`~studio_desktop.ui.bridge.EventBridge` and become targeted row inserts,
  ``dataChanged`` for one row, or row removals. Only the changed ids are read (off-thread).
  A new job is placed by its ``(created_at, id)`` if it passes the filter
  (:func:`~studio_desktop.ui.history.matching.matches`) and falls inside what is loaded (older
  ones arrive with their page).
- **Thumbnails** are not in the rows: the delegate asks the
  :class:`~studio_desktop.ui.history.thumbnails.ThumbnailLoader` while painting, and a finished
  load becomes ``dataChanged`` for the one row that shows that output.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from datetime import datetime
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QPixmap

from studio_desktop.domain.enums import JobStatus
from studio_desktop.domain.errors import ExternalError
from studio_desktop.domain.models import Job, JobOutput
from studio_desktop.engine.base import JobProgress
from studio_desktop.services.history import HistoryFilter, HistoryService, job_type_label
from studio_desktop.services.jobs import JobService
from studio_desktop.store.queries import FeedCursor, FeedItem, FeedPage
from studio_desktop.store.repository import ChangeSet
from studio_desktop.store.workspace import Store
from studio_desktop.ui.bridge import EventBridge
from studio_desktop.ui.crash import report_crash
from studio_desktop.ui.history.matching import job_profile_id, job_prompt, matches, sort_key
from studio_desktop.ui.history.roles import Role
from studio_desktop.ui.history.thumbnails import LOADING, Thumb, ThumbnailLoader

log = logging.getLogger(__name__)
T = TypeVar("T")

PAGE_SIZE = 60

AnyIndex = QModelIndex | QPersistentModelIndex


PackedRow = tuple[tuple[Any, ...], tuple[tuple[Any, ...], ...]]


def pack_row(job: Job, outputs: tuple[JobOutput, ...]) -> PackedRow:
    """A feed row as plain tuples of strings, numbers and datetimes (see :class:`FeedRow`)."""
    return (_pack_job(job), tuple(_pack_output(o) for o in outputs))


class FeedRow:
    """A read-only view of one job of the feed and its outputs.

    A feed scrolled to the bottom holds every job of the workspace (100,000 outputs and more),
    so the model keeps each row as plain tuples (:func:`pack_row`) instead of model objects:
    about half the memory, and nothing the garbage collector has to walk (CPython untracks
    tuples of atoms), so its full collections stay short however long the feed grows. This view
    is made on demand; ``job`` and ``outputs`` rebuild the model objects (only visible rows and
    the selection ask).
    """

    __slots__ = ("_job", "_outputs")

    def __init__(self, packed: PackedRow) -> None:
        self._job, self._outputs = packed

    @property
    def job(self) -> Job:
        return _unpack_job(self._job)

    @property
    def outputs(self) -> tuple[JobOutput, ...]:
        job_id = self._job[0]
        return tuple(_unpack_output(job_id, o) for o in self._outputs)

    @property
    def job_id(self) -> str:
        return self._job[0]

    @property
    def status(self) -> str:
        return self._job[2]

    @property
    def updated_at(self) -> datetime:
        return self._job[7]

    @property
    def key(self) -> tuple[datetime, str]:
        """The feed's order (newest first): ``(created_at, id)``."""
        return _key(self._job)

    @property
    def output_ids(self) -> tuple[str, ...]:
        return tuple(o[0] for o in self._outputs)

    @property
    def output_count(self) -> int:
        return len(self._outputs)


def _has_ended(status: str) -> bool:
    """Succeeded, failed or canceled (an unknown status from a newer server counts as not)."""
    return status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED)


def _key(packed_job: tuple[Any, ...]) -> tuple[datetime, str]:
    return (packed_job[6], packed_job[0])


#: ``input_json`` keys the feed shows or acts on; the rest stays in the store.
_JOB_KEYS = ("prompt", "instruction", "engine", "attempt", "profileId", "profile_id")


def _atom(value: str | None) -> str | None:
    """A shared copy of a short repeated string (an enum member becomes its plain value)."""
    return sys.intern(str(value)) if value is not None else None


def _pack_job(job: Job) -> tuple[Any, ...]:
    slim = tuple(
        (key, job.input_json[key])
        for key in _JOB_KEYS
        if isinstance(job.input_json.get(key), (str, int, float, bool))
    )
    return (
        job.id,
        _atom(job.type),
        _atom(job.status),
        slim,
        job.provider_operation_id,
        job.error,
        job.created_at,
        job.updated_at,
        _atom(job.user_id),
    )


def _unpack_job(packed: tuple[Any, ...]) -> Job:
    return Job(
        id=packed[0],
        user_id=packed[8],
        type=packed[1],
        status=packed[2],
        input_json=dict(packed[3]),
        provider_operation_id=packed[4],
        error=packed[5],
        created_at=packed[6],
        updated_at=packed[7],
    )


def _pack_output(output: JobOutput) -> tuple[Any, ...]:
    return (
        output.id,
        _atom(output.kind),
        _atom(output.angle),
        _atom(output.mime_type),
        output.storage_path,
        output.width,
        output.height,
        output.created_at,
    )


def _unpack_output(job_id: str, packed: tuple[Any, ...]) -> JobOutput:
    return JobOutput(
        id=packed[0],
        job_id=job_id,
        kind=packed[1],
        angle=packed[2],
        mime_type=packed[3],
        storage_path=packed[4],
        width=packed[5],
        height=packed[6],
        created_at=packed[7],
    )


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
        store: Store,
        history: HistoryService,
        jobs: JobService,
        loader: ThumbnailLoader,
        *,
        executor: Executor | None = None,
        page_size: int = PAGE_SIZE,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.history = history
        self.jobs = jobs
        self.loader = loader
        self.executor = executor
        self.page_size = page_size
        self._rows: list[PackedRow] = []
        self._row_of: dict[str, int] = {}
        self._job_of_output: dict[str, str] = {}
        self._filter = HistoryFilter()
        self._cursor: FeedCursor | None = None
        self._exhausted = False
        self._loaded_once = False
        self._generation = 0
        self._loading_page = False
        self._reloading = False
        self._early: dict[str, Job] = {}  # jobs that arrived by event while a first page loaded
        #: Job deletions seen so far, and when each job went (id -> that count). A read records
        #: the count when it starts; what it read of a job deleted after that is stale and is
        #: dropped (see :meth:`_live`). Forgotten once no read is in flight.
        self._deletions = 0
        self._deleted_at: dict[str, int] = {}
        self._tasks: set[asyncio.Future[Any]] = set()
        self._profile_names: dict[str, str] = {}
        #: Progress of the jobs running in this session (job id -> fraction, message).
        self._progress: dict[str, tuple[float, str]] = {}
        self._placeholder = _placeholder_pixmap()
        self.device_pixels = 112
        #: Reads made for events and applied (tests wait on it instead of sleeping).
        self.event_reads = 0
        self.bridge = EventBridge(self)
        self.bridge.connect_event(store.rows.rows_changed, self._on_rows_changed)
        self.bridge.connect_event(jobs.job_changed, self._on_job_changed)
        self.bridge.connect_event(jobs.job_progress, self._on_progress)
        loader.ready.connect(self._on_thumbnail_ready)

    # ================================================================== Qt model API
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

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
        if not index.isValid() or index.row() >= len(self._rows) or index.column() != 0:
            return None
        row = FeedRow(self._rows[index.row()])
        job = row.job
        if role == Qt.ItemDataRole.DisplayRole:
            parts = [job_type_label(job.type), status_label(job.status)]
            prompt = job_prompt(job)
            if prompt:
                parts.append(prompt)
            return " · ".join(parts)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(row, self.profile_name(job))
        if role == Qt.ItemDataRole.DecorationRole:
            if not row.output_count:
                return self._placeholder
            thumb = self.loader.peek(row.output_ids[0], self.device_pixels)
            return thumb.pixmap if thumb.pixmap is not None else self._placeholder
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self.data(index, Qt.ItemDataRole.DisplayRole)
        if role == Role.JOB:
            return job
        if role == Role.JOB_ID:
            return job.id
        if role == Role.OUTPUTS:
            return row.outputs
        if role == Role.STATUS:
            return job.status
        if role == Role.PROGRESS:
            return self._progress.get(job.id, (None, ""))[0]
        if role == Role.PROGRESS_MESSAGE:
            return self._progress.get(job.id, (None, ""))[1]
        if role == Role.PROFILE_NAME:
            return self.profile_name(job)
        if role == Role.PROMPT:
            return job_prompt(job)
        if role == Role.ERROR:
            return job.error if job.status == JobStatus.FAILED else None
        if role == Role.TYPE_LABEL:
            return job_type_label(job.type)
        if role == Role.THUMBS:
            return tuple(self.loader.peek(i, self.device_pixels) for i in row.output_ids)
        return None

    def roleNames(self) -> dict[int, bytes]:
        names = dict(super().roleNames())
        for role in Role:
            names[int(role)] = role.name.lower().encode()
        return names

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid():
            return False
        return self._loaded_once and not self._exhausted and not self._loading_page

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._load_page(reset=False)

    # ================================================================== reading
    @property
    def filters(self) -> HistoryFilter:
        return self._filter

    @property
    def is_loading(self) -> bool:
        return self._loading_page

    @property
    def has_more(self) -> bool:
        return not self._exhausted

    @property
    def loaded_once(self) -> bool:
        return self._loaded_once

    def row_of(self, job_id: str) -> int:
        """The row showing a job, or -1."""
        return self._row_of.get(job_id, -1)

    def index_of(self, job_id: str) -> QModelIndex:
        row = self.row_of(job_id)
        return self.index(row, 0) if row >= 0 else QModelIndex()

    def feed_row(self, row: int) -> FeedRow:
        return FeedRow(self._rows[row])

    def job_ids(self) -> list[str]:
        return [r[0][0] for r in self._rows]

    def thumb(self, output: JobOutput) -> Thumb:
        """For the delegate: the tile's state, queuing a load on a miss (visible tiles only)."""
        if self.device_pixels <= 0:
            return LOADING
        return self.loader.get(output, self.device_pixels)

    def profile_name(self, job: Job) -> str | None:
        profile_id = job_profile_id(job)
        return self._profile_names.get(profile_id) if profile_id else None

    @property
    def profile_names(self) -> dict[str, str]:
        return dict(self._profile_names)

    # ================================================================== commands
    def set_filter(self, filters: HistoryFilter) -> None:
        """Show the jobs that pass ``filters`` (read the first page, then swap the rows)."""
        if filters == self._filter and self._loaded_once:
            return
        self._filter = filters
        self.reload()

    def reload(self) -> None:
        """Read the first page again (the filter changed, or a workspace was opened)."""
        self._load_page(reset=True)
        self._spawn(self._read(self.store.queries.profiles), self._apply_profiles)
        for entry in self.jobs.queue():  # jobs already running when the feed opens
            self._apply_progress(entry.job.id, entry.progress, entry.message)

    def set_device_pixels(self, device_pixels: int) -> None:
        """The thumbnail tile's size in device pixels (repaints every row)."""
        if device_pixels == self.device_pixels:
            return
        self.device_pixels = device_pixels
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(len(self._rows) - 1, 0),
                [Qt.ItemDataRole.DecorationRole, int(Role.THUMBS)],
            )

    def refresh_output(self, output_id: str) -> None:
        """An output's file arrived (or vanished): show it again from the cache."""
        self.loader.forget(output_id)
        self._on_thumbnail_ready(output_id)

    def close(self) -> None:
        """Stop listening and loading (the area closes or switches workspace)."""
        self.bridge.disconnect_all()
        self._generation += 1
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()

    # ================================================================== pages
    def _load_page(self, *, reset: bool) -> None:
        if reset:
            self._generation += 1
            self._reloading = True
        generation = self._generation
        cursor = None if reset else self._cursor
        self._loading_page = True
        self.loading_changed.emit(True)
        work = self.history.feed_page(self._filter, cursor, self.page_size)
        since = self._deletions
        self._spawn(work, lambda page: self._apply_page(page, reset, generation, since), generation)

    def _apply_page(self, page: FeedPage, reset: bool, generation: int, since: int) -> None:
        if generation != self._generation:
            return  # a newer filter or reload won
        items = self._live(page.items, since)
        self._loading_page = False
        self._loaded_once = True
        self._cursor = page.next_cursor
        self._exhausted = page.next_cursor is None
        if reset:
            self._reloading = False
            self.beginResetModel()
            self._rows = []
            self._row_of = {}
            self._job_of_output = {}
            self._append_rows(items)
            self.endResetModel()
            early, self._early = self._early, {}
            for job in early.values():
                self._place_or_update(job, None)
        else:
            fresh = [item for item in items if item.job.id not in self._row_of]
            if fresh:
                first = len(self._rows)
                self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
                self._append_rows(fresh)
                self.endInsertRows()
        self.loading_changed.emit(False)
        self.page_loaded.emit(reset)

    def _append_rows(self, items: Iterable[FeedItem]) -> None:
        for item in items:
            job_id = item.job.id
            self._row_of[job_id] = len(self._rows)
            self._rows.append(pack_row(item.job, item.outputs))
            for output in item.outputs:
                self._job_of_output[output.id] = job_id

    # ================================================================== events
    def _on_rows_changed(self, change: ChangeSet) -> None:
        if change.table == "jobs":
            if change.kind == "delete":
                self._note_deleted(change.ids)
                self._remove_jobs(change.ids)
            else:
                self._read_items(self._read_jobs, list(change.ids))
        elif change.table == "job_outputs":
            if change.kind == "delete":
                self._remove_outputs(change.ids)
            else:
                self._read_items(self._read_jobs_of_outputs, list(change.ids))
        elif change.table == "profiles":
            self._spawn(self._read(self.store.queries.profiles), self._apply_profiles)

    def _on_job_changed(self, job: Job) -> None:
        self._place_or_update(job, None)
        if job.status != JobStatus.RUNNING:
            self._apply_progress(job.id, None, "")

    def _on_progress(self, progress: JobProgress) -> None:
        self._apply_progress(progress.job_id, progress.fraction, progress.message)

    def _apply_progress(self, job_id: str, fraction: float | None, message: str) -> None:
        row = self._row_of.get(job_id)
        if fraction is not None and row is not None and _has_ended(FeedRow(self._rows[row]).status):
            return  # a late report of a run the row already shows as ended
        if fraction is None:
            if self._progress.pop(job_id, None) is None:
                return
        elif self._progress.get(job_id) == (fraction, message):
            return
        else:
            self._progress[job_id] = (fraction, message)
        if row is None:
            return
        index = self.index(row, 0)
        self.dataChanged.emit(index, index, [int(Role.PROGRESS), int(Role.PROGRESS_MESSAGE)])

    def _read_items(self, read: Callable[[list[str]], list[FeedItem]], ids: list[str]) -> None:
        """Read these jobs off the GUI thread and show what was read (unless deleted meanwhile)."""
        since = self._deletions
        self._spawn(self._read(read, ids), lambda items: self._apply_items(items, since))

    def _apply_items(self, items: list[FeedItem], since: int) -> None:
        for item in self._live(items, since):
            self._place_or_update(item.job, item.outputs)
        self.event_reads += 1

    def _note_deleted(self, job_ids: Sequence[str]) -> None:
        self._deletions += 1
        for job_id in job_ids:
            self._deleted_at[job_id] = self._deletions
            self._early.pop(job_id, None)

    def _live(self, items: Iterable[FeedItem], since: int) -> list[FeedItem]:
        """``items`` read by a read that started after ``since`` deletions, without the jobs
        deleted after it started: the read saw them before they went, and must not bring a
        deleted job back."""
        if not self._deleted_at:
            return list(items)
        return [item for item in items if self._deleted_at.get(item.job.id, 0) <= since]

    def _place_or_update(self, job: Job, outputs: tuple[JobOutput, ...] | None) -> None:
        """Update a shown job, or insert a new one where it belongs (see the module docstring).

        Progress is only for jobs still running: a job that has ended loses it here, whether the
        store's change (a read) or the job service's ``job_changed`` said so first."""
        if self._reloading or not self._loaded_once:
            self._early[job.id] = job  # placed again once the first page is in
        row = self._row_of.get(job.id)
        if row is not None:
            entry = FeedRow(self._rows[row])
            if job.updated_at < entry.updated_at:
                job = entry.job  # an older read than what is shown: keep the job's fields
            if _has_ended(job.status):
                self._progress.pop(job.id, None)  # the dataChanged below repaints it
            if not matches(self._filter, job):
                self._remove_jobs([job.id])
                return
            packed_outputs = self._rows[row][1]
            if outputs is not None:
                for old in entry.output_ids:
                    self._job_of_output.pop(old, None)
                packed_outputs = pack_row(job, outputs)[1]
                for output in outputs:
                    self._job_of_output[output.id] = job.id
            self._rows[row] = (pack_row(job, ())[0], packed_outputs)
            index = self.index(row, 0)
            self.dataChanged.emit(index, index)
            return
        if not matches(self._filter, job):
            return
        if self._reloading or not self._loaded_once:
            return
        if not self._in_loaded_range(job):
            return  # it comes with a later page
        if _has_ended(job.status):
            self._progress.pop(job.id, None)
        position = self._insert_position(job)
        self.beginInsertRows(QModelIndex(), position, position)
        self._rows.insert(position, pack_row(job, outputs or ()))
        for output in outputs or ():
            self._job_of_output[output.id] = job.id
        self._reindex(position)
        self.endInsertRows()
        if outputs is None:
            # From job_changed: the outputs (if any already) come from the store.
            self._read_items(self._read_jobs, [job.id])

    def _in_loaded_range(self, job: Job) -> bool:
        if self._exhausted or not self._rows:
            return self._exhausted
        return sort_key(job) > _key(self._rows[-1][0])

    def _insert_position(self, job: Job) -> int:
        key = sort_key(job)
        low, high = 0, len(self._rows)
        while low < high:  # rows are in descending key order
            middle = (low + high) // 2
            if _key(self._rows[middle][0]) > key:
                low = middle + 1
            else:
                high = middle
        return low

    def _reindex(self, start: int) -> None:
        for row in range(start, len(self._rows)):
            self._row_of[self._rows[row][0][0]] = row

    def _remove_jobs(self, job_ids: Sequence[str]) -> None:
        rows = sorted((self._row_of[j] for j in job_ids if j in self._row_of), reverse=True)
        if not rows:
            return
        # Contiguous runs, removed from the bottom up so the earlier rows keep their numbers.
        runs: list[tuple[int, int]] = []
        for row in rows:
            if runs and runs[-1][0] == row + 1:
                runs[-1] = (row, runs[-1][1])
            else:
                runs.append((row, row))
        for first, last in runs:
            self.beginRemoveRows(QModelIndex(), first, last)
            for entry in map(FeedRow, self._rows[first : last + 1]):
                self._row_of.pop(entry.job_id, None)
                for output_id in entry.output_ids:
                    self._job_of_output.pop(output_id, None)
                    self.loader.forget(output_id)
            del self._rows[first : last + 1]
            self.endRemoveRows()
        self._reindex(rows[-1])

    def _remove_outputs(self, output_ids: Sequence[str]) -> None:
        by_job: dict[str, set[str]] = {}
        for output_id in output_ids:
            job_id = self._job_of_output.pop(output_id, None)
            if job_id is not None:
                by_job.setdefault(job_id, set()).add(output_id)
                self.loader.forget(output_id)
        for job_id, gone in by_job.items():
            row = self._row_of.get(job_id)
            if row is None:
                continue
            packed_job, packed_outputs = self._rows[row]
            self._rows[row] = (packed_job, tuple(o for o in packed_outputs if o[0] not in gone))
            index = self.index(row, 0)
            self.dataChanged.emit(index, index)

    def _on_thumbnail_ready(self, output_id: str) -> None:
        job_id = self._job_of_output.get(output_id)
        row = self._row_of.get(job_id) if job_id else None
        if row is None:
            return
        index = self.index(row, 0)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole, int(Role.THUMBS)])

    def _apply_profiles(self, profiles: list[Any]) -> None:
        names = {p.id: p.name for p in profiles}
        if names == self._profile_names:
            return
        self._profile_names = names
        self.profiles_changed.emit()
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, 0), [int(Role.PROFILE_NAME)]
            )

    # ================================================================== off-thread reads
    def _read_jobs(self, job_ids: list[str]) -> list[FeedItem]:
        items = []
        for job_id in job_ids:
            item = self.store.queries.job(job_id)
            if item is not None:
                items.append(item)
        return items

    def _read_jobs_of_outputs(self, output_ids: list[str]) -> list[FeedItem]:
        job_ids: dict[str, None] = {}
        for output_id in output_ids:
            output = self.store.queries.output(output_id)
            if output is not None:
                job_ids[output.job_id] = None
        return self._read_jobs([j for j in job_ids if j in self._row_of])

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, lambda: fn(*args))

    def _spawn(
        self, work: Any, on_success: Callable[[Any], None], generation: int | None = None
    ) -> None:
        """Run ``work`` on the loop; apply its result on the GUI thread unless superseded."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)

        def done(task: asyncio.Future[Any]) -> None:
            if not shiboken6.isValid(self):
                self._tasks.discard(task)
                return
            try:
                finish(task)
            finally:
                self._tasks.discard(task)
                if not self._tasks:
                    self._deleted_at.clear()  # no read from before those deletions is left

        def finish(task: asyncio.Future[Any]) -> None:
            if task.cancelled():
                return
            if generation is not None and generation != self._generation:
                return
            error = task.exception()
            if error is None:
                try:
                    on_success(task.result())
                except Exception as exc:
                    report_crash(exc)
                return
            if generation is not None:
                self._loading_page = False
                self._reloading = False
                self.loading_changed.emit(False)
            if isinstance(error, ExternalError):
                log.info("history feed: %s", error.message)
                self.load_failed.emit(error.message)
            else:
                report_crash(error)

        task.add_done_callback(done)


# ====================================================================== labels
_STATUS_LABELS = {
    JobStatus.QUEUED: "Queued",
    JobStatus.RUNNING: "Running",
    JobStatus.SUCCEEDED: "Done",
    JobStatus.FAILED: "Failed",
    JobStatus.CANCELED: "Canceled",
}


def status_label(status: str) -> str:
    """ "Done" for ``succeeded``; an unknown status from a newer server as it is."""
    for known, label in _STATUS_LABELS.items():
        if status == known.value:
            return label
    return status.replace("_", " ").capitalize()


def _tooltip(row: FeedRow, profile: str | None) -> str:
    job = row.job
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
