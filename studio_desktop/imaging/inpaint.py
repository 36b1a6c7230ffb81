"""Remove what the mask covers by filling it from its surroundings.

The fill continues what is around the hole, texture and structure included:

1. **Texture**: exemplar-based synthesis (:mod:`.patchfill`, PatchMatch on an image pyramid):
   every hole pixel is copied from a pixel outside the hole whose neighbourhood matches, so
   brick stays brick, grass stays grass, and lines (mortar, stripes, a horizon) are carried
   across by the matches' propagation.
2. **No seam**: the fill's broad light is a *membrane* (the discrete Laplace equation, below)
   spanned by the pixels around the hole, so its brightness and colour meet the surroundings all
   along the edge; the copied pixels bring only their detail (each minus its local mean), so
   there is no patchwork of darker and lighter copies.
3. **No bleed**: the hole is the mask grown by a few pixels (the removed object's soft rim never
   serves as a source), sources are pixels whose whole patch lies outside it, and every pixel
   the mask touches, plus a :data:`RIM` of 1 px around it, is replaced outright (a soft mask is
   not blended here, and the anti-aliased edge a tight mask leaves out is not kept: either would
   bring back the object's outline). Pixels farther from the mask are unchanged.

The membrane solver is coarse to fine on an image pyramid: the hole is filled on a small
version first, and each finer level starts from the upsampled coarser answer and only needs a
few relaxation sweeps, so a large hole costs about as much as a small one. All work happens in
the mask's bounding box plus a margin, so the cost follows the mask, not the image.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from studio_desktop.imaging.errors import ImageError, OperationCancelledError
from studio_desktop.imaging.operation_errors import EmptyMaskError
from studio_desktop.imaging.patchfill import Cancelled, Progress, patch_sources
from studio_desktop.imaging.pixels import (
    Box,
    ImageLike,
    MaskLike,
    composite,
    crop_array,
    crop_mask,
    mask_box,
    to_mask,
    to_pil,
)

_CROSS = np.array([[0, 0.25, 0], [0.25, 0, 0.25], [0, 0.25, 0]], dtype=np.float32)
#: Relaxation sweeps per pyramid level: the coarsest level solves from scratch, the others refine.
COARSEST_SWEEPS = 300
LEVEL_SWEEPS = 40
FINEST_SWEEPS = 25
#: Below this many pixels on its short side a level is the coarsest.
COARSEST_SIDE = 24
#: How far around the mask's box sources for the fill are looked for, as a share of the box's
#: longer side (at least 16 px): near enough to be the same surface, far enough to choose from.
SOURCE_REACH = 0.5
#: Pixels just outside the mask that are replaced too: the removed object's anti-aliased edge,
#: which a mask hugging the object leaves untouched and which would show as a faint outline of
#: it (measured on the quality suite: 0.3-0.9 % of each object's area left, visibly off the
#: background, with none; none left with 1 px, for 0.08 dB of PSNR).
RIM = 1
#: Scale (Gaussian sigma, px) of the local mean that separates the surroundings' detail
#: (copied by the patch search) from their broad light (the membrane's).
DETAIL_SIGMA = 10.0


class NothingToFillFromError(ImageError):
    """The mask covers the whole image: there is no surrounding to fill from."""

    def __init__(self) -> None:
        super().__init__(
            "The mask covers the whole image, so there is nothing around it to fill from. "
            "Paint only over what you want removed."
        )


def remove_object(
    image: ImageLike,
    mask: MaskLike,
    *,
    progress: Progress | None = None,
    is_cancelled: Cancelled | None = None,
) -> Image.Image:
    """Fill what ``mask`` covers from its surroundings; a new image, the input is not modified.

    ``progress(fraction)`` is called along the way; when ``is_cancelled()`` turns true the work
    stops with :class:`~studio_desktop.imaging.errors.OperationCancelledError`."""
    source = to_pil(image)
    mask_image = to_mask(mask, source.size)
    assert mask_image is not None
    box = mask_box(mask_image, source.size)
    if box is None:
        raise EmptyMaskError()
    return remove_region(source, mask_image, box, progress=progress, is_cancelled=is_cancelled)


def remove_region(
    image: Image.Image,
    mask: Image.Image,
    box: Box,
    *,
    progress: Progress | None = None,
    is_cancelled: Cancelled | None = None,
) -> Image.Image:
    """:func:`remove_object` for callers that already have the normalised image, ``L`` mask and
    the mask's bounding box."""
    report = progress or (lambda _f: None)
    cancelled = is_cancelled or (lambda: False)
    width, height = image.size
    grow = _dilation(box)
    margin = grow + max(16, round(SOURCE_REACH * max(box.width, box.height)))
    work = box.grow(margin, width, height)
    pixels = crop_array(image, work)
    weights = crop_mask(mask, work)
    assert weights is not None
    touched = weights > 0
    if touched.all():
        raise NothingToFillFromError()
    hole = touched
    if grow > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        hole = cv2.dilate(touched.astype(np.uint8), kernel).astype(bool)
        if hole.all():  # only a thin frame is left around the mask: fill from that
            hole = touched
    if cancelled():
        raise OperationCancelledError()
    rgb = np.ascontiguousarray(pixels[..., :3])
    report(0.02)
    sources = patch_sources(
        rgb,
        hole,
        progress=lambda f: report(0.02 + 0.8 * f),
        is_cancelled=cancelled,
        seed=int(hole.sum()),
    )
    if cancelled():
        raise OperationCancelledError()
    ys, xs, fill = _membrane_plus_detail(rgb, hole, sources)
    report(0.95)
    # Only the mask's box plus the rim can change: write the fill there, blend and paste that.
    region = box.grow(RIM, width, height)
    oy, ox = region.y0 - work.y0, region.x0 - work.x0
    edited = rgb[oy : oy + region.height, ox : ox + region.width].copy()
    inside = (ys >= oy) & (ys < oy + region.height) & (xs >= ox) & (xs < ox + region.width)
    values = np.clip(np.rint(fill[inside]), 0, 255).astype(np.uint8)
    edited[ys[inside] - oy, xs[inside] - ox] = values
    original = pixels[oy : oy + region.height, ox : ox + region.width]
    if original.shape[2] == 4:
        edited = np.dstack((edited, original[..., 3]))
    # Every pixel the mask touches, and the RIM px around it, is replaced outright: blending the
    # fill through a soft edge, or keeping the anti-aliased edge a tight mask leaves out, would
    # bring back the removed object's rim as a faint outline. Pixels farther out stay exactly as
    # they were.
    inner = (weights[oy : oy + region.height, ox : ox + region.width] > 0).astype(np.uint8)
    if RIM > 0:
        size = 2 * RIM + 1
        inner = cv2.dilate(inner, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    inner &= hole[oy : oy + region.height, ox : ox + region.width]
    blended = composite(original, edited, inner * np.uint8(255))
    out = image.copy()
    out.paste(Image.fromarray(blended), (region.x0, region.y0))
    report(1.0)
    return out


def _membrane_plus_detail(
    rgb: np.ndarray, hole: np.ndarray, sources: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fill of the hole: the membrane's smooth light plus, copied from each hole pixel's
    source, the surroundings' detail (the image minus its local mean at :data:`DETAIL_SIGMA`).
    Returns the hole's pixel rows, columns and values (``N x 3`` float32).

    The local mean is taken from known pixels only (normalised convolution), so the detail
    of pixels next to the hole holds nothing of the removed object. A smooth gradient has no
    detail and is filled exactly; a texture gets its grain, edges and lines back from the
    matches, centred on the membrane's light, so there is no seam and no patchwork of darker
    and lighter copies. Both smooth fields (membrane, local mean) are computed at half
    resolution and sampled bilinearly where needed: a quarter of the work and of the memory,
    and no float copy of the full-resolution image."""
    height, width = hole.shape
    ys, xs = np.nonzero(hole)
    factor = 2 if min(height, width) >= 64 else 1
    size = (max(1, width // factor), max(1, height // factor))
    if factor > 1:
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA).astype(np.float32)
        small_hole = cv2.resize(hole.astype(np.uint8), size, interpolation=cv2.INTER_AREA) > 0
    if factor == 1 or small_hole.all():  # small, or too thin a frame to solve at half size
        factor, small, small_hole = 1, rgb.astype(np.float32), hole
    known = (~small_hole).astype(np.float32)
    solved = _solve(small, known, 0, False)
    fill = _sample(solved, ys, xs, factor)
    if sources is not None:
        sigma = DETAIL_SIGMA / factor
        weight = cv2.GaussianBlur(known, (0, 0), sigma)
        local = cv2.GaussianBlur(small * known[..., None], (0, 0), sigma)
        local /= np.maximum(weight, 1e-4)[..., None]
        sy, sx = sources[:, 0], sources[:, 1]
        fill += rgb[sy, sx].astype(np.float32) - _sample(local, sy, sx, factor)
    return ys, xs, fill


def _sample(field: np.ndarray, ys: np.ndarray, xs: np.ndarray, factor: int) -> np.ndarray:
    """``field`` (computed at 1 / ``factor`` scale) at full-resolution pixels ``(ys, xs)``,
    interpolated bilinearly; ``N x C`` float32."""
    if factor == 1:
        return field[ys, xs].astype(np.float32)
    count = len(ys)
    cols = 1024  # remap wants a 2-D map of modest sides: lay the points out in rows
    padded = -(-count // cols) * cols
    map_x = np.zeros(padded, np.float32)
    map_y = np.zeros(padded, np.float32)
    map_x[:count] = (xs.astype(np.float32) + 0.5) / factor - 0.5
    map_y[:count] = (ys.astype(np.float32) + 0.5) / factor - 0.5
    out = cv2.remap(
        field,
        map_x.reshape(-1, cols),
        map_y.reshape(-1, cols),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return out.reshape(padded, -1)[:count]


def membrane_fill(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Solve the Laplace equation for the pixels where ``known`` is False, with the known pixels
    as boundary values. ``values`` is ``H x W x C`` float32; returns a new array."""
    if known.all():
        return values.copy()
    if not known.any():
        raise NothingToFillFromError()
    return _solve(values.astype(np.float32, copy=False), known.astype(np.float32), 0, False)


def _solve(values: np.ndarray, weight: np.ndarray, level: int, in_place: bool) -> np.ndarray:
    """One pyramid level: ``weight`` 1 = known, 0 = to fill, between = partly known (coarse
    levels). Returns the filled values (``values`` itself when ``in_place``)."""
    height, width = weight.shape
    unknown = weight < 0.999
    if min(height, width) <= COARSEST_SIDE or not unknown.any():
        guess = values if in_place else values.copy()
        known_w = weight >= 0.999
        if known_w.any():
            mean = values[known_w].mean(axis=0)
        else:
            mean = (values * weight[..., None]).sum(axis=(0, 1)) / max(float(weight.sum()), 1e-6)
        guess[unknown] = mean
        return _relax(guess, unknown, COARSEST_SWEEPS)
    # Push: premultiplied averages of what is known, at half resolution.
    premultiplied = values * weight[..., None]
    small_p = cv2.pyrDown(premultiplied)
    small_w = cv2.pyrDown(weight)
    safe = np.maximum(small_w, 1e-6)
    small_v = small_p / safe[..., None]
    del premultiplied, small_p, safe
    coarse = _solve(small_v, np.clip(small_w, 0, 1), level + 1, True)
    # Pull: start the unknown pixels from the coarser answer, then relax.
    up = cv2.pyrUp(coarse, dstsize=(width, height))
    if up.ndim == 2:
        up = up[..., None]
    guess = values if in_place else values.copy()
    guess[unknown] = up[unknown]
    del up
    return _relax(guess, unknown, FINEST_SWEEPS if level == 0 else LEVEL_SWEEPS)


def _relax(values: np.ndarray, unknown: np.ndarray, sweeps: int) -> np.ndarray:
    """Jacobi sweeps of the Laplace equation over the ``unknown`` pixels (others fixed)."""
    rows, cols = np.nonzero(unknown)
    if rows.size == 0:
        return values
    y0, y1 = max(0, rows.min() - 1), min(values.shape[0], rows.max() + 2)
    x0, x1 = max(0, cols.min() - 1), min(values.shape[1], cols.max() + 2)
    window = values[y0:y1, x0:x1]  # a view: the sweeps write straight into ``values``
    where = unknown[y0:y1, x0:x1]
    if window.ndim == 3:
        where = where[..., None]
    averaged = np.empty_like(window)
    edges = window.shape[0] >= 2 and window.shape[1] >= 2
    for _ in range(sweeps):
        cv2.filter2D(window, -1, _CROSS, dst=averaged, borderType=cv2.BORDER_REFLECT_101)
        if edges:
            # Beyond the edge, continue the slope (ghost = 2 * edge - inner) instead of
            # mirroring: a gradient running off the image is extrapolated, not flattened.
            averaged[0] += 0.5 * (window[0] - window[1])
            averaged[-1] += 0.5 * (window[-1] - window[-2])
            averaged[:, 0] += 0.5 * (window[:, 0] - window[:, 1])
            averaged[:, -1] += 0.5 * (window[:, -1] - window[:, -2])
        np.copyto(window, averaged, where=where)
    return values


def _dilation(box: Box) -> int:
    """Pixels to grow the hole by: enough to skip an object's soft rim, more for big holes."""
    return max(2, min(12, round(0.02 * max(box.width, box.height))))
