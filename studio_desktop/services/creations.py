"""Building a new creation's rows: the thread, one asset per image, a first conversation.

Shared by "open in Magic Canvas" (history) and "start a creation from dropped images" (imports);
the caller saves the rows in one transaction (``store.rows.save_many``, parents first).
Assets get increasing ``created_at`` (a microsecond apart) so they keep the order given:
the store lists a creation's assets by ``(created_at, id)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from studio_desktop.domain.models import (
    CanvasAsset,
    CanvasConversation,
    CanvasThread,
    new_id,
    utc_now,
)

MAX_TITLE_CHARS = 200
MAX_LABEL_CHARS = 200
FIRST_CONVERSATION_TITLE = "Chat 1"


@dataclass(frozen=True, slots=True)
class NewAsset:
    """An image to become an asset: its object is both the base and the current version."""

    bucket: str
    path: str
    label: str | None = None
    source_job_id: str | None = None
    source_output_id: str | None = None


@dataclass(frozen=True, slots=True)
class CreationRows:
    thread: CanvasThread
    assets: tuple[CanvasAsset, ...]
    conversation: CanvasConversation | None

    def all(self) -> list[CanvasThread | CanvasAsset | CanvasConversation]:
        rows: list[CanvasThread | CanvasAsset | CanvasConversation] = [self.thread, *self.assets]
        if self.conversation is not None:
            rows.append(self.conversation)
        return rows


def short(text: str | None, limit: int) -> str | None:
    if not text:
        return None
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def asset_rows(
    user_id: str, thread_id: str, images: Sequence[NewAsset], *, after: CanvasAsset | None = None
) -> list[CanvasAsset]:
    """Asset rows for ``images``, in order (placed after ``after`` when adding to a creation)."""
    start = utc_now()
    if after is not None and after.created_at >= start:
        start = after.created_at + timedelta(microseconds=1)
    return [
        CanvasAsset(
            id=new_id(),
            thread_id=thread_id,
            user_id=user_id,
            label=short(image.label, MAX_LABEL_CHARS),
            source_job_id=image.source_job_id,
            source_output_id=image.source_output_id,
            base_storage_bucket=image.bucket,
            base_storage_path=image.path,
            current_storage_bucket=image.bucket,
            current_storage_path=image.path,
            created_at=start + timedelta(microseconds=index),
            updated_at=start,
        )
        for index, image in enumerate(images)
    ]


def creation_rows(
    user_id: str,
    title: str | None,
    images: Sequence[NewAsset],
    *,
    thread_id: str | None = None,
    source_job_id: str | None = None,
) -> CreationRows:
    """A thread (its base = the first image, for its thumbnail), its assets, and "Chat 1"."""
    thread_id = thread_id or new_id()
    assets = asset_rows(user_id, thread_id, images)
    first = images[0] if images else None
    thread = CanvasThread(
        id=thread_id,
        user_id=user_id,
        title=short(title, MAX_TITLE_CHARS),
        base_storage_bucket=first.bucket if first else None,
        base_storage_path=first.path if first else None,
        source_job_id=source_job_id,
    )
    conversation = CanvasConversation(
        id=new_id(), thread_id=thread_id, user_id=user_id, title=FIRST_CONVERSATION_TITLE
    )
    return CreationRows(thread, tuple(assets), conversation)
