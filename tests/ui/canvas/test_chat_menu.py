"""Issue 14, item 12: a chat's "…" opens its menu (Rename, Delete); a deleted chat comes back
with Ctrl+Z with its messages, their texts, order and pictures (the mask it was sent with, the
version the reply made), and the message bar says which."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QToolButton

from studio_desktop.services.canvas_screen import mask_key, output_key
from tests.ui.canvas.conftest import blob_array, image_stroke, open_creation_from, scene, write_png
from tests.ui.canvas.test_chat import messages, type_and_send, wait_reply

pytestmark = pytest.mark.gui


@pytest.fixture
def opened(qtbot, area, tmp_path: Path):
    path = write_png(tmp_path / "in", "bag.png", scene((320, 240)))
    open_creation_from(qtbot, area, [path])
    return area


def test_the_chat_menu_renames_and_deletes_with_undo(qtbot, services, window, opened) -> None:
    area = opened
    chat = area.chat
    button = chat.rename_button
    assert button.popupMode() is QToolButton.ToolButtonPopupMode.InstantPopup
    assert [a.text() for a in button.menu().actions() if a.text()] == [
        "Rename chat…",
        "Delete chat",
    ]
    first = area.current_conversation_id
    type_and_send(qtbot, area, "make it brighter")
    wait_reply(qtbot, area)
    qtbot.mouseClick(chat.new_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: chat.conversation_combo.count() == 2)
    second = area.current_conversation_id
    area.canvas.set_brush_size(40)
    image_stroke(area, [(60, 60), (100, 70)])
    type_and_send(qtbot, area, "make it navy")
    reply = wait_reply(qtbot, area)
    before = [(m.role, m.text) for m in messages(area)]
    mask_before = blob_array(services, mask_key(messages(area)[0]))
    output_before = output_key(reply)

    # Rename from the menu.
    chat.action_rename.trigger()
    chat.rename_dialog.setTextValue("Navy looks")
    chat.rename_dialog.accept()
    qtbot.waitUntil(lambda: chat.conversation_combo.currentText() == "Navy looks")

    # Delete from the menu: gone with its messages, the other chat shown.
    store = services.store
    chat.action_delete.trigger()
    qtbot.waitUntil(lambda: chat.conversation_combo.count() == 1, timeout=10_000)
    assert store.rows.count("canvas_conversations") == 1
    assert (
        store.db.scalar("SELECT count(*) FROM canvas_messages WHERE conversation_id = ?", (second,))
        == 0
    )
    assert area.current_conversation_id == first
    qtbot.waitUntil(
        lambda: window.message_bar.text() == "Chat “Navy looks” deleted. Undo with Ctrl+Z."
    )
    assert area.undo_stack.undoText() == "Delete chat “Navy looks”"

    # Ctrl+Z: back, with its messages in order and its pictures.
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    area.canvas.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: chat.conversation_combo.count() == 2, timeout=10_000)
    qtbot.waitUntil(lambda: window.message_bar.text() == "Chat “Navy looks” restored.")
    assert chat.conversation_combo.currentText() == "Navy looks"
    qtbot.waitUntil(lambda: [(m.role, m.text) for m in messages(area)] == before, timeout=10_000)
    restored = messages(area)
    assert np.array_equal(blob_array(services, mask_key(restored[0])), mask_before)
    assert output_key(restored[1]) == output_before  # the version is still the image's
    assert store.rows.count("canvas_conversations") == 2

    # Redo deletes it again.
    qtbot.keyClick(
        window,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: chat.conversation_combo.count() == 1, timeout=10_000)
    assert store.rows.count("canvas_conversations") == 1


@pytest.mark.qt_log_ignore("does not support grabbing the keyboard")  # (offscreen menus)
def test_chat_menu_screenshot(qtbot, opened, scheme: str, screenshot) -> None:
    chat = opened.chat
    menu = chat.rename_button.menu()
    menu.popup(chat.rename_button.mapToGlobal(chat.rename_button.rect().bottomLeft()))
    qtbot.waitUntil(menu.isVisible)
    screenshot(menu, "ux-chat-menu")
    screenshot(chat, "ux-chat-panel")
    menu.close()


def test_ctrl_z_in_the_emptied_instruction_box_brings_a_deleted_chat_back(
    qtbot, window, opened
) -> None:
    """The real sequence: an instruction typed and sent (the box is emptied and keeps the
    focus), the chat deleted from its menu, then Ctrl+Z as the message bar says, without
    clicking anywhere first. The box had claimed Ctrl+Z with nothing to undo: nothing came
    back. Typing in the box is still undone by Ctrl+Z as before."""
    area = opened
    chat = area.chat
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    chat.input.setFocus()
    QTest.keyClicks(chat.input, "make it navy")
    QTest.keyClick(chat.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    wait_reply(qtbot, area)
    assert chat.input.toPlainText() == ""
    chat.input.setFocus()
    qtbot.waitUntil(chat.input.hasFocus)
    chat.action_delete.trigger()
    qtbot.waitUntil(lambda: area.undo_stack.undoText().startswith("Delete chat"), timeout=10_000)
    chat.input.setFocus()
    QTest.keyClick(chat.input, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.message_bar.text() == "Chat “Chat 1” restored.", timeout=10_000)
    assert chat.conversation_combo.currentText() == "Chat 1"
    assert [m.text for m in messages(area)][:1] == ["make it navy"]
    # Typing is the box's own to undo.
    QTest.keyClicks(chat.input, "blur")
    QTest.keyClick(chat.input, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert chat.input.toPlainText() == ""
    assert chat.conversation_combo.count() == 1
