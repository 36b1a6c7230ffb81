"""Try-on as one service call (``GarmentService.try_on``), without a display, against the fake
generation API: the job is stored and shown at once; without the studio's engine (no account,
offline, signed out) it waits, queued, with a readable message, survives a restart, can be
canceled, and runs when the engine is there; the server's refusals end it readably."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from studio_desktop.domain.enums import JobStatus
from studio_desktop.domain.models import Job, Profile, new_id
from studio_desktop.engine.base import JobProgress
from studio_desktop.engine.recorder import JobStore
from studio_desktop.engine.remote import RemoteEngine
from studio_desktop.engine.remote_api import GenerationApiClient, RetryPolicy
from studio_desktop.engine.runner import JobOutcome
from studio_desktop.services.garments import GarmentService
from studio_desktop.services.jobs import WAITING_FOR_ENGINE, JobService
from studio_desktop.store.workspace import Store
from tests.engine.conftest import (
    TOKEN,
    SleepRecorder,
    garment_photo,
    jpeg_bytes,
    make_local_engine,
)
from tests.stack.fake_generation_api import FakeGenerationApi

T = TypeVar("T")
UNREACHABLE = "http://127.0.0.1:9"


class Seen:
    """What a JobService tells its listeners."""

    def __init__(self, jobs: JobService) -> None:
        self.statuses: list[str] = []
        self.progress: list[JobProgress] = []
        jobs.job_changed.connect(lambda job: self.statuses.append(str(job.status)))
        jobs.job_progress.connect(self.progress.append)

    @property
    def messages(self) -> list[str]:
        return [p.message for p in self.progress]


def remote(url: str, token: str = TOKEN) -> tuple[RemoteEngine, GenerationApiClient]:
    client = GenerationApiClient(
        url, lambda: token, sleep=SleepRecorder(), rng=lambda: 1.0, retry=RetryPolicy(attempts=2)
    )
    return RemoteEngine(client), client


def synced_profile(store: Store, api: FakeGenerationApi, name: str = "Ana") -> Profile:
    """A profile made here and pushed by the sync: the server knows it under the same id."""
    profile = store.rows.save(Profile(id=new_id(), user_id=store.user_id, name=name))
    api.add_profile(store.user_id, name, background="#e8dccb", profile_id=profile.id)
    return profile


def run(
    job_store: JobStore,
    store: Store,
    scenario: Callable[[GarmentService, JobService, list[GenerationApiClient]], Awaitable[T]],
) -> T:
    """A JobService with the local engine only, as the local workspace or a signed-out account
    has; the scenario adds the studio's engine when it wants (clients closed at the end)."""

    async def main() -> T:
        jobs = JobService(job_store, {"local": make_local_engine(job_store)}, user_id=store.user_id)
        clients: list[GenerationApiClient] = []
        try:
            return await scenario(GarmentService(jobs, store.queries), jobs, clients)
        finally:
            await jobs.aclose()
            for client in clients:
                await client.aclose()

    return asyncio.run(main())


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "the condition never came true"
        await asyncio.sleep(0.01)


def test_a_tryon_without_the_studios_engine_waits_then_runs_when_it_comes(
    job_store: JobStore, store: Store, fake_api: FakeGenerationApi
) -> None:
    profile = synced_profile(store, fake_api)
    photo = jpeg_bytes(garment_photo(colour="#1f3a7a"))

    async def scenario(
        garments: GarmentService, jobs: JobService, clients: list[GenerationApiClient]
    ) -> tuple[Job, Job, JobOutcome, Seen]:
        seen = Seen(jobs)
        job = await garments.try_on(profile.id, photo)
        await until(lambda: bool(jobs.waiting()))
        await asyncio.sleep(0.1)  # it keeps waiting: nothing is sent, nothing fails
        waiting = job_store.job(job.id)
        assert waiting is not None
        assert [e.message for e in jobs.queue()] == [WAITING_FOR_ENGINE]
        assert fake_api.requests_to("POST", "/api/generate-image") == []
        engine, client = remote(fake_api.base_url)
        clients.append(client)
        jobs.set_engine("remote", engine)  # signed in, online
        outcome = await jobs.wait(job.id)
        return job, waiting, outcome, seen

    job, waiting, outcome, seen = run(job_store, store, scenario)
    assert job.type == "tryon_image" and job.status == JobStatus.QUEUED
    assert job.input_json["engine"] == "remote" and job.input_json["waitForEngine"] is True
    assert job.input_json["profileId"] == profile.id
    assert waiting.status == JobStatus.QUEUED and waiting.error is None
    assert WAITING_FOR_ENGINE in seen.messages
    assert seen.statuses[0] == "queued" and seen.statuses[-1] == "succeeded"
    assert "running" in seen.statuses
    after = [p.fraction for p in seen.progress[seen.messages.index(WAITING_FOR_ENGINE) + 1 :]]
    assert after == sorted(after) and after[-1] == 1.0
    assert outcome.succeeded and len(outcome.outputs) == 1
    output = outcome.outputs[0]
    assert output.kind == "image" and output.storage_path is not None
    assert output.storage_path.startswith(f"{store.user_id}/jobs/{job.id}/")
    assert store.blobs.get_path("outputs", output.storage_path) is not None  # downloaded
    sent = fake_api.requests_to("POST", "/api/generate-image")
    assert len(sent) == 1 and sent[0].json["type"] == "tryon"
    assert sent[0].json["jobId"] == job.id and sent[0].json["profileId"] == profile.id
    assert sent[0].json["garment"]["kind"] == "front"
    assert store.rows.count("jobs") == 1  # one job, one row


