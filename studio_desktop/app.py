"""The composition root: parse the command line, build every layer, wire them, run the loop.

This is the only module outside ``ui/`` that may import Qt. It owns the one qasync event loop of
the application's lifetime.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from studio_desktop import APP_ID, APP_NAME, ORG_NAME, __version__
from studio_desktop.store.locations import DataDirs, resolve_data_root

log = logging.getLogger(__name__)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=APP_ID, description=APP_NAME)
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="where the app keeps its data (default: $STUDIO_DESKTOP_DATA_DIR or the platform's)",
    )
    parser.add_argument("--verbose", action="store_true", help="log debug details")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser.parse_args(list(argv))


def run(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    dirs = DataDirs(resolve_data_root(args.data_dir)).ensure()

    import qasync
    from PySide6.QtWidgets import QApplication

    from studio_desktop.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationVersion(__version__)

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    window = MainWindow(dirs)
    window.show()
    log.info("%s %s started with data in %s", APP_NAME, __version__, dirs.root)

    with loop:
        closed = asyncio.Event()
        app.aboutToQuit.connect(closed.set)
        loop.run_until_complete(closed.wait())
    return 0
