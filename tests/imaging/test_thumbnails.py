"""Thumbnails: size, orientation, alpha, quality of the reduced decode; the disk cache's keys,
atomic writes, repair of damaged entries and behaviour under concurrent use."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio_desktop.domain.errors import BugError
from studio_desktop.imaging import thumbnails
from studio_desktop.imaging.decode import DecodedImage
from studio_desktop.imaging.errors import NotAnImageError
from studio_desktop.imaging.thumbnails import (
    LARGE,
    SMALL,
    THUMBNAIL_VERSION,
    ThumbnailCache,
    make_thumbnail,
    render_thumbnail,
)


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def photo(width: int, height: int, seed: int = 0) -> Image.Image:
    """Smooth gradients with mild noise: something like a photograph, cheap to make."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.stack([x / width * 255, y / height * 255, (x + y) / (width + height) * 255], -1)
    rgb += np.random.default_rng(seed).normal(0, 3, (height, width, 1)).astype(np.float32)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


@pytest.fixture(scope="module")
def big_jpeg() -> bytes:
    return encode(photo(2400, 1800), "JPEG", quality=90)


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# ---------------------------------------------------------------------------- rendering


def test_sizes_formats_and_never_enlarging(big_jpeg: bytes) -> None:
    small = opened(make_thumbnail(big_jpeg, SMALL))
    large = opened(make_thumbnail(big_jpeg, LARGE))
    assert (small.format, small.size, small.mode) == ("JPEG", (256, 192), "RGB")
    assert large.size == (1024, 768)
    tiny = opened(make_thumbnail(encode(Image.new("RGB", (100, 80)), "PNG"), SMALL))
    assert tiny.size == (100, 80)
    strip = opened(make_thumbnail(encode(Image.new("RGB", (20000, 200)), "PNG"), SMALL))
    assert strip.size == (256, 3)


def test_the_reduced_decode_is_used_and_matches_a_full_quality_resize(
    big_jpeg: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[int, int]] = []
    original = thumbnails.decode_reduced

    def spy(*args: object, **kwargs: object) -> DecodedImage:
        decoded = original(*args, **kwargs)  # type: ignore[arg-type]
        seen.append(decoded.image.size)
        return decoded

    monkeypatch.setattr(thumbnails, "decode_reduced", spy)
    ours = np.asarray(opened(make_thumbnail(big_jpeg, SMALL)), dtype=np.int16)
    assert seen == [(300, 225)]  # libjpeg decoded 1/8 of each side: 1/64 of the pixels
    full = opened(big_jpeg)
    reference = np.asarray(full.resize((256, 192), Image.Resampling.LANCZOS), dtype=np.int16)
    assert np.abs(ours - reference).mean() < 2.0


def test_orientation_is_applied(big_jpeg: bytes) -> None:
    exif = Image.Exif()
    exif[0x0112] = 8
    data = encode(photo(1200, 600), "JPEG", exif=exif.tobytes())
    thumb = opened(make_thumbnail(data, SMALL))
    assert thumb.size == (128, 256)
    assert not dict(thumb.getexif())  # no orientation left for a viewer to apply twice


def test_transparent_images_get_webp_with_alpha() -> None:
    image = Image.new("RGBA", (600, 300), (0, 0, 0, 0))
    image.paste((20, 120, 220, 255), (150, 50, 450, 250))
    rendered = render_thumbnail(encode(image, "PNG"), SMALL)
    assert (rendered.format, rendered.mime_type, rendered.has_alpha) == ("WEBP", "image/webp", True)
    thumb = opened(rendered.data)
    assert thumb.mode == "RGBA" and thumb.size == (256, 128)
    assert thumb.getpixel((2, 2))[3] == 0
    assert thumb.getpixel((128, 64))[3] == 255


@pytest.mark.parametrize("size", [0, 8, 5000])
def test_unreasonable_sizes_are_programming_errors(size: int) -> None:
    with pytest.raises(BugError):
        make_thumbnail(b"irrelevant", size)


# ---------------------------------------------------------------------------- the cache


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_cache_keys_by_content_size_and_version(tmp_path: Path, big_jpeg: bytes) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs")
    digest = hashlib.sha256(big_jpeg).hexdigest()
    assert cache.get(digest, SMALL) is None
    small = cache.get_or_make(big_jpeg, SMALL)
    assert small.name == f"{digest}-{SMALL}-{THUMBNAIL_VERSION}.jpg"
    assert small.parent.name == digest[:2]
    large = cache.get_or_make(big_jpeg, LARGE)
    assert small != large
    assert cache.get(digest, SMALL) == small

    # The same bytes from a file with another name reach the same entry.
    path = tmp_path / "copy-of-photo.jpeg"
    path.write_bytes(big_jpeg)
    assert cache.get_or_make(path, SMALL) == small
    assert files_in(tmp_path / "thumbs") == sorted([small, large])


