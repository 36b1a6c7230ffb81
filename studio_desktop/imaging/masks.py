"""The app's mask format, and everything done to masks.

THE MASK FORMAT (every module that paints, stores, uploads or applies a mask relies on this):

- A mask is a single-channel 8-bit image: a Pillow image in mode ``"L"`` (NumPy: ``uint8``
  array of shape ``(height, width)``), exactly the size of the image it belongs to, in the
  image's upright orientation (after EXIF orientation was applied by ``decode``).
- **255 means "edit here"**, 0 means "keep", and values in between are partial: a feathered edge
  where the edit is blended ``value / 255`` of the way. Edits compute
  ``result = original + (edited - original) * mask / 255``.
- "No mask" (edit the whole image) is ``None`` in APIs, never an all-255 mask made up on the fly;
  an all-zero mask means "nothing selected" (:func:`is_empty`), and callers refuse it rather
  than do nothing silently.
- Stored and uploaded as an 8-bit greyscale PNG (colour type 0) with no other metadata
  (:func:`mask_to_png`); MIME type ``image/png``.

Masks made elsewhere (:func:`mask_from_png`): a PNG (or any accepted image) whose alpha channel
is used, i.e. has a pixel that is not fully opaque, gives its alpha as the mask (painted = edit);
otherwise its luminance is the mask (white = edit, black = keep, grey = partial), which covers
black-and-white masks from Photoshop, GIMP or a brush export. A mask of another size is resized
to the image when the shapes agree within :data:`ASPECT_TOLERANCE` (1 %), else refused with a
:class:`~studio_desktop.imaging.errors.MaskSizeError` that states both sizes.
"""

from __future__ import annotations

import io
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageChops, ImageFilter

from studio_desktop.domain.errors import BugError
from studio_desktop.imaging.decode import DEFAULT_MAX_PIXELS, decode_image
from studio_desktop.imaging.errors import MaskSizeError

Mask = Image.Image
"""A Pillow image in mode "L" following the format above."""

MIME_TYPE = "image/png"
EDIT = 255
KEEP = 0
ASPECT_TOLERANCE = 0.01
"""Relative difference of width/height ratios under which a mask is stretched to fit."""

ResizePolicy = Literal["exact", "match_aspect", "stretch"]
"""How :func:`mask_from_png` treats a mask of another size than the image:
``"exact"`` refuses any other size; ``"match_aspect"`` (default) resizes when the aspect ratios
agree within :data:`ASPECT_TOLERANCE`, else refuses; ``"stretch"`` always resizes."""


def empty_mask(size: tuple[int, int]) -> Mask:
    """An all-``KEEP`` mask of ``size`` (width, height): nothing selected."""
    return Image.new("L", _checked_size(size), KEEP)


def full_mask(size: tuple[int, int]) -> Mask:
    """An all-``EDIT`` mask of ``size``: everything selected."""
    return Image.new("L", _checked_size(size), EDIT)


def _checked_size(size: tuple[int, int]) -> tuple[int, int]:
    width, height = int(size[0]), int(size[1])
    if width < 1 or height < 1:
        raise BugError(f"a mask needs a positive size, not {width} x {height}")
    return width, height


def check_mask(mask: Mask, image_size: tuple[int, int] | None = None) -> Mask:
    """``mask`` itself if it follows the format (and fits ``image_size`` when given).

    Raises :class:`BugError` otherwise: code that builds masks must build them right.
    """
    if not isinstance(mask, Image.Image) or mask.mode != "L":
        kind = mask.mode if isinstance(mask, Image.Image) else type(mask).__name__
        raise BugError(f"a mask must be a mode 'L' image, not {kind}")
    if image_size is not None and mask.size != tuple(image_size):
        raise BugError(f"mask is {mask.size} but the image is {tuple(image_size)}")
    return mask


def mask_to_png(mask: Mask) -> bytes:
    """The mask as an 8-bit greyscale PNG, without metadata."""
    check_mask(mask)
    buffer = io.BytesIO()
    mask.save(buffer, "PNG", compress_level=6, icc_profile=b"", exif=b"")
    return buffer.getvalue()


