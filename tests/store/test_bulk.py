"""The set-based bulk load (``store.bulk``): it stores exactly what the row-by-row path stores,
leaves pending local changes alone, hands every odd row back, keeps the search index and the
schema right, tells the UI what changed, and a crash at any point leaves a consistent mirror."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from studio_desktop.domain.models import MODEL_BY_TABLE, TABLES, Job, new_id
from studio_desktop.store import db as db_module
from studio_desktop.store.bulk import BulkResult
from studio_desktop.store.errors import StoreBugError
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.queries import FeedFilter
from studio_desktop.store.repository import ApplyResult, ChangeSet
from studio_desktop.store.workspace import Store, open_account_store
from tests.store.conftest import PROJECT

WORDS = ("linen", "wool", "denim", "silk", "velvet", "tweed")


def _ts(n: int) -> str:
    day, hour, minute, second = 1 + n // 86400 % 28, n // 3600 % 24, n // 60 % 60, n % 60
    return f"2025-03-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}.{n % 1000000:06d}+00:00"


def server_rows(user_id: str, jobs: int = 30) -> dict[str, list[dict[str, Any]]]:
    """Rows shaped like PostgREST's answer (every column, timestamps in format_ts form)."""
    out: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
    for n in range(jobs):
        job_id = new_id()
        out["jobs"].append(
            {
                "id": job_id,
                "user_id": user_id,
                "type": "product_pack",
                "status": "succeeded",
                "input_json": {"prompt": f"a {WORDS[n % len(WORDS)]} coat number{n}"},
                "provider_operation_id": None,
                "error": None,
                "created_at": _ts(n * 61),
                "updated_at": _ts(n * 61 + 5),
            }
        )
        for k in range(2):
            output_id = new_id()
            out["job_outputs"].append(
                {
                    "id": output_id,
                    "job_id": job_id,
                    "kind": "image",
                    "angle": "front",
                    "mime_type": "image/png",
                    "storage_path": f"{user_id}/jobs/{job_id}/{output_id}.png",
                    "width": 512,
                    "height": 768,
                    "created_at": _ts(n * 61 + k),
                }
            )
    for n in range(jobs // 3):
        thread_id = new_id()
        out["canvas_threads"].append(
            {
                "id": thread_id,
                "user_id": user_id,
                "title": f"creation {n}",
                "base_storage_bucket": None,
                "base_storage_path": None,
                "source_job_id": out["jobs"][n]["id"],
                "created_at": _ts(n),
                "updated_at": _ts(n),
            }
        )
    return out


@pytest.fixture
def stores(data_root: Path) -> Iterator[tuple[Store, Store, str]]:
    """Two empty stores of the same user: one loaded in bulk, one row by row (the reference)."""
    user_id = new_id()
    a = open_account_store(DataDirs(data_root / "a"), PROJECT, user_id)
    b = open_account_store(DataDirs(data_root / "b"), PROJECT, user_id)
    try:
        yield a, b, user_id
    finally:
        a.close()
        b.close()


@dataclasses.dataclass
class Loaded:
    result: BulkResult
    leftovers: ApplyResult | None  # what the row-by-row path did with the leftovers


def bulk_apply(
    store: Store, rows: dict[str, list[dict[str, Any]]], *, owner: str | None = None
) -> dict[str, Loaded]:
    """Stage in pages of 7 and apply table by table; leftovers go row by row (as the pull)."""
    results: dict[str, Loaded] = {}
    load = store.rows.bulk_load(owner=owner)
    try:
        for table in TABLES:
            for start in range(0, len(rows[table]), 7):
                load.stage(table, rows[table][start : start + 7])
            with store.transaction():
                result = load.apply(table)
                again = (
                    store.rows.apply_remote_rows(table, result.leftovers)
                    if result.leftovers
                    else None
                )
            results[table] = Loaded(result, again)
    finally:
        load.close()
    return results


def dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table in TABLES:
        columns = ", ".join(MODEL_BY_TABLE[table].columns())
        out[table] = [
            tuple(r) for r in store.db.query(f"SELECT {columns} FROM {table} ORDER BY id")
        ]
    return out


def search_index(store: Store) -> list[tuple[str, str]]:
    return [
        (r[0], r[1])
        for r in store.db.query(
            "SELECT j.id, s.body FROM jobs_search s JOIN jobs j ON j.rowid = s.rowid ORDER BY j.id"
        )
    ]


def schema(store: Store) -> list[tuple[str, str, str]]:
    return [
        tuple(r)
        for r in store.db.query(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name"
        )
    ]


# ---------------------------------------------------------------------- same result
def test_bulk_load_stores_what_the_row_by_row_path_stores(
    stores: tuple[Store, Store, str],
) -> None:
    bulk, reference, user_id = stores
    rows = server_rows(user_id)
    before = schema(bulk)
    results = {t: r.result for t, r in bulk_apply(bulk, rows, owner=user_id).items()}
    for table in TABLES:
        reference.rows.apply_remote_rows(table, rows[table])
    assert dump(bulk) == dump(reference)
    assert sum(len(v) for v in dump(bulk).values()) == 30 + 60 + 10
    assert results["jobs"].rebuilt and results["job_outputs"].rebuilt
    assert not any(r.leftovers or r.skipped_pending for r in results.values())
    # Indexes and triggers are back, word for word; the search index matches the triggers'.
    assert schema(bulk) == before
    assert search_index(bulk) == search_index(reference)
    assert bulk.db.scalar("PRAGMA integrity_check") == "ok"
    assert bulk.db.query("PRAGMA foreign_key_check") == []


def test_search_finds_jobs_after_a_bulk_load_and_after_a_bulk_update(
    stores: tuple[Store, Store, str],
) -> None:
    store, _, user_id = stores
    rows = server_rows(user_id)
    bulk_apply(store, rows, owner=user_id)
    page = store.queries.feed_page(FeedFilter(search="velvet"), None, 50)
    assert {i.job.id for i in page.items} == {
        r["id"] for r in rows["jobs"] if "velvet" in r["input_json"]["prompt"]
    }
    assert len(page.items) == 5
    # A second, smaller load of changed rows goes in with indexes and triggers in place.
    changed = [dict(r, input_json={"prompt": "a cashmere scarf"}) for r in rows["jobs"][:3]]
    load = store.rows.bulk_load(owner=user_id)
    try:
        load.stage("jobs", changed)
        with store.transaction():
            result = load.apply("jobs")
    finally:
        load.close()
    assert not result.rebuilt and sorted(result.applied) == sorted(r["id"] for r in changed)
    found = store.queries.feed_page(FeedFilter(search="cashmere"), None, 50)
    assert sorted(i.job.id for i in found.items) == sorted(r["id"] for r in changed)
    still = store.queries.feed_page(FeedFilter(search="number0"), None, 50)
    assert still.items == ()  # job 0's old prompt is no longer found


def test_rows_with_pending_local_changes_are_left_alone(stores: tuple[Store, Store, str]) -> None:
    store, _, user_id = stores
    rows = server_rows(user_id, jobs=12)
    mine = rows["jobs"][4]
    local = Job(
        id=mine["id"],
        user_id=user_id,
        type="product_pack",
        input_json={"prompt": "edited here, not pushed yet"},
    )
    store.rows.save(local)
    jobs = bulk_apply(store, rows, owner=user_id)["jobs"].result
    assert jobs.skipped_pending == [mine["id"]]
    assert mine["id"] not in jobs.applied
    kept = store.rows.get(Job, mine["id"])
    assert kept is not None and kept.input_json == {"prompt": "edited here, not pushed yet"}
    assert store.rows.count("jobs") == 12
    assert store.outbox.counts().pending == 1
    found = store.queries.feed_page(FeedFilter(search="pushed"), None, 10)
    assert [i.job.id for i in found.items] == [mine["id"]]


def test_odd_rows_are_handed_back_and_then_stored_or_reported_like_row_by_row(
    stores: tuple[Store, Store, str],
) -> None:
    bulk, reference, user_id = stores
    rows = server_rows(user_id, jobs=12)
    jobs, outputs = rows["jobs"], rows["job_outputs"]
    jobs[0]["created_at"] = "2025-03-01 10:00:00+00"  # Postgres text form: normalised
    jobs[1]["updated_at"] = "2025-02-30T10:00:00.000000+00:00"  # not a date: rejected
    jobs[2]["status"] = None  # a null in a nullable column: stored as it is (no hand-back)
    del jobs[3]["error"]  # a missing optional column: its default
    jobs[4]["input_json"] = None  # JSON null: the default {}
    jobs[5]["user_id"] = new_id()  # another user's row: handed back (the pull refuses it)
    jobs[6]["type"] = 7  # a number in a text column: rejected
    jobs[7]["extra"] = "a newer server's column"  # ignored (no hand-back)
    # Outputs of jobs 8..11 (two each), whose parents are fine.
    outputs[16]["width"] = 512.0  # an integral float: stored as 512
    outputs[17]["width"] = True  # a bool: rejected
    outputs[18]["height"] = 2**70  # too large for SQLite: rejected
    outputs[19]["angle"] = {"an": "object"}  # cannot be bound: rejected
    outputs[20]["job_id"] = new_id()  # a parent that is not here: rejected (held by the pull)
    outputs[21]["created_at"] = "2025-03-01T10:00:00.5+00:00"  # short fraction: normalised
    outputs.append("not an object")  # type: ignore[arg-type]
    results = bulk_apply(bulk, rows, owner=user_id)
    jobs_back = {r["id"] for r in results["jobs"].result.leftovers}
    assert jobs_back == {jobs[n]["id"] for n in (0, 1, 3, 4, 5, 6)}
    back = results["job_outputs"].result.leftovers
    orphans = (2, 3, 12, 13)  # the outputs of the rejected jobs 1 and 6
    assert {r["id"] for r in back if isinstance(r, dict)} == {
        outputs[n]["id"] for n in (*range(16, 22), *orphans)
    }
    assert "not an object" in back
    # Handed back as received: the row-by-row path then decides exactly as it always has.
    for table in TABLES:
        reference.rows.apply_remote_rows(table, rows[table])
    assert dump(bulk) == dump(reference)
    jobs_again, outputs_again = results["jobs"].leftovers, results["job_outputs"].leftovers
    assert jobs_again is not None and outputs_again is not None
    assert {r.row_id for r in jobs_again.rejected} == {jobs[1]["id"], jobs[6]["id"]}
    refused = {outputs[n]["id"] for n in (17, 18, 19, 20, *orphans)}
    assert {r.row_id for r in outputs_again.rejected} == {*refused, None}
    normalised = bulk.db.scalar("SELECT created_at FROM jobs WHERE id = ?", (jobs[0]["id"],))
    assert normalised == "2025-03-01T10:00:00.000000+00:00"
    assert search_index(bulk) == search_index(reference)


@pytest.mark.parametrize(
    ("stamp", "as_is"),
    [
        ("2024-02-29T23:59:59.999999+00:00", True),  # a leap day
        ("2000-02-29T00:00:00.000000+00:00", True),  # divisible by 400: a leap year
        ("1900-02-29T00:00:00.000000+00:00", False),  # divisible by 100 only: not one
        ("2025-02-29T00:00:00.000000+00:00", False),
        ("2025-04-31T00:00:00.000000+00:00", False),
        ("2025-12-31T23:59:59.000000+00:00", True),
        ("2025-13-01T00:00:00.000000+00:00", False),
        ("2025-00-10T00:00:00.000000+00:00", False),
        ("2025-01-00T00:00:00.000000+00:00", False),
        ("2025-01-01T24:00:00.000000+00:00", False),
        ("2025-01-01T23:60:00.000000+00:00", False),
        ("2025-01-01T23:59:60.000000+00:00", False),
        ("0000-01-01T00:00:00.000000+00:00", False),
        ("2025-01-01T10:00:00+00:00", False),  # no fraction (Postgres drops .000000)
    ],
)
def test_only_real_timestamps_in_stored_form_skip_the_row_by_row_path(
    stores: tuple[Store, Store, str], stamp: str, as_is: bool
) -> None:
    """The set-based check of a timestamp agrees with what ``apply_remote_rows`` does."""
    bulk, reference, user_id = stores
    rows = server_rows(user_id, jobs=1)
    rows["jobs"][0]["updated_at"] = stamp
    results = bulk_apply(bulk, rows, owner=user_id)
    handed_back = [r["id"] for r in results["jobs"].result.leftovers]
    assert handed_back == ([] if as_is else [rows["jobs"][0]["id"]])
    for table in TABLES:
        reference.rows.apply_remote_rows(table, rows[table])
    assert dump(bulk) == dump(reference)


def test_a_child_before_its_parent_is_handed_back_then_stored_once_the_parent_is_here(
    stores: tuple[Store, Store, str],
) -> None:
    store, _, user_id = stores
    rows = server_rows(user_id, jobs=6)
    load = store.rows.bulk_load(owner=user_id)
    try:
        load.stage("job_outputs", rows["job_outputs"])  # the children first
        load.stage("jobs", rows["jobs"])
        with store.transaction():
            children = load.apply("job_outputs")
        assert children.applied == [] and len(children.leftovers) == 12
        with store.transaction():
            parents = load.apply("jobs")
            assert len(parents.applied) == 6
            again = store.rows.apply_remote_rows("job_outputs", children.leftovers)
        assert len(again.applied) == 12 and not again.rejected
    finally:
        load.close()
    assert store.rows.count("job_outputs") == 12


def test_a_broken_unique_key_falls_back_to_row_by_row(stores: tuple[Store, Store, str]) -> None:
    store, _, user_id = stores
    local = {
        "id": new_id(),
        "user_id": user_id,
        "source_hash": "abc",
        "source_kind": "upload",
        "storage_bucket": None,
        "storage_path": None,
        "mime_type": None,
        "created_at": _ts(1),
    }
    store.rows.apply_remote_rows("garment_cutouts", [local])
    clash = dict(local, id=new_id())  # same (user, hash, kind), another id
    fine = dict(local, id=new_id(), source_hash="def")
    load = store.rows.bulk_load(owner=user_id)
    try:
        load.stage("garment_cutouts", [clash, fine])
        with store.transaction():
            result = load.apply("garment_cutouts")
            assert result.applied == []
            again = store.rows.apply_remote_rows("garment_cutouts", result.leftovers)
    finally:
        load.close()
    assert again.applied == [fine["id"]]
    assert [r.row_id for r in again.rejected] == [clash["id"]]


# ---------------------------------------------------------------------- events
def test_rows_changed_tells_the_ui_after_commit_only(stores: tuple[Store, Store, str]) -> None:
    store, _, user_id = stores
    rows = server_rows(user_id, jobs=9)
    seen: list[ChangeSet] = []
    store.rows.rows_changed.connect(seen.append)
    load = store.rows.bulk_load(owner=user_id)
    try:
        load.stage("jobs", rows["jobs"])
        with pytest.raises(RuntimeError), store.transaction():
            load.apply("jobs")
            assert seen == []
            raise RuntimeError("the page failed later")
        assert store.rows.count("jobs") == 0 and seen == []
        load.stage("jobs", rows["jobs"])
        with store.transaction():
            load.apply("jobs")
            assert seen == []
    finally:
        load.close()
    assert seen == [ChangeSet("jobs", tuple(r["id"] for r in rows["jobs"]), "upsert", "remote")]


def test_a_bulk_load_belongs_to_one_thread(stores: tuple[Store, Store, str]) -> None:
    store, _, user_id = stores
    load = store.rows.bulk_load(owner=user_id)
    load.stage("jobs", server_rows(user_id, jobs=2)["jobs"])
    errors: list[BaseException] = []

    def elsewhere() -> None:
        try:
            load.apply("jobs")
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=elsewhere)
    worker.start()
    worker.join()
    assert len(errors) == 1 and isinstance(errors[0], StoreBugError)
    load.close()


