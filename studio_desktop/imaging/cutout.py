"""Garment cutouts from product photos: a transparent PNG-ready image of the garment alone.

Product photos have a plain or studio background: white, grey or coloured, often a sweep with a
gradient, a vignette and a soft shadow under the garment. :func:`extract_garment` models that
background instead of guessing the garment:

1. On a reduced copy (long side :data:`WORK_SIDE`), the background is fitted from a band along
   the photo's borders: per CIE Lab channel a smooth quadratic surface over the frame (colour,
   gradient and vignette), robustly (pixels of a garment touching an edge are rejected as
   outliers and refitted without).
2. Each pixel's difference from that background is measured in Lab, with *darker than the
   background* counted at a fraction (shadows darken without changing hue; a dark garment is
   still far from a light background). When the garment is clearly lighter than its background
   (a white shirt on grey), darker pixels are shadows and are counted even less.
3. Thresholds adapt to the photo: a high one from Otsu's split of the differences (never below
   four times the background's own noise), a low one at half of it; weak pixels are kept only
   when connected to strong ones (hysteresis), so garment shading survives and isolated specks
   and shadows do not.
4. Cleaning: a small opening and closing, the largest part plus any part at least a sixth of
   its size (a pair of shoes, a two-piece), holes filled unless they show the background itself
   (the gap between trouser legs stays open). When garment and background are close (a white
   shirt on light grey), the estimate seeds OpenCV's GrabCut, which also weighs edges and the
   colour statistics of both sides, around the garment only.
5. Back at full resolution, the edge band is decided again from the full-resolution difference
   (sharp, not an upscaled staircase) and the alpha is feathered by a fraction of a pixel.

The result is *tightly cropped* to the garment's bounding box (a smaller PNG, and what the pack
renderer frames by); :attr:`Cutout.bbox` says where it was in the photo, and
:meth:`Cutout.on_canvas` puts it back on a transparent canvas of the photo's size.

A photo that is not a product photo fails with a typed, readable error: nothing stands out
(:class:`NoGarmentFoundError`), or the background is busy or hidden, or the subject fills the
frame (:class:`NotAProductPhotoError`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from studio_desktop.imaging.operation_errors import NoGarmentFoundError, NotAProductPhotoError
from studio_desktop.imaging.pixels import ImageLike, to_pil

#: Long side of the reduced copy the garment is found on.
WORK_SIDE = 640
#: Darker-than-background differences count this much (shadows).
DARK_WEIGHT = 0.5
#: ... and this much when the garment is lighter than its background.
DARK_WEIGHT_LIGHT_GARMENT = 0.2
#: Below this high threshold (Lab units) garment and background are close (white on light grey):
#: the estimate is refined with GrabCut, which also weighs edges and colour statistics.
WEAK_CONTRAST = 12.0
#: Smallest garment, as a fraction of the photo.
MIN_AREA = 0.004
#: Smoothing (Gaussian sigma, full-resolution pixels) of the differences the edge is decided on.
EDGE_SMOOTHING = 1.2
#: Alpha feather (Gaussian sigma, full-resolution pixels).
FEATHER_SIGMA = 0.6


@dataclass(frozen=True)
class Cutout:
    """A garment cut out of a photo.

    ``image``: RGBA, cropped to the garment's bounding box; alpha 255 = garment.
    ``bbox``: (x0, y0, x1, y1) of that box in the source photo (x1, y1 exclusive).
    ``source_size``: (width, height) of the photo.
    ``confidence``: 0..1, how clean the separation was (see :func:`extract_garment`); below about
    0.5 a person should look at it.
    ``background``: the estimated background colour at the photo's centre (sRGB).
    """

    image: Image.Image
    bbox: tuple[int, int, int, int]
    source_size: tuple[int, int]
    confidence: float
    background: tuple[int, int, int]

    def on_canvas(self) -> Image.Image:
        """The cutout back in place on a transparent canvas of the source photo's size."""
        canvas = Image.new("RGBA", self.source_size, (0, 0, 0, 0))
        canvas.paste(self.image, self.bbox[:2])
        return canvas

    @property
    def alpha(self) -> Image.Image:
        return self.image.getchannel("A")


