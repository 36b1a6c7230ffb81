"""The crash hooks: sys.excepthook and worker-thread exceptions reach the crash dialog on the GUI
thread, the app keeps running, and a second error joins the open dialog."""

from __future__ import annotations

import sys
import threading

import pytest
from PySide6.QtCore import QThread

from studio_desktop.ui.crash import crash_reporter, install_crash_hooks
from studio_desktop.ui.diagnostics import collect_diagnostics, log_tail

pytestmark = pytest.mark.gui


def test_excepthook_shows_the_crash_dialog(qtbot, main_window, expect_crash) -> None:
    reporter = crash_reporter()
    try:
        raise LookupError("no such profile")
    except LookupError:
        reporter.excepthook(*sys.exc_info())
    dialog = expect_crash()
    assert dialog is not None and dialog.isVisible()
    assert dialog.summary_label.text() == "LookupError: no such profile"
    assert "Traceback" in dialog.diagnostics()


def test_worker_thread_exceptions_are_shown_on_the_gui_thread(qtbot, expect_crash) -> None:
    reporter = crash_reporter()
    shown_on: list[bool] = []
    gui = QThread.currentThread()

    def crash() -> None:
        raise ValueError("bad pixel buffer")

    original = reporter._show

    def spy(error: BaseException, parent: object) -> None:
        shown_on.append(QThread.currentThread() is gui)
        original(error, parent)  # type: ignore[arg-type]

    reporter._show = spy  # type: ignore[method-assign]
    try:
        thread = threading.Thread(target=crash)
        previous = threading.excepthook
        threading.excepthook = reporter.threading_excepthook
        try:
            thread.start()
            thread.join()
        finally:
            threading.excepthook = previous
        qtbot.waitUntil(lambda: expect_crash() is not None)
    finally:
        del reporter._show
    assert shown_on == [True]
    assert "ValueError: bad pixel buffer" in expect_crash().summary_label.text()


def test_keyboard_interrupt_quits_instead_of_crashing(qtbot, monkeypatch) -> None:
    from PySide6.QtWidgets import QApplication

    quits: list[bool] = []
    monkeypatch.setattr(QApplication.instance(), "quit", lambda: quits.append(True))
    crash_reporter().excepthook(KeyboardInterrupt, KeyboardInterrupt(), None)
    assert quits == [True]
    assert crash_reporter().dialog is None


def test_install_crash_hooks_replaces_the_hooks(monkeypatch) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    install_crash_hooks()
    assert sys.excepthook == crash_reporter().excepthook
    assert threading.excepthook == crash_reporter().threading_excepthook


def test_diagnostics_read_only_the_end_of_the_log(tmp_path) -> None:
    log = tmp_path / "big.log"
    log.write_text("".join(f"line {i} password=hunter{i}\n" for i in range(20000)))
    tail = log_tail(log, 5)
    assert tail == [f"line {i} password=hunter{i}" for i in range(19995, 20000)]
    text = collect_diagnostics(tail=tail)
    assert "line 19999" in text
    assert "hunter" not in text
    assert "Studio Desktop" in text.splitlines()[0]
