"""Sample images the app makes itself, and "Try it with sample images" for a new user.

Nothing is downloaded: every image is drawn here with NumPy and Pillow, from a fixed seed, so
the same bytes come out on every machine (and the cutout cache recognises a photo it has cut).

- :func:`tshirt_photo` — a product photo of a T-shirt (front or back) on a studio sweep:
  ghost-mannequin shape with volume, folds, seams, a knit grain and a soft shadow.
- :func:`portrait_placeholder` — an abstract, faceless head-and-shoulders study to stand in for
  a model's reference photo.
- :func:`bag_scene` — a leather bag on a smooth backdrop and table, for Magic Canvas edits
  ("remove the bag", "make it navy").

:func:`create_samples` puts them to use in a workspace, idempotently::

    result = await create_samples(services)   # WorkspaceServices of the open workspace
    window.show_message(result.message)

It adds a sample model profile with the portrait as its reference, a creation with the bag scene
and the T-shirt photo as assets, writes the garment photos (front, back) to the workspace's
``samples/`` folder for the garment flow, and queues a product pack of the T-shirt on the sample
profile so the history shows a job at once. What it made is remembered in the workspace
(``sync_state`` key :data:`SAMPLES_KEY`); a second call reuses what still exists and only
re-adds what was deleted.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, ImageDraw

from studio_desktop.domain.enums import SourceKind
from studio_desktop.domain.errors import ExternalError
from studio_desktop.domain.models import CanvasThread, Job, Profile

if TYPE_CHECKING:
    from studio_desktop.services.workspace import WorkspaceServices

log = logging.getLogger(__name__)

SAMPLES_KEY = "samples"
SAMPLES_FOLDER = "samples"
PROFILE_NAME = "Sample model"
PROFILE_FIELDS: dict[str, str] = {
    "gender": "female",
    "skin_tone": "medium",
    "region": "Southern Europe",
    "background": "light grey sweep",
}
#: File names in the samples folder (the creation's asset labels come from them).
FRONT_FILE = "T-shirt front.jpg"
BACK_FILE = "T-shirt back.jpg"
PORTRAIT_FILE = "Model portrait.jpg"
SCENE_FILE = "Sample - leather bag.jpg"
SHIRT_ASSET_FILE = "Sample - T-shirt.jpg"

PHOTO_SIZE = (1200, 1500)
PORTRAIT_SIZE = (1024, 1280)
SCENE_SIZE = (1600, 1120)
JPEG_QUALITY = 92
_SEED = 20240501

RGB = tuple[int, int, int]
TSHIRT_COLOUR: RGB = (62, 84, 122)  # a washed indigo
SWEEP_TOP: RGB = (226, 226, 224)
SWEEP_BOTTOM: RGB = (241, 240, 238)


# =========================================================================== drawing helpers
def _box_blur(values: np.ndarray, radius: int, axis: int) -> np.ndarray:
    """A box filter of ``2 * radius + 1`` along ``axis`` (edges clamped), via cumulative sums."""
    if radius < 1:
        return values
    pad = [(0, 0)] * values.ndim
    pad[axis] = (radius + 1, radius)
    padded = np.pad(values, pad, mode="edge")
    summed = np.cumsum(padded, axis=axis, dtype=np.float32)
    size = values.shape[axis]
    upper = np.take(summed, np.arange(2 * radius + 1, 2 * radius + 1 + size), axis=axis)
    lower = np.take(summed, np.arange(0, size), axis=axis)
    return (upper - lower) / np.float32(2 * radius + 1)


def _blur(values: np.ndarray, sigma: float, *, sigma_y: float | None = None) -> np.ndarray:
    """A Gaussian-like blur (three box passes per axis); ``sigma_y`` for a directional one.
    A wide blur is done on a reduced copy and scaled back (it has no detail to lose)."""
    out = values.astype(np.float32, copy=False)
    factor = int(min(sigma, sigma if sigma_y is None else sigma_y) // 4)
    if factor >= 2:
        h, w = out.shape
        small = Image.fromarray(out, "F").resize(
            (max(1, w // factor), max(1, h // factor)), Image.Resampling.BOX
        )
        blurred = _blur(
            np.asarray(small, dtype=np.float32),
            sigma / factor,
            sigma_y=None if sigma_y is None else sigma_y / factor,
        )
        return np.asarray(
            Image.fromarray(blurred, "F").resize((w, h), Image.Resampling.BILINEAR),
            dtype=np.float32,
        )
    for axis, s in ((1, sigma), (0, sigma if sigma_y is None else sigma_y)):
        # Three boxes of width w have the variance of a Gaussian with sigma^2 = (w^2 - 1) / 4.
        radius = round((math.sqrt(4 * s * s + 1) - 1) / 2)
        for _ in range(3):
            out = _box_blur(out, radius, axis)
    return out


def _smooth_outline(points: Sequence[tuple[float, float]], rounds: int = 3) -> np.ndarray:
    """A closed outline rounded by Chaikin's corner cutting; a point given twice stays crisper."""
    outline = np.asarray(points, dtype=np.float64)
    for _ in range(rounds):
        nxt = np.roll(outline, -1, axis=0)
        outline = np.column_stack(
            [0.75 * outline + 0.25 * nxt, 0.25 * outline + 0.75 * nxt]
        ).reshape(-1, 2)
    return outline


