"""A first sync goes through the set-based bulk load (``store.bulk``) end to end, against the
test stack: several pages and several batches per table, the mirror equal to the server, the
search index right, the UI told every stored id, the schema intact; and a child listed before
its parent waits (held) and is stored once the parent is there."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from studio_desktop.domain.models import TABLES
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.queries import FeedFilter
from studio_desktop.store.repository import ChangeSet
from studio_desktop.store.workspace import open_account_store
from studio_desktop.sync import pull
from tests.sync.helpers import fast_options, mirror_rows, open_device, run, server_rows

pytestmark = [pytest.mark.pg, pytest.mark.gateway]


def seed_server(dsn: str, user_id: str, jobs: int) -> dict[str, str]:
    """Jobs with two outputs each, and one creation whose asset comes from an output."""
    ids: dict[str, str] = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        for n in range(jobs):
            job_id = uuid.uuid4()
            conn.execute(
                "INSERT INTO public.jobs (id, user_id, type, status, input_json) "
                "VALUES (%s, %s, 'product_pack', 'succeeded', %s)",
                (job_id, user_id, json.dumps({"prompt": f"coat {n} {'velvet' if n == 7 else ''}"})),
            )
            for _ in range(2):
                output_id = uuid.uuid4()
                conn.execute(
                    "INSERT INTO public.job_outputs (id, job_id, kind, storage_path) "
                    "VALUES (%s, %s, 'image', %s)",
                    (output_id, job_id, f"{user_id}/jobs/{job_id}/{output_id}.png"),
                )
            if n == 7:
                ids["velvet"], ids["output"] = str(job_id), str(output_id)
        thread, asset = uuid.uuid4(), uuid.uuid4()
        conn.execute(
            "INSERT INTO public.canvas_threads (id, user_id, title) VALUES (%s, %s, 'dress')",
            (thread, user_id),
        )
        conn.execute(
            "INSERT INTO public.canvas_assets (id, thread_id, user_id, source_output_id) "
            "VALUES (%s, %s, %s, %s)",
            (asset, thread, user_id, ids["output"]),
        )
        ids["asset"] = str(asset)
    return ids


def schema_of(store: Any) -> list[tuple[Any, ...]]:
    return [
        tuple(r)
        for r in store.db.query(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name"
        )
    ]


def test_a_first_sync_is_stored_set_based_and_complete(
    tmp_path: Path,
    *,
    gateway: Any,
    gateway_db: str,
    make_user: Any,
    anon_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = make_user()
    ids = seed_server(gateway_db, user.id, jobs=40)
    monkeypatch.setattr(pull, "BULK_BATCH_ROWS", 25)  # several batches, rebuilt and indexed
    monkeypatch.setattr(pull, "LATER_BATCH_ROWS", 10)
    fresh = open_account_store(DataDirs(tmp_path / "fresh"), gateway.url, user.id)
    expected_schema = schema_of(fresh)
    fresh.close()

    async def body() -> None:
        device = await open_device(
            tmp_path / "d", gateway.url, anon_key, user, options=fast_options(select_page_size=9)
        )
        seen: list[ChangeSet] = []
        device.store.rows.rows_changed.connect(seen.append)
        try:
            report = await device.sync()
            assert report.pull is not None and report.pull.resynced
            assert report.pull.upserts == 40 + 80 + 2 and not report.pull.rejected
            # Tables are listed at once, but each is stored after the tables its foreign keys
            # point to: the asset (listed alongside the outputs) never waited for its output.
            assert report.pull.ever_held == 0
            server = server_rows(gateway_db, user.id)
            assert mirror_rows(device.store) == server
            for table in TABLES:  # the UI was told about every stored row
                told = {i for c in seen if c.table == table for i in c.ids}
                assert told == set(server[table]), table
            assert all(c.kind == "upsert" and c.origin == "remote" for c in seen)
            found = device.store.queries.feed_page(FeedFilter(search="velvet"), None, 10)
            assert [i.job.id for i in found.items] == [ids["velvet"]]
            assert schema_of(device.store) == expected_schema
            assert device.store.db.scalar("PRAGMA integrity_check") == "ok"
            # The engine's store thread checkpoints automatically again once the background
            # checkpoint of the resync's WAL has ended (at its next transaction).
            db = device.store.db
            deadline = time.monotonic() + 10
            while db.background_checkpoints < 1 and time.monotonic() < deadline:
                await asyncio.sleep(0.01)

            def automatic_after_a_transaction() -> bool:
                with db.transaction():
                    pass
                return db.automatic_checkpoints

            assert await device.engine.runner.run(automatic_after_a_transaction)
            again = await device.sync()  # the cursor is stored: an ordinary, empty pull
            assert again.pull is not None and not again.pull.resynced
        finally:
            await device.close()

    run(body)


def test_a_child_listed_before_its_parent_is_held_then_stored(
    tmp_path: Path,
    *,
    gateway: Any,
    gateway_db: str,
    make_user: Any,
    anon_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = make_user()
    ids = seed_server(gateway_db, user.id, jobs=10)
    # Store the creations before the job outputs their assets come from. The puller never
    # does that itself (a table waits for the tables its foreign keys point to), but a child
    # listed without its parent still happens: a parent created on the server after its
    # table was listed and before the child's was. Here a "forgotten" foreign key stands in.
    # The listing lanes run side by side, so which of the two tables is complete first is up
    # to the server; the order the test needs is made explicit: the outputs are stored only
    # after the creations (as if they pointed at them), and the creations' listing is held
    # until the outputs' is in, the order in which a real sync would otherwise store the
    # outputs first and hold nothing.
    order = ("profiles", "jobs", "canvas_threads", "canvas_assets", "job_outputs")
    monkeypatch.setattr(pull, "TABLES", (*order, *(t for t in TABLES if t not in order)))
    parents = dict(pull.PARENT_TABLES)
    parents["canvas_assets"] = parents["canvas_assets"] - {"job_outputs"}
    parents["job_outputs"] = parents["job_outputs"] | {"canvas_assets"}
    monkeypatch.setattr(pull, "PARENT_TABLES", parents)
    outputs_listed = asyncio.Event()
    list_page = pull.Puller._list_page

    async def outputs_listed_first(self: Any, table: str, *args: Any) -> Any:
        if table == "canvas_assets":
            await outputs_listed.wait()
        rows = await list_page(self, table, *args)
        if table == "job_outputs":
            outputs_listed.set()
        return rows

    monkeypatch.setattr(pull.Puller, "_list_page", outputs_listed_first)

    async def body() -> None:
        device = await open_device(tmp_path / "d", gateway.url, anon_key, user)
        try:
            report = await device.sync()
            assert report.pull is not None and report.pull.resynced
            assert report.pull.ever_held == 1 and report.pull.held == 0
            assert not report.pull.rejected
            assert device.store.rows.exists("canvas_assets", ids["asset"])
            assert mirror_rows(device.store) == server_rows(gateway_db, user.id)
            assert device.store.sync_state.get(pull.HELD) == {}
        finally:
            await device.close()

    run(body)


def test_lanes_waiting_for_parent_tables_still_finish_the_listing(
    tmp_path: Path,
    *,
    gateway: Any,
    gateway_db: str,
    make_user: Any,
    anon_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With room for only a few staged rows ahead, child tables' lanes wait for their parents
    to be stored, and every table still arrives complete (no lane waits forever)."""
    user = make_user()
    seed_server(gateway_db, user.id, jobs=30)
    monkeypatch.setattr(pull, "MAX_STAGED_AHEAD", 3)
    monkeypatch.setattr(pull, "LISTING_LANES", 4)

    async def body() -> None:
        device = await open_device(
            tmp_path / "d", gateway.url, anon_key, user, options=fast_options(select_page_size=4)
        )
        try:
            report = await asyncio.wait_for(device.sync(), timeout=60)
            assert report.pull is not None and report.pull.resynced
            assert report.pull.ever_held == 0 and not report.pull.rejected
            assert mirror_rows(device.store) == server_rows(gateway_db, user.id)
        finally:
            await device.close()

    run(body)


def test_401s_on_listing_lanes_at_once_share_one_refresh(
    tmp_path: Path, *, gateway: Any, gateway_db: str, make_user: Any, anon_key: str
) -> None:
    """A refresh token is single-use: requests refused together must not each refresh."""
    user = make_user()
    seed_server(gateway_db, user.id, jobs=12)

    async def body() -> None:
        device = await open_device(
            tmp_path / "d", gateway.url, anon_key, user, options=fast_options(select_page_size=5)
        )
        try:
            gateway.log.clear()
            # The first page of every lane: refused as if the token had just been revoked.
            gateway.faults.fail_next(pull.LISTING_LANES, 401, paths="/rest/v1/", methods="GET")
            report = await device.sync()
            assert report.pull is not None and report.pull.resynced
            assert device.engine.requester.refreshes == 1
            assert gateway.log.count("/auth/v1/token") == 1
            refused = [e for e in gateway.log.entries if e.status == 401]
            assert len(refused) == pull.LISTING_LANES
            assert device.session.record is not None  # still signed in
            assert mirror_rows(device.store) == server_rows(gateway_db, user.id)
        finally:
            gateway.faults.reset()
            await device.close()

    run(body)
