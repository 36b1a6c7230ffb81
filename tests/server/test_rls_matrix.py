"""RLS matrix: anon and another signed-in user against user A's rows, objects and parents.

Every attempt runs in its own transaction as PostgREST would run it (role + JWT claims). After
all attempts, a superuser snapshot of every table and of storage.objects must equal the one
taken before: nothing was read (checked per attempt) and nothing changed (checked at the end).
The number of attempts is printed (``-s``) and recorded as a test property.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from studio_desktop.domain.models import TABLES
from tests.server.world import (
    BUCKETS,
    UPDATE_COLUMN,
    World,
    insert_row_sql,
    make_user,
    seed_world,
    snapshot,
)
from tests.stack.fixtures import as_user

pytestmark = pytest.mark.pg


@pytest.fixture
def conn(supabase_module_db: str) -> Iterator[psycopg.Connection[Any]]:
    """One database per module: every test makes its own users, so tests do not collide."""
    with psycopg.connect(supabase_module_db, autocommit=True) as c:
        yield c


@pytest.fixture
def two_users(conn: psycopg.Connection[Any]) -> tuple[World, World]:
    a = seed_world(conn, make_user(conn))
    b = seed_world(conn, make_user(conn))
    for world in (a, b):
        for bucket in BUCKETS:
            conn.execute(
                "INSERT INTO storage.objects (bucket_id, name, owner, owner_id, metadata)"
                " VALUES (%s, %s, %s, %s, '{\"size\": 3}')",
                (bucket, f"{world.user_id}/seed/{bucket}.bin", world.user_id, world.user_id),
            )
    return a, b


class Attempts:
    """Counts attempts and checks each one's outcome."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.count = 0

    def refused_or_empty(
        self,
        user: str | None,
        query: sql.Composable | str,
        params: Any,
        forbidden: frozenset[str] = frozenset(),
    ) -> str:
        """Run one statement as ``user``; it must either be refused (42501), or read no id in
        ``forbidden`` (reads select ids), or change no row. Returns 'refused' or 'empty' so
        callers can demand the specific outcome."""
        self.count += 1
        try:
            with as_user(self.conn, user) as c:
                cur = c.execute(query, params)
                if cur.description is not None:
                    seen = {str(r[0]) for r in cur.fetchall()}
                    assert not seen & forbidden, f"read {seen & forbidden} via {query!r}"
                else:
                    assert cur.rowcount == 0, f"changed {cur.rowcount} rows: {query!r}"
                return "empty"
        except psycopg.errors.InsufficientPrivilege:
            return "refused"


def _attack_tables(
    att: Attempts, attacker: str | None, attacker_world: World, victim: World
) -> None:
    expect_refused = attacker is None  # anon has no privilege at all on these tables
    for table in TABLES:
        ident = sql.Identifier("public", table)
        victim_id = victim.id(table)
        forbidden = frozenset({victim_id})
        outcomes = [
            att.refused_or_empty(
                attacker, sql.SQL("SELECT id FROM {}").format(ident), None, forbidden
            ),
            att.refused_or_empty(
                attacker,
                sql.SQL("SELECT id FROM {} WHERE id = %s").format(ident),
                (victim_id,),
                forbidden,
            ),
            att.refused_or_empty(
                attacker,
                sql.SQL("UPDATE {} SET {} = 'pwned' WHERE id = %s").format(
                    ident, sql.Identifier(UPDATE_COLUMN[table])
                ),
                (victim_id,),
            ),
            att.refused_or_empty(
                attacker, sql.SQL("DELETE FROM {} WHERE id = %s").format(ident), (victim_id,)
            ),
        ]
        if expect_refused:
            assert outcomes == ["refused"] * 4, (table, outcomes)
        else:
            # A signed-in user is allowed to ask; RLS just shows and touches none of A's rows.
            assert outcomes == ["empty"] * 4, (table, outcomes)
        # Insert a row claiming to be A's (user_id = A; for job_outputs: on A's job).
        query, params = insert_row_sql(table, victim.user_id, victim)
        assert att.refused_or_empty(attacker, query, params) == "refused", table
        # Upsert one of the attacker's own rows onto A's id (PostgREST's on_conflict=id):
        # the conflicting row is A's, so the UPDATE half is refused, not silently applied.
        query, params = insert_row_sql(
            table, attacker_world.user_id, attacker_world, row_id=victim_id
        )
        upsert = sql.SQL(query + " ON CONFLICT (id) DO UPDATE SET {} = 'pwned'").format(
            sql.Identifier(UPDATE_COLUMN[table])
        )
        assert att.refused_or_empty(attacker, upsert, params) == "refused", table


