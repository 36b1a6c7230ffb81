"""Jobs on the remote engine, end to end: JobService -> runner -> RemoteEngine -> HTTP -> the
fake API, with the real store recording every status, output and outbox entry."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest
from PIL import Image

from studio_desktop.domain.enums import Angle, JobStatus, SourceKind
from studio_desktop.domain.errors import ValidationError
from studio_desktop.domain.models import Job
from studio_desktop.engine.base import JobProgress
from studio_desktop.engine.inputs import (
    ExtractGarmentInput,
    GarmentPhoto,
    ImageInput,
    JobRequest,
    ProductPackInput,
)
from studio_desktop.engine.recorder import JobStore
from studio_desktop.engine.remote import RemoteEngine
from studio_desktop.engine.remote_api import GenerationApiClient, RetryPolicy
from studio_desktop.engine.runner import JobOutcome
from studio_desktop.services.jobs import JobService
from studio_desktop.store.workspace import Store
from tests.engine.conftest import TOKEN, SleepRecorder, garment_photo, jpeg_bytes, png_bytes
from tests.stack.fake_generation_api import FakeGenerationApi

T = TypeVar("T")
Scenario = Callable[[JobService, GenerationApiClient], Awaitable[T]]


def run_remote(
    job_store: JobStore,
    api: FakeGenerationApi,
    scenario: Scenario[T],
    *,
    sleep: SleepRecorder | None = None,
    token: Callable[[], str] = lambda: TOKEN,
    refresh: Callable[[], Awaitable[str]] | None = None,
    **client_options: Any,
) -> T:
    async def main() -> T:
        client = GenerationApiClient(
            api.base_url,
            token,
            refresh,
            sleep=sleep or SleepRecorder(),
            rng=lambda: 1.0,
            **client_options,
        )
        service = JobService(
            job_store, {"remote": RemoteEngine(client)}, user_id=job_store.repository.user_id or ""
        )
        try:
            return await scenario(service, client)
        finally:
            await service.aclose()
            await client.aclose()

    return asyncio.run(main())


def extract_request(colour: str = "#3050b0") -> JobRequest:
    photo = ImageInput.from_bytes(png_bytes(garment_photo(colour=colour)), "photo")
    return JobRequest(ExtractGarmentInput(photo, SourceKind.FRONT), engine="remote")


async def submit_and_wait(service: JobService, request: JobRequest) -> JobOutcome:
    job = await service.submit(request)
    return await service.wait(job.id)


def test_remote_extract_succeeds_with_progress_and_records_the_servers_outputs(
    job_store: JobStore, store: Store, fake_api: FakeGenerationApi
) -> None:
    progress: list[JobProgress] = []
    statuses: list[str] = []

    async def scenario(service: JobService, _: GenerationApiClient) -> tuple[Job, JobOutcome]:
        service.job_progress.connect(progress.append)
        service.job_changed.connect(lambda job: statuses.append(job.status))
        job = await service.submit(extract_request())
        assert job.status == "queued"
        assert job_store.job(job.id) is not None  # in the store before anything ran
        return job, await service.wait(job.id)

    job, outcome = run_remote(job_store, fake_api, scenario)
    assert outcome.job.status == "succeeded" and outcome.job.error is None
    assert statuses[0] == "queued" and statuses[1] == "running" and statuses[-1] == "succeeded"
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert len({round(f, 3) for f in fractions}) >= 4
    assert any("step 2 of 3" in p.message for p in progress)

    stored = job_store.require_job(job.id)
    (op,) = fake_api.operations.values()
    assert stored.provider_operation_id == op.id and op.job_id == job.id  # the API got our id
    (output,) = job_store.outputs(job.id)
    (remote,) = op.outputs
    assert (output.id, output.storage_path, output.kind) == (
        remote["id"],
        remote["storagePath"],
        "cutout",
    )
    # The server's cutout-cache object, in extractions, not a second copy under the job.
    assert output.storage_path == f"{job.user_id}/cutouts/{job.input_json['sourceHash']}-front.png"
    assert remote["bucket"] == "extractions"
    assert (output.width, output.height, output.mime_type) == (240, 320, "image/png")
    # The result is in the blob cache as an object the server already has: no upload queued.
    blob = store.blobs.info(remote["bucket"], output.storage_path)
    assert blob is not None and blob.state == "synced"
    entries = store.outbox.all()
    uploads = [e.row_id for e in entries if e.kind == "upload"]
    assert len(uploads) == 1 and f"/jobs/{job.id}/inputs/" in uploads[0]  # only the input photo
    assert [e.row_id for e in entries if e.table == "job_outputs"] == [output.id]
    job_entries = [e.payload["status"] for e in entries if e.table == "jobs"]
    assert job_entries[0] == "queued" and job_entries[-1] == "succeeded"


def test_remote_pack_on_a_server_profile_records_each_angle(
    job_store: JobStore, user_id: str, fake_api: FakeGenerationApi
) -> None:
    profile = fake_api.add_profile(user_id, "Ana", background="#e8e0d0")
    front = ImageInput.from_bytes(jpeg_bytes(garment_photo()), "front")
    back = ImageInput.from_bytes(jpeg_bytes(garment_photo(colour="#204020")), "back")
    request = JobRequest(
        ProductPackInput(
            garments=(GarmentPhoto(SourceKind.FRONT, front), GarmentPhoto(SourceKind.BACK, back)),
            angles=(Angle.FRONT, Angle.BACK, Angle.DETAIL),
            profile_id=profile["id"],
            use_cutout=True,
        ),
        engine="remote",
    )

    async def scenario(service: JobService, _: GenerationApiClient) -> JobOutcome:
        return await submit_and_wait(service, request)

    outcome = run_remote(job_store, fake_api, scenario)
    assert outcome.succeeded
    body = next(iter(fake_api.operations.values())).body
    assert (body["type"], body["useCutout"], body["angles"]) == (
        "pack",
        True,
        ["front", "back", "detail"],
    )
    angles = sorted((o.angle, o.width, o.height) for o in job_store.outputs(outcome.job.id))
    assert angles == [("back", 600, 800), ("detail", 600, 800), ("front", 600, 800)]


def test_remote_job_survives_a_500_and_a_429(
    job_store: JobStore, fake_api: FakeGenerationApi
) -> None:
    fake_api.fail_next("POST", "/api/generate-image", status=500)
    fake_api.fail_next("GET", "/api/operations/", status=429, retry_after="3")
    sleep = SleepRecorder()

    async def scenario(service: JobService, _: GenerationApiClient) -> JobOutcome:
        return await submit_and_wait(service, extract_request())

    outcome = run_remote(job_store, fake_api, scenario, sleep=sleep)
    assert outcome.succeeded
    assert sleep.delays == [0.5, 3.0]  # backoff after the 500, Retry-After after the 429
    assert len(fake_api.operations) == 1


def test_remote_job_refreshes_an_expired_token(
    job_store: JobStore, user_id: str, fake_api: FakeGenerationApi
) -> None:
    fake_api.revoke(TOKEN)
    current = {"token": TOKEN}

    async def refresh() -> str:
        fake_api.grant("fresh-token", user_id)
        current["token"] = "fresh-token"
        return "fresh-token"

    async def scenario(service: JobService, _: GenerationApiClient) -> JobOutcome:
        return await submit_and_wait(service, extract_request())

    outcome = run_remote(
        job_store, fake_api, scenario, token=lambda: current["token"], refresh=refresh
    )
    assert outcome.succeeded


def test_remote_job_with_a_refused_session_fails_asking_to_sign_in(
    job_store: JobStore, fake_api: FakeGenerationApi
) -> None:
    fake_api.revoke(TOKEN)

    async def scenario(service: JobService, _: GenerationApiClient) -> JobOutcome:
        return await submit_and_wait(service, extract_request())

    outcome = run_remote(job_store, fake_api, scenario)
    assert outcome.job.status == "failed"
    assert "Sign in again" in (outcome.job.error or "")


@pytest.mark.parametrize(
    ("inject", "expected"),
    [
        (
            lambda api: api.slow_next("POST", "/api/generate-image", seconds=0.8),
            "did not answer in time",
        ),
        (
            lambda api: api.drop_next("GET", "/api/operations/", times=10),
            "dropped before it answered",
        ),
        (lambda api: api.malformed_next("GET", "/api/operations/"), "not valid JSON"),
        (
            lambda api: api.wrong_content_type_next("POST", "/api/generate-image"),
            "text/html instead of JSON",
        ),
        (
            lambda api: api.fail_operations("the renderer ran out of memory"),
            "could not finish the job: the renderer ran out of memory",
        ),
        (
            lambda api: api.fail_next("GET", "/api/operations/", status=503, times=10),
            "temporarily unavailable",
        ),
    ],
    ids=[
        "timeout",
        "dropped-connection",
        "malformed-json",
        "wrong-content-type",
        "operation-failed",
        "persistent-503",
    ],
)
def test_remote_failures_end_the_job_failed_with_a_readable_error(
    job_store: JobStore,
    store: Store,
    fake_api: FakeGenerationApi,
    inject: Callable[[FakeGenerationApi], None],
    expected: str,
) -> None:
    inject(fake_api)

    async def scenario(service: JobService, _: GenerationApiClient) -> JobOutcome:
        return await submit_and_wait(service, extract_request())

    outcome = run_remote(
        job_store,
        fake_api,
        scenario,
        timeout=httpx.Timeout(0.3),
        retry=RetryPolicy(attempts=1 if expected == "did not answer in time" else 3),
    )
    assert outcome.job.status == "failed"
    assert expected in (outcome.job.error or "")
    assert job_store.require_job(outcome.job.id).error == outcome.job.error
    assert job_store.outputs(outcome.job.id) == []
    assert [e.payload["status"] for e in store.outbox.all() if e.table == "jobs"][-1] == "failed"


def test_cancel_of_a_remote_job_cancels_the_operation(
    job_store: JobStore, fake_api: FakeGenerationApi
) -> None:
    fake_api.steps = 50

    async def scenario(service: JobService, _: GenerationApiClient) -> JobOutcome:
        job = await service.submit(extract_request())
        started = asyncio.Event()

        def on_progress(progress: JobProgress) -> None:
            if "step 2" in progress.message:
                started.set()

        service.job_progress.connect(on_progress)
        await asyncio.wait_for(started.wait(), 10)
        assert [e.job.id for e in service.queue()] == [job.id]
        assert await service.cancel(job.id)
        return await service.wait(job.id)

    outcome = run_remote(job_store, fake_api, scenario)
    assert outcome.job.status == "canceled" and outcome.job.error is None
    (op,) = fake_api.operations.values()
    assert op.status == "canceled" and op.cancel_requests == 1
    assert job_store.outputs(outcome.job.id) == []


def test_retry_of_a_failed_remote_job_reuses_the_row_with_a_new_attempt(
    job_store: JobStore, store: Store, fake_api: FakeGenerationApi
) -> None:
    fake_api.fail_operations("a transient renderer fault")

    async def scenario(
        service: JobService, _: GenerationApiClient
    ) -> tuple[JobOutcome, JobOutcome]:
        first = await submit_and_wait(service, extract_request())
        retried = await service.retry(first.job.id)
        assert retried.status == "queued" and retried.error is None
        assert retried.provider_operation_id is None
        return first, await service.wait(first.job.id)

    first, second = run_remote(job_store, fake_api, scenario)
    assert first.job.status == "failed" and second.succeeded
    assert second.job.id == first.job.id and store.rows.count("jobs") == 1
    attempts = sorted(op.attempt for op in fake_api.operations.values())
    assert attempts == [1, 2]  # a new operation for the new attempt
    assert second.job.input_json["attempt"] == 2
    assert second.job.provider_operation_id != first.job.provider_operation_id


def test_a_remote_job_left_running_resumes_its_operation_after_a_restart(
    job_store: JobStore, fake_api: FakeGenerationApi
) -> None:
    fake_api.steps = 50

    async def first_session(service: JobService, _: GenerationApiClient) -> str:
        job = await service.submit(extract_request())
        while job_store.require_job(job.id).provider_operation_id is None:
            await asyncio.sleep(0.01)
        return job.id  # the session closes here, as if the app quit mid-job

    job_id = run_remote(job_store, fake_api, first_session)
    assert job_store.require_job(job_id).status == "running"
    fake_api.steps = 3
    for op in fake_api.operations.values():
        op.steps = 3

    async def second_session(service: JobService, _: GenerationApiClient) -> JobOutcome:
        resumed = await service.resume_unfinished()
        assert [j.id for j in resumed] == [job_id]
        return await service.wait(job_id)

    outcome = run_remote(job_store, fake_api, second_session)
    assert outcome.succeeded
    assert len(fake_api.requests_to("POST", "/api/generate-image")) == 1  # no second operation


def test_submitting_to_a_remote_engine_that_is_not_set_up_is_refused(job_store: JobStore) -> None:
    async def main() -> None:
        service = JobService(job_store, {}, user_id=job_store.repository.user_id or "")
        await service.submit(extract_request())

    with pytest.raises(ValidationError, match="sign in"):
        asyncio.run(main())
    assert job_store.repository.count("jobs") == 0


def test_an_undecodable_image_refused_by_the_server_fails_the_job(
    job_store: JobStore, fake_api: FakeGenerationApi
) -> None:
    broken = png_bytes(Image.new("RGB", (8, 8)))[:40]  # a PNG signature with its data cut off
    request = JobRequest(
        ExtractGarmentInput(ImageInput.from_bytes(broken, "photo")), engine="remote"
    )

    async def scenario(service: JobService, _: GenerationApiClient) -> JobOutcome:
        return await submit_and_wait(service, request)

    outcome = run_remote(job_store, fake_api, scenario)
    assert outcome.job.status == "failed"
    assert "could not be decoded" in (outcome.job.error or "")
    assert outcome.job.status == JobStatus.FAILED


def test_results_reported_outside_the_users_folder_are_refused(
    job_store: JobStore, store: Store, fake_api: FakeGenerationApi
) -> None:
    fake_api.misplace_outputs_under = "00000000-0000-4000-8000-000000000000"

    async def scenario(service: JobService, _: GenerationApiClient) -> JobOutcome:
        return await submit_and_wait(service, extract_request())

    outcome = run_remote(job_store, fake_api, scenario)
    assert outcome.job.status == "failed"
    assert "outside your storage folder" in (outcome.job.error or "")
    assert job_store.outputs(outcome.job.id) == []
    assert not any(
        "00000000-0000-4000-8000-000000000000" in (e.row_id or "") for e in store.outbox.all()
    )


def test_an_operation_that_never_finishes_is_stopped_at_the_deadline(
    job_store: JobStore, fake_api: FakeGenerationApi
) -> None:
    fake_api.steps = 100_000

    async def main() -> JobOutcome:
        async with GenerationApiClient(fake_api.base_url, lambda: TOKEN) as client:
            engine = RemoteEngine(client, operation_timeout=0.2)
            service = JobService(
                job_store, {"remote": engine}, user_id=job_store.repository.user_id or ""
            )
            try:
                return await submit_and_wait(service, extract_request())
            finally:
                await service.aclose()

    outcome = asyncio.run(main())
    assert outcome.job.status == "failed"
    assert "did not finish within" in (outcome.job.error or "")
    (op,) = fake_api.operations.values()
    assert op.cancel_requests == 1 and op.status == "canceled"  # not left running on the server
