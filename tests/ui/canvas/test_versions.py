"""Versions: the asset's versions in order, revert to any (the current pointer moves in the
store), compare before/after by holding a key or side by side with a divider."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

from studio_desktop.domain.models import CanvasAsset
from studio_desktop.services.canvas_screen import current_key, output_key
from studio_desktop.ui.canvas.view import CompareMode
from tests.ui.canvas.conftest import drag, open_creation_from, scene, write_png
from tests.ui.canvas.test_chat import messages, type_and_send, wait_reply

pytestmark = pytest.mark.gui


@pytest.fixture
def edited(qtbot, area, tmp_path: Path):
    """A creation whose image went original -> brighter -> grayscale."""
    path = write_png(tmp_path / "in", "bag.png", scene((400, 300)))
    open_creation_from(qtbot, area, [path])
    type_and_send(qtbot, area, "make it brighter")
    wait_reply(qtbot, area, 2)
    type_and_send(qtbot, area, "make it grayscale")
    last = wait_reply(qtbot, area, 4)
    qtbot.waitUntil(lambda: area._shown_key == output_key(last), timeout=10_000)
    return area


def shown_colour(area, x: float, y: float) -> QColor:
    """The colour the canvas shows at image point (x, y), read from a screenshot of it."""
    point = area.canvas.image_to_widget(QPointF(x, y)).toPoint()
    return area.canvas.grab().toImage().pixelColor(point)


def is_grey(colour: QColor) -> bool:
    return (
        max(colour.red(), colour.green(), colour.blue())
        - min(colour.red(), colour.green(), colour.blue())
        < 12
    )


def test_versions_are_listed_base_first_with_the_current_framed(edited) -> None:
    area = edited
    strip = area.version_strip
    assert [strip.item(i).text() for i in range(strip.count())] == ["Original", "Edit 1", "Edit 2"]
    assert strip.current_version_row() == 2
    assert is_grey(shown_colour(area, 200, 150))  # the bag, grey in the current version


def test_revert_to_the_original_moves_the_current_pointer(qtbot, services, edited) -> None:
    area = edited
    asset_id = area.current_asset_id
    strip = area.version_strip
    strip.setCurrentRow(0)
    assert area.revert_button.isEnabled()
    qtbot.mouseClick(area.revert_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: strip.current_version_row() == 0, timeout=10_000)
    stored = services.store.rows.get(CanvasAsset, asset_id)
    assert stored.current_storage_path == stored.base_storage_path
    qtbot.waitUntil(lambda: area._shown_key == current_key(stored), timeout=10_000)
    bag = shown_colour(area, 200, 150)
    assert bag.red() > 150 and bag.green() < 90  # red again
    # All versions are kept: revert forward to the last edit.
    assert strip.count() == 3
    strip.setCurrentRow(2)
    qtbot.mouseClick(area.revert_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: strip.current_version_row() == 2, timeout=10_000)
    qtbot.waitUntil(lambda: is_grey(shown_colour(area, 200, 150)), timeout=10_000)
    assert not area.revert_button.isEnabled()


def test_hold_backslash_shows_the_version_before(qtbot, edited) -> None:
    area = edited
    canvas = area.canvas
    qtbot.waitUntil(lambda: canvas.other is not None, timeout=10_000)
    canvas.setFocus()
    QTest.keyPress(canvas, Qt.Key.Key_Backslash)
    assert canvas.compare_mode is CompareMode.HOLD
    before = shown_colour(area, 200, 150)
    assert not is_grey(before)  # Edit 1: the brighter red bag
    QTest.keyRelease(canvas, Qt.Key.Key_Backslash)
    assert canvas.compare_mode is CompareMode.OFF
    assert is_grey(shown_colour(area, 200, 150))


def test_side_by_side_with_a_divider_and_another_version(qtbot, edited) -> None:
    area = edited
    canvas = area.canvas
    qtbot.waitUntil(lambda: canvas.other is not None, timeout=10_000)
    canvas.setFocus()
    QTest.keyClick(canvas, Qt.Key.Key_Y)
    assert canvas.compare_mode is CompareMode.SPLIT
    assert area.action_compare.isChecked()
    # The divider is dragged to the middle of the bag: left of it "before", right "after".
    target = canvas.image_to_widget(QPointF(200, 150))
    drag(canvas, [target, QPointF(target.x() + 3, target.y()), target])
    assert canvas.split == pytest.approx(0.5, abs=0.02)
    assert not is_grey(shown_colour(area, 170, 150))
    assert is_grey(shown_colour(area, 230, 150))
    assert not area.current_layer.array.any()  # dragging the divider paints nothing
    # Compare the original with the current one: click the original in the strip (it is
    # shown, and compared with the current version; older stays on the left).
    area.version_strip.setCurrentRow(0)
    qtbot.waitUntil(
        lambda: canvas._current_label == "Original" and "current" in canvas._other_label,
        timeout=10_000,
    )
    left = shown_colour(area, 170, 150)
    assert left.red() > 150 and left.green() < 90  # the original red
    assert is_grey(shown_colour(area, 230, 150))  # Edit 2, the current one, on the right
    QTest.keyClick(canvas, Qt.Key.Key_Y)
    assert canvas.compare_mode is CompareMode.OFF


def test_compare_with_no_earlier_version_says_so(qtbot, window, area, tmp_path) -> None:
    path = write_png(tmp_path / "in", "bag.png", scene((300, 200)))
    open_creation_from(qtbot, area, [path])
    area.canvas.setFocus()
    QTest.keyClick(area.canvas, Qt.Key.Key_Y)
    assert area.canvas.compare_mode is CompareMode.OFF
    assert not area.action_compare.isChecked()
    assert len(messages(area)) == 0
