"""What one screen asks of another, declared once.

A screen never looks another one up by name or probes it for a method: it asks its
:class:`Navigator` (``self.navigator``, from :class:`~studio_desktop.ui.areas.AreaWidget`)::

    self.navigator.open_creation(thread_id)   # History ▸ Open in Magic Canvas
    self.navigator.reveal_job(job_id)         # Garments ▸ Show in History
    self.navigator.deliver("cutout", paths)   # a paste whose destination the designer chose

and the app controller, for the window's drops, asks the same one
(``cut_out_garments``, ``take_reference``, ``open_creation`` after an import).

What every screen answers (a file became available, Edit ▸ Paste, save the session at close)
is not here: those are :class:`~studio_desktop.ui.areas.AreaWidget`'s own methods, with
defaults, so the window calls them on any area without asking whether it has them.

:class:`ScreenNavigator` is the implementation over a :class:`MainWindow`'s screens; it imports
a screen's class only when that screen is asked for (the screens are built lazily, the Canvas
costs NumPy and its brush). A request for a screen that is not there (no workspace is open,
or one is being switched and a placeholder shows) returns ``False`` and does nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from studio_desktop.ui.areas import AreaKey

if TYPE_CHECKING:
    from studio_desktop.ui.main_window import MainWindow
    from studio_desktop.ui.profiles.area import ProfilesArea

log = logging.getLogger(__name__)


class Navigator(Protocol):
    """The requests one screen (or the app controller) makes of another."""

    def open_creation(self, thread_id: str) -> bool:
        """Show the Magic Canvas with the creation ``thread_id`` opening in it."""
        ...

    def reveal_job(self, job_id: str) -> bool:
        """Show History with ``job_id`` selected and scrolled to (once it is in the feed)."""
        ...

    def cut_out_garments(self, paths: Sequence[Path]) -> bool:
        """Show Profiles and cut out 1–2 garment photos (the first the front, a second the back)."""
        ...

    def take_reference(self, paths: Sequence[Path]) -> bool:
        """Use the first photo as the reference of the profile selected in Profiles."""
        ...

    def deliver(self, choice: str, paths: Sequence[Path]) -> None:
        """Files pasted (or dropped) with a destination chosen: a ``DropChoice`` value."""
        ...


class NoNavigation:
    """The navigator of a screen outside a window (built alone, in a test): nothing to reach."""

    def open_creation(self, thread_id: str) -> bool:
        log.info("no window to open creation %s in", thread_id)
        return False

    def reveal_job(self, job_id: str) -> bool:
        log.info("no window to reveal job %s in", job_id)
        return False

    def cut_out_garments(self, paths: Sequence[Path]) -> bool:
        return False

    def take_reference(self, paths: Sequence[Path]) -> bool:
        return False

    def deliver(self, choice: str, paths: Sequence[Path]) -> None:
        log.info("no window to deliver %d file(s) for %s", len(paths), choice)


NO_NAVIGATION = NoNavigation()


class ScreenNavigator:
    """:class:`Navigator` over a window's screens (each built on first request)."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def open_creation(self, thread_id: str) -> bool:
        from studio_desktop.ui.canvas.area import CanvasArea

        canvas = self.window.area(AreaKey.CANVAS)
        if not isinstance(canvas, CanvasArea) or canvas.services is None:
            return False
        canvas.open_creation(thread_id)
        self.window.set_current_area(AreaKey.CANVAS)
        return True

    def reveal_job(self, job_id: str) -> bool:
        from studio_desktop.ui.history.area import HistoryArea

        history = self.window.area(AreaKey.HISTORY)
        if not isinstance(history, HistoryArea) or history.services is None:
            return False
        self.window.set_current_area(AreaKey.HISTORY)
        history.reveal_job(job_id)
        return True

    def cut_out_garments(self, paths: Sequence[Path]) -> bool:
        profiles = self._profiles(show=True)
        if profiles is None or profiles.garments is None or not paths:
            return False
        for kind, path in zip(("front", "back"), paths, strict=False):
            profiles.garments.extract(kind, path)
        return True

    def take_reference(self, paths: Sequence[Path]) -> bool:
        profiles = self._profiles(show=False)
        if profiles is None:
            return False
        profiles.reference_from(list(paths))
        return True

    def deliver(self, choice: str, paths: Sequence[Path]) -> None:
        self.window.deliver_drop(choice, list(paths))

    def _profiles(self, *, show: bool) -> ProfilesArea | None:
        from studio_desktop.ui.profiles.area import ProfilesArea

        profiles = self.window.area(AreaKey.PROFILES)
        if not isinstance(profiles, ProfilesArea) or profiles.services is None:
            return None
        if show:
            self.window.set_current_area(AreaKey.PROFILES)
        return profiles
