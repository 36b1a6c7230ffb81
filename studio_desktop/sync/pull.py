"""Pull: bring the mirror up to the server through the change log, page by page, crash-safely.

``sync_pull(p_cursor, p_limit)`` (``supabase/migrations/*_sync.sql``) answers
``{"changes": [{"table", "op": "upsert"|"delete", "id", "row", "owner", "cursor"}], "cursor",
"has_more", "resync_required"}``. Each page is applied in ONE SQLite transaction together with
its new cursor (and the rows held back, below): a crash leaves either the old mirror and the old
cursor, or the new mirror and the new cursor, never a mix. The next page is fetched while the
current one is being written (a read; nothing is applied out of order).

Rules kept here:

- Rows with local changes still in the outbox are left alone (the store's
  ``apply_remote_rows``/``apply_remote_deletes`` do that); the push sends them later.
- A page may name a child before its parent, even across pages (the log is in xid order, not
  commit order). The local schema enforces foreign keys, so a row whose parent is not here yet
  is HELD (kept, with the page, in ``sync_state``) and applied as soon as the parent arrives; a
  later change of the same row (or its deletion) replaces it.
- Bad rows (a required column missing, a wrong type, another user's row) are reported in
  :attr:`PullReport.rejected`, never crash the sync; extra columns, missing optional columns and
  unknown enum values are stored (the store's ``apply_remote_rows`` does that).
- Deletions only ever come from explicit ``delete`` changes, or from a full resync's complete
  listing confirmed as the signed-in user (see :meth:`Puller.resync`): an empty or anonymous
  answer is never read as "everything was deleted". ``sync_pull`` itself refuses the anon role.
- ``resync_required`` (no cursor yet, or the cursor is older than the log's retention): take the
  fresh cursor first, list every table with keyset-paged plain selects (``created_at, id``, at
  most 1000 rows a page, which is hosted Supabase's cap), then pull from that cursor; the first
  page of that pull proves the listing was made as the user, and in its transaction local synced
  rows the server no longer has are deleted (rows with outbox entries are kept) and the cursor
  is stored.
- The listing (a first sync: tens of thousands of rows) is fetched by :data:`LISTING_LANES`
  tasks at once (a table each, so our parsing and writing overlap the server's work) and
  stored set-based (:mod:`studio_desktop.store.bulk`): pages are staged as they arrive, and
  each table is stored in one transaction per :data:`BULK_BATCH_ROWS` rows, parents' tables
  first; the odd rows the
  set-based path hands back go through ``apply_remote_rows`` and the held-rows rule above. A
  crash during the listing leaves whole tables (or batches) stored and no cursor, so the next
  cycle lists again. Meanwhile the WAL is checkpointed in the background, not after each
  commit (``Database.pause_checkpoints``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from studio_desktop.domain.models import MODEL_BY_TABLE, TABLES
from studio_desktop.store import sync_state as keys
from studio_desktop.store.bulk import BulkLoad
from studio_desktop.store.repository import RejectedRow
from studio_desktop.store.tables import FOREIGN_KEYS
from studio_desktop.store.workspace import Store
from studio_desktop.sync.connection import Connection
from studio_desktop.sync.errors import AuthRequiredError, SyncError, TransientError
from studio_desktop.sync.retry import Requester
from studio_desktop.sync.worker import StoreRunner

log = logging.getLogger(__name__)

HELD = "held_rows"  # sync_state key: {table: {id: row}} waiting for their parents
DEFAULT_PAGE_SIZE = 1000
MAX_SELECT_PAGE = 1000  # hosted Supabase returns at most 1000 rows per select
#: A resync stores a table's listing in one transaction, or one per this many rows.
BULK_BATCH_ROWS = 20_000
#: Once a table's first batch is stored, its later batches are this small: what is left to
#: store when its last page arrives (the sync's tail, with the network idle) stays short.
LATER_BATCH_ROWS = 5_000
LISTING_QUEUE_PAGES = 16  # pages fetched ahead of the writing (about 1 MB each)
#: Tables listed at the same time during a resync (each lane pages through one table).
LISTING_LANES = 3
#: A table listed before its parents' tables are stored stops fetching at this many staged rows.
MAX_STAGED_AHEAD = 100_000
#: The tables each table's foreign keys point to (other than itself).
PARENT_TABLES: dict[str, frozenset[str]] = {
    table: frozenset(fk.parent for fk in FOREIGN_KEYS if fk.table == table and fk.parent != table)
    for table in TABLES
}
#: During a resync the WAL is checkpointed (in the background) once past this size, and at the
#: end; a checkpoint's fsync slows the commits around it, so not after every table.
RESYNC_WAL_BYTES = 128 * 1024 * 1024


@dataclass(slots=True)
class PullReport:
    pages: int = 0
    upserts: int = 0
    deletes: int = 0
    skipped_pending: int = 0
    held: int = 0  # rows still waiting for their parent after this pull
    ever_held: int = 0  # times a row had to wait for its parent during this pull
    rejected: list[RejectedRow] = field(default_factory=list)
    resynced: bool = False
    requests: int = 0
    rows_listed: int = 0
    cursor: str | None = None  # where the pull stopped (the stored cursor)


@dataclass(frozen=True, slots=True)
class Page:
    changes: list[dict[str, Any]]
    cursor: str
    has_more: bool
    resync_required: bool


def parse_page(data: Any) -> Page:
    """Check the RPC's answer; a malformed one is a server problem, not data."""
    if isinstance(data, list) and len(data) == 1:  # some PostgREST versions wrap scalars
        data = data[0]
    if not isinstance(data, Mapping):
        raise TransientError("The server's change log answered in an unexpected shape.")
    changes = data.get("changes")
    cursor = data.get("cursor")
    if not isinstance(changes, list) or not isinstance(cursor, str) or not cursor:
        raise TransientError("The server's change log answered without changes or cursor.")
    return Page(
        changes=[c for c in changes if isinstance(c, Mapping)],  # type: ignore[misc]
        cursor=cursor,
        has_more=bool(data.get("has_more")),
        resync_required=bool(data.get("resync_required")),
    )


