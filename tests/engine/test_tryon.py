"""Try-on as one service call (``GarmentService.try_on``), without a display, against the fake
generation API: the job is stored and shown at once; without the studio's engine (no account,
offline, signed out) it waits, queued, with a readable message, survives a restart, can be
canceled, and runs when the engine is there; the server's refusals end it readably."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from studio_desktop.domain.enums import JobStatus
from studio_desktop.domain.models import Job, Profile, new_id
from studio_desktop.domain.status import SyncState, SyncStatus
from studio_desktop.engine.base import JobProgress
from studio_desktop.engine.recorder import JobStore
from studio_desktop.engine.remote import UNREACHABLE_RETRY_SECONDS, RemoteEngine
from studio_desktop.engine.remote_api import GenerationApiClient, RetryPolicy
from studio_desktop.engine.runner import JobOutcome
from studio_desktop.services.garments import GarmentService
from studio_desktop.services.jobs import (
    WAITING_FOR_ENGINE,
    WAITING_FOR_NETWORK,
    WAITING_FOR_SIGN_IN,
    JobService,
)
from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import Store, open_local_store
from studio_desktop.sync.status import StatusPublisher
from tests.engine.conftest import (
    TOKEN,
    SleepRecorder,
    garment_photo,
    jpeg_bytes,
    make_local_engine,
)
from tests.stack.fake_generation_api import FakeGenerationApi, FakeOperation

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
    """A profile made here and pushed by the sync: the server knows it under the same id, and
    the outbox no longer holds it (the server accepted the push)."""
    profile = store.rows.save(Profile(id=new_id(), user_id=store.user_id, name=name))
    api.add_profile(store.user_id, name, background="#e8dccb", profile_id=profile.id)
    push_accepted(store, profile.id)
    return profile


def push_accepted(store: Store, profile_id: str) -> None:
    """What the sync does once the server took a profile's changes: they leave the outbox."""
    for entry in store.outbox.all():
        if entry.table == "profiles" and entry.row_id == profile_id:
            store.outbox.mark_done(entry.seq)


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
    # It says why it waits: the engine is set up, the network is what is missing.
    assert seen.messages.count(WAITING_FOR_NETWORK) >= 1


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
    """A profile the server does not have although nothing is left to push (deleted there by
    another device) and a generation that fails on the server: the job fails with the server's
    sentence, never waits forever."""
    gone = synced_profile(store, fake_api, "Lena")
    with fake_api._lock:
        del fake_api.profiles[gone.id]
    synced = synced_profile(store, fake_api, "Mia")

    async def scenario(
        garments: GarmentService, jobs: JobService, clients: list[GenerationApiClient]
    ) -> tuple[JobOutcome, JobOutcome]:
        engine, client = remote(fake_api.base_url)
        clients.append(client)
        jobs.set_engine("remote", engine)
        unknown = await garments.try_on(gone.id, jpeg_bytes(garment_photo()))
        first = await jobs.wait(unknown.id)
        fake_api.fail_operations("the model could not be dressed")
        failing = await garments.try_on(synced.id, jpeg_bytes(garment_photo()), "back")
        return first, await jobs.wait(failing.id)

    unknown, failing = run(job_store, store, scenario)
    assert unknown.job.status == JobStatus.FAILED and unknown.retryable
    assert "has it been synced" in (unknown.job.error or "")
    assert (unknown.job.error or "").endswith(
        "Once the sync has sent the profile to the studio (see the status bar), retry this job."
    )
    assert failing.job.status == JobStatus.FAILED and failing.retryable
    assert "the model could not be dressed" in (failing.job.error or "")


def test_a_tryon_on_a_profile_not_synced_yet_waits_for_its_push_instead_of_failing(
    job_store: JobStore, store: Store, fake_api: FakeGenerationApi
) -> None:
    """Weak spot of issue 14: a profile made a moment ago is still in the outbox; the server
    would answer 422 unknown_profile. The try-on waits, saying so, sends nothing, and runs as
    soon as the sync's push of the profile is accepted (the outbox changes)."""
    lena = store.rows.save(Profile(id=new_id(), user_id=store.user_id, name="Lena"))
    assert store.outbox.has_entries_for("profiles", lena.id)

    async def scenario(
        garments: GarmentService, jobs: JobService, clients: list[GenerationApiClient]
    ) -> tuple[list[str], JobOutcome]:
        # Wired as WorkspaceServices wires it: an outbox change wakes the waiting jobs.
        store.outbox.changed.connect(lambda _counts: jobs.call_soon(jobs.rows_synced))
        seen = Seen(jobs)
        engine, client = remote(fake_api.base_url)
        clients.append(client)
        jobs.set_engine("remote", engine)
        job = await garments.try_on(lena.id, jpeg_bytes(garment_photo()))
        await until(lambda: jobs.is_waiting(job.id))
        await asyncio.sleep(0.1)
        assert fake_api.requests_to("POST", "/api/generate-image") == []
        waiting = job_store.job(job.id)
        assert waiting is not None and waiting.status == JobStatus.QUEUED
        # The sync pushes the profile: the server has it, the outbox lets go of it.
        fake_api.add_profile(store.user_id, "Lena", profile_id=lena.id)
        push_accepted(store, lena.id)
        return seen.messages, await asyncio.wait_for(jobs.wait(job.id), 10)

    messages, outcome = run(job_store, store, scenario)
    assert "Waiting for the profile “Lena” to reach the studio — it goes with the next sync" in (
        messages
    )
    assert outcome.succeeded, outcome.job.error
    (sent,) = fake_api.requests_to("POST", "/api/generate-image")
    assert sent.json["profileId"] == lena.id


