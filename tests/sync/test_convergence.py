"""Two devices of one user converge (creates, edits, deletes, cascades); another user sees
nothing. Real supabase-py against the test gateway on real Postgres with RLS."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from studio_desktop.domain.models import Job, JobOutput, Profile
from tests.sync.factories import add_creation, add_job, add_profile
from tests.sync.helpers import count_server, mirror_rows, open_device, run, server_rows

pytestmark = [pytest.mark.pg, pytest.mark.gateway]


def test_two_devices_converge_and_a_third_user_sees_nothing(
    tmp_path: Path, gateway: Any, gateway_db: str, make_user: Any, anon_key: str
) -> None:
    alice, bob = make_user(), make_user()

    async def body() -> None:
        a = await open_device(tmp_path / "a", gateway.url, anon_key, alice)
        b = await open_device(tmp_path / "b", gateway.url, anon_key, alice)
        c = await open_device(tmp_path / "c", gateway.url, anon_key, bob)
        try:
            job_a = add_job(a.store, outputs=3)
            profile = add_profile(a.store, "Ana")
            thread = add_creation(a.store, messages=3)
            await a.sync()
            await b.sync()
            assert b.store.rows.get(Job, job_a.id) is not None
            assert b.store.rows.count("job_outputs") == 3
            assert b.store.rows.count("canvas_messages") == 3
            # Changes on both sides, including an edit and deletes.
            job_b = add_job(b.store, outputs=2)
            b.store.rows.save(dataclasses.replace(profile, name="Ana María"))
            a.store.rows.delete("canvas_threads", thread.id)  # cascades assets, messages...
            await a.sync()
            await b.sync()
            await a.sync()
            # Cascaded delete: a job with outputs deleted on B is gone on A, outputs too.
            b.store.rows.delete("jobs", job_a.id)
            await b.sync()
            await a.sync()
            assert a.store.rows.get(Job, job_a.id) is None
            assert not a.store.db.query("SELECT 1 FROM job_outputs WHERE job_id = ?", (job_a.id,))
            assert a.store.rows.get(Profile, profile.id).name == "Ana María"  # type: ignore[union-attr]
            assert a.store.rows.get(Job, job_b.id) is not None
            assert a.store.rows.count("canvas_threads") == 0
            assert a.store.rows.count("canvas_messages") == 0
            server = server_rows(gateway_db, alice.id)
            assert mirror_rows(a.store) == server
            assert mirror_rows(b.store) == server
            assert len(server["job_outputs"]) == 2
            # Another user: signed in, synced, sees none of it (and has nothing on the server).
            await c.sync()
            assert all(c.store.rows.count(t) == 0 for t in server)
            assert sum(count_server(gateway_db, bob.id).values()) == 0
            assert a.store.outbox.counts().pending == 0
            assert b.store.outbox.counts().pending == 0
        finally:
            for device in (a, b, c):
                await device.close()

    run(body)


def test_outputs_of_a_pulled_job_are_real_rows(
    tmp_path: Path, gateway: Any, make_user: Any, anon_key: str
) -> None:
    user = make_user()

    async def body() -> None:
        a = await open_device(tmp_path / "a", gateway.url, anon_key, user)
        b = await open_device(tmp_path / "b", gateway.url, anon_key, user)
        try:
            job = add_job(a.store, outputs=1)
            await a.sync()
            await b.sync()
            outputs = b.store.db.query("SELECT id FROM job_outputs WHERE job_id = ?", (job.id,))
            assert len(outputs) == 1
            output = b.store.rows.get(JobOutput, outputs[0]["id"])
            assert output is not None and output.width == 64
        finally:
            await a.close()
            await b.close()

    run(body)
