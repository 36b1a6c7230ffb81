"""Runs one job through its lifecycle on an engine, recording every step in the store.

The job row exists (``queued``) before the runner sees it. The runner marks it ``running``,
rebuilds its typed request from ``input_json``, hands the engine a :class:`JobContext`, and ends
the job in exactly one of three ways, each a single store transaction:

- ``succeeded``: output files in the blob cache, ``job_outputs`` rows, the status;
- ``failed``: ``error`` = a sentence a person can read (the engine's, or, for a bug, one that
  says so and that the details are in the log);
- ``canceled``: after the cancel token was set (between steps; the remote engine also tells the
  server).

Store calls block, so they run in the executor; the event loop is never held up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TypeVar

from studio_desktop.domain.enums import JobStatus
from studio_desktop.domain.errors import BugError, ExternalError
from studio_desktop.domain.models import Job, JobOutput
from studio_desktop.engine.base import (
    Engine,
    JobContext,
    JobProgress,
    JobResult,
    StepHook,
)
from studio_desktop.engine.cancel import CancelToken
from studio_desktop.engine.errors import (
    EngineUnavailableError,
    JobCanceledError,
    JobFailedError,
    UnsupportedInstructionError,
)
from studio_desktop.engine.inputs import ImageInput, request_from_row
from studio_desktop.engine.recorder import JobStore

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """How a run ended: the final row, its outputs, and the assistant-style reply if any."""

    job: Job
    outputs: tuple[JobOutput, ...] = ()
    reply_text: str | None = None
    retryable: bool = False
    cache_hits: int = 0
    #: The run could not start or reach its engine and the job waits for it (status queued):
    #: why, in a sentence, and when to try again (``None``: when the engine is set up again).
    waiting: str | None = None
    retry_after: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.job.status == JobStatus.SUCCEEDED


@dataclass
class RunHooks:
    """Callbacks of one run; both are called on the event loop's thread."""

    on_change: Callable[[Job], None] = lambda job: None
    on_progress: Callable[[JobProgress], None] = lambda progress: None
    step_hook: StepHook | None = None


class JobRunner:
    def __init__(
        self,
        store: JobStore,
        engines: Mapping[str, Engine],
        *,
        executor: Executor | None = None,
    ) -> None:
        self.store = store
        self.engines = dict(engines)
        self.executor = executor

    async def _io(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, lambda: fn(*args, **kwargs))

    async def run(
        self, job_id: str, cancel: CancelToken, hooks: RunHooks | None = None
    ) -> JobOutcome:
        hooks = hooks or RunHooks()
        job = await self._io(self.store.require_job, job_id)
        if cancel.canceled:
            return await self._end(job_id, hooks, JobStatus.CANCELED, None)
        try:
            request = request_from_row(job.type, job.input_json)
        except ExternalError as exc:
            return await self._end(job_id, hooks, JobStatus.FAILED, exc.message)
        engine = self.engines.get(request.engine)
        if engine is None:
            if request.wait_for_engine:
                return await self._wait(job_id, hooks, _no_engine_message(request.engine), None)
            return await self._end(
                job_id, hooks, JobStatus.FAILED, _no_engine_message(request.engine)
            )
        job = await self._io(self.store.update_job, job_id, status=JobStatus.RUNNING, error=None)
        hooks.on_change(job)

        async def save_operation_id(operation_id: str | None) -> None:
            updated = await self._io(
                self.store.update_job, job_id, provider_operation_id=operation_id
            )
            hooks.on_change(updated)

        def report(fraction: float, message: str) -> None:
            hooks.on_progress(JobProgress(job_id, fraction, message))

        ctx = JobContext(
            job=job,
            cancel=cancel,
            report=report,
            read_image=self._read_image,
            save_operation_id=save_operation_id,
            executor=self.executor,
            step_hook=hooks.step_hook,
        )
        try:
            result: JobResult = await engine.run(request.input, ctx)
            # A cancel that arrived during the last step still wins: the user asked for it.
            cancel.raise_if_canceled()
        except JobCanceledError:
            return await self._end(job_id, hooks, JobStatus.CANCELED, None)
        except EngineUnavailableError as exc:
            if request.wait_for_engine and not cancel.canceled:
                return await self._wait(job_id, hooks, exc.message, exc.retry_after)
            return await self._end(
                job_id, hooks, JobStatus.FAILED, exc.message, retryable=exc.retryable
            )
        except UnsupportedInstructionError as exc:
            return await self._end(
                job_id, hooks, JobStatus.FAILED, exc.message, reply_text=exc.reply_text
            )
        except JobFailedError as exc:
            return await self._end(
                job_id, hooks, JobStatus.FAILED, exc.message, retryable=exc.retryable
            )
        except ExternalError as exc:
            return await self._end(job_id, hooks, JobStatus.FAILED, exc.message)
        except Exception as exc:
            if cancel.canceled:
                return await self._end(job_id, hooks, JobStatus.CANCELED, None)
            log.exception("job %s (%s) failed with an internal error", job_id, job.type)
            message = exc.message if isinstance(exc, BugError) else type(exc).__name__
            return await self._end(
                job_id,
                hooks,
                JobStatus.FAILED,
                "Studio Desktop hit an internal error while running this job "
                f"({message}); the details are in the log.",
            )
        done, outputs = await self._io(self.store.record_success, job_id, result.outputs)
        hooks.on_progress(JobProgress(job_id, 1.0, "Done"))
        hooks.on_change(done)
        return JobOutcome(
            done, tuple(outputs), reply_text=result.reply_text, cache_hits=result.cache_hits
        )

    async def _end(
        self,
        job_id: str,
        hooks: RunHooks,
        status: JobStatus,
        error: str | None,
        *,
        reply_text: str | None = None,
        retryable: bool = False,
    ) -> JobOutcome:
        job = await self._io(self.store.update_job, job_id, status=status, error=error)
        hooks.on_change(job)
        return JobOutcome(job, reply_text=reply_text, retryable=retryable)

    async def _wait(
        self, job_id: str, hooks: RunHooks, reason: str, retry_after: float | None
    ) -> JobOutcome:
        """Back to ``queued`` (its operation id kept, to be polled again): the job waits."""
        job = await self._io(self.store.update_job, job_id, status=JobStatus.QUEUED, error=None)
        hooks.on_change(job)
        return JobOutcome(job, waiting=reason, retry_after=retry_after)

    async def _read_image(self, image: ImageInput) -> bytes:
        if image.data is not None:
            return image.data
        if image.ref is None:
            raise BugError("an image input has neither bytes nor a storage reference")
        data = await self._io(self.store.read_blob, image.ref)
        if data is None:
            raise JobFailedError(
                "An image this job needs is not on this computer yet (it has not been "
                "downloaded). Go online and retry.",
                retryable=True,
                code="input_missing",
            )
        return data


def _no_engine_message(engine: str) -> str:
    if engine == "remote":
        return (
            "This job is set to run on the studio's generation service, which is not available "
            "here: sign in to a studio account, or retry it on this computer."
        )
    return f"There is no engine called “{engine}” in this version of Studio Desktop."
