"""ImportService on real files: folders (one level), per-file verdicts, PDFs, damaged and huge
images, caps, clipboard bytes, garment photos, and all-or-nothing writes (a store failure in
the middle leaves no row, entry, index entry or file)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio_desktop.domain.models import CanvasAsset
from studio_desktop.services.common import NotFoundError
from studio_desktop.services.imports import (
    MAX_CANVAS_SIDE,
    MAX_FILES_PER_DROP,
    MAX_IMAGES_PER_DROP,
    CreationResult,
    NothingToImportError,
    TooManyFilesError,
)
from studio_desktop.store.errors import StoreDiskFullError
from studio_desktop.store.workspace import Store
from tests.services.conftest import (
    PDF_BYTES,
    World,
    blob_image,
    corrupt_png,
    garment_photo,
    huge_png_header,
    jpeg_bytes,
    oriented_jpeg,
    png_bytes,
    run,
    snapshot,
    studio_scene,
    write,
)


def webp_bytes(image: Image.Image) -> bytes:
    import io

    buf = io.BytesIO()
    image.save(buf, "WEBP", lossless=True)
    return buf.getvalue()


def shoot_folder(root: Path) -> Path:
    folder = root / "Spring shoot"
    write(folder, "b-side.png", png_bytes(studio_scene((80, 60))))
    write(folder, "A-front.jpg", oriented_jpeg(studio_scene((120, 90)), 6))
    write(folder, "c-detail.webp", webp_bytes(studio_scene((50, 50))))
    write(folder, ".DS_Store", b"\x00\x00\x00\x01Bud1")
    write(folder / "selects", "x.png", png_bytes(studio_scene()))
    return folder


def test_a_dropped_folder_becomes_one_creation(store: Store, tmp_path: Path) -> None:
    folder = shoot_folder(tmp_path)

    result = run(store, lambda w: w.imports.start_creation([folder]))

    assert [f.name for f in result.files] == [
        "A-front.jpg",
        "b-side.png",
        "c-detail.webp",
        "selects",
    ]
    assert [f.accepted for f in result.files] == [True, True, True, False]
    assert "folder inside “Spring shoot”" in (result.files[3].message or "")
    assert result.thread.title == "A-front"
    assert [a.label for a in result.assets] == ["A-front", "b-side", "c-detail"]
    assert result.conversation is not None and result.conversation.title == "Chat 1"
    creation = store.queries.creation(result.thread.id)
    assert creation is not None
    assert [a.asset.id for a in creation.assets] == [a.id for a in result.assets]  # order kept
    prefix = f"{store.user_id}/canvas/{result.thread.id}/"
    for asset in result.assets:
        assert asset.base_storage_bucket == asset.current_storage_bucket == "outputs"
        assert asset.base_storage_path == asset.current_storage_path
        assert (asset.base_storage_path or "").startswith(prefix)
        info = store.blobs.info("outputs", asset.base_storage_path or "")
        assert info is not None and info.state == "queued_upload"
    assert result.thread.base_storage_path == result.assets[0].base_storage_path
    front = blob_image(store, "outputs", result.assets[0].base_storage_path or "")
    assert front.size == (90, 120)  # upright
    assert (result.assets[0].base_storage_path or "").endswith(".jpg")  # a photo stays JPEG
    assert [a.base_storage_path or "" for a in result.assets][1].endswith(".png")
    assert [a.base_storage_path or "" for a in result.assets][2].endswith(".png")  # WebP -> PNG
    entries = store.outbox.all()
    uploads = [e.seq for e in entries if e.kind == "upload"]
    rows = [e.seq for e in entries if e.kind == "upsert"]
    assert len(uploads) == 3 and max(uploads) < min(rows)  # files first, then the rows
    assert [e.table for e in entries if e.kind == "upsert"] == [
        "canvas_threads",
        *["canvas_assets"] * 3,
        "canvas_conversations",
    ]
    assert "Added 3 images. 1 not added" in result.message


def test_mixed_good_and_bad_files_give_per_file_verdicts(store: Store, tmp_path: Path) -> None:
    files = [
        write(tmp_path, "brief.pdf", PDF_BYTES),
        write(tmp_path, "good.png", png_bytes(studio_scene())),
        write(tmp_path, "broken.png", corrupt_png()),  # header fine, pixel data cut short
        write(tmp_path, "huge.png", huge_png_header()),
        tmp_path / "moved-away.jpg",
        write(tmp_path, "empty.jpg", b""),
    ]

    result = run(store, lambda w: w.imports.start_creation(files))

    verdicts = {f.name: (f.accepted, f.message or "") for f in result.files}
    assert [f.name for f in result.files] == [p.name for p in files]
    assert verdicts["good.png"] == (True, "")
    assert "is a PDF document, not an image" in verdicts["brief.pdf"][1]
    assert "is damaged" in verdicts["broken.png"][1]
    assert "20,000 x 20,000" in verdicts["huge.png"][1]
    assert "does not exist" in verdicts["moved-away.jpg"][1]
    assert "is empty" in verdicts["empty.jpg"][1]
    assert len(result.assets) == 1 and result.thread.title == "good"
    assert store.rows.count("canvas_assets") == 1


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("brief.pdf", PDF_BYTES, "is a PDF document, not an image"),
        ("broken.png", corrupt_png(), "is damaged"),
        ("huge.png", huge_png_header(), "20,000 x 20,000"),
    ],
)
def test_a_drop_with_nothing_usable_is_refused_and_writes_nothing(
    store: Store, tmp_path: Path, name: str, data: bytes, words: str
) -> None:
    path = write(tmp_path, name, data)
    before = snapshot(store)

    async def scenario(w: World) -> tuple[NothingToImportError, float]:
        started = time.perf_counter()
        with pytest.raises(NothingToImportError) as caught:
            await w.imports.start_creation([path])
        return caught.value, time.perf_counter() - started

    error, seconds = run(store, scenario)
    assert words in error.message and name in error.message
    assert [f.accepted for f in error.files] == [False]
    assert snapshot(store) == before
    assert seconds < 2  # the 400-megapixel header is refused without decoding it
    assert not list(store.dirs.root.glob(".import-*"))  # no temporary files left


def test_a_drop_of_200_images_is_refused_as_a_whole(store: Store, tmp_path: Path) -> None:
    small = png_bytes(studio_scene((8, 8)))
    paths = [write(tmp_path / "many", f"{n:03}.png", small) for n in range(200)]
    before = snapshot(store)

    async def scenario(w: World) -> TooManyFilesError:
        with pytest.raises(TooManyFilesError) as caught:
            await w.imports.start_creation(paths)
        return caught.value

    error = run(store, scenario)
    assert error.count == 200 and error.limit == MAX_IMAGES_PER_DROP
    assert "You dropped 200 images" in error.message and "none were added" in error.message
    assert snapshot(store) == before


def test_the_image_cap_counts_images_not_files(store: Store, tmp_path: Path) -> None:
    small = png_bytes(studio_scene((8, 8)))
    paths = [write(tmp_path, f"{n:03}.png", small) for n in range(MAX_IMAGES_PER_DROP)]
    paths += [write(tmp_path, f"{n:03}.xmp", b"<x:xmpmeta/>") for n in range(20)]

    result = run(store, lambda w: w.imports.start_creation(paths))
    assert len(result.assets) == MAX_IMAGES_PER_DROP and len(result.refused) == 20


def test_a_drop_of_too_many_files_is_refused_before_reading_them(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    for n in range(MAX_FILES_PER_DROP + 1):
        (folder / f"{n:04}.txt").write_bytes(b"")

    async def scenario(w: World) -> TooManyFilesError:
        with pytest.raises(TooManyFilesError) as caught:
            await w.imports.check([folder])
        return caught.value

    error = run(store, scenario)
    assert f"more than {MAX_FILES_PER_DROP} files" in error.message


def test_an_empty_folder_is_said(store: Store, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()

    async def scenario(w: World) -> NothingToImportError:
        with pytest.raises(NothingToImportError) as caught:
            await w.imports.start_creation([tmp_path / "empty"])
        return caught.value

    assert "has no files in it" in run(store, scenario).message


def test_check_reads_headers_only_and_writes_nothing(store: Store, tmp_path: Path) -> None:
    folder = shoot_folder(tmp_path)
    before = snapshot(store)
    checks = run(store, lambda w: w.imports.check([folder, folder / "b-side.png"]))
    assert [c.name for c in checks] == ["A-front.jpg", "b-side.png", "c-detail.webp", "selects"]
    assert checks[0].info is not None and checks[0].info.size == (90, 120)
    assert snapshot(store) == before


def test_a_store_failure_leaves_nothing_half_written(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = shoot_folder(tmp_path)
    before = snapshot(store)
    real_put_file = store.blobs.put_file
    calls: list[str] = []

    def failing_put_file(bucket: str, path: str, *args: object, **kwargs: object) -> object:
        calls.append(path)
        if len(calls) == 3:  # two images are in the cache and the outbox by now
            raise StoreDiskFullError("There is no space left to save a cached file.")
        return real_put_file(bucket, path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store.blobs, "put_file", failing_put_file)

    async def scenario(w: World) -> StoreDiskFullError:
        with pytest.raises(StoreDiskFullError) as caught:
            await w.imports.start_creation([folder])
        return caught.value

    error = run(store, scenario)
    assert len(calls) == 3 and "no space left" in error.message
    assert snapshot(store) == before  # no row, outbox entry, index entry, or file
    assert not list(store.dirs.root.glob(".import-*"))


def test_a_failure_saving_the_rows_also_rolls_back_the_files(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "one.png", png_bytes(studio_scene()))
    before = snapshot(store)

    def failing_save_many(*args: object, **kwargs: object) -> object:
        raise StoreDiskFullError("There is no space left to save your changes.")

    monkeypatch.setattr(store.rows, "save_many", failing_save_many)

    async def scenario(w: World) -> None:
        with pytest.raises(StoreDiskFullError):
            await w.imports.start_creation([path])

    run(store, scenario)
    assert snapshot(store) == before


def test_add_assets_appends_to_an_open_creation(store: Store, tmp_path: Path) -> None:
    first = write(tmp_path, "first.png", png_bytes(studio_scene()))
    more = [
        write(tmp_path, "second.jpg", jpeg_bytes(studio_scene())),
        write(tmp_path, "notes.pdf", PDF_BYTES),
        write(tmp_path, "third.png", png_bytes(studio_scene((30, 20)))),
    ]

    async def scenario(w: World) -> tuple[CreationResult, CreationResult]:
        made = await w.imports.start_creation([first])
        added = await w.imports.add_assets(made.thread.id, more)
        return made, added

    made, added = run(store, scenario)
    assert added.conversation is None and [a.label for a in added.assets] == ["second", "third"]
    assert [f.accepted for f in added.files] == [True, False, True]
    creation = store.queries.creation(made.thread.id)
    assert creation is not None
    assert [a.asset.label for a in creation.assets] == ["first", "second", "third"]
    assert len(creation.conversations) == 1


def test_add_to_a_gone_creation_is_refused_before_reading(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "x.png", png_bytes(studio_scene()))

    async def scenario(w: World) -> None:
        with pytest.raises(NotFoundError):
            await w.imports.add_assets("00000000-0000-4000-8000-000000000000", [path])

    before = snapshot(store)
    run(store, scenario)
    assert snapshot(store) == before


def test_pasted_bytes_become_an_asset(store: Store, tmp_path: Path) -> None:
    first = write(tmp_path, "first.png", png_bytes(studio_scene()))

    async def scenario(w: World) -> tuple[CreationResult, CreationResult, NothingToImportError]:
        made = await w.imports.start_creation([first])
        pasted = await w.imports.add_image_bytes(made.thread.id, png_bytes(studio_scene()))
        with pytest.raises(NothingToImportError) as caught:
            await w.imports.add_image_bytes(made.thread.id, b"hello, clipboard text", "clip")
        return made, pasted, caught.value

    made, pasted, error = run(store, scenario)
    (asset,) = pasted.assets
    assert asset.label == "Pasted image" and asset.thread_id == made.thread.id
    assert pasted.files[0].path is None and pasted.files[0].accepted
    assert "“clip”" in error.message or '"clip"' in error.message
    assert store.rows.count("canvas_assets") == 2


def test_pasting_outside_the_canvas_starts_a_creation(store: Store) -> None:
    result = run(store, lambda w: w.imports.start_creation_from_bytes(png_bytes(studio_scene())))
    assert result.thread.title == "Pasted image" and len(result.assets) == 1


def test_an_oversized_image_is_scaled_down_and_says_so(store: Store, tmp_path: Path) -> None:
    wide = Image.fromarray(np.full((40, MAX_CANVAS_SIDE + 808, 3), 128, np.uint8))
    path = write(tmp_path, "panorama.png", png_bytes(wide))

    result = run(store, lambda w: w.imports.start_creation([path]))

    (file,) = result.files
    assert file.scaled_from == (MAX_CANVAS_SIDE + 808, 40)
    stored = blob_image(store, "outputs", result.assets[0].base_storage_path or "")
    assert stored.width == MAX_CANVAS_SIDE


def test_a_garment_photo_drop_starts_a_cutout_job(store: Store, tmp_path: Path) -> None:
    photo = write(tmp_path, "tee-back.jpg", jpeg_bytes(garment_photo()))
    pdf = write(tmp_path, "tee.pdf", PDF_BYTES)

    async def scenario(w: World) -> None:
        job = await w.imports.garment_photo_dropped(photo, "back")
        assert job.type == "extract_garment" and job.input_json["kind"] == "back"
        outcome = await w.jobs.wait(job.id)
        assert outcome.succeeded, outcome.job.error
        before = snapshot(store)
        with pytest.raises(Exception) as caught:
            await w.imports.garment_photo_dropped(pdf)
        assert "is a PDF document" in caught.value.message  # type: ignore[attr-defined]
        assert snapshot(store) == before

    run(store, scenario)


def test_imports_work_in_the_local_workspace(local_store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "x.png", png_bytes(studio_scene()))
    result = run(local_store, lambda w: w.imports.start_creation([path]))
    assert local_store.rows.get(CanvasAsset, result.assets[0].id) is not None
    assert local_store.outbox.all() == []
