"""The History feed's rows as plain tuples, a read-only view of one, and what every feed
holds.

A feed scrolled to the bottom holds every job of the workspace (100,000 outputs and more), so
:class:`~studio_desktop.services.history_feed.HistoryFeed` keeps each row packed by
:func:`pack_row`: tuples of strings, numbers and datetimes, the repeated short strings shared.
:class:`FeedRow` reads one without building model objects until asked.

:class:`FeedRows` is what a feed holds and answers (its rows, filter, cursor, profile names)
and the events it emits: the live :class:`~studio_desktop.services.history_feed.HistoryFeed`
and the early page read before the workspace opened
(:class:`~studio_desktop.services.history_early.EarlyFeed`) are both one, so the History's
list model shows either, and the live feed takes the early one's rows over as they are. This
module is light on purpose (the domain only): the early page is painted before asyncio, the
store and the services are imported.
"""

from __future__ import annotations

import enum
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from studio_desktop.domain.enums import JobStatus
from studio_desktop.domain.events import Event
from studio_desktop.domain.models import Job, JobOutput
from studio_desktop.services.history_labels import HistoryFilter, job_profile_id
from studio_desktop.store.feed_sql import FeedCursor

PackedRow = tuple[tuple[Any, ...], tuple[tuple[Any, ...], ...]]
#: Jobs per page of the History's feed.
PAGE_SIZE = 60


def pack_row(job: Job, outputs: tuple[JobOutput, ...]) -> PackedRow:
    """A feed row as plain tuples of strings, numbers and datetimes (see :class:`FeedRow`)."""
    return (_pack_job(job), tuple(_pack_output(o) for o in outputs))


class FeedRow:
    """A read-only view of one job of the feed and its outputs.

    A feed scrolled to the bottom holds every job of the workspace (100,000 outputs and more),
    so the feed keeps each row as plain tuples (:func:`pack_row`) instead of model objects:
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
        return tuple(unpack_output(job_id, o) for o in self._outputs)

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
        return row_key(self._job)

    @property
    def output_ids(self) -> tuple[str, ...]:
        return tuple(o[0] for o in self._outputs)

    @property
    def output_count(self) -> int:
        return len(self._outputs)


def has_ended(status: str) -> bool:
    """Succeeded, failed or canceled (an unknown status from a newer server counts as not)."""
    return status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED)


def row_key(packed_job: tuple[Any, ...]) -> tuple[datetime, str]:
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


def unpack_output(job_id: str, packed: tuple[Any, ...]) -> JobOutput:
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


# ====================================================================== events
@dataclass(frozen=True, slots=True)
class RowSpan:
    """Rows ``first`` to ``last``, both included (as Qt counts them)."""

    first: int
    last: int


class Aspect(enum.Enum):
    """What changed on a row."""

    JOB = "job"  # the job's fields or its outputs
    PROGRESS = "progress"  # the running job's progress
    PROFILE = "profile"  # the profile names


@dataclass(frozen=True, slots=True)
class RowsChanged:
    first: int
    last: int
    aspect: Aspect


# ====================================================================== what a feed holds
class FeedRows:
    """A feed's rows (packed, newest first), its filter, where its last page ended, the
    profile names and the running jobs' progress, with the read side and the events of
    :class:`~studio_desktop.services.history_feed.HistoryFeed` (see its module docstring)."""

    def __init__(self) -> None:
        self.resetting: Event[None] = Event("feed.resetting")
        self.reset: Event[None] = Event("feed.reset")
        self.rows_inserting: Event[RowSpan] = Event("feed.rows_inserting")
        self.rows_inserted: Event[RowSpan] = Event("feed.rows_inserted")
        self.rows_removing: Event[RowSpan] = Event("feed.rows_removing")
        self.rows_removed: Event[RowSpan] = Event("feed.rows_removed")
        self.rows_changed: Event[RowsChanged] = Event("feed.rows_changed")
        self.outputs_left: Event[tuple[str, ...]] = Event("feed.outputs_left")
        self.page_loaded: Event[bool] = Event("feed.page_loaded")
        self.loading_changed: Event[bool] = Event("feed.loading_changed")
        self.profiles_changed: Event[dict[str, str]] = Event("feed.profiles_changed")
        self.load_failed: Event[str] = Event("feed.load_failed")
        self.crashed: Event[BaseException] = Event("feed.crashed")

        self._rows: list[PackedRow] = []
        self._row_of: dict[str, int] = {}
        self._job_of_output: dict[str, str] = {}
        self._filter: HistoryFilter = HistoryFilter()
        self._cursor: FeedCursor | None = None
        self._exhausted = False
        self._loaded_once = False
        self._profile_names: dict[str, str] = {}
        #: Progress of the jobs running in this session (job id -> fraction, message).
        self._progress: dict[str, tuple[float, str]] = {}

    def _append(self, items: Any) -> None:
        """Add ``items`` (:class:`~studio_desktop.store.feed_sql.FeedItem`) at the end."""
        for item in items:
            job_id = item.job.id
            self._row_of[job_id] = len(self._rows)
            self._rows.append(pack_row(item.job, item.outputs))
            for output in item.outputs:
                self._job_of_output[output.id] = job_id

    def _take_rows(self, other: FeedRows) -> None:
        """Hold ``other``'s rows, filter, cursor and profile names (as they are: the rows are
        immutable tuples, shared)."""
        self._rows = other._rows
        self._row_of = other._row_of
        self._job_of_output = other._job_of_output
        self._filter = other._filter
        self._cursor = other._cursor
        self._exhausted = other._exhausted
        self._loaded_once = other._loaded_once
        self._profile_names = dict(other._profile_names)

    # ================================================================== reading the state
    def __len__(self) -> int:
        return len(self._rows)

    def row(self, row: int) -> FeedRow:
        return FeedRow(self._rows[row])

    def row_of(self, job_id: str) -> int:
        """The row showing a job, or -1."""
        return self._row_of.get(job_id, -1)

    def row_of_output(self, output_id: str) -> int:
        """The row showing an output's job, or -1."""
        job_id = self._job_of_output.get(output_id)
        return self._row_of.get(job_id, -1) if job_id is not None else -1

    def job_ids(self) -> list[str]:
        return [r[0][0] for r in self._rows]

    @property
    def filters(self) -> HistoryFilter:
        return self._filter

    @property
    def loaded_once(self) -> bool:
        """A first page was shown (for the current workspace; a new filter keeps it True)."""
        return self._loaded_once

    @property
    def is_loading(self) -> bool:
        """A page is being read (a first page, or one more)."""
        return False

    @property
    def has_more(self) -> bool:
        """Older jobs are left to read (False once the last page was read)."""
        return not self._exhausted

    @property
    def can_fetch_more(self) -> bool:
        return self._loaded_once and not self._exhausted and not self.is_loading

    def progress(self, job_id: str) -> tuple[float | None, str]:
        """A running job's progress (0..1, or None) and its sentence."""
        return self._progress.get(job_id, (None, ""))

    @property
    def profile_names(self) -> dict[str, str]:
        return dict(self._profile_names)

    def profile_name(self, job: Job) -> str | None:
        profile_id = job_profile_id(job)
        return self._profile_names.get(profile_id) if profile_id else None

    def outputs_stored_at(self, bucket: str, path: str) -> list[str]:
        """The shown outputs whose file is this object (a download just brought it)."""
        return []
