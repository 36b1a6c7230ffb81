"""The local engine's edits: carry out an :class:`EditPlan` on an image, through a mask.

Every operation works on the mask's bounding box only (plus the few pixels a blur reads around
it), in horizontal strips of about a megapixel, so time scales with the painted area and memory
stays bounded on very large images: beyond the output image itself, a strip's working arrays.
The result is blended back with the exact integer compositing of :mod:`.pixels`, so a pixel whose
mask value is 0 is bit-identical to the input, and the alpha channel is never changed.

Operations (units of ``amount`` are documented on :class:`~.instructions.Op`):

- recolour keeping shading, in CIE Lab: every pixel takes the target's hue and chroma (a*, b*)
  and a lightness mapped *linearly* from its own, so the area's mean lightness becomes the
  target's (dark navy stays dark, cream light; pure black and white are placed where black and
  white cloth photograph, L* 14 and 90) while every fold and highlight keeps its place and
  proportion; the contrast is reduced just enough that the area's lightness range fits between
  L* 2 and 99, with soft ends for the outliers, so nothing crushes or clips. Since every output
  depends on the input lightness alone, the mapping is three 256-entry tables applied to
  OpenCV's 8-bit Lab, which keeps it well inside the time budget. The mask is a soft alpha:
  the recoloured pixels are blended ``mask / 255`` of the way, so a refined mask's soft edge
  gives a soft transition;
- blur: Gaussian (OpenCV), a stack blur (same look, constant cost) for large radii;
- sharpen: unsharp mask;
- brightness: a gamma curve that moves mid-grey by the asked fraction and keeps black and
  white where they are (nothing clips);
- contrast: spread around the area's mean luminance;
- saturation and greyscale: a linear mix with Rec. 601 luma (one matrix product).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from studio_desktop.domain.errors import BugError
from studio_desktop.imaging.colours import Colour, lookup_colour
from studio_desktop.imaging.errors import OperationCancelledError
from studio_desktop.imaging.inpaint import remove_region
from studio_desktop.imaging.instructions import EditPlan, EditStep, Op
from studio_desktop.imaging.operation_errors import EmptyMaskError, MaskRequiredError
from studio_desktop.imaging.pixels import (
    LUMA,
    Box,
    ImageLike,
    MaskLike,
    composite,
    crop_array,
    crop_mask,
    mask_box,
    preview,
    strips,
    to_mask,
    to_pil,
)

#: Blur sigma at amount 1.0, as a fraction of the image's long side.
BLUR_SIGMA_AT_FULL = 0.03
#: Above this sigma (pixels) the blur switches from Gaussian to stack blur (constant cost).
GAUSSIAN_MAX_SIGMA = 6.0


def apply_plan(
    image: ImageLike,
    mask: MaskLike | None,
    plan: EditPlan,
    *,
    progress: Callable[[float], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> Image.Image:
    """Carry out every step of ``plan`` in order on ``image`` through ``mask`` (None = the whole
    image). Returns a new image; the input is never modified. ``progress(fraction)`` is called
    after each step (and inside a removal, the long one); ``is_cancelled()`` is checked between
    steps and inside a removal, raising
    :class:`~studio_desktop.imaging.errors.OperationCancelledError`.

    Raises :class:`MaskRequiredError` for a removal without a mask, :class:`EmptyMaskError` for
    a mask with nothing painted, and :class:`~.errors.MaskSizeError` for a mask of another size.
    """
    if not isinstance(plan, EditPlan):
        raise BugError(f"apply_plan needs an EditPlan, got {type(plan).__name__}")
    source = to_pil(image)
    mask_image = to_mask(mask, source.size)
    if plan.needs_mask and mask_image is None:
        raise MaskRequiredError()
    box = mask_box(mask_image, source.size)
    if box is None:
        raise EmptyMaskError()
    report = progress or (lambda _fraction: None)
    cancelled = is_cancelled or (lambda: False)
    current = source
    count = len(plan.steps)
    for index, step in enumerate(plan.steps):
        if cancelled():
            raise OperationCancelledError()
        if step.op is Op.REMOVE:
            assert mask_image is not None
            current = remove_region(
                current,
                mask_image,
                box,
                progress=lambda f, i=index: report((i + f) / count),
                is_cancelled=cancelled,
            )
        else:
            current = _apply_step(current, mask_image, box, step)
        report((index + 1) / count)
    return current.copy() if current is source else current


def apply_step(image: ImageLike, mask: MaskLike | None, step: EditStep) -> Image.Image:
    """One operation (see :func:`apply_plan`)."""
    return apply_plan(image, mask, EditPlan((step,), step.text))


def recolor(
    image: ImageLike, mask: MaskLike | None, colour: Colour | str, strength: float = 1.0
) -> Image.Image:
    """Recolour to ``colour`` (a :class:`Colour`, name, ``#hex`` or ``rgb()``), keeping shading."""
    if isinstance(colour, str):
        found = lookup_colour(colour)
        if found is None:
            raise BugError(f"not a colour: {colour!r}")
        colour = found
    return apply_step(image, mask, EditStep(Op.RECOLOR, strength, colour))


def blur(image: ImageLike, mask: MaskLike | None, amount: float = 0.3) -> Image.Image:
    return apply_step(image, mask, EditStep(Op.BLUR, amount))


def sharpen(image: ImageLike, mask: MaskLike | None, amount: float = 0.6) -> Image.Image:
    return apply_step(image, mask, EditStep(Op.SHARPEN, amount))


def adjust_brightness(image: ImageLike, mask: MaskLike | None, amount: float) -> Image.Image:
    """``amount`` > 0 brightens (mid-grey ``amount`` brighter), < 0 darkens."""
    return apply_step(image, mask, EditStep(Op.BRIGHTNESS, amount))


def adjust_contrast(image: ImageLike, mask: MaskLike | None, amount: float) -> Image.Image:
    return apply_step(image, mask, EditStep(Op.CONTRAST, amount))


def adjust_saturation(image: ImageLike, mask: MaskLike | None, amount: float) -> Image.Image:
    return apply_step(image, mask, EditStep(Op.SATURATION, amount))


def grayscale(image: ImageLike, mask: MaskLike | None, strength: float = 1.0) -> Image.Image:
    return apply_step(image, mask, EditStep(Op.GRAYSCALE, strength))


# ----------------------------------------------------------------------------- the strip walker


@dataclass(frozen=True, slots=True)
class _Kernel:
    """A per-pixel (or local, within ``halo``) operation on ``uint8`` RGB arrays."""

    fn: Callable[[np.ndarray], np.ndarray]
    halo: int = 0


def _apply_step(
    image: Image.Image, mask: Image.Image | None, box: Box, step: EditStep
) -> Image.Image:
    if step.op is Op.REMOVE:
        if mask is None:
            raise MaskRequiredError()
        return remove_region(image, mask, box)
    kernel = _kernel(image, mask, box, step)
    width, height = image.size
    out = image.copy()
    for y0, y1 in strips(box, halo=kernel.halo):
        core = Box(box.x0, y0, box.x1, y1)
        read = core.grow(kernel.halo, width, height)
        pixels = crop_array(image, read)
        edited_rgb = kernel.fn(np.ascontiguousarray(pixels[..., :3]))
        oy, ox = core.y0 - read.y0, core.x0 - read.x0
        orig = pixels[oy : oy + core.height, ox : ox + core.width]
        edited = edited_rgb[oy : oy + core.height, ox : ox + core.width]
        if orig.shape[2] == 4:
            edited = np.dstack((edited, orig[..., 3]))
        blended = composite(orig, edited, crop_mask(mask, core))
        out.paste(Image.fromarray(blended), (core.x0, core.y0))
    return out


def _kernel(image: Image.Image, mask: Image.Image | None, box: Box, step: EditStep) -> _Kernel:
    long_side = max(image.size)
    if step.op is Op.BRIGHTNESS:
        return _lut_kernel(_gamma_lut(step.amount))
    if step.op is Op.CONTRAST:
        mean = float(np.dot(_masked_mean_rgb(image, mask, box), LUMA))
        return _lut_kernel(_contrast_lut(mean, 1.0 + step.amount))
    if step.op is Op.SATURATION:
        return _matrix_kernel(max(0.0, 1.0 + step.amount))
    if step.op is Op.GRAYSCALE:
        return _matrix_kernel(1.0 - min(1.0, max(0.0, step.amount)))
    if step.op is Op.BLUR:
        return _blur_kernel(max(0.5, step.amount * BLUR_SIGMA_AT_FULL * long_side))
    if step.op is Op.SHARPEN:
        return _sharpen_kernel(max(1.0, 0.0015 * long_side), step.amount * 1.5)
    if step.op is Op.RECOLOR:
        if step.colour is None:
            raise BugError("a recolour step needs a colour")
        area = _masked_lightness(image, mask, box)
        return _recolor_kernel(step.colour.rgb, area, min(1.0, max(0.0, step.amount)))
    raise BugError(f"no kernel for {step.op}")


# ----------------------------------------------------------------------------- statistics


def _weights(mask: Image.Image | None, box: Box, factor: int) -> np.ndarray | None:
    if mask is None:
        return None
    crop = mask.crop(box.as_tuple())
    reduced = crop.reduce(factor) if factor > 1 else crop
    return np.asarray(reduced, dtype=np.float32) / 255.0


def _masked_mean_rgb(image: Image.Image, mask: Image.Image | None, box: Box) -> np.ndarray:
    """Mean colour (0..255) of the area, weighted by the mask, from a reduced preview."""
    view, factor = preview(image, box)
    rgb = np.asarray(view, dtype=np.float32)[..., :3]
    weights = _weights(mask, box, factor)
    if weights is None:
        return rgb.reshape(-1, 3).mean(axis=0)
    total = float(weights.sum())
    if total <= 0:
        return rgb.reshape(-1, 3).mean(axis=0)
    return np.tensordot(weights, rgb, axes=([0, 1], [0, 1])) / total


def _masked_lightness(image: Image.Image, mask: Image.Image | None, box: Box) -> _Lightness:
    """The area's lightness statistics (mean weighted by the mask; percentiles over the pixels
    at least half selected), from a reduced preview."""
    view, factor = preview(image, box)
    rgb = np.asarray(view, dtype=np.float32)[..., :3] * (1.0 / 255.0)
    lightness = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2Lab)[..., 0]
    weights = _weights(mask, box, factor)
    if weights is None or float(weights.sum()) <= 0:
        weights = np.ones_like(lightness)
    mean = float((lightness * weights).sum() / float(weights.sum()))
    chosen = lightness[weights >= 0.5]
    if chosen.size == 0:
        chosen = lightness.reshape(-1)
    low, high = np.percentile(chosen, [1.0, 99.0])
    return _Lightness(mean, float(low), float(high))


