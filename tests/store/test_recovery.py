"""A damaged database is detected at open with a clear message, kept aside, and the outbox
(unsynced work) is salvaged into the fresh database."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
from pathlib import Path

from studio_desktop.domain.models import Job, new_id
from studio_desktop.store import sync_state as keys
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.outbox import OutboxEntry
from studio_desktop.store.recovery import read_rows
from studio_desktop.store.workspace import Store, open_local_store, open_store

from .conftest import make_job, make_output


def _fill(store: Store, user_id: str, synced_jobs: int = 400, local_jobs: int = 15) -> None:
    """Server rows (no outbox) and local work (outbox), like a real workspace."""
    remote = [
        make_job(user_id, minutes=n, input_json={"prompt": "x" * 200}) for n in range(synced_jobs)
    ]
    store.rows.apply_remote_rows("jobs", [j.to_row() for j in remote])
    for n in range(local_jobs):
        job = make_job(user_id, minutes=10_000 + n, input_json={"prompt": f"local {n}"})
        output = make_output(user_id, job)
        store.blobs.put("outputs", output.storage_path or "", b"png%d" % n, "image/png")
        store.rows.save_many([job, output])
    store.rows.delete("jobs", remote[0].id)
    with store.transaction():
        store.sync_state.set(keys.CURSOR, {"xid": 99, "seq": 1234})


def _pages_of(path: Path, table: str) -> tuple[int, list[int]]:
    conn = sqlite3.connect(path)
    try:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = [
            r[0]
            for r in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno",
                (table,),
            )
        ]
    finally:
        conn.close()
    return size, pages


def _garble(path: Path, pages: list[int], page_size: int, seed: int = 1) -> None:
    rnd = random.Random(seed)
    with open(path, "r+b") as fh:
        for page in pages:
            fh.seek((page - 1) * page_size)
            fh.write(rnd.randbytes(page_size))


def _key(entry: OutboxEntry) -> tuple[object, ...]:
    return (entry.seq, entry.op_id, entry.kind, entry.table, entry.row_id, entry.payload)


def test_garbage_pages_are_detected_and_outbox_salvaged(store: Store, user_id: str) -> None:
    _fill(store, user_id)
    before = [_key(e) for e in store.outbox.all()]
    blobs_before = store.blobs.total_bytes()
    local_job_ids = [
        e.row_id for e in store.outbox.all() if e.table == "jobs" and e.kind == "upsert"
    ]
    dirs = store.dirs
    store.close()
    page_size, pages = _pages_of(dirs.database, "jobs")
    assert len(pages) > 10
    _garble(dirs.database, pages, page_size)
    damaged_bytes = dirs.database.read_bytes()

    with open_store(dirs, user_id=user_id) as again:
        report = again.recovery
        assert report is not None
        assert "damaged" in report.message and report.damaged_copy.name in report.message
        assert report.damaged_copy.read_bytes() == damaged_bytes  # kept, untouched
        assert [_key(e) for e in again.outbox.all()] == before
        assert report.outbox_entries == len(before)
        assert "jobs" in report.unreadable_tables
        # Unsynced local jobs come back from their pending upserts; uploads keep their bytes.
        for job_id in local_job_ids:
            assert again.rows.get(Job, job_id or "") is not None
        assert again.blobs.total_bytes() == blobs_before
        for entry in again.outbox.all():
            if entry.kind == "upload":
                assert again.blobs.path_for_upload(entry.payload["bucket"], entry.payload["path"])
        # The account is kept; the cursor is not (the mirror lost rows: full resync next).
        assert again.sync_state.get(keys.CURSOR) is None
        assert again.sync_state.get(keys.WORKSPACE_USER_ID) == user_id
        assert again.db.query("PRAGMA quick_check")[0][0] == "ok"
        again.rows.save(make_job(user_id))  # and the fresh database works
    with open_store(dirs, user_id=user_id) as third:
        assert third.recovery is None  # repaired for good


def test_damaged_outbox_pages_lose_only_those_rows(store: Store, user_id: str) -> None:
    for n in range(600):
        store.outbox.append("delete", "jobs", new_id(), {"id": "x" * 100, "n": n})
    before = {e.seq: _key(e) for e in store.outbox.all()}
    dirs = store.dirs
    store.close()
    page_size, pages = _pages_of(dirs.database, "outbox")
    middle = pages[len(pages) // 2]
    _garble(dirs.database, [middle], page_size, seed=3)

    copy = dirs.root / "copy.sqlite3"
    copy.write_bytes(dirs.database.read_bytes())
    conn = sqlite3.connect(copy)
    try:
        rows, complete = read_rows(conn, "outbox", ("seq",))
    finally:
        conn.close()
    assert not complete
    seqs = [r[0] for r in rows]
    assert seqs == sorted(seqs)
    assert 0 < len(before) - len(seqs) < 40  # one leaf page of rows lost, the rest read

    with open_store(dirs, user_id=user_id) as again:
        assert again.recovery is not None
        salvaged = again.outbox.all()
        assert [e.seq for e in salvaged] == seqs
        assert all(_key(e) == before[e.seq] for e in salvaged)
        assert "outbox" in again.recovery.unreadable_tables
        assert "could not be read back" in again.recovery.message
        new = again.outbox.append("delete", "jobs", new_id(), {})
        assert new is not None and new > max(before)  # seq never reused


def test_a_file_that_is_not_sqlite(data_dirs: object, user_id: str) -> None:
    from studio_desktop.store.locations import DataDirs

    assert isinstance(data_dirs, DataDirs)
    dirs = data_dirs.workspace("some-account").ensure()
    junk = b"%PDF-1.7 this was never a database\n" * 500
    dirs.database.write_bytes(junk)
    with open_store(dirs, user_id=user_id) as store:
        assert store.recovery is not None
        assert store.recovery.damaged_copy.read_bytes() == junk
        assert store.recovery.outbox_entries == 0
        assert "damaged" in store.recovery.message
        store.rows.save(make_job(user_id))
        assert store.outbox.count_pending() == 1
    assert len(list(dirs.root.glob("store.sqlite3.damaged-*"))) == 1


def test_random_damage_never_crashes_the_open(store: Store, user_id: str) -> None:
    _fill(store, user_id, synced_jobs=150, local_jobs=10)
    before = {e.op_id: _key(e) for e in store.outbox.all()}
    dirs = store.dirs
    store.close()
    original = dirs.database.read_bytes()
    page_size = 4096
    page_count = len(original) // page_size
    for seed in range(6):
        dirs.database.write_bytes(original)
        rnd = random.Random(seed)
        _garble(dirs.database, rnd.sample(range(2, page_count + 1), 3), page_size, seed)
        with open_store(dirs, user_id=user_id) as again:
            for entry in again.outbox.all():  # whatever came back is exactly what was there
                assert _key(entry) == before[entry.op_id]
            again.rows.save(make_job(user_id))
        for aside in dirs.root.glob("store.sqlite3.damaged-*"):
            aside.unlink()
        dirs.database.unlink()


# ---------------------------------------------------------------------------- the early check
def test_precheck_spares_the_open_its_check_and_still_catches_damage(
    store: Store, user_id: str
) -> None:
    """The app checks the last workspace while it imports itself: an unchanged, sound file
    opens without a second check; a file written after the check, or damaged, is checked
    (and repaired) at open as before."""
    from studio_desktop.store import recovery

    _fill(store, user_id)
    dirs = store.dirs
    store.close()
    checks: list[Path] = []
    real_check = recovery._check_integrity

    def counting(db: object) -> None:
        checks.append(db.path)  # type: ignore[attr-defined]
        real_check(db)  # type: ignore[arg-type]

    recovery._check_integrity = counting  # type: ignore[assignment]
    try:
        assert recovery.precheck(dirs.database) is True
        with open_store(dirs, user_id=user_id) as again:
            assert again.recovery is None
        assert checks == []  # the sound, unchanged file was not read twice
        with open_store(dirs, user_id=user_id):
            pass
        assert len(checks) == 1  # a precheck counts once

        # Written after its precheck: checked again.
        assert recovery.precheck(dirs.database) is True
        conn = sqlite3.connect(dirs.database)
        conn.execute("UPDATE jobs SET status = 'failed' WHERE rowid = 2")
        conn.commit()
        conn.close()
        with open_store(dirs, user_id=user_id) as again:
            assert again.recovery is None
        assert len(checks) == 2

        # Damaged: the precheck says so and records nothing; the open repairs as always.
        page_size, pages = _pages_of(dirs.database, "jobs")
        _garble(dirs.database, pages, page_size)
        assert recovery.precheck(dirs.database) is False
        with open_store(dirs, user_id=user_id) as again:
            assert again.recovery is not None and "damaged" in again.recovery.message
        assert len(checks) == 3
    finally:
        recovery._check_integrity = real_check  # type: ignore[assignment]


def test_precheck_of_a_missing_file_is_a_no(tmp_path: Path) -> None:
    from studio_desktop.store import recovery

    assert recovery.precheck(tmp_path / "nothing.sqlite3") is False
    assert not (tmp_path / "nothing.sqlite3").exists()


def test_the_app_s_early_check_spares_the_open_its_check(data_dirs: DataDirs) -> None:
    """The app checks the last workspace on a worker right after the first paint
    (``app.precheck_last_workspace``); the open that follows does not read the file again."""
    from studio_desktop import app
    from studio_desktop.store import recovery

    with open_local_store(data_dirs) as local:
        _fill(local, local.user_id)
    checks: list[Path] = []
    real_check = recovery._check_integrity

    def counting(db: object) -> None:
        checks.append(db.path)  # type: ignore[attr-defined]
        real_check(db)  # type: ignore[arg-type]

    recovery._check_integrity = counting  # type: ignore[assignment]
    try:
        app.precheck_last_workspace(data_dirs)
        with open_local_store(data_dirs) as again:
            assert again.recovery is None
            assert again.rows.count("jobs") == 414
        assert checks == []  # checked once, by the early check
        with open_local_store(data_dirs):
            pass
        assert len(checks) == 1  # without an early check, the open checks as before
    finally:
        recovery._check_integrity = real_check  # type: ignore[assignment]


def test_the_early_check_imports_nothing_of_the_store_stack() -> None:
    """What the early check's thread imports: ``sqlite3``, not the store (its models,
    dataclasses, migrations), whose imports would hold the GIL the GUI thread needs."""
    code = (
        "import sys; before = set(sys.modules); "
        "import studio_desktop.store.precheck; "
        "print(' '.join(sorted(set(sys.modules) - before)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    ours = {m for m in out if m.startswith("studio_desktop")}
    assert ours <= {"studio_desktop", "studio_desktop.store", "studio_desktop.store.precheck"}
    assert "dataclasses" not in out
    assert "sqlite3" in out
