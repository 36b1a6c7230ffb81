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
signed out, no network). It stays ``queued``, its progress message :attr:`waiting_message`
(:data:`WAITING_FOR_ENGINE`; in the local workspace :data:`WAITING_FOR_SIGN_IN`, or
:data:`WAITING_FOR_MOVE` once an account is signed in), until
:meth:`set_engine` adds the engine (a sign-in) or, when the engine could not be reached, until
it is tried again: after ``retry_after`` seconds, or at once when the network is back
(:meth:`follow_network` listens to the sync's status; :meth:`wake` is the same by hand). Then it
runs like any job. It survives a restart (it is still ``queued``) and can be canceled while it
waits: an operation the studio's engine had already started for it (its
``provider_operation_id``) is canceled there too, now or, when the service cannot be reached,
as soon as it can.

**Waiting for its profile.** The studio's engine only knows profiles the sync has pushed (it
answers ``422 unknown_profile`` otherwise), so any job for the studio's engine (a try-on, a
product pack) whose profile still has changes in the outbox waits for them, ``queued``, saying
so, and is looked at again whenever the outbox changes (:meth:`rows_synced`); it survives a
restart and can be canceled meanwhile like any waiting job. A pack for the studio's engine waits
for its engine too (``waits_for_engine``): signed out after a restart, it waits for the sign-in
like a try-on, instead of failing.

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
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from studio_desktop.domain.enums import JobStatus
from studio_desktop.domain.errors import ValidationError
from studio_desktop.domain.events import Event
from studio_desktop.domain.models import Job, new_id, utc_now
from studio_desktop.domain.paths import ObjectRef, ext_for_mime
from studio_desktop.domain.status import SyncState, SyncStatus
from studio_desktop.engine.base import Engine, JobProgress, OperationCanceler, StepHook
from studio_desktop.engine.cancel import CancelToken
from studio_desktop.engine.inputs import (
    ENGINE_REMOTE,
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
#: The same in the local workspace, which has no account: only a sign-in can run it.
WAITING_FOR_SIGN_IN = "Waiting for the studio's engine: sign in to run it"
#: The same in the local workspace while an account is signed in (the designer kept their local
#: work out of it): the try-on's profile exists on this computer only, so only a move helps.
WAITING_FOR_MOVE = (
    "This try-on uses a profile kept on this computer only: move your local work into your "
    "account to run it, or cancel it"
)
#: The same when the engine is set up but could not be reached.
WAITING_FOR_NETWORK = (
    "Waiting for the studio's engine — it cannot be reached; tried again when you're back online"
)
#: Sync states in which the network (and so the studio's engine) is reachable again.
_ONLINE = frozenset({SyncState.SYNCING, SyncState.UP_TO_DATE})
#: How often a job waiting for its profile's sync looks again without being told to.
SYNC_RECHECK_SECONDS = 30.0


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
        self._rows_synced = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Operations of canceled jobs the studio's engine has not confirmed canceling yet
        #: (operation id -> engine name): sent again at the next wake.
        self._pending_cancels: dict[str, str] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._followed: dict[int, Callable[[], None]] = {}
        self._sending_cancels = False
        self._send_again = self._save_again = False

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
        """Jobs waiting for an engine look again now (the engine came back, the network is up);
        cancels the studio's engine has not confirmed yet are sent again."""
        changed, self._engines_changed = self._engines_changed, asyncio.Event()
        changed.set()
        if self._pending_cancels and _loop_running():
            self._spawn(self._send_pending_cancels())

    def rows_synced(self) -> None:
        """The outbox changed (a push was accepted): jobs waiting for a row to sync look again."""
        synced, self._rows_synced = self._rows_synced, asyncio.Event()
        synced.set()

    def call_soon(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` (:meth:`wake`, :meth:`rows_synced`) on the service's event loop, from any
        thread (the sync engine's events come from its worker)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            fn()
        else:
            loop.call_soon_threadsafe(fn)

    def follow_network(self, changed: Event[SyncStatus]) -> Callable[[], None]:
        """Wake the waiting jobs as soon as the sync shows the server answering again after it
        could not (offline, or "sign in"). Returns the disconnect. Following the same event
        again (a new sign-in of the same workspace) changes nothing.

        "Syncing" alone is no proof: the sync engine says it at the start of every attempt,
        also each retry while offline (waking the jobs then would make them try the studio's
        engine at every retry, and flicker between "reconnecting" and "waiting"). What proves
        the network is back is a cycle that ended well (no error left), or one that already
        pushed or downloaded something."""
        if id(changed) in self._followed:
            return self._followed[id(changed)]
        last: list[bool | None] = [None]

        def on_status(status: SyncStatus) -> None:
            answered = status.state in _ONLINE and (
                status.last_error is None or status.done > 0 or status.bytes_down > 0
            )
            before, last[0] = last[0], answered
            if answered and before is False:
                log.info("back online: waiting jobs look for their engine again")
                self.call_soon(self.wake)

        def disconnect() -> None:
            self._followed.pop(id(changed), None)
            with contextlib.suppress(ValueError):
                changed.disconnect(on_status)

        changed.connect(on_status)
        self._followed[id(changed)] = disconnect
        return disconnect

    def waiting(self) -> list[Job]:
        """Jobs of this session waiting for their engine."""
        return [v.job for v in self._live.values() if v.waiting]

    def is_waiting(self, job_id: str) -> bool:
        """Whether this job waits (for its engine, the network or its profile's sync)."""
        live = self._live.get(job_id)
        return live is not None and live.waiting

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
        self._cancel_operation_of(job)
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
            self._check_engine(engine, waiting=waits_for_engine(input_json, job.type))
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
        """Start again the jobs an earlier session left queued or running (this user's), and
        send the cancels of operations it could not reach the server with."""
        self._loop = asyncio.get_running_loop()
        self._pending_cancels.update(await self._io(self.store.pending_cancels))
        if self._pending_cancels:
            self._spawn(self._send_pending_cancels())
        resumed = []
        for job in await self._io(self.store.unfinished_jobs):
            if job.user_id != self.user_id or job.id in self._live:
                continue
            self._start(job)
            resumed.append(job)
        return resumed

    async def aclose(self) -> None:
        """Stop every run without changing its row (it is resumed at the next start)."""
        tasks: list[asyncio.Task[Any]] = [
            live.task for live in self._live.values() if live.task is not None
        ]
        tasks += list(self._background)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ------------------------------------------------------------------ internals
    def _check_engine(self, engine: str, *, waiting: bool = False) -> None:
        if engine not in ENGINES:
            raise ValidationError(f"Unknown engine “{engine}”.", field="engine")
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
        unreachable = retry_after is not None and retry_after >= 0 and engine in self.engines
        message = WAITING_FOR_NETWORK if unreachable else self.waiting_message
        live.progress, live.message = 0.0, message
        self.job_progress.emit(JobProgress(live.job.id, 0.0, live.message))
        try:
            if retry_after is not None:
                timeout = None if retry_after < 0 else retry_after
                await self._until(live, self._engines_changed, timeout=timeout)
            while engine not in self.engines:
                await self._until(live, self._engines_changed)
        finally:
            live.waiting = False

    async def _until(
        self, live: _Live, *events: asyncio.Event, timeout: float | None = None
    ) -> None:
        """Until one of ``events`` is set, ``timeout`` passed, or the job is canceled (then
        ``CancelledError``: a cancel must never be lost, even when it lands in the same loop
        turn as a wake-up, which ``asyncio.wait_for`` before Python 3.12 may swallow)."""
        waiters = [asyncio.ensure_future(e.wait()) for e in events]
        waiters.append(asyncio.ensure_future(live.cancel.wait()))
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        if live.cancel.canceled:
            raise asyncio.CancelledError

    async def _wait_for_sync(self, live: _Live, reason: str) -> None:
        """Until the outbox changes or the engines change (or a while passed): then the caller
        looks again whether the job's rows reached the server."""
        live.waiting = True
        live.progress, live.message = 0.0, reason
        self.job_progress.emit(JobProgress(live.job.id, 0.0, reason))
        try:
            await self._until(
                live, self._rows_synced, self._engines_changed, timeout=SYNC_RECHECK_SECONDS
            )
        finally:
            live.waiting = False

    # ------------------------------------------------------------------ remote cancels
    def _cancel_operation_of(self, job: Job) -> None:
        """A canceled job whose operation the studio's engine had started: cancel it there
        (kept in the store until the server answered, so a restart does not forget it)."""
        operation_id = job.provider_operation_id
        if not operation_id:
            return
        self._pending_cancels[operation_id] = str(job.input_json.get("engine", "remote"))
        self._spawn(self._send_pending_cancels(save=True))

    async def _send_pending_cancels(self, *, save: bool = False) -> None:
        """Send the owed cancels, one pass at a time: asked again while a pass runs, that pass
        makes one more round when it ends (never two sends of the same cancel at once)."""
        if self._sending_cancels:
            self._send_again = True
            self._save_again = self._save_again or save
            return
        self._sending_cancels = True
        try:
            again = True
            while again:
                if save:
                    await self._io(self.store.save_pending_cancels, dict(self._pending_cancels))
                sent = False
                for operation_id, name in list(self._pending_cancels.items()):
                    engine = self.engines.get(name)
                    if not isinstance(engine, OperationCanceler):
                        continue  # not there (signed out, no account): sent when it is
                    if await engine.cancel_operation(operation_id):
                        self._pending_cancels.pop(operation_id, None)
                        sent = True
                if sent:
                    await self._io(self.store.save_pending_cancels, dict(self._pending_cancels))
                again, save = self._send_again, self._save_again
                self._send_again = self._save_again = False
        finally:
            self._sending_cancels = False

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _slot(self, engine: str) -> asyncio.Semaphore:
        if engine not in self._slots:
            self._slots[engine] = asyncio.Semaphore(max(1, self._limits.get(engine, 1)))
        return self._slots[engine]

    def _start(self, job: Job) -> None:
        self._loop = asyncio.get_running_loop()
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
        waits = waits_for_engine(live.job.input_json, live.job.type)
        try:
            try:
                retry_after: float | None = None
                while True:
                    if waits and (engine not in self.engines or retry_after is not None):
                        if live.job.status == JobStatus.RUNNING:  # (left running by a restart)
                            on_change(
                                await self._io(
                                    self.store.update_job,
                                    job_id,
                                    status=JobStatus.QUEUED,
                                    error=None,
                                )
                            )
                        await self._wait_for_engine(live, engine, retry_after)
                        retry_after = None
                    if (waits or engine == ENGINE_REMOTE) and engine in self.engines:
                        unsynced = await self._io(self.store.unsynced_profile, live.job)
                        if unsynced is not None:
                            await self._wait_for_sync(live, unsynced)
                            continue
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
                self._cancel_operation_of(job)
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


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