def _coverage(
    size: tuple[int, int], outlines: Sequence[np.ndarray], *, supersample: int = 3
) -> np.ndarray:
    """Anti-aliased coverage (0..1) of closed outlines in pixel coordinates."""
    width, height = size
    big = Image.new("L", (width * supersample, height * supersample), 0)
    draw = ImageDraw.Draw(big)
    for outline in outlines:
        draw.polygon([(float(x) * supersample, float(y) * supersample) for x, y in outline], 255)
    small = big.resize(size, Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32) / 255.0


def _lines(
    size: tuple[int, int], polylines: Sequence[np.ndarray], width_px: float, supersample: int = 3
) -> np.ndarray:
    """Anti-aliased coverage of open polylines (seams, stitches)."""
    w, h = size
    big = Image.new("L", (w * supersample, h * supersample), 0)
    draw = ImageDraw.Draw(big)
    for line in polylines:
        draw.line(
            [(float(x) * supersample, float(y) * supersample) for x, y in line],
            fill=255,
            width=max(1, round(width_px * supersample)),
            joint="curve",
        )
    return np.asarray(big.resize(size, Image.Resampling.BOX), dtype=np.float32) / 255.0


def _grid(size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    return xs, ys


def _smoothstep(edge0: float, edge1: float, values: np.ndarray) -> np.ndarray:
    t = np.clip((values - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _colour(rgb: RGB) -> np.ndarray:
    return np.asarray(rgb, dtype=np.float32) / 255.0


def _to_image(rgb: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Float RGB (0..1) to 8 bits, dithered so smooth gradients do not band."""
    noise = rng.random(rgb.shape[:2], dtype=np.float32)[..., None] - 0.5
    values = np.clip(rgb * 255.0 + noise, 0, 255)
    return Image.fromarray(values.round().astype(np.uint8), "RGB")


def _add_fold(
    shade: np.ndarray,
    start: tuple[float, float],
    end: tuple[float, float],
    width: float,
    *,
    dark: float = 0.24,
    light: float = 0.10,
) -> None:
    """Shade a fold along a segment into ``shade`` (in place): a valley, and a highlight on the
    side that faces the light (upper left), both fading out towards the segment's ends. Only
    the window around the segment is computed."""
    (x0, y0), (x1, y1) = start, end
    h, w = shade.shape
    reach = 4 * width
    left, right = max(0, int(min(x0, x1) - reach)), min(w, int(max(x0, x1) + reach) + 1)
    top, bottom = max(0, int(min(y0, y1) - reach)), min(h, int(max(y0, y1) + reach) + 1)
    if left >= right or top >= bottom:
        return
    ys, xs = np.mgrid[top:bottom, left:right].astype(np.float32)
    dx, dy = x1 - x0, y1 - y0
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    along = ((xs - x0) * ux + (ys - y0) * uy) / length
    across = (xs - x0) * -uy + (ys - y0) * ux
    taper = np.sin(np.pi * np.clip(along, 0.0, 1.0)) ** 1.5
    valley = np.exp(-((across / width) ** 2)) * taper
    # The normal (-uy, ux) points to the light when it has a negative x + y.
    lit = 1.0 if (-uy + ux) < 0 else -1.0
    highlight = np.exp(-(((across - lit * 1.4 * width) / (1.1 * width)) ** 2)) * taper
    shade[top:bottom, left:right] += -dark * valley + light * highlight


# =========================================================================== the sweep
def studio_sweep(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A seamless studio backdrop: a soft vertical gradient, a gentle vignette, fine grain."""
    width, height = size
    xs, ys = _grid(size)
    t = _smoothstep(0.0, 1.0, ys / (height - 1))
    rgb = _colour(SWEEP_TOP) * (1 - t[..., None]) + _colour(SWEEP_BOTTOM) * t[..., None]
    cx, cy = (xs / width - 0.5) * 1.1, (ys / height - 0.55) * 0.9
    vignette = 1.0 - 0.07 * np.clip(cx * cx + cy * cy, 0, 1)
    grain = _blur(rng.normal(0, 1, (height, width)).astype(np.float32), 0.8) * 0.004
    return rgb * vignette[..., None] + grain[..., None]


def _shadow(mask: np.ndarray, offset: tuple[int, int], sigma: float) -> np.ndarray:
    dx, dy = offset
    moved = np.zeros_like(mask)
    h, w = mask.shape
    moved[dy:, dx:] = mask[: h - dy, : w - dx]
    return _blur(moved, sigma)


# =========================================================================== the T-shirt
#: Outline in unit coordinates of the garment's box (x right, y down), clockwise from the left
#: end of the collar; repeated points keep the sleeve and hem corners crisp.
_SHIRT_OUTLINE: tuple[tuple[float, float], ...] = (
    (0.385, 0.035),
    (0.44, 0.05),
    (0.50, 0.055),
    (0.56, 0.05),
    (0.615, 0.035),
    (0.80, 0.085),
    (0.90, 0.17),
    (0.98, 0.33),
    (0.98, 0.33),
    (0.87, 0.42),
    (0.87, 0.42),
    (0.775, 0.33),
    (0.778, 0.6),
    (0.785, 0.985),
    (0.785, 0.985),
    (0.5, 0.995),
    (0.215, 0.985),
    (0.215, 0.985),
    (0.222, 0.6),
    (0.225, 0.33),
    (0.13, 0.42),
    (0.13, 0.42),
    (0.02, 0.33),
    (0.02, 0.33),
    (0.10, 0.17),
    (0.20, 0.085),
)
#: The front neckline (lower than the back's), from the left collar point to the right one.
_FRONT_NECK = ((0.385, 0.035), (0.42, 0.085), (0.46, 0.112), (0.5, 0.12), (0.54, 0.112),
               (0.58, 0.085), (0.615, 0.035))  # fmt: skip
_BACK_NECK = ((0.385, 0.035), (0.44, 0.05), (0.5, 0.055), (0.56, 0.05), (0.615, 0.035))
#: Folds (start, end, width as a fraction of the box width), per side.
_FOLDS: dict[SourceKind, tuple[tuple[tuple[float, float], tuple[float, float], float], ...]] = {
    SourceKind.FRONT: (
        ((0.25, 0.36), (0.44, 0.64), 0.026),
        ((0.75, 0.37), (0.58, 0.60), 0.024),
        ((0.28, 0.84), (0.45, 0.95), 0.018),
        ((0.62, 0.83), (0.74, 0.95), 0.02),
        ((0.10, 0.25), (0.19, 0.37), 0.016),
        ((0.88, 0.24), (0.80, 0.37), 0.016),
        ((0.45, 0.70), (0.53, 0.87), 0.016),
        ((0.30, 0.20), (0.36, 0.32), 0.014),
    ),
    SourceKind.BACK: (
        ((0.28, 0.40), (0.40, 0.72), 0.026),
        ((0.72, 0.40), (0.62, 0.68), 0.026),
        ((0.34, 0.85), (0.50, 0.95), 0.018),
        ((0.09, 0.26), (0.18, 0.38), 0.016),
        ((0.90, 0.25), (0.81, 0.37), 0.016),
        ((0.52, 0.16), (0.50, 0.40), 0.022),
    ),
}


def _shirt_box(size: tuple[int, int]) -> tuple[float, float, float, float]:
    """Where the T-shirt sits in its photo: x, y, width, height in pixels."""
    width, height = size
    return (0.10 * width, 0.17 * height, 0.80 * width, 0.62 * height)


def _place(
    box: tuple[float, float, float, float], points: Sequence[tuple[float, float]]
) -> np.ndarray:
    unit = np.asarray(points, dtype=np.float64)
    return np.column_stack([box[0] + unit[:, 0] * box[2], box[1] + unit[:, 1] * box[3]])


def tshirt_silhouette(size: tuple[int, int] = PHOTO_SIZE) -> np.ndarray:
    """The T-shirt's coverage (0..1) in a photo of ``size``: the true mask of its cutout."""
    return _coverage(size, [_smooth_outline(_place(_shirt_box(size), _SHIRT_OUTLINE))])


def tshirt_photo(
    kind: SourceKind | str = SourceKind.FRONT,
    size: tuple[int, int] = PHOTO_SIZE,
    colour: RGB = TSHIRT_COLOUR,
    *,
    seed: int = _SEED,
) -> Image.Image:
    """A product photo of a T-shirt, front or back, on a studio sweep (RGB)."""
    side = SourceKind(kind)
    rng = np.random.default_rng(seed + (0 if side is SourceKind.FRONT else 1))
    width, height = size
    box = _shirt_box(size)

    def place(points: Sequence[tuple[float, float]]) -> np.ndarray:
        return _place(box, points)

    mask = tshirt_silhouette(size)
    xs, ys = _grid(size)

    # Volume: fabric turns away from the light near the silhouette; a key light from the left.
    depth = _blur(mask, 0.035 * width)
    shade = 0.74 + 0.30 * _smoothstep(0.25, 0.9, depth)
    shade *= 1.06 - 0.12 * (xs / width) - 0.05 * (ys / height)
    for start, end, fold_width in _FOLDS[side]:
        a, b = place([start, end])
        _add_fold(shade, (a[0], a[1]), (b[0], b[1]), fold_width * box[2])

    # Seams and hems: a stitched line a little inside each hem, shoulder seams, the collar rib.
    hem_y = 0.945
    seams = [
        place([(0.222, hem_y), (0.5, hem_y + 0.008), (0.778, hem_y)]),
        place([(0.05, 0.30), (0.155, 0.385)]),
        place([(0.95, 0.30), (0.845, 0.385)]),
        place([(0.385, 0.035), (0.20, 0.085)]),
        place([(0.615, 0.035), (0.80, 0.085)]),
        place([(0.20, 0.085), (0.225, 0.33)]),
        place([(0.80, 0.085), (0.775, 0.33)]),
    ]
    seam = _lines(size, seams, 0.0028 * width)
    shade *= 1 - 0.22 * seam
    shade += 0.05 * _shadow(seam, (2, 2), 1.0)

    # Knit grain: fine noise stretched along the wales (vertical), and a soft heather mottle.
    wales = _blur(rng.normal(0, 1, (height, width)).astype(np.float32), 0.5, sigma_y=2.2)
    mottle = _blur(rng.normal(0, 1, (height, width)).astype(np.float32), 6.0)
    shade *= 1 + 0.045 * wales + 0.10 * mottle

    fabric = _colour(colour)[None, None, :] * shade[..., None]

    # The neck: in front, the inside of the back collar shows through the opening; the collar
    # rib is a slightly darker band along the neckline.
    neck = place(_FRONT_NECK if side is SourceKind.FRONT else _BACK_NECK)
    if side is SourceKind.FRONT:
        opening = _coverage(size, [np.vstack([neck, place(_BACK_NECK)[::-1]])])
        inside = 0.42 + 0.12 * _smoothstep(0.0, 1.0, (ys - box[1]) / (0.1 * box[3]))
        fabric = fabric * (1 - opening[..., None]) + (
            _colour(colour) * inside[..., None] * opening[..., None]
        )
    rib = _lines(size, [neck], 0.022 * box[2]) * mask
    fabric *= (1 - 0.12 * rib)[..., None]
    fabric += (
        0.03 * _lines(size, [neck + np.array([0.0, 0.012 * box[3]])], 0.003 * width)[..., None]
    )
    background = studio_sweep(size, rng)
    shadow = _shadow(mask, (int(0.012 * width), int(0.03 * height)), 0.03 * width)
    background *= (1 - 0.20 * shadow)[..., None]
    rgb = background * (1 - mask[..., None]) + fabric * mask[..., None]
    return _to_image(rgb, rng)


# =========================================================================== the portrait
SKIN_TONES: dict[str, RGB] = {
    "light": (232, 196, 172),
    "medium": (196, 142, 108),
    "dark": (120, 82, 60),
}


def portrait_placeholder(
    size: tuple[int, int] = PORTRAIT_SIZE, skin_tone: str = "medium", *, seed: int = _SEED
) -> Image.Image:
    """An abstract, faceless head-and-shoulders study (a mannequin in soft light), RGB."""
    rng = np.random.default_rng(seed + 7)
    width, height = size
    xs, ys = _grid(size)
    u, v = xs / width, ys / height

    def at(points: Sequence[tuple[float, float]]) -> np.ndarray:
        unit = np.asarray(points, dtype=np.float64)
        return np.column_stack([unit[:, 0] * width, unit[:, 1] * height])

    def ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 128) -> np.ndarray:
        angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
        return at(np.column_stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)]))

    # Backdrop: warm grey with a soft light pool behind the figure.
    pool = np.exp(-(((u - 0.42) / 0.55) ** 2 + ((v - 0.35) / 0.6) ** 2))
    backdrop = _colour((208, 200, 192)) * (0.86 + 0.16 * pool)[..., None]

    head = _coverage(size, [ellipse(0.5, 0.345, 0.122, 0.158)])
    neck = _coverage(size, [_smooth_outline(
        at([(0.445, 0.44), (0.555, 0.44), (0.565, 0.62), (0.435, 0.62)]), rounds=2)])  # fmt: skip
    torso = _coverage(size, [_smooth_outline(at([
        (-0.02, 1.05), (0.0, 0.79), (0.05, 0.69), (0.18, 0.635), (0.38, 0.59), (0.62, 0.59),
        (0.82, 0.635), (0.95, 0.69), (1.0, 0.79), (1.02, 1.05)]), rounds=3)])  # fmt: skip
    neckline = _coverage(size, [ellipse(0.5, 0.585, 0.09, 0.06)]) * torso
    # A bob: hair around the head and down to the jaw, the face showing under a soft fringe.
    hair_shape = _coverage(size, [_smooth_outline(at([
        (0.365, 0.40), (0.37, 0.25), (0.43, 0.18), (0.50, 0.165), (0.58, 0.175),
        (0.64, 0.24), (0.645, 0.40), (0.62, 0.47), (0.58, 0.44), (0.42, 0.44),
        (0.385, 0.47)]), rounds=3)])  # fmt: skip
    hairline = 0.265 - 0.05 * np.clip((u - 0.43) / 0.15, 0, 1) ** 1.5
    face = head * _smoothstep(-0.004, 0.004, v - hairline)
    hair = np.clip(hair_shape - face, 0, 1)
    skin_mask = np.clip(face + np.clip(neck - hair, 0, 1) + neckline, 0, 1)

    # Soft key light from the upper left, with the form turning away at the edges.
    light = 0.80 + 0.30 * np.clip(1.0 - np.hypot(u - 0.36, v - 0.26) / 0.6, 0, 1)
    skin_depth = _smoothstep(0.2, 0.9, _blur(np.clip(head + neck, 0, 1), 0.025 * width))
    skin = (
        _colour(SKIN_TONES.get(skin_tone, SKIN_TONES["medium"]))
        * (light * (0.82 + 0.2 * skin_depth))[..., None]
    )
    # The jaw and the hair shade the neck.
    under_jaw = np.clip(neck - head, 0, 1) * (1 - _smoothstep(0.49, 0.56, v))
    skin *= (1 - 0.32 * under_jaw)[..., None]
    cloth_depth = _smoothstep(0.1, 0.9, _blur(torso, 0.04 * width))
    mottle = _blur(rng.normal(0, 1, (height, width)).astype(np.float32), 3.0)
    cloth = (
        _colour((70, 72, 80))
        * (light * (0.8 + 0.24 * cloth_depth) * (1 + 0.05 * mottle))[..., None]
    )
    strands = _blur(rng.normal(0, 1, (height, width)).astype(np.float32), 0.6, sigma_y=5.0)
    hair_depth = _smoothstep(0.1, 0.9, _blur(hair_shape, 0.02 * width))
    hair_rgb = (
        _colour((58, 44, 36))
        * (light * (0.75 + 0.35 * hair_depth) * (1 + 0.06 * strands))[..., None]
    )

    figure = np.clip(torso + neck + hair_shape, 0, 1)
    shadow = _shadow(figure, (int(0.035 * width), int(0.012 * height)), 0.04 * width)
    rgb = backdrop * (1 - 0.20 * shadow)[..., None]
    for layer, colour_rgb in ((torso, cloth), (skin_mask, skin), (hair, hair_rgb)):
        rgb = rgb * (1 - layer[..., None]) + colour_rgb * layer[..., None]
    return _to_image(rgb, rng)


