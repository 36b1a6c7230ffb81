"""A translucent highlight over the window while files are dragged over it, with a zone per
thing the drop can do (see ``ui/drop_choices.py``): the zone under the pointer is highlighted
and is what the drop does."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QWidget

from studio_desktop.ui.drop_choices import DropOption
from studio_desktop.ui.icons import icon
from studio_desktop.ui.theme import current_tones, scaled_font

ICON_SIZE = 48
GAP = 12
MARGIN = 10


class DropOverlay(QWidget):
    """Covers its parent (and follows its size); transparent to the mouse and to drops.
    ``left_inset`` leaves something at the parent's left uncovered by the zones."""

    def __init__(self, parent: QWidget, text: str = "Drop files to open them") -> None:
        super().__init__(parent)
        self.setObjectName("DropOverlay")
        self.text = text
        self.options: list[DropOption] = []
        self.hovered: int = -1
        self.left_inset = 0
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
        self.options = []
        self.hovered = -1
        self._show()

    def show_zones(self, options: Sequence[DropOption], pos: QPoint | None = None) -> None:
        """A zone per option, side by side; ``pos`` (in the parent) picks the hovered one."""
        self.options = list(options)
        self.hovered = -1
        self._show()
        if pos is not None:
            self.hover(pos)

    def _show(self) -> None:
        self.setGeometry(self.parentWidget().rect())
        self.raise_()
        self.show()
        self.update()

    def zone_rects(self) -> list[QRect]:
        """Where each option's zone is, in this widget's (= the parent's) coordinates."""
        count = max(1, len(self.options))
        area = self.rect().adjusted(self.left_inset + MARGIN, MARGIN, -MARGIN, -MARGIN)
        width = (area.width() - GAP * (count - 1)) // count
        return [
            QRect(area.left() + n * (width + GAP), area.top(), width, area.height())
            for n in range(count)
        ]

    def zone_at(self, pos: QPoint) -> DropOption | None:
        """The option whose zone column holds ``pos`` (the gaps and margins belong to the
        nearest zone, so every point of the window chooses one)."""
        if not self.options:
            return None
        rects = self.zone_rects()
        for n, rect in enumerate(rects):
            if pos.x() < rect.right() + GAP // 2 + 1:
                return self.options[n]
        return self.options[-1]

    def hover(self, pos: QPoint) -> None:
        option = self.zone_at(pos)
        index = self.options.index(option) if option is not None else -1
        if index != self.hovered:
            self.hovered = index
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        accent = QColor(current_tones().drop_bg)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        veil = self.palette().color(QPalette.ColorRole.Window)
        veil.setAlphaF(0.98)  # hide what is underneath: the target is the whole window
        painter.fillRect(self.rect(), veil)
        if not self.options:
            rect = QRectF(self.rect()).adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)
            self._paint_zone(painter, rect, "import", (self.text, ""), accent=accent, hovered=True)
        else:
            for n, (option, rect) in enumerate(zip(self.options, self.zone_rects(), strict=True)):
                label = (
                    option.label
                    if len(self.options) > 1
                    else f"Drop to {option.label[0].lower()}{option.label[1:]}"
                )
                self._paint_zone(
                    painter,
                    QRectF(rect),
                    option.icon_name,
                    (label, option.hint),
                    accent=accent,
                    hovered=n == self.hovered or len(self.options) == 1,
                )
        painter.end()

    def _paint_zone(
        self,
        painter: QPainter,
        rect: QRectF,
        icon_name: str,
        texts: tuple[str, str],
        *,
        accent: QColor,
        hovered: bool,
    ) -> None:
        title, hint = texts
        tint = QColor(accent)
        tint.setAlphaF(0.18 if hovered else 0.05)
        painter.setBrush(tint)
        pen_colour = QColor(accent)
        if not hovered:
            pen_colour.setAlphaF(0.55)
        painter.setPen(QPen(pen_colour, 3 if hovered else 2, Qt.PenStyle.DashLine))
        painter.drawRoundedRect(rect, 14, 14)
        side = ICON_SIZE
        center = rect.center()
        icon_rect = QRect(round(center.x() - side / 2), round(center.y() - side - 8), side, side)
        icon(icon_name, tone="accent").paint(painter, icon_rect)
        text_rect = rect.adjusted(12, 0, -12, 0)
        text_rect.setTop(center.y())
        painter.setFont(scaled_font(self.font(), 1.4, bold=True))
        painter.setPen(accent if hovered else self.palette().color(QPalette.ColorRole.WindowText))
        flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
        bounds = painter.boundingRect(text_rect, flags, title)
        painter.drawText(text_rect, flags, title)
        if hint:
            painter.setFont(self.font())
            painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
            hint_rect = QRectF(text_rect)
            hint_rect.setTop(bounds.bottom() + 6)
            painter.drawText(hint_rect, flags, hint)
