"""Magic Canvas: a creation's assets and versions, its conversations, and chat-driven edits.

    canvas = CanvasService(store, jobs)
    view = await canvas.open_creation(thread_id)              # assets + versions + chats
    sent = await canvas.send_instruction(thread_id, chat_id, asset_id, "make it navy", mask)
    # sent.message (the user's, with its mask) is stored; sent.job is queued and runs.
    reply = await canvas.wait_reply(sent.job.id)              # optional; the events say it too
    await canvas.revert(asset_id, view.asset(asset_id).versions[0])

**Sending an instruction** checks the text (empty -> :class:`ValidationError`) and the mask
against the asset's *current* image: a 2-D ``uint8`` array (255 = edit; ``bool`` and 0..1 floats
work too) of the image's size; a mask of another size with the same shape (aspect within 1 %) is
resized, any other is refused with the imaging layer's :class:`MaskSizeError`; an all-zero mask
is refused (say "no mask" with ``None``). Then, in one transaction, the mask is stored as an
8-bit greyscale PNG (a queued upload in ``outputs`` under ``<uid>/canvas/<thread>/``) and the
user message written with ``mask_storage_*``; a ``canvas_edit`` job on the asset's current
version (and that same mask object) is submitted through the :class:`JobService` with
``context = {threadId, conversationId, assetId, messageId}``; the call returns at once.
One edit runs per asset at a time: sending another while one runs is refused with a message
(each instruction builds on the version the previous one made).

**The reply** is written when the job ends (the service listens to ``job_finished``, so a retry
from the history or a job resumed after a restart is answered the same way), in one transaction:

- succeeded: an assistant message with the engine's sentence, ``output_storage_*`` = the new
  version (the job output's object) and ``output_job_id``; the asset's ``current_storage_*``
  moves to it;
- an instruction the engine cannot do: an assistant message with the engine's reply (what it
  can do instead), no output, no new version;
- failed: an assistant message saying what went wrong;
- canceled: an assistant message "Canceled".

If the creation or the conversation was deleted meanwhile, no reply is written.

Events (emitted on the event loop's thread):

- ``message_added: Event[CanvasMessage]``   a user message sent, an assistant reply written
- ``asset_changed: Event[CanvasAsset]``      a current pointer moved (new version, revert)
- ``job_progress: Event[CanvasProgress]``    progress of a running edit, with where it belongs
- ``running_changed: Event[str]``            an edit of this creation (thread id) started or ended;
  :meth:`CanvasService.running` is the one list of running edits

Other changes (conversations, titles, deletes) are reported by the store's ``rows_changed``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from studio_desktop.domain.enums import Bucket, JobStatus, JobType, MessageRole
from studio_desktop.domain.errors import BugError, ExternalError, ValidationError
from studio_desktop.domain.events import Event
from studio_desktop.domain.models import (
    CanvasAsset,
    CanvasConversation,
    CanvasMessage,
    CanvasThread,
    Job,
    new_id,
)
from studio_desktop.domain.paths import ObjectRef, canvas_object_ref
from studio_desktop.engine.base import JobProgress
from studio_desktop.engine.inputs import (
    ENGINE_LOCAL,
    MAX_INSTRUCTION_CHARS,
    CanvasEditInput,
    ImageInput,
    JobRequest,
    sha256_hex,
)
from studio_desktop.engine.runner import JobOutcome
from studio_desktop.imaging.decode import probe_image
from studio_desktop.services.common import (
    BlockingWork,
    NotFoundError,
    clean_text,
    discard_files_on_failure,
    mime_for_path,
    output_ref,
)
from studio_desktop.services.creations import MAX_LABEL_CHARS, MAX_TITLE_CHARS
from studio_desktop.services.jobs import JobService
from studio_desktop.store.queries import AssetView, ConversationView, Version
from studio_desktop.store.repository import model_from_sql
from studio_desktop.store.workspace import Store

log = logging.getLogger(__name__)

MAX_CONVERSATION_TITLE_CHARS = 120
CANCELED_REPLY = "Canceled"
DEFAULT_DONE_REPLY = "Here is the new version."
NOT_HERE = (
    "This image is not on this computer yet; it will be downloaded when you are online. "
    "Try again then."
)

if TYPE_CHECKING:
    import numpy.typing as npt

    MaskLike = npt.NDArray[Any] | Image.Image


@dataclass(frozen=True, slots=True)
class DeletedConversation:
    """A deleted chat as :meth:`CanvasService.restore_conversation` brings it back."""

    conversation: CanvasConversation
    messages: tuple[CanvasMessage, ...]
    #: (bucket, path) -> (bytes, content type) of the objects the messages referred to.
    images: dict[tuple[str, str], tuple[bytes, str]]


@dataclass(frozen=True, slots=True)
class CanvasProgress:
    """A running edit and where it belongs (payload of ``job_progress``)."""

    job_id: str
    thread_id: str
    conversation_id: str | None
    asset_id: str | None
    #: The user message the edit answers.
    message_id: str | None
    fraction: float
    text: str


@dataclass(frozen=True, slots=True)
class CreationView:
    """What the canvas shows: the store's creation plus the edits running in this session."""

    thread: CanvasThread
    #: Each asset with its versions: the base first, then each assistant output, in order;
    #: ``Version.is_current`` marks the current one.
    assets: tuple[AssetView, ...]
    #: Conversations (oldest first), each with its messages (oldest first).
    conversations: tuple[ConversationView, ...]
    #: Messages in no conversation (rows from older web app versions).
    loose_messages: tuple[CanvasMessage, ...]
    running: tuple[CanvasProgress, ...]

    def asset(self, asset_id: str) -> AssetView | None:
        return next((a for a in self.assets if a.asset.id == asset_id), None)

    def conversation(self, conversation_id: str) -> ConversationView | None:
        return next((c for c in self.conversations if c.conversation.id == conversation_id), None)