def _attack_storage(att: Attempts, attacker: str | None, victim: World) -> None:
    for bucket in BUCKETS:
        name = f"{victim.user_id}/seed/{bucket}.bin"
        assert (
            att.refused_or_empty(
                attacker,
                "SELECT name FROM storage.objects WHERE bucket_id = %s",
                (bucket,),
                frozenset({name}),
            )
            == "empty"
        )
        assert (
            att.refused_or_empty(
                attacker,
                "UPDATE storage.objects SET metadata = '{}' WHERE bucket_id = %s AND name = %s",
                (bucket, name),
            )
            == "empty"
        )
        assert (
            att.refused_or_empty(
                attacker,
                "UPDATE storage.objects SET name = %s WHERE bucket_id = %s AND name = %s",
                (f"{attacker}/stolen.bin", bucket, name),
            )
            == "empty"
        )
        assert (
            att.refused_or_empty(
                attacker,
                "DELETE FROM storage.objects WHERE bucket_id = %s AND name = %s",
                (bucket, name),
            )
            == "empty"
        )
        assert (
            att.refused_or_empty(
                attacker,
                "INSERT INTO storage.objects (bucket_id, name, owner_id) VALUES (%s, %s, %s)",
                (bucket, f"{victim.user_id}/planted.bin", attacker),
            )
            == "refused"
        )


def test_anon_and_another_user_can_neither_read_nor_change_a_users_rows_and_objects(
    conn: psycopg.Connection[Any],
    two_users: tuple[World, World],
    record_property: Callable[[str, object], None],
) -> None:
    a, b = two_users
    before = snapshot(conn)
    att = Attempts(conn)
    for attacker in (None, b.user_id):
        _attack_tables(att, attacker, b, a)
        _attack_storage(att, attacker, a)
    assert snapshot(conn) == before, "an attempt changed data"
    # 8 tables x (2 reads + update + delete + insert + upsert) + 5 buckets x 5, anon and B.
    assert att.count == 2 * (8 * 6 + 5 * 5) == 146
    record_property("rls_attempts", att.count)
    print(f"RLS matrix: {att.count} attempts against user A by anon and user B, all denied")


def test_the_owner_can_do_everything_the_attackers_could_not(
    conn: psycopg.Connection[Any], two_users: tuple[World, World]
) -> None:
    """The positive control: the same statements succeed for A, so the matrix is not vacuous."""
    a, b = two_users
    for table in TABLES:
        ident = sql.Identifier("public", table)
        with as_user(conn, a.user_id):
            rows = conn.execute(sql.SQL("SELECT id FROM {}").format(ident)).fetchall()
            assert [str(r[0]) for r in rows] == [a.id(table)]
            cur = conn.execute(
                sql.SQL("UPDATE {} SET {} = 'mine' WHERE id = %s").format(
                    ident, sql.Identifier(UPDATE_COLUMN[table])
                ),
                (a.id(table),),
            )
            assert cur.rowcount == 1
            query, params = insert_row_sql(table, a.user_id, a)
            assert conn.execute(query, params).rowcount == 1
    for bucket in BUCKETS:
        with as_user(conn, a.user_id):
            mine = conn.execute(
                "SELECT name FROM storage.objects WHERE bucket_id = %s", (bucket,)
            ).fetchall()
            assert mine == [(f"{a.user_id}/seed/{bucket}.bin",)]
            conn.execute(
                "INSERT INTO storage.objects (bucket_id, name, owner_id) VALUES (%s, %s, %s)",
                (bucket, f"{a.user_id}/new/x.bin", a.user_id),
            )
            assert (
                conn.execute(
                    "UPDATE storage.objects SET metadata = '{\"size\": 1}'"
                    " WHERE bucket_id = %s AND name = %s",
                    (bucket, f"{a.user_id}/new/x.bin"),
                ).rowcount
                == 1
            )
            assert (
                conn.execute(
                    "DELETE FROM storage.objects WHERE bucket_id = %s AND name LIKE %s",
                    (bucket, f"{a.user_id}/%"),
                ).rowcount
                == 2
            )
    # Deleting is allowed too: everything of A's goes, B's rows stay.
    with as_user(conn, a.user_id):
        for table in reversed(TABLES):
            conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier("public", table)))
    for table in TABLES:
        for world, expected in ((a, (0,)), (b, (1,))):
            row = conn.execute(
                sql.SQL("SELECT count(*) FROM {} WHERE id = %s").format(
                    sql.Identifier("public", table)
                ),
                (world.id(table),),
            ).fetchone()
            assert row == expected, (table, world.user_id)


