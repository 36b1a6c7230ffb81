"""The closed vocabularies of the schema, with room for values a newer server may send.

Columns such as ``jobs.type`` are plain ``text`` in Postgres, so a newer web app can write a value
this desktop build has never heard of. Rows are therefore stored with the raw string, and these
enums are used to *interpret* it: :func:`parse_enum` returns ``None`` for an unknown value instead
of raising, so the sync never crashes on it and the UI can show the raw text.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


class JobType(StrEnum):
    PRODUCT_PACK = "product_pack"
    TRYON_IMAGE = "tryon_image"
    CANVAS_EDIT = "canvas_edit"
    EXTRACT_GARMENT = "extract_garment"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def is_final(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED)


class OutputKind(StrEnum):
    IMAGE = "image"
    CUTOUT = "cutout"
    MASK = "mask"
    VIDEO = "video"
    ZIP = "zip"


class Angle(StrEnum):
    FRONT = "front"
    BACK = "back"
    SIDE = "side"
    DETAIL = "detail"


class SourceKind(StrEnum):
    """``garment_cutouts.source_kind``: which side of the garment the photo shows."""

    FRONT = "front"
    BACK = "back"


class MessageRole(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"


class Bucket(StrEnum):
    """The five private Storage buckets of the project (seed: "Storage buckets")."""

    OUTPUTS = "outputs"
    PROFILES = "profiles"
    EXTRACTIONS = "extractions"
    VIDEOS = "videos"
    ZIPS = "zips"


def parse_enum(enum_type: type[E], value: str | None) -> E | None:
    """Interpret a raw column value; ``None`` for a missing or unknown value, never an error."""
    if value is None:
        return None
    try:
        return enum_type(value)
    except ValueError:
        return None
