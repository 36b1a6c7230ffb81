"""Jobs on the local engine, end to end through JobService and the real store, on images made
here: canvas edits (with and without a mask), replies for what it cannot do, cancel, retry,
try-on's refusal, and the lifecycle as persisted (rows and outbox entries)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from typing import TypeVar

import numpy as np
from PIL import Image, ImageDraw

from studio_desktop.domain.enums import SourceKind
from studio_desktop.domain.models import Job, new_id
from studio_desktop.domain.paths import ObjectRef
from studio_desktop.engine.base import JobProgress, StepHook
from studio_desktop.engine.inputs import (
    CanvasEditInput,
    GarmentPhoto,
    ImageInput,
    JobRequest,
    TryOnInput,
)
from studio_desktop.engine.local import TRYON_NEEDS_REMOTE
from studio_desktop.engine.recorder import JobStore
from studio_desktop.engine.runner import JobOutcome
from studio_desktop.imaging.masks import mask_to_png
from studio_desktop.services.jobs import JobService
from studio_desktop.store.workspace import Store
from tests.engine.conftest import garment_photo, jpeg_bytes, make_local_engine, png_bytes
from tests.gates import Gate, until

T = TypeVar("T")


def run_local(
    job_store: JobStore,
    scenario: Callable[[JobService], Awaitable[T]],
    *,
    step_hook: StepHook | None = None,
) -> T:
    async def main() -> T:
        service = JobService(
            job_store,
            {"local": make_local_engine(job_store)},
            user_id=job_store.repository.user_id or "",
            step_hook=step_hook,
        )
        try:
            return await scenario(service)
        finally:
            await service.aclose()

    return asyncio.run(main())


def studio_scene(size: tuple[int, int] = (160, 120)) -> Image.Image:
    """A smooth horizontal gradient backdrop with a red bag drawn on it."""
    w, h = size
    ramp = np.linspace(200, 240, w, dtype=np.float32)
    rgb = np.stack([np.tile(ramp, (h, 1))] * 3, axis=-1).astype(np.uint8)
    image = Image.fromarray(rgb, "RGB")
    ImageDraw.Draw(image).ellipse((60, 40, 100, 80), fill=(200, 30, 40))
    return image


def rect_mask(size: tuple[int, int], box: tuple[int, int, int, int]) -> Image.Image:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle(box, fill=255)
    return mask


def edit_request(
    image: Image.Image, instruction: str, mask: Image.Image | None = None
) -> JobRequest:
    source = ImageInput.from_bytes(png_bytes(image), "image")
    mask_input = ImageInput.from_bytes(mask_to_png(mask), "mask") if mask is not None else None
    return JobRequest(CanvasEditInput(source, instruction, mask_input))


async def submit_and_wait(service: JobService, request: JobRequest) -> JobOutcome:
    job = await service.submit(request)
    return await service.wait(job.id)


def output_image(store: Store, job_store: JobStore, outcome: JobOutcome) -> Image.Image:
    (output,) = job_store.outputs(outcome.job.id)
    path = store.blobs.get_path("outputs", output.storage_path or "")
    assert path is not None
    return Image.open(io.BytesIO(path.read_bytes()))


def test_a_masked_recolor_changes_only_the_masked_pixels(job_store: JobStore, store: Store) -> None:
    scene = studio_scene()
    mask = rect_mask(scene.size, (55, 35, 105, 85))
    outcome = run_local(
        job_store, lambda s: submit_and_wait(s, edit_request(scene, "make it navy", mask))
    )
    assert outcome.succeeded, outcome.job.error
    assert outcome.reply_text is not None and "navy" in outcome.reply_text.lower()
    result = np.asarray(output_image(store, job_store, outcome).convert("RGB")).astype(int)
    before = np.asarray(scene).astype(int)
    inside = np.asarray(mask) == 255
    assert np.array_equal(result[~inside], before[~inside])  # not one pixel outside the mask
    bag = np.zeros(inside.shape, bool)
    bag[45:75, 65:95] = True
    r, g, b = result[bag].mean(axis=0)
    assert r < 80 and b > r + 10 and b > g + 10  # the red bag is (dark) navy now


def test_a_soft_mask_is_composited_as_alpha_and_a_binary_one_still_works(
    job_store: JobStore, store: Store
) -> None:
    """The canvas sends the refined mask as a soft L PNG: half-selected pixels change half."""
    scene = studio_scene()
    ramp = np.tile(np.linspace(0, 255, 160).round().astype(np.uint8), (120, 1))
    soft = Image.fromarray(ramp, "L")
    outcome = run_local(
        job_store, lambda s: submit_and_wait(s, edit_request(scene, "black and white", soft))
    )
    assert outcome.succeeded, outcome.job.error
    result = np.asarray(output_image(store, job_store, outcome).convert("RGB")).astype(int)
    before = np.asarray(scene).astype(int)
    spread = np.abs(result[..., 0] - result[..., 2])  # colour left: 0 where fully grey
    bag_rows = slice(52, 68)
    full_red = np.abs(before[bag_rows, 70:90, 0] - before[bag_rows, 70:90, 2]).mean()
    partial = spread[bag_rows, 70:90].mean()  # the bag sits where the mask is about half
    assert 0.25 * full_red < partial < 0.75 * full_red
    assert np.array_equal(result[:, 0], before[:, 0])  # mask 0: untouched
    binary = rect_mask(scene.size, (55, 35, 105, 85))
    outcome = run_local(
        job_store, lambda s: submit_and_wait(s, edit_request(scene, "black and white", binary))
    )
    assert outcome.succeeded, outcome.job.error


def bag_area(size: tuple[int, int] = (160, 120)) -> np.ndarray:
    """Where studio_scene draws the bag (its ellipse, a little inside the edge)."""
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse((63, 43, 97, 77), fill=255)
    return np.asarray(mask) > 0


def far_from_bag(size: tuple[int, int] = (160, 120)) -> np.ndarray:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse((50, 30, 110, 90), fill=255)
    return np.asarray(mask) == 0


def test_a_colour_edit_without_a_mask_recolours_the_main_subject_and_says_so(
    job_store: JobStore, store: Store
) -> None:
    scene = studio_scene()
    outcome = run_local(
        job_store, lambda s: submit_and_wait(s, edit_request(scene, "make it navy"))
    )
    assert outcome.succeeded, outcome.job.error
    assert outcome.reply_text == (
        "No area painted: I recoloured the main subject navy (#1f2a44). "
        "Paint to choose another part."
    )
    result = np.asarray(output_image(store, job_store, outcome).convert("RGB")).astype(int)
    before = np.asarray(scene).astype(int)
    # The backdrop is untouched, the bag is navy: dark, blue, no red left.
    assert np.abs(result[far_from_bag()] - before[far_from_bag()]).max() <= 1
    r, g, b = result[bag_area()].mean(axis=0)
    assert r < 60 and b > r + 15 and b > g + 10


def test_a_named_subject_is_named_in_the_reply(job_store: JobStore) -> None:
    outcome = run_local(
        job_store, lambda s: submit_and_wait(s, edit_request(studio_scene(), "make the bag cream"))
    )
    assert outcome.succeeded, outcome.job.error
    assert outcome.reply_text is not None
    assert outcome.reply_text.startswith("No area painted: I recoloured the bag cream")


def test_the_background_without_a_mask_is_everything_but_the_subject(
    job_store: JobStore, store: Store
) -> None:
    scene = studio_scene()
    outcome = run_local(
        job_store, lambda s: submit_and_wait(s, edit_request(scene, "make the background navy"))
    )
    assert outcome.succeeded, outcome.job.error
    assert outcome.reply_text is not None and "the background" in outcome.reply_text
    result = np.asarray(output_image(store, job_store, outcome).convert("RGB")).astype(int)
    before = np.asarray(scene).astype(int)
    assert np.abs(result[bag_area()] - before[bag_area()]).max() <= 2  # the bag is kept
    r, _g, b = result[far_from_bag()].mean(axis=0)
    assert b > r + 15 and r < 120  # the backdrop turned navy


def test_the_whole_image_without_a_mask_means_every_pixel(
    job_store: JobStore, store: Store
) -> None:
    scene = studio_scene()
    outcome = run_local(
        job_store,
        lambda s: submit_and_wait(s, edit_request(scene, "black and white, the whole image")),
    )
    assert outcome.succeeded, outcome.job.error
    assert outcome.reply_text == "Done: I turned the whole image black and white."
    result = np.asarray(output_image(store, job_store, outcome).convert("RGB")).astype(int)
    assert np.abs(result[..., 0] - result[..., 1]).max() <= 1
    assert np.abs(result[..., 1] - result[..., 2]).max() <= 1
    (output,) = job_store.outputs(outcome.job.id)
    assert (output.width, output.height, output.mime_type, output.kind) == (
        160,
        120,
        "image/png",
        "image",
    )
    assert output.storage_path == f"{store.user_id}/jobs/{outcome.job.id}/{output.id}.png"


def test_no_mask_and_no_subject_asks_for_a_painted_area(job_store: JobStore) -> None:
    # Busy texture edge to edge: no plain background, so no main subject to pick.
    rng = np.random.default_rng(5)
    noise = Image.fromarray(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8), "RGB")
    outcome = run_local(
        job_store, lambda s: submit_and_wait(s, edit_request(noise, "make it navy"))
    )
    assert not outcome.succeeded
    assert outcome.reply_text is not None and "Paint over the part to change" in outcome.reply_text
    assert outcome.job.error == outcome.reply_text
    assert not job_store.outputs(outcome.job.id)


def test_removal_fills_the_masked_object_from_its_smooth_surroundings(
    job_store: JobStore, store: Store
) -> None:
    scene = studio_scene()
    # The backdrop without the bag, as studio_scene draws it (uint8 like the image).
    ramp = np.linspace(200, 240, 160, dtype=np.float32).astype(np.uint8).astype(float)
    plain = np.broadcast_to(ramp[None, :, None], (120, 160, 3))
    mask = rect_mask(scene.size, (56, 36, 104, 84))
    outcome = run_local(
        job_store, lambda s: submit_and_wait(s, edit_request(scene, "remove this", mask))
    )
    assert outcome.succeeded, outcome.job.error
    result = np.asarray(output_image(store, job_store, outcome).convert("RGB")).astype(float)
    inside = np.asarray(mask) == 255
    mse = float(((result[inside] - plain[inside]) ** 2).mean())
    psnr = 10 * np.log10(255**2 / max(mse, 1e-9))
    assert psnr >= 30, psnr


def test_a_jpeg_source_gives_a_jpeg_version(job_store: JobStore, store: Store) -> None:
    source = ImageInput.from_bytes(jpeg_bytes(studio_scene()), "image")
    request = JobRequest(CanvasEditInput(source, "brighten slightly"))
    outcome = run_local(job_store, lambda s: submit_and_wait(s, request))
    assert outcome.succeeded, outcome.job.error
    (output,) = job_store.outputs(outcome.job.id)
    assert output.mime_type == "image/jpeg" and (output.storage_path or "").endswith(".jpg")


def test_an_instruction_it_cannot_do_ends_with_a_readable_reply(job_store: JobStore) -> None:
    scene = studio_scene()
    outcome = run_local(
        job_store, lambda s: submit_and_wait(s, edit_request(scene, "put her on a beach in Bali"))
    )
    assert outcome.job.status == "failed"
    assert outcome.reply_text is not None and outcome.job.error == outcome.reply_text
    assert "Here is what I can do" in outcome.reply_text and "Recolour" in outcome.reply_text
    assert job_store.outputs(outcome.job.id) == []


def test_a_removal_without_a_mask_asks_for_one(job_store: JobStore) -> None:
    outcome = run_local(
        job_store, lambda s: submit_and_wait(s, edit_request(studio_scene(), "remove the bag"))
    )
    assert outcome.job.status == "failed"
    assert outcome.reply_text is not None and "paint over it" in outcome.reply_text


def test_a_damaged_source_image_fails_with_the_decoders_message(job_store: JobStore) -> None:
    broken = png_bytes(studio_scene())[:200]
    request = JobRequest(CanvasEditInput(ImageInput.from_bytes(broken, "image"), "blur it"))
    outcome = run_local(job_store, lambda s: submit_and_wait(s, request))
    assert outcome.job.status == "failed"
    error = outcome.job.error or ""
    assert "internal error" not in error and len(error) > 20


def test_an_input_that_is_not_on_this_computer_fails_readably(
    job_store: JobStore, store: Store
) -> None:
    ref = ObjectRef("outputs", f"{store.user_id}/canvas/{store.user_id}/missing.png")
    request = JobRequest(CanvasEditInput(ImageInput.stored(ref, "image/png"), "blur it"))
    outcome = run_local(job_store, lambda s: submit_and_wait(s, request))
    assert outcome.job.status == "failed"
    assert "not on this computer yet" in (outcome.job.error or "")


def test_try_on_cannot_run_locally_and_says_where_it_can(job_store: JobStore) -> None:
    garment = GarmentPhoto(
        SourceKind.FRONT, ImageInput.from_bytes(png_bytes(garment_photo()), "garment")
    )
    request = JobRequest(TryOnInput(garment, profile_id="00000000-0000-4000-8000-000000000001"))
    outcome = run_local(job_store, lambda s: submit_and_wait(s, request))
    assert outcome.job.status == "failed" and outcome.job.error == TRYON_NEEDS_REMOTE
    assert "remote engine" in TRYON_NEEDS_REMOTE


def test_the_lifecycle_is_persisted_with_outbox_entries_and_progress(
    job_store: JobStore, store: Store
) -> None:
    progress: list[JobProgress] = []
    seen: list[str] = []

    async def scenario(service: JobService) -> JobOutcome:
        service.job_progress.connect(progress.append)
        service.job_changed.connect(lambda job: seen.append(job.status))
        job = await service.submit(
            edit_request(studio_scene(), "more contrast", rect_mask((160, 120), (0, 0, 80, 120)))
        )
        stored = job_store.require_job(job.id)
        assert stored.status == "queued" and stored.input_json["instruction"] == "more contrast"
        return await service.wait(job.id)

    outcome = run_local(job_store, scenario)
    assert outcome.succeeded
    assert seen == ["queued", "running", "succeeded"]
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) >= 4
    entries = store.outbox.all()
    assert [e.payload["status"] for e in entries if e.table == "jobs"] == [
        "queued",
        "running",
        "succeeded",
    ]
    (output,) = job_store.outputs(outcome.job.id)
    assert [e.row_id for e in entries if e.table == "job_outputs"] == [output.id]
    uploads = [e.row_id for e in entries if e.kind == "upload"]
    # The source and the mask (job inputs) and the new version, each queued before its row.
    assert len(uploads) == 3 and f"outputs/{output.storage_path}" in uploads
    upload_seq = next(e.seq for e in entries if e.row_id == f"outputs/{output.storage_path}")
    row_seq = next(e.seq for e in entries if e.table == "job_outputs")
    assert upload_seq < row_seq
    info = job_store.require_job(outcome.job.id)
    assert info.input_json["source"]["path"].startswith(
        f"{store.user_id}/jobs/{outcome.job.id}/inputs/"
    )


def test_cancel_stops_a_running_local_job_between_steps(job_store: JobStore, store: Store) -> None:
    gate = Gate("edit")

    async def scenario(service: JobService) -> JobOutcome:
        job = await service.submit(edit_request(studio_scene(), "blur it a lot"))
        await until(gate.reached)
        assert job_store.require_job(job.id).status == "running"
        assert await service.cancel(job.id)
        gate.release.set()
        return await service.wait(job.id)

    outcome = run_local(job_store, scenario, step_hook=gate)
    assert outcome.job.status == "canceled" and outcome.job.error is None
    assert job_store.require_job(outcome.job.id).status == "canceled"
    assert job_store.outputs(outcome.job.id) == []
    assert [e.payload["status"] for e in store.outbox.all() if e.table == "jobs"][-1] == "canceled"


def gravel_with_a_stone(edge: int = 768) -> tuple[Image.Image, Image.Image]:
    """A real gravel photo (scikit-image's) with a painted disc of about 5 % over it."""
    from tests.bench.quality_scenes import photo

    image = Image.fromarray(photo("gravel", edge))
    mask = Image.new("L", image.size, 0)
    r = round((0.05 * edge * edge / np.pi) ** 0.5)
    ImageDraw.Draw(mask).ellipse((edge // 2 - r, edge // 2 - r, edge // 2 + r, edge // 2 + r), 255)
    return image, mask


def test_a_removal_reports_progress_from_inside_the_fill(job_store: JobStore) -> None:
    progress: list[JobProgress] = []
    image, mask = gravel_with_a_stone()

    async def scenario(service: JobService) -> JobOutcome:
        service.job_progress.connect(progress.append)
        return await submit_and_wait(service, edit_request(image, "remove this", mask))

    outcome = run_local(job_store, scenario)
    assert outcome.succeeded, outcome.job.error
    inside = [p.fraction for p in progress if 0.3 < p.fraction < 0.85]
    assert len(inside) >= 3  # the fill's levels, not one jump from 0.3 to 0.85
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions)


def test_cancel_stops_a_removal_inside_the_fill(job_store: JobStore, store: Store) -> None:
    image, mask = gravel_with_a_stone()

    async def scenario(service: JobService) -> JobOutcome:
        job = await service.submit(edit_request(image, "remove this", mask))

        def on_progress(report: JobProgress) -> None:
            if 0.3 < report.fraction < 0.85:  # the fill has started: cancel it there
                asyncio.get_running_loop().create_task(service.cancel(job.id))

        service.job_progress.connect(on_progress)
        return await service.wait(job.id)

    outcome = run_local(job_store, scenario)
    assert outcome.job.status == "canceled" and outcome.job.error is None
    assert job_store.outputs(outcome.job.id) == []


def test_the_queue_shows_waiting_and_running_jobs_and_a_queued_one_can_be_canceled(
    job_store: JobStore,
) -> None:
    gate = Gate("edit")

    async def scenario(service: JobService) -> tuple[JobOutcome, JobOutcome]:
        first = await service.submit(edit_request(studio_scene(), "sharpen"))
        await until(gate.reached)
        second = await service.submit(edit_request(studio_scene(), "desaturate"))
        await asyncio.sleep(0.05)
        queue = service.queue()
        assert [(e.job.id, e.job.status) for e in queue] == [
            (first.id, "running"),
            (second.id, "queued"),
        ]
        assert queue[0].progress > 0 and queue[1].progress == 0
        assert await service.cancel(second.id)
        canceled = await service.wait(second.id)  # at once: it never had to wait for the first
        assert job_store.require_job(first.id).status == "running"
        gate.release.set()
        return await service.wait(first.id), canceled

    first, second = run_local(job_store, scenario, step_hook=gate)
    assert first.succeeded and second.job.status == "canceled"


def test_retry_runs_a_canceled_job_again_in_the_same_row(job_store: JobStore, store: Store) -> None:
    gate = Gate("edit")

    async def scenario(service: JobService) -> tuple[JobOutcome, JobOutcome]:
        job = await service.submit(edit_request(studio_scene(), "darken a bit"))
        await until(gate.reached)
        await service.cancel(job.id)
        gate.release.set()
        canceled = await service.wait(job.id)
        gate.step = "never"
        await service.retry(job.id)
        return canceled, await service.wait(job.id)

    canceled, retried = run_local(job_store, scenario, step_hook=gate)
    assert canceled.job.status == "canceled" and retried.succeeded
    assert retried.job.id == canceled.job.id and store.rows.count("jobs") == 1
    assert retried.job.input_json["attempt"] == 2 and len(job_store.outputs(retried.job.id)) == 1


def test_a_succeeded_job_cannot_be_retried(job_store: JobStore) -> None:
    async def scenario(service: JobService) -> str:
        outcome = await submit_and_wait(service, edit_request(studio_scene(), "sharpen"))
        try:
            await service.retry(outcome.job.id)
        except Exception as exc:  # the typed error is checked below
            return f"{type(exc).__name__}: {exc}"
        return "retried"

    assert run_local(job_store, scenario) == (
        "ValidationError: Only a failed or canceled job can be retried; this one is succeeded."
    )


def test_a_job_deleted_while_it_runs_ends_quietly_and_is_not_recreated(
    job_store: JobStore, store: Store
) -> None:
    gate = Gate("encode")

    async def scenario(service: JobService) -> JobOutcome:
        job = await service.submit(edit_request(studio_scene(), "sharpen"))
        await until(gate.reached)
        store.rows.delete("jobs", job.id)  # the user deleted it from the history meanwhile
        gate.release.set()
        return await service.wait(job.id)

    outcome = run_local(job_store, scenario, step_hook=gate)
    assert "deleted while it was running" in (outcome.job.error or "")
    assert job_store.job(outcome.job.id) is None
    assert store.rows.count("job_outputs") == 0


def test_a_local_job_left_running_by_a_crash_runs_again_at_the_next_start(
    job_store: JobStore, store: Store
) -> None:
    gate = Gate("decode")  # hold the job mid-way, then end the session under it

    async def crashed(service: JobService) -> str:
        job = await service.submit(edit_request(studio_scene(), "sharpen"))
        await until(gate.reached)
        await service.aclose()  # the app goes away; the row is left as it was
        gate.release.set()
        return job.id

    job_id = run_local(job_store, crashed, step_hook=gate)
    assert job_store.require_job(job_id).status == "running"
    assert job_store.outputs(job_id) == []

    async def second_session(service: JobService) -> JobOutcome:
        assert [j.id for j in await service.resume_unfinished()] == [job_id]
        return await service.wait(job_id)

    outcome = run_local(job_store, second_session)
    assert outcome.succeeded and len(job_store.outputs(job_id)) == 1


def test_canceling_a_job_queued_by_an_earlier_session_reports_it_finished(
    job_store: JobStore, store: Store
) -> None:
    # A queued row this service never ran (left by the last session, or synced in).
    left_over = Job(id=new_id(), user_id=store.user_id, type="canvas_edit", status="queued")
    store.rows.save(left_over)

    async def scenario(service: JobService) -> list[JobOutcome]:
        finished: list[JobOutcome] = []
        service.job_finished.connect(finished.append)
        assert await service.cancel(left_over.id)
        return finished

    finished = run_local(job_store, scenario)
    assert [(o.job.id, o.job.status) for o in finished] == [(left_over.id, "canceled")]
