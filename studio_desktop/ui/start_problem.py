"""What a start that cannot go on shows before any window: a message box that says what is
wrong and what to do (its data folder cannot be written, another copy is open on it).

The composition root prints the same text to stderr first; this box is for a designer who
started the app from the desktop and has no terminal to read.
"""

from __future__ import annotations

import signal
import sys

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from studio_desktop import APP_ID, APP_NAME, ORG_NAME


def start_problem_box(
    headline: str, advice: str, *, serious: bool = True, parent: QWidget | None = None
) -> QMessageBox:
    """The box (not shown): ``headline`` as its text, ``advice`` under it, one Close button;
    its text can be selected and copied (a path to paste into a file manager)."""
    box = QMessageBox(parent)
    box.setObjectName("start-problem")
    box.setWindowTitle(APP_NAME)
    box.setIcon(QMessageBox.Icon.Critical if serious else QMessageBox.Icon.Information)
    box.setText(headline)
    box.setInformativeText(advice)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    box.setDefaultButton(QMessageBox.StandardButton.Close)
    box.setEscapeButton(QMessageBox.StandardButton.Close)
    return box


def show_start_problem(
    headline: str, advice: str, *, serious: bool = True, close_after_ms: int | None = None
) -> QMessageBox:
    """Show the box and wait until it is closed (by its button, Escape, Ctrl+C or SIGTERM,
    or after ``close_after_ms``: the app's ``--quit-after-ms`` test hook). Makes the
    ``QApplication`` if there is none yet; returns the box, closed."""
    from studio_desktop.ui.icons import app_icon
    from studio_desktop.ui.theme import ThemeMode, start_application, theme_manager

    app = QApplication.instance() or start_application(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    theme_manager().set_mode(ThemeMode.SYSTEM)  # (the preferences are in the folder)
    box = start_problem_box(headline, advice, serious=serious)
    previous = {
        signum: signal.signal(signum, lambda *_args: box.reject())
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    ticker = QTimer(box)  # Python runs signal handlers only while it runs bytecode
    ticker.timeout.connect(lambda: None)
    ticker.start(250)
    if close_after_ms is not None:
        QTimer.singleShot(max(0, close_after_ms), box, box.reject)
    try:
        box.exec()
    finally:
        ticker.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return box
