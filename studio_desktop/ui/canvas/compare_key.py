"""Hold ``\\`` to compare, wherever the focus is in the canvas's window.

The designer types in the chat, sends, and holds ``\\`` to see the version before: the chat box
has the focus then, and would type a backslash. :class:`CompareKeyFilter` is an application
event filter the Canvas area installs while it is shown: it takes the key (press, release and
the shortcut override) before any widget of that window sees it and tells the area to hold or
end the comparison. Dialogs (a modal window, a popup menu) keep the key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

if TYPE_CHECKING:
    from studio_desktop.ui.canvas.area import CanvasArea


class CompareKeyFilter(QObject):
    """Holding ``\\`` compares, whatever has focus in the window (the chat box right after
    sending, a strip, a button): an application event filter, installed while the canvas area
    is visible, takes the key before any widget sees it, so it is never typed anywhere. Dialogs
    (a modal window, a popup) keep the key: their text boxes may need it."""

    def __init__(self, area: CanvasArea) -> None:
        super().__init__(area)
        self._area = area
        self._installed = False
        self._held = False

    def install(self) -> None:
        app = QApplication.instance()
        if app is not None and not self._installed:
            app.installEventFilter(self)
            self._installed = True

    def remove(self) -> None:
        app = QApplication.instance()
        if app is not None and self._installed:
            app.removeEventFilter(self)
            self._installed = False
        self._release()

    def _release(self) -> None:
        if self._held:
            self._held = False
            if shiboken6.isValid(self._area):
                self._area.hold_compare(False)

    def _applies(self, target: QObject) -> bool:
        area = self._area
        if not shiboken6.isValid(area) or not area.isVisible() or area.canvas.image is None:
            return False
        if QApplication.activeModalWidget() is not None or QApplication.activePopupWidget():
            return False
        window = area.window()
        if isinstance(target, QWidget):
            return target.window() is window
        handle = window.windowHandle()
        return handle is not None and target is handle

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.ApplicationDeactivate, QEvent.Type.WindowDeactivate):
            self._release()
            return False
        if kind not in (
            QEvent.Type.KeyPress,
            QEvent.Type.KeyRelease,
            QEvent.Type.ShortcutOverride,
        ):
            return False
        if not isinstance(event, QKeyEvent) or event.key() != Qt.Key.Key_Backslash:
            return False
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        if not self._applies(watched):
            return False
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()
        elif not event.isAutoRepeat():
            if kind == QEvent.Type.KeyPress:
                self._held = True
                self._area.hold_compare(True)
            else:
                self._release()
        return True
