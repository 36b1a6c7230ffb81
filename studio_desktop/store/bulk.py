"""Set-based loading of many server rows at once: the full resync's listing (a first sync).

Writing a listing page by page, row by row, with every index, the full-text trigger and the
per-row checks in place, and a commit per page, costs far more than fetching it: the mirror's
indexes are keyed by random UUIDs, so every page touches (and every commit rewrites) most of
their B-tree pages. :class:`BulkLoad` instead works a table at a time:

1. :meth:`BulkLoad.stage` turns each page into plain tuples and appends them to a TEMP table
   (in memory, private to this connection, no indexes; no write lock on the database);
2. :meth:`BulkLoad.apply`, inside the caller's transaction, stores everything staged for one
   table with set-based statements:

   - rows that this path would not store exactly as :meth:`Repository.apply_remote_rows` does
     (a timestamp not in ``format_ts`` form, a float in an integer column, a missing column or
     a null where a default applies, another user's row, a parent that is not here, a value
     SQLite cannot bind) are handed back in :attr:`BulkResult.leftovers`, for the row-by-row
     path, which stores, reports or holds them as usual;
   - rows with outbox entries (pending local changes) are left alone (``skipped_pending``);
   - the others go in with ONE ``INSERT ... SELECT ... ON CONFLICT(id) DO UPDATE`` that does
     not rewrite rows that did not change;
   - when the table holds no more rows than the batch (a first sync), its non-unique indexes
     and its full-text triggers are dropped first, and rebuilt after (indexes sorted once; the
     search index filled with one statement): all inside the same transaction, so a crash or
     an error rolls back rows, indexes, triggers and search index together;
   - after commit, ``rows_changed`` gets ``ChangeSet(table, ids, "upsert", "remote")`` for the
     stored rows (the same contract as ``apply_remote_rows``).

All calls must come from ONE thread (the TEMP tables belong to that thread's connection);
another thread gets a :class:`~studio_desktop.store.errors.StoreBugError`::

    load = store.rows.bulk_load(owner=store.user_id)
    try:
        for page in pages:
            load.stage("jobs", page)
        with store.transaction():
            result = load.apply("jobs")
            store.rows.apply_remote_rows("jobs", result.leftovers)  # or hold/report them
    finally:
        load.close()
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import operator
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from studio_desktop.domain.models import MODEL_BY_TABLE, Row
from studio_desktop.store.db import Database
from studio_desktop.store.errors import StoreBugError, StoreConstraintError
from studio_desktop.store.migrations import search_body
from studio_desktop.store.tables import FOREIGN_KEYS, column_kind, required_columns

#: ``format_ts`` text: ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00`` (the date itself is checked apart).
_TS_GLOB = (
    "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]"
    ".[0-9][0-9][0-9][0-9][0-9][0-9]+00:00"
)
_INT64 = (-(2**63), 2**63 - 1)
_MAX_ROWS_PER_INSERT = 1000  # and at most SQLite's limit of parameters per statement
_names = itertools.count(1)


@dataclass(frozen=True, slots=True)
class _Derived:
    """Data kept by triggers, which a bulk load may drop and then rebuild in one go."""

    triggers: frozenset[str]
    refill: tuple[str, ...]


#: Per table: the triggers a bulk load may drop, and how to rebuild what they maintain.
#: A table with any other trigger is always loaded with its triggers in place.
DERIVED: dict[str, _Derived] = {
    "jobs": _Derived(
        frozenset({"jobs_search_insert", "jobs_search_update", "jobs_search_delete"}),
        (
            "DELETE FROM main.jobs_search",
            f"INSERT INTO main.jobs_search(rowid, body) SELECT rowid, {search_body('jobs')} "
            "FROM main.jobs",
        ),
    ),
}


@dataclass(slots=True)
class BulkResult:
    """What :meth:`BulkLoad.apply` did with everything staged for one table."""

    applied: list[str] = field(default_factory=list)
    skipped_pending: list[str] = field(default_factory=list)
    #: Rows for the row-by-row path (``Repository.apply_remote_rows``), as received.
    leftovers: list[dict[str, Any]] = field(default_factory=list)
    #: The table's indexes and search index were rebuilt (a first load).
    rebuilt: bool = False


@dataclass(frozen=True, slots=True)
class _Plan:
    """Everything about one table that does not change between loads."""

    table: str
    columns: tuple[str, ...]
    get: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    keys: frozenset[str]
    json_at: tuple[int, ...]
    int_at: tuple[int, ...]
    #: Whether a staged row is stored as it is (SQL over ``column1..columnN`` of a VALUES list).
    as_stored: str
    #: Rows whose parents are all here (SQL over the staging alias ``s``; never NULL).
    parents_here: str


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _as_stored(model: type[Row], owner: str | None) -> str:
    """SQL over the columns ``column1..columnN`` of a VALUES list: 1 when the row would be
    stored unchanged by ``Repository.apply_remote_rows`` (and belongs to ``owner``), else 0."""
    required = set(required_columns(model))
    parts: list[str] = []
    for n, column in enumerate(model.columns(), start=1):
        c = f"column{n}"
        kind = column_kind(model, column)
        if kind == "timestamp":
            parts.append(f"(typeof({c}) = 'text' AND {_real_timestamp(c)})")
        elif kind == "json":
            parts.append(f"typeof({c}) = 'text'")
        else:
            sql_type = "integer" if kind == "integer" else "text"
            allowed = f"'{sql_type}'" if column in required else f"'{sql_type}', 'null'"
            parts.append(f"typeof({c}) IN ({allowed})")
        if column == "user_id" and owner is not None:
            parts.append(f"{c} IS {_literal(owner)}")
    return "coalesce(" + " AND ".join(parts) + ", 0)"


def _real_timestamp(c: str) -> str:
    """SQL: ``c`` is in ``format_ts`` form and names a real date and time (year 0001..9999).

    String comparisons only (the GLOB has made every field two or four digits): SQLite's date
    functions would parse each value, at about three times the cost of the whole check.
    """
    year = f"substr({c}, 1, 4)"
    leap = f"({year} % 4 = 0 AND ({year} % 100 <> 0 OR {year} % 400 = 0))"
    month = f"substr({c}, 6, 2)"
    last_day = (
        f"CASE WHEN {month} IN ('01', '03', '05', '07', '08', '10', '12') THEN '31' "
        f"WHEN {month} IN ('04', '06', '09', '11') THEN '30' "
        f"WHEN {month} = '02' THEN CASE WHEN {leap} THEN '29' ELSE '28' END ELSE '' END"
    )
    return (
        f"{c} GLOB '{_TS_GLOB}' AND {year} <> '0000' AND substr({c}, 9, 2) BETWEEN '01' AND "
        f"{last_day} AND substr({c}, 12, 2) < '24' AND substr({c}, 15, 2) < '60' AND "
        f"substr({c}, 18, 2) < '60'"
    )


def _parents_here(table: str) -> str:
    parts = [
        f"(s.{fk.column} IS NULL OR EXISTS "
        f"(SELECT 1 FROM main.{fk.parent} p WHERE p.id = s.{fk.column}))"
        for fk in FOREIGN_KEYS
        if fk.table == table
    ]
    return " AND ".join(parts) if parts else "1"


@functools.cache
def _plan(table: str, owner: str | None) -> _Plan:
    model = MODEL_BY_TABLE.get(table)
    if model is None:
        raise StoreBugError(f"the store has no table {table!r}")
    columns = model.columns()
    kinds = [column_kind(model, c) for c in columns]
    return _Plan(
        table=table,
        columns=columns,
        get=operator.itemgetter(*columns),
        keys=frozenset(columns),
        json_at=tuple(i for i, k in enumerate(kinds) if k == "json"),
        int_at=tuple(i for i, k in enumerate(kinds) if k == "integer"),
        as_stored=_as_stored(model, owner),
        parents_here=_parents_here(table),
    )


@functools.lru_cache(maxsize=64)
def _staging_insert(plan: _Plan, name: str, rows: int) -> str:
    width = len(plan.columns)
    values = ", ".join(["(" + ", ".join("?" * width) + ")"] * rows)
    columns = ", ".join(f"column{n}" for n in range(1, width + 1))
    return (
        f"INSERT INTO temp.{name} ({', '.join(plan.columns)}, ok) "
        f"SELECT {columns}, {plan.as_stored} FROM (VALUES {values})"
    )


_encode_json = json.JSONEncoder().encode  # json.dumps() with its defaults, minus the call


def _converted(plan: _Plan, values: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """JSON columns as JSON text; None when the row-by-row path would treat the row in a way
    the staging cannot (a bool in an integer column is refused there, a null JSON value takes
    the model's default)."""
    for i in plan.int_at:
        if values[i].__class__ is bool:
            return None
    if not plan.json_at:
        return values
    items = list(values)
    for i in plan.json_at:
        if items[i] is None:
            return None
        try:
            items[i] = _encode_json(items[i])
        except (TypeError, ValueError):
            return None
    return tuple(items)


def _bindable(values: tuple[Any, ...]) -> bool:
    low, high = _INT64
    for value in values:
        if value is None or isinstance(value, str | float):
            continue
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            continue
        return False
    return True


class BulkLoad:
    """Stage server rows per table in TEMP tables, then store them set-based (module doc)."""

    def __init__(
        self,
        db: Database,
        *,
        owner: str | None = None,
        on_applied: Callable[[str, tuple[str, ...]], None] | None = None,
    ) -> None:
        self._db = db
        self._owner = owner
        self._on_applied = on_applied
        self._thread: int | None = None
        self._tables: dict[str, str] = {}  # mirror table -> its staging table
        self._ids: dict[str, list[Any]] = {}  # staged ids in staging rowid order (rowid - 1)
        self._odd: dict[str, list[Any]] = {}  # rows not staged (leftovers as they came)
        self._closed = False
        self._max_rows: int | None = None

    # ------------------------------------------------------------------ staging
    def _check_thread(self) -> None:
        if self._closed:
            raise StoreBugError("a bulk load was used after close()")
        me = threading.get_ident()
        if self._thread is None:
            self._thread = me
        elif self._thread != me:
            raise StoreBugError("a bulk load must be used from the thread that started it")

    def _staging(self, plan: _Plan) -> str:
        name = self._tables.get(plan.table)
        if name is None:
            name = f"bulk_{plan.table}_{next(_names)}"
            # No declared types: values keep the type they were bound with.
            self._db.execute(f"CREATE TEMP TABLE {name} ({', '.join(plan.columns)}, ok)")
            self._tables[plan.table] = name
        elif plan.table not in self._ids:  # a new batch after an apply
            self._db.execute(f"DELETE FROM temp.{name}")
        return name

    def staged(self, table: str) -> int:
        """Rows waiting for :meth:`apply` in ``table`` (staged and odd ones)."""
        return len(self._ids.get(table, ())) + len(self._odd.get(table, ()))

    def stage(self, table: str, rows: Iterable[Any]) -> int:
        """Append a page of server rows for ``table``; returns the rows now waiting for it.

        Takes no write lock. Rows that are not objects with every column of the table go
        straight to the leftovers of the next :meth:`apply`.
        """
        self._check_thread()
        plan = _plan(table, self._owner)
        name = self._staging(plan)
        ids = self._ids.setdefault(table, [])
        odd = self._odd.setdefault(table, [])
        keys, get, convert = plan.keys, plan.get, plan.json_at or plan.int_at
        values: list[tuple[Any, ...]] = []
        sources: list[Any] = []
        for row in rows:
            if type(row) is not dict or not keys <= row.keys():
                odd.append(row)
                continue
            t = get(row)
            if convert:
                t = _converted(plan, t)
                if t is None:
                    odd.append(row)
                    continue
            values.append(t)
            sources.append(row)
        if values:
            ids.extend(self._insert_staged(plan, name, values, sources, odd))
        return len(ids) + len(odd)

    def _insert_staged(
        self,
        plan: _Plan,
        name: str,
        values: list[tuple[Any, ...]],
        sources: list[Any],
        odd: list[Any],
    ) -> list[Any]:
        """Insert a page's tuples; returns the ids staged (in staging rowid order).

        Many rows per statement (a VALUES list): one call into SQLite per chunk instead of
        one per row, and whether each row is stored as it is (``ok``) worked out in there."""
        try:
            with self._db.transaction(write=False):  # all of the page or none of it
                self._insert_chunks(plan, name, values)
        except (StoreBugError, OverflowError, sqlite3.Error):
            # A value SQLite cannot bind (an object in a text column, a huge number): keep the
            # bindable rows, hand the others to the row-by-row path, which reports them.
            good = {i for i, v in enumerate(values) if _bindable(v)}
            odd.extend(sources[i] for i in range(len(values)) if i not in good)
            values = [values[i] for i in sorted(good)]
            with self._db.transaction(write=False):
                self._insert_chunks(plan, name, values)
        return [v[0] for v in values]

    def _insert_chunks(self, plan: _Plan, name: str, values: list[tuple[Any, ...]]) -> None:
        width = len(plan.columns)
        if self._max_rows is None:
            limit = self._db.variable_limit()
            self._max_rows = max(1, min(_MAX_ROWS_PER_INSERT, limit // width))
        step = self._max_rows
        for start in range(0, len(values), step):
            chunk = values[start : start + step]
            self._db.execute(
                _staging_insert(plan, name, len(chunk)), [v for row in chunk for v in row]
            )

    # ------------------------------------------------------------------ applying
    def apply(self, table: str) -> BulkResult:
        """Store everything staged for ``table`` (module doc); joins the caller's transaction.

        An error other than a broken constraint means the caller's transaction must roll back
        (which also restores any index or trigger dropped for the load).
        """
        self._check_thread()
        plan = _plan(table, self._owner)
        result = BulkResult()
        ids = self._ids.pop(table, [])
        result.leftovers.extend(r for r in self._odd.pop(table, []))
        name = self._tables.get(table)
        if not ids or name is None:
            return result
        db = self._db
        with db.transaction(savepoint=False):
            skip: set[int] = set()
            columns = ", ".join(f"s.{c}" for c in plan.columns)
            for row in db.query(
                f"SELECT s.rowid, {columns} FROM temp.{name} AS s "
                f"WHERE NOT (s.ok AND {plan.parents_here})"
            ):
                skip.add(int(row[0]))
                result.leftovers.append(self._as_received(plan, row))
            has_pending = db.query_one(
                "SELECT 1 FROM outbox WHERE table_name = ? LIMIT 1", (table,)
            )
            if has_pending is not None:
                for row in db.query(
                    f"SELECT s.rowid, s.id FROM temp.{name} AS s WHERE EXISTS "
                    "(SELECT 1 FROM main.outbox o WHERE o.table_name = ? AND o.row_id = s.id)",
                    (table,),
                ):
                    if int(row[0]) in skip:
                        continue
                    skip.add(int(row[0]))
                    result.skipped_pending.append(str(row[1]))
            chosen = [rowid for rowid in range(1, len(ids) + 1) if rowid not in skip]
            if chosen:
                if self._store(plan, name, skip, len(chosen), result):
                    result.applied = list(dict.fromkeys(str(ids[r - 1]) for r in chosen))
                else:  # a broken constraint (a unique key): row by row instead
                    result.leftovers.extend(
                        self._as_received(plan, row)
                        for row in db.query(f"SELECT s.rowid, {columns} FROM temp.{name} AS s")
                        if int(row[0]) not in skip
                    )
            if result.applied and self._on_applied is not None:
                self._on_applied(table, tuple(result.applied))
        return result

    @staticmethod
    def _as_received(plan: _Plan, row: sqlite3.Row) -> dict[str, Any]:
        out = dict(zip(plan.columns, tuple(row)[1 : len(plan.columns) + 1], strict=True))
        for i in plan.json_at:
            column = plan.columns[i]
            if isinstance(out[column], str):
                with contextlib.suppress(ValueError):
                    out[column] = json.loads(out[column])
        return out

    def _store(
        self, plan: _Plan, name: str, skip: set[int], count: int, result: BulkResult
    ) -> bool:
        """The one upsert; False (and nothing written) when it broke a constraint."""
        db = self._db
        table = plan.table
        where = "true"
        if skip:
            db.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name}_skip (n INTEGER PRIMARY KEY)")
            db.execute(f"DELETE FROM temp.{name}_skip")
            db.executemany(f"INSERT INTO temp.{name}_skip VALUES (?)", [(n,) for n in skip])
            where = f"s.rowid NOT IN (SELECT n FROM temp.{name}_skip)"
        columns = ", ".join(plan.columns)
        updates = ", ".join(f"{c} = excluded.{c}" for c in plan.columns if c != "id")
        mine = ", ".join(f"{table}.{c}" for c in plan.columns if c != "id")
        theirs = ", ".join(f"excluded.{c}" for c in plan.columns if c != "id")
        sql = (
            f"INSERT INTO main.{table} ({columns}) "
            f"SELECT {', '.join(f's.{c}' for c in plan.columns)} FROM temp.{name} AS s "
            f"WHERE {where} ORDER BY s.rowid "
            f"ON CONFLICT(id) DO UPDATE SET {updates} WHERE ({mine}) IS NOT ({theirs})"
        )
        dropped = self._drop_for_rebuild(table, count)
        result.rebuilt = dropped is not None
        try:
            try:
                db.execute(sql)
            except StoreConstraintError:
                stored = False
            else:
                stored = True
                if dropped is not None:
                    for statement in DERIVED[table].refill if table in DERIVED else ():
                        db.execute(statement)
        except BaseException:
            # The caller's transaction rolls back, which restores the schema too; put it back
            # here as well, in case a caller commits anyway.
            if dropped is not None:
                with contextlib.suppress(Exception):
                    self._restore(dropped)
            raise
        if dropped is not None:
            self._restore(dropped)
        if not stored:
            result.rebuilt = False
        return stored

    def _drop_for_rebuild(self, table: str, count: int) -> list[str] | None:
        """Drop the table's non-unique indexes and derived triggers when the load is at least
        as big as the table; returns the statements that recreate them (None: not dropped)."""
        db = self._db
        existing = int(db.scalar(f"SELECT count(*) FROM main.{table}"))
        if existing > count:
            return None
        triggers = db.query(
            "SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
            (table,),
        )
        derived = DERIVED.get(table)
        known = derived.triggers if derived is not None else frozenset()
        if any(t["name"] not in known for t in triggers):
            return None  # a trigger this module does not know how to replay
        indexes = db.query(
            "SELECT m.name, m.sql FROM main.sqlite_master m "
            "JOIN pragma_index_list(?) l ON l.name = m.name "
            "WHERE m.type = 'index' AND l.origin = 'c' AND l.\"unique\" = 0 AND m.sql IS NOT NULL",
            (table,),
        )
        restore: list[str] = []
        for index in indexes:
            db.execute(f"DROP INDEX main.{index['name']}")
            restore.append(index["sql"])
        for trigger in triggers:
            db.execute(f"DROP TRIGGER main.{trigger['name']}")
            restore.append(trigger["sql"])
        return restore

    def _restore(self, statements: list[str]) -> None:
        for statement in statements:
            self._db.execute(statement)

    # ------------------------------------------------------------------ the end
    def close(self) -> None:
        """Drop the staging tables (idempotent; call it from the staging thread)."""
        if self._closed:
            return
        self._closed = True
        names = list(self._tables.values())
        self._tables.clear()
        self._ids.clear()
        self._odd.clear()
        if self._db.closed or (self._thread is not None and self._thread != threading.get_ident()):
            return  # the connection (and its TEMP tables) goes with its thread / the database
        for name in names:
            with contextlib.suppress(Exception):
                self._db.execute(f"DROP TABLE IF EXISTS temp.{name}")
                self._db.execute(f"DROP TABLE IF EXISTS temp.{name}_skip")
