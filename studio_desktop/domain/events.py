"""A tiny evented type: how the layers below ``ui/`` talk upward without knowing about Qt.

A service owns ``Event`` attributes; the UI connects callbacks and re-emits them as Qt signals on
the GUI thread (``ui/bridge.py``). Callbacks run synchronously on the emitting thread, in the
order they were connected; one failing callback is logged and does not stop the others.

    class JobService:
        def __init__(self) -> None:
            self.job_changed: Event[Job] = Event("job_changed")

    service.job_changed.connect(on_job_changed)
    service.job_changed.emit(job)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class Event(Generic[T]):
    def __init__(self, name: str = "event") -> None:
        self.name = name
        self._callbacks: list[Callable[[T], object]] = []
        self._lock = threading.Lock()

    def connect(self, callback: Callable[[T], object]) -> Callable[[T], object]:
        """Connect a callback; returns it, so this also works as a decorator."""
        with self._lock:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable[[T], object]) -> None:
        with self._lock:
            self._callbacks.remove(callback)

    def emit(self, value: T) -> None:
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback(value)
            except Exception:
                log.exception("callback %r for event %s failed", callback, self.name)

    def __len__(self) -> int:
        return len(self._callbacks)
