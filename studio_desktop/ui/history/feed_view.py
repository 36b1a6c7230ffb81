"""The view of the feed: uniform card rows, multi-select, drag out, hover.

A one-column ``QTableView`` with hidden headers, not a ``QListView``: a list view lays out
*every* row again whenever rows are inserted (creating an index, and so calling the model's
``rowCount``, per row), which makes a feed of 25,000 jobs stall for tens of milliseconds at each
page it fetches; a table view keeps fixed-height rows in its header's section table and only ever
touches the rows on screen. The view paints nothing itself (the
:class:`~studio_desktop.ui.history.delegate.JobDelegate` does); it remembers where a press
happened so a drag knows which image it started on, and hands the drag to the area
(``drag_handler``), which builds the file list.

Rows inserted above what the designer is looking at (a job pulled from another device, which
sorts above older ones) would push the rows on screen down; the view scrolls by the inserted
height so the same rows stay where they were. At the very top it does not: there the new job
simply appears first. Selection is kept by Qt (persistent indexes).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, QPoint, Qt
from PySide6.QtGui import QMouseEvent, QPalette
from PySide6.QtWidgets import QAbstractItemView, QFrame, QHeaderView, QTableView, QWidget

DragHandler = Callable[[QPoint], None]


class FeedView(QTableView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The viewport is made here, not by Qt: the first time PySide meets a plain QWidget
        # that Qt made (``viewport()`` of a view built by Qt), it tries every QWidget subclass
        # it knows to find its Python type, which builds all of them (~10 ms, once per
        # process) — before the History's first page, as it was. Same role and fill as Qt's.
        viewport = QWidget(self)
        viewport.setBackgroundRole(QPalette.ColorRole.Base)
        viewport.setAutoFillBackground(True)
        self.setViewport(viewport)
        self.setObjectName("HistoryFeed")
        self.setAccessibleName("History feed")
        self.horizontalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        rows = self.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setMinimumSectionSize(1)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        self.setTabKeyNavigation(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMouseTracking(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.press_pos = QPoint()
        self.drag_handler: DragHandler | None = None
        self._anchor: tuple[QPersistentModelIndex, int] | None = None

    def setModel(self, model: QAbstractItemModel | None) -> None:
        old = self.model()
        if old is not None:
            old.rowsAboutToBeInserted.disconnect(self._remember_anchor)
            old.rowsInserted.disconnect(self._keep_anchor)
        super().setModel(model)
        if model is not None:
            model.rowsAboutToBeInserted.connect(self._remember_anchor)
            model.rowsInserted.connect(self._keep_anchor)

    def _remember_anchor(self, parent: QModelIndex, first: int, _last: int) -> None:
        self._anchor = None
        if parent.isValid() or self.verticalScrollBar().value() == 0:
            return
        top = self.indexAt(self.viewport().rect().topLeft())
        if top.isValid() and first <= top.row():
            self._anchor = (QPersistentModelIndex(top), self.visualRect(top).top())

    def _keep_anchor(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        anchor, self._anchor = self._anchor, None
        if anchor is None or not anchor[0].isValid():
            return
        self.updateGeometries()  # the scroll range must include the new rows first
        index = self.model().index(anchor[0].row(), anchor[0].column())
        shift = self.visualRect(index).top() - anchor[1]
        if shift:
            bar = self.verticalScrollBar()
            bar.setValue(bar.value() + shift)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.press_pos = event.position().toPoint()
        super().mousePressEvent(event)

    def startDrag(self, supported: Qt.DropAction) -> None:
        if self.drag_handler is not None:
            self.drag_handler(self.press_pos)
        else:
            super().startDrag(supported)

    def set_row_height(self, row_height: int) -> None:
        """Every row's height; a wheel notch scrolls about a third of a row."""
        self.verticalHeader().setDefaultSectionSize(row_height)
        self.verticalScrollBar().setSingleStep(max(12, row_height // 3))
