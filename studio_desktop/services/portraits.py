"""Small pictures of people for the Profiles cards and the garment previews: the pure helpers
the UI needs from ``imaging``, re-exported (the UI imports services and domain only).

- :class:`ThumbnailCache` and :data:`SMALL`: the workspace's content-keyed thumbnail cache on
  disk (``services.thumbnails``) and the card thumbnails' size;
- :func:`subject_focus`: where the person is in an RGB array (the backdrop read from the
  borders; no face model ships with the app), as a :class:`Focus`, or None;
- :func:`frame_box`: the crop of a picture that keeps that person's head in a smaller box.

All are pure (no I/O beyond the cache's own files) and safe on any thread.
"""

from __future__ import annotations

from studio_desktop.imaging.framing import Focus, frame_box, subject_focus
from studio_desktop.imaging.thumbnails import SMALL, ThumbnailCache

__all__ = ["SMALL", "Focus", "ThumbnailCache", "frame_box", "subject_focus"]
