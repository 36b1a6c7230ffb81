"""Screenshots (both palettes) of the canvas's new states, for a person to look at: the object
box being dragged, the snapped outline with what snapping drops tinted faintly, and an older
version viewed (its note at the top)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QMouseEvent

from tests.imaging.photo_scene import photo_scene
from tests.ui.canvas.conftest import image_stroke, mouse, open_creation_from
from tests.ui.canvas.test_chat import type_and_send, wait_reply
from tests.ui.test_screenshots import assert_has_content, assert_text_fits

pytestmark = pytest.mark.gui


@pytest.fixture
def photo(qtbot, area, tmp_path: Path):
    scene = photo_scene(size=(960, 640))
    path = tmp_path / "in" / "bag.png"
    path.parent.mkdir(parents=True)
    Image.fromarray(scene.image).save(path)
    open_creation_from(qtbot, area, [path])
    area.canvas.setFocus()
    return scene


def test_object_box_while_dragging(scheme, qtbot, window, area, *, photo, screenshot) -> None:
    area.action_object.trigger()
    x, y, w, h = photo.box
    canvas = area.canvas
    start = canvas.image_to_widget(QPointF(x, y))
    end = canvas.image_to_widget(QPointF(x + w, y + h))
    mouse(canvas, QMouseEvent.Type.MouseButtonPress, start)
    mouse(canvas, QMouseEvent.Type.MouseMove, end, buttons=Qt.MouseButton.LeftButton)
    path = screenshot(window, "canvas-select-object-box")
    assert_has_content(path)
    mouse(canvas, QMouseEvent.Type.MouseButtonRelease, end)
    qtbot.waitUntil(lambda: area.undo_stack.count() == 1, timeout=15_000)


def test_snapped_outline_over_sloppy_strokes(scheme, qtbot, window, area, *, photo, screenshot):
    cx, cy = photo.centre
    area.canvas.set_brush_size(110)
    with qtbot.waitSignal(area.refined, timeout=20_000):
        image_stroke(area, [(cx - 140, cy - 90), (cx, cy - 110), (cx + 140, cy - 80)])
        image_stroke(area, [(cx - 170, cy + 10), (cx + 170, cy)])
        image_stroke(area, [(cx - 130, cy + 100), (cx, cy + 115), (cx + 130, cy + 90)])
    path = screenshot(window, "canvas-snap-to-edges")
    assert_has_content(path)
    assert_text_fits(window)


def test_an_older_version_viewed(scheme, qtbot, window, area, *, photo, screenshot) -> None:
    area.action_snap.setChecked(False)
    type_and_send(qtbot, area, "make it grayscale")
    wait_reply(qtbot, area, 2)
    area.show_version(0)
    qtbot.waitUntil(lambda: "Viewing Original" in area.canvas.note, timeout=10_000)
    qtbot.wait(100)
    path = screenshot(window, "canvas-viewing-a-version")
    assert_has_content(path)
    assert_text_fits(window)


def test_select_object_running_with_its_cancel(
    scheme, qtbot, window, area, *, tmp_path, screenshot
):
    """Select object on a 12 MP photo, while it runs: the Cancel button at the canvas's corner."""
    from PySide6.QtWidgets import QPushButton

    scene = photo_scene(size=(4000, 3000))
    path = tmp_path / "in" / "big.jpg"
    path.parent.mkdir(parents=True)
    Image.fromarray(scene.image).save(path, quality=92)
    open_creation_from(qtbot, area, [path])
    area.action_snap.setChecked(False)
    area.action_object.trigger()
    canvas = area.canvas
    point = canvas.image_to_widget(QPointF(*scene.centre))
    mouse(canvas, QMouseEvent.Type.MouseButtonPress, point)
    mouse(canvas, QMouseEvent.Type.MouseButtonRelease, point)
    button = canvas.findChild(QPushButton, "CancelSelectObjectButton")
    qtbot.waitUntil(lambda: button is not None and button.isVisible(), timeout=5_000)
    shot = screenshot(window, "canvas-select-object-cancel")
    assert_has_content(shot)
    assert_text_fits(window)
    button.click()
    qtbot.waitUntil(lambda: not button.isVisible(), timeout=15_000)
