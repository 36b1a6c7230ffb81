"""The Magic Canvas screen without Qt: one :class:`CanvasScreen` per open creation.

    screen = await CanvasScreen.open(services, thread_id)      # the creation, first image chosen
    screen.asset_changed.connect(on_asset)                     # domain events, no table names
    screen.select_asset(asset_id); screen.show_version(0)
    sent = await screen.send("make it navy", mask)             # the selected image and chat
    await screen.revert(0)
    screen.close()                                             # stops listening

The screen owns what the canvas shows of a creation and what is selected in it:

- the creation (:class:`CreationState`): its images with their versions, its conversations and
  their messages. It is built once from :meth:`CanvasService.open_creation` and then kept up to
  date from events, never re-read whole: the service's own events (a message sent or answered,
  an asset's current version moved) and the store's change sets (rows added, renamed or deleted
  here or by a sync), which it turns into the events below. An image's versions are always
  re-read through ``store/queries.py`` (:meth:`CanvasService.asset_views`), the one place they
  are derived, and a reply that made a version is applied together with that version;
- the selection: the image, the conversation, and the version shown large when it is not the
  current one (the compared version follows from it: :attr:`other_index`);
- nothing about running edits: :meth:`running` and :attr:`busy_assets` read
  :meth:`CanvasService.running`, the one copy.

Events (emitted on the event loop's thread; each carries what happened, never a table name):

- ``creation_changed: Event[CanvasThread]``       the creation was renamed
- ``creation_removed: Event[str]``                the creation was deleted (here or elsewhere)
- ``asset_changed: Event[AssetState]``            an image added or changed (versions fresh)
- ``asset_removed: Event[str]``                   an image deleted
- ``conversations_changed: Event[str | None]``    chats added, renamed or deleted; the selected one
- ``messages_added: Event[tuple[CanvasMessage, ...]]``  new messages of the selected chat
- ``progress_changed: Event[CanvasProgress | None]``    the selected chat's running edit changed
- ``conversation_selected: Event[str | None]``    another chat was selected
- ``asset_selected: Event[AssetSelected]``        an image was selected (or none is left)
- ``version_shown: Event[int]``                   another version of it is shown large

:class:`CreationList` is the list of creations beside it (the creations panel), with
``creation_changed`` / ``creation_removed`` events of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio_desktop.domain.enums import MessageRole
from studio_desktop.domain.errors import ValidationError
from studio_desktop.domain.events import Event
from studio_desktop.domain.models import (
    CanvasAsset,
    CanvasConversation,
    CanvasMessage,
    CanvasThread,
)
from studio_desktop.services.canvas import (
    CanvasProgress,
    CanvasService,
    CreationView,
    DeletedConversation,
    SendResult,
)
from studio_desktop.services.common import NotFoundError
from studio_desktop.services.imports import CreationResult
from studio_desktop.store.queries import AssetView, Version

if TYPE_CHECKING:
    from studio_desktop.services.canvas import MaskLike
    from studio_desktop.services.workspace import WorkspaceServices
    from studio_desktop.store.repository import ChangeSet

log = logging.getLogger(__name__)

ObjectKey = tuple[str, str]
LOOSE = ""
"""Conversation key of messages in no conversation (rows from older web app versions)."""

NO_IMAGE = "Add an image to this creation first."
STILL_RUNNING = "An edit of this image is still running; wait for its answer or cancel it."


# ---------------------------------------------------------------------- small pure helpers
def version_label(index: int) -> str:
    """How the strip and the messages name version ``index`` (0 = the original)."""
    return "Original" if index == 0 else f"Edit {index}"


def current_key(asset: CanvasAsset) -> ObjectKey | None:
    if not asset.current_storage_path:
        return None
    return (asset.current_storage_bucket or "outputs", asset.current_storage_path)


def version_key(version: Version) -> ObjectKey:
    return (version.bucket, version.path)


def mask_key(message: CanvasMessage) -> ObjectKey | None:
    if not message.mask_storage_path:
        return None
    return (message.mask_storage_bucket or "outputs", message.mask_storage_path)


def output_key(message: CanvasMessage) -> ObjectKey | None:
    if not message.output_storage_path:
        return None
    return (message.output_storage_bucket or "outputs", message.output_storage_path)


# ---------------------------------------------------------------------- the creation
@dataclass
class AssetState:
    """One image of the open creation with its versions (as ``store/queries.py`` derives them)."""

    asset: CanvasAsset
    versions: list[Version] = field(default_factory=list)

    @property
    def current_index(self) -> int:
        """Index of the current version (the last one when the pointer matches none)."""
        for index, version in enumerate(self.versions):
            if version.is_current:
                return index
        return len(self.versions) - 1

    @property
    def current(self) -> Version | None:
        index = self.current_index
        return self.versions[index] if index >= 0 else None

    def previous(self) -> Version | None:
        """The version before the current one (what "before" shows), or None for the base."""
        index = self.current_index
        return self.versions[index - 1] if index > 0 else None


class CreationState:
    """The open creation's rows: its images, conversations and messages (plain data)."""

    def __init__(self, view: CreationView) -> None:
        self.thread: CanvasThread = view.thread
        self.assets: list[AssetState] = [AssetState(a.asset, list(a.versions)) for a in view.assets]
        self.conversations: list[CanvasConversation] = [c.conversation for c in view.conversations]
        self.messages: dict[str, list[CanvasMessage]] = {
            c.conversation.id: list(c.messages) for c in view.conversations
        }
        if view.loose_messages:
            self.messages[LOOSE] = list(view.loose_messages)
        self._message_ids = {m.id for ms in self.messages.values() for m in ms}

    @property
    def thread_id(self) -> str:
        return self.thread.id

    def asset(self, asset_id: str | None) -> AssetState | None:
        return next((a for a in self.assets if a.asset.id == asset_id), None)

    def asset_index(self, asset_id: str) -> int:
        return next((i for i, a in enumerate(self.assets) if a.asset.id == asset_id), -1)

    def conversation(self, conversation_id: str | None) -> CanvasConversation | None:
        return next((c for c in self.conversations if c.id == conversation_id), None)

    def messages_of(self, conversation_id: str | None) -> list[CanvasMessage]:
        return self.messages.get(conversation_id or LOOSE, [])

    def has_loose(self) -> bool:
        return bool(self.messages.get(LOOSE))

    def add_message_would(self, message: CanvasMessage) -> bool:
        """Whether :meth:`add_message` would take ``message`` (this creation's, not known)."""
        return message.thread_id == self.thread.id and message.id not in self._message_ids

    def add_message(self, message: CanvasMessage) -> bool:
        """Apply a new message; False when it is not this creation's or already known."""
        if message.thread_id != self.thread.id or message.id in self._message_ids:
            return False
        self._message_ids.add(message.id)
        self.messages.setdefault(message.conversation_id or LOOSE, []).append(message)
        return True

    def put_asset(self, view: AssetView) -> AssetState:
        """An image as just read (new to this creation, or changed)."""
        state = self.asset(view.asset.id)
        if state is None:
            state = AssetState(view.asset, list(view.versions))
            self.assets.append(state)
            self.assets.sort(key=lambda a: (a.asset.created_at, a.asset.id))
        else:
            state.asset = view.asset
            state.versions = list(view.versions)
        return state

    def remove_asset(self, asset_id: str) -> bool:
        before = len(self.assets)
        self.assets = [a for a in self.assets if a.asset.id != asset_id]
        return len(self.assets) != before

    def update_conversation(self, conversation: CanvasConversation) -> bool:
        if conversation.thread_id != self.thread.id:
            return False
        for index, known in enumerate(self.conversations):
            if known.id == conversation.id:
                self.conversations[index] = conversation
                return True
        self.conversations.append(conversation)
        self.messages.setdefault(conversation.id, [])
        return True

    def remove_conversation(self, conversation_id: str) -> bool:
        before = len(self.conversations)
        self.conversations = [c for c in self.conversations if c.id != conversation_id]
        for message in self.messages.pop(conversation_id, []):
            self._message_ids.discard(message.id)
        return len(self.conversations) != before


