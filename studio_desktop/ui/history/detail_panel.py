"""The opened job, beside the feed: its images larger, its whole prompt, its error, its actions.

"Open" (Enter, a double click) shows the panel for the current job; it then follows the current
job until closed (Esc or its close button). What the feed row can only hint at is here in full:
the prompt and the error as selectable text, "Copy error", Retry / Cancel, the progress, every
output (not only the ones that fit in the row) and the job's actions. Esc (the area's shortcut,
from the feed or the panel) closes it.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
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

from studio_desktop.domain.enums import JobStatus
from studio_desktop.domain.models import Job, JobOutput
from studio_desktop.ui.history.delegate import badge_colours, format_when
from studio_desktop.ui.history.feed_model import FeedModel, Role, status_label
from studio_desktop.ui.history.thumbnails import ThumbState
from studio_desktop.ui.icons import icon
from studio_desktop.ui.theme import current_tones, scaled_font

PANEL_WIDTH = 360
TILE = 150


class OutputTile(QWidget):
    """One output in the panel: the picture (or why there is none) and its angle."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.output_id = ""
        self.picture = QLabel(self)
        self.picture.setObjectName("HistoryOutputPicture")
        self.picture.setFixedSize(QSize(TILE, TILE))
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setWordWrap(True)
        self.caption = QLabel(self)
        self.caption.setObjectName("HistoryOutputCaption")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.picture)
        layout.addWidget(self.caption)
        self.state = ThumbState.LOADING


