"""The sample images and "Try it with sample images": real images drawn here, put into a real
local workspace through the real services (profiles, imports, garments, the local engine)."""

from __future__ import annotations

import asyncio
import io
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pytest
from PIL import Image, ImageFilter

from studio_desktop.domain.enums import JobStatus, SourceKind
from studio_desktop.domain.errors import ExternalError
from studio_desktop.imaging.cutout import extract_garment
from studio_desktop.imaging.inpaint import remove_object
from studio_desktop.services import samples
from studio_desktop.services.samples import (
    PROFILE_NAME,
    SAMPLES_FOLDER,
    bag_scene,
    bag_silhouette,
    create_samples,
    portrait_placeholder,
    tshirt_photo,
    tshirt_silhouette,
    write_sample_files,
)
from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import open_local_store

T = TypeVar("T")


# ------------------------------------------------------------------------------ the images
def _bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_the_images_are_the_same_on_every_run() -> None:
    size = (240, 300)
    assert _bytes(tshirt_photo("front", size)) == _bytes(tshirt_photo("front", size))
    assert _bytes(tshirt_photo("front", size)) != _bytes(tshirt_photo("back", size))
    assert _bytes(portrait_placeholder((200, 250))) == _bytes(portrait_placeholder((200, 250)))
    assert _bytes(bag_scene((320, 224))) == _bytes(bag_scene((320, 224)))


def test_the_images_have_their_sizes_and_no_flat_areas() -> None:
    for image, size in (
        (tshirt_photo("back"), samples.PHOTO_SIZE),
        (portrait_placeholder(), samples.PORTRAIT_SIZE),
        (bag_scene(), samples.SCENE_SIZE),
    ):
        assert image.mode == "RGB"
        assert image.size == size
        pixels = np.asarray(image, dtype=np.float32)
        # Shading, grain and dither everywhere: no 32 x 32 block is a single flat colour.
        blocks = pixels[: size[1] // 32 * 32, : size[0] // 32 * 32].reshape(
            size[1] // 32, 32, size[0] // 32, 32, 3
        )
        assert blocks.std(axis=(1, 3)).max(axis=-1).min() > 0.2


