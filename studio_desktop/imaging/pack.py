"""Product packs: catalogue images of a garment's cutouts on a profile's background.

:func:`render_pack` lays each angle's cutout on the same background in the same framing, so the
images of a pack line up when they sit side by side in a catalogue or a shop gallery:

- every image has the same canvas size (default 1600 x 2000, the 4:5 portrait shops use);
- the garment's bounding box is scaled to fit the same *safe area* (the canvas minus the same
  padding on every side), centred horizontally, and either centred vertically (``align="center"``,
  the default) or standing on the bottom of the safe area (``align="bottom"``);
- an optional soft drop shadow under the garment (from its own silhouette);
- extra views: ``"detail"`` (the centre of the front garment, 2.5x closer, for fabric and finish)
  and ``"front_back"`` (front and back side by side, each fitted to its half of the safe area).

``use_cutout=False`` places the original photos instead (no transparency): each photo's whole
frame is fitted into the same safe area, centred, on the same background.

Backgrounds (:func:`parse_background`) are read leniently from what a profile says: a colour name
or hex ("navy", "#f2efe9", "rgb(240, 238, 233)"), a studio style ("white studio", "light grey
sweep", "warm beige sweep", "gradient", "navy to white gradient", "transparent"), or an image
(cover-fitted). Anything unrecognised falls back to a white studio sweep, with
``Background.recognised`` False so the caller can say so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np
from PIL import Image

from studio_desktop.domain.errors import ValidationError
from studio_desktop.imaging.colours import RGB, find_colours
from studio_desktop.imaging.cutout import Cutout
from studio_desktop.imaging.operation_errors import NoGarmentFoundError
from studio_desktop.imaging.pixels import to_pil

BackgroundKind = Literal["flat", "sweep", "gradient", "image", "transparent"]
Align = Literal["center", "bottom"]

DEFAULT_CANVAS = (1600, 2000)
#: Padding on every side, as a fraction of the canvas's shorter side.
DEFAULT_PADDING = 0.08
#: How much closer the detail view is than the full view.
DETAIL_ZOOM = 2.5
DETAIL = "detail"
FRONT_BACK = "front_back"
#: Alpha at or above this counts as garment when measuring a cutout's bounding box.
ALPHA_FLOOR = 8

_STUDIO_WHITE: RGB = (244, 244, 242)
_WARM: RGB = (255, 238, 214)
_COOL: RGB = (222, 234, 255)


@dataclass(frozen=True)
class Background:
    """A parsed background. ``colour`` is the main colour (the centre of a sweep, the top of a
    gradient), ``colour2`` a gradient's bottom, ``image`` for ``kind == "image"``."""

    kind: BackgroundKind
    colour: RGB = _STUDIO_WHITE
    colour2: RGB | None = None
    image: Image.Image | None = field(default=None, compare=False)
    recognised: bool = True
    description: str = "white studio"

    def render(self, size: tuple[int, int]) -> Image.Image:
        """The background alone, ``size`` (width, height): RGB, or RGBA when transparent."""
        if self.kind == "transparent":
            return Image.new("RGBA", size, (0, 0, 0, 0))
        if self.kind == "flat":
            return Image.new("RGB", size, self.colour)
        if self.kind == "image":
            assert self.image is not None
            return _cover(self.image, size)
        if self.kind == "gradient":
            bottom = self.colour2 or _mix(self.colour, (255, 255, 255), 0.45)
            return _vertical_gradient(size, self.colour, bottom)
        return _sweep(size, self.colour)


