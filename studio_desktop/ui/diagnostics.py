"""What "Copy diagnostics" copies: versions, platform, the error, the last log lines; no secrets.

Everything passes through :func:`~studio_desktop.domain.redact.redact` (the log file is already
redacted when written; this is the second net, for exception text and paths).
"""

from __future__ import annotations

import logging
import platform
import sys
import traceback
from importlib import metadata
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtGui import QGuiApplication

from studio_desktop import APP_NAME, __version__
from studio_desktop.domain.redact import redact

LOG_TAIL_LINES = 60
_TAIL_BYTES = 64 * 1024


def log_file() -> Path | None:
    """The file the root logger writes to (set up by ``app.py``), if any."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return None


def log_tail(path: Path | None, lines: int = LOG_TAIL_LINES) -> list[str]:
    """The last ``lines`` lines of the log (reads only its end)."""
    if path is None or not path.is_file():
        return []
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - _TAIL_BYTES))
        data = handle.read().decode("utf-8", errors="replace")
    return data.splitlines()[-lines:]


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def format_exception(error: BaseException) -> str:
    return "".join(traceback.format_exception(type(error), error, error.__traceback__)).rstrip()


def version_lines() -> list[str]:
    app = QGuiApplication.instance()
    lines = [
        f"{APP_NAME} {__version__}",
        f"Python {platform.python_version()} ({platform.python_implementation()})",
        f"PySide6 {pyside_version}, Qt {qVersion()}",
        f"qasync {_package_version('qasync')}",
        f"Platform: {platform.platform()} ({platform.machine()})",
    ]
    if isinstance(app, QGuiApplication):
        screen = app.primaryScreen()
        lines.append(f"Qt platform: {app.platformName()}")
        if screen is not None:
            size = screen.size()
            lines.append(
                f"Screen: {size.width()}x{size.height()} at {screen.devicePixelRatio():g}x"
            )
    lines.append("Frozen bundle: yes" if getattr(sys, "frozen", False) else "Frozen bundle: no")
    return lines


def collect_diagnostics(
    error: BaseException | None = None, *, tail: list[str] | None = None
) -> str:
    """A plain-text report to paste into a bug report (call it on the GUI thread). ``tail`` is
    the log's last lines, read beforehand off the GUI thread if wanted; None reads them here."""
    sections = ["\n".join(version_lines())]
    if error is not None:
        sections.append("Error:\n" + format_exception(error))
    path = log_file()
    if tail is None:
        tail = log_tail(path)
    if tail:
        sections.append(
            f"Last {len(tail)} log lines ({path.name if path else ''}):\n" + "\n".join(tail)
        )
    else:
        sections.append("Log: none written yet.")
    return redact("\n\n".join(sections))
