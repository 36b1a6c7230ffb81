"""The open creation as the canvas shows it, kept up to date from events (never re-read whole).

Built once from the service's :class:`~studio_desktop.services.canvas.CreationView`; then each
event is applied: a message added (a user message, an assistant reply, which may add a version),
an asset's current pointer moved (a new version, a revert), assets and conversations added,
renamed or deleted (the store's change events). Plain Python: no Qt.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from studio_desktop.domain.enums import MessageRole
from studio_desktop.domain.models import (
    CanvasAsset,
    CanvasConversation,
    CanvasMessage,
    CanvasThread,
)
from studio_desktop.services.canvas import CanvasProgress, CreationView
from studio_desktop.store.queries import Version

ObjectKey = tuple[str, str]
LOOSE = ""
"""Conversation key of messages in no conversation (rows from older web app versions)."""


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


@dataclass
class AssetState:
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

    def _mark_current(self) -> None:
        key = current_key(self.asset)
        self.versions = [
            dataclasses.replace(v, is_current=(v.bucket, v.path) == key) for v in self.versions
        ]


class CreationState:
    def __init__(self, view: CreationView) -> None:
        self.thread: CanvasThread = view.thread
        self.assets: list[AssetState] = [AssetState(a.asset, list(a.versions)) for a in view.assets]
        self.conversations: list[CanvasConversation] = [c.conversation for c in view.conversations]
        self.messages: dict[str, list[CanvasMessage]] = {
            c.conversation.id: list(c.messages) for c in view.conversations
        }
        if view.loose_messages:
            self.messages[LOOSE] = list(view.loose_messages)
        self.running: dict[str, CanvasProgress] = {p.job_id: p for p in view.running}
        self._message_ids = {m.id for ms in self.messages.values() for m in ms}
        # Jobs seen ending (or answered): the send's callback can come after that (see job_sent).
        self._ended: set[str] = set()

    # ------------------------------------------------------------------ reading
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

    def running_for(self, conversation_id: str | None) -> list[CanvasProgress]:
        return [p for p in self.running.values() if p.conversation_id == conversation_id]

    def running_for_asset(self, asset_id: str | None) -> CanvasProgress | None:
        return next((p for p in self.running.values() if p.asset_id == asset_id), None)

    # ------------------------------------------------------------------ events
    def add_message(self, message: CanvasMessage) -> bool:
        """Apply a new message; False when it is not this creation's or already known."""
        if message.thread_id != self.thread.id or message.id in self._message_ids:
            return False
        self._message_ids.add(message.id)
        self.messages.setdefault(message.conversation_id or LOOSE, []).append(message)
        key = output_key(message)
        asset = self.asset(message.asset_id)
        if (
            message.role == MessageRole.ASSISTANT
            and key is not None
            and asset is not None
            and all(version_key(v) != key for v in asset.versions)
        ):
            asset.versions.append(
                Version(key[0], key[1], message.created_at, message.id, False, False)
            )
            asset._mark_current()
        if message.role == MessageRole.ASSISTANT and message.output_job_id:
            self._ended.add(message.output_job_id)
            self.running.pop(message.output_job_id, None)
        return True

    def update_asset(self, asset: CanvasAsset) -> AssetState | None:
        """A changed asset row (current pointer, label); added when new to this creation."""
        if asset.thread_id != self.thread.id:
            return None
        state = self.asset(asset.id)
        if state is None:
            base = None
            if asset.base_storage_path:
                base = Version(
                    asset.base_storage_bucket or "outputs",
                    asset.base_storage_path,
                    asset.created_at,
                    None,
                    True,
                    False,
                )
            state = AssetState(asset, [base] if base else [])
            self.assets.append(state)
        else:
            state.asset = asset
        if current_key(asset) is not None and all(
            version_key(v) != current_key(asset) for v in state.versions
        ):
            # A pointer to an object we have no message for yet (synced ahead of its reply).
            key = current_key(asset)
            assert key is not None
            state.versions.append(Version(key[0], key[1], asset.updated_at, None, False, False))
        state._mark_current()
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

    def set_progress(self, progress: CanvasProgress) -> bool:
        """A live progress event (also a retried job running again)."""
        if progress.thread_id != self.thread.id:
            return False
        self._ended.discard(progress.job_id)
        self.running[progress.job_id] = progress
        return True

    def job_sent(self, progress: CanvasProgress) -> bool:
        """The send's own "waiting" entry. Its callback can come after the job's progress, its end
        or its reply: it neither rolls progress back nor marks an ended job running again."""
        if progress.thread_id != self.thread.id or progress.job_id in self._ended:
            return False
        self.running.setdefault(progress.job_id, progress)
        return True

    def job_ended(self, job_id: str) -> bool:
        self._ended.add(job_id)
        return self.running.pop(job_id, None) is not None
