"""Thumbnails: fast to make, cached on disk by content.

Two sizes, by longest side: :data:`SMALL` (256 px: the history feed and pickers) and
:data:`LARGE` (1024 px: previews and the canvas' first paint). A thumbnail is never larger than
its source (a 100 x 80 image stays 100 x 80), is upright (EXIF orientation applied) and sRGB.

Speed: a JPEG is decoded by libjpeg directly at 1/2, 1/4 or 1/8 scale (``Image.draft`` through
:func:`~studio_desktop.imaging.decode.decode_reduced`), so a 12 MP photo is never decoded at full
size for a 256 px thumbnail; the remaining reduction uses Pillow's ``reducing_gap`` (a cheap box
reduction first, then Lanczos for the last factor of two or less). Other formats have no reduced
decoding and are decoded whole.

Encoding: JPEG for opaque images, WebP (lossy, with alpha) for images with transparency, both
at :data:`~studio_desktop.imaging.encode.PREVIEW` quality.

The cache (:class:`ThumbnailCache`) lives in a folder the caller chooses (next to the blob
cache); a file's name is ``<sha256 of the source>-<size>-<THUMBNAIL_VERSION>.<ext>`` under a
two-character fan-out folder, so the same picture reached from two places is made once, and a
change in how thumbnails are rendered (bump :data:`THUMBNAIL_VERSION`) never serves stale ones.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from pathlib import Path

from PIL import Image

from studio_desktop.domain.errors import BugError
from studio_desktop.imaging.decode import DEFAULT_MAX_PIXELS, decode_reduced, read_source
from studio_desktop.imaging.encode import PREVIEW, EncodedImage, encode_image

SMALL = 256
LARGE = 1024
SIZES: tuple[int, ...] = (SMALL, LARGE)
MIN_SIZE = 16
MAX_SIZE = 4096
THUMBNAIL_VERSION = "t1"
"""Part of every cache key: bump it whenever the rendering (filter, quality, format) changes."""

_STALE_TEMP_SECONDS = 3600
_LOCK_STRIPES = 64


def render_thumbnail(
    source: bytes | Path,
    size: int,
    *,
    name: str | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> EncodedImage:
    """The thumbnail of ``source`` whose longest side is at most ``size``, encoded.

    Refusals are those of :func:`~studio_desktop.imaging.decode.decode_image` (typed
    :class:`~studio_desktop.imaging.errors.ImageError`).
    """
    return _render(source, size, name=name, max_pixels=max_pixels)[1]


def _render(
    source: bytes | Path, size: int, *, name: str | None, max_pixels: int
) -> tuple[Image.Image, EncodedImage]:
    """The thumbnail, decoded (as made) and encoded."""
    _check_size(size)
    decoded = decode_reduced(source, size, max_pixels=max_pixels, name=name, digest=False)
    image = decoded.image
    image.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=2.0)
    encoded = encode_image(image, "WEBP" if decoded.has_alpha else "JPEG", quality=PREVIEW)
    return image, encoded


def make_thumbnail(
    source: bytes | Path,
    size: int,
    *,
    name: str | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> bytes:
    """:func:`render_thumbnail`'s bytes: JPEG, or WebP when the image has transparency."""
    return render_thumbnail(source, size, name=name, max_pixels=max_pixels).data