def test_a_waiting_tryon_survives_a_restart(
    job_store: JobStore, store: Store, fake_api: FakeGenerationApi
) -> None:
    profile = synced_profile(store, fake_api)

    async def first_run(
        garments: GarmentService, jobs: JobService, _clients: list[GenerationApiClient]
    ) -> Job:
        job = await garments.try_on(profile.id, jpeg_bytes(garment_photo()))
        await until(lambda: bool(jobs.waiting()))
        return job  # the app quits: jobs.aclose() leaves the row as it is

    job = run(job_store, store, first_run)
    stored = job_store.job(job.id)
    assert stored is not None and stored.status == JobStatus.QUEUED

    async def second_run(
        _garments: GarmentService, jobs: JobService, clients: list[GenerationApiClient]
    ) -> tuple[list[Job], JobOutcome]:
        resumed = await jobs.resume_unfinished()
        await until(lambda: bool(jobs.waiting()))
        assert [e.message for e in jobs.queue()] == [WAITING_FOR_ENGINE]
        engine, client = remote(fake_api.base_url)
        clients.append(client)
        jobs.set_engine("remote", engine)
        return resumed, await jobs.wait(job.id)

    resumed, outcome = run(job_store, store, second_run)
    assert [j.id for j in resumed] == [job.id]
    assert outcome.succeeded and outcome.job.id == job.id and len(outcome.outputs) == 1
    assert store.rows.count("jobs") == 1


def test_a_waiting_tryon_can_be_canceled_and_is_never_sent(
    job_store: JobStore, store: Store, fake_api: FakeGenerationApi
) -> None:
    profile = synced_profile(store, fake_api)

    async def scenario(
        garments: GarmentService, jobs: JobService, clients: list[GenerationApiClient]
    ) -> JobOutcome:
        job = await garments.try_on(profile.id, jpeg_bytes(garment_photo()))
        await until(lambda: bool(jobs.waiting()))
        assert await jobs.cancel(job.id)
        outcome = await jobs.wait(job.id)
        engine, client = remote(fake_api.base_url)
        clients.append(client)
        jobs.set_engine("remote", engine)
        await asyncio.sleep(0.1)
        return outcome

    outcome = run(job_store, store, scenario)
    assert outcome.job.status == JobStatus.CANCELED
    assert fake_api.requests_to("POST", "/api/generate-image") == []


def test_offline_it_waits_instead_of_failing_and_runs_when_the_network_is_back(
    job_store: JobStore, store: Store, fake_api: FakeGenerationApi
) -> None:
    profile = synced_profile(store, fake_api)

    async def scenario(
        garments: GarmentService, jobs: JobService, clients: list[GenerationApiClient]
    ) -> tuple[Job, JobOutcome, Seen]:
        seen = Seen(jobs)
        engine, client = remote(UNREACHABLE)  # signed in, but no network
        clients.append(client)
        jobs.set_engine("remote", engine)
        job = await garments.try_on(profile.id, jpeg_bytes(garment_photo()))
        await until(lambda: "running" in seen.statuses and bool(jobs.waiting()))
        back_to_queue = job_store.job(job.id)
        assert back_to_queue is not None
        assert (back_to_queue.status, back_to_queue.error) == (JobStatus.QUEUED, None)
        # The network is back (here: the same service, reachable): the job runs.
        engine, client = remote(fake_api.base_url)
        clients.append(client)
        jobs.set_engine("remote", engine)
        return job, await jobs.wait(job.id), seen

    job, outcome, seen = run(job_store, store, scenario)
    assert outcome.succeeded and outcome.job.id == job.id
    assert "failed" not in seen.statuses
    assert seen.messages.count(WAITING_FOR_ENGINE) >= 1


