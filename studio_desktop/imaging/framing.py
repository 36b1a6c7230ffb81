"""Where to frame a picture of a person in a smaller box: from the top of the person, their head
in view, not the centre (a centre crop of a full-length or half-length portrait cuts the head
off).

No face-detection model ships with the app (OpenCV 5's wheel has neither Haar cascades nor a
face model, and nothing may be downloaded at run time), so the person is found the way a studio
photo allows: the backdrop is what the borders of the picture show; what differs from it is the
subject. Its top row and the middle of its top part (the head) are the focus. When no subject
stands out (a busy scene, a close-up that fills the frame), :func:`subject_focus` says so and the
caller frames from near the top instead.

    focus = subject_focus(rgb)                # Focus(x=0.52, top=0.07) or None
    box = frame_box(src_w, src_h, box_w, box_h, focus)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: The part of the picture's edge read as the backdrop.
BORDER = 0.04
#: Room left above the top of the subject, as a part of the box's height.
HEADROOM = 0.06
#: With no subject found: where the box sits in the free height (0 = top, 0.5 = centre).
TOP_BIAS = 0.12
#: The top part of the subject whose middle is the head's.
HEAD_PART = 0.18


@dataclass(frozen=True, slots=True)
class Focus:
    """Fractions of the picture: the head's horizontal middle, the subject's top."""

    x: float
    top: float


def subject_focus(rgb: npt.NDArray[np.uint8]) -> Focus | None:
    """The subject's head position in an RGB(A) picture, or None when none stands out."""
    import cv2  # (here: the profile cards import this module, and start-up need not load cv2)

    if rgb.ndim != 3 or rgb.shape[0] < 16 or rgb.shape[1] < 16:
        return None
    h, w = rgb.shape[:2]
    pixels = rgb[..., :3].astype(np.float32)
    if rgb.shape[2] == 4:  # a cutout: the subject is what is opaque
        mask = rgb[..., 3] > 127
    else:
        b = max(2, round(min(h, w) * BORDER))
        border = np.concatenate(
            [
                pixels[:b].reshape(-1, 3),
                pixels[-b:].reshape(-1, 3),
                pixels[:, :b].reshape(-1, 3),
                pixels[:, -b:].reshape(-1, 3),
            ]
        )
        backdrop = np.median(border, axis=0)
        spread = np.median(np.linalg.norm(border - backdrop, axis=1))
        distance = np.linalg.norm(pixels - backdrop, axis=2)
        mask = distance > max(28.0, 3.0 * float(spread))
    mask_u8 = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    count, labels, stats, _centroids = cv2.connectedComponentsWithStats(mask_u8, connectivity=8)
    if count <= 1:
        return None
    # The subject: the biggest part and every sizeable part beside it (a head is often apart
    # from the body: a neck in the backdrop's colour, a collar's shadow); specks are dropped.
    areas = stats[1:, cv2.CC_STAT_AREA]
    biggest = int(areas.max())
    keep = 1 + np.flatnonzero(areas >= max(0.002 * h * w, 0.02 * biggest))
    area = int(areas[keep - 1].sum())
    if not 0.03 * h * w <= area <= 0.92 * h * w:
        return None
    subject = np.isin(labels, keep)
    rows = np.flatnonzero(subject.sum(axis=1) >= max(2, 0.01 * w))
    if rows.size == 0:
        return None
    top, bottom = int(rows[0]), int(rows[-1])
    band = subject[top : top + max(2, round((bottom - top + 1) * HEAD_PART))]
    _rows, xs = np.nonzero(band)
    if xs.size == 0:
        return None
    return Focus(x=float(xs.mean() + 0.5) / w, top=top / h)


def frame_box(
    source_w: int, source_h: int, box_w: int, box_h: int, focus: Focus | None
) -> tuple[int, int, int, int]:
    """The part (x, y, width, height) of a ``source_w`` x ``source_h`` picture that fills a
    ``box_w`` x ``box_h`` box (same aspect, as large as fits), framed on ``focus`` (its top
    with some headroom, its head centred) or near the top when there is none."""
    if min(source_w, source_h, box_w, box_h) <= 0:
        return 0, 0, max(source_w, 0), max(source_h, 0)
    scale = max(box_w / source_w, box_h / source_h)
    width = min(source_w, round(box_w / scale))
    height = min(source_h, round(box_h / scale))
    free_x, free_y = source_w - width, source_h - height
    if focus is None:
        return free_x // 2, round(free_y * TOP_BIAS), width, height
    x = round(focus.x * source_w - width / 2)
    y = round(focus.top * source_h - HEADROOM * height)
    return min(max(x, 0), free_x), min(max(y, 0), free_y), width, height
