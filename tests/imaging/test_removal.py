"""Removal by patch-based filling (imaging/patchfill.py through imaging/inpaint.py), on real
textures and photos from scikit-image's bundled samples, compared with the true background."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from studio_desktop.imaging.errors import OperationCancelledError
from studio_desktop.imaging.inpaint import RIM, NothingToFillFromError, remove_object
from studio_desktop.imaging.patchfill import patch_fill
from studio_desktop.imaging.refine import refine_mask
from tests.bench import quality_scenes as qs


def far_from(mask: np.ndarray) -> np.ndarray:
    """Pixels farther than the removal's replaced rim (:data:`RIM` px) from the mask."""
    size = 2 * RIM + 1
    near = cv2.dilate((mask > 0).astype(np.uint8), np.ones((size, size), np.uint8))
    return near == 0


def removal_scene(name: str) -> qs.Scene:
    return next(s for s in qs.removal_scenes() if s.name == name)


def bandpass_energy(rgb: np.ndarray, where: np.ndarray) -> float:
    grey = cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2GRAY).astype(np.float32)
    band = cv2.GaussianBlur(grey, (0, 0), 1.0) - cv2.GaussianBlur(grey, (0, 0), 3.0)
    return float(np.sqrt(np.mean(band[where] ** 2)))


