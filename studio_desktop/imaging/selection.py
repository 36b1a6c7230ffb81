"""Assisted selection: regions of an image picked by colour or by object, and mask changes.

Everything here works on NumPy arrays in the mask format of :mod:`studio_desktop.imaging.masks`
(``uint8``, the image's height x width, 255 = edit here, values in between = partly) and on
``uint8`` RGB images of shape (height, width, 3). No Qt: the canvas calls these off the GUI thread
and pushes the result as one undoable change.

- :func:`magic_wand`: the pixels connected to a clicked one whose colour lies within
  ``tolerance`` of it, measured as CIELAB distance (ΔE76), so "similar" means similar to the
  eye, not in RGB numbers (a dark navy and a black differ more than two light greys do).
- :func:`colour_range`: every pixel (connected or not) within ``fuzziness`` of a picked colour,
  with a soft edge: full inside half the range, fading to nothing at the range.
- :func:`select_object`: graph-cut segmentation (OpenCV's GrabCut) from a box drawn round the
  object, or from a click on it; run on a reduced copy for big images and brought back to full
  size with a soft edge, so a 12 MP photo takes about a second.
- :func:`grow`, :func:`shrink`, :func:`feather`, :func:`invert`: change a mask by ``N`` pixels.
- :func:`combine`: how a region joins the mask: added (the default, and with Shift), or taken
  away (with Alt), as in Photoshop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np
import numpy.typing as npt

from studio_desktop.domain.errors import BugError

MaskArray = npt.NDArray[np.uint8]
ImageArray = npt.NDArray[np.uint8]

DEFAULT_TOLERANCE = 20.0
"""Magic wand tolerance, in ΔE (CIELAB units): about "clearly the same colour"."""
DEFAULT_FUZZINESS = 30.0
"""Colour range, in ΔE: pixels this far from the picked colour are left out."""
MAX_TOLERANCE = 100.0
OBJECT_WORK_SIDE = 512
"""GrabCut runs on a copy no longer than this on its long side (its cost grows with pixels)."""
GRABCUT_ITERATIONS = 5
MAX_AMOUNT = 500


class Combine(StrEnum):
    """How a picked region changes the mask."""

    ADD = "add"
    SUBTRACT = "subtract"


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in image pixels (``x``, ``y`` its top-left corner)."""

    x: int
    y: int
    width: int
    height: int

    def clipped(self, width: int, height: int) -> Box | None:
        """The part inside a ``width`` x ``height`` image, or None when nothing is left."""
        left, top = max(0, self.x), max(0, self.y)
        right = min(width, self.x + self.width)
        bottom = min(height, self.y + self.height)
        if right - left < 1 or bottom - top < 1:
            return None
        return Box(left, top, right - left, bottom - top)


def _check_image(image: ImageArray) -> None:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise BugError(f"an RGB uint8 image is needed, not {image.shape} {image.dtype}")


def _check_mask(mask: MaskArray, shape: tuple[int, ...] | None = None) -> None:
    if mask.ndim != 2 or mask.dtype != np.uint8:
        raise BugError(f"a uint8 mask is needed, not {mask.shape} {mask.dtype}")
    if shape is not None and mask.shape != shape:
        raise BugError(f"a mask of {mask.shape} does not fit an image of {shape}")


def to_lab(image: ImageArray) -> ImageArray:
    """CIELAB of an sRGB image in OpenCV's 8-bit form: ``L * 255 / 100``, ``a + 128``,
    ``b + 128`` (a quarter of the memory of floats and about twice as fast; one level is at
    most 0.4 ΔE, finer than any tolerance a designer sets)."""
    _check_image(image)
    return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2Lab)


_L_SCALE = 100.0 / 255.0


def _lab8_of(rgb: tuple[float, float, float] | npt.NDArray) -> npt.NDArray[np.float32]:
    """An RGB colour (0..255) in the 8-bit Lab scale of :func:`to_lab`, unrounded."""
    pixel = np.asarray(rgb, np.float32).reshape(1, 1, 3) / 255.0
    lab = cv2.cvtColor(pixel, cv2.COLOR_RGB2Lab).reshape(3)
    return np.array([lab[0] / _L_SCALE, lab[1] + 128.0, lab[2] + 128.0], np.float32)