@pytest.mark.parametrize("kind", [SourceKind.FRONT, SourceKind.BACK])
def test_the_tshirt_photo_is_a_product_photo_the_cutout_finds(kind: SourceKind) -> None:
    photo = tshirt_photo(kind)
    truth = tshirt_silhouette() > 0.5
    cutout = extract_garment(photo)
    found = np.asarray(cutout.on_canvas().getchannel("A")) > 127
    iou = (found & truth).sum() / (found | truth).sum()
    assert iou > 0.97, f"IoU {iou:.3f}"
    # The garment is the photo's colour, not the sweep's: a saturated indigo in the middle.
    r, g, b = np.asarray(photo)[photo.height // 2, photo.width // 2].astype(int)
    assert b > r + 30 and b > g + 20


def test_removing_the_bag_leaves_the_backdrop() -> None:
    scene = bag_scene()
    bag = bag_silhouette()
    hole = Image.fromarray((bag > 0.02).astype(np.uint8) * 255, "L")
    # A designer's brush goes over the edge: grow the mask by a few pixels.
    mask = hole.filter(ImageFilter.MaxFilter(9))
    before = np.asarray(scene, dtype=np.float32)
    after = np.asarray(remove_object(scene, mask), dtype=np.float32)
    inside = bag > 0.5
    # The tan leather is gone: what fills the hole is the pale, nearly grey backdrop.
    leather = before[inside].mean(axis=0)
    filled = after[inside].mean(axis=0)
    assert leather[0] - leather[2] > 60
    assert abs(filled[0] - filled[2]) < 20
    assert filled.mean() > 190
    # Away from the mask nothing changed.
    far = np.asarray(mask.filter(ImageFilter.MaxFilter(31))) == 0
    assert np.abs(after[far] - before[far]).max() <= 1


# ------------------------------------------------------------------------------ the workspace
@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample files drawn once for the module (drawing takes a couple of seconds)."""
    return write_sample_files(tmp_path_factory.mktemp("drawn")).folder


def _run(
    data_root: Path,
    scenario: Callable[[WorkspaceServices], Awaitable[T]],
    *,
    drawn: Path | None = None,
) -> T:
    """Run ``scenario`` over a fresh local workspace; with ``drawn``, its samples folder starts
    with those files (``create_samples`` draws only the missing ones)."""
    dirs = DataDirs(data_root).ensure()
    if drawn is not None:
        shutil.copytree(drawn, dirs.workspace().root / SAMPLES_FOLDER)

    async def main() -> T:
        store = open_local_store(dirs)
        services = WorkspaceServices.open(store, thumbnails_dir=dirs.workspace().thumbs)
        await services.start()
        try:
            return await scenario(services)
        finally:
            await services.aclose()

    return asyncio.run(main())


def _counts(services: WorkspaceServices) -> dict[str, int]:
    tables = ("profiles", "jobs", "job_outputs", "canvas_threads", "canvas_assets")
    return {table: services.store.rows.count(table) for table in tables}


def test_create_samples_fills_a_new_workspace(data_root: Path) -> None:
    async def scenario(services: WorkspaceServices) -> None:
        result = await create_samples(services)
        store = services.store

        # A profile with the portrait as its reference image, cached locally.
        assert result.profile.name == PROFILE_NAME
        assert result.profile.skin_tone == "medium"
        reference = services.profiles.reference_file(result.profile)
        assert reference is not None and reference.is_file()
        with Image.open(reference) as image:
            assert image.size == samples.PORTRAIT_SIZE

        # A creation of two assets: the bag scene first (it names the creation), then the shirt.
        creation = store.queries.creation(result.creation.id)
        assert creation is not None
        assert creation.thread.title == "Sample - leather bag"
        assert [a.asset.label for a in creation.assets] == [
            "Sample - leather bag",
            "Sample - T-shirt",
        ]
        for view in creation.assets:
            asset = view.asset
            assert store.blobs.get_path(asset.current_storage_bucket, asset.current_storage_path)

        # The garment photos, where the garment flow can take them.
        assert result.folder == store.dirs.root / SAMPLES_FOLDER
        assert set(result.garment_photos) == {SourceKind.FRONT, SourceKind.BACK}
        for path in result.garment_photos.values():
            with Image.open(path) as image:
                assert image.format == "JPEG"
                assert image.size == samples.PHOTO_SIZE

        # The product pack runs on the local engine and lands in the history with its images.
        assert result.pack_job is not None
        outcome = await services.jobs.wait(result.pack_job.id)
        assert outcome.job.status == JobStatus.SUCCEEDED, outcome.job.error
        assert len(outcome.outputs) >= 3  # front, back and a detail
        page = await services.history.feed_page()
        assert result.pack_job.id in [item.job.id for item in page.items]

        assert len(result.added) == 3
        assert "remove the bag" in result.message

    _run(data_root, scenario)


def test_create_samples_twice_adds_nothing_the_second_time(data_root: Path, drawn: Path) -> None:
    async def scenario(services: WorkspaceServices) -> None:
        first = await create_samples(services, pack=False)
        before = _counts(services)
        files = {p: p.read_bytes() for p in first.folder.iterdir()}
        second = await create_samples(services, pack=False)
        assert _counts(services) == before
        assert second.added == ()
        assert second.profile.id == first.profile.id
        assert second.creation.id == first.creation.id
        assert {p: p.read_bytes() for p in second.folder.iterdir()} == files
        assert "already" in second.message

    _run(data_root, scenario, drawn=drawn)


def test_what_was_deleted_is_added_again_and_nothing_else(data_root: Path, drawn: Path) -> None:
    async def scenario(services: WorkspaceServices) -> None:
        first = await create_samples(services, pack=False)
        services.store.rows.delete("canvas_threads", first.creation.id)
        second = await create_samples(services, pack=False)
        assert second.profile.id == first.profile.id
        assert second.creation.id != first.creation.id
        assert second.added == (f"the creation “{second.creation.title}”",)
        assert services.store.rows.count("canvas_threads") == 1
        assert services.store.rows.count("profiles") == 1

    _run(data_root, scenario, drawn=drawn)


def test_a_profile_of_that_name_is_used_not_duplicated(data_root: Path, drawn: Path) -> None:
    async def scenario(services: WorkspaceServices) -> None:
        mine = await services.profiles.create("sample MODEL", gender="male")
        result = await create_samples(services, pack=False)
        assert result.profile.id == mine.id
        assert result.profile.gender == "male"  # the designer's own fields are kept
        assert result.profile.reference_image_path  # but it gets the reference it lacked
        assert services.store.rows.count("profiles") == 1
        assert "a reference image for “sample MODEL”" in result.added

    _run(data_root, scenario, drawn=drawn)


def test_a_second_call_while_one_runs_is_refused(data_root: Path, drawn: Path) -> None:
    async def scenario(services: WorkspaceServices) -> None:
        first = asyncio.ensure_future(create_samples(services, pack=False))
        await asyncio.sleep(0)
        with pytest.raises(ExternalError, match="being added already"):
            await create_samples(services, pack=False)
        await first
        assert services.store.rows.count("canvas_threads") == 1

    _run(data_root, scenario, drawn=drawn)


def test_a_samples_folder_that_cannot_be_written_is_said_and_nothing_is_added(
    data_root: Path,
) -> None:
    async def scenario(services: WorkspaceServices) -> None:
        blocker = services.store.dirs.root / SAMPLES_FOLDER
        blocker.write_text("a file where the folder should be")
        with pytest.raises(ExternalError, match="could not be written"):
            await create_samples(services)
        assert set(_counts(services).values()) == {0}
        assert services.store.sync_state.get(samples.SAMPLES_KEY) is None

    _run(data_root, scenario)
