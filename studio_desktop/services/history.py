"""The history feed's use cases: pages, a job's detail, delete, export, keep offline, retry,
cancel, and "open in Magic Canvas".

    history = HistoryService(store, jobs)
    page = await history.feed_page(HistoryFilter(types=(JobType.PRODUCT_PACK,), search="dress"))
    more = await history.feed_page(same_filter, cursor=page.next_cursor)
    detail = await history.job(job_id)
    await history.delete_jobs([id1, id2])                 # one transaction, objects queued
    report = await history.export_outputs([output_id, ...], Path("~/Desktop/shoot"))
    await history.keep_offline([job_id], keep=True)
    thread_id = await history.open_in_canvas(job_id)      # reopens the creation made before

Events: none of its own. The store's ``rows_changed`` reports deletes and new creations; the
job service's ``job_changed`` / ``job_progress`` report retries and cancels. The History
screen's feed (its rows, filter, pages and live updates) is :meth:`HistoryService.open_feed`
(:mod:`studio_desktop.services.history_feed`).

Export names are ``<job type>-<date>-<angle>-<n>.<ext>`` (``product-pack-2024-05-01-front-1.jpg``;
the angle is left out when an output has none; ``n`` is the output's place in its job; the date
is the job's, in local time). An existing file is never overwritten: ``name (2).ext``,
``name (3).ext``... An output whose file is not on this computer is reported in
:attr:`ExportResult.skipped` (and queued for download), never raised.
"""

from __future__ import annotations

import asyncio
import errno
import re
import shutil
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from io import BufferedWriter
from pathlib import Path
from typing import TYPE_CHECKING

from studio_desktop.domain.enums import JobStatus, OutputKind, parse_enum
from studio_desktop.domain.errors import ExternalError, ValidationError
from studio_desktop.domain.models import Job, JobOutput, Profile
from studio_desktop.domain.paths import ObjectRef
from studio_desktop.domain.sentences import listed
from studio_desktop.services.common import BlockingWork, NotFoundError, mime_for_path, output_ref
from studio_desktop.services.creations import NewAsset, creation_rows
from studio_desktop.services.history_labels import (
    JOB_TYPE_LABELS,
    HistoryFilter,
    job_profile_id,
    job_prompt,
    job_type_label,
    status_label,
)
from studio_desktop.services.jobs import JobService
from studio_desktop.store.queries import DEFAULT_PAGE_SIZE, FeedCursor, FeedPage
from studio_desktop.store.workspace import Store

if TYPE_CHECKING:
    from studio_desktop.services.history_feed import HistoryFeed

__all__ = [  # (the row's words and the filter live in history_labels, light for the start)
    "JOB_TYPE_LABELS",
    "DeleteJobsResult",
    "ExportResult",
    "ExportSkipped",
    "ExportedFile",
    "HistoryFilter",
    "HistoryService",
    "JobDetail",
    "KeepOfflineResult",
    "OutputView",
    "export_name",
    "job_profile_id",
    "job_prompt",
    "job_type_label",
    "status_label",
]

_IMAGE_KINDS = (OutputKind.IMAGE.value, OutputKind.CUTOUT.value)
_EXT_BY_MIME = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
_MAX_SUFFIX = 10_000


@dataclass(frozen=True, slots=True)
class OutputView:
    """A job output with where its file is: ``local_path`` is None when it is not cached."""

    output: JobOutput
    ref: ObjectRef | None
    local_path: Path | None
    pinned: bool

    @property
    def available(self) -> bool:
        return self.local_path is not None


@dataclass(frozen=True, slots=True)
class JobDetail:
    job: Job
    outputs: tuple[OutputView, ...]
    profile: Profile | None
    #: The creation opened from this job in Magic Canvas, if any.
    thread_id: str | None

    @property
    def prompt(self) -> str | None:
        """The text the designer typed (a prompt or a canvas instruction), if any."""
        for key in ("prompt", "instruction"):
            value = self.job.input_json.get(key)
            if isinstance(value, str) and value.strip():
                return value
        return None


