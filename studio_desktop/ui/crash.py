"""Unexpected exceptions go to the crash dialog and the app keeps running.

:func:`report_crash` logs the error with its traceback (the log filter redacts it) and shows the
:class:`~studio_desktop.ui.dialogs.crash_dialog.CrashDialog` (or adds to the one already open).
:func:`install_crash_hooks` routes ``sys.excepthook`` (exceptions in Qt slots and event handlers)
and ``threading.excepthook`` (worker threads, delivered to the GUI thread) there; ``app.py``
calls it once. ``run_op`` calls :func:`report_crash` for bugs and unexpected exceptions.
"""

from __future__ import annotations

import logging
import sys
import threading
import types

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QWidget

from studio_desktop.ui.dialogs.crash_dialog import CrashDialog

log = logging.getLogger(__name__)


class CrashReporter(QObject):
    """Owns the one crash dialog; ``report`` may be called from any thread."""

    _from_thread = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._dialog: CrashDialog | None = None
        self._reporting = False
        self._from_thread.connect(self._report_on_gui_thread)

    @property
    def dialog(self) -> CrashDialog | None:
        """The crash dialog currently open, if any."""
        return self._dialog

    def report(self, error: BaseException, parent: QWidget | None = None) -> None:
        if threading.current_thread() is not threading.main_thread():
            log.error("unexpected error in a worker thread", exc_info=error)
            self._from_thread.emit(error)
            return
        log.error("unexpected error", exc_info=error)
        self._show(error, parent)

    def _report_on_gui_thread(self, error: BaseException) -> None:
        self._show(error, None)

    def _show(self, error: BaseException, parent: QWidget | None) -> None:
        if self._reporting:  # the crash dialog itself failed: do not loop
            sys.__excepthook__(type(error), error, error.__traceback__)
            return
        self._reporting = True
        try:
            if self._dialog is not None:
                self._dialog.add_error(error)
                self._dialog.raise_()
                return
            host = parent.window() if parent is not None else QApplication.activeWindow()
            dialog = CrashDialog(error, host)
            dialog.finished.connect(self._forget_dialog)
            dialog.destroyed.connect(self._forget_dialog)
            self._dialog = dialog
            dialog.show()
            dialog.raise_()
        except Exception:  # the reporter must never take the app down
            log.exception("the crash dialog could not be shown")
        finally:
            self._reporting = False

    def _forget_dialog(self, *_args: object) -> None:
        self._dialog = None

    # ------------------------------------------------------------------ hooks
    def excepthook(
        self,
        exc_type: type[BaseException],
        error: BaseException,
        tb: types.TracebackType | None,
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            app = QApplication.instance()
            if app is not None:
                app.quit()
            return
        if error.__traceback__ is None and tb is not None:
            error = error.with_traceback(tb)
        self.report(error)

    def threading_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        self.report(args.exc_value)


_reporter: CrashReporter | None = None


def crash_reporter() -> CrashReporter:
    """The application's one reporter (created on first use, parented to the QApplication)."""
    global _reporter  # noqa: PLW0603  one per QApplication
    app = QApplication.instance()
    if _reporter is None or _reporter.parent() is not app:
        _reporter = CrashReporter(app)
    return _reporter


def report_crash(error: BaseException, parent: QWidget | None = None) -> None:
    """Log ``error`` and show it in the crash dialog; the app keeps running."""
    crash_reporter().report(error, parent)


def install_crash_hooks() -> None:
    reporter = crash_reporter()
    sys.excepthook = reporter.excepthook
    threading.excepthook = reporter.threading_excepthook
