"""The migrations' schema: the ERD's columns and types, updated_at, ON DELETE rules, keys and
index-backed feeds."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from studio_desktop.domain.models import MODELS
from tests.server.world import make_user, seed_world
from tests.stack.fixtures import as_user

pytestmark = pytest.mark.pg

# The seed document's ERD, type for type (Postgres' udt names).
ERD_TYPES = {
    "uuid": "uuid",
    "text": "text",
    "jsonb": "jsonb",
    "int": "int4",
    "timestamptz": "timestamptz",
}
ERD: dict[str, list[tuple[str, str]]] = {
    "profiles": [("id", "uuid"), ("user_id", "uuid"), ("name", "text"), ("gender", "text"),
                 ("skin_tone", "text"), ("region", "text"), ("background", "text"),
                 ("reference_image_path", "text"), ("created_at", "timestamptz"),
                 ("updated_at", "timestamptz")],
    "jobs": [("id", "uuid"), ("user_id", "uuid"), ("type", "text"), ("status", "text"),
             ("input_json", "jsonb"), ("provider_operation_id", "text"), ("error", "text"),
             ("created_at", "timestamptz"), ("updated_at", "timestamptz")],
    "job_outputs": [("id", "uuid"), ("job_id", "uuid"), ("kind", "text"), ("angle", "text"),
                    ("mime_type", "text"), ("storage_path", "text"), ("width", "int"),
                    ("height", "int"), ("created_at", "timestamptz")],
    "canvas_threads": [("id", "uuid"), ("user_id", "uuid"), ("title", "text"),
                       ("base_storage_bucket", "text"), ("base_storage_path", "text"),
                       ("source_job_id", "uuid"), ("created_at", "timestamptz"),
                       ("updated_at", "timestamptz")],
    "canvas_assets": [("id", "uuid"), ("thread_id", "uuid"), ("user_id", "uuid"),
                      ("label", "text"), ("source_job_id", "uuid"), ("source_output_id", "uuid"),
                      ("base_storage_bucket", "text"), ("base_storage_path", "text"),
                      ("current_storage_bucket", "text"), ("current_storage_path", "text"),
                      ("created_at", "timestamptz"), ("updated_at", "timestamptz")],
    "canvas_conversations": [("id", "uuid"), ("thread_id", "uuid"), ("user_id", "uuid"),
                             ("title", "text"), ("created_at", "timestamptz"),
                             ("updated_at", "timestamptz")],
    "canvas_messages": [("id", "uuid"), ("thread_id", "uuid"), ("user_id", "uuid"),
                        ("conversation_id", "uuid"), ("asset_id", "uuid"), ("role", "text"),
                        ("text", "text"), ("mask_storage_bucket", "text"),
                        ("mask_storage_path", "text"), ("output_job_id", "uuid"),
                        ("output_storage_bucket", "text"), ("output_storage_path", "text"),
                        ("created_at", "timestamptz")],
    "garment_cutouts": [("id", "uuid"), ("user_id", "uuid"), ("source_hash", "text"),
                        ("source_kind", "text"), ("storage_bucket", "text"),
                        ("storage_path", "text"), ("mime_type", "text"),
                        ("created_at", "timestamptz")],
}  # fmt: skip
WITH_UPDATED_AT = [t for t, cols in ERD.items() if ("updated_at", "timestamptz") in cols]


@pytest.fixture
def conn(supabase_module_db: str) -> Iterator[psycopg.Connection[Any]]:
    """One database per module: every test makes its own users, so tests do not collide."""
    with psycopg.connect(supabase_module_db, autocommit=True) as c:
        yield c


def test_tables_match_the_erd_and_the_domain_models(conn: psycopg.Connection[Any]) -> None:
    for model in MODELS:
        rows = conn.execute(
            "SELECT column_name, udt_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
            (model.table,),
        ).fetchall()
        expected = [(name, ERD_TYPES[kind]) for name, kind in ERD[model.table]]
        assert rows == expected, model.table
        assert tuple(r[0] for r in rows) == model.columns(), model.table
        pk = conn.execute(
            "SELECT column_default FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name = %s AND column_name = 'id'",
            (model.table,),
        ).fetchone()
        assert pk == ("gen_random_uuid()",)


def test_updated_at_is_set_by_the_server_on_every_update(conn: psycopg.Connection[Any]) -> None:
    a = make_user(conn)
    world = seed_world(conn, a)
    for table in WITH_UPDATED_AT:
        ident = sql.Identifier("public", table)
        conn.execute(
            sql.SQL(
                "UPDATE {} SET updated_at = '2001-01-01', created_at = '2001-01-01' WHERE id = %s"
            ).format(ident),
            (world.id(table),),
        )
        with as_user(conn, a):
            tx_now = conn.execute("SELECT now()").fetchone()
            # A client sending an old updated_at does not get to keep it.
            conn.execute(
                sql.SQL("UPDATE {} SET updated_at = '1999-01-01' WHERE id = %s").format(ident),
                (world.id(table),),
            )
        row = conn.execute(
            sql.SQL("SELECT updated_at, created_at FROM {} WHERE id = %s").format(ident),
            (world.id(table),),
        ).fetchone()
        assert row is not None and tx_now is not None
        assert row[0] == tx_now[0], table
        assert row[1].year == 2001, f"{table}: created_at must not move"


def _exists(conn: psycopg.Connection[Any], table: str, row_id: str) -> bool:
    row = conn.execute(
        sql.SQL("SELECT count(*) FROM {} WHERE id = %s").format(sql.Identifier("public", table)),
        (row_id,),
    ).fetchone()
    return row == (1,)


def _col(conn: psycopg.Connection[Any], table: str, column: str, row_id: str) -> Any:
    row = conn.execute(
        sql.SQL("SELECT {} FROM {} WHERE id = %s").format(
            sql.Identifier(column), sql.Identifier("public", table)
        ),
        (row_id,),
    ).fetchone()
    assert row is not None
    return row[0]


def test_deleting_a_job_removes_its_outputs_and_unlinks_the_creation(
    conn: psycopg.Connection[Any],
) -> None:
    w = seed_world(conn, make_user(conn))
    with as_user(conn, w.user_id):
        conn.execute("DELETE FROM jobs WHERE id = %s", (w.id("jobs"),))
    assert not _exists(conn, "job_outputs", w.id("job_outputs"))
    # The creation survives, its links to the job and output are cleared.
    assert _exists(conn, "canvas_threads", w.id("canvas_threads"))
    assert _col(conn, "canvas_threads", "source_job_id", w.id("canvas_threads")) is None
    assert _col(conn, "canvas_assets", "source_job_id", w.id("canvas_assets")) is None
    assert _col(conn, "canvas_assets", "source_output_id", w.id("canvas_assets")) is None
    assert _col(conn, "canvas_messages", "output_job_id", w.id("canvas_messages")) is None
    assert _exists(conn, "canvas_messages", w.id("canvas_messages"))


def test_deleting_a_thread_removes_its_parts(conn: psycopg.Connection[Any]) -> None:
    w = seed_world(conn, make_user(conn))
    with as_user(conn, w.user_id):
        conn.execute("DELETE FROM canvas_threads WHERE id = %s", (w.id("canvas_threads"),))
    for table in ("canvas_assets", "canvas_conversations", "canvas_messages"):
        assert not _exists(conn, table, w.id(table)), table
    assert _exists(conn, "jobs", w.id("jobs"))


def test_deleting_a_conversation_or_an_asset(conn: psycopg.Connection[Any]) -> None:
    w = seed_world(conn, make_user(conn))
    with as_user(conn, w.user_id):
        conn.execute("DELETE FROM canvas_assets WHERE id = %s", (w.id("canvas_assets"),))
    assert _col(conn, "canvas_messages", "asset_id", w.id("canvas_messages")) is None
    with as_user(conn, w.user_id):
        conn.execute(
            "DELETE FROM canvas_conversations WHERE id = %s", (w.id("canvas_conversations"),)
        )
    assert not _exists(conn, "canvas_messages", w.id("canvas_messages"))


def test_deleting_an_account_removes_all_its_rows(conn: psycopg.Connection[Any]) -> None:
    a = make_user(conn)
    w = seed_world(conn, a)
    other = seed_world(conn, make_user(conn))
    conn.execute("DELETE FROM auth.users WHERE id = %s", (a,))
    for table, row_id in w.ids.items():
        assert not _exists(conn, table, row_id), table
    for table, row_id in other.ids.items():
        assert _exists(conn, table, row_id), table


def test_a_cutout_is_cached_once_per_user_source_and_kind(conn: psycopg.Connection[Any]) -> None:
    a, b = make_user(conn), make_user(conn)
    insert = (
        "INSERT INTO garment_cutouts (user_id, source_hash, source_kind, storage_path)"
        " VALUES (%s, %s, %s, 'p')"
    )
    with as_user(conn, a):
        conn.execute(insert, (a, "h1", "front"))
        conn.execute(insert, (a, "h1", "back"))
    with as_user(conn, b):
        conn.execute(insert, (b, "h1", "front"))
    with pytest.raises(psycopg.errors.UniqueViolation), as_user(conn, a):
        conn.execute(insert, (a, "h1", "front"))
    # The upsert the app sends for the cache key works.
    with as_user(conn, a):
        conn.execute(
            "INSERT INTO garment_cutouts (user_id, source_hash, source_kind, storage_path)"
            " VALUES (%s, 'h1', 'front', 'new') ON CONFLICT (user_id, source_hash, source_kind)"
            " DO UPDATE SET storage_path = excluded.storage_path",
            (a,),
        )
    row = conn.execute(
        "SELECT storage_path FROM garment_cutouts WHERE user_id = %s AND source_kind = 'front'",
        (a,),
    ).fetchone()
    assert row == ("new",)


def test_required_columns_and_sane_values_are_enforced(conn: psycopg.Connection[Any]) -> None:
    a = make_user(conn)
    job = str(uuid.uuid4())
    with pytest.raises(psycopg.errors.NotNullViolation):
        conn.execute("INSERT INTO jobs (user_id) VALUES (%s)", (a,))
    conn.execute("INSERT INTO jobs (id, user_id, type) VALUES (%s, %s, 'a_future_type')", (job, a))
    row = conn.execute("SELECT status, input_json FROM jobs WHERE id = %s", (job,)).fetchone()
    assert row == ("queued", {})
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute("INSERT INTO job_outputs (job_id, width) VALUES (%s, 0)", (job,))
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute("INSERT INTO job_outputs (job_id) VALUES (%s)", (str(uuid.uuid4()),))
    # New enumerated values are accepted (no CHECK on kinds and roles).
    conn.execute("INSERT INTO job_outputs (job_id, kind) VALUES (%s, 'hologram')", (job,))


def _plan(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...]) -> str:
    with conn.transaction():
        conn.execute("SET LOCAL enable_seqscan = off")
        rows = conn.execute(f"EXPLAIN {query}", params).fetchall()  # type: ignore[arg-type]
    return "\n".join(r[0] for r in rows)


def test_feeds_and_resync_pages_are_read_in_index_order(conn: psycopg.Connection[Any]) -> None:
    """No Sort node: the rows come out of the index already in the requested order."""
    a = make_user(conn)
    conn.execute("ANALYZE")
    for table in ("jobs", "profiles", "canvas_threads", "garment_cutouts", "canvas_messages"):
        plan = _plan(
            conn,
            f"SELECT * FROM {table} WHERE user_id = %s ORDER BY created_at DESC, id LIMIT 50",
            (a,),
        )
        assert f"{table}_user_feed_idx" in plan and "Sort" not in plan, plan
    for table in WITH_UPDATED_AT:
        plan = _plan(
            conn,
            f"SELECT * FROM {table} WHERE user_id = %s AND (updated_at, id) > (%s, %s)"
            " ORDER BY updated_at, id LIMIT 500",
            (a, "2020-01-01", str(uuid.uuid4())),
        )
        assert f"{table}_user_updated_idx" in plan and "Sort" not in plan, plan
    plan = _plan(
        conn,
        "SELECT * FROM canvas_messages WHERE conversation_id = %s ORDER BY created_at, id",
        (str(uuid.uuid4()),),
    )
    assert "canvas_messages_conversation_idx" in plan and "Sort" not in plan, plan
    plan = _plan(
        conn,
        "SELECT * FROM sync.changes WHERE owner = %s AND (xid, seq) > ('5'::xid8, 1)"
        " ORDER BY xid, seq LIMIT 1000",
        (a,),
    )
    assert "changes_owner_position_idx" in plan and "Sort" not in plan, plan
