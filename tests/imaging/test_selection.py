"""Assisted selection on a real photo with a known object (tests/imaging/photo_scene.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from studio_desktop.domain.errors import BugError
from studio_desktop.imaging import selection as s
from tests.imaging.photo_scene import iou, photo_scene


@pytest.fixture(scope="module")
def scene():
    return photo_scene()


def test_magic_wand_takes_the_clicked_object_and_stops_at_its_edge(scene) -> None:
    x, y = scene.centre
    mask = s.magic_wand(scene.image, x, y)
    assert mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 255}
    assert iou(mask, scene.truth) >= 0.97
    # Nothing of the night sky around it.
    assert (mask[~scene.truth & (scene.alpha == 0)] == 0).mean() > 0.999


def test_magic_wand_tolerance_decides_how_far_it_spreads(scene) -> None:
    x, y = scene.centre
    tight = s.magic_wand(scene.image, x, y, 2)
    loose = s.magic_wand(scene.image, x, y, 20)
    assert (tight > 0).sum() < 0.5 * (loose > 0).sum()
    assert tight[y, x] == 255  # the clicked pixel is always in


def test_magic_wand_contiguous_or_not() -> None:
    image = np.full((60, 90, 3), 240, np.uint8)
    image[10:30, 10:30] = (200, 20, 20)
    image[10:30, 60:80] = (200, 20, 20)
    joined = s.magic_wand(image, 15, 15, 10)
    everywhere = s.magic_wand(image, 15, 15, 10, contiguous=False)
    assert (joined > 0).sum() == 400
    assert (everywhere > 0).sum() == 800


def test_wand_compares_colours_as_the_eye_does() -> None:
    """Two dark colours far apart to the eye (navy, black) are not merged, while two light
    greys a few RGB levels apart are."""
    image = np.zeros((20, 40, 3), np.uint8)
    image[:, :20] = (20, 24, 60)  # navy
    image[:, 20:] = (18, 18, 20)  # near black
    assert (s.magic_wand(image, 5, 5, 10) > 0).sum() == 400
    image[:, :20] = (225, 225, 225)
    image[:, 20:] = (231, 231, 231)
    assert (s.magic_wand(image, 5, 5, 10) > 0).sum() == 800


def test_colour_range_takes_the_colour_everywhere_with_a_soft_edge(scene) -> None:
    x, y = scene.centre
    colour = s.colour_at(scene.image, x, y)
    mask = s.colour_range(scene.image, colour)
    assert iou(mask, scene.truth) >= 0.97
    soft = (mask > 0) & (mask < 255)
    assert soft.any()  # a fuzziness, not a hard cut
    narrow = s.colour_range(scene.image, colour, 4)
    assert (narrow >= 128).sum() < (mask >= 128).sum()


def test_select_object_from_a_box(scene) -> None:
    mask = s.select_object(scene.image, s.Box(*scene.box))
    assert iou(mask, scene.truth) >= 0.97
    x, y, w, h = scene.box
    outside = np.ones(mask.shape, bool)
    outside[y : y + h, x : x + w] = False
    assert not mask[outside].any()


def test_select_object_from_a_click(scene) -> None:
    mask = s.select_object(scene.image, click=scene.centre)
    assert iou(mask, scene.truth) >= 0.95


def test_select_object_odd_boxes() -> None:
    flat = np.full((50, 70, 3), 128, np.uint8)
    # Off the image: nothing.
    assert not s.select_object(flat, s.Box(100, 100, 10, 10)).any()
    # A flat image: GrabCut cannot model it; the box itself comes back, no crash.
    box = s.select_object(flat, s.Box(10, 10, 20, 20))
    assert box.shape == (50, 70)
    assert not box[:10].any()
    # The whole image as the box still works.
    whole = s.select_object(flat, s.Box(-5, -5, 200, 200))
    assert whole.shape == (50, 70)
    with pytest.raises(BugError):
        s.select_object(flat)
    with pytest.raises(BugError):
        s.select_object(flat, click=(70, 0))


def test_cancelled_object_selection_returns_nothing(scene) -> None:
    mask = s.select_object(scene.image, s.Box(*scene.box), is_cancelled=lambda: True)
    assert not mask.any()


def _disc(radius: int, size: int = 200) -> np.ndarray:
    mask = np.zeros((size, size), np.uint8)
    cv2.circle(mask, (size // 2, size // 2), radius, 255, -1)
    return mask


def test_grow_and_shrink_by_n_pixels() -> None:
    disc = _disc(40)
    grown = s.grow(disc, 10)
    shrunk = s.shrink(disc, 10)
    assert abs((grown > 0).sum() / (np.pi * 50**2) - 1) < 0.03
    assert abs((shrunk > 0).sum() / (np.pi * 30**2) - 1) < 0.03
    assert np.array_equal(s.grow(disc, 0), disc)
    # Shrinking leaves a selection touching the image's edge on that edge.
    edge = np.zeros((50, 50), np.uint8)
    edge[:, :20] = 255
    assert (s.shrink(edge, 5)[:, 0] == 255).all()


def test_feather_softens_the_edge_and_keeps_the_area() -> None:
    disc = _disc(40)
    soft = s.feather(disc, 8)
    values = np.unique(soft)
    assert len(values) > 50
    assert abs(int(soft.sum()) / int(disc.sum()) - 1) < 0.02
    assert soft[100, 100] == 255 and soft[0, 0] == 0


def test_invert_and_combine() -> None:
    a = np.zeros((10, 10), np.uint8)
    a[:, :5] = 255
    b = np.zeros((10, 10), np.uint8)
    b[:5, :] = 200
    assert np.array_equal(s.invert(a), 255 - a)
    added = s.combine(a, b)
    assert added[0, 9] == 200 and added[9, 0] == 255 and added[9, 9] == 0
    taken = s.combine(a, b, s.Combine.SUBTRACT)
    assert taken[0, 0] == 55 and taken[9, 0] == 255 and taken[0, 9] == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda: s.magic_wand(np.zeros((5, 5), np.uint8), 1, 1),
        lambda: s.magic_wand(np.zeros((5, 5, 3), np.uint8), 5, 1),
        lambda: s.magic_wand(np.zeros((5, 5, 3), np.uint8), -1, 1),
        lambda: s.grow(np.zeros((5, 5), np.uint8), -1),
        lambda: s.feather(np.zeros((5, 5, 3), np.uint8), 2),
        lambda: s.combine(np.zeros((5, 5), np.uint8), np.zeros((4, 5), np.uint8)),
        lambda: s.colour_range(np.zeros((5, 5, 3), np.float32), (1, 2, 3)),
    ],
)
def test_wrong_calls_are_bugs(call) -> None:
    with pytest.raises(BugError):
        call()


def test_work_near_the_mask_equals_work_on_the_whole_image() -> None:
    """Grow, shrink and feather work round the selected part only; the result is the one a
    whole-image operation gives."""
    rng = np.random.default_rng(3)
    mask = np.zeros((300, 400), np.uint8)
    for _ in range(5):
        cx, cy = rng.integers(0, 400), rng.integers(0, 300)
        cv2.circle(
            mask, (int(cx), int(cy)), int(rng.integers(5, 60)), int(rng.integers(60, 256)), -1
        )
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (21, 21))
    assert np.array_equal(s.grow(mask, 10), cv2.dilate(mask, disc, borderValue=0))
    assert np.array_equal(
        s.shrink(mask, 10), cv2.erode(mask, disc, borderType=cv2.BORDER_REPLICATE)
    )
    whole = cv2.GaussianBlur(mask, (0, 0), sigmaX=5.0, borderType=cv2.BORDER_REPLICATE)
    assert np.abs(s.feather(mask, 10).astype(int) - whole.astype(int)).max() <= 1
    empty = np.zeros((50, 50), np.uint8)
    assert not s.grow(empty, 5).any() and not s.feather(empty, 5).any()
