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

A History tile (:meth:`ThumbnailCache.get_or_make_tile`) is scaled straight from the reduced
decode to the tile's size with one Lanczos (closer to a full-quality resize than the cached
thumbnail scaled again, and cheaper: 2.2 ms instead of 3.5 for a 12 MP photo's 176 px tile); the
cache entry is made from the same decode *later* (:class:`PendingThumbnail`), so a screen of new
photos is on screen before its cache entries are written. The entries are the same as ever.

The cache (:class:`ThumbnailCache`) lives in a folder the caller chooses (next to the blob
cache); a file's name is ``<sha256 of the source>-<size>-<THUMBNAIL_VERSION>.<ext>`` under a
two-character fan-out folder, so the same picture reached from two places is made once, and a
change in how thumbnails are rendered (bump :data:`THUMBNAIL_VERSION`) never serves stale ones.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
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
    return _render_decoded(decoded.image, size, has_alpha=decoded.has_alpha)


def _render_decoded(
    image: Image.Image, size: int, *, has_alpha: bool
) -> tuple[Image.Image, EncodedImage]:
    """The thumbnail of an image decoded for ``size`` (left as it is), and its encoding."""
    image = scaled_to(image, size)
    encoded = encode_image(image, "WEBP" if has_alpha else "JPEG", quality=PREVIEW)
    return image, encoded


def fitted_size(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """``size`` scaled to fit ``longest`` x ``longest``, aspect kept, never enlarged: the size
    ``Image.thumbnail`` gives (the same rounding), computed without touching any pixel."""
    width, height = size
    if width <= longest and height <= longest:
        return size
    aspect = width / height
    x, y = longest, longest
    if x / y >= aspect:
        x = _round_aspect(y * aspect, lambda n: abs(aspect - n / y))
    else:
        y = _round_aspect(x / aspect, lambda n: 0 if n == 0 else abs(aspect - x / n))
    return x, y


def _round_aspect(number: float, key: Callable[[int], float]) -> int:
    return max(min(math.floor(number), math.ceil(number), key=key), 1)


def scaled_to(image: Image.Image, longest: int, *, reducing_gap: float = 2.0) -> Image.Image:
    """``image`` fitted to ``longest`` with Lanczos (a new image), or ``image`` itself when it
    already fits. ``reducing_gap`` as in Pillow's ``thumbnail``: a box reduction by an integer
    factor first only when the whole factor is at least twice the gap (a 150 MP back's 1/8
    decode to a tile), so up to 4x (a 12 MP photo's 1/8 decode to a tile) it is one Lanczos."""
    size = fitted_size(image.size, longest)
    if size == image.size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=reducing_gap)