def parse_background(spec: object) -> Background:
    """Read a profile's background leniently (see the module docstring). Never raises for text."""
    if isinstance(spec, Background):
        return spec
    if isinstance(spec, Image.Image | np.ndarray):
        image = to_pil(spec).convert("RGB")
        return Background("image", image=image, description="image")
    if isinstance(spec, tuple) and len(spec) == 3 and all(isinstance(v, int) for v in spec):
        rgb = (int(spec[0]), int(spec[1]), int(spec[2]))
        return Background("flat", rgb, description="#{:02x}{:02x}{:02x}".format(*rgb))
    text = spec.strip().lower() if isinstance(spec, str) else ""
    if not text:
        return Background("sweep", _STUDIO_WHITE, description="white studio")
    if re.search(r"\b(?:transparent|no background|none|cut ?out|alpha)\b", text):
        return Background("transparent", description="transparent")
    mentions = find_colours(text)
    colours = [m.colour.rgb for m in mentions]
    warm = bool(re.search(r"\bwarm\b", text))
    cool = bool(re.search(r"\bcool|cold\b", text))
    gradient = bool(re.search(r"\bgradi[ea]nt\b|\bfade\b|\bombre\b", text))
    studio = bool(
        re.search(r"\b(?:studio|sweep|seamless|cyclorama|cyc|infinity|backdrop|paper)\b", text)
    )
    if not colours and not (gradient or studio or warm or cool):
        return Background(
            "sweep", _STUDIO_WHITE, recognised=False, description="white studio (default)"
        )
    base = colours[0] if colours else _STUDIO_WHITE
    if re.search(r"\bwhite\b", text) and studio and len(colours) == 1:
        base = _STUDIO_WHITE  # a "white studio" is never paper-white #ffffff in a photo
    if warm:
        base = _mix(base, _multiply(base, _WARM), 0.5)
    if cool:
        base = _mix(base, _multiply(base, _COOL), 0.5)
    description = text
    if gradient:
        if len(colours) >= 2:
            return Background("gradient", base, colours[1], description=description)
        return Background("gradient", base if colours else (226, 226, 224), None, description=text)
    if studio or (warm or cool):
        return Background("sweep", base, description=description)
    return Background("flat", base, description=description)


def render_pack(
    cutouts: Mapping[str, Image.Image | np.ndarray | Cutout],
    background: object,
    *,
    canvas_size: tuple[int, int] = DEFAULT_CANVAS,
    padding: float = DEFAULT_PADDING,
    use_cutout: bool = True,
    align: Align = "center",
    shadow: bool = True,
    extras: Iterable[str] = (DETAIL, FRONT_BACK),
) -> dict[str, Image.Image]:
    """Render a product pack: one image per angle of ``cutouts`` (keys are angles, e.g. the
    values of ``domain.enums.Angle``), then the ``extras`` that apply ("detail" needs any angle,
    "front_back" needs both). Values are cutouts (RGBA images or :class:`Cutout`) or, with
    ``use_cutout=False``, the original photos (a :class:`Cutout` given then is flattened onto the
    background colour estimated from its photo). Returns new images keyed by angle, in order:
    RGB, or RGBA on a transparent background."""
    width, height = _check_canvas(canvas_size)
    if not 0 <= padding < 0.4:
        raise ValidationError(
            f"Padding must be between 0 and 0.4 of the canvas, not {padding}.", "padding"
        )
    if align not in ("center", "bottom"):
        raise ValidationError(f"Alignment must be “center” or “bottom”, not “{align}”.", "align")
    if not cutouts:
        raise ValidationError("A product pack needs at least one garment image.", "cutouts")
    back = parse_background(background)
    pad = round(padding * min(width, height))
    safe = (pad, pad, width - pad, height - pad)
    garments = {str(angle): _garment(angle, value, use_cutout) for angle, value in cutouts.items()}
    plate = back.render((width, height))
    out: dict[str, Image.Image] = {}
    for angle, garment in garments.items():
        scale = _fit(garment.size, safe)
        out[angle] = _place_all(
            plate, [(garment, scale, _anchor(garment, scale, safe, align))], shadow and use_cutout
        )
    wanted = set(extras)
    if DETAIL in wanted:
        first = garments.get("front") or next(iter(garments.values()))
        scale = _fit(first.size, safe) * DETAIL_ZOOM
        centre = (width / 2, height / 2)
        out[DETAIL] = _place_all(plate, [(first, scale, centre)], False)
    if FRONT_BACK in wanted and "front" in garments and "back" in garments:
        gutter = pad // 2
        middle = width // 2
        halves = [
            (safe[0], safe[1], middle - gutter, safe[3]),
            (middle + gutter, safe[1], safe[2], safe[3]),
        ]
        pair = [garments["front"], garments["back"]]
        # Each garment fits its half the way single angles fit the canvas: the same garment
        # photographed at different resolutions still appears at the same size.
        placed = [
            (g, _fit(g.size, half), _anchor(g, _fit(g.size, half), half, align))
            for g, half in zip(pair, halves, strict=True)
        ]
        out[FRONT_BACK] = _place_all(plate, placed, shadow and use_cutout)
    return out


