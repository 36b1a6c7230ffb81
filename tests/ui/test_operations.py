"""run_op: off the GUI thread, busy indicator while running, readable errors in the message bar,
bugs in the crash dialog, the window responsive afterwards."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from studio_desktop.domain.errors import BugError, ExternalError
from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.main_window import MainWindow
from studio_desktop.ui.operations import find_host, run_op, running_operations
from studio_desktop.ui.widgets.message_bar import MessageLevel

pytestmark = pytest.mark.gui


def test_sync_work_runs_in_a_worker_and_succeeds(qtbot, main_window: MainWindow) -> None:
    gui = threading.current_thread()
    ran_on: list[threading.Thread] = []
    results: list[int] = []
    callback_on: list[threading.Thread] = []
    started = threading.Event()
    release = threading.Event()

    def work() -> int:
        ran_on.append(threading.current_thread())
        started.set()
        release.wait(5)
        return 42

    def done(value: int) -> None:
        callback_on.append(threading.current_thread())
        results.append(value)

    task = run_op(main_window.history_area, work, on_success=done, progress="Counting…")
    qtbot.waitUntil(started.is_set)
    # While it runs: the busy indicator shows the label and the GUI thread is free.
    assert main_window.busy_indicator.isVisible()
    assert main_window.busy_indicator.label.text() == "Counting…"
    assert QApplication.overrideCursor() is not None
    main_window.set_current_area(AreaKey.CANVAS)  # the window still responds
    release.set()
    qtbot.waitUntil(task.done)
    assert results == [42]
    assert task.result() == 42
    assert ran_on[0] is not gui
    assert callback_on == [gui]
    assert main_window.busy_indicator.isHidden()
    assert QApplication.overrideCursor() is None
    assert main_window.message_bar.isHidden()


def test_coroutines_run_on_the_loop(qtbot, main_window: MainWindow) -> None:
    async def fetch() -> str:
        await asyncio.sleep(0.01)
        return "done"

    results: list[str] = []
    task = run_op(main_window, fetch(), on_success=results.append)
    qtbot.waitUntil(task.done)
    assert results == ["done"]
    # A coroutine function is called for you.
    task = run_op(main_window, fetch, on_success=results.append)
    qtbot.waitUntil(task.done)
    assert results == ["done", "done"]


def test_external_error_goes_to_the_message_bar(qtbot, main_window: MainWindow) -> None:
    def work() -> None:
        try:
            raise OSError(28, "No space left on device")
        except OSError as cause:
            raise ExternalError("The disk is full; free some space and try again.") from cause

    succeeded: list[object] = []
    task = run_op(main_window.profiles_area, work, on_success=succeeded.append, progress="Saving…")
    qtbot.waitUntil(task.done)
    bar = main_window.message_bar
    assert bar.isVisible()
    assert bar.level is MessageLevel.ERROR
    assert bar.text() == "The disk is full; free some space and try again."
    assert "No space left on device" in (bar.details() or "")
    assert succeeded == []
    assert task.result() is None
    assert main_window.busy_indicator.isHidden()


def test_on_failure_takes_external_errors_instead_of_the_bar(
    qtbot, main_window: MainWindow
) -> None:
    failures: list[ExternalError] = []

    async def work() -> None:
        raise ExternalError("The server said no.")

    task = run_op(main_window, work(), on_failure=failures.append)
    qtbot.waitUntil(task.done)
    assert [f.message for f in failures] == ["The server said no."]
    assert main_window.message_bar.isHidden()


def test_unexpected_exception_opens_the_crash_dialog_and_the_app_keeps_going(
    qtbot, main_window: MainWindow, expect_crash
) -> None:
    def work() -> None:
        return {}["missing"]  # a bug

    task = run_op(main_window, work, progress="Loading…")
    qtbot.waitUntil(task.done)
    dialog = expect_crash()
    assert dialog is not None
    assert dialog.isVisible()
    assert not dialog.isModal()
    assert "KeyError: 'missing'" in dialog.summary_label.text()
    assert "KeyError" in dialog.diagnostics()
    assert "Python 3." in dialog.diagnostics()
    # The window is still usable while the dialog is open, and afterwards.
    assert main_window.busy_indicator.isHidden()
    qtbot.mouseClick(main_window.sidebar.buttons[AreaKey.PROFILES], Qt.MouseButton.LeftButton)
    assert main_window.current_area_key is AreaKey.PROFILES
    dialog.copy_diagnostics()
    assert "KeyError" in QApplication.clipboard().text()
    with qtbot.waitSignal(dialog.finished):
        qtbot.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)
    assert expect_crash() is None
    ok = run_op(main_window, lambda: "fine")
    qtbot.waitUntil(ok.done)
    assert ok.result() == "fine"


def test_bug_error_and_second_crash_share_one_dialog(
    qtbot, main_window: MainWindow, expect_crash
) -> None:
    def bug() -> None:
        raise BugError("the outbox and the store disagree")

    first = run_op(main_window, bug)
    qtbot.waitUntil(first.done)
    dialog = expect_crash()
    second = run_op(main_window, lambda: 1 / 0)
    qtbot.waitUntil(second.done)
    assert expect_crash() is dialog
    assert len(dialog.errors) == 2
    assert "2 problems" in dialog.summary_label.text()
    assert "ZeroDivisionError" in dialog.summary_label.text()


def test_a_bug_in_on_success_goes_to_the_crash_dialog(
    qtbot, main_window: MainWindow, expect_crash
) -> None:
    def broken(_value: object) -> None:
        raise ValueError("callback bug")

    task = run_op(main_window, lambda: 1, on_success=broken)
    qtbot.waitUntil(task.done)
    assert "ValueError: callback bug" in expect_crash().summary_label.text()


def test_crash_summary_and_details_are_redacted(
    qtbot, main_window: MainWindow, expect_crash
) -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlX3NlY3JldA"

    def work() -> None:
        raise RuntimeError(f"request failed with Authorization: Bearer {token}")

    task = run_op(main_window, work)
    qtbot.waitUntil(task.done)
    dialog = expect_crash()
    assert token not in dialog.summary_label.text()
    assert token not in dialog.diagnostics()
    assert "[redacted]" in dialog.diagnostics()


def test_cancelled_operations_show_nothing(qtbot, main_window: MainWindow) -> None:
    async def slow() -> None:
        await asyncio.sleep(30)

    task = run_op(main_window, slow(), progress="Waiting…")
    qtbot.waitUntil(main_window.busy_indicator.isVisible)
    task.cancel()
    qtbot.waitUntil(task.done)
    assert task.cancelled()
    assert main_window.busy_indicator.isHidden()
    assert main_window.message_bar.isHidden()


def test_an_operation_cancelled_before_it_starts_is_over_when_its_task_is(
    qtbot, qapp: QApplication, main_window: MainWindow
) -> None:
    # Cancelled before the loop ever ran it: the moment the task says it is done, nothing is
    # left showing (the indicator and cursor are not waiting for a later done callback).
    work = asyncio.sleep(30)
    task = run_op(main_window, work, progress="Waiting…")
    task.cancel()
    while not task.done():
        qapp.processEvents()
    assert task.cancelled()
    assert main_window.busy_indicator.isHidden()
    assert QApplication.overrideCursor() is None
    assert main_window.message_bar.isHidden()


def test_a_window_closed_mid_work_gives_the_busy_cursor_back(
    qtbot, qapp: QApplication, data_dirs
) -> None:
    # The busy cursor belongs to the whole application: a window destroyed while its operation
    # still runs must not leave it set for every other window (and every later test).
    window = MainWindow(data_dirs)
    with qtbot.waitSignal(window.area_changed):
        window.show()
    release = threading.Event()
    task = run_op(window, lambda: release.wait(5), progress="Importing…")
    qtbot.waitUntil(window.busy_indicator.isVisible)
    assert QApplication.overrideCursor() is not None
    window.close()
    window.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(window))
    assert QApplication.overrideCursor() is None
    release.set()
    qtbot.waitUntil(task.done)
    assert QApplication.overrideCursor() is None


def test_callbacks_are_skipped_when_the_parent_is_gone(qtbot, main_window: MainWindow) -> None:
    panel = QWidget(main_window)
    release = threading.Event()
    called: list[object] = []

    def work() -> int:
        release.wait(5)
        return 1

    task = run_op(panel, work, on_success=called.append)
    panel.deleteLater()
    qtbot.waitUntil(lambda: not any(w is panel for w in main_window.findChildren(QWidget)))
    release.set()
    qtbot.waitUntil(task.done)
    assert called == []


def test_overlapping_operations_keep_the_indicator_until_the_last(
    qtbot, main_window: MainWindow
) -> None:
    gates = [threading.Event(), threading.Event()]
    tasks = [
        run_op(main_window, lambda g=g: g.wait(5), progress=label)
        for g, label in zip(gates, ["First…", "Second…"], strict=True)
    ]
    qtbot.waitUntil(lambda: main_window.busy_indicator.running == ["First…", "Second…"])
    assert main_window.busy_indicator.label.text() == "Second…"
    gates[1].set()
    qtbot.waitUntil(tasks[1].done)
    assert main_window.busy_indicator.isVisible()
    assert main_window.busy_indicator.label.text() == "First…"
    gates[0].set()
    qtbot.waitUntil(tasks[0].done)
    assert main_window.busy_indicator.isHidden()


def test_without_a_host_errors_still_reach_the_user(qtbot) -> None:
    from PySide6.QtWidgets import QMessageBox

    lonely = QWidget()
    qtbot.addWidget(lonely)
    assert find_host(lonely) is None

    def work() -> None:
        raise ExternalError("Could not read the file.")

    task = run_op(lonely, work)
    qtbot.waitUntil(task.done)
    boxes = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]
    assert [b.text() for b in boxes] == ["Could not read the file."]
    for box in boxes:
        box.close()


def test_the_gui_thread_is_not_blocked_by_slow_work(qtbot, main_window: MainWindow) -> None:
    ticks: list[float] = []
    from PySide6.QtCore import QTimer

    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(10)
    task = run_op(main_window, lambda: time.sleep(0.3))
    qtbot.waitUntil(task.done, timeout=3000)
    timer.stop()
    assert len(ticks) >= 5  # the event loop kept turning while the work slept
    assert running_operations() == 0
