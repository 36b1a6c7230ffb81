"""Snap a roughly painted mask to the edges of the object under it.

A designer paints quickly: strokes spill past the object's edge (5-40 px is typical) and leave
gaps between them. :func:`refine_mask` treats the strokes as *intent* and returns a soft alpha
that follows the object:

1. **Where to look.** The strokes are closed (gaps between them up to about ``2 * margin``
   become part of the intent) and grown by the *margin* (:func:`margin_for`: 1 % of the image's
   long side, at least 8 px, at most 40 px). Nothing outside that grown area is ever selected:
   **the result is never larger than the painted area grown by the margin**, whatever the image.
2. **Graph cut.** On a reduced copy (long side about :data:`WORK_SIDE` px) of the region around
   the strokes, OpenCV's GrabCut separates the object from its surroundings: the painted pixels
   are *probable object*, except those that look like the spill (they start as *probable
   background*, so the object's colour model learns from the object): a colour more frequent
   outside the strokes than inside them, or a hue absent from the strokes' deepest part and
   present outside them (what the designer painted over almost entirely, so that it is rare
   outside: :func:`_looks_like_surroundings`); the margin band is *probable background* and
   what lies outside the grown area *background*. Nothing is *certain object*: an earlier
   version made the strokes' deep core certain, but a core that fell on surroundings the
   object's colour (coffee crema around a bag of its colour) then could never be cut away (a
   close-colour blob on coffee spilled 21 % with the certain core and no final cut, 4.8 % now).
   The cut is re-estimated a few times, so the spill is cut back to the edge and the gaps on the
   object are filled. GrabCut's random start is seeded: the same strokes on the same image
   give the same mask.
2b. **Final cut with texture.** Colour alone cannot tell a fur-textured red shirt from the
   glossy red saucer beside it. One more minimum cut (same colour models and edge-sensitive
   smoothness as GrabCut, solved with PyMaxflow's max-flow) adds a *texture* term: local contrast
   of the lightness, its histogram learnt from the object found so far versus what lies
   outside the strokes, so it only counts where the two differ, and only away from the
   object's edge (:data:`TEXTURE_CLEARANCE`). Two rounds: the colour models are re-learnt from
   the first final cut before the second. A *stroke-edge prior* (painted pixels near the
   strokes' outer edge more likely background, as strokes spill outward) was measured and
   left out: it cut away thin parts that run close to the strokes' edge (a bag's handle: 8 %
   and 19 % of two bags missed) for a spill median of 0.39 % instead of 0.73 %.
   Also measured and left out: sorting the painted pixels (object or spill) against the colours
   of the strokes' deep core (distance inside at least half its maximum) instead of all the
   strokes. It cuts the spill onto close colours (a close-colour blob on coffee 4.8 % -> 0.3 %,
   a camel dress between whose straps the hair shows 7.9 % -> 1.6 %, a black shirt by a black
   motorcycle seat 7.7 % -> 3.1 %), but the same thin parts go: a white handle on a light wall
   missed whole (recoloured black, the bag keeps a white handle: shading correlation 0.96 ->
   0.86), a bag's handle on grass 0.2 % -> 7.6 % missed (a removal would leave it behind);
   the tan bag on crema stayed at 32 % spill (the crema fills the core's top, inside the
   handle). A deeper core (0.8) fixes the tan bag and loses 29 % of a white bag whose core is
   its grey part.
2c. **Surroundings that run out of the strokes.** The designer paints round the object, so the
   object stays inside the strokes, while surroundings of a close colour that the cut took
   (hair between a dress's straps, a black seat beside a black shirt) run on past the strokes'
   edge. After the final cuts, the pieces of the object whose evidence (colour and texture
   log-likelihood ratio, object over background) is under :data:`WEAK_SHARE` of the object's
   median - what the models only half believe - and that reach the strokes' outer
   :data:`EDGE_BAND` px are dropped (:func:`_spill_reaching_the_edge`): the hair 7.9 % ->
   0.4 % spill, the seat 7.8 % -> 2.4 %. A weak piece that stays inside the strokes is kept
   (the object's own shadows and folds). Measured and left out: dropping those pieces from
   the object's training set before the models are re-learnt instead (the re-learnt cut then
   also cut away the top of a strap lying on the hair: shading correlation of a charcoal
   recolour 0.998 -> 0.880), and a second GrabCut whose object colours come from the strokes'
   core, whose disagreements reaching the edge were dropped (no figure better than this rule
   alone, 0.15 s more).
2d. **Thin parts.** GrabCut's smoothness weight charges every pixel of boundary, so a strap or
   a handle a few pixels wide costs more boundary than its colour evidence pays for and is cut
   away, however clear its colour (a brown strap on the cat's fur: colour log-likelihood
   ratio about +7 along it, the cut kept only its buckle). A second minimum cut with the same
   costs and :data:`THIN_GAMMA_SHARE` of the smoothness is taken; its parts narrower than
   :data:`THIN_WIDTH` (what an opening by that width removes) that are long (area at least
   :data:`THIN_ELONGATION` times their width squared) and touch the object are added. Blob-like
   additions of the looser cut are not (lowering the smoothness everywhere was measured: the
   close-colour spill grows, 4.8 % -> 7.2 % on the blob on coffee at a fifth of it).
2e. **Is the cut to be trusted?** A thin object inside thick strokes legitimately keeps little
   of the painted area (the strap: a quarter), so the share kept says nothing. What does:
   what the cut kept should be much commoner inside the strokes than in the surroundings
   outside them (:func:`_trusted`). The share of the painted area kept is compared with the
   share of the certain background (outside the grown strokes, within the working region)
   whose colour and texture evidence (smoothed over 5 x 5 px) says "object"; below
   :data:`MIN_ENRICHMENT` times, the cut is taken to have found a random part of a texture or
   a photo with no object under the strokes, and the painted mask is returned unchanged.
   Measured on the 39 scenes and on the same strokes over the same photos without the object:
   with the object the ratio is 13 or more (the dress by the hair) and mostly in the
   hundreds; without it 0.3-10, the higher ones where the strokes happen to hold a real
   object (the crema in a cup, the rocket).
2f. **Surroundings seen through the object's holes** (after step 2d, so that a handle the
   thin-part cut gave back closes its loop; before step 2e). Inside a handle's loop, between
   an arm and a body, the object's holes show the surroundings; where they are close to the
   object's colour and lie well inside the strokes, the cut keeps them and step 2c cannot see
   them (the beige wall inside a white bag's handle on the astronaut photo: a fifth of the
   loop, 5.5 % spill, recoloured black with the bag). The holes are what the cut left out
   that does not reach the working area's border. A weak piece (step 2c's evidence test)
   that touches a hole and is at least :data:`HOLE_PIECE_WIDTH` wide is compared, in CIELAB,
   with two Gaussians fitted within :data:`HOLE_NEIGHBOURHOOD` px of it: the object's
   confident pixels and what lies just outside the object (:data:`HOLE_RING` px). When the
   surroundings explain its colours better on average (mean log-likelihood ratio above 0),
   its pixels that they explain better are dropped (:func:`_seen_through_holes`); the rest,
   often the blended inner edge of the handle round it, stays. Measured: the wall in the loop
   5.5 % -> 0.3 % spill (recolour IoU 0.94 -> 0.99, the handle kept whole), the spoon's edge
   seen through a gap in a close-colour blob on coffee 2.5 % -> 0.9 %, the red tank between
   the black trousers' legs 3.2 % -> 2.1 % (missed 0.39 % -> 0.45 %); no other of the 29
   mask and recolour scenes changes. The pieces' mean log-likelihood ratios: 131, 40, 4.0
   and 2.8 for those dropped (91-100 % surroundings), -4.6 and below for the pieces kept
   (92-100 % object: a bag's shaded top, a handle's blend, trousers round an open hole), so
   any threshold from -4 to +2.5 decides the same. Each constant was moved over a range with
   the goals met throughout: :data:`HOLE_NEIGHBOURHOOD` 4-36 px (the blob 0.6-1.0 %, the
   rest the same), :data:`HOLE_RING` 1-12 px (the same within 0.2 %), :data:`HOLE_PIECE_WIDTH`
   3-8 px the same (1-2 px also drops the 1 px blend of a navy bag's top along its loop,
   missed 0.60 % -> 0.75 %; 12 px keeps the trousers' and the blob's pieces),
   :data:`HOLE_COLOUR_FLOOR` 0.25-100 (the blob 0.5-1.4 %, the trousers 2.0-2.3 %). Dropping
   the whole piece instead of its surroundings-like pixels: the blob 0.3 %, the trousers
   1.8 % (missed 0.96 %), but 2 % of the white handle round the wall goes with it. The weak
   pieces are step 2c's (:data:`WEAK_SHARE` 0.5); with a threshold of its own the hole rule
   decides the same for the bag from 0.2 to 0.5 (the blob's piece counts from 0.4); from 0.6
   it cuts into the white bag itself (recolour IoU 0.990 -> 0.987, 0.975 at 0.8, shading
   0.998 -> 0.961), so no higher share is used. Measured and left out: counting a gap closed
   by a 3-6 px closing as a hole, so that *nearly* enclosed holes count: every notch of an
   outline becomes one, 27 pieces are dropped instead of 4, some of them the object (131 px
   of a strap on fur, 97 % strap; 108 px of a red shirt, all shirt).
3. **Edge-aware soft alpha.** The cut is upsampled and passed through a colour guided filter
   (He et al., "Guided Image Filtering", 2010; the fast variant that solves at a reduced scale
   and applies the linear coefficients at full resolution, in strips): the edge of the alpha
   follows the image's edges to the pixel, with a soft 1-3 px transition where the image's
   edge is soft.
4. **Clamp.** The alpha is limited to the grown painted area (step 1).

Measured (``tests/bench/run.py quality``): on the 14 scenes of objects on real photos painted
with 5-40 px of spill and gaps the first rules were worked out on, IoU with the object median
0.99 (the painted strokes: 0.56), worst 0.95; spill past the edge median 0.6 % of the object's
area (strokes: 69 %), worst 4.8 % (a close-colour blob on coffee whose strokes cover the
spoon). The hue rule took the tan bag on crema from 34 % spill to 0.6 %. Three harder scenes
added afterwards (close colours round a hole and along thin parts): a brown strap on the cat's
fur failed with the smoothness weight alone (the cut kept the buckle and the strap's middle,
15 % of the strokes, and an area-share floor then returned the painted mask: IoU 0.24); the
thin-part cut (step 2d) and the trust test (step 2e) took it to 0.96. Over all 17 mask scenes
before step 2f: IoU median 0.99, worst 0.96; spill median 0.7 %, worst 3.2 % (the black
trousers by the black motorcycle); over the 12 recolour scenes spill worst 5.5 % (the wall
inside a white handle's loop). With step 2f: spill worst 2.7 % (a black strap on gravel)
and 2.4 % (camel on the motorcycle), every goal met. Still weak: the thin-part cut can add a
thin piece of the surroundings inside the strokes (a helmet's rim beside a blob: 2.3 % ->
2.5 % spill). About 1 s of CPU for a 2048 x 2048 image (0.85 s
before steps 2c-2e), about 1.9 s and 0.42 GB (whole process) for 6000 x 4000. Steps 2c-2f
work at the cut's reduced scale, so their cost does not grow with the image (step 2f: at most
16 ms over the 29 scenes, none where the object has no hole). The trust test
was checked on the same strokes over the same photos without the object (39 cases): with
the object the ratio of step 2e is 12 or more, without it 0-8.6; the four above 5 hold a real
object (the crema in a cup, the rocket), whose cut is kept. Every figure of the suite is the
same for any :data:`MIN_ENRICHMENT` from 1 to 12.

If the cut cannot be trusted (step 2e: the strokes are on a plain area or a texture with no
object in it, or object and surroundings cannot be told apart), the painted mask is returned as
it was: the designer then gets exactly what they painted.

Arrays in, arrays out: ``image`` is ``H x W x 3`` ``uint8`` RGB (grey ``H x W``, RGBA and 16-bit
sources are accepted and converted), ``painted`` is ``H x W`` ``uint8`` (0 = keep, 255 =
painted; bool accepted) in the app's mask format (:mod:`.masks`); the result is ``H x W``
``uint8`` 0..255.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import numpy.typing as npt

from studio_desktop.domain.errors import BugError
from studio_desktop.imaging.errors import MaskSizeError, RefinementCancelledError

#: The graph cut runs on a copy whose long side is at most this many pixels.
WORK_SIDE = 360
#: Width of the surroundings GrabCut sees around the strokes, in margins (:func:`margin_for`).
CONTEXT_MARGINS = 2
#: GrabCut iterations (each re-learns the colour models and re-cuts).
ITERATIONS = 4
#: The guided filter's solve scale: long side of the region at most this many pixels.
GUIDE_SIDE = 1024
#: Guided filter regularisation (variance units of 0..1 colours): lower = sharper edges.
GUIDE_EPS = 1e-3
#: Pixels per strip when the alpha is computed at full resolution (bounded memory).
STRIP_PIXELS = 1_000_000
#: Steepness applied to the filtered alpha around 0.5 (1 = as filtered).
EDGE_GAIN = 2.0
#: GrabCut's smoothness weight (its own default), used again by the final cut.
GAMMA = 50.0
#: Weight of the texture term in the final cut (times a log-likelihood ratio, in nats).
TEXTURE_WEIGHT = 3.0
#: The texture term counts only more than this many pixels (at the cut's reduced scale) from
#: the edge of the object found so far, on either side: a thin part's own edges (a 4 px bag
#: handle on brick) make its local contrast look like a busy background's.
TEXTURE_CLEARANCE = 2.5
#: The strokes' deepest part, whose hues are surely the object's: where the distance inside the
#: strokes is at least this share of its maximum. The strokes spill over the surroundings
#: around the object and over its holes, so this must stay clear of them: at 0.7 the deepest
#: part of the tan bag's strokes still reached into its handle's hole (crema).
DEEP_SHARE = 0.8
#: Bins along each of CIELAB's a* and b* for the hue/chroma histograms (8 units of 8-bit Lab).
CHROMA_BINS = 32
#: A hue is "absent" from the deepest part, or "present" in the surroundings, when its share of
#: the (smoothed) histogram is below / above this times the share of a uniform spread.
RARE_SHARE = 1.0
#: Final cuts, each after re-learning the colour models from the previous one.
FINAL_ROUNDS = 2
#: Object pixels whose evidence is under this share of the object's median are "weak" (step 2c).
WEAK_SHARE = 0.5
#: The strokes' edge: pixels (at the cut's reduced scale) at most this far inside them.
EDGE_BAND = 2.0
#: Step 2c': a weak piece touching a hole of the object is compared with the object and the
#: surroundings within this many px of it (at the cut's reduced scale)...
HOLE_NEIGHBOURHOOD = 12.0
#: ... the surroundings being what lies at most this many px outside the object ...
HOLE_RING = 3.0
#: ... and it counts only if it is at least this wide (px): the 1-2 px blend along the object's
#: edge next to a hole is not a piece of the surroundings.
HOLE_PIECE_WIDTH = 4.0
#: Variance (CIELAB units squared) added to the local colour models' covariances.
HOLE_COLOUR_FLOOR = 4.0
#: The cut is trusted when the share of the painted area it keeps is at least this many times
#: the share of the surroundings (outside the grown strokes) that looks like what it kept
#: (:func:`_trusted`).
MIN_ENRICHMENT = 5.0
#: The second, looser cut for thin parts uses this share of :data:`GAMMA` (:func:`_thin_parts`).
THIN_GAMMA_SHARE = 0.1
#: Parts of the looser cut narrower than this (px at the cut's reduced scale) are "thin".
THIN_WIDTH = 12.0
#: A thin part is kept when its area is at least this many times its width squared (a strap,
#: a handle; not a short bulge of spill).
THIN_ELONGATION = 4.0
#: Unary costs and edge weights are scaled by this and rounded for the integer max-flow.
FLOW_SCALE = 20.0

Progress = Callable[[float], None]
Cancelled = Callable[[], bool]


def margin_for(shape: tuple[int, ...]) -> int:
    """How far (pixels) past the painted area the refined mask may reach, for an image of
    ``shape`` (height, width, ...): 1 % of the long side, clamped to 8..40 px."""
    return int(min(40, max(8, round(0.01 * max(shape[0], shape[1])))))


def refine_mask(
    image: np.ndarray,
    painted: np.ndarray,
    *,
    progress: Progress | None = None,
    is_cancelled: Cancelled | None = None,
) -> npt.NDArray[np.uint8]:
    """The painted mask snapped to the object's edges, as a soft alpha (see the module doc).

    Never larger than ``painted`` grown by :func:`margin_for` pixels. An empty mask gives an
    empty mask; a mask covering everything is returned as it is. ``progress(fraction)`` is
    called along the way (0..1, ending with 1.0); when ``is_cancelled()`` turns true the work
    stops with :class:`RefinementCancelledError`.
    """
    rgb = _as_rgb8(image)
    mask = _as_mask8(painted, rgb.shape[:2])
    report = progress or (lambda _fraction: None)
    cancelled = is_cancelled or (lambda: False)

    def check(fraction: float) -> None:
        if cancelled():
            raise RefinementCancelledError()
        report(fraction)

    check(0.0)
    hard = mask >= 128
    if not hard.any():
        report(1.0)
        return np.where(mask > 0, mask, 0).astype(np.uint8) if mask.any() else mask
    if hard.all():
        report(1.0)
        return mask
    height, width = mask.shape
    margin = margin_for(mask.shape)

    # The region to work in: the strokes' box plus context for the background model.
    x0, y0, box_w, box_h = cv2.boundingRect(mask)
    x1, y1 = x0 + box_w, y0 + box_h
    # The background model learns from a ring about two margins wide around the strokes: the
    # surroundings next to the object, not the far side of the photo (measured: spill median
    # 1.1 % with this ring, 2.4 % with a ring of 15 % of the strokes' size).
    context = CONTEXT_MARGINS * margin
    y0, x0 = max(0, y0 - context), max(0, x0 - context)
    y1, x1 = min(height, y1 + context), min(width, x1 + context)
    roi_rgb = rgb[y0:y1, x0:x1]
    roi_hard = hard[y0:y1, x0:x1]
    roi_h, roi_w = roi_hard.shape

    allowed = _allowed(mask[y0:y1, x0:x1] > 0, margin)
    check(0.1)

    # --- graph cut at a reduced scale
    scale = min(1.0, WORK_SIDE / max(roi_h, roi_w))
    small_size = (max(1, round(roi_w * scale)), max(1, round(roi_h * scale)))
    small_rgb = cv2.resize(roi_rgb, small_size, interpolation=cv2.INTER_AREA)
    small_intent = _resize_bool(_close(roi_hard, margin), small_size)
    small_allowed = _resize_bool(allowed, small_size)
    cut = _grabcut(small_rgb, small_intent, small_allowed, check)
    if cut is None:
        report(1.0)
        return mask
    check(0.75)

    # --- edge-aware soft alpha at full resolution, clamped to the allowed area
    radius = max(2, round(1.5 / scale)) if scale < 1.0 else 2
    mean_a, mean_b = _guided_coefficients(roi_rgb, cut, radius, GUIDE_EPS)
    check(0.85)
    out = np.zeros((height, width), np.uint8)
    out[y0:y1, x0:x1] = _apply_coefficients(roi_rgb, mean_a, mean_b, allowed)
    report(1.0)
    return out


def snap_alpha(image: np.ndarray, hard: np.ndarray, *, margin: int = 2) -> npt.NDArray[np.uint8]:
    """A hard mask (bool, or uint8 with 255 = in) turned into a soft alpha whose edge follows the
    image's edges (step 3 of the module doc, no graph cut): for a mask that is already on the
    object's edge, such as the cutout's, whose own feathering reaches past the edge and would
    tint the background beside the object. Never more than ``margin`` px past ``hard``."""
    rgb = _as_rgb8(image)
    inside = _as_mask8(hard, rgb.shape[:2]) >= 128
    if not inside.any() or inside.all():
        return inside.astype(np.uint8) * np.uint8(255)
    height, width = inside.shape
    x0, y0, box_w, box_h = cv2.boundingRect(inside.astype(np.uint8))
    pad = 4 * max(2, margin)
    y0, x0 = max(0, y0 - pad), max(0, x0 - pad)
    y1, x1 = min(height, y0 + box_h + 2 * pad), min(width, x0 + box_w + 2 * pad)
    roi_rgb, roi = rgb[y0:y1, x0:x1], inside[y0:y1, x0:x1]
    mean_a, mean_b = _guided_coefficients(roi_rgb, roi, 2, GUIDE_EPS)
    out = np.zeros((height, width), np.uint8)
    out[y0:y1, x0:x1] = _apply_coefficients(roi_rgb, mean_a, mean_b, _allowed(roi, margin))
    return out


# ----------------------------------------------------------------------------- inputs


def _as_rgb8(image: np.ndarray) -> npt.NDArray[np.uint8]:
    """``image`` as ``H x W x 3`` ``uint8``: grey is repeated, alpha dropped, 16-bit scaled."""
    if not isinstance(image, np.ndarray):
        raise BugError(f"refine_mask needs a NumPy image, got {type(image).__name__}")
    arr = image
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise BugError(f"refine_mask needs an H x W x 3 image, got shape {image.shape}")
    arr = arr[..., :3]
    if arr.dtype == np.uint16:
        arr = (arr >> 8).astype(np.uint8)
    elif arr.dtype != np.uint8:
        raise BugError(f"refine_mask needs a uint8 (or uint16) image, got {arr.dtype}")
    return np.ascontiguousarray(arr)


def _as_mask8(painted: np.ndarray, shape: tuple[int, ...]) -> npt.NDArray[np.uint8]:
    if not isinstance(painted, np.ndarray) or painted.ndim != 2:
        kind = painted.shape if isinstance(painted, np.ndarray) else type(painted).__name__
        raise BugError(f"the painted mask must be an H x W array, got {kind}")
    if painted.shape != tuple(shape[:2]):
        raise MaskSizeError((painted.shape[1], painted.shape[0]), (int(shape[1]), int(shape[0])))
    if painted.dtype == np.bool_:
        return painted.astype(np.uint8) * np.uint8(255)
    if painted.dtype != np.uint8:
        raise BugError(f"the painted mask must be uint8 or bool, got {painted.dtype}")
    return np.ascontiguousarray(painted)


# ----------------------------------------------------------------------------- seeds


def _disk(radius: int) -> np.ndarray:
    size = 2 * max(1, radius) + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def _distance_outside(mask: np.ndarray) -> np.ndarray:
    """Euclidean distance (px) from each pixel to the nearest pixel of ``mask`` (0 inside)."""
    return cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def _close(hard: np.ndarray, margin: int) -> np.ndarray:
    """The strokes with the gaps between them (up to about ``2 * margin`` wide) closed: a
    dilation then an erosion by ``margin``, both from distance transforms (exact discs, and
    far cheaper than a 81 x 81 structuring element)."""
    grown = _distance_outside(hard) <= margin
    shrunk = cv2.distanceTransform(grown.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return (shrunk > margin) | hard


def _allowed(painted: np.ndarray, margin: int) -> np.ndarray:
    """The painted area grown by ``margin``: the most the refined mask may cover."""
    return _distance_outside(painted) <= margin


def _resize_bool(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(mask.astype(np.uint8) * 255, size, interpolation=cv2.INTER_AREA) >= 128


def _grabcut(
    rgb: np.ndarray,
    intent: np.ndarray,
    allowed: np.ndarray,
    check: Callable[[float], None],
) -> np.ndarray | None:
    """GrabCut seeded by the strokes, then the final cuts (steps 2-2e of the module doc); the
    object as a bool array, or None if it cannot run or is not to be trusted."""
    seeds = np.full(intent.shape, cv2.GC_BGD, np.uint8)
    seeds[allowed] = cv2.GC_PR_BGD
    seeds[intent] = cv2.GC_PR_FGD
    # Start the painted pixels whose colour is more typical of the surroundings than of the
    # strokes as probable background: the object's model then learns from the object, not
    # from the spill (GrabCut keeps what its first models say too faithfully otherwise).
    surroundings = _looks_like_surroundings(rgb, intent)
    seeds[intent & surroundings] = cv2.GC_PR_BGD
    if not (seeds == cv2.GC_BGD).any() or not (seeds == cv2.GC_PR_FGD).any():
        return None
    bgd = np.zeros((1, 65), np.float64)
    fgd = np.zeros((1, 65), np.float64)
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    # GrabCut seeds its colour models with k-means from OpenCV's per-thread RNG: fix it, so the
    # same strokes on the same image always give the same mask.
    cv2.setRNGSeed(0x5EED)
    try:
        for step in range(ITERATIONS):
            mode = cv2.GC_INIT_WITH_MASK if step == 0 else cv2.GC_EVAL
            cv2.grabCut(bgr, seeds, None, bgd, fgd, 1, mode)
            check(0.1 + 0.5 * (step + 1) / ITERATIONS)
    except cv2.error:
        # Too few distinct colours for a Gaussian mixture (a flat area): nothing to cut.
        return None
    found = seeds == cv2.GC_PR_FGD
    hard_bg = seeds == cv2.GC_BGD
    for round_ in range(FINAL_ROUNDS):
        if round_:
            # Re-learn the colour models from the last cut (one GC_EVAL step learns from the
            # labels it is given before cutting; its own cut is discarded).
            seeds = np.where(found, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
            seeds[hard_bg] = cv2.GC_BGD
            try:
                cv2.grabCut(bgr, seeds, None, bgd, fgd, 1, cv2.GC_EVAL)
            except cv2.error:
                break
        found, unaries, evidence = _final_cut(
            bgr, intent, found, hard_bg=hard_bg, models=(fgd, bgd)
        )
        check(0.6 + 0.1 * (round_ + 1) / FINAL_ROUNDS)
    # Step 2c: weak pieces of the object that run out to the strokes' edge are surroundings.
    strong = float(np.median(evidence[found])) if found.any() else 0.0
    found = found & ~_spill_reaching_the_edge(found & (evidence < WEAK_SHARE * strong), intent)
    found = found | _thin_parts(bgr, found, unaries)
    # Step 2f: weak pieces that hold the surroundings seen through the object's holes (the
    # thin parts just added may be what closes a handle's loop).
    found = found & ~_seen_through_holes(rgb, found, found & (evidence < WEAK_SHARE * strong))
    if not _trusted(found, intent, hard_bg, evidence):
        return None
    return found


def _trusted(
    found: np.ndarray, intent: np.ndarray, hard_bg: np.ndarray, evidence: np.ndarray
) -> bool:
    """Whether the cut found an object the strokes were drawn round (see the module doc)."""
    if not found.any() or not hard_bg.any():
        return False
    kept = float(found[intent].mean()) if intent.any() else 0.0
    smooth = cv2.blur(np.clip(evidence, -20, 20).astype(np.float32), (5, 5))
    alike = float((smooth[hard_bg] > 0).mean())
    enrichment = kept / max(alike, 1e-3)
    return enrichment >= MIN_ENRICHMENT


def _thin_parts(
    bgr: np.ndarray, found: np.ndarray, unaries: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """Thin structures the smoothness weight cut away (see the module doc)."""
    loose = _min_cut(*unaries, _smoothness(bgr, GAMMA * THIN_GAMMA_SHARE))
    disc = _disk(int(THIN_WIDTH // 2))
    thick = cv2.morphologyEx(loose.astype(np.uint8), cv2.MORPH_OPEN, disc).astype(bool)
    thin = (loose & ~thick).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(thin, connectivity=8)
    if count <= 1:
        return np.zeros_like(found)
    half_width = cv2.distanceTransform(thin, cv2.DIST_L2, 5)
    widest = np.zeros(count, np.float32)
    np.maximum.at(widest, labels.ravel(), half_width.ravel())
    near = cv2.dilate(found.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    touches = np.zeros(count, bool)
    touches[np.unique(labels[near & (thin > 0)])] = True
    width = 2.0 * np.maximum(widest, 0.5)
    keep = touches & (stats[:, cv2.CC_STAT_AREA] >= THIN_ELONGATION * width * width)
    keep[0] = False
    return keep[labels]


def _spill_reaching_the_edge(part: np.ndarray, intent: np.ndarray) -> np.ndarray:
    """The connected pieces of ``part`` that reach the strokes' edge (their outer
    :data:`EDGE_BAND` px)."""
    depth = cv2.distanceTransform(intent.astype(np.uint8), cv2.DIST_L2, 5)
    edge = intent & (depth <= EDGE_BAND)
    count, labels = cv2.connectedComponents(part.astype(np.uint8), connectivity=8)
    if count <= 1:
        return np.zeros_like(part)
    reach = np.zeros(count, bool)
    reach[np.unique(labels[edge & part])] = True
    reach[0] = False
    return reach[labels]


def _seen_through_holes(rgb: np.ndarray, found: np.ndarray, weak: np.ndarray) -> np.ndarray:
    """The weak pieces of the object that are the surroundings seen through one of its holes
    (step 2c' of the module doc): a piece of ``weak`` (connected, at least
    :data:`HOLE_PIECE_WIDTH` wide) that touches a hole of ``found`` (a part of what is not
    the object that does not reach the working area's border) and whose colours are more
    likely under a Gaussian of the surroundings just outside the object (:data:`HOLE_RING`)
    than under one of the object's confident pixels, both taken within
    :data:`HOLE_NEIGHBOURHOOD` px of the piece."""
    none = np.zeros_like(found)
    count, labels = cv2.connectedComponents((~found).astype(np.uint8), connectivity=4)
    border = np.unique(np.r_[labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    open_ = np.zeros(count, bool)
    open_[border] = True
    open_[labels[found]] = True  # label 0, the object itself
    holes = ~open_[labels]
    if not holes.any() or not weak.any():
        return none
    outside = ~found & ~holes
    ring = outside & (cv2.distanceTransform((~found).astype(np.uint8), cv2.DIST_L2, 5) <= HOLE_RING)
    count, pieces = cv2.connectedComponents(weak.astype(np.uint8), connectivity=8)
    near_hole = cv2.dilate(holes.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    half_width = cv2.distanceTransform(weak.astype(np.uint8), cv2.DIST_L2, 5)
    widest = np.zeros(count, np.float32)
    np.maximum.at(widest, pieces.ravel(), half_width.ravel())
    candidates = np.unique(pieces[near_hole & weak])
    candidates = candidates[(candidates > 0) & (2.0 * widest[candidates] >= HOLE_PIECE_WIDTH)]
    if candidates.size == 0:
        return none
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab).astype(np.float64)
    confident = found & ~weak
    reach = _disk(round(HOLE_NEIGHBOURHOOD))
    drop = none.copy()
    for index in candidates:
        piece = pieces == index
        near = cv2.dilate(piece.astype(np.uint8), reach).astype(bool)
        own, beyond = lab[near & confident], lab[near & ring]
        if len(own) < 4 or len(beyond) < 4:
            continue
        colours = lab[piece]
        ratio = _gauss_log_likelihood(beyond, colours) - _gauss_log_likelihood(own, colours)
        if float(ratio.mean()) > 0.0:
            # Only its pixels that look like the surroundings: the piece often takes in the
            # blended inner edge of the handle round it, which stays.
            drop[piece] = ratio > 0.0
    return drop


def _gauss_log_likelihood(sample: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Log-likelihood of each row of ``values`` under one Gaussian fitted to ``sample`` (rows
    of CIELAB colours; :data:`HOLE_COLOUR_FLOOR` added to the covariance's diagonal)."""
    mean = sample.mean(axis=0)
    cov = np.cov(sample.T) + np.eye(3) * HOLE_COLOUR_FLOOR
    d = values - mean
    q = np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d)
    return -0.5 * q - 0.5 * float(np.log(np.linalg.det(cov)))


