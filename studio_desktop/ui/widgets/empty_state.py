"""What an area shows when it has nothing yet: a large icon, a title and one sentence."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from studio_desktop.ui.icons import icon
from studio_desktop.ui.theme import scaled_font

ICON_SIZE = 56
TEXT_WIDTH = 420


class EmptyState(QWidget):
    def __init__(
        self, icon_name: str, title: str, text: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("EmptyState")
        self._icon_name = icon_name
        self.icon_label = QLabel(self)
        self.icon_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title_label = QLabel(title, self)
        self.title_label.setObjectName("EmptyStateTitle")
        self.title_label.setFont(scaled_font(self.font(), 1.35, bold=True))
        self.title_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text_label = QLabel(text, self)
        self.text_label.setObjectName("EmptyStateText")
        self.text_label.setWordWrap(True)
        self.text_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text_label.setFixedWidth(TEXT_WIDTH)  # a comfortable measure for a sentence

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.setSpacing(10)
        layout.addStretch(1)
        layout.addWidget(self.icon_label, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(4)
        layout.addWidget(self.title_label, 0, Qt.AlignmentFlag.AlignHCenter)
        # Centred by stretches, not by an alignment flag: aligned items lose height-for-width
        # and a wrapped label would be cut to one line.
        text_row = QHBoxLayout()
        text_row.addStretch(1)
        text_row.addWidget(self.text_label)
        text_row.addStretch(1)
        layout.addLayout(text_row)
        layout.addStretch(1)
        self._refresh_icon()

    def _refresh_icon(self) -> None:
        self.icon_label.setPixmap(
            icon(self._icon_name, tone="muted").pixmap(
                QSize(ICON_SIZE, ICON_SIZE), self.devicePixelRatioF()
            )
        )

    def changeEvent(self, event: QEvent) -> None:
        """The icon is a pixmap: redraw it when the palette or the pixel ratio changes."""
        super().changeEvent(event)
        if event.type() in _REDRAW_EVENTS:
            self._refresh_icon()


_REDRAW_EVENTS = (
    QEvent.Type.PaletteChange,
    QEvent.Type.StyleChange,
    QEvent.Type.DevicePixelRatioChange,
)
