"""Blobs: on-demand downloads (deduplicated), pinned prefetch, resuming after a restart, signed
URLs. The local workspace moved into an account after sign-in, then pushed. A corrupted local
database is detected with a clear message, the outbox survives and a sync heals the mirror."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from studio_desktop.domain.models import Job, JobOutput
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import open_local_store
from studio_desktop.sync.account_move import local_items, move_local_items
from tests.sync.factories import add_job, add_profile, png_bytes
from tests.sync.helpers import mirror_rows, open_device, run, server_rows

pytestmark = [pytest.mark.pg, pytest.mark.gateway]


def _output_files(store: Any, job_id: str) -> list[str]:
    return [
        r["storage_path"]
        for r in store.db.query(
            "SELECT storage_path FROM job_outputs WHERE job_id = ? ORDER BY storage_path", (job_id,)
        )
    ]


def test_downloads_on_demand_prefetch_and_resume(
    tmp_path: Path, gateway: Any, make_user: Any, anon_key: str
) -> None:
    user = make_user()

    async def first() -> dict[str, bytes]:
        a = await open_device(tmp_path / "a", gateway.url, anon_key, user)
        b = await open_device(tmp_path / "b", gateway.url, anon_key, user)
        try:
            job = add_job(a.store, outputs=4, files=True)
            await a.sync()
            await b.sync()
            paths = _output_files(b.store, job.id)
            expected = {
                p: (a.store.blobs.get_path("outputs", p) or Path()).read_bytes() for p in paths
            }
            assert len(paths) == 4 and b.store.blobs.get_path("outputs", paths[0]) is None
            # Five widgets ask for the same thumbnail at once: one download.
            gateway.log.clear()
            got = await asyncio.gather(
                *(b.engine.blobs.fetch("outputs", paths[0]) for _ in range(5))
            )
            assert len(set(got)) == 1
            assert (
                got[0].read_bytes()
                == (a.store.blobs.get_path("outputs", paths[0]) or Path()).read_bytes()
            )
            assert gateway.log.count("/storage/v1/object/outputs/", "GET") == 1
            # Pinned for offline: fetched by the next cycle.
            b.store.blobs.pin("outputs", paths[1])
            report = await b.sync()
            assert report.blobs is not None and report.blobs.downloaded == 1
            assert b.store.blobs.info("outputs", paths[1]).pinned  # type: ignore[union-attr]
            # Wanted while the server is away: the queue survives the restart.
            b.store.blobs.want("outputs", paths[2])
            b.store.blobs.want("outputs", paths[3])
            gateway.stop()
            await b.sync(expect_ok=False)
            # A signed URL hands a file to another program.
            gateway.start()
            url = await a.engine.blobs.signed_url("outputs", paths[0], 60)
            async with httpx.AsyncClient() as http:
                response = await http.get(url)
            assert response.status_code == 200 and response.content == expected[paths[0]]
            gateway.stop()
            return expected
        finally:
            await a.close()
            await b.close()

    expected = run(first)
    paths = sorted(expected)
    gateway.start()

    async def second() -> None:
        b = await open_device(tmp_path / "b", gateway.url, anon_key)
        try:
            assert {i.path for i in b.store.blobs.queued_downloads()} == {paths[2], paths[3]}
            report = await b.sync()
            assert report.blobs is not None and report.blobs.downloaded == 2
            assert set(expected.values()) == {png_bytes(n) for n in range(4)}
            for path in paths:
                local = b.store.blobs.get_path("outputs", path)
                assert local is not None and local.read_bytes() == expected[path]
            gateway.log.clear()
            assert (await b.sync()).requests == 1  # nothing more to fetch
        finally:
            await b.close()

    run(second)


def test_moving_the_local_workspace_into_the_account(
    tmp_path: Path, gateway: Any, gateway_db: str, make_user: Any, anon_key: str
) -> None:
    user = make_user()
    data = DataDirs(tmp_path / "d")
    local = open_local_store(data)
    job = add_job(local, outputs=2, files=True)
    add_profile(local, "Local profile")
    offer = local_items(local)
    assert offer.rows == {"profiles": 1, "jobs": 1, "job_outputs": 2} and offer.files == 2

    async def body() -> None:
        device = await open_device(tmp_path / "d", gateway.url, anon_key, user)
        try:
            moved, cycle = await move_local_items(local, device.store, device.engine)
            assert moved.files == 2 and cycle is not None and cycle.ok
            assert local_items(local).empty
            server = server_rows(gateway_db, user.id)
            assert job.id in server["jobs"] and server["jobs"][job.id]["user_id"] == user.id
            paths = sorted(o["storage_path"] for o in server["job_outputs"].values())
            assert all(p.startswith(f"{user.id}/jobs/{job.id}/") for p in paths)
            with psycopg.connect(gateway_db) as conn:
                names = [
                    r[0]
                    for r in conn.execute(
                        "SELECT name FROM storage.objects WHERE bucket_id = 'outputs' "
                        "AND name LIKE %s ORDER BY name",
                        (f"{user.id}/%",),
                    )
                ]
            assert names == paths
            assert mirror_rows(device.store) == server
        finally:
            await device.close()

    try:
        run(body)
    finally:
        local.close()


def test_a_corrupted_database_is_repaired_and_the_outbox_still_syncs(
    tmp_path: Path, gateway: Any, gateway_db: str, make_user: Any, anon_key: str
) -> None:
    user = make_user()
    root = tmp_path / "d"

    async def before() -> list[str]:
        device = await open_device(root, gateway.url, anon_key, user)
        try:
            for n in range(150):
                add_job(device.store, outputs=1, prompt="x" * 300 + str(n))
            await device.sync()
            gateway.stop()
            pending = [
                add_job(device.store, outputs=1, prompt=f"unsynced {n}").id for n in range(4)
            ]
            await device.sync(expect_ok=False)
            assert device.store.outbox.counts().pending == 8
            return pending
        finally:
            await device.close()

    pending = run(before)
    database = data_file = root / "workspaces"
    (data_file,) = list(database.glob("*/store.sqlite3"))
    conn = sqlite3.connect(data_file)
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = [
        r[0]
        for r in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = 'jobs' AND pagetype = 'leaf' ORDER BY pageno"
        )
    ]
    conn.close()
    rnd = random.Random(7)
    with open(data_file, "r+b") as fh:
        for page in pages[2:6]:
            fh.seek((page - 1) * size)
            fh.write(rnd.randbytes(size))
    gateway.start()

    async def after() -> None:
        device = await open_device(root, gateway.url, anon_key)
        try:
            recovery = device.store.recovery
            assert recovery is not None
            assert "damaged" in recovery.message and "recovered" in recovery.message
            assert recovery.outbox_entries == 8
            assert device.store.outbox.counts().pending == 8
            await device.sync()  # pushes the salvaged work, then a full resync heals the mirror
            server = server_rows(gateway_db, user.id)
            assert set(pending) <= set(server["jobs"]) and len(server["jobs"]) == 154
            assert mirror_rows(device.store) == server
            assert device.store.rows.get(Job, pending[0]) is not None
            assert device.store.db.query("SELECT count(*) FROM job_outputs")[0][0] == 154
            assert device.store.rows.get(JobOutput, "missing") is None
        finally:
            await device.close()

    run(after)
