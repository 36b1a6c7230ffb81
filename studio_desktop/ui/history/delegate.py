"""How one job looks in the feed: a card row with the job on the left and its images beside it.

::

    ┌──────────────────────────────────────────────────────────────────────────────────┐
    │ [Done] Product pack           ┌──────┐ ┌──────┐ ┌──────┐ ┌──────┐                   │
    │ Today 14:03 · Ana              │front │ │back  │ │detail│ │ +2   │                   │
    │ Floral wrap dress on a warm…   └──────┘ └──────┘ └──────┘ └──────┘                   │
    └──────────────────────────────────────────────────────────────────────────────────┘

Every row has the same height (the thumbnail size plus padding), so the view lays out
100,000 rows without measuring them (fixed row sections). The left column has the status
badge, the job type, when and for which profile, then the prompt (or, for a failed job, its
error in the error colour) and, for a failed or running job, a Retry / Cancel button painted in
the row (clicks are caught in :meth:`JobDelegate.editorEvent`). The strip shows as many outputs
as fit and a "+N" tile for the rest; a job without outputs shows one tile that says where it
stands. Thumbnails come from the model's loader while painting: visible rows only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from studio_desktop.domain.enums import JobStatus
from studio_desktop.domain.models import Job, JobOutput
from studio_desktop.services.tile_state import ThumbState
from studio_desktop.ui.history.feed_model import FeedModel, Role, status_label
from studio_desktop.ui.icons import icon
from studio_desktop.ui.theme import Tones, current_tones, scaled_font

if TYPE_CHECKING:  # (the loader's module: not imported before the early page)
    from studio_desktop.ui.history.thumbnails import Thumb

AnyIndex = QModelIndex | QPersistentModelIndex

PAD = 12
INFO_WIDTH = 300
INFO_MIN_HEIGHT = 118
GAP = 8
BUTTON_HEIGHT = 24
BADGE_HEIGHT = 20
RADIUS = 6


@dataclass(frozen=True, slots=True)
class CardLayout:
    """Where things go in one row (shared by painting and hit-testing)."""

    info: QRect
    tiles: tuple[QRect, ...]
    #: Outputs shown in ``tiles`` (the last tile is "+N" when ``more`` > 0).
    shown: int
    more: int
    button: QRect | None


def row_height(thumb_px: int) -> int:
    return max(thumb_px, INFO_MIN_HEIGHT) + 2 * PAD


def info_width(total_width: int) -> int:
    """The text column: 300 px, less on a narrow window (at least 200)."""
    return max(200, min(INFO_WIDTH, total_width // 3))


def card_layout(rect: QRect, thumb_px: int, outputs: int, status: str) -> CardLayout:
    inner = rect.adjusted(PAD, PAD, -PAD, -PAD)
    width = info_width(rect.width())
    info = QRect(inner.left(), inner.top(), width, inner.height())
    strip_left = info.right() + 1 + 2 * GAP
    room = max(1, (inner.right() + 1 - strip_left + GAP) // (thumb_px + GAP))
    count = max(outputs, 1)
    tiles_n = min(count, room)
    more = count - tiles_n
    shown = tiles_n - 1 if more else tiles_n
    more = count - shown if more else 0
    top = inner.top() + (inner.height() - thumb_px) // 2
    tiles = tuple(
        QRect(strip_left + i * (thumb_px + GAP), top, thumb_px, thumb_px) for i in range(tiles_n)
    )
    button = None
    if status in (JobStatus.FAILED, JobStatus.CANCELED, JobStatus.RUNNING, JobStatus.QUEUED):
        # Under the text of a small row, whatever the row's height (no gap in large rows).
        top = info.top() + min(info.height(), INFO_MIN_HEIGHT) - BUTTON_HEIGHT
        button = QRect(info.left(), top, 0, BUTTON_HEIGHT)
    return CardLayout(info, tiles, min(shown, outputs), more, button)


def button_label(status: str) -> str | None:
    if status in (JobStatus.FAILED, JobStatus.CANCELED):
        return "Retry"
    if status in (JobStatus.RUNNING, JobStatus.QUEUED):
        return "Cancel"
    return None


def format_when(moment: datetime, now: datetime | None = None) -> str:
    """ "Today 14:03", "Yesterday 09:12", "12 May 14:03", "12 May 2023" (local time)."""
    local = moment.astimezone()
    now = (now or datetime.now().astimezone()).astimezone()
    days = (now.date() - local.date()).days
    clock = local.strftime("%H:%M")
    if days == 0:
        return f"Today {clock}"
    if days == 1:
        return f"Yesterday {clock}"
    if local.year == now.year:
        return f"{local.day} {local.strftime('%b')} {clock}"
    return f"{local.day} {local.strftime('%b %Y')}"


def badge_colours(status: str, tones: Tones, palette: QPalette) -> tuple[QColor, QColor]:
    """(text, background) of a status badge."""
    if status == JobStatus.SUCCEEDED:
        return QColor(tones.success), QColor(tones.success_bg)
    if status == JobStatus.FAILED:
        return QColor(tones.error), QColor(tones.error_bg)
    if status == JobStatus.RUNNING:
        return QColor(tones.accent), QColor(tones.info_bg)
    if status == JobStatus.CANCELED:
        return QColor(tones.warning), QColor(tones.warning_bg)
    muted = QColor(tones.muted)
    background = QColor(palette.color(QPalette.ColorRole.Text))
    background.setAlpha(22)
    return muted, background


#: The "kept offline" badge: a solid disc, a ring and the pin (see ``_paint_pin_badge``).
PIN_BADGE = "#2456c8"
PIN_RING = "#ffffff"
PIN_ICON = "#ffffff"


def _tinted(pixmap: QPixmap, colour: QColor) -> QPixmap:
    """``pixmap``'s shape (its alpha) filled with one colour."""
    out = QPixmap(pixmap)
    painter = QPainter(out)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
    painter.fillRect(out.rect(), colour)
    painter.end()
    return out


