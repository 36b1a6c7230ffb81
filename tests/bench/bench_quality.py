"""Result-quality benchmarks (suite ``quality``): ``python tests/bench/run.py quality``.

Scenes (:mod:`tests.bench.quality_scenes`) are objects composited onto real photos and textures
from scikit-image's bundled samples, with exact ground truth and designer-like sloppy strokes.
Three families, each printed as the median and the worst over its cases, beside the anchor
measured on the same cases in the same run:

- **masks** (rough strokes -> object): the refined mask (:func:`refine_mask`) against the raw
  painted mask. IoU (soft: sum of minima over sum of maxima of the two coverages), spill (mask
  past the object's edge, share of the object's area) and missed (object left out, same unit).
- **recolour**: :func:`~studio_desktop.imaging.edits.recolor` through the refined mask against
  the recolour this app shipped before (copied below as :func:`old_recolour`) through the painted
  mask. Hue/chroma ΔE2000: each object pixel's Lab against the target's a*, b* at the pixel's own
  L* (lightness is shading, not hue), median over the object's interior; shading: correlation of
  L* before and after inside the object.
- **removal**: :func:`~studio_desktop.imaging.inpaint.remove_object` through the refined mask
  against OpenCV's Telea inpainting through the painted mask, compared with the clean
  background: band-pass energy of the fill over the truth's (texture kept; both floored at
  :data:`TEXTURE_FLOOR`, so a smooth sky asks for a smooth fill), seam (gradient
  magnitude on the hole's edge over the truth's), PSNR and low-pass PSNR (Gaussian sigma 4) over
  the object's area.

Times on 2048 x 2048 (median of 3): refinement, removal with a 5 % mask, recolour after
refinement, each beside an anchor measured in the same run.

Side-by-side pictures (original | painted | refined mask | result | truth) for the first cases
of the mask and recolour families and for every removal case go to ``bench-output/quality/``
in the working directory (not committed).
"""

from __future__ import annotations

import math
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage.color import deltaE_ciede2000, rgb2lab

from studio_desktop.imaging.colours import lookup_colour
from studio_desktop.imaging.edits import recolor
from studio_desktop.imaging.inpaint import remove_object
from studio_desktop.imaging.refine import refine_mask
from tests.bench import quality_scenes as qs
from tests.bench.harness import Bench

OUT = Path.cwd() / "bench-output" / "quality"
PICTURES_PER_FAMILY = 4
#: Masks: the cases with the lowest IoU get pictures too (recolour: any spill above 3 %).
WORST_PICTURES = 3

# ----------------------------------------------------------------------------- metrics