@dataclass(frozen=True, slots=True)
class SendResult:
    #: The user's message, as stored (with ``mask_storage_*`` when a mask was sent).
    message: CanvasMessage
    #: The ``canvas_edit`` job, queued.
    job: Job
    #: The mask's size before it was resized to the image, when it was.
    mask_resized_from: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class _Context:
    thread_id: str
    conversation_id: str | None
    asset_id: str | None
    message_id: str | None

    @classmethod
    def of(cls, job: Job) -> _Context | None:
        if job.type != JobType.CANVAS_EDIT:
            return None
        context = job.input_json.get("context")
        if not isinstance(context, dict) or not isinstance(context.get("threadId"), str):
            return None

        def text(key: str) -> str | None:
            value = context.get(key)
            return value if isinstance(value, str) and value else None

        return cls(context["threadId"], text("conversationId"), text("assetId"), text("messageId"))

    def to_json(self) -> dict[str, str | None]:
        return {
            "threadId": self.thread_id,
            "conversationId": self.conversation_id,
            "assetId": self.asset_id,
            "messageId": self.message_id,
        }


@dataclass(frozen=True, slots=True)
class _Prepared:
    message: CanvasMessage
    source: ImageInput
    mask: ImageInput | None
    mask_resized_from: tuple[int, int] | None


def _mask_image(mask: MaskLike) -> Image.Image:
    if isinstance(mask, Image.Image):
        if mask.mode != "L":
            raise BugError(f"a mask image must be mode 'L', not {mask.mode}")
        return mask
    from studio_desktop.imaging.masks import from_array  # NumPy: not needed to open the app

    return from_array(mask)