def test_dropped_connections_wait_and_a_wake_up_retries_the_same_operation(
    job_store: JobStore, store: Store, fake_api: FakeGenerationApi
) -> None:
    """Connections that keep dropping while polling: queued again with the operation id kept;
    woken (the network is back), it polls the same operation instead of starting another."""
    profile = synced_profile(store, fake_api)

    async def scenario(
        garments: GarmentService, jobs: JobService, clients: list[GenerationApiClient]
    ) -> JobOutcome:
        engine, client = remote(fake_api.base_url)
        clients.append(client)
        jobs.set_engine("remote", engine)
        fake_api.drop_next("GET", "/api/operations/", times=2)  # both tries of a poll
        job = await garments.try_on(profile.id, jpeg_bytes(garment_photo()))
        await until(lambda: bool(jobs.waiting()))
        waiting = job_store.job(job.id)
        assert waiting is not None and waiting.status == JobStatus.QUEUED
        assert waiting.provider_operation_id  # kept, to be polled again
        jobs.wake()
        return await jobs.wait(job.id)

    outcome = run(job_store, store, scenario)
    assert outcome.succeeded
    assert len(fake_api.operations) == 1  # never started twice
    assert len(fake_api.requests_to("POST", "/api/generate-image")) == 1


def test_a_session_refused_by_the_service_waits_for_a_new_sign_in(
    job_store: JobStore, store: Store, fake_api: FakeGenerationApi
) -> None:
    profile = synced_profile(store, fake_api)

    async def scenario(
        garments: GarmentService, jobs: JobService, clients: list[GenerationApiClient]
    ) -> JobOutcome:
        engine, client = remote(fake_api.base_url, token="expired-token")
        clients.append(client)
        jobs.set_engine("remote", engine)
        job = await garments.try_on(profile.id, jpeg_bytes(garment_photo()))
        await until(lambda: bool(jobs.waiting()) and bool(fake_api.requests))
        await asyncio.sleep(0.1)
        still = job_store.job(job.id)
        assert still is not None and still.status == JobStatus.QUEUED
        fake_api.grant("fresh-token", store.user_id)
        engine, client = remote(fake_api.base_url, token="fresh-token")  # signed in again
        clients.append(client)
        jobs.set_engine("remote", engine)
        return await jobs.wait(job.id)

    outcome = run(job_store, store, scenario)
    assert outcome.succeeded


def test_the_servers_refusals_and_failures_end_the_tryon_readably(
    job_store: JobStore, store: Store, fake_api: FakeGenerationApi
) -> None:
    """A profile the server does not have (made offline, not synced yet) and a generation that
    fails on the server: the job fails with the server's sentence, never waits forever."""
    unsynced = store.rows.save(Profile(id=new_id(), user_id=store.user_id, name="Lena"))
    synced = synced_profile(store, fake_api, "Mia")

    async def scenario(
        garments: GarmentService, jobs: JobService, clients: list[GenerationApiClient]
    ) -> tuple[JobOutcome, JobOutcome]:
        engine, client = remote(fake_api.base_url)
        clients.append(client)
        jobs.set_engine("remote", engine)
        unknown = await garments.try_on(unsynced.id, jpeg_bytes(garment_photo()))
        first = await jobs.wait(unknown.id)
        fake_api.fail_operations("the model could not be dressed")
        failing = await garments.try_on(synced.id, jpeg_bytes(garment_photo()), "back")
        return first, await jobs.wait(failing.id)

    unknown, failing = run(job_store, store, scenario)
    assert unknown.job.status == JobStatus.FAILED
    assert "has it been synced" in (unknown.job.error or "")
    assert failing.job.status == JobStatus.FAILED and failing.retryable
    assert "the model could not be dressed" in (failing.job.error or "")


def test_canceling_a_running_tryon_cancels_the_operation_on_the_server(
    job_store: JobStore, store: Store
) -> None:
    api = FakeGenerationApi(steps=200, poll_after_ms=5).start()
    api.grant(TOKEN, store.user_id)
    try:
        profile = synced_profile(store, api)

        async def scenario(
            garments: GarmentService, jobs: JobService, clients: list[GenerationApiClient]
        ) -> JobOutcome:
            engine, client = remote(api.base_url)
            clients.append(client)
            jobs.set_engine("remote", engine)
            job = await garments.try_on(profile.id, jpeg_bytes(garment_photo()))
            await until(lambda: bool(api.requests_to("GET", "/api/operations/")))
            assert await jobs.cancel(job.id)
            return await jobs.wait(job.id)

        outcome = run(job_store, store, scenario)
        assert outcome.job.status == JobStatus.CANCELED
        (operation,) = api.operations.values()
        assert operation.status == "canceled" and operation.cancel_requests == 1
    finally:
        api.stop()
