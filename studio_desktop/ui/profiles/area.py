"""The Profiles area's shell: an empty state until the profile manager (issue 5) fills it."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from studio_desktop.ui.areas import AreaKey, AreaWidget
from studio_desktop.ui.widgets.empty_state import EmptyState


class ProfilesArea(AreaWidget):
    area_key = AreaKey.PROFILES

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.empty_state = EmptyState(
            "profiles",
            "No model profiles yet",
            "A profile describes a model: name, gender, skin tone, region, background and a "
            "reference image. Create one to build product packs on it.",
            self,
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty_state)
