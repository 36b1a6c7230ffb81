"""The list of recent creations on the left of the canvas, and "New creation from images…"."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from studio_desktop.domain.models import CanvasThread
from studio_desktop.ui.canvas.images import ObjectKey, ThumbnailLoader
from studio_desktop.ui.icons import icon
from studio_desktop.ui.theme import current_tones, scaled_font

ID_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2
ICON = 40
THUMB = 256
PANEL_WIDTH = 230


def _when(value: object) -> str:
    if not isinstance(value, datetime):
        return ""
    local = value.astimezone()
    now = datetime.now(local.tzinfo)
    if local.date() == now.date():
        return local.strftime("Today %H:%M")
    if local.year == now.year:
        return local.strftime("%d %b")
    return local.strftime("%d %b %Y")


def thread_key(thread: CanvasThread) -> ObjectKey | None:
    if not thread.base_storage_path:
        return None
    return (thread.base_storage_bucket or "outputs", thread.base_storage_path)


class _CreationDelegate(QStyledItemDelegate):
    """A rounded thumbnail, the title and, muted under it, when it last changed."""

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(option.rect.width(), max(ICON + 12, 2 * option.fontMetrics.height() + 14))

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        tones = current_tones()
        rect = QRect(option.rect).adjusted(2, 1, -2, -1)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected or option.state & QStyle.StateFlag.State_MouseOver:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(tones.selected_bg if selected else tones.hover))
            painter.drawRoundedRect(QRectF(rect), 8, 8)
        box = QRect(rect.left() + 6, rect.top() + (rect.height() - ICON) // 2, ICON, ICON)
        value = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(value, QIcon):
            pixmap = value.pixmap(QSize(ICON, ICON) * 2)
            clip = QPainterPath()
            clip.addRoundedRect(QRectF(box), 6, 6)
            painter.setClipPath(clip)
            fitted = pixmap.size().scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatioByExpanding)
            target = QRect(0, 0, fitted.width(), fitted.height())
            target.moveCenter(box.center())
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawPixmap(target, pixmap)
            painter.setClipping(False)
        title, _, when = str(index.data(Qt.ItemDataRole.DisplayRole) or "").partition("\n")
        left = box.right() + 10
        width = rect.right() - left - 6
        metrics = option.fontMetrics
        line = metrics.height()
        top = rect.top() + (rect.height() - 2 * line - 2) // 2
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        painter.setFont(option.font)
        painter.drawText(
            QRect(left, top, width, line),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            metrics.elidedText(title, Qt.TextElideMode.ElideRight, width),
        )
        painter.setPen(QColor(tones.muted))
        small = scaled_font(option.font, 0.88)
        painter.setFont(small)
        painter.drawText(
            QRect(left, top + line + 2, width, line),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            when,
        )
        painter.restore()


class _CreationsList(QListWidget):
    """The list, with a hint when there is no creation yet."""

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.count() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(QColor(current_tones().muted))
            painter.drawText(
                QRectF(self.viewport().rect()).adjusted(14, 14, -14, -14),
                int(
                    Qt.AlignmentFlag.AlignHCenter
                    | Qt.AlignmentFlag.AlignTop
                    | Qt.TextFlag.TextWordWrap
                ),
                "No creations yet.\nDrop images on the canvas to start one.",
            )
            painter.end()


class CreationsPanel(QWidget):
    creation_selected = Signal(str)
    new_requested = Signal()
    rename_requested = Signal(str)
    delete_requested = Signal(str)

    def __init__(self, thumbnails: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CreationsPanel")
        self._thumbnails = thumbnails
        title = QLabel("Creations", self)
        title.setFont(scaled_font(self.font(), 1.1, bold=True))
        self.list = _CreationsList(self)
        self.list.setObjectName("CreationsList")
        self.list.setItemDelegate(_CreationDelegate(self.list))
        self.list.setMouseTracking(True)
        self.list.setIconSize(QSize(ICON, ICON))
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        # Names are elided to the panel's width (full name in the tooltip): never a sideways
        # scrollbar, at any window width.
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)
        self.new_button = QPushButton(icon("import"), "New from images…", self)
        self.new_button.setObjectName("NewCreationButton")
        self.new_button.setToolTip("Start a creation from images on this computer")
        self.new_button.clicked.connect(self.new_requested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 8, 12)
        layout.setSpacing(8)
        layout.addWidget(title)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.new_button)
        self._placeholder = icon("canvas", tone="muted")
        thumbnails.ready.connect(self._thumbnail_ready)

    def set_creations(self, threads: list[CanvasThread], current: str | None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for thread in threads:
            self._add(thread)
        self.select(current)
        self.list.blockSignals(False)

    def _icon(self, key: ObjectKey | None) -> QIcon:
        pixmap = self._thumbnails.pixmap(key, THUMB)
        return QIcon(pixmap) if pixmap is not None else self._placeholder

    def _add(self, thread: CanvasThread, row: int | None = None) -> QListWidgetItem:
        key = thread_key(thread)
        title = thread.title or "Untitled creation"
        item = QListWidgetItem(self._icon(key), f"{title}\n{_when(thread.updated_at)}")
        item.setData(ID_ROLE, thread.id)
        item.setData(KEY_ROLE, key)
        item.setToolTip(title)
        if row is None:
            self.list.addItem(item)
        else:
            self.list.insertItem(row, item)
        return item

    def upsert(self, thread: CanvasThread) -> None:
        """A creation made or changed: (re)placed at the top, the most recently changed."""
        selected = self.current_id
        self.remove(thread.id)
        self.list.blockSignals(True)
        self._add(thread, 0)
        self.select(selected)
        self.list.blockSignals(False)

    def remove(self, thread_id: str) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(ID_ROLE) == thread_id:
                self.list.takeItem(row)
                return

    def select(self, thread_id: str | None) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(ID_ROLE) == thread_id:
                self.list.setCurrentItem(item)
                return
        self.list.clearSelection()

    @property
    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None or not item.isSelected() else str(item.data(ID_ROLE))

    def ids(self) -> list[str]:
        return [str(self.list.item(r).data(ID_ROLE)) for r in range(self.list.count())]

    def _thumbnail_ready(self, key: ObjectKey) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(KEY_ROLE) == key:
                item.setIcon(self._icon(key))

    def _activated(self, item: QListWidgetItem) -> None:
        self.creation_selected.emit(str(item.data(ID_ROLE)))

    def _menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        thread_id = str(item.data(ID_ROLE))
        menu = QMenu(self)
        menu.addAction("Rename…", lambda: self.rename_requested.emit(thread_id))
        menu.addAction(
            icon("delete"), "Delete creation", lambda: self.delete_requested.emit(thread_id)
        )
        menu.popup(self.list.viewport().mapToGlobal(pos))
