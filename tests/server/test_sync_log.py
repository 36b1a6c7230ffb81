"""The sync change log and ``sync_pull``: owners, cascades, visibility, out-of-order commits,
paging, retention and resync."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from studio_desktop.domain.models import TABLES
from tests.server.world import UPDATE_COLUMN, make_user, seed_world
from tests.stack.fixtures import as_role, as_user

pytestmark = pytest.mark.pg


@pytest.fixture
def conn(supabase_module_db: str) -> Iterator[psycopg.Connection[Any]]:
    """One database per module: every test makes its own users, so tests do not collide."""
    with psycopg.connect(supabase_module_db, autocommit=True) as c:
        yield c


def pull(
    conn: psycopg.Connection[Any], user: str, cursor: str | None, limit: int = 1000
) -> dict[str, Any]:
    with as_user(conn, user):
        row = conn.execute("SELECT public.sync_pull(%s, %s)", (cursor, limit)).fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


def entries(conn: psycopg.Connection[Any], since_seq: int = 0) -> list[tuple[str, str, str, str]]:
    """(table, op, row id, owner) of the log after ``since_seq``, in log order (superuser)."""
    rows = conn.execute(
        "SELECT table_name, op, row_id::text, owner::text FROM sync.changes"
        " WHERE seq > %s ORDER BY xid, seq",
        (since_seq,),
    ).fetchall()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def last_seq(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT coalesce(max(seq), 0) FROM sync.changes").fetchone()
    assert row is not None
    return int(row[0])


class Replica:
    """What a client keeps: rows by (table, id), moved forward by pulled pages."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}
        self.cursor: str | None = None

    def sync(self, conn: psycopg.Connection[Any], user: str, limit: int = 1000) -> int:
        """Pull until has_more is false; returns the number of pages."""
        pages = 0
        while True:
            page = pull(conn, user, self.cursor, limit)
            pages += 1
            if page["resync_required"]:
                self.full_resync(conn, user)
            for change in page["changes"]:
                key = (change["table"], change["id"])
                if change["op"] == "upsert":
                    self.rows[key] = change["row"]
                else:
                    assert change["op"] == "delete" and change["row"] is None
                    self.rows.pop(key, None)
            self.cursor = page["cursor"]
            if not page["has_more"] and not page["resync_required"]:
                return pages

    def full_resync(self, conn: psycopg.Connection[Any], user: str) -> None:
        self.rows = truth(conn, user)


def truth(conn: psycopg.Connection[Any], user: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Every row the user can see now, by plain selects (what a full resync reads)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    with as_user(conn, user):
        for table in TABLES:
            rows = conn.execute(
                sql.SQL("SELECT to_jsonb(t) FROM {} t").format(sql.Identifier("public", table))
            ).fetchall()
            for (row,) in rows:
                out[(table, row["id"])] = row
    return out


# ---------------------------------------------------------------- the log itself


def test_every_insert_update_and_delete_is_logged_with_its_owner(
    conn: psycopg.Connection[Any],
) -> None:
    a = make_user(conn)
    start = last_seq(conn)
    world = seed_world(conn, a)
    assert entries(conn, start) == [(t, "INSERT", world.id(t), a) for t in _seed_order()]

    for table in TABLES:
        start = last_seq(conn)
        column = UPDATE_COLUMN[table]
        with as_user(conn, a):
            conn.execute(
                sql.SQL("UPDATE {} SET {} = 'changed' WHERE id = %s").format(
                    sql.Identifier("public", table), sql.Identifier(column)
                ),
                (world.id(table),),
            )
        got = entries(conn, start)
        assert got == [(table, "UPDATE", world.id(table), a)], table
        row = conn.execute(
            "SELECT row ->> %s FROM sync.changes WHERE seq > %s", (column, start)
        ).fetchone()
        assert row == ("changed",)

    # Deleting, child first so that no cascade is involved here.
    for table in reversed(_seed_order()):
        start = last_seq(conn)
        with as_user(conn, a):
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE id = %s").format(sql.Identifier("public", table)),
                (world.id(table),),
            )
        assert entries(conn, start)[-1] == (table, "DELETE", world.id(table), a), table
        # The deleted row's content stays in the entry.
        logged = conn.execute(
            "SELECT row ->> 'id' FROM sync.changes WHERE seq > %s AND op = 'DELETE'"
            " AND table_name = %s",
            (start, table),
        ).fetchone()
        assert logged == (world.id(table),)