def extract_garment(image: ImageLike) -> Cutout:
    """Cut the garment out of a product photo. See the module docstring for how.

    An RGBA photo that is already transparent around the garment is taken as it is (its alpha
    is the cutout). Raises :class:`NoGarmentFoundError` or :class:`NotAProductPhotoError`."""
    source = to_pil(image)
    width, height = source.size
    if min(width, height) < 16:
        raise NoGarmentFoundError(f"the photo is only {width} x {height} pixels")
    if source.mode == "RGBA":
        existing = _existing_alpha(source)
        if existing is not None:
            return _finish(source, existing, 1.0, (255, 255, 255))
    rgb = np.asarray(source.convert("RGB") if source.mode != "RGB" else source)
    scale = min(1.0, WORK_SIDE / max(width, height))
    small = (
        cv2.resize(
            rgb,
            (max(8, round(width * scale)), max(8, round(height * scale))),
            interpolation=cv2.INTER_AREA,
        )
        if scale < 1.0
        else rgb
    )
    small_lab = _lab(small)
    model = _BackgroundModel.fit(small_lab)
    distance = model.distance(small_lab, DARK_WEIGHT)
    high, low = model.thresholds(distance)
    strong = distance > high
    if strong.mean() < MIN_AREA / 4:
        raise NoGarmentFoundError("only background was found")
    lighter_garment = _lighter_garment(small_lab, model, strong)
    if lighter_garment:
        distance = model.distance(small_lab, DARK_WEIGHT_LIGHT_GARMENT)
        strong = distance > high
    found = _hysteresis(strong, distance > low)
    found = _clean(found, distance, model.noise)
    if high < WEAK_CONTRAST and found.any():
        found = _clean(_grabcut(small, found), distance, model.noise)
    area = float(found.mean())
    if area < MIN_AREA:
        raise NoGarmentFoundError("nothing large enough stands out from the background")
    if found[0].any() and found[-1].any() and found[:, 0].any() and found[:, -1].any():
        raise NotAProductPhotoError("the subject touches all four edges of the photo")
    weight = DARK_WEIGHT_LIGHT_GARMENT if lighter_garment else DARK_WEIGHT
    alpha = _full_resolution_alpha(
        rgb, found, model, dark_weight=weight, low=low, high=high, scale=scale
    )
    confidence = _confidence(distance, found, high, model, area)
    return _finish(source, alpha, confidence, model.centre_rgb())


# ----------------------------------------------------------------------------- background model


