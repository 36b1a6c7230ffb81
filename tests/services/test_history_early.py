"""The History's early page (``services/history_early.py``, ``store/feed_sql.py``) over a real
SQLite store: it is the feed's first page row for row, read with ``sqlite3`` alone before the
store opens; the live feed takes it over without reading it again or resetting, reads again
only what was written since, and does not take it over when it cannot be trusted. Files that
cannot be read early (missing, old, newer, locked, damaged, not a database) give no early page.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from studio_desktop.domain.enums import JobStatus, JobType
from studio_desktop.domain.models import Profile, new_id
from studio_desktop.services.history import HistoryFilter
from studio_desktop.services.history_early import EarlyFeed, read_early_feed
from studio_desktop.services.history_feed import HistoryFeed
from studio_desktop.services.history_rows import PAGE_SIZE
from studio_desktop.store import workspace as workspace_module
from studio_desktop.store.db import Database
from studio_desktop.store.feed_sql import read_first_page
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.migrations import LATEST_VERSION, migrate
from studio_desktop.store.queries import FeedFilter
from studio_desktop.store.workspace import Store, open_local_store
from tests.services.conftest import World, run
from tests.services.test_history_feed import Heard, check, seed, until


def fresh(data_root: Path) -> Store:
    return open_local_store(DataDirs(data_root).ensure())


def seeded(data_root: Path, jobs: int = 90) -> tuple[Path, list[Any], Profile]:
    """A closed local workspace with ``jobs`` jobs (mixed types, statuses and outputs) and a
    profile some of them were made for; returns its database, the jobs (newest first), the
    profile."""
    store = fresh(data_root)
    profile = Profile(id=new_id(), user_id=store.user_id, name="Mia")
    store.rows.save(profile)
    made = seed(store, jobs // 3, outputs=3, extra={"profileId": profile.id})
    made += seed(store, jobs // 3, outputs=0, start=jobs // 3, status=JobStatus.FAILED)
    made += seed(
        store,
        jobs - 2 * (jobs // 3),
        outputs=1,
        start=2 * (jobs // 3),
        job_type=JobType.CANVAS_EDIT,
        key="instruction",
    )
    database = store.dirs.database
    store.close()
    return database, made, profile


def rows_of(feed: Any) -> list[tuple[Any, tuple[Any, ...], str | None]]:
    """Every row as the History shows it: the job, its outputs, its profile's name."""
    return [
        (feed.row(r).job, feed.row(r).outputs, feed.profile_name(feed.row(r).job))
        for r in range(len(feed))
    ]


# ---------------------------------------------------------------------------- the page
def test_the_early_page_is_the_feeds_first_page_row_for_row(data_root: Path) -> None:
    database, made, profile = seeded(data_root)
    early = read_early_feed(database)
    assert early is not None
    assert early.database == database.resolve()
    assert early.job_ids() == [j.id for j in made][:PAGE_SIZE]
    assert early.has_more and not early.can_fetch_more and early.loaded_once
    assert early.profile_names == {profile.id: "Mia"}
    check(early)  # type: ignore[arg-type]

    store = fresh(data_root)
    try:
        page = store.queries.feed_page(FeedFilter(), None, PAGE_SIZE)
        assert [(i.job, i.outputs) for i in page.items] == [
            (early.row(r).job, early.row(r).outputs) for r in range(len(early))
        ]

        async def scenario(w: World) -> list[Any]:
            feed = w.history.open_feed()
            feed.reload()
            await until(lambda: feed.loaded_once and not feed.is_loading and feed.profile_names)
            return rows_of(feed)

        assert run(store, scenario) == rows_of(early)
    finally:
        store.close()


def test_a_filter_chosen_on_the_early_page_is_kept_for_the_live_feed(data_root: Path) -> None:
    database, _made, _profile = seeded(data_root, 12)
    early = read_early_feed(database)
    assert early is not None
    wanted = HistoryFilter(types=(JobType.CANVAS_EDIT,))
    early.set_filter(wanted)
    early.fetch_more()
    early.reload()
    assert early.wanted_filter == wanted
    assert early.filters == HistoryFilter(), "the rows shown are still the unfiltered page"
    assert len(early) == 12