# ---------------------------------------------------------------------- crashes
def test_an_error_mid_load_rolls_back_rows_indexes_and_search(
    stores: tuple[Store, Store, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _, user_id = stores
    rows = server_rows(user_id, jobs=9)
    before = schema(store)
    real = db_module.Database._run

    def failing(self: Any, conn: Any, sql: str, params: Any = ()) -> Any:
        if sql.startswith("INSERT INTO main.jobs_search"):
            raise OSError("disk gone while filling the search index")
        return real(self, conn, sql, params)

    monkeypatch.setattr(db_module.Database, "_run", failing)
    load = store.rows.bulk_load(owner=user_id)
    try:
        load.stage("jobs", rows["jobs"])
        with pytest.raises(OSError), store.transaction():
            load.apply("jobs")
    finally:
        load.close()
    monkeypatch.setattr(db_module.Database, "_run", real)
    assert store.rows.count("jobs") == 0
    assert schema(store) == before
    assert search_index(store) == []


def _load_in_child(root: Path, user_id: str, rows: dict[str, Any], kill_at: int) -> None:
    """In a forked child: bulk load everything, SIGKILLing itself at statement ``kill_at``."""
    count = [0]
    real = db_module.Database._run

    def counting(self: Any, conn: Any, sql: str, params: Any = ()) -> Any:
        result = real(self, conn, sql, params)
        count[0] += 1
        if count[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    db_module.Database._run = counting  # type: ignore[method-assign]
    store = open_account_store(DataDirs(root), PROJECT, user_id)
    bulk_apply(store, rows, owner=user_id)
    store.close()


def test_sigkill_at_every_step_of_a_bulk_load_leaves_a_consistent_mirror(
    data_root: Path,
) -> None:
    user_id = new_id()
    rows = server_rows(user_id, jobs=20)
    json.dumps(rows)  # plain data, as the child sees it
    root = data_root / "victim"
    open_account_store(DataDirs(root), PROJECT, user_id).close()
    reference = open_account_store(DataDirs(data_root / "ref"), PROJECT, user_id)
    fresh_schema = schema(reference)
    kills = 0
    for kill_at in range(1, 600, 4):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns
            try:
                _load_in_child(root, user_id, rows, kill_at)
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        store = open_account_store(DataDirs(root), PROJECT, user_id)
        try:
            assert store.db.scalar("PRAGMA integrity_check") == "ok"
            assert store.db.query("PRAGMA foreign_key_check") == []
            assert schema(store) == fresh_schema, kill_at
            jobs = store.rows.count("jobs")
            assert jobs in (0, 20)  # a table is stored whole or not at all
            assert len(search_index(store)) == jobs
            if not os.WIFSIGNALED(status):
                break  # the load finished before statement kill_at
            kills += 1
            if kills % 2 == 0:  # half of the restarts begin again from an empty mirror
                with store.transaction():
                    for table in reversed(TABLES):
                        store.db.execute(f"DELETE FROM {table}")
        finally:
            store.close()
    print(f"kills: {kills}")
    assert kills >= 20
    # And a load that is not interrupted completes the mirror.
    store = open_account_store(DataDirs(root), PROJECT, user_id)
    try:
        bulk_apply(store, rows, owner=user_id)
        for table in TABLES:
            reference.rows.apply_remote_rows(table, rows[table])
        assert dump(store) == dump(reference)
        assert search_index(store) == search_index(reference)
    finally:
        store.close()
        reference.close()


def test_checkpoints_paused_for_a_bulk_load_run_in_the_background(
    stores: tuple[Store, Store, str],
) -> None:
    store, _, user_id = stores
    store.db.pause_checkpoints()
    assert store.db.scalar("PRAGMA wal_autocheckpoint") == 0
    bulk_apply(store, server_rows(user_id, jobs=60), owner=user_id)
    store.db.resume_checkpoints()
    deadline = time.monotonic() + 10
    while store.db.background_checkpoints < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert store.db.background_checkpoints >= 1
    # Nothing is left in the WAL that the database file does not have.
    busy, frames, done = store.db.query_one("PRAGMA wal_checkpoint(PASSIVE)")
    assert busy == 0 and frames == done
    with store.db.transaction():  # the checkpoint has ended: automatic ones are back
        pass
    assert store.db.automatic_checkpoints


def test_automatic_checkpoints_wait_for_the_background_one(
    stores: tuple[Store, Store, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a paused run the next small commit must not checkpoint the whole WAL itself."""
    store, _, user_id = stores
    db = store.db
    checkpointer = db._checkpointer
    release = threading.Event()
    real_run = checkpointer._run

    def held_run() -> None:
        release.wait(10)
        real_run()

    monkeypatch.setattr(checkpointer, "_run", held_run)
    db.pause_checkpoints()
    bulk_apply(store, server_rows(user_id, jobs=60), owner=user_id)
    db.resume_checkpoints()
    with db.transaction():  # the background checkpoint has not run yet
        store.sync_state.set("probe", 1)
    assert not db.automatic_checkpoints
    release.set()
    deadline = time.monotonic() + 10
    while db.background_checkpoints < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    with db.transaction():
        store.sync_state.set("probe", 2)
    assert db.automatic_checkpoints
