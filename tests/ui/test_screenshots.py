"""Screenshots of the main window (each area), the status bar states, the message bar and every
dialog, in both palettes: ``tests/screenshots/<light|dark>/<name>.png`` (looked at by a person;
the assertions here check that each shot has real content and that text fits)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from studio_desktop.domain.errors import ExternalError
from studio_desktop.domain.status import ParkedChange, SyncState, SyncStatus
from studio_desktop.store.locations import DataDirs
from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.crash import report_crash
from studio_desktop.ui.dialogs.about import AboutDialog
from studio_desktop.ui.dialogs.connect_dialog import ConnectDialog
from studio_desktop.ui.dialogs.settings_dialog import SettingsDialog
from studio_desktop.ui.dialogs.sign_in_dialog import SignInDialog
from studio_desktop.ui.main_window import MainWindow
from studio_desktop.ui.preferences import SettingsValues
from tests.ui.conftest import drag_enter, file_mime

pytestmark = pytest.mark.gui

Shot = Callable[[QWidget, str], Path]


def assert_has_content(path: Path) -> None:
    image = QImage(str(path))
    assert not image.isNull()
    colors = {
        image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)
    }
    assert len(colors) > 4, f"{path.name} looks blank"


def assert_text_fits(root: QWidget) -> None:
    """No visible label or button is narrower than its text needs (cut text)."""
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible() or widget.width() == 0:
            continue
        if isinstance(widget, QLabel) and not widget.wordWrap() and widget.text():
            need = widget.fontMetrics().horizontalAdvance(widget.text().split("\n")[0])
            if "<" not in widget.text():
                assert widget.contentsRect().width() >= need - 1, (
                    f"label {widget.text()!r} is cut: {widget.width()} < {need}"
                )
        if isinstance(widget, QLabel) and widget.wordWrap() and widget.text():
            need = widget.heightForWidth(widget.width())
            assert widget.height() >= need - 1, (
                f"wrapped label {widget.text()[:40]!r} is cut: {widget.height()} < {need}"
            )
        if isinstance(widget, QAbstractButton) and widget.text():
            hint = widget.sizeHint()
            assert widget.width() >= hint.width() - 2, f"button {widget.text()!r} is cut"


def test_main_window_areas(qtbot, main_window: MainWindow, scheme: str, screenshot: Shot) -> None:
    for key in AreaKey:
        main_window.set_current_area(key)
        path = screenshot(main_window, f"main-window-{key.value}")
        assert_has_content(path)
        assert_text_fits(main_window)


def test_main_window_first_frame_then_its_area(
    qtbot, data_dirs: DataDirs, scheme: str, screenshot: Shot
) -> None:
    """The window as it first paints (issue 5's cold start: side bar, menu titles and status
    bar around the restored area's empty page), then as it is a moment later (the area in)."""
    window = MainWindow(data_dirs)
    qtbot.addWidget(window)
    window.resize(1180, 760)
    after_first_paint = window._after_first_paint
    window._after_first_paint = lambda: None  # hold the window at its first frame
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.has_painted)
    first = screenshot(window, "main-window-first-frame")
    assert not window.is_area_built(AreaKey.HISTORY)
    assert_has_content(first)
    assert_text_fits(window)
    with qtbot.waitSignal(window.area_changed):
        after_first_paint()
    after = screenshot(window, "main-window-after-start")
    assert window.history_area.isVisible()
    assert_has_content(after)
    assert_text_fits(window)


def test_main_window_with_an_error_and_parked_changes(
    qtbot, main_window: MainWindow, scheme: str, screenshot: Shot
) -> None:
    main_window.show_external_error(
        ExternalError("“shoot-03.pdf” is not an image. Drop PNG, JPEG, WebP or TIFF files."),
        details="decode failed: cannot identify image file",
    )
    main_window.set_account("ana@studio.com")
    main_window.set_sync_status(
        SyncStatus(
            state=SyncState.SYNCING,
            done=34,
            total=120,
            queued=5,
            account="ana@studio.com",
            parked=(ParkedChange("Profile “Ana”", "The server refused it: name too long."),),
        )
    )
    busy = main_window.begin_busy("Importing 12 images…")
    path = screenshot(main_window, "main-window-error-and-sync")
    main_window.end_busy(busy)
    assert_has_content(path)
    assert_text_fits(main_window)


