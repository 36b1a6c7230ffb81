"""The outbox: every local change, in order, until the sync engine has pushed it.

Entries are appended by the repository and the blob cache *in the same transaction* as the
mirror change they describe (so they can never disagree), and removed by the sync engine once the
server accepted them. An entry the server refuses for good is *parked* with the server's reason:
kept and shown to the user, never dropped silently; the user may retry (unpark) or discard it.

Kinds and payloads (JSON):

- ``upsert``          ``table``, ``row_id``; payload = the full row (``Model.to_row()``)
- ``delete``          ``table``, ``row_id``; payload = ``{"id": row_id}`` (the server cascades)
- ``upload``          ``table`` = None, ``row_id`` = ``"<bucket>/<path>"``;
                      payload = ``{"bucket", "path", "content_type", "size", "sha256"}``;
                      the bytes are in the blob cache (``BlobCache.path_for_upload``)
- ``remove_objects``  payload = ``{"bucket", "paths": [...]}``

Every entry has a client-generated ``op_id`` (UUID): appending an entry whose ``op_id`` already
exists is a no-op, so replays are idempotent.

The sync engine's loop::

    for entry in store.outbox.pending(limit=100):
        try: push(entry)
        except Retryable as e: store.outbox.mark_failed(entry.seq, str(e)); break
        except Refused as e: store.outbox.park(entry.seq, e.reason); continue
        store.outbox.mark_done(entry.seq)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from studio_desktop.domain.events import Event
from studio_desktop.domain.models import format_ts, new_id, utc_now
from studio_desktop.store.db import Database
from studio_desktop.store.errors import StoreBugError

OutboxKind = Literal["upsert", "delete", "upload", "remove_objects"]
KINDS: frozenset[str] = frozenset({"upsert", "delete", "upload", "remove_objects"})

_COLUMNS = (
    "seq, op_id, kind, table_name, row_id, payload, created_at, attempts, last_error, "
    "parked, parked_reason, state"
)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    seq: int
    op_id: str
    kind: str
    table: str | None
    row_id: str | None
    payload: dict[str, Any]
    created_at: str
    attempts: int
    last_error: str | None
    parked: bool
    parked_reason: str | None
    state: str


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    pending: int
    parked: int


def _entry(row: Any) -> OutboxEntry:
    return OutboxEntry(
        seq=row["seq"],
        op_id=row["op_id"],
        kind=row["kind"],
        table=row["table_name"],
        row_id=row["row_id"],
        payload=json.loads(row["payload"]),
        created_at=row["created_at"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        parked=bool(row["parked"]),
        parked_reason=row["parked_reason"],
        state=row["state"],
    )


class Outbox:
    """The queue of local changes of one workspace database.

    ``enabled=False`` (the local workspace, which has no server) makes :meth:`append` a no-op;
    moving the workspace into an account writes the entries then.
    """

    def __init__(self, db: Database, *, enabled: bool = True) -> None:
        self.db = db
        self.enabled = enabled
        #: Emitted after each commit that changed the outbox: new pending/parked counts.
        self.changed: Event[OutboxCounts] = Event("outbox.changed")

    # ------------------------------------------------------------------ writing
    def append(
        self,
        kind: OutboxKind,
        table: str | None,
        row_id: str | None,
        payload: dict[str, Any],
        *,
        op_id: str | None = None,
    ) -> int | None:
        """Queue one change; returns its ``seq`` (the existing one for a known ``op_id``).

        Call inside the transaction that makes the mirror change. ``None`` when disabled.
        """
        if not self.enabled:
            return None
        if kind not in KINDS:
            raise StoreBugError(f"unknown outbox kind {kind!r}")
        op_id = op_id or new_id()
        with self.db.transaction(savepoint=False):
            existing = self.db.scalar("SELECT seq FROM outbox WHERE op_id = ?", (op_id,))
            if existing is not None:
                return int(existing)
            cursor = self.db.execute(
                "INSERT INTO outbox (op_id, kind, table_name, row_id, payload, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (op_id, kind, table, row_id, json.dumps(payload), format_ts(utc_now())),
            )
            self._notify()
            return int(cursor.lastrowid or 0)

    def mark_sending(self, seq: int) -> None:
        """Record that a push of this entry started (it may or may not reach the server)."""
        self._update(seq, "state = 'sending'")

    def mark_done(self, seq: int) -> None:
        """The server accepted the entry: remove it."""
        with self.db.transaction(savepoint=False):
            self.db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
            self._notify()

    def mark_done_many(self, seqs: list[int]) -> None:
        """Several accepted entries at once (one batch request): one statement per 500, one
        notification, in the caller's transaction if there is one."""
        with self.db.transaction():
            for start in range(0, len(seqs), 500):
                chunk = seqs[start : start + 500]
                self.db.execute(
                    f"DELETE FROM outbox WHERE seq IN ({', '.join('?' * len(chunk))})",
                    tuple(chunk),
                )
            self._notify()

    def mark_failed(self, seq: int, error: str) -> None:
        """A retryable failure: count the attempt and keep the entry in place."""
        self._update(seq, "attempts = attempts + 1, last_error = ?, state = 'pending'", (error,))

    def park(self, seq: int, reason: str) -> None:
        """The server refused the entry for good: keep it aside, visible, with the reason."""
        self._update(
            seq,
            "parked = 1, parked_reason = ?, attempts = attempts + 1, last_error = ?, "
            "state = 'pending'",
            (reason, reason),
        )

    def unpark(self, seq: int) -> None:
        """Put a parked entry back in the queue (the user chose "retry")."""
        self._update(seq, "parked = 0, parked_reason = NULL, attempts = 0")

    def unpark_all(self) -> int:
        with self.db.transaction():
            count = self.db.execute(
                "UPDATE outbox SET parked = 0, parked_reason = NULL, attempts = 0 WHERE parked = 1"
            ).rowcount
            self._notify()
        return count

    def discard(self, seq: int) -> None:
        """Drop an entry for good (the user chose "discard my change")."""
        self.mark_done(seq)

    def _update(self, seq: int, assignments: str, params: tuple[Any, ...] = ()) -> None:
        with self.db.transaction(savepoint=False):
            changed = self.db.execute(
                f"UPDATE outbox SET {assignments} WHERE seq = ?", (*params, seq)
            ).rowcount
            if changed != 1:
                raise StoreBugError(f"no outbox entry with seq {seq}")
            self._notify()

    def _notify(self) -> None:
        if len(self.changed):
            self.db.after_commit(lambda: self.changed.emit(self.counts()))

    # ------------------------------------------------------------------ reading
    def pending(self, limit: int | None = None, *, after_seq: int = 0) -> list[OutboxEntry]:
        """Entries to push, oldest first (parked ones excluded)."""
        sql = f"SELECT {_COLUMNS} FROM outbox WHERE parked = 0 AND seq > ? ORDER BY seq"
        params: tuple[Any, ...] = (after_seq,)
        if limit is not None:
            sql += " LIMIT ?"
            params = (after_seq, limit)
        return [_entry(row) for row in self.db.query(sql, params)]

    def parked(self) -> list[OutboxEntry]:
        return [
            _entry(row)
            for row in self.db.query(f"SELECT {_COLUMNS} FROM outbox WHERE parked = 1 ORDER BY seq")
        ]

    def all(self) -> list[OutboxEntry]:
        return [_entry(row) for row in self.db.query(f"SELECT {_COLUMNS} FROM outbox ORDER BY seq")]

    def get(self, seq: int) -> OutboxEntry | None:
        row = self.db.query_one(f"SELECT {_COLUMNS} FROM outbox WHERE seq = ?", (seq,))
        return None if row is None else _entry(row)

    def counts(self) -> OutboxCounts:
        row = self.db.query_one(
            "SELECT coalesce(sum(parked = 0), 0), coalesce(sum(parked = 1), 0) FROM outbox"
        )
        assert row is not None
        return OutboxCounts(pending=int(row[0]), parked=int(row[1]))

    def count_pending(self) -> int:
        return self.counts().pending

    def count_parked(self) -> int:
        return self.counts().parked

    def has_entries_for(self, table: str, row_id: str) -> bool:
        """Whether a row has a change not yet accepted by the server (parked ones included)."""
        return (
            self.db.query_one(
                "SELECT 1 FROM outbox WHERE table_name = ? AND row_id = ? LIMIT 1", (table, row_id)
            )
            is not None
        )

    def row_ids_with_entries(self, table: str) -> set[str]:
        return {
            row[0]
            for row in self.db.query(
                "SELECT DISTINCT row_id FROM outbox WHERE table_name = ?", (table,)
            )
        }