# ----------------------------------------------------------------------------- kernels


def _lut_kernel(lut: np.ndarray) -> _Kernel:
    table = np.ascontiguousarray(lut.reshape(256, 1).astype(np.uint8))
    return _Kernel(lambda rgb: cv2.LUT(rgb, table))


def _gamma_lut(amount: float) -> np.ndarray:
    """Mid-grey moves by ``amount`` (fraction) up or down; 0 and 255 stay put."""
    target_mid = min(0.97, max(0.03, 0.5 * (1.0 + amount)))
    gamma = math.log(target_mid) / math.log(0.5)
    x = np.arange(256, dtype=np.float64) / 255.0
    return np.clip(np.rint(255.0 * np.power(x, gamma)), 0, 255)


def _contrast_lut(mean: float, factor: float) -> np.ndarray:
    x = np.arange(256, dtype=np.float64)
    return np.clip(np.rint(mean + (x - mean) * factor), 0, 255)


def _matrix_kernel(keep: float) -> _Kernel:
    """out = keep * rgb + (1 - keep) * luma: 0 = grey, 1 = unchanged, > 1 more saturated."""
    matrix = keep * np.eye(3, dtype=np.float32) + (1.0 - keep) * np.outer(
        np.ones(3, dtype=np.float32), LUMA
    )
    matrix = np.ascontiguousarray(matrix.astype(np.float32))
    return _Kernel(lambda rgb: cv2.transform(rgb, matrix))


