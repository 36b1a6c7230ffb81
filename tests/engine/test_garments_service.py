"""The garment flows as single calls: validation before any job is written, and the jobs they
submit (cutouts from dropped photos, packs for a profile; try-on: ``test_tryon.py``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from studio_desktop.domain.errors import ValidationError
from studio_desktop.domain.models import Profile, new_id
from studio_desktop.engine.recorder import JobStore
from studio_desktop.services.garments import GarmentService
from studio_desktop.services.jobs import JobService
from studio_desktop.store.workspace import Store
from tests.engine.conftest import garment_photo, jpeg_bytes, make_local_engine, png_bytes

T = TypeVar("T")


def run_garments(
    job_store: JobStore,
    store: Store,
    scenario: Callable[[GarmentService, JobService], Awaitable[T]],
) -> T:
    async def main() -> T:
        jobs = JobService(job_store, {"local": make_local_engine(job_store)}, user_id=store.user_id)
        try:
            return await scenario(GarmentService(jobs, store.queries), jobs)
        finally:
            await jobs.aclose()

    return asyncio.run(main())


def add_profile(store: Store, background: str | None = "#efe6da") -> Profile:
    return store.rows.save(
        Profile(id=new_id(), user_id=store.user_id, name="Ana", background=background)
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda g: g.extract_cutout(b"", "front"), "is empty"),
        (lambda g: g.extract_cutout(b"%PDF-1.7 not a photo", "front"), "not a PNG, JPEG or WebP"),
        (lambda g: g.extract_cutout(png_bytes(garment_photo()), "sideways"), "front or its back"),
        (lambda g: g.build_pack(None), "Drop a photo"),
        (
            lambda g: g.build_pack(
                None, front=png_bytes(garment_photo()), angles=["front", "back"]
            ),
            "needs a photo of the garment's back",
        ),
        (
            lambda g: g.build_pack(None, front=png_bytes(garment_photo()), angles=["top"]),
            "Unknown angle",
        ),
        (lambda g: g.build_pack(new_id(), front=png_bytes(garment_photo())), "no longer exists"),
        (lambda g: g.try_on(new_id(), png_bytes(garment_photo())), "no longer exists"),
        (lambda g: g.try_on(None, png_bytes(garment_photo())), "Choose a model profile"),
        (lambda g: g.try_on(new_id(), None), "Drop a photo"),
        (lambda g: g.try_on(new_id(), b"%PDF-1.7 no"), "not a PNG, JPEG or WebP"),
        (lambda g: g.try_on(new_id(), png_bytes(garment_photo()), "top"), "front or its back"),
    ],
    ids=[
        "empty",
        "pdf",
        "bad-side",
        "no-photo",
        "back-without-photo",
        "bad-angle",
        "gone-profile",
        "tryon-gone-profile",
        "tryon-no-profile",
        "tryon-no-photo",
        "tryon-pdf",
        "tryon-bad-side",
    ],
)
def test_bad_requests_are_refused_before_any_job_is_written(
    job_store: JobStore,
    store: Store,
    call: Callable[[GarmentService], Awaitable[object]],
    message: str,
) -> None:
    async def scenario(garments: GarmentService, _: JobService) -> object:
        return await call(garments)

    with pytest.raises(ValidationError, match=message):
        run_garments(job_store, store, scenario)
    assert store.rows.count("jobs") == 0
    assert store.outbox.all() == []


def test_a_pack_takes_the_profiles_background_and_default_angles(
    job_store: JobStore, store: Store
) -> None:
    profile = add_profile(store)

    async def scenario(garments: GarmentService, jobs: JobService) -> dict[str, object]:
        job = await garments.build_pack(
            profile.id,
            front=jpeg_bytes(garment_photo()),
            back=jpeg_bytes(garment_photo(colour="#225522")),
        )
        await jobs.wait(job.id)
        return job.input_json

    input_json = run_garments(job_store, store, scenario)
    assert input_json["background"] == "#efe6da" and input_json["profileId"] == profile.id
    assert input_json["angles"] == ["front", "back", "detail"] and input_json["useCutout"] is True
    assert [g["kind"] for g in input_json["garments"]] == ["front", "back"]  # type: ignore[index]