class _BackgroundModel:
    """A quadratic Lab surface fitted to the border band, with its residual noise level."""

    def __init__(self, coefficients: np.ndarray, shape: tuple[int, int], noise: float) -> None:
        self.coefficients = coefficients  # 6 x 3
        self.shape = shape
        self.noise = noise
        self._surface: np.ndarray | None = None

    @classmethod
    def fit(cls, lab: np.ndarray) -> _BackgroundModel:
        height, width = lab.shape[:2]
        band = max(3, round(0.03 * min(height, width)))
        ring = np.zeros((height, width), bool)
        ring[:band] = ring[-band:] = True
        ring[:, :band] = ring[:, -band:] = True
        ys, xs = np.nonzero(ring)
        if ys.size > 40_000:
            pick = np.linspace(0, ys.size - 1, 40_000).astype(np.int64)
            ys, xs = ys[pick], xs[pick]
        features = _features(xs, ys, width, height)
        values = lab[ys, xs].astype(np.float64)
        inliers = np.ones(ys.size, bool)
        coefficients = np.zeros((6, 3))
        residual = np.zeros(ys.size)
        for _ in range(4):
            coefficients = _ridge(features[inliers], values[inliers])
            residual = np.linalg.norm(features @ coefficients - values, axis=1)
            spread = 1.4826 * float(np.median(np.abs(residual[inliers])))
            cut = max(3.0 * spread + 1.0, 3.0)
            updated = residual < cut
            if updated.sum() < 0.2 * ys.size:
                break
            inliers = updated
        share = float(inliers.mean())
        noise = 1.4826 * float(np.median(residual[inliers])) if inliers.any() else 99.0
        if share < 0.4:
            raise NotAProductPhotoError(
                "there is too little plain background along the edges of the photo"
            )
        if noise > 9.0:
            raise NotAProductPhotoError("the background is not plain (too much detail in it)")
        return cls(coefficients, (height, width), max(noise, 0.5))

    def surface(self) -> np.ndarray:
        """The fitted background on the grid it was fitted on (cached)."""
        if self._surface is None:
            height, width = self.shape
            self._surface = self.surface_at((width, height), (0, 0, width, height))
        return self._surface

    def surface_at(self, size: tuple[int, int], box: tuple[int, int, int, int]) -> np.ndarray:
        """The background over ``box`` (x0, y0, x1, y1) of a ``size`` (width, height) grid
        covering the same frame, evaluated separably (no per-pixel feature matrix)."""
        width, height = size
        x0, y0, x1, y1 = box
        u = (np.arange(x0, x1, dtype=np.float32) / max(1, width - 1) * 2 - 1)[None, :]
        v = (np.arange(y0, y1, dtype=np.float32) / max(1, height - 1) * 2 - 1)[:, None]
        out = np.empty((y1 - y0, x1 - x0, 3), np.float32)
        for channel in range(3):
            c = self.coefficients[:, channel].astype(np.float32)
            along_u = c[0] + c[1] * u + c[3] * u * u
            along_v = c[2] * v + c[4] * v * v
            out[..., channel] = along_u + along_v + c[5] * (v * u)
        return out

    def distance(
        self, lab: np.ndarray, dark_weight: float, surface: np.ndarray | None = None
    ) -> np.ndarray:
        """Per-pixel difference from the background (Lab units, darker counted less)."""
        bg = self.surface() if surface is None else surface
        delta = lab - bg
        d_l = delta[..., 0]
        darker = d_l < 0
        weighted_l = np.where(darker, d_l * dark_weight, d_l)
        chroma = np.sqrt(delta[..., 1] ** 2 + delta[..., 2] ** 2)
        return np.sqrt(weighted_l**2 + chroma**2)

    def thresholds(self, distance: np.ndarray) -> tuple[float, float]:
        floor = max(4.0 * self.noise, 4.0)
        values = np.clip(distance, 0, 100)
        scaled = np.round(values * 2.55).astype(np.uint8)
        otsu, _ = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        high = max(floor, min(float(otsu) / 2.55, 25.0))
        low = max(0.5 * high, 2.5 * self.noise, 2.5)
        return high, low

    def centre_rgb(self) -> tuple[int, int, int]:
        height, width = self.shape
        features = _features(np.array([width / 2]), np.array([height / 2]), width, height)
        lab = (features @ self.coefficients).astype(np.float32).reshape(1, 1, 3)
        rgb = cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)[0, 0]
        r, g, b = (int(np.clip(round(float(c) * 255), 0, 255)) for c in rgb)
        return (r, g, b)


def _features(xs: np.ndarray, ys: np.ndarray, width: int, height: int) -> np.ndarray:
    u = xs.astype(np.float64) / max(1, width - 1) * 2 - 1
    v = ys.astype(np.float64) / max(1, height - 1) * 2 - 1
    return np.column_stack([np.ones_like(u), u, v, u * u, v * v, u * v])


