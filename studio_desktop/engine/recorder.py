"""What the job machinery reads from and writes to the local store, each in one transaction.

Every write goes through the store's repository, so each changed row gets its outbox entry in
the same transaction, and every new file goes through the blob cache *before* the row that
refers to it (the push uploads it first). The job status rules live here too:

    queued  -> running | canceled | failed
    running -> running (resume after a restart) | succeeded | failed | canceled
    failed, canceled -> queued (a retry of the same row)
    succeeded: final

These methods block (SQLite, fsync); async callers run them in an executor.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from typing import Any

from studio_desktop.domain.enums import JobStatus
from studio_desktop.domain.errors import BugError, ExternalError
from studio_desktop.domain.models import GarmentCutout, Job, JobOutput, Profile, new_id
from studio_desktop.domain.paths import ObjectRef, job_output_ref
from studio_desktop.engine.base import BlobState, ProducedOutput
from studio_desktop.store.blobcache import BlobCache
from studio_desktop.store.db import Database
from studio_desktop.store.queries import Queries
from studio_desktop.store.repository import Repository, model_from_sql
from studio_desktop.store.sync_state import SyncState

_TRANSITIONS: dict[str, frozenset[str]] = {
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.CANCELED, JobStatus.FAILED}),
    # running -> queued: its engine could not be reached, the job waits for it (waitForEngine).
    JobStatus.RUNNING: frozenset(
        {
            JobStatus.RUNNING,
            JobStatus.SUCCEEDED,
            JobStatus.FAILED,
            JobStatus.CANCELED,
            JobStatus.QUEUED,
        }
    ),
    JobStatus.FAILED: frozenset({JobStatus.QUEUED}),
    JobStatus.CANCELED: frozenset({JobStatus.QUEUED}),
    JobStatus.SUCCEEDED: frozenset(),
}
_UNSET: Any = object()
#: ``sync_state`` key: operations of canceled jobs the studio's engine has not confirmed
#: canceling yet (operation id -> engine name), kept across restarts.
PENDING_CANCELS = "pending_operation_cancels"


class JobGoneError(ExternalError):
    """The job's row was deleted (by the user, or by a pull) while the job was running."""

    def __init__(self, job_id: str) -> None:
        super().__init__("This job was deleted while it was running; its results were dropped.")
        self.job_id = job_id


class JobTransitionError(BugError):
    """A status change the lifecycle does not allow (a programming mistake, or a race)."""


def can_move(current: str, new: str) -> bool:
    return new in _TRANSITIONS.get(current, frozenset())


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height from an image's header, without decoding its pixels."""
    from PIL import Image  # (here: opening a workspace, which imports this module, needs none)

    with Image.open(io.BytesIO(data)) as image:
        return image.size


#: Every start asks this: through the status index it reads only the few unfinished rows (the
#: planner's own choice walked all jobs in feed order to skip a sort: 2-10 ms at 10,000 jobs).
UNFINISHED_JOBS_FROM = (
    "FROM jobs INDEXED BY jobs_status_feed "
    "WHERE status IN ('queued', 'running') ORDER BY created_at, id"
)


