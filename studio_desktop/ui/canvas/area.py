"""The Canvas area's shell: an empty state until Magic Canvas (issue 6) fills it."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from studio_desktop.ui.areas import AreaKey, AreaWidget
from studio_desktop.ui.widgets.empty_state import EmptyState


class CanvasArea(AreaWidget):
    area_key = AreaKey.CANVAS

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.empty_state = EmptyState(
            "canvas",
            "Start a creation",
            "Drop an image anywhere to start a creation, paint a mask over what should change, "
            "and describe the edit in the chat.",
            self,
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty_state)
