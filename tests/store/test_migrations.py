"""Migrations: from an empty file, from an older version with data, refusal of a newer one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio_desktop.domain.enums import JobStatus, JobType
from studio_desktop.domain.models import MODELS, new_id
from studio_desktop.services.history import job_type_label, status_label
from studio_desktop.store.db import Database
from studio_desktop.store.errors import StoreEnvironmentError, StoreVersionError
from studio_desktop.store.migrations import LATEST_VERSION, MIGRATIONS, migrate
from studio_desktop.store.queries import search_expression
from studio_desktop.store.recovery import open_database
from studio_desktop.store.tables import FOREIGN_KEYS


def test_from_version_zero(tmp_path: Path) -> None:
    db = Database(tmp_path / "s.sqlite3")
    try:
        assert db.user_version() == 0
        assert migrate(db) == [m.version for m in MIGRATIONS]
        assert db.user_version() == LATEST_VERSION
        assert migrate(db) == []  # a second run does nothing
        tables = {r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {m.table for m in MODELS} | {"outbox", "blobs", "sync_state"} <= tables
    finally:
        db.close()


def test_schema_matches_the_domain_models(tmp_path: Path) -> None:
    db = Database(tmp_path / "s.sqlite3")
    try:
        migrate(db)
        for model in MODELS:
            columns = [r["name"] for r in db.query(f"PRAGMA table_info({model.table})")]
            assert columns == list(model.columns()), model.table
        declared = {
            (model.table, r["from"], r["table"], r["on_delete"])
            for model in MODELS
            for r in db.query(f"PRAGMA foreign_key_list({model.table})")
        }
        assert declared == {(f.table, f.column, f.parent, f.on_delete) for f in FOREIGN_KEYS}
        # Every foreign key column leads an index (no child-table scans on a parent delete).
        for fk in FOREIGN_KEYS:
            leading = {
                db.query(f"PRAGMA index_info({r['name']})")[0]["name"]
                for r in db.query(f"PRAGMA index_list({fk.table})")
            }
            assert fk.column in leading, (fk.table, fk.column)
    finally:
        db.close()


def test_upgrade_keeps_data_and_backfills_search(tmp_path: Path) -> None:
    db = Database(tmp_path / "s.sqlite3")
    try:
        assert migrate(db, target=1) == [1]
        job_id = new_id()
        db.execute(
            "INSERT INTO jobs (id, user_id, type, status, input_json, created_at, updated_at) "
            "VALUES (?, ?, 'tryon_image', 'queued', ?, '2025-01-01', '2025-01-01')",
            (job_id, new_id(), json.dumps({"prompt": "Linen blazer", "profile_id": "p-1"})),
        )
        camel_id = new_id()
        db.execute(
            "INSERT INTO jobs (id, user_id, type, status, input_json, created_at, updated_at) "
            "VALUES (?, ?, 'product_pack', 'queued', ?, '2025-01-02', '2025-01-02')",
            (camel_id, new_id(), json.dumps({"prompt": "Pack", "profileId": "p-2"})),
        )
        assert migrate(db, target=4) == [2, 3, 4]
        # Both spellings of the profile key feed the profile filter's column.
        assert db.scalar("SELECT profile_id FROM jobs WHERE id = ?", (job_id,)) == "p-1"
        assert db.scalar("SELECT profile_id FROM jobs WHERE id = ?", (camel_id,)) == "p-2"
        hit = db.scalar(
            "SELECT jobs.id FROM jobs_search JOIN jobs ON jobs.rowid = jobs_search.rowid "
            "WHERE jobs_search MATCH 'linen'"
        )
        assert hit == job_id
    finally:
        db.close()


def _insert_job(db: Database, type_: str, status: str, input_json: dict, **extra: str) -> str:
    job_id = new_id()
    db.execute(
        "INSERT INTO jobs (id, user_id, type, status, input_json, error, created_at, updated_at) "
        "VALUES (?, 'u', ?, ?, ?, ?, '2025-01-01', '2025-01-01')",
        (job_id, type_, status, json.dumps(input_json), extra.get("error")),
    )
    return job_id


def _matches(db: Database, query: str) -> set[str]:
    return {
        r[0]
        for r in db.query(
            "SELECT jobs.id FROM jobs_search JOIN jobs ON jobs.rowid = jobs_search.rowid "
            "WHERE jobs_search MATCH ?",
            (search_expression(query),),
        )
    }


def test_version_4_database_gets_row_text_search(tmp_path: Path) -> None:
    """A workspace written by the previous version (4) opens with every existing job findable
    by what its History row shows: type words, status, a failed job's error, profile name."""
    path = tmp_path / "s.sqlite3"
    db = Database(path)
    try:
        assert migrate(db, target=4) == [1, 2, 3, 4]
        db.execute(
            "INSERT INTO profiles (id, user_id, name, created_at, updated_at) "
            "VALUES ('p-mia', 'u', 'Mia Müller', '2025-01-01', '2025-01-01')"
        )
        pack = _insert_job(
            db, "product_pack", "succeeded", {"prompt": "Linen", "profileId": "p-mia"}
        )
        tryon = _insert_job(db, "tryon_image", "queued", {"profile_id": "p-mia"})
        cutout = _insert_job(db, "extract_garment", "succeeded", {"kind": "front"})
        edit = _insert_job(
            db,
            "canvas_edit",
            "failed",
            {"instruction": "Remove the belt"},
            error="Rate limit hit\nTry again later, or make it navy",
        )
        newer = _insert_job(db, "video_clip", "paused", {})  # a newer server's type and status
        broken = _insert_job(db, "product_pack", "queued", {})
        db.execute("UPDATE jobs SET input_json = '{not json' WHERE id = ?", (broken,))
        before = {r[0] for r in db.query("SELECT id FROM jobs")}
    finally:
        db.close()

    db, repaired = open_database(path)  # the app's own open: migrates to the latest version
    try:
        assert repaired is None
        assert db.user_version() == LATEST_VERSION == 5
        assert {r[0] for r in db.query("SELECT id FROM jobs")} == before
        assert _matches(db, "linen") == {pack}  # what matched before still does
        assert _matches(db, "pack") == {pack, broken}  # unreadable inputs: still its type
        assert _matches(db, "try-on") == _matches(db, "tryon") == {tryon}
        assert _matches(db, "cutout") == _matches(db, "extract") == {cutout}
        assert _matches(db, "edit") == {edit}
        assert _matches(db, "mia") == _matches(db, "muller") == {pack, tryon}
        assert _matches(db, "pack mia") == {pack}
        assert _matches(db, "queued pack") == {broken}
        assert _matches(db, "failed") == _matches(db, "rate limit") == {edit}
        assert _matches(db, "navy") == _matches(db, "later") == set()  # an error's help lines
        assert _matches(db, "done") == {pack, cutout}
        assert _matches(db, "video clip") == _matches(db, "paused") == {newer}
        # The triggers of version 5 keep it so.
        db.execute("UPDATE profiles SET name = 'Ana' WHERE id = 'p-mia'")
        assert _matches(db, "mia") == set()
        assert _matches(db, "ana") == {pack, tryon}
        db.execute("UPDATE jobs SET status = 'succeeded' WHERE id = ?", (tryon,))
        assert _matches(db, "done ana") == {pack, tryon}
        db.execute("DELETE FROM profiles WHERE id = 'p-mia'")
        assert _matches(db, "ana") == set()
        db.execute(
            "INSERT INTO profiles (id, user_id, name, created_at, updated_at) "
            "VALUES ('p-mia', 'u', 'Mia', '2025-01-01', '2025-01-01')"
        )
        assert _matches(db, "mia") == {pack, tryon}  # a profile that arrives after its jobs
    finally:
        db.close()