def _seed_order() -> list[str]:
    return [
        "profiles",
        "jobs",
        "job_outputs",
        "canvas_threads",
        "canvas_assets",
        "canvas_conversations",
        "canvas_messages",
        "garment_cutouts",
    ]


def test_deleting_a_job_logs_its_cascaded_outputs_with_the_jobs_owner(
    conn: psycopg.Connection[Any],
) -> None:
    a = make_user(conn)
    world = seed_world(conn, a)
    extra = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO job_outputs (id, job_id, angle) VALUES (%s, %s, 'back')",
        (extra, world.id("jobs")),
    )
    start = last_seq(conn)
    with as_user(conn, a):
        conn.execute("DELETE FROM jobs WHERE id = %s", (world.id("jobs"),))
    got = entries(conn, start)
    deleted_outputs = {e[2] for e in got if e[0] == "job_outputs" and e[1] == "DELETE"}
    assert deleted_outputs == {world.id("job_outputs"), extra}
    assert all(owner == a for (*_, owner) in got), got
    # And the SET NULLs of the creation made from the job are updates the client must see.
    assert ("canvas_threads", "UPDATE", world.id("canvas_threads"), a) in got
    assert ("canvas_assets", "UPDATE", world.id("canvas_assets"), a) in got
    assert ("canvas_messages", "UPDATE", world.id("canvas_messages"), a) in got
    assert ("jobs", "DELETE", world.id("jobs"), a) in got


def test_outputs_and_job_deleted_in_one_statement_keep_their_owner(
    conn: psycopg.Connection[Any],
) -> None:
    """The outputs' AFTER triggers fire at the end of the statement, when the job row is
    already gone; referencing the CTE makes the outputs go first, so their events come first."""
    a = make_user(conn)
    world = seed_world(conn, a)
    start = last_seq(conn)
    with as_user(conn, a):
        cur = conn.execute(
            "WITH o AS (DELETE FROM job_outputs WHERE job_id = %s RETURNING job_id)"
            " DELETE FROM jobs WHERE id IN (SELECT job_id FROM o)",
            (world.id("jobs"),),
        )
        assert cur.rowcount == 1
    got = entries(conn, start)
    assert ("job_outputs", "DELETE", world.id("job_outputs"), a) in got
    assert all(owner == a for (*_, owner) in got), got


def test_deleting_a_thread_logs_its_assets_conversations_and_messages(
    conn: psycopg.Connection[Any],
) -> None:
    a = make_user(conn)
    world = seed_world(conn, a)
    start = last_seq(conn)
    with as_user(conn, a):
        conn.execute("DELETE FROM canvas_threads WHERE id = %s", (world.id("canvas_threads"),))
    got = set(entries(conn, start))
    for table in ("canvas_threads", "canvas_assets", "canvas_conversations", "canvas_messages"):
        assert (table, "DELETE", world.id(table), a) in got, table


def test_deleting_an_account_logs_the_deletion_of_everything_it_owned(
    conn: psycopg.Connection[Any],
) -> None:
    a = make_user(conn)
    world = seed_world(conn, a)
    start = last_seq(conn)
    conn.execute("DELETE FROM auth.users WHERE id = %s", (a,))
    deleted = {(e[0], e[2]) for e in entries(conn, start) if e[1] == "DELETE" and e[3] == a}
    assert deleted == {(t, world.id(t)) for t in TABLES}


def test_users_cannot_write_the_log_nor_read_each_others_entries(
    conn: psycopg.Connection[Any],
) -> None:
    a, b = make_user(conn), make_user(conn)
    seed_world(conn, a)
    seed_world(conn, b)
    with as_user(conn, b):
        owners = conn.execute("SELECT DISTINCT owner::text FROM sync.changes").fetchall()
        assert owners == [(b,)]
        assert conn.execute(
            "SELECT count(*) FROM sync.changes WHERE owner = %s", (a,)
        ).fetchone() == (0,)
    with pytest.raises(psycopg.errors.InsufficientPrivilege), as_user(conn, b):
        conn.execute(
            "INSERT INTO sync.changes (table_name, op, row_id, owner, row)"
            " VALUES ('jobs', 'DELETE', gen_random_uuid(), %s, '{}')",
            (a,),
        )
    with pytest.raises(psycopg.errors.InsufficientPrivilege), as_user(conn, b):
        conn.execute("DELETE FROM sync.changes")
    # B's pulls only ever name B's rows; anon may not pull at all.
    page = pull(conn, b, "v1.0.0")
    assert page["changes"] and {c["owner"] for c in page["changes"]} == {b}
    with pytest.raises(psycopg.errors.InsufficientPrivilege), as_user(conn, None):
        conn.execute("SELECT public.sync_pull('v1.0.0', 10)")
    with pytest.raises(psycopg.errors.InsufficientPrivilege), as_user(conn, b):
        conn.execute("SELECT public.sync_prune('1 day')")