def _squared_distance(lab8: ImageArray, colour: npt.NDArray[np.float32]) -> npt.NDArray:
    """ΔE76² of every pixel to ``colour`` (both in the 8-bit scale), through one lookup table
    per channel: no float copy of the image is made."""
    levels = np.arange(256, dtype=np.float32)
    table_l = ((levels - colour[0]) * _L_SCALE) ** 2
    table_a = (levels - colour[1]) ** 2
    table_b = (levels - colour[2]) ** 2
    total = table_l[lab8[..., 0]]
    total += table_a[lab8[..., 1]]
    total += table_b[lab8[..., 2]]
    return total


def _seed_colour(lab8: ImageArray, x: int, y: int) -> npt.NDArray[np.float32]:
    """The colour at (x, y): the median of its 3 x 3 neighbourhood (a noisy pixel is not
    what the designer meant to click)."""
    h, w = lab8.shape[:2]
    patch = lab8[max(0, y - 1) : min(h, y + 2), max(0, x - 1) : min(w, x + 2)]
    return np.median(patch.reshape(-1, 3).astype(np.float32), axis=0).astype(np.float32)


def _inside(image: ImageArray, x: int, y: int) -> None:
    h, w = image.shape[:2]
    if not (0 <= x < w and 0 <= y < h):
        raise BugError(f"({x}, {y}) is outside the {w} x {h} image")


def magic_wand(
    image: ImageArray,
    x: int,
    y: int,
    tolerance: float = DEFAULT_TOLERANCE,
    *,
    contiguous: bool = True,
    lab: ImageArray | None = None,
) -> MaskArray:
    """The region of pixels whose colour is within ``tolerance`` (ΔE) of the colour at
    (``x``, ``y``); only those connected to it (8-neighbourhood) unless ``contiguous`` is
    False. Returns 0/255. ``lab`` may pass :func:`to_lab` of the image, computed once."""
    _check_image(image)
    _inside(image, x, y)
    lab = to_lab(image) if lab is None else lab
    tolerance = float(np.clip(tolerance, 0.0, MAX_TOLERANCE))
    limit = (tolerance + 1e-3) ** 2
    near = (_squared_distance(lab, _seed_colour(lab, x, y)) <= limit).astype(np.uint8)
    near[y, x] = 1  # the clicked pixel is always part of it
    if not contiguous:
        return near * np.uint8(255)
    h, w = near.shape
    filled = np.zeros((h + 2, w + 2), np.uint8)
    flags = 8 | cv2.FLOODFILL_MASK_ONLY | cv2.FLOODFILL_FIXED_RANGE | (255 << 8)
    cv2.floodFill(near, filled, (x, y), 0, 0, 0, flags)
    return filled[1:-1, 1:-1].copy()


def colour_range(
    image: ImageArray,
    colour: tuple[float, float, float] | npt.NDArray[np.float32],
    fuzziness: float = DEFAULT_FUZZINESS,
    *,
    lab: ImageArray | None = None,
) -> MaskArray:
    """Every pixel near ``colour`` (an RGB triple 0..255): 255 within half of ``fuzziness``
    (ΔE), fading linearly to 0 at ``fuzziness``; none beyond."""
    _check_image(image)
    lab = to_lab(image) if lab is None else lab
    fuzziness = float(np.clip(fuzziness, 0.5, MAX_TOLERANCE))
    distance = cv2.sqrt(_squared_distance(lab, _lab8_of(colour)))
    inner = fuzziness / 2.0
    # 255 at ``inner`` and closer, 0 at ``fuzziness`` and beyond (saturating conversion).
    distance *= np.float32(-255.0 / (fuzziness - inner))
    distance += np.float32(255.0 * fuzziness / (fuzziness - inner))
    np.clip(distance, 0.0, 255.0, out=distance)
    np.rint(distance, out=distance)
    return distance.astype(np.uint8)


def colour_at(image: ImageArray, x: int, y: int) -> tuple[int, int, int]:
    """The picked colour at (x, y): the median of its 3 x 3 neighbourhood, RGB."""
    _check_image(image)
    _inside(image, x, y)
    h, w = image.shape[:2]
    patch = image[max(0, y - 1) : min(h, y + 2), max(0, x - 1) : min(w, x + 2)]
    r, g, b = np.median(patch.reshape(-1, 3), axis=0)
    return int(r), int(g), int(b)


