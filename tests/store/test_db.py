"""Database: transactions, savepoints, after-commit hooks, threads, and error translation."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from studio_desktop.domain.errors import BugError, ExternalError
from studio_desktop.store.db import Database
from studio_desktop.store.errors import (
    StoreBugError,
    StoreConstraintError,
    StoreCorruptError,
    StoreDiskFullError,
    StoreEnvironmentError,
    StoreLockedError,
    StoreReadOnlyError,
    translate,
)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(tmp_path / "t.sqlite3")
    database.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    yield database
    database.close()


def values(db: Database) -> list[str]:
    return [r["v"] for r in db.query("SELECT v FROM t ORDER BY id")]


def test_connection_settings(db: Database) -> None:
    assert db.scalar("PRAGMA journal_mode") == "wal"
    assert db.scalar("PRAGMA foreign_keys") == 1
    assert db.scalar("PRAGMA synchronous") == 1  # NORMAL
    assert db.scalar("PRAGMA busy_timeout") == 5000


def test_commit_and_rollback(db: Database) -> None:
    with db.transaction():
        db.execute("INSERT INTO t (v) VALUES ('kept')")
    with pytest.raises(RuntimeError), db.transaction():
        db.execute("INSERT INTO t (v) VALUES ('dropped')")
        raise RuntimeError("boom")
    assert values(db) == ["kept"]
    assert not db.in_transaction


def test_nested_savepoint_rolls_back_alone(db: Database) -> None:
    with db.transaction():
        db.execute("INSERT INTO t (v) VALUES ('outer')")
        with pytest.raises(ValueError), db.transaction():
            db.execute("INSERT INTO t (v) VALUES ('inner')")
            raise ValueError
        with db.transaction():
            db.execute("INSERT INTO t (v) VALUES ('inner2')")
    assert values(db) == ["outer", "inner2"]


def test_error_in_outer_undoes_released_inner(db: Database) -> None:
    with pytest.raises(KeyError), db.transaction():
        with db.transaction():
            db.execute("INSERT INTO t (v) VALUES ('inner')")
        raise KeyError
    assert values(db) == []


def test_after_commit_runs_only_on_commit(db: Database) -> None:
    calls: list[str] = []
    with db.transaction() as tx:
        tx.after_commit(lambda: calls.append("outer"))
        with db.transaction() as inner:
            inner.after_commit(lambda: calls.append("inner-kept"))
        with pytest.raises(ValueError), db.transaction() as inner:
            inner.after_commit(lambda: calls.append("inner-dropped"))
            raise ValueError
        assert calls == []  # nothing before the outermost commit
    assert calls == ["outer", "inner-kept"]
    with pytest.raises(ValueError), db.transaction() as tx:
        tx.after_commit(lambda: calls.append("never"))
        raise ValueError
    assert "never" not in calls


def test_reader_thread_does_not_wait_for_writer(db: Database) -> None:
    """WAL + a connection per thread: a reader sees the last commit while a write is open."""
    db.execute("INSERT INTO t (v) VALUES ('committed')")
    seen: list[list[str]] = []
    started, release = threading.Event(), threading.Event()

    def writer() -> None:
        with db.transaction():
            db.execute("INSERT INTO t (v) VALUES ('uncommitted')")
            started.set()
            release.wait(5)

    thread = threading.Thread(target=writer)
    thread.start()
    assert started.wait(5)
    seen.append(values(db))  # the main thread's own connection
    release.set()
    thread.join()
    assert seen == [["committed"]]
    assert values(db) == ["committed", "uncommitted"]


def test_locked_is_an_environment_error(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    first = Database(path)
    second = Database(path, busy_timeout_ms=50)
    first.execute("CREATE TABLE t (v)")
    try:
        with first.transaction():
            first.execute("INSERT INTO t VALUES (1)")
            with pytest.raises(StoreLockedError) as info, second.transaction():
                pass
        assert isinstance(info.value, ExternalError)
        assert "busy" in info.value.message
    finally:
        first.close()
        second.close()


def test_disk_full_is_an_environment_error_and_nothing_half_written(db: Database) -> None:
    page_count = db.scalar("PRAGMA page_count")
    db.execute(f"PRAGMA max_page_count = {page_count + 1}")
    with pytest.raises(StoreDiskFullError) as info, db.transaction():
        db.execute("INSERT INTO t (v) VALUES ('small')")
        db.executemany("INSERT INTO t (v) VALUES (?)", [("x" * 4000,)] * 50)
    assert "space" in info.value.message
    assert values(db) == []
    assert not db.in_transaction


def test_read_only_is_an_environment_error(tmp_path: Path, db: Database) -> None:
    conn = sqlite3.connect(f"file:{db.path}?mode=ro", uri=True)
    try:
        with pytest.raises(sqlite3.Error) as raw:
            conn.execute("INSERT INTO t (v) VALUES ('x')")
        error = translate(raw.value, where="t.sqlite3")
        assert isinstance(error, StoreReadOnlyError)
        assert "cannot be written" in error.message
    finally:
        conn.close()


def test_not_a_database_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"this is a text file, not SQLite\n" * 200)
    with pytest.raises(StoreCorruptError) as info:
        Database(path)
    assert isinstance(info.value, StoreEnvironmentError)
    assert "damaged" in info.value.message


def test_our_bad_sql_is_a_bug(db: Database) -> None:
    with pytest.raises(StoreBugError) as info:
        db.execute("SELEKT 1")
    assert isinstance(info.value, BugError)
    assert info.value.sql == "SELEKT 1"
    with pytest.raises(StoreBugError):
        db.execute("SELECT * FROM no_such_table")
    with pytest.raises(StoreBugError):
        db.execute("SELECT ?", (1, 2))


def test_constraint_is_a_bug_error(db: Database) -> None:
    with pytest.raises(StoreConstraintError):
        db.execute("INSERT INTO t (v) VALUES (NULL)")


def test_use_after_close_is_a_bug(tmp_path: Path) -> None:
    database = Database(tmp_path / "c.sqlite3")
    database.close()
    database.close()  # idempotent
    with pytest.raises(StoreBugError):
        threading_result: list[BaseException] = []

        def other_thread() -> None:
            try:
                database.execute("SELECT 1")
            except BaseException as exc:
                threading_result.append(exc)

        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        raise threading_result[0]


def test_close_waits_for_a_statement_running_on_another_thread(tmp_path: Path) -> None:
    """Closing a sqlite3 connection while another thread steps one of its statements crashes
    the interpreter; close() must let that statement finish, and the thread's next use must
    be a clear error, not a crash."""
    db = Database(tmp_path / "busy.sqlite3")
    slow = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) "
        "SELECT count(*) FROM n"
    )
    started = threading.Event()
    results: list[object] = []

    def worker() -> None:
        db.scalar("SELECT 1")  # this thread's connection exists before the race
        started.set()
        results.append(db.scalar(slow))
        try:
            db.scalar("SELECT 1")
        except StoreBugError as exc:
            results.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    started.wait()
    time.sleep(0.05)  # let the slow statement get going (no signal exists for "inside step")
    db.close()
    thread.join()
    assert results[0] == 3_000_000
    assert isinstance(results[1], StoreBugError) and "after close" in results[1].message