def mask_figures(alpha: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    """(IoU, spill, missed) of a uint8 mask against a float 0..1 coverage."""
    a = alpha.astype(np.float64) / 255.0
    t = truth.astype(np.float64)
    area = max(float(t.sum()), 1.0)
    iou = float(np.minimum(a, t).sum() / max(float(np.maximum(a, t).sum()), 1.0))
    spill = float(np.clip(a - t, 0, None).sum() / area)
    missed = float(np.clip(t - a, 0, None).sum() / area)
    return iou, spill, missed


def interior(truth: np.ndarray, pixels: int = 2) -> np.ndarray:
    inside = (truth >= 0.99).astype(np.uint8)
    return cv2.erode(inside, np.ones((2 * pixels + 1,) * 2, np.uint8)).astype(bool)


def lab(rgb: np.ndarray) -> np.ndarray:
    return rgb2lab(rgb.astype(np.float64) / 255.0)


def hue_chroma_de(result: np.ndarray, where: np.ndarray, target: tuple[int, int, int]) -> float:
    """Median ΔE2000 of each pixel against the target's a*, b* at the pixel's own L*."""
    got = lab(result)[where]
    want_ab = lab(np.array([[target]], np.uint8))[0, 0, 1:]
    want = got.copy()
    want[:, 1:] = want_ab
    return float(np.median(deltaE_ciede2000(got, want)))


def shading_corr(before: np.ndarray, after: np.ndarray, where: np.ndarray) -> float:
    lb = lab(before)[..., 0][where]
    la = lab(after)[..., 0][where]
    if lb.std() < 1e-6 or la.std() < 1e-6:
        return 0.0
    return float(np.corrcoef(lb, la)[0, 1])


def _grey(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)


#: Band-pass energy (RMS, grey levels of 255) below which a surface has no visible texture: the
#: size of 8-bit quantisation plus JPEG noise on a smooth sky (the rocket photo's sky: 1.1).
#: The texture ratio compares energies floored at this, so it is about texture only where there
#: is some; on a smooth truth it asks the fill to be smooth too (both below the floor: 1.0).
TEXTURE_FLOOR = 2.0


def removal_figures(
    result: np.ndarray, clean: np.ndarray, truth: np.ndarray
) -> tuple[float, float, float, float]:
    """(band-pass energy ratio, seam ratio, PSNR, low-pass PSNR) over the object's area. The
    energy ratio floors both energies at :data:`TEXTURE_FLOOR`."""
    hole = cv2.dilate((truth > 0.02).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)

    def bandpass(g: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(g, (0, 0), 1.0) - cv2.GaussianBlur(g, (0, 0), 3.0)

    gr, gt = _grey(result), _grey(clean)
    e_r = float(np.sqrt(np.mean(bandpass(gr)[hole] ** 2)))
    e_t = float(np.sqrt(np.mean(bandpass(gt)[hole] ** 2)))
    # Below TEXTURE_FLOOR grey levels of band-pass energy there is no texture to keep (8-bit
    # quantisation and JPEG noise): a smooth truth filled smoothly scores 1, not 0.33 / 1.08.
    energy = max(e_r, TEXTURE_FLOOR) / max(e_t, TEXTURE_FLOOR)

    def gradient(g: np.ndarray) -> np.ndarray:
        s = cv2.GaussianBlur(g, (0, 0), 1.5)
        return np.hypot(cv2.Sobel(s, cv2.CV_32F, 1, 0), cv2.Sobel(s, cv2.CV_32F, 0, 1))

    h8 = hole.astype(np.uint8)
    ring = cv2.dilate(h8, np.ones((5, 5), np.uint8)).astype(bool) & ~cv2.erode(
        h8, np.ones((5, 5), np.uint8)
    ).astype(bool)
    seam = float(gradient(gr)[ring].mean() / max(float(gradient(gt)[ring].mean()), 1e-6))

    def psnr(a: np.ndarray, b: np.ndarray) -> float:
        mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64))[hole] ** 2))
        return 99.0 if mse <= 1e-9 else 10 * math.log10(255.0**2 / mse)

    low = psnr(
        cv2.GaussianBlur(result.astype(np.float32), (0, 0), 4.0),
        cv2.GaussianBlur(clean.astype(np.float32), (0, 0), 4.0),
    )
    return energy, seam, psnr(result, clean), low


# ----------------------------------------------------------------------------- anchors


def old_recolour(image: np.ndarray, mask: np.ndarray, target: tuple[int, int, int]) -> np.ndarray:
    """The recolour the app shipped before this suite (imaging/edits.py's ``_recolor_kernel``
    with ``_soft_clip``, weighted-mean lightness, composited through ``mask``), kept here as
    the anchor. Its divide-by-zero for white is silenced, not fixed: it is the old behaviour."""
    rgb01 = image.astype(np.float32) / 255.0
    lab_img = cv2.cvtColor(rgb01, cv2.COLOR_RGB2Lab)
    w = mask.astype(np.float32) / 255.0
    lm = max(float((lab_img[..., 0] * w).sum() / max(float(w.sum()), 1e-6)), 1e-3)
    target_rgb = np.array([[target]], dtype=np.float32) / 255.0
    lt, at, bt = (float(v) for v in cv2.cvtColor(target_rgb, cv2.COLOR_RGB2Lab)[0, 0])
    spread = min(1.0, max(0.5, lt / lm)) if lt < lm else 1.0
    knee_lo = min(0.6 * lt, 20.0)
    knee_hi = max(100.0 - 0.6 * (100.0 - lt), 80.0)
    lightness = np.arange(256, dtype=np.float64) * (100.0 / 255.0)
    new_l = (lightness - lm) * spread + lt
    with np.errstate(divide="ignore", invalid="ignore"):
        low = new_l < knee_lo
        if low.any():
            new_l[low] = knee_lo * np.exp((new_l[low] - knee_lo) / knee_lo) if knee_lo > 0 else 0
        high = new_l > knee_hi
        if high.any():
            room = 100.0 - knee_hi
            new_l[high] = 100.0 - room * np.exp(-(new_l[high] - knee_hi) / room)
    new_l = np.nan_to_num(new_l, nan=100.0)
    chroma = np.minimum(1.0, new_l / max(lt, 1.0))
    table = np.stack([new_l * (255.0 / 100.0), at * chroma + 128.0, bt * chroma + 128.0], axis=-1)
    lut = np.clip(np.rint(table), 0, 255).astype(np.uint8).reshape(256, 1, 3)
    lab8 = cv2.cvtColor(image, cv2.COLOR_RGB2Lab)
    plane = lab8[..., 0]
    mapped = cv2.cvtColor(cv2.LUT(cv2.merge([plane, plane, plane]), lut), cv2.COLOR_Lab2RGB)
    m = mask.astype(np.uint16)[..., None]
    out = (image.astype(np.uint16) * (255 - m) + mapped.astype(np.uint16) * m + 127) // 255
    return out.astype(np.uint8)


