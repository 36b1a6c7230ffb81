"""Assisted selection through the real canvas: the magic wand, colour range and select object
tools on a real photo with a known object (tests/imaging/photo_scene.py), Shift/Alt, grow,
shrink, feather, invert, and each as one undo step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest

from studio_desktop.ui.canvas.view import Tool
from studio_desktop.ui.widgets.message_bar import MessageLevel
from tests.imaging.photo_scene import iou, photo_scene
from tests.ui.canvas.conftest import drag, image_stroke, mouse, open_creation_from

pytestmark = pytest.mark.gui

ALT = Qt.KeyboardModifier.AltModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def photo(qtbot, area, tmp_path: Path):
    scene = photo_scene()
    path = tmp_path / "in" / "rocket-bag.png"
    path.parent.mkdir(parents=True)
    Image.fromarray(scene.image).save(path)
    open_creation_from(qtbot, area, [path])
    area.action_snap.setChecked(False)  # these tests look at the painted mask only
    area.canvas.setFocus()
    return scene


def click(area, x: float, y: float, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    point = area.canvas.image_to_widget(QPointF(x, y))
    mouse(area.canvas, QMouseEvent.Type.MouseButtonPress, point, modifiers=modifiers)
    mouse(area.canvas, QMouseEvent.Type.MouseButtonRelease, point, modifiers=modifiers)


def wait_steps(qtbot, area, count: int) -> None:
    qtbot.waitUntil(lambda: area.undo_stack.count() == count, timeout=15_000)


def chosen(area) -> np.ndarray:
    return area.current_layer.array >= 128


def test_magic_wand_by_shortcut_click_and_undo(qtbot, area, photo) -> None:
    QTest.keyClick(area.canvas, Qt.Key.Key_W)
    assert area.canvas.tool is Tool.WAND and area.action_wand.isChecked()
    assert area.tolerance_spin.isEnabled()
    click(area, *photo.centre)
    wait_steps(qtbot, area, 1)
    assert iou(area.current_layer.array, photo.truth) >= 0.97
    assert area.undo_stack.text(0).startswith("Magic wand")
    area.undo_stack.undo()
    assert not area.current_layer.array.any()
    area.undo_stack.redo()
    assert iou(area.current_layer.array, photo.truth) >= 0.97


def test_wand_adds_with_shift_and_takes_away_with_alt(qtbot, area, photo) -> None:
    QTest.keyClick(area.canvas, Qt.Key.Key_W)
    # The sky in the top-left corner, then the bag added with Shift.
    click(area, 20, 20)
    wait_steps(qtbot, area, 1)
    sky = chosen(area).copy()
    assert sky[20, 20] and not sky[photo.centre[1], photo.centre[0]]
    click(area, *photo.centre, modifiers=SHIFT)
    wait_steps(qtbot, area, 2)
    both = chosen(area)
    assert (both & photo.truth).sum() >= 0.97 * photo.truth.sum()
    assert (both & sky).sum() == sky.sum()
    # Alt takes the bag away again, leaving the sky.
    click(area, *photo.centre, modifiers=ALT)
    wait_steps(qtbot, area, 3)
    left = chosen(area)
    assert (left & photo.truth).sum() <= 0.01 * photo.truth.sum()
    assert (left & sky).sum() == sky.sum()
    assert "subtract" in area.undo_stack.text(2)


def test_wand_tolerance_is_per_tool_and_changes_the_spread(qtbot, area, photo) -> None:
    QTest.keyClick(area.canvas, Qt.Key.Key_W)
    area.tolerance_spin.setValue(2)
    click(area, *photo.centre)
    wait_steps(qtbot, area, 1)
    tight = chosen(area).sum()
    assert tight < 0.5 * photo.truth.sum()
    QTest.keyClick(area.canvas, Qt.Key.Key_R)  # colour range keeps its own value
    assert area.tolerance_spin.value() != 2
    QTest.keyClick(area.canvas, Qt.Key.Key_W)
    assert area.tolerance_spin.value() == 2


def test_colour_range_picks_the_colour_everywhere(qtbot, area, photo) -> None:
    QTest.keyClick(area.canvas, Qt.Key.Key_R)
    assert area.canvas.tool is Tool.COLOUR_RANGE
    click(area, *photo.centre)
    wait_steps(qtbot, area, 1)
    mask = area.current_layer.array
    assert iou(mask, photo.truth) >= 0.97
    assert ((mask > 0) & (mask < 255)).any()  # a soft edge


def test_select_object_with_a_box_and_with_a_click(qtbot, area, photo) -> None:
    QTest.keyClick(area.canvas, Qt.Key.Key_O)
    assert area.canvas.tool is Tool.OBJECT
    x, y, w, h = photo.box
    canvas = area.canvas
    corners = [canvas.image_to_widget(QPointF(px, py)) for px, py in ((x, y), (x + w, y + h))]
    middle = (corners[0] + corners[1]) / 2
    drag(canvas, [corners[0], middle, corners[1]])
    wait_steps(qtbot, area, 1)
    assert iou(area.current_layer.array, photo.truth) >= 0.97
    assert area.undo_stack.text(0).startswith("Select object")
    QTest.keyClick(canvas, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)  # clear
    wait_steps(qtbot, area, 2)
    assert not area.current_layer.array.any()
    click(area, *photo.centre)
    wait_steps(qtbot, area, 3)
    assert iou(area.current_layer.array, photo.truth) >= 0.95


def test_grow_shrink_feather_invert_are_undo_steps(qtbot, area, photo) -> None:
    QTest.keyClick(area.canvas, Qt.Key.Key_W)
    click(area, *photo.centre)
    wait_steps(qtbot, area, 1)
    base = chosen(area).sum()
    area.amount_spin.setValue(10)
    QTest.keyClick(area.canvas, Qt.Key.Key_BracketRight, ALT)  # grow
    wait_steps(qtbot, area, 2)
    grown = chosen(area).sum()
    assert grown > base * 1.05
    QTest.keyClick(area.canvas, Qt.Key.Key_BracketLeft, ALT)  # shrink
    wait_steps(qtbot, area, 3)
    # Grow then shrink by the same amount closes, never opens: about the same area.
    assert abs(int(chosen(area).sum()) - int(base)) <= 0.02 * base
    QTest.keyClick(area.canvas, Qt.Key.Key_F6, SHIFT)  # feather
    wait_steps(qtbot, area, 4)
    mask = area.current_layer.array
    assert len(np.unique(mask)) > 50
    QTest.keyClick(area.canvas, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier | SHIFT)  # invert
    wait_steps(qtbot, area, 5)
    assert area.current_layer.array[5, 5] == 255
    assert [area.undo_stack.text(i).split(" ")[0] for i in range(5)] == [
        "Magic",
        "Grow",
        "Shrink",
        "Feather",
        "Invert",
    ]
    for _ in range(5):
        area.undo_stack.undo()
    assert not area.current_layer.array.any()


def test_grow_with_nothing_painted_says_so(qtbot, window, area, photo) -> None:
    QTest.keyClick(area.canvas, Qt.Key.Key_BracketRight, ALT)
    assert area.undo_stack.count() == 0
    assert "no mask to change" in window.message_bar.text()


def test_selection_tools_then_a_brush_stroke_mix(qtbot, area, photo) -> None:
    """The brush still paints after a selection tool, and a wand click adds to strokes."""
    QTest.keyClick(area.canvas, Qt.Key.Key_B)
    image_stroke(area, [(30, 400), (120, 400)])
    assert area.undo_stack.count() == 1
    painted = area.current_layer.array.copy()
    QTest.keyClick(area.canvas, Qt.Key.Key_W)
    click(area, *photo.centre)
    wait_steps(qtbot, area, 2)
    assert (area.current_layer.array[painted > 0] > 0).all()


def test_every_toolbar_button_has_a_tooltip_naming_its_shortcut(area) -> None:
    for action, key in (
        (area.action_wand, "W"),
        (area.action_colour_range, "R"),
        (area.action_object, "O"),
        (area.action_grow, "Alt+]"),
        (area.action_shrink, "Alt+["),
        (area.action_feather, "Shift+F6"),
        (area.action_invert, "Ctrl+Shift+I"),
        (area.action_import_mask, "Ctrl+Shift+M"),
        (area.action_snap, "S"),
        (area.action_export, "Ctrl+E"),
        (area.action_undo, "Ctrl+Z"),
        (area.action_brush, "B"),
        (area.action_fit, "Ctrl+0"),
    ):
        assert f"({key}" in action.toolTip() or f"{key})" in action.toolTip(), action.toolTip()
    assert area.action_import_mask.icon().name() != area.action_export.icon().name()


def test_all_toolbar_buttons_name_a_shortcut_even_after_changes(qtbot, area, photo) -> None:
    from PySide6.QtGui import QKeySequence
    from PySide6.QtWidgets import QToolBar

    QTest.keyClick(area.canvas, Qt.Key.Key_W)
    click(area, *photo.centre)
    wait_steps(qtbot, area, 1)  # the undo action's text is now "Undo Magic wand (add)"
    window_keys = ("Ctrl+Z", "Ctrl+Shift+Z", "Ctrl+E")
    for bar in area.findChildren(QToolBar):
        for action in bar.actions():
            if action.isSeparator() or not action.text():
                continue
            native = QKeySequence.SequenceFormat.NativeText
            keys = [k.toString(native) for k in action.shortcuts()] or list(window_keys)
            assert any(key in action.toolTip() for key in keys), (action.text(), action.toolTip())


def test_tolerance_and_amount_are_remembered(qtbot, area, photo) -> None:
    from studio_desktop.ui.canvas.area import CanvasArea

    QTest.keyClick(area.canvas, Qt.Key.Key_W)
    area.tolerance_spin.setValue(7)
    QTest.keyClick(area.canvas, Qt.Key.Key_R)
    area.tolerance_spin.setValue(44)
    area.amount_spin.setValue(12)
    again = CanvasArea()  # the next start
    qtbot.addWidget(again)
    assert again._tolerances[Tool.WAND] == 7
    assert again._tolerances[Tool.COLOUR_RANGE] == 44
    assert again.amount_spin.value() == 12


def test_escape_drops_the_object_box(qtbot, area, photo) -> None:
    QTest.keyClick(area.canvas, Qt.Key.Key_O)
    canvas = area.canvas
    start = canvas.image_to_widget(QPointF(100, 100))
    end = canvas.image_to_widget(QPointF(300, 300))
    mouse(canvas, QMouseEvent.Type.MouseButtonPress, start)
    mouse(canvas, QMouseEvent.Type.MouseMove, end, buttons=Qt.MouseButton.LeftButton)
    QTest.keyClick(canvas, Qt.Key.Key_Escape)
    mouse(canvas, QMouseEvent.Type.MouseButtonRelease, end)
    qtbot.wait(200)
    assert area.undo_stack.count() == 0
    assert not area.current_layer.array.any()


def test_select_object_on_12_mp_keeps_the_window_responsive(qtbot, window, area, tmp_path):
    """On a 12 MP photo the object is found off the GUI thread: the busy indicator says so,
    and the window keeps handling events meanwhile."""
    from PySide6.QtCore import QTimer

    scene = photo_scene(size=(4000, 3000))
    path = tmp_path / "in" / "big.jpg"
    path.parent.mkdir(parents=True)
    Image.fromarray(scene.image).save(path, quality=92)
    open_creation_from(qtbot, area, [path])
    area.canvas.setFocus()
    QTest.keyClick(area.canvas, Qt.Key.Key_O)
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    click(area, *scene.centre)
    busy = window.busy_indicator
    qtbot.waitUntil(busy.isVisible, timeout=5_000)
    assert busy.label.text() == "Selecting the object…"
    wait_steps(qtbot, area, 1)
    timer.stop()
    assert len(ticks) >= 5  # the event loop ran while the object was being found
    assert iou(area.current_layer.array, scene.truth) >= 0.95
    qtbot.waitUntil(busy.isHidden, timeout=5_000)


@pytest.fixture
def big_photo(qtbot, area, tmp_path: Path):
    """A 12 MP photo: Select object takes long enough on it to be cancelled by hand."""
    scene = photo_scene(size=(4000, 3000))
    path = tmp_path / "in" / "big.jpg"
    path.parent.mkdir(parents=True)
    Image.fromarray(scene.image).save(path, quality=92)
    open_creation_from(qtbot, area, [path])
    area.action_snap.setChecked(False)
    area.canvas.setFocus()
    return scene


def cancel_button(area):
    from PySide6.QtWidgets import QPushButton

    return area.canvas.findChild(QPushButton, "CancelSelectObjectButton")


@pytest.mark.parametrize("how", ["button", "escape"])
def test_select_object_can_be_cancelled_and_the_mask_stays(qtbot, window, area, big_photo, how):
    QTest.keyClick(area.canvas, Qt.Key.Key_O)
    click(area, *big_photo.centre)
    qtbot.waitUntil(lambda: cancel_button(area) is not None and cancel_button(area).isVisible())
    button = cancel_button(area)
    assert button.text() == "Cancel" and "Esc" in button.toolTip()
    inside = area.canvas.rect()
    assert inside.contains(button.geometry())  # on the canvas, not cut off
    if how == "button":
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    else:
        QTest.keyClick(area.canvas, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not button.isVisible(), timeout=15_000)
    qtbot.waitUntil(window.busy_indicator.isHidden, timeout=15_000)
    qtbot.wait(100)
    assert area.undo_stack.count() == 0
    assert not area.current_layer.array.any()
    assert "cancelled" in window.message_bar.text().lower()
    # The tool still works afterwards, and its button goes when it is done.
    click(area, *big_photo.centre)
    wait_steps(qtbot, area, 1)
    assert iou(area.current_layer.array, big_photo.truth) >= 0.95
    qtbot.waitUntil(lambda: not button.isVisible(), timeout=5_000)
    assert window.message_bar.level is not MessageLevel.ERROR  # a cancel is not an error
