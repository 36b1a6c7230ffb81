"""What a file dropped on the canvas becomes: a new image of the creation, or the mask.

The rule (shown in the drop overlay while dragging, so nothing is a surprise):

1. **Alt held** (Option on macOS), or the drop lands on the **"Use as mask" band** at the
   bottom of the canvas: the file is the mask (one file only). A mask of another size with the
   image's proportions is resized; other proportions are refused with a message.
2. **Shift held**: the files are added as new images of the creation, whatever they look like.
3. Otherwise it is decided by the file: **one greyscale PNG** (no colour channels: black, white
   and greys, with or without alpha) **with the image's proportions** is the mask, as masks
   exported from Photoshop, GIMP or this app look like that; anything else (photos, colour
   PNGs, several files) is added as new images.
4. With no creation open, dropped images start a new creation (the overlay says “Drop to edit
   in Magic Canvas”, the words of the other screens' zone that the welcome names).

Only one header is read per file and drag (``services/canvas_tools.py``): the verdict on a file
is remembered under its path, size and modification time, so the drag-enter reads the header and
every drag-move after it (dozens a second, on the GUI thread) only looks the verdict up (one
``stat``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from studio_desktop.services.canvas_tools import is_grey_png, looks_like_mask

__all__ = ["DropPlan", "DropTarget", "is_grey_png", "looks_like_mask", "plan_drop"]


class DropTarget(StrEnum):
    ASSETS = "assets"  # add the files as new images of the open creation
    MASK = "mask"  # import the file as the mask of the shown image
    CREATION = "creation"  # start a new creation from the files
    NONE = "none"  # refused (the text says why)


@dataclass(frozen=True, slots=True)
class DropPlan:
    target: DropTarget
    text: str
    paths: tuple[Path, ...]


def _count(n: int) -> str:
    return "1 image" if n == 1 else f"{n} images"


def plan_drop(
    paths: Sequence[Path],
    image_size: tuple[int, int] | None,
    *,
    creation_open: bool = True,
    alt: bool = False,
    shift: bool = False,
    on_mask_band: bool = False,
) -> DropPlan:
    """What dropping ``paths`` will do (see the module docstring); ``image_size`` is the shown
    image's size (None while no image is shown: then nothing can be a mask)."""
    files = tuple(paths)
    if not creation_open:
        # (the words of the other screens' zone, which the welcome names)
        what = "it" if len(files) == 1 else f"these {len(files)}"
        return DropPlan(
            DropTarget.CREATION,
            f"Drop to edit in Magic Canvas\nStart a new creation with {what}",
            files,
        )
    if alt or on_mask_band:
        if len(files) != 1:
            return DropPlan(DropTarget.NONE, "Only one file can be the mask", files)
        if image_size is None:
            return DropPlan(
                DropTarget.NONE, "Wait for the image to show, then drop its mask", files
            )
        return DropPlan(DropTarget.MASK, f"Drop to use “{files[0].name}” as the mask", files)
    if image_size is None:
        return DropPlan(DropTarget.ASSETS, f"Drop to add {_count(len(files))}", files)
    if shift:
        return DropPlan(DropTarget.ASSETS, f"Drop to add {_count(len(files))}", files)
    if len(files) == 1 and looks_like_mask(files[0], image_size):
        return DropPlan(
            DropTarget.MASK,
            f"Drop to use “{files[0].name}” as the mask\nHold Shift to add it as an image",
            files,
        )
    if len(files) > 1:  # (only one file can be the mask: no Alt hint)
        return DropPlan(DropTarget.ASSETS, f"Drop to add {_count(len(files))}", files)
    return DropPlan(
        DropTarget.ASSETS,
        f"Drop to add {_count(len(files))}\nHold Alt to use a file as the mask",
        files,
    )
