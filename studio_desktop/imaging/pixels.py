"""What the image operations share: normalising inputs, masks, strips and mask compositing.

Operations accept a PIL image (any mode; RGB and RGBA are used as they are, others are converted)
or a ``uint8`` NumPy array (``H x W x 3`` RGB, ``H x W x 4`` RGBA, ``H x W`` grey), never modify it,
and return a new PIL image of the same size with the alpha channel (if any) unchanged.

The mask format is the app's (see ``imaging/masks.py``): one 8-bit channel, the image's size,
255 = edit here, 0 = keep, values in between = partly (a feathered edge). A mask can be given as
an ``L`` image, any other PIL image (converted to ``L``), or an ``H x W`` ``uint8``/``bool`` array.

Compositing through the mask is exact integer arithmetic:
``out = (orig * (255 - m) + edited * m + 127) // 255``, so where ``m == 0`` the output is
bit-identical to the input and where ``m == 255`` it is exactly the edited value.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image

from studio_desktop.domain.errors import BugError
from studio_desktop.imaging.errors import MaskSizeError

ImageLike = Image.Image | np.ndarray
MaskLike = Image.Image | np.ndarray

#: Pixels per strip when an operation walks an image in horizontal bands (bounded memory).
STRIP_PIXELS = 1_000_000

#: Rec. 601 luma weights, as used by Pillow's ``convert("L")``.
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dataclass(frozen=True, slots=True)
class Box:
    """A pixel rectangle, ``x1``/``y1`` exclusive (PIL's crop box order)."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def area(self) -> int:
        return max(0, self.width) * max(0, self.height)

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.x0, self.y0, self.x1, self.y1)

    def grow(self, margin: int, width: int, height: int) -> Box:
        """This box plus ``margin`` on every side, clipped to a ``width x height`` image."""
        return Box(
            max(0, self.x0 - margin),
            max(0, self.y0 - margin),
            min(width, self.x1 + margin),
            min(height, self.y1 + margin),
        )


def to_pil(image: ImageLike) -> Image.Image:
    """The image as PIL ``RGB`` or ``RGBA`` (the input object itself when it already is one)."""
    if isinstance(image, Image.Image):
        if image.mode in ("RGB", "RGBA"):
            return image
        has_alpha = image.mode in ("LA", "La", "PA", "RGBa") or (
            image.mode == "P" and "transparency" in image.info
        )
        if image.mode in ("I;16", "I;16B", "I;16L", "I") and not has_alpha:
            scaled = np.asarray(image, dtype=np.float32)
            peak = 65535.0 if scaled.max(initial=0) > 255 else 255.0
            grey = np.clip(scaled * (255.0 / peak) + 0.5, 0, 255).astype(np.uint8)
            return Image.fromarray(grey).convert("RGB")
        return image.convert("RGBA" if has_alpha else "RGB")
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8:
            raise BugError(f"image arrays must be uint8, got {image.dtype}")
        if image.ndim == 2:
            return Image.fromarray(np.ascontiguousarray(image)).convert("RGB")
        if image.ndim == 3 and image.shape[2] in (3, 4):
            return Image.fromarray(np.ascontiguousarray(image))
        raise BugError(f"image arrays must be H x W, H x W x 3 or H x W x 4, got {image.shape}")
    raise BugError(f"expected a PIL image or a NumPy array, got {type(image).__name__}")


def to_mask(mask: MaskLike | None, size: tuple[int, int]) -> Image.Image | None:
    """The mask as an ``L`` image of ``size`` (width, height); None stays None (whole image).

    A mask of another size is refused with :class:`MaskSizeError`: resizing a mask to its image
    is ``imaging.masks``' job, done when the mask is imported, not silently here."""
    if mask is None:
        return None
    if isinstance(mask, Image.Image):
        result = mask if mask.mode == "L" else mask.convert("L")
    elif isinstance(mask, np.ndarray):
        if mask.ndim != 2:
            raise BugError(f"mask arrays must be H x W, got {mask.shape}")
        if mask.dtype == np.bool_:
            result = Image.fromarray(mask.astype(np.uint8) * 255)
        elif mask.dtype == np.uint8:
            result = Image.fromarray(np.ascontiguousarray(mask))
        else:
            raise BugError(f"mask arrays must be uint8 or bool, got {mask.dtype}")
    else:
        raise BugError(f"expected a mask image or array, got {type(mask).__name__}")
    if result.size != size:
        raise MaskSizeError(result.size, size)
    return result


def mask_box(mask: Image.Image | None, size: tuple[int, int]) -> Box | None:
    """Bounding box of the mask's non-zero pixels (whole image without a mask); None if empty."""
    if mask is None:
        return Box(0, 0, size[0], size[1])
    bbox = mask.getbbox()
    return None if bbox is None else Box(*bbox)


def strips(box: Box, *, halo: int = 0, pixels: int = STRIP_PIXELS) -> Iterator[tuple[int, int]]:
    """Row ranges ``(y0, y1)`` covering ``box`` in bands of about ``pixels`` pixels each.

    With a ``halo`` (pixels an operation reads beyond what it writes, e.g. a blur radius), bands
    are made at least four halos tall so the overlap stays a small part of the work."""
    rows = max(16, pixels // max(1, box.width + 2 * halo), 4 * halo)
    y = box.y0
    while y < box.y1:
        yield y, min(box.y1, y + rows)
        y += rows


def composite(orig: np.ndarray, edited: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """Blend ``edited`` over ``orig`` (both ``uint8``, same shape) through ``mask`` (``uint8``
    ``H x W`` or None = everywhere). Exact at 0 and 255; the alpha channel is always ``orig``'s.
    ``edited`` may be reused as the result."""
    channels = orig.shape[2] if orig.ndim == 3 else 1
    if mask is None:
        out = edited
    else:
        m = mask.astype(np.uint16)[..., None] if orig.ndim == 3 else mask.astype(np.uint16)
        out16 = orig.astype(np.uint16) * (255 - m)
        out16 += edited.astype(np.uint16) * m
        out16 += 127
        out16 //= 255
        out = out16.astype(np.uint8)
    if channels == 4:
        out[..., 3] = orig[..., 3]
    return out


def crop_array(image: Image.Image, box: Box) -> np.ndarray:
    """The pixels of ``box`` as a fresh ``uint8`` array (``H x W x C``)."""
    return np.asarray(image.crop(box.as_tuple()))


def crop_mask(mask: Image.Image | None, box: Box) -> np.ndarray | None:
    return None if mask is None else np.asarray(mask.crop(box.as_tuple()))


def preview(image: Image.Image, box: Box, max_pixels: int = 1_000_000) -> tuple[Image.Image, int]:
    """A cheap reduced view of ``box`` (for statistics): (image, reduction factor)."""
    factor = 1
    while box.area // (factor * factor) > max_pixels:
        factor *= 2
    crop = image.crop(box.as_tuple())
    return (crop.reduce(factor) if factor > 1 else crop), factor
