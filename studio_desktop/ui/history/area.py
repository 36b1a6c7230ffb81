"""The History area's shell: an empty state until the feed (issue 5) fills it."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from studio_desktop.ui.areas import AreaKey, AreaWidget
from studio_desktop.ui.widgets.empty_state import EmptyState


class HistoryArea(AreaWidget):
    area_key = AreaKey.HISTORY

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.empty_state = EmptyState(
            "history",
            "No jobs yet",
            "Every image you generate or edit appears here, newest first. Drop an image anywhere "
            "in the window to start a creation.",
            self,
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty_state)
