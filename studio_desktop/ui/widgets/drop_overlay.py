"""A translucent highlight over the window while files are dragged over it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from studio_desktop.ui.theme import current_tones, scaled_font


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
        color = QColor(current_tones().drop_bg)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fill = QColor(color)
        fill.setAlphaF(0.12)
        rect = QRectF(self.rect()).adjusted(10, 10, -10, -10)
        painter.setBrush(fill)
        pen = QPen(color, 2, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawRoundedRect(rect, 14, 14)
        painter.setFont(scaled_font(self.font(), 1.4, bold=True))
        painter.setPen(color)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.text)
        painter.end()
