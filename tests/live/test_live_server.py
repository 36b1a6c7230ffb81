"""The live-sync migration in Postgres: one Broadcast hint per owner per transaction to the
private topic ``sync:<owner>``, and a realtime.messages policy that lets a user pass Realtime's
join check for their own topic only (checked the way Realtime checks it: probe rows, the
caller's role and claims, select, roll back)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg
import pytest

from tests.server.world import make_user
from tests.stack.fixtures import jwt_claims

pytestmark = pytest.mark.pg


def _hints(conn: psycopg.Connection[Any]) -> list[tuple[str, str, dict[str, Any], bool]]:
    rows = conn.execute(
        "SELECT topic, event, payload, private FROM realtime.messages"
        " WHERE extension = 'broadcast' ORDER BY inserted_at, topic"
    ).fetchall()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def _can_join(conn: psycopg.Connection[Any], topic: str, user_id: str | None) -> dict[str, bool]:
    """Realtime's read-authorization check for a private channel (Authorization
    .get_read_authorizations): probe rows per extension, then select them as the caller."""
    claims = jwt_claims(user_id)
    ids = {ext: str(uuid.uuid4()) for ext in ("broadcast", "presence")}
    with conn.transaction(force_rollback=True):
        for ext, probe in ids.items():
            conn.execute(
                "INSERT INTO realtime.messages (id, topic, extension) VALUES (%s, %s, %s)",
                (probe, topic, ext),
            )
        conn.execute(
            "SELECT set_config('role', %s, true), set_config('realtime.topic', %s, true),"
            " set_config('request.jwt.claims', %s, true),"
            " set_config('request.jwt.claim.sub', %s, true),"
            " set_config('request.jwt.claim.role', %s, true)",
            (claims["role"], topic, json.dumps(claims), user_id or "", claims["role"]),
        )
        seen = {
            str(r[0])
            for r in conn.execute(
                "SELECT id FROM realtime.messages WHERE id = ANY(%s::uuid[])", (list(ids.values()),)
            ).fetchall()
        }
    return {ext: probe in seen for ext, probe in ids.items()}


def test_one_hint_per_owner_per_transaction(supabase_db: str) -> None:
    with psycopg.connect(supabase_db, autocommit=True) as conn:
        a, b = make_user(conn), make_user(conn)
        with conn.transaction():
            conn.execute(
                "INSERT INTO public.profiles (user_id, name)"
                " SELECT %s, 'p' || g FROM generate_series(1, 1000) g",
                (a,),
            )
            conn.execute("INSERT INTO public.profiles (user_id, name) VALUES (%s, 'b1')", (b,))
            xid = conn.execute("SELECT pg_current_xact_id()::text").fetchone()[0]  # type: ignore[index]
        hints = _hints(conn)
        assert sorted(h[0] for h in hints) == sorted([f"sync:{a}", f"sync:{b}"])
        for _topic, event, payload, private in hints:
            assert event == "changes"
            assert private is True
            assert payload["xid"] == xid
            # No row data travels: only the xid and the id realtime.send adds.
            assert set(payload) == {"xid", "id"}
        count = conn.execute("SELECT count(*) FROM sync.changes WHERE owner = %s", (a,)).fetchone()
        assert count == (1000,)

        # A second transaction hints again (the memory is per transaction).
        conn.execute("UPDATE public.profiles SET name = 'x' WHERE user_id = %s", (b,))
        assert [h[0] for h in _hints(conn)].count(f"sync:{b}") == 2


def test_a_rolled_back_transaction_sends_nothing(supabase_db: str) -> None:
    with psycopg.connect(supabase_db, autocommit=True) as conn:
        a = make_user(conn)
        with conn.transaction(force_rollback=True):
            conn.execute("INSERT INTO public.profiles (user_id, name) VALUES (%s, 'gone')", (a,))
        assert _hints(conn) == []


def test_a_deleted_row_hints_its_previous_owner_and_a_moved_row_both(supabase_db: str) -> None:
    with psycopg.connect(supabase_db, autocommit=True) as conn:
        a, b = make_user(conn), make_user(conn)
        pid = conn.execute(
            "INSERT INTO public.profiles (user_id, name) VALUES (%s, 'm') RETURNING id", (a,)
        ).fetchone()[0]  # type: ignore[index]
        conn.execute("DELETE FROM realtime.messages")
        conn.execute("UPDATE public.profiles SET user_id = %s WHERE id = %s", (b, pid))
        assert sorted(h[0] for h in _hints(conn)) == sorted([f"sync:{a}", f"sync:{b}"])
        conn.execute("DELETE FROM realtime.messages")
        conn.execute("DELETE FROM public.profiles WHERE id = %s", (pid,))
        assert [h[0] for h in _hints(conn)] == [f"sync:{b}"]


def test_join_check_lets_a_user_read_only_their_own_topic(supabase_db: str) -> None:
    with psycopg.connect(supabase_db, autocommit=True) as conn:
        a, b = make_user(conn), make_user(conn)
        assert _can_join(conn, f"sync:{a}", a) == {"broadcast": True, "presence": False}
        assert _can_join(conn, f"sync:{a}", b) == {"broadcast": False, "presence": False}
        assert _can_join(conn, f"sync:{a}", None) == {"broadcast": False, "presence": False}
        assert _can_join(conn, "sync:", a) == {"broadcast": False, "presence": False}
        assert _can_join(conn, f"sync:{a}x", a) == {"broadcast": False, "presence": False}


def test_users_cannot_post_on_a_sync_topic(supabase_db: str) -> None:
    """Realtime's write check inserts as the caller: no insert policy, so it is refused."""
    with psycopg.connect(supabase_db, autocommit=True) as conn:
        a = make_user(conn)
        claims = jwt_claims(a)
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute("SELECT set_config('role', 'authenticated', true)")
            conn.execute(
                "SELECT set_config('request.jwt.claims', %s, true),"
                " set_config('realtime.topic', %s, true)",
                (json.dumps(claims), f"sync:{a}"),
            )
            conn.execute(
                "INSERT INTO realtime.messages (topic, extension, event, payload)"
                " VALUES (%s, 'broadcast', 'changes', '{}')",
                (f"sync:{a}",),
            )


def test_a_broken_realtime_never_fails_the_users_write(supabase_db: str) -> None:
    """realtime.send turns errors into warnings: with realtime.messages unusable (no partition
    for the row), the user's insert still commits and its change is still in the log."""
    with psycopg.connect(supabase_db, autocommit=True) as conn:
        a = make_user(conn)
        conn.execute("DROP TABLE realtime.messages_default")
        conn.execute("INSERT INTO public.profiles (user_id, name) VALUES (%s, 'kept')", (a,))
        count = conn.execute("SELECT count(*) FROM sync.changes WHERE owner = %s", (a,)).fetchone()
        assert count == (1,)
