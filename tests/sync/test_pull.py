"""The pull's hard cases: bad rows from the server, a child before its parent across pages,
"cursor too old" (full resync keeping unsynced local work), and the idle cycle's one request."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from studio_desktop.domain.models import Job, JobOutput, Profile
from studio_desktop.store import sync_state as keys
from tests.stack.gateway import ANON_KEY, Gateway, GatewayConfig
from tests.sync.factories import add_job, add_profile
from tests.sync.helpers import fast_options, mirror_rows, open_device, run, server_rows

pytestmark = [pytest.mark.pg, pytest.mark.gateway]

# A newer server: an extra column, and a change log that leaves optional fields out and sends
# a width that is not a number for "detail" outputs.
_NEWER_SERVER = """
ALTER TABLE public.jobs ADD COLUMN priority int NOT NULL DEFAULT 5;
ALTER FUNCTION public.sync_pull(text, int) RENAME TO sync_pull_v1;
CREATE FUNCTION public.sync_pull(p_cursor text DEFAULT NULL, p_limit int DEFAULT 1000)
RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = '' AS $$
DECLARE v jsonb := public.sync_pull_v1(p_cursor, p_limit);
BEGIN
  RETURN jsonb_set(v, '{changes}', (
    SELECT coalesce(jsonb_agg(
      CASE
        WHEN c->>'table' = 'job_outputs' AND c->'row'->>'angle' = 'detail'
          THEN jsonb_set(c, '{row,width}', '"wide"')
        WHEN c->>'table' = 'job_outputs' AND jsonb_typeof(c->'row') = 'object'
          THEN jsonb_set(c, '{row}', (c->'row') - 'angle' - 'mime_type')
        ELSE c END ORDER BY e.ord), '[]'::jsonb)
    FROM jsonb_array_elements(v->'changes') WITH ORDINALITY AS e(c, ord)));
END $$;
GRANT EXECUTE ON FUNCTION public.sync_pull(text, int) TO authenticated;
"""


@pytest.fixture
def own_gateway(supabase_db: str) -> Iterator[Gateway]:
    """A gateway over this test's own database (the test changes the schema)."""
    gw = Gateway(GatewayConfig(dsn=supabase_db, bcrypt_rounds=4))
    gw.start()
    try:
        yield gw
    finally:
        gw.close()


def test_bad_rows_from_the_server_are_stored_or_reported(
    tmp_path: Path, own_gateway: Gateway, supabase_db: str
) -> None:
    gw = own_gateway
    user = gw.create_user("bad-rows@example.test", "pw-pw-pw-pw")
    uid = str(user["id"])

    async def body() -> None:
        device = await open_device(
            tmp_path / "d", gw.url, ANON_KEY, _User(uid, "bad-rows@example.test", "pw-pw-pw-pw")
        )
        try:
            await device.sync()  # the initial (empty) resync
            with psycopg.connect(supabase_db, autocommit=True) as conn:
                conn.execute(_NEWER_SERVER)
                job = uuid.uuid4()
                conn.execute(
                    "INSERT INTO public.jobs (id, user_id, type, status, priority) "
                    "VALUES (%s, %s, 'video_tryon', 'paused', 9)",
                    (job, uid),
                )
                for angle in ("front", "back", "detail"):
                    conn.execute(
                        "INSERT INTO public.job_outputs (job_id, kind, angle, mime_type, width)"
                        " VALUES (%s, 'hologram', %s, 'image/png', 10)",
                        (job, angle),
                    )
            gw.reload_schema()
            report = await device.sync()  # never crashes
            stored = device.store.rows.get(Job, str(job))
            assert stored is not None
            assert (stored.type, stored.status) == ("video_tryon", "paused")  # unknown values kept
            outputs = device.store.db.query("SELECT * FROM job_outputs")
            assert len(outputs) == 2  # the two well-formed ones
            assert {o["angle"] for o in outputs} == {None}  # missing optional fields: defaults
            assert {o["kind"] for o in outputs} == {"hologram"}
            assert report.pull is not None and len(report.pull.rejected) == 1
            rejected = report.pull.rejected[0]
            assert rejected.table == "job_outputs" and "whole number" in rejected.reason
            assert any("whole number" in r for r in device.engine.status.rejected)
        finally:
            await device.close()

    run(body)


@dataclasses.dataclass
class _User:
    id: str
    email: str
    password: str


