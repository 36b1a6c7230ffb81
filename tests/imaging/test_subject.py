"""The main subject as a mask for edits with nothing painted (imaging/subject.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from studio_desktop.imaging.edits import recolor
from studio_desktop.imaging.operation_errors import NoGarmentFoundError, NotAProductPhotoError
from studio_desktop.imaging.subject import background_mask, subject_mask
from tests.bench import quality_scenes as qs
from tests.imaging import garments


@pytest.mark.parametrize("make", [garments.studio_sweep, garments.plain_white])
def test_the_subject_mask_is_the_garment_as_a_soft_l_mask(make) -> None:  # type: ignore[no-untyped-def]
    scene = make()
    mask = subject_mask(scene.photo)
    assert mask.mode == "L" and mask.size == (scene.photo.shape[1], scene.photo.shape[0])
    found = np.asarray(mask) >= 128
    iou = (found & scene.truth).sum() / (found | scene.truth).sum()
    assert iou > 0.95
    values = np.asarray(mask)
    assert ((values > 0) & (values < 255)).any()  # a feathered edge, composited as alpha


@pytest.mark.parametrize("make", [garments.studio_sweep, garments.plain_white])
def test_a_recolour_with_no_mask_leaves_no_fringe_on_the_background(make) -> None:  # type: ignore[no-untyped-def]
    """The background just outside the garment keeps its colour: the cutout's own feathering
    reached past the edge and tinted a 1-2 px ring (colour difference 26 at the 90th
    percentile of the ring, a lavender line round a shirt made navy)."""
    from skimage.color import deltaE_ciede2000, rgb2lab

    scene = make()
    mask = subject_mask(scene.photo)
    out = np.asarray(recolor(scene.photo, mask, "navy"))[..., :3]
    garment = scene.truth.astype(np.uint8)
    ring = (cv2.dilate(garment, np.ones((5, 5), np.uint8)) > 0) & (garment == 0)
    change = deltaE_ciede2000(rgb2lab(scene.photo[ring] / 255.0), rgb2lab(out[ring] / 255.0))
    assert np.percentile(change, 90) < 15
    assert np.median(change) < 0.5
    inside = cv2.erode(garment, np.ones((3, 3), np.uint8)) > 0
    assert np.asarray(mask)[inside].mean() > 250  # the garment's own edge pixels recoloured


def test_the_background_mask_is_the_inverse() -> None:
    scene = garments.studio_sweep()
    subject = np.asarray(subject_mask(scene.photo)).astype(int)
    background = np.asarray(background_mask(Image.fromarray(scene.photo))).astype(int)
    assert (subject + background == 255).all()


def test_a_busy_photo_has_no_single_subject() -> None:
    with pytest.raises((NoGarmentFoundError, NotAProductPhotoError)) as caught:
        subject_mask(qs.photo("gravel"))
    assert len(caught.value.message) > 30