def test_storage_rejects_names_outside_the_own_folder_and_unknown_buckets(
    conn: psycopg.Connection[Any], two_users: tuple[World, World]
) -> None:
    a, _ = two_users
    bad = [
        ("outputs", "top-level.png"),  # no folder at all
        ("outputs", f"x{a.user_id}/a.png"),  # not exactly the id
        ("outputs", f"other/{a.user_id}/a.png"),  # the id, but not first
        ("elsewhere", f"{a.user_id}/a.png"),  # not one of the five buckets
    ]
    conn.execute(
        "INSERT INTO storage.buckets (id, name) VALUES ('elsewhere', 'elsewhere')"
        " ON CONFLICT DO NOTHING"
    )
    for bucket, name in bad:
        with pytest.raises(psycopg.errors.InsufficientPrivilege), as_user(conn, a.user_id):
            conn.execute(
                "INSERT INTO storage.objects (bucket_id, name) VALUES (%s, %s)", (bucket, name)
            )
        # Nor can an existing object be renamed out of the folder.
        with pytest.raises(psycopg.errors.InsufficientPrivilege), as_user(conn, a.user_id):
            conn.execute(
                "UPDATE storage.objects SET bucket_id = %s, name = %s"
                " WHERE bucket_id = 'outputs' AND name = %s",
                (bucket, name, f"{a.user_id}/seed/outputs.bin"),
            )


def _cross_owner_inserts(a: World, b: World) -> list[tuple[str, str, tuple[Any, ...]]]:
    """B's own rows (user_id = B) that point at one of A's parents."""
    n = lambda: str(uuid.uuid4())  # noqa: E731
    B, A = b.user_id, a.ids  # noqa: N806 (A/B read like the prose)
    Bw = b.ids  # noqa: N806
    return [
        ("output on A's job", "INSERT INTO job_outputs (id, job_id) VALUES (%s, %s)",
         (n(), A["jobs"])),
        ("thread from A's job",
         "INSERT INTO canvas_threads (id, user_id, source_job_id) VALUES (%s, %s, %s)",
         (n(), B, A["jobs"])),
        ("asset in A's thread",
         "INSERT INTO canvas_assets (id, thread_id, user_id) VALUES (%s, %s, %s)",
         (n(), A["canvas_threads"], B)),
        ("asset from A's job",
         "INSERT INTO canvas_assets (id, thread_id, user_id, source_job_id)"
         " VALUES (%s, %s, %s, %s)", (n(), Bw["canvas_threads"], B, A["jobs"])),
        ("asset from A's output",
         "INSERT INTO canvas_assets (id, thread_id, user_id, source_output_id)"
         " VALUES (%s, %s, %s, %s)", (n(), Bw["canvas_threads"], B, A["job_outputs"])),
        ("conversation in A's thread",
         "INSERT INTO canvas_conversations (id, thread_id, user_id) VALUES (%s, %s, %s)",
         (n(), A["canvas_threads"], B)),
        ("message in A's thread",
         "INSERT INTO canvas_messages (id, thread_id, user_id) VALUES (%s, %s, %s)",
         (n(), A["canvas_threads"], B)),
        ("message in A's conversation",
         "INSERT INTO canvas_messages (id, thread_id, user_id, conversation_id)"
         " VALUES (%s, %s, %s, %s)", (n(), Bw["canvas_threads"], B, A["canvas_conversations"])),
        ("message on A's asset",
         "INSERT INTO canvas_messages (id, thread_id, user_id, asset_id)"
         " VALUES (%s, %s, %s, %s)", (n(), Bw["canvas_threads"], B, A["canvas_assets"])),
        ("message with A's output job",
         "INSERT INTO canvas_messages (id, thread_id, user_id, output_job_id)"
         " VALUES (%s, %s, %s, %s)", (n(), Bw["canvas_threads"], B, A["jobs"])),
    ]  # fmt: skip


