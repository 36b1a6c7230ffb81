"""What was dropped on the window: local files (folders expanded), or a readable refusal.

:func:`classify_urls` splits a drop's URLs into local files, local folders and links;
:func:`expand_paths` turns files and folders into the list of files they hold (hidden files and
folders skipped, order kept, duplicates removed), refusing with an
:class:`~studio_desktop.domain.errors.ExternalError` when a folder holds more than
:data:`MAX_DROPPED_FILES` files or nothing at all. Expanding folders walks the disk: the window
runs it through ``run_op`` off the GUI thread.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QDragMoveEvent, QDropEvent

from studio_desktop.domain.errors import ExternalError

MAX_DROPPED_FILES = 500


@dataclass(slots=True)
class DroppedItems:
    files: list[Path] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # non-local URLs (http…), not supported

    @property
    def local(self) -> list[Path]:
        return self.files + self.folders


def classify_urls(urls: Iterable[QUrl]) -> DroppedItems:
    items = DroppedItems()
    for url in urls:
        if not url.isLocalFile():
            items.links.append(url.toDisplayString())
            continue
        path = Path(url.toLocalFile())
        (items.folders if path.is_dir() else items.files).append(path)
    return items


def accept_copy(event: QDropEvent | QDragMoveEvent) -> bool:
    """Accept a drag or drop as a **copy**, whatever the source proposed (a file manager told
    "move" may delete the designer's original). A source that cannot copy gets a link; one that
    offers neither is refused. (Drag-enter events are drag-move events in Qt.)"""
    possible = event.possibleActions()
    for action in (Qt.DropAction.CopyAction, Qt.DropAction.LinkAction):
        if possible & action:
            event.setDropAction(action)
            event.accept()
            return True
    event.ignore()
    return False


def has_droppable_urls(mime: QMimeData) -> bool:
    """True when the drag carries at least one URL (a file, a folder, or a link to refuse)."""
    return mime.hasUrls() and bool(mime.urls())


def _walk(folder: Path, limit: int) -> list[Path]:
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(root) / name
            if path.is_file():
                found.append(path)
                if len(found) > limit:
                    raise ExternalError(
                        f"The folder “{folder.name}” holds more than {limit} files. Drop a "
                        "smaller folder, or select the images themselves."
                    )
    return found


def expand_paths(paths: Sequence[Path], limit: int = MAX_DROPPED_FILES) -> list[Path]:
    """The files that ``paths`` name, folders expanded; see the module docstring."""
    result: list[Path] = []
    seen: set[Path] = set()
    missing: list[str] = []
    empty: list[str] = []
    for path in paths:
        if path.is_dir():
            files = _walk(path, limit)
            if not files:
                empty.append(path.name or str(path))
        elif path.is_file():
            files = [path]
        else:
            missing.append(path.name or str(path))
            continue
        for file in files:
            if file not in seen:
                seen.add(file)
                result.append(file)
        if len(result) > limit:
            raise ExternalError(
                f"That is more than {limit} files at once. Drop them in smaller groups."
            )
    if not result:
        if empty:
            raise ExternalError(f"The folder “{empty[0]}” has no files in it.")
        if missing:
            raise ExternalError(f"“{missing[0]}” could not be found; was it moved or deleted?")
        raise ExternalError("Nothing was dropped that can be opened.")
    return result
