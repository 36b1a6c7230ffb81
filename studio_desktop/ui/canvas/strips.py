"""The two film strips under the canvas: the creation's images, and the shown image's versions.

Both are icon-mode lists whose thumbnails come from the :class:`ThumbnailLoader` when an item
is first shown; the current version is framed in the accent colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFontMetrics,
    QIcon,
    QPainter,
    QPalette,
    QPen,
    QResizeEvent,
    QShowEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from studio_desktop.ui.canvas.images import ObjectKey, ThumbnailLoader
from studio_desktop.ui.drop import accept_copy
from studio_desktop.ui.icons import icon
from studio_desktop.ui.theme import current_tones, scaled_font

KEY_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2
CURRENT_ROLE = Qt.ItemDataRole.UserRole + 3
BUSY_ROLE = Qt.ItemDataRole.UserRole + 4
THUMB = 256
STRIP_ICON = 52


class _ThumbDelegate(QStyledItemDelegate):
    """A thumbnail over its label; the selected item on a soft rounded background, the current
    version framed in the accent colour, a dot on images with an edit running."""

    def __init__(self, strip: _Strip) -> None:
        super().__init__(strip)
        self._strip = strip

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return self._strip.gridSize()

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        tones = current_tones()
        accent = QColor(tones.accent)
        rect = QRect(option.rect).adjusted(3, 3, -3, -3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if selected or hovered:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(tones.selected_bg if selected else tones.hover))
            painter.drawRoundedRect(QRectF(rect), 8, 8)
        side = self._strip.iconSize().width()
        box = QRect(rect.left() + (rect.width() - side) // 2, rect.top() + 5, side, side)
        icon_value = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(icon_value, QIcon):
            pixmap = icon_value.pixmap(QSize(side, side) * 2)
            if not pixmap.isNull():
                fitted = pixmap.size().scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
                target = QRect(0, 0, fitted.width(), fitted.height())
                target.moveCenter(box.center())
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
                painter.drawPixmap(target, pixmap)
                box = target
        if index.data(CURRENT_ROLE):
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(accent, 2))
            painter.drawRoundedRect(QRectF(box).adjusted(-2, -2, 2, 2), 4, 4)
        if index.data(BUSY_ROLE):
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(accent)
            painter.drawEllipse(QPoint(box.right() - 4, box.top() + 4), 5, 5)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        metrics = option.fontMetrics
        label = QRect(rect.left() + 4, rect.top() + side + 8, rect.width() - 8, metrics.height())
        font = option.font
        if index.data(CURRENT_ROLE):
            font = scaled_font(option.font, 1.0, bold=True)
        painter.setFont(font)
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        painter.drawText(
            label,
            int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter),
            QFontMetrics(font).elidedText(text, Qt.TextElideMode.ElideMiddle, label.width()),
        )
        painter.restore()


class _Strip(QListWidget):
    def __init__(self, thumbnails: ThumbnailLoader, icon_size: int, parent: QWidget | None) -> None:
        super().__init__(parent)
        self._thumbnails = thumbnails
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setIconSize(QSize(icon_size, icon_size))
        line = self.fontMetrics().height()
        self.setGridSize(QSize(icon_size + 26, icon_size + line + 16))
        self.setUniformItemSizes(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # names often share a start
        self.setSpacing(0)
        self.setItemDelegate(_ThumbDelegate(self))
        self.setMouseTracking(True)
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.setFixedHeight(self.gridSize().height() + 2 * self.frameWidth() + bar + 2)
        self._placeholder = icon("image", tone="muted")
        thumbnails.ready.connect(self._thumbnail_ready)
        #: The selected item kept in view while the strip is laid out and resized (it is filled
        #: before the window has its final layout at start-up, when scrolling to it once is
        #: undone by the next layout), until the designer scrolls the strip by hand.
        self._reveal: QListWidgetItem | None = None
        self.horizontalScrollBar().actionTriggered.connect(self._scrolled_by_hand)

    def reveal_current(self) -> None:
        """Scroll the selected item into view, now and after each layout, until the designer
        scrolls the strip or selects another item."""
        self._reveal = self.currentItem()
        self._follow_reveal()

    def _scrolled_by_hand(self, _action: int = 0) -> None:
        self._reveal = None

    def _follow_reveal(self) -> None:
        item = self._reveal
        if item is None or item is not self.currentItem():
            self._reveal = None
            return
        self.scrollToItem(item)

    def wheelEvent(self, event: QWheelEvent) -> None:
        self._scrolled_by_hand()
        super().wheelEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._reveal is not None:
            QTimer.singleShot(0, self, self._follow_reveal)  # after the items are laid out again

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._reveal is not None:
            QTimer.singleShot(0, self, self._follow_reveal)

    def _item_icon(self, key: ObjectKey | None) -> QIcon:
        pixmap = self._thumbnails.pixmap(key, THUMB)
        return QIcon(pixmap) if pixmap is not None else self._placeholder

    def _thumbnail_ready(self, key: ObjectKey) -> None:
        for row in range(self.count()):
            item = self.item(row)
            if item.data(KEY_ROLE) == key:
                item.setIcon(self._item_icon(key))

    def item_by_id(self, item_id: str) -> QListWidgetItem | None:
        for row in range(self.count()):
            if self.item(row).data(ID_ROLE) == item_id:
                return self.item(row)
        return None


class AssetStrip(_Strip):
    """The creation's images; selecting one shows it on the canvas. Drop images to add them."""

    asset_selected = Signal(str)
    files_dropped = Signal(list)  # list[Path]
    rename_requested = Signal(str)
    delete_requested = Signal(str)
    export_requested = Signal(str)

    def __init__(self, thumbnails: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(thumbnails, STRIP_ICON, parent)
        self.setObjectName("AssetStrip")
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(False)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.currentItemChanged.connect(self._changed)

    def set_assets(
        self, assets: list[tuple[str, str, ObjectKey | None]], current: str | None
    ) -> None:
        """``(asset id, label, thumbnail key)`` in order; select ``current``."""
        self.blockSignals(True)
        self.clear()
        for asset_id, label, key in assets:
            self._add(asset_id, label, key)
        item = self.item_by_id(current) if current else None
        if item is not None:
            self.setCurrentItem(item)
        self.blockSignals(False)
        self.reveal_current()

    def _add(
        self, asset_id: str, label: str, key: ObjectKey | None, row: int | None = None
    ) -> QListWidgetItem:
        item = QListWidgetItem(self._item_icon(key), label)
        item.setData(ID_ROLE, asset_id)
        item.setData(KEY_ROLE, key)
        item.setToolTip(label)
        item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
        if row is None or row >= self.count():
            self.addItem(item)
        else:
            self.insertItem(row, item)
        return item

    def update_asset(
        self,
        asset_id: str,
        label: str,
        key: ObjectKey | None,
        order: Sequence[str] = (),
    ) -> None:
        """Show an image as changed, or add a new one at its place in ``order`` (the creation's
        image ids in order): images added together arrive in any order."""
        item = self.item_by_id(asset_id)
        if item is None:
            rank = {other: n for n, other in enumerate(order)}
            mine = rank.get(asset_id)
            row = None
            if mine is not None:
                row = next(
                    (
                        r
                        for r in range(self.count())
                        if rank.get(self.item(r).data(ID_ROLE), -1) > mine
                    ),
                    None,
                )
            self._add(asset_id, label, key, row)
            return
        item.setText(label)
        item.setToolTip(label)
        item.setData(KEY_ROLE, key)
        item.setIcon(self._item_icon(key))

    def remove_asset(self, asset_id: str) -> None:
        item = self.item_by_id(asset_id)
        if item is not None:
            self.takeItem(self.row(item))

    def set_busy(self, busy_ids: set[str]) -> None:
        for row in range(self.count()):
            item = self.item(row)
            busy = item.data(ID_ROLE) in busy_ids
            if bool(item.data(BUSY_ROLE)) != busy:
                item.setData(BUSY_ROLE, busy)

    def select(self, asset_id: str) -> None:
        item = self.item_by_id(asset_id)
        if item is not None and item is not self.currentItem():
            self.setCurrentItem(item)
            self.reveal_current()

    @property
    def current_id(self) -> str | None:
        item = self.currentItem()
        return None if item is None else str(item.data(ID_ROLE))

    def _changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is not None:
            self.asset_selected.emit(str(current.data(ID_ROLE)))

    def _menu(self, pos: QPoint) -> None:
        item = self.itemAt(pos)
        if item is None:
            return
        asset_id = str(item.data(ID_ROLE))
        menu = QMenu(self)
        menu.addAction(
            icon("export"), "Export as PNG…", lambda: self.export_requested.emit(asset_id)
        )
        menu.addAction("Rename…", lambda: self.rename_requested.emit(asset_id))
        menu.addAction(icon("delete"), "Delete image", lambda: self.delete_requested.emit(asset_id))
        self.last_menu = menu
        menu.popup(self.viewport().mapToGlobal(pos))

    # Drops: image files become new images of the creation.
    def _local_paths(self, event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> list[Path]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._local_paths(event):
            accept_copy(event)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._local_paths(event):
            accept_copy(event)
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = self._local_paths(event)
        if not paths:
            event.ignore()
            return
        accept_copy(event)
        self.files_dropped.emit(paths)


class VersionStrip(_Strip):
    """The shown image's versions, base first; the current one framed."""

    version_selected = Signal(int)
    revert_requested = Signal(int)
    export_requested = Signal(int)
    #: A drag of version ``row`` out of the strip started (the area makes the file).
    drag_requested = Signal(int)

    def __init__(self, thumbnails: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(thumbnails, STRIP_ICON, parent)
        self.setObjectName("VersionStrip")
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.currentRowChanged.connect(self._changed)

    def set_versions(self, versions: list[tuple[str, ObjectKey, bool]], selected: int) -> None:
        """``(label, key, is_current)`` in order, base first; select row ``selected``."""
        self.blockSignals(True)
        self.clear()
        for index, (label, key, current) in enumerate(versions):
            item = QListWidgetItem(self._item_icon(key), label)
            item.setData(ID_ROLE, str(index))
            item.setData(KEY_ROLE, key)
            item.setData(CURRENT_ROLE, current)
            item.setToolTip(
                f"{label} (current); drag it out to save it as a file"
                if current
                else f"{label}: click to view it; Revert makes it current"
            )
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.addItem(item)
        if 0 <= selected < self.count():
            self.setCurrentRow(selected)
            self.scrollToItem(self.item(selected))
        self.blockSignals(False)

    def current_version_row(self) -> int:
        for row in range(self.count()):
            if self.item(row).data(CURRENT_ROLE):
                return row
        return -1

    def _changed(self, row: int) -> None:
        if row >= 0:
            self.version_selected.emit(row)

    def _menu(self, pos: QPoint) -> None:
        item = self.itemAt(pos)
        if item is None:
            return
        row = self.row(item)
        menu = QMenu(self)
        action = menu.addAction(
            icon("undo"), "Revert to this version", lambda: self.revert_requested.emit(row)
        )
        action.setEnabled(not item.data(CURRENT_ROLE))
        menu.addAction(icon("export"), "Export as PNG…", lambda: self.export_requested.emit(row))
        self.last_menu = menu
        menu.popup(self.viewport().mapToGlobal(pos))

    def startDrag(self, supported: Qt.DropAction) -> None:
        row = self.currentRow()
        if row >= 0:
            self.drag_requested.emit(row)
