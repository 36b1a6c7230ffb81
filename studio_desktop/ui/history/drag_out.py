"""Outputs dragged out of the app as files with readable names.

The blob cache names its files by a hash (no extension), which another program would show as
``3fa2…`` of unknown type. A drag therefore offers, for each output, a *hard link* to the cached
file under ``<workspace>/drag-out/<output id>/<export name>``
(``product-pack-2024-05-01-front-1.png``, the same names as File ▸ Export): no copy, no
extra disk space, made instantly on the GUI thread when the drag starts (a copy is the
fallback where links are not possible). The folder is emptied when the area opens the
workspace again.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from studio_desktop.domain.models import Job, JobOutput

log = logging.getLogger(__name__)
FOLDER_NAME = "drag-out"


@dataclass(frozen=True, slots=True)
class DragItem:
    job: Job
    output: JobOutput
    index: int  # the output's place in its job, from 1
    cached: Path | None  # the blob cache's file, None when not on this computer


@dataclass(frozen=True, slots=True)
class DragFiles:
    files: tuple[Path, ...]
    not_downloaded: int
    failed: int

    def message(self) -> str | None:
        """What to tell the designer about outputs left out of the drag, if any."""
        parts = []
        if self.not_downloaded:
            n = self.not_downloaded
            parts.append(
                f"{n} image{'s are' if n != 1 else ' is'} not downloaded yet and "
                f"{'were' if n != 1 else 'was'} left out; {'they' if n != 1 else 'it'} can be "
                "dragged once you are online"
            )
        if self.failed:
            parts.append(f"{self.failed} could not be prepared (see the log)")
        return ("; ".join(parts) + ".") if parts else None


def drag_folder(workspace_root: Path) -> Path:
    return workspace_root / FOLDER_NAME


def clear_drag_folder(workspace_root: Path) -> None:
    shutil.rmtree(drag_folder(workspace_root), ignore_errors=True)


def prepare_drag_files(workspace_root: Path, items: list[DragItem]) -> DragFiles:
    from studio_desktop.services.history import export_name

    files: list[Path] = []
    missing = 0
    failed = 0
    for item in items:
        if item.cached is None or not item.cached.exists():
            missing += 1
            continue
        target = (
            drag_folder(workspace_root)
            / item.output.id
            / export_name(item.job, item.output, item.index)
        )
        try:
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(item.cached, target)
                except OSError:
                    shutil.copyfile(item.cached, target)
            files.append(target)
        except OSError:
            log.exception("could not prepare %s for dragging", item.output.id)
            failed += 1
    return DragFiles(tuple(files), missing, failed)
