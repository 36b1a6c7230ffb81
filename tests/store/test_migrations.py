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
from studio_desktop.store.migrations import LATEST_VERSION, MIGRATIONS, SEARCH_FOLDS, migrate
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
        assert db.user_version() == LATEST_VERSION == 6
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


def test_version_5_database_folds_the_letters_the_tokenizer_keeps(tmp_path: Path) -> None:
    """ "ø", "æ", "ß", "ł", "đ"… are letters of their own for the tokenizer (no mark to remove):
    a workspace of version 5 opens with them folded in the text of the jobs it holds and in
    what is typed, so "bjorn" finds "Bjørn" and "Bjørn" finds "Bjorn"; the triggers keep it so
    for new jobs, changed jobs and renamed profiles."""
    path = tmp_path / "s.sqlite3"
    db = Database(path)
    try:
        assert migrate(db, target=5) == [1, 2, 3, 4, 5]
        db.execute(
            "INSERT INTO profiles (id, user_id, name, created_at, updated_at) "
            "VALUES ('p-l', 'u', 'Łukasz Đorđević', '2025-01-01', '2025-01-01')"
        )
        bjorn = _insert_job(db, "product_pack", "succeeded", {"prompt": "Bjørn's parka"})
        strasse = _insert_job(db, "canvas_edit", "queued", {"instruction": "STRAẞE sign, Æsir"})
        lukasz = _insert_job(db, "tryon_image", "queued", {"profileId": "p-l"})
        plain = _insert_job(db, "product_pack", "queued", {"prompt": "Bjorn plain coat"})
        plain_body = db.scalar("SELECT body FROM jobs_search WHERE body LIKE '%plain coat%'")
        assert _matches(db, "bjorn") == {plain}  # version 5: the letters are not folded
    finally:
        db.close()

    db, repaired = open_database(path)
    try:
        assert repaired is None and db.user_version() == LATEST_VERSION == 6
        assert (
            _matches(db, "bjorn")
            == _matches(db, "Bjørn")
            == _matches(db, "BJØRN")
            == {
                bjorn,
                plain,
            }
        )
        assert _matches(db, "strasse") == _matches(db, "Straße") == {strasse}
        assert _matches(db, "aesir") == _matches(db, "æsir") == {strasse}
        assert _matches(db, "lukasz") == _matches(db, "Łukasz") == {lukasz}
        assert _matches(db, "dordevic") == _matches(db, "đorđević") == {lukasz}
        assert _matches(db, "parka") == {bjorn}  # the rest of a folded text is still there
        # A text without those letters was left as version 5 wrote it.
        assert db.scalar("SELECT body FROM jobs_search WHERE body LIKE '%plain coat%'") == (
            plain_body
        )
        # New and changed jobs, renamed profiles: the triggers fold too.
        soren = _insert_job(db, "product_pack", "queued", {"prompt": "Søren's œuvre, Þór"})
        assert _matches(db, "soren oeuvre thor") == {soren}
        db.execute(
            "UPDATE jobs SET input_json = ? WHERE id = ?",
            (json.dumps({"prompt": "Ħal Għargħur, ırmak"}), plain),
        )
        assert _matches(db, "hal irmak") == {plain}
        db.execute("UPDATE profiles SET name = 'Ðóra Sæmundsdóttir' WHERE id = 'p-l'")
        assert _matches(db, "lukasz") == set()
        assert _matches(db, "dora saemundsdottir") == {lukasz}
    finally:
        db.close()


def test_the_typed_words_fold_as_the_search_text_does(tmp_path: Path) -> None:
    """Every letter the search folds is found typed either way, alone in a word, on a fresh
    database (the triggers of the latest version)."""
    db = Database(tmp_path / "s.sqlite3")
    try:
        migrate(db)
        for letter, plain in SEARCH_FOLDS.items():
            job_id = _insert_job(db, "product_pack", "queued", {"prompt": f"zz{letter}zz"})
            assert job_id in _matches(db, f"zz{plain}zz"), letter
            assert job_id in _matches(db, f"zz{letter}zz"), letter
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
