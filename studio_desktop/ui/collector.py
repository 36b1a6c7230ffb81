"""When the garbage collector may pause the GUI: full passes over young objects only.

CPython's cyclic collector walks *every* tracked object on a full (generation 2) collection.
Scrolling the History over 100,000 outputs adds tens of thousands of long-lived objects (the
feed's pages, their rows, cached tiles), and each full collection over them stopped the GUI for
60-140 ms: the longest stalls of the scroll. Objects that survive a full collection are almost
always long-lived (modules, widgets, the feed's pages), so :class:`Collector`:

- freezes what the start-up made (``gc.freeze``: out of every later collection's walk);
- after each full collection, freezes its survivors too, so the next one walks only what was
  made since: its pause follows the work just done, not everything the app holds;
- since a frozen object that later becomes *cyclic* garbage is not reclaimed while frozen (an
  object freed by its reference count always is), runs a deep collection of everything
  (``unfreeze``, ``collect``, ``freeze``) when nobody is looking at the window: the
  application is deactivated, hidden or minimised, and at most once per
  :data:`DEEP_MIN_INTERVAL_S`.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QGuiApplication

log = logging.getLogger(__name__)

#: The shortest time between two deep collections (switching windows back and forth quickly
#: must not collect every time).
DEEP_MIN_INTERVAL_S = 30.0


class Collector(QObject):
    """The app's garbage-collection policy (module docstring); one per application."""

    def __init__(self, app: QGuiApplication | None = None) -> None:
        super().__init__(app)
        self.deep_collections = 0
        self.frozen_passes = 0
        self._last_deep = time.monotonic()
        self._installed = False
        if app is not None:
            app.applicationStateChanged.connect(self.application_state_changed)

    def install(self) -> None:
        """Freeze what exists now and follow every full collection from here on."""
        if self._installed:
            return
        self._installed = True
        gc.freeze()
        gc.callbacks.append(self._after_collection)

    def uninstall(self) -> None:
        """Stop freezing survivors and give every frozen object back to the collector."""
        if not self._installed:
            return
        self._installed = False
        gc.callbacks.remove(self._after_collection)
        gc.unfreeze()

    def _after_collection(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "stop" and info.get("generation") == 2:
            gc.freeze()  # what survived a full collection: long-lived, out of the next walk
            self.frozen_passes += 1

    def application_state_changed(self, state: Qt.ApplicationState) -> None:
        if state != Qt.ApplicationState.ApplicationActive:
            self.deep_collect()

    def deep_collect(self, *, force: bool = False) -> bool:
        """Collect everything, frozen objects included (nobody is looking); True if it ran."""
        now = time.monotonic()
        if not self._installed or (not force and now - self._last_deep < DEEP_MIN_INTERVAL_S):
            return False
        started = time.perf_counter()
        gc.unfreeze()
        found = gc.collect()
        gc.freeze()
        self._last_deep = now
        self.deep_collections += 1
        log.debug(
            "deep garbage collection: %d objects freed in %.0f ms, %d kept",
            found,
            (time.perf_counter() - started) * 1000,
            gc.get_freeze_count(),
        )
        return True