def test_a_hit_does_not_render_or_even_read_the_source(
    tmp_path: Path, big_jpeg: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs")
    digest = hashlib.sha256(big_jpeg).hexdigest()
    made = cache.get_or_make(big_jpeg, SMALL, sha256=digest)
    calls: list[int] = []
    monkeypatch.setattr(thumbnails, "_render", lambda *a, **k: calls.append(1))
    # With the hash given, the source is not needed at all on a hit.
    assert cache.get_or_make(tmp_path / "not-there.jpg", SMALL, sha256=digest) == made
    assert cache.get_or_make(big_jpeg, SMALL) == made
    assert calls == []


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"",
        lambda data: data[: len(data) // 2],
        lambda data: bytes(len(data)),
        lambda data: b"<html>not a thumbnail</html>" * 10,
    ],
    ids=["emptied", "truncated", "zeroed", "overwritten"],
)
def test_a_damaged_cached_file_is_made_again(
    tmp_path: Path, big_jpeg: bytes, damage: Callable[[bytes], bytes]
) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs")
    path = cache.get_or_make(big_jpeg, SMALL)
    good = path.read_bytes()
    path.write_bytes(damage(good))
    assert cache.get(hashlib.sha256(big_jpeg).hexdigest(), SMALL) is None
    again = cache.get_or_make(big_jpeg, SMALL)
    assert again == path
    assert opened(again.read_bytes()).size == (256, 192)


def test_a_damaged_webp_entry_is_made_again(tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs")
    source = encode(Image.new("RGBA", (300, 300), (9, 9, 9, 100)), "PNG")
    path = cache.get_or_make(source, SMALL)
    assert path.suffix == ".webp"
    path.write_bytes(path.read_bytes()[:-10])
    assert cache.get_or_make(source, SMALL) == path
    assert opened(path.read_bytes()).mode == "RGBA"


def test_a_failed_write_leaves_nothing_behind(
    tmp_path: Path, big_jpeg: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs")

    def disk_full(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(thumbnails.os, "replace", disk_full)
    with pytest.raises(OSError, match="No space"):
        cache.get_or_make(big_jpeg, SMALL)
    assert files_in(tmp_path / "thumbs") == []


def test_a_refused_source_writes_nothing(tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs")
    with pytest.raises(NotAnImageError, match=r"notes\.png"):
        cache.get_or_make(b"just some text", SMALL, name="notes.png")
    assert list((tmp_path / "thumbs").iterdir()) == []


def test_stale_temporary_files_are_cleaned_up_at_start(tmp_path: Path) -> None:
    shard = tmp_path / "thumbs" / "ab"
    shard.mkdir(parents=True)
    stale = shard / ".tmp-dead.jpg"
    fresh = shard / ".tmp-busy.jpg"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"x")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    ThumbnailCache(tmp_path / "thumbs")
    assert not stale.exists()
    assert fresh.exists()  # another process may still be writing it


def test_concurrent_requests_make_each_thumbnail_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs")
    sources = [encode(photo(300 + i, 200, seed=i), "JPEG") for i in range(4)]
    renders: dict[bytes, int] = {}
    lock = threading.Lock()
    original = thumbnails._render

    def counting(source: bytes, size: int, **kwargs: object):  # type: ignore[no-untyped-def]
        with lock:
            renders[source] = renders.get(source, 0) + 1
        time.sleep(0.01)  # widen the window in which a second thread could start a render
        return original(source, size, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(thumbnails, "_render", counting)
    requests = [sources[i % 4] for i in range(32)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        paths = list(pool.map(lambda data: cache.get_or_make(data, SMALL), requests))
    assert sorted(renders.values()) == [1, 1, 1, 1]
    assert len(set(paths)) == 4
    assert files_in(tmp_path / "thumbs") == sorted(set(paths))  # no temporaries left
    for path in set(paths):
        assert opened(path.read_bytes()).format == "JPEG"


def test_two_caches_on_one_folder_share_entries(tmp_path: Path, big_jpeg: bytes) -> None:
    # Two processes (here: two instances) writing the same entry at once both succeed.
    first, second = ThumbnailCache(tmp_path / "t"), ThumbnailCache(tmp_path / "t")
    with ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.map(lambda c: c.get_or_make(big_jpeg, LARGE), [first, second])
    assert a == b
    assert opened(a.read_bytes()).size == (1024, 768)
    assert files_in(tmp_path / "t") == [a]


def test_a_bad_hash_is_a_programming_error(tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs")
    with pytest.raises(BugError):
        cache.get("../../etc/passwd", SMALL)
