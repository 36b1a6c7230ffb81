"""What the store knows about the 8 mirrored tables beyond their columns.

One source of truth for: the foreign keys and their ``ON DELETE`` actions (used both to write the
DDL and to plan a local cascade, so the UI is told about every row a delete touched), the SQL
type of each column, and which columns point at storage objects a row owns.

``ON DELETE`` choices (they mirror what the server does, so a local delete and the server's
cascade agree): a job's outputs die with it; a creation's assets, conversations and messages die
with it, and a conversation's messages with it; links that only *record where something came
from* (``source_job_id``, ``source_output_id``, ``output_job_id``, a message's ``asset_id``) are
set to NULL, so deleting a job never destroys the creations made from it.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import get_type_hints

from studio_desktop.domain.enums import Bucket
from studio_desktop.domain.models import MODEL_BY_TABLE, TABLES, Row
from studio_desktop.domain.paths import job_output_bucket

CASCADE = "CASCADE"
SET_NULL = "SET NULL"


@dataclass(frozen=True, slots=True)
class ForeignKey:
    table: str
    column: str
    parent: str
    on_delete: str


FOREIGN_KEYS: tuple[ForeignKey, ...] = (
    ForeignKey("job_outputs", "job_id", "jobs", CASCADE),
    ForeignKey("canvas_threads", "source_job_id", "jobs", SET_NULL),
    ForeignKey("canvas_assets", "thread_id", "canvas_threads", CASCADE),
    ForeignKey("canvas_assets", "source_job_id", "jobs", SET_NULL),
    ForeignKey("canvas_assets", "source_output_id", "job_outputs", SET_NULL),
    ForeignKey("canvas_conversations", "thread_id", "canvas_threads", CASCADE),
    ForeignKey("canvas_messages", "thread_id", "canvas_threads", CASCADE),
    ForeignKey("canvas_messages", "conversation_id", "canvas_conversations", CASCADE),
    ForeignKey("canvas_messages", "asset_id", "canvas_assets", SET_NULL),
    ForeignKey("canvas_messages", "output_job_id", "jobs", SET_NULL),
)

#: Tables whose rows carry ``user_id`` (all but ``job_outputs``, which belongs to its job).
USER_TABLES: tuple[str, ...] = tuple(t for t in TABLES if "user_id" in MODEL_BY_TABLE[t].columns())

#: Columns holding JSON (Postgres ``jsonb``), stored as JSON text.
JSON_COLUMNS: dict[str, frozenset[str]] = {"jobs": frozenset({"input_json"})}


def children_of(table: str) -> tuple[ForeignKey, ...]:
    return tuple(fk for fk in FOREIGN_KEYS if fk.parent == table)


@functools.cache
def column_kind(model: type[Row], column: str) -> str:
    """``text`` | ``integer`` | ``json`` | ``timestamp``: how a column is stored and checked."""
    if column in JSON_COLUMNS.get(model.table, ()):
        return "json"
    if column.endswith("_at"):
        return "timestamp"
    hints = get_type_hints(model)
    return "integer" if "int" in str(hints[column]) else "text"


def sql_type(model: type[Row], column: str) -> str:
    return "INTEGER" if column_kind(model, column) == "integer" else "TEXT"


@functools.cache
def required_columns(model: type[Row]) -> tuple[str, ...]:
    """Columns without a default: a row missing one cannot be stored."""
    return tuple(
        f.name
        for f in dataclasses.fields(model)  # type: ignore[arg-type]
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    )


def owned_objects(table: str, row: dict[str, object]) -> list[tuple[str, str]]:
    """The storage objects (bucket, path) that a row owns: they go when the row goes.

    A job output owns its file; a profile its reference image; a cutout its PNG; a canvas
    asset or message owns the versions and masks made inside its creation (``/canvas/`` paths).
    A canvas asset's *base* usually is a job output's file, owned by that output, not the asset.
    """

    def text(column: str) -> str | None:
        value = row.get(column)
        return value if isinstance(value, str) and value else None

    found: list[tuple[str, str]] = []
    if table == "job_outputs" and text("storage_path"):
        found.append(
            (job_output_bucket(text("kind"), text("storage_path")), text("storage_path") or "")
        )
    elif table == "profiles" and text("reference_image_path"):
        found.append((Bucket.PROFILES.value, text("reference_image_path") or ""))
    elif table == "garment_cutouts" and text("storage_path"):
        found.append(
            (text("storage_bucket") or Bucket.EXTRACTIONS.value, text("storage_path") or "")
        )
    elif table == "canvas_assets":
        for prefix in ("current", "base"):
            path = text(f"{prefix}_storage_path")
            if path and "/canvas/" in path:
                found.append((text(f"{prefix}_storage_bucket") or Bucket.OUTPUTS.value, path))
    elif table == "canvas_messages":
        for prefix in ("mask", "output"):
            path = text(f"{prefix}_storage_path")
            if path and "/canvas/" in path:
                found.append((text(f"{prefix}_storage_bucket") or Bucket.OUTPUTS.value, path))
    return found


#: (table, bucket column or None, path column): every place a row can point at a storage object.
#: An object still referenced from any of these after a delete is not removed.
OBJECT_REFERENCES: tuple[tuple[str, str | None, str], ...] = (
    ("job_outputs", None, "storage_path"),
    ("profiles", None, "reference_image_path"),
    ("canvas_threads", "base_storage_bucket", "base_storage_path"),
    ("canvas_assets", "base_storage_bucket", "base_storage_path"),
    ("canvas_assets", "current_storage_bucket", "current_storage_path"),
    ("canvas_messages", "mask_storage_bucket", "mask_storage_path"),
    ("canvas_messages", "output_storage_bucket", "output_storage_path"),
    ("garment_cutouts", "storage_bucket", "storage_path"),
)

#: Path columns checked with ``validate_path`` on local writes (tenancy: ``<user id>/``).
PATH_COLUMNS: dict[str, tuple[str, ...]] = {}
for _table, _bucket, _path in OBJECT_REFERENCES:
    PATH_COLUMNS.setdefault(_table, ())
    PATH_COLUMNS[_table] = (*PATH_COLUMNS[_table], _path)