def test_a_row_moved_to_another_owner_leaves_the_old_owners_replica(
    conn: psycopg.Connection[Any],
) -> None:
    a, b = make_user(conn), make_user(conn)
    world = seed_world(conn, a)
    replica_a, replica_b = Replica(), Replica()
    replica_a.sync(conn, a)
    replica_b.sync(conn, b)
    assert ("jobs", world.id("jobs")) in replica_a.rows
    # Done by the service role (users cannot give rows away: RLS WITH CHECK).
    conn.execute(
        "UPDATE canvas_threads SET source_job_id = NULL WHERE id = %s",
        (world.id("canvas_threads"),),
    )
    conn.execute("UPDATE jobs SET user_id = %s WHERE id = %s", (b, world.id("jobs")))
    replica_a.sync(conn, a)
    replica_b.sync(conn, b)
    for table in ("jobs", "job_outputs"):
        assert (table, world.id(table)) not in replica_a.rows
        assert (table, world.id(table)) in replica_b.rows
    assert replica_a.rows == truth(conn, a)
    assert replica_b.rows == truth(conn, b)


# ---------------------------------------------------------------- the pull


def test_a_first_pull_asks_for_a_full_resync_and_later_pulls_bring_changes(
    conn: psycopg.Connection[Any],
) -> None:
    a = make_user(conn)
    seed_world(conn, a)
    first = pull(conn, a, None)
    assert first["resync_required"] is True and first["changes"] == []
    assert first["has_more"] is False
    replica = Replica()
    replica.full_resync(conn, a)
    replica.cursor = first["cursor"]
    with as_user(conn, a):
        conn.execute("INSERT INTO jobs (user_id, type) VALUES (%s, 'extract_garment')", (a,))
    page = pull(conn, a, replica.cursor)
    assert page["resync_required"] is False
    assert [(c["table"], c["op"]) for c in page["changes"]] == [("jobs", "upsert")]
    assert page["changes"][0]["row"]["type"] == "extract_garment"
    assert page["changes"][0]["cursor"].startswith("v1.")
    replica.sync(conn, a)
    assert replica.rows == truth(conn, a)
    # Nothing new: the same cursor comes back (or moves to the current horizon), no changes.
    again = pull(conn, a, replica.cursor)
    assert again["changes"] == [] and again["has_more"] is False


def test_pages_follow_the_limit_and_rows_changed_twice_come_once(
    conn: psycopg.Connection[Any],
) -> None:
    a = make_user(conn)
    start = pull(conn, a, None)["cursor"]
    job_ids = [str(uuid.uuid4()) for _ in range(25)]
    with as_user(conn, a):
        for job_id in job_ids:
            conn.execute("INSERT INTO jobs (id, user_id, type) VALUES (%s, %s, 'x')", (job_id, a))
    with as_user(conn, a):
        conn.execute("UPDATE jobs SET status = 'running' WHERE id = %s", (job_ids[0],))
    # 26 entries; pages of 10 entries.
    cursor, seen, pages = start, [], []
    while True:
        page = pull(conn, a, cursor, 10)
        pages.append(page)
        seen += [c["id"] for c in page["changes"]]
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    assert [p["has_more"] for p in pages] == [True, True, False]
    assert [len(p["changes"]) for p in pages] == [10, 10, 6]
    # job 0 appears in page 1 (insert) and in page 3 (its update) with the final state.
    assert seen.count(job_ids[0]) == 2 and set(seen) == set(job_ids)
    assert pages[2]["changes"][-1]["row"]["status"] == "running"
    # Within one page, a row changed twice is returned once, with its current state.
    with as_user(conn, a):
        conn.execute("UPDATE jobs SET status = 'succeeded' WHERE id = %s", (job_ids[1],))
        conn.execute("UPDATE jobs SET error = 'none' WHERE id = %s", (job_ids[1],))
    page = pull(conn, a, cursor)
    assert [(c["id"], c["row"]["status"], c["row"]["error"]) for c in page["changes"]] == [
        (job_ids[1], "succeeded", "none")
    ]