@dataclass(frozen=True, slots=True)
class AssetSelected:
    """Payload of ``asset_selected``: the image now selected (None: the creation has none)."""

    asset_id: str | None
    #: Another image than before (False: the same one selected again).
    changed: bool


@dataclass(frozen=True, slots=True)
class ImportedMask:
    """A mask read from a file for an image of ``size`` (a 2-D uint8 array, 255 = edit)."""

    array: Any
    size: tuple[int, int]
    #: The file's own size (differs from ``size`` when it was resized).
    original_size: tuple[int, int]

    @property
    def resized(self) -> bool:
        return self.original_size != self.size


def read_mask_file(path: Path, size: tuple[int, int]) -> ImportedMask:
    """Read ``path`` as a mask for an image of ``size`` (blocking). A file of another size with
    the same proportions is resized; other proportions raise ``MaskSizeError`` (readable)."""
    from studio_desktop.imaging.decode import probe_image, read_source
    from studio_desktop.imaging.masks import mask_from_png, to_array

    data, name = read_source(path)
    original = probe_image(data, name=name).size
    return ImportedMask(to_array(mask_from_png(data, size, name=name)), size, original)


# ---------------------------------------------------------------------- the screen
def _loop() -> asyncio.AbstractEventLoop:
    """The running loop, or the one set for this thread (a screen built before it runs)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.get_event_loop_policy().get_event_loop()


class _LoopPoster:
    """Runs callbacks on the loop's thread: the store reports changes from the thread that
    committed them, and the screen's state is only ever touched on the loop's thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.loop = loop if loop is not None else _loop()
        self.thread = threading.get_ident()

    def __call__(self, fn: Callable[..., object], *args: Any) -> None:
        if threading.get_ident() == self.thread:
            fn(*args)
        elif not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self.loop.call_soon_threadsafe(fn, *args)