def _cross_owner_updates(a: World, b: World) -> list[tuple[str, str, tuple[Any, ...]]]:
    """B re-pointing its own rows at A's parents."""
    A, Bw = a.ids, b.ids  # noqa: N806
    return [
        ("move output to A's job", "UPDATE job_outputs SET job_id = %s WHERE id = %s",
         (A["jobs"], Bw["job_outputs"])),
        ("thread source -> A's job", "UPDATE canvas_threads SET source_job_id = %s WHERE id = %s",
         (A["jobs"], Bw["canvas_threads"])),
        ("asset -> A's thread", "UPDATE canvas_assets SET thread_id = %s WHERE id = %s",
         (A["canvas_threads"], Bw["canvas_assets"])),
        ("asset -> A's output", "UPDATE canvas_assets SET source_output_id = %s WHERE id = %s",
         (A["job_outputs"], Bw["canvas_assets"])),
        ("asset -> A's job", "UPDATE canvas_assets SET source_job_id = %s WHERE id = %s",
         (A["jobs"], Bw["canvas_assets"])),
        ("conversation -> A's thread",
         "UPDATE canvas_conversations SET thread_id = %s WHERE id = %s",
         (A["canvas_threads"], Bw["canvas_conversations"])),
        ("message -> A's thread", "UPDATE canvas_messages SET thread_id = %s WHERE id = %s",
         (A["canvas_threads"], Bw["canvas_messages"])),
        ("message -> A's conversation",
         "UPDATE canvas_messages SET conversation_id = %s WHERE id = %s",
         (A["canvas_conversations"], Bw["canvas_messages"])),
        ("message -> A's asset", "UPDATE canvas_messages SET asset_id = %s WHERE id = %s",
         (A["canvas_assets"], Bw["canvas_messages"])),
        ("message -> A's output job", "UPDATE canvas_messages SET output_job_id = %s WHERE id = %s",
         (A["jobs"], Bw["canvas_messages"])),
        ("give a row to A", "UPDATE jobs SET user_id = %s WHERE id = %s",
         (a.user_id, Bw["jobs"])),
    ]  # fmt: skip


def test_no_row_may_point_at_another_users_parent(
    conn: psycopg.Connection[Any],
    two_users: tuple[World, World],
    record_property: Callable[[str, object], None],
) -> None:
    a, b = two_users
    before = snapshot(conn)
    attempts = _cross_owner_inserts(a, b) + _cross_owner_updates(a, b)
    for label, query, params in attempts:
        with pytest.raises(psycopg.errors.InsufficientPrivilege), as_user(conn, b.user_id):
            conn.execute(query, params)  # type: ignore[arg-type]
            pytest.fail(f"allowed: {label}")
    assert snapshot(conn) == before
    record_property("cross_owner_attempts", len(attempts))
    print(f"cross-owner parent references: {len(attempts)} attempts by user B, all refused")
    assert len(attempts) == 21

    # The control: the same statements with B's own parents go through.
    a_as_b = World(user_id=b.user_id, ids=b.ids)
    for label, query, params in _cross_owner_inserts(a_as_b, b):
        with as_user(conn, b.user_id):
            assert conn.execute(query, params).rowcount == 1, label  # type: ignore[arg-type]
    for label, query, params in _cross_owner_updates(a_as_b, b):
        if label == "give a row to A":
            continue
        with as_user(conn, b.user_id):
            assert conn.execute(query, params).rowcount == 1, label  # type: ignore[arg-type]
