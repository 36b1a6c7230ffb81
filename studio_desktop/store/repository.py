"""Writes to the mirror: local changes (with their outbox entries) and rows from the server.

Local writes (:meth:`Repository.save`, :meth:`Repository.delete`) change the mirror *and* append
the outbox entry in one transaction. Remote writes (:meth:`Repository.apply_remote_rows`,
:meth:`Repository.apply_remote_deletes`) change only the mirror, and leave alone every row that
still has a local change waiting in the outbox (the local change wins until it is pushed).

After each commit :attr:`Repository.rows_changed` emits one :class:`ChangeSet` per table and
kind, cascaded rows included, so the UI can update the rows it shows without re-reading.

Each method is one transaction of its own, or, called inside ``store.transaction()``, joins
that transaction without a savepoint (savepoints make bulk writes slow; see
``Database.transaction``). So inside an outer transaction, an error from a method means the
outer transaction must roll back: let the exception leave the ``with`` block.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar

from studio_desktop.domain.errors import ValidationError
from studio_desktop.domain.events import Event
from studio_desktop.domain.models import MODEL_BY_TABLE, Row, format_ts, parse_ts, utc_now
from studio_desktop.domain.paths import ObjectRef, StoragePathError, validate_path
from studio_desktop.store.blobcache import BlobCache
from studio_desktop.store.bulk import BulkLoad
from studio_desktop.store.db import Database
from studio_desktop.store.errors import StoreBugError, StoreConstraintError
from studio_desktop.store.outbox import Outbox
from studio_desktop.store.sql_rows import model_from_sql
from studio_desktop.store.tables import (
    CASCADE,
    JSON_COLUMNS,
    OBJECT_REFERENCES,
    PATH_COLUMNS,
    children_of,
    column_kind,
    owned_objects,
    required_columns,
)

M = TypeVar("M", bound=Row)
ChangeKind = Literal["upsert", "delete"]
Origin = Literal["local", "remote"]
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Rows of one table that changed in one committed transaction."""

    table: str
    ids: tuple[str, ...]
    kind: ChangeKind
    origin: Origin


@dataclass(frozen=True, slots=True)
class RejectedRow:
    table: str
    row_id: str | None
    reason: str


@dataclass(slots=True)
class ApplyResult:
    """What :meth:`Repository.apply_remote_rows` / ``apply_remote_deletes`` did with a batch."""

    applied: list[str] = field(default_factory=list)
    skipped_pending: list[str] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DeleteResult:
    """Rows removed by a local delete (cascade included) and storage objects queued for removal."""

    deleted: dict[str, tuple[str, ...]]
    nulled: dict[str, tuple[str, ...]]
    removed_objects: tuple[ObjectRef, ...]


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _model(table: str) -> type[Row]:
    try:
        return MODEL_BY_TABLE[table]
    except KeyError:
        raise StoreBugError(f"the store has no table {table!r}") from None


def sql_values(model: Row) -> list[Any]:
    """A model's column values as stored (timestamps as ISO text, JSON columns as text)."""
    row = model.to_row()
    json_columns = JSON_COLUMNS.get(model.table, frozenset())
    return [json.dumps(row[c]) if c in json_columns else row[c] for c in model.columns()]


def _select_columns(model_type: type[Row]) -> str:
    return ", ".join(model_type.columns())