def _ridge(features: np.ndarray, values: np.ndarray, penalty: float = 1e-3) -> np.ndarray:
    gram = features.T @ features
    gram += penalty * len(features) * np.diag([0, 1, 1, 1, 1, 1])
    return np.linalg.solve(gram, features.T @ values)


def _lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb.astype(np.float32) * np.float32(1 / 255), cv2.COLOR_RGB2Lab)


# ----------------------------------------------------------------------------- segmentation


def _lighter_garment(lab: np.ndarray, model: _BackgroundModel, strong: np.ndarray) -> bool:
    """True when most of what stands out is lighter than the background (white on grey)."""
    if not strong.any():
        return False
    delta_l = (lab[..., 0] - model.surface()[..., 0])[strong]
    return float((delta_l > 0).mean()) > 0.7


def _hysteresis(strong: np.ndarray, weak: np.ndarray) -> np.ndarray:
    """Weak pixels connected (8-way) to a strong one."""
    count, labels = cv2.connectedComponents((weak | strong).astype(np.uint8), connectivity=8)
    if count <= 1:
        return strong.copy()
    keep = np.zeros(count, bool)
    keep[np.unique(labels[strong])] = True
    keep[0] = False
    return keep[labels]


def _clean(found: np.ndarray, distance: np.ndarray, noise: float) -> np.ndarray:
    mask = found.astype(np.uint8)
    small = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, small)
    mask = cv2.morphologyEx(
        mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    )
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return np.zeros_like(found)
    areas = stats[1:, cv2.CC_STAT_AREA]
    largest = int(areas.max())
    keep = np.zeros(count, bool)
    keep[1:] = areas >= max(largest / 6, 0.002 * mask.size)
    result = keep[labels]
    return _fill_holes(result, distance, noise)


def _grabcut(rgb: np.ndarray, found: np.ndarray, iterations: int = 3) -> np.ndarray:
    """GrabCut seeded from the estimate: its core is certain garment, a ring around it is
    uncertain, the rest certain background. Run on the region around the garment only."""
    height, width = found.shape
    reach = max(4, round(0.035 * max(height, width)))
    core_reach = max(3, reach // 2)
    seed = found.astype(np.uint8)
    around = cv2.dilate(seed, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1,) * 2))
    core = cv2.erode(seed, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * core_reach + 1,) * 2))
    ys, xs = np.nonzero(around)
    pad = reach
    y0, y1 = max(0, ys.min() - pad), min(height, ys.max() + 1 + pad)
    x0, x1 = max(0, xs.min() - pad), min(width, xs.max() + 1 + pad)
    labels = np.full((y1 - y0, x1 - x0), cv2.GC_BGD, np.uint8)
    labels[around[y0:y1, x0:x1] > 0] = cv2.GC_PR_BGD
    labels[seed[y0:y1, x0:x1] > 0] = cv2.GC_PR_FGD
    labels[core[y0:y1, x0:x1] > 0] = cv2.GC_FGD
    if not (labels == cv2.GC_BGD).any() or not (labels == cv2.GC_FGD).any():
        return found
    background_model = np.zeros((1, 65), np.float64)
    foreground_model = np.zeros((1, 65), np.float64)
    cv2.grabCut(
        np.ascontiguousarray(rgb[y0:y1, x0:x1]),
        labels,
        None,
        background_model,
        foreground_model,
        iterations,
        cv2.GC_INIT_WITH_MASK,
    )
    result = np.zeros_like(found)
    result[y0:y1, x0:x1] = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
    return result


def _fill_holes(mask: np.ndarray, distance: np.ndarray, noise: float) -> np.ndarray:
    """Fill enclosed holes, except large ones that look exactly like the background."""
    inverse = (~mask).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(inverse, connectivity=4)
    height, width = mask.shape
    result = mask.copy()
    garment_area = max(1, int(mask.sum()))
    for index in range(1, count):
        x, y, w, h, area = stats[index]
        touches = x == 0 or y == 0 or x + w == width or y + h == height
        if touches:
            continue
        hole = labels == index
        background_like = float(np.median(distance[hole])) < max(2.0 * noise, 2.0)
        if area > 0.01 * garment_area and background_like:
            continue
        result |= hole
    return result


