"""Garment cutouts scored against the true shape of garments drawn in the tests."""

from __future__ import annotations

import hashlib

import cv2
import numpy as np
import pytest
from PIL import Image

from studio_desktop.imaging.cutout import Cutout, extract_garment
from studio_desktop.imaging.errors import ImageError
from studio_desktop.imaging.hashing import source_hash
from studio_desktop.imaging.operation_errors import NoGarmentFoundError, NotAProductPhotoError
from tests.imaging import garments


def alpha_on_canvas(cutout: Cutout) -> np.ndarray:
    return np.asarray(cutout.on_canvas())[..., 3]


@pytest.mark.parametrize(
    "scene",
    [
        garments.plain_white,
        garments.studio_sweep,
        garments.white_on_grey,
        garments.coloured_sweep,
    ],
    ids=["plain-white", "studio-sweep-shadow", "white-on-light-grey", "trousers-beige-sweep"],
)
def test_cutout_matches_the_true_garment(scene: object) -> None:
    made = scene()  # type: ignore[operator]
    cutout = extract_garment(made.photo)
    found = alpha_on_canvas(cutout) >= 128
    score = garments.iou(found, made.truth)
    assert score >= 0.95, f"{made.name}: IoU {score:.4f}"
    ys, xs = np.nonzero(made.truth)
    x0, y0, x1, y1 = cutout.bbox
    assert abs(x0 - xs.min()) <= 3 and abs(x1 - (xs.max() + 1)) <= 3
    assert abs(y0 - ys.min()) <= 3 and abs(y1 - (ys.max() + 1)) <= 3
    assert 0.0 <= cutout.confidence <= 1.0


def test_cutout_at_full_resolution_path() -> None:
    """Above the working size the edges are re-decided at full resolution."""
    made = garments.white_on_grey((900, 1200))
    cutout = extract_garment(made.photo)
    assert garments.iou(alpha_on_canvas(cutout) >= 128, made.truth) >= 0.97
    made = garments.studio_sweep((900, 1200))
    cutout = extract_garment(made.photo)
    assert garments.iou(alpha_on_canvas(cutout) >= 128, made.truth) >= 0.97


def test_shadow_and_gaps_are_not_garment() -> None:
    made = garments.studio_sweep()
    alpha = alpha_on_canvas(extract_garment(made.photo))
    ys, xs = np.nonzero(made.truth)
    hem, middle = ys.max(), int(xs.mean())
    # The soft ground shadow lies just below the hem: it must be transparent.
    assert alpha[hem + 6 : hem + 20, middle - 30 : middle + 30].max() == 0

    made = garments.coloured_sweep()
    alpha = alpha_on_canvas(extract_garment(made.photo))
    ys, xs = np.nonzero(made.truth)
    gap_y = int(ys.min() + 0.8 * (ys.max() - ys.min()))
    gap_x = int((xs.min() + xs.max()) / 2)
    assert not made.truth[gap_y, gap_x]
    assert alpha[gap_y, gap_x] == 0, "the gap between the legs must stay transparent"


def test_cutout_image_is_cropped_rgba_with_source_colours_and_soft_edges() -> None:
    made = garments.plain_white()
    photo = made.photo.copy()
    cutout = extract_garment(photo)
    assert np.array_equal(photo, made.photo), "the input must not be modified"
    x0, y0, x1, y1 = cutout.bbox
    assert cutout.image.mode == "RGBA"
    assert cutout.image.size == (x1 - x0, y1 - y0)
    assert cutout.source_size == (photo.shape[1], photo.shape[0])
    rgba = np.asarray(cutout.image)
    opaque = rgba[..., 3] == 255
    assert np.array_equal(rgba[..., :3][opaque], photo[y0:y1, x0:x1][opaque])
    partial = (rgba[..., 3] > 0) & (rgba[..., 3] < 255)
    # Feathered edges: a band a few pixels wide along the outline, no more.
    perimeter = cv2.arcLength(
        max(
            cv2.findContours(made.truth.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)[
                0
            ],
            key=len,
        ),
        True,
    )
    assert 1.0 * perimeter < partial.sum() < 5.0 * perimeter
    assert np.array_equal(np.asarray(cutout.alpha), rgba[..., 3])
    # The estimated background is the photo's white.
    assert all(abs(c - 250) <= 3 for c in cutout.background)


def test_pil_and_array_inputs_agree() -> None:
    made = garments.studio_sweep()
    a = extract_garment(made.photo)
    b = extract_garment(Image.fromarray(made.photo))
    assert a.bbox == b.bbox
    assert np.array_equal(np.asarray(a.image), np.asarray(b.image))


def test_existing_transparency_is_used_as_the_cutout() -> None:
    made = garments.plain_white()
    alpha = np.where(made.truth, 255, 0).astype(np.uint8)
    rgba = Image.fromarray(np.dstack([made.photo, alpha]))
    cutout = extract_garment(rgba)
    assert np.array_equal(alpha_on_canvas(cutout), alpha)
    assert cutout.confidence == 1.0


def test_garment_touching_one_edge_is_fine() -> None:
    photo = np.full((300, 260, 3), 248, np.uint8)
    cv2.rectangle(photo, (80, 120), (180, 299), (120, 30, 60), -1)
    cutout = extract_garment(photo)
    x0, y0, x1, y1 = cutout.bbox
    assert y1 == 300  # it runs off the bottom edge
    assert abs(x0 - 80) <= 2 and abs(y0 - 120) <= 2 and abs(x1 - 181) <= 2
    assert np.asarray(cutout.alpha)[5:-5, 5:-5].min() == 255


def blank(value: int = 242) -> np.ndarray:
    rng = np.random.default_rng(4)
    return np.clip(value + rng.normal(0, 1.5, (300, 240, 3)), 0, 255).astype(np.uint8)


@pytest.mark.parametrize(
    ("photo", "error", "words"),
    [
        (blank(), NoGarmentFoundError, "No garment found"),
        (np.full((200, 200, 3), 0, np.uint8), NoGarmentFoundError, "No garment found"),
        (
            np.dstack([np.tile(np.linspace(170, 250, 240), (300, 1))] * 3).astype(np.uint8),
            NoGarmentFoundError,
            "No garment found",
        ),
        (np.full((10, 10, 3), 255, np.uint8), NoGarmentFoundError, "10 x 10"),
        (
            (np.random.default_rng(5).random((240, 240, 3)) * 255).astype(np.uint8),
            NotAProductPhotoError,
            "not plain",
        ),
    ],
    ids=["blank", "black", "gradient-only", "tiny", "noise"],
)
def test_photos_without_a_garment_get_a_clear_error(
    photo: np.ndarray, error: type[ImageError], words: str
) -> None:
    with pytest.raises(error) as info:
        extract_garment(photo)
    assert words in info.value.message
    assert isinstance(info.value, ImageError)


def test_subject_filling_the_frame_is_not_a_product_photo() -> None:
    photo = np.full((300, 300, 3), 245, np.uint8)
    cv2.ellipse(photo, (150, 150), (170, 175), 0, 0, 360, (40, 70, 150), -1)
    with pytest.raises(NotAProductPhotoError) as info:
        extract_garment(photo)
    assert "product photo" in info.value.message


def test_source_hash_is_sha256_hex() -> None:
    assert source_hash(b"abc") == hashlib.sha256(b"abc").hexdigest()
    assert source_hash(b"abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert source_hash(b"") != source_hash(b"\x00")
