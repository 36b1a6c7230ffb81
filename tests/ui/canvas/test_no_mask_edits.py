"""Colour requests sent with nothing painted, through the real canvas, chat and local engine:
"make it navy" recolours the main subject (the backdrop stays as it was) and the reply says
so; "make the background white" changes the backdrop and leaves the subject alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import Qt

from studio_desktop.domain.enums import MessageRole
from studio_desktop.services.canvas_screen import output_key
from tests.ui.canvas.conftest import blob_array, open_creation_from, scene, write_png
from tests.ui.canvas.test_chat import messages, type_and_send, wait_reply
from tests.ui.test_screenshots import assert_has_content, assert_text_fits

pytestmark = pytest.mark.gui

SIZE = (320, 240)
#: Where :func:`scene` draws the bag: an ellipse over (96, 60)-(224, 180).
BAG = (96, 60, 224, 180)


def ellipse_mask(box: tuple[float, float, float, float]) -> np.ndarray:
    mask = Image.new("L", SIZE, 0)
    ImageDraw.Draw(mask).ellipse(box, fill=255)
    return np.asarray(mask) > 0


def inside_bag() -> np.ndarray:
    """The bag less a 6 px rim (the subject mask's soft edge lies in the rim)."""
    x0, y0, x1, y1 = BAG
    return ellipse_mask((x0 + 6, y0 + 6, x1 - 6, y1 - 6))


def backdrop() -> np.ndarray:
    """The backdrop more than 6 px away from the bag."""
    x0, y0, x1, y1 = BAG
    return ~ellipse_mask((x0 - 6, y0 - 6, x1 + 6, y1 + 6))


@pytest.fixture
def opened(qtbot, area, tmp_path: Path):
    path = write_png(tmp_path / "in", "bag.png", scene(SIZE))
    open_creation_from(qtbot, area, [path])
    return area


def shown_reply_text(area, row: int) -> str:
    """The text the chat list shows for message ``row`` (what the designer reads)."""
    index = area.chat.list.model().index(row, 0)
    return str(index.data(Qt.ItemDataRole.DisplayRole))


def test_make_it_navy_with_nothing_painted_recolours_the_subject_only(
    qtbot, services, window, opened, screenshot
) -> None:
    area = opened
    assert area.current_layer.is_empty()
    assert area.chat.mask_hint.text() == "No mask: edits the main subject"
    before = blob_array(services, area.model.shown_key).astype(int)

    type_and_send(qtbot, area, "make it navy")
    reply = wait_reply(qtbot, area)
    assert reply.role == MessageRole.ASSISTANT
    expected = (
        "No area painted: I recoloured the main subject navy (#1f2a44). "
        "Paint to choose another part."
    )
    assert reply.text == expected
    assert shown_reply_text(area, 1) == expected
    key = output_key(reply)
    assert key is not None
    qtbot.waitUntil(lambda: area._shown_key == key, timeout=10_000)

    after = blob_array(services, key).astype(int)
    # The backdrop did not change; the bag did, to a dark blue with no red left.
    assert np.abs(after[backdrop()] - before[backdrop()]).max() <= 1
    changed = np.abs(after[inside_bag()] - before[inside_bag()]).sum(axis=1)
    assert (changed > 60).mean() > 0.99
    r, g, b = after[inside_bag()].mean(axis=0)
    assert r < 70 and b > r + 15 and b > g + 10, (r, g, b)
    assert area.version_strip.count() == 2
    # What the designer sees: the navy bag on the untouched backdrop, the reply in full.
    assert_has_content(screenshot(window, "canvas-no-mask-reply"))
    assert_text_fits(window)


def test_make_the_background_white_changes_the_backdrop_only(qtbot, services, opened) -> None:
    area = opened
    before = blob_array(services, area.model.shown_key).astype(int)

    type_and_send(qtbot, area, "make the background white")
    reply = wait_reply(qtbot, area)
    assert reply.text is not None
    assert reply.text.startswith("No area painted: I recoloured the background")
    assert shown_reply_text(area, 1) == reply.text
    key = output_key(reply)
    assert key is not None
    qtbot.waitUntil(lambda: area._shown_key == key, timeout=10_000)

    after = blob_array(services, key).astype(int)
    # The bag is kept exactly (its red untouched). The grey backdrop is lighter everywhere and
    # still neutral; recolour keeps shading, so its left-to-right gradient (190 -> 235) stays
    # as a lighter one (about 204 -> 247), not a flat 255.
    assert np.abs(after[inside_bag()] - before[inside_bag()]).max() <= 2
    was, now = before[backdrop()], after[backdrop()]
    assert (now.mean(axis=1) > was.mean(axis=1) + 8).mean() > 0.99
    assert now.mean() > 220
    assert np.abs(now - now.mean(axis=1, keepdims=True)).max() <= 3  # no tint
    # A second request with nothing painted still goes to the subject, not the backdrop.
    type_and_send(qtbot, area, "make it navy")
    second = wait_reply(qtbot, area, 4)
    assert second.text is not None and second.text.startswith("No area painted: I recoloured")
    assert len(messages(area)) == 4
