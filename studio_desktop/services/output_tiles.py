"""What a History tile shows for one job output: found and made off the GUI thread, Qt-free.

:func:`find_tile` is the blocking part of a tile's load (``ui/history/thumbnails.py`` runs it
in its worker pool and only turns the picture into a ``QImage``):

1. finds the output's object in the blob cache (``store.blobs``: a read, never a write lock);
2. not on this computer: :attr:`ThumbState.MISSING` ("Not downloaded — available when
   online") with the object's ``(bucket, path)``, so the caller can ask the sync for it once;
3. not an image (a zip, a video): :attr:`ThumbState.NO_PREVIEW`;
4. else finds the cached thumbnail and scales it to the tile, or decodes the source reduced and
   scales the tile straight from that decode (``ThumbnailCache.get_or_make_tile``; Pillow
   releases the GIL: tiles of a screen are made on every core). With ``defer_cache=True`` the
   new thumbnail's cache entry is *not* written yet: :attr:`TilePicture.pending` writes it
   (``store()``) when the caller has time, so a screen of new photos is shown first and cached
   after; by default it is written before returning.

The store and the thumbnail cache types are re-exported for the UI's annotations. Pillow and
the thumbnail cache's module (the decoders: ~25 ms of imports) are imported by the first tile's
load, on a worker thread, not with this module: the History's first page needs neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from studio_desktop.domain.enums import OutputKind
from studio_desktop.domain.errors import ExternalError
from studio_desktop.domain.models import JobOutput
from studio_desktop.services.common import output_ref
from studio_desktop.services.tile_state import ThumbState
from studio_desktop.store.workspace import Store

if TYPE_CHECKING:
    from PIL import Image

    from studio_desktop.imaging.thumbnails import PendingThumbnail, ThumbnailCache

__all__ = [
    "PendingThumbnail",
    "Store",
    "ThumbState",
    "ThumbnailCache",
    "TilePicture",
    "find_tile",
    "source_size",
]

_PREVIEW_KINDS = (OutputKind.IMAGE.value, OutputKind.CUTOUT.value, OutputKind.MASK.value)


@dataclass(frozen=True, slots=True)
class TilePicture:
    """The outcome of one tile's load; ``picture`` is set when ``state`` is READY."""

    state: ThumbState
    picture: Image.Image | None
    local_path: Path | None
    pinned: bool
    message: str = ""
    #: ``(bucket, path)`` of an object that is not on this computer.
    missing_ref: tuple[str, str] | None = None
    #: The new thumbnail's cache entry, still to write (``find_tile(..., defer_cache=True)``).
    pending: PendingThumbnail | None = None


def source_size(device_pixels: int) -> int:
    """The cached thumbnail size to scale a tile of ``device_pixels`` from."""
    from studio_desktop.imaging.thumbnails import LARGE, SMALL

    return SMALL if device_pixels <= SMALL else LARGE


def find_tile(
    store: Store,
    cache: ThumbnailCache,
    output: JobOutput,
    device_pixels: int,
    *,
    defer_cache: bool = False,
) -> TilePicture:
    """What the tile of ``output`` shows at ``device_pixels`` (blocking; see the module doc).

    With ``defer_cache`` a thumbnail made now is returned with its cache entry unwritten
    (:attr:`TilePicture.pending`): the caller must call its ``store()`` (a failure there is an
    ``OSError``) or drop it."""
    ref = output_ref(output)
    if ref is None:
        return TilePicture(ThumbState.NO_PREVIEW, None, None, False, "This output has no file.")
    info = store.blobs.info(ref.bucket, ref.path)
    pinned = bool(info and info.pinned)
    path = store.blobs.get_path(ref.bucket, ref.path)
    if path is None:
        return TilePicture(
            ThumbState.MISSING,
            None,
            None,
            pinned,
            "Not downloaded — available when online",
            missing_ref=(ref.bucket, ref.path),
        )
    if output.kind not in _PREVIEW_KINDS:
        return TilePicture(ThumbState.NO_PREVIEW, None, path, pinned, f"{output.kind} file")
    try:
        picture, pending = cache.get_or_make_tile(
            path, source_size(device_pixels), device_pixels, sha256=info.sha256 if info else None
        )
        if pending is not None and not defer_cache:
            pending.store()
            pending = None
    except ExternalError as exc:
        return TilePicture(ThumbState.FAILED, None, path, pinned, exc.message)
    except OSError:
        return TilePicture(ThumbState.FAILED, None, path, pinned, "The preview could not be read.")
    return TilePicture(ThumbState.READY, picture, path, pinned, pending=pending)
