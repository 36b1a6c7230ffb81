"""The History feed's rows as plain tuples, and a read-only view of one.

A feed scrolled to the bottom holds every job of the workspace (100,000 outputs and more), so
:class:`~studio_desktop.services.history_feed.HistoryFeed` keeps each row packed by
:func:`pack_row`: tuples of strings, numbers and datetimes, the repeated short strings shared.
:class:`FeedRow` reads one without building model objects until asked.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from studio_desktop.domain.enums import JobStatus
from studio_desktop.domain.models import Job, JobOutput

PackedRow = tuple[tuple[Any, ...], tuple[tuple[Any, ...], ...]]


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
