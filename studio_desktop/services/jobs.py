"""Jobs as the user sees them: submit, cancel, retry, the queue, and their events.

    jobs = JobService(job_store, {"local": LocalEngine(...), "remote": RemoteEngine(...)},
                      user_id=workspace_user_id)
    job = await jobs.submit(JobRequest(CanvasEditInput(source, "make it navy", mask)))
    # ``job`` is already in the store, status "queued": the history feed shows it at once.
    outcome = await jobs.wait(job.id)          # optional: the canvas service awaits its reply
    await jobs.cancel(job.id)
    await jobs.retry(job.id)                   # a failed or canceled job runs again

Events (emitted on the event loop's thread; ``ui/`` re-emits them as Qt signals):

- ``job_changed: Event[Job]``         every status change, as stored
- ``job_progress: Event[JobProgress]`` progress of a running job (0..1 and a sentence)
- ``job_finished: Event[JobOutcome]``  a run ended (succeeded, failed or canceled)

**Retry keeps the same row.** The app's rule is "one job, one row" (docs/architecture.md): a job is
one thing the designer asked for, and the history feed shows it once. A retry puts the *same* row
back to ``queued`` (error and ``provider_operation_id`` cleared, ``input_json.attempt`` + 1), so
the feed does not grow a duplicate, the canvas message that points at the job stays linked, and the
remote API gets a new idempotency key (job id + attempt) and therefore a new operation. Nothing of
the failed attempt has to be cleaned up: outputs are only ever recorded with ``succeeded``.

**Waiting for an engine.** A job submitted with ``wait_for_engine`` (a try-on: only the studio's
engine can run it) is stored and shown at once even when its engine is not there (no account,
signed out, no network). It stays ``queued``, its progress message :data:`WAITING_FOR_ENGINE`,
until :meth:`set_engine` adds the engine (a sign-in) or, when the engine could not be reached,
until it is tried again a little later; then it runs like any job. It survives a restart (it is
still ``queued``) and can be canceled while it waits.

Engines run at most ``limits[engine]`` jobs at once (the local engine one at a time by default:
the machine's cores are better spent finishing one edit than slowing down two); the others wait
in the queue, still ``queued``. Closing the service (:meth:`aclose`) stops the runs without
touching their rows; :meth:`resume_unfinished` picks them up at the next start (a remote job
resumes polling its operation, a local one runs again).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TypeVar

from studio_desktop.domain.enums import JobStatus
from studio_desktop.domain.errors import ValidationError
from studio_desktop.domain.events import Event
from studio_desktop.domain.models import Job, new_id, utc_now
from studio_desktop.domain.paths import ObjectRef, ext_for_mime
from studio_desktop.engine.base import Engine, JobProgress, StepHook
from studio_desktop.engine.cancel import CancelToken
from studio_desktop.engine.inputs import (
    ENGINES,
    ImageInput,
    JobRequest,
    attempt_of,
    waits_for_engine,
    with_images,
)
from studio_desktop.engine.recorder import JobGoneError, JobStore
from studio_desktop.engine.runner import JobOutcome, JobRunner, RunHooks

log = logging.getLogger(__name__)
T = TypeVar("T")
DEFAULT_LIMITS = {"local": 1, "remote": 4}
#: What the queue and the history say about a job waiting for the studio's engine.
WAITING_FOR_ENGINE = "Waiting for the studio's engine — runs when you're signed in and online"


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A job in the queue view: the row, and how far it has come."""

    job: Job
    progress: float
    message: str


@dataclass
class _Live:
    job: Job
    cancel: CancelToken = field(default_factory=CancelToken)
    progress: float = 0.0
    message: str = "Waiting for the engine"
    task: asyncio.Task[JobOutcome] | None = None
    #: False while the job waits for a free slot of its engine (it can be dropped at once).
    started: bool = False
    #: True while the job waits for its engine to be there or reachable (see the module).
    waiting: bool = False