def test_a_tryon_whose_profile_the_server_refused_says_so_while_it_waits(
    job_store: JobStore, store: Store, fake_api: FakeGenerationApi
) -> None:
    lena = store.rows.save(Profile(id=new_id(), user_id=store.user_id, name="Lena"))
    (entry,) = [e for e in store.outbox.all() if e.row_id == lena.id]
    store.outbox.park(entry.seq, "name is too long.")

    async def scenario(
        garments: GarmentService, jobs: JobService, clients: list[GenerationApiClient]
    ) -> str:
        engine, client = remote(fake_api.base_url)
        clients.append(client)
        jobs.set_engine("remote", engine)
        job = await garments.try_on(lena.id, jpeg_bytes(garment_photo()))
        await until(lambda: jobs.is_waiting(job.id))
        (queued,) = jobs.queue()
        assert await jobs.cancel(job.id)
        assert (await jobs.wait(job.id)).job.status == JobStatus.CANCELED
        return queued.message

    message = run(job_store, store, scenario)
    assert message == (
        "Waiting for the profile “Lena” to reach the studio: the server refused it "
        "(name is too long). Fix it in the sync status, or cancel this job."
    )
    assert fake_api.requests_to("POST", "/api/generate-image") == []


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


async def _waiting_with_an_operation(
    garments: GarmentService,
    jobs: JobService,
    clients: list[GenerationApiClient],
    api: FakeGenerationApi,
    profile: Profile,
) -> Job:
    """A try-on whose operation the server started, then the connection kept dropping while
    polling: it waits (queued) for the network, its operation id kept."""
    engine, client = remote(api.base_url)
    clients.append(client)
    jobs.set_engine("remote", engine)
    api.drop_next("GET", "/api/operations/", times=2)  # both tries of a poll
    job = await garments.try_on(profile.id, jpeg_bytes(garment_photo()))
    await until(lambda: jobs.is_waiting(job.id))
    stored = await asyncio.to_thread(lambda: store_job(jobs, job.id))
    assert stored.status == JobStatus.QUEUED and stored.provider_operation_id
    return stored


def store_job(jobs: JobService, job_id: str) -> Job:
    job = jobs.store.job(job_id)
    assert job is not None
    return job


def test_canceling_a_tryon_waiting_for_the_network_cancels_its_operation_on_the_server(
    job_store: JobStore, store: Store, fake_api: FakeGenerationApi
) -> None:
    """Weak spot of issue 14: a try-on whose operation started, then waits for the network,
    is canceled: the server's operation is canceled too (the contract's cancel), not left to
    render and bill."""
    profile = synced_profile(store, fake_api)

    async def scenario(
        garments: GarmentService, jobs: JobService, clients: list[GenerationApiClient]
    ) -> JobOutcome:
        job = await _waiting_with_an_operation(garments, jobs, clients, fake_api, profile)
        assert await jobs.cancel(job.id)
        outcome = await jobs.wait(job.id)
        await until(lambda: bool(fake_api.requests_to("POST", "/api/operations/")))
        return outcome

    outcome = run(job_store, store, scenario)
    assert outcome.job.status == JobStatus.CANCELED
    (operation,) = fake_api.operations.values()
    assert operation.status == "canceled" and operation.cancel_requests == 1
    assert operation.id == outcome.job.provider_operation_id


def test_a_cancel_the_server_could_not_hear_is_sent_when_the_engine_is_back(
    job_store: JobStore, store: Store, fake_api: FakeGenerationApi
) -> None:
    """Canceled while signed out (no studio engine here) or offline: the job is canceled here
    at once, and the server's operation as soon as the engine can reach it again."""
    profile = synced_profile(store, fake_api)

    async def scenario(
        garments: GarmentService, jobs: JobService, clients: list[GenerationApiClient]
    ) -> FakeOperation:
        job = await _waiting_with_an_operation(garments, jobs, clients, fake_api, profile)
        jobs.set_engine("remote", None)  # signed out meanwhile
        assert await jobs.cancel(job.id)  # in the same loop turn as the wake-up: never lost
        assert (await asyncio.wait_for(jobs.wait(job.id), 5)).job.status == JobStatus.CANCELED
        await until(lambda: bool(jobs.store.pending_cancels()))  # owed, and kept
        (operation,) = fake_api.operations.values()
        # Offline when it comes back: the cancel cannot be heard yet, and is kept.
        fake_api.drop_next("POST", "/api/operations/", times=2)
        engine, client = remote(fake_api.base_url)
        clients.append(client)
        jobs.set_engine("remote", engine)
        await until(lambda: len(fake_api.requests_to("POST", "/api/operations/")) == 2)
        await asyncio.sleep(0.05)
        assert operation.status != "canceled"
        jobs.wake()  # the network is back
        await until(lambda: operation.status == "canceled")
        return operation

    operation = run(job_store, store, scenario)
    assert operation.cancel_requests == 1  # the dropped tries never reached the handler


