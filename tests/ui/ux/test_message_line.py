"""Item 1 of issue 14: a message never moves what is on screen, and never covers a control.

Messages have their own fixed-height line in the status bar. On every screen a designer works in
(History with a job, Profiles with a finished pack's row and its "Show in History" / "Open in
Canvas", Magic Canvas with images in its strip), at 1024 x 640 and at 200 % (this module again in
a child process, as ``test_layout_sizes`` does): showing a short, a long and a stacked message
moves no widget, and no enabled control lies under the message. Then how long messages stay:
notices go by themselves (hovering holds them), errors and warnings stay until × or Esc, at most
``MAX_KEPT`` of them, the newest shown."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QPointF, QRect, QSize, Qt
from PySide6.QtGui import QEnterEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from studio_desktop.services.jobs import WAITING_FOR_SIGN_IN
from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.main_window import MainWindow
from studio_desktop.ui.widgets.message_bar import MAX_KEPT, MessageLevel
from tests.imaging.garments import studio_sweep
from tests.ui.canvas.conftest import open_creation_from
from tests.ui.profiles.helpers import App, await_on_loop
from tests.ui.ux.at_200_percent import assert_module_passes_at_200_percent

pytestmark = pytest.mark.gui

SMALL = QSize(1024, 640)
SCALE = os.environ.get("QT_SCALE_FACTOR", "1")
SUFFIX = "" if SCALE in ("", "1") else f"-{round(float(SCALE) * 100)}pct"
LONG = (
    "“not_really.png” is a PDF document, not an image. Save it as PNG or JPEG and drop it "
    "again. “empty.jpg” is an empty file (0 bytes). “cut.jpg” ends before the image does: "
    "the file was cut short while it was copied."
)
CONTROLS = (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QTextEdit,
    QPlainTextEdit,
)


def in_window(widget: QWidget, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())


def geometries(window: MainWindow) -> dict[QWidget, QRect]:
    """Where every visible widget outside the message line is, in window coordinates."""
    line = window.message_line
    return {
        w: in_window(w, window)
        for w in window.findChildren(QWidget)
        if w.isVisible() and w is not line and not line.isAncestorOf(w)
    }


def controls_under_the_message(window: MainWindow) -> list[str]:
    """Enabled, visible controls of the window that the shown message overlaps."""
    bar = window.message_bar
    assert bar.isVisible()
    over = in_window(bar, window)
    found = []
    for widget in window.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or not widget.isVisible() or not widget.isEnabled():
            continue
        if widget is bar or bar.isAncestorOf(widget) or widget.window() is not window:
            continue
        seen = widget.visibleRegion().boundingRect()  # (a row scrolled half out: its part)
        if seen.isEmpty():
            continue
        if QRect(widget.mapTo(window, seen.topLeft()), seen.size()).intersects(over):
            label = widget.text() if isinstance(widget, QAbstractButton) else ""
            found.append(f"{type(widget).__name__} {widget.objectName()!r} {label}")
    return found


def photo(path: Path, seed: int) -> Path:
    Image.fromarray(studio_sweep((288, 360), seed=seed).photo).save(path)
    return path


def check_messages_on(qtbot, window: MainWindow, screen: str) -> None:
    """A short, a long and a stacked message on the current screen: nothing moves, no control
    is covered, and the window keeps its size."""
    QApplication.processEvents()
    before = geometries(window)
    assert len(before) > 10
    size = window.size()
    bar = window.message_bar
    for text, level, details in (
        ("Saved.", MessageLevel.SUCCESS, None),
        (LONG, MessageLevel.ERROR, "Traceback: …"),
        ("Link skipped: not an image.", MessageLevel.WARNING, None),
    ):
        window.show_message(text, level=level, details=details)
        qtbot.waitUntil(bar.isVisible)
        QApplication.processEvents()
        assert window.size() == size
        assert geometries(window) == before, f"{screen}: {text[:20]!r} moved the layout"
        assert controls_under_the_message(window) == [], screen
        # It reads on one line inside the line; the ×, the icon and the start of the text fit.
        assert window.message_line.rect().contains(bar.geometry())
        assert bar.rect().contains(bar.close_button.geometry())
        assert bar.close_button.isVisible()
        assert bar.text_label.text().startswith(text[:10])
    assert bar.text() == "Link skipped: not an image."
    bar.dismiss_all()
    QApplication.processEvents()
    assert geometries(window) == before


def test_messages_cover_no_control_and_move_nothing_on_any_screen(
    qtbot, app: App, tmp_path: Path, scheme: str, screenshot: Callable[[QWidget, str], Path]
) -> None:
    window = app.window
    services = app.services
    window.resize(SMALL)
    qtbot.waitUntil(lambda: window.size() == SMALL)

    # Profiles with the garment panel and a finished pack's row.
    profile = await_on_loop(qtbot, services.profiles.create("Ana", background="grey sweep"))
    window.set_current_area(AreaKey.PROFILES)
    panel = app.profiles_area.garments
    qtbot.waitUntil(lambda: panel.profile_combo.findData(profile.id) >= 0)
    panel.extract("front", photo(tmp_path / "front.png", 1))
    panel.extract("back", photo(tmp_path / "back.png", 7))
    for side in ("front", "back"):
        qtbot.waitUntil(lambda s=side: panel.slots[s].has_cutout, timeout=30_000)
    panel.choose_profile(profile.id)
    with qtbot.waitSignal(panel.pack_finished, timeout=60_000):
        panel.build_button.click()
    row = panel.row("pack")
    assert row is not None
    qtbot.waitUntil(lambda: row.result_count() == 3, timeout=10_000)
    QApplication.processEvents()
    assert row.history_button.isVisible() and row.canvas_button.isVisible()
    check_messages_on(qtbot, window, "profiles")
    # Several rows: a try-on waiting for the studio's engine under the pack.
    panel.tryon_button.click()
    qtbot.waitUntil(lambda: panel.row("tryon") is not None, timeout=10_000)
    tryon = panel.row("tryon")
    qtbot.waitUntil(lambda: tryon.status.text() == WAITING_FOR_SIGN_IN, timeout=10_000)
    qtbot.wait(300)  # (the panel scrolls the new row into view)
    check_messages_on(qtbot, window, "profiles, two rows")
    window.show_message(LONG, level=MessageLevel.ERROR, details="trace")
    screenshot(window, f"ux-message-profiles-1024{SUFFIX}")
    window.message_bar.dismiss_all()

    # History with jobs.
    window.set_current_area(AreaKey.HISTORY)
    history = window.history_area
    qtbot.waitUntil(lambda: history.model is not None and history.model.rowCount() >= 3)
    check_messages_on(qtbot, window, "history")

    # Magic Canvas with images in its strip.
    window.set_current_area(AreaKey.CANVAS)
    canvas = window.area(AreaKey.CANVAS)
    paths = [photo(tmp_path / f"look {n}.png", n) for n in range(4)]
    open_creation_from(qtbot, canvas, paths)
    qtbot.waitUntil(
        lambda: canvas.state is not None and len(canvas.state.assets) == 4, timeout=20_000
    )
    check_messages_on(qtbot, window, "canvas")
    window.show_message("Profile “Mia” restored.", level=MessageLevel.SUCCESS)
    window.show_message("Link skipped: not an image.", level=MessageLevel.WARNING)
    window.show_message(LONG, level=MessageLevel.ERROR, details="trace")
    screenshot(window, f"ux-message-canvas-1024{SUFFIX}")
    window.message_bar.dismiss_all()


def test_notices_go_by_themselves_and_hovering_holds_them(qtbot, app: App) -> None:
    bar = app.window.message_bar
    app.window.show_message("Saved 3 images.", level=MessageLevel.SUCCESS, timeout_ms=150)
    centre = QPointF(bar.rect().center())
    QApplication.sendEvent(bar, QEnterEvent(centre, centre, bar.mapToGlobal(centre)))
    qtbot.wait(400)
    assert bar.isVisible(), "it hid under the pointer"
    QApplication.sendEvent(bar, QEvent(QEvent.Type.Leave))
    qtbot.waitUntil(bar.isHidden, timeout=5000)
    # Without a timeout of its own an info notice goes too (after AUTO_HIDE_MS).
    app.window.show_message("Copied.")
    assert bar._hide_timer.isActive() and bar._hide_timer.interval() >= 5000


def test_errors_stay_until_dismissed_and_do_not_pile_up(qtbot, app: App) -> None:
    window = app.window
    bar = window.message_bar
    errors = [f"Could not save “look {n}.png”: the disk is full." for n in range(MAX_KEPT + 2)]
    window.show_message("Check your connection.", level=MessageLevel.WARNING)
    for text in errors:
        window.show_message(text, level=MessageLevel.ERROR)
    qtbot.wait(300)
    assert bar.isVisible() and bar.text() == errors[-1]
    assert not bar._hide_timer.isActive()  # stays
    # At most MAX_KEPT are kept (the oldest dropped), the newest shown with how many wait.
    assert bar.kept() == errors[-MAX_KEPT:]
    assert bar.more_label.text() == f"+{MAX_KEPT - 1} more"
    # The same message again counts up instead of queuing a copy.
    window.show_message(errors[-1], level=MessageLevel.ERROR)
    assert bar.kept() == errors[-MAX_KEPT:] and "(×2)" in bar.text_label.text()
    # A notice meanwhile takes the line for its time; the kept error comes back.
    window.show_message("Saved.", level=MessageLevel.SUCCESS, timeout_ms=100)
    assert bar.text() == "Saved."
    qtbot.waitUntil(lambda: bar.text() == errors[-1], timeout=3000)
    # × dismisses the shown one: the one before comes back; Esc in the window does the same.
    bar.close_button.click()
    assert bar.text() == errors[-2]
    window.activateWindow()
    window.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert bar.text() == errors[-3]
    assert bar.more_label.isHidden()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert bar.isHidden() and bar.kept() == []
    # Esc with no message does nothing harmful.
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert bar.isHidden()


def test_a_cut_message_is_whole_in_its_tooltip_and_copy(qtbot, app: App) -> None:
    window = app.window
    window.resize(SMALL)
    qtbot.waitUntil(lambda: window.size() == SMALL)
    bar = window.message_bar
    long = LONG + " " + LONG
    window.show_message(long, level=MessageLevel.WARNING)
    QApplication.processEvents()
    assert bar.text_label.text().endswith("…")
    assert bar.text_label.toolTip() == long
    assert bar.copy_button.isVisible() and bar.copy_button.text() == "Copy"
    bar.copy_button.click()
    assert QApplication.clipboard().text() == long
    window.show_message("Short.", level=MessageLevel.WARNING)
    assert bar.text_label.text() == "Short." and bar.copy_button.isHidden()


def test_the_same_at_200_percent(tmp_path: Path) -> None:
    """This module again in a child process on a 3840 x 2160 screen at QT_SCALE_FACTOR=2."""
    assert_module_passes_at_200_percent(__file__, tmp_path)
