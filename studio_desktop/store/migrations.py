"""The local schema, as ordered migrations keyed by ``PRAGMA user_version``.

Each migration runs in its own transaction together with the ``user_version`` bump, so a crash
leaves the database at the previous version, never half-migrated. A database whose version is
higher than :data:`LATEST_VERSION` was written by a newer app: it is refused with a readable
:class:`~studio_desktop.store.errors.StoreVersionError` and never downgraded.

Migrations are literal SQL on purpose: they describe what version N *was*, so a later change to
the domain models cannot silently rewrite history (a test checks they agree with the models).

Schema notes: ids are UUID text; timestamps ISO-8601 UTC text from ``domain.models.format_ts``
(fixed width, so text order is time order); ``jsonb`` as JSON text. ``user_id`` has no foreign
key locally (there is no ``auth.users`` here; each database holds one user's rows).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from studio_desktop.store.db import Database
from studio_desktop.store.errors import StoreVersionError

log = logging.getLogger(__name__)

_V1_MIRROR = [
    """CREATE TABLE profiles (
        id TEXT PRIMARY KEY NOT NULL,
        user_id TEXT NOT NULL,
        name TEXT NOT NULL,
        gender TEXT,
        skin_tone TEXT,
        region TEXT,
        background TEXT,
        reference_image_path TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE jobs (
        id TEXT PRIMARY KEY NOT NULL,
        user_id TEXT NOT NULL,
        type TEXT NOT NULL,
        status TEXT,
        input_json TEXT NOT NULL DEFAULT '{}',
        provider_operation_id TEXT,
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE job_outputs (
        id TEXT PRIMARY KEY NOT NULL,
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        kind TEXT,
        angle TEXT,
        mime_type TEXT,
        storage_path TEXT,
        width INTEGER,
        height INTEGER,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE canvas_threads (
        id TEXT PRIMARY KEY NOT NULL,
        user_id TEXT NOT NULL,
        title TEXT,
        base_storage_bucket TEXT,
        base_storage_path TEXT,
        source_job_id TEXT REFERENCES jobs(id) ON DELETE SET NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE canvas_assets (
        id TEXT PRIMARY KEY NOT NULL,
        thread_id TEXT NOT NULL REFERENCES canvas_threads(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        label TEXT,
        source_job_id TEXT REFERENCES jobs(id) ON DELETE SET NULL,
        source_output_id TEXT REFERENCES job_outputs(id) ON DELETE SET NULL,
        base_storage_bucket TEXT,
        base_storage_path TEXT,
        current_storage_bucket TEXT,
        current_storage_path TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE canvas_conversations (
        id TEXT PRIMARY KEY NOT NULL,
        thread_id TEXT NOT NULL REFERENCES canvas_threads(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        title TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE canvas_messages (
        id TEXT PRIMARY KEY NOT NULL,
        thread_id TEXT NOT NULL REFERENCES canvas_threads(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        conversation_id TEXT REFERENCES canvas_conversations(id) ON DELETE CASCADE,
        asset_id TEXT REFERENCES canvas_assets(id) ON DELETE SET NULL,
        role TEXT,
        text TEXT,
        mask_storage_bucket TEXT,
        mask_storage_path TEXT,
        output_job_id TEXT REFERENCES jobs(id) ON DELETE SET NULL,
        output_storage_bucket TEXT,
        output_storage_path TEXT,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE garment_cutouts (
        id TEXT PRIMARY KEY NOT NULL,
        user_id TEXT NOT NULL,
        source_hash TEXT NOT NULL,
        source_kind TEXT NOT NULL,
        storage_bucket TEXT,
        storage_path TEXT,
        mime_type TEXT,
        created_at TEXT NOT NULL
    )""",
    # The feed: newest first by (created_at, id), optionally within one type or status.
    "CREATE INDEX jobs_feed ON jobs(created_at, id)",
    "CREATE INDEX jobs_type_feed ON jobs(type, created_at, id)",
    "CREATE INDEX jobs_status_feed ON jobs(status, created_at, id)",
    # Every foreign key column is indexed: the feed loads outputs per job, and a parent's
    # delete (ON DELETE CASCADE / SET NULL) must not scan the child table.
    "CREATE INDEX job_outputs_job ON job_outputs(job_id, created_at, id)",
    "CREATE INDEX canvas_threads_source_job ON canvas_threads(source_job_id)",
    "CREATE INDEX canvas_threads_recent ON canvas_threads(updated_at, id)",
    "CREATE INDEX canvas_assets_thread ON canvas_assets(thread_id, created_at, id)",
    "CREATE INDEX canvas_assets_source_job ON canvas_assets(source_job_id)",
    "CREATE INDEX canvas_assets_source_output ON canvas_assets(source_output_id)",
    "CREATE INDEX canvas_conversations_thread ON canvas_conversations(thread_id, created_at, id)",
    "CREATE INDEX canvas_messages_thread ON canvas_messages(thread_id, created_at, id)",
    "CREATE INDEX canvas_messages_conversation ON canvas_messages(conversation_id, created_at, id)",
    "CREATE INDEX canvas_messages_asset ON canvas_messages(asset_id, created_at, id)",
    "CREATE INDEX canvas_messages_output_job ON canvas_messages(output_job_id)",
    # Object references: a delete checks that no remaining row still points at a file.
    "CREATE INDEX job_outputs_storage_path ON job_outputs(storage_path)",
    "CREATE INDEX canvas_assets_base_path ON canvas_assets(base_storage_path)",
    "CREATE INDEX canvas_assets_current_path ON canvas_assets(current_storage_path)",
    "CREATE INDEX canvas_messages_output_path ON canvas_messages(output_storage_path)",
    "CREATE INDEX profiles_name ON profiles(name COLLATE NOCASE, created_at)",
    "CREATE UNIQUE INDEX garment_cutouts_key ON garment_cutouts(user_id, source_hash, source_kind)",
]

_V2_SYNC = [
    # Every local change, in order, until the sync engine has pushed it.
    """CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        op_id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('upsert', 'delete', 'upload', 'remove_objects')),
        table_name TEXT,
        row_id TEXT,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        parked INTEGER NOT NULL DEFAULT 0,
        parked_reason TEXT,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending'))
    )""",
    "CREATE INDEX outbox_row ON outbox(table_name, row_id)",
    "CREATE INDEX outbox_object ON outbox(kind, row_id) WHERE kind = 'upload'",
    # The blob cache index: one row per storage object this workspace knows about.
    """CREATE TABLE blobs (
        bucket TEXT NOT NULL,
        path TEXT NOT NULL,
        size INTEGER,
        content_type TEXT,
        sha256 TEXT,
        state TEXT NOT NULL
            CHECK (state IN ('queued_upload', 'queued_download', 'synced', 'missing')),
        pinned INTEGER NOT NULL DEFAULT 0,
        last_access TEXT,
        file_name TEXT,
        PRIMARY KEY (bucket, path)
    )""",
    "CREATE INDEX blobs_lru ON blobs(state, pinned, last_access)",
    "CREATE TABLE sync_state (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)",
]

# Search text of a job: what the feed's free-text search looks at.
_SEARCH_BODY = (
    "CASE WHEN json_valid({row}.input_json) THEN "
    "coalesce(json_extract({row}.input_json, '$.prompt'), '') || ' ' || "
    "coalesce(json_extract({row}.input_json, '$.instruction'), '') ELSE '' END"
)


_V3_FEED_SEARCH = [
    # jobs.input_json->>'profile_id', indexed for the feed's profile filter.
    "ALTER TABLE jobs ADD COLUMN profile_id TEXT GENERATED ALWAYS AS ("
    "CASE WHEN json_valid(input_json) THEN json_extract(input_json, '$.profile_id') END"
    ") VIRTUAL",
    "CREATE INDEX jobs_profile_feed ON jobs(profile_id, created_at, id)",
    # Full-text search over the prompt/instruction; rowid = jobs.rowid, kept by triggers.
    "CREATE VIRTUAL TABLE jobs_search USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')",
    f"""CREATE TRIGGER jobs_search_insert AFTER INSERT ON jobs BEGIN
        INSERT INTO jobs_search(rowid, body) VALUES (new.rowid, {_SEARCH_BODY.format(row="new")});
    END""",
    f"""CREATE TRIGGER jobs_search_update AFTER UPDATE OF input_json ON jobs BEGIN
        DELETE FROM jobs_search WHERE rowid = old.rowid;
        INSERT INTO jobs_search(rowid, body) VALUES (new.rowid, {_SEARCH_BODY.format(row="new")});
    END""",
    """CREATE TRIGGER jobs_search_delete AFTER DELETE ON jobs BEGIN
        DELETE FROM jobs_search WHERE rowid = old.rowid;
    END""",
    f"INSERT INTO jobs_search(rowid, body) SELECT rowid, {_SEARCH_BODY.format(row='jobs')} "
    "FROM jobs",
]


# Jobs name their profile ``profileId`` (the generation API's camelCase, engine/inputs.py);
# version 3 read ``profile_id`` only, so the feed's profile filter never matched. Read both.
_V4_PROFILE_KEY = [
    "DROP INDEX jobs_profile_feed",
    "ALTER TABLE jobs DROP COLUMN profile_id",
    "ALTER TABLE jobs ADD COLUMN profile_id TEXT GENERATED ALWAYS AS ("
    "CASE WHEN json_valid(input_json) THEN coalesce("
    "json_extract(input_json, '$.profileId'), json_extract(input_json, '$.profile_id')) END"
    ") VIRTUAL",
    "CREATE INDEX jobs_profile_feed ON jobs(profile_id, created_at, id)",
]


# A job's search text is what its History row shows, not only what was typed: the prompt or
# instruction, the job type in the words the row uses (and the words a designer would type for
# it: "tryon", "extract"), the status badge, a failed job's error (its first line, what went
# wrong: the lines after it are help, such as the local editor's list of what it can do, whose
# examples would match every such job), and its profile's name. The
# words are those of ``services.history.JOB_TYPE_LABELS`` and ``status_label`` at version 5 (a
# test checks they agree); a type or status this version does not know is searchable by its
# own words, as the row shows it.
_V5_SEARCH_BODY = (
    "coalesce(CASE WHEN json_valid({row}.input_json) THEN "
    "coalesce(json_extract({row}.input_json, '$.prompt'), '') || ' ' || "
    "coalesce(json_extract({row}.input_json, '$.instruction'), '') END, '') || ' ' || "
    "CASE {row}.type WHEN 'product_pack' THEN 'Product pack' "
    "WHEN 'tryon_image' THEN 'Try-on tryon' "
    "WHEN 'canvas_edit' THEN 'Canvas edit' "
    "WHEN 'extract_garment' THEN 'Garment cutout extract' "
    "ELSE replace({row}.type, '_', ' ') END || ' ' || "
    "CASE {row}.status WHEN 'queued' THEN 'Queued' WHEN 'running' THEN 'Running' "
    "WHEN 'succeeded' THEN 'Done' WHEN 'failed' THEN 'Failed' WHEN 'canceled' THEN 'Canceled' "
    "ELSE coalesce(replace({row}.status, '_', ' '), '') END || ' ' || "
    "CASE WHEN {row}.status = 'failed' THEN coalesce(substr({row}.error, 1, "
    "instr({row}.error || char(10), char(10)) - 1), '') ELSE '' END || ' ' || "
    "coalesce((SELECT p.name FROM profiles p WHERE p.id = {row}.profile_id), '')"
)
# The jobs of a profile whose name changed (or that arrived or went) get their text again:
# ``jobs.profile_id`` is indexed (jobs_profile_feed), so a rename touches only its own jobs.
_V5_PROFILE_JOBS = (
    "UPDATE jobs_search SET body = (SELECT {body} FROM jobs j WHERE j.rowid = jobs_search.rowid) "
    "WHERE rowid IN (SELECT rowid FROM jobs WHERE profile_id = {profile}.id)"
)

_V5_NEW_ROW = "INSERT INTO jobs_search(rowid, body) VALUES (new.rowid, " + (
    _V5_SEARCH_BODY.format(row="new") + ")"
)

_V5_SEARCH_ROW = [
    "DROP TRIGGER jobs_search_insert",
    "DROP TRIGGER jobs_search_update",
    "DROP TRIGGER jobs_search_delete",
    # Rebuilt with prefix indexes: every word typed is a prefix, and the row's words add short,
    # common tokens ("on" of "Try-on", a profile's "Mia"), so "try-on mia" intersects large
    # lists; indexed prefixes of 1-3 characters make it about three times faster (measured over
    # 25,000 jobs) for about 1.7x the time to fill the index.
    "DROP TABLE jobs_search",
    "CREATE VIRTUAL TABLE jobs_search USING fts5(body, "
    "tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3')",
    f"""CREATE TRIGGER jobs_search_insert AFTER INSERT ON jobs BEGIN
        {_V5_NEW_ROW};
    END""",
    f"""CREATE TRIGGER jobs_search_update AFTER UPDATE OF input_json, type, status, error ON jobs
    BEGIN
        DELETE FROM jobs_search WHERE rowid = old.rowid;
        {_V5_NEW_ROW};
    END""",
    """CREATE TRIGGER jobs_search_delete AFTER DELETE ON jobs BEGIN
        DELETE FROM jobs_search WHERE rowid = old.rowid;
    END""",
    f"""CREATE TRIGGER profiles_search_insert AFTER INSERT ON profiles BEGIN
        {_V5_PROFILE_JOBS.format(body=_V5_SEARCH_BODY.format(row="j"), profile="new")};
    END""",
    f"""CREATE TRIGGER profiles_search_update AFTER UPDATE OF id, name ON profiles
    WHEN old.name IS NOT new.name OR old.id IS NOT new.id BEGIN
        {_V5_PROFILE_JOBS.format(body=_V5_SEARCH_BODY.format(row="j"), profile="old")};
        {_V5_PROFILE_JOBS.format(body=_V5_SEARCH_BODY.format(row="j"), profile="new")};
    END""",
    f"""CREATE TRIGGER profiles_search_delete AFTER DELETE ON profiles BEGIN
        {_V5_PROFILE_JOBS.format(body=_V5_SEARCH_BODY.format(row="j"), profile="old")};
    END""",
    # Every job's text again, in the new form.
    f"INSERT INTO jobs_search(rowid, body) SELECT rowid, {_V5_SEARCH_BODY.format(row='jobs')} "
    "FROM jobs",
]


# Letters the tokenizer's ``remove_diacritics`` leaves alone: they are letters of their own in
# Unicode, not a base letter with a mark ("ø" has no decomposition), so "Bjørn" was not found by
# "bjorn" nor "Straße" by "strasse". They are folded, as a designer types them on a keyboard
# without them, in the search text (the triggers, below) and in what is typed
# (:func:`fold_search_text`), the same way. Version 6's table: a later change is a new migration.
_V6_FOLDS: dict[str, str] = {
    "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ß": "ss", "ẞ": "ss",
    "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th",
    "ħ": "h", "Ħ": "h", "ı": "i",
}  # fmt: skip
_V6_FOLD_TABLE = str.maketrans(_V6_FOLDS)


def _v6_fold(sql: str) -> str:
    """``sql`` (a text expression) with :data:`_V6_FOLDS` applied, in SQL (``replace``)."""
    for letter, plain in _V6_FOLDS.items():
        sql = f"replace({sql}, '{letter}', '{plain}')"
    return sql


_V6_SEARCH_BODY = _v6_fold(f"({_V5_SEARCH_BODY})")
_V6_NEW_ROW = "INSERT INTO jobs_search(rowid, body) VALUES (new.rowid, " + (
    _V6_SEARCH_BODY.format(row="new") + ")"
)
_V6_PROFILE_JOBS = _V5_PROFILE_JOBS.format(
    body=_V6_SEARCH_BODY.format(row="j"), profile="{profile}"
)

_V6_FOLDED_LETTERS = [
    "DROP TRIGGER jobs_search_insert",
    "DROP TRIGGER jobs_search_update",
    "DROP TRIGGER profiles_search_insert",
    "DROP TRIGGER profiles_search_update",
    "DROP TRIGGER profiles_search_delete",
    f"""CREATE TRIGGER jobs_search_insert AFTER INSERT ON jobs BEGIN
        {_V6_NEW_ROW};
    END""",
    f"""CREATE TRIGGER jobs_search_update AFTER UPDATE OF input_json, type, status, error ON jobs
    BEGIN
        DELETE FROM jobs_search WHERE rowid = old.rowid;
        {_V6_NEW_ROW};
    END""",
    f"""CREATE TRIGGER profiles_search_insert AFTER INSERT ON profiles BEGIN
        {_V6_PROFILE_JOBS.format(profile="new")};
    END""",
    f"""CREATE TRIGGER profiles_search_update AFTER UPDATE OF id, name ON profiles
    WHEN old.name IS NOT new.name OR old.id IS NOT new.id BEGIN
        {_V6_PROFILE_JOBS.format(profile="old")};
        {_V6_PROFILE_JOBS.format(profile="new")};
    END""",
    f"""CREATE TRIGGER profiles_search_delete AFTER DELETE ON profiles BEGIN
        {_V6_PROFILE_JOBS.format(profile="old")};
    END""",
    # Only the texts holding such a letter change (version 5's text, folded, is version 6's):
    # the rest of the index stays as it is, so the upgrade reads the texts once and rewrites few.
    "UPDATE jobs_search SET body = "
    + _v6_fold("body")
    + " WHERE rowid IN (SELECT rowid FROM jobs_search WHERE body GLOB '*["
    + "".join(_V6_FOLDS)
    + "]*')",
]


def search_body(row: str) -> str:
    """The SQL of a job's search text (as the latest triggers write it) for alias ``row``."""
    return _V6_SEARCH_BODY.format(row=row)


#: The letters the latest search text folds, and what each becomes.
SEARCH_FOLDS: Mapping[str, str] = MappingProxyType(_V6_FOLDS)


def fold_search_text(text: str) -> str:
    """What is typed into a search, with the letters the search text folds folded alike."""
    return text.translate(_V6_FOLD_TABLE)


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Database], None]


def _statements(statements: list[str]) -> Callable[[Database], None]:
    def apply(db: Database) -> None:
        for statement in statements:
            db.execute(statement)

    return apply


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "mirror of the 8 tables with their indexes", _statements(_V1_MIRROR)),
    Migration(2, "outbox, blob cache index, sync state", _statements(_V2_SYNC)),
    Migration(3, "feed: profile filter column and full-text search", _statements(_V3_FEED_SEARCH)),
    Migration(4, "feed: the profile filter reads profileId", _statements(_V4_PROFILE_KEY)),
    Migration(5, "feed: search what a History row shows", _statements(_V5_SEARCH_ROW)),
    Migration(6, "feed: search folds ø, æ, ß, ł, đ and their kin", _statements(_V6_FOLDED_LETTERS)),
)
LATEST_VERSION = MIGRATIONS[-1].version


def check_version(found: int, supported: int = LATEST_VERSION) -> None:
    """Refuse a database from a newer app (never downgrade it)."""
    if found > supported:
        raise StoreVersionError(
            f"This workspace was saved by a newer version of Studio Desktop (data format {found}; "
            f"this version reads up to {supported}). Update Studio Desktop to open it; "
            "the data was left untouched.",
            found=found,
            supported=supported,
        )


def migrate(db: Database, target: int = LATEST_VERSION) -> list[int]:
    """Bring ``db`` to ``target``; returns the versions applied (empty when already there)."""
    check_version(db.user_version())
    applied: list[int] = []
    for migration in MIGRATIONS:
        if migration.version > target:
            break
        with db.transaction():
            # Read inside the write lock: two processes opening at once apply each step once.
            current = db.user_version()
            check_version(current)
            if current >= migration.version:
                continue
            if current != migration.version - 1:
                raise StoreVersionError(
                    f"The workspace's data format {current} has no upgrade path to "
                    f"{migration.version}.",
                    found=current,
                    supported=LATEST_VERSION,
                )
            log.info("migrating %s to %d: %s", db.path.name, migration.version, migration.name)
            migration.apply(db)
            db.execute(f"PRAGMA user_version = {migration.version:d}")
        applied.append(migration.version)
    return applied