def _looks_like_surroundings(rgb: np.ndarray, intent: np.ndarray) -> np.ndarray:
    """True where a painted pixel looks like the spill rather than the object:

    - its colour is more frequent outside the strokes than inside them (smoothed
      16-level-per-channel RGB histograms), or
    - its *hue* (CIELAB a*, b*) is absent from the strokes' deepest part (:data:`DEEP_SHARE`)
      and present outside them. Hue alone, since shading changes a garment's lightness but not
      its hue: a white bag whose deepest part is in shade keeps its white handle. This catches
      what the designer covered almost entirely, so that it is rare outside the strokes and
      the first rule cannot see it: the crema round a tan bag (its hue is 30 units of b* away
      from the bag's), 34 % of the bag's area taken as bag without this rule, 0.6 % with it.
    """
    bins = 16
    codes = (rgb // (256 // bins)).astype(np.int32)
    flat = (codes[..., 0] * bins + codes[..., 1]) * bins + codes[..., 2]
    inside = np.bincount(flat[intent], minlength=bins**3).astype(np.float32)
    outside = np.bincount(flat[~intent], minlength=bins**3).astype(np.float32)
    inside = _smooth_hist(inside, bins) / max(float(inside.sum()), 1.0)
    outside = _smooth_hist(outside, bins) / max(float(outside.sum()), 1.0)
    by_colour = (outside > inside)[flat]

    depth = cv2.distanceTransform(intent.astype(np.uint8), cv2.DIST_L2, 5)
    deepest = depth >= DEEP_SHARE * float(depth.max())
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)
    n = CHROMA_BINS
    hue = ((lab[..., 1].astype(np.int32) * n) >> 8) * n + ((lab[..., 2].astype(np.int32) * n) >> 8)
    hue_deep = np.bincount(hue[deepest], minlength=n * n).astype(np.float32)
    hue_out = np.bincount(hue[~intent], minlength=n * n).astype(np.float32)
    hue_deep = _smooth_2d(hue_deep, n) / max(float(hue_deep.sum()), 1.0)
    hue_out = _smooth_2d(hue_out, n) / max(float(hue_out.sum()), 1.0)
    uniform = RARE_SHARE / (n * n)
    foreign = (hue_deep < uniform) & (hue_out > uniform)
    return by_colour | foreign[hue]


