"""The status bar's busy indicator: a label and an indeterminate bar while operations run.

``ui/operations.py`` calls :meth:`begin` when an operation starts and :meth:`end` with the token
when it finishes; several can overlap (the latest label is shown, the count in the tooltip). While
anything runs the cursor is Qt's *busy* cursor (an arrow with a spinner: the window stays usable).
The cursor belongs to the whole application, so an indicator destroyed while operations still run
(its window closed mid-work) gives it back: it never outlives the window that asked for it.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import count

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QWidget,
)


class BusyIndicator(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("BusyIndicator")
        self._running: dict[int, str] = {}
        self._tokens = count(1)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        self.label = QLabel(self)
        self.label.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 0)
        self.bar.setTextVisible(False)
        self.bar.setFixedWidth(96)
        self.bar.setMaximumHeight(12)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 8, 0)
        layout.setSpacing(8)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        self.hide()
        self.destroyed.connect(_give_back_cursor(self._running))

    @property
    def running(self) -> list[str]:
        """Labels of the operations in progress, oldest first."""
        return list(self._running.values())

    def begin(self, label: str) -> int:
        token = next(self._tokens)
        if not self._running:
            QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
        self._running[token] = label
        self._refresh()
        return token

    def end(self, token: int) -> None:
        if self._running.pop(token, None) is None:
            return
        if not self._running:
            QApplication.restoreOverrideCursor()
        self._refresh()

    def _refresh(self) -> None:
        if not self._running:
            self.hide()
            return
        labels = list(self._running.values())
        self.label.setText(labels[-1])
        self.setToolTip("\n".join(labels))
        self.show()


def _give_back_cursor(running: dict[int, str]) -> Callable[..., None]:
    """A closure that needs no ``self`` (``destroyed`` fires when the Python side may be gone):
    restores the busy cursor if operations were still running when the indicator went."""

    def give_back(*_args: object) -> None:
        if running:
            running.clear()
            QApplication.restoreOverrideCursor()

    return give_back