class Puller:
    def __init__(
        self,
        store: Store,
        connection: Connection,
        requester: Requester,
        runner: StoreRunner,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        select_page_size: int = MAX_SELECT_PAGE,
        on_progress: Callable[[PullReport], None] | None = None,
    ) -> None:
        self.store = store
        self.connection = connection
        self.requester = requester
        self.runner = runner
        self.page_size = max(1, min(page_size, 5000))
        self.select_page_size = max(1, min(select_page_size, MAX_SELECT_PAGE))
        self.on_progress = on_progress

    # ------------------------------------------------------------------ requests
    def _require_user(self) -> None:
        """Refuse to read anything with the anon key (supabase-py falls back to it quietly)."""
        if self.connection.bearer_token() is None:
            raise AuthRequiredError("Not signed in: nothing is pulled with the anonymous key.")

    async def _fetch(self, cursor: str | None) -> Page:
        self._require_user()
        connection = self.connection
        params = {"p_cursor": cursor, "p_limit": self.page_size}
        response = await self.requester.send(
            lambda: connection.client.rpc("sync_pull", params).execute(), "pull changes"
        )
        return parse_page(response.data)

    # ------------------------------------------------------------------ the pull
    async def pull(self) -> PullReport:
        report = PullReport()
        before = self.connection.requests
        try:
            cursor = await self.runner.run(self.store.sync_state.get, keys.CURSOR)
            page = await self._fetch(cursor)
            if page.resync_required:
                await self.resync(page.cursor, report)
                return report
            await self._pages(cursor, page, report)
        finally:
            report.requests = self.connection.requests - before
        return report

    async def _pages(
        self,
        cursor: str | None,
        page: Page,
        report: PullReport,
        *,
        listing: dict[str, set[str]] | None = None,
    ) -> None:
        """Apply ``page`` and the ones after it, prefetching each next page while writing."""
        while True:
            if page.resync_required:
                raise TransientError("The change log asked for a resync in the middle of a pull.")
            upcoming: asyncio.Task[Page] | None = None
            if page.has_more:
                upcoming = asyncio.ensure_future(self._fetch(page.cursor))
            try:
                if page.changes or page.cursor != cursor or listing is not None:
                    await self.runner.run(self._apply_page, page, report, listing)
                    listing = None
                report.pages += 1
                if self.on_progress is not None:
                    self.on_progress(report)
            except BaseException:
                if upcoming is not None:
                    upcoming.cancel()
                    await asyncio.gather(upcoming, return_exceptions=True)
                raise
            cursor = page.cursor
            report.cursor = cursor
            if upcoming is None:
                return
            page = await upcoming

    # ------------------------------------------------------------------ applying (worker thread)
    def _owner_ok(self, change: Mapping[str, Any]) -> bool:
        owner = change.get("owner")
        return owner is None or str(owner) == self.store.user_id

    def _apply_page(
        self, page: Page, report: PullReport, listing: dict[str, set[str]] | None
    ) -> None:
        store = self.store
        with store.transaction():
            held: dict[str, dict[str, Any]] = store.sync_state.get(HELD, {}) or {}
            upserts: dict[str, dict[str, Mapping[str, Any]]] = {}
            deletes: dict[str, list[str]] = {}
            for change in page.changes:
                table = str(change.get("table") or "")
                row_id = str(change.get("id") or "")
                op = change.get("op")
                if table not in MODEL_BY_TABLE or not row_id or op not in ("upsert", "delete"):
                    report.rejected.append(
                        RejectedRow(table or "?", row_id or None, f"unknown change “{op}”")
                    )
                    continue
                if not self._owner_ok(change):
                    report.rejected.append(
                        RejectedRow(table, row_id, "a change of another user's row; ignored")
                    )
                    continue
                held.get(table, {}).pop(row_id, None)
                upserts.get(table, {}).pop(row_id, None)
                if op == "delete":
                    deletes.setdefault(table, []).append(row_id)
                    continue
                row = change.get("row")
                if not isinstance(row, Mapping):
                    report.rejected.append(RejectedRow(table, row_id, "an upsert without a row"))
                    continue
                upserts.setdefault(table, {})[row_id] = row
            if listing is not None:
                self._delete_unlisted(listing, report)
            self._apply_rows(upserts, held, report)
            for table in reversed(TABLES):
                ids = deletes.get(table)
                if ids:
                    result = store.rows.apply_remote_deletes(table, ids)
                    report.deletes += len(result.applied)
                    report.skipped_pending += len(result.skipped_pending)
            self._retry_held(held, report)
            store.sync_state.set(HELD, {t: rows for t, rows in held.items() if rows})
            store.sync_state.set(keys.CURSOR, page.cursor)
        report.held = sum(len(rows) for rows in held.values())

    def _user_ok(self, row: Mapping[str, Any]) -> bool:
        user = row.get("user_id")
        return user is None or str(user) == self.store.user_id

    def _missing_parent(self, table: str, row: Mapping[str, Any]) -> bool:
        for fk in FOREIGN_KEYS:
            if fk.table != table:
                continue
            value = row.get(fk.column)
            if value and not self.store.rows.exists(fk.parent, str(value)):
                return True
        return False

    def _apply_rows(
        self,
        upserts: dict[str, dict[str, Mapping[str, Any]]],
        held: dict[str, dict[str, Any]],
        report: PullReport,
    ) -> int:
        """Store rows parents-first; rows whose parent is not here yet go to ``held``."""
        applied = 0
        for table in TABLES:
            rows = upserts.get(table)
            if not rows:
                continue
            good = []
            for row_id, row in rows.items():
                if not self._user_ok(row):
                    report.rejected.append(
                        RejectedRow(table, row_id, "the row belongs to another user; ignored")
                    )
                else:
                    good.append(row)
            result = self.store.rows.apply_remote_rows(table, good)
            applied += len(result.applied)
            report.upserts += len(result.applied)
            report.skipped_pending += len(result.skipped_pending)
            for rejected in result.rejected:
                row = rows.get(rejected.row_id or "")
                if row is not None and self._missing_parent(table, row):
                    held.setdefault(table, {})[str(rejected.row_id)] = dict(row)
                    report.ever_held += 1
                else:
                    log.warning(
                        "a %s row from the server was not stored: %s", table, rejected.reason
                    )
                    report.rejected.append(rejected)
        return applied

    def _retry_held(self, held: dict[str, dict[str, Any]], report: PullReport) -> None:
        while any(held.values()):
            waiting = {t: dict(rows) for t, rows in held.items() if rows}
            for table in waiting:
                held[table] = {}
            before = report.upserts
            self._apply_rows(waiting, held, report)
            if report.upserts == before:
                # No progress: put back what is still waiting (rejected ones were reported).
                for table, rows in waiting.items():
                    for row_id, row in rows.items():
                        if row_id in held.get(table, {}):
                            held[table][row_id] = row
                return

    # ------------------------------------------------------------------ full resync
    async def resync(self, cursor: str, report: PullReport) -> None:
        """Rebuild the mirror from plain selects, keeping unsynced local work (module doc)."""
        report.resynced = True
        log.info("full resync of the mirror")
        # A table empty now can only gain listed rows and local changes (which are kept), so
        # its ids need no comparing with the listing afterwards (a first sync: no table does).
        empty = set(await self.runner.run(self._empty_tables))
        listing: dict[str, set[str]] = {t: set() for t in TABLES if t not in empty}
        # Then pull from the cursor taken BEFORE the listing (fetched as soon as the listing is,
        # while its last rows are still being written): the first page proves (sync_pull
        # refuses the anon role) that the listing was made as the user; its transaction deletes
        # what the server no longer has and stores the cursor.
        # Big transactions in a row: their WAL checkpoints run on a background thread.
        await self.runner.run(self.store.db.pause_checkpoints)
        try:
            page = await self._list_all(listing, report, then=lambda: self._fetch(cursor))
            if page.resync_required:
                raise TransientError("The change log asked for another resync; trying again later.")
            await self._pages(None, page, report, listing=listing)
        finally:
            try:
                await self.runner.run(self.store.db.resume_checkpoints)
            except Exception:  # closing: the connection's close checkpoints anyway
                log.warning("could not resume checkpoints after the resync", exc_info=True)

    async def _list_page(self, table: str, after: tuple[str, str] | None) -> list[dict[str, Any]]:
        """One keyset page of ``table`` after ``(created_at, id)``, as the signed-in user."""
        self._require_user()
        connection = self.connection
        limit = self.select_page_size

        def request() -> Any:
            query = (
                connection.client.table(table)
                .select("*")
                .order("created_at")
                .order("id")
                .limit(limit)
            )
            if after is not None:
                ts, row_id = after
                query = query.or_(f'created_at.gt."{ts}",and(created_at.eq."{ts}",id.gt.{row_id})')
            return query.execute()

        response = await self.requester.send(request, f"list {table}")
        data = response.data
        if not isinstance(data, list):
            raise TransientError(f"The server listed {table} in an unexpected shape.")
        return [r for r in data if isinstance(r, dict)]

    async def _list_all(
        self,
        listing: dict[str, set[str]],
        report: PullReport,
        then: Callable[[], Awaitable[Page]],
    ) -> Page:
        """Every table, page after page, and each table stored set-based once listed
        (``store.bulk``), in one transaction per table (or per :data:`BULK_BATCH_ROWS` rows).
        Collects the listed ids of the tables in ``listing``. ``then`` is requested as soon as
        the last page is in; returns its answer.

        :data:`LISTING_LANES` tasks list tables at the same time (each takes the next table in
        ``TABLES`` order and pages through it), so our parsing and staging overlap the server's
        work instead of waiting for it. This task stages the pages as they come and stores a
        table once it is complete and the tables its foreign keys point to are stored (so its
        rows find their parents); before it is complete, such a table is stored in batches
        (:data:`BULK_BATCH_ROWS` rows, then :data:`LATER_BATCH_ROWS`). A lane whose table must
        wait for its parents stops fetching once :data:`MAX_STAGED_AHEAD` of its rows are
        staged, so memory stays bounded.
        (``TABLES`` lists parents first, so a waiting table's parents are always being listed
        or done: the lanes cannot all wait.)
        """
        queue: asyncio.Queue[tuple[str, list[dict[str, Any]] | None] | BaseException]
        queue = asyncio.Queue(maxsize=LISTING_QUEUE_PAGES)
        limit = self.select_page_size
        unassigned = list(TABLES)
        unfinished = len(TABLES)  # tables whose last page is not in yet
        complete: set[str] = set()  # every page in
        stored: set[str] = set()  # complete and stored
        batched: set[str] = set()  # a first batch stored before the table was complete
        progress = asyncio.Condition()  # notified when tables are stored
        follow: list[asyncio.Future[Page]] = []
        load = self.store.rows.bulk_load(owner=self.store.user_id)

        def parents_stored(table: str) -> bool:
            return PARENT_TABLES[table] <= stored

        def may_fetch(table: str) -> bool:
            return parents_stored(table) or load.staged(table) < MAX_STAGED_AHEAD

        async def lane() -> None:
            nonlocal unfinished
            try:
                while unassigned:
                    table = unassigned.pop(0)
                    after: tuple[str, str] | None = None
                    while True:
                        if not may_fetch(table):
                            async with progress:
                                await progress.wait_for(lambda t=table: may_fetch(t))
                        rows = await self._list_page(table, after)
                        if len(rows) < limit:  # this table's last page
                            unfinished -= 1
                            if unfinished == 0:
                                follow.append(asyncio.ensure_future(then()))
                        await queue.put((table, rows))
                        if len(rows) < limit:
                            break
                        tail = rows[-1]
                        after = (str(tail.get("created_at")), str(tail.get("id")))
                    await queue.put((table, None))  # this table is complete
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # handed to the consumer, which raises it
                await queue.put(exc)

        async def store(table: str) -> None:
            if load.staged(table):
                await self.runner.run(self._apply_listed, load, table, report)

        def ready() -> list[str]:
            return [t for t in TABLES if t in complete and t not in stored and parents_stored(t)]

        async def store_what_can_be() -> None:
            before = len(stored)
            while waiting := ready():
                for table in waiting:
                    await store(table)
                    stored.add(table)
            for table in TABLES:  # big tables still listing: a batch now, not all at the end
                batch = LATER_BATCH_ROWS if table in batched else BULK_BATCH_ROWS
                if table not in stored and parents_stored(table) and load.staged(table) >= batch:
                    await store(table)
                    batched.add(table)
            if len(stored) > before:
                async with progress:
                    progress.notify_all()

        lanes = [asyncio.ensure_future(lane()) for _ in range(min(LISTING_LANES, len(TABLES)))]
        try:
            while len(stored) < len(TABLES):
                item = await queue.get()
                if isinstance(item, BaseException):
                    raise item
                table, rows = item
                if rows is None:
                    complete.add(table)
                elif rows:
                    if table in listing:
                        listing[table].update(str(r.get("id")) for r in rows)
                    report.rows_listed += len(rows)
                    await self.runner.run(load.stage, table, rows)
                await store_what_can_be()
            return await follow[0]
        finally:
            for task in (*lanes, *follow):
                if not task.done():
                    task.cancel()
            await asyncio.gather(*lanes, *follow, return_exceptions=True)
            await self.runner.run(load.close)

    def _apply_listed(self, load: BulkLoad, table: str, report: PullReport) -> None:
        """Store one table's staged rows: set-based, the odd ones row by row (held, rejected)."""
        with self.store.transaction():
            held: dict[str, dict[str, Any]] = self.store.sync_state.get(HELD, {}) or {}
            result = load.apply(table)
            report.upserts += len(result.applied)
            report.skipped_pending += len(result.skipped_pending)
            if result.leftovers:
                rows = {str(r.get("id")): r for r in result.leftovers}
                self._apply_rows({table: rows}, held, report)
            self.store.sync_state.set(HELD, {t: r for t, r in held.items() if r})
        if self.store.db.wal_bytes() > RESYNC_WAL_BYTES:  # keep the WAL bounded on big accounts
            self.store.db.checkpoint_soon()

    def _empty_tables(self) -> list[str]:
        db = self.store.db
        return [t for t in TABLES if db.query_one(f"SELECT 1 FROM {t} LIMIT 1") is None]

    def _delete_unlisted(self, listing: dict[str, set[str]], report: PullReport) -> None:
        """Local rows the complete listing did not contain (outbox rows are kept by the store).

        Only the tables in ``listing`` are compared (the resync leaves out those that were
        empty before it began)."""
        for table in reversed(TABLES):
            if table not in listing:
                continue
            seen = listing[table]
            local = [str(r[0]) for r in self.store.db.query(f"SELECT id FROM {table}")]
            gone = [row_id for row_id in local if row_id not in seen]
            if gone:
                result = self.store.rows.apply_remote_deletes(table, gone)
                report.deletes += len(result.applied)
                report.skipped_pending += len(result.skipped_pending)


__all__ = ["HELD", "Page", "PullReport", "Puller", "SyncError", "parse_page"]
