"""Push: drain the outbox to Supabase, in order, idempotently, never dropping a change.

The pending entries are read in windows (oldest first) and planned into groups that keep the
outbox order where it matters:

- a run of consecutive ``upsert`` entries becomes one group per table, in parent-before-child
  table order (``domain.models.MODELS`` is topologically sorted), each sent as bulk
  ``upsert(on_conflict="id")`` requests of up to ``batch_rows`` rows; several entries for the
  same row collapse to the last one (payloads are full rows);
- consecutive ``delete`` entries of one table become ``DELETE ... ?id=in.(...)`` requests;
- consecutive ``upload`` entries are sent a few at a time, with their REAL content type and
  ``upsert=true``; they come before the rows that reference them because the blob cache queues
  them first (``BlobCache.put`` before ``Repository.save``);
- consecutive ``remove_objects`` entries of one bucket become one Storage remove.

Each request goes through :class:`~studio_desktop.sync.retry.Requester` (bounded retries with
backoff and jitter, one refresh on 401). A refusal retrying cannot fix (RLS, foreign key,
check, not-null, bad input, a 409 that is not an idempotent replay) parks the entry with the
server's reason; a bulk request that is refused is split in halves until the refused rows are
found, so the others still go through. Replays are harmless: client UUIDs, upserts, deletes of
what is already gone, uploads with ``upsert=true`` (and a "Duplicate" answer for identical bytes
counts as success). Entries are removed from the outbox only after the server accepted them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from postgrest.types import ReturnMethod

from studio_desktop.domain.models import MODEL_BY_TABLE, TABLES
from studio_desktop.store.outbox import OutboxEntry
from studio_desktop.store.workspace import Store
from studio_desktop.sync.connection import Connection
from studio_desktop.sync.errors import RefusedError, SyncError
from studio_desktop.sync.retry import Requester
from studio_desktop.sync.worker import StoreRunner

log = logging.getLogger(__name__)

DEFAULT_BATCH_ROWS = 500
DEFAULT_WINDOW = 2000
MAX_BODY_BYTES = 512 * 1024
DELETE_CHUNK = 100
REMOVE_CHUNK = 100
UPLOAD_CONCURRENCY = 3

_FRIENDLY = {
    "42501": "the server does not allow it (it may point at something that belongs to another "
    "account, or that no longer exists)",
    "23503": "it refers to something that does not exist on the server (deleted elsewhere?)",
    "23505": "something with the same unique key already exists on the server",
    "23514": "a value breaks one of the server's rules",
    "23502": "a required value is missing",
    "22P02": "a value has the wrong format",
    "22001": "a text is too long",
}


def refusal_reason(exc: RefusedError) -> str:
    """A reason a person can read, with the server's own words after it."""
    friendly = _FRIENDLY.get(exc.code or "")
    return f"{friendly} ({exc.reason})" if friendly else exc.reason


@dataclass(slots=True)
class Group:
    kind: str
    table: str | None
    entries: list[OutboxEntry]


@dataclass(slots=True)
class PushReport:
    pushed: int = 0  # entries the server accepted
    parked: int = 0
    requests: int = 0
    bytes_up: int = 0
    uploads: int = 0
    parked_reasons: list[str] = field(default_factory=list)


def plan(entries: Sequence[OutboxEntry]) -> list[Group]:
    """Groups to send, in an order that respects the outbox's (see the module doc)."""
    groups: list[Group] = []
    order = {t: i for i, t in enumerate(TABLES)}
    i = 0
    n = len(entries)
    while i < n:
        entry = entries[i]
        if entry.kind == "upsert":
            by_table: dict[str, list[OutboxEntry]] = {}
            while i < n and entries[i].kind == "upsert":
                by_table.setdefault(entries[i].table or "", []).append(entries[i])
                i += 1
            for table in sorted(by_table, key=lambda t: order.get(t, len(order))):
                groups.append(Group("upsert", table, by_table[table]))
        elif entry.kind == "delete":
            run = [entry]
            i += 1
            while i < n and entries[i].kind == "delete" and entries[i].table == entry.table:
                run.append(entries[i])
                i += 1
            groups.append(Group("delete", entry.table, run))
        elif entry.kind == "upload":
            run = [entry]
            i += 1
            while i < n and entries[i].kind == "upload":
                run.append(entries[i])
                i += 1
            groups.append(Group("upload", None, run))
        else:  # remove_objects
            bucket = entry.payload.get("bucket")
            run = [entry]
            i += 1
            while (
                i < n
                and entries[i].kind == "remove_objects"
                and entries[i].payload.get("bucket") == bucket
            ):
                run.append(entries[i])
                i += 1
            groups.append(Group("remove_objects", None, run))
    return groups


@dataclass(slots=True)
class _Item:
    """One row to upsert or delete and the outbox entries it settles (last one is current)."""

    row_id: str
    payload: dict[str, Any]
    entries: list[OutboxEntry]
    size: int = 0


