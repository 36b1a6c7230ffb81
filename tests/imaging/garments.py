"""Synthetic product photos for the cutout and pack tests (and the benchmarks).

A T-shirt-like polygon drawn anti-aliased (at 4x, then reduced) with fabric shading and grain,
on the backgrounds product photographers use: plain white, a studio sweep with a vignette and a
soft ground shadow, and a white shirt on light grey. Each scene returns the photo and the true
garment mask, so a cutout can be scored by IoU.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: T-shirt outline in unit coordinates (x right, y down): neck, shoulders, sleeves, body, hem.
TSHIRT = np.array(
    [
        (0.40, 0.08),
        (0.45, 0.13),
        (0.50, 0.14),
        (0.55, 0.13),
        (0.60, 0.08),
        (0.76, 0.13),
        (0.94, 0.34),
        (0.83, 0.43),
        (0.74, 0.33),
        (0.75, 0.92),
        (0.25, 0.92),
        (0.26, 0.33),
        (0.17, 0.43),
        (0.06, 0.34),
        (0.24, 0.13),
    ],
    dtype=np.float64,
)

#: Trousers: waistband, two legs with a gap between them (a real hole in the silhouette).
TROUSERS = np.array(
    [
        (0.30, 0.06),
        (0.70, 0.06),
        (0.76, 0.95),
        (0.56, 0.95),
        (0.50, 0.38),
        (0.44, 0.95),
        (0.24, 0.95),
    ],
    dtype=np.float64,
)


@dataclass(frozen=True)
class Scene:
    photo: np.ndarray  # H x W x 3 uint8
    truth: np.ndarray  # H x W bool, the garment
    name: str


def garment_mask(
    size: tuple[int, int],
    *,
    shape: np.ndarray = TSHIRT,
    box: tuple[float, float, float, float] = (0.18, 0.12, 0.82, 0.88),
) -> np.ndarray:
    """Anti-aliased garment coverage (float 0..1) of ``shape`` placed in ``box`` (unit coords)."""
    width, height = size
    scale = 4
    x0, y0, x1, y1 = box
    points = np.column_stack(
        [
            (x0 + shape[:, 0] * (x1 - x0)) * width * scale,
            (y0 + shape[:, 1] * (y1 - y0)) * height * scale,
        ]
    ).round()
    big = np.zeros((height * scale, width * scale), np.uint8)
    cv2.fillPoly(big, [points.astype(np.int32)], 255)
    small = cv2.resize(big, (width, height), interpolation=cv2.INTER_AREA)
    return small.astype(np.float32) / 255.0


def fabric(size: tuple[int, int], colour: tuple[int, int, int], seed: int, folds: float = 0.18):
    """Garment colour with soft folds (low-frequency shading) and weave grain."""
    width, height = size
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    shade = 1.0 - folds * (
        0.5 + 0.5 * np.sin(x / (width * 0.05) + 0.6 * np.sin(y / (height * 0.09)))
    )
    shade -= 0.06 * (y / height)
    base = np.array(colour, np.float32)[None, None, :] * shade[..., None]
    base += rng.normal(0, 3.0, (height, width, 1)).astype(np.float32)
    return base


def studio_background(
    size: tuple[int, int],
    *,
    centre: tuple[int, int, int] = (246, 246, 244),
    vignette: float = 22.0,
    sweep: float = 10.0,
) -> np.ndarray:
    """A sweep: slightly darker wall at the top, brighter floor, darker corners."""
    width, height = size
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    u = (x / width - 0.5) * 2
    v = (y / height - 0.5) * 2
    falloff = vignette * (u**2 + v**2) / 2 - sweep * v / 2
    bg = np.array(centre, np.float32)[None, None, :] - falloff[..., None]
    return bg


def soft_shadow(coverage: np.ndarray, *, depth: float = 0.18, offset: float = 0.03) -> np.ndarray:
    """Multiplicative ground shadow: the garment's shape pushed down, squashed and blurred."""
    height, width = coverage.shape
    shift = int(offset * height)
    shadow = np.zeros_like(coverage)
    shadow[shift:, :] = coverage[: height - shift, :]
    blur = max(3.0, 0.025 * max(width, height))
    shadow = cv2.GaussianBlur(shadow, (0, 0), blur)
    return 1.0 - depth * shadow


def compose(
    background: np.ndarray,
    garment: np.ndarray,
    coverage: np.ndarray,
    *,
    shadow: np.ndarray | None = None,
    noise: float = 1.5,
    seed: int = 0,
) -> np.ndarray:
    rng = np.random.default_rng(seed + 1000)
    bg = background * (shadow[..., None] if shadow is not None else 1.0)
    photo = bg * (1 - coverage[..., None]) + garment * coverage[..., None]
    photo += rng.normal(0, noise, photo.shape).astype(np.float32)
    return np.clip(np.rint(photo), 0, 255).astype(np.uint8)


def plain_white(size: tuple[int, int] = (384, 480), seed: int = 0) -> Scene:
    coverage = garment_mask(size)
    garment = fabric(size, (30, 120, 140), seed)
    background = np.full((size[1], size[0], 3), 250, np.float32)
    return Scene(compose(background, garment, coverage, seed=seed), coverage >= 0.5, "plain white")


def studio_sweep(size: tuple[int, int] = (384, 480), seed: int = 1) -> Scene:
    coverage = garment_mask(size, box=(0.2, 0.1, 0.8, 0.84))
    garment = fabric(size, (170, 40, 50), seed)
    background = studio_background(size)
    shadow = soft_shadow(coverage)
    photo = compose(background, garment, coverage, shadow=shadow, seed=seed)
    return Scene(photo, coverage >= 0.5, "studio sweep with shadow")


def white_on_grey(size: tuple[int, int] = (384, 480), seed: int = 2) -> Scene:
    coverage = garment_mask(size, box=(0.16, 0.14, 0.84, 0.86))
    garment = fabric(size, (250, 250, 248), seed, folds=0.06)
    background = studio_background(size, centre=(214, 214, 212), vignette=14.0, sweep=6.0)
    shadow = soft_shadow(coverage, depth=0.10)
    photo = compose(background, garment, coverage, shadow=shadow, seed=seed)
    return Scene(photo, coverage >= 0.5, "white shirt on light grey")


def coloured_sweep(size: tuple[int, int] = (384, 480), seed: int = 3) -> Scene:
    """Dark trousers (two legs, a real gap) on a warm beige sweep."""
    coverage = garment_mask(size, shape=TROUSERS, box=(0.22, 0.08, 0.78, 0.9))
    garment = fabric(size, (40, 44, 70), seed, folds=0.25)
    background = studio_background(size, centre=(226, 208, 182), vignette=26.0, sweep=12.0)
    shadow = soft_shadow(coverage, depth=0.15)
    photo = compose(background, garment, coverage, shadow=shadow, seed=seed)
    return Scene(photo, coverage >= 0.5, "trousers on beige sweep")


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0