def mask_from_png(
    data: bytes,
    image_size: tuple[int, int],
    *,
    resize_policy: ResizePolicy = "match_aspect",
    name: str | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Mask:
    """Import a mask (our own PNG, or one a user made elsewhere) for an image of ``image_size``.

    Which channel becomes the mask is described in the module docstring. Any accepted image
    format is read (a JPEG black-and-white mask works too), with the decoder's checks and
    typed errors; EXIF orientation is applied, colour management is not (values are data).
    """
    decoded = decode_image(data, name=name, max_pixels=max_pixels, color_manage=False)
    image = decoded.image
    mask = image.getchannel("A") if decoded.has_alpha else image.convert("L")
    return fit_mask(mask, image_size, resize_policy=resize_policy, name=name)


def fit_mask(
    mask: Mask,
    image_size: tuple[int, int],
    *,
    resize_policy: ResizePolicy = "match_aspect",
    name: str | None = None,
) -> Mask:
    """``mask`` at ``image_size`` by ``resize_policy`` (see :data:`ResizePolicy`)."""
    check_mask(mask)
    target = _checked_size(image_size)
    if mask.size == target:
        return mask
    if resize_policy == "exact":
        raise MaskSizeError(
            mask.size, target, name=name, detail="; it must be exactly the image's size"
        )
    if resize_policy == "match_aspect" and not aspect_matches(mask.size, target):
        raise MaskSizeError(mask.size, target, name=name)
    return resize_mask(mask, target)


def aspect_matches(
    a: tuple[int, int], b: tuple[int, int], tolerance: float = ASPECT_TOLERANCE
) -> bool:
    """True when the width/height ratios of ``a`` and ``b`` differ by at most ``tolerance``."""
    ratio_a = a[0] / a[1]
    ratio_b = b[0] / b[1]
    return abs(ratio_a - ratio_b) <= tolerance * max(ratio_a, ratio_b)


def resize_mask(
    mask: Mask, size: tuple[int, int], *, method: Literal["bilinear", "nearest"] = "bilinear"
) -> Mask:
    """``mask`` resampled to ``size``. Bilinear (default) keeps edges smooth and, when
    shrinking, averages the area each new pixel covers; nearest keeps a hard mask hard."""
    check_mask(mask)
    target = _checked_size(size)
    if mask.size == target:
        return mask.copy()
    resample = Image.Resampling.NEAREST if method == "nearest" else Image.Resampling.BILINEAR
    return mask.resize(target, resample)


def feather(mask: Mask, radius: float) -> Mask:
    """Soften the mask's edges with a Gaussian of ``radius`` pixels (0 returns a copy).

    Values are blurred symmetrically across each edge: a hard edge becomes a ramp about
    ``2 * radius`` wide centred on it, and areas narrower than the radius fade.
    """
    check_mask(mask)
    if radius < 0:
        raise BugError(f"feather radius cannot be negative: {radius}")
    if radius == 0:
        return mask.copy()
    return mask.filter(ImageFilter.GaussianBlur(radius))


def invert(mask: Mask) -> Mask:
    """Edit what was kept and keep what was edited (255 - value)."""
    return ImageChops.invert(check_mask(mask))


def threshold(mask: Mask, level: int = 128) -> Mask:
    """A hard mask: ``EDIT`` where the value is at least ``level``, ``KEEP`` elsewhere."""
    check_mask(mask)
    if not 1 <= level <= 255:
        raise BugError(f"threshold level must be 1..255, not {level}")
    lut = [EDIT if value >= level else KEEP for value in range(256)]
    return mask.point(lut)


def grow(mask: Mask, pixels: int) -> Mask:
    """Dilate (``pixels`` > 0) or erode (< 0) the selection by about ``pixels`` pixels."""
    check_mask(mask)
    if pixels == 0:
        return mask.copy()
    size = 2 * abs(pixels) + 1
    kernel = ImageFilter.MaxFilter(size) if pixels > 0 else ImageFilter.MinFilter(size)
    return mask.filter(kernel)


def is_empty(mask: Mask) -> bool:
    """True when no pixel is selected at all (every value is ``KEEP``)."""
    return check_mask(mask).getbbox() is None


def coverage(mask: Mask) -> float:
    """The selected share of the image, 0.0..1.0, partial values counted partially."""
    arr = to_array(mask)
    return float(arr.mean(dtype=np.float64) / 255.0) if arr.size else 0.0


def bbox(mask: Mask) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) of the selected pixels (right/bottom exclusive), or None."""
    return check_mask(mask).getbbox()


def to_array(mask: Mask) -> npt.NDArray[np.uint8]:
    """The mask as a ``uint8`` array of shape (height, width) (a copy you may modify)."""
    return np.array(check_mask(mask), dtype=np.uint8)


def to_bool(mask: Mask, level: int = 128) -> npt.NDArray[np.bool_]:
    """True where the value is at least ``level`` (default: more selected than not)."""
    return to_array(mask) >= level


def to_float(mask: Mask) -> npt.NDArray[np.float32]:
    """Blend weights 0.0..1.0 as ``float32`` (value / 255), shape (height, width)."""
    return to_array(mask).astype(np.float32) / np.float32(255.0)


def from_array(array: npt.ArrayLike) -> Mask:
    """A mask from a 2-D array: ``bool`` (True = edit), floats in 0..1 (clipped, rounded) or
    integers in 0..255 (clipped)."""
    arr = np.asarray(array)
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise BugError(f"a mask array must be 2-D (height, width), not of shape {arr.shape}")
    if arr.dtype == np.bool_:
        out = np.where(arr, np.uint8(EDIT), np.uint8(KEEP))
    elif np.issubdtype(arr.dtype, np.floating):
        clean = np.nan_to_num(arr.astype(np.float64), nan=0.0, posinf=1.0, neginf=0.0)
        out = np.round(np.clip(clean, 0.0, 1.0) * 255.0).astype(np.uint8)
    elif np.issubdtype(arr.dtype, np.integer):
        out = np.clip(arr, 0, 255).astype(np.uint8)
    else:
        raise BugError(f"cannot make a mask from an array of {arr.dtype}")
    return Image.fromarray(np.ascontiguousarray(out))


def from_bool(array: npt.NDArray[np.bool_]) -> Mask:
    """A hard mask from a boolean array (True = edit)."""
    return from_array(np.asarray(array, dtype=np.bool_))


def from_float(array: npt.NDArray[np.floating]) -> Mask:
    """A mask from blend weights 0.0..1.0."""
    return from_array(np.asarray(array, dtype=np.float64))