# =========================================================================== the bag scene
def _bag_shapes(size: tuple[int, int]) -> dict[str, np.ndarray]:
    """The bag's parts as coverages: a trapezoid body, a flap with a curved edge, a clasp,
    and a handle loop."""
    width, height = size
    cx, base, body_w, body_h = 0.5 * width, 0.80 * height, 0.30 * width, 0.30 * height
    body = _coverage(size, [_smooth_outline([
        (cx - 0.5 * body_w, base), (cx - 0.5 * body_w, base), (cx + 0.5 * body_w, base),
        (cx + 0.5 * body_w, base), (cx + 0.40 * body_w, base - body_h),
        (cx + 0.40 * body_w, base - body_h), (cx - 0.40 * body_w, base - body_h),
        (cx - 0.40 * body_w, base - body_h),
    ], rounds=3)])  # fmt: skip
    flap = _coverage(size, [_smooth_outline([
        (cx - 0.42 * body_w, base - body_h * 1.02), (cx + 0.42 * body_w, base - body_h * 1.02),
        (cx + 0.44 * body_w, base - 0.55 * body_h), (cx, base - 0.40 * body_h),
        (cx - 0.44 * body_w, base - 0.55 * body_h),
    ], rounds=3)]) * body  # fmt: skip
    angles = np.linspace(np.pi, 2 * np.pi, 64)
    top = base - body_h
    arc = np.vstack([
        [(cx - 0.27 * body_w, top + 0.06 * body_h)],
        np.column_stack([cx + 0.27 * body_w * np.cos(angles),
                         top + 0.5 * body_h * np.sin(angles)]),
        [(cx + 0.27 * body_w, top + 0.06 * body_h)],
    ])  # fmt: skip
    handle = _lines(size, [arc], 0.016 * width) * (1 - body)
    clasp_box = (cx - 0.035 * body_w, base - 0.46 * body_h, cx + 0.035 * body_w,
                 base - 0.36 * body_h)  # fmt: skip
    clasp = _coverage(size, [_smooth_outline([
        (clasp_box[0], clasp_box[1]), (clasp_box[2], clasp_box[1]),
        (clasp_box[2], clasp_box[3]), (clasp_box[0], clasp_box[3])], rounds=2)])  # fmt: skip

    return {"body": body, "flap": flap, "handle": handle, "clasp": clasp}