def test_a_tryon_waiting_for_the_network_runs_at_once_when_the_sync_is_back_online(
    job_store: JobStore, store: Store, fake_api: FakeGenerationApi
) -> None:
    """Weak spot of issue 14: a job waiting for the network was tried again only every 30 s.
    The sync's status going from offline to syncing wakes it at once."""
    profile = synced_profile(store, fake_api)
    status = StatusPublisher(SyncStatus(state=SyncState.UP_TO_DATE))

    async def scenario(
        garments: GarmentService, jobs: JobService, clients: list[GenerationApiClient]
    ) -> tuple[JobOutcome, float]:
        jobs.follow_network(status.changed)
        job = await _waiting_with_an_operation(garments, jobs, clients, fake_api, profile)
        status.update(state=SyncState.OFFLINE, detail="The server cannot be reached.")
        await asyncio.sleep(0.1)
        assert jobs.is_waiting(job.id)  # offline: nothing to try yet
        loop = asyncio.get_running_loop()
        back = loop.time()
        status.update(state=SyncState.SYNCING, detail=None)
        outcome = await asyncio.wait_for(jobs.wait(job.id), UNREACHABLE_RETRY_SECONDS / 2)
        return outcome, loop.time() - back

    outcome, seconds = run(job_store, store, scenario)
    assert outcome.succeeded
    assert seconds < UNREACHABLE_RETRY_SECONDS / 2  # not the 30 s retry
    assert len(fake_api.operations) == 1  # the same operation, polled again


def test_a_tryon_in_the_local_workspace_waits_readably_for_a_sign_in(
    data_root: Path, fake_api: FakeGenerationApi
) -> None:
    """Weak spot of issue 14: the local workspace has no account, so only a sign-in can run a
    try-on: it says exactly that, stays queued (never failed, never lost), across a restart."""
    dirs = DataDirs(data_root).ensure()
    photo = jpeg_bytes(garment_photo())

    async def first() -> tuple[str, str]:
        local = open_local_store(dirs)
        services = WorkspaceServices.open(local, thumbnails_dir=local.dirs.thumbs)
        try:
            ana = await services.profiles.create("Ana")
            job = await services.garments.try_on(ana.id, photo)
            await until(lambda: services.jobs.is_waiting(job.id))
            (entry,) = services.jobs.queue()
            return job.id, entry.message
        finally:
            await services.aclose()

    job_id, message = asyncio.run(first())
    assert message == WAITING_FOR_SIGN_IN == "Waiting for the studio's engine: sign in to run it"

    async def again() -> tuple[str, str]:
        local = open_local_store(dirs)
        services = WorkspaceServices.open(local, thumbnails_dir=local.dirs.thumbs)
        try:
            await services.start()
            await until(lambda: services.jobs.is_waiting(job_id))
            (entry,) = services.jobs.queue()
            return str(entry.job.status), entry.message
        finally:
            await services.aclose()

    assert asyncio.run(again()) == ("queued", WAITING_FOR_SIGN_IN)
    assert fake_api.requests == []


def test_a_cancel_the_server_could_not_hear_survives_a_restart(
    job_store: JobStore, store: Store, fake_api: FakeGenerationApi
) -> None:
    """Canceled while signed out, then the app quits: the next start still owes the server
    its cancel, and sends it once the studio's engine is there."""
    profile = synced_profile(store, fake_api)

    async def first(
        garments: GarmentService, jobs: JobService, clients: list[GenerationApiClient]
    ) -> Job:
        job = await _waiting_with_an_operation(garments, jobs, clients, fake_api, profile)
        jobs.set_engine("remote", None)  # signed out
        assert await jobs.cancel(job.id)
        await jobs.wait(job.id)
        await until(lambda: bool(job_store.pending_cancels()))
        return job

    job = run(job_store, store, first)
    (operation,) = fake_api.operations.values()
    assert operation.status != "canceled"
    assert job_store.pending_cancels() == {operation.id: "remote"}

    async def second(
        _garments: GarmentService, jobs: JobService, clients: list[GenerationApiClient]
    ) -> None:
        assert await jobs.resume_unfinished() == []  # nothing to run: it was canceled
        engine, client = remote(fake_api.base_url)
        clients.append(client)
        jobs.set_engine("remote", engine)  # signed in again
        await until(lambda: operation.status == "canceled")
        await until(lambda: not job_store.pending_cancels())

    run(job_store, store, second)
    assert operation.cancel_requests == 1
    canceled = job_store.job(job.id)
    assert canceled is not None and canceled.status == JobStatus.CANCELED