class PendingThumbnail:
    """A thumbnail whose source is decoded (its tile already made from the decode) and whose
    cache entry is not written yet: :meth:`store` renders, encodes and writes it from the held
    decode, once (later calls return the same path). Holding one keeps the decoded picture in
    memory (:attr:`nbytes`); dropping it unwritten just means the entry is made again on the
    next request. While it is held, a request for the same thumbnail uses its decode instead of
    decoding the source again."""

    def __init__(
        self, cache: ThumbnailCache, key: str, size: int, decoded: Image.Image, has_alpha: bool
    ) -> None:
        self.cache = cache
        self.key = key
        self.size = size
        self.decoded: Image.Image | None = decoded
        self.has_alpha = has_alpha
        self.path: Path | None = None
        #: The decoded picture's memory (Pillow keeps 4 bytes per RGB or RGBA pixel).
        self.nbytes = decoded.width * decoded.height * 4
        self._lock = threading.Lock()

    def store(self) -> Path:
        """Write the cache entry (blocking: ~4 ms for a 256 px entry); its path."""
        with self._lock:
            if self.path is not None:
                return self.path
            found = self.cache._lookup(self.key)  # another process (or a get_or_make) made it
            if found is None:
                assert self.decoded is not None
                _image, encoded = _render_decoded(self.decoded, self.size, has_alpha=self.has_alpha)
                found = self.cache._store(self.key, encoded)
            self.path = found
            self.decoded = None  # written: the decode is no longer needed
        self.cache._release(self)
        return found

    def tile(self, tile_pixels: int) -> Image.Image:
        """A tile of ``tile_pixels`` made from the held decode (or, once written, the entry)."""
        with self._lock:
            decoded = self.decoded
            path = self.path
        if decoded is not None:
            return scaled_to(decoded, min(tile_pixels, self.size))
        assert path is not None
        return scaled_to(_open_cached(path), tile_pixels)


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
        #: Thumbnails decoded but not written yet, by key (gone once their holder drops them).
        self._held: weakref.WeakValueDictionary[str, PendingThumbnail] = (
            weakref.WeakValueDictionary()
        )
        self._held_lock = threading.Lock()
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
            image = _open_cached(path)
        return path, image

    def get_or_make_tile(
        self,
        source: bytes | Path,
        size: int,
        tile_pixels: int,
        *,
        sha256: str | None = None,
        name: str | None = None,
    ) -> tuple[Image.Image, PendingThumbnail | None]:
        """A tile of at most ``tile_pixels`` (longest side, and at most ``size``) and, when the
        thumbnail at ``size`` was not cached, the :class:`PendingThumbnail` that writes it.

        A cached thumbnail is read and scaled to the tile. Otherwise the source is decoded
        reduced (as for the cache entry) and the tile scaled from that decode with one Lanczos;
        the caller shows the tile, then calls ``store()`` on the pending thumbnail when it has
        time (or drops it: nothing is written then). Refusals as :meth:`get_or_make`.
        """
        key, data = self._keyed(source, size, sha256, name)
        found = self._lookup(key)
        if found is not None:
            return scaled_to(_open_cached(found), tile_pixels), None
        with self._locks[hash(key) % _LOCK_STRIPES]:
            found = self._lookup(key)
            if found is not None:
                return scaled_to(_open_cached(found), tile_pixels), None
            with self._held_lock:
                held = self._held.get(key)
            if held is not None:  # decoded by an earlier request, not written yet: its writer's
                return held.tile(tile_pixels), None
            if data is None:
                data = _read(source, name)
            decoded = decode_reduced(
                data, size, max_pixels=self.max_pixels, name=name, digest=False
            )
            pending = PendingThumbnail(self, key, size, decoded.image, decoded.has_alpha)
            with self._held_lock:
                self._held[key] = pending
        return pending.tile(tile_pixels), pending

    def _keyed(
        self, source: bytes | Path, size: int, sha256: str | None, name: str | None
    ) -> tuple[str, bytes | None]:
        """The cache key of ``source`` at ``size``, and the source's bytes when they had to be
        read for its digest (``None`` when ``sha256`` was given: read only on a miss)."""
        _check_size(size)
        if sha256 is not None:
            return self._key(sha256, size), None
        data = _read(source, name)
        return self._key(hashlib.sha256(data).hexdigest(), size), data

    def _release(self, pending: PendingThumbnail) -> None:
        with self._held_lock:
            if self._held.get(pending.key) is pending:
                del self._held[pending.key]

    def _get_or_make(
        self, source: bytes | Path, size: int, *, sha256: str | None, name: str | None
    ) -> tuple[Path, Image.Image | None]:
        key, data = self._keyed(source, size, sha256, name)
        found = self._lookup(key)
        if found is not None:
            return found, None
        with self._locks[hash(key) % _LOCK_STRIPES]:
            found = self._lookup(key)
            if found is not None:
                return found, None
            with self._held_lock:
                held = self._held.get(key)
            if held is not None:  # decoded for a tile, not written yet: write it now
                return held.store(), None
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


def _open_cached(path: Path) -> Image.Image:
    """A cached thumbnail's pixels, RGB or RGBA."""
    with Image.open(path) as cached:
        cached.load()
        return cached.convert("RGBA" if "A" in cached.getbands() else "RGB")


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