# ----------------------------------------------------------------------------- placement


def _garment(
    angle: object, value: Image.Image | np.ndarray | Cutout, use_cutout: bool
) -> Image.Image:
    """The image to place, cropped to the garment: RGBA for cutouts, RGB for photos."""
    if isinstance(value, Cutout):
        image = value.image
        if not use_cutout:
            flat = Image.new("RGB", image.size, value.background)
            flat.paste(image, (0, 0), image)
            return flat
    else:
        image = to_pil(value)
    if not use_cutout:
        return image.convert("RGB") if image.mode != "RGB" else image
    if image.mode != "RGBA":
        return image.convert("RGBA")  # an opaque image is its own cutout (the whole frame)
    alpha = np.asarray(image.getchannel("A"))
    ys, xs = np.nonzero(alpha >= ALPHA_FLOOR)
    if ys.size == 0:
        raise NoGarmentFoundError(f"the {angle} cutout is completely transparent")
    return image.crop((int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1))


def _fit(size: tuple[int, int], area: tuple[int, int, int, int]) -> float:
    width, height = size
    return min((area[2] - area[0]) / width, (area[3] - area[1]) / height)


def _anchor(
    garment: Image.Image, scale: float, area: tuple[int, int, int, int], align: Align
) -> tuple[float, float]:
    """Canvas position of the garment's centre: centred horizontally in ``area``, and centred
    or standing on its bottom edge."""
    x0, y0, x1, y1 = area
    height = garment.size[1] * scale
    cy = (y0 + y1) / 2 if align == "center" else y1 - height / 2
    return ((x0 + x1) / 2, cy)


def _place_all(
    plate: Image.Image,
    placements: list[tuple[Image.Image, float, tuple[float, float]]],
    shadow: bool,
) -> Image.Image:
    canvas = plate.copy()
    layers = []
    for garment, scale, centre in placements:
        layer = _scaled_window(garment, scale, centre, canvas.size)
        if layer is not None:
            layers.append(layer)
    if shadow:
        for tile, (x, y) in layers:
            if tile.mode == "RGBA":
                canvas = _drop_shadow(canvas, tile, (x, y))
    for tile, (x, y) in layers:
        if tile.mode == "RGBA":
            if canvas.mode == "RGBA":
                canvas.alpha_composite(tile, (x, y))
            else:
                canvas.paste(tile, (x, y), tile)
        else:
            canvas.paste(tile.convert(canvas.mode), (x, y))
    return canvas


def _scaled_window(
    garment: Image.Image, scale: float, centre: tuple[float, float], canvas: tuple[int, int]
) -> tuple[Image.Image, tuple[int, int]] | None:
    """The part of ``garment`` that lands on the canvas, scaled, and where it goes. Only that
    part is resampled, so a close-up never resizes the whole garment."""
    width, height = canvas
    gw, gh = garment.size
    # Canvas rectangle of the whole scaled garment, rounded once so every angle agrees.
    left = round(centre[0] - gw * scale / 2)
    top = round(centre[1] - gh * scale / 2)
    right = left + max(1, round(gw * scale))
    bottom = top + max(1, round(gh * scale))
    cx0, cy0 = max(0, left), max(0, top)
    cx1, cy1 = min(width, right), min(height, bottom)
    if cx1 <= cx0 or cy1 <= cy0:
        return None
    sx = gw / (right - left)
    sy = gh / (bottom - top)
    box = ((cx0 - left) * sx, (cy0 - top) * sy, (cx1 - left) * sx, (cy1 - top) * sy)
    tile = garment.resize((cx1 - cx0, cy1 - cy0), Image.Resampling.LANCZOS, box=box)
    return tile, (cx0, cy0)


