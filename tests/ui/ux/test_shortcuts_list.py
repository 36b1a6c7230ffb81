"""Issue 14, item 6: Help ▸ Keyboard shortcuts (F1 and ?) lists every shortcut, read from the
real actions of the window and every screen (a shortcut changed in the code changes the list),
readable in both palettes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QWidget

from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.dialogs.shortcuts_dialog import ShortcutsDialog
from tests.ui.profiles.helpers import App
from tests.ui.test_screenshots import assert_text_fits

pytestmark = pytest.mark.gui


def open_by_key(qtbot, app: App, key: Qt.Key, modifiers=Qt.KeyboardModifier.NoModifier):
    window = app.window
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    app.window.history_area.view.setFocus()
    qtbot.keyClick(app.window.history_area.view, key, modifiers)
    qtbot.waitUntil(lambda: window.dialog("shortcuts") is not None)
    dialog = window.dialog("shortcuts")
    assert isinstance(dialog, ShortcutsDialog)
    return dialog


def test_f1_and_question_mark_open_the_list_from_the_real_actions(qtbot, app: App) -> None:
    window = app.window
    window.set_current_area(AreaKey.HISTORY)
    assert window.action_shortcuts in window.menuBar().actions()[-1].menu().actions()
    dialog = open_by_key(qtbot, app, Qt.Key.Key_F1)
    rows = dialog.visible_entries()
    keys = {(name, keys) for _section, name, keys in rows}
    native = lambda s: QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText)  # noqa: E731
    # The window's menus, History's, Profiles' and the Canvas' own, and the held keys.
    for name, key in [
        ("Import images", native("Ctrl+O")),
        ("Undo", native("Ctrl+Z")),
        ("Keyboard shortcuts", f"{native('F1')} or ?"),
        ("First job", native("Home")),
        ("Last job", native("End")),
        ("Open in Magic Canvas", native("Ctrl+Return")),
        ("Smaller brush", "["),
        ("New profile", native("Ctrl+N")),
        ("Hold and drag to move the image", "Space"),
        ("Hold to see the version before", "\\"),
        ("Send the instruction", "Ctrl+Enter"),
    ]:
        assert (name, key) in keys, (name, key, sorted(keys))
    sections = {section for section, _n, _k in rows}
    assert {"File menu", "Edit menu", "History", "Profiles", "Canvas"} <= sections

    # Every action with a shortcut in the window or a screen is listed with exactly its keys.
    for key in AreaKey:
        for action in window.area(key).findChildren(QAction):
            if action.shortcuts() and action.text():
                listed = [
                    k for _s, n, k in rows if n and action.text().replace("&", "").startswith(n)
                ]
                assert listed, f"{action.text()!r} is missing"

    # The filter narrows it; a key finds its action.
    dialog.filter.setText("brush")
    assert {n for _s, n, _k in dialog.visible_entries()} >= {"Smaller brush"}
    assert all("brush" in (n + k).lower() for _s, n, k in dialog.visible_entries())
    dialog.close()


def test_the_list_follows_a_changed_shortcut(qtbot, app: App) -> None:
    window = app.window
    history = window.history_area
    history.action_last.setShortcut(QKeySequence("Ctrl+End"))
    dialog = window.open_shortcuts_dialog()
    names = {n: k for _s, n, k in dialog.visible_entries()}
    assert names["Last job"] == QKeySequence("Ctrl+End").toString(
        QKeySequence.SequenceFormat.NativeText
    )
    dialog.close()


def test_question_mark_opens_it_but_types_in_a_text_field(qtbot, app: App) -> None:
    window = app.window
    window.set_current_area(AreaKey.HISTORY)
    # (Offscreen the key arrives without Shift; under X, Shift+/ is matched as "?" too.)
    dialog = open_by_key(qtbot, app, Qt.Key.Key_Question)
    dialog.close()
    qtbot.waitUntil(lambda: window.dialog("shortcuts") is None)
    search = window.history_area.filter_bar.search
    search.setFocus()
    qtbot.keyClick(search, Qt.Key.Key_Question, Qt.KeyboardModifier.ShiftModifier)
    QApplication.processEvents()
    assert search.text() == "?"
    assert window.dialog("shortcuts") is None


def test_shortcuts_screenshot(
    qtbot, app: App, scheme: str, screenshot: Callable[[QWidget, str], Path]
) -> None:
    dialog = app.window.open_shortcuts_dialog()
    qtbot.waitExposed(dialog)
    assert_text_fits(dialog)
    assert (
        dialog.tree.horizontalScrollBar().isHidden()
        or not dialog.tree.horizontalScrollBar().isVisible()
    )
    screenshot(dialog, "ux-shortcuts")
    dialog.close()