def bag_silhouette(size: tuple[int, int] = SCENE_SIZE) -> np.ndarray:
    """The bag's coverage (0..1) in the scene: what "remove the bag" should take away."""
    shapes = _bag_shapes(size)
    return np.clip(shapes["body"] + shapes["handle"], 0, 1)


def bag_scene(size: tuple[int, int] = SCENE_SIZE, *, seed: int = _SEED) -> Image.Image:
    """A tan leather bag on a table before a smooth wall: an object to remove or recolour."""
    rng = np.random.default_rng(seed + 11)
    width, height = size
    xs, ys = _grid(size)
    u, v = xs / width, ys / height

    horizon = 0.64
    wall = _colour((214, 219, 212)) * (0.9 + 0.1 * _smoothstep(0.0, horizon, v))[..., None]
    table_t = _smoothstep(horizon, 1.0, v)
    table = (
        _colour((232, 226, 216)) * (1 - table_t[..., None])
        + _colour((212, 203, 190)) * (table_t[..., None])
    )
    edge = _smoothstep(horizon - 0.002, horizon + 0.002, v)[..., None]
    rgb = wall * (1 - edge) + table * edge
    rgb *= (1.0 - 0.08 * np.clip(((u - 0.5) * 1.2) ** 2 + ((v - 0.5) * 0.8) ** 2, 0, 1))[..., None]

    shapes = _bag_shapes(size)
    body, flap, handle, clasp = shapes["body"], shapes["flap"], shapes["handle"], shapes["clasp"]

    leather = _colour((168, 110, 62))
    light = 1.08 - 0.25 * np.clip((u - 0.35) / 0.4, 0, 1) - 0.1 * np.clip((v - 0.5) / 0.4, 0, 1)
    depth = _smoothstep(0.2, 0.9, _blur(body, 0.02 * width))
    grain = _blur(rng.normal(0, 1, (height, width)).astype(np.float32), 1.2)
    body_rgb = leather * (light * (0.72 + 0.3 * depth) * (1 + 0.03 * grain))[..., None]
    flap_edge = _blur(flap, 0.004 * width)
    flap_shadow = np.clip(_shadow(flap, (0, int(0.008 * height)), 0.006 * width) - flap, 0, 1)
    body_rgb *= (1 - 0.35 * flap_shadow)[..., None]
    flap_rgb = (
        leather * 0.92 * (light * (0.80 + 0.25 * _smoothstep(0.3, 1.0, flap_edge)))[..., None]
    )
    handle_rgb = leather * 0.85 * light[..., None]
    gold = _colour((206, 170, 92)) * (0.85 + 0.35 * _smoothstep(0.0, 1.0, 1 - v / 0.7))[..., None]

    # Contact shadow on the table, and a soft cast shadow to the right.
    silhouette = np.clip(body + handle, 0, 1)
    ground = np.exp(-(((u - 0.52) / 0.2) ** 2 + ((v - 0.805) / 0.018) ** 2))
    cast = _shadow(silhouette, (int(0.03 * width), int(0.01 * height)), 0.025 * width)
    rgb *= (1 - 0.45 * ground - 0.12 * cast * edge[..., 0])[..., None]

    for layer, colour_rgb in ((body, body_rgb), (handle, handle_rgb), (flap, flap_rgb),
                              (clasp, gold)):  # fmt: skip
        rgb = rgb * (1 - layer[..., None]) + colour_rgb * layer[..., None]
    return _to_image(rgb, rng)


