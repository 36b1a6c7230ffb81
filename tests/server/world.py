"""Rows for the server tests: users in auth.users and one complete set of rows per user.

Everything here writes as the superuser (no RLS), the way a fixture prepares a database; the
tests then act as users through :func:`tests.stack.fixtures.as_user`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from studio_desktop.domain.models import TABLES

#: Tables whose rows carry their own user_id (all but job_outputs).
USER_TABLES: tuple[str, ...] = tuple(t for t in TABLES if t != "job_outputs")
BUCKETS: tuple[str, ...] = ("outputs", "profiles", "extractions", "videos", "zips")


def make_user(conn: psycopg.Connection[Any], email: str | None = None) -> str:
    """A row in auth.users (what GoTrue writes at sign-up); returns its id."""
    user_id = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO auth.users (id, aud, role, email, created_at, updated_at)"
        " VALUES (%s, 'authenticated', 'authenticated', %s, now(), now())",
        (user_id, email or f"{user_id[:8]}@example.test"),
    )
    return user_id


@dataclass(frozen=True)
class World:
    """One row in each of the 8 tables, owned by ``user_id`` and linked as the app links them."""

    user_id: str
    ids: dict[str, str]

    def id(self, table: str) -> str:
        return self.ids[table]


def seed_world(conn: psycopg.Connection[Any], user_id: str) -> World:
    """Insert a job with an output, a profile, a cutout, and a creation made from the job (thread,
    asset from the output, conversation, message pointing at the asset and an output job)."""
    ids = {t: str(uuid.uuid4()) for t in TABLES}
    u = user_id
    conn.execute(
        "INSERT INTO public.profiles (id, user_id, name, reference_image_path)"
        " VALUES (%s, %s, 'Mia', %s)",
        (ids["profiles"], u, f"{u}/profiles/{ids['profiles']}.png"),
    )
    conn.execute(
        "INSERT INTO public.jobs (id, user_id, type, status, input_json)"
        " VALUES (%s, %s, 'product_pack', 'succeeded', %s)",
        (ids["jobs"], u, Jsonb({"prompt": "white tee"})),
    )
    conn.execute(
        "INSERT INTO public.job_outputs (id, job_id, kind, angle, mime_type, storage_path,"
        " width, height) VALUES (%s, %s, 'image', 'front', 'image/png', %s, 640, 960)",
        (ids["job_outputs"], ids["jobs"], f"{u}/jobs/{ids['jobs']}/{ids['job_outputs']}.png"),
    )
    conn.execute(
        "INSERT INTO public.canvas_threads (id, user_id, title, source_job_id)"
        " VALUES (%s, %s, 'Creation', %s)",
        (ids["canvas_threads"], u, ids["jobs"]),
    )
    conn.execute(
        "INSERT INTO public.canvas_assets (id, thread_id, user_id, label, source_job_id,"
        " source_output_id, current_storage_bucket, current_storage_path)"
        " VALUES (%s, %s, %s, 'front', %s, %s, 'outputs', %s)",
        (
            ids["canvas_assets"],
            ids["canvas_threads"],
            u,
            ids["jobs"],
            ids["job_outputs"],
            f"{u}/jobs/{ids['jobs']}/{ids['job_outputs']}.png",
        ),
    )
    conn.execute(
        "INSERT INTO public.canvas_conversations (id, thread_id, user_id, title)"
        " VALUES (%s, %s, %s, 'Chat')",
        (ids["canvas_conversations"], ids["canvas_threads"], u),
    )
    conn.execute(
        "INSERT INTO public.canvas_messages (id, thread_id, user_id, conversation_id, asset_id,"
        " role, text, output_job_id) VALUES (%s, %s, %s, %s, %s, 'user', 'make it red', %s)",
        (
            ids["canvas_messages"],
            ids["canvas_threads"],
            u,
            ids["canvas_conversations"],
            ids["canvas_assets"],
            ids["jobs"],
        ),
    )
    conn.execute(
        "INSERT INTO public.garment_cutouts (id, user_id, source_hash, source_kind, storage_path)"
        " VALUES (%s, %s, %s, 'front', %s)",
        (ids["garment_cutouts"], u, "h" + ids["garment_cutouts"][:8], f"{u}/cutouts/x.png"),
    )
    return World(user_id=user_id, ids=ids)


def snapshot(conn: psycopg.Connection[Any]) -> dict[str, list[Any]]:
    """Every row of the 8 tables and storage.objects as jsonb, ordered: compare before/after."""
    out: dict[str, list[Any]] = {}
    for table in (*(f"public.{t}" for t in TABLES), "storage.objects"):
        rows = conn.execute(f"SELECT to_jsonb(t) FROM {table} t ORDER BY t.id").fetchall()
        out[table] = [r[0] for r in rows]
    return out


def insert_row_sql(
    table: str, owner: str, world: World, row_id: str | None = None
) -> tuple[str, tuple[Any, ...]]:
    """An INSERT of a row into ``table`` owned by ``owner`` whose parents are ``world``'s (with a
    fresh id unless ``row_id`` is given)."""
    new_id = row_id or str(uuid.uuid4())
    w = world.ids
    statements: dict[str, tuple[str, tuple[Any, ...]]] = {
        "profiles": (
            "INSERT INTO public.profiles (id, user_id, name) VALUES (%s, %s, 'x')",
            (new_id, owner),
        ),
        "jobs": (
            "INSERT INTO public.jobs (id, user_id, type) VALUES (%s, %s, 'tryon_image')",
            (new_id, owner),
        ),
        "job_outputs": (
            "INSERT INTO public.job_outputs (id, job_id) VALUES (%s, %s)",
            (new_id, w["jobs"]),
        ),
        "canvas_threads": (
            "INSERT INTO public.canvas_threads (id, user_id, source_job_id) VALUES (%s, %s, %s)",
            (new_id, owner, w["jobs"]),
        ),
        "canvas_assets": (
            "INSERT INTO public.canvas_assets (id, thread_id, user_id) VALUES (%s, %s, %s)",
            (new_id, w["canvas_threads"], owner),
        ),
        "canvas_conversations": (
            "INSERT INTO public.canvas_conversations (id, thread_id, user_id) VALUES (%s, %s, %s)",
            (new_id, w["canvas_threads"], owner),
        ),
        "canvas_messages": (
            "INSERT INTO public.canvas_messages (id, thread_id, user_id, text)"
            " VALUES (%s, %s, %s, 'hi')",
            (new_id, w["canvas_threads"], owner),
        ),
        "garment_cutouts": (
            "INSERT INTO public.garment_cutouts (id, user_id, source_hash, source_kind,"
            " storage_path) VALUES (%s, %s, %s, 'back', 'p')",
            (new_id, owner, new_id),
        ),
    }
    return statements[table]


#: A harmless column to write in an UPDATE of each table.
UPDATE_COLUMN: dict[str, str] = {
    "profiles": "name",
    "jobs": "status",
    "job_outputs": "mime_type",
    "canvas_threads": "title",
    "canvas_assets": "label",
    "canvas_conversations": "title",
    "canvas_messages": "text",
    "garment_cutouts": "mime_type",
}