def _drop_shadow(canvas: Image.Image, tile: Image.Image, at: tuple[int, int]) -> Image.Image:
    """Darken the canvas under a soft, slightly lowered copy of the garment's silhouette."""
    width, height = canvas.size
    sigma = 0.012 * max(width, height)
    drop = round(0.006 * height)
    reach = int(3 * sigma) + drop + 2
    x, y = at
    tw, th = tile.size
    x0, y0 = max(0, x - reach), max(0, y - reach)
    x1, y1 = min(width, x + tw + reach), min(height, y + th + reach)
    silhouette = np.zeros((y1 - y0, x1 - x0), np.float32)
    alpha = np.asarray(tile.getchannel("A"), dtype=np.float32) / 255.0
    sy0 = y - y0 + drop
    sx0 = x - x0
    rows = max(0, min(th, silhouette.shape[0] - sy0))
    silhouette[sy0 : sy0 + rows, sx0 : sx0 + tw] = alpha[:rows]
    # The shadow is very soft: blur a quarter-size copy and scale it back (same look, 1/16 work).
    small = cv2.resize(
        silhouette,
        (max(1, silhouette.shape[1] // 4), max(1, silhouette.shape[0] // 4)),
        interpolation=cv2.INTER_AREA,
    )
    small = cv2.GaussianBlur(small, (0, 0), sigma / 4)
    soft = cv2.resize(
        small, (silhouette.shape[1], silhouette.shape[0]), interpolation=cv2.INTER_LINEAR
    )
    region = np.asarray(canvas.crop((x0, y0, x1, y1))).astype(np.float32)
    darken = 1.0 - 0.22 * soft
    region[..., :3] *= darken[..., None]
    if region.shape[2] == 4:
        region[..., 3] = np.maximum(region[..., 3], 255.0 * 0.22 * soft)
    result = canvas.copy()
    result.paste(Image.fromarray(np.clip(np.rint(region), 0, 255).astype(np.uint8)), (x0, y0))
    return result


# ----------------------------------------------------------------------------- backgrounds


def _check_canvas(size: tuple[int, int]) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValidationError(
            f"The canvas size must be two numbers, not “{size}”.", "canvas_size"
        ) from None
    if not (64 <= width <= 10_000 and 64 <= height <= 10_000):
        raise ValidationError(
            "The canvas must be between 64 and 10,000 pixels on each side, "
            f"not {width} x {height}.",
            "canvas_size",
        )
    return width, height


def _sweep(size: tuple[int, int], colour: RGB) -> Image.Image:
    """A studio sweep: a slightly deeper wall curving into a lighter floor, soft vignette."""
    width, height = size
    small_w, small_h = max(8, width // 8), max(8, height // 8)
    y, x = np.mgrid[0:small_h, 0:small_w].astype(np.float32)
    u = (x + 0.5) / small_w * 2 - 1
    v = (y + 0.5) / small_h * 2 - 1
    horizon = 1.0 / (1.0 + np.exp(-(v - 0.35) * 6.0))  # 0 on the wall, 1 on the floor
    light = 0.965 + 0.045 * horizon - 0.05 * (u**2 * 0.7 + v**2 * 0.3)
    base = np.array(colour, np.float32)[None, None, :]
    small = base * light[..., None]
    full = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    return Image.fromarray(_dither(full))


def _vertical_gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    width, height = size
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    column = np.array(top, np.float32) * (1 - t) + np.array(bottom, np.float32) * t
    full = np.broadcast_to(column, (height, width, 3))
    return Image.fromarray(_dither(np.ascontiguousarray(full)))


def _dither(values: np.ndarray) -> np.ndarray:
    """Round to 8 bits with a little fixed noise so smooth gradients do not band."""
    height, width = values.shape[:2]
    tile = np.random.default_rng(7).random((128, 128), dtype=np.float32) - 0.5
    noise = np.tile(tile, (height // 128 + 1, width // 128 + 1))[:height, :width, None]
    out = values + (0.5 + 0.9 * noise)
    np.floor(out, out=out)
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8)


def _cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale ``image`` to cover ``size`` and crop the middle (a background photo)."""
    width, height = size
    scale = max(width / image.width, height / image.height)
    box_w, box_h = width / scale, height / scale
    left = (image.width - box_w) / 2
    top = (image.height - box_h) / 2
    return image.resize(size, Image.Resampling.LANCZOS, box=(left, top, left + box_w, top + box_h))


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _multiply(a: RGB, b: RGB) -> RGB:
    return (a[0] * b[0] // 255, a[1] * b[1] // 255, a[2] * b[2] // 255)