class CanvasService(BlockingWork):
    def __init__(self, store: Store, jobs: JobService, *, executor: Executor | None = None) -> None:
        self.store = store
        self.jobs = jobs
        self.executor = executor
        self.message_added: Event[CanvasMessage] = Event("message_added")
        self.asset_changed: Event[CanvasAsset] = Event("asset_changed")
        self.job_progress: Event[CanvasProgress] = Event("canvas_job_progress")
        #: A creation's running edits changed (one started or ended): its thread id.
        self.running_changed: Event[str] = Event("canvas_running_changed")
        #: Running edits by job id (sent here, retried from the history, or resumed).
        self._running: dict[str, CanvasProgress] = {}
        #: Assets with an edit in flight -> its job id ("" while the send is being written).
        self._busy: dict[str, str] = {}
        self._replies: dict[str, asyncio.Task[CanvasMessage | None]] = {}
        jobs.job_changed.connect(self._on_job_changed)
        jobs.job_progress.connect(self._on_job_progress)
        jobs.job_finished.connect(self._on_job_finished)

    # ------------------------------------------------------------------ reading
    async def open_creation(self, thread_id: str) -> CreationView:
        """The creation with its assets, versions and conversations. Current versions that are
        not on this computer are queued for download."""
        creation = await self.io(self._open, thread_id)
        running = tuple(p for p in self._running.values() if p.thread_id == thread_id)
        return CreationView(
            creation.thread,
            creation.assets,
            creation.conversations,
            creation.loose_messages,
            running,
        )

    async def versions(self, asset_id: str) -> tuple[Version, ...]:
        """The asset's versions: its base first, then each assistant output for it, in order."""
        return (await self.io(self._asset_view, asset_id)).versions

    async def asset_views(self, asset_ids: tuple[str, ...]) -> dict[str, AssetView]:
        """These images with their versions, as stored now (an image deleted is left out)."""
        return await self.io(self._asset_views, asset_ids)

    def local_file(self, bucket: str, path: str) -> Path | None:
        """The file of a stored object on this computer, or None (blocking: off the GUI
        thread)."""
        return self.store.blobs.get_path(bucket, path)

    def running(self, thread_id: str | None = None) -> tuple[CanvasProgress, ...]:
        """Edits running now (of one creation, or all)."""
        return tuple(
            p for p in self._running.values() if thread_id is None or p.thread_id == thread_id
        )

    # ------------------------------------------------------------------ conversations
    async def new_conversation(
        self, thread_id: str, title: str | None = None
    ) -> CanvasConversation:
        """A new chat in the creation, titled "Chat <n>" unless given a title."""
        cleaned = clean_text(
            title, "title", "The conversation's title", max_chars=MAX_CONVERSATION_TITLE_CHARS
        )
        return await self.io(self._new_conversation, thread_id, cleaned)

    async def rename_conversation(self, conversation_id: str, title: str) -> CanvasConversation:
        cleaned = clean_text(
            title,
            "title",
            "The conversation's title",
            max_chars=MAX_CONVERSATION_TITLE_CHARS,
            required=True,
        )
        return await self.io(self._rename, CanvasConversation, conversation_id, "title", cleaned)

    async def delete_conversation(self, conversation_id: str) -> bool:
        """Delete a chat and its messages (their masks' removal is queued)."""
        result = await self.io(self.store.rows.delete, "canvas_conversations", conversation_id)
        return bool(result.deleted)

    async def delete_conversation_keeping(self, conversation_id: str) -> DeletedConversation:
        """Delete a chat and its messages like :meth:`delete_conversation`, keeping what
        :meth:`restore_conversation` needs to bring them back (undo): the rows, and the bytes
        of the images only they referred to (their masks) read from this computer first."""
        return await self.io(self._delete_keeping, conversation_id)

    async def restore_conversation(
        self, deleted: DeletedConversation
    ) -> tuple[CanvasConversation, tuple[CanvasMessage, ...]]:
        """Bring a deleted chat back with its messages (new ids; their order and texts kept);
        returns both as stored.
        Images whose objects were removed are stored again from the kept bytes; one that was
        not on this computer comes back without its picture."""
        return await self.io(self._restore, deleted)

    # ------------------------------------------------------------------ instructions
    async def send_instruction(
        self,
        thread_id: str,
        conversation_id: str | None,
        asset_id: str,
        text: str,
        mask: MaskLike | None = None,
        *,
        engine: str = ENGINE_LOCAL,
    ) -> SendResult:
        """Send an instruction (and optional mask) about one asset; see the module docstring.

        ``conversation_id=None`` uses the creation's latest conversation (a new one if it has
        none). Returns once the user message is stored and the job queued.
        """
        instruction = text.strip() if isinstance(text, str) else ""
        if not instruction:
            raise ValidationError("Type what you want changed in the image.", "instruction")
        if len(instruction) > MAX_INSTRUCTION_CHARS:
            raise ValidationError(
                f"The instruction is {len(instruction)} characters long; the limit is "
                f"{MAX_INSTRUCTION_CHARS}.",
                "instruction",
            )
        if engine not in self.jobs.engines:
            raise ValidationError(
                "The studio's generation service is not available: sign in to use it."
                if engine != ENGINE_LOCAL
                else "The local engine is not available.",
                "engine",
            )
        if asset_id in self._busy:
            raise ValidationError(
                "An edit of this image is still running; wait for its answer or cancel it "
                "before sending the next instruction.",
                "asset",
            )
        self._busy[asset_id] = ""
        try:
            prepared = await self.io(
                self._prepare_send, thread_id, conversation_id, asset_id, instruction, mask
            )
            message = prepared.message
            context = _Context(thread_id, message.conversation_id, asset_id, message.id)
            request = JobRequest(
                CanvasEditInput(prepared.source, instruction, prepared.mask),
                engine,
                context.to_json(),
            )
            try:
                job = await self.jobs.submit(request)
            except BaseException:
                await self.io(self.store.rows.delete, "canvas_messages", message.id)
                raise
        except BaseException:
            self._busy.pop(asset_id, None)
            raise
        self._busy[asset_id] = job.id
        # (Normally known already: the job service's job_changed for the queued row.)
        known = job.id in self._running
        self._running.setdefault(
            job.id,
            CanvasProgress(
                job.id,
                thread_id,
                message.conversation_id,
                asset_id,
                message.id,
                0.0,
                "Waiting for the engine",
            ),
        )
        self.message_added.emit(message)
        if not known:
            self.running_changed.emit(thread_id)
        return SendResult(message, job, prepared.mask_resized_from)

    async def cancel(self, job_id: str) -> bool:
        """Stop a running edit; its reply will be "Canceled". False if it had ended."""
        return await self.jobs.cancel(job_id)

    async def wait_reply(self, job_id: str) -> CanvasMessage | None:
        """Wait for an edit to end and its reply to be written; the reply, or None when none
        was written (the conversation is gone, or the job ended before this session)."""
        await self.jobs.wait(job_id)
        task = self._replies.get(job_id)
        return None if task is None else await asyncio.shield(task)

    # ------------------------------------------------------------------ versions
    async def revert(self, asset_id: str, version: Version | int) -> CanvasAsset:
        """Make one of the asset's versions (a :class:`Version`, or its index in
        :meth:`versions`) the current one; the change syncs like any other."""
        asset, changed = await self.io(self._revert, asset_id, version)
        if changed:
            self.asset_changed.emit(asset)
        return asset

    # ------------------------------------------------------------------ assets and creations
    async def rename_asset(self, asset_id: str, label: str) -> CanvasAsset:
        cleaned = clean_text(label, "label", "The image's name", max_chars=MAX_LABEL_CHARS)
        return await self.io(self._rename, CanvasAsset, asset_id, "label", cleaned)

    async def delete_asset(self, asset_id: str) -> bool:
        """Remove an image from its creation (its running edit is canceled; the versions made
        in the canvas are queued for removal; the messages about it stay)."""
        for job_id, running in list(self._running.items()):
            if running.asset_id == asset_id:
                await self.jobs.cancel(job_id)
        return await self.io(self._delete_asset, asset_id)

    async def rename_creation(self, thread_id: str, title: str) -> CanvasThread:
        cleaned = clean_text(
            title, "title", "The creation's title", max_chars=MAX_TITLE_CHARS, required=True
        )
        return await self.io(self._rename, CanvasThread, thread_id, "title", cleaned)

    async def delete_creation(self, thread_id: str) -> bool:
        """Delete a creation with its assets, conversations and messages (running edits are
        canceled; objects made in the canvas are queued for removal; jobs stay in history)."""
        for job_id, running in list(self._running.items()):
            if running.thread_id == thread_id:
                await self.jobs.cancel(job_id)
        result = await self.io(self.store.rows.delete, "canvas_threads", thread_id)
        return bool(result.deleted)

    async def aclose(self) -> None:
        """Wait for replies being written, and stop listening to the job service."""
        pending = [t for t in self._replies.values() if not t.done()]
        await asyncio.gather(*pending, return_exceptions=True)
        self.jobs.job_changed.disconnect(self._on_job_changed)
        self.jobs.job_progress.disconnect(self._on_job_progress)
        self.jobs.job_finished.disconnect(self._on_job_finished)

    # ------------------------------------------------------------------ job events
    def _on_job_changed(self, job: Job) -> None:
        if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING) or job.id in self._running:
            return
        context = _Context.of(job)
        if context is None:
            return
        self._running[job.id] = CanvasProgress(
            job.id,
            context.thread_id,
            context.conversation_id,
            context.asset_id,
            context.message_id,
            0.0,
            "Waiting for the engine",
        )
        if context.asset_id and context.asset_id not in self._busy:
            self._busy[context.asset_id] = job.id
        self.running_changed.emit(context.thread_id)

    def _on_job_progress(self, progress: JobProgress) -> None:
        running = self._running.get(progress.job_id)
        if running is None:
            return
        running = dataclasses.replace(running, fraction=progress.fraction, text=progress.message)
        self._running[progress.job_id] = running
        self.job_progress.emit(running)

    def _on_job_finished(self, outcome: JobOutcome) -> None:
        context = _Context.of(outcome.job)
        if context is None:
            return
        ended = self._running.pop(outcome.job.id, None) is not None
        if context.asset_id and self._busy.get(context.asset_id) == outcome.job.id:
            del self._busy[context.asset_id]
        if ended:
            self.running_changed.emit(context.thread_id)
        task = asyncio.get_running_loop().create_task(self._post_reply(outcome, context))
        self._replies[outcome.job.id] = task

    async def _post_reply(self, outcome: JobOutcome, context: _Context) -> CanvasMessage | None:
        try:
            written = await self.io(self._write_reply, outcome, context)
        except Exception:
            log.exception("the reply to canvas job %s could not be written", outcome.job.id)
            return None
        if written is None:
            return None
        message, asset = written
        self.message_added.emit(message)
        if asset is not None:
            self.asset_changed.emit(asset)
        return message

    # ------------------------------------------------------------------ blocking parts
    def _require(self, model: type[Any], row_id: str | None, what: str) -> Any:
        row = self.store.rows.get(model, row_id) if row_id else None
        if row is None:
            raise NotFoundError(f"This {what} no longer exists (it may have been deleted).")
        return row

    def _open(self, thread_id: str) -> Any:
        creation = self.store.queries.creation(thread_id)
        if creation is None:
            raise NotFoundError("This creation no longer exists (it may have been deleted).")
        wanted = [
            (v.bucket, v.path)
            for a in creation.assets
            for v in a.versions
            if v.is_current and self.store.blobs.get_path(v.bucket, v.path) is None
        ]
        if wanted:
            with self.store.transaction():
                for bucket, path in wanted:
                    self.store.blobs.want(bucket, path)
        return creation

    def _asset_view(self, asset_id: str) -> AssetView:
        view = self.store.queries.asset_view(asset_id)
        if view is None:
            raise NotFoundError("This image no longer exists (it may have been deleted).")
        return view

    def _asset_views(self, asset_ids: tuple[str, ...]) -> dict[str, AssetView]:
        views = {}
        for asset_id in asset_ids:
            view = self.store.queries.asset_view(asset_id)
            if view is not None:
                views[asset_id] = view
        return views

    def _new_conversation(self, thread_id: str, title: str | None) -> CanvasConversation:
        with self.store.transaction():
            self._require(CanvasThread, thread_id, "creation")
            if title is None:
                count = int(
                    self.store.db.scalar(
                        "SELECT count(*) FROM canvas_conversations WHERE thread_id = ?",
                        (thread_id,),
                    )
                )
                title = f"Chat {count + 1}"
            conversation = CanvasConversation(
                id=new_id(), thread_id=thread_id, user_id=self.store.user_id, title=title
            )
            return self.store.rows.save(conversation)

    def _delete_keeping(self, conversation_id: str) -> DeletedConversation:
        with self.store.transaction():
            conversation = self._require(CanvasConversation, conversation_id, "conversation")
            rows = self.store.db.query(
                "SELECT * FROM canvas_messages WHERE conversation_id = ? ORDER BY created_at, id",
                (conversation_id,),
            )
            messages = tuple(model_from_sql(CanvasMessage, dict(r)) for r in rows)
            images: dict[tuple[str, str], tuple[bytes, str]] = {}
            for message in messages:
                for bucket, path in (
                    (message.mask_storage_bucket, message.mask_storage_path),
                    (message.output_storage_bucket, message.output_storage_path),
                ):
                    if not bucket or not path or (bucket, path) in images:
                        continue
                    file = self.store.blobs.get_path(bucket, path)
                    if file is not None:
                        try:
                            images[(bucket, path)] = (file.read_bytes(), mime_for_path(path))
                        except OSError:
                            log.warning("chat delete: could not keep %s/%s", bucket, path)
            self.store.rows.delete("canvas_conversations", conversation_id)
        return DeletedConversation(conversation, messages, images)

    def _restore(
        self, deleted: DeletedConversation
    ) -> tuple[CanvasConversation, tuple[CanvasMessage, ...]]:
        old = deleted.conversation
        user = self.store.user_id
        with self.store.transaction():
            self._require(CanvasThread, old.thread_id, "creation")
            conversation = dataclasses.replace(old, id=new_id())
            moved: dict[tuple[str, str], tuple[str, str] | None] = {}

            def keep(bucket: str | None, path: str | None) -> tuple[str | None, str | None]:
                if not bucket or not path:
                    return None, None
                key = (bucket, path)
                if key not in moved:
                    if self.store.blobs.info(bucket, path) is not None:
                        moved[key] = key  # still stored: refer to it again
                    elif key in deleted.images:
                        data, mime = deleted.images[key]
                        ref = canvas_object_ref(user, old.thread_id, mime)
                        self.store.blobs.put(ref.bucket, ref.path, data, mime)
                        moved[key] = (ref.bucket, ref.path)
                    else:
                        moved[key] = None
                found = moved[key]
                return found if found is not None else (None, None)

            messages = []
            for message in deleted.messages:
                mask_bucket, mask_path = keep(
                    message.mask_storage_bucket, message.mask_storage_path
                )
                out_bucket, out_path = keep(
                    message.output_storage_bucket, message.output_storage_path
                )
                asset_id = message.asset_id
                if asset_id is not None and not self.store.rows.exists("canvas_assets", asset_id):
                    asset_id = None
                job_id = message.output_job_id
                if job_id is not None and not self.store.rows.exists("jobs", job_id):
                    job_id = None
                messages.append(
                    dataclasses.replace(
                        message,
                        id=new_id(),
                        conversation_id=conversation.id,
                        asset_id=asset_id,
                        output_job_id=job_id,
                        mask_storage_bucket=mask_bucket,
                        mask_storage_path=mask_path,
                        output_storage_bucket=out_bucket,
                        output_storage_path=out_path,
                    )
                )
            self.store.rows.save_many([conversation, *messages], touch=False)
        return conversation, tuple(messages)

    def _rename(self, model: type[Any], row_id: str, column: str, value: str | None) -> Any:
        what = {CanvasThread: "creation", CanvasAsset: "image"}.get(model, "conversation")
        with self.store.transaction():
            row = self._require(model, row_id, what)
            if getattr(row, column) == value:
                return row
            return self.store.rows.save(dataclasses.replace(row, **{column: value}))

    def _latest_conversation(self, thread_id: str) -> CanvasConversation:
        row = self.store.db.query_one(
            "SELECT id FROM canvas_conversations WHERE thread_id = ? "
            "ORDER BY created_at DESC, id DESC LIMIT 1",
            (thread_id,),
        )
        if row is not None:
            return self._require(CanvasConversation, row["id"], "conversation")
        conversation = CanvasConversation(
            id=new_id(), thread_id=thread_id, user_id=self.store.user_id, title="Chat 1"
        )
        return self.store.rows.save(conversation)

    def _prepare_send(
        self,
        thread_id: str,
        conversation_id: str | None,
        asset_id: str,
        instruction: str,
        mask: MaskLike | None,
    ) -> _Prepared:
        asset: CanvasAsset = self._require(CanvasAsset, asset_id, "image")
        if asset.thread_id != thread_id:
            raise BugError(f"asset {asset_id} is not in creation {thread_id}")
        if not asset.current_storage_path:
            raise ExternalError("This image has no picture yet; it cannot be edited.")
        current = ObjectRef(
            asset.current_storage_bucket or Bucket.OUTPUTS.value, asset.current_storage_path
        )
        info = self.store.blobs.info(current.bucket, current.path)
        local = self.store.blobs.get_path(current.bucket, current.path)
        if local is None:
            self.store.blobs.want(current.bucket, current.path)
            raise ExternalError(NOT_HERE)
        mime = (info.content_type if info else None) or mime_for_path(current.path)
        source = ImageInput.stored(current, mime, info.sha256 if info else None)
        mask_png: bytes | None = None
        resized_from: tuple[int, int] | None = None
        if mask is not None:
            from studio_desktop.imaging.masks import fit_mask, is_empty, mask_to_png

            image_size = probe_image(local).size
            mask_image = _mask_image(mask)
            if mask_image.size != image_size:
                resized_from = mask_image.size
            mask_image = fit_mask(mask_image, image_size)
            if is_empty(mask_image):
                raise ValidationError(
                    "The mask is empty: paint over the part of the image to change, or clear "
                    "the mask to edit the main subject.",
                    "mask",
                )
            mask_png = mask_to_png(mask_image)
        mask_ref = canvas_object_ref(self.store.user_id, thread_id) if mask_png else None
        refs = [mask_ref] if mask_ref else []
        with discard_files_on_failure(self.store, refs), self.store.transaction():
            if conversation_id is None:
                conversation = self._latest_conversation(thread_id)
            else:
                conversation = self._require(CanvasConversation, conversation_id, "conversation")
                if conversation.thread_id != thread_id:
                    raise BugError(f"conversation {conversation_id} is not in {thread_id}")
            if mask_ref is not None and mask_png is not None:
                self.store.blobs.put(mask_ref.bucket, mask_ref.path, mask_png, "image/png")
            message = self.store.rows.save(
                CanvasMessage(
                    id=new_id(),
                    thread_id=thread_id,
                    user_id=self.store.user_id,
                    conversation_id=conversation.id,
                    asset_id=asset_id,
                    role=MessageRole.USER.value,
                    text=instruction,
                    mask_storage_bucket=mask_ref.bucket if mask_ref else None,
                    mask_storage_path=mask_ref.path if mask_ref else None,
                )
            )
        mask_input = (
            ImageInput.stored(mask_ref, "image/png", sha256_hex(mask_png))
            if mask_ref is not None and mask_png is not None
            else None
        )
        return _Prepared(message, source, mask_input, resized_from)

    def _write_reply(
        self, outcome: JobOutcome, context: _Context
    ) -> tuple[CanvasMessage, CanvasAsset | None] | None:
        job = outcome.job
        status = job.status
        output = None
        if status == JobStatus.SUCCEEDED:
            output = next(
                (o for o in outcome.outputs if output_ref(o) is not None and o.kind == "image"),
                None,
            )
            text = outcome.reply_text or DEFAULT_DONE_REPLY
            if output is None:
                text = "The edit finished but the engine returned no image."
        elif status == JobStatus.FAILED:
            text = outcome.reply_text or (
                f"I could not make this edit: {job.error or 'the engine gave no reason'}"
            )
        elif status == JobStatus.CANCELED:
            text = CANCELED_REPLY
        else:
            return None  # the job was deleted while it ran: nothing to answer
        ref = output_ref(output) if output is not None else None
        with self.store.transaction():
            if self.store.rows.get(CanvasThread, context.thread_id) is None:
                return None
            if context.conversation_id is not None and (
                self.store.rows.get(CanvasConversation, context.conversation_id) is None
            ):
                return None
            asset = self.store.rows.get(CanvasAsset, context.asset_id) if context.asset_id else None
            message = self.store.rows.save(
                CanvasMessage(
                    id=new_id(),
                    thread_id=context.thread_id,
                    user_id=self.store.user_id,
                    conversation_id=context.conversation_id,
                    asset_id=asset.id if asset else None,
                    role=MessageRole.ASSISTANT.value,
                    text=text,
                    output_job_id=job.id if self.store.rows.exists("jobs", job.id) else None,
                    output_storage_bucket=ref.bucket if ref else None,
                    output_storage_path=ref.path if ref else None,
                )
            )
            moved = None
            if asset is not None and ref is not None:
                moved = self.store.rows.save(
                    dataclasses.replace(
                        asset, current_storage_bucket=ref.bucket, current_storage_path=ref.path
                    )
                )
        return message, moved

    def _revert(self, asset_id: str, version: Version | int) -> tuple[CanvasAsset, bool]:
        with self.store.transaction():
            view = self._asset_view(asset_id)
            if isinstance(version, int):
                if not 0 <= version < len(view.versions):
                    raise ValidationError(
                        f"This image has {len(view.versions)} versions; there is no "
                        f"version {version + 1}.",
                        "version",
                    )
                target = view.versions[version]
            else:
                found = [
                    v for v in view.versions if (v.bucket, v.path) == (version.bucket, version.path)
                ]
                if not found:
                    raise ValidationError(
                        "That version is no longer one of this image's versions.", "version"
                    )
                target = found[0]
            asset = view.asset
            if (asset.current_storage_bucket, asset.current_storage_path) == (
                target.bucket,
                target.path,
            ):
                return asset, False
            saved = self.store.rows.save(
                dataclasses.replace(
                    asset,
                    current_storage_bucket=target.bucket,
                    current_storage_path=target.path,
                )
            )
        return saved, True

    def _delete_asset(self, asset_id: str) -> bool:
        with self.store.transaction():
            asset = self.store.rows.get(CanvasAsset, asset_id)
            if asset is None:
                return False
            thread = self.store.rows.get(CanvasThread, asset.thread_id)
            if thread is not None and thread.base_storage_path == asset.base_storage_path:
                row = self.store.db.query_one(
                    "SELECT id FROM canvas_assets WHERE thread_id = ? AND id != ? "
                    "ORDER BY created_at, id LIMIT 1",
                    (asset.thread_id, asset_id),
                )
                nxt = self.store.rows.get(CanvasAsset, row["id"]) if row else None
                self.store.rows.save(
                    dataclasses.replace(
                        thread,
                        base_storage_bucket=nxt.base_storage_bucket if nxt else None,
                        base_storage_path=nxt.base_storage_path if nxt else None,
                    )
                )
            result = self.store.rows.delete("canvas_assets", asset_id)
        return bool(result.deleted)
