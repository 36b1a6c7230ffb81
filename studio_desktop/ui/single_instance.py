"""A second launch on a data folder already open brings the open copy's window to the front.

Which copy runs on a folder is settled by the folder's lock (``store/instance_lock.py``); this
module is only how the second launch asks the first to show itself: the running copy listens
on a Unix socket named after the data folder and the user (:func:`beacon_path`, in the
session's runtime folder), served by the event loop (:class:`Beacon`); the second launch sends
it one line, ``show``, and waits for ``ok`` (:func:`ask_running_copy_to_show`). Plain sockets,
not Qt's ``QLocalServer``: the app ships without QtNetwork. Where there are no Unix sockets
(Windows), there is no beacon, and a second launch says that the folder is open instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

log = logging.getLogger(__name__)

_SHOW = b"show"
_OK = b"ok"
#: The longest line the beacon reads (anything longer is not ours).
_MAX_LINE = 64
#: A Unix socket's path has room for 107 bytes (macOS: 103).
_MAX_PATH = 100


def beacon_path(root: Path) -> Path | None:
    """Where the copy running on ``root`` for this user listens: in ``$XDG_RUNTIME_DIR`` (the
    session's own folder), else the temp folder, whichever gives a short enough path;
    ``None`` where there are no Unix sockets."""
    if not hasattr(socket, "AF_UNIX"):
        return None
    user = str(os.getuid()) if hasattr(os, "getuid") else ""
    digest = hashlib.sha256(f"{user}\0{Path(root)}".encode()).hexdigest()[:20]
    name = f"studio-desktop-{digest}.sock"
    places = (os.environ.get("XDG_RUNTIME_DIR"), os.environ.get("TMPDIR"), "/tmp")
    for place in places:
        if place and os.path.isdir(place) and len(os.path.join(place, name)) <= _MAX_PATH:
            return Path(place) / name
    return None


class Beacon:
    """Listens, in the running copy, for a second launch on the same folder; ``on_show`` is
    called (and ``ok`` answered) for each ``show`` it receives.

    Made only by the copy holding the folder's lock, so a socket file left by a copy that died
    (``SIGKILL``) can be, and is, removed before listening."""

    def __init__(self, path: Path, on_show: Callable[[], None]) -> None:
        self.path = path
        self._on_show = on_show
        self._server: asyncio.AbstractServer | None = None
        self._starting: asyncio.Future[None] | None = None

    @property
    def listening(self) -> bool:
        return self._server is not None

    def start_soon(self) -> None:
        """:meth:`start` on the running event loop."""
        self._starting = asyncio.ensure_future(self.start())

    async def start(self) -> None:
        """Listen (a warning in the log when it cannot: the app runs on without it)."""
        try:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            self._server = await asyncio.start_unix_server(self._serve, path=str(self.path))
            os.chmod(self.path, 0o600)  # this user's launches only
        except OSError as error:
            self.close()
            log.warning("a second launch on this folder cannot reach this copy: %s", error)
            return
        log.debug("listening for second launches on %s", self.path)

    def close(self) -> None:
        """Stop listening and remove the socket file."""
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(OSError):
                self.path.unlink()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), 2.0)
            if line[:_MAX_LINE].strip() == _SHOW:
                self._on_show()
                writer.write(_OK + b"\n")
                await writer.drain()
        except (OSError, ValueError):  # (TimeoutError is an OSError)
            pass
        finally:
            writer.close()


def ask_running_copy_to_show(path: Path | None, wait_s: float) -> bool:
    """Ask the copy listening at ``path`` to show its window; True once it answered ``ok``.

    Tries again for ``wait_s`` seconds while nobody listens yet (the running copy starts its
    beacon once its window shows its first page). Blocking; needs no event loop."""
    if path is None:
        return False
    deadline = time.monotonic() + wait_s
    while True:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(3.0)
            try:
                client.connect(str(path))
            except OSError:  # not there yet, or a dead copy's file
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.1)
                continue
            try:
                client.sendall(_SHOW + b"\n")
                reply = b""
                while not reply.endswith(b"\n") and len(reply) < _MAX_LINE:
                    chunk = client.recv(_MAX_LINE)
                    if not chunk:
                        break
                    reply += chunk
            except OSError:
                return False
            return reply.strip() == _OK


def bring_to_front(window: QWidget) -> None:
    """Un-minimise ``window`` (keeping it maximised or full screen), raise it and ask for the
    focus; where the desktop refuses to hand the focus over, its task-bar entry asks for
    attention instead."""
    state = window.windowState()
    if state & Qt.WindowState.WindowMinimized:
        restored = (state & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowActive
        window.setWindowState(restored)
    if not window.isVisible():
        window.show()
    window.raise_()
    window.activateWindow()
    QApplication.alert(window)