# =========================================================================== files
def jpeg_bytes(image: Image.Image, quality: int = JPEG_QUALITY) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, subsampling=0, optimize=True)
    return buffer.getvalue()


def _write_new(path: Path, make: Callable[[], bytes]) -> bool:
    """Write ``path`` atomically unless it exists already; True if written."""
    if path.is_file():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_bytes(make())
    os.replace(temp, path)
    return True


@dataclass(frozen=True, slots=True)
class SampleFiles:
    """The sample images as files in a folder."""

    folder: Path
    front: Path
    back: Path
    portrait: Path
    scene: Path
    shirt_asset: Path

    @property
    def garment_photos(self) -> dict[SourceKind, Path]:
        return {SourceKind.FRONT: self.front, SourceKind.BACK: self.back}


def write_sample_files(folder: Path) -> SampleFiles:
    """Draw the sample images into ``folder``, those not there yet (blocking; about 2 s for
    all of them)."""
    files = SampleFiles(
        folder=folder,
        front=folder / FRONT_FILE,
        back=folder / BACK_FILE,
        portrait=folder / PORTRAIT_FILE,
        scene=folder / SCENE_FILE,
        shirt_asset=folder / SHIRT_ASSET_FILE,
    )
    drawings: tuple[tuple[Path, Callable[[], bytes]], ...] = (
        (files.front, lambda: jpeg_bytes(tshirt_photo(SourceKind.FRONT))),
        (files.back, lambda: jpeg_bytes(tshirt_photo(SourceKind.BACK))),
        (
            files.portrait,
            lambda: jpeg_bytes(portrait_placeholder(skin_tone=PROFILE_FIELDS["skin_tone"])),
        ),
        (files.scene, lambda: jpeg_bytes(bag_scene())),
        # The creation's copy of the front photo (an asset of its own, named for the canvas).
        (files.shirt_asset, files.front.read_bytes),
    )
    try:
        for path, make in drawings:
            _write_new(path, make)
    except OSError as exc:
        raise ExternalError(
            f"The sample images could not be written to {folder}: {exc.strerror or exc}."
        ) from exc
    return files


