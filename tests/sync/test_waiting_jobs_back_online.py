"""A try-on waiting for the network runs as soon as a real sync engine is back online.

The device is signed in to the test project through the real supabase-py client, its sync engine
runs in the background, and the studio's generation API (the fake, linked to the same project:
it takes the account's access token and reads profiles from the project's table) is the remote
engine. The network goes away (the project's server stops; the API drops the try-on's polls):
the sync says offline and the try-on waits, queued, its operation kept. The server comes back:
the sync engine's first cycle that reaches it wakes the try-on at once, long before the 30 s
retry, and it polls the same operation to its image. The engine's retries while offline (each
starts by saying "syncing") do not wake it."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from studio_desktop.domain.enums import JobStatus
from studio_desktop.domain.status import SyncState
from studio_desktop.engine.local import LocalEngine
from studio_desktop.engine.recorder import JobStore
from studio_desktop.engine.remote import UNREACHABLE_RETRY_SECONDS, RemoteEngine
from studio_desktop.engine.remote_api import GenerationApiClient, RetryPolicy
from studio_desktop.engine.runner import JobOutcome
from studio_desktop.services.garments import GarmentService
from studio_desktop.services.jobs import WAITING_FOR_NETWORK, JobService
from tests.stack.fake_generation_api import FakeGenerationApi
from tests.stack.gateway import JWT_SECRET
from tests.sync.factories import add_profile
from tests.sync.helpers import fast_options, open_device, run

pytestmark = [pytest.mark.pg, pytest.mark.gateway]


def garment_jpeg() -> bytes:
    image = Image.new("RGB", (240, 320), (246, 246, 244))
    ImageDraw.Draw(image).rectangle((72, 64, 168, 272), fill="#1f3a7a")
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=92)
    return buf.getvalue()


async def until(condition: Any, seconds: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, "the condition never came true"
        await asyncio.sleep(0.02)


def test_a_waiting_tryon_runs_when_the_sync_engine_is_back_online(
    tmp_path: Path, gateway: Any, gateway_db: str, make_user: Any, anon_key: str
) -> None:
    user = make_user()
    api = FakeGenerationApi(
        steps=3, poll_after_ms=20, jwt_secret=JWT_SECRET, profiles_dsn=gateway_db
    ).start()

    async def body() -> tuple[list[SyncState], list[str], JobOutcome, float, int]:
        # A long interval: only a change or the engine's own retries make it sync.
        device = await open_device(
            tmp_path / "d", gateway.url, anon_key, user, options=fast_options(interval=30.0)
        )
        states: list[SyncState] = []
        device.engine.status_changed.connect(lambda s: states.append(s.state))
        job_store = JobStore.from_store(device.store)

        def token() -> str:
            record = device.session.record
            return record.access_token if record else ""

        client = GenerationApiClient(api.base_url, token, retry=RetryPolicy(attempts=2))
        jobs = JobService(
            job_store,
            {"local": LocalEngine(job_store), "remote": RemoteEngine(client)},
            user_id=device.store.user_id,
        )
        # Wired as the app wires an account's workspace: outbox changes and the sync's status.
        device.store.outbox.changed.connect(lambda _c: jobs.call_soon(jobs.rows_synced))
        jobs.follow_network(device.engine.status_changed)
        messages: list[str] = []
        jobs.job_progress.connect(lambda p: messages.append(p.message))
        try:
            device.engine.start()
            await until(lambda: device.engine.status.state == SyncState.UP_TO_DATE)
            ana = add_profile(device.store, "Ana")  # pushed by the running engine
            await until(lambda: not device.store.outbox.has_entries_for("profiles", ana.id))

            # The network goes away: the project's server stops, the API's polls drop.
            gateway.stop()
            api.drop_next("GET", "/api/operations/", times=2)  # both tries of a poll
            job = await GarmentService(jobs, device.store.queries).try_on(ana.id, garment_jpeg())
            await until(lambda: jobs.is_waiting(job.id))
            await until(lambda: device.engine.status.state == SyncState.OFFLINE)
            waiting = job_store.job(job.id)
            assert waiting is not None and waiting.status == JobStatus.QUEUED
            assert waiting.provider_operation_id  # kept: polled again, never started twice
            # Offline, the engine keeps retrying (each attempt says "syncing" first): the
            # try-on is not woken by those, it does not poll a service it cannot reach.
            polls = len(api.requests_to("GET", "/api/operations/"))
            retries = states.count(SyncState.OFFLINE)
            await until(lambda: states.count(SyncState.OFFLINE) >= retries + 3)
            assert jobs.is_waiting(job.id)
            assert len(api.requests_to("GET", "/api/operations/")) == polls

            loop = asyncio.get_running_loop()
            back = loop.time()
            gateway.start()  # the engine's own backoff finds it (no sync_now, no wake by hand)
            outcome = await asyncio.wait_for(jobs.wait(job.id), UNREACHABLE_RETRY_SECONDS / 2)
            seconds = loop.time() - back
            return states, messages, outcome, seconds, len(api.operations)
        finally:
            await jobs.aclose()
            await client.aclose()
            await device.engine.stop()
            await device.close()

    try:
        states, messages, outcome, seconds, operations = run(body)
    finally:
        api.stop()
    assert outcome.succeeded, outcome.job.error
    assert seconds < UNREACHABLE_RETRY_SECONDS / 2  # woken by the sync, not the 30 s retry
    assert operations == 1  # the same operation, polled again
    assert WAITING_FOR_NETWORK in messages
    offline = states.index(SyncState.OFFLINE)
    assert any(s in (SyncState.SYNCING, SyncState.UP_TO_DATE) for s in states[offline:])
