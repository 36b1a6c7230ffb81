"""A sick server: 30% of requests failing (5xx before and after the write, dropped
connections, delays) still converges within bounded retries; a 401 in the middle of a push
refreshes once and goes on; refusals are parked with the server's reason while the rest goes
through."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from studio_desktop.domain.models import CanvasAsset, CanvasThread, JobOutput, new_id
from studio_desktop.domain.status import SyncState
from studio_desktop.sync.session import SessionRecord
from tests.sync.factories import add_job
from tests.sync.helpers import fast_options, mirror_rows, open_device, run, server_rows

pytestmark = [pytest.mark.pg, pytest.mark.gateway]


def test_thirty_percent_failures_still_converge(
    tmp_path: Path, gateway: Any, gateway_db: str, make_user: Any, anon_key: str
) -> None:
    user = make_user()
    options = fast_options(push_batch_rows=40, pull_page_size=60, select_page_size=80)

    async def body() -> None:
        a = await open_device(tmp_path / "a", gateway.url, anon_key, user, options=options)
        b = await open_device(tmp_path / "b", gateway.url, anon_key, user, options=options)
        try:
            for n in range(120):
                add_job(a.store, outputs=2, files=n % 12 == 0, prompt=f"job {n}")
            for n in range(0, 120, 10):  # some edits and deletes in the queue too
                job_id = a.store.db.scalar(
                    "SELECT id FROM jobs ORDER BY rowid LIMIT 1 OFFSET ?", (n,)
                )
                if n % 20 == 0:
                    a.store.rows.delete("jobs", job_id)
            faults = gateway.faults
            faults.fail_ratio(0.10, (500, 502, 503), stage="before")
            faults.fail_ratio(0.06, (500, 503), stage="after")
            faults.drop_ratio(0.08, where="headers", stage="after")
            faults.drop_ratio(0.06, where="body", stage="after")
            faults.latency(0.002)
            cycles = 0
            while a.store.outbox.counts().pending and cycles < 12:
                await a.engine.run_cycle()
                cycles += 1
            assert a.store.outbox.counts() == type(a.store.outbox.counts())(0, 0), cycles
            b_cycles = 0
            while b_cycles < 12:
                report = await b.engine.run_cycle()
                b_cycles += 1
                if report.ok and not report.pull.upserts and not report.pull.deletes:  # type: ignore[union-attr]
                    break
            logged = gateway.log.entries
            faulty = sum(1 for e in logged if e.fault)
            assert faulty / len(logged) > 0.2, (faulty, len(logged))  # the faults really struck
            faults.reset()
            await a.sync()
            await b.sync()
            server = server_rows(gateway_db, user.id)
            assert len(server["jobs"]) == 114 and len(server["job_outputs"]) == 228
            assert mirror_rows(a.store) == server == mirror_rows(b.store)
            assert a.engine.status.state == SyncState.UP_TO_DATE
        finally:
            await a.close()
            await b.close()

    run(body)


def test_a_401_in_the_middle_of_a_push_refreshes_once_and_continues(
    tmp_path: Path, gateway: Any, gateway_db: str, make_user: Any, anon_key: str
) -> None:
    user = make_user()

    async def body() -> None:
        device = await open_device(tmp_path / "d", gateway.url, anon_key, user)
        try:
            add_job(device.store)
            await device.sync()
            # The server expired our token early (revocation, clock skew): we still believe it
            # is good for an hour, so nothing refreshes before the push starts.
            minted = gateway.mint_session(user.id, ttl=-60)  # past PostgREST's 30 s skew
            believed = SessionRecord(
                minted["access_token"], minted["refresh_token"], 4_000_000_000, user.id, user.email
            )
            device.session.storage.save(believed)
            device.session.record = believed
            await device.session._install()
            assert device.session.connection.bearer_token() == believed.access_token
            for _ in range(3):
                add_job(device.store, outputs=3)
            gateway.log.clear()
            report = await device.sync()
            assert device.engine.requester.refreshes == 1
            assert report.push is not None and report.push.pushed == 12
            statuses = [(e.path, e.status) for e in gateway.log.entries]
            assert statuses[0] == ("/rest/v1/jobs", 401)
            assert statuses[1] == ("/auth/v1/token", 200)
            assert device.session.record is not None
            assert device.session.record.refresh_token != believed.refresh_token
            assert len(server_rows(gateway_db, user.id)["jobs"]) == 4
        finally:
            await device.close()

    run(body)


def test_refusals_are_parked_with_the_servers_reason_and_the_rest_goes_through(
    tmp_path: Path, gateway: Any, gateway_db: str, make_user: Any, anon_key: str
) -> None:
    alice, bob = make_user(), make_user()

    async def body() -> None:
        a = await open_device(tmp_path / "a", gateway.url, anon_key, alice)
        b = await open_device(tmp_path / "b", gateway.url, anon_key, bob)
        try:
            bobs = CanvasThread(id=new_id(), user_id=bob.id, title="Bob's")
            b.store.rows.save(bobs)
            await b.sync()
            # Alice's workspace learns of Bob's creation somehow (say, a shared link) and she
            # adds an image to it: the server's "own parents" policy must refuse that.
            a.store.rows.apply_remote_rows("canvas_threads", [bobs.to_row()])
            intruder = CanvasAsset(id=new_id(), thread_id=bobs.id, user_id=alice.id, label="x")
            a.store.rows.save(intruder)
            good = add_job(a.store, outputs=2)
            bad_output = JobOutput(id=new_id(), job_id=good.id, kind="image", width=0, height=5)
            a.store.rows.save(bad_output)  # width must be > 0 on the server
            later = add_job(a.store, outputs=1)
            report = await a.sync()
            assert report.push is not None and report.push.parked == 2
            parked = {e.row_id: e for e in a.store.outbox.parked()}
            assert set(parked) == {intruder.id, bad_output.id}
            assert "row-level security" in (parked[intruder.id].parked_reason or "")
            assert "check constraint" in (parked[bad_output.id].parked_reason or "")
            status = a.engine.status
            assert len(status.parked) == 2
            assert any("Output" in p.description and "rules" in p.reason for p in status.parked)
            server = server_rows(gateway_db, alice.id)
            assert set(server["jobs"]) == {good.id, later.id}
            assert len(server["job_outputs"]) == 3
            assert intruder.id not in server["canvas_assets"]
            assert a.store.outbox.counts().pending == 0
            # Parked entries are kept (never dropped), and a later cycle does not resend them.
            gateway.log.clear()
            await a.sync()
            assert gateway.log.count("/rest/v1/job_outputs") == 0
            assert a.store.outbox.counts().parked == 2
        finally:
            await a.close()
            await b.close()

    run(body)