class JobDetailPanel(QFrame):
    closed = Signal()
    retry_requested = Signal(str)
    cancel_requested = Signal(str)
    open_canvas_requested = Signal(str)
    export_requested = Signal(str)
    keep_offline_requested = Signal(str, bool)
    delete_requested = Signal(str)

    def __init__(self, model: FeedModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("HistoryDetailPanel")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMinimumWidth(PANEL_WIDTH)
        self.setMaximumWidth(PANEL_WIDTH + 200)
        self.model = model
        self.job_id: str | None = None
        self.tiles: list[OutputTile] = []

        self.title = QLabel(self)
        self.title.setObjectName("HistoryDetailTitle")
        self.title.setFont(scaled_font(self.font(), 1.25, bold=True))
        self.badge = QLabel(self)
        self.badge.setObjectName("HistoryDetailBadge")
        self.close_button = QToolButton(self)
        self.close_button.setIcon(icon("close"))
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Close (Esc)")
        self.close_button.setAccessibleName("Close the job")
        self.close_button.clicked.connect(self.close_panel)
        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(self.title, 1)
        header.addWidget(self.badge)
        header.addWidget(self.close_button)

        self.meta = QLabel(self)
        self.meta.setObjectName("HistoryDetailMeta")
        self.meta.setWordWrap(True)
        self.prompt = QLabel(self)
        self.prompt.setObjectName("HistoryDetailPrompt")
        self.prompt.setWordWrap(True)
        self.prompt.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.prompt.setTextFormat(Qt.TextFormat.PlainText)

        # A failed job: the error, selectable, with Copy and Retry.
        self.error_box = QFrame(self)
        self.error_box.setObjectName("HistoryErrorBox")
        self.error_text = QLabel(self.error_box)
        self.error_text.setObjectName("HistoryErrorText")
        self.error_text.setWordWrap(True)
        self.error_text.setTextFormat(Qt.TextFormat.PlainText)
        self.error_text.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.copy_error_button = QPushButton(icon("copy"), "Copy error", self.error_box)
        self.copy_error_button.clicked.connect(self.copy_error)
        self.retry_button = QPushButton(icon("retry"), "Retry", self.error_box)
        self.retry_button.clicked.connect(lambda: self._emit(self.retry_requested))
        error_buttons = QHBoxLayout()
        error_buttons.addWidget(self.copy_error_button)
        error_buttons.addWidget(self.retry_button)
        error_buttons.addStretch(1)
        error_layout = QVBoxLayout(self.error_box)
        error_layout.setContentsMargins(12, 10, 12, 10)
        error_layout.setSpacing(8)
        error_layout.addWidget(self.error_text)
        error_layout.addLayout(error_buttons)

        # A running job: progress and Cancel.
        self.progress_box = QWidget(self)
        self.progress_bar = QProgressBar(self.progress_box)
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedHeight(8)
        self.progress_text = QLabel(self.progress_box)
        self.progress_text.setObjectName("HistoryProgressText")
        self.cancel_button = QPushButton(icon("cancel"), "Cancel", self.progress_box)
        self.cancel_button.clicked.connect(lambda: self._emit(self.cancel_requested))
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress_text, 1)
        progress_row.addWidget(self.cancel_button)
        progress_layout = QVBoxLayout(self.progress_box)
        progress_layout.setContentsMargins(0, 0, 0, 0)
        progress_layout.addWidget(self.progress_bar)
        progress_layout.addLayout(progress_row)

        self.outputs_label = QLabel(self)
        self.outputs_label.setObjectName("HistorySectionLabel")
        self.outputs_widget = QWidget(self)
        self.outputs_grid = QGridLayout(self.outputs_widget)
        self.outputs_grid.setContentsMargins(0, 0, 0, 0)
        self.outputs_grid.setHorizontalSpacing(12)
        self.outputs_grid.setVerticalSpacing(12)

        self.canvas_button = QPushButton(icon("canvas"), "Open in Magic Canvas", self)
        self.canvas_button.clicked.connect(lambda: self._emit(self.open_canvas_requested))
        self.export_button = QPushButton(icon("export"), "Export…", self)
        self.export_button.clicked.connect(lambda: self._emit(self.export_requested))
        self.keep_button = QPushButton(icon("pin"), "Keep offline", self)
        self.keep_button.setCheckable(True)
        self.keep_button.setToolTip("Keep this job's images on this computer for offline use")
        self.keep_button.clicked.connect(self._keep_clicked)
        self.delete_button = QPushButton(icon("delete", tone="error"), "Delete…", self)
        self.delete_button.clicked.connect(lambda: self._emit(self.delete_requested))
        actions = QGridLayout()
        actions.setSpacing(8)
        actions.addWidget(self.canvas_button, 0, 0, 1, 2)
        actions.addWidget(self.export_button, 1, 0)
        actions.addWidget(self.keep_button, 1, 1)
        actions.addWidget(self.delete_button, 2, 0)

        body = QWidget(self)
        column = QVBoxLayout(body)
        column.setContentsMargins(16, 14, 16, 16)
        column.setSpacing(10)
        column.addLayout(header)
        column.addWidget(self.meta)
        column.addWidget(self.prompt)
        column.addWidget(self.error_box)
        column.addWidget(self.progress_box)
        column.addSpacing(4)
        column.addWidget(self.outputs_label)
        column.addWidget(self.outputs_widget)
        column.addSpacing(6)
        column.addLayout(actions)
        column.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)

        model.dataChanged.connect(self._on_data_changed)
        model.modelReset.connect(self._refresh)
        model.rowsRemoved.connect(lambda *_a: self._refresh())
        model.loader.ready.connect(self._on_thumbnail_ready)

    # ------------------------------------------------------------------ showing
    def show_job(self, job_id: str | None) -> None:
        self.job_id = job_id
        self._refresh()

    def close_panel(self) -> None:
        self.hide()
        self.closed.emit()

    def _keep_clicked(self) -> None:
        if self.job_id:
            self.keep_offline_requested.emit(self.job_id, self.keep_button.isChecked())

    def copy_error(self) -> None:
        QGuiApplication.clipboard().setText(self.error_text.text())

    def _emit(self, signal: Signal) -> None:
        if self.job_id:
            signal.emit(self.job_id)  # type: ignore[attr-defined]

    def _index(self) -> QModelIndex:
        return self.model.index_of(self.job_id) if self.job_id else QModelIndex()

    def _on_data_changed(
        self, top: QModelIndex, bottom: QModelIndex, _roles: object = None
    ) -> None:
        index = self._index()
        if index.isValid() and top.row() <= index.row() <= bottom.row():
            self._refresh()

    def _on_thumbnail_ready(self, output_id: str) -> None:
        for tile in self.tiles:
            if tile.output_id == output_id:
                self._refresh_tiles()
                return

    def _refresh(self) -> None:
        index = self._index()
        if not index.isValid():
            self.job_id = None
            self.title.setText("No job open")
            self.badge.hide()
            self.meta.setText("Select a job in the feed and press Enter to open it here.")
            for widget in (self.prompt, self.error_box, self.progress_box, self.outputs_label):
                widget.hide()
            self._set_outputs(())
            for button in self._action_buttons():
                button.setEnabled(False)
            return
        job: Job = index.data(Role.JOB)
        outputs: tuple[JobOutput, ...] = index.data(Role.OUTPUTS) or ()
        self.title.setText(index.data(Role.TYPE_LABEL))
        tones = current_tones()
        fg, bg = badge_colours(job.status, tones, self.palette())
        self.badge.setText(status_label(job.status))
        self.badge.setStyleSheet(
            f"color: {fg.name()}; background: {bg.name(bg.NameFormat.HexArgb)};"
            "border-radius: 9px; padding: 2px 10px; font-weight: bold;"
        )
        self.badge.show()
        meta = [format_when(job.created_at)]
        profile = index.data(Role.PROFILE_NAME)
        if profile:
            meta.append(f"Profile: {profile}")
        engine = job.input_json.get("engine")
        if isinstance(engine, str):
            meta.append("Local engine" if engine == "local" else "Studio service")
        attempt = job.input_json.get("attempt")
        if isinstance(attempt, int) and attempt > 1:
            meta.append(f"Attempt {attempt}")
        self.meta.setText(" · ".join(meta))
        prompt = index.data(Role.PROMPT)
        self.prompt.setText(prompt or "")
        self.prompt.setVisible(bool(prompt))
        error = index.data(Role.ERROR)
        self.error_box.setVisible(job.status == JobStatus.FAILED)
        self.error_text.setText(error or "The job failed without saying why.")
        self.error_box.setStyleSheet(
            f"#HistoryErrorBox {{ background: {tones.error_bg}; border-radius: 6px; }}"
            f"#HistoryErrorText {{ color: {tones.error}; }}"
        )
        running = job.status in (JobStatus.RUNNING, JobStatus.QUEUED)
        self.progress_box.setVisible(running)
        if running:
            fraction = index.data(Role.PROGRESS)
            self.progress_bar.setValue(round((fraction or 0.0) * 100))
            message = index.data(Role.PROGRESS_MESSAGE) or (
                "Waiting to start" if job.status == JobStatus.QUEUED else "Starting"
            )
            percent = f"{round((fraction or 0.0) * 100)}% · " if fraction is not None else ""
            self.progress_text.setText(percent + message)
        count = len(outputs)
        if count:
            outputs_text = f"{count} image{'s' if count != 1 else ''}"
        elif job.status == JobStatus.FAILED:
            outputs_text = "No images: the job failed"
        elif job.status == JobStatus.CANCELED:
            outputs_text = "No images: the job was canceled"
        elif running:
            outputs_text = "No images yet"
        else:
            outputs_text = "No images"
        self.outputs_label.setText(outputs_text)
        self.outputs_label.show()
        self._set_outputs(outputs)
        has_images = count > 0
        self.canvas_button.setEnabled(has_images)
        self.export_button.setEnabled(has_images)
        self.keep_button.setEnabled(has_images)
        self.delete_button.setEnabled(True)
        self.retry_button.setVisible(job.status == JobStatus.FAILED)

    def _action_buttons(self) -> list[QPushButton]:
        return [self.canvas_button, self.export_button, self.keep_button, self.delete_button]

    def _set_outputs(self, outputs: tuple[JobOutput, ...]) -> None:
        while len(self.tiles) > len(outputs):
            tile = self.tiles.pop()
            self.outputs_grid.removeWidget(tile)
            tile.deleteLater()
        while len(self.tiles) < len(outputs):
            tile = OutputTile(self.outputs_widget)
            n = len(self.tiles)
            self.outputs_grid.addWidget(tile, n // 2, n % 2)
            self.tiles.append(tile)
        self._outputs = outputs
        self._refresh_tiles()

    def _refresh_tiles(self) -> None:
        device = round(TILE * self.devicePixelRatioF())
        tones = current_tones()
        pinned: list[bool] = []
        for tile, output in zip(self.tiles, getattr(self, "_outputs", ()), strict=False):
            tile.output_id = output.id
            thumb = self.model.loader.get(output, device)
            tile.state = thumb.state
            pinned.append(thumb.pinned)
            tile.caption.setText(
                (output.angle or output.kind).capitalize()
                + (f" · {output.width}×{output.height}" if output.width and output.height else "")
            )
            if thumb.state is ThumbState.READY and thumb.pixmap is not None:
                pixmap = QPixmap(thumb.pixmap)
                pixmap.setDevicePixelRatio(self.devicePixelRatioF())
                tile.picture.setPixmap(pixmap)
                tile.picture.setStyleSheet("")
                tile.setToolTip("")
            else:
                text = {
                    ThumbState.LOADING: "Loading…",
                    ThumbState.MISSING: "Not downloaded —\navailable when online",
                    ThumbState.NO_PREVIEW: thumb.message or "No preview",
                    ThumbState.FAILED: "Preview unavailable",
                }.get(thumb.state, "")
                tile.picture.clear()
                tile.picture.setText(text)
                tile.picture.setStyleSheet(
                    f"color: {tones.muted}; border: 1px dashed {tones.border}; border-radius: 6px;"
                )
                tile.setToolTip(thumb.message)
        self.keep_button.blockSignals(True)
        self.keep_button.setChecked(bool(pinned) and all(pinned))
        self.keep_button.setText("Kept offline" if pinned and all(pinned) else "Keep offline")
        self.keep_button.blockSignals(False)

    def tile_states(self) -> list[ThumbState]:
        return [tile.state for tile in self.tiles]
