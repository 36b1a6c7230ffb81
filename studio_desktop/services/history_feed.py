"""The History screen without Qt: the feed's rows, its filter and search, its pages, and how
jobs changed elsewhere reach it. A Qt list model is a thin adapter over it (``ui/history``).

    feed = services.history.open_feed()             # one per shown workspace
    feed.rows_inserted.connect(...)                 # events: see below
    feed.set_filter(HistoryFilter(search="linen"))  # reads the first page, then swaps the rows
    feed.fetch_more()                               # the next page (keyset, newest first)
    len(feed), feed.row(0).job, feed.row_of(job_id), feed.progress(job_id)
    feed.close()

**One place for the filter.** Every row shown passed the store's feed query
(:meth:`~studio_desktop.store.queries.Queries.feed_page`). A job inserted, changed or deleted
elsewhere (submitted here, pulled by the sync, edited on another device) is not judged by Python:
its id is handed back to the same query (:meth:`~studio_desktop.store.queries.Queries.feed_items`),
restricted to the part of the feed already read, as qutebrowser's completion models re-run their
query instead of filtering in Python. What the query returns is updated or inserted where it
belongs by the feed's order ``(created_at, id)``; a shown job it leaves out is removed (it was
deleted or stopped matching); a job older than the last page read arrives with its page. Search
also reads a job's profile name, so while a search is on, a profile renamed, added or deleted
hands its jobs back to the same query.

**Reads.** Every read runs in the service's executor, never on the loop's thread. Reads are
made one at a time (a page, or the changes collected meanwhile), so one never applies what is
older than what another already applied; a new filter supersedes whatever is in flight. A job
deleted while a read was in flight is dropped from that read's result, never brought back.

**Events** are emitted on the event loop's thread (the GUI thread under qasync), after the
change for the ``-ed`` ones and before it for the ``-ing`` ones (the shape of napari's evented
lists, so a Qt model can call ``beginInsertRows`` / ``endInsertRows`` around the change):

- ``resetting`` / ``reset``: every row replaced (a first page for a filter);
- ``rows_inserting`` / ``rows_inserted``, ``rows_removing`` / ``rows_removed``: a
  :class:`RowSpan` (first and last row, inclusive);
- ``rows_changed``: a :class:`RowsChanged`, the span and what changed (:class:`Aspect`);
- ``outputs_left``: output ids no longer in the feed (to forget their thumbnails);
- ``page_loaded`` (True for a first page), ``loading_changed``, ``profiles_changed``
  (id -> name), ``load_failed`` (a sentence for the message bar), ``crashed`` (a bug in a
  read: the exception, for the crash dialog).

Table names stop here: the store's ``rows_changed`` (jobs, outputs, profiles) and the job
service's ``job_changed`` / ``job_progress`` are its inputs, from any thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio_desktop.domain.enums import JobStatus
from studio_desktop.domain.errors import ExternalError
from studio_desktop.domain.events import Event
from studio_desktop.domain.models import Job
from studio_desktop.engine.base import JobProgress
from studio_desktop.services.common import output_ref
from studio_desktop.services.history import HistoryFilter
from studio_desktop.services.history_rows import (
    PAGE_SIZE,
    Aspect,
    FeedRow,
    FeedRows,
    RowsChanged,
    RowSpan,
    has_ended,
    pack_row,
    row_key,
    unpack_output,
)
from studio_desktop.store.queries import FeedItem, FeedPage
from studio_desktop.store.repository import ChangeSet

if TYPE_CHECKING:
    from studio_desktop.services.history_early import EarlyFeed
    from studio_desktop.services.jobs import JobService
    from studio_desktop.store.workspace import Store, Written

log = logging.getLogger(__name__)


def _current_loop() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # built before the loop runs (the loop is already set, as under qasync)
        return asyncio.get_event_loop_policy().get_event_loop()


# ====================================================================== the feed
class HistoryFeed(FeedRows):
    """See the module docstring."""

    def __init__(
        self,
        store: Store,
        jobs: JobService,
        *,
        executor: Executor | None = None,
        page_size: int = PAGE_SIZE,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.store = store
        self.jobs = jobs
        self.executor = executor
        self.page_size = page_size
        self._loop = loop or _current_loop()

        super().__init__()
        #: Bumped by every first-page read: what an older read brings is dropped.
        self._generation = 0
        #: The read in flight ("page" or "changes"), or None; reads are made one at a time.
        self._reading: str | None = None
        self._reloading = False
        self._want_page = False
        #: Ids of jobs and outputs changed since the last read of changes started.
        self._dirty_jobs: dict[str, None] = {}
        self._dirty_outputs: dict[str, None] = {}
        #: Profiles renamed, added or deleted meanwhile while a search is on: their jobs'
        #: search text changed, so the next read of changes re-checks those jobs too.
        self._dirty_profiles: dict[str, None] = {}
        self._pump_scheduled = False
        #: Job deletions seen so far, and when each job went (id -> that count). A read records
        #: the count when it starts; what it read of a job deleted after that is stale and is
        #: dropped (see :meth:`_live`). Forgotten once no read is in flight.
        self._deletions = 0
        self._deleted_at: dict[str, int] = {}
        self._tasks: set[asyncio.Future[Any]] = set()
        #: Reads of changes made and applied (tests wait on it instead of sleeping).
        self.event_reads = 0
        self._closed = False
        self._inputs: list[tuple[Event[Any], Callable[[Any], object]]] = [
            (store.rows.rows_changed, self._hop(self._on_store_change)),
            (jobs.job_changed, self._hop(self._on_job_changed)),
            (jobs.job_progress, self._hop(self._on_progress)),
        ]
        for event, callback in self._inputs:
            event.connect(callback)

    # ================================================================== reading the state
    @property
    def is_loading(self) -> bool:
        """A page is being read (a first page, or one more)."""
        return self._reloading or self._want_page or self._reading == "page"

    def outputs_stored_at(self, bucket: str, path: str) -> list[str]:
        """The shown outputs whose file is this object (a download just brought it)."""
        found = []
        for packed_job, packed_outputs in self._rows:
            for packed in packed_outputs:
                if packed[4] == path:  # compared on the packed rows: no objects made
                    ref = output_ref(unpack_output(packed_job[0], packed))
                    if ref is not None and ref.bucket == bucket:
                        found.append(packed[0])
        return found

    # ================================================================== commands
    def set_filter(self, filters: HistoryFilter) -> None:
        """Show the jobs that pass ``filters`` (read the first page, then swap the rows)."""
        if filters == self._filter and self._loaded_once:
            return
        self._filter = filters
        self.reload()

    def reload(self) -> None:
        """Read the first page again (a new filter, a workspace opened, a job to reveal)."""
        if self._closed:
            return
        self._generation += 1
        self._reloading = True
        self._want_page = False
        self._dirty_jobs.clear()  # the new first page reads them as they are now
        self._dirty_outputs.clear()
        self._dirty_profiles.clear()
        self._read_page(reset=True)
        self._spawn(self._submit(self.store.queries.profiles), self._apply_profiles)
        for entry in self.jobs.queue():  # jobs already running when the feed opens
            self._apply_progress(entry.job.id, entry.progress, entry.message)

    def adopt(self, early: EarlyFeed) -> bool:
        """Take the History's early page (read before this workspace opened, see
        :mod:`~studio_desktop.services.history_early`) as this feed's first page instead of
        reading it again; True if it did. Nothing is emitted now: the rows are the ones the
        early feed already showed (a list model swaps the feeds without a reset).

        It does when the early page was read from this workspace's database, which its open
        did not repair, for this feed's filter, and what was written since the open is known
        (the store's :class:`~studio_desktop.store.workspace.ChangeJournal`): those jobs and
        outputs are read again by the feed's read of changes, the deleted ones removed, as
        live updates are (on the next turn of the loop). Otherwise it returns False and changes
        nothing: read the first page (:meth:`reload`)."""
        if self._closed or self._loaded_once or self._reading is not None or self._reloading:
            return False
        if early.filters != self._filter or self.store.recovery is not None:
            return False
        if early.database != Path(self.store.db.path).resolve():
            return False
        journal = self.store.journal
        written = journal.take() if journal is not None else None
        if written is None:
            return False
        self._take_rows(early)
        self._loop.call_soon(self._after_adopting, written)
        return True

    def _after_adopting(self, written: Written) -> None:
        """Bring the adopted rows up to date with what was written after they were read."""
        if self._closed:
            return
        deleted = written.deletes.get("jobs", ())
        if deleted:
            self._note_deleted(deleted)
            self._remove_jobs(deleted)
        self._remove_outputs(written.deletes.get("job_outputs", ()))
        self._mark_changed(
            jobs=written.upserts.get("jobs", ()), outputs=written.upserts.get("job_outputs", ())
        )
        self._spawn(self._submit(self.store.queries.profiles), self._apply_profiles)
        for entry in self.jobs.queue():  # jobs already running when the feed opens
            self._apply_progress(entry.job.id, entry.progress, entry.message)

    def fetch_more(self) -> None:
        """Read the next page (when the view nears the end); ignored while one is read."""
        if not self.can_fetch_more or self._closed:
            return
        self._want_page = True
        self._pump()
        if self._want_page:  # queued behind a read of changes
            self.loading_changed.emit(True)

    def close(self) -> None:
        """Stop listening and reading (the screen closes, or the workspace changes)."""
        if self._closed:
            return
        self._closed = True
        for event, callback in self._inputs:
            with contextlib.suppress(ValueError):
                event.disconnect(callback)
        self._generation += 1
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()

    # ================================================================== inputs
    def _hop(self, handler: Callable[[Any], None]) -> Callable[[Any], None]:
        """``handler`` run on the loop's thread, in emission order, whatever thread emits."""

        def on_loop(value: Any) -> None:
            if not self._closed:
                handler(value)

        def hop(value: Any) -> None:
            if self._closed:
                return
            try:
                self._loop.call_soon_threadsafe(on_loop, value)
            except RuntimeError:  # the loop is closed: nobody is looking any more
                log.debug("history feed: %s after the loop closed", getattr(value, "table", value))

        return hop

    def _on_store_change(self, change: ChangeSet) -> None:
        if change.table == "jobs":
            if change.kind == "delete":
                self._note_deleted(change.ids)
                self._remove_jobs(change.ids)
            else:
                self._mark_changed(jobs=change.ids)
        elif change.table == "job_outputs":
            if change.kind == "delete":
                self._remove_outputs(change.ids)
            else:
                self._mark_changed(outputs=change.ids)
        elif change.table == "profiles":
            self._spawn(self._submit(self.store.queries.profiles), self._apply_profiles)
            if self._filter.to_feed_filter().search is not None:
                # A profile's name is part of its jobs' search text: a rename can make them
                # match or stop matching. The same query judges them again.
                self._mark_changed(profiles=change.ids)

    def _on_job_changed(self, job: Job) -> None:
        if job.status != JobStatus.RUNNING:
            self._apply_progress(job.id, None, "")
        self._mark_changed(jobs=(job.id,))

    def _on_progress(self, progress: JobProgress) -> None:
        self._apply_progress(progress.job_id, progress.fraction, progress.message)

    def _apply_progress(self, job_id: str, fraction: float | None, message: str) -> None:
        row = self._row_of.get(job_id)
        if fraction is not None and row is not None and has_ended(FeedRow(self._rows[row]).status):
            return  # a late report of a run the row already shows as ended
        if fraction is None:
            if self._progress.pop(job_id, None) is None:
                return
        elif self._progress.get(job_id) == (fraction, message):
            return
        else:
            self._progress[job_id] = (fraction, message)
        if row is not None:
            self.rows_changed.emit(RowsChanged(row, row, Aspect.PROGRESS))

    # ================================================================== reads, one at a time
    def _mark_changed(
        self,
        *,
        jobs: Iterable[str] = (),
        outputs: Iterable[str] = (),
        profiles: Iterable[str] = (),
    ) -> None:
        self._dirty_jobs.update(dict.fromkeys(jobs))
        self._dirty_outputs.update(dict.fromkeys(outputs))
        self._dirty_profiles.update(dict.fromkeys(profiles))
        if not self._pump_scheduled:
            # Once per burst: the changes of one loop iteration are read together.
            self._pump_scheduled = True
            self._loop.call_soon(self._pump)

    def _pump(self) -> None:
        """Start the next read, if none is in flight: a wanted page first, then the changes."""
        self._pump_scheduled = False
        if self._closed or self._reading is not None or self._reloading:
            return
        if not self._loaded_once:
            return  # the first page reads everything as it is
        if self._want_page:
            self._want_page = False
            self._read_page(reset=False)
        elif self._dirty_jobs or self._dirty_outputs or self._dirty_profiles:
            self._read_changes()

    def _read_page(self, *, reset: bool) -> None:
        generation = self._generation
        cursor = None if reset else self._cursor
        self._reading = "page"
        self.loading_changed.emit(True)
        work = self._submit(
            self.store.queries.feed_page, self._filter.to_feed_filter(), cursor, self.page_size
        )
        since = self._deletions
        self._spawn(
            work, lambda page: self._apply_page(page, reset, since), generation, failed=self._failed
        )

    def _read_changes(self) -> None:
        jobs, self._dirty_jobs = list(self._dirty_jobs), {}
        outputs, self._dirty_outputs = list(self._dirty_outputs), {}
        profiles, self._dirty_profiles = list(self._dirty_profiles), {}
        down_to = None if self._exhausted else self._cursor
        feed_filter = self._filter.to_feed_filter()
        queries = self.store.queries

        def read() -> tuple[list[str], tuple[FeedItem, ...]]:
            ids = list(
                dict.fromkeys(
                    [
                        *jobs,
                        *queries.jobs_of_outputs(outputs),
                        *(queries.jobs_of_profiles(profiles) if profiles else ()),
                    ]
                )
            )
            return ids, queries.feed_items(feed_filter, ids, down_to=down_to)

        self._reading = "changes"
        since = self._deletions
        self._spawn(
            self._submit(read),
            lambda result: self._apply_changes(*result, since),
            self._generation,
            failed=self._failed,
        )

    def _failed(self) -> None:
        was_page = self._reading == "page"
        self._reading = None
        self._reloading = False
        if was_page:
            self.loading_changed.emit(False)
        self._pump()

    # ================================================================== applying reads
    def _apply_page(self, page: FeedPage, reset: bool, since: int) -> None:
        items = self._live(page.items, since)
        self._reading = None
        self._loaded_once = True
        self._cursor = page.next_cursor
        self._exhausted = page.next_cursor is None
        if reset:
            self._reloading = False
            self.resetting.emit(None)
            self._rows = []
            self._row_of = {}
            self._job_of_output = {}
            self._append(items)
            self.reset.emit(None)
        else:
            fresh = [item for item in items if item.job.id not in self._row_of]
            if fresh:
                span = RowSpan(len(self._rows), len(self._rows) + len(fresh) - 1)
                self.rows_inserting.emit(span)
                self._append(fresh)
                self.rows_inserted.emit(span)
        self.loading_changed.emit(False)
        self.page_loaded.emit(reset)
        self._pump()

    def _apply_changes(self, asked: list[str], items: tuple[FeedItem, ...], since: int) -> None:
        self._reading = None
        found = self._live(items, since)
        returned = {item.job.id for item in found}
        # Shown jobs the query left out: deleted, or they no longer pass the filter.
        self._remove_jobs([job_id for job_id in asked if job_id not in returned])
        new: list[FeedItem] = []
        for item in found:
            row = self._row_of.get(item.job.id)
            if has_ended(item.job.status):
                self._apply_progress(item.job.id, None, "")
            if row is None:
                new.append(item)
                continue
            left = set(FeedRow(self._rows[row]).output_ids) - {o.id for o in item.outputs}
            for output_id in left:
                self._job_of_output.pop(output_id, None)
            for output in item.outputs:
                self._job_of_output[output.id] = item.job.id
            self._rows[row] = pack_row(item.job, item.outputs)
            self.rows_changed.emit(RowsChanged(row, row, Aspect.JOB))
            if left:
                self.outputs_left.emit(tuple(left))
        self._insert(new)
        self.event_reads += 1
        self._pump()

    def _insert(self, items: list[FeedItem]) -> None:
        """Insert new jobs where the feed's order puts them, as few blocks as possible (a
        burst of jobs newer than everything is one insertion at the top)."""
        blocks: dict[int, list[FeedItem]] = {}
        for item in sorted(items, key=lambda i: (i.job.created_at, i.job.id), reverse=True):
            blocks.setdefault(self._position((item.job.created_at, item.job.id)), []).append(item)
        for position in sorted(blocks, reverse=True):  # bottom up: the others keep their place
            block = blocks[position]
            span = RowSpan(position, position + len(block) - 1)
            self.rows_inserting.emit(span)
            self._rows[position:position] = [pack_row(i.job, i.outputs) for i in block]
            for item in block:
                for output in item.outputs:
                    self._job_of_output[output.id] = item.job.id
            self._reindex(position)
            self.rows_inserted.emit(span)

    def _position(self, key: tuple[datetime, str]) -> int:
        low, high = 0, len(self._rows)
        while low < high:  # rows are in descending key order
            middle = (low + high) // 2
            if row_key(self._rows[middle][0]) > key:
                low = middle + 1
            else:
                high = middle
        return low

    def _reindex(self, start: int) -> None:
        row_of = self._row_of
        for row in range(start, len(self._rows)):
            row_of[self._rows[row][0][0]] = row

    def _note_deleted(self, job_ids: Sequence[str]) -> None:
        self._deletions += 1
        for job_id in job_ids:
            self._deleted_at[job_id] = self._deletions
            self._dirty_jobs.pop(job_id, None)

    def _live(self, items: Iterable[FeedItem], since: int) -> list[FeedItem]:
        """``items`` read by a read that started after ``since`` deletions, without the jobs
        deleted after it started: the read saw them before they went, and must not bring a
        deleted job back."""
        if not self._deleted_at:
            return list(items)
        return [item for item in items if self._deleted_at.get(item.job.id, 0) <= since]

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
        gone: list[str] = []
        for first, last in runs:
            self.rows_removing.emit(RowSpan(first, last))
            for entry in map(FeedRow, self._rows[first : last + 1]):
                self._row_of.pop(entry.job_id, None)
                for output_id in entry.output_ids:
                    self._job_of_output.pop(output_id, None)
                    gone.append(output_id)
            del self._rows[first : last + 1]
            self._reindex(first)
            self.rows_removed.emit(RowSpan(first, last))
        if gone:
            self.outputs_left.emit(tuple(gone))

    def _remove_outputs(self, output_ids: Sequence[str]) -> None:
        by_job: dict[str, set[str]] = {}
        for output_id in output_ids:
            job_id = self._job_of_output.pop(output_id, None)
            if job_id is not None:
                by_job.setdefault(job_id, set()).add(output_id)
        for job_id, gone in by_job.items():
            row = self._row_of.get(job_id)
            if row is None:
                continue
            packed_job, packed_outputs = self._rows[row]
            self._rows[row] = (packed_job, tuple(o for o in packed_outputs if o[0] not in gone))
            self.rows_changed.emit(RowsChanged(row, row, Aspect.JOB))
        if by_job:
            self.outputs_left.emit(tuple(o for gone in by_job.values() for o in gone))

    def _apply_profiles(self, profiles: list[Any]) -> None:
        names = {p.id: p.name for p in profiles}
        if names == self._profile_names:
            return
        self._profile_names = names
        self.profiles_changed.emit(dict(names))
        if self._rows:
            self.rows_changed.emit(RowsChanged(0, len(self._rows) - 1, Aspect.PROFILE))

    # ================================================================== tasks
    def _submit(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        """``fn(*args)`` in the executor, handed over now (not when the loop next runs), so
        a first page is read while the screen's widgets are still being built."""
        return self._loop.run_in_executor(self.executor, fn, *args)

    def _spawn(
        self,
        work: asyncio.Future[Any],
        on_success: Callable[[Any], None],
        generation: int | None = None,
        *,
        failed: Callable[[], None] | None = None,
    ) -> None:
        """Apply ``work``'s result on the loop, unless a newer first page superseded it."""
        task = work
        self._tasks.add(task)

        def done(task: asyncio.Future[Any]) -> None:
            try:
                if task.cancelled():
                    return
                error = task.exception()  # retrieved even when nobody looks any more
                if self._closed or (generation is not None and generation != self._generation):
                    if error is not None:
                        log.debug("history feed: a superseded read failed: %r", error)
                    return
                self._finish(task, on_success, failed)
            finally:
                self._tasks.discard(task)
                if not self._tasks:
                    self._deleted_at.clear()  # no read from before those deletions is left

        task.add_done_callback(done)

    def _finish(
        self,
        task: asyncio.Future[Any],
        on_success: Callable[[Any], None],
        failed: Callable[[], None] | None,
    ) -> None:
        error = task.exception()
        if error is None:
            try:
                on_success(task.result())
            except Exception as exc:
                log.exception("history feed: applying a read failed")
                self.crashed.emit(exc)
            return
        if failed is not None:
            failed()
        if isinstance(error, ExternalError):
            log.info("history feed: %s", error.message)
            self.load_failed.emit(error.message)
        else:
            self.crashed.emit(error)
