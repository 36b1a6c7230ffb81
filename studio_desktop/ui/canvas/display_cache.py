"""Versions decoded for the canvas, kept while they are likely to be shown again.

:class:`DisplayCache` hands out :class:`~studio_desktop.ui.canvas.images.DisplayImage` objects
(a ``QImage`` with its zoom levels) by storage key: one decode per key at a time in the
executor (a second request for a key being decoded waits for the same one), the most recently
used kept up to a byte budget (the two newest always, so the shown version and the one compared
with it never evict each other). Callbacks run on the GUI thread, and not at all once the
widget that owns the cache is gone.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject

from studio_desktop.ui.canvas.images import (
    NOT_HERE,
    DisplayImage,
    NotHereError,
    ObjectKey,
    load_display_image,
)
from studio_desktop.ui.operations import event_loop

DISPLAY_CACHE_BYTES = 512 * 1024 * 1024


class DisplayCache:
    def __init__(
        self,
        owner: QObject,
        locate: Callable[[ObjectKey], Path | None],
        *,
        budget: int = DISPLAY_CACHE_BYTES,
    ) -> None:
        self._owner = owner
        self._locate = locate
        self.budget = budget
        self._images: OrderedDict[ObjectKey, DisplayImage] = OrderedDict()
        self._loading: dict[ObjectKey, asyncio.Future[DisplayImage]] = {}

    def get(
        self,
        key: ObjectKey,
        ready: Callable[[DisplayImage], None],
        failed: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Call ``ready(display)`` with the decoded version (at once when cached), or
        ``failed(error)`` (:class:`NotHereError` for a file not on this computer yet)."""
        cached = self._images.get(key)
        if cached is not None:
            self._images.move_to_end(key)
            ready(cached)
            return
        pending = self._loading.get(key)
        if pending is None:
            pending = event_loop().run_in_executor(None, self._load, key)
            self._loading[key] = pending

        def done(future: asyncio.Future[DisplayImage]) -> None:
            self._loading.pop(key, None)
            if future.cancelled() or not shiboken6.isValid(self._owner):
                return
            error = future.exception()
            if error is not None:
                if failed is not None:
                    failed(error)
                return
            display = future.result()
            self._remember(display)
            ready(display)

        pending.add_done_callback(done)

    def _load(self, key: ObjectKey) -> DisplayImage:
        path = self._locate(key)
        if path is None:
            raise NotHereError(NOT_HERE)
        return load_display_image(path, key)

    def _remember(self, display: DisplayImage) -> None:
        if display.key is None:
            return
        self._images[display.key] = display
        total = sum(d.image.sizeInBytes() * 4 // 3 for d in self._images.values())
        while total > self.budget and len(self._images) > 2:
            _key, dropped = self._images.popitem(last=False)
            total -= dropped.image.sizeInBytes() * 4 // 3
