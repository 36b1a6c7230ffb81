"""Image work the canvas's widgets ask for, so that ``ui/`` imports only ``services``.

- :mod:`selection` (re-exported from ``imaging/selection.py``): magic wand, colour range, select
  object, grow/shrink/feather, combine; pure NumPy/OpenCV, called off the GUI thread;
- :func:`decode_image` (safe decode for display) and :class:`OperationCancelledError`;
- the drop rule's file verdicts: :func:`is_grey_png` reads a file's header once per version of
  the file (its path, size and modification time), so a drag that moves over the canvas dozens
  of times a second, on the GUI thread, only looks the verdict up (one ``stat``).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from PIL import Image

from studio_desktop.imaging import selection
from studio_desktop.imaging.decode import decode_image
from studio_desktop.imaging.errors import OperationCancelledError
from studio_desktop.imaging.masks import aspect_matches

__all__ = [
    "OperationCancelledError",
    "decode_image",
    "is_grey_png",
    "looks_like_mask",
    "selection",
]

GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "F"})


#: Verdicts of ``is_grey_png`` by (path, size, mtime): a drag reads each file's header once.
_VERDICTS: dict[tuple[str, int, int], tuple[int, int] | None] = {}
_MAX_VERDICTS = 256


def _read_grey_png(path: Path) -> tuple[int, int] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=["PNG"]) as image:  # lazy: the header only
                mode, size = image.mode, image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return size if mode in GREY_MODES else None


def is_grey_png(path: Path) -> tuple[int, int] | None:
    """The size of ``path`` when it is a greyscale PNG (header only), else None; the header is
    read once per version of the file (see the module docstring)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _VERDICTS:
        if len(_VERDICTS) >= _MAX_VERDICTS:
            _VERDICTS.clear()
        _VERDICTS[key] = _read_grey_png(path) if stat.st_size else None
    return _VERDICTS[key]


def looks_like_mask(path: Path, image_size: tuple[int, int]) -> bool:
    size = is_grey_png(path)
    return size is not None and aspect_matches(size, image_size)
