"""Do a front and a back photo show the same garment? A signature per cutout — its category
(top, trousers, dress or skirt, from the silhouette), its proportions and its colour — and a
verdict on a pair, with the reasons a designer reads ("the front looks like a top and the back
like trousers").

It works on the cutouts (:class:`~studio_desktop.imaging.cutout.Cutout` images: RGBA, cropped to
the garment), which the garment panel already has; it decides nothing on its own: the panel
warns and the designer may use the pair anyway (a reversible print, a back with a hood).

    verdict = compare_pair(garment_signature(front_rgba), garment_signature(back_rgba))
    if not verdict.matches: show(verdict.message)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

#: Rows (fractions of the garment's height) its widths are measured at.
PROFILE_ROWS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
#: A pair whose height/width ratios differ by more than this factor differ in shape.
MAX_ASPECT_FACTOR = 1.35
#: A pair whose main colours are further apart than this (CIE76 ΔE) differ in colour.
MAX_COLOUR_DELTA = 30.0

_NAMED_COLOURS: dict[str, tuple[int, int, int]] = {
    "black": (25, 25, 25),
    "white": (245, 245, 245),
    "grey": (128, 128, 128),
    "navy": (30, 40, 90),
    "blue": (40, 90, 200),
    "light blue": (150, 190, 230),
    "red": (190, 35, 45),
    "pink": (235, 150, 180),
    "orange": (240, 140, 40),
    "yellow": (240, 215, 60),
    "green": (50, 140, 70),
    "olive": (110, 110, 50),
    "brown": (110, 70, 40),
    "beige": (215, 195, 160),
    "purple": (110, 50, 140),
}


class GarmentCategory(StrEnum):
    TOP = "top"
    TROUSERS = "trousers"
    DRESS = "dress or skirt"
    UNKNOWN = "garment"

    @property
    def phrase(self) -> str:
        return {
            "top": "a top",
            "trousers": "trousers",
            "dress or skirt": "a dress or skirt",
            "garment": "a garment",
        }[self.value]


@dataclass(frozen=True, slots=True)
class GarmentSignature:
    category: GarmentCategory
    aspect: float  # height / width of the garment
    widths: tuple[float, ...]  # at PROFILE_ROWS, as a part of the widest row
    lab: tuple[float, float, float]  # the garment's median colour
    colour_name: str


@dataclass(frozen=True, slots=True)
class PairVerdict:
    matches: bool
    reasons: tuple[str, ...]

    @property
    def message(self) -> str:
        if self.matches:
            return "The front and the back look like the same garment."
        return "These may not be the same garment: " + " ".join(self.reasons)


def _lab(rgb: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    import cv2

    return cv2.cvtColor(rgb.reshape(-1, 1, 3) / 255.0, cv2.COLOR_RGB2Lab).reshape(-1, 3)


def _runs(row: npt.NDArray[np.bool_]) -> int:
    padded = np.concatenate([[False], row, [False]])
    return int(np.count_nonzero(padded[1:] & ~padded[:-1]))


def _colour_name(lab: npt.NDArray[np.float32]) -> str:
    names = list(_NAMED_COLOURS)
    refs = _lab(np.array([_NAMED_COLOURS[n] for n in names], np.float32))
    return names[int(np.argmin(np.linalg.norm(refs - lab, axis=1)))]


def garment_signature(rgba: npt.NDArray[np.uint8]) -> GarmentSignature:
    """The signature of a cutout (H x W x 4, alpha 255 = garment). Raises ValueError when the
    image holds no garment."""
    if rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError("a cutout is an RGBA image")
    mask = rgba[..., 3] > 127
    ys, xs = np.nonzero(mask)
    if ys.size < 50:
        raise ValueError("the cutout holds no garment")
    mask = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    height, width = mask.shape
    row_widths = mask.sum(axis=1).astype(np.float32)
    widest = float(row_widths.max())
    widths = tuple(
        float(row_widths[min(height - 1, round(f * (height - 1)))] / widest) for f in PROFILE_ROWS
    )
    lower = [mask[min(height - 1, round(f * (height - 1)))] for f in (0.6, 0.7, 0.8, 0.9)]
    two_legs = sum(_runs(r) == 2 for r in lower) >= 3
    upper_wide = max(widths[1:4])
    if two_legs and widths[0] < 0.9:
        category = GarmentCategory.TROUSERS
    elif upper_wide >= 0.9 and widths[7] <= 0.8 * upper_wide:
        category = GarmentCategory.TOP  # sleeves: widest near the shoulders
    elif widths[8] >= 0.95 and widths[1] <= 0.8 and height / width > 1.1:
        category = GarmentCategory.DRESS  # widening down to the hem
    elif height / width < 1.35 and not two_legs:
        category = GarmentCategory.TOP
    else:
        category = GarmentCategory.UNKNOWN
    opaque = rgba[..., :3][rgba[..., 3] > 200].astype(np.float32)
    if opaque.shape[0] > 20_000:
        opaque = opaque[:: opaque.shape[0] // 20_000]
    lab = np.median(_lab(opaque), axis=0)
    return GarmentSignature(
        category,
        height / width,
        widths,
        (float(lab[0]), float(lab[1]), float(lab[2])),
        _colour_name(lab),
    )


def compare_pair(front: GarmentSignature, back: GarmentSignature) -> PairVerdict:
    """Whether ``front`` and ``back`` look like two sides of one garment, and why not."""
    reasons: list[str] = []
    known = GarmentCategory.UNKNOWN
    if front.category != back.category and known not in (front.category, back.category):
        reasons.append(
            f"the front looks like {front.category.phrase} and the back like "
            f"{back.category.phrase}."
        )
    else:
        factor = max(front.aspect, back.aspect) / min(front.aspect, back.aspect)
        if factor > MAX_ASPECT_FACTOR:
            reasons.append(
                f"their shapes differ (the {'front' if front.aspect > back.aspect else 'back'} "
                f"is {factor:.1f} times as long for its width)."
            )
    delta = float(np.linalg.norm(np.subtract(front.lab, back.lab)))
    if delta > MAX_COLOUR_DELTA:
        if front.colour_name != back.colour_name:
            reasons.append(
                f"their colours differ (the front is mostly {front.colour_name}, "
                f"the back {back.colour_name})."
            )
        else:
            reasons.append("their colours differ clearly.")
    if len(reasons) > 1:
        reasons = [reasons[0][0].upper() + reasons[0][1:]] + ["Also, " + r for r in reasons[1:]]
    elif reasons:
        reasons = [reasons[0][0].upper() + reasons[0][1:]]
    return PairVerdict(not reasons, tuple(reasons))
