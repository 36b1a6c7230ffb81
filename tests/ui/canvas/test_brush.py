"""The mask brush through the real Canvas area: strokes at different zooms set exactly the
pixels under them, the eraser, brush size, zoom and pan, undo/redo, clear, invert, show/hide."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from studio_desktop.ui.canvas.view import Tool
from tests.ui.canvas.conftest import (
    drag,
    image_stroke,
    mouse,
    open_creation_from,
    scene,
    segment_distance,
    write_png,
)

pytestmark = pytest.mark.gui


@pytest.fixture
def opened(qtbot, area, tmp_path: Path):
    path = write_png(tmp_path / "in", "bag.png", scene((640, 480)))
    open_creation_from(qtbot, area, [path])
    area.canvas.setFocus()
    return area


def assert_stroke(mask: np.ndarray, a, b, diameter: float) -> None:
    distance = segment_distance(mask.shape, a, b)
    radius = diameter / 2
    inside = distance <= radius - 1.0
    outside = distance >= radius + 1.0
    assert inside.any()
    assert (mask[inside] == 255).all(), "pixels under the stroke are not fully selected"
    assert (mask[outside] == 0).all(), "pixels away from the stroke are selected"


def test_stroke_sets_the_pixels_under_it_at_fit_zoom(opened) -> None:
    canvas = opened.canvas
    assert canvas.zoom < 1.0  # a 640 px image fitted in the view
    canvas.set_brush_size(30)
    image_stroke(opened, [(100, 100), (180, 130), (260, 160)])
    mask = opened.current_layer.array
    # The stroke went through two segments; check each against its own capsule.
    d1 = segment_distance(mask.shape, (100, 100), (180, 130))
    d2 = segment_distance(mask.shape, (180, 130), (260, 160))
    distance = np.minimum(d1, d2)
    assert (mask[distance <= 14] == 255).all()
    assert (mask[distance >= 16] == 0).all()
    assert opened.undo_stack.count() == 1
    assert opened.undo_stack.undoText() == "Brush stroke"


def test_stroke_at_200_percent_and_after_panning(qtbot, opened) -> None:
    canvas = opened.canvas
    canvas.set_zoom(2.0, QPointF(canvas.width() / 2, canvas.height() / 2))
    canvas.pan_by(-37, 21)
    canvas.set_brush_size(12)
    image_stroke(opened, [(300, 200), (340, 230)])
    assert_stroke(opened.current_layer.array, (300, 200), (340, 230), 12)
    # The mapping really is the zoomed one: 10 widget px are 5 image px.
    a = canvas.widget_to_image(QPointF(100, 100))
    b = canvas.widget_to_image(QPointF(110, 100))
    assert b.x() - a.x() == pytest.approx(5.0)


def test_eraser_and_right_drag_erase(opened) -> None:
    canvas = opened.canvas
    canvas.set_brush_size(40)
    image_stroke(opened, [(100, 240), (500, 240)])
    layer = opened.current_layer
    assert (layer.array[240, 120:480] == 255).all()
    # Right-drag erases with the brush still selected.
    canvas.set_brush_size(20)
    image_stroke(opened, [(200, 200), (200, 280)], button=Qt.MouseButton.RightButton)
    assert canvas.tool is Tool.BRUSH
    assert (layer.array[240, 195:206] == 0).all()
    assert (layer.array[240, 120:185] == 255).all()
    # The eraser tool (E) erases with the left button.
    QTest.keyClick(canvas, Qt.Key.Key_E)
    assert canvas.tool is Tool.ERASER
    image_stroke(opened, [(400, 200), (400, 280)])
    assert (layer.array[240, 395:406] == 0).all()
    QTest.keyClick(canvas, Qt.Key.Key_B)
    assert canvas.tool is Tool.BRUSH
    assert opened.action_brush.isChecked()


def test_undo_and_redo_strokes_with_the_window_shortcuts(qtbot, window, opened) -> None:
    canvas = opened.canvas
    window.activateWindow()
    canvas.set_brush_size(20)
    image_stroke(opened, [(100, 100), (200, 100)])
    first = opened.current_layer.array.copy()
    image_stroke(opened, [(100, 300), (200, 300)])
    second = opened.current_layer.array.copy()
    assert opened.undo_stack.count() == 2
    QTest.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(opened.current_layer.array, first)
    QTest.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not opened.current_layer.array.any()
    QTest.keyClick(
        canvas,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    QTest.keyClick(
        canvas,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert np.array_equal(opened.current_layer.array, second)


def test_a_long_session_keeps_small_diffs(opened) -> None:
    canvas = opened.canvas
    canvas.set_brush_size(10)
    # 300 strokes, one in each 32 px cell of a 20 x 15 grid (none repaints another's pixels).
    for row in range(15):
        for col in range(20):
            x, y = col * 32 + 16, row * 32 + 16
            image_stroke(opened, [(x - 9, y - 3), (x, y + 3), (x + 9, y)])
    stack = opened.undo_stack
    assert stack.count() == 300
    held = sum(stack.command(i).diff.nbytes for i in range(stack.count()))
    full_copies = 300 * 2 * 640 * 480
    assert held < full_copies / 50, f"undo history holds {held} bytes"
    painted = opened.current_layer.array.copy()
    for _ in range(300):
        stack.undo()
    assert not opened.current_layer.array.any()
    for _ in range(300):
        stack.redo()
    assert np.array_equal(opened.current_layer.array, painted)


def test_clear_invert_and_show_hide(opened) -> None:
    canvas = opened.canvas
    layer = opened.current_layer
    canvas.set_brush_size(50)
    image_stroke(opened, [(320, 240)])
    assert layer.array[240, 320] == 255
    QTest.keyClick(
        canvas,
        Qt.Key.Key_I,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert layer.array[240, 320] == 0 and layer.array[10, 10] == 255
    QTest.keyClick(canvas, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert not layer.array.any()
    assert opened.undo_stack.undoText() == "Clear mask"
    opened.undo_stack.undo()
    assert layer.array[10, 10] == 255
    QTest.keyClick(canvas, Qt.Key.Key_M)
    assert not canvas.mask_visible and not opened.action_show_mask.isChecked()
    QTest.keyClick(canvas, Qt.Key.Key_M)
    assert canvas.mask_visible


def test_brush_size_keys_wheel_and_limits(opened) -> None:
    canvas = opened.canvas
    canvas.set_brush_size(100)
    QTest.keyClick(canvas, Qt.Key.Key_BracketRight)
    assert canvas.brush_size == 115
    assert opened.size_spin.value() == 115
    QTest.keyClick(canvas, Qt.Key.Key_BracketLeft)
    assert canvas.brush_size < 115
    for _ in range(80):
        QTest.keyClick(canvas, Qt.Key.Key_BracketLeft)
    assert canvas.brush_size == 1
    for _ in range(120):
        QTest.keyClick(canvas, Qt.Key.Key_BracketRight)
    assert canvas.brush_size == 600
    canvas.set_brush_size(40)
    wheel(canvas, QPointF(200, 200), 120, Qt.KeyboardModifier.AltModifier)
    assert canvas.brush_size > 40
    # Alt turns the wheel horizontal on some platforms: that works too.
    size = canvas.brush_size
    wheel(canvas, QPointF(200, 200), -120, Qt.KeyboardModifier.AltModifier, horizontal=True)
    assert canvas.brush_size < size
    opened.size_spin.setValue(7)
    assert canvas.brush_size == 7


def wheel(
    widget, pos: QPointF, delta: int, modifiers=Qt.KeyboardModifier.NoModifier, *, horizontal=False
) -> None:
    angle = QPoint(delta, 0) if horizontal else QPoint(0, delta)
    event = QWheelEvent(
        pos,
        QPointF(widget.mapToGlobal(pos.toPoint())),
        QPoint(0, 0),
        angle,
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_wheel_zooms_around_the_cursor_fit_and_actual_size(opened) -> None:
    canvas = opened.canvas
    cursor = QPointF(230, 170)
    under = canvas.widget_to_image(cursor)
    before = canvas.zoom
    wheel(canvas, cursor, 240)
    assert canvas.zoom == pytest.approx(before * 1.44)
    after = canvas.widget_to_image(cursor)
    assert (after.x(), after.y()) == pytest.approx((under.x(), under.y()))
    QTest.keyClick(
        canvas, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
    )
    assert canvas.zoom == 1.0
    assert opened.zoom_label.text() == "100 %"
    QTest.keyClick(canvas, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert canvas.zoom == pytest.approx(before)


def test_space_drag_and_middle_drag_pan_without_painting(opened) -> None:
    canvas = opened.canvas
    start = canvas.offset
    QTest.keyPress(canvas, Qt.Key.Key_Space)
    drag(canvas, [QPointF(300, 300), QPointF(340, 320), QPointF(360, 330)])
    QTest.keyRelease(canvas, Qt.Key.Key_Space)
    moved = canvas.offset
    assert (moved.x() - start.x(), moved.y() - start.y()) == pytest.approx((60, 30))
    drag(canvas, [QPointF(300, 300), QPointF(280, 290)], button=Qt.MouseButton.MiddleButton)
    assert (canvas.offset.x() - moved.x(), canvas.offset.y() - moved.y()) == pytest.approx(
        (-20, -10)
    )
    assert not opened.current_layer.array.any()
    assert opened.undo_stack.count() == 0
    # Painting works again after panning.
    image_stroke(opened, [(320, 240)])
    assert opened.current_layer.array[240, 320] == 255


def test_only_the_segment_box_is_repainted(opened) -> None:
    canvas = opened.canvas
    canvas.set_brush_size(20)
    a = canvas.image_to_widget(QPointF(100, 100))
    b = canvas.image_to_widget(QPointF(110, 104))
    mouse(canvas, QMouseEvent.Type.MouseButtonPress, a)
    mouse(canvas, QMouseEvent.Type.MouseMove, b)
    dirty = canvas.last_dirty
    mouse(canvas, QMouseEvent.Type.MouseButtonRelease, b)
    assert dirty.width() < 60 and dirty.height() < 60
    assert dirty.contains(a.toPoint()) and dirty.contains(b.toPoint())
