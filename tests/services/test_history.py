"""HistoryService on real jobs made by the local engine: feed pages with filters, job detail,
delete many at once (objects queued for removal), export names without overwriting, keep
offline, open in Magic Canvas (the same creation twice), retry and cancel."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PIL import Image

from studio_desktop.domain.enums import JobStatus, JobType
from studio_desktop.domain.errors import ExternalError, ValidationError
from studio_desktop.domain.models import Job
from studio_desktop.engine.inputs import CanvasEditInput, ImageInput, JobRequest
from studio_desktop.services.common import NotFoundError, output_ref
from studio_desktop.services.history import HistoryFilter, export_name
from studio_desktop.store.workspace import Store
from tests.gates import Gate, until
from tests.services.conftest import (
    World,
    garment_photo,
    png_bytes,
    run,
    snapshot,
    studio_scene,
)


async def edit(w: World, instruction: str, image: Image.Image | None = None) -> Job:
    source = ImageInput.from_bytes(png_bytes(image or studio_scene()), "image")
    job = await w.jobs.submit(JobRequest(CanvasEditInput(source, instruction)))
    return (await w.jobs.wait(job.id)).job


async def pack(w: World, profile_id: str | None = None) -> Job:
    job = await w.garments.build_pack(
        profile_id,
        front=png_bytes(garment_photo()),
        back=png_bytes(garment_photo(colour="#3050a0")),
        use_cutout=False,
    )
    outcome = await w.jobs.wait(job.id)
    assert outcome.succeeded, outcome.job.error
    return outcome.job


def test_feed_pages_and_filters(store: Store) -> None:
    async def scenario(w: World) -> dict[str, list[str]]:
        navy = await edit(w, "make it navy")
        blur = await edit(w, "blur it slightly")
        beach = await edit(w, "put her on a beach")  # the local engine cannot: failed
        packed = await pack(w)
        ids = {navy.id: "navy", blur.id: "blur", beach.id: "beach", packed.id: "pack"}

        async def names(filters: HistoryFilter, limit: int = 50) -> list[str]:
            found, cursor = [], None
            while True:
                page = await w.history.feed_page(filters, cursor, limit)
                found += [ids[item.job.id] for item in page.items]
                if page.next_cursor is None:
                    return found
                cursor = page.next_cursor

        return {
            "all": await names(HistoryFilter()),
            "paged": await names(HistoryFilter(), limit=1),
            "edits": await names(HistoryFilter(types=(JobType.CANVAS_EDIT,))),
            "failed": await names(HistoryFilter(statuses=(JobStatus.FAILED,))),
            "search": await names(HistoryFilter(search="  NAV ")),
            "packs ok": await names(
                HistoryFilter(types=("product_pack",), statuses=(JobStatus.SUCCEEDED,))
            ),
        }

    found = run(store, scenario)
    assert found["all"] == ["pack", "beach", "blur", "navy"]  # newest first
    assert found["paged"] == found["all"]
    assert found["edits"] == ["beach", "blur", "navy"]
    assert found["failed"] == ["beach"]
    assert found["search"] == ["navy"]
    assert found["packs ok"] == ["pack"]


def test_feed_filters_by_profile(store: Store) -> None:
    async def scenario(w: World) -> list[str]:
        ana = await w.profiles.create("Ana", background="white studio")
        mine = await pack(w, ana.id)
        await pack(w)
        page = await w.history.feed_page(HistoryFilter(profile_id=ana.id))
        assert [i.job.id for i in page.items] == [mine.id]
        return [i.job.id for i in page.items]

    run(store, scenario)


def test_job_detail_says_where_each_file_is(store: Store) -> None:
    async def scenario(w: World) -> None:
        ana = await w.profiles.create("Ana")
        job = await pack(w, ana.id)
        detail = await w.history.job(job.id)
        assert detail.profile is not None and detail.profile.name == "Ana"
        assert [v.output.angle for v in detail.outputs] == ["front", "back", "detail"]
        assert all(v.available and v.local_path and v.local_path.exists() for v in detail.outputs)
        assert detail.thread_id is None
        thread_id = await w.history.open_in_canvas(job.id)
        assert (await w.history.job(job.id)).thread_id == thread_id
        with pytest.raises(NotFoundError):
            await w.history.job("00000000-0000-4000-8000-000000000000")

    run(store, scenario)


def test_delete_many_jobs_in_one_go_queues_their_objects_for_removal(store: Store) -> None:
    async def scenario(w: World) -> None:
        first = await edit(w, "make it navy")
        second = await pack(w)
        kept = await edit(w, "brighten a bit")
        outputs = [o for j in (first, second) for o in (await w.history.job(j.id)).outputs]
        paths = sorted(o.output.storage_path or "" for o in outputs)
        before = store.outbox.all()[-1].seq
        result = await w.history.delete_jobs([first.id, second.id, first.id, "gone-id"])
        assert result.deleted == (first.id, second.id) and result.already_gone == ("gone-id",)
        assert sorted(r.path for r in result.removed_objects) == paths
        new = store.outbox.pending(after_seq=before)
        assert [(e.kind, e.row_id) for e in new if e.kind == "delete"] == [
            ("delete", first.id),
            ("delete", second.id),
        ]
        removed = sorted(p for e in new if e.kind == "remove_objects" for p in e.payload["paths"])
        assert removed == paths
        for path in paths:  # the cache let go of them; their uploads will never be tried
            assert store.blobs.info("outputs", path) is None
            assert f"outputs/{path}" not in [e.row_id for e in store.outbox.pending()]
        page = await w.history.feed_page()
        assert [i.job.id for i in page.items] == [kept.id]
        assert store.rows.count("job_outputs") == 1

    run(store, scenario)


def test_deleting_a_job_keeps_the_files_a_creation_still_shows(store: Store) -> None:
    async def scenario(w: World) -> None:
        job = await edit(w, "make it navy")
        thread_id = await w.history.open_in_canvas(job.id)
        result = await w.history.delete_jobs([job.id])
        assert result.removed_objects == ()
        view = await w.canvas.open_creation(thread_id)
        (asset,) = view.assets
        assert asset.asset.source_job_id is None  # the link is cut, the image stays
        assert store.blobs.get_path("outputs", asset.asset.current_storage_path or "")

    run(store, scenario)


def test_delete_cancels_a_running_job_first(store: Store) -> None:
    gate = Gate("edit")

    async def scenario(w: World) -> None:
        source = ImageInput.from_bytes(png_bytes(studio_scene()), "image")
        job = await w.jobs.submit(JobRequest(CanvasEditInput(source, "blur it")))
        await until(gate.reached)
        result = await w.history.delete_jobs([job.id])
        gate.release.set()
        await w.jobs.wait(job.id)
        assert result.deleted == (job.id,)
        assert store.rows.count("jobs") == 0 and store.rows.count("job_outputs") == 0

    run(store, scenario, step_hook=gate)


def test_export_names_and_never_overwrites(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()

    async def scenario(w: World) -> None:
        job = await pack(w)
        detail = await w.history.job(job.id)
        day = job.created_at.astimezone().strftime("%Y-%m-%d")
        expected = [
            f"product-pack-{day}-{a}-{n}.jpg"
            for n, a in enumerate(("front", "back", "detail"), start=1)
        ]
        (folder / expected[0]).write_bytes(b"someone else's file")
        ids = [v.output.id for v in detail.outputs]
        first = await w.history.export_outputs(ids, folder)
        assert [f.path.name for f in first.exported] == [
            f"product-pack-{day}-front-1 (2).jpg",
            expected[1],
            expected[2],
        ]
        assert (folder / expected[0]).read_bytes() == b"someone else's file"
        for exported, view in zip(first.exported, detail.outputs, strict=True):
            assert exported.path.read_bytes() == view.local_path.read_bytes()  # type: ignore[union-attr]
        again = await w.history.export_jobs([job.id], folder)
        assert [f.path.name for f in again.exported] == [
            f"product-pack-{day}-front-1 (3).jpg",
            f"product-pack-{day}-back-2 (2).jpg",
            f"product-pack-{day}-detail-3 (2).jpg",
        ]
        assert first.skipped == () and "Saved 3 images" in first.message

    run(store, scenario)


def test_export_reports_what_is_not_on_this_computer(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()

    async def scenario(w: World) -> None:
        job = await edit(w, "make it navy")
        (view,) = (await w.history.job(job.id)).outputs
        ref = output_ref(view.output)
        assert ref is not None
        store.blobs.mark_synced(ref.bucket, ref.path)  # uploaded, then evicted from the cache
        store.blobs.evict(0)
        result = await w.history.export_outputs([view.output.id, "no-such-output"], folder)
        assert result.exported == ()
        reasons = {s.output_id: s.reason for s in result.skipped}
        assert "not on this computer yet" in reasons[view.output.id]
        assert reasons["no-such-output"] == "it no longer exists"
        assert "could not be saved" in result.message
        info = store.blobs.info(ref.bucket, ref.path)
        assert info is not None and info.state == "queued_download"
        assert list(folder.iterdir()) == []

    run(store, scenario)


def test_export_into_a_missing_folder_is_refused(store: Store, tmp_path: Path) -> None:
    async def scenario(w: World) -> ExternalError:
        job = await edit(w, "make it navy")
        (view,) = (await w.history.job(job.id)).outputs
        with pytest.raises(ExternalError) as caught:
            await w.history.export_outputs([view.output.id], tmp_path / "unplugged")
        return caught.value

    assert "does not exist" in run(store, scenario).message


def test_export_name_without_an_angle() -> None:
    from datetime import UTC, datetime

    from studio_desktop.domain.models import JobOutput

    noon = datetime(2024, 5, 1, 12, tzinfo=UTC)
    job = Job(id="j", user_id="u", type="canvas_edit", created_at=noon)
    output = JobOutput(id="o", job_id="j", mime_type="image/png", storage_path="u/jobs/j/o.png")
    assert export_name(job, output, 2) == "canvas-edit-2024-05-01-2.png"


def test_keep_offline_pins_and_unpins(store: Store) -> None:
    async def scenario(w: World) -> None:
        job = await pack(w)
        evicted = await edit(w, "make it navy")
        (view,) = (await w.history.job(evicted.id)).outputs
        ref = output_ref(view.output)
        assert ref is not None
        store.blobs.mark_synced(ref.bucket, ref.path)
        store.blobs.evict(0)  # everything synced is evicted: only the pack's uploads remain
        kept = await w.history.keep_offline([job.id, evicted.id])
        assert (kept.outputs, kept.queued_downloads) == (4, 1)
        assert all(v.pinned for v in (await w.history.job(job.id)).outputs)
        info = store.blobs.info(ref.bucket, ref.path)
        assert info is not None and info.pinned
        assert [(b.bucket, b.path) for b in store.blobs.queued_downloads()] == [
            (ref.bucket, ref.path)
        ]
        released = await w.history.keep_offline([job.id], keep=False)
        assert released.outputs == 3
        assert not any(v.pinned for v in (await w.history.job(job.id)).outputs)

    run(store, scenario)


def test_open_in_canvas_makes_one_creation_per_job(store: Store) -> None:
    async def scenario(w: World) -> None:
        job = await pack(w)
        before = store.outbox.all()[-1].seq
        first, second = await asyncio.gather(
            w.history.open_in_canvas(job.id), w.history.open_in_canvas(job.id)
        )
        third = await w.history.open_in_canvas(job.id)
        assert first == second == third and store.rows.count("canvas_threads") == 1
        view = await w.canvas.open_creation(first)
        detail = await w.history.job(job.id)
        assert view.thread.source_job_id == job.id
        assert [a.asset.label for a in view.assets] == ["front", "back", "detail"]
        for asset, output in zip(view.assets, detail.outputs, strict=True):
            a = asset.asset
            assert a.source_output_id == output.output.id and a.source_job_id == job.id
            assert a.base_storage_path == a.current_storage_path == output.output.storage_path
            assert a.base_storage_bucket == a.current_storage_bucket == "outputs"
            assert [v.is_current for v in asset.versions] == [True]
        assert view.thread.base_storage_path == detail.outputs[0].output.storage_path
        assert [c.conversation.title for c in view.conversations] == ["Chat 1"]
        tables = [e.table for e in store.outbox.pending(after_seq=before)]
        assert tables == ["canvas_threads", *["canvas_assets"] * 3, "canvas_conversations"]

    run(store, scenario)


def test_open_in_canvas_refuses_a_job_without_images(store: Store) -> None:
    async def scenario(w: World) -> None:
        failed = await edit(w, "put her on a beach")
        before = snapshot(store)
        with pytest.raises(ValidationError) as caught:
            await w.history.open_in_canvas(failed.id)
        assert "made no images" in caught.value.message
        assert snapshot(store) == before

    run(store, scenario)


def test_retry_and_cancel_pass_through(store: Store) -> None:
    gate = Gate("edit")

    async def scenario(w: World) -> None:
        source = ImageInput.from_bytes(png_bytes(studio_scene()), "image")
        job = await w.jobs.submit(JobRequest(CanvasEditInput(source, "blur it")))
        await until(gate.reached)
        assert await w.history.cancel(job.id)
        gate.release.set()
        assert (await w.jobs.wait(job.id)).job.status == "canceled"
        again = await w.history.retry(job.id)
        assert again.id == job.id and again.status == "queued"
        assert (await w.jobs.wait(job.id)).succeeded
        assert store.rows.count("jobs") == 1

    run(store, scenario, step_hook=gate)


def test_a_cutout_job_opens_in_canvas_from_the_extractions_bucket(store: Store) -> None:
    async def scenario(w: World) -> None:
        job = await w.garments.extract_cutout(png_bytes(garment_photo()), "front")
        assert (await w.jobs.wait(job.id)).succeeded
        thread_id = await w.history.open_in_canvas(job.id)
        (asset,) = (await w.canvas.open_creation(thread_id)).assets
        assert asset.asset.current_storage_bucket == "extractions"
        path = asset.asset.current_storage_path or ""
        assert path.startswith(f"{store.user_id}/cutouts/")
        assert store.blobs.get_path("extractions", path) is not None
        # The cutout can be edited like any image.
        sent = await w.canvas.send_instruction(thread_id, None, asset.asset.id, "make it navy")
        reply = await w.canvas.wait_reply(sent.job.id)
        assert reply is not None and reply.output_storage_path, reply

    run(store, scenario)
