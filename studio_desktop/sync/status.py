"""Turning the engine's state into the :class:`~studio_desktop.domain.status.SyncStatus` the UI
shows: readable descriptions of parked changes, and a small builder the engine updates."""

from __future__ import annotations

import dataclasses
from typing import Any

from studio_desktop.domain.events import Event
from studio_desktop.domain.status import ParkedChange, SyncState, SyncStatus
from studio_desktop.store.outbox import OutboxEntry

_LABELS = {
    "profiles": "Profile",
    "jobs": "Job",
    "job_outputs": "Output",
    "canvas_threads": "Creation",
    "canvas_assets": "Image in a creation",
    "canvas_conversations": "Conversation",
    "canvas_messages": "Message",
    "garment_cutouts": "Garment cutout",
}


def _quoted(value: Any, limit: int = 40) -> str:
    text = " ".join(str(value).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"“{text}”"


def describe(entry: OutboxEntry) -> str:
    """What a queued change is, for a person: "Profile “Ana”", "Deleting job 4f2c1a9e"."""
    payload = entry.payload
    if entry.kind == "upload":
        name = str(payload.get("path", "")).rsplit("/", 1)[-1] or "a file"
        return f"Upload of {name}"
    if entry.kind == "remove_objects":
        count = len(payload.get("paths", []) or [])
        return f"Removal of {count} file(s) from {payload.get('bucket', 'storage')}"
    table = entry.table or ""
    label = _LABELS.get(table, table or "Row")
    short = (entry.row_id or "")[:8]
    detail = ""
    if table == "profiles" and payload.get("name"):
        detail = f" {_quoted(payload['name'])}"
    elif table == "jobs" and payload.get("type"):
        detail = f" {short} ({payload['type']})"
    elif table == "job_outputs" and payload.get("job_id"):
        detail = f" of job {str(payload['job_id'])[:8]}"
    elif table == "canvas_threads" and payload.get("title"):
        detail = f" {_quoted(payload['title'])}"
    elif table == "canvas_messages" and payload.get("text"):
        detail = f" {_quoted(payload['text'])}"
    else:
        detail = f" {short}" if short else ""
    if entry.kind == "delete":
        return f"Deleting {label.lower()}{detail}"
    return f"{label}{detail}"


def parked_changes(entries: list[OutboxEntry]) -> tuple[ParkedChange, ...]:
    return tuple(
        ParkedChange(describe(e), e.parked_reason or e.last_error or "refused by the server")
        for e in entries
    )


class StatusPublisher:
    """Holds the current :class:`SyncStatus` and emits every change through :attr:`changed`."""

    def __init__(self, initial: SyncStatus | None = None) -> None:
        self.current = initial or SyncStatus(state=SyncState.OFFLINE)
        self.changed: Event[SyncStatus] = Event("sync.status")

    def update(self, **changes: Any) -> SyncStatus:
        new = dataclasses.replace(self.current, **changes)
        if new != self.current:
            self.current = new
            self.changed.emit(new)
        return new