@dataclass(frozen=True, slots=True)
class DeleteJobsResult:
    deleted: tuple[str, ...]
    #: Ids that were not here any more (deleted elsewhere): nothing to do for them.
    already_gone: tuple[str, ...]
    removed_objects: tuple[ObjectRef, ...]


@dataclass(frozen=True, slots=True)
class ExportedFile:
    output_id: str
    path: Path


@dataclass(frozen=True, slots=True)
class ExportSkipped:
    output_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class ExportResult:
    folder: Path
    exported: tuple[ExportedFile, ...]
    skipped: tuple[ExportSkipped, ...]

    @property
    def message(self) -> str:
        """One sentence for the window: what was saved and what was not."""
        saved = len(self.exported)
        text = f"Saved {saved} image{'s' if saved != 1 else ''} to “{self.folder.name}”."
        if self.skipped:
            count = len(self.skipped)
            text = listed(f"{text} {count} could not be saved:", (s.reason for s in self.skipped))
        return text


@dataclass(frozen=True, slots=True)
class KeepOfflineResult:
    outputs: int
    #: Of those, how many are not on this computer yet and were queued for download.
    queued_downloads: int


@dataclass(slots=True)
class _Export:
    view: OutputView
    job: Job
    index: int
    extras: list[str] = field(default_factory=list)


def export_name(job: Job, output: JobOutput, index: int) -> str:
    """``<job type>-<date>-<angle>-<n>.<ext>`` (see the module docstring)."""
    kind = re.sub(r"[^a-z0-9]+", "-", job.type.lower()).strip("-") or "job"
    day = job.created_at.astimezone().strftime("%Y-%m-%d")
    parts = [kind, day]
    if output.angle:
        angle = re.sub(r"[^a-z0-9]+", "-", output.angle.lower()).strip("-")
        if angle:
            parts.append(angle)
    parts.append(str(index))
    mime = output.mime_type or mime_for_path(output.storage_path or "")
    ext = _EXT_BY_MIME.get(mime) or (output.storage_path or "x.png").rsplit(".", 1)[-1]
    return "-".join(parts) + "." + ext


def _open_new(folder: Path, name: str) -> tuple[Path, BufferedWriter]:
    """Create ``name`` in ``folder`` without overwriting: ``stem (2).ext`` and so on."""
    stem, dot, ext = name.rpartition(".")
    for n in range(1, _MAX_SUFFIX):
        candidate = folder / (name if n == 1 else f"{stem} ({n}){dot}{ext}")
        try:
            return candidate, open(candidate, "xb")
        except FileExistsError:
            continue
    raise ExternalError(f"“{folder.name}” already holds too many files named like {name}.")


def _write_error(exc: OSError, folder: Path) -> ExternalError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return ExternalError(f"There is no space left on the disk of “{folder.name}”.")
    if isinstance(exc, PermissionError):
        return ExternalError(f"Studio is not allowed to write into “{folder.name}”.")
    return ExternalError(f"Could not write into “{folder.name}”: {exc.strerror or exc}.")