def select_object(
    image: ImageArray,
    box: Box | None = None,
    click: tuple[int, int] | None = None,
    *,
    is_cancelled: Callable[[], bool] | None = None,
) -> MaskArray:
    """The object inside ``box`` (drawn round it) or under ``click``, by graph cut.

    With a box, what lies outside it is background and the segmentation is seeded from the
    box's contents. With a click alone, the clicked spot is certainly the object and a thin
    band along the image's border certainly background; the connected part holding the click
    is kept. Both together: the box, with the click as certain object. Returns a soft mask
    (255 inside, a one-pixel-ish soft edge from the upscale). ``is_cancelled`` is checked
    between steps; when it answers True an empty mask is returned early.
    """
    _check_image(image)
    h, w = image.shape[:2]
    if box is None and click is None:
        raise BugError("select_object needs a box or a click")
    if click is not None:
        _inside(image, *click)
    clipped = box.clipped(w, h) if box is not None else None
    if box is not None and clipped is None:
        return np.zeros((h, w), np.uint8)
    scale = min(1.0, OBJECT_WORK_SIDE / max(h, w))
    small = (
        image
        if scale >= 1.0
        else cv2.resize(
            image,
            (max(1, round(w * scale)), max(1, round(h * scale))),
            interpolation=cv2.INTER_AREA,
        )
    )
    sh, sw = small.shape[:2]
    seeds = np.full((sh, sw), cv2.GC_BGD, np.uint8)
    if clipped is not None:
        x0 = int(np.floor(clipped.x * scale))
        y0 = int(np.floor(clipped.y * scale))
        x1 = max(x0 + 1, int(np.ceil((clipped.x + clipped.width) * scale)))
        y1 = max(y0 + 1, int(np.ceil((clipped.y + clipped.height) * scale)))
        seeds[y0:y1, x0:x1] = cv2.GC_PR_FGD
    else:
        border = max(2, round(min(sh, sw) * 0.02))
        seeds[border : sh - border, border : sw - border] = cv2.GC_PR_BGD
        # Near the click is probably the object: a disc of a tenth of the image's short side.
        cx, cy = click  # type: ignore[misc]
        radius = max(3, round(min(sh, sw) * 0.1))
        cv2.circle(seeds, (round(cx * scale), round(cy * scale)), radius, cv2.GC_PR_FGD, -1)
    if click is not None:
        cx, cy = click
        cv2.circle(
            seeds,
            (round(cx * scale), round(cy * scale)),
            max(2, round(min(sh, sw) * 0.01)),
            cv2.GC_FGD,
            -1,
        )
    if not np.isin(seeds, (cv2.GC_PR_FGD, cv2.GC_FGD)).any():
        return np.zeros((h, w), np.uint8)
    background = np.zeros((1, 65), np.float64)
    foreground = np.zeros((1, 65), np.float64)
    bgr = cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2BGR)
    has_bgd = np.isin(seeds, (cv2.GC_BGD, cv2.GC_PR_BGD)).any()
    if not has_bgd:
        # A box over the whole image leaves GrabCut no background to learn from: the
        # outermost pixels are the best guess at it.
        seeds[0, :] = seeds[-1, :] = cv2.GC_PR_BGD
        seeds[:, 0] = seeds[:, -1] = cv2.GC_PR_BGD
    try:
        for _ in range(GRABCUT_ITERATIONS):
            if is_cancelled is not None and is_cancelled():
                return np.zeros((h, w), np.uint8)
            cv2.grabCut(bgr, seeds, None, background, foreground, 1, cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        # GrabCut cannot model a region of one flat colour: the box or click is the answer.
        pass
    chosen = np.isin(seeds, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    if click is not None:
        cx, cy = round(click[0] * scale), round(click[1] * scale)
        cx, cy = min(sw - 1, cx), min(sh - 1, cy)
        _n, labels = cv2.connectedComponents(chosen, connectivity=8)
        if chosen[cy, cx]:
            chosen = (labels == labels[cy, cx]).astype(np.uint8)
    chosen = _fill_holes_small(chosen) * np.uint8(255)
    full = chosen if scale >= 1.0 else cv2.resize(chosen, (w, h), interpolation=cv2.INTER_LINEAR)
    if clipped is not None:
        # Nothing outside the box, whatever the upscale smeared.
        full[: clipped.y] = 0
        full[clipped.y + clipped.height :] = 0
        full[:, : clipped.x] = 0
        full[:, clipped.x + clipped.width :] = 0
    return full


def _fill_holes_small(region: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Close pinholes (a few pixels) the graph cut leaves on specular highlights."""
    holes = (1 - region).astype(np.uint8)
    count, labels, stats, _c = cv2.connectedComponentsWithStats(holes, connectivity=4)
    area_limit = max(4, region.size // 4000)
    h, w = region.shape
    out = region.copy()
    for index in range(1, count):
        x, y, bw, bh, area = stats[index]
        touches_border = x == 0 or y == 0 or x + bw >= w or y + bh >= h
        if area <= area_limit and not touches_border:
            out[labels == index] = 1
    return out


def _amount(pixels: int) -> int:
    if not isinstance(pixels, int | np.integer) or pixels < 0:
        raise BugError(f"an amount of pixels must be 0 or more, not {pixels!r}")
    return min(int(pixels), MAX_AMOUNT)


def _disc(radius: int) -> npt.NDArray[np.uint8]:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def _around(mask: MaskArray, pad: int) -> tuple[slice, slice] | None:
    """The rows and columns of the mask's selected part grown by ``pad`` (clipped to the
    image), or None when nothing is selected: work on a 12 MP mask stays where the mask is."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask[rows[0] : rows[-1] + 1].any(axis=0))
    h, w = mask.shape
    return (
        slice(max(0, int(rows[0]) - pad), min(h, int(rows[-1]) + 1 + pad)),
        slice(max(0, int(cols[0]) - pad), min(w, int(cols[-1]) + 1 + pad)),
    )


def grow(mask: MaskArray, pixels: int) -> MaskArray:
    """The mask spread outwards by ``pixels`` (a round dilation: corners stay round)."""
    _check_mask(mask)
    n = _amount(pixels)
    out = mask.copy()
    box = _around(mask, n + 1) if n else None
    if box is not None:
        out[box] = cv2.dilate(mask[box], _disc(n), borderValue=0)
    return out


def shrink(mask: MaskArray, pixels: int) -> MaskArray:
    """The mask pulled inwards by ``pixels`` (the image's edge does not count as outside)."""
    _check_mask(mask)
    n = _amount(pixels)
    out = mask.copy()
    box = _around(mask, n + 1) if n else None
    if box is not None:
        out[box] = cv2.erode(mask[box], _disc(n), borderType=cv2.BORDER_REPLICATE)
    return out


def feather(mask: MaskArray, pixels: int) -> MaskArray:
    """The mask's edge softened over about ``pixels`` on each side (a Gaussian blur of
    standard deviation ``pixels / 2``, as Photoshop's feather radius)."""
    _check_mask(mask)
    n = _amount(pixels)
    out = mask.copy()
    sigma = n / 2.0
    box = _around(mask, int(np.ceil(3 * sigma)) + 1) if n else None
    if box is not None:
        # 8-bit in, 8-bit out (OpenCV rounds): no float copy of a 12 MP mask.
        out[box] = cv2.GaussianBlur(
            mask[box], (0, 0), sigmaX=sigma, borderType=cv2.BORDER_REPLICATE
        )
    return out


def invert(mask: MaskArray) -> MaskArray:
    _check_mask(mask)
    return (255 - mask).astype(np.uint8)


def combine(mask: MaskArray, region: MaskArray, how: Combine = Combine.ADD) -> MaskArray:
    """``region`` added to ``mask`` (the larger value of each pixel) or taken from it
    (``mask`` limited to ``255 - region``)."""
    _check_mask(mask)
    _check_mask(region, mask.shape)
    if how is Combine.SUBTRACT:
        return np.minimum(mask, 255 - region).astype(np.uint8)
    return np.maximum(mask, region).astype(np.uint8)
