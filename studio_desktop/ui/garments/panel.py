"""The Garments panel: drop a product photo (front, back), see its cutout, build a product pack.

::

    ┌ Garments ────────────────────────────────┐
    │ [ Front: drop zone / cutout ] [ Back … ] │
    │ Profile [ Ana ▾ ]                         │
    │ [ Build product pack ] [ Try on ]         │
    │ ┌ Product pack · Ana ─────────────────┐   │
    │ │ ▓▓▓▓░░ Laying out                    │   │  one row per job: its own sentence,
    │ │ [Cancel]                             │   │  progress and Cancel; once ended, its
    │ └──────────────────────────────────────┘   │  images, [Show in History] and
    │ ┌ Try-on · Mia ───────────────────────┐   │  [Open in Canvas]
    │ │ Waiting for the studio's engine…     │   │
    │ │ [Cancel]                             │   │
    │ └──────────────────────────────────────┘   │
    └───────────────────────────────────────────┘

The panel is widgets bound to a Qt-free :class:`~studio_desktop.services.garments_screen.
GarmentsScreen`, which owns the state (the Front/Back sides, the pair's verdict, the chosen
profile, a line per pack and try-on with its progress and results) and the use cases:
dropping a photo on a side (or choosing one with its button) cuts it out (a PDF or a damaged
file is refused with the decoder's sentence; the same photo is never cut twice: "from cache");
"Build product pack" builds one on the chosen profile; "Try on" dresses the profile's model in
the front photo (the back one when there is no front) on the studio's engine, which waits,
queued, saying why, without an account or a network, and can be canceled meanwhile. Any number
run at once (the same garment on three profiles, then a pack); only a second copy of one still
under way is refused, and the button's tooltip says so. Each pack and try-on has its own row (a
:class:`JobRow`): a try-on waiting for hours keeps its sentence and its Cancel while others run
beside it, and a finished one shows its images and where they are (History, Magic Canvas) until
it is dismissed (its ×, or "Clear finished" for all of them). The rows scroll with the panel.
The panel
starts those commands, shows the screen's events, and keeps the widgets' own business: drag and
drop, the file dialog, thumbnails and the look.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio_desktop.domain.enums import SourceKind
from studio_desktop.domain.errors import ExternalError
from studio_desktop.services.garments_screen import (
    MOVE_LOCAL_WORK,
    TRYON_READY_TIP,
    GarmentSide,
    GarmentsScreen,
    JobLine,
    PairVerdict,
    SavedSide,
)
from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.ui.bridge import EventBridge
from studio_desktop.ui.drop import accept_copy, classify_urls, has_droppable_urls
from studio_desktop.ui.icons import icon
from studio_desktop.ui.operations import run_op, show_external_error
from studio_desktop.ui.profiles.cards import refusal_for_single_image
from studio_desktop.ui.profiles.model import ProfileRole, ProfilesModel
from studio_desktop.ui.profiles.thumbnails import ThumbnailLoader
from studio_desktop.ui.session import RememberedSide, SessionMemory
from studio_desktop.ui.theme import scaled_font, theme_manager

log = logging.getLogger(__name__)

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.tif *.tiff *.bmp *.gif);;All files (*)"
PREVIEW = QSize(132, 150)
RESULT_SIZE = 64
PANEL_WIDTH = 340


def checkerboard(size: QSize, dark: bool) -> QPixmap:
    """The transparency pattern under a cutout."""
    pixmap = QPixmap(size)
    light, shade = (
        (QColor("#3a3d42"), QColor("#2f3236"))
        if dark
        else (
            QColor("#ffffff"),
            QColor("#e9eaec"),
        )
    )
    pixmap.fill(light)
    painter = QPainter(pixmap)
    cell = 8
    for y in range(0, size.height(), cell):
        for x in range((y // cell % 2) * cell, size.width(), cell * 2):
            painter.fillRect(x, y, cell, cell, shade)
    painter.end()
    return pixmap


class SessionSides:
    """The screen's :class:`~studio_desktop.services.garments_screen.SideMemory` over the
    session's settings (where the Front/Back photos were, for the next start)."""

    def __init__(self, session: SessionMemory) -> None:
        self.session = session

    def load(self, kind: str) -> SavedSide | None:
        side = self.session.garment_side(kind)
        if side is None:
            return None
        return SavedSide(side.path, side.bucket, side.key, side.from_cache)

    def save(self, kind: str, side: SavedSide | None) -> None:
        remembered = (
            None
            if side is None
            else RememberedSide(side.path, side.bucket, side.key, side.from_cache)
        )
        self.session.remember_garment_side(kind, remembered)


