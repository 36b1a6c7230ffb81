"""The Garments panel: drop a product photo (front, back), see its cutout, build a product pack.

::

    ┌ Garments ────────────────────────────────┐
    │ [ Front: drop zone / cutout ] [ Back … ] │
    │ Profile [ Ana ▾ ]                         │
    │ [ Build product pack ] [ Try on ]         │
    │ ▓▓▓▓░░ Laying out              [Cancel]   │
    │ result thumbnails…      [Show in History] │
    └───────────────────────────────────────────┘

Dropping a photo on a side (or choosing one with its button) runs
``ImportService.garment_photo_dropped``: the photo is checked (a PDF or a damaged file gets the
imaging error's message and nothing is stored), an ``extract_garment`` job is queued (it is in
the history at once) and its cutout is shown when it ends; the cutout cache means the same photo
is never cut twice ("from cache" under the preview). "Build product pack" calls
``GarmentService.build_pack`` with the chosen profile and the photos; its progress follows the
job's events and its images show here when it ends (they are in the history like any job).
"Try on" calls ``GarmentService.try_on`` with the chosen profile and the front photo (the back
one when there is no front): only the studio's engine can make it, so without an account or a
network the job waits, queued, and the panel says so; it can be canceled meanwhile, its
progress shows here and in the history, and its image shows here when it is made.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QSize, Qt, Signal
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
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio_desktop.domain.enums import JobStatus, SourceKind
from studio_desktop.domain.errors import ExternalError
from studio_desktop.domain.models import Job
from studio_desktop.engine.base import JobProgress
from studio_desktop.imaging.decode import decode_image
from studio_desktop.imaging.garment_pair import PairVerdict, compare_pair, garment_signature
from studio_desktop.services.common import output_ref
from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.ui.bridge import EventBridge
from studio_desktop.ui.drop import accept_copy, classify_urls, has_droppable_urls
from studio_desktop.ui.icons import icon
from studio_desktop.ui.operations import event_loop, run_op, show_external_error
from studio_desktop.ui.profiles.cards import refusal_for_single_image
from studio_desktop.ui.profiles.model import ProfileRole, ProfilesModel
from studio_desktop.ui.profiles.thumbnails import ThumbnailLoader
from studio_desktop.ui.session import RememberedSide, SessionMemory
from studio_desktop.ui.theme import scaled_font, theme_manager

log = logging.getLogger(__name__)

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.tif *.tiff *.bmp *.gif);;All files (*)"
PREVIEW = QSize(132, 150)
RESULT_SIZE = 76
PANEL_WIDTH = 340


@dataclass
class SideState:
    path: Path | None = None
    photo: bytes | None = None
    job_id: str | None = None
    cutout_key: str | None = None
    cutout_file: Path | None = None
    from_cache: bool = False
    busy: bool = False


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


def _check_photo(path: Path) -> None:
    decode_image(path, name=path.name)


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


class GarmentPanel(QFrame):
    """Cutouts of a garment's photos and product packs on a profile."""

    cutout_ready = Signal(str)  # kind
    pack_finished = Signal(object)  # JobOutcome
    tryon_finished = Signal(object)  # JobOutcome
    show_history_requested = Signal()

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
        self.sides = {kind.value: SideState() for kind in SourceKind}
        self.pack_job_id: str | None = None
        #: The last pack built here ("Show in History" selects it).
        self.last_pack_job_id: str | None = None
        self.tryon_job_id: str | None = None
        self._pack_keys: list[str] = []
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
        self.pair_verdict: PairVerdict | None = None
        self._pair_overridden = False

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
        self.cancel_tryon_button = QPushButton(icon("cancel"), "Cancel try-on", self)
        self.cancel_tryon_button.setObjectName("cancel_try_on")
        self.cancel_tryon_button.setToolTip("Stop the try-on (it stays in History as canceled)")
        self.cancel_tryon_button.clicked.connect(self.cancel_try_on)
        self.cancel_tryon_button.hide()
        self.pack_progress = QProgressBar(self)
        self.pack_progress.setObjectName("pack_progress")
        self.pack_progress.setRange(0, 100)
        self.pack_progress.setTextVisible(False)
        self.pack_progress.setFixedHeight(6)
        self.pack_progress.hide()
        self.pack_status = QLabel(self)
        self.pack_status.setObjectName("pack_status")
        self.pack_status.setWordWrap(True)
        self.pack_status.setProperty("muted", True)
        self.pack_status.hide()
        self.results = QWidget(self)
        self.results_row = QHBoxLayout(self.results)
        self.results_row.setContentsMargins(0, 0, 0, 0)
        self.results_row.setSpacing(6)
        self.results_row.addStretch(1)
        self.results.hide()
        self.history_button = QPushButton(icon("history"), "Show in History", self)
        self.history_button.setObjectName("show_in_history")
        self.history_button.clicked.connect(self.show_history_requested)
        self.history_button.hide()

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
        layout.addWidget(self.pack_progress)
        layout.addWidget(self.pack_status)
        layout.addWidget(self.cancel_tryon_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.results)
        layout.addWidget(self.history_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)

        self.bridge = EventBridge(self)
        self.bridge.connect_event(services.jobs.job_progress, self._on_progress)
        self.bridge.connect_event(services.jobs.job_changed, self._on_job_changed)
        self.profile_combo.currentIndexChanged.connect(lambda _i: self._update_tryon_button())
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
        self._update_build_button()
        self.session = SessionMemory(services.store.dirs.root)
        self._restore_sides()

    # ------------------------------------------------------------------ the last session
    def _restore_sides(self) -> None:
        """The Front/Back photos of the last session, with their stored cutouts (no new job);
        a photo moved or a cutout gone since is forgotten quietly."""
        remembered = {k: self.session.garment_side(k) for k in self.slots}
        remembered = {k: r for k, r in remembered.items() if r is not None}
        if not remembered:
            return
        blobs = self.services.store.blobs

        def read() -> dict[str, tuple[bytes, Path] | None]:
            found: dict[str, tuple[bytes, Path] | None] = {}
            for kind, side in remembered.items():
                file = blobs.get_path(side.bucket, side.key)
                try:
                    found[kind] = (side.path.read_bytes(), file) if file is not None else None
                except OSError:
                    found[kind] = None
            return found

        def done(found: dict[str, tuple[bytes, Path] | None]) -> None:
            for kind, side in remembered.items():
                got = found.get(kind)
                if got is None or self.sides[kind].path is not None:
                    if got is None:
                        self.session.remember_garment_side(kind, None)
                    continue
                photo, file = got
                self.sides[kind] = SideState(
                    path=side.path,
                    photo=photo,
                    cutout_key=side.key,
                    cutout_file=file,
                    from_cache=side.from_cache,
                )
                self.slots[kind].show_busy("Loading the cutout…")
                image = self.loader.image(side.key)
                if image is not None:
                    self._show_cutout(kind, image)
                else:
                    self.loader.request(side.key, file)
            self._update_build_button()

        run_op(self, read, on_success=done, progress="Restoring the garment photos…")

    # ------------------------------------------------------------------ profiles
    def _refill_profiles(self, *_args: object) -> None:
        chosen = self.profile_combo.currentData()
        self.profile_combo.blockSignals(True)
        self.profile_combo.clear()
        self.profile_combo.addItem("No profile (white studio)", None)
        for row in range(self.profiles.rowCount()):
            profile = self.profiles.index(row).data(ProfileRole.PROFILE)
            self.profile_combo.addItem(icon("profiles"), profile.name, profile.id)
        index = self.profile_combo.findData(chosen) if chosen else -1
        self.profile_combo.setCurrentIndex(max(index, 1 if self.profiles.rowCount() else 0))
        self.profile_combo.blockSignals(False)

    def choose_profile(self, profile_id: str | None) -> None:
        index = self.profile_combo.findData(profile_id) if profile_id else 0
        if index >= 0:
            self.profile_combo.setCurrentIndex(index)

    # ------------------------------------------------------------------ cutouts
    def choose_photo(self, kind: str) -> None:
        dialog = QFileDialog(self, f"Choose the {kind} photo", str(Path.home()), IMAGE_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda file: self.extract(kind, Path(file)))
        dialog.open()

    def clear_side(self, kind: str) -> None:
        self.sides[kind] = SideState()
        self.session.remember_garment_side(kind, None)
        self.slots[kind].show_empty()
        self._forget_pair()
        self._update_build_button()

    def extract(self, kind: str, path: Path) -> None:
        """Cut out the garment of ``path`` (front or back); the preview follows."""
        side = SideState(path=path, busy=True)
        self.sides[kind] = side
        self._forget_pair()
        slot = self.slots[kind]
        slot.show_busy(f"Cutting out “{path.name}”…")
        self._update_build_button()
        services = self.services

        async def work() -> tuple[Job, bytes, object]:
            # Decoded once up front, so a damaged photo is refused here with the decoder's
            # sentence instead of becoming a failed job in the history.
            await event_loop().run_in_executor(services.executor, _check_photo, path)
            job = await services.imports.garment_photo_dropped(path, kind)
            side.job_id = job.id
            outcome = await services.jobs.wait(job.id)
            loop = event_loop()
            photo = await loop.run_in_executor(services.executor, path.read_bytes)
            files = []
            for output in outcome.outputs:
                ref = output_ref(output)
                if ref is not None:
                    file = await loop.run_in_executor(
                        services.executor, services.store.blobs.get_path, ref.bucket, ref.path
                    )
                    files.append((ref.path, file))
            return job, photo, (outcome, files)

        def done(result: tuple[Job, bytes, object]) -> None:
            if self.sides.get(kind) is not side:
                return  # replaced by a newer drop meanwhile
            _job, photo, (outcome, files) = result  # type: ignore[misc]
            side.busy = False
            if outcome.job.status != JobStatus.SUCCEEDED or not files or files[0][1] is None:
                reason = outcome.job.error or "The cutout could not be made."
                slot.show_error(reason)
                self._update_build_button()
                return
            side.photo = photo
            side.from_cache = outcome.cache_hits > 0
            key, file = files[0]
            side.cutout_key = key
            side.cutout_file = file
            ref = output_ref(outcome.outputs[0])
            if ref is not None and side.path is not None:
                self.session.remember_garment_side(
                    kind, RememberedSide(side.path, ref.bucket, ref.path, side.from_cache)
                )
            slot.show_busy("Loading the cutout…")
            image = self.loader.image(key)
            if image is not None:
                self._show_cutout(kind, image)
            else:
                self.loader.request(key, file)
            self._update_build_button()

        def failed(error: ExternalError) -> None:
            if self.sides.get(kind) is side:
                self.sides[kind] = SideState()
                slot.show_error(error.message)
                self._update_build_button()
            show_external_error(self, error)

        run_op(
            self,
            work(),
            on_success=done,
            on_failure=failed,
            progress=f"Cutting out the {kind} of the garment…",
        )

    def _show_cutout(self, kind: str, image: QImage) -> None:
        side = self.sides[kind]
        note = "Cutout ready · from cache" if side.from_cache else "Cutout ready"
        self.slots[kind].show_cutout(image, note)
        self.cutout_ready.emit(kind)
        self._update_build_button()
        self._check_pair()

    # ------------------------------------------------------------------ the pair
    def _forget_pair(self) -> None:
        self.pair_verdict = None
        self._pair_overridden = False
        self.pair_warning.hide()

    def _check_pair(self) -> None:
        """With both cutouts: do they look like one garment? (off the GUI thread)"""
        front = self.sides[SourceKind.FRONT.value]
        back = self.sides[SourceKind.BACK.value]
        files = (front.cutout_file, back.cutout_file)
        if None in files or self.pair_verdict is not None:
            return

        def verdict() -> PairVerdict | None:
            signatures = []
            try:
                for file in files:
                    with Image.open(file) as image:  # type: ignore[arg-type]
                        signatures.append(garment_signature(np.asarray(image.convert("RGBA"))))
            except (OSError, ValueError) as error:  # a cutout gone or empty: nothing to say
                log.info("garment pair not compared: %s", error)
                return None
            return compare_pair(*signatures)

        def done(result: PairVerdict | None) -> None:
            if result is None:
                return
            if (
                (front.cutout_file, back.cutout_file) != files
                or self.sides[SourceKind.FRONT.value] is not front
                or self.sides[SourceKind.BACK.value] is not back
            ):
                return  # a side changed meanwhile
            self.pair_verdict = result
            self.pair_warning_label.setText(result.message)
            self.pair_warning.setVisible(not result.matches)
            self._update_build_button()

        def failed(error: ExternalError) -> None:
            log.info("garment pair not compared: %s", error.message)

        run_op(
            self,
            verdict,
            on_success=done,
            on_failure=failed,
            progress="Comparing the front and the back…",
        )

    @property
    def pair_blocks_pack(self) -> bool:
        """A mismatched pair the designer has not chosen to use anyway."""
        return (
            self.pair_verdict is not None
            and not self.pair_verdict.matches
            and not self._pair_overridden
        )

    def override_pair(self) -> None:
        """ "Use them together anyway": the warning goes, the pack can be built."""
        self._pair_overridden = True
        self.pair_warning.hide()
        self._update_build_button()

    def _thumbnail_loaded(self, key: str, image: QImage) -> None:
        for kind, side in self.sides.items():
            if side.cutout_key == key:
                self._show_cutout(kind, image)
        if key in self._pack_keys:
            self._show_results()

    def _refused(self, message: str) -> None:
        show_external_error(self, ExternalError(message))

    # ------------------------------------------------------------------ packs
    def _update_build_button(self) -> None:
        ready = any(side.photo is not None for side in self.sides.values())
        busy = any(side.busy for side in self.sides.values()) or self.pack_job_id is not None
        blocked = self.pair_blocks_pack
        self.build_button.setEnabled(ready and not busy and not blocked)
        if not ready:
            tip = "Drop a photo of the garment's front or back first"
        elif blocked:
            tip = "The front and back may not be one garment: see the warning above"
        else:
            tip = ""
        self.build_button.setToolTip(tip)
        self._update_tryon_button()

    def build_pack(self) -> None:
        front = self.sides[SourceKind.FRONT.value].photo
        back = self.sides[SourceKind.BACK.value].photo
        profile_id = self.profile_combo.currentData()
        services = self.services
        self.pack_progress.setValue(0)
        self.pack_progress.show()
        self.pack_status.setText("Starting the pack…")
        self.pack_status.show()
        self._clear_results()

        async def work() -> tuple[object, list[tuple[str, Path | None]]]:
            job = await services.garments.build_pack(
                profile_id, front=front, back=back, engine=services.preferred_engine
            )
            self.pack_job_id = job.id
            self._update_build_button()
            outcome = await services.jobs.wait(job.id)
            loop = event_loop()
            files = []
            for output in outcome.outputs:
                ref = output_ref(output)
                if ref is not None:
                    file = await loop.run_in_executor(
                        services.executor, services.store.blobs.get_path, ref.bucket, ref.path
                    )
                    files.append((ref.path, file))
            return outcome, files

        def done(result: tuple[object, list[tuple[str, Path | None]]]) -> None:
            outcome, files = result
            self.pack_job_id = None
            self.pack_progress.hide()
            self._update_build_button()
            job = outcome.job  # type: ignore[attr-defined]
            self.last_pack_job_id = job.id
            self.pack_finished.emit(outcome)
            if job.status != JobStatus.SUCCEEDED:
                text = job.error or "The pack could not be made."
                self.pack_status.setText(f"The pack failed: {text}")
                show_external_error(self, ExternalError(f"The product pack failed: {text}"))
                return
            count = len(files)
            self.pack_status.setText(
                f"Product pack ready: {count} image{'s' if count != 1 else ''}, also in History."
            )
            self._pack_keys = [key for key, file in files if file is not None]
            for key, file in files:
                if file is not None:
                    self.loader.request(key, file)
            self._show_results()
            self.history_button.show()

        def failed(error: ExternalError) -> None:
            self.pack_job_id = None
            self.pack_progress.hide()
            self.pack_status.setText(error.message)
            self._update_build_button()
            show_external_error(self, error)

        run_op(self, work(), on_success=done, on_failure=failed, progress="Building the pack…")

    def _on_progress(self, progress: JobProgress) -> None:
        if progress.job_id == self.tryon_job_id:
            self._tryon_progress(progress)
            return
        if progress.job_id != self.pack_job_id:
            return
        self.pack_progress.setValue(round(progress.fraction * 100))
        self.pack_status.setText(progress.message)

    # ------------------------------------------------------------------ try-on
    @property
    def has_photo(self) -> bool:
        """Whether a garment photo is ready to try on (or to build a pack from)."""
        return any(side.photo is not None for side in self.sides.values())

    def _tryon_photo(self) -> tuple[str, bytes] | None:
        for kind in (SourceKind.FRONT.value, SourceKind.BACK.value):
            photo = self.sides[kind].photo
            if photo is not None:
                return kind, photo
        return None

    def _update_tryon_button(self) -> None:
        busy = any(side.busy for side in self.sides.values()) or self.tryon_job_id is not None
        profile_id = self.profile_combo.currentData()
        if self._tryon_photo() is None:
            reason = "Drop a photo of the garment's front or back first"
        elif not profile_id:
            reason = "Choose a profile: the try-on dresses its model"
        elif self.tryon_job_id is not None:
            reason = "A try-on is under way"
        else:
            reason = ""
        self.tryon_button.setEnabled(not reason and not busy)
        self.tryon_button.setToolTip(
            reason or "Dress the chosen profile's model in this garment (the studio's engine)"
        )

    def try_on_profile(self, profile_id: str) -> None:
        """A profile card's "Try on the garment": that profile, the garment shown here."""
        self.choose_profile(profile_id)
        self.try_on()

    def try_on(self) -> None:
        """Start a try-on of the garment on the chosen profile (see the module docstring)."""
        chosen = self._tryon_photo()
        profile_id = self.profile_combo.currentData()
        if chosen is None or not profile_id or self.tryon_job_id is not None:
            self._update_tryon_button()
            reason = self.tryon_button.toolTip()
            show_external_error(self, ExternalError(f"{reason}."))
            return
        kind, photo = chosen
        services = self.services
        self._clear_results()
        self.pack_progress.setValue(0)
        self.pack_progress.show()
        self.pack_status.setText("Starting the try-on…")
        self.pack_status.show()

        def started(job: Job) -> None:
            self.tryon_job_id = job.id
            self.cancel_tryon_button.show()
            self._update_tryon_button()
            entry = next((e for e in services.jobs.queue() if e.job.id == job.id), None)
            if entry is not None and entry.message == services.jobs.waiting_message:
                self.pack_progress.hide()
                self.pack_status.setText(entry.message)

        def failed(error: ExternalError) -> None:
            self.pack_progress.hide()
            self.pack_status.setText(error.message)
            self._update_tryon_button()
            show_external_error(self, error)

        run_op(
            self,
            services.garments.try_on(profile_id, photo, kind),
            on_success=started,
            on_failure=failed,
            progress="Starting the try-on…",
        )

    def cancel_try_on(self) -> None:
        job_id = self.tryon_job_id
        if job_id is not None:
            run_op(self, self.services.jobs.cancel(job_id), progress="Canceling the try-on…")

    def _tryon_progress(self, progress: JobProgress) -> None:
        # While it waits for the engine there is no progress to show: the sentence says why.
        waiting = progress.message == self.services.jobs.waiting_message
        self.pack_progress.setVisible(not waiting)
        self.pack_progress.setValue(round(progress.fraction * 100))
        self.pack_status.setText(progress.message)

    def _on_job_changed(self, job: Job) -> None:
        if job.id != self.tryon_job_id or job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
            return
        self.tryon_job_id = None
        self.cancel_tryon_button.hide()
        self.pack_progress.hide()
        self._update_tryon_button()
        services = self.services

        async def results() -> tuple[object, list[tuple[str, Path | None]]]:
            outcome = await services.jobs.wait(job.id)
            loop = event_loop()
            files = []
            for output in outcome.outputs:
                ref = output_ref(output)
                if ref is not None:
                    file = await loop.run_in_executor(
                        services.executor, services.store.blobs.get_path, ref.bucket, ref.path
                    )
                    files.append((ref.path, file))
            return outcome, files

        def shown(result: tuple[object, list[tuple[str, Path | None]]]) -> None:
            outcome, files = result
            self.tryon_finished.emit(outcome)
            ended = outcome.job  # type: ignore[attr-defined]
            if ended.status == JobStatus.CANCELED:
                self.pack_status.setText("Try-on canceled.")
                return
            if ended.status != JobStatus.SUCCEEDED:
                text = ended.error or "The try-on could not be made."
                self.pack_status.setText(f"The try-on failed: {text}")
                show_external_error(self, ExternalError(f"The try-on failed: {text}"))
                return
            self.pack_status.setText("Try-on ready, also in History.")
            self._pack_keys = [key for key, file in files if file is not None]
            for key, file in files:
                if file is not None:
                    self.loader.request(key, file)
            self._show_results()
            self.history_button.show()

        run_op(self, results(), on_success=shown, progress="Loading the try-on…")

    def _clear_results(self) -> None:
        self._pack_keys = []
        while self.results_row.count() > 1:
            item = self.results_row.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.results.hide()
        self.history_button.hide()

    def _show_results(self) -> None:
        while self.results_row.count() > 1:
            item = self.results_row.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        shown = 0
        for key in self._pack_keys:
            image = self.loader.image(key)
            if image is None:
                continue
            label = QLabel(self.results)
            label.setObjectName("pack_result")
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
        """How many pack images are shown."""
        return self.results_row.count() - 1