def sample_psnr(scene: qs.Scene, shift: int = 90) -> float:
    """PSNR of the truth's own surroundings moved by ``shift`` px into the hole (median of four
    directions): what a fill that is a perfect, indistinguishable new sample of the same surface
    scores. On stochastic textures (grass, gravel) this is about 13 dB: PSNR above it needs a
    smoother fill than the truth, not a better one."""
    values = []
    for dy, dx in ((0, shift), (0, -shift), (shift, 0), (-shift, 0)):
        moved = np.roll(scene.clean, (dy, dx), axis=(0, 1))
        out = scene.clean.copy()
        hole = scene.truth > 0.02
        hole = cv2.dilate(hole.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        out[hole] = moved[hole]
        values.append(removal_figures(out, scene.clean, scene.truth)[2])
    return float(statistics.median(values))


#: The scale that separates broad light from detail in :func:`with_true_light` (the removal's
#: own split between its membrane and the copied detail, ``inpaint.DETAIL_SIGMA``).
BROAD_LIGHT_SIGMA = 10.0


def object_left(result: np.ndarray, scene: qs.Scene) -> float:
    """Share of the object's area (coverage > 0.02) the removal left exactly as it was where it
    visibly differs from the clean background (> 10 levels): the object's outline or parts the
    mask missed, still showing."""
    obj = scene.truth > 0.02
    kept = (result == scene.photo).all(axis=2)
    off = np.abs(scene.photo.astype(int) - scene.clean.astype(int)).max(axis=2) > 10
    return float((obj & kept & off).sum() / max(int(obj.sum()), 1))


def with_true_light(result: np.ndarray, clean: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """``result`` with its broad light (Gaussian sigma :data:`BROAD_LIGHT_SIGMA`) over the
    object's area swapped for the truth's: what the fill would score if a low-frequency
    correction knew the true brightness and colour exactly, its own detail kept."""
    hole = cv2.dilate((truth > 0.02).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    r, c = result.astype(np.float32), clean.astype(np.float32)
    shift = cv2.GaussianBlur(c, (0, 0), BROAD_LIGHT_SIGMA) - cv2.GaussianBlur(
        r, (0, 0), BROAD_LIGHT_SIGMA
    )
    r[hole] += shift[hole]
    return np.clip(np.rint(r), 0, 255).astype(np.uint8)


def telea(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    out = cv2.inpaint(bgr, (mask > 0).astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)
    return cv2.cvtColor(out, cv2.COLOR_BGR2RGB)


# ----------------------------------------------------------------------------- pictures


def _tile(arr: np.ndarray, label: str) -> np.ndarray:
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    tile = np.ascontiguousarray(arr.astype(np.uint8))
    cv2.putText(tile, label, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(tile, label, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (255, 255, 255), 1)
    return tile


def save_side_by_side(name: str, panels: list[tuple[np.ndarray, str]]) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    strip = np.concatenate([_tile(p, label) for p, label in panels], axis=1)
    path = OUT / f"{name}.png"
    Image.fromarray(strip).save(path)
    return path


def painted_overlay(photo: np.ndarray, painted: np.ndarray) -> np.ndarray:
    tint = photo.astype(np.float32).copy()
    m = painted > 0
    tint[m] = 0.5 * tint[m] + 0.5 * np.array([255, 40, 200], np.float32)
    return tint.astype(np.uint8)


# ----------------------------------------------------------------------------- the families


def _summary(
    bench: Bench,
    family: str,
    label: str,
    values: list[float],
    anchors: list[float],
    *,
    unit: str,
    anchor: str,
    goal_median: tuple[str, float] | None,
    goal_worst: tuple[str, float] | None,
    higher_is_better: bool,
) -> None:
    worst_fn = min if higher_is_better else max

    def meets(value: float, goal: tuple[str, float] | None) -> bool:
        if goal is None:
            return True
        return value >= goal[1] if higher_is_better else value <= goal[1]

    for which, fn, goal in (
        ("median", statistics.median, goal_median),
        ("worst", worst_fn, goal_worst),
    ):
        value, anchor_value = fn(values), fn(anchors)
        text = goal[0] if goal else "(reported)"
        bench.record(
            f"{family} {label} {which}",
            value,
            unit,
            anchor=f"{anchor} {which}",
            anchor_value=anchor_value,
            goal=text,
            ok=meets(value, goal),
        )


def masks_family(bench: Bench) -> None:
    ious, spills, misses, a_ious, a_spills, a_misses = [], [], [], [], [], []
    refined_all = []
    for i, scene in enumerate(qs.mask_scenes()):
        refined = refine_mask(scene.photo, scene.painted)
        refined_all.append(refined)
        iou, spill, missed = mask_figures(refined, scene.truth)
        a_iou, a_spill, a_missed = mask_figures(scene.painted, scene.truth)
        ious.append(iou), spills.append(spill * 100), misses.append(missed * 100)
        a_ious.append(a_iou), a_spills.append(a_spill * 100), a_misses.append(a_missed * 100)
        print(
            f"    {scene.name:<34} IoU {iou:.3f} (painted {a_iou:.3f})  spill {spill:.2%}"
            f"  missed {missed:.2%}  {scene.note}"
        )
        if i < PICTURES_PER_FAMILY:
            save_side_by_side(
                f"masks-{scene.name}",
                [
                    (scene.photo, "original"),
                    (painted_overlay(scene.photo, scene.painted), "painted"),
                    (refined, "refined mask"),
                    (painted_overlay(scene.photo, refined), "result (refined)"),
                    ((scene.truth * 255).astype(np.uint8), "truth"),
                ],
            )
    # The worst cases too (lowest IoU), whatever their place in the list.
    scenes = qs.mask_scenes()
    for k in sorted(range(len(scenes)), key=lambda k: ious[k])[:WORST_PICTURES]:
        if k >= PICTURES_PER_FAMILY:
            scene, refined = scenes[k], refined_all[k]
            save_side_by_side(
                f"masks-worst-{scene.name}",
                [
                    (scene.photo, "original"),
                    (painted_overlay(scene.photo, scene.painted), "painted"),
                    (refined, "refined mask"),
                    (painted_overlay(scene.photo, refined), "result (refined)"),
                    ((scene.truth * 255).astype(np.uint8), "truth"),
                ],
            )
    common = {"anchor": "raw painted mask"}
    _summary(
        bench,
        "masks",
        "IoU",
        ious,
        a_ious,
        unit="",
        **common,
        goal_median=(">= 0.97", 0.97),
        goal_worst=(">= 0.85", 0.85),
        higher_is_better=True,
    )
    _summary(
        bench,
        "masks",
        "spill",
        spills,
        a_spills,
        unit="%",
        **common,
        goal_median=("<= 1 %", 1.0),
        goal_worst=("<= 5 %", 5.0),
        higher_is_better=False,
    )
    _summary(
        bench,
        "masks",
        "missed",
        misses,
        a_misses,
        unit="%",
        **common,
        goal_median=("<= 1 %", 1.0),
        goal_worst=None,
        higher_is_better=False,
    )


def recolour_family(bench: Bench) -> None:
    des, corrs, ious, spills, a_des, a_corrs, a_ious, a_spills = ([] for _ in range(8))
    for i, (scene, name) in enumerate(zip(qs.recolour_scenes(), qs.RECOLOUR_TARGETS, strict=True)):
        colour = lookup_colour(name)
        assert colour is not None, name
        refined = refine_mask(scene.photo, scene.painted)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            result = np.asarray(recolor(scene.photo, refined, colour))
        old = old_recolour(scene.photo, scene.painted, colour.rgb)
        where = interior(scene.truth)
        de, a_de = hue_chroma_de(result, where, colour.rgb), hue_chroma_de(old, where, colour.rgb)
        corr = shading_corr(scene.photo, result, where)
        a_corr = shading_corr(scene.photo, old, where)
        iou, spill, _ = mask_figures(refined, scene.truth)
        a_iou, a_spill, _ = mask_figures(scene.painted, scene.truth)
        des.append(de), a_des.append(a_de), corrs.append(corr), a_corrs.append(a_corr)
        ious.append(iou), a_ious.append(a_iou), spills.append(spill * 100)
        a_spills.append(a_spill * 100)
        print(
            f"    {name:<9} {colour.hex}  ΔE {de:5.2f} (old {a_de:5.2f})  shading {corr:.3f}"
            f" (old {a_corr:.3f})  IoU {iou:.3f}  spill {spill:.2%}"
        )
        if i < PICTURES_PER_FAMILY or name in ("black", "white") or spill > 0.03:
            swatch = np.zeros_like(scene.photo)
            swatch[:] = colour.rgb
            save_side_by_side(
                f"recolour-{scene.name}",
                [
                    (scene.photo, "original"),
                    (painted_overlay(scene.photo, scene.painted), "painted"),
                    (refined, "refined mask"),
                    (result, f"result {name}"),
                    (old, "old recolour, painted mask"),
                    (swatch, f"target {colour.hex}"),
                ],
            )
    anchor = {"anchor": "old recolour, painted mask"}
    _summary(
        bench,
        "recolour",
        "ΔE2000 hue/chroma",
        des,
        a_des,
        unit="ΔE",
        **anchor,
        goal_median=("<= 1", 1.0),
        goal_worst=("<= 2.5", 2.5),
        higher_is_better=False,
    )
    _summary(
        bench,
        "recolour",
        "shading corr",
        corrs,
        a_corrs,
        unit="",
        **anchor,
        goal_median=(">= 0.98", 0.98),
        goal_worst=(">= 0.90", 0.90),
        higher_is_better=True,
    )
    _summary(
        bench,
        "recolour",
        "IoU",
        ious,
        a_ious,
        unit="",
        **anchor,
        goal_median=(">= 0.97", 0.97),
        goal_worst=(">= 0.85", 0.85),
        higher_is_better=True,
    )
    _summary(
        bench,
        "recolour",
        "spill",
        spills,
        a_spills,
        unit="%",
        **anchor,
        goal_median=("<= 1 %", 1.0),
        goal_worst=("<= 5 %", 5.0),
        higher_is_better=False,
    )


def removal_family(bench: Bench) -> None:
    rows: list[tuple[float, float, float, float]] = []
    anchors: list[tuple[float, float, float, float]] = []
    same_mask: list[tuple[float, float, float, float]] = []
    ceilings: list[float] = []
    true_light: list[tuple[float, float, float, float]] = []
    left: list[float] = []
    for scene in qs.removal_scenes():
        refined = refine_mask(scene.photo, scene.painted)
        result = np.asarray(remove_object(scene.photo, refined))[..., :3]
        old = telea(scene.photo, scene.painted)
        fig = removal_figures(result, scene.clean, scene.truth)
        a_fig = removal_figures(old, scene.clean, scene.truth)
        rows.append(fig)
        anchors.append(a_fig)
        same_mask.append(removal_figures(telea(scene.photo, refined), scene.clean, scene.truth))
        share = float((scene.truth > 0.5).mean())
        ceilings.append(sample_psnr(scene))
        left.append(object_left(result, scene) * 100)
        true_light.append(
            removal_figures(
                with_true_light(result, scene.clean, scene.truth), scene.clean, scene.truth
            )
        )
        print(
            f"    {scene.name:<20} hole {share:.1%}  texture {fig[0]:.2f} (Telea {a_fig[0]:.2f})"
            f"  seam {fig[1]:.2f} ({a_fig[1]:.2f})  PSNR {fig[2]:.1f} ({a_fig[2]:.1f};"
            f" truth moved 90 px {ceilings[-1]:.1f})"
            f"  low-pass {fig[3]:.1f} ({a_fig[3]:.1f})  object left {left[-1]:.2f} %"
            f"  {scene.note}"
        )
        # Every removal case: the worst are the ones to look at.
        save_side_by_side(
            f"removal-{scene.name}",
            [
                (scene.photo, "original"),
                (painted_overlay(scene.photo, scene.painted), "painted"),
                (refined, "refined mask"),
                (result, "result"),
                (old, "Telea, painted mask"),
                (scene.clean, "truth"),
            ],
        )
    anchor = "cv2.inpaint Telea, painted mask"
    print(
        "    the object left showing (its outline, parts the mask missed), share of its area:"
        f" median {statistics.median(left):.2f} % / worst {max(left):.2f} %"
    )
    print(
        "    a perfect new sample of each surface (the truth moved 90 px) scores PSNR median"
        f" {statistics.median(ceilings):.1f} / worst {min(ceilings):.1f} dB; the fill, case by"
        " case, above it: median"
        f" {statistics.median(r[2] - c for r, c in zip(rows, ceilings, strict=True)):+.1f} dB"
    )
    print(
        "    the same fills with the truth's broad light (sigma"
        f" {BROAD_LIGHT_SIGMA:g}) put in, median/worst: PSNR"
        f" {statistics.median(v[2] for v in true_light):.2f}/{min(v[2] for v in true_light):.2f},"
        f" low-pass PSNR {statistics.median(v[3] for v in true_light):.2f}"
        f"/{min(v[3] for v in true_light):.2f} (what a perfect low-frequency correction reaches)"
    )
    print(
        "    the fill alone: cv2.inpaint Telea through the same refined mask, median/worst: "
        + ", ".join(
            f"{label} {statistics.median(v[k] for v in same_mask):.2f}"
            f"/{(max if k == 1 else min)(v[k] for v in same_mask):.2f}"
            for k, label in enumerate(("texture", "seam", "PSNR", "low-pass PSNR"))
        )
    )
    for k, (label, unit, med, worst, higher) in enumerate(
        (
            ("texture (band-pass energy / truth)", "", (">= 0.8", 0.8), (">= 0.8", 0.8), True),
            ("seam (edge gradient / truth)", "", ("<= 1.5", 1.5), None, False),
            ("PSNR", "dB", (">= 15", 15.0), (">= 15", 15.0), True),
            ("low-pass PSNR", "dB", (">= 18.5", 18.5), (">= 18.5", 18.5), True),
        )
    ):
        _summary(
            bench,
            "removal",
            label,
            [r[k] for r in rows],
            [a[k] for a in anchors],
            unit=unit,
            anchor=anchor,
            goal_median=med,
            goal_worst=worst,
            higher_is_better=higher,
        )


# ----------------------------------------------------------------------------- times


def _big(scene: qs.Scene, side: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    photo = cv2.resize(scene.photo, (side, side), interpolation=cv2.INTER_CUBIC)
    painted = cv2.resize(scene.painted, (side, side), interpolation=cv2.INTER_NEAREST)
    return photo, painted


def _median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def times(bench: Bench) -> None:
    repeat = 1 if bench.quick else 3
    photo, painted = _big(qs.mask_scenes()[0])
    yardstick = _median_time(lambda: cv2.GaussianBlur(photo, (0, 0), 8.0), repeat)
    refine_s = _median_time(lambda: refine_mask(photo, painted), repeat)
    bench.record(
        "time: refine 2048²",
        refine_s,
        "s",
        anchor="Gaussian blur sigma 8, 2048²",
        anchor_value=yardstick,
        goal="<= 2 s",
        ok=refine_s <= 2.0,
    )
    refined = refine_mask(photo, painted)
    colour = lookup_colour("navy")
    assert colour is not None
    recolour_s = _median_time(lambda: recolor(photo, refined, colour), repeat)
    old_s = _median_time(lambda: old_recolour(photo, refined, colour.rgb), repeat)
    bench.record(
        "time: recolour 2048² after refining",
        recolour_s,
        "s",
        anchor="old recolour, same mask",
        anchor_value=old_s,
        goal="<= 0.3 s",
        ok=recolour_s <= 0.3,
    )
    scene = qs.removal_scenes()[0]
    photo, painted = _big(scene)
    refined = refine_mask(photo, painted)
    share = float((refined > 0).mean())
    removal_s = _median_time(lambda: remove_object(photo, refined), repeat)
    telea_s = _median_time(lambda: telea(photo, painted), 1)
    bench.record(
        f"time: removal 2048², {share:.1%} mask",
        removal_s,
        "s",
        anchor="cv2.inpaint Telea, same size",
        anchor_value=telea_s,
        goal="<= 4 s",
        ok=removal_s <= 4.0,
    )


FIGURES = (masks_family, recolour_family, removal_family, times)


def run(bench: Bench) -> None:
    count = len(qs.mask_scenes()) + len(qs.recolour_scenes()) + len(qs.removal_scenes())
    print(f"  {count} cases from scikit-image's bundled photos; pictures in {OUT}")
    for figure in FIGURES:
        figure(bench)
