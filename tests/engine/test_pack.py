"""product_pack on the local engine: catalogue images of garments drawn by the test, on the
profile's background, one per angle, all the same size and framing, honouring useCutout."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import Awaitable, Callable
from typing import TypeVar

import numpy as np
from PIL import Image

from studio_desktop.domain.enums import JobStatus
from studio_desktop.domain.models import JobOutput, Profile, new_id
from studio_desktop.engine.recorder import JobStore
from studio_desktop.engine.remote_api import GenerationApiClient
from studio_desktop.engine.runner import JobOutcome
from studio_desktop.services.garments import GarmentService
from studio_desktop.services.jobs import JobService
from studio_desktop.store.workspace import Store
from tests.engine.conftest import CountingCut, garment_photo, jpeg_bytes, make_local_engine
from tests.engine.test_tryon import Seen, push_accepted, remote, until
from tests.stack.fake_generation_api import FakeGenerationApi

T = TypeVar("T")
BACKGROUND = "#e6dccb"


def run_pack(
    job_store: JobStore,
    store: Store,
    cut: CountingCut,
    scenario: Callable[[GarmentService, JobService], Awaitable[T]],
) -> T:
    async def main() -> T:
        jobs = JobService(
            job_store, {"local": make_local_engine(job_store, cut)}, user_id=store.user_id
        )
        try:
            return await scenario(GarmentService(jobs, store.queries), jobs)
        finally:
            await jobs.aclose()

    return asyncio.run(main())


def profile(store: Store) -> Profile:
    return store.rows.save(
        Profile(id=new_id(), user_id=store.user_id, name="Mia", background=BACKGROUND)
    )


def decoded(store: Store, output: JobOutput) -> np.ndarray:
    path = store.blobs.get_path("outputs", output.storage_path or "")
    assert path is not None
    return np.asarray(Image.open(io.BytesIO(path.read_bytes())).convert("RGB")).astype(int)


def garment_box(pixels: np.ndarray, background: tuple[int, int, int]) -> tuple[int, int, int, int]:
    """Bounding box of the pixels clearly unlike the background."""
    far = np.abs(pixels - np.array(background)).max(axis=2) > 40
    ys, xs = np.nonzero(far)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


FRONT = jpeg_bytes(garment_photo((480, 640), colour="#b03040"))
BACK = jpeg_bytes(garment_photo((480, 640), colour="#304090"))


def test_a_pack_has_one_image_per_angle_with_shared_size_and_framing(
    job_store: JobStore, store: Store
) -> None:
    chosen = profile(store)
    cut = CountingCut()

    async def scenario(garments: GarmentService, jobs: JobService) -> JobOutcome:
        job = await garments.build_pack(chosen.id, front=FRONT, back=BACK)
        return await jobs.wait(job.id)

    outcome = run_pack(job_store, store, cut, scenario)
    assert outcome.succeeded, outcome.job.error
    outputs = {o.angle: o for o in job_store.outputs(outcome.job.id)}
    assert sorted(outputs) == ["back", "detail", "front"]
    assert {(o.width, o.height, o.mime_type, o.kind) for o in outputs.values()} == {
        (1600, 2000, "image/jpeg", "image")
    }
    bg = (0xE6, 0xDC, 0xCB)
    front, back = decoded(store, outputs["front"]), decoded(store, outputs["back"])
    assert np.abs(front[5, 5] - np.array(bg)).max() <= 12  # the profile's background
    fbox, bbox = garment_box(front, bg), garment_box(back, bg)
    # Same garment shape, same framing: the boxes agree to a few pixels.
    assert max(abs(a - b) for a, b in zip(fbox, bbox, strict=True)) <= 6
    # The garment keeps its colour on the pack (front red, back blue).
    centre = (fbox[1] + fbox[3]) // 2, (fbox[0] + fbox[2]) // 2
    assert front[centre][0] > front[centre][2] + 60 and back[centre][2] > back[centre][0] + 40
    assert cut.calls == 2  # front and back cut out (use_cutout)
    key = (store.user_id, hashlib.sha256(FRONT).hexdigest(), "front")
    assert store.queries.garment_cutout(*key) is not None  # cached for the next pack


def test_a_pack_reuses_cutouts_already_made(job_store: JobStore, store: Store) -> None:
    chosen = profile(store)
    cut = CountingCut()

    async def scenario(garments: GarmentService, jobs: JobService) -> JobOutcome:
        extracted = await garments.extract_cutout(FRONT, "front")
        await jobs.wait(extracted.id)
        job = await garments.build_pack(chosen.id, front=FRONT, angles=["front"])
        return await jobs.wait(job.id)

    outcome = run_pack(job_store, store, cut, scenario)
    assert outcome.succeeded and outcome.cache_hits == 1 and cut.calls == 1


def test_a_pack_without_cutouts_places_the_photos_and_cuts_nothing(
    job_store: JobStore, store: Store
) -> None:
    chosen = profile(store)
    cut = CountingCut()

    async def scenario(garments: GarmentService, jobs: JobService) -> JobOutcome:
        job = await garments.build_pack(
            chosen.id, front=FRONT, back=BACK, angles=["front", "back"], use_cutout=False
        )
        return await jobs.wait(job.id)

    outcome = run_pack(job_store, store, cut, scenario)
    assert outcome.succeeded, outcome.job.error
    assert cut.calls == 0 and store.rows.count("garment_cutouts") == 0
    outputs = job_store.outputs(outcome.job.id)
    assert sorted(o.angle or "" for o in outputs) == ["back", "front"]
    assert {(o.width, o.height) for o in outputs} == {(1600, 2000)}
    # The whole photo is placed, its own near-white backdrop included (a cutout would show the
    # profile's background there), framed inside the pack's padding on the profile's background.
    front = decoded(store, next(o for o in outputs if o.angle == "front"))
    assert (front[1000, 200] > 235).all()
    assert np.abs(front[1000, 40] - np.array((0xE6, 0xDC, 0xCB))).max() <= 12


def test_a_side_view_cannot_be_made_locally_and_says_so(job_store: JobStore, store: Store) -> None:
    async def scenario(garments: GarmentService, jobs: JobService) -> JobOutcome:
        job = await garments.build_pack(None, front=FRONT, angles=["front", "side"])
        return await jobs.wait(job.id)

    outcome = run_pack(job_store, store, CountingCut(), scenario)
    assert outcome.job.status == "failed"
    assert "cannot make a side view" in (outcome.job.error or "")


def test_a_remote_pack_on_a_profile_not_synced_yet_waits_survives_a_restart_and_runs(
    job_store: JobStore, store: Store, fake_api: FakeGenerationApi
) -> None:
    """Weak spot of issue 14: a pack for the studio's engine on a profile made a moment ago
    (still in the outbox) was sent at once and failed with the server's 422 unknown_profile.
    Like a try-on, it now waits, queued, saying so, sends nothing, can be canceled, survives a
    restart, and runs as soon as the sync's push of the profile is accepted."""
    lena = store.rows.save(Profile(id=new_id(), user_id=store.user_id, name="Lena"))
    assert store.outbox.has_entries_for("profiles", lena.id)
    waiting_text = "Waiting for the profile “Lena” to reach the studio — it goes with the next sync"
    clients: list[GenerationApiClient] = []  # this run's (closed on its own loop)

    def service() -> JobService:
        engine, client = remote(fake_api.base_url)
        clients[:] = [client]
        jobs = JobService(
            job_store,
            {"local": make_local_engine(job_store), "remote": engine},
            user_id=store.user_id,
        )
        # Wired as WorkspaceServices wires it: an outbox change wakes the waiting jobs.
        store.outbox.changed.connect(lambda _counts: jobs.call_soon(jobs.rows_synced))
        return jobs

    async def first() -> tuple[str, list[str], JobStatus]:
        jobs = service()
        seen = Seen(jobs)
        garments = GarmentService(jobs, store.queries)
        try:
            kept = await garments.build_pack(lena.id, front=FRONT, engine="remote")
            dropped = await garments.build_pack(lena.id, back=BACK, engine="remote")
            await until(lambda: jobs.is_waiting(kept.id) and jobs.is_waiting(dropped.id))
            await asyncio.sleep(0.1)
            assert {e.message for e in jobs.queue()} == {waiting_text}
            assert await jobs.cancel(dropped.id)
            canceled = await asyncio.wait_for(jobs.wait(dropped.id), 10)
            # (The cancel changed the outbox: the other pack looked again, and waits again.)
            await until(lambda: jobs.is_waiting(kept.id))
            return kept.id, seen.messages, canceled.job.status
        finally:
            await jobs.aclose()
            await clients[0].aclose()

    async def after_restart(job_id: str) -> tuple[str, JobOutcome]:
        jobs = service()
        try:
            assert [j.id for j in await jobs.resume_unfinished()] == [job_id]
            await until(lambda: jobs.is_waiting(job_id))
            (entry,) = jobs.queue()
            # The sync pushes the profile: the server has it, the outbox lets go of it.
            fake_api.add_profile(store.user_id, "Lena", profile_id=lena.id)
            push_accepted(store, lena.id)
            return entry.message, await asyncio.wait_for(jobs.wait(job_id), 20)
        finally:
            await jobs.aclose()
            await clients[0].aclose()

    job_id, messages, canceled = asyncio.run(first())
    assert waiting_text in messages and canceled == JobStatus.CANCELED
    assert fake_api.requests_to("POST", "/api/generate-image") == []
    stored = job_store.job(job_id)
    assert stored is not None and stored.status == JobStatus.QUEUED  # never lost
    message, outcome = asyncio.run(after_restart(job_id))
    assert message == waiting_text
    assert outcome.succeeded, outcome.job.error
    (sent,) = fake_api.requests_to("POST", "/api/generate-image")
    assert sent.json["type"] == "pack" and sent.json["profileId"] == lena.id
    assert sent.json["jobId"] == job_id
    assert sorted(o.angle or "" for o in job_store.outputs(job_id)) == ["detail", "front"]
