"""Framing a person from the top (issue 14, item 10): the subject found against a studio
backdrop, the box placed so the head is in it; a busy picture gets a top-biased box."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from studio_desktop.imaging.framing import Focus, frame_box, subject_focus
from tests.ui.profiles.helpers import portrait

HEAD = (150, 90, 80)


def tall_portrait(size: tuple[int, int] = (300, 720), head_x: float = 0.5) -> np.ndarray:
    """A full-length figure on a graded backdrop, the head near the top (y 40..130)."""
    w, h = size
    ramp = np.linspace(0.8, 1.0, h, dtype=np.float32)[:, None, None]
    image = Image.fromarray(
        (np.ones((h, w, 3), np.float32) * [232, 228, 222] * ramp).astype(np.uint8)
    )
    draw = ImageDraw.Draw(image)
    cx = round(w * head_x)
    draw.ellipse((cx - 38, 40, cx + 38, 130), fill=HEAD)
    draw.rounded_rectangle((cx - 80, 140, cx + 80, h - 40), radius=40, fill=(40, 60, 120))
    return np.asarray(image)


def head_inside(box: tuple[int, int, int, int], head: tuple[int, int, int, int]) -> float:
    x, y, w, h = box
    hx0, hy0, hx1, hy1 = head
    ix = max(0, min(x + w, hx1) - max(x, hx0))
    iy = max(0, min(y + h, hy1) - max(y, hy0))
    return ix * iy / ((hx1 - hx0) * (hy1 - hy0))


def test_the_head_of_a_tall_portrait_stays_in_a_square_box() -> None:
    rgb = tall_portrait()
    focus = subject_focus(rgb)
    assert focus is not None
    assert abs(focus.x - 0.5) < 0.03
    assert abs(focus.top - 40 / 720) < 0.02
    box = frame_box(300, 720, 188, 172, focus)
    head = (112, 40, 188, 130)
    assert head_inside(box, head) == 1.0
    # A centre crop cuts it off entirely: the reason for this module.
    x, y, w, h = 0, (720 - 274) // 2, 300, 274
    assert head_inside((x, y, w, h), head) == 0.0


def test_a_head_off_centre_is_followed() -> None:
    rgb = tall_portrait((600, 500), head_x=0.3)
    focus = subject_focus(rgb)
    assert focus is not None and abs(focus.x - 0.3) < 0.03
    box = frame_box(600, 500, 100, 100, focus)
    assert head_inside(box, (142, 40, 218, 130)) == 1.0


def test_the_test_suites_portrait_photo(tmp_path: Path) -> None:
    path = portrait(tmp_path / "p.jpg", (150, 60, 60), size=(360, 900))
    rgb = np.asarray(Image.open(path).convert("RGB"))
    focus = subject_focus(rgb)
    assert focus is not None
    head_top = 900 // 6
    assert abs(focus.top * 900 - head_top) < 12
    box = frame_box(360, 900, 188, 172, focus)
    assert box[1] <= head_top and box[1] + box[3] > head_top + 360 / 3.2


def test_a_cutout_uses_its_alpha() -> None:
    rgba = np.zeros((400, 200, 4), np.uint8)
    rgba[60:380, 50:150] = (30, 30, 30, 255)
    focus = subject_focus(rgba)
    assert focus == Focus(x=0.5, top=60 / 400)


def test_no_subject_frames_near_the_top() -> None:
    rng = np.random.default_rng(4)
    busy = rng.integers(0, 255, (300, 200, 3), dtype=np.uint8)
    assert subject_focus(busy) is None
    plain = np.full((300, 200, 3), 200, np.uint8)
    assert subject_focus(plain) is None
    x, y, w, h = frame_box(200, 300, 100, 100, None)
    assert (x, w, h) == (0, 200, 200) and y == round(100 * 0.12)