def test_search_words_agree_with_what_the_row_shows(tmp_path: Path) -> None:
    """The migration's literal words are the History row's labels for every type and status."""
    db = Database(tmp_path / "s.sqlite3")
    try:
        migrate(db)
        for job_type in JobType:
            for status in JobStatus:
                job_id = _insert_job(db, job_type.value, status.value, {})
                body = db.scalar(
                    "SELECT body FROM jobs_search s JOIN jobs j ON j.rowid = s.rowid "
                    "WHERE j.id = ?",
                    (job_id,),
                )
                words = set(body.lower().split())
                assert set(job_type_label(job_type).lower().split()) <= words, body
                assert status_label(status).lower() in words, body
    finally:
        db.close()


def test_failed_migration_leaves_previous_version(tmp_path: Path) -> None:
    db = Database(tmp_path / "s.sqlite3")
    try:
        migrate(db, target=1)
        db.execute("CREATE TABLE outbox (x)")  # a clash makes migration 2 fail half-way
        with pytest.raises(Exception):  # noqa: B017 - any failure; what matters is the state
            migrate(db)
        assert db.user_version() == 1
        assert db.query_one("SELECT 1 FROM sqlite_master WHERE name = 'blobs'") is None
    finally:
        db.close()


def test_newer_version_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    db = Database(path)
    migrate(db)
    db.execute(f"PRAGMA user_version = {LATEST_VERSION + 5}")
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreVersionError) as info:
        open_database(path)
    assert isinstance(info.value, StoreEnvironmentError)
    assert "newer version" in info.value.message
    assert info.value.found == LATEST_VERSION + 5
    check = Database(path)
    try:
        assert check.user_version() == LATEST_VERSION + 5
    finally:
        check.close()
    assert path.read_bytes()[:100] == before[:100]
    assert not list(tmp_path.glob("*.damaged-*"))  # refused, not treated as damage
