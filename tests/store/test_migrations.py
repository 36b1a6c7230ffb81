"""Migrations: from an empty file, from an older version with data, refusal of a newer one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio_desktop.domain.models import MODELS, new_id
from studio_desktop.store.db import Database
from studio_desktop.store.errors import StoreEnvironmentError, StoreVersionError
from studio_desktop.store.migrations import LATEST_VERSION, MIGRATIONS, migrate
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
        assert migrate(db) == [2, 3, 4]
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
