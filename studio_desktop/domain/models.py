"""One frozen dataclass per table of the seed's ERD, field for field.

These are the shapes that every layer passes around: the store reads and writes them, the sync
layer turns them into and out of PostgREST JSON, the UI shows them. Field names and order follow
the ERD exactly, so ``dataclasses.fields(Model)`` *is* the column list of the table.

Conventions:
- ids are ``str`` UUIDs (client-generated with :func:`new_id` for rows the desktop creates);
- timestamps are timezone-aware UTC ``datetime``; use :func:`utc_now` and :func:`parse_ts`;
- enumerated columns keep the raw ``str`` (see :mod:`studio_desktop.domain.enums` for why);
- ``input_json`` is a plain ``dict`` (Postgres ``jsonb``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Self


def new_id() -> str:
    """A fresh client-side UUID: rows are created here first, so replays are idempotent."""
    import uuid  # (here: the History's early page imports this module, and needs no ids)

    return str(uuid.uuid4())


def utc_now() -> datetime:
    return datetime.now(UTC)


def parse_ts(value: str | datetime | None) -> datetime | None:
    """Parse a Postgres/PostgREST timestamp (``2024-05-01T10:00:00.123456+00:00`` and variants)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    text = value.strip().replace(" ", "T", 1)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # Postgres may send "+00" without minutes; fromisoformat wants "+00:00".
    if len(text) >= 3 and text[-3] in "+-" and text[-2:].isdigit() and "T" in text:
        text += ":00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_ts(value: datetime | None) -> str | None:
    """The one textual form of a timestamp used in the local store and on the wire."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="microseconds")


class Row:
    """Mixin: conversion between a model and a plain column->value mapping (JSON-ready)."""

    table: ClassVar[str]
    #: Columns that the server maintains (``updated_at`` by trigger) or that are optional on insert.
    has_updated_at: ClassVar[bool] = False

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]

    def to_row(self) -> dict[str, Any]:
        """Column -> JSON-ready value (timestamps as ISO strings)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            out[f.name] = format_ts(value) if isinstance(value, datetime) else value
        return out

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        """Build from a row mapping. Unknown keys are ignored (a newer server may add columns);
        missing optional keys take their defaults; timestamp strings are parsed."""
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name not in row:
                continue
            value = row[f.name]
            if f.name.endswith("_at"):
                value = parse_ts(value)
            kwargs[f.name] = value
        return cls(**kwargs)


@dataclass(frozen=True, slots=True)
class Profile(Row):
    table: ClassVar[str] = "profiles"
    has_updated_at: ClassVar[bool] = True

    id: str
    user_id: str
    name: str
    gender: str | None = None
    skin_tone: str | None = None
    region: str | None = None
    background: str | None = None
    reference_image_path: str | None = None
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)


@dataclass(frozen=True, slots=True)
class Job(Row):
    table: ClassVar[str] = "jobs"
    has_updated_at: ClassVar[bool] = True

    id: str
    user_id: str
    type: str
    status: str = "queued"
    input_json: dict[str, Any] = field(default_factory=dict)
    provider_operation_id: str | None = None
    error: str | None = None
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)


@dataclass(frozen=True, slots=True)
class JobOutput(Row):
    table: ClassVar[str] = "job_outputs"

    id: str
    job_id: str
    kind: str = "image"
    angle: str | None = None
    mime_type: str | None = None
    storage_path: str | None = None
    width: int | None = None
    height: int | None = None
    created_at: datetime = field(default_factory=utc_now)


@dataclass(frozen=True, slots=True)
class CanvasThread(Row):
    table: ClassVar[str] = "canvas_threads"
    has_updated_at: ClassVar[bool] = True

    id: str
    user_id: str
    title: str | None = None
    base_storage_bucket: str | None = None
    base_storage_path: str | None = None
    source_job_id: str | None = None
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)


@dataclass(frozen=True, slots=True)
class CanvasAsset(Row):
    table: ClassVar[str] = "canvas_assets"
    has_updated_at: ClassVar[bool] = True

    id: str
    thread_id: str
    user_id: str
    label: str | None = None
    source_job_id: str | None = None
    source_output_id: str | None = None
    base_storage_bucket: str | None = None
    base_storage_path: str | None = None
    current_storage_bucket: str | None = None
    current_storage_path: str | None = None
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)


@dataclass(frozen=True, slots=True)
class CanvasConversation(Row):
    table: ClassVar[str] = "canvas_conversations"
    has_updated_at: ClassVar[bool] = True

    id: str
    thread_id: str
    user_id: str
    title: str | None = None
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)


@dataclass(frozen=True, slots=True)
class CanvasMessage(Row):
    table: ClassVar[str] = "canvas_messages"

    id: str
    thread_id: str
    user_id: str
    conversation_id: str | None = None
    asset_id: str | None = None
    role: str = "user"
    text: str | None = None
    mask_storage_bucket: str | None = None
    mask_storage_path: str | None = None
    output_job_id: str | None = None
    output_storage_bucket: str | None = None
    output_storage_path: str | None = None
    created_at: datetime = field(default_factory=utc_now)


@dataclass(frozen=True, slots=True)
class GarmentCutout(Row):
    table: ClassVar[str] = "garment_cutouts"

    id: str
    user_id: str
    source_hash: str
    source_kind: str
    storage_bucket: str = "extractions"
    storage_path: str = ""
    mime_type: str = "image/png"
    created_at: datetime = field(default_factory=utc_now)


#: Every table, parents before children: the order in which rows can be inserted.
MODELS: tuple[type[Row], ...] = (
    Profile,
    Job,
    JobOutput,
    CanvasThread,
    CanvasAsset,
    CanvasConversation,
    CanvasMessage,
    GarmentCutout,
)
MODEL_BY_TABLE: dict[str, type[Row]] = {m.table: m for m in MODELS}
TABLES: tuple[str, ...] = tuple(m.table for m in MODELS)
