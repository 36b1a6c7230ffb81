"""Knowing when the main window has really closed (the user accepted the close)."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QEvent, QObject

from studio_desktop.ui.main_window import MainWindow


class WindowCloseWatcher(QObject):
    """``closed`` (an asyncio event) is set once ``window`` has been closed (hidden by a close
    it accepted), so the composition root can close the workspace before the loop ends."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.closed = asyncio.Event()
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            asyncio.get_event_loop().call_soon(self._check)
        return False

    def _check(self) -> None:
        if not self.window.isVisible():
            self.closed.set()