def test_bad_arguments_are_refused_with_clear_errors(conn: psycopg.Connection[Any]) -> None:
    a = make_user(conn)
    bad_cursors = (
        "nonsense",
        "v1.1",
        "v2.1.1",
        "v1.-1.0",
        "v1.1.1; drop table jobs",
        "v1.99999999999999999999.1",
    )
    for cursor in bad_cursors:
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="invalid sync cursor"):
            pull(conn, a, cursor)
    for limit in (0, -5, 5001):
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="between 1 and 5000"):
            pull(conn, a, "v1.0.0", limit)
    # A cursor from another database's history (ahead of every xid here) cannot be trusted.
    future = pull(conn, a, "v1.999999999999.5")
    assert future["resync_required"] is True
    # Without a user id (e.g. the service role) there is nothing to pull.
    with (
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="signed-in user"),
        as_role(conn, "authenticated", {"role": "authenticated"}),
    ):
        conn.execute("SELECT public.sync_pull('v1.0.0', 10)")


# ---------------------------------------------------------------- out-of-order commits


def _xid(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT pg_current_xact_id()::text").fetchone()
    assert row is not None
    return int(row[0])


def test_a_transaction_committing_after_a_later_numbered_one_is_never_skipped(
    supabase_module_db: str, conn: psycopg.Connection[Any]
) -> None:
    a = make_user(conn)
    cursor = pull(conn, a, None)["cursor"]
    job1, job2 = str(uuid.uuid4()), str(uuid.uuid4())
    with (
        psycopg.connect(supabase_module_db) as t1conn,
        psycopg.connect(supabase_module_db) as t2conn,
    ):
        # T1 starts and writes first: it gets the lower xid and the lower seq ...
        t1conn.execute("INSERT INTO jobs (id, user_id, type) VALUES (%s, %s, 't1')", (job1, a))
        xid1 = _xid(t1conn)
        # ... T2 writes later and commits first.
        t2conn.execute("INSERT INTO jobs (id, user_id, type) VALUES (%s, %s, 't2')", (job2, a))
        xid2 = _xid(t2conn)
        t2conn.commit()
        assert xid1 < xid2
        # A naive "entries after the highest seq I saw" reader would now see T2's entry and move
        # past T1's lower seq, which is still invisible: exactly the skip this design prevents.
        visible = conn.execute(
            "SELECT row_id::text, seq FROM sync.changes WHERE row_id IN (%s, %s)", (job1, job2)
        ).fetchall()
        assert [r[0] for r in visible] == [job2]

        between = pull(conn, a, cursor)
        between_ids = [c["id"] for c in between["changes"]]
        assert job2 not in between_ids and job1 not in between_ids
        assert between["has_more"] is False
        cursor = between["cursor"]
        # The cursor did not move past T1's position.
        cursor_xid = int(cursor.split(".")[1])
        assert cursor_xid <= xid1

        t1conn.commit()
    after = pull(conn, a, cursor)
    after_ids = [c["id"] for c in after["changes"]]
    assert after_ids == [job1, job2]  # (xid, seq) order: T1 first


def test_the_final_state_wins_when_a_lower_xid_overwrites_a_higher_one(
    supabase_module_db: str, conn: psycopg.Connection[Any]
) -> None:
    """Xid order is not commit order: T_low (lower xid) updates a row after T_high committed
    its update. The log holds T_low's image first, but the pull returns the row as it is."""
    a = make_user(conn)
    world = seed_world(conn, a)
    replica = Replica()
    replica.sync(conn, a)
    with psycopg.connect(supabase_module_db) as low, psycopg.connect(supabase_module_db) as high:
        low.execute("UPDATE profiles SET name = 'low' WHERE id = %s", (world.id("profiles"),))
        high.execute("UPDATE jobs SET status = 'running' WHERE id = %s", (world.id("jobs"),))
        assert _xid(low) < _xid(high)
        high.commit()
        low.execute("UPDATE jobs SET status = 'succeeded' WHERE id = %s", (world.id("jobs"),))
        low.commit()
    # Replaying the logged images in (xid, seq) order would end with 'running'.
    images = conn.execute(
        "SELECT row ->> 'status' FROM sync.changes WHERE row_id = %s AND op = 'UPDATE'"
        " ORDER BY xid, seq",
        (world.id("jobs"),),
    ).fetchall()
    assert [r[0] for r in images] == ["succeeded", "running"]
    replica.sync(conn, a)
    assert replica.rows[("jobs", world.id("jobs"))]["status"] == "succeeded"
    assert replica.rows == truth(conn, a)


def test_random_interleaved_transactions_converge(
    supabase_module_db: str, conn: psycopg.Connection[Any]
) -> None:
    """Three writers with overlapping transactions on one user's jobs and outputs, a reader
    pulling at random moments with small pages; at the end the replica equals the database."""
    rnd = random.Random(20261124)
    a = make_user(conn)
    replica = Replica()
    replica.sync(conn, a)
    writers = [psycopg.connect(supabase_module_db) for _ in range(3)]
    for w in writers:  # a writer waiting for another's row lock would wait forever here
        w.execute("SET lock_timeout = '20ms'")
        w.commit()
    jobs: list[str] = []
    try:
        for _step in range(150):
            w = rnd.choice(writers)
            action = rnd.random()
            try:
                if action < 0.35 or not jobs:
                    job = str(uuid.uuid4())
                    w.execute("INSERT INTO jobs (id, user_id, type) VALUES (%s, %s, 'x')", (job, a))
                    w.execute("INSERT INTO job_outputs (job_id) VALUES (%s)", (job,))
                    jobs.append(job)
                elif action < 0.65:
                    w.execute(
                        "UPDATE jobs SET status = %s WHERE id = %s",
                        (rnd.choice(["running", "succeeded", "failed"]), rnd.choice(jobs)),
                    )
                elif action < 0.75:
                    w.execute("DELETE FROM jobs WHERE id = %s", (rnd.choice(jobs),))
                elif action < 0.9:
                    w.commit()
                else:
                    replica.sync(conn, a, limit=rnd.choice([1, 3, 7]))
            except psycopg.errors.LockNotAvailable:
                w.rollback()
        for w in writers:
            w.commit()
    finally:
        for w in writers:
            w.close()
    replica.sync(conn, a, limit=5)
    expected = truth(conn, a)
    assert expected, "the scenario wrote nothing"
    assert replica.rows == expected


# ---------------------------------------------------------------- retention


@pytest.fixture
def own_db_conn(supabase_db: str) -> Iterator[psycopg.Connection[Any]]:
    """A database of its own: pruning rewrites the whole log."""
    with psycopg.connect(supabase_db, autocommit=True) as c:
        yield c


def test_pruned_history_makes_old_cursors_resync_and_recent_ones_continue(
    own_db_conn: psycopg.Connection[Any],
) -> None:
    conn = own_db_conn
    a, b = make_user(conn), make_user(conn)
    cursor_old = pull(conn, a, None)["cursor"]
    cursor_b = pull(conn, b, None)["cursor"]
    world = seed_world(conn, a)
    conn.execute("UPDATE sync.changes SET changed_at = now() - interval '40 days'")
    replica = Replica()
    replica.cursor = cursor_old
    replica.sync(conn, a)  # caught up before the prune
    cursor_recent = replica.cursor
    with as_user(conn, a):
        conn.execute("UPDATE jobs SET status = 'failed' WHERE id = %s", (world.id("jobs"),))

    with pytest.raises(psycopg.errors.InsufficientPrivilege), as_user(conn, a):
        conn.execute("SELECT public.sync_prune('30 days')")
    with as_role(conn, "service_role", {"role": "service_role"}):
        row = conn.execute("SELECT public.sync_prune('30 days')").fetchone()
    assert row == (8,)  # the 8 seeded inserts; the fresh update stays
    with (
        pytest.raises(psycopg.errors.InvalidParameterValue),
        as_role(conn, "service_role", {"role": "service_role"}),
    ):
        conn.execute("SELECT public.sync_prune('-1 day')")

    stale = pull(conn, a, cursor_old)
    assert stale["resync_required"] is True and stale["changes"] == []
    fresh = pull(conn, a, cursor_recent)
    assert fresh["resync_required"] is False
    assert [(c["table"], c["row"]["status"]) for c in fresh["changes"]] == [("jobs", "failed")]
    # B had nothing pruned: its old cursor is still good.
    assert pull(conn, b, cursor_b)["resync_required"] is False

    # Following the resync protocol brings a stale client back to the truth.
    stale_client = Replica()
    stale_client.cursor = cursor_old
    stale_client.sync(conn, a)
    assert stale_client.rows == truth(conn, a)
    assert pull(conn, a, stale_client.cursor)["resync_required"] is False
