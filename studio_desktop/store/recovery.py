"""Opening a workspace database: corruption detection, moving the damaged file aside, salvage.

:func:`open_database` opens the file, runs ``PRAGMA quick_check`` and the migrations. When the
file is damaged (or is not a SQLite database at all) it:

1. moves the file (and its ``-wal``) aside as ``store.sqlite3.damaged-<UTC time>``: kept, never
   deleted, so nothing is destroyed by the repair;
2. creates a fresh database at the original path;
3. salvages, best effort, what can still be read from a scratch copy of the damaged file: the
   outbox first (unsynced work is what cannot be fetched again), the blob index, then the rows
   of the 8 tables; tables are read in one go and, where that fails, row by row, stepping over
   damaged pages; pending upserts re-create mirror rows that were lost;
4. leaves the pull cursor out, so the next sync does a full resync of the mirror.

The result says what happened in words a person can read (:attr:`RecoveryReport.message`).
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from studio_desktop.domain.models import MODELS
from studio_desktop.store import precheck as _precheck
from studio_desktop.store import sync_state as keys
from studio_desktop.store.db import DEFAULT_BUSY_TIMEOUT_MS, Database
from studio_desktop.store.errors import StoreCorruptError, StoreEnvironmentError
from studio_desktop.store.migrations import migrate
from studio_desktop.store.outbox import Outbox
from studio_desktop.store.repository import Repository

log = logging.getLogger(__name__)

#: After this many unreadable rowids in a row, the rest of a table is given up.
MAX_UNREADABLE_RUN = 20_000
#: sync_state keys worth keeping; the cursor is not (the mirror may have lost rows).
_KEPT_STATE = (keys.WORKSPACE_USER_ID, keys.ACCOUNT, keys.MOVED_FROM_LOCAL)
_OUTBOX_COLUMNS = (
    "seq",
    "op_id",
    "kind",
    "table_name",
    "row_id",
    "payload",
    "created_at",
    "attempts",
    "last_error",
    "parked",
    "parked_reason",
    "state",
)
_BLOB_COLUMNS = (
    "bucket",
    "path",
    "size",
    "content_type",
    "sha256",
    "state",
    "pinned",
    "last_access",
    "file_name",
)


@dataclass(slots=True)
class RecoveryReport:
    """What a repair did. ``salvaged`` counts rows per table; ``damaged_copy`` is kept."""

    reason: str
    damaged_copy: Path
    salvaged: dict[str, int] = field(default_factory=dict)
    unreadable_tables: list[str] = field(default_factory=list)
    restored_from_outbox: int = 0

    @property
    def outbox_entries(self) -> int:
        return self.salvaged.get("outbox", 0)

    @property
    def message(self) -> str:
        rows = sum(
            n for t, n in self.salvaged.items() if t not in ("outbox", "blobs", "sync_state")
        )
        text = (
            "The local database was damaged and has been rebuilt. "
            f"{self.outbox_entries} unsynced change(s) and {rows} saved row(s) were recovered; "
            "everything else will be downloaded again at the next sync. "
            f"The damaged file was kept as {self.damaged_copy.name}."
        )
        if "outbox" in self.unreadable_tables:
            text += " Some unsynced changes could not be read back."
        return text


# ---------------------------------------------------------------------------- the check, ahead
# (In a module of its own, stdlib only: the app starts it before anything else is imported.)
precheck = _precheck.precheck
_prechecked = _precheck.prechecked


def _check_integrity(db: Database) -> None:
    rows = db.query("PRAGMA quick_check")
    problems = [str(r[0]) for r in rows if str(r[0]).lower() != "ok"]
    if problems:
        raise StoreCorruptError(
            f"The local database file is damaged ({db.path}): {problems[0]}"
            + (f" and {len(problems) - 1} more problem(s)" if len(problems) > 1 else "")
        )


def open_database(
    path: Path, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS
) -> tuple[Database, RecoveryReport | None]:
    """Open (creating if needed), check and migrate a workspace database; repair if damaged.

    Raises :class:`~studio_desktop.store.errors.StoreVersionError` for a newer app's database
    (left untouched) and other :class:`StoreEnvironmentError` s (locked, read-only, disk full).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db: Database | None = None
    try:
        checked = _prechecked(path)
        db = Database(path, busy_timeout_ms=busy_timeout_ms)
        if not checked:
            _check_integrity(db)
        migrate(db)
        return db, None
    except StoreCorruptError as exc:
        if db is not None:
            db.close()
        log.error("damaged database %s: %s", path, exc.message)
        reason = exc.message
    except BaseException:
        if db is not None:
            db.close()
        raise
    return _rebuild(path, reason, busy_timeout_ms)