def _blur_kernel(sigma: float) -> _Kernel:
    if sigma <= GAUSSIAN_MAX_SIGMA:
        return _Kernel(lambda rgb: cv2.GaussianBlur(rgb, (0, 0), sigma), math.ceil(3 * sigma) + 2)
    # A stack blur of radius r has the spread of a Gaussian with sigma ~ r / 2.45.
    radius = max(1, round(2.45 * sigma))
    size = 2 * radius + 1
    return _Kernel(lambda rgb: cv2.stackBlur(rgb, (size, size)), radius + 2)


def _sharpen_kernel(sigma: float, weight: float) -> _Kernel:
    def fn(rgb: np.ndarray) -> np.ndarray:
        soft = cv2.GaussianBlur(rgb, (0, 0), sigma)
        return cv2.addWeighted(rgb, 1.0 + weight, soft, -weight, 0)

    return _Kernel(fn, math.ceil(3 * sigma) + 2)


#: The mean lightness (CIE L*) a recoloured area may take: real black cloth photographs at about
#: L* 12-20 with its folds visible, white cloth at 88-92 with its highlights above. A target
#: outside this range (pure #000000, #ffffff) is placed at the nearest end, so folds survive.
LIGHTNESS_FLOOR = 14.0
LIGHTNESS_CEILING = 90.0
#: The recoloured lightness never goes below / above these (L*): no crushed black, no clipped white.
DARKEST = 2.0
BRIGHTEST = 99.0


