"""The History feed's page, as SQL: the one copy of it, and its early reader.

:meth:`~studio_desktop.store.queries.Queries.feed_page` reads a page with :func:`read_page`,
inside the store's read snapshot. :func:`read_first_page` reads the feed's first page the
same way, with nothing but ``sqlite3`` (a read-only connection of its own): the app paints it
right after the window's first paint, before the store, the services and the event loop
exist (see ``app.py``). So this module imports the standard library and the domain's models
only, never the rest of the store.

A page is newest first by ``(created_at, id)`` and ends with a :class:`FeedCursor` (keyset
paging: no duplicates and no gaps, even when rows are added meanwhile).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio_desktop.domain.models import Job, JobOutput
from studio_desktop.store.sql_rows import model_from_sql

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500

#: ``query(sql, params)``: the rows (mappings by column name) of one statement.
Query = Callable[[str, Sequence[Any]], Sequence[Any]]


@dataclass(frozen=True, slots=True)
class FeedCursor:
    """Where a feed page ended: the last job's ``created_at`` (stored text) and ``id``."""

    created_at: str
    id: str


@dataclass(frozen=True, slots=True)
class FeedFilter:
    """Empty tuples / ``None`` mean "any". Several types or statuses are alternatives."""

    types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    profile_id: str | None = None
    search: str | None = None


@dataclass(frozen=True, slots=True)
class FeedItem:
    job: Job
    outputs: tuple[JobOutput, ...]


@dataclass(frozen=True, slots=True)
class FeedPage:
    items: tuple[FeedItem, ...]
    next_cursor: FeedCursor | None  # None: this was the last page


def _cols(model: Any) -> str:
    return ", ".join(model.columns())


def read_page(
    query: Query,
    where: list[str],
    params: list[Any],
    cursor: FeedCursor | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> FeedPage:
    """One page of the jobs passing ``where`` (SQL conditions and their ``params``, from the
    feed's filter), newest first after ``cursor``, each with its outputs (oldest first).
    Run it inside one read snapshot: it is two statements."""
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    where = list(where)
    params = list(params)
    if cursor is not None:
        where.append("(created_at, id) < (?, ?)")
        params.extend((cursor.created_at, cursor.id))
    sql = f"SELECT {_cols(Job)} FROM jobs"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
    params.append(limit + 1)
    rows = query(sql, params)
    more = len(rows) > limit
    rows = rows[:limit]
    outputs = outputs_of(query, [r["id"] for r in rows])
    items = tuple(FeedItem(model_from_sql(Job, r), tuple(outputs.get(r["id"], ()))) for r in rows)
    next_cursor = FeedCursor(rows[-1]["created_at"], rows[-1]["id"]) if more else None
    return FeedPage(items, next_cursor)


def outputs_of(query: Query, job_ids: list[str]) -> dict[str, list[JobOutput]]:
    """The outputs of these jobs, by job, oldest first."""
    by_job: dict[str, list[JobOutput]] = {}
    if not job_ids:
        return by_job
    marks = ", ".join("?" * len(job_ids))
    for row in query(
        f"SELECT {_cols(JobOutput)} FROM job_outputs WHERE job_id IN ({marks}) "
        "ORDER BY job_id, created_at, id",
        job_ids,
    ):
        by_job.setdefault(row["job_id"], []).append(model_from_sql(JobOutput, row))
    return by_job


# ---------------------------------------------------------------------------- the early page
@dataclass(frozen=True, slots=True)
class FirstPage:
    """The unfiltered feed's first page of one database file, read before the store opened."""

    database: Path
    page: FeedPage
    #: Every profile's name by id (a row shows its job's profile).
    profile_names: dict[str, str] = field(default_factory=dict)


def read_first_page(
    database: Path, *, limit: int, schema_version: int, busy_timeout_ms: int = 50
) -> FirstPage | None:
    """The unfiltered feed's first page of ``database``, read on a read-only connection of its
    own, or ``None`` when it cannot be read now as the store would read it: no file yet, not
    at ``schema_version`` (the store's open migrates it first, or refuses a newer one), locked
    for longer than ``busy_timeout_ms``, damaged, or not a database. The store's open then
    checks, repairs or migrates the file as usual; this changes nothing in it."""
    path = Path(database)
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro",
            uri=True,
            timeout=busy_timeout_ms / 1000,
            isolation_level=None,
        )
    except (sqlite3.Error, OSError) as error:
        log.info("the early page of %s cannot be read: %s", path, error)
        return None
    try:
        conn.row_factory = sqlite3.Row
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version != schema_version:
            log.info(
                "no early page: %s is at data format %s, this version reads %s",
                path,
                version,
                schema_version,
            )
            return None
        conn.execute("BEGIN")  # one snapshot for the statements below

        def query(sql: str, params: Sequence[Any] = ()) -> list[Any]:
            return conn.execute(sql, params).fetchall()

        page = read_page(query, [], [], None, limit)
        names = {r["id"]: r["name"] for r in query("SELECT id, name FROM profiles")}
        conn.execute("COMMIT")
    except (sqlite3.Error, ValueError) as error:  # locked, damaged, a row it cannot read
        log.info("the early page of %s cannot be read: %s", path, error)
        return None
    finally:
        conn.close()
    return FirstPage(path.resolve(), page, names)
