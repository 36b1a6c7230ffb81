"""Thumbnails for the profile cards and the garment previews, made off the GUI thread.

    loader = ThumbnailLoader(services.thumbnails, executor, parent=self)
    loader.loaded.connect(lambda key, image: ...)
    image = loader.image(key)              # a QImage already made, or None
    loader.request(key, path)              # make it in the executor (once per key)

The work (decode, scale, cache on disk, then ``QImage`` from the cached PNG, and where the
person in it is: :func:`~studio_desktop.services.portraits.subject_focus`, kept in the image's
``FOCUS_KEY`` text for the card to frame it from the head, not the centre) runs in the
executor; the signal is emitted on the GUI thread when it is done. A source that is not a usable
image emits ``failed(key, message)`` (the imaging error's sentence).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from concurrent.futures import Executor
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from studio_desktop.domain.errors import StudioError
from studio_desktop.services.portraits import SMALL, Focus, ThumbnailCache, subject_focus
from studio_desktop.ui.crash import report_crash
from studio_desktop.ui.operations import event_loop

log = logging.getLogger(__name__)

MEMORY_ITEMS = 256
#: The QImage text key holding "x,top" of the person's head (see ``focus_of``).
FOCUS_KEY = "studio-focus"


def _rgb(image: QImage) -> np.ndarray:
    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    array = np.frombuffer(rgba.constBits(), np.uint8, rgba.sizeInBytes())
    rows = array.reshape(rgba.height(), rgba.bytesPerLine())[:, : rgba.width() * 4]
    pixels = rows.reshape(rgba.height(), rgba.width(), 4)
    return pixels if image.hasAlphaChannel() else pixels[..., :3].copy()


def focus_of(image: QImage) -> Focus | None:
    """The person's head in a thumbnail made here, if one was found."""
    text = image.text(FOCUS_KEY)
    try:
        x, top = (float(v) for v in text.split(","))
    except ValueError:
        return None
    return Focus(x, top)


class ThumbnailLoader(QObject):
    loaded = Signal(str, QImage)
    failed = Signal(str, str)

    def __init__(
        self,
        cache: ThumbnailCache,
        executor: Executor | None = None,
        *,
        size: int = SMALL,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.cache = cache
        self.executor = executor
        self.size = size
        self._images: OrderedDict[str, QImage] = OrderedDict()
        self._pending: dict[str, asyncio.Future[QImage]] = {}
        self._failed: dict[str, str] = {}

    def image(self, key: str) -> QImage | None:
        image = self._images.get(key)
        if image is not None:
            self._images.move_to_end(key)
        return image

    def error(self, key: str) -> str | None:
        return self._failed.get(key)

    def is_pending(self, key: str) -> bool:
        return key in self._pending

    def request(self, key: str, source: Path | bytes) -> None:
        """Make the thumbnail of ``source`` under ``key`` unless made, failed or on its way."""
        if key in self._images or key in self._pending or key in self._failed:
            return
        future = event_loop().run_in_executor(self.executor, self._make, source)
        self._pending[key] = future
        future.add_done_callback(lambda f, k=key: self._done(k, f))

    def forget(self, key: str) -> None:
        self._images.pop(key, None)
        self._failed.pop(key, None)

    def _make(self, source: Path | bytes) -> QImage:
        path = self.cache.get_or_make(source, self.size)
        image = QImage(str(path))
        if image.isNull():
            raise OSError(f"the thumbnail {path.name} could not be read")
        focus = subject_focus(_rgb(image))
        if focus is not None:
            image.setText(FOCUS_KEY, f"{focus.x:.4f},{focus.top:.4f}")
        return image

    def _done(self, key: str, future: asyncio.Future[QImage]) -> None:
        self._pending.pop(key, None)
        if future.cancelled():
            return
        error = future.exception()
        if error is not None and not isinstance(error, StudioError | OSError):
            self._failed[key] = "An internal error stopped this thumbnail."
            report_crash(error)
            return
        if error is not None:
            message = error.message if isinstance(error, StudioError) else str(error)
            log.info("thumbnail %s not made: %s", key, message)
            self._failed[key] = message
            with contextlib.suppress(RuntimeError):  # the loader was deleted meanwhile
                self.failed.emit(key, message)
            return
        image = future.result()
        self._images[key] = image
        while len(self._images) > MEMORY_ITEMS:
            self._images.popitem(last=False)
        with contextlib.suppress(RuntimeError):
            self.loaded.emit(key, image)
