"""Where an output's tile stands (:class:`ThumbState`): light, for the History's early page,
whose delegate paints tiles before the tile loader exists (``services/output_tiles.py``
re-exports it)."""

from __future__ import annotations

from enum import StrEnum


class ThumbState(StrEnum):
    LOADING = "loading"  # queued or being made
    READY = "ready"  # the picture is there
    MISSING = "missing"  # not on this computer (yet): "Not downloaded — available when online"
    NO_PREVIEW = "no_preview"  # a zip, a video, an output without a file
    FAILED = "failed"  # the file is there but is not a readable image
