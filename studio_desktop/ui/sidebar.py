"""The left side bar: one icon-over-label button per area (History, Profiles, Canvas)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QFrame, QToolButton, QVBoxLayout, QWidget

from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.icons import icon

WIDTH = 84


class SideBar(QFrame):
    area_selected = Signal(str)  # an AreaKey value

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SideBar")
        self.setFixedWidth(WIDTH)
        self.buttons: dict[AreaKey, QToolButton] = {}
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 10, 8, 10)
        layout.setSpacing(4)
        for key in AreaKey:
            button = QToolButton(self)
            button.setObjectName(f"sidebar_{key.value}")
            button.setText(key.label)
            button.setIcon(icon(key.icon_name))
            button.setIconSize(QSize(24, 24))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.setToolTip(f"{key.label} ({key.shortcut})\n{key.description}")
            button.setAccessibleName(key.label)
            button.setFixedWidth(WIDTH - 16)
            button.setMinimumHeight(58)
            button.clicked.connect(lambda _checked=False, k=key: self.area_selected.emit(k.value))
            self._group.addButton(button)
            layout.addWidget(button)
            self.buttons[key] = button
        layout.addStretch(1)

    def set_current(self, key: AreaKey) -> None:
        self.buttons[key].setChecked(True)

    def current(self) -> AreaKey | None:
        for key, button in self.buttons.items():
            if button.isChecked():
                return key
        return None
