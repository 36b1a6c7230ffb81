"""The main window shell: areas and their shortcuts, restored geometry, undo per area, menus,
the message bar, and window-wide drag and drop."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QUndoCommand

from studio_desktop.store.locations import DataDirs
from studio_desktop.ui.areas import AreaKey, AreaWidget
from studio_desktop.ui.canvas.area import CanvasArea
from studio_desktop.ui.history.area import HistoryArea
from studio_desktop.ui.main_window import MainWindow
from studio_desktop.ui.profiles.area import ProfilesArea
from studio_desktop.ui.widgets.message_bar import MessageLevel
from tests.ui.conftest import drag_enter, drop_files, drop_mime, file_mime

pytestmark = pytest.mark.gui


def test_opens_with_three_areas_and_history_first(main_window: MainWindow) -> None:
    assert main_window.stack.count() == 3
    assert main_window.current_area_key is AreaKey.HISTORY
    assert isinstance(main_window.history_area, HistoryArea)
    assert main_window.stack.currentWidget() is main_window.history_area.parentWidget()
    assert [b.text() for b in main_window.sidebar.buttons.values()] == [
        "History",
        "Profiles",
        "Canvas",
    ]
    assert main_window.sidebar.current() is AreaKey.HISTORY
    # The other areas are built only when first shown (fast start-up).
    assert not main_window.is_area_built(AreaKey.PROFILES)
    assert not main_window.is_area_built(AreaKey.CANVAS)


def test_ctrl_1_2_3_switch_areas(qtbot, main_window: MainWindow) -> None:
    main_window.activateWindow()
    qtbot.waitUntil(main_window.isActiveWindow)
    changes: list[str] = []
    main_window.area_changed.connect(changes.append)
    qtbot.keyClick(main_window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert main_window.current_area_key is AreaKey.PROFILES
    assert isinstance(main_window.stack.currentWidget().findChild(ProfilesArea), ProfilesArea)
    qtbot.keyClick(main_window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert main_window.current_area_key is AreaKey.CANVAS
    assert isinstance(main_window.canvas_area, CanvasArea)
    assert main_window.canvas_area.isVisible()
    assert not main_window.history_area.isVisible()
    qtbot.keyClick(main_window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert main_window.current_area_key is AreaKey.HISTORY
    assert changes == ["profiles", "canvas", "history"]
    assert main_window.sidebar.current() is AreaKey.HISTORY
    assert main_window.area_actions[AreaKey.HISTORY].isChecked()


def test_side_bar_click_switches_area(qtbot, main_window: MainWindow) -> None:
    qtbot.mouseClick(main_window.sidebar.buttons[AreaKey.CANVAS], Qt.MouseButton.LeftButton)
    assert main_window.current_area_key is AreaKey.CANVAS
    assert main_window.area_actions[AreaKey.CANVAS].isChecked()


def test_geometry_area_and_theme_restored_across_windows(qtbot, data_dirs: DataDirs) -> None:
    first = MainWindow(data_dirs)
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    first.resize(700, 560)
    first.set_current_area(AreaKey.PROFILES)
    first.set_thumbnail_size(first.preferences.thumbnail_size.__class__("large"))
    qtbot.waitUntil(lambda: first.size() == QSize(700, 560))
    first.close()

    second = MainWindow(data_dirs)
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    assert second.size() == QSize(700, 560)
    assert second.current_area_key is AreaKey.PROFILES
    assert second.thumbnail_size == 264
    assert second.thumbnail_actions[second.preferences.thumbnail_size].isChecked()


def test_undo_follows_the_current_area(qtbot, main_window: MainWindow) -> None:
    history = main_window.history_area
    history.undo_stack.push(QUndoCommand("Rename profile"))
    assert main_window.action_undo.isEnabled()
    assert "Rename profile" in main_window.action_undo.text()
    main_window.set_current_area(AreaKey.CANVAS)
    # The canvas has its own empty stack: nothing to undo there.
    assert not main_window.action_undo.isEnabled()
    main_window.canvas_area.undo_stack.push(QUndoCommand("Brush stroke"))
    main_window.action_undo.trigger()
    assert main_window.canvas_area.undo_stack.index() == 0
    assert history.undo_stack.index() == 1
    assert main_window.action_redo.isEnabled()


def test_replace_area_puts_a_new_screen_in_the_slot(main_window: MainWindow) -> None:
    class FeedArea(AreaWidget):
        area_key = AreaKey.HISTORY
        activations = 0

        def area_activated(self) -> None:
            FeedArea.activations += 1

    feed = FeedArea()
    old = main_window.history_area
    main_window.replace_area(AreaKey.HISTORY, feed)
    assert main_window.history_area is feed
    assert feed.isVisible()
    assert FeedArea.activations == 1
    assert old.parent() is None
    assert main_window.undo_group.activeStack() is feed.undo_stack


def test_area_factories_are_used_lazily(qtbot, data_dirs: DataDirs) -> None:
    built: list[str] = []

    def canvas_factory() -> AreaWidget:
        built.append("canvas")
        return CanvasArea()

    window = MainWindow(data_dirs, area_factories={AreaKey.CANVAS: canvas_factory})
    qtbot.addWidget(window)
    assert built == []
    window.set_current_area(AreaKey.CANVAS)
    assert built == ["canvas"]
    window.set_current_area(AreaKey.HISTORY)
    window.set_current_area(AreaKey.CANVAS)
    assert built == ["canvas"]


def test_hidden_parts_take_their_places_when_first_needed(qtbot, main_window: MainWindow) -> None:
    # The busy indicator and the message bar are built on first use (not before the first
    # paint), then sit where they belong in the status bar: the message in its reserved line at
    # the left, the busy indicator right of it, left of the sync status.
    line = main_window.message_line
    assert line.parentWidget() is main_window.statusBar() and line.isVisible()
    token = main_window.begin_busy("Importing 3 images…")
    busy = main_window.busy_indicator
    sync = main_window.sync_status
    qtbot.waitUntil(busy.isVisible)
    assert busy.parentWidget() is sync.parentWidget() is main_window.statusBar()
    qtbot.waitUntil(lambda: line.geometry().right() < busy.geometry().left())
    qtbot.waitUntil(lambda: busy.geometry().right() < sync.geometry().left())
    main_window.end_busy(token)
    assert busy.isHidden()
    main_window.show_message("Saved.", level=MessageLevel.SUCCESS)
    bar = main_window.message_bar
    qtbot.waitUntil(bar.isVisible)
    assert bar.parentWidget() is line
    assert line.rect().contains(bar.geometry())
    assert bar.geometry().left() >= 0 and line.geometry().right() < sync.geometry().left()


def test_message_bar_shows_dismisses_and_counts_repeats(qtbot, main_window: MainWindow) -> None:
    bar = main_window.message_bar
    assert bar.isHidden()
    main_window.show_message("The disk is full.", level=MessageLevel.ERROR, details="errno 28")
    assert bar.isVisible()
    assert bar.text() == "The disk is full."
    assert bar.copy_button.isVisible()
    main_window.show_message("The disk is full.", level=MessageLevel.ERROR, details="errno 28")
    assert bar.text_label.text().endswith("(×2)")
    bar.copy_details()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == "The disk is full.\n\nerrno 28"
    with qtbot.waitSignal(bar.dismissed):
        qtbot.mouseClick(bar.close_button, Qt.MouseButton.LeftButton)
    assert bar.isHidden()


def test_info_messages_hide_by_themselves(qtbot, main_window: MainWindow) -> None:
    main_window.show_message("Saved.", level=MessageLevel.SUCCESS, timeout_ms=50)
    assert main_window.message_bar.isVisible()
    qtbot.waitUntil(main_window.message_bar.isHidden, timeout=2000)


def test_message_details_are_redacted(main_window: MainWindow) -> None:
    main_window.show_message(
        "Sign-in failed.", level=MessageLevel.ERROR, details="sent password=hunter2 to the server"
    )
    assert "hunter2" not in (main_window.message_bar.details() or "")


def test_account_state_updates_menus_and_title(main_window: MainWindow) -> None:
    assert not main_window.action_sign_out.isEnabled()
    main_window.set_account("ana@studio.com")
    assert main_window.action_sign_out.isEnabled()
    assert not main_window.action_sign_in.isEnabled()
    assert main_window.windowTitle().startswith("ana@studio.com")
    main_window.set_account(None)
    assert main_window.windowTitle().startswith("Local workspace")


def test_switch_workspace_menu_emits_the_key(qtbot, main_window: MainWindow) -> None:
    main_window.set_workspaces(
        [("local", "Local workspace"), ("abc-u1", "ana@studio.com")], "local"
    )
    actions = main_window.workspace_menu.actions()
    assert [a.text() for a in actions] == ["Local workspace", "ana@studio.com"]
    assert actions[0].isChecked()
    with qtbot.waitSignal(main_window.workspace_switch_requested) as signal:
        actions[1].trigger()
    assert signal.args == ["abc-u1"]


def test_export_is_disabled_until_an_area_enables_it(qtbot, main_window: MainWindow) -> None:
    assert not main_window.action_export.isEnabled()
    main_window.set_export_enabled(True)
    with qtbot.waitSignal(main_window.export_requested):
        main_window.action_export.trigger()


def test_copy_diagnostics_fills_the_clipboard(qtbot, main_window: MainWindow) -> None:
    from PySide6.QtGui import QGuiApplication

    QGuiApplication.clipboard().clear()
    main_window.action_copy_diagnostics.trigger()
    qtbot.waitUntil(lambda: "Studio Desktop" in QGuiApplication.clipboard().text())
    text = QGuiApplication.clipboard().text()
    assert "Python 3." in text
    assert "Qt 6." in text
    assert main_window.message_bar.level is MessageLevel.SUCCESS


def test_sign_in_without_a_project_asks_for_the_project_first(main_window: MainWindow) -> None:
    dialog = main_window.open_sign_in_dialog()
    assert dialog.objectName() == "ConnectDialog"
    assert main_window.dialog("connect") is dialog
    dialog.close()


def test_settings_dialog_applies_the_theme_and_emits(qtbot, main_window: MainWindow) -> None:
    from studio_desktop.ui.dialogs.settings_dialog import SettingsDialog
    from studio_desktop.ui.theme import ThemeMode, theme_manager

    dialog = main_window.open_settings_dialog()
    assert isinstance(dialog, SettingsDialog)
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    with qtbot.waitSignal(main_window.settings_changed) as signal:
        dialog.accept()
    assert signal.args[0].theme is ThemeMode.DARK
    assert theme_manager().is_dark
    assert main_window.theme_actions[ThemeMode.DARK].isChecked()
    assert main_window.preferences.settings_values().theme is ThemeMode.DARK


# ------------------------------------------------------------------------------ drag and drop
def test_dropping_files_emits_dropped_files(qtbot, main_window: MainWindow, tmp_path: Path) -> None:
    one = tmp_path / "a.png"
    two = tmp_path / "b.jpg"
    one.write_bytes(b"x")
    two.write_bytes(b"y")
    # Dropped on a child (the stack) that does not take drops itself: the window takes it
    # (two photos could be a garment's sides: dropped on the "Edit in Magic Canvas" zone).
    point = main_window.stack.mapFrom(
        main_window, main_window.drop_zone_point([one, two], "canvas")
    )
    with qtbot.waitSignal(main_window.dropped_files) as signal:
        result = drop_files(main_window.stack, [one, two], point)
    assert result.entered and result.dropped
    assert signal.args[0] == [one, two]
    assert main_window.drop_overlay.isHidden()


def test_dragging_files_shows_the_drop_overlay(main_window: MainWindow, tmp_path: Path) -> None:
    file = tmp_path / "a.png"
    file.write_bytes(b"x")
    event = drag_enter(main_window.stack, file_mime([file]))
    assert event.isAccepted()
    assert main_window.drop_overlay.isVisible()
    from PySide6.QtGui import QDragLeaveEvent
    from PySide6.QtWidgets import QApplication

    QApplication.sendEvent(main_window, QDragLeaveEvent())
    assert main_window.drop_overlay.isHidden()


def test_dropping_a_folder_expands_it_off_the_gui_thread(
    qtbot, main_window: MainWindow, tmp_path: Path
) -> None:
    folder = tmp_path / "shoot"
    (folder / "sub").mkdir(parents=True)
    (folder / "b.png").write_bytes(b"1")
    (folder / "a.png").write_bytes(b"2")
    (folder / "sub" / "c.png").write_bytes(b"3")
    (folder / ".DS_Store").write_bytes(b"hidden")
    with qtbot.waitSignal(main_window.dropped_files, timeout=5000) as signal:
        assert drop_files(main_window.sidebar, [folder]).dropped
    assert signal.args[0] == [folder / "a.png", folder / "b.png", folder / "sub" / "c.png"]


def test_dropping_an_empty_folder_says_so(qtbot, main_window: MainWindow, tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    received: list[object] = []
    main_window.dropped_files.connect(received.append)
    drop_files(main_window.stack, [folder])
    qtbot.waitUntil(main_window.message_bar.isVisible, timeout=5000)
    assert main_window.message_bar.text() == "The folder “empty” has no files in it."
    assert main_window.message_bar.level is MessageLevel.ERROR
    assert received == []


def test_dropping_a_huge_folder_is_refused(qtbot, main_window: MainWindow, tmp_path: Path) -> None:
    folder = tmp_path / "everything"
    folder.mkdir()
    for i in range(501):
        (folder / f"{i}.png").write_bytes(b"")
    received: list[object] = []
    main_window.dropped_files.connect(received.append)
    drop_files(main_window.stack, [folder])
    qtbot.waitUntil(main_window.message_bar.isVisible, timeout=5000)
    assert "more than 500 files" in main_window.message_bar.text()
    assert received == []
    assert main_window.busy_indicator.isHidden()


def test_data_without_urls_is_refused_at_drag_enter(main_window: MainWindow) -> None:
    from PySide6.QtCore import QMimeData

    mime = QMimeData()
    mime.setText("just some text")
    received: list[object] = []
    main_window.dropped_files.connect(received.append)
    result = drop_mime(main_window.stack, mime)
    assert not result.entered
    assert received == []
    assert main_window.message_bar.isHidden()


def test_dropping_a_web_link_explains_why_not(main_window: MainWindow) -> None:
    received: list[object] = []
    main_window.dropped_files.connect(received.append)
    result = drop_mime(main_window.stack, file_mime(links=["https://example.com/a.png"]))
    assert result.entered and not result.dropped
    assert received == []
    assert "Save the image to your computer first" in main_window.message_bar.text()


def test_dropping_a_missing_file_says_so(main_window: MainWindow, tmp_path: Path) -> None:
    received: list[object] = []
    main_window.dropped_files.connect(received.append)
    drop_files(main_window.stack, [tmp_path / "gone.png"])
    assert received == []
    assert "could not be found" in main_window.message_bar.text()


def test_the_restored_area_is_built_right_after_the_first_paint(qtbot, data_dirs: DataDirs) -> None:
    built: list[str] = []

    def history_factory() -> AreaWidget:
        built.append("history")
        return HistoryArea()

    window = MainWindow(data_dirs, area_factories={AreaKey.HISTORY: history_factory})
    qtbot.addWidget(window)
    # Before the first paint: the History page is chosen, its widget not built yet; the menu
    # bar has its titles, the menus their actions only after the paint.
    assert window.current_area_key is AreaKey.HISTORY
    assert window.sidebar.current() is AreaKey.HISTORY
    assert window.stack.currentWidget().objectName() == "history_page"
    assert built == []
    assert not window.has_painted
    titles = window.menuBar().actions()
    assert [t.text() for t in titles] == ["&File", "&Edit", "&View", "&Account", "&Help"]
    file_menu = titles[0].menu()
    assert file_menu.actions() == []
    order: list[str] = []
    window.first_painted.connect(lambda: order.append(f"painted, built={built}"))
    window.area_changed.connect(lambda key: order.append(f"opened {key}"))
    with qtbot.waitSignal(window.area_changed):
        window.show()
    assert window.has_painted
    assert order == ["painted, built=[]", "opened history"]
    assert built == ["history"]
    area = window.history_area
    assert area.isVisible()
    assert window.undo_group.activeStack() is area.undo_stack
    assert [a.text() for a in file_menu.actions() if not a.isSeparator()] == [
        "&Import images…",
        "&Export selected…",
        "&Quit",
    ]
    assert window.area_actions[AreaKey.HISTORY].isChecked()


def test_reading_a_menu_action_before_the_first_paint_fills_the_menus(
    data_dirs: DataDirs, qtbot
) -> None:
    first = MainWindow(data_dirs)
    qtbot.addWidget(first)
    first.set_current_area(AreaKey.PROFILES)
    first.close()  # saves Profiles as the area to restore
    window = MainWindow(data_dirs)
    qtbot.addWidget(window)
    view_menu = window.menuBar().actions()[2].menu()
    assert view_menu.actions() == []
    assert window.action_quit.shortcut().toString() == "Ctrl+Q"
    assert window.area_actions[AreaKey.PROFILES].isChecked()  # the restored area's entry
    assert [a.text() for a in view_menu.actions()[:3]] == ["History", "Profiles", "Canvas"]
    assert window.theme_actions[window.preferences.theme].isChecked()


def test_an_area_chosen_before_the_first_paint_is_kept(qtbot, data_dirs: DataDirs) -> None:
    window = MainWindow(data_dirs)
    qtbot.addWidget(window)
    window.set_current_area(AreaKey.CANVAS)
    with qtbot.waitSignal(window.first_painted):
        window.show()
    qtbot.wait(20)  # the start area's turn has come and gone
    assert window.current_area_key is AreaKey.CANVAS
    assert window.canvas_area.isVisible()
    assert not window.is_area_built(AreaKey.HISTORY)


def test_the_start_waits_for_the_first_paint_or_gives_up(qtbot, data_dirs: DataDirs) -> None:
    import time

    from studio_desktop.app import wait_for_first_paint

    hidden = MainWindow(data_dirs)  # never shown: never paints
    qtbot.addWidget(hidden)
    started = time.perf_counter()
    assert wait_for_first_paint(hidden, 80) is False
    assert 0.07 <= time.perf_counter() - started < 2.0
    window = MainWindow(data_dirs)
    qtbot.addWidget(window)
    window.show()
    assert wait_for_first_paint(window, 5_000) is True
    assert window.has_painted
    assert wait_for_first_paint(window, 5_000) is True  # already painted: at once


def test_first_painted_is_emitted_once(qtbot, data_dirs: DataDirs) -> None:
    window = MainWindow(data_dirs)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.first_painted):
        window.show()
    count: list[int] = []
    window.first_painted.connect(lambda: count.append(1))
    window.update()
    qtbot.wait(20)
    assert count == []


def test_account_menu_connects_then_signs_in(qtbot, main_window: MainWindow) -> None:
    from tests.ui.test_dialogs import ANON_KEY

    connections: list[object] = []
    credentials: list[object] = []
    main_window.connect_requested.connect(connections.append)
    main_window.sign_in_requested.connect(credentials.append)
    main_window.action_sign_in.trigger()
    connect = main_window.dialog("connect")
    connect.url_edit.setText("https://abcdefgh.supabase.co")
    connect.key_edit.setText(ANON_KEY)
    connect.accept()
    assert [c.url for c in connections] == ["https://abcdefgh.supabase.co"]
    qtbot.waitUntil(lambda: main_window.dialog("sign_in") is not None)
    sign_in = main_window.dialog("sign_in")
    assert "abcdefgh.supabase.co" in sign_in.intro.text()
    sign_in.email_edit.setText("ana@studio.com")
    sign_in.password_edit.setText("pw")
    sign_in.accept()
    assert [(c.email, c.password) for c in credentials] == [("ana@studio.com", "pw")]
    assert main_window.preferences.project_url == "https://abcdefgh.supabase.co"
    assert main_window.preferences.last_email == "ana@studio.com"
    # The next sign-in goes straight to the sign-in dialog with the e-mail filled in.
    again = main_window.open_sign_in_dialog()
    assert again.objectName() == "SignInDialog"
    assert again.email_edit.text() == "ana@studio.com"
    again.close()


def test_main_window_of_finds_the_window(main_window: MainWindow) -> None:
    from studio_desktop.ui.main_window import main_window_of

    assert main_window_of(main_window.history_area.empty_state) is main_window
    dialog = main_window.open_about_dialog()
    assert main_window_of(dialog) is main_window
    dialog.close()


def test_drops_held_during_the_start_are_all_delivered_once_released(
    qtbot, main_window: MainWindow, tmp_path: Path
) -> None:
    """The start-up holds drops until the app controller exists (``app.run`` → ``hold_drops``,
    ``open_workspace`` → ``release_drops``): none is lost, none is delivered before."""
    first, second = tmp_path / "a.png", tmp_path / "b.jpg"
    first.write_bytes(b"x")
    second.write_bytes(b"y")
    folder = tmp_path / "shoot"
    folder.mkdir()
    (folder / "c.png").write_bytes(b"z")
    received: list[list[Path]] = []
    main_window.dropped_files.connect(received.append)
    main_window.hold_drops()
    point = main_window.stack.mapFrom(main_window, main_window.drop_zone_point([first], "canvas"))
    assert drop_files(main_window.stack, [first], point).dropped
    assert drop_files(main_window.sidebar, [folder]).dropped
    assert drop_files(main_window.stack, [second], point).dropped
    qtbot.wait(50)  # (a folder would have been read off the GUI thread by now)
    assert received == [], "nothing is delivered before the controller can take it"
    main_window.release_drops()
    qtbot.waitUntil(lambda: len(received) == 3, timeout=5000)
    assert received[0] == [first]
    assert sorted(map(tuple, received[1:])) == sorted([(folder / "c.png",), (second,)])
    assert main_window.drop_overlay.isHidden()
    received.clear()
    assert drop_files(main_window.stack, [second], point).dropped  # after: at once
    assert received == [[second]]
