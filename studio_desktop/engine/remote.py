"""The remote engine: runs a job on the studio's generation API (``docs/remote-api.md``).

The desktop's job row already exists; the API gets its id (``jobId``) and the attempt number,
never creates a row of its own. The engine starts an operation (or resumes the one recorded in
``provider_operation_id`` after a restart), records the operation id through the context, polls
it with progress until it ends, and downloads its outputs, which are already in Storage, so they
are recorded without a new upload. A cancel from the user interrupts a request or poll at once
and is passed on to the API (``POST /api/operations/{id}/cancel``).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from studio_desktop.domain.enums import Bucket, parse_enum
from studio_desktop.domain.paths import ObjectRef, StoragePathError, validate_path
from studio_desktop.engine.base import BlobState, JobContext, JobResult, ProducedOutput
from studio_desktop.engine.cancel import CancelToken
from studio_desktop.engine.errors import (
    EngineUnavailableError,
    JobCanceledError,
    JobFailedError,
    UnsupportedInstructionError,
)
from studio_desktop.engine.inputs import (
    CanvasEditInput,
    ExtractGarmentInput,
    GarmentPhoto,
    ImageInput,
    JobInput,
    ProductPackInput,
    TryOnInput,
    attempt_of,
)
from studio_desktop.engine.remote_api import (
    API_TYPE_BY_JOB_TYPE,
    SERVICE,
    GenerationApiClient,
    Operation,
    RemoteApiError,
    RemoteAuthError,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Client error codes meaning the service could not be reached at all (after the retries).
UNREACHABLE_CODES = frozenset({"network", "timeout"})
#: When a job that waits for the engine tries again after the service could not be reached.
UNREACHABLE_RETRY_SECONDS = 30.0

#: Share of the progress bar for sending the request and for downloading the results.
_SEND_SHARE = 0.05
_DOWNLOAD_SHARE = 0.1


class RemoteEngine:
    name = "remote"

    def __init__(
        self,
        client: GenerationApiClient,
        *,
        operation_timeout: float = 15 * 60,
        cancel_timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.operation_timeout = operation_timeout
        self.cancel_timeout = cancel_timeout
        self._clock = clock

    async def run(self, job_input: JobInput, ctx: JobContext) -> JobResult:
        try:
            return await self._run(job_input, ctx)
        except RemoteAuthError as exc:
            # The session needs a new sign-in: a job that waits for the engine waits for it.
            raise EngineUnavailableError(
                exc.message, retry_after=None, retryable=exc.retryable, code=exc.code
            ) from exc
        except RemoteApiError as exc:
            if exc.code in UNREACHABLE_CODES:
                # Offline, or the service does not answer: tried again in a while (an operation
                # already started is polled again then, never started twice).
                raise EngineUnavailableError(
                    exc.message,
                    retry_after=UNREACHABLE_RETRY_SECONDS,
                    retryable=exc.retryable,
                    code=exc.code,
                ) from exc
            if exc.code == "unknown_profile":
                # A profile the server does not have although the outbox holds nothing for it
                # (jobs wait for a profile's push before sending, see services/jobs.py): say
                # what to do.
                raise JobFailedError(
                    f"{exc.message} Once the sync has sent the profile to the studio (see the "
                    "status bar), retry this job.",
                    retryable=True,
                    code=exc.code,
                ) from exc
            raise JobFailedError(exc.message, retryable=exc.retryable, code=exc.code) from exc

    async def _run(self, job_input: JobInput, ctx: JobContext) -> JobResult:
        operation_id = ctx.job.provider_operation_id
        if operation_id:
            ctx.progress(_SEND_SHARE, f"Reconnecting to {SERVICE}")
            op = await self._unless_canceled(ctx.cancel, self.client.get_operation(operation_id))
        else:
            ctx.progress(0.0, f"Sending the images to {SERVICE}")
            body = await self._body(job_input, ctx)
            ctx.cancel.raise_if_canceled()
            # Not interruptible on purpose: once sent, the operation id must be known so the
            # operation can be canceled on the server too.
            op, _ = await self.client.start_generation(body)
            await ctx.save_operation_id(op.id)
        deadline = self._clock() + self.operation_timeout
        while not op.is_final:
            ctx.progress(
                _SEND_SHARE + (1 - _SEND_SHARE - _DOWNLOAD_SHARE) * op.progress,
                op.message or "Working on the server",
            )
            if await ctx.cancel.wait(op.poll_after):
                await self._cancel_remote(op.id)
                raise JobCanceledError()
            if self._clock() > deadline:
                await self._cancel_remote(op.id)
                raise JobFailedError(
                    f"{SERVICE.capitalize()} did not finish within "
                    f"{self.operation_timeout / 60:g} minutes; the job was stopped.",
                    retryable=True,
                    code="operation_timeout",
                )
            try:
                op = await self._unless_canceled(ctx.cancel, self.client.get_operation(op.id))
            except JobCanceledError:
                await self._cancel_remote(op.id)
                raise
        return await self._finish(op, ctx)

    async def _finish(self, op: Operation, ctx: JobContext) -> JobResult:
        if op.status == "canceled":
            raise JobCanceledError(f"Canceled on {SERVICE}.")
        if op.status == "failed":
            reason = op.error_message or "no reason was given"
            if op.error_code == "unsupported_instruction":
                raise UnsupportedInstructionError(reason)
            raise JobFailedError(
                f"{SERVICE.capitalize()} could not finish the job: {reason}",
                retryable=op.error_retryable,
                code=op.error_code,
            )
        outputs: list[ProducedOutput] = []
        total = max(1, len(op.outputs))
        for index, remote in enumerate(op.outputs):
            ctx.progress(1 - _DOWNLOAD_SHARE * (1 - index / total), "Downloading the results")
            ref = self._checked_ref(remote.bucket, remote.storage_path, remote.id, ctx.user_id)
            data, content_type = await self._unless_canceled(
                ctx.cancel, self.client.download(remote.url)
            )
            outputs.append(
                ProducedOutput(
                    data=data,
                    mime_type=content_type or remote.mime_type,
                    width=remote.width,
                    height=remote.height,
                    kind=remote.kind,
                    angle=remote.angle,
                    ref=ref,
                    output_id=remote.id,
                    blob=BlobState.REMOTE,
                )
            )
        ctx.progress(1.0, "Done")
        return JobResult(outputs=tuple(outputs), reply_text=op.reply_text)

    @staticmethod
    def _checked_ref(bucket: str, path: str, output_id: str, user_id: str) -> ObjectRef:
        """Refuse results the API claims to have stored somewhere this user does not own."""
        try:
            uuid.UUID(output_id)
            validate_path(path, user_id)
        except (ValueError, StoragePathError):
            raise JobFailedError(
                f"{SERVICE.capitalize()} reported a result outside your storage folder; "
                "it was not kept.",
                code="bad_output_path",
            ) from None
        if parse_enum(Bucket, bucket) is None:
            raise JobFailedError(
                f"{SERVICE.capitalize()} reported a result in an unknown bucket “{bucket}”.",
                code="bad_output_path",
            )
        return ObjectRef(bucket, path)

    async def cancel_operation(self, operation_id: str) -> bool:
        """Cancel an operation of a job that already ended here (canceled while it waited for
        the network). True when the server answered: canceled, already final, or unknown to it
        (``404``: nothing left to cancel); False when it could not be reached or refused the
        session (the caller tries again later)."""
        try:
            await asyncio.wait_for(
                self.client.cancel_operation(operation_id), timeout=self.cancel_timeout
            )
        except RemoteAuthError as exc:
            log.info("operation %s not canceled yet (%s)", operation_id, exc.message)
            return False
        except RemoteApiError as exc:
            if exc.code in UNREACHABLE_CODES or exc.retryable:
                log.info("operation %s not canceled yet (%s)", operation_id, exc.message)
                return False
            log.warning("operation %s could not be canceled: %s", operation_id, exc.message)
            return True
        except TimeoutError:
            log.info("operation %s not canceled yet (no answer in time)", operation_id)
            return False
        return True

    async def _cancel_remote(self, operation_id: str) -> None:
        """Best effort: the job is canceled here whatever the server answers."""
        try:
            await asyncio.wait_for(
                self.client.cancel_operation(operation_id), timeout=self.cancel_timeout
            )
        except (RemoteApiError, TimeoutError) as exc:
            log.warning("could not cancel remote operation %s: %s", operation_id, exc)

    @staticmethod
    async def _unless_canceled(token: CancelToken, call: Awaitable[T]) -> T:
        """Await ``call`` unless the token is canceled first (then the call is abandoned)."""
        task = asyncio.ensure_future(call)
        waiter = asyncio.ensure_future(token.wait())
        try:
            done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if task in done:
            return task.result()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        raise JobCanceledError()

    # ------------------------------------------------------------------ request bodies
    async def _body(self, job_input: JobInput, ctx: JobContext) -> dict[str, Any]:
        body: dict[str, Any] = {
            "jobId": ctx.job_id,
            "attempt": attempt_of(ctx.job.input_json),
            "type": API_TYPE_BY_JOB_TYPE[job_input.job_type],
        }
        if isinstance(job_input, CanvasEditInput):
            body["image"] = await _image(job_input.source, ctx)
            body["mask"] = await _image(job_input.mask, ctx) if job_input.mask else None
            body["instruction"] = job_input.instruction.strip()
        elif isinstance(job_input, ExtractGarmentInput):
            body["image"] = await _image(job_input.photo, ctx)
            body["kind"] = str(job_input.kind)
        elif isinstance(job_input, ProductPackInput):
            body["profileId"] = job_input.profile_id
            body["background"] = job_input.background
            body["angles"] = [str(a) for a in job_input.angles]
            body["useCutout"] = job_input.use_cutout
            body["garments"] = [await _garment(g, ctx) for g in job_input.garments]
        elif isinstance(job_input, TryOnInput):
            body["profileId"] = job_input.profile_id
            body["garment"] = await _garment(job_input.garment, ctx)
        return body


async def _image(image: ImageInput, ctx: JobContext) -> dict[str, str]:
    data = await ctx.read_image(image)
    # Base64 of a 20 MB photo takes tens of milliseconds: not on the event loop.
    text = await ctx.run_blocking("encode-request", lambda: base64.b64encode(data).decode("ascii"))
    return {"mimeType": image.mime_type, "data": text}


async def _garment(garment: GarmentPhoto, ctx: JobContext) -> dict[str, Any]:
    return {"kind": str(garment.kind), "image": await _image(garment.photo, ctx)}