def test_a_child_before_its_parent_across_pages_is_held_then_applied(
    tmp_path: Path, gateway: Any, gateway_db: str, make_user: Any, anon_key: str
) -> None:
    user = make_user()
    options = fast_options(pull_page_size=2)

    async def body() -> None:
        device = await open_device(tmp_path / "d", gateway.url, anon_key, user, options=options)
        try:
            await device.sync()
            thread, asset, job, output = (uuid.uuid4() for _ in range(4))
            # T1 takes its xid first; T2 (a later xid) commits the output; T1 then points an
            # asset at it. The log, in xid order, names the asset before its parent output.
            with psycopg.connect(gateway_db) as t1, psycopg.connect(gateway_db) as t2:
                t1.execute(
                    "INSERT INTO public.canvas_threads (id, user_id) VALUES (%s, %s)",
                    (thread, user.id),
                )
                t2.execute(
                    "INSERT INTO public.jobs (id, user_id, type) VALUES (%s, %s, 'product_pack')",
                    (job, user.id),
                )
                t2.execute(
                    "INSERT INTO public.job_outputs (id, job_id) VALUES (%s, %s)", (output, job)
                )
                t2.commit()
                t1.execute(
                    "INSERT INTO public.canvas_assets (id, thread_id, user_id, source_output_id)"
                    " VALUES (%s, %s, %s, %s)",
                    (asset, thread, user.id, output),
                )
                t1.commit()
            report = await device.sync()
            assert report.pull is not None and report.pull.pages >= 2
            assert not report.pull.rejected and report.pull.held == 0
            assert report.pull.ever_held >= 1  # the asset really waited for its output
            assert device.store.rows.exists("canvas_assets", str(asset))
            assert mirror_rows(device.store) == server_rows(gateway_db, user.id)
            assert device.store.sync_state.get("held_rows") == {}
        finally:
            await device.close()

    run(body)


def test_cursor_too_old_resyncs_and_keeps_unsynced_local_work(
    tmp_path: Path, gateway: Any, gateway_db: str, make_user: Any, anon_key: str
) -> None:
    user = make_user()
    options = fast_options(select_page_size=7)  # several keyset pages per table

    async def body() -> None:
        a = await open_device(tmp_path / "a", gateway.url, anon_key, user, options=options)
        b = await open_device(tmp_path / "b", gateway.url, anon_key, user)
        try:
            jobs = [add_job(a.store, outputs=2) for _ in range(12)]
            profile = add_profile(a.store, "Before")
            await a.sync()
            await b.sync()
            # Elsewhere: one job deleted, one added.
            b.store.rows.delete("jobs", jobs[0].id)
            added = add_job(b.store, outputs=1)
            await b.sync()
            # Here, not yet pushed: a new job, an edit, a deletion.
            mine = add_job(a.store, outputs=1)
            a.store.rows.save(dataclasses.replace(profile, name="Edited here"))
            a.store.rows.delete("jobs", jobs[1].id)
            old_cursor = a.store.sync_state.get(keys.CURSOR)
            with psycopg.connect(gateway_db, autocommit=True) as conn:
                assert conn.execute("SELECT public.sync_prune('0 seconds')").fetchone()[0] > 0
            report = await a.engine.puller.pull()  # a pull before the push: the hard case
            assert report.resynced
            assert a.store.sync_state.get(keys.CURSOR) != old_cursor
            assert not a.store.rows.exists("jobs", jobs[0].id)  # deleted elsewhere: gone
            assert a.store.rows.exists("jobs", added.id)
            assert a.store.rows.exists("jobs", mine.id)  # unsynced: kept
            assert not a.store.rows.exists("jobs", jobs[1].id)  # deleted here: stays deleted
            assert a.store.rows.get(Profile, profile.id).name == "Edited here"  # type: ignore[union-attr]
            await a.sync()
            await b.sync()
            server = server_rows(gateway_db, user.id)
            assert mine.id in server["jobs"] and jobs[1].id not in server["jobs"]
            assert server["profiles"][profile.id]["name"] == "Edited here"
            assert mirror_rows(a.store) == server == mirror_rows(b.store)
        finally:
            await a.close()
            await b.close()

    run(body)


def test_a_cycle_with_nothing_to_do_is_one_request(
    tmp_path: Path, gateway: Any, make_user: Any, anon_key: str
) -> None:
    user = make_user()

    async def body() -> None:
        device = await open_device(tmp_path / "d", gateway.url, anon_key, user)
        try:
            add_job(device.store, outputs=2)
            await device.sync()
            await device.sync()
            for _ in range(3):
                gateway.log.clear()
                report = await device.sync()
                assert report.requests == 1
                assert [(e.method, e.path) for e in gateway.log.entries] == [
                    ("POST", "/rest/v1/rpc/sync_pull")
                ]
            assert device.store.rows.get(JobOutput, "nope") is None
        finally:
            await device.close()

    run(body)
