"""The profile cards: a grid view whose cards take a dropped image as the profile's reference.

:class:`ProfileGrid` is a ``QListView`` in icon mode painted by :class:`ProfileCardDelegate`
(reference thumbnail, name, "gender · skin tone · region", background). Dragging files over a
card highlights that card; dropping ONE image file on it emits ``image_dropped(profile_id,
path)``. Anything else dropped on a card is refused with a sentence (``drop_refused``): several
files, a folder, a web link. The image itself is checked by the service (a PDF or a damaged file
gets the imaging error's message and nothing changes).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtCore import Signal as QtSignal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QFontMetrics,
    QImage,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from studio_desktop.services.portraits import Focus, frame_box
from studio_desktop.ui.drop import accept_copy, classify_urls, has_droppable_urls
from studio_desktop.ui.icons import icon
from studio_desktop.ui.profiles.model import ProfileRole, ThumbState
from studio_desktop.ui.profiles.thumbnails import focus_of
from studio_desktop.ui.theme import scaled_font, theme_manager

CARD_WIDTH = 188
IMAGE_HEIGHT = 188
TEXT_HEIGHT = 78
CARD_SIZE = QSize(CARD_WIDTH, IMAGE_HEIGHT + TEXT_HEIGHT)
SPACING = 14
RADIUS = 10.0

AnyIndex = QModelIndex | QPersistentModelIndex

_STATE_TEXT = {
    ThumbState.NONE: "Drop a reference image",
    ThumbState.LOADING: "Loading…",
    ThumbState.NOT_DOWNLOADED: "Not downloaded yet",
    ThumbState.FAILED: "Image unreadable",
}


class ProfileCardDelegate(QStyledItemDelegate):
    def __init__(self, view: ProfileGrid) -> None:
        super().__init__(view)
        self.view = view

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        return QSize(CARD_SIZE)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        tones = theme_manager().tones
        palette: QPalette = option.palette  # type: ignore[attr-defined]
        rect: QRect = option.rect  # type: ignore[attr-defined]
        state = option.state  # type: ignore[attr-defined]
        selected = bool(state & QStyle.StateFlag.State_Selected)
        hovered = bool(state & QStyle.StateFlag.State_MouseOver)
        drop_target = self.view.drop_row == index.row()

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        card = QRectF(rect).adjusted(1.5, 1.5, -1.5, -1.5)
        path = QPainterPath()
        path.addRoundedRect(card, RADIUS, RADIUS)
        background = palette.color(QPalette.ColorRole.Base)
        if hovered and not selected and not drop_target:
            background = QColor(tones.hover)
        painter.fillPath(path, background)
        if drop_target:
            border, width = QColor(tones.accent), 2.5
        elif selected:
            border, width = palette.color(QPalette.ColorRole.Highlight), 2.0
        else:
            border, width = QColor(tones.border), 1.0
        painter.setPen(QPen(border, width))
        painter.drawPath(path)

        # ---- the reference image (cover-cropped into the top square)
        image_rect = QRectF(card.left() + 8, card.top() + 8, card.width() - 16, IMAGE_HEIGHT - 16)
        clip = QPainterPath()
        clip.addRoundedRect(image_rect, RADIUS - 4, RADIUS - 4)
        image = index.data(ProfileRole.THUMBNAIL)
        thumb_state = ThumbState(index.data(ProfileRole.THUMBNAIL_STATE) or 0)
        painter.save()
        painter.setClipPath(clip)
        if isinstance(image, QImage) and not image.isNull():
            painter.fillRect(image_rect, QColor(tones.border))
            source = _cover(
                QSize(image.width(), image.height()), image_rect.size().toSize(), focus_of(image)
            )
            painter.drawImage(image_rect, image, QRectF(source))
        else:
            painter.fillRect(image_rect, palette.color(QPalette.ColorRole.AlternateBase))
            glyph = 40
            icon_name = "warning" if thumb_state is ThumbState.FAILED else "profiles"
            icon_rect = QRect(
                int(image_rect.center().x() - glyph / 2),
                int(image_rect.center().y() - glyph / 2 - 12),
                glyph,
                glyph,
            )
            icon(icon_name, tone="muted").paint(painter, icon_rect)
            painter.setPen(QColor(tones.muted))
            text_rect = QRectF(
                image_rect.left() + 8, icon_rect.bottom() + 8, image_rect.width() - 16, 40
            )
            painter.drawText(
                text_rect,
                int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
                | int(Qt.TextFlag.TextWordWrap),
                "Drop to set the reference" if drop_target else _STATE_TEXT[thumb_state],
            )
        if drop_target and isinstance(image, QImage) and not image.isNull():
            # Over an image: a veil in the accent colour and the promise, on a readable pill.
            veil = QColor(tones.accent)
            veil.setAlpha(90)
            painter.fillRect(image_rect, veil)
            pill_font = scaled_font(option.font, 1.0, bold=True)  # type: ignore[attr-defined]
            painter.setFont(pill_font)
            text = "Set as reference"
            metrics = QFontMetrics(pill_font)
            pill = QRectF(
                0,
                0,
                min(metrics.horizontalAdvance(text) + 20, image_rect.width() - 8),
                metrics.height() + 10,
            )
            pill.moveCenter(image_rect.center())
            pill_path = QPainterPath()
            pill_path.addRoundedRect(pill, pill.height() / 2, pill.height() / 2)
            painter.fillPath(pill_path, QColor(tones.accent))
            painter.setPen(QColor("#ffffff"))
            painter.drawText(
                pill,
                int(Qt.AlignmentFlag.AlignCenter),
                metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(pill.width()) - 12),
            )
        painter.restore()

        # ---- name and details
        left = int(card.left() + 12)
        width = int(card.width() - 24)
        name_font = scaled_font(option.font, 1.05, bold=True)  # type: ignore[attr-defined]
        painter.setFont(name_font)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        name = QFontMetrics(name_font).elidedText(
            str(index.data(Qt.ItemDataRole.DisplayRole) or ""), Qt.TextElideMode.ElideRight, width
        )
        top = int(card.top() + IMAGE_HEIGHT - 2)
        painter.drawText(QRect(left, top, width, 22), int(Qt.AlignmentFlag.AlignLeft), name)
        profile = index.data(ProfileRole.PROFILE)
        small = option.font  # type: ignore[attr-defined]
        painter.setFont(small)
        painter.setPen(QColor(tones.muted))
        metrics = QFontMetrics(small)
        lines = card_lines(profile)
        for number, line in enumerate(lines[:3]):
            text = metrics.elidedText(line, Qt.TextElideMode.ElideRight, width)
            painter.drawText(
                QRect(left, top + 22 + number * (metrics.height() + 1), width, metrics.height()),
                int(Qt.AlignmentFlag.AlignLeft),
                text,
            )
        painter.restore()


def card_lines(profile: object) -> list[str]:
    """The muted lines under a card's name: who, where, on what background."""
    who = " · ".join(
        p for p in (getattr(profile, "gender", None), getattr(profile, "skin_tone", None)) if p
    )
    region = getattr(profile, "region", None)
    background = getattr(profile, "background", None)
    lines = [line for line in (who, region) if line]
    if background:
        lines.append(f"on {background}")
    return lines or ["No details yet"]