class HistoryService(BlockingWork):
    def __init__(self, store: Store, jobs: JobService, *, executor: Executor | None = None) -> None:
        self.store = store
        self.jobs = jobs
        self.executor = executor
        self._open_lock = asyncio.Lock()

    # ------------------------------------------------------------------ reading
    async def feed_page(
        self,
        filters: HistoryFilter | None = None,
        cursor: FeedCursor | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> FeedPage:
        """One page of jobs, newest first, each with its outputs; pass ``next_cursor`` back."""
        feed_filter = (filters or HistoryFilter()).to_feed_filter()
        return await self.io(self.store.queries.feed_page, feed_filter, cursor, limit)

    def open_feed(
        self, *, page_size: int | None = None, executor: Executor | None = None
    ) -> HistoryFeed:
        """The History screen's feed over this workspace (rows, filter, pages, live updates);
        see :mod:`studio_desktop.services.history_feed`. Close it when the screen goes."""
        from studio_desktop.services.history_feed import PAGE_SIZE, HistoryFeed

        return HistoryFeed(
            self.store,
            self.jobs,
            executor=executor or self.executor,
            page_size=page_size or PAGE_SIZE,
        )

    async def job(self, job_id: str) -> JobDetail:
        return await self.io(self._detail, job_id)

    # ------------------------------------------------------------------ pass-through
    async def retry(self, job_id: str, *, engine: str | None = None) -> Job:
        return await self.jobs.retry(job_id, engine=engine)

    async def cancel(self, job_id: str) -> bool:
        return await self.jobs.cancel(job_id)

    # ------------------------------------------------------------------ delete
    async def delete_jobs(self, job_ids: Sequence[str]) -> DeleteJobsResult:
        """Delete jobs with their outputs in ONE transaction; the outputs' objects are queued
        for removal (unless a creation still uses them). Running ones are canceled first."""
        ids = list(dict.fromkeys(job_ids))
        live = {entry.job.id for entry in self.jobs.queue()}
        for job_id in ids:
            if job_id in live:
                await self.jobs.cancel(job_id)
        return await self.io(self._delete, ids)

    # ------------------------------------------------------------------ export
    async def export_outputs(self, output_ids: Sequence[str], folder: Path) -> ExportResult:
        """Copy the outputs' files into ``folder`` (see the module docstring for names)."""
        return await self.io(self._export, list(dict.fromkeys(output_ids)), Path(folder))

    async def export_jobs(self, job_ids: Sequence[str], folder: Path) -> ExportResult:
        """Every image output of the jobs, as :meth:`export_outputs`."""
        output_ids = await self.io(self._image_output_ids, list(job_ids))
        return await self.export_outputs(output_ids, folder)

    # ------------------------------------------------------------------ keep offline
    async def keep_offline(self, job_ids: Sequence[str], keep: bool = True) -> KeepOfflineResult:
        """Pin (or unpin) the jobs' outputs: pinned files are never evicted from the cache,
        and the ones not on this computer are queued for download."""
        return await self.io(self._keep_offline, list(dict.fromkeys(job_ids)), keep)

    # ------------------------------------------------------------------ open in canvas
    async def open_in_canvas(self, job_id: str) -> str:
        """The creation of this job: the one made before, or a new one (thread, one asset per
        image output, base = current = the output's object, and a first conversation)."""
        async with self._open_lock:  # a double click must not make two creations
            return await self.io(self._open_in_canvas, job_id)

    # ------------------------------------------------------------------ blocking parts
    def _view(self, output: JobOutput) -> OutputView:
        ref = output_ref(output)
        if ref is None:
            return OutputView(output, None, None, False)
        info = self.store.blobs.info(ref.bucket, ref.path)
        path = self.store.blobs.get_path(ref.bucket, ref.path)
        return OutputView(output, ref, path, bool(info and info.pinned))

    def _detail(self, job_id: str) -> JobDetail:
        item = self.store.queries.job(job_id)
        if item is None:
            raise NotFoundError("This job no longer exists (it may have been deleted).")
        profile_id = item.job.input_json.get("profileId")
        profile = self.store.queries.profile(profile_id) if isinstance(profile_id, str) else None
        thread = self.store.queries.thread_for_job(job_id)
        return JobDetail(
            item.job,
            tuple(self._view(o) for o in item.outputs),
            profile,
            thread.id if thread else None,
        )

    def _delete(self, job_ids: list[str]) -> DeleteJobsResult:
        deleted: list[str] = []
        gone: list[str] = []
        removed: list[ObjectRef] = []
        with self.store.transaction():
            for job_id in job_ids:
                result = self.store.rows.delete("jobs", job_id)
                if result.deleted:
                    deleted.append(job_id)
                    removed.extend(result.removed_objects)
                else:
                    gone.append(job_id)
        return DeleteJobsResult(tuple(deleted), tuple(gone), tuple(removed))

    def _image_output_ids(self, job_ids: list[str]) -> list[str]:
        ids: list[str] = []
        for job_id in job_ids:
            item = self.store.queries.job(job_id)
            if item is not None:
                ids.extend(o.id for o in item.outputs if o.kind in _IMAGE_KINDS)
        return ids

    def _export(self, output_ids: list[str], folder: Path) -> ExportResult:
        folder = folder.expanduser()
        if not folder.is_dir():
            raise ExternalError(
                f"The folder “{folder}” does not exist (it may have been moved or unplugged)."
            )
        plan: list[_Export] = []
        skipped: list[ExportSkipped] = []
        jobs: dict[str, tuple[Job, list[str]]] = {}
        for output_id in output_ids:
            output = self.store.queries.output(output_id)
            if output is None:
                skipped.append(ExportSkipped(output_id, "it no longer exists"))
                continue
            if output.job_id not in jobs:
                item = self.store.queries.job(output.job_id)
                if item is None:
                    skipped.append(ExportSkipped(output_id, "it no longer exists"))
                    continue
                jobs[output.job_id] = (item.job, [o.id for o in item.outputs])
            job, order = jobs[output.job_id]
            view = self._view(output)
            if view.ref is None:
                skipped.append(ExportSkipped(output_id, "it has no file"))
                continue
            if view.local_path is None:
                self.store.blobs.want(view.ref.bucket, view.ref.path)
                skipped.append(
                    ExportSkipped(
                        output_id,
                        "not on this computer yet (it is queued for download; export it again "
                        "once you are online)",
                    )
                )
                continue
            plan.append(_Export(view, job, order.index(output_id) + 1))
        exported: list[ExportedFile] = []
        for item in plan:
            assert item.view.local_path is not None
            name = export_name(item.job, item.view.output, item.index)
            try:
                target, handle = _open_new(folder, name)
                try:
                    with open(item.view.local_path, "rb") as source, handle:
                        shutil.copyfileobj(source, handle)
                except BaseException:
                    target.unlink(missing_ok=True)
                    raise
            except FileNotFoundError:
                skipped.append(
                    ExportSkipped(item.view.output.id, "its cached file vanished from the disk")
                )
                continue
            except OSError as exc:
                error = _write_error(exc, folder)
                if exported:
                    error = ExternalError(
                        f"Saved {len(exported)} of {len(plan)} images, then stopped: "
                        f"{error.message}"
                    )
                raise error from exc
            exported.append(ExportedFile(item.view.output.id, target))
        return ExportResult(folder, tuple(exported), tuple(skipped))

    def _keep_offline(self, job_ids: list[str], keep: bool) -> KeepOfflineResult:
        count = 0
        queued = 0
        with self.store.transaction():
            for job_id in job_ids:
                item = self.store.queries.job(job_id)
                if item is None:
                    continue
                for output in item.outputs:
                    ref = output_ref(output)
                    if ref is None:
                        continue
                    self.store.blobs.pin(ref.bucket, ref.path, keep)
                    count += 1
                    info = self.store.blobs.info(ref.bucket, ref.path)
                    if keep and info is not None and info.state == "queued_download":
                        queued += 1
        if not keep:
            self.store.blobs.evict()
        return KeepOfflineResult(count, queued)

    def _open_in_canvas(self, job_id: str) -> str:
        with self.store.transaction():
            existing = self.store.queries.thread_for_job(job_id)
            if existing is not None:
                return existing.id
            item = self.store.queries.job(job_id)
            if item is None:
                raise NotFoundError("This job no longer exists (it may have been deleted).")
            images: list[NewAsset] = []
            for n, output in enumerate(item.outputs, start=1):
                ref = output_ref(output)
                if ref is None or output.kind not in _IMAGE_KINDS:
                    continue
                images.append(
                    NewAsset(
                        ref.bucket,
                        ref.path,
                        label=output.angle or f"Image {n}",
                        source_job_id=job_id,
                        source_output_id=output.id,
                    )
                )
            if not images:
                status = parse_enum(JobStatus, item.job.status)
                why = (
                    "it has not finished yet"
                    if status in (JobStatus.QUEUED, JobStatus.RUNNING)
                    else "it made no images"
                )
                raise ValidationError(f"This job cannot be opened in Magic Canvas: {why}.")
            title = JobDetail(item.job, (), None, None).prompt or (
                f"{job_type_label(item.job.type)} · "
                f"{item.job.created_at.astimezone().strftime('%d %b %Y')}"
            )
            rows = creation_rows(self.store.user_id, title, images, source_job_id=job_id)
            self.store.rows.save_many(rows.all())
            return rows.thread.id