@dataclass(frozen=True, slots=True)
class _Lightness:
    """The area's lightness (CIE L*): weighted mean and the 1st / 99th percentiles."""

    mean: float
    low: float
    high: float


def _recolor_kernel(target: tuple[int, int, int], area: _Lightness, strength: float) -> _Kernel:
    """Every pixel takes the target's a* and b* (its hue and chroma, exactly), and a lightness
    mapped linearly from its own: ``L' = mean' + (L - mean) * spread``. ``mean'`` is the target's
    L* kept inside :data:`LIGHTNESS_FLOOR`..:data:`LIGHTNESS_CEILING`; ``spread`` is 1 for a
    lighter target, the ratio of the means for a darker one (dark cloth shows its folds with
    less contrast), and is reduced so that the area's 1st..99th percentiles land inside
    :data:`DARKEST`..:data:`BRIGHTEST`. A linear map keeps every fold and highlight in place and
    in proportion; the rare pixels beyond the percentiles approach the limits smoothly
    (:func:`_soft_clip`) instead of clipping."""
    target_rgb = np.array([[target]], dtype=np.float32) / 255.0
    lt, at, bt = (float(v) for v in cv2.cvtColor(target_rgb, cv2.COLOR_RGB2Lab)[0, 0])
    mean_t = min(LIGHTNESS_CEILING, max(LIGHTNESS_FLOOR, lt))
    lm = max(area.mean, 1e-3)
    spread = 1.0 if mean_t >= lm else max(0.35, mean_t / lm)
    below, above = lm - area.low, area.high - lm
    if below > 1e-3:
        spread = min(spread, (mean_t - DARKEST) / below)
    if above > 1e-3:
        spread = min(spread, (BRIGHTEST - mean_t) / above)
    spread = max(spread, 0.05)

    # Every output Lab value depends on the input lightness alone, so the whole mapping is three
    # 256-entry tables over OpenCV's 8-bit Lab (L * 255 / 100, a + 128, b + 128).
    lightness = np.arange(256, dtype=np.float64) * (100.0 / 255.0)
    new_l = (lightness - lm) * spread + mean_t
    _soft_clip(new_l, min(DARKEST + 4.0, mean_t), max(BRIGHTEST - 4.0, mean_t), DARKEST, BRIGHTEST)
    table = np.stack(
        [new_l * (255.0 / 100.0), np.full(256, at + 128.0), np.full(256, bt + 128.0)], axis=-1
    )
    lut = np.clip(np.rint(table), 0, 255).astype(np.uint8).reshape(256, 1, 3)

    def fn(rgb: np.ndarray) -> np.ndarray:
        lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)
        plane = lab[..., 0]
        mapped = cv2.LUT(cv2.merge([plane, plane, plane]), lut)
        if strength < 1.0:
            mapped = cv2.addWeighted(lab, 1.0 - strength, mapped, strength, 0.0)
        return cv2.cvtColor(mapped, cv2.COLOR_Lab2RGB)

    return _Kernel(fn)


def _soft_clip(
    values: np.ndarray, knee_lo: float, knee_hi: float, floor: float = 0.0, ceiling: float = 100.0
) -> None:
    """In place: identity between the knees, an exponential approach to ``floor`` below
    ``knee_lo`` and to ``ceiling`` above ``knee_hi``. Strictly increasing and smooth (the order
    of lightnesses, the shading, survives); a knee at or beyond its limit leaves that side as
    it is, clipped to the limit (no division by a zero-width room)."""
    room_lo = knee_lo - floor
    low = values < knee_lo
    if low.any():
        if room_lo > 1e-6:
            values[low] = floor + room_lo * np.exp((values[low] - knee_lo) / room_lo)
        else:
            values[low] = np.maximum(values[low], floor)
    room_hi = ceiling - knee_hi
    high = values > knee_hi
    if high.any():
        if room_hi > 1e-6:
            values[high] = ceiling - room_hi * np.exp(-(values[high] - knee_hi) / room_hi)
        else:
            values[high] = np.minimum(values[high], ceiling)
