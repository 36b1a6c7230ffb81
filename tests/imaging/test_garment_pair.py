"""Front and back of one garment vs a mismatched pair (issue 14, item 15), on cutouts made by
the real cutout code from synthetic product photos (T-shirts, trousers)."""

from __future__ import annotations

import numpy as np

from studio_desktop.imaging.cutout import extract_garment
from studio_desktop.imaging.garment_pair import GarmentCategory, compare_pair, garment_signature
from tests.imaging.garments import coloured_sweep, plain_white, studio_sweep, white_on_grey


def signature(scene):
    return garment_signature(np.asarray(extract_garment(scene.photo).image))


def test_categories_and_colours_of_the_cutouts() -> None:
    tee = signature(studio_sweep())
    trousers = signature(coloured_sweep())
    white_tee = signature(white_on_grey())
    assert tee.category is GarmentCategory.TOP, tee
    assert white_tee.category is GarmentCategory.TOP, white_tee
    assert trousers.category is GarmentCategory.TROUSERS, trousers
    assert tee.colour_name == "red"
    assert trousers.colour_name in {"navy", "black"}
    assert white_tee.colour_name == "white"


def test_front_and_back_of_one_tee_match() -> None:
    front = signature(studio_sweep(seed=1))
    back = signature(studio_sweep((400, 470), seed=7))
    verdict = compare_pair(front, back)
    assert verdict.matches, verdict.reasons


def test_a_tee_front_with_a_trousers_back_is_flagged() -> None:
    verdict = compare_pair(signature(studio_sweep()), signature(coloured_sweep()))
    assert not verdict.matches
    assert verdict.reasons[0] == "The front looks like a top and the back like trousers."
    assert "colours differ (the front is mostly red" in verdict.message
    assert ".." not in verdict.message


def test_same_shape_other_colour_is_flagged() -> None:
    verdict = compare_pair(signature(studio_sweep()), signature(plain_white()))
    assert not verdict.matches
    assert verdict.reasons == (
        "Their colours differ (the front is mostly red, the back "
        + signature(plain_white()).colour_name
        + ").",
    )
