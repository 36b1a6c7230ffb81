"""The canvas view: the image large, the mask painted over it, zoom, pan and compare.

Painting is built for big images: a brush segment rasterises into the mask (``MaskLayer``) and
asks Qt to repaint only the segment's box in widget coordinates (plus the brush outline's old
and new places). A paint draws, for the dirty region only, the image from the pyramid level
closest to the zoom and the mask overlay from the matching rows of the mask array, sampled at
about one value per screen pixel (so a 4096 px mask at 20 % costs what the screen shows).

Mouse: left-drag paints with the current tool, right-drag erases, middle-drag or Space+drag
pans, wheel zooms around the cursor, Alt+wheel sizes the brush, Ctrl+drag takes the shown image
out as a file. With a selection tool (wand, colour range, object) a click (or, for the object
tool, a dragged box) asks the area for a selection (``selection_requested``; Alt held:
subtract). Keys (while the view has focus):
hold Space to pan, hold ``\\`` to see the version before. The area's actions carry the other
shortcuts ([ ] B E X M, Ctrl+0, Ctrl+Alt+0, Y).

Compare: ``HOLD`` shows the other version instead of the current one (while ``\\`` is held);
``SPLIT`` shows the other version left of a divider and the current one right of it; drag the
divider to move it. The mask is not painted (and cannot be) while comparing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QCursor,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QFocusEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from studio_desktop.ui.canvas.drop_rules import DropPlan, DropTarget
from studio_desktop.ui.canvas.images import DisplayImage
from studio_desktop.ui.canvas.mask_layer import MAX_BRUSH, MIN_BRUSH, MaskDiff, MaskLayer
from studio_desktop.ui.drop import accept_copy
from studio_desktop.ui.theme import current_tones, scaled_font

MIN_ZOOM = 0.01
MAX_ZOOM = 32.0
FIT_MARGIN = 16
MASK_BAND = 72  # height of the "use as mask" drop band, in widget pixels
OVERLAY_COLOUR = QColor(255, 40, 100)
OVERLAY_OPACITY = 0.5
DEFAULT_BRUSH = 48


class Tool(StrEnum):
    BRUSH = "brush"
    ERASER = "eraser"
    WAND = "wand"
    COLOUR_RANGE = "colour-range"
    OBJECT = "object"

    @property
    def selects(self) -> bool:
        """A click (or, for OBJECT, a drag) picks a region instead of painting."""
        return self in (Tool.WAND, Tool.COLOUR_RANGE, Tool.OBJECT)


@dataclass(frozen=True, slots=True)
class SelectionRequest:
    """A click or box of an assisted selection tool, in image pixels."""

    tool: Tool
    point: tuple[int, int]
    box: tuple[int, int, int, int] | None  # x, y, width, height (OBJECT dragged)
    subtract: bool  # Alt held: take from the mask instead of adding


class CompareMode(Enum):
    OFF = "off"
    HOLD = "hold"
    SPLIT = "split"


DropClassifier = Callable[[list[Path], bool, bool, bool], DropPlan | None]
"""(paths, alt, shift, on_mask_band) -> the plan, or None to refuse the drag."""


def _overlay_lut(colour: QColor, opacity: float) -> np.ndarray:
    """Mask value -> premultiplied ARGB32 pixel of the overlay colour at ``opacity``."""
    alpha = np.arange(256, dtype=np.float64) / 255.0 * opacity
    a = np.round(alpha * 255).astype(np.uint32)
    r = np.round(colour.red() * alpha).astype(np.uint32)
    g = np.round(colour.green() * alpha).astype(np.uint32)
    b = np.round(colour.blue() * alpha).astype(np.uint32)
    return (a << 24) | (r << 16) | (g << 8) | b


def _cosmetic(colour: QColor) -> QPen:
    pen = QPen(colour, 1.0)
    pen.setCosmetic(True)
    return pen


def _checker() -> QPixmap:
    tile = QPixmap(16, 16)
    tile.fill(QColor(204, 204, 204))
    painter = QPainter(tile)
    painter.fillRect(0, 0, 8, 8, QColor(240, 240, 240))
    painter.fillRect(8, 8, 8, 8, QColor(240, 240, 240))
    painter.end()
    return tile


class MaskCanvas(QWidget):
    #: Keys held rather than pressed (see ``keyPressEvent``), for Help ▸ Keyboard shortcuts.
    KEY_HINTS = (
        ("Space", "Hold and drag to move the image"),
        ("\\", "Hold to see the version before"),
    )
    stroke_finished = Signal(object)  # MaskDiff of the stroke just ended
    zoom_changed = Signal(float)
    brush_size_changed = Signal(int)
    tool_changed = Signal(str)
    mask_visibility_changed = Signal(bool)
    compare_changed = Signal(str)  # CompareMode value
    files_dropped = Signal(object)  # DropPlan
    selection_requested = Signal(object)  # SelectionRequest
    #: A drag of the shown image out of the view started (left button with Ctrl held).
    drag_out_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MaskCanvas")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(240, 200)
        self._image: DisplayImage | None = None
        self._layer: MaskLayer | None = None
        self._other: DisplayImage | None = None
        self._other_label = ""
        self._current_label = ""
        self._zoom = 1.0
        self._offset = QPointF(0.0, 0.0)
        self._fit_mode = True
        self._tool = Tool.BRUSH
        self._brush = DEFAULT_BRUSH
        self._mask_visible = True
        self._lut = _overlay_lut(OVERLAY_COLOUR, OVERLAY_OPACITY)
        self._cursor: QPointF | None = None
        self._stroke_erase: bool | None = None
        self._stroke_button = Qt.MouseButton.NoButton
        self._last: QPointF = QPointF()
        self._pan_anchor: QPointF | None = None
        self._space = False
        self._compare = CompareMode.OFF
        self._split = 0.5
        self._dragging_divider = False
        self._drop: DropPlan | None = None
        self._drop_band_hot = False
        self._placeholder = ""
        self._checker = QBrush(_checker())
        self.drop_classifier: DropClassifier | None = None
        self._select_start: QPointF | None = None  # image point where a selection click began
        self._select_box: QRectF | None = None  # the OBJECT box being dragged (image pixels)
        self._select_subtract = False
        self._refined = QPainterPath()  # the refined mask's outline (image pixels)
        self._refined_alpha: np.ndarray | None = None
        self._status = ""
        self._note = ""
        self._other_before = True
        self._drag_start: QPointF | None = None
        #: The widget rectangle the last mouse move asked to repaint (benchmarks read it).
        self.last_dirty = QRect()

    # ================================================================ content
    @property
    def image(self) -> DisplayImage | None:
        return self._image

    @property
    def layer(self) -> MaskLayer | None:
        return self._layer

    def set_image(
        self, image: DisplayImage | None, layer: MaskLayer | None, *, keep_view: bool = False
    ) -> None:
        """Show ``image`` with ``layer`` as its mask (same size). ``keep_view`` keeps zoom and
        pan (a new version of the same image); otherwise the image is fitted."""
        if self._layer is not None and self._layer.in_stroke:
            self._finish_stroke()
        same_size = (
            image is not None
            and self._image is not None
            and (image.width, image.height) == (self._image.width, self._image.height)
        )
        self._image = image
        self._layer = layer
        self._placeholder = ""
        if image is None or not (keep_view and same_size):
            self._fit_mode = True
            self._apply_fit()
        self.update()

    def set_layer(self, layer: MaskLayer | None) -> None:
        self._layer = layer
        self.update()

    def set_placeholder(self, text: str) -> None:
        """A sentence shown instead of the image (loading, or why it cannot be shown)."""
        self._placeholder = text
        self.update()

    def set_other(
        self,
        image: DisplayImage | None,
        label: str = "",
        current_label: str = "",
        *,
        before: bool = True,
    ) -> None:
        """The version compared against (shown while comparing), and the labels of both.
        ``before``: the other version is the older one (left of the divider); otherwise it
        goes right of it, so side by side always reads old | new."""
        self._other = image
        self._other_label = label
        self._current_label = current_label
        self._other_before = before
        if image is None and self._compare is not CompareMode.OFF:
            self.set_compare(CompareMode.OFF)
        self.update()

    @property
    def other(self) -> DisplayImage | None:
        return self._other

    def image_rect_changed(self, rect: QRect) -> None:
        """Repaint what covers ``rect`` of the image (after undo/redo changed the mask)."""
        if rect.isEmpty():
            return
        self.update(self._widget_rect(rect))

    def set_refined_outline(
        self,
        polygons: Sequence[Sequence[tuple[float, float]]],
        alpha: np.ndarray | None = None,
    ) -> None:
        """The outline of the refined ("snapped") mask, drawn over the painted one; polygons in
        image pixels. With the refined ``alpha`` (the mask's size), the painted area it leaves
        out is tinted faintly, so the designer sees what snapping drops. An empty list hides
        both."""
        self._refined_alpha = alpha if polygons else None
        path = QPainterPath()
        for polygon in polygons:
            if len(polygon) < 2:
                continue
            path.moveTo(*polygon[0])
            for x, y in polygon[1:]:
                path.lineTo(x, y)
            path.closeSubpath()
        self._refined = path
        self.update()

    @property
    def refined_outline(self) -> QPainterPath:
        return QPainterPath(self._refined)

    def set_status(self, text: str) -> None:
        """A short note drawn at the view's bottom left (e.g. "Snapping to edges… 40 %")."""
        if text != self._status:
            self._status = text
            self.update()

    @property
    def status(self) -> str:
        return self._status

    def set_note(self, text: str) -> None:
        """A line drawn at the view's top (e.g. which version is viewed)."""
        if text != self._note:
            self._note = text
            self.update()

    @property
    def note(self) -> str:
        return self._note

    # ================================================================ tools
    @property
    def tool(self) -> Tool:
        return self._tool

    def set_tool(self, tool: Tool) -> None:
        if tool is not self._tool:
            self._tool = Tool(tool)
            self._select_start = None
            self._select_box = None
            self.tool_changed.emit(self._tool.value)
            self._refresh_cursor()
            self.update()

    @property
    def brush_size(self) -> int:
        return self._brush

    def set_brush_size(self, size: float) -> None:
        size = max(MIN_BRUSH, min(MAX_BRUSH, round(size)))
        if size == self._brush:
            return
        old = self._outline_rect()
        self._brush = size
        self.brush_size_changed.emit(size)
        self.update(old.united(self._outline_rect()))

    def step_brush(self, direction: int) -> None:
        """``]`` / ``[``: about 15 % bigger or smaller, at least one pixel."""
        step = max(1, round(self._brush * 0.15))
        self.set_brush_size(self._brush + step * (1 if direction > 0 else -1))

    @property
    def mask_visible(self) -> bool:
        return self._mask_visible

    def set_mask_visible(self, visible: bool) -> None:
        if visible != self._mask_visible:
            self._mask_visible = visible
            self.mask_visibility_changed.emit(visible)
            self.update()

    # ================================================================ compare
    @property
    def compare_mode(self) -> CompareMode:
        return self._compare

    def set_compare(self, mode: CompareMode) -> None:
        if mode is not CompareMode.OFF and self._other is None:
            mode = CompareMode.OFF
        if mode is self._compare:
            return
        if self._layer is not None and self._layer.in_stroke:
            self._finish_stroke()
        self._compare = mode
        self.compare_changed.emit(mode.value)
        self._refresh_cursor()
        self.update()

    @property
    def split(self) -> float:
        """Where the divider is, as a fraction of the image's width."""
        return self._split

    def set_split(self, fraction: float) -> None:
        self._split = max(0.0, min(1.0, fraction))
        self.update()

    # ================================================================ zoom and pan
    @property
    def zoom(self) -> float:
        return self._zoom

    @property
    def offset(self) -> QPointF:
        return QPointF(self._offset)

    def widget_to_image(self, point: QPointF) -> QPointF:
        return QPointF(
            (point.x() - self._offset.x()) / self._zoom, (point.y() - self._offset.y()) / self._zoom
        )

    def image_to_widget(self, point: QPointF) -> QPointF:
        return QPointF(
            point.x() * self._zoom + self._offset.x(), point.y() * self._zoom + self._offset.y()
        )

    def fit(self) -> None:
        self._fit_mode = True
        self._apply_fit()
        self.update()

    def actual_size(self) -> None:
        """100 %: one image pixel per screen pixel, keeping the centre of the view."""
        self.set_zoom(1.0, QPointF(self.width() / 2.0, self.height() / 2.0))

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        centre = anchor or QPointF(self.width() / 2.0, self.height() / 2.0)
        self.set_zoom(self._zoom * factor, centre)

    def set_zoom(self, zoom: float, anchor: QPointF) -> None:
        """Zoom to ``zoom`` keeping the image point under ``anchor`` (widget) where it is."""
        zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        if self._image is None:
            return
        fixed = self.widget_to_image(anchor)
        self._zoom = zoom
        self._offset = QPointF(anchor.x() - fixed.x() * zoom, anchor.y() - fixed.y() * zoom)
        self._fit_mode = False
        self.zoom_changed.emit(zoom)
        self.update()

    def pan_by(self, dx: float, dy: float) -> None:
        self._offset += QPointF(dx, dy)
        self._fit_mode = False
        self.update()

    def _apply_fit(self) -> None:
        if self._image is None:
            return
        width = max(1, self.width() - 2 * FIT_MARGIN)
        height = max(1, self.height() - 2 * FIT_MARGIN)
        zoom = min(width / self._image.width, height / self._image.height)
        zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        self._zoom = zoom
        self._offset = QPointF(
            (self.width() - self._image.width * zoom) / 2.0,
            (self.height() - self._image.height * zoom) / 2.0,
        )
        self.zoom_changed.emit(zoom)

    def resizeEvent(self, event: QResizeEvent) -> None:
        if self._fit_mode:
            self._apply_fit()
        super().resizeEvent(event)

    # ================================================================ geometry helpers
    def _image_target(self) -> QRectF:
        assert self._image is not None
        return QRectF(
            self._offset.x(),
            self._offset.y(),
            self._image.width * self._zoom,
            self._image.height * self._zoom,
        )

    def _widget_rect(self, rect: QRect) -> QRect:
        """The widget pixels covering image ``rect`` (rounded outwards, with a margin)."""
        z = self._zoom
        left = math.floor(rect.x() * z + self._offset.x()) - 2
        top = math.floor(rect.y() * z + self._offset.y()) - 2
        right = math.ceil((rect.x() + rect.width()) * z + self._offset.x()) + 2
        bottom = math.ceil((rect.y() + rect.height()) * z + self._offset.y()) + 2
        return QRect(left, top, right - left, bottom - top)

    def _outline_rect(self) -> QRect:
        if self._cursor is None:
            return QRect()
        r = max(2.0, self._brush * self._zoom / 2.0) + 3
        c = self._cursor
        return QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r).toAlignedRect()

    def _update_cursor_outline(self) -> None:
        self.update(self._outline_rect())

    # ================================================================ painting
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        region = event.rect()
        painter.fillRect(region, self._background())
        if self._image is None:
            if self._placeholder:
                self._paint_placeholder(painter)
            if self._drop is not None:
                self._paint_drop(painter)
            painter.end()
            return
        target = self._image_target()
        visible = target.intersected(QRectF(region))
        if not visible.isEmpty():
            if self._image.image.hasAlphaChannel():
                painter.fillRect(visible, self._checker)
            if self._compare is CompareMode.HOLD and self._other is not None:
                self._paint_image(painter, self._other, visible, target)
            elif self._compare is CompareMode.SPLIT and self._other is not None:
                divider = target.left() + target.width() * self._split
                left = visible.intersected(
                    QRectF(target.left(), target.top(), divider - target.left(), target.height())
                )
                right = visible.intersected(
                    QRectF(divider, target.top(), target.right() - divider, target.height())
                )
                older, newer = (
                    (self._other, self._image) if self._other_before else (self._image, self._other)
                )
                if not left.isEmpty():
                    self._paint_image(painter, older, left, target)
                if not right.isEmpty():
                    self._paint_image(painter, newer, right, target)
            else:
                self._paint_image(painter, self._image, visible, target)
                if self._mask_visible and self._layer is not None:
                    self._paint_mask(painter, visible)
                    self._paint_refined(painter)
        if self._compare is not CompareMode.OFF and self._other is not None:
            self._paint_compare_marks(painter, target)
        elif self._select_box is not None:
            self._paint_select_box(painter)
        elif (
            self._cursor is not None
            and self._pan_anchor is None
            and not self._space
            and not self._tool.selects
        ):
            self._paint_outline(painter)
        if self._status:
            self._tag(painter, self._status, QPointF(10, self.height() - 40))
        if self._note and self._compare is CompareMode.OFF:
            self._tag(painter, self._elided(painter, self._note), QPointF(10, 10))
        if self._drop is not None:
            self._paint_drop(painter)
        painter.end()

    def _background(self) -> QColor:
        base = self.palette().color(QPalette.ColorRole.Window)
        return base.darker(112) if base.lightness() > 128 else base.darker(135)

    def _paint_image(
        self, painter: QPainter, image: DisplayImage, dest: QRectF, target: QRectF
    ) -> None:
        """Draw the part of ``image`` that falls in ``dest`` when the whole image covers
        ``target`` (an image of another size than the current one is stretched to it)."""
        zoom = target.width() / image.width
        scale, level = image.level_for(zoom)
        sx = (dest.left() - target.left()) / zoom * scale
        sy = (dest.top() - target.top()) / zoom * scale
        source = QRectF(sx, sy, dest.width() / zoom * scale, dest.height() / zoom * scale)
        painter.setRenderHint(
            QPainter.RenderHint.SmoothPixmapTransform, zoom / scale < 2.0 and zoom / scale != 1.0
        )
        painter.drawImage(dest, level, source)

    def _paint_mask(self, painter: QPainter, dest: QRectF) -> None:
        layer = self._layer
        assert layer is not None
        z = self._zoom
        step = max(1, int(1.0 / z)) if z < 1.0 else 1
        # The image pixels under ``dest``, widened by one sample and aligned to the sampling
        # grid (so regions repainted at different times sample the same pixels: no seams).
        x0 = (dest.left() - self._offset.x()) / z
        y0 = (dest.top() - self._offset.y()) / z
        x1 = (dest.right() - self._offset.x()) / z
        y1 = (dest.bottom() - self._offset.y()) / z
        ix0 = max(0, (math.floor(x0) // step - 1) * step)
        iy0 = max(0, (math.floor(y0) // step - 1) * step)
        ix1 = min(layer.width, math.ceil(x1) + step)
        iy1 = min(layer.height, math.ceil(y1) + step)
        if ix1 <= ix0 or iy1 <= iy0:
            return
        sample = layer.array[iy0:iy1:step, ix0:ix1:step]
        if not sample.any():
            return
        refined = self._refined_alpha
        if refined is not None and refined.shape == layer.array.shape:
            # Snapped: the refined area strong, what it leaves of the painting faint.
            sample = np.maximum(refined[iy0:iy1:step, ix0:ix1:step], sample // 3)
        pixels = self._lut[sample]  # uint32 premultiplied ARGB, contiguous
        height, width = pixels.shape
        overlay = QImage(
            pixels.data, width, height, width * 4, QImage.Format.Format_ARGB32_Premultiplied
        )
        drawn = QRectF(
            ix0 * z + self._offset.x(),
            iy0 * z + self._offset.y(),
            width * step * z,
            height * step * z,
        )
        painter.save()
        painter.setClipRect(dest)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, step * z < 2.0)
        painter.drawImage(drawn, overlay)
        painter.restore()

    def _paint_refined(self, painter: QPainter) -> None:
        """The refined mask's edge: a dark and a light cosmetic line (seen on any picture)."""
        if self._refined.isEmpty():
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(self._offset)
        painter.scale(self._zoom, self._zoom)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        wide = _cosmetic(QColor(0, 0, 0, 170))
        wide.setWidthF(3.0)
        painter.setPen(wide)
        painter.drawPath(self._refined)
        light = _cosmetic(QColor(80, 230, 255))
        light.setWidthF(1.5)
        painter.setPen(light)
        painter.drawPath(self._refined)
        painter.restore()

    def _paint_select_box(self, painter: QPainter) -> None:
        box = self._select_box
        assert box is not None
        top_left = self.image_to_widget(box.topLeft())
        bottom_right = self.image_to_widget(box.bottomRight())
        rect = QRectF(top_left, bottom_right).normalized()
        painter.save()
        painter.setBrush(QColor(80, 230, 255, 24))
        painter.setPen(_cosmetic(QColor(0, 0, 0, 160)))
        painter.drawRect(rect.adjusted(-1, -1, 1, 1))
        dashed = _cosmetic(QColor(255, 255, 255))
        dashed.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(dashed)
        painter.drawRect(rect)
        painter.restore()

    def _paint_outline(self, painter: QPainter) -> None:
        c = self._cursor
        assert c is not None
        r = max(1.0, self._brush * self._zoom / 2.0)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        # Cosmetic (one screen pixel) pens: stroking a wide pen round a 600 px circle costs
        # nearly a millisecond, a cosmetic one a twentieth of that. A dark ring either side of
        # the light one keeps the outline visible on light and dark pixels alike.
        dark = _cosmetic(QColor(0, 0, 0, 140))
        painter.setPen(dark)
        painter.drawEllipse(c, r + 1.0, r + 1.0)
        if r > 2.0:
            painter.drawEllipse(c, r - 1.0, r - 1.0)
        light = _cosmetic(QColor(255, 255, 255))
        if self._tool is Tool.ERASER:
            light.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(light)
        painter.drawEllipse(c, r, r)
        # A small cross at the centre: the exact spot, even for a large brush.
        painter.drawLine(QPointF(c.x() - 3, c.y()), QPointF(c.x() + 3, c.y()))
        painter.drawLine(QPointF(c.x(), c.y() - 3), QPointF(c.x(), c.y() + 3))
        painter.restore()

    def _paint_compare_marks(self, painter: QPainter, target: QRectF) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = scaled_font(self.font(), 0.95, bold=True)
        painter.setFont(font)
        if self._compare is CompareMode.SPLIT:
            x = target.left() + target.width() * self._split
            top = max(0.0, target.top())
            bottom = min(float(self.height()), target.bottom())
            painter.setPen(QPen(QColor(0, 0, 0, 120), 3))
            painter.drawLine(QPointF(x, top), QPointF(x, bottom))
            painter.setPen(QPen(QColor(255, 255, 255), 1.5))
            painter.drawLine(QPointF(x, top), QPointF(x, bottom))
            handle = QRectF(x - 12, (top + bottom) / 2 - 12, 24, 24)
            painter.setBrush(QColor(255, 255, 255))
            painter.setPen(QPen(QColor(0, 0, 0, 120), 1))
            painter.drawEllipse(handle)
            painter.setPen(QPen(QColor(40, 40, 40), 1.6))
            cy = handle.center().y()
            painter.drawLine(QPointF(x - 6, cy), QPointF(x - 2, cy - 4))
            painter.drawLine(QPointF(x - 6, cy), QPointF(x - 2, cy + 4))
            painter.drawLine(QPointF(x + 6, cy), QPointF(x + 2, cy - 4))
            painter.drawLine(QPointF(x + 6, cy), QPointF(x + 2, cy + 4))
            left_label, right_label = (
                (self._other_label, self._current_label)
                if self._other_before
                else (self._current_label, self._other_label)
            )
            self._tag(painter, left_label, QPointF(x - 10, top + 10), right_aligned=True)
            self._tag(painter, right_label, QPointF(x + 10, top + 10))
        else:
            self._tag(painter, self._other_label, QPointF(max(10.0, target.left() + 10), 10))
        painter.restore()

    def _tag(
        self, painter: QPainter, text: str, at: QPointF, *, right_aligned: bool = False
    ) -> None:
        if not text:
            return
        metrics = painter.fontMetrics()
        width = metrics.horizontalAdvance(text) + 16
        height = metrics.height() + 8
        left = at.x() - width if right_aligned else at.x()
        box = QRectF(left, at.y(), width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(20, 20, 24, 190))
        painter.drawRoundedRect(box, 6, 6)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _elided(self, painter: QPainter, text: str) -> str:
        return painter.fontMetrics().elidedText(
            text, Qt.TextElideMode.ElideRight, max(40, self.width() - 40)
        )

    def _paint_placeholder(self, painter: QPainter) -> None:
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(
            QRectF(self.rect()).adjusted(24, 24, -24, -24),
            Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
            self._placeholder,
        )

    def _paint_drop(self, painter: QPainter) -> None:
        plan = self._drop
        assert plan is not None
        accent = QColor(current_tones().drop_bg)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        veil = self.palette().color(QPalette.ColorRole.Window)
        veil.setAlphaF(0.82)
        painter.fillRect(self.rect(), veil)
        area = QRectF(self.rect()).adjusted(10, 10, -10, -10)
        show_band = self._image is not None
        if show_band:
            area.setBottom(area.bottom() - MASK_BAND - 8)
        tint = QColor(accent)
        tint.setAlphaF(0.10 if plan.target is not DropTarget.MASK or self._drop_band_hot else 0.2)
        painter.setBrush(tint)
        painter.setPen(QPen(accent, 2, Qt.PenStyle.DashLine))
        painter.drawRoundedRect(area, 12, 12)
        painter.setFont(scaled_font(self.font(), 1.25, bold=True))
        colour = QColor(current_tones().error) if plan.target is DropTarget.NONE else accent
        painter.setPen(colour)
        painter.drawText(
            area.adjusted(16, 16, -16, -16),
            Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
            plan.text,
        )
        if show_band:
            band = self._mask_band()
            hot = QColor(accent)
            hot.setAlphaF(0.28 if self._drop_band_hot else 0.08)
            painter.setBrush(hot)
            painter.setPen(QPen(accent, 2, Qt.PenStyle.DashLine))
            painter.drawRoundedRect(QRectF(band), 12, 12)
            painter.setFont(scaled_font(self.font(), 1.05, bold=True))
            painter.setPen(accent)
            painter.drawText(
                QRectF(band), Qt.AlignmentFlag.AlignCenter, "Drop here to use it as the mask"
            )
        painter.restore()

    def _mask_band(self) -> QRect:
        return QRect(10, self.height() - 10 - MASK_BAND, self.width() - 20, MASK_BAND)

    # ================================================================ mouse
    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        pos = event.position()
        button = event.button()
        if self._image is None:
            return
        if button == Qt.MouseButton.MiddleButton or (
            button == Qt.MouseButton.LeftButton and self._space
        ):
            self._pan_anchor = pos
            self._refresh_cursor()
            return
        if self._compare is CompareMode.SPLIT and button == Qt.MouseButton.LeftButton:
            self._dragging_divider = True
            self._move_divider(pos)
            return
        if self._compare is not CompareMode.OFF or self._layer is None:
            if button == Qt.MouseButton.LeftButton and self._compare is CompareMode.OFF:
                self._drag_start = pos  # no mask to paint: a drag takes the image out
            return
        if (
            button == Qt.MouseButton.LeftButton
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self._drag_start = pos  # Ctrl+drag takes the shown image out as a file
            return
        if self._tool.selects and button == Qt.MouseButton.LeftButton:
            self._select_start = self.widget_to_image(pos)
            self._select_subtract = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
            return
        if button not in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            return
        if self._stroke_erase is not None:
            return  # a second button during a stroke: keep the first one's stroke
        self._stroke_erase = self._tool is Tool.ERASER or button == Qt.MouseButton.RightButton
        self._stroke_button = button
        self._layer.begin_stroke()
        self._last = self.widget_to_image(pos)
        rect = self._layer.paint_segment(self._last, self._last, self._brush, self._stroke_erase)
        self._cursor = pos
        dirty = (
            self._widget_rect(rect).united(self._outline_rect())
            if not rect.isEmpty()
            else (self._outline_rect())
        )
        self.last_dirty = dirty
        self.update(dirty)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._pan_anchor is not None:
            delta = pos - self._pan_anchor
            self._pan_anchor = pos
            self.pan_by(delta.x(), delta.y())
            return
        if self._dragging_divider:
            self._move_divider(pos)
            return
        if self._drag_start is not None:
            if (pos - self._drag_start).manhattanLength() >= 8:
                self._drag_start = None
                self.drag_out_requested.emit()
            return
        if self._select_start is not None:
            if self._tool is Tool.OBJECT:
                self._select_box = QRectF(self._select_start, self.widget_to_image(pos))
                self.update()
            return
        dirty = self._outline_rect()
        self._cursor = pos
        if self._stroke_erase is not None and self._layer is not None:
            point = self.widget_to_image(pos)
            rect = self._layer.paint_segment(self._last, point, self._brush, self._stroke_erase)
            self._last = point
            if not rect.isEmpty():
                dirty = dirty.united(self._widget_rect(rect))
        dirty = dirty.united(self._outline_rect())
        self.last_dirty = dirty
        self.update(dirty)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_anchor is not None and event.button() in (
            Qt.MouseButton.MiddleButton,
            Qt.MouseButton.LeftButton,
        ):
            self._pan_anchor = None
            self._refresh_cursor()
            self.update(self._outline_rect())
            return
        if self._dragging_divider and event.button() == Qt.MouseButton.LeftButton:
            self._dragging_divider = False
            return
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_start = None
        if self._select_start is not None and event.button() == Qt.MouseButton.LeftButton:
            self._finish_selection(event)
            return
        if self._stroke_erase is not None and event.button() == self._stroke_button:
            self._finish_stroke()

    def _finish_stroke(self) -> None:
        self._stroke_erase = None
        self._stroke_button = Qt.MouseButton.NoButton
        if self._layer is None:
            return
        diff: MaskDiff | None = self._layer.end_stroke()
        if diff is not None:
            self.stroke_finished.emit(diff)

    def _finish_selection(self, event: QMouseEvent) -> None:
        start = self._select_start
        assert start is not None
        end = self.widget_to_image(event.position())
        self._select_start = None
        self._select_box = None
        self.update()
        image = self._image
        if image is None:
            return
        subtract = self._select_subtract or bool(
            event.modifiers() & Qt.KeyboardModifier.AltModifier
        )
        box = None
        if self._tool is Tool.OBJECT:
            rect = QRectF(start, end).normalized()
            # A drag of a few screen pixels is a click.
            if rect.width() * self._zoom >= 6 and rect.height() * self._zoom >= 6:
                box = (
                    math.floor(rect.left()),
                    math.floor(rect.top()),
                    math.ceil(rect.width()),
                    math.ceil(rect.height()),
                )
        x, y = math.floor(start.x()), math.floor(start.y())
        if box is None and not (0 <= x < image.width and 0 <= y < image.height):
            return  # a click beside the picture picks nothing
        x = min(max(0, x), image.width - 1)
        y = min(max(0, y), image.height - 1)
        self.selection_requested.emit(SelectionRequest(self._tool, (x, y), box, subtract))

    def _move_divider(self, pos: QPointF) -> None:
        if self._image is None:
            return
        target = self._image_target()
        self.set_split((pos.x() - target.left()) / max(1.0, target.width()))

    def enterEvent(self, event: QEvent) -> None:
        self._refresh_cursor()
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        old = self._outline_rect()
        self._cursor = None
        self.update(old)
        super().leaveEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta()
        # Alt turns a vertical wheel into a horizontal one on Linux and Windows.
        amount = delta.y() if delta.y() != 0 else delta.x()
        if amount == 0 or self._image is None:
            event.ignore()
            return
        steps = amount / 120.0
        if event.modifiers() & Qt.KeyboardModifier.AltModifier:
            factor = 1.12**steps
            grown = self._brush * factor
            size = round(grown)
            if size == self._brush:
                size += 1 if steps > 0 else -1
            self.set_brush_size(size)
        else:
            self.set_zoom(self._zoom * (1.2**steps), event.position())
        event.accept()

    # ================================================================ keys
    def event(self, event: QEvent) -> bool:
        # Space and backslash are held, not pressed: keep them from any shortcut.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Backslash)
            and not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self._space = True
                self._refresh_cursor()
                self.update(self._outline_rect())
            return
        if key == Qt.Key.Key_Backslash:
            if not event.isAutoRepeat() and self._compare is CompareMode.OFF:
                self.set_compare(CompareMode.HOLD)
            return
        if key == Qt.Key.Key_Escape and self._select_start is not None:
            self._select_start = None  # Escape drops the object box being dragged
            self._select_box = None
            self.update()
            return
        if key == Qt.Key.Key_Escape and self._compare is not CompareMode.OFF:
            self.set_compare(CompareMode.OFF)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self._space = False
                self._pan_anchor = None
                self._refresh_cursor()
                self.update(self._outline_rect())
            return
        if key == Qt.Key.Key_Backslash:
            if not event.isAutoRepeat() and self._compare is CompareMode.HOLD:
                self.set_compare(CompareMode.OFF)
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        # A key released elsewhere must not leave the view panning or comparing.
        self._space = False
        if self._compare is CompareMode.HOLD:
            self.set_compare(CompareMode.OFF)
        self._refresh_cursor()
        super().focusOutEvent(event)

    def _refresh_cursor(self) -> None:
        if self._image is None:
            self.unsetCursor()
        elif self._pan_anchor is not None:
            self.setCursor(QCursor(Qt.CursorShape.ClosedHandCursor))
        elif self._space:
            self.setCursor(QCursor(Qt.CursorShape.OpenHandCursor))
        elif self._compare is CompareMode.SPLIT:
            self.setCursor(QCursor(Qt.CursorShape.SplitHCursor))
        elif self._compare is CompareMode.HOLD:
            self.setCursor(QCursor(Qt.CursorShape.ArrowCursor))
        elif self._tool.selects:
            self.setCursor(QCursor(Qt.CursorShape.CrossCursor))
        else:
            self.setCursor(QCursor(Qt.CursorShape.BlankCursor))  # the outline is the cursor

    # ================================================================ drops
    def _plan(self, event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> DropPlan | None:
        mime = event.mimeData()
        if self.drop_classifier is None or not mime.hasUrls():
            return None
        paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        if not paths:
            return None
        modifiers = event.modifiers()
        on_band = self._image is not None and self._mask_band().contains(event.position().toPoint())
        self._drop_band_hot = on_band
        return self.drop_classifier(
            paths,
            bool(modifiers & Qt.KeyboardModifier.AltModifier),
            bool(modifiers & Qt.KeyboardModifier.ShiftModifier),
            on_band,
        )

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        plan = self._plan(event)
        if plan is None:
            event.ignore()
            return
        accept_copy(event)
        self._drop = plan
        self.update()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        plan = self._plan(event)
        if plan is None:
            event.ignore()
            return
        accept_copy(event)
        if plan != self._drop:
            self._drop = plan
            self.update()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._drop = None
        self._drop_band_hot = False
        self.update()

    def dropEvent(self, event: QDropEvent) -> None:
        plan = self._plan(event)
        self._drop = None
        self._drop_band_hot = False
        self.update()
        if plan is None:
            event.ignore()
            return
        accept_copy(event)
        self.files_dropped.emit(plan)

    @property
    def drop_plan(self) -> DropPlan | None:
        """What the drag over the view would do now (None when nothing is dragged)."""
        return self._drop

    def sizeHint(self) -> QSize:
        return QSize(720, 520)
