"""Sending instructions through the chat panel to the real local engine: the user's message with
its mask thumbnail, the assistant's reply with the new version, pixels outside the mask kept,
instructions the engine cannot do, cancel, empty input, conversations, scrolling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from studio_desktop.domain.enums import MessageRole
from studio_desktop.domain.models import CanvasMessage
from studio_desktop.services.canvas import CANCELED_REPLY
from studio_desktop.services.canvas_screen import current_key, mask_key, output_key
from studio_desktop.ui.canvas.chat import THUMB_SIZE
from tests.gates import Gate
from tests.ui.canvas.conftest import (
    blob_array,
    image_stroke,
    open_creation_from,
    scene,
    write_png,
)

pytestmark = pytest.mark.gui


@pytest.fixture
def opened(qtbot, area, tmp_path: Path):
    path = write_png(tmp_path / "in", "bag.png", scene((320, 240)))
    open_creation_from(qtbot, area, [path])
    return area


def messages(area) -> list[CanvasMessage]:
    return area.chat.model.messages()


def type_and_send(qtbot, area, text: str) -> None:
    area.chat.input.setFocus()
    area.chat.input.setPlainText(text)
    QTest.keyClick(area.chat.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def wait_reply(qtbot, area, count: int = 2) -> CanvasMessage:
    qtbot.waitUntil(
        lambda: (
            len(messages(area)) >= count and messages(area)[count - 1].role == MessageRole.ASSISTANT
        ),
        timeout=15_000,
    )
    return messages(area)[count - 1]


def test_send_with_a_mask_gets_a_new_version_and_keeps_the_rest(qtbot, services, opened) -> None:
    area = opened
    asset_id = area.current_asset_id
    before_key = area.model.shown_key
    before = blob_array(services, before_key)
    area.canvas.set_brush_size(40)
    image_stroke(area, [(60, 60), (100, 70)])
    mask = area.current_layer.to_array()
    assert area.chat.mask_hint.text() == "Edits the painted area"

    type_and_send(qtbot, area, "make it navy")
    qtbot.waitUntil(lambda: len(messages(area)) >= 1, timeout=10_000)
    user = messages(area)[0]
    assert user.role == MessageRole.USER and user.text == "make it navy"
    assert mask_key(user) is not None
    # The mask went with the message, exactly as painted.
    stored_mask = blob_array(services, mask_key(user))[:, :, 0]
    assert np.array_equal(stored_mask > 127, mask > 127)
    # Its thumbnail is shown in the bubble (loaded when painted).
    qtbot.waitUntil(lambda: area.thumbnails.pixmap(mask_key(user), THUMB_SIZE) is not None)
    # The input is cleared; the mask is cleared too, and undo brings it back.
    assert area.chat.instruction == ""
    assert area.current_layer.is_empty()
    assert area.undo_stack.undoText() == "Clear mask (sent)"
    # (Progress while the job runs is checked with a held job in test_cancel_a_running_edit:
    # here the job may end between any two lines, so no instant check of it can be reliable.)

    reply = wait_reply(qtbot, area)
    assert output_key(reply) is not None
    assert reply.text.startswith("Done")
    qtbot.waitUntil(lambda: area.model.shown_key == output_key(reply), timeout=10_000)
    qtbot.waitUntil(lambda: area._shown_key == output_key(reply), timeout=10_000)
    assert not area.chat.progress_box.isVisible()
    after = blob_array(services, output_key(reply))
    outside = mask == 0
    assert np.array_equal(after[outside], before[outside]), "pixels outside the mask changed"
    inside = mask == 255
    assert np.abs(after[inside].astype(int) - before[inside].astype(int)).mean() > 20
    # The new version is current, after the original, in the version strip.
    state = area.state.asset(asset_id)
    assert [v.is_current for v in state.versions] == [False, True]
    assert area.version_strip.count() == 2
    assert area.version_strip.current_version_row() == 1
    assert current_key(state.asset) == output_key(reply)
    area.undo_stack.undo()
    assert np.array_equal(area.current_layer.array, mask)


def test_empty_instruction_is_not_sent(qtbot, services, opened) -> None:
    area = opened
    type_and_send(qtbot, area, "   \n ")
    assert "Type what you want changed" in area.chat.validation_text
    assert area.chat.validation_label.isVisible()
    qtbot.wait(50)
    assert messages(area) == []
    assert services.store.rows.count("canvas_messages") == 0
    area.chat.input.setPlainText("b")
    assert not area.chat.validation_label.isVisible()


def test_an_instruction_the_engine_cannot_do_gets_a_readable_reply(qtbot, opened) -> None:
    area = opened
    type_and_send(qtbot, area, "add a golden retriever wearing sunglasses")
    reply = wait_reply(qtbot, area)
    assert output_key(reply) is None
    assert len(reply.text) > 20 and "\n" not in reply.text[:5]
    assert reply.text[0].isupper()
    assert area.version_strip.count() == 1
    # Still usable: a supported instruction on the whole image works next.
    type_and_send(qtbot, area, "make it grayscale")
    second = wait_reply(qtbot, area, 4)
    assert output_key(second) is not None


def test_cancel_a_running_edit(qtbot, services, opened) -> None:
    area = opened
    gate = Gate("edit")
    services.jobs.step_hook = gate
    try:
        type_and_send(qtbot, area, "blur it")
        qtbot.waitUntil(gate.reached.is_set, timeout=10_000)
        qtbot.waitUntil(area.chat.progress_box.isVisible, timeout=5_000)
        assert area.chat.cancel_button.isEnabled()
        qtbot.mouseClick(area.chat.cancel_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not area.chat.cancel_button.isEnabled())
        gate.release.set()
        reply = wait_reply(qtbot, area)
    finally:
        gate.release.set()
        services.jobs.step_hook = None
    assert reply.text == CANCELED_REPLY
    assert output_key(reply) is None
    qtbot.waitUntil(lambda: not area.chat.progress_box.isVisible())
    assert area.version_strip.count() == 1


def test_a_second_send_while_the_first_runs_is_refused_gently(qtbot, services, opened) -> None:
    area = opened
    gate = Gate("edit")
    services.jobs.step_hook = gate
    try:
        type_and_send(qtbot, area, "blur it")
        qtbot.waitUntil(gate.reached.is_set, timeout=10_000)
        type_and_send(qtbot, area, "make it darker")
        assert "still running" in area.chat.validation_text
        assert area.chat.instruction == "make it darker"  # kept, to send later
    finally:
        gate.release.set()
        services.jobs.step_hook = None
    wait_reply(qtbot, area)


def test_several_conversations(qtbot, services, opened) -> None:
    area = opened
    first = area.current_conversation_id
    assert area.chat.conversation_combo.count() == 1
    type_and_send(qtbot, area, "make it brighter")
    wait_reply(qtbot, area)
    qtbot.mouseClick(area.chat.new_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: area.chat.conversation_combo.count() == 2)
    second = area.current_conversation_id
    assert second != first
    assert area.chat.conversation_combo.currentText() == "Chat 2"
    assert messages(area) == []
    type_and_send(qtbot, area, "make it darker")
    wait_reply(qtbot, area)
    assert messages(area)[0].text == "make it darker"
    # Rename the second chat through its dialog.
    dialog = area.chat.open_rename_dialog()
    dialog.setTextValue("Darker looks")
    dialog.accept()
    qtbot.waitUntil(lambda: area.chat.conversation_combo.currentText() == "Darker looks")
    # Switch back: the first chat's messages.
    combo = area.chat.conversation_combo
    combo.setCurrentIndex(combo.findData(first))
    combo.activated.emit(combo.currentIndex())
    assert area.current_conversation_id == first
    assert messages(area)[0].text == "make it brighter"
    assert services.store.rows.count("canvas_conversations") == 2
    # Both chats' edits are versions of the same image.
    assert area.version_strip.count() == 3


def test_the_list_follows_new_messages_only_when_at_the_bottom(qtbot, services, opened) -> None:
    area = opened
    chat = area.chat
    chat.resize(chat.width(), 420)
    for i in range(8):
        type_and_send(qtbot, area, f"make it brighter {i}")
        wait_reply(qtbot, area, 2 * (i + 1))
    bar = chat.list.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    assert bar.value() == bar.maximum()  # followed while at the bottom
    gate = Gate("edit")
    services.jobs.step_hook = gate
    try:
        type_and_send(qtbot, area, "make it darker")
        qtbot.waitUntil(gate.reached.is_set, timeout=10_000)
        qtbot.waitUntil(lambda: bar.value() == bar.maximum())  # one's own message: followed
        bar.setValue(0)  # the designer scrolls up to read while the edit runs
    finally:
        gate.release.set()
        services.jobs.step_hook = None
    wait_reply(qtbot, area, 18)
    assert bar.value() == 0  # the reply did not move them
    bar.setValue(bar.maximum())
    type_and_send(qtbot, area, "make it brighter")
    wait_reply(qtbot, area, 20)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())
