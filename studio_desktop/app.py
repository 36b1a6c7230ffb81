"""The composition root: parse the command line, build every layer, wire them, run the loop.

This is the only module outside ``ui/`` that may import Qt. It owns the one qasync event loop of
the application's lifetime, the logging set-up (a rotating file in the platform's log directory,
or in ``<data root>/logs/`` with ``--data-dir``, plus stderr, both through a filter that redacts
secrets) and the crash hooks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib
import logging
import logging.handlers
import signal
import sys
import time
from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from studio_desktop import APP_ID, APP_NAME, ORG_NAME, __version__
from studio_desktop.domain.redact import redact
from studio_desktop.store.locations import DataDirs, data_dirs_for

log = logging.getLogger(__name__)

LOG_FILE_NAME = "studio-desktop.log"
LOG_MAX_BYTES = 2 * 1024 * 1024
LOG_BACKUPS = 5
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"
WORKER_THREADS = 4


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=APP_ID, description=APP_NAME)
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="where the app keeps its data (default: $STUDIO_DESKTOP_DATA_DIR or the platform's)",
    )
    parser.add_argument("--verbose", action="store_true", help="log debug details")
    parser.add_argument(
        "--quit-after-ms",
        metavar="N",
        type=int,
        default=None,
        help=argparse.SUPPRESS,  # test hook: quit N ms after the main window is first painted
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser.parse_args(list(argv))


# ---------------------------------------------------------------------------------- logging
class RedactingFilter(logging.Filter):
    """Rewrites each record so no handler ever writes a token, key or password.

    The message is formatted and redacted once, and so are the exception and stack texts; the
    record's ``args`` are dropped so that no later formatting brings the secrets back.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def configure_logging(logs_dir: Path, *, verbose: bool) -> Path:
    """Root logging to ``logs_dir/studio-desktop.log`` (rotating) and stderr; returns the file."""
    logs_dir.mkdir(parents=True, exist_ok=True)
    path = logs_dir / LOG_FILE_NAME
    redactor = RedactingFilter()
    formatter = logging.Formatter(LOG_FORMAT)
    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    file_handler.setLevel(logging.DEBUG if verbose else logging.INFO)
    stderr_handler = logging.StreamHandler(sys.stderr)
    stderr_handler.setLevel(logging.DEBUG if verbose else logging.WARNING)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in (file_handler, stderr_handler):
        handler.setFormatter(formatter)
        handler.addFilter(redactor)
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.captureWarnings(True)
    for noisy in ("asyncio", "qasync", "httpx", "httpcore", "hpack", "PIL"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
    return path


def _qt_message_handler(mode: Any, context: Any, message: str) -> None:
    from PySide6.QtCore import QtMsgType

    level = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }.get(mode, logging.WARNING)
    if level == logging.WARNING and message.startswith(_PLATFORM_NOISE):
        level = logging.DEBUG  # the offscreen/minimal platforms say this about every window
    category = getattr(context, "category", None) or "qt"
    logging.getLogger(f"qt.{category}").log(level, "%s", message)


_PLATFORM_NOISE = ("This plugin does not support",)


# ---------------------------------------------------------------------------------- run
def run(argv: Sequence[str]) -> int:
    started = time.perf_counter()
    args = parse_args(argv)
    dirs = data_dirs_for(args.data_dir).ensure()
    log_path = configure_logging(dirs.logs, verbose=args.verbose)

    import qasync
    from PySide6.QtCore import QSettings, QTimer, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from studio_desktop.ui.close_watcher import WindowCloseWatcher
    from studio_desktop.ui.crash import crash_reporter, install_crash_hooks
    from studio_desktop.ui.icons import app_icon
    from studio_desktop.ui.main_window import MainWindow
    from studio_desktop.ui.preferences import Preferences
    from studio_desktop.ui.theme import theme_manager

    qInstallMessageHandler(_qt_message_handler)
    # Every QSettings() of this run lives under the data root: profiles never share preferences.
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(dirs.root / "qt"))

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    executor = ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="worker")
    loop.set_default_executor(executor)

    def on_loop_exception(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, BaseException):
            crash_reporter().report(error)
        else:
            log.error("event loop: %s", context.get("message"))

    loop.set_exception_handler(on_loop_exception)

    preferences = Preferences()
    theme_manager().set_mode(preferences.theme)
    window = MainWindow(dirs, preferences=preferences)

    def painted() -> None:
        log.info(
            "main window shown and painted %.0f ms after start (%dx%d, area %s)",
            (time.perf_counter() - started) * 1000,
            window.width(),
            window.height(),
            window.current_area_key.value,
        )
        if args.quit_after_ms is not None:
            QTimer.singleShot(max(0, args.quit_after_ms), window.close)

    window.first_painted.connect(painted)
    # Quitting is ours to do: when the window closes, the workspace is closed (jobs stopped,
    # sync stopped, store closed) on the loop, and only then does the loop end.
    app.setQuitOnLastWindowClosed(False)
    closing = WindowCloseWatcher(window)
    window.show()
    log.info("%s %s starting with data in %s (log %s)", APP_NAME, __version__, dirs.root, log_path)

    # Ctrl+C in a terminal and SIGTERM (a session logging out) quit cleanly, saving the window
    # state: Python handles signals only while it runs bytecode, so a light timer gives it the
    # chance while Qt idles.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_args: window.close())
    interrupt_timer = QTimer()
    interrupt_timer.start(250)
    interrupt_timer.timeout.connect(lambda: None)

    async def main() -> None:
        opening = asyncio.ensure_future(open_workspace(window, dirs, executor))
        await closing.closed.wait()
        if not opening.done():
            opening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await opening
        controller = None if opening.cancelled() else opening.result()
        if controller is None:
            return
        try:
            await controller.aclose()
        except Exception:
            log.exception("closing the workspace failed")

    # From here on an unexpected exception shows the crash dialog and the app keeps running;
    # before, a failing start-up prints its traceback and exits non-zero.
    install_crash_hooks()
    with loop:
        loop.run_until_complete(main())
    executor.shutdown(wait=False, cancel_futures=True)
    log.info("%s exited cleanly", APP_NAME)
    return 0


async def open_workspace(window: Any, dirs: DataDirs, executor: Executor) -> Any:
    """Behind the already shown window: load the account, sync and engine stack, then open the
    last used workspace. Returns the app controller (``None`` if it could not be built).

    The stack (supabase-py, httpx, OpenCV, NumPy: most of the start-up time) is imported on a
    worker thread, so the window paints first and stays responsive meanwhile. When the
    workspace is open, the objects made so far are frozen out of the garbage collector's full
    collections: walking them cost 50-70 ms pauses while scrolling the feed.
    """
    from studio_desktop.domain.errors import ExternalError
    from studio_desktop.ui.crash import report_crash

    loop = asyncio.get_running_loop()
    try:
        module = await loop.run_in_executor(
            executor, importlib.import_module, "studio_desktop.ui.app_controller"
        )
        from studio_desktop.services.account import AccountService

        controller = module.AppController(window, AccountService(dirs, executor=executor))
    except Exception as error:
        report_crash(error, window)
        return None
    try:
        await controller.start()
    except ExternalError as error:
        log.warning("the workspace could not be opened: %s", error.message)
        window.show_external_error(error)
    except Exception as error:
        report_crash(error, window)
    gc.collect()
    gc.freeze()
    return controller
