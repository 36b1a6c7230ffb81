"""The main window's three areas and the base class every area widget derives from.

The window shows one area at a time (side bar + ``QStackedWidget``). Areas are built lazily,
on first show, by a factory; the defaults are the empty-state placeholders in ``ui/history/``,
``ui/profiles/`` and ``ui/canvas/``, which the screens' authors replace by subclassing
:class:`AreaWidget` and passing their own factory::

    MainWindow(dirs, area_factories={AreaKey.HISTORY: lambda: HistoryArea(services)})
    window.replace_area(AreaKey.HISTORY, HistoryArea(services))   # or swap later

Each area owns a ``QUndoStack``; the window's Edit → Undo/Redo follow the current area's stack
(``QUndoGroup``). What the window asks of every area (a file became available, Edit ▸ Paste,
save the session at close) are :class:`AreaWidget` methods with defaults; what an area asks of
another goes through its :attr:`AreaWidget.navigator` (``ui/navigation.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from studio_desktop.ui.navigation import Navigator


class AreaKey(StrEnum):
    HISTORY = "history"
    PROFILES = "profiles"
    CANVAS = "canvas"

    @property
    def label(self) -> str:
        return {"history": "History", "profiles": "Profiles", "canvas": "Canvas"}[self.value]

    @property
    def icon_name(self) -> str:
        return self.value

    @property
    def shortcut(self) -> str:
        return f"Ctrl+{list(AreaKey).index(self) + 1}"

    @property
    def description(self) -> str:
        return {
            "history": "Every job and its images, newest first",
            "profiles": "Model profiles and their reference images",
            "canvas": "Magic Canvas: paint a mask, ask for an edit",
        }[self.value]


class AreaWidget(QWidget):
    """Base of an area: an undo stack and hooks for when the area is shown or left."""

    area_key: ClassVar[AreaKey]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{self.area_key.value}_area")
        self.undo_stack = QUndoStack(self)

    def area_activated(self) -> None:
        """The area became the visible one (load what it needs, focus its main widget)."""

    def area_deactivated(self) -> None:
        """Another area was chosen (pause what only matters while visible)."""

    def drop_options(self, paths: list[Path]) -> list[Any]:
        """What files dropped on the window over this area can do (``DropOption``s from
        ``ui/drop_choices.py``); empty: a new Magic Canvas creation, the default."""
        return []

    #: Whether Edit ▸ Paste (Ctrl+V) does something on this area (it overrides :meth:`paste`).
    accepts_paste: ClassVar[bool] = False

    def can_paste(self) -> bool:
        """Whether a paste would do something now (default: the clipboard holds an image or
        image files, on an area that accepts a paste)."""
        if not self.accepts_paste:
            return False
        from studio_desktop.ui.drop_choices import clipboard_has_paste

        return clipboard_has_paste()

    def paste(self) -> object:
        """Edit ▸ Paste (Ctrl+V) on this area."""
        return None

    def notify_blob_available(self, bucket: str, path: str) -> None:
        """A file the sync fetched is in the blob cache now: show it where it was missing."""

    def save_session(self) -> None:
        """The window closes: keep what this area restores next time (``ui/session.py``)."""

    @property
    def navigator(self) -> Navigator:
        """How this area reaches the others: its window's navigator (alone: one that reaches
        nothing)."""
        from studio_desktop.ui.main_window import main_window_of
        from studio_desktop.ui.navigation import NO_NAVIGATION

        window = main_window_of(self)
        return window.navigator if window is not None else NO_NAVIGATION


AreaFactory = Callable[[], AreaWidget]


# The placeholders (the areas without a workspace): each module is imported only when its area
# is first shown (fast start-up).
def _history_placeholder() -> AreaWidget:
    from studio_desktop.ui.history.area import HistoryArea

    return HistoryArea()


def _profiles_placeholder() -> AreaWidget:
    from studio_desktop.ui.profiles.area import ProfilesArea

    return ProfilesArea()


def _canvas_placeholder() -> AreaWidget:
    from studio_desktop.ui.canvas.area import CanvasArea

    return CanvasArea()


_DEFAULT_AREAS: dict[AreaKey, AreaFactory] = {
    AreaKey.HISTORY: _history_placeholder,
    AreaKey.PROFILES: _profiles_placeholder,
    AreaKey.CANVAS: _canvas_placeholder,
}


def default_factory(key: AreaKey) -> AreaFactory:
    return _DEFAULT_AREAS[key]
