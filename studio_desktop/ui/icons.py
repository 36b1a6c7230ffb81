"""The UI's icons: line-art SVGs from ``resources/icons/``, drawn at whatever size and DPI asked.

``icon("history")`` returns a :class:`QIcon` whose engine renders the SVG each time a size is
needed, in the palette's colour at paint time: so icons follow the light/dark theme with no
refresh, are crisp at any device-pixel ratio, and nothing is tied to one screen size. Disabled and
selected states take the palette's disabled and highlighted-text colours. A ``tone`` fixes the
colour to one of the theme's tones (``"error"``, ``"warning"``, ``"success"``, ``"accent"``,
``"muted"``) for status icons.

    button.setIcon(icon("add"))
    pixmap = icon("warning", tone="warning").pixmap(QSize(20, 20), label.devicePixelRatioF())
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QIconEngine, QImage, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from studio_desktop.domain.errors import BugError
from studio_desktop.ui.resource_files import resource_path, resources_root
from studio_desktop.ui.theme import current_tones

TONES = ("accent", "error", "warning", "success", "muted")


@cache
def _svg_source(name: str) -> bytes:
    return resource_path("icons", f"{name}.svg").read_bytes()


def icon_names() -> list[str]:
    """Every icon the resources folder provides."""
    return sorted(p.stem for p in (resources_root() / "icons").glob("*.svg"))


def _color_for(tone: str | None, mode: QIcon.Mode) -> QColor:
    palette = QApplication.palette()
    if mode == QIcon.Mode.Disabled:
        return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    if mode == QIcon.Mode.Selected:
        return palette.color(QPalette.ColorRole.HighlightedText)
    if tone is not None:
        return QColor(getattr(current_tones(), tone))
    return palette.color(QPalette.ColorRole.WindowText)


class SvgIconEngine(QIconEngine):
    """Renders one themed SVG; the colour is looked up when painting, never cached."""

    def __init__(self, name: str, tone: str | None = None) -> None:
        super().__init__()
        self._name = name
        self._tone = tone
        self._source = _svg_source(name)

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        color = _color_for(self._tone, mode).name()
        data = self._source.replace(b"currentColor", color.encode("ascii"))
        renderer = QSvgRenderer(QByteArray(data))
        renderer.setAspectRatioMode(Qt.AspectRatioMode.KeepAspectRatio)
        renderer.render(painter, QRectF(rect))

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        scale = max(scale, 1.0)
        width = max(1, round(size.width() * scale))
        height = max(1, round(size.height() * scale))
        image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.paint(painter, QRect(0, 0, width, height), mode, state)
        painter.end()
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(scale)
        return pixmap

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:
        side = min(size.width(), size.height())
        return QSize(side, side)

    def clone(self) -> QIconEngine:
        return SvgIconEngine(self._name, self._tone)

    def isNull(self) -> bool:
        return False

    def key(self) -> str:
        return "studio-svg"

    def iconName(self) -> str:
        return self._name


def icon(name: str, *, tone: str | None = None) -> QIcon:
    """The named icon (``resources/icons/<name>.svg``), themed; raises BugError if unknown."""
    if tone is not None and tone not in TONES:
        raise BugError(f"unknown icon tone {tone!r}; use one of {', '.join(TONES)}")
    return QIcon(SvgIconEngine(name, tone))


def app_icon() -> QIcon:
    """The application's icon (its own colours; rendered by Qt's SVG icon engine)."""
    return QIcon(str(resource_path("app-icon.svg")))
