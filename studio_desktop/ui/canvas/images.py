"""Images for the canvas view, decoded off the GUI thread, and thumbnails loaded on demand.

- :func:`load_display_image` (blocking, run in an executor): the safe decoder of ``imaging``
  (pixel limit from the header, typed refusals), then a ``QImage`` in the raster engine's own
  format (``RGB32`` / ``ARGB32_Premultiplied``: drawn without conversion) and a pyramid of
  halved copies, so a 4096 px image shown at 20 % is drawn from its 1024 px level, never
  resampled whole on each paint. ``QImage`` is safe to build outside the GUI thread.
- :class:`ThumbnailLoader`: thumbnails (asset strip, versions, chat) by storage object, made
  through the workspace's :class:`~studio_desktop.imaging.thumbnails.ThumbnailCache` in the
  executor when a view first paints them (only visible ones are asked for), kept in memory
  (bounded), announced by ``ready(key)``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shiboken6
from PIL import Image
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage, QPixmap

from studio_desktop.domain.errors import ExternalError
from studio_desktop.services.canvas_tools import decode_image
from studio_desktop.ui.operations import event_loop

log = logging.getLogger(__name__)

ObjectKey = tuple[str, str]
"""(bucket, path) of a stored object."""

NOT_HERE = "This image is not on this computer yet. It appears here once it has been downloaded."
MIN_LEVEL_SIDE = 256
_THUMB_MEMORY = 400


class NotHereError(ExternalError):
    """The image is not on this computer yet (it is downloaded by the sync)."""


@dataclass(frozen=True, slots=True)
class DisplayImage:
    """A decoded image ready to draw, with its pyramid (scale 1, 1/2, 1/4, ...)."""

    key: ObjectKey | None
    image: QImage
    levels: tuple[tuple[float, QImage], ...] = field(default=())

    @property
    def width(self) -> int:
        return self.image.width()

    @property
    def height(self) -> int:
        return self.image.height()

    def level_for(self, zoom: float) -> tuple[float, QImage]:
        """The smallest level still at least as detailed as ``zoom`` needs."""
        chosen = (1.0, self.image)
        for scale, image in self.levels:
            if scale >= zoom:
                chosen = (scale, image)
            else:
                break
        return chosen


def qimage_from_pil(image: Image.Image) -> QImage:
    """A detached ``QImage`` (RGB32, or ARGB32 premultiplied with alpha) of an RGB/RGBA image."""
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    width, height = image.size
    data = image.tobytes()
    if image.mode == "RGBA":
        wrapped = QImage(data, width, height, width * 4, QImage.Format.Format_RGBA8888)
        return wrapped.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    wrapped = QImage(data, width, height, width * 3, QImage.Format.Format_RGB888)
    return wrapped.convertToFormat(QImage.Format.Format_RGB32)


def build_levels(image: QImage) -> tuple[tuple[float, QImage], ...]:
    """Halved copies down to :data:`MIN_LEVEL_SIDE` on the long side (smooth, each from the
    previous one)."""
    levels: list[tuple[float, QImage]] = [(1.0, image)]
    current, scale = image, 1.0
    while max(current.width(), current.height()) > 2 * MIN_LEVEL_SIDE:
        current = current.scaled(
            max(1, current.width() // 2),
            max(1, current.height() // 2),
            Qt.AspectRatioMode.IgnoreAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        scale /= 2.0
        levels.append((scale, current))
    return tuple(levels)


def load_display_image(source: Path | bytes, key: ObjectKey | None = None) -> DisplayImage:
    """Decode ``source`` for display (blocking). Raises the decoder's ``ImageError``."""
    decoded = decode_image(source)
    image = qimage_from_pil(decoded.image)
    return DisplayImage(key, image, build_levels(image))