def _collapse(entries: list[OutboxEntry], table: str) -> list[_Item]:
    model = MODEL_BY_TABLE.get(table)
    columns = set(model.columns()) if model else None
    items: dict[str, _Item] = {}
    for entry in entries:
        row_id = entry.row_id or str(entry.payload.get("id"))
        payload = entry.payload
        if columns is not None:
            payload = {k: v for k, v in payload.items() if k in columns}
        item = items.get(row_id)
        if item is None:
            items[row_id] = _Item(row_id, payload, [entry])
        else:
            item.payload = payload
            item.entries.append(entry)
    for item in items.values():
        item.size = len(json.dumps(item.payload, default=str))
    return list(items.values())


def _chunks(items: list[_Item], max_rows: int, max_bytes: int) -> list[list[_Item]]:
    chunks: list[list[_Item]] = []
    current: list[_Item] = []
    size = 0
    for item in items:
        if current and (len(current) >= max_rows or size + item.size > max_bytes):
            chunks.append(current)
            current, size = [], 0
        current.append(item)
        size += item.size
    if current:
        chunks.append(current)
    return chunks


class Pusher:
    def __init__(
        self,
        store: Store,
        connection: Connection,
        requester: Requester,
        runner: StoreRunner,
        *,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        window: int = DEFAULT_WINDOW,
        on_progress: Callable[[PushReport, int], None] | None = None,
    ) -> None:
        self.store = store
        self.connection = connection
        self.requester = requester
        self.runner = runner
        self.batch_rows = batch_rows
        self.window = window
        self.on_progress = on_progress
        self._report = PushReport()
        self._total = 0

    # ------------------------------------------------------------------ the drain
    async def push(self) -> PushReport:
        """Send every pending entry; raises a retryable/auth :class:`SyncError` when it must stop
        (the entries not sent stay queued, in order)."""
        self._report = report = PushReport()
        before = self.connection.requests
        after_seq = 0
        self._total = (await self.runner.run(self.store.outbox.counts)).pending
        try:
            while True:
                entries = await self.runner.run(
                    self.store.outbox.pending, self.window, after_seq=after_seq
                )
                if not entries:
                    break
                after_seq = entries[-1].seq
                for group in plan(entries):
                    try:
                        await self._send(group)
                    except SyncError as exc:
                        if isinstance(exc, RefusedError):
                            raise
                        first = group.entries[0].seq
                        await self.runner.run(self._mark_failed, first, exc.message)
                        raise
                    self._progress()
        finally:
            report.requests = self.connection.requests - before
        return report

    def _mark_failed(self, seq: int, message: str) -> None:
        if self.store.outbox.get(seq) is not None:
            self.store.outbox.mark_failed(seq, message)

    def _progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self._report, self._total)

    async def _send(self, group: Group) -> None:
        if group.kind == "upsert":
            await self._send_upserts(group)
        elif group.kind == "delete":
            await self._send_deletes(group)
        elif group.kind == "upload":
            await self._send_uploads(group)
        else:
            await self._send_removals(group)

    # ------------------------------------------------------------------ bookkeeping
    def _settle(self, items: Sequence[_Item]) -> None:
        seqs = [e.seq for item in items for e in item.entries]
        self.store.outbox.mark_done_many(seqs)

    def _park(self, entries: Sequence[OutboxEntry], reason: str) -> None:
        """Park the current entry of a row; earlier ones it supersedes are settled."""
        with self.store.transaction():
            *older, last = entries
            if older:
                self.store.outbox.mark_done_many([e.seq for e in older])
            self.store.outbox.park(last.seq, reason)

    async def _done(self, items: Sequence[_Item]) -> None:
        await self.runner.run(self._settle, items)
        self._report.pushed += sum(len(i.entries) for i in items)

    async def _parked(self, item: _Item, reason: str) -> None:
        log.warning("parked %s %s: %s", item.entries[-1].kind, item.row_id, reason)
        await self.runner.run(self._park, item.entries, reason)
        self._report.parked += 1
        self._report.pushed += len(item.entries) - 1
        self._report.parked_reasons.append(reason)

    # ------------------------------------------------------------------ rows
    async def _send_upserts(self, group: Group) -> None:
        table = group.table or ""
        items = await self._known_table_items(group)
        for chunk in _chunks(items, self.batch_rows, MAX_BODY_BYTES):
            await self._send_chunk(table, chunk, "save", self._upsert_request)

    async def _send_deletes(self, group: Group) -> None:
        table = group.table or ""
        items = await self._known_table_items(group)
        for start in range(0, len(items), DELETE_CHUNK):
            chunk = items[start : start + DELETE_CHUNK]
            await self._send_chunk(table, chunk, "delete", self._delete_request)

    async def _known_table_items(self, group: Group) -> list[_Item]:
        """The group's entries collapsed per row; parked (and none returned) when this app does
        not know the table."""
        table = group.table or ""
        items = _collapse(group.entries, table)
        if table in MODEL_BY_TABLE:
            return items
        for item in items:
            await self._parked(item, f"this app does not know the table “{table}”")
        return []

    def _upsert_request(self, table: str, chunk: list[_Item]) -> Any:
        rows = [item.payload for item in chunk]
        return (
            self.connection.client.table(table)
            .upsert(rows, on_conflict="id", returning=ReturnMethod.minimal)
            .execute()
        )

    def _delete_request(self, table: str, chunk: list[_Item]) -> Any:
        ids = [item.row_id for item in chunk]
        return (
            self.connection.client.table(table)
            .delete(returning=ReturnMethod.minimal)
            .in_("id", ids)
            .execute()
        )

    async def _send_chunk(
        self,
        table: str,
        chunk: list[_Item],
        verb: str,
        request: Callable[[str, list[_Item]], Any],
    ) -> None:
        """Send one batch; on a refusal retrying cannot fix, split it in halves until the
        refused rows are alone, and park each of those with the server's reason."""
        try:
            await self.requester.send(
                lambda: request(table, chunk), f"{verb} {len(chunk)} {table} row(s)"
            )
        except RefusedError as exc:
            if len(chunk) == 1:
                await self._parked(chunk[0], refusal_reason(exc))
                return
            middle = len(chunk) // 2
            await self._send_chunk(table, chunk[:middle], verb, request)
            await self._send_chunk(table, chunk[middle:], verb, request)
            return
        await self._done(chunk)

    # ------------------------------------------------------------------ storage
    async def _send_uploads(self, group: Group) -> None:
        gate = asyncio.Semaphore(UPLOAD_CONCURRENCY)
        errors: list[SyncError] = []

        async def one(entry: OutboxEntry) -> None:
            async with gate:
                if errors:
                    return
                try:
                    await self._upload(entry)
                except SyncError as exc:
                    errors.append(exc)

        await asyncio.gather(*(one(e) for e in group.entries))
        if errors:
            raise errors[0]

    def _file_for(self, bucket: str, path: str) -> bytes | None:
        file = self.store.blobs.path_for_upload(bucket, path)
        if file is None:
            return None
        try:
            return Path(file).read_bytes()
        except OSError:
            return None

    def _upload_done(self, seq: int, bucket: str, path: str) -> None:
        with self.store.transaction():
            self.store.outbox.mark_done(seq)
            key = f"{bucket}/{path}"
            newer = self.store.db.scalar(
                "SELECT count(*) FROM outbox WHERE kind = 'upload' AND row_id = ?", (key,)
            )
            if not newer:
                self.store.blobs.mark_synced(bucket, path)

    async def _upload(self, entry: OutboxEntry) -> None:
        item = _Item(entry.row_id or "", entry.payload, [entry])
        bucket = str(entry.payload.get("bucket") or "")
        path = str(entry.payload.get("path") or "")
        content_type = str(entry.payload.get("content_type") or "application/octet-stream")
        data = await self.runner.run(self._file_for, bucket, path)
        if data is None:
            await self._parked(
                item,
                f"the file to upload ({path.rsplit('/', 1)[-1]}) is no longer on this computer",
            )
            return
        storage = self.connection

        def request() -> Any:
            return storage.client.storage.from_(bucket).upload(
                path, data, {"content-type": content_type, "upsert": "true"}
            )

        try:
            await self.requester.send(request, f"upload {path.rsplit('/', 1)[-1]}")
        except RefusedError as exc:
            if not (exc.code == "Duplicate" or exc.status == 409) or not await self._same_bytes(
                bucket, path, data
            ):
                await self._parked(item, refusal_reason(exc))
                return
        await self.runner.run(self._upload_done, entry.seq, bucket, path)
        self._report.pushed += 1
        self._report.uploads += 1
        self._report.bytes_up += len(data)
        self._progress()

    async def _same_bytes(self, bucket: str, path: str, data: bytes) -> bool:
        """After a "Duplicate": is the object already there with exactly these bytes?"""
        storage = self.connection
        try:
            remote = await self.requester.send(
                lambda: storage.client.storage.from_(bucket).download(path),
                f"check {path.rsplit('/', 1)[-1]}",
            )
        except RefusedError:
            return False
        return hashlib.sha256(remote).digest() == hashlib.sha256(data).digest()

    async def _send_removals(self, group: Group) -> None:
        bucket = str(group.entries[0].payload.get("bucket") or "")
        paths: list[str] = []
        for entry in group.entries:
            paths.extend(str(p) for p in entry.payload.get("paths", []) if p)
        storage = self.connection
        unique = list(dict.fromkeys(paths))
        try:
            for start in range(0, len(unique), REMOVE_CHUNK):
                chunk = unique[start : start + REMOVE_CHUNK]
                await self.requester.send(
                    lambda chunk=chunk: storage.client.storage.from_(bucket).remove(chunk),  # type: ignore[misc]
                    f"remove {len(chunk)} file(s)",
                )
        except RefusedError as exc:
            for entry in group.entries:
                await self._parked(
                    _Item(entry.row_id or "", entry.payload, [entry]), refusal_reason(exc)
                )
            return
        items = [_Item(e.row_id or "", e.payload, [e]) for e in group.entries]
        await self._done(items)
