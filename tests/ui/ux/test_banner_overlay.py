"""Item 1 of issue 14: a message never moves what is on screen.

The bar floats over the bottom of the areas (in no layout): every widget of the window keeps
its geometry while it shows and after it hides, whatever the message's length; for a moment
after it appears clicks go through it to what is underneath, and hovering it holds it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPointF, QRect
from PySide6.QtGui import QEnterEvent
from PySide6.QtWidgets import QApplication, QWidget

from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.main_window import MainWindow
from studio_desktop.ui.widgets.message_bar import CLICK_THROUGH_MS, MessageLevel

pytestmark = pytest.mark.gui

LONG = (
    "“not_really.png” is a PDF document, not an image. Save it as PNG or JPEG and drop it "
    "again. “empty.jpg” is an empty file (0 bytes). “cut.jpg” ends before the image does: "
    "the file was cut short while it was copied."
)


def geometries(window: MainWindow) -> dict[str, QRect]:
    """Where every visible widget except the bar is, in window coordinates."""
    found: dict[str, QRect] = {}
    for n, widget in enumerate(window.findChildren(QWidget)):
        if not widget.isVisible() or widget is window.message_bar:
            continue
        if window.message_bar.isAncestorOf(widget):
            continue
        top_left = widget.mapTo(window, widget.rect().topLeft())
        found[f"{n}:{type(widget).__name__}:{widget.objectName()}"] = QRect(top_left, widget.size())
    return found


@pytest.mark.parametrize("area", [AreaKey.HISTORY, AreaKey.PROFILES, AreaKey.CANVAS])
def test_showing_and_hiding_a_message_moves_nothing(
    qtbot, main_window: MainWindow, area: AreaKey
) -> None:
    main_window.set_current_area(area)
    bar = main_window.message_bar
    qtbot.wait(20)
    before = geometries(main_window)
    assert len(before) > 10
    for text, level in (
        ("Saved.", MessageLevel.SUCCESS),
        (LONG, MessageLevel.ERROR),
        ("Link skipped.", MessageLevel.WARNING),
    ):
        main_window.show_message(text, level=level, details="trace" if level == "error" else None)
        qtbot.waitUntil(bar.isVisible)
        QApplication.processEvents()
        assert geometries(main_window) == before, f"{text[:20]!r} moved the layout"
        # It floats over the areas, never over the side bar or the status bar.
        assert main_window.stack.geometry().contains(bar.geometry())
        assert bar.geometry().left() > main_window.sidebar.geometry().right()
        assert bar.text_label.height() >= bar.text_label.heightForWidth(bar.text_label.width())
    bar.dismiss()
    QApplication.processEvents()
    assert geometries(main_window) == before


def test_the_bar_follows_the_window_size(qtbot, main_window: MainWindow) -> None:
    main_window.show_message(LONG, level=MessageLevel.ERROR)
    bar = main_window.message_bar
    for width, height in ((1024, 640), (1400, 900), (1024, 640)):
        main_window.resize(width, height)
        qtbot.waitUntil(lambda w=width: main_window.width() == w)
        QApplication.processEvents()
        stack = main_window.stack.geometry()
        assert stack.contains(bar.geometry())
        assert bar.text_label.height() >= bar.text_label.heightForWidth(bar.text_label.width())


def test_a_new_message_lets_the_aimed_click_through_then_takes_clicks(
    qtbot, main_window: MainWindow
) -> None:
    bar = main_window.message_bar
    main_window.show_message("The disk is full.", level=MessageLevel.ERROR)
    centre = bar.geometry().center()
    central = main_window.centralWidget()
    # Just after it appeared, a click at its place reaches what is underneath.
    assert bar.clicks_pass_through
    under = central.childAt(centre)
    assert under is not None and under is not bar and not bar.isAncestorOf(under)
    qtbot.waitUntil(lambda: not bar.clicks_pass_through, timeout=CLICK_THROUGH_MS + 1000)
    hit = central.childAt(centre)
    assert hit is bar or bar.isAncestorOf(hit)


def test_hovering_holds_an_info_message(qtbot, main_window: MainWindow) -> None:
    bar = main_window.message_bar
    main_window.show_message("Saved 3 images.", level=MessageLevel.SUCCESS, timeout_ms=150)
    centre = QPointF(bar.rect().center())
    QApplication.sendEvent(bar, QEnterEvent(centre, centre, bar.mapToGlobal(centre)))
    qtbot.wait(400)
    assert bar.isVisible(), "it hid under the pointer"
    QApplication.sendEvent(bar, QEvent(QEvent.Type.Leave))
    qtbot.waitUntil(bar.isHidden, timeout=5000)


def test_message_screenshots(
    qtbot, main_window: MainWindow, scheme: str, screenshot: Callable[[QWidget, str], Path]
) -> None:
    main_window.resize(1024, 640)
    main_window.show_message(LONG, level=MessageLevel.ERROR, details="trace")
    qtbot.waitUntil(main_window.message_bar.isVisible)
    screenshot(main_window, "ux-banner-error-1024")
    main_window.show_message("Profile “Mia” restored.", level=MessageLevel.SUCCESS)
    screenshot(main_window, "ux-banner-success-1024")
