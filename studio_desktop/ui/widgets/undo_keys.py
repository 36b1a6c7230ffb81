"""Ctrl+Z / Ctrl+Shift+Z in a text field with nothing of its own to undo go to Edit ▸ Undo.

Qt's text fields claim the undo keys whenever they have focus, even with an empty undo history
(after a sent instruction is cleared, say), so the window's Undo never runs and the key does
nothing, while the message bar has just said "… deleted. Undo with Ctrl+Z"::

    pass_undo_keys_through(line_edit)   # or a QPlainTextEdit
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QTextEdit


class _PassUndoKeys(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.ShortcutOverride or not isinstance(event, QKeyEvent):
            return False
        if event.matches(QKeySequence.StandardKey.Undo):
            own = _undo_available(watched)
        elif event.matches(QKeySequence.StandardKey.Redo):
            own = _redo_available(watched)
        else:
            return False
        if own:
            return False  # the field undoes its own typing, as usual
        event.ignore()  # not claimed: the window's shortcut runs
        return True


def _undo_available(widget: QObject) -> bool:
    if isinstance(widget, QLineEdit):
        return widget.isUndoAvailable()
    if isinstance(widget, (QPlainTextEdit, QTextEdit)):
        return widget.document().isUndoAvailable()
    return True


def _redo_available(widget: QObject) -> bool:
    if isinstance(widget, QLineEdit):
        return widget.isRedoAvailable()
    if isinstance(widget, (QPlainTextEdit, QTextEdit)):
        return widget.document().isRedoAvailable()
    return True


def pass_undo_keys_through(field: QLineEdit | QPlainTextEdit | QTextEdit) -> None:
    """Let the undo keys reach the window while ``field`` has nothing to undo or redo."""
    keeper = _PassUndoKeys(field)
    field.installEventFilter(keeper)