def test_drop_overlay(
    qtbot, main_window: MainWindow, scheme: str, screenshot: Shot, tmp_path
) -> None:
    image = tmp_path / "look.png"
    image.write_bytes(b"x")
    assert drag_enter(main_window.stack, file_mime([image])).isAccepted()
    assert_has_content(screenshot(main_window, "main-window-drop-overlay"))
    main_window.drop_overlay.hide()


STATUSES = {
    "local": SyncStatus.local_workspace(),
    "offline": SyncStatus(state=SyncState.OFFLINE, queued=3, account="ana@studio.com"),
    "syncing": SyncStatus(state=SyncState.SYNCING, done=4, total=10, queued=2),
    "syncing-unknown-total": SyncStatus(state=SyncState.SYNCING),
    "up-to-date": SyncStatus(
        state=SyncState.UP_TO_DATE, last_synced_at=datetime(2026, 3, 5, 14, 5, tzinfo=UTC)
    ),
    "needs-sign-in": SyncStatus(state=SyncState.NEEDS_SIGN_IN, queued=7),
    "parked": SyncStatus(
        state=SyncState.UP_TO_DATE,
        last_synced_at=datetime.now(UTC),
        parked=(
            ParkedChange("Profile “Ana”", "The server refused it: name too long."),
            ParkedChange("Output 2 of job 4f2c", "The file is missing from the cache."),
        ),
    ),
}


@pytest.mark.parametrize("state", list(STATUSES))
def test_status_bar_states(
    qtbot, main_window: MainWindow, scheme: str, screenshot: Shot, state: str
) -> None:
    main_window.set_sync_status(STATUSES[state])
    bar = main_window.statusBar()
    path = screenshot(bar, f"status-bar-{state}")
    assert_has_content(path)
    assert_text_fits(bar)
    status = main_window.sync_status
    assert status.geometry().right() <= bar.width()


def _show_dialog(qtbot, dialog: QWidget) -> QWidget:
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_connect_dialog(qtbot, scheme: str, screenshot: Shot) -> None:
    dialog = _show_dialog(qtbot, ConnectDialog())
    assert_has_content(screenshot(dialog, "dialog-connect"))
    dialog.url_edit.setText("http://abc.supabase.co/rest/v1")
    dialog.key_edit.setText("eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2ln")
    dialog.accept()
    assert dialog.field_error("url") and dialog.field_error("anon_key")
    assert_has_content(screenshot(dialog, "dialog-connect-errors"))
    assert_text_fits(dialog)


def test_sign_in_dialog(qtbot, scheme: str, screenshot: Shot) -> None:
    dialog = _show_dialog(qtbot, SignInDialog(project_url="https://abcdefgh.supabase.co"))
    assert_has_content(screenshot(dialog, "dialog-sign-in"))
    dialog.email_edit.setText("ana@")
    dialog.accept()
    assert_has_content(screenshot(dialog, "dialog-sign-in-errors"))
    assert_text_fits(dialog)


def test_settings_dialog(qtbot, scheme: str, screenshot: Shot) -> None:
    dialog = _show_dialog(qtbot, SettingsDialog(SettingsValues()))
    assert_has_content(screenshot(dialog, "dialog-settings"))
    dialog.remote_radio.setChecked(True)
    dialog.api_url_edit.setText("http://studio.example.com")
    dialog.accept()
    assert_has_content(screenshot(dialog, "dialog-settings-errors"))
    assert_text_fits(dialog)


def test_about_dialog(qtbot, scheme: str, screenshot: Shot, data_root: Path) -> None:
    dialog = _show_dialog(qtbot, AboutDialog(data_root))
    assert_has_content(screenshot(dialog, "dialog-about"))
    assert_text_fits(dialog)


def test_crash_dialog(
    qtbot, main_window: MainWindow, scheme: str, screenshot: Shot, expect_crash
) -> None:
    try:
        {}["thumbnail"]
    except KeyError as error:
        report_crash(error, main_window)
    dialog = expect_crash()
    qtbot.waitExposed(dialog)
    assert_has_content(screenshot(dialog, "dialog-crash"))
    dialog.details_button.setChecked(True)
    dialog.resize(dialog.sizeHint().expandedTo(QSize(640, 420)))
    assert_has_content(screenshot(dialog, "dialog-crash-details"))
    assert_text_fits(dialog)