class JobDelegate(QStyledItemDelegate):
    """Paints a job row (see the module docstring); Retry / Cancel clicks become signals."""

    retry_clicked = Signal(str)  # job id
    cancel_clicked = Signal(str)  # job id

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thumb_px = 112
        self._pressed: tuple[str, str] | None = None
        self._icons: dict[tuple[object, ...], QPixmap] = {}
        self._font = QFont()

    # ------------------------------------------------------------------ icons
    def _draw_icon(self, painter: QPainter, rect: QRect, name: str, tone: str | None) -> None:
        """An icon from a pixmap cache: an SVG is rendered once per size, tone and palette,
        not on every paint of every row."""
        ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
        key = (name, tone, rect.width(), ratio, current_tones())
        pixmap = self._icons.get(key)
        if pixmap is None:
            pixmap = icon(name, tone=tone).pixmap(rect.size(), ratio)
            self._icons[key] = pixmap
        painter.drawPixmap(rect, pixmap)

    # ------------------------------------------------------------------ size
    def set_thumb_px(self, px: int) -> None:
        self.thumb_px = px

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        return QSize(max(600, option.rect.width()), row_height(self.thumb_px))

    def layout_for(self, rect: QRect, index: AnyIndex) -> CardLayout:
        outputs = index.data(Role.OUTPUTS) or ()
        status = index.data(Role.STATUS) or ""
        layout = card_layout(rect, self.thumb_px, len(outputs), status)
        label = button_label(status)
        if layout.button is not None and label is not None:
            metrics = QFontMetrics(self._small_font(QFont()))
            width = metrics.horizontalAdvance(label) + 24 + 16 + 6
            button = QRect(layout.button.left(), layout.button.top(), width, BUTTON_HEIGHT)
            return CardLayout(layout.info, layout.tiles, layout.shown, layout.more, button)
        return CardLayout(layout.info, layout.tiles, layout.shown, layout.more, None)

    def tile_at(self, rect: QRect, index: AnyIndex, pos: QPoint) -> int | None:
        """The output under ``pos`` (its position in the job), or None."""
        layout = self.layout_for(rect, index)
        for n, tile in enumerate(layout.tiles[: layout.shown]):
            if tile.contains(pos):
                return n
        return None

    # ------------------------------------------------------------------ clicks
    def editorEvent(
        self,
        event: QEvent,
        model: QAbstractItemModel,
        option: QStyleOptionViewItem,
        index: AnyIndex,
    ) -> bool:
        if not isinstance(event, QMouseEvent) or event.button() != Qt.MouseButton.LeftButton:
            return super().editorEvent(event, model, option, index)
        layout = self.layout_for(option.rect, index)
        on_button = layout.button is not None and layout.button.contains(event.position().toPoint())
        job_id = index.data(Role.JOB_ID)
        label = button_label(index.data(Role.STATUS) or "")
        if event.type() == QEvent.Type.MouseButtonPress and on_button and label:
            self._pressed = (job_id, label)
            return True
        if event.type() == QEvent.Type.MouseButtonRelease and self._pressed is not None:
            pressed, self._pressed = self._pressed, None
            if on_button and pressed == (job_id, label):
                (self.retry_clicked if label == "Retry" else self.cancel_clicked).emit(job_id)
            return True
        return super().editorEvent(event, model, option, index)

    # ------------------------------------------------------------------ painting
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        job: Job | None = index.data(Role.JOB)
        if job is None:
            return
        model = index.model()
        self._font = QFont(option.font)  # every size in the row derives from the view's font
        tones = current_tones()
        palette = option.palette
        rect = option.rect
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected:
            painter.fillRect(rect, QColor(tones.selected_bg))
            painter.fillRect(QRect(rect.left(), rect.top(), 3, rect.height()), QColor(tones.accent))
        elif hovered:
            hover = QColor(tones.hover)
            hover.setAlpha(110)
            painter.fillRect(rect, hover)
        painter.setPen(QPen(QColor(tones.border), 1))
        painter.drawLine(rect.left() + PAD, rect.bottom(), rect.right() - PAD, rect.bottom())

        outputs: tuple[JobOutput, ...] = index.data(Role.OUTPUTS) or ()
        layout = self.layout_for(rect, index)
        self._paint_info(painter, option, index, job=job, layout=layout, tones=tones)
        text_colour = palette.color(QPalette.ColorRole.Text)
        for n, tile in enumerate(layout.tiles):
            if n < layout.shown:
                thumb = model.thumb(outputs[n]) if isinstance(model, FeedModel) else None
                self._paint_tile(
                    painter, tile, outputs[n], thumb=thumb, tones=tones, text_colour=text_colour
                )
            elif layout.more:
                self._paint_more(painter, tile, layout.more, tones, text_colour)
            else:
                self._paint_status_tile(
                    painter, tile, index, job=job, tones=tones, text_colour=text_colour
                )
        painter.restore()

    def _small_font(self, base: QFont) -> QFont:
        return scaled_font(base, 0.88)

    def _paint_info(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: AnyIndex,
        *,
        job: Job,
        layout: CardLayout,
        tones: Tones,
    ) -> None:
        palette = option.palette
        info = layout.info
        base = QFont(option.font)
        small = self._small_font(base)
        bold = scaled_font(base, 1.0, bold=True)
        text_colour = palette.color(QPalette.ColorRole.Text)
        muted = QColor(tones.muted)
        status = job.status

        # Line 1: status badge, then the job type.
        badge_text = status_label(status)
        small_metrics = QFontMetrics(small)
        badge_w = small_metrics.horizontalAdvance(badge_text) + 16
        badge = QRect(info.left(), info.top(), badge_w, BADGE_HEIGHT)
        fg, bg = badge_colours(status, tones, palette)
        path = QPainterPath()
        path.addRoundedRect(QRectF(badge), BADGE_HEIGHT / 2, BADGE_HEIGHT / 2)
        painter.fillPath(path, bg)
        painter.setFont(scaled_font(small, 1.0, bold=True))
        painter.setPen(fg)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, badge_text)
        painter.setFont(bold)
        painter.setPen(text_colour)
        type_rect = QRect(badge.right() + 9, info.top(), info.right() - badge.right() - 9, 20)
        type_text = QFontMetrics(bold).elidedText(
            index.data(Role.TYPE_LABEL) or "", Qt.TextElideMode.ElideRight, type_rect.width()
        )
        painter.drawText(type_rect, Qt.AlignmentFlag.AlignVCenter, type_text)

        # Line 2: when, and for which profile.
        y = info.top() + BADGE_HEIGHT + 6
        meta = format_when(job.created_at)
        profile = index.data(Role.PROFILE_NAME)
        if profile:
            meta += f" · {profile}"
        outputs = index.data(Role.OUTPUTS) or ()
        if outputs:
            meta += f" · {len(outputs)} image{'s' if len(outputs) != 1 else ''}"
        painter.setFont(small)
        painter.setPen(muted)
        line_h = small_metrics.height()
        painter.drawText(
            QRect(info.left(), y, info.width(), line_h),
            Qt.AlignmentFlag.AlignVCenter,
            small_metrics.elidedText(meta, Qt.TextElideMode.ElideRight, info.width()),
        )
        y += line_h + 6

        bottom = (layout.button.top() - 6) if layout.button is not None else info.bottom()
        prompt = index.data(Role.PROMPT)
        error = index.data(Role.ERROR)
        progress = index.data(Role.PROGRESS)
        base_metrics = QFontMetrics(base)
        if status == JobStatus.QUEUED:
            painter.setPen(muted)
            painter.setFont(small)
            waiting = index.data(Role.PROGRESS_MESSAGE) or "Waiting to start"
            # Two lines when needed: why a job waits ("…the studio's engine — runs when you're
            # signed in and online") must be readable, not cut.
            lines = 1 if small_metrics.horizontalAdvance(waiting) <= info.width() else 2
            painter.drawText(
                QRect(info.left(), y, info.width(), line_h * lines),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                waiting,
            )
            y += line_h * lines + 4
        if status == JobStatus.RUNNING:
            fraction = float(progress or 0.0)
            bar = QRect(info.left(), y + 2, info.width(), 6)
            track = QColor(text_colour)
            track.setAlpha(30)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(track)
            painter.drawRoundedRect(QRectF(bar), 3, 3)
            if fraction > 0:
                filled = QRect(bar.left(), bar.top(), max(6, int(bar.width() * fraction)), 6)
                painter.setBrush(QColor(tones.accent))
                painter.drawRoundedRect(QRectF(filled), 3, 3)
            y = bar.bottom() + 6
            message = index.data(Role.PROGRESS_MESSAGE) or "Starting"
            painter.setPen(muted)
            painter.setFont(small)
            percent = f"{round(fraction * 100)}% · {message}"
            painter.drawText(
                QRect(info.left(), y, info.width(), line_h),
                Qt.AlignmentFlag.AlignVCenter,
                small_metrics.elidedText(percent, Qt.TextElideMode.ElideRight, info.width()),
            )
            y += line_h + 4
        if error:
            lines = max(1, min(3, (bottom - y) // small_metrics.lineSpacing()))
            if prompt and lines >= 3:
                y = self._paint_wrapped(
                    painter, prompt, font=base, colour=text_colour, info=info, y=y, max_lines=1
                )
                lines = max(1, min(2, (bottom - y) // small_metrics.lineSpacing()))
            self._paint_wrapped(
                painter,
                error,
                font=small,
                colour=QColor(tones.error),
                info=info,
                y=y,
                max_lines=lines,
            )
        elif prompt:
            lines = max(1, min(3, (bottom - y) // base_metrics.lineSpacing()))
            self._paint_wrapped(
                painter, prompt, font=base, colour=text_colour, info=info, y=y, max_lines=lines
            )

        label = button_label(status)
        if layout.button is not None and label is not None:
            self._paint_button(
                painter, layout.button, label, font=small, palette=palette, tones=tones
            )

    def _paint_wrapped(
        self,
        painter: QPainter,
        text: str,
        *,
        font: QFont,
        colour: QColor,
        info: QRect,
        y: int,
        max_lines: int,
    ) -> int:
        """``text`` wrapped in the info column, at most ``max_lines``, the last one elided."""
        metrics = QFontMetrics(font)
        layout = QTextLayout(text, font)
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        layout.beginLayout()
        lines: list[tuple[int, int]] = []
        while len(lines) < max_lines:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(info.width())
            lines.append((line.textStart(), line.textLength()))
        layout.endLayout()
        painter.setFont(font)
        painter.setPen(colour)
        for n, (start, length) in enumerate(lines):
            chunk = text[start : start + length].rstrip()
            if n == len(lines) - 1 and start + length < len(text):
                chunk = metrics.elidedText(
                    text[start:].replace("\n", " "), Qt.TextElideMode.ElideRight, info.width()
                )
            painter.drawText(
                QRect(info.left(), y, info.width(), metrics.height()),
                Qt.AlignmentFlag.AlignVCenter,
                chunk,
            )
            y += metrics.lineSpacing()
        return y + 2

    def _paint_button(
        self,
        painter: QPainter,
        rect: QRect,
        label: str,
        *,
        font: QFont,
        palette: QPalette,
        tones: Tones,
    ) -> None:
        path = QPainterPath()
        path.addRoundedRect(QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)
        painter.fillPath(path, palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Button))
        painter.setPen(QPen(QColor(tones.border), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        name = "retry" if label == "Retry" else "cancel"
        self._draw_icon(painter, QRect(rect.left() + 8, rect.top() + 4, 16, 16), name, None)
        painter.setFont(font)
        painter.setPen(palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText))
        painter.drawText(
            rect.adjusted(28, 0, -6, 0),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            label,
        )

    def _tile_background(self, painter: QPainter, tile: QRect, text_colour: QColor) -> None:
        """A faint rounded tile, from a pixmap made once per size and palette (an
        antialiased path fill per tile per paint is the costliest thing in a row)."""
        ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
        key = ("tile", tile.width(), tile.height(), ratio, text_colour.rgba())
        pixmap = self._icons.get(key)
        if pixmap is None:
            pixmap = QPixmap(round(tile.width() * ratio), round(tile.height() * ratio))
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            fill = QColor(text_colour)
            fill.setAlpha(14)
            path = QPainterPath()
            path.addRoundedRect(QRectF(0, 0, tile.width(), tile.height()), RADIUS, RADIUS)
            tile_painter = QPainter(pixmap)
            tile_painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            tile_painter.fillPath(path, fill)
            tile_painter.end()
            self._icons[key] = pixmap
        painter.drawPixmap(tile.topLeft(), pixmap)

    def _paint_tile(
        self,
        painter: QPainter,
        tile: QRect,
        output: JobOutput,
        *,
        thumb: Thumb | None,
        tones: Tones,
        text_colour: QColor,
    ) -> None:
        self._tile_background(painter, tile, text_colour)
        state = thumb.state if thumb is not None else ThumbState.LOADING
        small = self._small_font(QFont(self._font))
        if state is ThumbState.READY and thumb is not None and thumb.pixmap is not None:
            pixmap = thumb.pixmap
            ratio = max(pixmap.width(), pixmap.height()) / max(1, tile.width())
            size = QSize(round(pixmap.width() / ratio), round(pixmap.height() / ratio))
            target = QRect(QPoint(0, 0), size)
            target.moveCenter(tile.center())
            clip = QPainterPath()
            clip.addRoundedRect(QRectF(tile), RADIUS, RADIUS)
            painter.save()
            painter.setClipPath(clip)
            painter.drawPixmap(target, pixmap)
            painter.restore()
        elif state is ThumbState.MISSING:
            self._paint_tile_note(
                painter,
                tile,
                "cloud",
                "Not downloaded — available when online",
                font=small,
                tones=tones,
            )
        elif state is ThumbState.NO_PREVIEW:
            self._paint_tile_note(
                painter, tile, "image", thumb.message if thumb else "", font=small, tones=tones
            )
        elif state is ThumbState.FAILED:
            self._paint_tile_note(
                painter, tile, "warning", "Preview unavailable", font=small, tones=tones
            )
        if output.angle and tile.width() >= 80:
            painter.setFont(small)
            metrics = QFontMetrics(small)
            text = output.angle.capitalize()
            pill = QRect(
                tile.left() + 6,
                tile.bottom() - 6 - metrics.height() - 2,
                metrics.horizontalAdvance(text) + 12,
                metrics.height() + 2,
            )
            path = QPainterPath()
            path.addRoundedRect(QRectF(pill), 4, 4)
            painter.fillPath(path, QColor(0, 0, 0, 120))
            painter.setPen(QColor("#ffffff"))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
        if thumb is not None and thumb.pinned:
            self._paint_pin_badge(painter, QRect(tile.right() - 24, tile.top() + 6, 18, 18))

    def _paint_pin_badge(self, painter: QPainter, pin: QRect) -> None:
        """ "Kept offline": a white pin on a solid blue disc with a white ring, the same in
        both palettes, so it reads on any image and any tile background (the pin against
        the disc is 6.5:1; the ring sets the disc off dark images)."""
        disc = QRectF(pin).adjusted(-2, -2, 2, 2)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(PIN_RING), 1.5))
        painter.setBrush(QColor(PIN_BADGE))
        painter.drawEllipse(disc)
        painter.restore()
        ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
        target = pin.adjusted(2, 2, -2, -2)
        key = ("pin-badge", target.width(), ratio)
        pixmap = self._icons.get(key)
        if pixmap is None:
            pixmap = _tinted(icon("pin").pixmap(target.size(), ratio), QColor(PIN_ICON))
            self._icons[key] = pixmap
        painter.drawPixmap(target, pixmap)

    def _paint_tile_note(
        self,
        painter: QPainter,
        tile: QRect,
        icon_name: str,
        text: str,
        *,
        font: QFont,
        tones: Tones,
    ) -> None:
        metrics = QFontMetrics(font)
        side = 22 if tile.width() < 150 else 32
        text_rect = tile.adjusted(8, 0, -8, -6)
        flags = int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop) | int(
            Qt.TextFlag.TextWordWrap
        )
        bound = metrics.boundingRect(QRect(0, 0, text_rect.width(), 1000), flags, text)
        total = side + 6 + bound.height()
        top = tile.top() + max(4, (tile.height() - total) // 2)
        self._draw_icon(
            painter, QRect(tile.center().x() - side // 2, top, side, side), icon_name, "muted"
        )
        painter.setFont(font)
        painter.setPen(QColor(tones.muted))
        painter.drawText(
            QRect(text_rect.left(), top + side + 6, text_rect.width(), bound.height()),
            flags,
            text,
        )

    def _paint_more(
        self, painter: QPainter, tile: QRect, more: int, tones: Tones, text_colour: QColor
    ) -> None:
        self._tile_background(painter, tile, text_colour)
        font = scaled_font(QFont(self._font), 1.3, bold=True)
        painter.setFont(font)
        painter.setPen(QColor(tones.muted))
        painter.drawText(tile, Qt.AlignmentFlag.AlignCenter, f"+{more}")

    def _paint_status_tile(
        self,
        painter: QPainter,
        tile: QRect,
        index: AnyIndex,
        *,
        job: Job,
        tones: Tones,
        text_colour: QColor,
    ) -> None:
        """The one tile of a job that has no outputs: where it stands."""
        self._tile_background(painter, tile, text_colour)
        small = self._small_font(QFont(self._font))
        status = job.status
        if status == JobStatus.RUNNING:
            fraction = float(index.data(Role.PROGRESS) or 0.0)
            side = min(tile.width(), tile.height()) // 2
            ring = QRect(0, 0, side, side)
            ring.moveCenter(tile.center())
            track = QColor(text_colour)
            track.setAlpha(35)
            painter.setPen(QPen(track, 4))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(ring)
            arc = QPen(QColor(tones.accent), 4)
            arc.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(arc)
            painter.drawArc(ring, 90 * 16, -int(360 * 16 * max(0.03, fraction)))
            painter.setFont(small)
            painter.setPen(text_colour)
            painter.drawText(ring, Qt.AlignmentFlag.AlignCenter, f"{round(fraction * 100)}%")
        elif status == JobStatus.QUEUED:
            self._paint_tile_note(
                painter, tile, "history", "Waiting to start", font=small, tones=tones
            )
        elif status == JobStatus.FAILED:
            self._paint_tile_note(painter, tile, "error", "No images", font=small, tones=tones)
        elif status == JobStatus.CANCELED:
            self._paint_tile_note(painter, tile, "cancel", "Canceled", font=small, tones=tones)
        else:
            self._paint_tile_note(painter, tile, "image", "No images", font=small, tones=tones)
        painter.setBrush(QBrush())