class ThumbnailCache:
    """Thumbnails on disk, keyed by content; safe to share between threads and processes.

    Writes are atomic (a temporary file in the same folder, then ``os.replace``), so a reader
    never sees half a file; a cached file that is nevertheless damaged (truncated, zeroed,
    overwritten) is detected on lookup and made again. Threads asking for the same thumbnail at
    once wait for one of them to make it instead of all making it. A source that is refused
    writes nothing at all.
    """

    def __init__(self, folder: Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        self.folder = folder
        self.max_pixels = max_pixels
        folder.mkdir(parents=True, exist_ok=True)
        self._locks = tuple(threading.Lock() for _ in range(_LOCK_STRIPES))
        self._remove_stale_temporaries()

    def get_or_make(
        self,
        source: bytes | Path,
        size: int,
        *,
        sha256: str | None = None,
        name: str | None = None,
    ) -> Path:
        """The path of ``source``'s thumbnail at ``size``, made and stored if missing.

        Pass ``sha256`` (hex of the source bytes) when known, to skip hashing on a cache hit.
        Raises the decoder's :class:`~studio_desktop.imaging.errors.ImageError` for a source
        that is not an acceptable image.
        """
        return self._get_or_make(source, size, sha256=sha256, name=name)[0]

    def get_or_make_image(
        self,
        source: bytes | Path,
        size: int,
        *,
        sha256: str | None = None,
        name: str | None = None,
    ) -> tuple[Path, Image.Image]:
        """:meth:`get_or_make`, with the thumbnail's pixels: a thumbnail made by this call is
        returned as rendered (its file is not read back), a cached one is decoded from its file.
        For a screen of new photos this saves a decode per tile."""
        path, image = self._get_or_make(source, size, sha256=sha256, name=name)
        if image is None:
            with Image.open(path) as cached:
                cached.load()
                image = cached.convert("RGBA" if "A" in cached.getbands() else "RGB")
        return path, image

    def _get_or_make(
        self, source: bytes | Path, size: int, *, sha256: str | None, name: str | None
    ) -> tuple[Path, Image.Image | None]:
        _check_size(size)
        data: bytes | None = None
        if sha256 is None:
            data = _read(source, name)
            sha256 = hashlib.sha256(data).hexdigest()
        key = self._key(sha256, size)
        found = self._lookup(key)
        if found is not None:
            return found, None
        with self._locks[hash(key) % _LOCK_STRIPES]:
            found = self._lookup(key)
            if found is not None:
                return found, None
            if data is None:
                data = _read(source, name)
            image, thumbnail = _render(data, size, name=name, max_pixels=self.max_pixels)
            return self._store(key, thumbnail), image

    def get(self, sha256: str, size: int) -> Path | None:
        """The cached thumbnail of the source with this hash, or None (never makes one)."""
        _check_size(size)
        return self._lookup(self._key(sha256, size))

    def _key(self, sha256: str, size: int) -> str:
        digest = sha256.lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise BugError(f"not a SHA-256 hex digest: {sha256!r}")
        return f"{digest}-{size}-{THUMBNAIL_VERSION}"

    def _candidates(self, key: str) -> tuple[Path, Path]:
        shard = self.folder / key[:2]
        return (shard / f"{key}.jpg", shard / f"{key}.webp")

    def _lookup(self, key: str) -> Path | None:
        for path in self._candidates(key):
            if not path.exists():
                continue
            if _looks_complete(path):
                return path
            path.unlink(missing_ok=True)  # damaged: it will be made again
        return None

    def _store(self, key: str, thumbnail: EncodedImage) -> Path:
        jpg, webp = self._candidates(key)
        target = webp if thumbnail.format == "WEBP" else jpg
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=".tmp-", suffix=target.suffix, dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(thumbnail.data)
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return target

    def _remove_stale_temporaries(self) -> None:
        """Temporary files left by a process that died mid-write (older than an hour)."""
        cutoff = time.time() - _STALE_TEMP_SECONDS
        for temp in self.folder.glob("*/.tmp-*"):
            try:
                if temp.stat().st_mtime < cutoff:
                    temp.unlink()
            except OSError:
                continue


def _check_size(size: int) -> None:
    if not isinstance(size, int) or not MIN_SIZE <= size <= MAX_SIZE:
        raise BugError(f"thumbnail size must be {MIN_SIZE}..{MAX_SIZE} pixels, not {size!r}")


def _read(source: bytes | Path, name: str | None) -> bytes:
    return read_source(source, name)[0]


def _looks_complete(path: Path) -> bool:
    """A cheap structural check of a cached file: its format's start and end are intact."""
    try:
        length = path.stat().st_size
        if length < 16:
            return False
        with path.open("rb") as fh:
            head = fh.read(12)
            fh.seek(-2, os.SEEK_END)
            tail = fh.read(2)
    except OSError:
        return False
    if path.suffix == ".jpg":
        return head.startswith(b"\xff\xd8\xff") and tail == b"\xff\xd9"
    declared = int.from_bytes(head[4:8], "little") + 8
    return head.startswith(b"RIFF") and head[8:12] == b"WEBP" and declared == length
