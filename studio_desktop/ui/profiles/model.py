"""The profiles as a Qt list model: a thin adapter over the Qt-free
:class:`~studio_desktop.services.profiles_screen.ProfilesScreen`.

The screen owns the list (in name order), the selection, where each reference image is, and
the commands; this model only answers Qt's questions from it and turns its events into row
signals (``rows_changing``/``rows_changed`` → begin/end insert, remove, move, reset;
``profile_updated`` and ``reference_changed`` → ``dataChanged``). ``data()`` reads no database:
a card's thumbnail is asked of a :class:`ThumbnailLoader` when the card is first painted, from
the file the screen already knows, so only visible cards cost anything.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtWidgets import QWidget

from studio_desktop.domain.models import Profile
from studio_desktop.services.profiles_screen import ProfilesScreen, RowsChange, detail_line
from studio_desktop.ui.operations import run_op
from studio_desktop.ui.profiles.thumbnails import ThumbnailLoader

AnyIndex = QModelIndex | QPersistentModelIndex


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


_THUMB_ROLES = [ProfileRole.THUMBNAIL, ProfileRole.THUMBNAIL_STATE]


class ProfilesModel(QAbstractListModel):
    def __init__(
        self, screen: ProfilesScreen, loader: ThumbnailLoader, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.screen = screen
        self.loader = loader
        loader.loaded.connect(self._thumbnail_arrived)
        loader.failed.connect(self._thumbnail_arrived)
        # Direct connections: the screen emits on the event loop's thread, the GUI thread, and
        # the row signals must bracket the change itself.
        links = [
            (screen.rows_changing, self._rows_changing),
            (screen.rows_changed, self._rows_changed),
            (screen.profile_updated, self._profile_updated),
            (screen.reference_changed, self._thumbnail_arrived),
        ]
        for event, slot in links:
            event.connect(slot)

        def unlink(*_args: object) -> None:  # (no ``self``: it may be gone by then)
            screen.close()
            for event, slot in links:
                event.disconnect(slot)

        self.destroyed.connect(unlink)

    # ------------------------------------------------------------------ reading
    @property
    def loaded(self) -> bool:
        return self.screen.is_loaded

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.screen)

    def profile(self, row: int) -> Profile:
        return self.screen.profile(row)

    def profiles(self) -> list[Profile]:
        return self.screen.profiles()

    def row_of(self, profile_id: str) -> int | None:
        return self.screen.row_of(profile_id)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.screen):
            return None
        profile = self.screen.profile(index.row())
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
        reference = self.screen.reference(profile)
        if reference is None:
            return ThumbState.NONE
        key = profile.reference_image_path
        assert key is not None
        if self.loader.image(key) is not None:
            return ThumbState.READY
        if self.loader.error(key) is not None:
            return ThumbState.FAILED
        if reference.missing:
            return ThumbState.NOT_DOWNLOADED
        if reference.file is not None:
            self.loader.request(key, reference.file)
        return ThumbState.LOADING

    # ------------------------------------------------------------------ loading and changes
    def load(self) -> None:
        """Read every profile (off the GUI thread) and show them."""
        parent = self.parent()
        assert isinstance(parent, QWidget), "the model is parented to its area"
        run_op(parent, self.screen.load(), progress="Loading profiles…")

    def _rows_changing(self, change: RowsChange) -> None:
        if change.kind == "reset":
            self.beginResetModel()
        elif change.kind == "insert":
            self.beginInsertRows(QModelIndex(), change.row, change.row)
        elif change.kind == "remove":
            self.beginRemoveRows(QModelIndex(), change.row, change.row)
        else:  # Qt counts a move down to the row after the one it lands on
            to = change.to + 1 if change.to > change.row else change.to
            self.beginMoveRows(QModelIndex(), change.row, change.row, QModelIndex(), to)

    def _rows_changed(self, change: RowsChange) -> None:
        if change.kind == "reset":
            self.endResetModel()
        elif change.kind == "insert":
            self.endInsertRows()
        elif change.kind == "remove":
            self.endRemoveRows()
        else:
            self.endMoveRows()

    def _profile_updated(self, row: int) -> None:
        index = self.index(row)
        self.dataChanged.emit(index, index)

    def _thumbnail_arrived(self, key: str, *_args: object) -> None:
        for row, profile in enumerate(self.screen.profiles()):
            if profile.reference_image_path == key:
                index = self.index(row)
                self.dataChanged.emit(index, index, _THUMB_ROLES)


class ProfilesFilter(QSortFilterProxyModel):
    """The cards the search shows: the rule is the screen's (``ProfilesScreen.is_shown``),
    this proxy only applies it."""

    def __init__(self, model: ProfilesModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSourceModel(model)
        self.screen = model.screen

    def set_search(self, text: str) -> None:
        """The search field's text: the screen's search, with the cards filtered again."""
        self.beginFilterChange()
        self.screen.set_search(text)
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        return not source_parent.isValid() and self.screen.is_shown(source_row)
