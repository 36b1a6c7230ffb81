"""What a History row says, and what the feed shows: the job type's and status's words, the
prompt, the job's profile, and :class:`HistoryFilter`.

Light on purpose (the domain and the store's feed SQL only): the History's early page is
painted with these before the services and the event loop are imported (``app.py``).
:mod:`studio_desktop.services.history` re-exports every name.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio_desktop.domain.enums import JobStatus, JobType
from studio_desktop.domain.models import Job
from studio_desktop.store.feed_sql import FeedFilter

JOB_TYPE_LABELS: dict[str, str] = {
    JobType.PRODUCT_PACK: "Product pack",
    JobType.TRYON_IMAGE: "Try-on",
    JobType.CANVAS_EDIT: "Canvas edit",
    JobType.EXTRACT_GARMENT: "Garment cutout",
}


def job_type_label(job_type: str) -> str:
    """ "Product pack" for ``product_pack``; an unknown type from a newer server as it is."""
    return JOB_TYPE_LABELS.get(job_type, job_type.replace("_", " ").capitalize())


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


def job_prompt(job: Job) -> str | None:
    """The text the designer typed, for display (a prompt or a canvas instruction), on one
    line."""
    for key in ("prompt", "instruction"):
        value = job.input_json.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return None


def job_profile_id(job: Job) -> str | None:
    """The profile a job was made for (the app writes ``profileId``; older rows ``profile_id``)."""
    for key in ("profileId", "profile_id"):
        value = job.input_json.get(key)
        if isinstance(value, str) and value:
            return value
    return None


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """What the feed shows. Empty tuples / ``None`` mean "any"; several values are
    alternatives. Types and statuses may be enum members or raw strings (a newer server's)."""

    types: tuple[JobType | str, ...] = ()
    statuses: tuple[JobStatus | str, ...] = ()
    profile_id: str | None = None
    search: str | None = None

    @property
    def is_filtered(self) -> bool:
        """Anything chosen or typed (an empty feed then says "No jobs match")."""
        return bool(self.types or self.statuses or self.profile_id or (self.search or "").strip())

    def to_feed_filter(self) -> FeedFilter:
        search = " ".join((self.search or "").split()) or None
        return FeedFilter(
            types=tuple(str(t) for t in self.types),
            statuses=tuple(str(s) for s in self.statuses),
            profile_id=self.profile_id or None,
            search=search,
        )
