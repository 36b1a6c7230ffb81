"""EventBridge: values emitted on worker threads arrive on the GUI thread, in order, and a
destroyed bridge stops listening."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QObject, QThread
from PySide6.QtWidgets import QWidget

from studio_desktop.domain.events import Event
from studio_desktop.ui.bridge import EventBridge

pytestmark = pytest.mark.gui


def test_events_from_a_worker_thread_arrive_on_the_gui_thread(qtbot) -> None:
    event: Event[int] = Event("progress")
    owner = QWidget()
    qtbot.addWidget(owner)
    bridge = EventBridge(owner)
    received: list[tuple[int, bool]] = []
    gui_thread = QThread.currentThread()
    bridge.connect_event(
        event, lambda v: received.append((v, QThread.currentThread() is gui_thread))
    )

    emitted_on: list[str] = []

    def work() -> None:
        emitted_on.append(threading.current_thread().name)
        for i in range(100):
            event.emit(i)

    worker = threading.Thread(target=work, name="worker-test")
    worker.start()
    worker.join()
    assert emitted_on == ["worker-test"]
    assert received == []  # nothing ran on the worker: delivery is queued to the GUI thread
    qtbot.waitUntil(lambda: len(received) == 100)
    assert [v for v, _ in received] == list(range(100))
    assert all(on_gui for _, on_gui in received)


def test_emits_on_the_gui_thread_are_queued_too(qtbot) -> None:
    event: Event[str] = Event("name")
    bridge = EventBridge()
    received: list[str] = []
    bridge.connect_event(event, received.append)
    event.emit("a")
    assert received == []
    qtbot.waitUntil(lambda: received == ["a"])
    bridge.deleteLater()


def test_bound_slots_of_a_qobject_receive_values(qtbot) -> None:
    class Screen(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.values: list[object] = []

        def on_value(self, value: object) -> None:
            self.values.append(value)

    event: Event[dict[str, int]] = Event("job")
    screen = Screen()
    bridge = EventBridge(screen)
    bridge.connect_event(event, screen.on_value)
    threading.Thread(target=event.emit, args=({"done": 3},)).start()
    qtbot.waitUntil(lambda: screen.values == [{"done": 3}])


def test_destroying_the_bridge_disconnects_from_the_events(qtbot) -> None:
    event: Event[int] = Event("gone")
    owner = QWidget()
    bridge = EventBridge(owner)
    received: list[int] = []
    bridge.connect_event(event, received.append)
    bridge.connect_event(event, received.append)
    assert len(event) == 2
    with qtbot.waitSignal(bridge.destroyed):
        owner.deleteLater()
    assert len(event) == 0
    event.emit(1)  # nobody listens any more; no error either
    qtbot.wait(10)
    assert received == []


def test_disconnect_all_by_hand(qtbot) -> None:
    event: Event[int] = Event("manual")
    bridge = EventBridge()
    bridge.connect_event(event, lambda _v: None)
    assert bridge.connection_count == 1
    bridge.disconnect_all()
    assert len(event) == 0
    assert bridge.connection_count == 0
    bridge.deleteLater()