def _rebuild(path: Path, reason: str, busy_timeout_ms: int) -> tuple[Database, RecoveryReport]:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    try:
        path.rename(aside)
        for suffix in ("-wal", "-journal"):
            extra = path.with_name(path.name + suffix)
            if extra.exists():
                extra.rename(aside.with_name(aside.name + suffix))
        shm = path.with_name(path.name + "-shm")
        if shm.exists():
            shm.unlink()  # index of the WAL, rebuilt from the WAL itself; never data
    except OSError as exc:
        raise StoreEnvironmentError(
            f"The local database is damaged and could not be moved aside for repair "
            f"({exc.strerror or exc}). Check that {path.parent} is writable."
        ) from exc
    report = RecoveryReport(reason=reason, damaged_copy=aside)
    db = Database(path, busy_timeout_ms=busy_timeout_ms)
    migrate(db)
    with tempfile.TemporaryDirectory(prefix="studio-salvage-") as scratch:
        copy = Path(scratch) / "damaged.sqlite3"
        shutil.copyfile(aside, copy)
        wal = aside.with_name(aside.name + "-wal")
        if wal.exists():
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
        _salvage(copy, db, report)
    log.warning("%s", report.message)
    return db, report


def _open_damaged(copy: Path) -> sqlite3.Connection | None:
    try:
        conn = sqlite3.connect(copy, isolation_level=None)
        conn.execute("PRAGMA query_only = ON")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.Error as exc:
        log.warning("nothing salvageable in the damaged file: %s", exc)
        return None


def _source_columns(conn: sqlite3.Connection, table: str, wanted: Sequence[str]) -> list[str]:
    try:
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    except sqlite3.Error:
        return []
    return [c for c in wanted if c in present]


def read_rows(
    conn: sqlite3.Connection, table: str, columns: Sequence[str]
) -> tuple[list[tuple[Any, ...]], bool]:
    """Every readable row of ``table`` in rowid order, and whether the read was complete."""
    select = ", ".join(columns)
    try:
        return list(conn.execute(f"SELECT {select} FROM {table} ORDER BY rowid")), True
    except sqlite3.Error:
        pass
    rows: list[tuple[Any, ...]] = []
    last = 0
    run = 0
    complete = True
    while run < MAX_UNREADABLE_RUN:
        try:
            found = conn.execute(
                f"SELECT rowid, {select} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT 1",
                (last,),
            ).fetchone()
        except sqlite3.Error:
            complete = False
            last += 1  # step over the unreadable row and try the next rowid
            run += 1
            continue
        if found is None:
            break
        rows.append(tuple(found[1:]))
        last = int(found[0])
        run = 0
    return rows, complete and run < MAX_UNREADABLE_RUN


def _salvage(copy: Path, db: Database, report: RecoveryReport) -> None:
    conn = _open_damaged(copy)
    if conn is None:
        report.unreadable_tables.append("*")
        return
    try:
        tables: list[tuple[str, Sequence[str]]] = [
            ("outbox", _OUTBOX_COLUMNS),
            ("blobs", _BLOB_COLUMNS),
            ("sync_state", ("key", "value")),
        ]
        tables += [(m.table, m.columns()) for m in MODELS]
        repo = Repository(db, Outbox(db, enabled=False))
        for table, wanted in tables:
            columns = _source_columns(conn, table, wanted)
            if not columns:
                report.unreadable_tables.append(table)
                continue
            rows, complete = read_rows(conn, table, columns)
            if not complete:
                report.unreadable_tables.append(table)
            records = [dict(zip(columns, row, strict=True)) for row in rows]
            with db.transaction():
                if table == "sync_state":
                    count = _insert_plain(
                        db, table, [r for r in records if r.get("key") in _KEPT_STATE]
                    )
                elif table in ("outbox", "blobs"):
                    count = _insert_plain(db, table, records)
                else:
                    for record in records:
                        value = record.get("input_json")
                        if isinstance(value, str):
                            try:
                                record["input_json"] = json.loads(value)
                            except ValueError:
                                record["input_json"] = {}
                    result = repo.apply_remote_rows(table, records, respect_pending=False)
                    count = len(result.applied)
            report.salvaged[table] = count
        report.restored_from_outbox = _restore_from_outbox(db, repo)
    finally:
        conn.close()


def _insert_plain(db: Database, table: str, records: list[dict[str, Any]]) -> int:
    count = 0
    for record in records:
        columns = list(record)
        try:  # one statement per row: a bad row fails alone, no savepoint needed
            db.execute(
                f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                [record[c] for c in columns],
            )
            count += 1
        except StoreEnvironmentError:
            raise
        except Exception:
            log.warning("could not salvage a row of %s", table, exc_info=True)
    return count


def _restore_from_outbox(db: Database, repo: Repository) -> int:
    """Re-create mirror rows lost with the damage from their pending upserts (latest wins)."""
    latest: dict[tuple[str, str], dict[str, Any] | None] = {}
    for row in db.query(
        "SELECT kind, table_name, row_id, payload FROM outbox "
        "WHERE kind IN ('upsert', 'delete') ORDER BY seq"
    ):
        try:
            payload = json.loads(row["payload"])
        except ValueError:
            continue
        latest[(row["table_name"], row["row_id"])] = payload if row["kind"] == "upsert" else None
    restored = 0
    for model in MODELS:
        rows = [
            payload
            for (table, row_id), payload in latest.items()
            if table == model.table and payload is not None and not repo.exists(table, row_id)
        ]
        if rows:
            with db.transaction():
                restored += len(
                    repo.apply_remote_rows(model.table, rows, respect_pending=False).applied
                )
    return restored