# =========================================================================== into a workspace
@dataclass(frozen=True, slots=True)
class SamplesResult:
    """What :func:`create_samples` left in the workspace."""

    profile: Profile
    creation: CanvasThread
    #: The garment photos for the garment flow (drop one on the garment target).
    garment_photos: dict[SourceKind, Path]
    #: The product pack of the sample T-shirt on the sample profile (queued or done).
    pack_job: Job | None
    folder: Path
    #: What this call added (empty when everything was already there).
    added: tuple[str, ...] = field(default=())

    @property
    def message(self) -> str:
        """One sentence for the window."""
        if not self.added:
            return (
                "The samples are already in this workspace: the profile “"
                f"{self.profile.name}”, the creation “{self.creation.title}” and the T-shirt "
                f"photos in {self.folder}."
            )
        return (
            f"Added {', '.join(self.added)}. Open the creation “{self.creation.title}” in "
            "Canvas, paint over the bag and type “remove the bag”; the T-shirt photos for "
            f"cutouts and packs are in {self.folder}."
        )


_IN_PROGRESS: set[Path] = set()


async def create_samples(services: WorkspaceServices, *, pack: bool = True) -> SamplesResult:
    """Add the samples to the workspace of ``services`` (see the module docstring).

    Idempotent: what an earlier call made and still exists is reused, so calling it twice adds
    nothing the second time. Raises :class:`ExternalError` if the samples are being added
    already, or their files cannot be written.
    """
    store = services.store
    key = store.dirs.database
    if key in _IN_PROGRESS:
        raise ExternalError("The sample images are being added already.")
    _IN_PROGRESS.add(key)
    try:
        return await _create_samples(services, pack=pack)
    finally:
        _IN_PROGRESS.discard(key)


