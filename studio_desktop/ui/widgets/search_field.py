"""A search field's clear (×) button that shows only while there is something to clear.

Qt's own ``setClearButtonEnabled`` leaves the × on an empty field on some platforms (it only
fades it); this one is an ordinary trailing action, hidden while the field is empty::

    clear = add_clear_action(line_edit)     # Esc in the field clears it too
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLineEdit

from studio_desktop.ui.icons import icon


def add_clear_action(field: QLineEdit) -> QAction:
    field.setClearButtonEnabled(False)
    action = field.addAction(icon("close", tone="muted"), QLineEdit.ActionPosition.TrailingPosition)
    action.setObjectName("clear_search")
    action.setToolTip("Clear the search")
    action.triggered.connect(field.clear)
    action.setVisible(bool(field.text()))
    field.textChanged.connect(lambda text: action.setVisible(bool(text)))
    return action
