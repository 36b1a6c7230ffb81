"""extract_garment on the local engine: real cutouts of garments drawn by the test, cached in
``garment_cutouts`` by user + SHA-256 of the photo + side, so a photo is never cut twice."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import Awaitable, Callable
from typing import TypeVar

import numpy as np
from PIL import Image

from studio_desktop.domain.models import GarmentCutout
from studio_desktop.engine.recorder import JobStore
from studio_desktop.engine.runner import JobOutcome
from studio_desktop.services.garments import GarmentService
from studio_desktop.services.jobs import JobService
from studio_desktop.store.workspace import Store
from tests.engine.conftest import (
    CountingCut,
    garment_photo,
    jpeg_bytes,
    make_local_engine,
    png_bytes,
)

T = TypeVar("T")


def run_extract(
    job_store: JobStore,
    store: Store,
    cut: CountingCut,
    scenario: Callable[[GarmentService, JobService], Awaitable[T]],
    *,
    limit: int = 1,
) -> T:
    async def main() -> T:
        jobs = JobService(
            job_store,
            {"local": make_local_engine(job_store, cut)},
            user_id=store.user_id,
            limits={"local": limit},
        )
        try:
            return await scenario(GarmentService(jobs, store.queries), jobs)
        finally:
            await jobs.aclose()

    return asyncio.run(main())


def cutout_rows(store: Store) -> list[GarmentCutout]:
    rows = store.db.query(f"SELECT {', '.join(GarmentCutout.columns())} FROM garment_cutouts")
    return [GarmentCutout.from_row(dict(row)) for row in rows]


async def extract(
    garments: GarmentService, jobs: JobService, photo: bytes, kind: str
) -> JobOutcome:
    job = await garments.extract_cutout(photo, kind)
    return await jobs.wait(job.id)


def test_the_same_photo_is_cut_once_and_the_repeat_is_served_from_the_cache(
    job_store: JobStore, store: Store
) -> None:
    photo = jpeg_bytes(garment_photo())
    cut = CountingCut()

    async def scenario(garments: GarmentService, jobs: JobService) -> tuple[JobOutcome, JobOutcome]:
        return await extract(garments, jobs, photo, "front"), await extract(
            garments, jobs, photo, "front"
        )

    first, second = run_extract(job_store, store, cut, scenario)
    assert first.succeeded and second.succeeded, (first.job.error, second.job.error)
    assert cut.calls == 1
    assert (first.cache_hits, second.cache_hits) == (0, 1)
    (row,) = cutout_rows(store)
    assert row.source_hash == hashlib.sha256(photo).hexdigest() and row.source_kind == "front"
    assert row.user_id == store.user_id and row.storage_bucket == "extractions"
    assert row.storage_path == f"{store.user_id}/cutouts/{row.source_hash}-front.png"
    (out1,), (out2,) = job_store.outputs(first.job.id), job_store.outputs(second.job.id)
    assert out1.storage_path == out2.storage_path == row.storage_path
    assert (out1.kind, out1.angle, out1.mime_type) == ("cutout", "front", "image/png")
    assert (out1.width, out1.height) == (out2.width, out2.height)
    # The cutout's PNG is uploaded once, whatever the number of jobs that show it.
    uploads = [e.row_id for e in store.outbox.all() if e.kind == "upload"]
    assert uploads.count(f"extractions/{row.storage_path}") == 1


def test_the_cutout_is_a_transparent_png_of_the_garment(job_store: JobStore, store: Store) -> None:
    photo = png_bytes(garment_photo(size=(300, 400)))

    async def scenario(garments: GarmentService, jobs: JobService) -> JobOutcome:
        return await extract(garments, jobs, photo, "back")

    outcome = run_extract(job_store, store, CountingCut(), scenario)
    assert outcome.succeeded, outcome.job.error
    (output,) = job_store.outputs(outcome.job.id)
    path = store.blobs.get_path("extractions", output.storage_path or "")
    assert path is not None
    image = Image.open(io.BytesIO(path.read_bytes()))
    assert image.mode == "RGBA" and image.size == (output.width, output.height)
    alpha = np.asarray(image.getchannel("A"))
    assert alpha.min() == 0 and alpha.max() == 255
    rgb = np.asarray(image.convert("RGB"))[alpha == 255]
    assert np.abs(rgb.mean(axis=0) - (0xB0, 0x30, 0x40)).max() < 12  # the garment's colour


def test_front_and_back_of_the_same_photo_are_different_entries(
    job_store: JobStore, store: Store
) -> None:
    photo = png_bytes(garment_photo())
    cut = CountingCut()

    async def scenario(garments: GarmentService, jobs: JobService) -> None:
        await extract(garments, jobs, photo, "front")
        await extract(garments, jobs, photo, "back")

    run_extract(job_store, store, cut, scenario)
    assert cut.calls == 2
    assert sorted(r.source_kind for r in cutout_rows(store)) == ["back", "front"]


def test_two_jobs_at_once_on_the_same_photo_still_cut_once(
    job_store: JobStore, store: Store
) -> None:
    photo = png_bytes(garment_photo())
    cut = CountingCut()

    async def scenario(garments: GarmentService, jobs: JobService) -> list[JobOutcome]:
        a = await garments.extract_cutout(photo, "front")
        b = await garments.extract_cutout(photo, "front")
        return [await jobs.wait(a.id), await jobs.wait(b.id)]

    outcomes = run_extract(job_store, store, cut, scenario, limit=2)
    assert all(o.succeeded for o in outcomes)
    assert cut.calls == 1 and len(cutout_rows(store)) == 1


def test_a_cache_row_whose_file_is_gone_is_cut_again_under_the_same_row(
    job_store: JobStore, store: Store
) -> None:
    photo = png_bytes(garment_photo())
    cut = CountingCut()

    async def scenario(garments: GarmentService, jobs: JobService) -> JobOutcome:
        await extract(garments, jobs, photo, "front")
        (row,) = cutout_rows(store)
        path = store.blobs.get_path(row.storage_bucket, row.storage_path)
        assert path is not None
        path.unlink()  # as if the file had been lost
        return await extract(garments, jobs, photo, "front")

    outcome = run_extract(job_store, store, cut, scenario)
    assert outcome.succeeded and cut.calls == 2 and len(cutout_rows(store)) == 1


def test_a_photo_that_is_not_a_product_photo_fails_with_a_readable_reason(
    job_store: JobStore, store: Store
) -> None:
    rng = np.random.default_rng(7)
    noise = Image.fromarray(rng.integers(0, 255, (200, 200, 3), dtype=np.uint8), "RGB")

    async def scenario(garments: GarmentService, jobs: JobService) -> JobOutcome:
        return await extract(garments, jobs, png_bytes(noise), "front")

    outcome = run_extract(job_store, store, CountingCut(), scenario)
    assert outcome.job.status == "failed"
    assert "product photo" in (outcome.job.error or "") or "No garment" in (outcome.job.error or "")
    assert cutout_rows(store) == []
