"""The Canvas area: Magic Canvas.

::

    ┌ Creations ┬ brush eraser px | wand range object ± import | undo  ┬ Chat [Chat 1 ▾][+][…] ┐
    │ recent    │ mask snap | grow shrink feather | invert clear | zoom│ messages              │
    │ creations │          the image, the mask painted over it         │                       │
    │           │                                                      │ progress    [Cancel]  │
    │ [New…]    ├ Images [a][b][c] [+]  │ Versions [orig][1][2] [Revert]│ instruction   [Send]  │
    └───────────┴──────────────────────────────────────────────────────┴───────────────────────┘

``make_canvas_area(services)`` builds it over a workspace's services; ``open_creation(thread_id)``
shows a creation (the history area asks for it; the composition root connects the two).
Without services (the window's default factory) it shows its empty state only.

The open creation, its selection (image, chat, shown version) and its commands live in a
Qt-free :class:`~studio_desktop.services.canvas_screen.CanvasScreen` (one per open creation),
which keeps itself up to date from the services' events and the store's changes and says what
happened in domain events. The area binds to it through one property, :attr:`CanvasArea.model`,
whose setter disconnects the old screen and connects the new one; the area keeps the widgets,
actions, the brush canvas with its masks, the undo stack, drag and drop and the dialogs.

Each image of the open creation has its own mask (kept while switching between images, and
across new versions of the same size); strokes, the selection tools, grow/shrink/feather, clear,
invert, an imported mask and the clear after sending are undoable through the area's
``QUndoStack`` (Edit → Undo, Ctrl+Z).

Assisted selection (``imaging/selection.py``, run off the GUI thread): the magic wand, colour
range and select object tools add what they pick to the mask; Alt takes it away (Shift adds,
as in Photoshop). Snap to edges (on by default, remembered): after the mask changes (and a
short pause) it is refined to the object's edges off the GUI thread (``imaging/refine.py``
through ``services/mask_refinement.py``; a new change cancels a running refinement); the
refined edge is drawn over the painting and what it leaves out is tinted faintly; a send uses
the refined mask (waiting for it if needed), or exactly the painted one with snapping off.

Versions: clicking one shows it large (Revert makes it current). File ▸ Export (Ctrl+E), the
strips' menus and dragging (Ctrl+drag on the canvas, or a version out of the strip) give the
shown version as a PNG at full size with the Original's colour profile and metadata
(``services/canvas_export.py``).

Shortcuts (while the area has focus and no text box does): B brush, E eraser, X swap,
W magic wand, R colour range, O select object, S snap to edges, [ and ] brush size,
Alt+] / Alt+[ grow / shrink the mask, Shift+F6 feather, M show/hide mask, Ctrl+D clear mask,
Ctrl+Shift+I invert mask, Ctrl+Shift+M import a mask, Ctrl+0 fit, Ctrl+Alt+0 100 %
(Ctrl+1 is the window's History), Ctrl+= / Ctrl+- zoom, Y compare side by side, Ctrl+V paste
an image. Hold \\ to see the other version: wherever the focus is in the window (the chat box
too; it is never typed there), through an application event filter while the area is shown.
Drops are explained in ``drop_rules.py``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import shiboken6
from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QRect,
    QSettings,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QDrag,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio_desktop.domain.enums import MessageRole
from studio_desktop.domain.errors import ExternalError, ValidationError
from studio_desktop.domain.events import Event
from studio_desktop.domain.models import CanvasMessage
from studio_desktop.services.canvas import CanvasProgress, SendResult
from studio_desktop.services.canvas_screen import (
    LOOSE,
    AssetSelected,
    AssetState,
    CanvasScreen,
    CreationList,
    CreationState,
    ImportedMask,
    current_key,
    version_key,
    version_label,
)
from studio_desktop.services.canvas_tools import selection
from studio_desktop.services.imports import CreationResult
from studio_desktop.services.mask_refinement import MaskRefiner
from studio_desktop.services.missing_files import BlobRequester, MissingFiles
from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.ui.areas import AreaKey, AreaWidget
from studio_desktop.ui.bridge import EventBridge
from studio_desktop.ui.canvas.chat import ChatPanel
from studio_desktop.ui.canvas.commands import UNDO_LIMIT, DeleteConversationCommand, MaskCommand
from studio_desktop.ui.canvas.compare_key import CompareKeyFilter
from studio_desktop.ui.canvas.creations import PANEL_WIDTH, CreationsPanel
from studio_desktop.ui.canvas.display_cache import DisplayCache
from studio_desktop.ui.canvas.drop_rules import DropPlan, DropTarget, plan_drop
from studio_desktop.ui.canvas.export_out import DRAG_AHEAD_MS, ExportOut
from studio_desktop.ui.canvas.images import (
    DisplayImage,
    NotHereError,
    ObjectKey,
    ThumbnailLoader,
)
from studio_desktop.ui.canvas.mask_assist import (
    REFINE_DELAY_MS,
    MaskAssist,
    remembered_int,
    snap_setting,
)
from studio_desktop.ui.canvas.mask_layer import MAX_BRUSH, MIN_BRUSH, MaskDiff, MaskLayer
from studio_desktop.ui.canvas.strips import AssetStrip, VersionStrip
from studio_desktop.ui.canvas.view import CompareMode, MaskCanvas, Tool
from studio_desktop.ui.drop import accept_copy
from studio_desktop.ui.icons import icon
from studio_desktop.ui.main_window import IMAGE_FILTER, main_window_of
from studio_desktop.ui.operations import event_loop, run_op, show_external_error
from studio_desktop.ui.session import SessionMemory
from studio_desktop.ui.theme import scaled_font
from studio_desktop.ui.widgets.drop_overlay import DropOverlay
from studio_desktop.ui.widgets.empty_state import EmptyState
from studio_desktop.ui.widgets.message_bar import MessageLevel

log = logging.getLogger(__name__)
T = TypeVar("T")

CHAT_WIDTH = 340
MASK_PNG_FILTER = "Masks (*.png *.jpg *.jpeg *.webp);;All files (*)"
DEFAULT_MODIFY_PX = 4


class CanvasArea(MaskAssist, ExportOut, AreaWidget):
    area_key = AreaKey.CANVAS
    accepts_paste = True

    #: A creation is shown (its id), after ``open_creation`` finished.
    creation_opened = Signal(str)
    #: The canvas shows an image (its storage key), its mask ready to paint.
    image_shown = Signal(object)
    #: A refinement of the shown mask is ready (its outline is drawn when snapping is on).
    refined = Signal()
    #: A version was exported (ExportedVersion).
    exported = Signal(object)

    def __init__(
        self,
        services: WorkspaceServices | None = None,
        parent: QWidget | None = None,
        *,
        request_blob: BlobRequester | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.missing_files = MissingFiles(request_blob)
        self.undo_stack.setUndoLimit(UNDO_LIMIT)
        self.bridge = EventBridge(self)
        self._model: CanvasScreen | None = None
        self._model_links: list[tuple[Event[Any], Callable[[Any], object]]] = []
        self.creation_list: CreationList | None = None
        self._layers: dict[str, MaskLayer] = {}
        self._shown_key: ObjectKey | None = None
        self._sending = False
        self._creations_loaded = False
        self._last_asset: dict[str, str] = {}
        self._selecting: threading.Event | None = None
        self._rgb_cache: tuple[DisplayImage, np.ndarray] | None = None
        self._pending_send: str | None = None
        self.last_drag: QDrag | None = None
        self.refiner = MaskRefiner()
        self._refine_timer = QTimer(self)
        self._refine_timer.setSingleShot(True)
        self._refine_timer.setInterval(REFINE_DELAY_MS)
        self._refine_timer.timeout.connect(self.refine_now)
        self._drag_ahead: set[Path] = set()
        self._drag_timer = QTimer(self)
        self._drag_timer.setSingleShot(True)
        self._drag_timer.setInterval(DRAG_AHEAD_MS)
        self._drag_timer.timeout.connect(self._prepare_drag_ahead)
        self._refine_ticker = QTimer(self)
        self._refine_ticker.setInterval(300)
        self._refine_ticker.timeout.connect(self._show_refine_progress)
        self._compare_keys = CompareKeyFilter(self)
        self._active = False
        self._window_connected = False
        self.thumbnails = ThumbnailLoader(
            self._locate, self._make_thumbnail, self, missing=self._ask_for_blob
        )
        self.displays = DisplayCache(self, self._locate)
        self._build()
        # Where the designer was (restored once the services are here; see ui/session.py).
        self.session = SessionMemory(services.store.dirs.root) if services is not None else None
        self.canvas.set_brush_size(SessionMemory.brush_size(self.canvas.brush_size))
        if services is not None:
            self._connect_services(services)

    # ================================================================ building
    def _build(self) -> None:
        self.creations = CreationsPanel(self.thumbnails, self)
        self.creations.creation_selected.connect(self.open_creation)
        self.creations.new_requested.connect(self.choose_new_creation)
        self.creations.rename_requested.connect(self.rename_creation)
        self.creations.delete_requested.connect(self.delete_creation)

        self.canvas = MaskCanvas(self)
        self.canvas.drop_classifier = self._classify_drop
        self.canvas.stroke_finished.connect(self._stroke_finished)
        self.canvas.files_dropped.connect(self._dropped)
        self.canvas.zoom_changed.connect(self._zoom_changed)
        self.canvas.brush_size_changed.connect(self._brush_changed)
        self.canvas.tool_changed.connect(self._tool_changed)
        self.canvas.mask_visibility_changed.connect(self._mask_visibility_changed)
        self.canvas.compare_changed.connect(self._compare_changed)

        self.canvas.selection_requested.connect(self._selection_requested)
        self.canvas.drag_out_requested.connect(lambda: self.drag_version_out(None))
        self.toolbars = self._build_toolbar()

        self.asset_strip = AssetStrip(self.thumbnails, self)
        self.asset_strip.asset_selected.connect(self.select_asset)
        self.asset_strip.files_dropped.connect(self._add_files)
        self.asset_strip.rename_requested.connect(self.rename_asset)
        self.asset_strip.delete_requested.connect(self.delete_asset)
        self.asset_strip.export_requested.connect(lambda aid: self.export_shown(asset_id=aid))
        self.add_button = QToolButton(self)
        self.add_button.setIcon(icon("add"))
        self.add_button.setToolTip("Add images to this creation…")
        self.add_button.setAutoRaise(True)
        self.add_button.clicked.connect(self.choose_images_to_add)

        self.version_strip = VersionStrip(self.thumbnails, self)
        self.version_strip.version_selected.connect(self._version_selected)
        self.version_strip.revert_requested.connect(self.revert_to)
        self.version_strip.export_requested.connect(lambda row: self.export_shown(row=row))
        self.version_strip.drag_requested.connect(self.drag_version_out)
        self.revert_button = QToolButton(self)
        self.revert_button.setIcon(icon("undo"))
        self.revert_button.setText("Revert")
        self.revert_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.revert_button.setAutoRaise(True)
        self.revert_button.setObjectName("RevertButton")
        self.revert_button.setToolTip("Make the selected version the current one")
        self.revert_button.clicked.connect(lambda: self.revert_to(self.version_strip.currentRow()))

        strips = QHBoxLayout()
        strips.setContentsMargins(10, 0, 10, 8)
        strips.setSpacing(10)
        strips.addLayout(self._strip_column("Images", self.asset_strip, [self.add_button]), 1)
        strips.addLayout(
            self._strip_column("Versions", self.version_strip, [self.revert_button]), 1
        )

        editor = QWidget(self)
        editor.setObjectName("CanvasEditor")
        column = QVBoxLayout(editor)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        column.addWidget(self.toolbars)
        column.addWidget(self.canvas, 1)
        column.addLayout(strips)

        self.empty_state = EmptyState(
            "canvas",
            "Start a creation",
            "Drop images here, or pick a creation on the left. Paint over what should change "
            "and describe the edit in the chat.",
            self,
        )
        empty_button = QPushButton(icon("import"), "New creation from images…", self)
        empty_button.setObjectName("EmptyNewCreationButton")
        empty_button.clicked.connect(self.choose_new_creation)
        # Right under the sentence (before the empty state's bottom stretch).
        empty_layout = self.empty_state.layout()
        empty_layout.insertSpacing(empty_layout.count() - 1, 8)
        empty_layout.insertWidget(
            empty_layout.count() - 1, empty_button, 0, Qt.AlignmentFlag.AlignHCenter
        )
        empty_page = QWidget(self)
        page_layout = QVBoxLayout(empty_page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.addWidget(self.empty_state, 1)

        self.center = QStackedWidget(self)
        self.center.addWidget(empty_page)
        self.center.addWidget(editor)
        self.empty_page = empty_page
        self.editor = editor

        self.chat = ChatPanel(self.thumbnails, self)
        self.chat.conversation_selected.connect(self.select_conversation)
        self.chat.new_conversation_requested.connect(self.new_conversation)
        self.chat.rename_conversation_requested.connect(self.rename_conversation)
        self.chat.delete_conversation_requested.connect(self.delete_conversation)
        self.chat.send_requested.connect(self.send_instruction)
        self.chat.cancel_requested.connect(self.cancel_job)
        self.chat.message_activated.connect(self._message_activated)
        self.chat.input.setAcceptDrops(False)  # files dropped there go to the creation

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("CanvasSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.creations)
        self.splitter.addWidget(self.center)
        self.splitter.addWidget(self.chat)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.creations.setMinimumWidth(170)
        self.chat.setMinimumWidth(280)
        self.splitter.setSizes([PANEL_WIDTH, 600, CHAT_WIDTH])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.setAcceptDrops(True)
        self.drop_overlay = DropOverlay(self)
        self._show_editor(False)

    def _strip_column(self, title: str, strip: QWidget, buttons: list[QWidget]) -> QVBoxLayout:
        label = QLabel(title, self)
        label.setFont(scaled_font(self.font(), 0.9, bold=True))
        label.setProperty("muted", True)
        header = QHBoxLayout()
        header.setContentsMargins(2, 0, 0, 0)
        header.addWidget(label)
        header.addStretch(1)
        for button in buttons:
            button.setFixedHeight(24)
            header.addWidget(button)
        column = QVBoxLayout()
        column.setSpacing(2)
        column.addLayout(header)
        column.addWidget(strip)
        return column

    def _action(
        self,
        icon_name: str | None,
        text: str,
        shortcuts: list[str] | None,
        slot: Callable[[], object],
        *,
        checkable: bool = False,
    ) -> QAction:
        action = QAction(icon(icon_name) if icon_name else icon("more"), text, self)
        if not icon_name:
            action.setIcon(icon("more"))
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            keys = " or ".join(
                QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText) for s in shortcuts
            )
            action.setToolTip(f"{text} ({keys})")
        action.setCheckable(checkable)
        if checkable:
            action.toggled.connect(lambda _on: slot())
        else:
            action.triggered.connect(lambda _c=False: slot())
        self.addAction(action)
        return action

    def _new_bar(self, name: str) -> QToolBar:
        bar = QToolBar(self)
        bar.setObjectName(name)
        bar.setIconSize(QSize(18, 18))
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        return bar

    def _build_toolbar(self) -> QWidget:
        """Two rows, so everything fits from a 1024 px wide window up (nothing behind »):
        tools (paint, select) and history on top; the mask's own commands and the view's
        zoom below."""
        tools = QActionGroup(self)
        self.action_brush = self._action(
            "brush", "Brush", ["B"], lambda: self.canvas.set_tool(Tool.BRUSH), checkable=True
        )
        self.action_eraser = self._action(
            "eraser",
            "Eraser (or drag with the right button)",
            ["E"],
            lambda: self.canvas.set_tool(Tool.ERASER),
            checkable=True,
        )
        self.action_wand = self._action(
            "wand",
            "Magic wand: click a colour to select the area of it around the click "
            "(Shift adds, Alt takes away)",
            ["W"],
            lambda: self.canvas.set_tool(Tool.WAND),
            checkable=True,
        )
        self.action_colour_range = self._action(
            "colour-range",
            "Colour range: click a colour to select it everywhere in the image "
            "(Shift adds, Alt takes away)",
            ["R"],
            lambda: self.canvas.set_tool(Tool.COLOUR_RANGE),
            checkable=True,
        )
        self.action_object = self._action(
            "select-object",
            "Select object: drag a box round an object, or click it (Shift adds, Alt takes away)",
            ["O"],
            lambda: self.canvas.set_tool(Tool.OBJECT),
            checkable=True,
        )
        for action in (
            self.action_brush,
            self.action_eraser,
            self.action_wand,
            self.action_colour_range,
            self.action_object,
        ):
            tools.addAction(action)
        self.action_brush.setChecked(True)
        self.action_swap = self._action(None, "Swap brush and eraser", ["X"], self._swap_tool)
        self.action_smaller = self._action(
            "zoom-out", "Smaller brush", ["["], lambda: self.canvas.step_brush(-1)
        )
        self.action_bigger = self._action(
            "zoom-in", "Bigger brush", ["]"], lambda: self.canvas.step_brush(+1)
        )
        self.size_spin = QSpinBox(self)
        self.size_spin.setObjectName("BrushSize")
        self.size_spin.setRange(MIN_BRUSH, MAX_BRUSH)
        self.size_spin.setSuffix(" px")
        self.size_spin.setValue(self.canvas.brush_size)
        self.size_spin.setToolTip("Brush size in image pixels ([ and ], or Alt+wheel)")
        self.size_spin.setKeyboardTracking(False)
        self.size_spin.valueChanged.connect(self.canvas.set_brush_size)
        self._tolerances = {
            Tool.WAND: remembered_int("canvas/wand_tolerance", selection.DEFAULT_TOLERANCE),
            Tool.COLOUR_RANGE: remembered_int("canvas/colour_range", selection.DEFAULT_FUZZINESS),
        }
        self.tolerance_spin = QSpinBox(self)
        self.tolerance_spin.setObjectName("SelectionTolerance")
        self.tolerance_spin.setRange(1, int(selection.MAX_TOLERANCE))
        self.tolerance_spin.setPrefix("± ")
        self.tolerance_spin.setValue(self._tolerances[Tool.WAND])
        self.tolerance_spin.setKeyboardTracking(False)
        self.tolerance_spin.valueChanged.connect(self._tolerance_changed)
        self.tolerance_spin.setEnabled(False)
        self.action_show_mask = self._action(
            "mask", "Show mask", ["M"], self._toggle_mask, checkable=True
        )
        self.action_show_mask.setChecked(True)
        self.action_snap = self._action(
            "snap-edges",
            "Snap to edges: send the mask fitted to the object's edges (its outline is drawn "
            "over the painted mask); off sends exactly what is painted",
            ["S"],
            self._snap_toggled,
            checkable=True,
        )
        self.action_snap.blockSignals(True)
        self.action_snap.setChecked(snap_setting())
        self.action_snap.blockSignals(False)
        self.action_grow = self._action(
            "mask-grow", "Grow the mask by the amount", ["Alt+]"], lambda: self.modify_mask("grow")
        )
        self.action_shrink = self._action(
            "mask-shrink",
            "Shrink the mask by the amount",
            ["Alt+["],
            lambda: self.modify_mask("shrink"),
        )
        self.action_feather = self._action(
            "mask-feather",
            "Feather (soften) the mask's edge by the amount",
            ["Shift+F6"],
            lambda: self.modify_mask("feather"),
        )
        self.amount_spin = QSpinBox(self)
        self.amount_spin.setObjectName("MaskAmount")
        self.amount_spin.setRange(1, selection.MAX_AMOUNT)
        self.amount_spin.setSuffix(" px")
        self.amount_spin.setValue(remembered_int("canvas/mask_amount", DEFAULT_MODIFY_PX))
        self.amount_spin.valueChanged.connect(
            lambda value: QSettings().setValue("canvas/mask_amount", value)
        )
        self.amount_spin.setToolTip("How far grow, shrink and feather reach, in image pixels")
        self.amount_spin.setKeyboardTracking(False)
        self.action_clear = self._action("delete", "Clear mask", ["Ctrl+D"], self.clear_mask)
        self.action_invert = self._action(
            "mask-invert", "Invert mask", ["Ctrl+Shift+I"], self.invert_mask
        )
        self.action_import_mask = self._action(
            "mask-import", "Import a mask from a file…", ["Ctrl+Shift+M"], self.choose_mask_file
        )
        self.action_export = self._action(
            "export",
            "Export the shown version as a PNG… (or Ctrl+drag the image out)",
            None,
            self.export_shown,
        )
        self.action_export.setToolTip(
            "Export the shown version as a PNG… (Ctrl+E; or Ctrl+drag the image out)"
        )
        self.action_undo = self.undo_stack.createUndoAction(self, "Undo")
        self.action_undo.setIcon(icon("undo"))
        self.action_undo.setToolTip("Undo the last change to the mask (Ctrl+Z)")
        self.action_redo = self.undo_stack.createRedoAction(self, "Redo")
        self.action_redo.setIcon(icon("redo"))
        self.action_redo.setToolTip("Redo (Ctrl+Shift+Z)")
        self.action_zoom_out = self._action(
            "zoom-out", "Zoom out", ["Ctrl+-"], lambda: self.canvas.zoom_by(1 / 1.25)
        )
        self.action_zoom_in = self._action(
            "zoom-in", "Zoom in", ["Ctrl+=", "Ctrl++"], lambda: self.canvas.zoom_by(1.25)
        )
        self.action_fit = self._action("zoom-fit", "Fit in view", ["Ctrl+0"], self.canvas.fit)
        self.action_actual = self._action(
            "zoom-actual", "Actual size (100 %)", ["Ctrl+Alt+0"], self.canvas.actual_size
        )
        self.action_compare = self._action(
            "compare",
            "Compare with another version side by side (hold \\ for a quick look)",
            ["Y"],
            self._toggle_compare,
            checkable=True,
        )
        self.action_compare.setToolTip(
            "Compare with another version side by side (Y; hold \\ for a quick look)"
        )
        self.action_paste = self._action("copy", "Paste image", ["Ctrl+V"], self.paste_image)
        self.zoom_label = QLabel("100 %", self)
        self.zoom_label.setObjectName("ZoomLabel")
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.zoom_label.setMinimumWidth(
            self.zoom_label.fontMetrics().horizontalAdvance("3200 %") + 8
        )
        self.zoom_label.setToolTip("Zoom (wheel; Ctrl+0 fits, Ctrl+Alt+0 is 100 %)")

        bar = self._new_bar("CanvasToolbar")
        bar.addAction(self.action_brush)
        bar.addAction(self.action_eraser)
        bar.addWidget(self.size_spin)
        bar.addSeparator()
        bar.addAction(self.action_wand)
        bar.addAction(self.action_colour_range)
        bar.addAction(self.action_object)
        bar.addWidget(self.tolerance_spin)
        bar.addAction(self.action_import_mask)
        bar.addSeparator()
        bar.addAction(self.action_undo)
        bar.addAction(self.action_redo)
        spacer = QWidget(self)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        bar.addAction(self.action_compare)
        bar.addAction(self.action_export)

        mask_bar = self._new_bar("CanvasMaskToolbar")
        mask_bar.addAction(self.action_show_mask)
        mask_bar.addAction(self.action_snap)
        mask_bar.addSeparator()
        mask_bar.addAction(self.action_grow)
        mask_bar.addAction(self.action_shrink)
        mask_bar.addAction(self.action_feather)
        mask_bar.addWidget(self.amount_spin)
        mask_bar.addSeparator()
        mask_bar.addAction(self.action_invert)
        mask_bar.addAction(self.action_clear)
        spacer = QWidget(self)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        mask_bar.addWidget(spacer)
        mask_bar.addAction(self.action_zoom_out)
        mask_bar.addWidget(self.zoom_label)
        mask_bar.addAction(self.action_zoom_in)
        mask_bar.addAction(self.action_fit)
        mask_bar.addAction(self.action_actual)
        self.toolbar = bar
        self.mask_toolbar = mask_bar

        box = QWidget(self)
        box.setObjectName("CanvasToolbars")
        rows = QVBoxLayout(box)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setSpacing(0)
        rows.addWidget(bar)
        rows.addWidget(mask_bar)
        return box

    def _connect_services(self, services: WorkspaceServices) -> None:
        self.creation_list = CreationList(services)
        self.bridge.connect_event(self.creation_list.creation_changed, self.creations.upsert)
        self.bridge.connect_event(self.creation_list.creation_removed, self.creations.remove)
        self.destroyed.connect(self.creation_list.close)
        QTimer.singleShot(0, self, self._restore_session)

    # ================================================================ the model
    @property
    def model(self) -> CanvasScreen | None:
        """The open creation's screen model (None: the empty state is shown)."""
        return self._model

    @model.setter
    def model(self, model: CanvasScreen | None) -> None:
        """Bind to ``model``: the old one is disconnected and closed (the area owns the screen
        it shows), the new one connected. Its events arrive on the GUI thread (the loop's)."""
        if model is self._model:
            return
        for event, slot in self._model_links:
            event.disconnect(slot)
        self._model_links.clear()
        if self._model is not None:
            self._model.close()
        self._model = model
        if model is None:
            return
        for event, slot in (
            (model.asset_selected, self._on_asset_selected),
            (model.version_shown, self._on_version_shown),
            (model.asset_changed, self._on_asset_changed),
            (model.asset_removed, self._on_asset_removed),
            (model.conversations_changed, self._fill_conversations),
            (model.conversation_selected, self._on_conversation_selected),
            (model.messages_added, self._on_messages_added),
            (model.progress_changed, self._on_progress),
            (model.creation_changed, self.creations.upsert),
            (model.creation_removed, self._on_creation_removed),
        ):
            guarded = self._alive_only(slot)
            event.connect(guarded)
            self._model_links.append((event, guarded))

    def _alive_only(self, slot: Callable[[T], object]) -> Callable[[T], None]:
        def call(value: T) -> None:
            if shiboken6.isValid(self):
                slot(value)

        return call

    @property
    def selected(self) -> tuple[CanvasScreen, AssetState] | None:
        """The bound model and its selected image (None: no creation, or no image in it)."""
        model = self._model
        asset = model.asset if model is not None else None
        return None if model is None or asset is None else (model, asset)

    @property
    def state(self) -> CreationState | None:
        """The open creation's rows (read-only; the model owns them)."""
        return self._model.state if self._model is not None else None

    # ================================================================ the last session
    def _restore_session(self) -> None:
        """Reopen the creation open at the last moment (without bringing the Canvas forward);
        one deleted since is forgotten quietly."""
        session, services = self.session, self.services
        if session is None or services is None or self._model is not None:
            return
        thread_id, asset_id = session.creation()
        if thread_id is None:
            return
        if asset_id is not None:
            self._last_asset.setdefault(thread_id, asset_id)

        def gone(error: ExternalError) -> None:
            log.info("last creation not reopened: %s", error.message)
            session.remember_creation(None)

        def opened(screen: CanvasScreen) -> None:
            if self._model is None:
                self._opened(screen)
            else:
                screen.close()

        run_op(
            self,
            CanvasScreen.open(services, thread_id, asset_id=self._last_asset.get(thread_id)),
            on_success=opened,
            on_failure=gone,
            progress="Reopening your last creation…",
        )

    def _restore_mask(self, asset_id: str, layer: MaskLayer) -> None:
        """Put back the mask kept for this image (imported or painted before a restart)."""
        session = self.session
        if session is None or not session.mask_file(asset_id).is_file():
            return

        def put(array: Any) -> None:
            if array is not None and self._layers.get(asset_id) is layer and layer.is_empty():
                layer.replace(array)
                self.canvas.update()
                self._refresh_mask_hint()

        self._background(lambda: session.load_mask(asset_id, layer.size), on_done=put)

    def _keep_mask(self, asset_id: str, layer: MaskLayer) -> None:
        session = self.session
        if session is not None:
            array = layer.to_array()
            self._background(lambda: session.save_mask(asset_id, array), on_done=lambda _r: None)

    def save_session(self) -> None:
        """At close: keep the masks of the images (an empty one forgets its file)."""
        if self.session is None:
            return
        for asset_id, layer in self._layers.items():
            try:
                self.session.save_mask(asset_id, layer.to_array())
            except OSError as error:
                log.warning("mask of %s not kept: %s", asset_id, error)

    # ================================================================ helpers
    def _locate(self, key: ObjectKey) -> Path | None:
        if self.services is None:
            return None
        return self.services.canvas.local_file(*key)

    def _ask_for_blob(self, key: ObjectKey) -> None:
        """An object on screen is not on this computer: ask the sync for it (once)."""
        self.missing_files.ask(*key)

    def notify_blob_available(self, bucket: str, path: str) -> None:
        """An object arrived in the blob cache (the sync fetched it): show it where it is due."""
        key = (bucket, path)
        self.missing_files.arrived(bucket, path)
        self.thumbnails.forget(key)
        if self._model is None:
            return
        if key == self._model.shown_key and self._shown_key != key:
            self._show_current_image(keep_view=True)
        else:
            self._load_other()

    def _make_thumbnail(self, path: Path, size: int) -> Path:
        assert self.services is not None
        return self.services.thumbnails.get_or_make(path, size)

    def _background(
        self,
        fn: Callable[..., T],
        *args: Any,
        on_done: Callable[[T], object],
        on_error: Callable[[BaseException], object] | None = None,
    ) -> None:
        """Run blocking ``fn`` in the executor quietly (no busy indicator), then ``on_done``."""
        future = event_loop().run_in_executor(None, lambda: fn(*args))

        def finished(f: asyncio.Future[T]) -> None:
            if f.cancelled() or not shiboken6.isValid(self):
                return
            error = f.exception()
            if error is not None:
                if on_error is not None:
                    on_error(error)
                else:
                    log.warning("canvas background work failed: %r", error)
                return
            on_done(f.result())

        future.add_done_callback(finished)

    def _message(self, text: str, level: MessageLevel = MessageLevel.INFO) -> None:
        window = main_window_of(self)
        if window is not None:
            window.show_message(text, level=level)
        else:
            log.info("canvas: %s", text)

    def _show_editor(self, shown: bool) -> None:
        self.center.setCurrentWidget(self.editor if shown else self.empty_page)
        self.chat.setVisible(shown)
        for action in (
            self.action_clear,
            self.action_invert,
            self.action_import_mask,
            self.action_compare,
            self.action_fit,
            self.action_actual,
            self.action_zoom_in,
            self.action_zoom_out,
            self.action_paste,
        ):
            action.setEnabled(shown or action is self.action_paste)

    @property
    def current_thread_id(self) -> str | None:
        return self._model.thread_id if self._model else None

    @property
    def current_asset_id(self) -> str | None:
        return self._model.asset_id if self._model else None

    @property
    def current_conversation_id(self) -> str | None:
        return self._model.conversation_id if self._model else None

    @property
    def current_layer(self) -> MaskLayer | None:
        asset_id = self.current_asset_id
        return self._layers.get(asset_id) if asset_id else None

    # ================================================================ area life
    def area_activated(self) -> None:
        if self.services is not None and not self._creations_loaded:
            self.reload_creations()
        if self._model is not None:
            self.canvas.setFocus()
        self._active = True
        window = main_window_of(self)
        if window is not None and not self._window_connected:
            self._window_connected = True
            window.export_requested.connect(self._on_window_export)
        self._refresh_export()

    def area_deactivated(self) -> None:
        self._active = False
        self.canvas.set_compare(CompareMode.OFF)
        window = main_window_of(self)
        if window is not None:
            window.set_export_enabled(False)  # the next area says what it exports

    def _refresh_export(self) -> None:
        """File ▸ Export (Ctrl+E) exports the shown version while the canvas shows one."""
        can = self.canvas.image is not None and self._model is not None
        self.action_export.setEnabled(can)
        window = main_window_of(self)
        if window is not None and self._active:
            window.set_export_enabled(can, "&Export image…")

    def _on_window_export(self) -> None:
        window = main_window_of(self)
        if window is not None and window.current_area_key is AreaKey.CANVAS:
            self.export_shown()

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().showEvent(event)
        self._compare_keys.install()
        # Work the hide stopped: a refinement that was due (the outline already drawn stays).
        layer = self.current_layer
        if (
            self.snap_to_edges
            and layer is not None
            and not layer.is_empty()
            and self.refiner.running is None
            and self.refiner.result_for(layer, layer.revision) is None
        ):
            self._refine_timer.start()

    def hideEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self._compare_keys.remove()
        self._refine_timer.stop()
        self._refine_ticker.stop()
        self._drag_timer.stop()
        super().hideEvent(event)

    def hold_compare(self, held: bool) -> None:
        """``\\`` held down anywhere in the window: show the version before (released: back)."""
        if held:
            if self.canvas.compare_mode is CompareMode.OFF:
                self.canvas.set_compare(CompareMode.HOLD)
        elif self.canvas.compare_mode is CompareMode.HOLD:
            self.canvas.set_compare(CompareMode.OFF)

    def reload_creations(self) -> None:
        """Fill the creations list (the most recently changed first)."""
        if self.creation_list is None:
            return
        self._creations_loaded = True
        self._background(
            self.creation_list.read,
            on_done=lambda threads: self.creations.set_creations(threads, self.current_thread_id),
        )

    # ================================================================ opening
    def open_creation(self, thread_id: str) -> asyncio.Task[CanvasScreen | None] | None:
        """Show a creation (brings the Canvas area forward)."""
        if self.services is None:
            return None
        window = main_window_of(self)
        if window is not None and window.current_area_key is not AreaKey.CANVAS:
            window.set_current_area(AreaKey.CANVAS)
        if self._model is not None and self._model.thread_id == thread_id:
            return None  # already shown, and kept up to date by its model
        return run_op(
            self,
            CanvasScreen.open(self.services, thread_id, asset_id=self._last_asset.get(thread_id)),
            on_success=self._opened,
            progress="Opening the creation…",
        )

    def _opened(self, screen: CanvasScreen) -> None:
        if self._model is not None and self._model.thread_id != screen.thread_id:
            self.undo_stack.clear()  # the masks it changes belong to the creation left
            self._layers.clear()
        self.model = screen
        thread = screen.thread
        self.canvas.set_compare(CompareMode.OFF)
        # The first image has the executor to itself; thumbnails follow once it is shown.
        self.thumbnails.hold()
        if thread.id not in self.creations.ids():
            self.creations.upsert(thread)
        self.creations.select(thread.id)
        if self.session is not None:
            self.session.remember_creation(thread.id, screen.asset_id)
        self._show_editor(True)
        self._fill_conversations(screen.conversation_id)
        self.asset_strip.set_assets(
            [
                (a.asset.id, screen.asset_label(a), current_key(a.asset))
                for a in screen.state.assets
            ],
            screen.asset_id,
        )
        self._refresh_busy()
        self._on_asset_selected(AssetSelected(screen.asset_id, True))
        self.creation_opened.emit(thread.id)

    # ================================================================ conversations
    def _fill_conversations(self, current: str | None) -> None:
        model = self._model
        if model is None:
            return
        self.chat.set_conversations(model.conversation_items(), current)
        self.chat.set_messages(model.messages())
        self._on_progress(model.progress)

    def select_conversation(self, conversation_id: str) -> None:
        if self._model is not None:
            self._model.select_conversation(conversation_id)

    def _on_conversation_selected(self, _conversation_id: str | None) -> None:
        if self._model is not None:
            self.chat.set_messages(self._model.messages())

    def new_conversation(self) -> None:
        if self._model is None:
            return
        run_op(
            self,
            self._model.new_conversation(),
            on_success=lambda _c: self.chat.input.setFocus(),
            progress="Starting a new chat…",
        )

    def rename_conversation(self, conversation_id: str, title: str) -> None:
        if self._model is None or not conversation_id or conversation_id == LOOSE:
            return
        run_op(
            self,
            self._model.rename_conversation(conversation_id, title),
            progress="Renaming the chat…",
        )

    def delete_conversation(self, conversation_id: str) -> None:
        """Delete a chat with its messages; Ctrl+Z brings it back (a command on the area's
        undo stack), and the message bar says which."""
        model = self._model
        if model is None or not conversation_id or conversation_id == LOOSE:
            return
        title = self.chat.conversation_combo.currentText() or "Untitled chat"

        def restore(deleted: Any, then: Callable[[str], None]) -> None:
            def done(conversation: Any) -> None:
                then(conversation.id)
                self._message(f"Chat “{title}” restored.", MessageLevel.SUCCESS)

            run_op(
                self,
                model.restore_conversation(deleted),
                on_success=done,
                progress="Restoring the chat…",
            )

        def delete(target: str, then: Callable[[Any], None]) -> None:
            def done(deleted: Any) -> None:
                then(deleted)
                self._message(f"Chat “{title}” deleted. Undo with Ctrl+Z.", MessageLevel.SUCCESS)

            run_op(
                self,
                model.delete_conversation(target),
                on_success=done,
                progress="Deleting the chat…",
            )

        def deleted(snapshot: Any) -> None:
            self.undo_stack.push(DeleteConversationCommand(title, snapshot, restore, delete))
            self._message(f"Chat “{title}” deleted. Undo with Ctrl+Z.", MessageLevel.SUCCESS)

        run_op(
            self,
            model.delete_conversation(conversation_id),
            on_success=deleted,
            progress="Deleting the chat…",
        )

    # ================================================================ assets and images
    def select_asset(self, asset_id: str) -> None:
        if self._model is not None:
            self._model.select_asset(asset_id)

    def _on_asset_selected(self, selected: AssetSelected) -> None:
        model = self._model
        if model is None:
            return
        asset_id = selected.asset_id
        if asset_id is None:
            self.thumbnails.release()
            self.canvas.set_image(None, None)
            self.canvas.set_other(None)
            self.canvas.set_placeholder("This creation has no images yet. Drop images here.")
            self.version_strip.set_versions([], -1)
            self.revert_button.setEnabled(False)
            self._refresh_mask_hint()
            return
        self._last_asset[model.thread_id] = asset_id
        if self.session is not None:
            self.session.remember_creation(model.thread_id, asset_id)
        self.asset_strip.select(asset_id)
        if selected.changed:
            self.canvas.set_compare(CompareMode.OFF)
            self._drop_pending_send()
        # The shown image first: the version to compare with is decoded once it is on screen.
        self._show_current_image(keep_view=not selected.changed)
        self._refresh_versions(load_other=False)
        self._refresh_mask_hint()

    def _refresh_versions(self, *, load_other: bool = True) -> None:
        bound = self.selected
        if bound is None:
            self.version_strip.set_versions([], -1)
            self.revert_button.setEnabled(False)
            return
        model, asset = bound
        selected = model.shown_index
        self.version_strip.set_versions(
            [
                (version_label(i), version_key(v), v.is_current)
                for i, v in enumerate(asset.versions)
            ],
            selected,
        )
        self.revert_button.setEnabled(selected != asset.current_index and selected >= 0)
        self._refresh_view_note()
        if load_other:
            self._load_other()

    def _refresh_view_note(self) -> None:
        bound = self.selected
        if bound is not None and bound[0].viewing_other:
            model, asset = bound
            self.canvas.set_note(
                f"Viewing {version_label(model.shown_index)}: edits apply to the current version "
                f"({version_label(asset.current_index)}). Revert makes this one current."
            )
        else:
            self.canvas.set_note("")

    def _load_other(self) -> None:
        bound = self.selected
        index = bound[0].other_index if bound is not None else None
        if bound is None or index is None:
            self.canvas.set_other(None)
            self.action_compare.setEnabled(False)
            return
        self.action_compare.setEnabled(True)
        model, asset = bound
        key = version_key(asset.versions[index])
        shown = model.shown_index

        def label(i: int) -> str:
            return f"{version_label(i)} (current)" if i == asset.current_index else version_label(i)

        asset_id = asset.asset.id

        def ready(display: DisplayImage) -> None:
            if self._model is model and model.asset_id == asset_id and model.other_index == index:
                self.canvas.set_other(display, label(index), label(shown), before=index < shown)

        self.displays.get(key, ready)

    def _version_selected(self, row: int) -> None:
        """A click on a version shows it large (the current version does not change; Revert
        does that)."""
        bound = self.selected
        if bound is None or not 0 <= row < len(bound[1].versions):
            return
        model, asset = bound
        self.revert_button.setEnabled(row != asset.current_index)
        model.show_version(row)

    def _on_version_shown(self, _row: int) -> None:
        self._refresh_view_note()
        self._show_current_image(keep_view=True)

    def show_version(self, row: int) -> None:
        """Show version ``row`` large, as a click on it in the strip does."""
        self.version_strip.setCurrentRow(row)

    def _show_current_image(self, *, keep_view: bool) -> None:
        """Show the shown version (the current one unless another was clicked)."""
        bound = self.selected
        key = bound[0].shown_key if bound is not None else None
        if bound is None or key is None:
            self.canvas.set_image(None, None)
            self.canvas.set_placeholder("This image has no picture yet.")
            return
        model, asset = bound
        if self.canvas.image is None:
            self.canvas.set_placeholder("Loading…")
        asset_id = asset.asset.id

        def ready(display: DisplayImage) -> None:
            self.thumbnails.release()
            if self._model is not model or model.asset_id != asset_id or model.shown_key != key:
                return
            layer = self._layers.get(asset_id)
            if layer is None or layer.size != (display.width, display.height):
                if layer is not None:
                    self._message(
                        "The mask was cleared: this version has another size than the one it "
                        "was painted on.",
                        MessageLevel.WARNING,
                    )
                layer = MaskLayer(display.width, display.height)
                self._layers[asset_id] = layer
                self._restore_mask(asset_id, layer)
            same = self.canvas.layer is layer
            other_picture = self.canvas.image is not display
            self.canvas.set_image(display, layer, keep_view=keep_view or same)
            self._shown_key = key
            if other_picture or not same:
                self.refiner.forget()  # a refinement follows the picture's edges
                self._mask_changed()
            self._load_other()
            self._refresh_mask_hint()
            self._refresh_export()
            self._drag_timer.start()
            self.image_shown.emit(key)

        def failed(error: BaseException) -> None:
            self.thumbnails.release()
            if self._model is not model or model.asset_id != asset_id:
                return
            self.canvas.set_image(None, None)
            self._shown_key = None
            if isinstance(error, NotHereError):
                self._ask_for_blob(key)
            if isinstance(error, ExternalError):
                self.canvas.set_placeholder(error.message)
            else:
                self.canvas.set_placeholder("This image could not be shown.")
                log.error("could not show %s", key, exc_info=error)

        self.displays.get(key, ready, failed)

    def _refresh_busy(self) -> None:
        if self._model is not None:
            self.asset_strip.set_busy(self._model.busy_assets)

    # ================================================================ mask
    def _layer_changed(self, layer: MaskLayer, rect: QRect) -> None:
        """After undo/redo: repaint, showing the image the mask belongs to."""
        asset_id = next((a for a, known in self._layers.items() if known is layer), None)
        if asset_id is not None and asset_id != self.current_asset_id:
            self.select_asset(asset_id)
        if self.canvas.layer is layer:
            self.canvas.image_rect_changed(rect)
            self._mask_changed()
        self._refresh_mask_hint()

    def _push(self, text: str, diff: MaskDiff | None, layer: MaskLayer) -> None:
        if diff is None:
            return
        self.undo_stack.push(MaskCommand(text, layer, diff, self._layer_changed))
        if self.canvas.layer is layer:
            self.canvas.image_rect_changed(diff.bounds)
            self._mask_changed()
        self._refresh_mask_hint()

    def _stroke_finished(self, diff: MaskDiff) -> None:
        layer = self.canvas.layer
        if layer is None:
            return
        text = "Erase mask" if self.canvas.tool is Tool.ERASER else "Brush stroke"
        self.undo_stack.push(MaskCommand(text, layer, diff, self._layer_changed))
        self._mask_changed()
        self._refresh_mask_hint()

    def clear_mask(self) -> None:
        layer = self.current_layer
        if layer is not None:
            self._push("Clear mask", layer.clear(), layer)

    def invert_mask(self) -> None:
        layer = self.current_layer
        if layer is not None:
            self._push("Invert mask", layer.invert(), layer)

    def _toggle_mask(self) -> None:
        self.canvas.set_mask_visible(self.action_show_mask.isChecked())

    def _swap_tool(self) -> None:
        self.canvas.set_tool(Tool.ERASER if self.canvas.tool is Tool.BRUSH else Tool.BRUSH)

    def _tool_changed(self, tool: str) -> None:
        actions = {
            Tool.BRUSH: self.action_brush,
            Tool.ERASER: self.action_eraser,
            Tool.WAND: self.action_wand,
            Tool.COLOUR_RANGE: self.action_colour_range,
            Tool.OBJECT: self.action_object,
        }
        chosen = Tool(tool)
        actions[chosen].setChecked(True)
        tolerance = self._tolerances.get(chosen)
        self.tolerance_spin.setEnabled(tolerance is not None)
        if tolerance is not None:
            self.tolerance_spin.blockSignals(True)
            self.tolerance_spin.setValue(tolerance)
            self.tolerance_spin.blockSignals(False)
            self.tolerance_spin.setToolTip(
                "Magic wand tolerance: how far a colour may differ from the clicked one (ΔE, 1–100)"
                if chosen is Tool.WAND
                else "Colour range: how far a colour may differ from the picked one "
                "(ΔE, 1–100; the edge fades over the second half)"
            )
        else:
            self.tolerance_spin.setToolTip(
                "Tolerance of the magic wand and colour range (choose one of them)"
            )

    def _tolerance_changed(self, value: int) -> None:
        tool = self.canvas.tool
        if tool in self._tolerances:
            self._tolerances[tool] = value
            key = "canvas/wand_tolerance" if tool is Tool.WAND else "canvas/colour_range"
            QSettings().setValue(key, value)

    def _brush_changed(self, size: int) -> None:
        SessionMemory.remember_brush_size(size)
        if self.size_spin.value() != size:
            self.size_spin.blockSignals(True)
            self.size_spin.setValue(size)
            self.size_spin.blockSignals(False)

    def _zoom_changed(self, zoom: float) -> None:
        self.zoom_label.setText(f"{zoom * 100:.0f} %" if zoom >= 0.1 else f"{zoom * 100:.1f} %")

    def _mask_visibility_changed(self, visible: bool) -> None:
        if self.action_show_mask.isChecked() != visible:
            self.action_show_mask.setChecked(visible)

    def _refresh_mask_hint(self) -> None:
        layer = self.current_layer
        self.chat.set_mask_hint(layer is not None and not layer.is_empty())

    def import_mask(self, path: Path) -> None:
        """Use the image at ``path`` as the mask of the shown image (undoable)."""
        layer = self.current_layer
        asset_id = self.current_asset_id
        model = self._model
        if model is None or layer is None or self.canvas.image is None or asset_id is None:
            self._message("Open an image first, then drop its mask on it.", MessageLevel.WARNING)
            return

        def loaded(mask: ImportedMask) -> None:
            if self._layers.get(asset_id) is not layer:
                return
            self._push("Import mask", layer.replace(mask.array), layer)
            self._keep_mask(asset_id, layer)
            (w, h), (ow, oh) = mask.size, mask.original_size
            note = f" (resized from {ow} x {oh} to {w} x {h})" if mask.resized else ""
            self._message(f"Mask imported from “{path.name}”{note}.", MessageLevel.SUCCESS)

        run_op(
            self, model.read_mask(path, layer.size), on_success=loaded, progress="Reading the mask…"
        )

    def choose_mask_file(self) -> QFileDialog:
        dialog = QFileDialog(self, "Import a mask", str(Path.home()), MASK_PNG_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda file: self.import_mask(Path(file)))
        dialog.open()
        return dialog

    # ================================================================ compare
    def _toggle_compare(self) -> None:
        on = self.action_compare.isChecked()
        if on and self.canvas.other is None:
            self.action_compare.setChecked(False)
            self._message("This image has no other version to compare with yet.")
            return
        self.canvas.set_compare(CompareMode.SPLIT if on else CompareMode.OFF)

    def _compare_changed(self, mode: str) -> None:
        split = mode == CompareMode.SPLIT.value
        if self.action_compare.isChecked() != split:
            self.action_compare.blockSignals(True)
            self.action_compare.setChecked(split)
            self.action_compare.blockSignals(False)

    # ================================================================ versions
    def revert_to(self, row: int) -> None:
        """Make version ``row`` (0 = the original) the current one."""
        if self._model is None or self._model.asset_id is None or row < 0:
            return
        run_op(
            self,
            self._model.revert(row),
            on_success=lambda _asset: self._message(
                f"Reverted to {version_label(row).lower()}.", MessageLevel.SUCCESS
            ),
            progress="Reverting…",
        )

    # ================================================================ sending
    def send_instruction(self, text: str, *, snap: bool | None = None) -> None:
        """Send ``text`` about the shown image with its mask: refined to the edges when Snap to
        edges is on (waiting for the refinement when it is not ready yet), exactly as painted
        when it is off (or ``snap=False``)."""
        model = self._model
        if model is None or self._sending:
            return
        refusal = model.send_refusal()
        if refusal is not None:
            self.chat.show_validation(refusal)
            return
        layer = self.current_layer
        snapping = self.snap_to_edges if snap is None else snap
        mask = None
        if layer is not None and not layer.is_empty():
            mask = self.refiner.result_for(layer, layer.revision) if snapping else layer.to_array()
            if mask is None:
                # Not refined yet: send once it is (a new stroke meanwhile is refined too).
                self._pending_send = text
                self.canvas.set_status("Snapping to edges before sending…")
                self.refine_now()
                return
        self._pending_send = None
        asset_id = model.asset_id
        self._sending = True

        def sent(result: SendResult) -> None:
            self._sending = False
            self.chat.clear_input()
            if mask is not None and layer is not None and self._layers.get(asset_id) is layer:
                self._push("Clear mask (sent)", layer.clear(), layer)
            if result.mask_resized_from is not None:
                w, h = result.mask_resized_from
                self._message(f"The mask was resized from {w} x {h} to fit the image.")

        def failed(error: ExternalError) -> None:
            self._sending = False
            if isinstance(error, ValidationError):
                self.chat.show_validation(error.message)
            else:
                show_external_error(self, error)

        task = run_op(
            self,
            model.send(text, mask),
            on_success=sent,
            on_failure=failed,
            progress="Sending the instruction…",
        )
        task.add_done_callback(lambda _t: setattr(self, "_sending", False))

    def cancel_job(self, job_id: str) -> None:
        if self._model is not None:
            run_op(self, self._model.cancel(job_id), progress="Canceling the edit…")

    # ================================================================ model events
    def _on_messages_added(self, messages: tuple[CanvasMessage, ...]) -> None:
        for message in messages:
            self.chat.append_message(message, follow=message.role == MessageRole.USER)
        self._refresh_busy()

    def _on_asset_changed(self, asset: AssetState) -> None:
        model = self._model
        if model is None:
            return
        self.asset_strip.update_asset(
            asset.asset.id,
            model.asset_label(asset),
            current_key(asset.asset),
            [a.asset.id for a in model.state.assets],
        )
        if asset.asset.id == model.asset_id:
            self._refresh_versions()
            self._show_current_image(keep_view=True)

    def _on_asset_removed(self, asset_id: str) -> None:
        self.asset_strip.remove_asset(asset_id)
        self._layers.pop(asset_id, None)

    def _on_progress(self, progress: CanvasProgress | None) -> None:
        self.chat.set_progress(progress)
        self._refresh_busy()

    def _on_creation_removed(self, thread_id: str) -> None:
        self.creations.remove(thread_id)
        if self.current_thread_id == thread_id:
            self.close_creation()

    def close_creation(self) -> None:
        """Show the empty state (the creation was deleted)."""
        if self.session is not None:
            self.session.remember_creation(None)
        self._drop_pending_send()
        self.model = None
        self._layers.clear()
        self.undo_stack.clear()
        self.canvas.set_image(None, None)
        self.canvas.set_other(None)
        self.chat.set_messages([])
        self.chat.set_progress(None)
        self._show_editor(False)
        self._refresh_export()

    def _message_activated(self, message: CanvasMessage) -> None:
        if message.asset_id:
            self.select_asset(message.asset_id)

    # ================================================================ drops and paste
    def _classify_drop(
        self, paths: list[Path], alt: bool, shift: bool, on_band: bool
    ) -> DropPlan | None:
        if self.services is None:
            return None
        image = self.canvas.image
        return plan_drop(
            paths,
            (image.width, image.height) if image is not None and self.current_layer else None,
            creation_open=self._model is not None,
            alt=alt,
            shift=shift,
            on_mask_band=on_band,
        )

    def _dropped(self, plan: DropPlan) -> None:
        if plan.target is DropTarget.MASK:
            self.import_mask(plan.paths[0])
        elif plan.target is DropTarget.ASSETS:
            self._add_files(list(plan.paths))
        elif plan.target is DropTarget.CREATION:
            self.start_creation(list(plan.paths))
        else:
            self._message(plan.text + ".", MessageLevel.WARNING)

    def _add_files(self, paths: list[Path]) -> None:
        if self.services is None:
            return
        if self._model is None:
            self.start_creation(paths)
            return
        run_op(
            self,
            self._model.add_files(paths),
            on_success=self._assets_added,
            progress="Adding the images…",
        )

    def _assets_added(self, result: CreationResult) -> None:
        """The model has the new images (the first is selected): say what became of each."""
        level = MessageLevel.WARNING if result.refused else MessageLevel.SUCCESS
        self._message(result.message, level)

    def start_creation(self, paths: list[Path]) -> None:
        """A new creation from image files, opened when made."""
        if self.creation_list is None:
            return

        def made(result: CreationResult) -> None:
            if result.refused:
                self._message(result.message, MessageLevel.WARNING)
            self.creations.upsert(result.thread)
            self.open_creation(result.thread.id)

        run_op(
            self,
            self.creation_list.start_creation(paths),
            on_success=made,
            progress="Starting a creation…",
        )

    def choose_new_creation(self) -> QFileDialog:
        return self._choose_images("New creation from images", self.start_creation)

    def choose_images_to_add(self) -> QFileDialog:
        return self._choose_images("Add images", self._add_files)

    def _choose_images(self, title: str, then: Callable[[list[Path]], None]) -> QFileDialog:
        dialog = QFileDialog(self, title, str(Path.home()), IMAGE_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.filesSelected.connect(lambda files: then([Path(f) for f in files]))
        dialog.open()
        return dialog

    def paste(self) -> None:  # (Edit ▸ Paste: the window asks every area the same way)
        self.paste_image()

    def paste_image(self) -> None:
        """Ctrl+V: the clipboard's image (or image files) as a new image of the creation."""
        if self.services is None:
            return
        mime = QGuiApplication.clipboard().mimeData()
        if mime is not None and mime.hasUrls():
            paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
            if paths:
                self._add_files(paths)
                return
        image = QGuiApplication.clipboard().image()
        if image.isNull():
            self._message("The clipboard holds no image to paste.", MessageLevel.WARNING)
            return
        model, creations = self._model, self.creation_list

        async def paste() -> CreationResult:
            data = await event_loop().run_in_executor(None, png_bytes, image)
            if model is not None:
                return await model.add_image_bytes(data)
            assert creations is not None
            return await creations.start_creation_from_bytes(data)

        def pasted(result: CreationResult) -> None:
            if model is None:
                self.creations.upsert(result.thread)
                self.open_creation(result.thread.id)
            else:
                self._assets_added(result)

        run_op(self, paste(), on_success=pasted, progress="Pasting the image…")

    # Drops elsewhere on the area (the creations list, the chat, margins, the empty page).
    def _area_plan(self, event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> DropPlan | None:
        mime = event.mimeData()
        if self.services is None or not mime.hasUrls():
            return None
        paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        if not paths:
            return None
        # On the creations list, images start a new creation; elsewhere (the chat, margins)
        # they join the open one.
        target = self.childAt(event.position().toPoint())
        on_list = target is not None and (
            target is self.creations or self.creations.isAncestorOf(target)
        )
        return plan_drop(paths, None, creation_open=self._model is not None and not on_list)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        plan = self._area_plan(event)
        if plan is None:
            event.ignore()
            return
        accept_copy(event)
        self.drop_overlay.show_over_parent(plan.text)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._area_plan(event) is None:
            event.ignore()
        else:
            accept_copy(event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.drop_overlay.hide()

    def dropEvent(self, event: QDropEvent) -> None:
        self.drop_overlay.hide()
        plan = self._area_plan(event)
        if plan is None:
            event.ignore()
            return
        accept_copy(event)
        self._dropped(plan)

    # ================================================================ creations
    def rename_creation(self, thread_id: str) -> QInputDialog | None:
        if self.services is None:
            return None
        services = self.services
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Rename creation")
        dialog.setLabelText("Name of this creation:")
        current = self.creations.list.currentItem()
        if current is not None:
            dialog.setTextValue(current.toolTip())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.textValueSelected.connect(
            lambda text: run_op(
                self,
                services.canvas.rename_creation(thread_id, text),
                on_success=self.creations.upsert,
                progress="Renaming…",
            )
        )
        dialog.open()
        return dialog

    def delete_creation(self, thread_id: str) -> QMessageBox | None:
        if self.services is None:
            return None
        services = self.services
        return self._confirm_delete(
            "Delete creation",
            "Delete this creation with its images, versions and chats? Jobs stay in History.",
            lambda: services.canvas.delete_creation(thread_id),
        )

    def _confirm_delete(
        self, title: str, question: str, work: Callable[[], Awaitable[object]]
    ) -> QMessageBox:
        """Ask before deleting (Cancel is the default); on "Delete", run ``work()``."""
        box = QMessageBox(
            QMessageBox.Icon.Question, title, question, QMessageBox.StandardButton.Cancel, self
        )
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(button: object) -> None:
            if button is delete:
                run_op(self, work(), progress="Deleting…")

        box.buttonClicked.connect(answered)
        box.open()
        return box

    def rename_asset(self, asset_id: str) -> QInputDialog | None:
        model = self._model
        if model is None:
            return None
        state = model.state.asset(asset_id)
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Rename image")
        dialog.setLabelText("Name of this image:")
        if state is not None:
            dialog.setTextValue(model.asset_label(state))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.textValueSelected.connect(
            lambda text: run_op(self, model.rename_asset(asset_id, text), progress="Renaming…")
        )
        dialog.open()
        return dialog

    def delete_asset(self, asset_id: str) -> QMessageBox | None:
        model = self._model
        if model is None:
            return None
        return self._confirm_delete(
            "Delete image",
            "Remove this image and its versions from the creation? The chat stays.",
            lambda: model.delete_asset(asset_id),
        )


def png_bytes(image: QImage) -> bytes:
    """``image`` encoded as PNG (safe off the GUI thread)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def make_canvas_area(
    services: WorkspaceServices, *, request_blob: BlobRequester | None = None
) -> CanvasArea:
    """The Canvas area over a workspace's services (the window's area factory).
    ``request_blob(bucket, path)`` asks the sync for an object shown but not downloaded yet;
    call :meth:`CanvasArea.notify_blob_available` when one arrives."""
    return CanvasArea(services, request_blob=request_blob)
