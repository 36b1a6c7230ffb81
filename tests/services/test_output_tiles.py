"""What a History tile shows for one output (``services.output_tiles.find_tile``), over a real
store and blob cache: a new photo's tile with its cache entry written at once (the default) or
handed back unwritten (``defer_cache=True``, the History's loader), a cached one read back, and
the states without a picture (not on this computer, not an image, damaged)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from PIL import Image

from studio_desktop.domain.models import Job, JobOutput, new_id
from studio_desktop.domain.paths import job_output_ref
from studio_desktop.imaging.thumbnails import SMALL, ThumbnailCache, make_thumbnail
from studio_desktop.services.common import output_ref
from studio_desktop.services.output_tiles import ThumbState, find_tile
from studio_desktop.store.workspace import Store
from tests.services.conftest import jpeg_bytes, oriented_jpeg

PX = 176


def _photo() -> Image.Image:
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:1200, 0:1600].astype(np.float32)
    rgb = np.stack([x / 1600 * 255, y / 1200 * 255, np.full_like(x, 90.0)], -1)
    rgb += rng.normal(0, 4, (1200, 1600, 1)).astype(np.float32)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def _output(
    store: Store, data: bytes | None, *, kind: str = "image", mime: str = "image/jpeg"
) -> JobOutput:
    job = Job(id=new_id(), user_id=store.user_id, type="product_pack", status="succeeded")
    output_id = new_id()
    path = job_output_ref(store.user_id, job.id, output_id, mime).path
    output = JobOutput(id=output_id, job_id=job.id, kind=kind, mime_type=mime, storage_path=path)
    ref = output_ref(output)  # (a zip's bucket is not an image's)
    if data is not None and ref is not None:
        store.blobs.put(ref.bucket, ref.path, data, mime, upload=False)
    store.rows.save_many([job, output])
    return output


def _entry(cache: ThumbnailCache, data: bytes) -> Path | None:
    return cache.get(hashlib.sha256(data).hexdigest(), SMALL)


def test_a_new_photo_is_cached_before_returning_by_default(
    local_store: Store, tmp_path: Path
) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs")
    data = jpeg_bytes(_photo())
    tile = find_tile(local_store, cache, _output(local_store, data), PX)
    assert tile.state is ThumbState.READY and tile.pending is None
    assert tile.picture is not None and tile.picture.size == (176, 132)
    entry = _entry(cache, data)
    assert entry is not None and entry.read_bytes() == make_thumbnail(data, SMALL)


def test_deferred_the_entry_waits_for_the_caller_then_the_tile_reads_it(
    local_store: Store, tmp_path: Path
) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs")
    data = jpeg_bytes(_photo())
    output = _output(local_store, data)
    tile = find_tile(local_store, cache, output, PX, defer_cache=True)
    assert tile.state is ThumbState.READY and tile.pending is not None
    assert _entry(cache, data) is None
    assert tile.pending.store() == _entry(cache, data)
    again = find_tile(local_store, cache, output, PX, defer_cache=True)
    assert again.pending is None and again.picture is not None  # read from the entry
    assert again.picture.size == tile.picture.size  # type: ignore[union-attr]


def test_an_exif_rotated_photo_is_upright(local_store: Store, tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs")
    data = oriented_jpeg(_photo(), 6)  # stored landscape, shown portrait
    tile = find_tile(local_store, cache, _output(local_store, data), PX, defer_cache=True)
    assert tile.picture is not None and tile.picture.size == (132, 176)


def test_the_states_without_a_picture(local_store: Store, tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs")
    missing = find_tile(local_store, cache, _output(local_store, None), PX, defer_cache=True)
    assert missing.state is ThumbState.MISSING and missing.missing_ref is not None
    archive = _output(local_store, b"PK\x03\x04 a zip", kind="zip", mime="application/zip")
    zipped = find_tile(local_store, cache, archive, PX, defer_cache=True)
    assert zipped.state is ThumbState.NO_PREVIEW and zipped.pending is None
    data = jpeg_bytes(_photo())
    damaged = _output(local_store, data[: len(data) // 2])
    broken = find_tile(local_store, cache, damaged, PX, defer_cache=True)
    assert broken.state is ThumbState.FAILED and broken.pending is None
    assert broken.message.startswith("This file is damaged"), broken.message
    assert not list((tmp_path / "thumbs").rglob("*.jpg"))
