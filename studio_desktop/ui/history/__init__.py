"""The History area: the feed of jobs and their outputs (see ``area.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from studio_desktop.ui.history.area import HistoryArea

__all__ = ["HistoryArea", "make_history_area"]


def make_history_area(services: Any, **options: Any) -> HistoryArea:
    """The History area over a workspace's services (imported lazily: fast start-up)."""
    from studio_desktop.ui.history.area import make_history_area as make

    return make(services, **options)