def telea(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    out = cv2.inpaint(bgr, (mask > 0).astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)
    return cv2.cvtColor(out, cv2.COLOR_BGR2RGB)


@pytest.mark.parametrize("name", ["bag-on-brick", "blob-on-grass", "blob-on-gravel"])
def test_texture_continues_into_the_hole(name: str) -> None:
    s = removal_scene(name)
    mask = refine_mask(s.photo, s.painted)
    out = np.asarray(remove_object(s.photo, mask))
    hole = s.truth > 0.5
    truth_energy = bandpass_energy(s.clean, hole)
    ours = bandpass_energy(out, hole) / truth_energy
    diffusion = bandpass_energy(telea(s.photo, mask), hole) / truth_energy
    assert 0.6 < ours < 1.5, ours  # brick stays brick, grass stays grass
    assert diffusion < 0.5 * ours  # where a diffusion fill is a smooth smudge


def test_nothing_of_the_removed_object_comes_back() -> None:
    """A saturated red object on grey gravel: the fill must be grey, not pinkish."""
    s = removal_scene("blob-on-grass")  # red blob on (grey) grass
    mask = refine_mask(s.photo, s.painted)
    out = np.asarray(remove_object(s.photo, mask)).astype(int)
    hole = s.truth > 0.5
    chroma = np.abs(out[hole] - out[hole].mean(axis=1, keepdims=True)).max(axis=1)
    assert np.percentile(chroma, 99) <= 12, "red from the object bled into the fill"


def test_the_fill_has_no_step_at_the_edge_of_the_hole() -> None:
    s = removal_scene("blob-on-rocket-sky")
    mask = refine_mask(s.photo, s.painted)
    out = np.asarray(remove_object(s.photo, mask))
    hole = (mask > 0).astype(np.uint8)
    ring = cv2.dilate(hole, np.ones((5, 5), np.uint8)) - cv2.erode(hole, np.ones((5, 5), np.uint8))
    # On a smooth sky the fill meets the surroundings within a few levels.
    assert np.abs(out.astype(int) - s.clean.astype(int))[ring > 0].mean() < 6.0


def test_only_pixels_the_mask_touches_change_and_they_change_fully() -> None:
    s = removal_scene("bag-on-brick")
    mask = refine_mask(s.photo, s.painted)
    out = np.asarray(remove_object(s.photo, mask))
    far = far_from(mask)
    assert np.array_equal(out[far], s.photo[far])
    assert (out[(mask == 0) & ~far] != s.photo[(mask == 0) & ~far]).any()  # the rim is replaced
    rim = (mask > 0) & (mask < 128)  # the soft rim of the object is replaced, not blended
    assert rim.any()
    dark_rim = out[rim].mean()
    assert dark_rim > s.photo[rim].mean() + 10  # the navy bag's rim is gone (brick is lighter)


@pytest.mark.parametrize("name", ["blob-on-grass", "bag-on-brick", "blob-on-astronaut"])
def test_no_outline_of_the_object_stays_outside_a_tight_mask(name: str) -> None:
    """A mask that hugs the object (its coverage >= 0.5) leaves out the object's anti-aliased
    edge; the removal replaces that rim too, so no faint outline of the object stays."""
    s = removal_scene(name)
    tight = np.where(s.truth >= 0.5, 255, 0).astype(np.uint8)
    edge = (s.truth > 0.02) & (s.truth < 0.5)
    off = np.abs(s.photo.astype(int) - s.clean.astype(int)).max(axis=2) > 10
    assert (edge & off).sum() > 100  # the edge does show the object before the removal
    out = np.asarray(remove_object(s.photo, tight))
    assert not (edge & (out == s.photo).all(axis=2) & off).any()


@pytest.mark.parametrize("name", ["blob-on-gravel", "bag-on-brick"])
def test_removal_is_deterministic(name: str) -> None:
    """Both paths: the patch search (gravel) and the shifted copies (brick)."""
    s = removal_scene(name)
    a = np.asarray(remove_object(s.photo, s.painted))
    b = np.asarray(remove_object(s.photo, s.painted))
    assert np.array_equal(a, b)


@pytest.mark.parametrize("name", ["bag-on-grass", "bag-on-brick"])
def test_progress_and_cancel(name: str) -> None:
    s = removal_scene(name)
    seen: list[float] = []
    remove_object(s.photo, s.painted, progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen) and len(seen) >= 4
    for after in (0, 2, 5):
        calls = 0

        def cancelled(limit: int = after) -> bool:
            nonlocal calls
            calls += 1
            return calls > limit

        with pytest.raises(OperationCancelledError):
            remove_object(s.photo, s.painted, is_cancelled=cancelled)


@pytest.mark.parametrize("size", [(6, 6), (12, 9), (40, 3)])
def test_tiny_images_and_thin_strips(size: tuple[int, int]) -> None:
    h, w = size
    rng = np.random.default_rng(h + w)
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    mask = np.zeros((h, w), np.uint8)
    mask[h // 3 : h // 3 + max(1, h // 4), w // 3 : w // 3 + max(1, w // 4)] = 255
    out = np.asarray(remove_object(image, mask))
    assert out.shape == image.shape
    assert np.array_equal(out[far_from(mask)], image[far_from(mask)])


def test_a_hole_leaving_only_a_thin_frame_still_fills() -> None:
    s = removal_scene("blob-on-coffee")
    mask = np.full(s.photo.shape[:2], 255, np.uint8)
    mask[:2] = mask[-2:] = 0
    mask[:, :2] = mask[:, -2:] = 0
    out = np.asarray(remove_object(s.photo, mask))
    assert np.array_equal(out[mask == 0], s.photo[mask == 0])
    assert np.isfinite(out).all()


def test_a_mask_covering_everything_has_nothing_to_fill_from() -> None:
    s = removal_scene("blob-on-coffee")
    with pytest.raises(NothingToFillFromError):
        remove_object(s.photo, np.full(s.photo.shape[:2], 255, np.uint8))


def test_rgba_keeps_its_alpha_and_grey_sources_work() -> None:
    s = removal_scene("strap-on-brick")
    alpha = np.full(s.photo.shape[:2], 200, np.uint8)
    out = np.asarray(remove_object(np.dstack([s.photo, alpha]), s.painted))
    assert out.shape[2] == 4 and (out[..., 3] == 200).all()
    grey = cv2.cvtColor(s.photo, cv2.COLOR_RGB2GRAY)
    out_grey = np.asarray(remove_object(grey, s.painted))
    assert out_grey.shape == s.photo.shape


def test_patch_fill_copies_only_from_outside_the_hole() -> None:
    """Each filled pixel is a pixel value found outside the hole (no averaging, no invention)."""
    rng = np.random.default_rng(3)
    palette = np.array([[10, 200, 30], [220, 20, 40], [30, 40, 210]], np.float32)
    image = palette[rng.integers(0, 3, (80, 80))]
    hole = np.zeros((80, 80), bool)
    hole[25:55, 30:60] = True
    image[hole] = (255, 255, 255)  # the "object": a colour that exists nowhere else
    filled = patch_fill(image, hole)
    values = {tuple(v) for v in filled[hole].astype(int)}
    assert values <= {tuple(p) for p in palette.astype(int)}


def test_apply_plan_passes_progress_and_cancel_to_a_removal() -> None:
    from studio_desktop.imaging.edits import apply_plan
    from studio_desktop.imaging.instructions import parse_instruction

    s = removal_scene("bag-on-gravel")
    plan = parse_instruction("remove this and brighten slightly")
    seen: list[float] = []
    apply_plan(s.photo, s.painted, plan, progress=seen.append)  # type: ignore[arg-type]
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert any(0 < f < 0.5 for f in seen)  # reports from inside the fill (the first step)
    with pytest.raises(OperationCancelledError):
        apply_plan(s.photo, s.painted, plan, is_cancelled=lambda: True)  # type: ignore[arg-type]


@pytest.mark.parametrize("sparse", [False, True])
def test_patch_distance_with_a_limit_is_exact_below_it(sparse: bool) -> None:
    """The search stops summing a candidate's distance once it reaches the best so far: below
    that limit the sums are the full sums, bit for bit; at or above it they stay there."""
    from studio_desktop.imaging import patchfill

    rng = np.random.default_rng(5)
    image = rng.random((60, 60, 3), dtype=np.float32) * 255
    hole = np.zeros((60, 60), bool)
    hole[20:40, 20:40] = True
    level = patchfill._Level(image, hole)
    level.prepare(2)
    patches = patchfill._Patches(image, level, sparse)
    vy, vx = np.nonzero(level.valid)
    pick = rng.integers(0, vy.size, level.ys.size)
    sy, sx = vy[pick].astype(np.int32), vx[pick].astype(np.int32)
    full = patches.distance(sy, sx)
    limit = (np.median(full) * rng.uniform(0.5, 1.5, full.size)).astype(np.float32)
    got = patches.distance(sy, sx, None, limit)
    below = full < limit
    assert below.any() and (~below).any()
    np.testing.assert_array_equal(got[below], full[below])
    assert (got[~below] >= limit[~below]).all()
    assert (got <= full).all()


def periodic_wall(period: tuple[int, int] = (37, 23), side: int = 256) -> np.ndarray:
    """A wall that repeats exactly: one period of the real brick photo tiled (whole-pixel
    period, so the truth under any hole is known)."""
    py, px = period
    tile = qs.photo("brick")[200 : 200 + py, 180 : 180 + px]
    reps = (side // py + 1, side // px + 1, 1)
    return np.ascontiguousarray(np.tile(tile, reps)[:side, :side])


def test_offset_statistics_find_the_period_of_a_repeating_surface() -> None:
    from studio_desktop.imaging.patchfill import dominant_offsets, regularity

    wall = periodic_wall().astype(np.float32)
    hole = np.zeros(wall.shape[:2], bool)
    hole[90:170, 80:180] = True
    shifts = dominant_offsets(wall, hole)
    found = {(int(y), int(x)) for y, x in shifts}
    assert all(y % 37 == 0 and x % 23 == 0 for y, x in found), found  # periods only
    assert found & {(0, 23), (0, -23)} and found & {(37, 0), (-37, 0)}, found
    assert regularity(wall, hole, shifts) < 0.05  # an exact repeat costs nothing
    grass = qs.photo("grass", 256).astype(np.float32)
    assert regularity(grass, hole, dominant_offsets(grass, hole)) > 0.3  # no period in grass


def test_a_repeating_surface_is_continued_exactly() -> None:
    """Remove an object from a wall that repeats exactly: the fill puts every mortar line and
    brick back where the truth has them (the shifted copies are the truth), where a fill of
    independent patches would break them."""
    wall = periodic_wall()
    shape = qs.blob((0.5, 0.5), 0.2, seed=3, side=wall.shape[0])
    mask = np.where(shape > 0, 255, 0).astype(np.uint8)
    photo = wall.copy()
    photo[mask > 0] = (30, 40, 90)
    out = np.asarray(remove_object(photo, mask)).astype(np.float64)
    hole = mask > 0
    mse = float(np.mean((out[hole] - wall[hole].astype(np.float64)) ** 2))
    psnr = 10 * np.log10(255.0**2 / max(mse, 1e-9))
    assert psnr > 30, psnr  # independent patches (the fill before offset statistics): 16 dB
