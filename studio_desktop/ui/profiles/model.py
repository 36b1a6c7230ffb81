"""The profiles as a Qt list model, kept current by the store's ``rows_changed`` events.

Loaded once (``load()``), then each committed change of the ``profiles`` table updates only the
rows it names: deleted ids are removed, upserted ids are read again (off the GUI thread) and
moved to their place by name. Reference thumbnails are asked of a :class:`ThumbnailLoader` when
a card is first painted, so only visible cards cost anything.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import QWidget

from studio_desktop.domain.enums import Bucket
from studio_desktop.domain.errors import StudioError
from studio_desktop.domain.models import Profile
from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.store.repository import ChangeSet
from studio_desktop.ui.bridge import EventBridge
from studio_desktop.ui.crash import report_crash
from studio_desktop.ui.operations import event_loop, run_op
from studio_desktop.ui.profiles.thumbnails import ThumbnailLoader

log = logging.getLogger(__name__)

AnyIndex = QModelIndex | QPersistentModelIndex
#: How long before a reference that was not on this computer is looked for again.


class ProfileRole(IntEnum):
    PROFILE = Qt.ItemDataRole.UserRole + 1  # the Profile
    THUMBNAIL = Qt.ItemDataRole.UserRole + 2  # QImage | None
    THUMBNAIL_STATE = Qt.ItemDataRole.UserRole + 3  # ThumbState value
    DETAIL = Qt.ItemDataRole.UserRole + 4  # "female · medium · Southern Europe"


class ThumbState(IntEnum):
    NONE = 0  # no reference image set
    LOADING = 1  # being made
    READY = 2
    NOT_DOWNLOADED = 3  # set, but its file is not on this computer (yet)
    FAILED = 4  # the file is not a usable image


def sort_key(profile: Profile) -> tuple[str, str]:
    return (profile.name.casefold(), profile.id)


def detail_line(profile: Profile) -> str:
    parts = [p for p in (profile.gender, profile.skin_tone, profile.region) if p]
    return " · ".join(parts)


class ProfilesModel(QAbstractListModel):
    def __init__(
        self,
        services: WorkspaceServices,
        loader: ThumbnailLoader,
        parent: QObject | None = None,
        *,
        request_blob: Callable[[str, str], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.loader = loader
        self._rows: list[Profile] = []
        self._files: dict[str, Path | None] = {}
        self.loaded = False
        self.request_blob = request_blob or (lambda _bucket, _path: None)
        self._asked: set[str] = set()
        self._early: list[ChangeSet] = []
        loader.loaded.connect(self._thumbnail_arrived)
        loader.failed.connect(self._thumbnail_arrived)
        self.bridge = EventBridge(self)
        self.bridge.connect_event(services.store.rows.rows_changed, self._on_rows_changed)

    # ------------------------------------------------------------------ reading
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def profile(self, row: int) -> Profile:
        return self._rows[row]

    def profiles(self) -> list[Profile]:
        return list(self._rows)

    def row_of(self, profile_id: str) -> int | None:
        for row, profile in enumerate(self._rows):
            if profile.id == profile_id:
                return row
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        profile = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return profile.name
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [profile.name, detail_line(profile)]
            if profile.background:
                lines.append(f"Background: {profile.background}")
            lines.append("Drop an image here to set the reference")
            return "\n".join(line for line in lines if line)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"Profile {profile.name}"
        if role == ProfileRole.PROFILE:
            return profile
        if role == ProfileRole.DETAIL:
            return detail_line(profile)
        if role == ProfileRole.THUMBNAIL:
            key = profile.reference_image_path
            return self.loader.image(key) if key else None
        if role == ProfileRole.THUMBNAIL_STATE:
            return int(self._thumb_state(profile))
        return None

    def _thumb_state(self, profile: Profile) -> ThumbState:
        key = profile.reference_image_path
        if not key:
            return ThumbState.NONE
        if self.loader.image(key) is not None:
            return ThumbState.READY
        if self.loader.error(key) is not None:
            return ThumbState.FAILED
        if key not in self._files:
            # A quick indexed read (the service says it is fine on the GUI thread).
            self._files[key] = self.services.profiles.reference_file(profile)
        file = self._files[key]
        if file is None:
            self._ask_for(key)
            return ThumbState.NOT_DOWNLOADED
        self.loader.request(key, file)
        return ThumbState.LOADING

    def _ask_for(self, key: str) -> None:
        """A reference not on this computer: ask the sync for it once; the blob cache announces
        its arrival (:meth:`notify_blob_available`)."""
        if key in self._asked:
            return
        self._asked.add(key)
        self.request_blob(Bucket.PROFILES.value, key)

    def notify_blob_available(self, bucket: str, path: str) -> None:
        """An object arrived in the blob cache: if it is a reference shown as not downloaded,
        look for its file again and show it."""
        if bucket != Bucket.PROFILES.value:
            return
        self._asked.discard(path)
        if self._files.get(path, "") is None:
            del self._files[path]
            self._thumbnail_arrived(path)

    def _thumbnail_arrived(self, key: str, *_args: object) -> None:
        for row, profile in enumerate(self._rows):
            if profile.reference_image_path == key:
                index = self.index(row)
                self.dataChanged.emit(
                    index, index, [ProfileRole.THUMBNAIL, ProfileRole.THUMBNAIL_STATE]
                )

    # ------------------------------------------------------------------ loading and changes
    def load(self) -> None:
        """Read every profile (off the GUI thread) and show them."""
        run_op(
            self._widget_parent(),
            self.services.profiles.list_profiles(),
            on_success=self._set_all,
            progress="Loading profiles…",
        )

    def _widget_parent(self) -> QWidget:
        parent = self.parent()
        assert isinstance(parent, QWidget), "the model is parented to its area"
        return parent

    def _set_all(self, profiles: list[Profile]) -> None:
        self.beginResetModel()
        self._rows = sorted(profiles, key=sort_key)
        self._files.clear()
        self.endResetModel()
        self.loaded = True
        # Changes committed while the list was being read may or may not be in it: replay them.
        early, self._early = self._early, []
        for change in early:
            self._on_rows_changed(change)

    def _on_rows_changed(self, change: ChangeSet) -> None:
        if change.table != "profiles":
            return
        if not self.loaded:
            self._early.append(change)
            return
        if change.kind == "delete":
            for profile_id in change.ids:
                self.apply_delete(profile_id)
            return
        ids = list(change.ids)
        store = self.services.store

        def read() -> list[Profile]:
            if store.db.closed:
                return []
            return [p for p in (store.queries.profile(i) for i in ids) if p is not None]

        future = event_loop().run_in_executor(self.services.executor, read)
        future.add_done_callback(self._upserts_read)

    def _upserts_read(self, future: asyncio.Future[list[Profile]]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if isinstance(error, StudioError):
            log.warning("changed profiles could not be read: %s", error.message)
            return
        if error is not None:
            report_crash(error)
            return
        for profile in future.result():
            self.upsert(profile)

    def upsert(self, profile: Profile) -> None:
        """Show ``profile`` as stored (insert it, or update it and keep the name order)."""
        old_row = self.row_of(profile.id)
        if old_row is not None:
            old = self._rows[old_row]
            if old.reference_image_path != profile.reference_image_path:
                self._files.pop(profile.reference_image_path or "", None)
            self._rows[old_row] = profile
            others = self._rows[:old_row] + self._rows[old_row + 1 :]
            target = bisect.bisect_left([sort_key(p) for p in others], sort_key(profile))
            if target != old_row:
                destination = target if target < old_row else target + 1
                self.beginMoveRows(QModelIndex(), old_row, old_row, QModelIndex(), destination)
                self._rows = others
                self._rows.insert(target, profile)
                self.endMoveRows()
                old_row = target
            index = self.index(old_row)
            self.dataChanged.emit(index, index)
            return
        row = bisect.bisect_left([sort_key(p) for p in self._rows], sort_key(profile))
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.insert(row, profile)
        self.endInsertRows()

    def apply_delete(self, profile_id: str) -> None:
        row = self.row_of(profile_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        self.endRemoveRows()
