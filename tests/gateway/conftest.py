"""Helpers for the gateway's contract tests: a superuser view of the gateway's database (to see
what really landed, bypassing RLS) and a user's full graph of rows in all 8 tables."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.stack.pg import PgCluster


@pytest.fixture
def pg(gateway_db: str) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    """Autocommit superuser connection to the gateway's database (sees every row)."""
    with psycopg.connect(gateway_db, autocommit=True, row_factory=dict_row) as conn:
        yield conn


def seed_graph(client: Any, user_id: str) -> dict[str, str]:
    """One row in each of the 8 tables owned by ``user_id``, made through REST as that user
    (parents first). Returns table -> row id."""
    ids: dict[str, str] = {}

    def insert(table: str, row: dict[str, Any]) -> None:
        data = client.table(table).insert(row).execute().data
        assert len(data) == 1, (table, data)
        ids[table] = data[0]["id"]

    insert("profiles", {"user_id": user_id, "name": "Studio A"})
    insert("jobs", {"user_id": user_id, "type": "product_pack", "input_json": {"prompt": "red"}})
    insert(
        "job_outputs",
        {"job_id": ids["jobs"], "kind": "image", "storage_path": f"{user_id}/jobs/o.png"},
    )
    insert("canvas_threads", {"user_id": user_id, "title": "T", "source_job_id": ids["jobs"]})
    insert(
        "canvas_assets",
        {"thread_id": ids["canvas_threads"], "user_id": user_id, "label": "front"},
    )
    insert(
        "canvas_conversations",
        {"thread_id": ids["canvas_threads"], "user_id": user_id, "title": "chat"},
    )
    insert(
        "canvas_messages",
        {
            "thread_id": ids["canvas_threads"],
            "user_id": user_id,
            "conversation_id": ids["canvas_conversations"],
            "asset_id": ids["canvas_assets"],
            "role": "user",
            "text": "make it blue",
        },
    )
    insert(
        "garment_cutouts",
        {
            "user_id": user_id,
            "source_hash": uuid.uuid4().hex,
            "source_kind": "front",
            "storage_path": f"{user_id}/cutouts/x-front.png",
        },
    )
    return ids


#: A column of each table a test may overwrite with text, to try an update.
TEXT_COLUMN = {
    "profiles": "name",
    "jobs": "error",
    "job_outputs": "angle",
    "canvas_threads": "title",
    "canvas_assets": "label",
    "canvas_conversations": "title",
    "canvas_messages": "text",
    "garment_cutouts": "storage_path",
}


class StatementLog:
    """What Postgres logged (``log_statement = 'all'``) since the fixture started."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.start = path.stat().st_size

    def text(self) -> str:
        with self.path.open("rb") as handle:
            handle.seek(self.start)
            return handle.read().decode("utf-8", "replace")

    def assert_only_as_parameter(self, needle: str) -> int:
        """Every occurrence of ``needle`` in the log is inside a bind-parameter line, never in a
        statement's text. Returns how many times it was seen as a parameter."""
        # Where a value may show up: the parameters of a statement, and errors quoting a value
        # Postgres failed to read as its column's type (it was data, not SQL).
        allowed = ("DETAIL:  parameters:", "DETAIL:  Key (", "ERROR:  invalid input syntax for")
        logged = needle.replace("'", "''")  # how the log quotes a parameter value
        seen = 0
        for line in self.text().splitlines():
            if needle in line or logged in line:
                assert any(marker in line for marker in allowed), (
                    f"{needle!r} reached Postgres as SQL text: {line}"
                )
                seen += "parameters:" in line and logged in line
        return seen


@pytest.fixture
def statement_log(pg_cluster: PgCluster) -> Iterator[StatementLog]:
    """Turn on statement logging for the whole cluster for one test (ALTER SYSTEM + reload, so
    the gateway's pooled connections log too), then off again."""
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET log_statement = 'all'")
        conn.execute("ALTER SYSTEM SET log_parameter_max_length = -1")
        conn.execute("SELECT pg_reload_conf()")
    time.sleep(0.2)  # backends apply the reload before their next command
    try:
        yield StatementLog(pg_cluster.log_file)
    finally:
        with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as conn:
            conn.execute("ALTER SYSTEM RESET log_statement")
            conn.execute("ALTER SYSTEM RESET log_parameter_max_length")
            conn.execute("SELECT pg_reload_conf()")
