"""Screenshots of Magic Canvas in both palettes (``tests/screenshots/<light|dark>/canvas-*.png``):
the empty state, a creation with a mask painted and a conversation of several turns, the
side-by-side compare view, and a file dragged over the canvas. Looked at by a person; the
assertions check that each has content and that no text is cut."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from studio_desktop.ui.canvas.view import CompareMode
from tests.gates import Gate
from tests.ui.canvas.conftest import (
    image_stroke,
    mouse,
    open_creation_from,
    scene,
    write_png,
)
from tests.ui.canvas.test_chat import type_and_send, wait_reply
from tests.ui.conftest import file_mime
from tests.ui.test_screenshots import assert_has_content, assert_text_fits

pytestmark = pytest.mark.gui


def test_empty_canvas(scheme, qtbot, window, area, screenshot) -> None:
    qtbot.wait(30)
    assert area.center.currentWidget() is area.empty_page
    path = screenshot(window, "canvas-empty")
    assert_has_content(path)
    assert_text_fits(window)


@pytest.fixture
def conversation(qtbot, services, area, tmp_path: Path):
    """A creation of two images; a chat of several turns on the first (an instruction the
    engine cannot do, a masked recolour, a canceled blur, a brightening), then a new mask."""
    first = write_png(tmp_path / "in", "red-bag.png", scene((900, 640)))
    second = write_png(tmp_path / "in", "blue-bag.png", scene((900, 640), (40, 80, 190)))
    open_creation_from(qtbot, area, [first, second])
    type_and_send(qtbot, area, "add a golden retriever next to the bag")
    wait_reply(qtbot, area, 2)
    area.canvas.set_brush_size(90)
    image_stroke(area, [(330, 230), (450, 260), (560, 250)])
    image_stroke(area, [(330, 360), (450, 400), (570, 370)])
    type_and_send(qtbot, area, "make it navy")
    wait_reply(qtbot, area, 4)
    gate = Gate("edit")
    services.jobs.step_hook = gate
    try:
        type_and_send(qtbot, area, "blur the background")
        qtbot.waitUntil(gate.reached.is_set, timeout=10_000)
        qtbot.waitUntil(area.chat.progress_box.isVisible)
        qtbot.mouseClick(area.chat.cancel_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not area.chat.cancel_button.isEnabled())
    finally:
        gate.release.set()
        services.jobs.step_hook = None
    wait_reply(qtbot, area, 6)
    type_and_send(qtbot, area, "make it a little brighter")
    wait_reply(qtbot, area, 8)
    qtbot.waitUntil(lambda: area.canvas.other is not None, timeout=10_000)
    return area


def wait_thumbnails(qtbot, area) -> None:
    qtbot.wait(50)
    qtbot.waitUntil(lambda: not area.thumbnails._pending, timeout=10_000)
    qtbot.wait(30)


def test_canvas_with_mask_and_conversation(scheme, qtbot, window, conversation, screenshot) -> None:
    area = conversation
    area.canvas.set_brush_size(70)
    image_stroke(area, [(180, 120), (260, 90), (330, 110)])
    # A pending instruction, the brush outline under the cursor.
    area.chat.input.setPlainText("make the strap black")
    mouse(area.canvas, QMouseEvent.Type.MouseMove, area.canvas.image_to_widget(QPointF(620, 200)))
    wait_thumbnails(qtbot, area)
    path = screenshot(window, "canvas-chat")
    assert_has_content(path)
    assert_text_fits(window)
    # The start of the conversation: the masked instruction with its mask thumbnail.
    chat_list = area.chat.list
    chat_list.scrollTo(area.chat.model.index(2), chat_list.ScrollHint.PositionAtTop)
    wait_thumbnails(qtbot, area)
    assert_has_content(screenshot(area.chat, "canvas-chat-start"))


def test_canvas_compare_view(scheme, qtbot, window, conversation, screenshot) -> None:
    area = conversation
    area.canvas.setFocus()
    QTest.keyClick(area.canvas, Qt.Key.Key_Y)
    assert area.canvas.compare_mode is CompareMode.SPLIT
    area.version_strip.setCurrentRow(0)  # before/after: the original against the current
    qtbot.waitUntil(
        lambda: (
            area.canvas._current_label == "Original" and "(current)" in area.canvas._other_label
        ),
        timeout=10_000,
    )
    area.canvas.set_split(0.55)
    wait_thumbnails(qtbot, area)
    path = screenshot(window, "canvas-compare")
    assert_has_content(path)
    assert_text_fits(window)


def test_file_dragged_over_the_canvas(scheme, qtbot, *, window, area, tmp_path, screenshot) -> None:
    path = write_png(tmp_path / "in", "bag.png", scene((900, 640)))
    open_creation_from(qtbot, area, [path])
    photo = write_png(tmp_path, "another-shot.png", scene((500, 400), (30, 140, 90)))
    mime = file_mime([photo])
    point = QPointF(area.canvas.rect().center())
    actions = Qt.DropAction.CopyAction
    QApplication.sendEvent(
        area.canvas,
        QDragEnterEvent(
            point.toPoint(),
            actions,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        ),
    )
    QApplication.sendEvent(
        area.canvas,
        QDragMoveEvent(
            point.toPoint(),
            actions,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        ),
    )
    assert area.canvas.drop_plan is not None
    wait_thumbnails(qtbot, area)
    shot = screenshot(window, "canvas-drop")
    assert_has_content(shot)
