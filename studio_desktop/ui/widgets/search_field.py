"""A search field's clear (×) button that shows only while there is something to clear.

Qt's own ``setClearButtonEnabled`` leaves the × on an empty field on some platforms (it only
fades it); this one is an ordinary trailing action, hidden while the field is empty::

    clear = add_clear_action(line_edit)     # Esc in the field clears it too
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import QLineEdit

from studio_desktop.ui.icons import icon


class _EscapeClears(QObject):
    """Esc in a field with text clears it, ahead of any Esc shortcut of the screen around it
    (History's "close the opened job", a dialog's close); on an empty field Esc does what it
    did before."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            return False
        if not isinstance(event, QKeyEvent) or not isinstance(watched, QLineEdit):
            return False
        if event.key() != Qt.Key.Key_Escape or not watched.text():
            return False
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # the key comes to the field, not to a shortcut
            return True
        watched.clear()
        return True


def add_clear_action(field: QLineEdit) -> QAction:
    field.setClearButtonEnabled(False)
    action = field.addAction(icon("close", tone="muted"), QLineEdit.ActionPosition.TrailingPosition)
    action.setObjectName("clear_search")
    action.setToolTip("Clear the search")
    action.triggered.connect(field.clear)
    action.setVisible(bool(field.text()))
    field.textChanged.connect(lambda text: action.setVisible(bool(text)))
    field.installEventFilter(_EscapeClears(field))
    return action
