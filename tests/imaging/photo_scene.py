"""A photographic test scene with a known object: a textured "bag" (an ellipse carrying the
luminance of a real photo, tinted one colour) composited with an antialiased edge onto a real
photo from scikit-image's sample data. The truth is the compositing alpha."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from skimage import data


@dataclass(frozen=True)
class Scene:
    image: np.ndarray  # H x W x 3 uint8 RGB
    alpha: np.ndarray  # H x W float32 0..1, the object's coverage
    centre: tuple[int, int]
    box: tuple[int, int, int, int]  # x, y, width, height round the object

    @property
    def truth(self) -> np.ndarray:
        return self.alpha >= 0.5


def photo_scene(
    background: str = "rocket",
    colour: tuple[int, int, int] = (180, 40, 50),
    size: tuple[int, int] = (640, 427),
) -> Scene:
    back = getattr(data, background)()
    if back.ndim == 2:
        back = np.stack([back] * 3, axis=-1)
    back = cv2.resize(back, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    w, h = size
    texture = cv2.resize(data.coffee(), size, interpolation=cv2.INTER_AREA).astype(np.float32)
    luminance = texture.mean(axis=2) / 255.0
    # The photo's light and shade, kept within +-12 % so the bag reads as one colour.
    shade = 1.0 + 0.24 * (luminance - luminance.mean())
    bag = np.clip(np.array(colour, np.float32) * shade[..., None], 0, 255)
    cx, cy, rx, ry = w // 2, h // 2, w // 6, h // 4
    big = np.zeros((h * 4, w * 4), np.uint8)
    cv2.ellipse(big, (cx * 4, cy * 4), (rx * 4, ry * 4), 15, 0, 360, 255, -1)
    alpha = cv2.resize(big.astype(np.float32) / 255.0, size, interpolation=cv2.INTER_AREA)
    image = back * (1 - alpha[..., None]) + bag * alpha[..., None]
    ys, xs = np.nonzero(alpha > 0)
    box = (int(xs.min()) - 6, int(ys.min()) - 6, int(np.ptp(xs)) + 13, int(np.ptp(ys)) + 13)
    return Scene(np.round(image).astype(np.uint8), alpha, (cx, cy), box)


def iou(mask: np.ndarray, truth: np.ndarray) -> float:
    chosen = mask >= 128
    return float((chosen & truth).sum() / max(1, (chosen | truth).sum()))
