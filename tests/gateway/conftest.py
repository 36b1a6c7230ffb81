"""Helpers for the gateway's contract tests: a superuser view of the gateway's database (to see
what really landed, bypassing RLS) and a user's full graph of rows in all 8 tables."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row


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