class Repository:
    """Local and remote writes to the 8 mirrored tables of one workspace database."""

    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        blobs: BlobCache | None = None,
        *,
        user_id: str | None = None,
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.blobs = blobs
        #: The workspace's user: local writes of rows or paths for anyone else are refused.
        self.user_id = user_id
        self.rows_changed: Event[ChangeSet] = Event("rows_changed")
        self._upsert_sql: dict[str, str] = {}

    # ------------------------------------------------------------------ reading
    def get(self, model_type: type[M], row_id: str) -> M | None:
        row = self.db.query_one(
            f"SELECT {_select_columns(model_type)} FROM {model_type.table} WHERE id = ?",
            (row_id,),
        )
        return None if row is None else model_from_sql(model_type, row)

    def exists(self, table: str, row_id: str) -> bool:
        _model(table)
        return self.db.query_one(f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)) is not None

    def count(self, table: str) -> int:
        _model(table)
        return int(self.db.scalar(f"SELECT count(*) FROM {table}"))

    # ------------------------------------------------------------------ local writes
    def save(self, model: M, *, touch: bool = True) -> M:
        """Insert or update a row made or edited here, and queue its upsert.

        ``touch`` sets ``updated_at`` to now on tables that have it. Returns the row as stored.
        Raises :class:`ValidationError` for a bad id, another user's row or an unsafe storage
        path, and :class:`StoreConstraintError` when a parent row is missing.
        """
        return self.save_many([model], touch=touch)[0]

    def save_many(self, models: Sequence[M], *, touch: bool = True) -> list[M]:
        """Several rows in one transaction (parents before children), one upsert entry each."""
        stored: list[M] = []
        now = utc_now()
        prepared = [
            dataclasses.replace(m, updated_at=now) if touch and m.has_updated_at else m  # type: ignore[call-arg]
            for m in models
        ]
        for model in prepared:  # all or nothing: check every row before writing any
            self._validate_local(model)
        with self.db.transaction(savepoint=False):
            for model in prepared:
                try:
                    self._upsert(model.table, sql_values(model))
                except StoreConstraintError as exc:
                    raise StoreConstraintError(
                        f"Cannot save {model.table} row {model.id}: it refers to a row that "  # type: ignore[attr-defined]
                        f"does not exist here ({exc.message}).",
                        exc.sql,
                    ) from exc
                self.outbox.append("upsert", model.table, model.id, model.to_row())  # type: ignore[attr-defined]
                stored.append(model)
            self._emit_later(
                [ChangeSet(t, ids, "upsert", "local") for t, ids in _group(stored).items()]
            )
        return stored

    def delete(self, table: str, row_id: str) -> DeleteResult:
        """Delete a row here, with the same cascade as the server, and queue one delete.

        Rows that cascade (a job's outputs; a creation's assets, conversations and messages) go
        locally without entries of their own: the server cascades the one delete the same way.
        Storage objects the deleted rows owned, and that no remaining row refers to, are queued
        for removal and dropped from the blob cache. Deleting a row that is not here is a no-op.
        """
        _model(table)
        with self.db.transaction(savepoint=False):
            if not self.exists(table, row_id):
                return DeleteResult({}, {}, ())
            deleted, nulled = self._cascade_plan(table, [row_id])
            objects = [
                obj for t, rows in deleted.items() for r in rows for obj in owned_objects(t, r)
            ]
            self.db.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))
            self.outbox.append("delete", table, row_id, {"id": row_id})
            removed = self._release_objects(objects, queue_removal=True)
            deleted_ids = {t: tuple(str(r["id"]) for r in rows) for t, rows in deleted.items()}
            self._emit_later(_changes(deleted_ids, nulled, "local"))
        return DeleteResult(deleted_ids, nulled, tuple(removed))

    # ------------------------------------------------------------------ remote writes
    def apply_remote_rows(
        self, table: str, rows: Iterable[Mapping[str, Any]], *, respect_pending: bool = True
    ) -> ApplyResult:
        """Store rows that came from the server, without outbox entries.

        Joins the caller's transaction (no savepoint: this is the bulk path of the pull).
        Rows with a pending local change are skipped (``skipped_pending``). Rows that cannot be
        stored are reported in ``rejected`` with the reason, never raised: a missing required
        column, a value of the wrong type, a bad timestamp, a parent that is not here. Extra
        columns are ignored; missing optional ones take their defaults; unknown enum values are
        stored as they are. ``respect_pending=False`` (repair only) overwrites regardless.
        """
        model_type = _model(table)
        result = ApplyResult()
        with self.db.transaction(savepoint=False):
            pending = self.outbox.row_ids_with_entries(table) if respect_pending else set()
            batch: list[tuple[str, list[Any]]] = []
            for raw in rows:
                row_id = raw.get("id") if isinstance(raw, Mapping) else None
                if row_id is not None and row_id in pending:
                    result.skipped_pending.append(str(row_id))
                    continue
                try:
                    values = self._coerce_remote(model_type, raw)
                except ValueError as exc:
                    result.rejected.append(
                        RejectedRow(table, str(row_id) if row_id is not None else None, str(exc))
                    )
                    continue
                batch.append((str(values[0]), values))
            self._upsert_batch(table, batch, result)
            if result.applied:
                self._emit_later([ChangeSet(table, tuple(result.applied), "upsert", "remote")])
        return result

    def apply_remote_deletes(self, table: str, ids: Iterable[str]) -> ApplyResult:
        """Remove rows the server deleted (with the local cascade), without outbox entries.

        Rows with a pending local change are kept (``skipped_pending``); ids not here count as
        applied. Cached files of the removed rows are dropped unless still waiting to upload.
        """
        _model(table)
        result = ApplyResult()
        with self.db.transaction(savepoint=False):
            pending = self.outbox.row_ids_with_entries(table)
            targets: list[str] = []
            for row_id in ids:
                if row_id in pending:
                    result.skipped_pending.append(row_id)
                else:
                    targets.append(row_id)
            deleted, nulled = self._cascade_plan(table, targets)
            objects = [
                obj for t, rows in deleted.items() for r in rows for obj in owned_objects(t, r)
            ]
            for chunk in _chunks(targets):
                marks = ", ".join("?" * len(chunk))
                self.db.execute(f"DELETE FROM {table} WHERE id IN ({marks})", tuple(chunk))
            self._release_objects(objects, queue_removal=False)
            result.applied.extend(targets)
            deleted_ids = {t: tuple(str(r["id"]) for r in rows) for t, rows in deleted.items()}
            self._emit_later(_changes(deleted_ids, nulled, "remote"))
        return result

    def bulk_load(self, *, owner: str | None = None) -> BulkLoad:
        """A set-based loader for a large batch of server rows (a full resync's listing).

        Same guarantees as :meth:`apply_remote_rows` (pending rows left alone, bad rows handed
        back, ``rows_changed`` after commit); see :mod:`studio_desktop.store.bulk`. With
        ``owner``, rows of any other user are handed back instead of stored.
        """

        def applied(table: str, ids: tuple[str, ...]) -> None:
            self._emit_later([ChangeSet(table, ids, "upsert", "remote")])

        return BulkLoad(self.db, owner=owner, on_applied=applied)

    # ------------------------------------------------------------------ internals
    def _validate_local(self, model: Row) -> None:
        table = model.table
        row = model.to_row()
        try:
            uuid.UUID(str(row["id"]))
        except ValueError:
            raise ValidationError(f"{table} id {row['id']!r} is not a UUID", "id") from None
        owner = self.user_id
        if owner is not None and "user_id" in row and row["user_id"] != owner:
            raise ValidationError(
                f"This {table} row belongs to another user than this workspace's.", "user_id"
            )
        for column in PATH_COLUMNS.get(table, ()):
            path = row.get(column)
            if path:
                try:
                    validate_path(str(path), owner or row.get("user_id"))
                except StoragePathError as exc:
                    raise ValidationError(str(exc), column) from None

    def _upsert_statement(self, table: str) -> str:
        sql = self._upsert_sql.get(table)
        if sql is None:
            columns = _model(table).columns()
            updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "id")
            sql = (
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))}) "
                f"ON CONFLICT(id) DO UPDATE SET {updates}"
            )
            self._upsert_sql[table] = sql
        return sql

    def _upsert(self, table: str, values: list[Any]) -> None:
        self.db.execute(self._upsert_statement(table), values)

    def _upsert_batch(
        self, table: str, batch: list[tuple[str, list[Any]]], result: ApplyResult
    ) -> None:
        # One statement per row and no savepoint: a row that breaks a constraint fails alone
        # (SQLite undoes just that statement) and the others are kept.
        sql = self._upsert_statement(table)
        for row_id, values in batch:
            try:
                self.db.execute(sql, values)
            except StoreConstraintError as exc:
                reason = (
                    "it refers to a row that is not here"
                    if "FOREIGN KEY" in exc.message
                    else exc.message
                )
                result.rejected.append(RejectedRow(table, row_id, reason))
            else:
                result.applied.append(row_id)

    @staticmethod
    def _coerce_remote(model_type: type[Row], raw: object) -> list[Any]:
        """The stored values of a server row, or ``ValueError`` saying what is wrong with it."""
        if not isinstance(raw, Mapping):
            raise ValueError(f"a row must be an object, got {type(raw).__name__}")
        for column in required_columns(model_type):
            if raw.get(column) is None:
                raise ValueError(f"the required column {column!r} is missing")
        values: list[Any] = []
        for f in dataclasses.fields(model_type):  # type: ignore[arg-type]
            column = f.name
            kind = column_kind(model_type, column)
            # A missing column, or a null in one the local schema keeps NOT NULL (timestamps,
            # JSON), takes the model's default.
            if column not in raw or (raw[column] is None and kind in ("timestamp", "json")):
                if f.default is not dataclasses.MISSING:
                    value: Any = f.default
                elif f.default_factory is not dataclasses.MISSING:
                    value = f.default_factory()
                else:  # pragma: no cover - required columns were checked above
                    raise ValueError(f"the required column {column!r} is missing")
            else:
                value = raw[column]
            if value is None:
                values.append(None)
            elif kind == "timestamp":
                if not isinstance(value, str | datetime):
                    raise ValueError(f"{column} is not a timestamp: {value!r}")
                try:
                    values.append(format_ts(parse_ts(value)))
                except ValueError:
                    raise ValueError(f"{column} is not a timestamp: {value!r}") from None
            elif kind == "json":
                try:
                    values.append(json.dumps(value))
                except (TypeError, ValueError):
                    raise ValueError(f"{column} is not JSON") from None
            elif kind == "integer":
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError(f"{column} is not a whole number: {value!r}")
                if isinstance(value, float) and not value.is_integer():
                    raise ValueError(f"{column} is not a whole number: {value!r}")
                if not -(2**63) <= value < 2**63:  # SQLite's INTEGER range
                    raise ValueError(f"{column} is too large: {value!r}")
                values.append(int(value))
            else:
                if not isinstance(value, str):
                    raise ValueError(f"{column} is not text: {value!r}")
                values.append(value)
        return values

    def _cascade_plan(
        self, table: str, ids: Sequence[str]
    ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, tuple[str, ...]]]:
        """Rows a delete of ``ids`` removes (the rows themselves included) and rows it nulls."""
        deleted: dict[str, dict[str, dict[str, Any]]] = {}
        nulled: dict[str, set[str]] = {}
        roots = self._fetch_rows(table, "id", ids)
        if not roots:
            return {}, {}
        deleted[table] = {str(r["id"]): r for r in roots}
        queue: list[tuple[str, list[str]]] = [(table, [str(r["id"]) for r in roots])]
        while queue:
            parent, parent_ids = queue.pop()
            for fk in children_of(parent):
                rows = self._fetch_rows(fk.table, fk.column, parent_ids)
                if fk.on_delete == CASCADE:
                    seen = deleted.setdefault(fk.table, {})
                    fresh = [r for r in rows if str(r["id"]) not in seen]
                    for r in fresh:
                        seen[str(r["id"])] = r
                    if fresh:
                        queue.append((fk.table, [str(r["id"]) for r in fresh]))
                else:
                    nulled.setdefault(fk.table, set()).update(str(r["id"]) for r in rows)
        final_nulled = {
            t: tuple(sorted(ids_ - set(deleted.get(t, {})))) for t, ids_ in nulled.items()
        }
        return (
            {t: list(rows.values()) for t, rows in deleted.items()},
            {t: ids_ for t, ids_ in final_nulled.items() if ids_},
        )

    def _fetch_rows(self, table: str, column: str, values: Sequence[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        columns = _select_columns(_model(table))
        for chunk in _chunks(values):
            marks = ", ".join("?" * len(chunk))
            found.extend(
                dict(r)
                for r in self.db.query(
                    f"SELECT {columns} FROM {table} WHERE {column} IN ({marks})", tuple(chunk)
                )
            )
        return found

    def _still_referenced(self, bucket: str, path: str) -> bool:
        for table, bucket_column, path_column in OBJECT_REFERENCES:
            sql = f"SELECT 1 FROM {table} WHERE {path_column} = ?"
            params: tuple[str, ...] = (path,)
            if bucket_column is not None:
                sql += f" AND coalesce({bucket_column}, ?) = ?"
                params = (path, bucket, bucket)
            if self.db.query_one(sql + " LIMIT 1", params) is not None:
                return True
        return False

    def _release_objects(
        self, objects: list[tuple[str, str]], *, queue_removal: bool
    ) -> list[ObjectRef]:
        """After a delete: drop unreferenced objects from the cache, queue their removal."""
        released: list[ObjectRef] = []
        for bucket, path in dict.fromkeys(objects):
            if self._still_referenced(bucket, path):
                continue
            released.append(ObjectRef(bucket, path))
            if self.blobs is not None:
                info = self.blobs.info(bucket, path)
                if queue_removal or info is None or info.state != "queued_upload":
                    self.blobs.forget(bucket, path)
        if queue_removal:
            by_bucket: dict[str, list[str]] = {}
            for ref in released:
                by_bucket.setdefault(ref.bucket, []).append(ref.path)
            for bucket, paths in by_bucket.items():
                self.outbox.append("remove_objects", None, None, {"bucket": bucket, "paths": paths})
        return released

    def _emit_later(self, changes: list[ChangeSet]) -> None:
        if not changes:
            return

        def emit() -> None:
            for change in changes:
                self.rows_changed.emit(change)

        self.db.after_commit(emit)


def _group(models: Sequence[Row]) -> dict[str, tuple[str, ...]]:
    grouped: dict[str, list[str]] = {}
    for model in models:
        grouped.setdefault(model.table, []).append(model.id)  # type: ignore[attr-defined]
    return {t: tuple(ids) for t, ids in grouped.items()}


def _changes(
    deleted: dict[str, tuple[str, ...]], nulled: dict[str, tuple[str, ...]], origin: Origin
) -> list[ChangeSet]:
    out = [ChangeSet(t, ids, "delete", origin) for t, ids in deleted.items() if ids]
    out += [ChangeSet(t, ids, "upsert", origin) for t, ids in nulled.items() if ids]
    return out
