"""What a start that cannot go on shows before any window: a message box that says what is
wrong and what to do (its data folder cannot be written, another copy is open on it).

The composition root prints the same text to stderr first; this box is for a designer who
started the app from the desktop and has no terminal to read. When the data folder cannot be
used, the box also offers "Choose another folder…": the folder chosen is checked as the first
was (by the ``try_folder`` the composition root passes); if it cannot be used either, the box
says why and stays, otherwise the app starts on it.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QPushButton, QWidget

from studio_desktop import APP_ID, APP_NAME, ORG_NAME

CHOOSE_FOLDER = "&Choose another folder…"
#: What the folder dialog asks.
CHOOSE_FOLDER_TITLE = "Choose a folder for Studio Desktop's data"
#: What ``try_folder`` answers for a folder that cannot be used: the box's new text and advice.
FolderProblem = tuple[str, str]


def start_problem_box(
    headline: str,
    advice: str,
    *,
    serious: bool = True,
    parent: QWidget | None = None,
    can_choose_folder: bool = False,
) -> QMessageBox:
    """The box (not shown): ``headline`` as its text, ``advice`` under it, a Close button and,
    with ``can_choose_folder``, "Choose another folder…" (object name ``choose-folder``); its
    text can be selected and copied (a path to paste into a file manager)."""
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
    if can_choose_folder:
        choose = box.addButton(CHOOSE_FOLDER, QMessageBox.ButtonRole.ActionRole)
        choose.setObjectName("choose-folder")
        choose.setToolTip("Start Studio Desktop on another folder, this time only (Alt+C)")
        box.setDefaultButton(choose)
    return box


def choose_folder(parent: QWidget, start: Path) -> Path | None:
    """Ask for a folder (a folder dialog, object name ``choose-data-folder``, opened at
    ``start``); ``None`` when the dialog was cancelled."""
    dialog = QFileDialog(parent, CHOOSE_FOLDER_TITLE, str(start))
    dialog.setObjectName("choose-data-folder")
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    dialog.setLabelText(QFileDialog.DialogLabel.Accept, "Use this folder")
    try:
        if dialog.exec() != QFileDialog.DialogCode.Accepted or not dialog.selectedFiles():
            return None
        return Path(dialog.selectedFiles()[0])
    finally:
        dialog.deleteLater()


def _application() -> QApplication:
    """The ``QApplication`` (made if there is none yet), named, in the system's palette."""
    from studio_desktop.ui.icons import app_icon
    from studio_desktop.ui.theme import ThemeMode, start_application, theme_manager

    app = QApplication.instance() or start_application(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)  # (the app may go on after the box)
    theme_manager().set_mode(ThemeMode.SYSTEM)  # (the preferences are in the folder)
    return app


def wait_with_notice(headline: str, advice: str, finished: Callable[[], bool]) -> bool:
    """Show a notice (``headline``, ``advice`` under it, a "Don't wait" button; object name
    ``start-notice``) until ``finished()`` is true, asked every 50 ms (work done on another
    thread); True then, False when the designer closed the notice first (its button, Escape,
    Ctrl+C, SIGTERM). The notice is gone when this returns."""
    _application()
    box = QMessageBox()
    box.setObjectName("start-notice")
    box.setWindowTitle(APP_NAME)
    box.setIcon(QMessageBox.Icon.Information)
    box.setText(headline)
    box.setInformativeText(advice)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    stop = box.addButton("Don't wait", QMessageBox.ButtonRole.RejectRole)
    box.setEscapeButton(stop)
    done: list[bool] = []

    def poll() -> None:
        if finished():
            done.append(True)
            box.accept()

    previous = {
        signum: signal.signal(signum, lambda *_args: box.reject())
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    ticker = QTimer(box)  # (also lets Python run its signal handlers)
    ticker.timeout.connect(poll)
    ticker.start(50)
    try:
        if not finished():
            box.exec()
        else:
            done.append(True)
    finally:
        ticker.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        box.hide()
        box.deleteLater()  # (not a window left over: the runner of the tests lists them)
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return bool(done)


def show_start_problem(
    headline: str,
    advice: str,
    *,
    serious: bool = True,
    close_after_ms: int | None = None,
    try_folder: Callable[[Path], FolderProblem | None] | None = None,
) -> Path | None:
    """Show the box and wait until it is closed (by its button, Escape, Ctrl+C or SIGTERM,
    or after ``close_after_ms``: the app's ``--quit-after-ms`` test hook). Makes the
    ``QApplication`` if there is none yet.

    With ``try_folder`` the box offers "Choose another folder…": each folder chosen is given
    to ``try_folder``, which answers ``None`` when the app can start on it (the folder is
    returned, the box closed) or the box's new text and advice (the box shows them and waits
    again). Returns ``None`` when the box was closed without a usable folder."""
    _application()
    box = start_problem_box(headline, advice, serious=serious, can_choose_folder=bool(try_folder))
    previous = {
        signum: signal.signal(signum, lambda *_args: box.reject())
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    ticker = QTimer(box)  # Python runs signal handlers only while it runs bytecode
    ticker.timeout.connect(lambda: None)
    ticker.start(250)
    if close_after_ms is not None:
        QTimer.singleShot(max(0, close_after_ms), box, box.reject)
    choose = box.findChild(QPushButton, "choose-folder")
    start = Path.home()
    try:
        while True:
            box.exec()
            if try_folder is None or choose is None or box.clickedButton() is not choose:
                return None
            folder = choose_folder(box, start)
            if folder is None:
                continue  # (cancelled: the box again)
            start = folder
            problem = try_folder(folder)
            if problem is None:
                return folder
            box.setText(problem[0])
            box.setInformativeText(problem[1])
    finally:
        ticker.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        box.hide()