class ThumbnailLoader(QObject):
    """Thumbnails of stored objects, made in the executor on first request.

    ``locate(key)`` (blocking, in the executor) returns the local file of an object or None
    when it is not on this computer (yet); ``make(path, size)`` returns the thumbnail's file.
    ``missing(key)`` (GUI thread) hears about objects that are not here, once each, so their
    download can be asked for; :meth:`forget` tries one again when it has arrived.
    """

    ready = Signal(object)  # ObjectKey

    def __init__(
        self,
        locate: Callable[[ObjectKey], Path | None],
        make: Callable[[Path, int], Path],
        parent: QObject | None = None,
        *,
        missing: Callable[[ObjectKey], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._locate = locate
        self._make = make
        self._missing = missing
        self._pixmaps: OrderedDict[tuple[ObjectKey, int], QPixmap] = OrderedDict()
        self._pending: set[tuple[ObjectKey, int]] = set()
        self._failed: set[tuple[ObjectKey, int]] = set()
        self._tasks: set[asyncio.Future[QImage | bool | None]] = set()
        self._held: list[tuple[ObjectKey, int]] | None = None

    def hold(self) -> None:
        """Queue requests instead of starting them (while something more urgent, the canvas'
        first image, has the executor); :meth:`release` starts them."""
        if self._held is None:
            self._held = []

    def release(self) -> None:
        held, self._held = self._held, None
        for key, size in held or ():
            self._start(key, size)

    def pixmap(self, key: ObjectKey | None, size: int) -> QPixmap | None:
        """The thumbnail if loaded; otherwise None and it is loaded (``ready`` says when)."""
        if key is None:
            return None
        entry = (key, size)
        found = self._pixmaps.get(entry)
        if found is not None:
            self._pixmaps.move_to_end(entry)
            return found
        if entry not in self._pending and entry not in self._failed:
            self._pending.add(entry)
            if self._held is not None:
                self._held.append(entry)
            else:
                self._start(key, size)
        return None

    def _start(self, key: ObjectKey, size: int) -> None:
        future = event_loop().run_in_executor(None, self._load, key, size)
        self._tasks.add(future)
        future.add_done_callback(lambda f, e=(key, size): self._done(e, f))

    def failed(self, key: ObjectKey | None, size: int) -> bool:
        return key is not None and (key, size) in self._failed

    def forget(self, key: ObjectKey) -> None:
        """``key`` is on this computer now: views asking again get it (``ready`` tells them)."""
        known = {entry for entry in self._failed if entry[0] == key}
        if known:
            self._failed -= known
            self.ready.emit(key)

    def _load(self, key: ObjectKey, size: int) -> QImage | bool | None:
        path = self._locate(key)
        if path is None:
            return False  # not on this computer
        try:
            thumb = self._make(path, size)
        except ExternalError as exc:
            log.info("no thumbnail for %s: %s", key[1], exc.message)
            return None
        image = QImage(str(thumb))
        return None if image.isNull() else image

    def _done(
        self, entry: tuple[ObjectKey, int], future: asyncio.Future[QImage | bool | None]
    ) -> None:
        self._tasks.discard(future)
        if future.cancelled() or not shiboken6.isValid(self):
            return
        self._pending.discard(entry)
        error = future.exception()
        image = None if error is not None else future.result()
        if error is not None:
            log.warning("thumbnail of %s failed: %r", entry[0][1], error)
        if image is False and self._missing is not None:
            self._missing(entry[0])
        if not isinstance(image, QImage):
            self._failed.add(entry)
            return
        self._pixmaps[entry] = QPixmap.fromImage(image)
        while len(self._pixmaps) > _THUMB_MEMORY:
            self._pixmaps.popitem(last=False)
        self.ready.emit(entry[0])


def rgb_array(image: QImage) -> np.ndarray:
    """The pixels of a shown image as an ``H x W x 3`` ``uint8`` RGB array (a copy; safe to
    call off the GUI thread on an image nobody paints into)."""
    converted = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = converted.width(), converted.height()
    stride = converted.bytesPerLine()
    buffer = np.frombuffer(converted.constBits(), np.uint8, count=stride * height)
    return buffer.reshape(height, stride)[:, : width * 3].reshape(height, width, 3).copy()
