"""The main window's three areas and the base class every area widget derives from.

The window shows one area at a time (side bar + ``QStackedWidget``). Areas are built lazily,
on first show, by a factory; the defaults are the empty-state placeholders in ``ui/history/``,
``ui/profiles/`` and ``ui/canvas/``, which the screens' authors replace by subclassing
:class:`AreaWidget` and passing their own factory::

    MainWindow(dirs, area_factories={AreaKey.HISTORY: lambda: HistoryArea(services)})
    window.replace_area(AreaKey.HISTORY, HistoryArea(services))   # or swap later

Each area owns a ``QUndoStack``; the window's Edit → Undo/Redo follow the current area's stack
(``QUndoGroup``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QWidget


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


AreaFactory = Callable[[], AreaWidget]

# The placeholders' import paths: imported only when the area is first shown (fast start-up).
_DEFAULT_AREAS = {
    AreaKey.HISTORY: "studio_desktop.ui.history.area:HistoryArea",
    AreaKey.PROFILES: "studio_desktop.ui.profiles.area:ProfilesArea",
    AreaKey.CANVAS: "studio_desktop.ui.canvas.area:CanvasArea",
}


def default_factory(key: AreaKey) -> AreaFactory:
    module_name, _, class_name = _DEFAULT_AREAS[key].partition(":")

    def build() -> AreaWidget:
        cls = getattr(importlib.import_module(module_name), class_name)
        return cls()

    return build
