"""Recolour that looks like the material: shading kept, target hue/chroma hit, black, white and
pastels without crushing or clipping, on real photographic surfaces (scikit-image's bundled
photos as the cloth's texture and shading)."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.color import deltaE_ciede2000, rgb2lab

from studio_desktop.imaging.colours import FASHION_COLOURS, lookup_colour
from studio_desktop.imaging.edits import _soft_clip, recolor
from tests.bench import quality_scenes as qs


def garment() -> tuple[np.ndarray, np.ndarray]:
    """A red shirt whose surface is a real photo's texture and folds, on a real photo."""
    truth = qs.polygon(qs.TSHIRT)
    surface = qs.material("chelsea", (190, 40, 45), seed=3)
    image = qs.compose(qs.photo("coffee"), surface, truth)
    return image, (truth * 255).astype(np.uint8)


def interior(mask: np.ndarray) -> np.ndarray:
    return mask == 255


def lightness(rgb: np.ndarray) -> np.ndarray:
    return rgb2lab(rgb.astype(np.float64) / 255.0)[..., 0]


@pytest.mark.parametrize(
    "name", ["navy", "black", "white", "cream", "blush", "babyblue", "burgundy", "mustard"]
)
def test_shading_is_kept_and_the_hue_and_chroma_are_the_targets(name: str) -> None:
    image, mask = garment()
    colour = lookup_colour(name)
    assert colour is not None
    out = np.asarray(recolor(image, mask, colour))
    where = interior(mask)
    before, after = lightness(image)[where], lightness(out)[where]
    assert np.corrcoef(before, after)[0, 1] >= 0.97, name  # every fold where it was
    lab = rgb2lab(out.astype(np.float64) / 255.0)[where]
    target = rgb2lab(np.array([[colour.rgb]], np.float64) / 255.0)[0, 0]
    want = lab.copy()
    want[:, 1:] = target[1:]
    assert np.median(deltaE_ciede2000(lab, want)) <= 1.0, name


def test_black_keeps_its_folds_and_is_not_crushed() -> None:
    image, mask = garment()
    out = np.asarray(recolor(image, mask, "black"))
    l_after = lightness(out)[interior(mask)]
    assert 10 <= l_after.mean() <= 20  # black cloth as it photographs
    assert (l_after < 1.0).mean() < 0.005  # no crushed pixels
    assert l_after.std() >= 3.0  # the folds still show


def test_white_keeps_its_folds_and_is_not_clipped() -> None:
    image, mask = garment()
    out = np.asarray(recolor(image, mask, "white"))  # divided by zero before: warnings are errors
    where = interior(mask)
    l_after = lightness(out)[where]
    assert 85 <= l_after.mean() <= 93
    assert (out[where] == 255).all(axis=1).mean() < 0.005  # no clipped highlights
    assert l_after.std() >= 3.0


def test_pastel_is_light_and_keeps_its_tint() -> None:
    image, mask = garment()
    out = np.asarray(recolor(image, mask, "babyblue"))
    lab = rgb2lab(out.astype(np.float64) / 255.0)[interior(mask)]
    assert lab[:, 0].mean() > 70
    assert np.median(lab[:, 2]) < -10  # still blue, not washed to white


@pytest.mark.parametrize(
    ("knee_lo", "knee_hi", "floor", "ceiling"),
    [(0.0, 100.0, 0.0, 100.0), (2.0, 99.0, 2.0, 99.0), (10.0, 90.0, 2.0, 99.0), (5.0, 5.0, 0, 100)],
)
def test_soft_clip_is_increasing_and_warning_free_at_any_knee(
    knee_lo: float, knee_hi: float, floor: float, ceiling: float
) -> None:
    values = np.linspace(-50, 150, 801)
    _soft_clip(values, knee_lo, knee_hi, floor, ceiling)
    assert np.isfinite(values).all()
    assert (np.diff(values) >= 0).all()
    assert values.min() >= floor and values.max() <= ceiling


def test_fashion_navy_is_a_dark_greyed_blue_not_css_navy() -> None:
    navy = lookup_colour("navy")
    assert navy is not None and navy.hex == FASHION_COLOURS["navy"] == "#1f2a44"
    lab = rgb2lab(np.array([[navy.rgb]], np.float64) / 255.0)[0, 0]
    chroma = float(np.hypot(lab[1], lab[2]))
    assert 12 <= lab[0] <= 22 and 10 <= chroma <= 25  # CSS #000080 has chroma 80
    spelled = [lookup_colour(t) for t in ("navy blue", "Navy-Blue", "NAVY")]
    assert all(c is not None and c.rgb == navy.rgb for c in spelled)
    for name, css in (("khaki", "#f0e68c"), ("beige", "#f5f5dc"), ("olive", "#808000")):
        found = lookup_colour(name)
        assert found is not None and found.hex != css