class CanvasScreen:
    def __init__(
        self, services: WorkspaceServices, view: CreationView, *, asset_id: str | None = None
    ) -> None:
        self.services = services
        self.canvas: CanvasService = services.canvas
        self.state = CreationState(view)
        self.creation_changed: Event[CanvasThread] = Event("creation_changed")
        self.creation_removed: Event[str] = Event("creation_removed")
        self.asset_changed: Event[AssetState] = Event("asset_changed")
        self.asset_removed: Event[str] = Event("asset_removed")
        self.conversations_changed: Event[str | None] = Event("conversations_changed")
        self.messages_added: Event[tuple[CanvasMessage, ...]] = Event("messages_added")
        self.progress_changed: Event[CanvasProgress | None] = Event("progress_changed")
        self.conversation_selected: Event[str | None] = Event("conversation_selected")
        self.asset_selected: Event[AssetSelected] = Event("asset_selected")
        self.version_shown: Event[int] = Event("version_shown")
        self._post = _LoopPoster(asyncio.get_running_loop())
        self._closed = False
        self._dirty_assets: set[str] = set()
        self._reading: asyncio.Task[None] | None = None
        self._delivering: asyncio.Task[None] | None = None
        #: Messages heard but not applied yet (waiting for their version to be read).
        self._waiting: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.asset_id: str | None = None
        self.conversation_id: str | None = self._default_conversation()
        #: The version shown large when it is not the current one (None: the current one).
        self.view_row: int | None = None
        first = asset_id if self.state.asset(asset_id) else None
        if first is None and self.state.assets:
            first = self.state.assets[0].asset.id
        self.asset_id = first
        self.canvas.message_added.connect(self._on_message_added)
        self.canvas.asset_changed.connect(self._on_asset_changed)
        self.canvas.job_progress.connect(self._on_progress)
        self.canvas.running_changed.connect(self._on_running_changed)
        services.store.rows.rows_changed.connect(self._on_rows_changed)

    @classmethod
    async def open(
        cls, services: WorkspaceServices, thread_id: str, *, asset_id: str | None = None
    ) -> CanvasScreen:
        """The creation ``thread_id`` with ``asset_id`` (else its first image) selected.
        Raises :class:`NotFoundError` for a creation that no longer exists."""
        view = await services.canvas.open_creation(thread_id)
        return cls(services, view, asset_id=asset_id)

    def close(self) -> None:
        """Stop listening (the canvas shows another creation, or none)."""
        if self._closed:
            return
        self._closed = True
        for event, callback in (
            (self.canvas.message_added, self._on_message_added),
            (self.canvas.asset_changed, self._on_asset_changed),
            (self.canvas.job_progress, self._on_progress),
            (self.canvas.running_changed, self._on_running_changed),
            (self.services.store.rows.rows_changed, self._on_rows_changed),
        ):
            with contextlib.suppress(ValueError):  # already disconnected
                event.disconnect(callback)
        for task in list(self._tasks):
            task.cancel()

    @property
    def closed(self) -> bool:
        return self._closed

    # ------------------------------------------------------------------ reading
    @property
    def thread_id(self) -> str:
        return self.state.thread_id

    @property
    def thread(self) -> CanvasThread:
        return self.state.thread

    @property
    def asset(self) -> AssetState | None:
        """The selected image (None while the creation has none)."""
        return self.state.asset(self.asset_id)

    def asset_label(self, asset: AssetState) -> str:
        return asset.asset.label or f"Image {self.state.asset_index(asset.asset.id) + 1}"

    @property
    def shown_index(self) -> int:
        """The version on the canvas: the one chosen with :meth:`show_version`, else the
        current one (-1 without an image or version)."""
        asset = self.asset
        if asset is None:
            return -1
        if self.view_row is not None and 0 <= self.view_row < len(asset.versions):
            return self.view_row
        return asset.current_index

    @property
    def shown_key(self) -> ObjectKey | None:
        """The storage key of the version on the canvas."""
        asset = self.asset
        if asset is None:
            return None
        if self.view_row is not None and 0 <= self.view_row < len(asset.versions):
            return version_key(asset.versions[self.view_row])
        return current_key(asset.asset)

    @property
    def other_index(self) -> int | None:
        """The version compared with the shown one: the current one while another is viewed,
        else the one before the current (None: nothing to compare with)."""
        asset = self.asset
        if asset is None:
            return None
        current = asset.current_index
        if self.shown_index != current:
            return current
        return current - 1 if current > 0 else None

    @property
    def viewing_other(self) -> bool:
        """An older (or newer) version is shown instead of the current one."""
        asset = self.asset
        return asset is not None and 0 <= self.shown_index != asset.current_index

    def messages(self) -> list[CanvasMessage]:
        """The messages of the selected conversation."""
        return (
            self.state.messages_of(self.conversation_id) if self.conversation_id is not None else []
        )

    def conversation_items(self) -> list[tuple[str, str]]:
        """(id, title) of the chats as the chat's list shows them (older messages first)."""
        items = [(c.id, c.title or "Untitled chat") for c in self.state.conversations]
        if self.state.has_loose():
            items.insert(0, (LOOSE, "Earlier messages"))
        return items

    def running(self) -> tuple[CanvasProgress, ...]:
        """The edits of this creation running now (read from the canvas service)."""
        return self.canvas.running(self.thread_id)

    @property
    def progress(self) -> CanvasProgress | None:
        """The selected conversation's latest running edit, or None."""
        key = None if self.conversation_id == LOOSE else self.conversation_id
        running = [p for p in self.running() if p.conversation_id == key]
        return running[-1] if running else None

    @property
    def busy_assets(self) -> set[str]:
        return {p.asset_id for p in self.running() if p.asset_id}

    def running_for_asset(self, asset_id: str | None) -> CanvasProgress | None:
        return next((p for p in self.running() if p.asset_id == asset_id), None)

    # ------------------------------------------------------------------ selection
    def select_asset(self, asset_id: str) -> bool:
        """Select an image (its current version is shown); False for one not in the creation."""
        if self.state.asset(asset_id) is None:
            return False
        changed = asset_id != self.asset_id
        if changed:
            self.asset_id = asset_id
            self.view_row = None
        self.asset_selected.emit(AssetSelected(asset_id, changed))
        return True

    def show_version(self, row: int) -> bool:
        """Show version ``row`` of the selected image large (the current version does not
        change: :meth:`revert` does that). False when nothing changed."""
        asset = self.asset
        if asset is None or not 0 <= row < len(asset.versions):
            return False
        wanted = row if row != asset.current_index else None
        if wanted == self.view_row:
            return False
        self.view_row = wanted
        self.version_shown.emit(row)
        return True

    def select_conversation(self, conversation_id: str | None) -> None:
        self.conversation_id = conversation_id
        self.conversation_selected.emit(conversation_id)
        self.progress_changed.emit(self.progress)

    def _conversations_now(self, selected: str | None) -> None:
        """The list of chats changed; ``selected`` is the one shown."""
        self.conversation_id = selected
        self.conversations_changed.emit(selected)
        self.progress_changed.emit(self.progress)

    def _default_conversation(self) -> str | None:
        if self.state.conversations:
            return self.state.conversations[-1].id
        return LOOSE if self.state.has_loose() else None

    def send_refusal(self) -> str | None:
        """Why an instruction cannot be sent now (no image, or its edit still runs), or None."""
        if self.asset_id is None:
            return NO_IMAGE
        if self.running_for_asset(self.asset_id) is not None:
            return STILL_RUNNING
        return None

    # ------------------------------------------------------------------ commands
    async def send(
        self, text: str, mask: MaskLike | None = None, *, engine: str | None = None
    ) -> SendResult:
        """Send ``text`` (and ``mask``) about the selected image in the selected chat (the
        latest chat, or a new one, when none is selected). Refused with a
        :class:`ValidationError` without an image or while its edit runs."""
        refusal = self.send_refusal()
        if refusal is not None or self.asset_id is None:
            raise ValidationError(refusal or NO_IMAGE, "asset")
        asset_id = self.asset_id
        conversation = None if self.conversation_id in (None, LOOSE) else self.conversation_id
        return await self.canvas.send_instruction(
            self.thread_id,
            conversation,
            asset_id,
            text,
            mask,
            engine=engine or self.services.preferred_engine,
        )

    async def cancel(self, job_id: str) -> bool:
        return await self.canvas.cancel(job_id)

    async def revert(self, row: int) -> AssetState | None:
        """Make version ``row`` (0 = the original) of the selected image the current one; the
        large view goes back to the current version."""
        asset_id = self.asset_id
        if asset_id is None or row < 0:
            return None
        await self.canvas.revert(asset_id, row)
        if self.asset_id == asset_id:
            self.view_row = None
        await self._read_assets_now({asset_id})
        return self.state.asset(asset_id)

    async def read_mask(self, path: Path, size: tuple[int, int]) -> ImportedMask:
        """Read a mask file for the selected image (of ``size``) off the loop's thread."""
        return await self.canvas.io(read_mask_file, path, size)

    async def add_files(self, paths: Sequence[Path]) -> CreationResult:
        """Add image files to the creation; the first one added is selected."""
        result = await self.services.imports.add_assets(self.thread_id, list(paths))
        await self._added(result)
        return result

    async def add_image_bytes(self, data: bytes, name: str | None = None) -> CreationResult:
        """Add an image given as bytes (a paste) to the creation, and select it."""
        result = await self.services.imports.add_image_bytes(self.thread_id, data, name)
        await self._added(result)
        return result

    async def _added(self, result: CreationResult) -> None:
        if result.thread.id != self.thread_id or not result.assets:
            return
        await self._read_assets_now({a.id for a in result.assets})
        if not self._closed:
            self.select_asset(result.assets[0].id)

    async def rename_asset(self, asset_id: str, label: str) -> AssetState | None:
        await self.canvas.rename_asset(asset_id, label)
        await self._read_assets_now({asset_id})
        return self.state.asset(asset_id)

    async def delete_asset(self, asset_id: str) -> bool:
        return await self.canvas.delete_asset(asset_id)

    async def rename_creation(self, title: str) -> CanvasThread:
        thread = await self.canvas.rename_creation(self.thread_id, title)
        self._thread_arrived(thread)
        return thread

    async def delete_creation(self) -> bool:
        return await self.canvas.delete_creation(self.thread_id)

    async def new_conversation(self) -> CanvasConversation:
        """A new chat, selected."""
        conversation = await self.canvas.new_conversation(self.thread_id)
        if not self._closed and self.state.update_conversation(conversation):
            self._conversations_now(conversation.id)
        return conversation

    async def rename_conversation(self, conversation_id: str, title: str) -> CanvasConversation:
        conversation = await self.canvas.rename_conversation(conversation_id, title)
        if not self._closed and self.state.update_conversation(conversation):
            self.conversations_changed.emit(self.conversation_id)
        return conversation

    async def delete_conversation(self, conversation_id: str) -> DeletedConversation:
        """Delete a chat; the result brings it back with :meth:`restore_conversation`."""
        deleted = await self.canvas.delete_conversation_keeping(conversation_id)
        self._conversation_removed(conversation_id)
        return deleted

    async def restore_conversation(self, deleted: DeletedConversation) -> CanvasConversation:
        """Bring a deleted chat back (new ids), selected."""
        conversation, messages = await self.canvas.restore_conversation(deleted)
        if not self._closed and conversation.thread_id == self.thread_id:
            self.state.update_conversation(conversation)
            for message in messages:
                self.state.add_message(message)
            self._conversations_now(conversation.id)
        return conversation

    # ------------------------------------------------------------------ service events
    def _on_message_added(self, message: CanvasMessage) -> None:
        self._post(self._apply_messages, [message])

    def _on_asset_changed(self, asset: CanvasAsset) -> None:
        if asset.thread_id == self.thread_id:
            self._post(self._mark_assets, {asset.id})

    def _on_progress(self, progress: CanvasProgress) -> None:
        if progress.thread_id == self.thread_id:
            self._post(self._progress_changed)

    def _on_running_changed(self, thread_id: str) -> None:
        if thread_id == self.thread_id:
            self._post(self._progress_changed)

    def _progress_changed(self) -> None:
        if not self._closed:
            self.progress_changed.emit(self.progress)

    def _on_rows_changed(self, change: ChangeSet) -> None:
        self._post(self._apply_change, change)

    # ------------------------------------------------------------------ applying
    def _apply_change(self, change: ChangeSet) -> None:
        """Turn the store's change set into what happened to this creation."""
        if self._closed:
            return
        table, ids = change.table, change.ids
        if change.kind == "delete":
            for row_id in ids:
                if table == "canvas_threads" and row_id == self.thread_id:
                    self.close()
                    self.creation_removed.emit(row_id)
                    return
                if table == "canvas_assets":
                    self._asset_removed(row_id)
                elif table == "canvas_conversations":
                    self._conversation_removed(row_id)
            return
        if table == "canvas_threads" and self.thread_id in ids:
            self._spawn(self._read_rows(CanvasThread, (self.thread_id,), self._threads_arrived))
        elif table == "canvas_assets":
            self._mark_assets(set(ids))
        elif table == "canvas_conversations":
            self._spawn(self._read_rows(CanvasConversation, ids, self._conversations_arrived))
        elif table == "canvas_messages" and change.origin == "remote":
            # Messages written here arrive through the service's own event.
            self._spawn(self._read_rows(CanvasMessage, ids, self._apply_messages))

    def _apply_messages(self, messages: list[CanvasMessage]) -> None:
        """New messages (sent, answered, or pulled). A reply that made a version is applied
        together with that version (read first); messages after it wait their turn, so the
        chat keeps their order and a chat switched meanwhile gets only its own."""
        if self._closed:
            return
        fresh = [
            m
            for m in sorted(messages, key=lambda m: (m.created_at, m.id))
            if m.thread_id == self.thread_id
            and m.id not in self._waiting
            and self.state.add_message_would(m)
        ]
        if not fresh:
            return
        outputs = {
            m.asset_id
            for m in fresh
            if m.role == MessageRole.ASSISTANT and m.output_storage_path and m.asset_id
        }
        if outputs or (self._delivering is not None and not self._delivering.done()):
            self._waiting.update(m.id for m in fresh)
            self._delivering = self._spawn(self._apply_later(self._delivering, fresh, outputs))
        else:
            self._apply_now(fresh)

    async def _apply_later(
        self,
        previous: asyncio.Task[None] | None,
        messages: list[CanvasMessage],
        outputs: set[str],
    ) -> None:
        try:
            if previous is not None:
                await asyncio.wait([previous])
            if outputs:
                try:
                    await self._read_assets_now(outputs)
                except Exception:
                    log.exception("canvas screen: the new versions could not be read")
        finally:
            self._waiting.difference_update(m.id for m in messages)
        self._apply_now(messages)

    def _apply_now(self, messages: list[CanvasMessage]) -> None:
        if self._closed:
            return
        shown: list[CanvasMessage] = []
        missing: set[str] = set()
        selected_before = self.conversation_id
        for message in messages:
            if not self.state.add_message(message):
                continue
            key = message.conversation_id or LOOSE
            if key != LOOSE and self.state.conversation(key) is None:
                missing.add(key)  # made by the service (the first send of a creation)
            if self.conversation_id is None and message.role == MessageRole.USER:
                self.conversation_id = key
            if key == (self.conversation_id or LOOSE):
                shown.append(message)
        if missing:
            self._spawn(
                self._read_rows(CanvasConversation, tuple(missing), self._conversations_arrived)
            )
        if self.conversation_id != selected_before:
            self.conversations_changed.emit(self.conversation_id)
        if shown:
            self.messages_added.emit(tuple(shown))
        self.progress_changed.emit(self.progress)

    def _threads_arrived(self, threads: list[CanvasThread]) -> None:
        for thread in threads:
            self._thread_arrived(thread)

    def _thread_arrived(self, thread: CanvasThread) -> None:
        if not self._closed and thread.id == self.thread_id:
            self.state.thread = thread
            self.creation_changed.emit(thread)

    def _conversations_arrived(self, conversations: list[CanvasConversation]) -> None:
        if self._closed:
            return
        changed = [c for c in conversations if self.state.update_conversation(c)]
        if changed:
            if self.conversation_id is None:
                self.conversation_id = changed[-1].id
            self.conversations_changed.emit(self.conversation_id)
            self.progress_changed.emit(self.progress)

    def _conversation_removed(self, conversation_id: str) -> None:
        if self._closed or not self.state.remove_conversation(conversation_id):
            return
        if self.conversation_id == conversation_id:
            conversations = self.state.conversations
            self.conversation_id = conversations[-1].id if conversations else None
        self.conversations_changed.emit(self.conversation_id)
        self.progress_changed.emit(self.progress)

    def _asset_removed(self, asset_id: str) -> None:
        if not self.state.remove_asset(asset_id):
            return
        self.asset_removed.emit(asset_id)
        if asset_id == self.asset_id:
            self.asset_id = None
            self.view_row = None
            if self.state.assets:
                self.select_asset(self.state.assets[0].asset.id)
            else:
                self.asset_selected.emit(AssetSelected(None, True))

    # ------------------------------------------------------------------ reading rows
    def _mark_assets(self, asset_ids: set[str]) -> None:
        """Re-read these images' rows and versions soon (several changes, one read)."""
        if self._closed:
            return
        self._dirty_assets |= asset_ids
        if self._reading is None or self._reading.done():
            self._reading = self._spawn(self._read_dirty())

    async def _read_dirty(self) -> None:
        while self._dirty_assets and not self._closed:
            wanted, self._dirty_assets = self._dirty_assets, set()
            await self._read_assets(wanted)

    async def _read_assets_now(self, asset_ids: set[str]) -> None:
        """Read these images now (a command's own result), after any read under way."""
        self._dirty_assets -= asset_ids
        if self._reading is not None and not self._reading.done():
            await asyncio.shield(self._reading)
        await self._read_assets(asset_ids)

    async def _read_assets(self, asset_ids: set[str]) -> None:
        views = await self.canvas.asset_views(tuple(sorted(asset_ids)))
        if self._closed:
            return
        for asset_id in sorted(asset_ids):
            view = views.get(asset_id)
            if view is None:
                continue  # deleted meanwhile: its delete change set says so
            if view.asset.thread_id != self.thread_id:
                continue
            known = self.state.asset(asset_id)
            grew = known is not None and len(view.versions) > len(known.versions)
            state = self.state.put_asset(view)
            if asset_id == self.asset_id and grew and self.view_row is not None:
                self.view_row = None  # a new version came: show it (an older one was viewed)
            self.asset_changed.emit(state)
            if self.asset_id is None:
                self.select_asset(asset_id)

    async def _read_rows(
        self, model: type[Any], ids: tuple[str, ...], then: Callable[[list[Any]], None]
    ) -> None:
        rows = await self.canvas.io(_get_rows, self.services.store, model, ids)
        if not self._closed:
            then(rows)

    def _spawn(self, work: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            if isinstance(error, NotFoundError):
                log.info("canvas screen: %s", error.message)
            else:
                log.error("canvas screen: reading changes failed", exc_info=error)

    async def settled(self) -> None:
        """Wait until every change heard so far is applied (for tests and for closing)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _get_rows(store: Any, model: type[Any], ids: tuple[str, ...]) -> list[Any]:
    rows = (store.rows.get(model, row_id) for row_id in ids)
    return [row for row in rows if row is not None]


class CreationList:
    """The creations of the workspace, most recently changed first (the creations panel)."""

    def __init__(self, services: WorkspaceServices) -> None:
        self.services = services
        self.creation_changed: Event[CanvasThread] = Event("creation_changed")
        self.creation_removed: Event[str] = Event("creation_removed")
        self._post = _LoopPoster()
        self._tasks: set[asyncio.Task[Any]] = set()
        services.store.rows.rows_changed.connect(self._on_rows_changed)

    def read(self) -> list[CanvasThread]:
        """The creations, most recently changed first (blocking: call it off the GUI thread)."""
        return self.services.store.queries.creations()

    async def load(self) -> list[CanvasThread]:
        return await self.services.canvas.io(self.read)

    async def start_creation(self, paths: Sequence[Path]) -> CreationResult:
        """A new creation from image files."""
        return await self.services.imports.start_creation(list(paths))

    async def start_creation_from_bytes(self, data: bytes) -> CreationResult:
        """A new creation from an image given as bytes (a paste)."""
        return await self.services.imports.start_creation_from_bytes(data)

    def close(self) -> None:
        with contextlib.suppress(ValueError):
            self.services.store.rows.rows_changed.disconnect(self._on_rows_changed)
        for task in list(self._tasks):
            task.cancel()

    def _on_rows_changed(self, change: ChangeSet) -> None:
        if change.table == "canvas_threads":
            self._post(self._apply, change)

    def _apply(self, change: ChangeSet) -> None:
        if change.kind == "delete":
            for thread_id in change.ids:
                self.creation_removed.emit(thread_id)
            return
        task = self._post.loop.create_task(self._read(change.ids))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _read(self, ids: tuple[str, ...]) -> None:
        store = self.services.store
        for thread in await self.services.canvas.io(_get_rows, store, CanvasThread, ids):
            self.creation_changed.emit(thread)
