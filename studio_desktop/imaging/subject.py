"""The main subject of a photo as a mask, for edits sent with nothing painted.

"Make it navy" with no painted area means the garment or product the photo is of, not every
pixel. The subject is what :func:`~studio_desktop.imaging.cutout.extract_garment` separates from
a plain or studio background. Its outline becomes the mask, in the app's mask format
(255 = edit), with an edge that follows the photo's own edge
(:func:`~studio_desktop.imaging.refine.snap_alpha`): the cutout's feathering reaches a pixel or
two past the garment, and a recolour through it tinted that ring of background (a lavender line
round a shirt made navy on a white sweep: colour difference to the untouched background 26 at
the 90th percentile of the 2 px ring outside the garment, 10 with the snapped edge). "The
background" is the same mask inverted.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageChops

from studio_desktop.imaging.cutout import extract_garment
from studio_desktop.imaging.pixels import ImageLike, to_pil
from studio_desktop.imaging.refine import snap_alpha


def subject_mask(image: ImageLike) -> Image.Image:
    """The main subject's soft mask (mode ``L``, the image's size, 255 = subject).

    Raises :class:`~studio_desktop.imaging.operation_errors.NoGarmentFoundError` or
    :class:`~studio_desktop.imaging.operation_errors.NotAProductPhotoError` when no single subject
    stands out from a plain background."""
    cutout = extract_garment(image)
    outline = np.asarray(cutout.on_canvas().getchannel("A")) >= 128
    rgb = np.asarray(to_pil(image).convert("RGB"))
    return Image.fromarray(snap_alpha(rgb, outline), "L")


def background_mask(image: ImageLike) -> Image.Image:
    """Everything but the main subject (the subject's mask inverted), same errors."""
    return ImageChops.invert(subject_mask(image))
