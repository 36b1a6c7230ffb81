"""From ``domain.events.Event[T]`` (any thread) to a slot on the GUI thread.

Services emit events from wherever they run: the GUI thread, an executor thread, the sync task.
:class:`EventBridge` connects to such an event and re-emits each value through a Qt signal with a
queued connection, so the slot always runs on the thread the bridge lives in (the GUI thread), in
emission order. When the bridge is destroyed (its parent widget closes), it disconnects from every
event, so a closed screen never receives late values and services never hold dead widgets.

    bridge = EventBridge(self)                     # parented to the widget that listens
    bridge.connect_event(service.job_changed, self.on_job_changed)
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal

from studio_desktop.domain.events import Event

log = logging.getLogger(__name__)
T = TypeVar("T")


class _Relay(QObject):
    """Carries one event's values across threads; ``delivered`` is connected queued."""

    delivered = Signal(object)


class EventBridge(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._links: list[tuple[Event[Any], Callable[[Any], object], _Relay]] = []
        self._lock = threading.Lock()
        self.destroyed.connect(_disconnect_all(self._links, self._lock))

    def connect_event(self, event: Event[T], slot: Callable[[T], object]) -> None:
        """Deliver every ``event.emit(value)`` to ``slot(value)`` on this bridge's thread."""
        relay = _Relay()
        relay.moveToThread(self.thread())
        relay.setParent(self)
        relay.delivered.connect(slot, Qt.ConnectionType.QueuedConnection)

        def forward(value: T, relay: _Relay = relay) -> None:
            try:
                relay.delivered.emit(value)
            except RuntimeError:  # the relay was deleted between the check and the emit
                log.debug("event %s arrived after its bridge was destroyed", event.name)

        with self._lock:
            self._links.append((event, forward, relay))
        event.connect(forward)

    def disconnect_all(self) -> None:
        """Stop listening to every event (also done automatically on destruction)."""
        _disconnect_all(self._links, self._lock)()

    @property
    def connection_count(self) -> int:
        return len(self._links)


def _disconnect_all(
    links: list[tuple[Event[Any], Callable[[Any], object], _Relay]], lock: threading.Lock
) -> Callable[..., None]:
    """A closure that needs no ``self`` (``destroyed`` fires when the Python side may be gone)."""

    def disconnect(*_args: object) -> None:
        with lock:
            pending = list(links)
            links.clear()
        for event, forward, _relay in pending:
            with contextlib.suppress(ValueError):  # already disconnected by hand
                event.disconnect(forward)

    return disconnect