class GarmentSlot(QFrame):
    """One side of the garment (front or back): a drop zone that becomes the cutout preview."""

    file_dropped = Signal(str, Path)  # kind, file
    drop_refused = Signal(str)
    choose_requested = Signal(str)
    clear_requested = Signal(str)

    def __init__(self, kind: SourceKind, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setObjectName(f"garment_slot_{kind.value}")
        self.setAcceptDrops(True)
        self.setMinimumWidth(PREVIEW.width() + 16)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._drag_over = False
        self._image: QImage | None = None

        self.title = QLabel(kind.value.capitalize(), self)
        self.title.setFont(scaled_font(self.font(), 1.0, bold=True))
        self.clear_button = QToolButton(self)
        self.clear_button.setIcon(icon("close"))
        self.clear_button.setToolTip(f"Remove the {kind.value} photo")
        self.clear_button.setAutoRaise(True)
        keep = self.clear_button.sizePolicy()
        keep.setRetainSizeWhenHidden(True)  # an empty slot is as tall as a full one
        self.clear_button.setSizePolicy(keep)
        self.clear_button.hide()
        self.clear_button.clicked.connect(lambda: self.clear_requested.emit(self.kind.value))
        self.preview = QLabel(self)
        self.preview.setObjectName(f"garment_preview_{kind.value}")
        self.preview.setFixedSize(PREVIEW)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setWordWrap(True)
        self.status = QLabel(self)
        self.status.setObjectName(f"garment_status_{kind.value}")
        self.status.setProperty("muted", True)
        self.status.setWordWrap(True)
        self.status.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        # Two lines' room always, shown or not: the Front and Back cards stay aligned.
        self.status.setMinimumHeight(self.status.fontMetrics().lineSpacing() * 2 + 2)
        keep = self.status.sizePolicy()
        keep.setRetainSizeWhenHidden(True)
        self.status.setSizePolicy(keep)
        self.choose_button = QPushButton("Choose photo…", self)
        self.choose_button.setObjectName(f"garment_choose_{kind.value}")
        self.choose_button.clicked.connect(lambda: self.choose_requested.emit(self.kind.value))

        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.title)
        header.addStretch(1)
        header.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 10)
        layout.setSpacing(6)
        layout.addLayout(header)
        layout.addWidget(self.preview, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.status)
        layout.addWidget(self.choose_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self.show_empty()
        theme_manager().changed.connect(self._redraw)

    # ------------------------------------------------------------------ states
    def show_empty(self) -> None:
        self._image = None
        self.preview.setPixmap(QPixmap())
        self.preview.setText("Drop a photo\nof the " + self.kind.value)
        self.preview.setProperty("muted", True)
        self.status.setText("")
        self.status.hide()
        self.clear_button.hide()
        self._redraw()

    def show_busy(self, text: str) -> None:
        self.status.setText(text)
        self.status.show()

    def show_error(self, text: str) -> None:
        self._image = None
        self.preview.setPixmap(QPixmap())
        self.preview.setText("No cutout")
        self.status.setText(text)
        self.status.show()
        self.clear_button.show()

    def show_cutout(self, image: QImage, note: str) -> None:
        self._image = image
        self.status.setText(note)
        self.status.show()
        self.clear_button.show()
        self._redraw()

    @property
    def has_cutout(self) -> bool:
        return self._image is not None

    def _redraw(self) -> None:
        self.update()
        if self._image is None:
            return
        board = checkerboard(PREVIEW, theme_manager().is_dark)
        scaled = self._image.scaled(
            PREVIEW - QSize(8, 8),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        painter = QPainter(board)
        painter.drawImage(
            (PREVIEW.width() - scaled.width()) // 2,
            (PREVIEW.height() - scaled.height()) // 2,
            scaled,
        )
        painter.end()
        self.preview.setText("")
        self.preview.setPixmap(board)

    # ------------------------------------------------------------------ drawing
    def paintEvent(self, event: QPaintEvent) -> None:
        tones = theme_manager().tones
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self.rect().adjusted(1, 1, -1, -1)
        if self._drag_over:
            painter.setBrush(QColor(tones.drop_bg))
            painter.setPen(QPen(QColor(tones.accent), 2))
        else:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            pen = QPen(QColor(tones.border), 1.2)
            if not self.has_cutout:
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
        painter.drawRoundedRect(rect, 8, 8)
        painter.end()

    # ------------------------------------------------------------------ drag and drop
    def _set_drag_over(self, value: bool) -> None:
        self._drag_over = value
        self.update()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if has_droppable_urls(event.mimeData()):
            accept_copy(event)
            self._set_drag_over(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if has_droppable_urls(event.mimeData()):
            accept_copy(event)
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._set_drag_over(False)
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_drag_over(False)
        mime = event.mimeData()
        if not has_droppable_urls(mime):
            event.ignore()
            return
        accept_copy(event)
        items = classify_urls(mime.urls())
        refusal = refusal_for_single_image(items.local, len(items.links))
        if refusal is not None:
            self.drop_refused.emit(refusal.replace("the reference", f"the {self.kind.value}"))
            return
        self.file_dropped.emit(self.kind.value, items.local[0])


class JobRow(QFrame):
    """One pack or try-on of the panel: title, progress, sentence, its buttons; once it
    succeeded, its images with "Show in History" and "Open in Canvas"."""

    cancel_requested = Signal(str)  # job id
    dismiss_requested = Signal(str)  # the line's key
    reveal_requested = Signal(str)
    open_requested = Signal(str)
    move_requested = Signal()

    def __init__(self, kind: str, key: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        #: The model line's key (see :attr:`JobLine.key`): this row shows that line only.
        self.key = key
        self.line: JobLine | None = None
        self.setObjectName(f"job_row_{kind}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        noun = "pack" if kind == "pack" else "try-on"
        self.title = QLabel(self)
        self.title.setObjectName(f"job_title_{kind}")
        self.title.setFont(scaled_font(self.font(), 1.0, bold=True))
        self.dismiss_button = QToolButton(self)
        self.dismiss_button.setObjectName(f"job_dismiss_{kind}")
        self.dismiss_button.setIcon(icon("close"))
        self.dismiss_button.setAutoRaise(True)
        self.dismiss_button.setToolTip(f"Hide this {noun} here (it stays in History)")
        keep = self.dismiss_button.sizePolicy()
        keep.setRetainSizeWhenHidden(True)
        self.dismiss_button.setSizePolicy(keep)
        self.progress = QProgressBar(self)
        self.progress.setObjectName(f"job_progress_{kind}")
        self.progress.setRange(0, 100)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(6)
        self.status = QLabel(self)
        self.status.setObjectName(f"job_status_{kind}")
        self.status.setWordWrap(True)
        self.status.setProperty("muted", True)
        self.results = QWidget(self)
        self.results_row = QHBoxLayout(self.results)
        self.results_row.setContentsMargins(0, 0, 0, 0)
        self.results_row.setSpacing(6)
        self.results_row.addStretch(1)
        self.cancel_button = QPushButton(icon("cancel"), "Cancel", self)
        self.cancel_button.setObjectName(f"job_cancel_{kind}")
        self.cancel_button.setToolTip(f"Stop the {noun} (it stays in History as canceled)")
        self.move_button = QPushButton(icon("sign-in"), "Move local work…", self)
        self.move_button.setObjectName(f"job_move_{kind}")
        self.move_button.setToolTip(
            "Move the local workspace's work into your account, where the studio's engine "
            "can run this try-on"
        )
        self.history_button = QPushButton(icon("history"), "Show in History", self)
        self.history_button.setObjectName(f"job_history_{kind}")
        self.history_button.setToolTip(f"Show the {noun} in History, selected")
        self.canvas_button = QPushButton(icon("canvas"), "Open in Canvas", self)
        self.canvas_button.setObjectName(f"job_canvas_{kind}")
        self.canvas_button.setToolTip(f"Open the {noun}'s images in Magic Canvas to edit them")

        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.title, 1)
        header.addWidget(self.dismiss_button)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.setSpacing(6)
        for button in (self.cancel_button, self.move_button, self.history_button):
            buttons.addWidget(button)
        buttons.addWidget(self.canvas_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 8, 8)
        layout.setSpacing(5)
        layout.addLayout(header)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.results)
        layout.addLayout(buttons)

        def job_id() -> str:
            return self.line.job_id if self.line is not None else ""

        self.cancel_button.clicked.connect(lambda: self.cancel_requested.emit(job_id()))
        self.dismiss_button.clicked.connect(lambda: self.dismiss_requested.emit(self.key))
        self.history_button.clicked.connect(lambda: self.reveal_requested.emit(job_id()))
        self.canvas_button.clicked.connect(lambda: self.open_requested.emit(job_id()))
        self.move_button.clicked.connect(self.move_requested)

    def show_line(self, line: JobLine, loader: ThumbnailLoader) -> None:
        self.line = line
        self.title.setText(line.title)
        self.dismiss_button.setVisible(not line.active)
        self.progress.setVisible(line.progress is not None)
        if line.progress is not None:
            self.progress.setValue(round(line.progress * 100))
        self.status.setText(line.text)
        self.status.setVisible(bool(line.text))
        self.cancel_button.setVisible(line.can_cancel)
        self.move_button.setVisible(line.can_cancel and line.action == MOVE_LOCAL_WORK)
        self.history_button.setVisible(line.succeeded)
        self.canvas_button.setVisible(line.succeeded and bool(line.files))
        self._show_results(line, loader)

    def _show_results(self, line: JobLine, loader: ThumbnailLoader) -> None:
        while self.results_row.count() > 1:
            item = self.results_row.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        shown = 0
        for key, file in line.files:
            image = loader.image(key)
            if image is None:
                loader.request(key, file)
                continue
            label = QLabel(self.results)
            label.setObjectName("job_result")
            label.setFixedSize(RESULT_SIZE, RESULT_SIZE)
            label.setPixmap(
                QPixmap.fromImage(image).scaled(
                    RESULT_SIZE,
                    RESULT_SIZE,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.results_row.insertWidget(shown, label)
            shown += 1
        self.results.setVisible(shown > 0)

    def result_count(self) -> int:
        """How many of the job's images are shown."""
        return self.results_row.count() - 1


class GarmentPanel(QFrame):
    """Cutouts of a garment's photos, product packs and try-ons on a profile: widgets bound to
    a :class:`GarmentsScreen` (see the module docstring)."""

    cutout_ready = Signal(str)  # kind
    pack_finished = Signal(object)  # JobOutcome
    tryon_finished = Signal(object)  # JobOutcome
    reveal_job_requested = Signal(str)  # a job id: History, that job selected
    open_job_requested = Signal(str)  # a job id: its images in Magic Canvas
    move_local_work_requested = Signal()  # a try-on waits for the local work's move

    def __init__(
        self,
        services: WorkspaceServices,
        profiles: ProfilesModel,
        loader: ThumbnailLoader,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("GarmentPanel")
        self.services = services
        self.profiles = profiles
        self.loader = loader
        self.session = SessionMemory(services.store.dirs.root)
        self.model = GarmentsScreen(services, SessionSides(self.session))
        model = self.model
        self.destroyed.connect(lambda *_args: model.close())
        self.setMinimumWidth(PANEL_WIDTH)
        self.setMaximumWidth(PANEL_WIDTH + 120)

        title = QLabel("Garments", self)
        title.setObjectName("GarmentPanelTitle")
        title.setFont(scaled_font(self.font(), 1.25, bold=True))
        intro = QLabel(
            "Drop product photos of a garment to cut it out. The same photo is never cut "
            "twice. Then build a product pack on a profile, or try the garment on one.",
            self,
        )
        intro.setWordWrap(True)
        intro.setProperty("muted", True)

        self.slots = {kind.value: GarmentSlot(kind, self) for kind in SourceKind}
        slots_row = QHBoxLayout()
        slots_row.setSpacing(10)
        for slot in self.slots.values():
            slots_row.addWidget(slot, 1, Qt.AlignmentFlag.AlignTop)
            slot.file_dropped.connect(self.extract)
            slot.drop_refused.connect(self._refused)
            slot.choose_requested.connect(self.choose_photo)
            slot.clear_requested.connect(self.clear_side)

        # A front and a back that do not look like one garment: said here, and the pack waits
        # until the designer says to use them anyway (or replaces one).
        self.pair_warning = QFrame(self)
        self.pair_warning.setObjectName("garment_pair_warning")
        self.pair_warning.setFrameShape(QFrame.Shape.StyledPanel)
        self.pair_warning_icon = QLabel(self.pair_warning)
        self.pair_warning_icon.setPixmap(
            icon("warning", tone="warning").pixmap(QSize(18, 18), self.devicePixelRatioF())
        )
        self.pair_warning_label = QLabel(self.pair_warning)
        self.pair_warning_label.setObjectName("garment_pair_message")
        self.pair_warning_label.setWordWrap(True)
        self.pair_override_button = QPushButton("Use them together anyway", self.pair_warning)
        self.pair_override_button.setObjectName("garment_pair_override")
        self.pair_override_button.clicked.connect(self.override_pair)
        warning_layout = QVBoxLayout(self.pair_warning)
        warning_layout.setContentsMargins(10, 8, 10, 8)
        warning_row = QHBoxLayout()
        warning_row.addWidget(self.pair_warning_icon, 0, Qt.AlignmentFlag.AlignTop)
        warning_row.addWidget(self.pair_warning_label, 1)
        warning_layout.addLayout(warning_row)
        warning_layout.addWidget(self.pair_override_button, 0, Qt.AlignmentFlag.AlignRight)
        self.pair_warning.hide()

        self.profile_combo = QComboBox(self)
        self.profile_combo.setObjectName("pack_profile")
        self.profile_combo.setAccessibleName("Profile for the pack")
        self.profile_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.profile_combo.setMinimumContentsLength(16)
        profile_row = QHBoxLayout()
        profile_label = QLabel("Profile", self)
        profile_row.addWidget(profile_label)
        profile_row.addWidget(self.profile_combo, 1)

        self.build_button = QPushButton(icon("garment"), "Build product pack", self)
        self.build_button.setObjectName("build_pack")
        self.build_button.setDefault(True)
        self.build_button.clicked.connect(self.build_pack)
        self.tryon_button = QPushButton(icon("profiles"), "Try on", self)
        self.tryon_button.setObjectName("try_on")
        self.tryon_button.clicked.connect(self.try_on)
        # One row per pack or try-on (see JobRow), in the order they were started, by key.
        self.job_rows: dict[str, JobRow] = {}
        self.clear_finished_button = QPushButton(icon("close"), "Clear finished", self)
        self.clear_finished_button.setObjectName("clear_finished_jobs")
        self.clear_finished_button.setToolTip(
            "Hide every finished pack and try-on here (they stay in History)"
        )
        self.clear_finished_button.clicked.connect(self.clear_finished)
        self.clear_finished_button.hide()
        self._to_reveal: JobRow | None = None
        self.lines_box = QVBoxLayout()
        self.lines_box.setContentsMargins(0, 0, 0, 0)
        self.lines_box.setSpacing(8)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(slots_row)
        layout.addWidget(self.pair_warning)
        layout.addSpacing(4)
        layout.addLayout(profile_row)
        actions_row = QHBoxLayout()
        actions_row.setSpacing(8)
        actions_row.addWidget(self.build_button, 1)
        actions_row.addWidget(self.tryon_button)
        layout.addLayout(actions_row)
        layout.addWidget(self.clear_finished_button, 0, Qt.AlignmentFlag.AlignRight)
        layout.addLayout(self.lines_box)
        layout.addStretch(1)

        self.bridge = EventBridge(self)
        self.bridge.connect_event(model.side_changed, self._show_side)
        self.bridge.connect_event(model.pair_changed, self._show_pair)
        self.bridge.connect_event(model.readiness_changed, lambda _none: self._update_buttons())
        self.bridge.connect_event(model.lines_changed, lambda _lines: self._show_lines())
        self.bridge.connect_event(model.pack_finished, self._pack_finished)
        self.bridge.connect_event(model.tryon_finished, self.tryon_finished.emit)
        self.bridge.connect_event(model.problem, self._refused)
        self.profile_combo.currentIndexChanged.connect(
            lambda _i: model.choose_profile(self.profile_combo.currentData())
        )
        for signal in (
            profiles.modelReset,
            profiles.rowsInserted,
            profiles.rowsRemoved,
            profiles.rowsMoved,
            profiles.dataChanged,
        ):
            signal.connect(self._refill_profiles)
        loader.loaded.connect(self._thumbnail_loaded)
        self._refill_profiles()
        self._update_buttons()
        run_op(self, model.restore(), progress="Restoring the garment photos…")

    # ------------------------------------------------------------------ the screen's state
    @property
    def sides(self) -> dict[str, GarmentSide]:
        return self.model.sides

    @property
    def has_photo(self) -> bool:
        """Whether a garment photo is ready to try on (or to build a pack from)."""
        return self.model.has_photo

    @property
    def tryon_job_id(self) -> str | None:
        """The try-on under way (None when there is none, or while it is being submitted)."""
        return self.model.tryon_job_id or None

    @property
    def pack_job_id(self) -> str | None:
        return self.model.pack_job_id or None

    @property
    def last_pack_job_id(self) -> str | None:
        """The last pack built here ("Show in History" selects it)."""
        return self.model.last_pack_job_id

    @property
    def pair_verdict(self) -> PairVerdict | None:
        return self.model.pair_verdict

    @property
    def pair_blocks_pack(self) -> bool:
        """A mismatched pair the designer has not chosen to use anyway."""
        return self.model.pair_blocks_pack

    # ------------------------------------------------------------------ profiles
    def _refill_profiles(self, *_args: object) -> None:
        chosen = self.profile_combo.currentData()
        self.profile_combo.blockSignals(True)
        self.profile_combo.clear()
        self.profile_combo.addItem("No profile (white studio)", None)
        names = {}
        for row in range(self.profiles.rowCount()):
            profile = self.profiles.index(row).data(ProfileRole.PROFILE)
            self.profile_combo.addItem(icon("profiles"), profile.name, profile.id)
            names[profile.id] = profile.name
        self.model.know_profiles(names)
        index = self.profile_combo.findData(chosen) if chosen else -1
        self.profile_combo.setCurrentIndex(max(index, 1 if self.profiles.rowCount() else 0))
        self.profile_combo.blockSignals(False)
        self.model.choose_profile(self.profile_combo.currentData())

    def choose_profile(self, profile_id: str | None) -> None:
        index = self.profile_combo.findData(profile_id) if profile_id else 0
        if index >= 0:
            self.profile_combo.setCurrentIndex(index)
        self.model.choose_profile(self.profile_combo.currentData())
        self._update_buttons()

    # ------------------------------------------------------------------ sides
    def choose_photo(self, kind: str) -> None:
        dialog = QFileDialog(self, f"Choose the {kind} photo", str(Path.home()), IMAGE_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda file: self.extract(kind, Path(file)))
        dialog.open()

    def clear_side(self, kind: str) -> None:
        self.model.clear(kind)
        self._show_side(kind)
        self._show_pair(None)
        self._update_buttons()

    def extract(self, kind: str, path: Path) -> None:
        """Cut out the garment of ``path`` (front or back); the preview follows."""
        work = self.model.extract(kind, Path(path))
        # The screen changed at once: show it now, not when its events arrive.
        self._show_side(kind)
        self._show_pair(self.model.pair_verdict)
        self._update_buttons()
        run_op(self, work, progress=f"Cutting out the {kind} of the garment…")

    def _show_side(self, kind: str) -> None:
        side = self.model.sides[kind]
        slot = self.slots[kind]
        if side.empty:
            slot.show_empty()
        elif side.error is not None:
            slot.show_error(side.error)
        elif side.busy or side.cutout_key is None or side.cutout_file is None:
            slot.show_busy(side.note)
        else:
            image = self.loader.image(side.cutout_key)
            if image is not None:
                slot.show_cutout(image, side.note)
                self.cutout_ready.emit(kind)
            else:
                slot.show_busy("Loading the cutout…")
                self.loader.request(side.cutout_key, side.cutout_file)

    def _thumbnail_loaded(self, key: str, _image: QImage) -> None:
        for kind, side in self.model.sides.items():
            if side.cutout_key == key and not side.busy:
                self._show_side(kind)
        for line in self.model.lines:
            if any(k == key for k, _file in line.files):
                self._show_lines()
                return

    def _refused(self, message: str) -> None:
        show_external_error(self, ExternalError(message))

    # ------------------------------------------------------------------ the pair
    def _show_pair(self, verdict: PairVerdict | None) -> None:
        if verdict is not None:
            self.pair_warning_label.setText(verdict.message)
        self.pair_warning.setVisible(self.model.pair_blocks_pack)

    def override_pair(self) -> None:
        """ "Use them together anyway": the warning goes, the pack can be built."""
        self.model.override_pair()
        self._show_pair(self.model.pair_verdict)
        self._update_buttons()

    # ------------------------------------------------------------------ packs and try-ons
    def _update_buttons(self) -> None:
        model = self.model
        reason = model.pack_blocker()
        self.build_button.setEnabled(reason is None)
        self.build_button.setToolTip(reason or "")
        reason = model.tryon_blocker()
        self.tryon_button.setEnabled(reason is None)
        self.tryon_button.setToolTip(reason or TRYON_READY_TIP)

    def build_pack(self) -> None:
        self._start(self.model.build_pack, "Starting the pack…")

    def tryon_blocker_for(self, profile_id: str) -> str | None:
        """Why a try-on on ``profile_id`` (a profile card's menu) cannot start, or None."""
        return self.model.tryon_blocker(profile_id)

    def try_on_profile(self, profile_id: str) -> None:
        """A profile card's "Try on the garment": that profile, the garment shown here."""
        self.choose_profile(profile_id)
        self.try_on()

    def try_on(self) -> None:
        """Start a try-on of the garment on the chosen profile (see the module docstring)."""
        self._start(self.model.try_on, "Starting the try-on…")

    def _start(self, command: Callable[[], Awaitable[object]], progress: str) -> None:
        try:
            work = command()
        except ExternalError as error:  # it cannot start: the buttons say why, and so do we
            self._update_buttons()
            show_external_error(self, error)
            return
        self._show_lines()
        self._update_buttons()
        run_op(self, work, progress=progress)

    def cancel_job(self, job_id: str) -> None:
        """A row's Cancel: that job stops (it stays in History as canceled)."""
        if job_id:
            run_op(self, self.model.cancel(job_id), progress="Canceling…")

    def cancel_try_on(self) -> None:
        self.cancel_job(self.model.tryon_job_id or "")

    def row(self, kind: str) -> JobRow | None:
        """The row of the newest pack (``"pack"``) or try-on (``"tryon"``), if shown."""
        line = self.model.line("pack" if kind == "pack" else "tryon")
        return self.job_rows.get(line.key) if line is not None else None

    def rows(self) -> list[JobRow]:
        """Every job's row, in the order the jobs were started (as shown)."""
        return [self.job_rows[line.key] for line in self.model.lines if line.key in self.job_rows]

    def row_of(self, job_id: str) -> JobRow | None:
        line = self.model.line_of(job_id)
        return self.job_rows.get(line.key) if line is not None else None

    def clear_finished(self) -> None:
        """ "Clear finished": every ended row goes (the jobs stay in History)."""
        self.model.dismiss_ended()
        self._show_lines()

    def _show_lines(self) -> None:
        lines = self.model.lines
        keys = {line.key for line in lines}
        for key in [k for k in self.job_rows if k not in keys]:
            gone = self.job_rows.pop(key)
            self.lines_box.removeWidget(gone)
            gone.deleteLater()
        for index, line in enumerate(lines):
            row = self.job_rows.get(line.key)
            before = row.line if row is not None else None
            shown = row.result_count() if row is not None else 0
            if row is None:
                row = JobRow(line.kind, line.key, self)
                row.cancel_requested.connect(self.cancel_job)
                row.dismiss_requested.connect(self.model.dismiss)
                row.reveal_requested.connect(self.reveal_job_requested)
                row.open_requested.connect(self.open_job_requested)
                row.move_requested.connect(self.move_local_work_requested)
                self.job_rows[line.key] = row
            if self.lines_box.indexOf(row) != index:
                self.lines_box.insertWidget(index, row)
            row.show_line(line, self.loader)
            row.show()
            if before is None or before.active != line.active or row.result_count() != shown:
                self._reveal(row)  # a new job, one that ended, its images: in view
        ended = sum(1 for line in lines if not line.active)
        self.clear_finished_button.setVisible(ended >= 2)
        self._update_buttons()

    def _reveal(self, row: JobRow) -> None:
        """Scroll the panel (when it is in a scroll area) so that ``row`` is in view, once the
        layout has placed it: at the next turn of the event loop, and again when the panel
        grows for it (the scroll area resizes the panel after its layout asked for room)."""
        self._to_reveal = row
        QTimer.singleShot(0, row, lambda: self._reveal_now(row))  # (not once the row is gone)

    def _reveal_now(self, row: JobRow) -> None:
        parent = self.parentWidget()
        scroll = parent.parentWidget() if parent is not None else None
        if not isinstance(scroll, QScrollArea) or not row.isVisible():
            return
        # Settle the layouts first (the row's new images, the panel grown for them, the scroll
        # area's range): measured before, a row that just grew looked whole and stopped being
        # followed while its bottom was still out of view.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        scroll.ensureWidgetVisible(row, 0, 12)
        viewport = scroll.viewport()
        shown = QRect(row.mapTo(viewport, QPoint(0, 0)), row.size())
        whole = viewport.rect().contains(shown)
        too_tall = shown.height() > viewport.height() and viewport.rect().contains(shown.topLeft())
        if (whole or too_tall) and self._to_reveal is row:
            self._to_reveal = None  # in view: a later resize (the window's) scrolls nothing

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        row = self._to_reveal
        if row is not None and self.job_rows.get(row.key) is row:
            QTimer.singleShot(0, row, lambda: self._reveal_now(row))

    def _pack_finished(self, outcome: object) -> None:
        self.pack_finished.emit(outcome)
