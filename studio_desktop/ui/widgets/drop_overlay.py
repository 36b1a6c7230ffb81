"""A translucent highlight over the window while files are dragged over it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QWidget

from studio_desktop.ui.icons import icon
from studio_desktop.ui.theme import current_tones, scaled_font

ICON_SIZE = 48


class DropOverlay(QWidget):
    """Covers its parent (and follows its size); transparent to the mouse and to drops."""

    def __init__(self, parent: QWidget, text: str = "Drop files to open them") -> None:
        super().__init__(parent)
        self.setObjectName("DropOverlay")
        self.text = text
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        parent.installEventFilter(self)
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parentWidget().rect())
        return False

    def show_over_parent(self, text: str | None = None) -> None:
        if text:
            self.text = text
        self.setGeometry(self.parentWidget().rect())
        self.raise_()
        self.show()

    def paintEvent(self, event: QPaintEvent) -> None:
        accent = QColor(current_tones().drop_bg)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        veil = self.palette().color(QPalette.ColorRole.Window)
        veil.setAlphaF(0.94)  # hide what is underneath: the target is the whole window
        painter.fillRect(self.rect(), veil)
        tint = QColor(accent)
        tint.setAlphaF(0.10)
        rect = QRectF(self.rect()).adjusted(10, 10, -10, -10)
        painter.setBrush(tint)
        painter.setPen(QPen(accent, 2, Qt.PenStyle.DashLine))
        painter.drawRoundedRect(rect, 14, 14)

        side = ICON_SIZE
        center = rect.center()
        icon_rect = QRect(round(center.x() - side / 2), round(center.y() - side - 8), side, side)
        icon("import", tone="accent").paint(painter, icon_rect)
        painter.setFont(scaled_font(self.font(), 1.4, bold=True))
        painter.setPen(accent)
        text_rect = QRectF(rect.left(), center.y(), rect.width(), rect.height() / 2 - 10)
        painter.drawText(
            text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, self.text
        )
        painter.end()
