"""The main subject of a photo as a mask, for edits sent with nothing painted.

"Make it navy" with no painted area means the garment or product the photo is of, not every
pixel. The subject is what :func:`~studio_desktop.imaging.cutout.extract_garment` separates from
a plain or studio background; its soft alpha (feathered edge) becomes the mask, in the app's
mask format (255 = edit), so the edit is composited through it like a painted one. "The
background" is the same mask inverted.
"""

from __future__ import annotations

from PIL import Image, ImageChops

from studio_desktop.imaging.cutout import extract_garment
from studio_desktop.imaging.pixels import ImageLike


def subject_mask(image: ImageLike) -> Image.Image:
    """The main subject's soft mask (mode ``L``, the image's size, 255 = subject).

    Raises :class:`~studio_desktop.imaging.operation_errors.NoGarmentFoundError` or
    :class:`~studio_desktop.imaging.operation_errors.NotAProductPhotoError` when no single subject
    stands out from a plain background."""
    cutout = extract_garment(image)
    return cutout.on_canvas().getchannel("A")


def background_mask(image: ImageLike) -> Image.Image:
    """Everything but the main subject (the subject's mask inverted), same errors."""
    return ImageChops.invert(subject_mask(image))