class JobService:
    def __init__(
        self,
        store: JobStore,
        engines: Mapping[str, Engine],
        *,
        user_id: str,
        executor: Executor | None = None,
        limits: Mapping[str, int] | None = None,
        step_hook: StepHook | None = None,
    ) -> None:
        self.store = store
        self.user_id = user_id
        self.executor = executor
        self.engines = dict(engines)
        self.runner = JobRunner(store, self.engines, executor=executor)
        self.step_hook = step_hook
        self.job_changed: Event[Job] = Event("job_changed")
        self.job_progress: Event[JobProgress] = Event("job_progress")
        self.job_finished: Event[JobOutcome] = Event("job_finished")
        self._limits = {**DEFAULT_LIMITS, **(limits or {})}
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._live: dict[str, _Live] = {}
        #: The sentence shown while a job waits for its engine (the account service may say
        #: more precisely what is missing, e.g. the service's address).
        self.waiting_message = WAITING_FOR_ENGINE
        self._engines_changed = asyncio.Event()

    async def _io(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, lambda: fn(*args, **kwargs))

    # ------------------------------------------------------------------ engines
    def set_engine(self, name: str, engine: Engine | None) -> None:
        """Add (or with ``None`` remove) an engine; jobs waiting for it start. Running jobs
        keep the engine they started on."""
        for engines in (self.engines, self.runner.engines):
            if engine is None:
                engines.pop(name, None)
            else:
                engines[name] = engine
        self.wake()

    def wake(self) -> None:
        """Jobs waiting for an engine look again now (the engine came back, the network is up)."""
        changed, self._engines_changed = self._engines_changed, asyncio.Event()
        changed.set()

    def waiting(self) -> list[Job]:
        """Jobs of this session waiting for their engine."""
        return [v.job for v in self._live.values() if v.waiting]

    # ------------------------------------------------------------------ use cases
    async def submit(self, request: JobRequest) -> Job:
        """Write the job (``queued``) and its input images now; run it in the background.

        Returns as soon as the row is stored. Raises ValidationError for a request that cannot
        run (an engine that is not set up here, unless the request waits for it).
        """
        self._check_engine(request.engine, waiting=request.wait_for_engine)
        job_id = new_id()
        files: list[tuple[ObjectRef, bytes, str]] = []
        stored: dict[str, ImageInput] = {}
        for name, image in request.input.images().items():
            if image.ref is not None:
                stored[name] = image
                continue
            if image.data is None:
                raise ValidationError(f"The {name} image has no content.", field=name)
            ext = ext_for_mime(image.mime_type)
            ref = ObjectRef("outputs", f"{self.user_id}/jobs/{job_id}/inputs/{new_id()}.{ext}")
            files.append((ref, image.data, image.mime_type))
            stored[name] = image.with_ref(ref)
        request = dataclasses.replace(request, input=with_images(request.input, stored))
        job = Job(
            id=job_id,
            user_id=self.user_id,
            type=str(request.job_type),
            status=JobStatus.QUEUED,
            input_json=request.to_input_json(attempt=1),
        )
        job = await self._io(self.store.create_job, job, files)
        self.job_changed.emit(job)
        self._start(job)
        return job

    async def cancel(self, job_id: str) -> bool:
        """Ask a queued or running job to stop; False if it had already ended.

        A running job stops at its next step (a remote one also tells the server); a job that is
        queued but not running in this session is marked ``canceled`` at once.
        """
        live = self._live.get(job_id)
        if live is not None:
            live.cancel.cancel()
            if not live.started and live.task is not None:
                live.task.cancel()  # still waiting for its engine: it ends canceled right away
            return True
        job = await self._io(self.store.job, job_id)
        if job is None or job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
            return False
        job = await self._io(self.store.update_job, job_id, status=JobStatus.CANCELED, error=None)
        self.job_changed.emit(job)
        # It ended like any run does: listeners of job_finished (the canvas's reply) hear it too.
        self.job_finished.emit(JobOutcome(job, retryable=True))
        return True

    async def retry(self, job_id: str, *, engine: str | None = None) -> Job:
        """Run a failed or canceled job again, in the same row (see the module docstring).

        ``engine`` switches it to another engine (e.g. "remote" after the local engine said it
        cannot do an instruction).
        """
        if job_id in self._live:
            raise ValidationError("This job is still running; it cannot be retried yet.")
        job = await self._io(self.store.job, job_id)
        if job is None:
            raise ValidationError("This job no longer exists.")
        if job.status not in (JobStatus.FAILED, JobStatus.CANCELED):
            raise ValidationError(
                f"Only a failed or canceled job can be retried; this one is {job.status}."
            )
        input_json = dict(job.input_json)
        input_json["attempt"] = attempt_of(job.input_json) + 1
        if engine is not None:
            self._check_engine(engine, waiting=waits_for_engine(input_json))
            input_json["engine"] = engine
        job = await self._io(
            self.store.update_job,
            job_id,
            status=JobStatus.QUEUED,
            error=None,
            provider_operation_id=None,
            input_json=input_json,
        )
        self.job_changed.emit(job)
        self._start(job)
        return job

    async def wait(self, job_id: str) -> JobOutcome:
        """The outcome of a job's current run (at once, from the store, if none is running)."""
        live = self._live.get(job_id)
        if live is not None and live.task is not None:
            return await asyncio.shield(live.task)
        job = await self._io(self.store.job, job_id)
        if job is None:
            raise ValidationError("This job no longer exists.")
        outputs = await self._io(self.store.outputs, job_id)
        return JobOutcome(job, tuple(outputs))

    def queue(self) -> list[QueueEntry]:
        """Jobs queued or running in this session, oldest first, with their progress."""
        entries = [QueueEntry(v.job, v.progress, v.message) for v in self._live.values()]
        return sorted(entries, key=lambda e: (e.job.created_at, e.job.id))

    async def resume_unfinished(self) -> list[Job]:
        """Start again the jobs an earlier session left queued or running (this user's)."""
        resumed = []
        for job in await self._io(self.store.unfinished_jobs):
            if job.user_id != self.user_id or job.id in self._live:
                continue
            self._start(job)
            resumed.append(job)
        return resumed

    async def aclose(self) -> None:
        """Stop every run without changing its row (it is resumed at the next start)."""
        tasks = [live.task for live in self._live.values() if live.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ------------------------------------------------------------------ internals
    def _check_engine(self, engine: str, *, waiting: bool = False) -> None:
        if engine not in ENGINES:
            raise ValidationError(f"Unknown engine {engine!r}.", field="engine")
        if engine not in self.engines and not waiting:
            raise ValidationError(
                "The studio's generation service is not available: sign in to a studio account "
                "to use it."
                if engine == "remote"
                else "The local engine is not available.",
                field="engine",
            )

    async def _wait_for_engine(self, live: _Live, engine: str, retry_after: float | None) -> None:
        """Until ``engine`` is there. After it could not be reached (``retry_after`` set), first
        until ``retry_after`` seconds passed or the engines changed (``-1``: until they change).
        A cancel of the job ends the wait (the task is canceled)."""
        live.waiting = True
        live.progress, live.message = 0.0, self.waiting_message
        self.job_progress.emit(JobProgress(live.job.id, 0.0, live.message))
        try:
            if retry_after is not None:
                changed = self._engines_changed
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        changed.wait(), timeout=None if retry_after < 0 else retry_after
                    )
            while engine not in self.engines:
                await self._engines_changed.wait()
        finally:
            live.waiting = False

    def _slot(self, engine: str) -> asyncio.Semaphore:
        if engine not in self._slots:
            self._slots[engine] = asyncio.Semaphore(max(1, self._limits.get(engine, 1)))
        return self._slots[engine]

    def _start(self, job: Job) -> None:
        live = _Live(job)
        self._live[job.id] = live
        live.task = asyncio.get_running_loop().create_task(self._run(live), name=f"job-{job.id}")

    async def _run(self, live: _Live) -> JobOutcome:
        job_id = live.job.id
        engine = str(live.job.input_json.get("engine", "local"))

        def on_change(job: Job) -> None:
            live.job = job
            if job.status == JobStatus.RUNNING and live.progress == 0.0:
                live.message = "Starting"
            self.job_changed.emit(job)

        def on_progress(progress: JobProgress) -> None:
            live.progress, live.message = progress.fraction, progress.message
            self.job_progress.emit(progress)

        hooks = RunHooks(on_change=on_change, on_progress=on_progress, step_hook=self.step_hook)
        waits = waits_for_engine(live.job.input_json)
        try:
            try:
                retry_after: float | None = None
                while True:
                    if waits and (engine not in self.engines or retry_after is not None):
                        await self._wait_for_engine(live, engine, retry_after)
                        retry_after = None
                    async with self._slot(engine):
                        live.started = True
                        outcome = await self.runner.run(job_id, live.cancel, hooks)
                    if outcome.waiting is None:
                        break
                    # Not reachable (offline, signed out): queued again, tried again later.
                    live.started = False
                    log.info("job %s waits for its engine: %s", job_id, outcome.waiting)
                    retry_after = outcome.retry_after if outcome.retry_after is not None else -1
            except asyncio.CancelledError:
                if live.started or not live.cancel.canceled:
                    raise  # the service is closing: the row stays as it is, to be resumed
                job = await self._io(
                    self.store.update_job, job_id, status=JobStatus.CANCELED, error=None
                )
                on_change(job)
                outcome = JobOutcome(job)
        except asyncio.CancelledError:
            raise
        except JobGoneError as exc:
            live.cancel.cancel()
            outcome = JobOutcome(dataclasses.replace(live.job, error=exc.message))
        except Exception as exc:
            # The store itself failed (disk full, locked): the row may still say running; it is
            # picked up again by resume_unfinished at the next start.
            log.exception("job %s could not be recorded", job_id)
            message = getattr(exc, "message", None) or type(exc).__name__
            outcome = JobOutcome(
                dataclasses.replace(
                    live.job, status=JobStatus.FAILED, error=message, updated_at=utc_now()
                )
            )
        finally:
            self._live.pop(job_id, None)
        self.job_finished.emit(outcome)
        return outcome
