"""A second launch on a data folder already open brings the open copy's window to the front.

Which copy runs on a folder is settled by the folder's lock (``store/instance_lock.py``); this
module is only how the second launch asks the first to show itself: the running copy listens on
a local socket (:class:`Beacon`, a ``QLocalServer``: a Unix socket, a named pipe on Windows)
named after the data folder and the user (:func:`beacon_name`), and the second launch sends it
one line, ``show``, and waits for ``ok`` (:func:`ask_running_copy_to_show`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication, QWidget

log = logging.getLogger(__name__)

_SHOW = b"show"
_OK = b"ok"
#: The longest line the beacon reads (anything longer is not ours).
_MAX_LINE = 64


def beacon_name(root: Path) -> str:
    """The socket name of the copy running on ``root`` for this user (short: a Unix socket's
    path has room for ~100 characters, and the name goes into the temp folder)."""
    user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "")
    digest = hashlib.sha256(f"{user}\0{Path(root)}".encode()).hexdigest()[:20]
    return f"studio-desktop-{digest}"


class Beacon(QObject):
    """Listens, in the running copy, for a second launch on the same folder;
    :attr:`asked_to_show` is emitted (and ``ok`` answered) for each ``show`` it receives.

    Made only by the copy holding the folder's lock, so a socket left by a copy that died
    (``SIGKILL``) can be, and is, removed before listening."""

    asked_to_show = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        QLocalServer.removeServer(name)
        self.listening = self._server.listen(name)
        self.error = "" if self.listening else self._server.errorString()
        self._server.newConnection.connect(self._on_new_connection)

    @property
    def server_name(self) -> str:
        return self._server.fullServerName()

    def close(self) -> None:
        """Stop listening (removes the socket file)."""
        self._server.close()

    def _on_new_connection(self) -> None:
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._on_ready_read(s))
            socket.disconnected.connect(socket.deleteLater)
            self._on_ready_read(socket)

    def _on_ready_read(self, socket: QLocalSocket) -> None:
        if not socket.canReadLine():
            if socket.bytesAvailable() > _MAX_LINE:
                socket.abort()
            return
        line = bytes(socket.readLine(_MAX_LINE).data()).strip()
        if line == _SHOW:
            self.asked_to_show.emit()
            socket.write(_OK + b"\n")
            socket.flush()
        socket.disconnectFromServer()


def ask_running_copy_to_show(name: str, wait_s: float) -> bool:
    """Ask the copy listening on ``name`` to show its window; True once it answered ``ok``.

    Tries again for ``wait_s`` seconds while nobody listens yet (the running copy starts its
    beacon once its window shows its first page). Blocking; needs no event loop."""
    deadline = time.monotonic() + wait_s
    while True:
        socket = QLocalSocket()
        socket.connectToServer(name)
        if socket.waitForConnected(500):
            socket.write(_SHOW + b"\n")
            socket.waitForBytesWritten(2000)
            reply = b""
            while not reply.endswith(b"\n") and socket.waitForReadyRead(3000):
                reply += bytes(socket.readAll().data())
            socket.abort()
            return reply.strip() == _OK
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


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