def _smooth_2d(hist: np.ndarray, n: int) -> np.ndarray:
    square = hist.reshape(n, n)
    for axis in range(2):
        square = np.roll(square, 1, axis) * 0.25 + square * 0.5 + np.roll(square, -1, axis) * 0.25
    return square.reshape(-1)


def _smooth_hist(hist: np.ndarray, bins: int) -> np.ndarray:
    cube = hist.reshape(bins, bins, bins)
    for axis in range(3):
        cube = np.roll(cube, 1, axis) * 0.25 + cube * 0.5 + np.roll(cube, -1, axis) * 0.25
    return cube.reshape(-1)


# ----------------------------------------------------------------------------- final cut


def _gmm_cost(model: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """``-log`` likelihood of each ``pixels`` row (BGR floats) under one of GrabCut's Gaussian
    mixtures (OpenCV's 65-value layout: 5 weights, 5 means, 5 3 x 3 covariances). Constant
    factors are dropped (they cancel between the two labels)."""
    values = model.reshape(-1).astype(np.float64)
    k = 5
    weights, means = values[:k], values[k : 4 * k].reshape(k, 3)
    covs = values[4 * k :].reshape(k, 3, 3)
    likelihood = np.zeros(pixels.shape[0])
    for i in range(k):
        det = float(np.linalg.det(covs[i]))
        if weights[i] <= 0 or det <= 0:
            continue
        d = pixels - means[i]
        q = np.einsum("ni,ij,nj->n", d, np.linalg.inv(covs[i]), d)
        likelihood += weights[i] / np.sqrt(det) * np.exp(-0.5 * q)
    return -np.log(np.maximum(likelihood, 1e-300))


def _texture_bins(bgr: np.ndarray, bins: int = 16) -> np.ndarray:
    """Local contrast (standard deviation of the lightness over 5 x 5 px), log-quantised."""
    lightness = cv2.cvtColor(bgr, cv2.COLOR_BGR2Lab)[..., 0].astype(np.float32)
    mean = cv2.blur(lightness, (5, 5))
    std = np.sqrt(np.maximum(cv2.blur(lightness * lightness, (5, 5)) - mean * mean, 0.0))
    return np.clip((np.log1p(std) / np.log1p(64.0) * bins).astype(np.int32), 0, bins - 1)


def _texture_cost(codes: np.ndarray, where: np.ndarray, bins: int = 16) -> np.ndarray:
    """``-log`` of the (smoothed, Laplace-corrected) texture histogram of ``where``, per pixel."""
    counts = np.bincount(codes[where], minlength=bins).astype(np.float64)
    counts = np.convolve(np.r_[counts[:1], counts, counts[-1:]], [0.25, 0.5, 0.25], "valid")
    return -np.log((counts + 1.0) / (counts.sum() + bins))[codes]


def _final_cut(
    bgr: np.ndarray,
    intent: np.ndarray,
    found: np.ndarray,
    *,
    hard_bg: np.ndarray,
    models: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """One more minimum cut: GrabCut's colour models and smoothness, plus texture (module
    doc, step 2b). ``found`` is the last cut's object, ``hard_bg``
    the certain background (outside the allowed area), ``models`` GrabCut's object and
    background mixtures. Returns the cut, its unary costs (to the source, to the sink: for the
    looser cut of step 2d) and the evidence for "object" per pixel (``-log`` likelihood of
    background minus that of object, colour and texture: for steps 2c and 2e)."""
    shape = intent.shape
    pixels = bgr.reshape(-1, 3).astype(np.float64)
    cost_fg = _gmm_cost(models[0], pixels).reshape(shape)
    cost_bg = _gmm_cost(models[1], pixels).reshape(shape)
    # Texture: the object's histogram from the object found so far away from its edge, the
    # surroundings' from outside the strokes; applied away from the found object's edge.
    codes = _texture_bins(bgr)
    found8 = found.astype(np.uint8)
    inner = cv2.erode(found8, np.ones((7, 7), np.uint8)).astype(bool)
    if inner.any() and (~intent).any():
        clear = (cv2.distanceTransform(found8, cv2.DIST_L2, 5) > TEXTURE_CLEARANCE) | (
            cv2.distanceTransform(1 - found8, cv2.DIST_L2, 5) > TEXTURE_CLEARANCE
        )
        weight = np.float32(TEXTURE_WEIGHT) * clear
        cost_fg = cost_fg + weight * _texture_cost(codes, inner)
        cost_bg = cost_bg + weight * _texture_cost(codes, ~intent)
    # Source side = object: cutting source -> p labels p background (costs cost_bg).
    certain = 9.0 * GAMMA * 10.0
    to_source = np.where(hard_bg, 0.0, cost_bg)
    to_sink = np.where(hard_bg, certain, cost_fg)
    common = np.minimum(to_source, to_sink)
    unaries = (to_source - common, to_sink - common)
    return _min_cut(*unaries, _smoothness(bgr, GAMMA)), unaries, cost_bg - cost_fg


def _smoothness(bgr: np.ndarray, gamma: float) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """GrabCut's edge-sensitive pair weights on the 8-neighbourhood:
    ``gamma / dist * exp(-beta * |colour difference|^2)``, beta from the mean difference."""
    height, width = bgr.shape[:2]
    index = np.arange(height * width).reshape(height, width)
    colour = bgr.astype(np.float64)
    whole, head, tail = slice(None), slice(1, None), slice(None, -1)
    pairs = (
        ((whole, head), (whole, tail), 1.0),
        ((head, whole), (tail, whole), 1.0),
        ((head, head), (tail, tail), 2**-0.5),
        ((head, tail), (tail, head), 2**-0.5),
    )
    diffs = [((colour[a] - colour[b]) ** 2).sum(axis=-1) for a, b, _ in pairs]
    mean = float(np.mean(np.concatenate([d.ravel() for d in diffs]))) if diffs else 0.0
    beta = 1.0 / (2.0 * max(mean, 1e-9))
    return [
        (index[a].ravel(), index[b].ravel(), (gamma * w * np.exp(-beta * d)).ravel())
        for (a, b, w), d in zip(pairs, diffs, strict=True)
    ]


def _min_cut(
    to_source: np.ndarray,
    to_sink: np.ndarray,
    pairs: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> np.ndarray:
    """The source side of the minimum s-t cut of a grid graph, on integer capacities
    (Boykov-Kolmogorov max-flow from PyMaxflow: a 1 MB extension, where SciPy's max-flow would
    bring 70 MB of SciPy into the bundle). Imported here: opening the canvas does not wait."""
    import maxflow

    shape = to_source.shape
    count = to_source.size
    edges = sum(len(a) for a, _b, _w in pairs)
    graph = maxflow.Graph[int](count, edges)
    ids = graph.add_nodes(count)  # 0 .. count - 1, the pixels in raster order

    def scaled(values: np.ndarray) -> np.ndarray:
        return np.rint(np.asarray(values, np.float64).ravel() * FLOW_SCALE).astype(np.int64)

    graph.add_grid_tedges(ids, scaled(to_source), scaled(to_sink))
    for a, b, weight in pairs:
        capacity = scaled(weight)
        keep = capacity > 0
        graph.add_edges(ids[a[keep]], ids[b[keep]], capacity[keep], capacity[keep])
    graph.maxflow()
    # get_grid_segments: True for the sink side.
    return ~graph.get_grid_segments(ids).reshape(shape)


# ----------------------------------------------------------------------------- guided filter


def _box(values: np.ndarray, radius: int) -> np.ndarray:
    size = 2 * radius + 1
    return cv2.boxFilter(values, -1, (size, size), borderType=cv2.BORDER_REFLECT)


def _guided_coefficients(
    rgb: np.ndarray, cut: np.ndarray, radius: int, eps: float
) -> tuple[np.ndarray, np.ndarray]:
    """The colour guided filter's averaged linear coefficients (``a``: 3 channels, ``b``) for
    the cut (bool, any scale) guided by ``rgb``, solved at a reduced scale (long side
    :data:`GUIDE_SIDE`): the fast guided filter (He and Sun, 2015). ``radius`` is in ``rgb``'s
    pixels."""
    height, width = rgb.shape[:2]
    scale = min(1.0, GUIDE_SIDE / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    guide = rgb.astype(np.float32) * np.float32(1.0 / 255.0)
    if scale < 1.0:
        guide = cv2.resize(guide, size, interpolation=cv2.INTER_AREA)
    target = cv2.resize(cut.astype(np.float32), size, interpolation=cv2.INTER_LINEAR)
    r = max(1, round(radius * scale))
    mean_i = _box(guide, r)
    mean_p = _box(target, r)
    mean_ip = _box(guide * target[..., None], r)
    cov_ip = mean_ip - mean_i * mean_p[..., None]

    # Covariance of the guide's channels (symmetric 3 x 3 per pixel) plus eps on the diagonal,
    # inverted in closed form (cofactors): ten times faster than a batched np.linalg.solve.
    def cov(i: int, j: int) -> np.ndarray:
        return _box(guide[..., i] * guide[..., j], r) - mean_i[..., i] * mean_i[..., j]

    rr, rg, rb = cov(0, 0) + eps, cov(0, 1), cov(0, 2)
    gg, gb, bb = cov(1, 1) + eps, cov(1, 2), cov(2, 2) + eps
    inv_rr, inv_rg, inv_rb = gg * bb - gb * gb, gb * rb - rg * bb, rg * gb - gg * rb
    inv_gg, inv_gb, inv_bb = rr * bb - rb * rb, rb * rg - rr * gb, rr * gg - rg * rg
    det = rr * inv_rr + rg * inv_rg + rb * inv_rb
    cr, cg, cb = cov_ip[..., 0], cov_ip[..., 1], cov_ip[..., 2]
    a = (
        np.stack(
            [
                inv_rr * cr + inv_rg * cg + inv_rb * cb,
                inv_rg * cr + inv_gg * cg + inv_gb * cb,
                inv_rb * cr + inv_gb * cg + inv_bb * cb,
            ],
            axis=-1,
        )
        / det[..., None]
    )
    b = mean_p - np.einsum("hwc,hwc->hw", a, mean_i)
    return _box(a, r), _box(b, r)


def _apply_coefficients(
    rgb: np.ndarray, mean_a: np.ndarray, mean_b: np.ndarray, allowed: np.ndarray
) -> npt.NDArray[np.uint8]:
    """``alpha = a . I + b`` at ``rgb``'s resolution, the coefficients interpolated bilinearly,
    steepened by :data:`EDGE_GAIN` around one half (the filter spreads a hard edge over about
    twice its radius; the transition should be the image's own edge width), clipped to 0..1,
    zero outside ``allowed``; as uint8. Done in strips of rows, so memory stays bounded on
    very large images."""
    height, width = rgb.shape[:2]
    small_h, small_w = mean_b.shape
    out = np.empty((height, width), np.uint8)
    rows = max(16, STRIP_PIXELS // max(1, width))
    xs = ((np.arange(width, dtype=np.float32) + 0.5) * (small_w / width) - 0.5).astype(np.float32)
    for y0 in range(0, height, rows):
        y1 = min(height, y0 + rows)
        ys = (np.arange(y0, y1, dtype=np.float32) + 0.5) * (small_h / height) - 0.5
        map_x = np.broadcast_to(xs[None, :], (y1 - y0, width)).astype(np.float32)
        map_y = np.broadcast_to(ys[:, None], (y1 - y0, width)).astype(np.float32)
        a = cv2.remap(mean_a, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        b = cv2.remap(mean_b, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        guide = rgb[y0:y1].astype(np.float32) * np.float32(1.0 / 255.0)
        alpha = np.einsum("hwc,hwc->hw", a.reshape(y1 - y0, width, 3), guide) + b
        alpha = (alpha - 0.5) * EDGE_GAIN + 0.5
        np.clip(alpha, 0.0, 1.0, out=alpha)
        alpha[~allowed[y0:y1]] = 0.0
        out[y0:y1] = np.rint(alpha * 255.0).astype(np.uint8)
    return out
