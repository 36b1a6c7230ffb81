"""The one interface every engine implements, and what passes between an engine and its runner.

An engine turns a job's inputs into outputs; it never writes the store itself. The runner
(:mod:`studio_desktop.engine.runner`) owns the lifecycle: the job row is already ``queued`` when
the engine is asked; the runner marks it ``running``, hands the engine a :class:`JobContext`
(progress, cancel token, how to read input images, how to record the remote operation id), and
records the :class:`JobResult` (outputs + status) in one store transaction, or the failure or
cancel that the engine raised (:mod:`studio_desktop.engine.errors`).

Engines are async and never block the event loop: CPU work goes through
:meth:`JobContext.run_blocking`, which runs it in an executor and checks the cancel token before
and after each step.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Protocol, TypeVar, runtime_checkable

from studio_desktop.domain.enums import OutputKind
from studio_desktop.domain.models import Job
from studio_desktop.domain.paths import ObjectRef
from studio_desktop.engine.cancel import CancelToken
from studio_desktop.engine.inputs import ImageInput, JobInput

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class JobProgress:
    """A progress report: ``fraction`` in 0..1 and a short sentence for the queue view."""

    job_id: str
    fraction: float
    message: str


class BlobState(enum.Enum):
    """Where an output's bytes stand relative to Storage."""

    NEW = "new"  # made here: put in the blob cache and queue its upload
    CACHED = "cached"  # already in the blob cache under ``ref`` (a cutout served from the cache)
    REMOTE = "remote"  # already in Storage (the remote engine wrote it): cache it, upload nothing


@dataclass(frozen=True, slots=True)
class ProducedOutput:
    """One output of a job, before it is recorded as a ``job_outputs`` row."""

    data: bytes = field(repr=False)
    mime_type: str
    width: int
    height: int
    kind: str = OutputKind.IMAGE
    angle: str | None = None
    #: Where the object lives; None lets the recorder choose ``<uid>/jobs/<job id>/<id>.<ext>``.
    ref: ObjectRef | None = None
    #: The ``job_outputs.id``; None for a fresh one (the remote API hands its own).
    output_id: str | None = None
    blob: BlobState = BlobState.NEW


@dataclass(frozen=True, slots=True)
class JobResult:
    outputs: tuple[ProducedOutput, ...] = ()
    #: An assistant-style sentence about the result (the canvas service shows it), if any.
    reply_text: str | None = None
    #: How many of the outputs were served from the cutout cache instead of computed.
    cache_hits: int = 0


ProgressFn = Callable[[float, str], None]
StepHook = Callable[[str], None]


@dataclass
class JobContext:
    """What an engine may do while it runs a job.

    ``step_hook`` is called (in the executor thread) before each blocking step with the step's
    name; tests use it to hold a job mid-way so a cancel lands deterministically.
    """

    job: Job
    cancel: CancelToken
    report: ProgressFn
    read_image: Callable[[ImageInput], Awaitable[bytes]]
    save_operation_id: Callable[[str | None], Awaitable[None]]
    executor: Executor | None = None
    step_hook: StepHook | None = None

    @property
    def job_id(self) -> str:
        return self.job.id

    @property
    def user_id(self) -> str:
        return self.job.user_id

    def progress(self, fraction: float, message: str) -> None:
        self.report(max(0.0, min(1.0, fraction)), message)

    async def run_blocking(self, step: str, fn: Callable[..., T], *args: object) -> T:
        """Run one CPU-bound step off the event loop, honouring cancel before and after it."""
        self.cancel.raise_if_canceled()
        hook = self.step_hook

        def call() -> T:
            if hook is not None:
                hook(step)
            self.cancel.raise_if_canceled()
            return fn(*args)

        result = await asyncio.get_running_loop().run_in_executor(self.executor, call)
        self.cancel.raise_if_canceled()
        return result


class Engine(Protocol):
    """Runs one job. Raises JobFailedError / JobCanceledError instead of returning on failure."""

    name: str

    async def run(self, job_input: JobInput, ctx: JobContext) -> JobResult: ...


@runtime_checkable
class OperationCanceler(Protocol):
    """An engine whose jobs run as operations on a server (the remote engine): it can cancel
    one by id after its job ended here (a job canceled while it waited for the network)."""

    async def cancel_operation(self, operation_id: str) -> bool:
        """True when the server answered (the operation is canceled, or had already ended);
        False when it could not be reached (the caller tries again later)."""
        ...
