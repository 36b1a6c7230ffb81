"""The canvas's "Snap to edges": the painted mask refined to the object's edges, kept for the
mask it was made from.

The canvas refines after each change of the mask (a stroke, a selection, an undo), off the GUI
thread. :class:`MaskRefiner` owns what that needs and nothing of Qt:

- one :class:`RefineRun` at a time: starting another cancels the running one (a new stroke makes
  the old result useless), and a cancelled run stops at its next check with
  :class:`~studio_desktop.imaging.errors.RefinementCancelledError`;
- the last result, tagged with the mask it belongs to (an owner — the canvas's mask layer — and
  that layer's revision): :meth:`result_for` answers only for exactly that mask, so a stale
  refinement is never sent;
- :func:`outline` turns a refined alpha into polygons for the preview drawn over the painted
  mask.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from studio_desktop.imaging.errors import RefinementCancelledError
from studio_desktop.imaging.refine import refine_mask

MaskArray = npt.NDArray[np.uint8]
Refine = Callable[..., MaskArray]
Polygon = list[tuple[float, float]]


@dataclass(eq=False)
class RefineRun:
    """One refinement of one mask (``owner`` at ``revision``)."""

    owner: object
    revision: int
    progress: float = 0.0
    _cancelled: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()


@dataclass(frozen=True, slots=True)
class Refined:
    owner: object
    revision: int
    alpha: MaskArray


class MaskRefiner:
    def __init__(self, refine: Refine = refine_mask) -> None:
        self._refine = refine
        self._running: RefineRun | None = None
        self._last: Refined | None = None

    @property
    def running(self) -> RefineRun | None:
        return self._running

    def start(self, owner: object, revision: int) -> RefineRun:
        """A new run for ``owner`` at ``revision``; the running one (if any) is cancelled."""
        self.cancel()
        self._running = RefineRun(owner, revision)
        return self._running

    def cancel(self) -> None:
        if self._running is not None:
            self._running.cancel()
            self._running = None

    def execute(
        self,
        run: RefineRun,
        image: npt.NDArray[np.uint8],
        painted: MaskArray,
        *,
        on_progress: Callable[[float], None] | None = None,
    ) -> MaskArray:
        """Refine (blocking; call it off the GUI thread). Raises
        :class:`RefinementCancelledError` when the run was cancelled meanwhile."""

        def progress(fraction: float) -> None:
            run.progress = fraction
            if on_progress is not None:
                on_progress(fraction)

        alpha = self._refine(image, painted, progress=progress, is_cancelled=lambda: run.cancelled)
        if run.cancelled:
            raise RefinementCancelledError()
        return alpha

    def finished(self, run: RefineRun, alpha: MaskArray) -> bool:
        """Keep ``alpha`` as the refinement of the run's mask; False for a cancelled run."""
        if run.cancelled:
            return False
        if self._running is run:
            self._running = None
        self._last = Refined(run.owner, run.revision, alpha)
        return True

    def failed(self, run: RefineRun) -> None:
        if self._running is run:
            self._running = None

    def result_for(self, owner: object, revision: int) -> MaskArray | None:
        """The refined alpha of exactly that mask, or None (not refined, or since changed)."""
        last = self._last
        if last is not None and last.owner is owner and last.revision == revision:
            return last.alpha
        return None

    def forget(self) -> None:
        self.cancel()
        self._last = None


def outline(alpha: MaskArray, level: int = 128, min_points: int = 3) -> list[Polygon]:
    """The edge of ``alpha >= level`` as polygons in image pixels (outer edges and holes),
    simplified to about half a pixel. Pixel ``(x, y)`` covers ``x..x+1``: contours run along
    the pixels' outer edges."""
    hard = (alpha >= level).astype(np.uint8)
    if not hard.any():
        return []
    contours, _tree = cv2.findContours(hard, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    polygons: list[Polygon] = []
    for contour in contours:
        simple = cv2.approxPolyDP(contour, 0.5, True)
        if len(simple) < min_points:
            continue
        polygons.append([(float(x) + 0.5, float(y) + 0.5) for x, y in simple.reshape(-1, 2)])
    return polygons
