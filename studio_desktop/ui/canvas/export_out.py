"""Getting the shown version out of the canvas, as a part of the Canvas area.

File ▸ Export (Ctrl+E), "Export as PNG…" in the images' and versions' menus, and dragging
(Ctrl+drag on the canvas, or a version out of the strip) give a PNG at full size with the
Original's colour profile and metadata (:mod:`studio_desktop.services.canvas_export`). A drag
offers a file under the workspace's drag-out folder (emptied when the workspace opens, as
History's drags are), written in the background a moment after a version is shown so a drag of
a big image starts at once.

:class:`ExportOut` is mixed into :class:`~studio_desktop.ui.canvas.area.CanvasArea`.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from PySide6.QtCore import QMimeData, QSettings, QSize, Qt, QUrl
from PySide6.QtGui import QDrag, QPixmap
from PySide6.QtWidgets import QFileDialog

from studio_desktop.domain.errors import ExternalError
from studio_desktop.services.canvas_export import (
    DRAG_PNG_LEVEL,
    ExportedVersion,
    export_file_name,
    export_version_png,
)
from studio_desktop.services.canvas_screen import version_key, version_label
from studio_desktop.ui.canvas.images import NOT_HERE, NotHereError, ObjectKey
from studio_desktop.ui.canvas.mask_assist import busy_cursor
from studio_desktop.ui.history.drag_out import FOLDER_NAME as DRAG_FOLDER
from studio_desktop.ui.operations import run_op
from studio_desktop.ui.widgets.message_bar import MessageLevel

log = logging.getLogger(__name__)

PNG_FILTER = "PNG images (*.png)"
DRAG_AHEAD_MS = 1500
"""How long a version stays on screen before its drag-out file is written in the background."""


class ExportOut:
    # ================================================================ export and drag out
    def _shown_version(self) -> tuple[int, ObjectKey] | None:
        bound = self.selected
        if bound is None or not bound[1].versions:
            return None
        model, asset = bound
        index = model.shown_index
        return index, version_key(asset.versions[index])

    def _export_plan(self, asset_id: str | None = None, row: int | None = None):
        """(version key, original key, file name) of a version; the shown one by default."""
        model = self.model
        if model is None:
            return None
        asset = model.state.asset(asset_id or model.asset_id)
        if asset is None or not asset.versions:
            return None
        if row is None:
            row = model.shown_index if asset.asset.id == model.asset_id else asset.current_index
        if not 0 <= row < len(asset.versions):
            return None
        name = export_file_name(model.thread.title, model.asset_label(asset), version_label(row))
        return version_key(asset.versions[row]), version_key(asset.versions[0]), name

    def export_shown(
        self, asset_id: str | None = None, row: int | None = None
    ) -> QFileDialog | None:
        """File ▸ Export (Ctrl+E): the shown version (or ``row`` of ``asset_id``) as a PNG."""
        plan = self._export_plan(asset_id, row)
        if plan is None:
            self._message("Open an image to export it.", MessageLevel.WARNING)
            return None
        key, original, name = plan
        folder = Path(str(QSettings().value("canvas/export_folder", str(Path.home()))))
        dialog = QFileDialog(self, "Export image", str(folder / name), PNG_FILTER)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("png")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda file: self.export_to(Path(file), key, original))
        dialog.open()
        return dialog

    def export_to(
        self, target: Path, key: ObjectKey | None = None, original: ObjectKey | None = None
    ) -> None:
        """Write the version ``key`` (the shown one by default) to ``target`` as a PNG."""
        if key is None:
            plan = self._export_plan()
            if plan is None:
                return
            key, original, _name = plan
        if target.suffix.lower() != ".png":
            target = target.with_name(target.name + ".png")
        QSettings().setValue("canvas/export_folder", str(target.parent))

        def write() -> ExportedVersion:
            version_file = self._locate(key)
            if version_file is None:
                raise NotHereError(NOT_HERE)
            original_file = self._locate(original) if original is not None else None
            return export_version_png(version_file, original_file, target)

        def written(result: ExportedVersion) -> None:
            self.exported.emit(result)
            text = f"Exported “{result.path.name}” ({result.width} x {result.height})."
            if result.note:
                self._message(f"{text} {result.note}", MessageLevel.WARNING)
            else:
                self._message(text, MessageLevel.SUCCESS)

        run_op(self, write, on_success=written, progress="Exporting the image…")

    def _drag_target(self, key: ObjectKey, name: str) -> Path:
        assert self.services is not None
        digest = hashlib.sha1(f"{key[0]}/{key[1]}".encode()).hexdigest()[:16]
        return self.services.store.dirs.root / DRAG_FOLDER / "canvas" / digest / name

    def _prepare_drag_ahead(self) -> None:
        """Write the shown version's drag-out PNG in the background a moment after it is
        shown, so a drag starts at once (a 12 MP PNG takes about two seconds to write)."""
        plan = self._export_plan()
        if plan is None or self.services is None:
            return
        key, original, name = plan
        target = self._drag_target(key, name)
        if target.exists() or target in self._drag_ahead:
            return
        self._drag_ahead.add(target)

        def write() -> Path | None:
            version_file = self._locate(key)
            if version_file is None:
                return None
            export_version_png(version_file, self._locate(original), target, level=DRAG_PNG_LEVEL)
            return target

        def done(_path: Path | None) -> None:
            self._drag_ahead.discard(target)

        def failed(error: BaseException) -> None:
            self._drag_ahead.discard(target)
            log.info("drag-out file of %s not prepared ahead: %r", key, error)

        self._background(write, on_done=done, on_error=failed)

    def drag_file(self, row: int | None = None) -> Path | None:
        """A PNG of the shown version (or version ``row``) for dragging out, under the
        workspace's drag-out folder: the one prepared ahead, else made now (a fast PNG level);
        None when the image is not on this computer."""
        plan = self._export_plan(row=row)
        if plan is None or self.services is None:
            return None
        key, original, name = plan
        version_file = self._locate(key)
        if version_file is None:
            self._message(NOT_HERE, MessageLevel.WARNING)
            return None
        target = self._drag_target(key, name)
        if target.exists():
            return target
        original_file = self._locate(original)
        try:
            with busy_cursor():
                export_version_png(version_file, original_file, target, level=DRAG_PNG_LEVEL)
        except (ExternalError, OSError) as error:
            log.warning("could not prepare %s for dragging: %r", key, error)
            self._message("This image could not be prepared for dragging.", MessageLevel.WARNING)
            return None
        return target

    def drag_version_out(self, row: int | None) -> QDrag | None:
        """Drag the shown version (or version ``row``) out of the app as a PNG file."""
        path = self.drag_file(row)
        if path is None:
            return None
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        source = self.canvas if row is None else self.version_strip
        drag = QDrag(source)
        drag.setMimeData(mime)
        display = self.canvas.image
        if row is None and display is not None:
            _scale, level = display.level_for(0.05)
            drag.setPixmap(
                QPixmap.fromImage(level).scaled(
                    QSize(96, 96),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        self.last_drag = drag
        drag.exec(Qt.DropAction.CopyAction)
        return drag