async def _create_samples(services: WorkspaceServices, *, pack: bool) -> SamplesResult:
    store = services.store
    loop = asyncio.get_running_loop()
    folder = store.dirs.root / SAMPLES_FOLDER
    files = await loop.run_in_executor(services.executor, write_sample_files, folder)
    remembered: dict[str, Any] = dict(
        await loop.run_in_executor(services.executor, store.sync_state.get, SAMPLES_KEY, {}) or {}
    )
    added: list[str] = []

    # The profile: the one made before, else one of that name (names are unique), else new.
    profile = await _existing_profile(services, remembered.get("profile_id"))
    if profile is None:
        profile = await services.profiles.create(PROFILE_NAME, **PROFILE_FIELDS)
        added.append(f"the profile “{profile.name}”")
    if not profile.reference_image_path:
        profile = await services.profiles.set_reference_image(profile.id, files.portrait)
        if not added:
            added.append(f"a reference image for “{profile.name}”")
    remembered["profile_id"] = profile.id
    await _remember(services, remembered)

    # The creation: the bag scene and the T-shirt, for Magic Canvas.
    creation = await _existing_creation(services, remembered.get("thread_id"))
    if creation is None:
        made = await services.imports.start_creation([files.scene, files.shirt_asset])
        creation = made.thread
        added.append(f"the creation “{creation.title}”")
        remembered["thread_id"] = creation.id
        await _remember(services, remembered)

    # A product pack of the sample T-shirt on the sample profile, so History has a job.
    pack_job: Job | None = None
    if pack:
        pack_job = await _existing_job(services, remembered.get("pack_job_id"))
        if pack_job is None:
            front, back = await loop.run_in_executor(
                services.executor, lambda: (files.front.read_bytes(), files.back.read_bytes())
            )
            pack_job = await services.garments.build_pack(profile.id, front=front, back=back)
            added.append("a product pack of the sample T-shirt")
            remembered["pack_job_id"] = pack_job.id
            await _remember(services, remembered)

    log.info("samples in workspace %s: %s", store.dirs.root.name, ", ".join(added) or "nothing new")
    return SamplesResult(
        profile=profile,
        creation=creation,
        garment_photos=files.garment_photos,
        pack_job=pack_job,
        folder=folder,
        added=tuple(added),
    )


async def _existing_profile(services: WorkspaceServices, profile_id: object) -> Profile | None:
    profiles = await services.profiles.list_profiles()
    for profile in profiles:
        if profile.id == profile_id:
            return profile
    for profile in profiles:
        if profile.name.casefold() == PROFILE_NAME.casefold():
            return profile
    return None


async def _existing_creation(services: WorkspaceServices, thread_id: object) -> CanvasThread | None:
    if not isinstance(thread_id, str):
        return None
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        services.executor, services.store.rows.get, CanvasThread, thread_id
    )


async def _existing_job(services: WorkspaceServices, job_id: object) -> Job | None:
    if not isinstance(job_id, str):
        return None
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(services.executor, services.store.rows.get, Job, job_id)


async def _remember(services: WorkspaceServices, remembered: dict[str, Any]) -> None:
    def write() -> None:
        with services.store.transaction():
            services.store.sync_state.set(SAMPLES_KEY, remembered)

    await asyncio.get_running_loop().run_in_executor(services.executor, write)
