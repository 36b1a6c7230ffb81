"""Mask-guided edits and removal, checked by measuring images made here.

Every edit must leave pixels whose mask is 0 bit-identical, keep alpha, never modify its input,
and do measurably what it says inside the mask.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from studio_desktop.domain.errors import BugError
from studio_desktop.imaging import edits, pixels
from studio_desktop.imaging.errors import MaskSizeError
from studio_desktop.imaging.inpaint import RIM, NothingToFillFromError, remove_object
from studio_desktop.imaging.instructions import EditPlan, EditStep, Op, parse_instruction
from studio_desktop.imaging.operation_errors import EmptyMaskError, MaskRequiredError

SIZE = 256


def textured(seed: int = 0, size: int = SIZE) -> np.ndarray:
    """A colourful image with stripes, blobs and grain: something every edit visibly changes."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    img = np.dstack(
        [
            140 + 70 * np.sin(x / 9.0),
            110 + 60 * np.cos(y / 7.0),
            100 + 50 * np.sin((x + y) / 13.0),
        ]
    )
    img += rng.normal(0, 10, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def shaded_garment(size: int = SIZE) -> tuple[np.ndarray, np.ndarray]:
    """A red ellipse with fold-like shading on light grey; returns (image, hard mask)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    shade = 0.55 + 0.45 * np.sin(x / 11.0) ** 2 * (0.75 + 0.25 * np.cos(y / 17.0))
    img = np.full((size, size, 3), 232, np.float32)
    mask = np.zeros((size, size), np.uint8)
    cv2.ellipse(mask, (size // 2, size // 2), (size // 3, size // 4), 0, 0, 360, 255, -1)
    garment = np.array([190, 35, 45], np.float32)[None, None, :] * shade[..., None]
    img[mask > 0] = garment[mask > 0]
    return np.clip(img, 0, 255).astype(np.uint8), mask


def feathered_disc(size: int = SIZE, radius: int = 70) -> np.ndarray:
    mask = np.zeros((size, size), np.uint8)
    cv2.circle(mask, (size // 2 + 10, size // 2 - 5), radius, 255, -1)
    return cv2.GaussianBlur(mask, (0, 0), 3)


def luma(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb[..., :3].astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)


def hue_degrees(rgb: np.ndarray) -> float:
    """Hue (0..360) of the mean Lab chroma of the pixels given (N x 3)."""
    values = lab(rgb.reshape(-1, 1, 3)).reshape(-1, 3)
    return float(np.degrees(np.arctan2(values[:, 2].mean(), values[:, 1].mean())) % 360)


def hue_distance(a: float, b: float) -> float:
    d = abs(a - b) % 360
    return min(d, 360 - d)


def ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    result = np.empty_like(order)
    result[order] = np.arange(values.size)
    return result


def run(text: str, image: np.ndarray | Image.Image, mask: np.ndarray | None) -> np.ndarray:
    plan = parse_instruction(text)
    assert isinstance(plan, EditPlan), plan
    return np.asarray(edits.apply_plan(image, mask, plan))


# ----------------------------------------------------------------------------- recolour


@pytest.mark.parametrize("colour", ["navy", "cream", "teal", "#7f1734", "rgb(225, 173, 1)"])
def test_recolour_changes_no_pixel_outside_the_mask(colour: str) -> None:
    img = textured()
    mask = feathered_disc()
    out = run(f"make it {colour}", img, mask)
    outside = mask == 0
    assert outside.sum() > 10_000
    assert np.array_equal(out[outside], img[outside])
    assert not np.array_equal(out[mask == 255], img[mask == 255])


@pytest.mark.parametrize(
    ("colour", "hex_value"),
    [("navy", "#1f2a44"), ("teal", "#008080"), ("mustard", "#e1ad01"), ("burgundy", "#800020")],
)
def test_recolour_moves_hue_to_target_and_keeps_shading_order(colour: str, hex_value: str) -> None:
    img, mask = shaded_garment()
    inside = mask == 255
    out = run(f"make it {colour}", img, mask)
    target = np.array([[int(hex_value[i : i + 2], 16) for i in (1, 3, 5)]], np.uint8)
    before = hue_distance(hue_degrees(img[inside]), hue_degrees(target))
    after = hue_distance(hue_degrees(out[inside]), hue_degrees(target))
    assert after < 8.0, f"hue is {after:.1f} degrees from {colour}"
    assert after < before
    # Shading survives: lightness keeps its order (rank correlation) and some of its spread.
    l_before = lab(img)[..., 0][inside]
    l_after = lab(out)[..., 0][inside]
    rho = np.corrcoef(ranks(l_before), ranks(l_after))[0, 1]
    assert rho > 0.98, rho
    assert l_after.std() > 0.2 * l_before.std()
    # The area's mean lightness lands near the colour's own (dark navy stays dark).
    assert abs(l_after.mean() - lab(target.reshape(1, 1, 3))[0, 0, 0]) < 6.0


def test_recolour_dark_stays_dark_and_light_stays_light() -> None:
    img, mask = shaded_garment()
    inside = mask == 255
    navy = lab(run("make it navy", img, mask))[..., 0][inside].mean()
    cream = lab(run("make it cream", img, mask))[..., 0][inside].mean()
    assert navy < 25
    assert cream > 85


def test_partial_tint_moves_only_part_of_the_way() -> None:
    img, mask = shaded_garment()
    inside = mask == 255
    full = run("make it teal", img, mask)[inside].astype(float)
    tint = run("tint it teal", img, mask)[inside].astype(float)
    orig = img[inside].astype(float)
    assert 0.2 < np.abs(tint - orig).mean() / np.abs(full - orig).mean() < 0.7


# ----------------------------------------------------------------------------- other operations


def inside_and_outside(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return mask == 255, mask == 0


def laplacian_variance(rgb: np.ndarray, where: np.ndarray) -> float:
    grey = luma(rgb).astype(np.float32)
    return float(cv2.Laplacian(grey, cv2.CV_32F)[where].var())


def saturation(rgb: np.ndarray) -> np.ndarray:
    hsv = cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2HSV)
    return hsv[..., 1].astype(np.float64)


@pytest.mark.parametrize(
    ("text", "measure", "direction"),
    [
        ("blur", "sharpness", -1),
        ("soften slightly", "sharpness", -1),
        ("sharpen", "sharpness", 1),
        ("brighten", "mean", 1),
        ("30% darker", "mean", -1),
        ("more contrast", "spread", 1),
        ("less contrast", "spread", -1),
        ("more vivid", "saturation", 1),
        ("desaturate", "saturation", -1),
        ("black and white", "saturation", -1),
    ],
)
def test_each_operation_does_what_it_says_inside_the_mask_only(
    text: str, measure: str, direction: int
) -> None:
    img = textured(seed=3)
    mask = feathered_disc(radius=80)
    inside, outside = inside_and_outside(mask)
    core = cv2.erode(inside.astype(np.uint8), np.ones((15, 15), np.uint8)).astype(bool)
    out = run(text, img, mask)
    assert np.array_equal(out[outside], img[outside])

    def value(rgb: np.ndarray) -> float:
        if measure == "sharpness":
            return laplacian_variance(rgb, core)
        if measure == "mean":
            return float(luma(rgb)[core].mean())
        if measure == "spread":
            return float(luma(rgb)[core].std())
        return float(saturation(rgb)[core].mean())

    before, after = value(img), value(out)
    change = (after - before) / before
    assert change * direction > 0.05, f"{text}: {measure} {before:.2f} -> {after:.2f}"


def test_brightness_keeps_black_and_white_and_moves_midtones_by_the_amount() -> None:
    ramp = np.repeat(np.arange(256, dtype=np.uint8)[None, :], 8, axis=0)
    img = np.dstack([ramp, ramp, ramp])
    out = np.asarray(edits.adjust_brightness(img, None, 0.2))
    assert out[0, 0, 0] == 0 and out[0, 255, 0] == 255
    assert abs(int(out[0, 128, 0]) - round(128 * 1.2)) <= 2
    assert np.all(np.diff(out[0, :, 0].astype(int)) >= 0)


def test_grayscale_makes_channels_equal_inside() -> None:
    img = textured(seed=5)
    mask = feathered_disc()
    out = run("greyscale", img, mask).astype(int)
    inside = mask == 255
    assert np.abs(out[..., 0] - out[..., 1])[inside].max() <= 1
    assert np.abs(out[..., 1] - out[..., 2])[inside].max() <= 1


def test_whole_image_without_mask() -> None:
    img = textured(seed=6)
    out = run("darken a lot", img, None)
    assert luma(out).mean() < 0.8 * luma(img).mean()


def test_feathered_edge_blends_between_original_and_edit() -> None:
    img = np.full((64, 64, 3), 100, np.uint8)
    mask = np.zeros((64, 64), np.uint8)
    mask[:, 32:] = 128
    out = np.asarray(edits.grayscale(edits.adjust_brightness(img, None, 0.5), mask, 1.0))
    brighter = np.asarray(edits.adjust_brightness(img, None, 0.5))
    assert np.array_equal(out[:, :32], brighter[:, :32])
    expected = brighter[0, 40].astype(int) * 127 + int(luma(brighter[0, 40]).round()) * 128 + 127
    assert np.all(np.abs(out[:, 40].astype(int) - expected // 255) <= 1)


def test_alpha_is_kept_and_inputs_are_not_modified() -> None:
    rgb = textured(seed=7)
    alpha = np.zeros(rgb.shape[:2], np.uint8)
    alpha[40:200, 30:220] = 255
    alpha[100:120, :] = 77
    rgba = np.dstack([rgb, alpha])
    mask = feathered_disc()
    image = Image.fromarray(rgba)
    image_before = image.tobytes()
    mask_before = mask.copy()
    for text in ["make it navy", "blur a lot", "sharpen", "more contrast", "remove this"]:
        out = edits.apply_plan(image, mask, parse_instruction(text))  # type: ignore[arg-type]
        assert out.mode == "RGBA" and out.size == image.size
        assert np.array_equal(np.asarray(out)[..., 3], alpha), text
        assert out is not image
    assert image.tobytes() == image_before
    assert np.array_equal(mask, mask_before)


def test_array_pil_and_bool_masks_agree() -> None:
    img = textured(seed=8)
    mask = np.zeros(img.shape[:2], np.uint8)
    mask[50:150, 60:200] = 255
    a = run("make it olive", img, mask)
    b = run("make it olive", Image.fromarray(img), Image.fromarray(mask))
    c = run("make it olive", img, mask > 0)  # type: ignore[arg-type]
    assert np.array_equal(a, b) and np.array_equal(a, c)


def test_strips_give_the_same_result_as_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    img = textured(seed=9)
    mask = feathered_disc(radius=100)
    plan = parse_instruction("blur slightly and sharpen and more contrast")
    assert isinstance(plan, EditPlan)
    whole = np.asarray(edits.apply_plan(img, mask, plan))
    monkeypatch.setattr(edits, "strips", _small_strips)
    striped = np.asarray(edits.apply_plan(img, mask, plan))
    assert np.array_equal(whole, striped)


def _small_strips(box: pixels.Box, *, halo: int = 0) -> object:
    """Bands of a few rows: many strips, each with its halo, instead of one."""
    bands = list(pixels.strips(box, halo=halo, pixels=3000))
    assert len(bands) > 3
    return iter(bands)


def test_blur_matches_opencv_gaussian_inside_the_mask() -> None:
    img = textured(seed=10)
    mask = np.zeros(img.shape[:2], np.uint8)
    mask[60:190, 40:210] = 255
    out = np.asarray(edits.blur(img, mask, 0.5 / (0.03 * SIZE) * 3))  # sigma 1.5 px
    reference = cv2.GaussianBlur(img, (0, 0), 1.5)
    assert np.array_equal(out[60:190, 40:210], reference[60:190, 40:210])


# ----------------------------------------------------------------------------- errors


def test_removal_without_mask_asks_for_one() -> None:
    with pytest.raises(MaskRequiredError) as info:
        run("remove this", textured(), None)
    assert "paint over it" in info.value.message


def test_empty_mask_is_refused() -> None:
    with pytest.raises(EmptyMaskError) as info:
        run("make it navy", textured(), np.zeros((SIZE, SIZE), np.uint8))
    assert "empty" in info.value.message


def test_mask_of_another_size_is_refused() -> None:
    with pytest.raises(MaskSizeError):
        run("blur", textured(), np.full((SIZE, SIZE + 1), 255, np.uint8))


def test_wrong_array_types_are_bugs_not_silent() -> None:
    with pytest.raises(BugError):
        edits.blur(textured().astype(np.float32), None)
    with pytest.raises(BugError):
        edits.blur(textured(), np.ones((SIZE, SIZE), np.float64))
    with pytest.raises(BugError):
        edits.apply_plan(textured(), None, parse_instruction(""))  # type: ignore[arg-type]


def test_single_step_api_and_grey_input() -> None:
    grey = Image.fromarray(textured()[..., 0])
    out = edits.apply_step(grey, None, EditStep(Op.SATURATION, 0.5))
    assert out.mode == "RGB" and out.size == grey.size


# ----------------------------------------------------------------------------- removal


def gradient_background(kind: str, size: int = 320) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    if kind == "linear":
        bg = np.dstack([40 + 170 * x, 60 + 140 * y, 210 - 90 * (x + y)])
    elif kind == "radial":
        r = np.hypot(x - 0.35, y - 0.4)
        bg = np.dstack([235 - 120 * r, 225 - 100 * r, 215 - 140 * r])
    else:  # a studio vignette: bright centre, darker corners
        r2 = (x - 0.5) ** 2 + (y - 0.5) ** 2
        bg = np.dstack([246 - 160 * r2, 244 - 160 * r2, 240 - 170 * r2])
    return np.clip(np.rint(bg), 0, 255).astype(np.uint8)


def psnr(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    diff = a[where].astype(np.float64) - b[where].astype(np.float64)
    mse = max(float((diff**2).mean()), 1e-12)
    return 10 * np.log10(255.0**2 / mse)


def beyond_the_rim(mask: np.ndarray) -> np.ndarray:
    """Pixels a removal leaves exactly as they were: farther than its :data:`RIM` from the mask
    (the rim goes too, so no outline of the removed object stays)."""
    near = cv2.dilate((mask > 0).astype(np.uint8), np.ones((2 * RIM + 1,) * 2, np.uint8))
    return near == 0


@pytest.mark.parametrize("kind", ["linear", "radial", "vignette"])
def test_removal_restores_a_smooth_background(kind: str) -> None:
    background = gradient_background(kind)
    img = background.copy()
    cv2.circle(img, (170, 150), 42, (200, 20, 30), -1, lineType=cv2.LINE_AA)
    cv2.rectangle(img, (150, 130), (190, 200), (20, 160, 40), -1)
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.circle(mask, (170, 150), 48, 255, -1)
    cv2.rectangle(mask, (145, 125), (195, 205), 255, -1)
    out = run("remove this", img, mask)
    hole = mask > 0
    assert psnr(out, background, hole) >= 30.0
    assert psnr(img, background, hole) < 15.0  # the object really was there
    far = beyond_the_rim(mask)
    assert np.array_equal(out[far], img[far])


def test_removal_near_the_image_border_and_with_a_soft_mask() -> None:
    background = gradient_background("linear", 200)
    img = background.copy()
    cv2.circle(img, (8, 100), 25, (0, 0, 0), -1)
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.circle(mask, (8, 100), 31, 255, -1)
    soft = cv2.GaussianBlur(mask, (0, 0), 2)
    soft[mask > 0] = 255
    out = np.asarray(remove_object(img, soft))
    assert psnr(out, background, mask > 0) >= 30.0
    far = beyond_the_rim(soft)
    assert np.array_equal(out[far], img[far])


def test_removal_on_grainy_background_adds_matching_grain() -> None:
    rng = np.random.default_rng(11)
    background = np.clip(gradient_background("linear") + rng.normal(0, 6, (320, 320, 3)), 0, 255)
    background = background.astype(np.uint8)
    img = background.copy()
    cv2.circle(img, (160, 160), 40, (0, 0, 0), -1)
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.circle(mask, (160, 160), 46, 255, -1)
    out = np.asarray(remove_object(img, mask)).astype(np.float32)
    hole = mask > 0
    residual = out - cv2.GaussianBlur(out, (0, 0), 3)
    grain = residual[cv2.erode(mask, np.ones((9, 9), np.uint8)) > 0].std()
    assert 2.0 < grain < 10.0
    assert abs(out[hole].mean() - background[hole].mean()) < 4.0


def test_removal_needs_something_around_the_mask() -> None:
    with pytest.raises(NothingToFillFromError):
        remove_object(textured(), np.full((SIZE, SIZE), 255, np.uint8))