def _cover(source: QSize, target: QSize, focus: Focus | None = None) -> QRect:
    """The part of ``source`` that fills ``target``'s aspect, framed on the person (their head
    in view) or from near the top: a portrait's head is never cut off by a centre crop."""
    if source.isEmpty() or target.isEmpty():
        return QRect(QPoint(0, 0), source)
    x, y, width, height = frame_box(
        source.width(), source.height(), target.width(), target.height(), focus
    )
    return QRect(x, y, width, height)


class ProfileGrid(QListView):
    """Profile cards in a wrapping grid; a drop target per card."""

    image_dropped = QtSignal(str, Path)  # profile id, the dropped file
    drop_refused = QtSignal(str)  # a sentence for the message bar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ProfileGrid")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setSpacing(SPACING // 2)
        self.setGridSize(QSize(CARD_WIDTH + SPACING, CARD_SIZE.height() + SPACING))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setMouseTracking(True)
        self.setWordWrap(True)
        self.setFrameShape(QListView.Shape.NoFrame)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setDropIndicatorShown(False)
        self.setItemDelegate(ProfileCardDelegate(self))
        self.setAccessibleName("Model profiles")
        self.drop_row: int | None = None

    # ------------------------------------------------------------------ drag and drop
    def _row_at(self, pos: QPoint) -> int | None:
        index = self.indexAt(pos)
        return index.row() if index.isValid() else None

    def _set_drop_row(self, row: int | None) -> None:
        if row == self.drop_row:
            return
        self.drop_row = row
        self.viewport().update()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if not has_droppable_urls(event.mimeData()):
            event.ignore()
            return
        accept_copy(event)
        self._set_drop_row(self._row_at(event.position().toPoint()))

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        row = self._row_at(event.position().toPoint())
        self._set_drop_row(row)
        if row is None or not has_droppable_urls(event.mimeData()):
            event.ignore()
            return
        accept_copy(event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._set_drop_row(None)
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:
        row = self._row_at(event.position().toPoint())
        self._set_drop_row(None)
        mime = event.mimeData()
        if row is None or not has_droppable_urls(mime):
            event.ignore()
            if row is None and has_droppable_urls(mime):
                self.drop_refused.emit("Drop the image on a profile card to set its reference.")
            return
        accept_copy(event)
        items = classify_urls(mime.urls())
        profile = self.model().index(row, 0).data(ProfileRole.PROFILE)
        refusal = refusal_for_single_image(items.local, len(items.links))
        if refusal is not None:
            self.drop_refused.emit(refusal)
            return
        self.image_dropped.emit(profile.id, items.local[0])


def refusal_for_single_image(local: list[Path], links: int) -> str | None:
    """Why a drop meant for ONE image cannot be taken (None when it can)."""
    if not local:
        if links:
            return (
                "Links cannot be used directly. Save the image to your computer first, then "
                "drop the file."
            )
        return "Nothing usable was dropped."
    if len(local) > 1:
        return f"You dropped {len(local)} files; drop one image to use as the reference."
    path = local[0]
    if path.is_dir():
        return f"“{path.name}” is a folder; drop one image file from it instead."
    if not path.exists():
        return f"“{path.name}” could not be found (it may have been moved or deleted)."
    return None
