"""Where the designer was, so a restart brings them back: the open creation and its image, the
brush size, the mask on each image (an imported one, or one painted and not sent), and the
garment panel's Front and Back photos with their cutouts.

Small values live in ``QSettings`` (which ``app.py`` keeps under the data root's ``qt/``
folder), grouped per workspace, since each workspace has its own creations; masks are PNG files
in the workspace's own ``session/masks/`` folder.

A workspace's group is named by an id kept inside the workspace (``session/id``, made on first
use), not by its path: a data folder moved or copied elsewhere, with its ``qt/`` folder, still
finds where the designer was. A copy started beside the original starts where the original was
and then goes its own way (each data folder has its own settings file). Memories of older
versions, grouped by a digest of the workspace's full path, are moved to the id's group the first
time the workspace is opened at that path. Everything read back is checked by the caller
against what still exists (a creation deleted since, a photo moved): what is gone is forgotten
quietly.

    session = SessionMemory(services.store.dirs.root)
    session.remember_creation(thread_id, asset_id)
    thread_id, asset_id = session.creation()
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image
from PySide6.QtCore import QSettings

log = logging.getLogger(__name__)

BRUSH_KEY = "canvas/brush_size"
SIDES = ("front", "back")


@dataclass(frozen=True, slots=True)
class RememberedSide:
    """A garment slot: the photo it was cut from and where its cutout is stored."""

    path: Path
    bucket: str
    key: str
    from_cache: bool


#: The workspace's own id, relative to its folder.
ID_FILE = Path("session") / "id"
_ID = re.compile(r"[0-9a-f]{32}")


class SessionMemory:
    def __init__(self, workspace_root: Path, settings: QSettings | None = None) -> None:
        self.root = workspace_root
        self.settings = settings if settings is not None else QSettings()
        path_group = f"session/{_path_digest(workspace_root)}"
        folder_id = workspace_id(workspace_root)
        self.group = f"session/{folder_id}" if folder_id else path_group
        if self.group != path_group:
            self._adopt(path_group)

    def _adopt(self, old_group: str) -> None:
        """Move what an older version remembered under ``old_group`` (the path's digest) to
        this workspace's group, unless the group already holds memories of its own."""
        self.settings.beginGroup(old_group)
        old = {key: self.settings.value(key) for key in self.settings.allKeys()}
        self.settings.endGroup()
        if not old:
            return
        self.settings.beginGroup(self.group)
        mine = bool(self.settings.allKeys())
        if not mine:
            for key, value in old.items():
                self.settings.setValue(key, value)
        self.settings.endGroup()
        self.settings.remove(old_group)
        log.info("session memory of %s moved to the workspace's id", self.root)

    def _get(self, name: str) -> str | None:
        value = self.settings.value(f"{self.group}/{name}")
        return str(value) if value not in (None, "") else None

    def _set(self, name: str, value: object | None) -> None:
        key = f"{self.group}/{name}"
        if value is None or value == "":
            self.settings.remove(key)
        else:
            self.settings.setValue(key, value)

    # ------------------------------------------------------------------ the canvas
    def creation(self) -> tuple[str | None, str | None]:
        """The creation open at the last moment, and its image shown."""
        return self._get("canvas/thread"), self._get("canvas/asset")

    def remember_creation(self, thread_id: str | None, asset_id: str | None = None) -> None:
        self._set("canvas/thread", thread_id)
        self._set("canvas/asset", asset_id if thread_id else None)

    @staticmethod
    def brush_size(default: int) -> int:
        """The brush size (the same in every workspace)."""
        try:
            return int(QSettings().value(BRUSH_KEY, default))
        except (TypeError, ValueError):
            return default

    @staticmethod
    def remember_brush_size(size: int) -> None:
        QSettings().setValue(BRUSH_KEY, int(size))

    def mask_file(self, asset_id: str) -> Path:
        return self.root / "session" / "masks" / f"{asset_id}.png"

    def save_mask(self, asset_id: str, mask: npt.NDArray[np.uint8] | None) -> None:
        """Keep an image's mask (None or an empty one: forget it). Call off the GUI thread."""
        file = self.mask_file(asset_id)
        if mask is None or not mask.any():
            file.unlink(missing_ok=True)
            return
        file.parent.mkdir(parents=True, exist_ok=True)
        temp = file.with_suffix(".tmp")
        Image.fromarray(np.ascontiguousarray(mask, np.uint8), "L").save(temp, "PNG")
        temp.replace(file)

    def load_mask(self, asset_id: str, size: tuple[int, int]) -> npt.NDArray[np.uint8] | None:
        """An image's kept mask when it exists and fits ``size`` (width, height), else None."""
        file = self.mask_file(asset_id)
        if not file.is_file():
            return None
        try:
            with Image.open(file) as image:
                if image.size != size:
                    return None
                return np.asarray(image.convert("L"), np.uint8).copy()
        except (OSError, ValueError) as error:
            log.info("kept mask %s not read: %s", file.name, error)
            return None

    # ------------------------------------------------------------------ the garment panel
    def garment_side(self, kind: str) -> RememberedSide | None:
        path, bucket, key = (self._get(f"garments/{kind}/{n}") for n in ("path", "bucket", "key"))
        if not (path and bucket and key):
            return None
        cached = self._get(f"garments/{kind}/from_cache") == "true"
        return RememberedSide(Path(path), bucket, key, cached)

    def remember_garment_side(self, kind: str, side: RememberedSide | None) -> None:
        if side is None:
            for name in ("path", "bucket", "key", "from_cache"):
                self._set(f"garments/{kind}/{name}", None)
            return
        self._set(f"garments/{kind}/path", str(side.path))
        self._set(f"garments/{kind}/bucket", side.bucket)
        self._set(f"garments/{kind}/key", side.key)
        self._set(f"garments/{kind}/from_cache", "true" if side.from_cache else "false")


def workspace_id(workspace_root: Path) -> str | None:
    """The id kept in ``workspace_root`` (:data:`ID_FILE`), made there the first time; ``None``
    when it can be neither read nor written (the memory is then keyed by the path, as before)."""
    file = workspace_root / ID_FILE
    try:
        found = file.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        found = ""
    except (OSError, ValueError) as error:
        log.warning("the workspace id %s cannot be read: %s", file, error)
        return None
    if _ID.fullmatch(found):
        return found
    made = uuid.uuid4().hex
    temp = file.with_name(f"{file.name}.{made}.tmp")
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        temp.write_text(made + "\n", encoding="ascii")
        temp.replace(file)
    except OSError as error:
        log.warning("the workspace id %s cannot be written: %s", file, error)
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        return None
    return made


def _path_digest(workspace_root: Path) -> str:
    """How versions before the workspace id named a workspace's memories."""
    return hashlib.sha1(str(workspace_root.resolve()).encode()).hexdigest()[:12]