class JobStore:
    """The store operations of jobs, outputs and cutouts (the store's parts, not a copy)."""

    def __init__(
        self, db: Database, repository: Repository, blobs: BlobCache, queries: Queries
    ) -> None:
        self.db = db
        self.repository = repository
        self.blobs = blobs
        self.queries = queries

    @classmethod
    def from_store(cls, store: Any) -> JobStore:
        """From the store facade (``store.rows``, ``store.blobs``, ``store.queries``)."""
        return cls(store.rows.db, store.rows, store.blobs, store.queries)

    # ------------------------------------------------------------------ reading
    def job(self, job_id: str) -> Job | None:
        return self.repository.get(Job, job_id)

    def require_job(self, job_id: str) -> Job:
        job = self.job(job_id)
        if job is None:
            raise JobGoneError(job_id)
        return job

    def outputs(self, job_id: str) -> list[JobOutput]:
        rows = self.db.query(
            f"SELECT {', '.join(JobOutput.columns())} FROM job_outputs WHERE job_id = ? "
            "ORDER BY created_at, id",
            (job_id,),
        )
        return [model_from_sql(JobOutput, row) for row in rows]

    def unfinished_jobs(self) -> list[Job]:
        """Jobs left ``queued`` or ``running`` (by an earlier run of the app), oldest first."""
        rows = self.db.query(f"SELECT {', '.join(Job.columns())} {UNFINISHED_JOBS_FROM}")
        return [model_from_sql(Job, row) for row in rows]

    def read_blob(self, ref: ObjectRef) -> bytes | None:
        path = self.blobs.get_path(ref.bucket, ref.path)
        if path is None:
            return None
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def unsynced_profile(self, job: Job) -> str | None:
        """Why the studio's engine may not know the profile this job names yet (its row still
        has changes in the outbox, which the sync has not pushed), as a sentence; else None."""
        profile_id = job.input_json.get("profileId")
        outbox = self.repository.outbox
        if not isinstance(profile_id, str) or not outbox.enabled:
            return None
        if not outbox.has_entries_for("profiles", profile_id):
            return None
        profile = self.repository.get(Profile, profile_id)
        name = f"“{profile.name}”" if profile is not None else "of this job"
        refused = next(
            (e for e in outbox.parked() if e.table == "profiles" and e.row_id == profile_id),
            None,
        )
        if refused is not None:
            reason = refused.parked_reason or refused.last_error or "refused"
            return (
                f"Waiting for the profile {name} to reach the studio: the server refused it "
                f"({reason.rstrip('.')}). Fix it in the sync status, or cancel this job."
            )
        return f"Waiting for the profile {name} to reach the studio — it goes with the next sync"

    def pending_cancels(self) -> dict[str, str]:
        """Operations still to cancel on their engine's server (operation id -> engine)."""
        value = SyncState(self.db).get(PENDING_CANCELS, {})
        if not isinstance(value, dict):
            return {}
        return {str(k): str(v) for k, v in value.items()}

    def save_pending_cancels(self, cancels: dict[str, str]) -> None:
        state = SyncState(self.db)
        with self.db.transaction():
            if cancels:
                state.set(PENDING_CANCELS, dict(cancels))
            else:
                state.delete(PENDING_CANCELS)

    # ------------------------------------------------------------------ writing jobs
    def create_job(self, job: Job, inputs: Sequence[tuple[ObjectRef, bytes, str]] = ()) -> Job:
        """The queued row and its input images (as queued uploads), in one transaction."""
        if job.status != JobStatus.QUEUED:
            raise BugError(f"a new job must start queued, not {job.status!r}")
        with self.db.transaction():
            for ref, data, mime in inputs:
                self.blobs.put(ref.bucket, ref.path, data, mime, upload=True)
            return self.repository.save(job)

    def update_job(
        self,
        job_id: str,
        *,
        status: str = _UNSET,
        error: str | None = _UNSET,
        provider_operation_id: str | None = _UNSET,
        input_json: dict[str, Any] = _UNSET,
    ) -> Job:
        with self.db.transaction():
            job = self.require_job(job_id)
            changes: dict[str, Any] = {}
            if status is not _UNSET:
                if not can_move(job.status, status):
                    raise JobTransitionError(
                        f"job {job_id} cannot go from {job.status!r} to {status!r}"
                    )
                changes["status"] = status
            if error is not _UNSET:
                changes["error"] = error
            if provider_operation_id is not _UNSET:
                changes["provider_operation_id"] = provider_operation_id
            if input_json is not _UNSET:
                changes["input_json"] = input_json
            return self.repository.save(dataclasses.replace(job, **changes))

    def record_success(
        self, job_id: str, outputs: Sequence[ProducedOutput]
    ) -> tuple[Job, list[JobOutput]]:
        """Files, ``job_outputs`` rows and the ``succeeded`` status, in one transaction."""
        with self.db.transaction():
            job = self.require_job(job_id)
            if not can_move(job.status, JobStatus.SUCCEEDED):
                raise JobTransitionError(f"job {job_id} cannot succeed from {job.status!r}")
            rows: list[JobOutput] = []
            for produced in outputs:
                output_id = produced.output_id or new_id()
                ref = produced.ref or job_output_ref(
                    job.user_id, job.id, output_id, produced.mime_type
                )
                if produced.blob is BlobState.NEW:
                    self.blobs.put(ref.bucket, ref.path, produced.data, produced.mime_type)
                elif produced.blob is BlobState.REMOTE:
                    self.blobs.put(
                        ref.bucket, ref.path, produced.data, produced.mime_type, upload=False
                    )
                rows.append(
                    JobOutput(
                        id=output_id,
                        job_id=job.id,
                        kind=str(produced.kind),
                        angle=str(produced.angle) if produced.angle else None,
                        mime_type=produced.mime_type,
                        storage_path=ref.path,
                        width=produced.width,
                        height=produced.height,
                    )
                )
            saved = self.repository.save_many(rows) if rows else []
            done = self.repository.save(
                dataclasses.replace(job, status=JobStatus.SUCCEEDED, error=None)
            )
        return done, saved

    # ------------------------------------------------------------------ cutout cache
    def find_cutout(
        self, user_id: str, source_hash: str, source_kind: str
    ) -> tuple[GarmentCutout, bytes] | None:
        """The cached cutout and its bytes, or None (no row, or its file is not here)."""
        row = self.queries.garment_cutout(user_id, source_hash, source_kind)
        if row is None or not row.storage_path:
            return None
        data = self.read_blob(ObjectRef(row.storage_bucket, row.storage_path))
        return None if data is None else (row, data)

    def save_cutout(self, cutout: GarmentCutout, data: bytes) -> GarmentCutout:
        """The cutout's PNG (a queued upload) and its cache row, in one transaction.

        If a row for the same key exists already (its file had gone missing, or another device
        made it and the sync brought the row), that row is kept and its file replaced.
        """
        with self.db.transaction():
            existing = self.queries.garment_cutout(
                cutout.user_id, cutout.source_hash, cutout.source_kind
            )
            if existing is not None and existing.storage_path:
                self.blobs.put(
                    existing.storage_bucket, existing.storage_path, data, existing.mime_type
                )
                return existing
            self.blobs.put(cutout.storage_bucket, cutout.storage_path, data, cutout.mime_type)
            return self.repository.save(cutout)
