"""The composition root: parse the command line, build every layer, wire them, run the loop.

This is the only module outside ``ui/`` that may import Qt. It owns the one qasync event loop of
the application's lifetime, the logging set-up (a rotating file in the platform's log directory,
or in ``<data root>/logs/`` with ``--data-dir``, plus stderr, both through a filter that redacts
secrets) and the crash hooks.

Start-up order (:func:`run`; the window must be on screen fast, see issue 5's cold-start goal):

0. The data folder: made and checked writable (``store/locations.py``), then locked for this
   copy (``store/instance_lock.py``). A folder that cannot be used (read-only, no permission,
   full, a file in its way) is said on stderr and in a message box, exit status 3, unless
   another folder is chosen in the box (:func:`open_data_folder`); a folder another copy has
   open makes that copy bring its window to the front (it listens once its first page is
   shown, ``ui/single_instance.py``; while it is still starting a notice says so) and this
   one exit 0 — or, when it does not answer, say so (exit status 4). Nothing in the folder is
   changed before this passed.
1. Logging (a plain file handler for now), the ``QApplication`` (started in the Fusion style),
   the theme and the :class:`~studio_desktop.ui.main_window.MainWindow` (side bar, menu
   titles, status bar; its areas are empty pages), shown; a plain Qt event loop runs until
   the window has painted once (:func:`wait_for_first_paint`). Only what that first frame
   needs is imported before it: this module imports no asyncio at its top, and the UI
   modules on this path import their heavier helpers where they use them. The garbage
   collector is off until then (``__main__`` turns it off before this module is imported).
2. Right after that paint, when the window starts on the History, its first page
   (:func:`show_early_page`): the last used workspace's first page is read with ``sqlite3``
   alone (``store/feed_sql.py``, the SQL of every feed page; ``services/history_early.py``
   packs it as the feed does), the History area is built over it and a plain Qt loop runs
   until it has painted and logged "history feed: first page painted". Only the History's
   widgets, the domain's models and that reader are imported for it: no asyncio, store or
   services. It is skipped (the page then comes with the workspace, step 3) for another
   start area, a window not on screen, a database that cannot be read as the store would
   (missing, locked, unreadable where the page is, of another data format) and a workspace
   without jobs. (A damaged file whose first page still reads is shown, then replaced by
   the page of the file the open repaired: step 3.) Then
   the window fills its menus (a zero-timer in the window; otherwise it also builds and
   activates the restored area there).
3. Then asyncio, qasync and the worker threads come: the one ``QEventLoop``, the crash
   hooks, the last workspace's integrity check on a worker, and :func:`open_workspace`,
   which imports what opening the workspace needs on a worker thread (the account, the
   store, the jobs: each other service is built on first use, see
   ``services/workspace.py``) and shows the last used workspace. The History's live feed
   takes the early page over (``HistoryFeed.adopt``: no second read, no reset, the selection
   and scroll kept; it reads again only the rows written since the store opened) when it was
   read from that workspace and the open did not repair it; otherwise its own first page
   replaces it. Right after the first page the app controller opens the welcome (if it is
   on), starts an account's sync and imports and builds the rest of the services (Canvas,
   imports, garments, profiles) behind it; then the rotating log handler replaces the plain
   one and the collector goes back on.

Files dropped before the workspace's controller exists (step 3) are held by the window and
delivered, in order, once it has opened the workspace; what is asked of the early page that
needs the workspace (open a job, retry, delete, export...) is done once it is open.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio_desktop import APP_ID, APP_NAME, ORG_NAME, __version__
from studio_desktop.domain.redact import redact
from studio_desktop.store.instance_lock import AlreadyOpenError, InstanceLock
from studio_desktop.store.locations import (
    ENV_DATA_DIR,
    DataDirError,
    DataDirs,
    data_dir_error,
    prepare_data_dirs,
)
from studio_desktop.store.log_file import (
    QuietFileHandler,
    forget_failures,
    quiet_rotating_handler,
)

if TYPE_CHECKING:
    from concurrent.futures import Executor

log = logging.getLogger(__name__)

LOG_FILE_NAME = "studio-desktop.log"
LOG_MAX_BYTES = 2 * 1024 * 1024
LOG_BACKUPS = 5
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"
WORKER_THREADS = 4
#: How long the start waits for the window's first paint before it builds the event loop
#: anyway (a window restored minimised, or on a hidden desktop, may not paint for a while).
FIRST_PAINT_WAIT_MS = 1500
#: How long the start waits for the History's early page to paint (see show_early_page).
EARLY_PAGE_WAIT_MS = 500
#: Exit statuses of a start that cannot go on (each says why on stderr first).
EXIT_NO_DISPLAY = 2
EXIT_FOLDER_UNUSABLE = 3
EXIT_ALREADY_OPEN = 4
#: How long a second launch on an open folder waits for the open copy to answer (it listens
#: once its window shows its first page).
HANDOVER_WAIT_S = 10.0
#: After this long without an answer the second launch says that it waits (the open copy is
#: still starting): a running copy answers within milliseconds.
HANDOVER_NOTICE_AFTER_S = 1.0


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


def configure_logging(logs_dir: Path, *, verbose: bool, rotate: bool = True) -> Path:
    """Root logging to ``logs_dir/studio-desktop.log`` (rotating) and stderr; returns the file.

    With ``rotate=False`` (the start-up) the file gets a plain handler for now, since the
    rotating one needs ``logging.handlers`` (~4 ms of imports before the first paint);
    :func:`rotate_log_file` swaps the rotating one in."""
    logs_dir.mkdir(parents=True, exist_ok=True)
    path = logs_dir / LOG_FILE_NAME
    redactor = RedactingFilter()
    formatter = logging.Formatter(LOG_FORMAT)
    forget_failures()
    file_handler = _rotating_handler(path) if rotate else QuietFileHandler(path, encoding="utf-8")
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


def _rotating_handler(path: Path) -> logging.Handler:
    return quiet_rotating_handler(
        path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )


def rotate_log_file() -> None:
    """Replace the root logger's plain log-file handler (``configure_logging(rotate=False)``)
    by a rotating one on the same file, with the same level, format and redaction."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if type(handler) is not QuietFileHandler:
            continue
        rotating = _rotating_handler(Path(handler.baseFilename))
        rotating.setLevel(handler.level)
        rotating.setFormatter(handler.formatter)
        for log_filter in handler.filters:
            rotating.addFilter(log_filter)
        root.addHandler(rotating)  # before the old one goes: no record falls in between
        root.removeHandler(handler)
        handler.close()


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
def missing_display() -> str | None:
    """Why Qt could not open a window here, when no display server is reachable on Linux.

    Qt itself aborts then with "xcb-cursor0 or libxcb-cursor0 is needed ... no Qt platform
    plugin could be initialized", which sends people after a library they already have."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        f"{APP_NAME} needs a desktop session: neither DISPLAY (X11) nor WAYLAND_DISPLAY "
        "(Wayland) is set. Start it from your desktop, or set QT_QPA_PLATFORM "
        "(e.g. QT_QPA_PLATFORM=offscreen for no window at all)."
    )


def run(argv: Sequence[str]) -> int:
    started = time.perf_counter()
    gc.disable()  # until the first paint (see __main__.py)
    args = parse_args(argv)
    problem = missing_display()
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_NO_DISPLAY
    # The data folder: usable (made, writable) and ours alone, or a message and an exit before
    # anything in it was changed (a second copy would run the same job queue on the same files).
    opened = open_data_folder(args)
    if isinstance(opened, int):
        return opened
    dirs, instance, log_path = opened
    if instance.unsupported:
        log.warning(
            "the data folder cannot be locked (%s): a second copy started on it would not "
            "be stopped",
            instance.unsupported,
        )

    # ---- 1. the window, painted: only what the first frame needs is imported before it.
    from PySide6.QtCore import QSettings, QTimer, qInstallMessageHandler

    lighten_pyside_import_hook()
    from PySide6.QtWidgets import QApplication

    from studio_desktop.ui.icons import app_icon
    from studio_desktop.ui.main_window import MainWindow
    from studio_desktop.ui.preferences import Preferences
    from studio_desktop.ui.theme import start_application, theme_manager

    qInstallMessageHandler(_qt_message_handler)
    # Every QSettings() of this run lives under the data root: profiles never share preferences.
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(dirs.root / "qt"))

    app = QApplication.instance() or start_application(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    # Quitting is ours to do: when the window closes, the workspace is closed (jobs stopped,
    # sync stopped, store closed) on the loop, and only then does the loop end.
    app.setQuitOnLastWindowClosed(False)

    preferences = Preferences()
    theme_manager().set_mode(preferences.theme)
    window = MainWindow(dirs, preferences=preferences)
    window.hold_drops()  # until the app controller can take them (open_workspace)
    painted_at: list[float] = []

    def painted() -> None:
        painted_at.append(time.perf_counter())
        log.info(
            "main window shown and painted %.0f ms after start (%dx%d, area %s)",
            (painted_at[0] - started) * 1000,
            window.width(),
            window.height(),
            window.current_area_key.value,
        )

    window.first_painted.connect(painted)
    # Ctrl+C in a terminal and SIGTERM (a session logging out) quit cleanly, saving the window
    # state: Python handles signals only while it runs bytecode, so a light timer gives it the
    # chance while Qt idles.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_args: window.close())
    interrupt_timer = QTimer()
    interrupt_timer.start(250)
    interrupt_timer.timeout.connect(lambda: None)
    window.show()
    log.info(
        "%s %s starting with data in %s (log %s, Qt platform %s)",
        APP_NAME,
        __version__,
        dirs.root,
        log_path,
        app.platformName(),
    )
    wait_for_first_paint(window, FIRST_PAINT_WAIT_MS)

    # ---- 2. the History's first page, read with sqlite3 alone and painted.
    show_early_page(window, dirs)

    # ---- 3. the event loop, behind the painted window.
    from concurrent.futures import ThreadPoolExecutor

    executor = ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="worker")
    # The last workspace's integrity check (SQLite, the GIL released; ~50 ms with 10k jobs)
    # starts now, on another core, beside the imports of the event loop and of the workspace's
    # stack. (Not before the first paint and the early page: on a busy machine its thread took
    # CPU from the window's.)
    checking = executor.submit(precheck_last_workspace, dirs)
    import asyncio
    import contextlib

    import qasync

    from studio_desktop.ui.close_watcher import WindowCloseWatcher
    from studio_desktop.ui.crash import crash_reporter, install_crash_hooks

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    loop.set_default_executor(executor)

    def on_loop_exception(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, BaseException):
            crash_reporter().report(error)
        else:
            log.error("event loop: %s", context.get("message"))

    loop.set_exception_handler(on_loop_exception)
    closing = WindowCloseWatcher(window)
    if not window.isVisible():  # closed while it was painting (Ctrl+C, SIGTERM, the user)
        closing.closed.set()

    def quit_later() -> None:
        if args.quit_after_ms is not None:
            since_paint = (time.perf_counter() - painted_at[0]) * 1000
            QTimer.singleShot(max(0, round(args.quit_after_ms - since_paint)), window.close)

    if painted_at:
        quit_later()
    else:
        window.first_painted.connect(quit_later)

    beacons: list[Any] = []

    def listen_for_second_launches(_opening: object) -> None:
        # (After the first page, which it must not delay.)
        if not closing.closed.is_set():
            beacon = start_beacon(window, dirs)
            if beacon is not None:
                beacons.append(beacon)

    async def main() -> None:
        opening = asyncio.ensure_future(
            open_workspace(window, dirs, executor, checking=asyncio.wrap_future(checking))
        )
        opening.add_done_callback(listen_for_second_launches)
        try:
            await closing.closed.wait()
        finally:
            for beacon in beacons:  # (a launch from now on starts a copy of its own)
                beacon.close()
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
        for settling in list(_settling):  # (closed before it settled)
            settling.cancel()

    # From here on an unexpected exception shows the crash dialog and the app keeps running;
    # before, a failing start-up prints its traceback and exits non-zero.
    install_crash_hooks()
    with loop:
        loop.run_until_complete(main())
    executor.shutdown(wait=False, cancel_futures=True)
    instance.release()
    log.info("%s exited cleanly", APP_NAME)
    return 0


# ---------------------------------------------------------------------------------- one copy
def open_data_folder(args: argparse.Namespace) -> tuple[DataDirs, InstanceLock, Path] | int:
    """The data folder made, checked, locked for this copy and logging to its log file; or,
    when it cannot be, the exit status after the message (a folder another copy has open:
    :func:`hand_over`). The box of an unusable folder offers "Choose another folder…": a
    folder chosen there goes through the same checks, and the app starts on it.

    The folder chosen is not remembered: the next start tries the usual folder again (the
    command line's, the environment's or the platform's). A drive that was only disconnected
    then finds the designer's work where it was, rather than the app quietly starting, from
    then on, on a second folder that splits it; stderr says how to use the chosen folder
    every time."""
    try:
        return _open_folder(args.data_dir, verbose=args.verbose)
    except DataDirError as error:
        problem = error
    except AlreadyOpenError as error:
        return hand_over(error, args)
    opened: list[tuple[DataDirs, InstanceLock, Path]] = []

    def try_folder(folder: Path) -> tuple[str, str] | None:
        try:
            opened.append(_open_folder(folder, verbose=args.verbose))
        except DataDirError as error:
            print(f"{error.headline}\n{error.advice}", file=sys.stderr)
            return error.headline, error.advice
        except AlreadyOpenError as error:
            return (
                f"{APP_NAME} is already open on the folder {error.root}.",
                "Choose another folder, or switch to the window that has it open.",
            )
        return None

    code = cannot_start(
        problem.headline, problem.advice, EXIT_FOLDER_UNUSABLE, args, try_folder=try_folder
    )
    if not opened:
        return code
    import shlex

    root = opened[0][0].root
    print(
        f"{APP_NAME} starts on the folder {root}, chosen in the message box, for this start "
        f"only. To use it every time: studio-desktop --data-dir {shlex.quote(str(root))} "
        f"(or set {ENV_DATA_DIR}).",
        file=sys.stderr,
    )
    log.info("the data folder %s could not be used; %s was chosen instead", problem.folder, root)
    return opened[0]


def _open_folder(
    chosen: str | Path | None, *, verbose: bool
) -> tuple[DataDirs, InstanceLock, Path]:
    dirs = prepare_data_dirs(chosen)
    log_file = dirs.logs / LOG_FILE_NAME
    try:  # (an existing log file that cannot be written: said before the lock file is made)
        os.close(os.open(log_file, os.O_WRONLY | os.O_APPEND))
    except FileNotFoundError:
        pass  # (made by the handler: the folder was found writable)
    except OSError as error:
        raise data_dir_error(dirs.logs, error, file=log_file) from error
    instance = InstanceLock(dirs.root).acquire()
    try:
        log_path = configure_logging(dirs.logs, verbose=verbose, rotate=False)
    except OSError as error:  # the log file itself (a folder by its name, a protected file)
        instance.release()
        raise data_dir_error(dirs.logs, error, file=dirs.logs / LOG_FILE_NAME) from error
    return dirs, instance, log_path


def cannot_start(
    headline: str,
    advice: str,
    code: int,
    args: argparse.Namespace,
    *,
    try_folder: Callable[[Path], tuple[str, str] | None] | None = None,
) -> int:
    """A start that cannot go on: the reason on stderr, then in a message box (the window
    system is there: :func:`missing_display` was asked first); returns the exit status.
    ``try_folder``: the box offers to choose another folder (see :func:`open_data_folder`)."""
    print(f"{headline}\n{advice}", file=sys.stderr)
    from PySide6.QtCore import qInstallMessageHandler

    from studio_desktop.ui.start_problem import show_start_problem

    qInstallMessageHandler(_qt_message_handler)  # (its platform noise is not for stderr)

    show_start_problem(
        headline,
        advice,
        serious=code != EXIT_ALREADY_OPEN,
        close_after_ms=args.quit_after_ms,
        try_folder=try_folder,
    )
    return code


def hand_over(error: AlreadyOpenError, args: argparse.Namespace) -> int:
    """Another copy holds the data folder: ask it to show its window and exit (0), or, when
    it does not answer, say that it is open and exit (:data:`EXIT_ALREADY_OPEN`). A copy that
    is still starting answers once its first page is shown: after
    :data:`HANDOVER_NOTICE_AFTER_S` without an answer a notice says so (and stderr), until it
    answers, :data:`HANDOVER_WAIT_S` have passed, or the designer stops waiting (exit 0)."""
    from studio_desktop.ui.single_instance import ask_running_copy_to_show, beacon_path

    who = f", process {error.pid}" if error.pid else ""
    path = beacon_path(error.root)
    answered = ask_running_copy_to_show(path, HANDOVER_NOTICE_AFTER_S)
    if not answered and path is not None:
        # Still starting (it listens once its first page is shown): say so, and wait on.
        import threading

        from PySide6.QtCore import qInstallMessageHandler

        from studio_desktop.ui.start_problem import wait_with_notice

        qInstallMessageHandler(_qt_message_handler)  # (its platform noise is not for stderr)

        headline = f"{APP_NAME} is starting on this folder ({error.root}{who})."
        advice = "Its window comes up in a moment; this notice then closes by itself."
        print(f"{headline} {advice}", file=sys.stderr, flush=True)
        asked: list[bool] = []
        wait = HANDOVER_WAIT_S - HANDOVER_NOTICE_AFTER_S
        threading.Thread(
            target=lambda: asked.append(ask_running_copy_to_show(path, wait)),
            name="handover",
            daemon=True,
        ).start()
        if not wait_with_notice(headline, advice, lambda: bool(asked)):
            print(f"Stopped waiting for the {APP_NAME} open on this folder.", file=sys.stderr)
            return 0
        answered = asked[0]
    if answered:
        print(
            f"{APP_NAME} is already open on this folder ({error.root}{who}): "
            "its window was brought to the front.",
            file=sys.stderr,
        )
        return 0
    return cannot_start(
        f"{APP_NAME} is already open on this folder ({error.root}{who}).",
        "Switch to its window, or close it and start again. To run a second copy, start it "
        "on another folder: studio-desktop --data-dir FOLDER.",
        EXIT_ALREADY_OPEN,
        args,
    )


def start_beacon(window: Any, dirs: DataDirs) -> Any:
    """Listen for a second launch on this data folder (on the running event loop); it brings
    ``window`` to the front. Returns the beacon (``None`` where there are no Unix sockets)."""
    from studio_desktop.ui.single_instance import Beacon, beacon_path, bring_to_front

    path = beacon_path(dirs.root)
    if path is None:
        log.info("a second launch on this folder cannot reach this copy: no socket here")
        return None

    def show() -> None:
        log.info("started again on this folder: this window comes to the front")
        bring_to_front(window)

    beacon = Beacon(path, show)
    beacon.start_soon()
    return beacon


def lighten_pyside_import_hook() -> bool:
    """Make PySide6's check of every module imported after it cheaper; True if it was found.

    Once PySide6 is loaded, its import hook asks of each newly imported module whether its
    source mentions "PySide6" (for PySide's ``__feature__`` switching), through
    ``inspect.getsource``: the file is read, decoded, split into lines and kept in
    ``linecache`` for the rest of the run. That was 13 % of the start-up's import time (~250
    modules are imported after PySide6). The same question is answered here from the file's
    bytes, read once and dropped. Modules without a ``.py`` source (built-in, extension,
    frozen) keep PySide's own check.
    """
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or original is None or getattr(original, "_lightened", False):
        return False

    def mod_uses_pyside(module: Any) -> bool:
        spec = getattr(module, "__spec__", None)
        origin = getattr(spec, "origin", None)
        if not isinstance(origin, str) or not origin.endswith(".py"):
            return bool(original(module))
        try:
            with open(origin, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return False

    mod_uses_pyside._lightened = True  # type: ignore[attr-defined]
    mod_uses_pyside.original = original  # type: ignore[attr-defined]
    feature._mod_uses_pyside = mod_uses_pyside
    return True


def show_early_page(window: Any, dirs: DataDirs) -> bool:
    """Show the History's first page now, before asyncio, the store and the services exist
    (step 2 of :func:`run`); True if it was painted.

    When the window starts on the History, the last used workspace's first page is read with
    ``sqlite3`` alone (``services/history_early.py``: the feed's own SQL and row packing), the
    History area is built over it, and a plain Qt event loop runs until it has painted. The
    workspace's live feed takes these rows over when it opens (no second read, no reset).
    Nothing is shown early for another start area, a window not on screen, a database that
    cannot be read now (missing, locked, damaged, of another data format) or a workspace
    without jobs: the History's first page then comes with the workspace, as it always did.
    """
    from studio_desktop.ui.areas import AreaKey

    if (
        not window.has_painted
        or not window.isVisible()
        or window.isMinimized()
        or window.current_area_key is not AreaKey.HISTORY
        or window.is_area_built(AreaKey.HISTORY)
    ):
        return False
    from studio_desktop.services.history_early import read_early_feed
    from studio_desktop.store.locations import last_workspace_key

    early = read_early_feed(dirs.workspace(last_workspace_key(dirs)).database)
    if early is None:
        return False
    area = window.area(AreaKey.HISTORY)
    if not hasattr(area, "show_early_feed"):
        return False
    area.show_early_feed(early)
    window.set_current_area(AreaKey.HISTORY)
    if not area.awaiting_first_page:
        return True
    from PySide6.QtCore import QEventLoop, QTimer

    waiter = QEventLoop()
    area.first_page_painted.connect(waiter.quit)
    QTimer.singleShot(EARLY_PAGE_WAIT_MS, waiter, waiter.quit)
    waiter.exec()
    area.first_page_painted.disconnect(waiter.quit)
    return not area.awaiting_first_page


def wait_for_first_paint(window: Any, timeout_ms: int) -> bool:
    """Run Qt's events (a plain Qt loop, no asyncio yet) until ``window`` emits
    ``first_painted`` or ``timeout_ms`` passed (a window restored minimised may not paint);
    True if it painted. The window stays responsive meanwhile."""
    from PySide6.QtCore import QEventLoop, QTimer

    if window.has_painted:
        return True
    waiter = QEventLoop()
    window.first_painted.connect(waiter.quit)
    QTimer.singleShot(timeout_ms, waiter, waiter.quit)
    waiter.exec()
    window.first_painted.disconnect(waiter.quit)
    return bool(window.has_painted)


async def open_workspace(
    window: Any,
    dirs: DataDirs,
    executor: Executor,
    *,
    checking: Awaitable[None] | None = None,
) -> Any:
    """Behind the already painted window: open the last used workspace, its History's first
    page first. Returns the app controller (``None`` if it could not be built).

    What opening needs is imported on a worker thread, so the window stays responsive
    meanwhile: the app controller, the account service, the store and the jobs (supabase-py,
    httpx, OpenCV and NumPy are not part of it: the modules that need them import them on first
    use; the other services are built on first use, see ``services/workspace.py``), and the
    modules of the screen the window shows first (:func:`~studio_desktop.ui.app_controller.
    import_screen`). Meanwhile another worker checks the last workspace's database
    (:func:`precheck_last_workspace`; ``checking``, started by :func:`run`
    before asyncio was imported, else here). The garbage collector stays off until the
    workspace has settled (:func:`_settle`). Then the objects made so far are frozen out of
    the garbage collector's full collections, and so are the survivors of each later one
    (:mod:`studio_desktop.ui.collector`): walking them cost 60-140 ms pauses while scrolling
    the feed.
    """
    import asyncio

    from studio_desktop.domain.errors import ExternalError
    from studio_desktop.ui.crash import report_crash

    loop = asyncio.get_running_loop()
    if checking is None:
        checking = loop.run_in_executor(executor, precheck_last_workspace, dirs)
    first_screen = window.current_area_key
    try:
        module = await loop.run_in_executor(executor, _import_controller, first_screen)
        from studio_desktop.services.account import AccountService

        controller = module.AppController(window, AccountService(dirs, executor=executor))
    except Exception as error:
        report_crash(error, window)
        gc.enable()
        return None
    try:
        await controller.start()
        log.info("the workspace is open")
    except ExternalError as error:
        log.warning("the workspace could not be opened: %s", error.message)
        window.show_external_error(error)
    except Exception as error:
        report_crash(error, window)
    window.release_drops()  # those made during the start, now that the controller takes them
    # The controller is returned now (closing the window closes its workspace, whatever
    # happens next); the rest settles behind the first page.
    settling = asyncio.ensure_future(_settle(controller, checking))
    _settling.add(settling)
    settling.add_done_callback(_settling.discard)
    return controller


#: The :func:`_settle` task of the start-up (referenced while it runs).
_settling: set[Any] = set()


async def _settle(controller: Any, checking: Awaitable[None]) -> None:
    """After the History's first page and the rest of the workspace (its sync, its other
    services: ``AppController.settled``): the rotating log handler and the collector."""
    try:
        await checking
        await controller.settled()
        rotate_log_file()  # (logging.handlers: not before the first page)
        # No collection first (it cost ~25 ms before the first page): start-up makes little
        # garbage, and what there is stays frozen with the rest (until a deep collection).
        from PySide6.QtWidgets import QApplication

        from studio_desktop.ui.collector import Collector

        Collector(QApplication.instance()).install()
    finally:
        # Off since the start (the import and the first page only add objects); on from here.
        gc.enable()


def _import_controller(first_screen: Any) -> Any:
    """The app controller's module, with the modules of the screen shown first (a worker's
    job: they are imported while the integrity check runs, not when the screen is built)."""
    from studio_desktop.ui import app_controller

    app_controller.import_screen(first_screen)
    return app_controller


def precheck_last_workspace(dirs: DataDirs) -> None:
    """Check the last used workspace's database now (see :mod:`~studio_desktop.store.precheck`:
    its open then skips the check). It imports nothing heavier than ``sqlite3`` and SQLite
    releases the GIL while it reads the file: the thread running it holds the GIL for a few
    milliseconds only (importing the store's stack first, as it did, took ~35 ms of it from the
    History's first page)."""
    from studio_desktop.store.locations import last_workspace_key
    from studio_desktop.store.precheck import precheck

    try:
        precheck(dirs.workspace(last_workspace_key(dirs)).database)
    except Exception:  # a hint only: the open checks the file itself
        log.debug("the early integrity check failed", exc_info=True)