def _full_resolution_alpha(
    rgb: np.ndarray,
    found: np.ndarray,
    model: _BackgroundModel,
    *,
    dark_weight: float,
    low: float,
    high: float,
    scale: float,
) -> np.ndarray:
    """The decision at full resolution: inside and outside from the reduced copy, the edge band
    re-decided from full-resolution differences, then feathered. Returns uint8 alpha."""
    height, width = rgb.shape[:2]
    if scale >= 1.0:
        coarse = found.astype(np.float32)
    else:
        coarse = cv2.resize(
            found.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR
        )
    alpha = (coarse >= 0.5).astype(np.uint8)
    if scale < 1.0:
        reach = max(2, int(np.ceil(1.5 / scale)))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
        band = (cv2.dilate(alpha, kernel) > 0) & (cv2.erode(alpha, kernel) == 0)
        ys, xs = np.nonzero(band)
        if ys.size:
            y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
            patch_lab = _lab(rgb[y0:y1, x0:x1])
            surface = model.surface_at((width, height), (x0, y0, x1, y1))
            distance = model.distance(patch_lab, dark_weight, surface)
            if high < WEAK_CONTRAST:
                # Close to the background, grain would make a pixel-wise decision ragged:
                # decide on a lightly smoothed map.
                distance = cv2.GaussianBlur(distance, (0, 0), EDGE_SMOOTHING)
            decided = distance > (low + high) / 2
            local_band = band[y0:y1, x0:x1]
            window = alpha[y0:y1, x0:x1]
            window[local_band] = decided[local_band]
            alpha = cv2.morphologyEx(alpha, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    soft = cv2.GaussianBlur(alpha.astype(np.float32) * 255.0, (0, 0), FEATHER_SIGMA)
    return np.clip(np.rint(soft), 0, 255).astype(np.uint8)


def _confidence(
    distance: np.ndarray, found: np.ndarray, high: float, model: _BackgroundModel, area: float
) -> float:
    """0..1 from how far the garment stands out, how quiet the background is and how plausible
    the garment's share of the frame is. A heuristic for "look at this one", not a probability."""
    inside = distance[found]
    separation = float(np.clip((np.median(inside) / max(high, 1e-3) - 1.0) / 2.0, 0, 1))
    quiet = float(np.clip(1.0 - (model.noise - 1.0) / 8.0, 0, 1))
    plausible = float(np.clip(min(area / 0.05, (0.9 - area) / 0.2), 0, 1))
    return round(0.5 * separation + 0.25 * quiet + 0.25 * plausible, 3)


def _existing_alpha(image: Image.Image) -> np.ndarray | None:
    """The alpha of an RGBA photo that is already a cutout (transparent around the subject)."""
    alpha = np.asarray(image.getchannel("A"))
    border = np.concatenate([alpha[0], alpha[-1], alpha[:, 0], alpha[:, -1]])
    if float((border < 16).mean()) < 0.9 or float((alpha > 128).mean()) < MIN_AREA:
        return None
    return alpha.copy()


def _finish(
    source: Image.Image, alpha: np.ndarray, confidence: float, background: tuple[int, int, int]
) -> Cutout:
    ys, xs = np.nonzero(alpha > 0)
    if ys.size == 0:
        raise NoGarmentFoundError("only background was found")
    bbox = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    rgb = source.convert("RGB") if source.mode != "RGB" else source
    cropped = rgb.crop(bbox).convert("RGBA")
    cropped.putalpha(
        Image.fromarray(np.ascontiguousarray(alpha[bbox[1] : bbox[3], bbox[0] : bbox[2]]))
    )
    return Cutout(cropped, bbox, source.size, confidence, background)