def test_no_early_page_where_the_file_cannot_be_read_as_the_store_would(
    data_root: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "store.sqlite3"
    assert read_first_page(missing, limit=60, schema_version=LATEST_VERSION) is None

    not_a_database = tmp_path / "text.sqlite3"
    not_a_database.write_text("this is not a database\n" * 200)
    assert read_first_page(not_a_database, limit=60, schema_version=LATEST_VERSION) is None

    database, _made, _profile = seeded(data_root, 6)
    # A newer app's file, or one the store must migrate first.
    assert read_first_page(database, limit=60, schema_version=LATEST_VERSION - 1) is None
    assert read_first_page(database, limit=60, schema_version=LATEST_VERSION + 1) is None
    old = tmp_path / "old.sqlite3"
    db = Database(old)
    migrate(db, target=LATEST_VERSION - 1)
    db.close()
    assert read_first_page(old, limit=60, schema_version=LATEST_VERSION) is None

    # Locked: another program holds the file exclusively.
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert read_first_page(database, limit=60, schema_version=LATEST_VERSION) is None
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert read_first_page(database, limit=60, schema_version=LATEST_VERSION) is not None


def test_an_empty_workspace_has_no_early_page(data_root: Path) -> None:
    store = fresh(data_root)
    database = store.dirs.database
    store.close()
    assert read_first_page(database, limit=60, schema_version=LATEST_VERSION) is not None
    assert read_early_feed(database) is None, "its empty state and welcome come with it"


# ---------------------------------------------------------------------------- adoption
def test_the_live_feed_takes_the_early_rows_over_without_reading_or_resetting(
    data_root: Path,
) -> None:
    database, made, _profile = seeded(data_root)
    early = read_early_feed(database)
    assert early is not None
    shown = rows_of(early)
    store = fresh(data_root)
    pages: list[Any] = []
    real_page = store.queries.feed_page

    def counted(*args: Any) -> Any:
        pages.append(args)
        return real_page(*args)

    store.queries.feed_page = counted  # type: ignore[method-assign]

    async def scenario(w: World) -> None:
        feed = w.history.open_feed()
        heard = Heard(feed)
        assert feed.adopt(early)
        assert rows_of(feed) == shown and feed.loaded_once and not feed.is_loading
        assert feed.can_fetch_more and feed.has_more
        await until(lambda: feed.profile_names != {} and not feed._tasks)
        assert pages == [], "the first page is not read again"
        assert heard.of("resetting", "reset", "rows_removing", "rows_inserting") == []
        assert rows_of(feed) == shown
        feed.fetch_more()  # the next page follows the early page's cursor
        await until(lambda: not feed.is_loading)
        assert len(pages) == 1
        assert feed.job_ids() == [j.id for j in made][: 2 * PAGE_SIZE]
        check(feed)
        assert not heard.of("crashed", "load_failed")
        feed.close()

    try:
        run(store, scenario)
    finally:
        store.close()


def test_what_was_written_after_the_early_read_is_read_again(data_root: Path) -> None:
    database, made, _profile = seeded(data_root)
    early = read_early_feed(database)
    assert early is not None
    store = fresh(data_root)
    # Written after the early read, before the feed exists (a job the last session left
    # running, resumed and finished meanwhile; a deletion; a job that arrived; an output gone).
    finished = made[1]
    store.rows.save(replace(finished, status=JobStatus.CANCELED))
    store.rows.delete("jobs", made[2].id)
    newest = seed(store, 1, outputs=2, start=-5, prompt="Arrived meanwhile")[0]
    gone_output = early.row(0).outputs[0]
    store.rows.delete("job_outputs", gone_output.id)

    async def scenario(w: World) -> tuple[list[Any], list[Any]]:
        feed = w.history.open_feed()
        assert feed.adopt(early)
        await until(lambda: feed.event_reads >= 1 and not feed._tasks)
        fresh_feed = w.history.open_feed()
        fresh_feed.reload()
        await until(lambda: fresh_feed.loaded_once and not fresh_feed.is_loading)
        await until(lambda: not fresh_feed._tasks)
        check(feed)
        adopted = rows_of(feed)[:PAGE_SIZE]
        feed.close()
        fresh_feed.close()
        return adopted, rows_of(fresh_feed)

    try:
        adopted, expected = run(store, scenario)
    finally:
        store.close()
    assert adopted == expected
    assert adopted[0][0].id == newest.id
    assert adopted[2][0].id == made[1].id and adopted[2][0].status == JobStatus.CANCELED
    assert made[2].id not in [row[0].id for row in adopted]
    assert gone_output.id not in [o.id for o in adopted[1][1]]


def test_no_takeover_from_another_workspace_a_repaired_one_or_unknown_writes(
    data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database, _made, _profile = seeded(data_root, 30)
    early = read_early_feed(database)
    assert early is not None

    def adopts(store: Store, early_feed: EarlyFeed, filters: HistoryFilter | None = None) -> bool:
        async def scenario(w: World) -> bool:
            feed: HistoryFeed = w.history.open_feed()
            if filters is not None:
                feed._filter = filters
            adopted = feed.adopt(early_feed)
            if not adopted:
                assert len(feed) == 0 and not feed.loaded_once, "nothing changed"
            feed.close()
            return adopted

        return run(store, scenario)

    # Another workspace's database.
    other = open_local_store(DataDirs(tmp_path / "other").ensure())
    try:
        assert not adopts(other, early)
    finally:
        other.close()
    # Another filter than the early page's.
    store = fresh(data_root)
    try:
        assert not adopts(store, early, HistoryFilter(search="linen"))
        assert adopts(store, early)
        assert not adopts(store, early), "the journal was taken: what came since is unknown"
    finally:
        store.close()
    # More was written since the open than the journal keeps.
    monkeypatch.setattr(workspace_module, "JOURNAL_LIMIT", 3)
    store = fresh(data_root)
    try:
        seed(store, 2, outputs=1, start=-10)
        assert store.journal is not None and store.journal.take() is None
        assert not adopts(store, early)
    finally:
        store.close()


def test_a_damaged_database_is_repaired_and_its_early_page_not_taken_over(
    data_root: Path,
) -> None:
    database, _made, _profile = seeded(data_root, 90)
    size = database.stat().st_size
    with database.open("r+b") as file:  # damage pages past the first (the page is read first)
        file.seek(size // 2)
        file.write(b"\xde\xad\xbe\xef" * 2048)
    early = read_early_feed(database)
    store = fresh(data_root)
    try:
        assert store.recovery is not None, "the open found and repaired the damage"
        if early is not None:

            async def scenario(w: World) -> bool:
                feed = w.history.open_feed()
                adopted = feed.adopt(early)
                feed.close()
                return adopted

            assert not run(store, scenario)
    finally:
        store.close()
