"""The first-run welcome: when it shows, how it closes, "Don't show again", the samples button
(wired to the real ``create_samples`` over a real local workspace), that it blocks nothing
else in the window, and screenshots in both palettes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QWidget

from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.main_window import MainWindow
from studio_desktop.ui.welcome import (
    DONT_SHOW_KEY,
    SAMPLES_BUSY,
    SAMPLES_BUTTON,
    SAMPLES_UNAVAILABLE,
    STEPS,
    WelcomePanel,
    should_show_welcome,
)
from tests.ui.conftest import drop_files
from tests.ui.test_screenshots import assert_has_content, assert_text_fits

pytestmark = pytest.mark.gui

Shot = Callable[[QWidget, str], Path]


def _gone(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.welcome is None, timeout=2000)


def test_it_shows_for_the_local_workspace_until_turned_off() -> None:
    assert should_show_welcome(is_local=True)
    assert not should_show_welcome(is_local=False)
    QSettings().setValue(DONT_SHOW_KEY, True)
    assert not should_show_welcome(is_local=True)


def test_the_welcome_over_the_window(
    qtbot, main_window: MainWindow, scheme: str, screenshot: Shot
) -> None:
    panel = main_window.show_welcome()
    assert panel.isVisible() and panel.card.isVisible()
    # It covers the areas only, centred on them, and has the focus on its main button.
    assert panel.geometry() == main_window.stack.rect()
    card = panel.card.geometry()
    assert abs(card.center().x() - panel.rect().center().x()) <= 1
    assert panel.rect().contains(card)
    assert panel.samples_button.hasFocus()
    titles = [view.title_label.text() for view in panel.card.steps]
    assert titles == [step.title for step in STEPS]
    path = screenshot(main_window, "welcome")
    assert_has_content(path)
    assert_text_fits(main_window)


def test_a_narrow_window_stacks_the_steps(qtbot, scheme: str, screenshot: Shot) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    host.resize(520, 900)
    host.show()
    panel = WelcomePanel(host)
    panel.show_over(host)
    qtbot.waitExposed(host)
    first, second, third = (view.geometry() for view in panel.card.steps)
    assert first.bottom() < second.top() < second.bottom() < third.top()
    assert panel.card.geometry().right() <= host.width()
    assert_has_content(screenshot(host, "welcome-narrow"))
    assert_text_fits(host)
    # Wider again: side by side.
    host.resize(1200, 800)
    qtbot.waitUntil(
        lambda: panel.card.steps[0].geometry().top() == panel.card.steps[2].geometry().top()
    )


def test_close_hides_it_for_now_only(qtbot, main_window: MainWindow) -> None:
    panel = main_window.show_welcome()
    with qtbot.waitSignal(panel.dismissed) as closed:
        qtbot.mouseClick(panel.later_button, Qt.MouseButton.LeftButton)
    assert closed.args == [False]
    _gone(qtbot, main_window)
    assert should_show_welcome(is_local=True)


def test_dont_show_again_is_remembered(qtbot, main_window: MainWindow) -> None:
    panel = main_window.show_welcome()
    panel.dont_show_box.setChecked(True)
    with qtbot.waitSignal(panel.dismissed) as closed:
        qtbot.mouseClick(panel.close_button, Qt.MouseButton.LeftButton)
    assert closed.args == [True]
    _gone(qtbot, main_window)
    assert not should_show_welcome(is_local=True)
    # Help ▸ Welcome still shows it on demand.
    main_window.action_welcome.trigger()
    assert main_window.welcome is not None and main_window.welcome.isVisible()


def test_escape_closes_it(qtbot, main_window: MainWindow) -> None:
    panel = main_window.show_welcome()
    panel.samples_button.setFocus()
    with qtbot.waitSignal(panel.dismissed):
        qtbot.keyClick(panel.samples_button, Qt.Key.Key_Escape)
    _gone(qtbot, main_window)


def test_showing_it_twice_gives_the_same_card(qtbot, main_window: MainWindow) -> None:
    shown: list[WelcomePanel] = []
    main_window.welcome_shown.connect(shown.append)
    first = main_window.show_welcome()
    assert main_window.show_welcome() is first
    assert len(main_window.stack.findChildren(WelcomePanel)) == 1
    assert shown == [first]  # announced once, for the composition root to connect


def test_it_blocks_nothing_else_in_the_window(
    qtbot, main_window: MainWindow, tmp_path: Path
) -> None:
    panel = main_window.show_welcome()
    # The side bar and the menus still work...
    qtbot.mouseClick(main_window.sidebar.buttons[AreaKey.PROFILES], Qt.MouseButton.LeftButton)
    assert main_window.current_area_key is AreaKey.PROFILES
    main_window.area_actions[AreaKey.CANVAS].trigger()
    assert main_window.current_area_key is AreaKey.CANVAS
    assert panel.isVisible()
    # ...and an image dropped on the card reaches the window like anywhere else.
    image = tmp_path / "look.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    with qtbot.waitSignal(main_window.dropped_files) as dropped:
        result = drop_files(panel.card, [image])
    assert result.dropped
    assert dropped.args == [[image]]


def test_the_samples_button_with_nothing_to_add_them_says_so(
    qtbot, main_window: MainWindow
) -> None:
    panel = main_window.show_welcome()
    with qtbot.waitSignal(panel.samples_unavailable):
        qtbot.mouseClick(panel.samples_button, Qt.MouseButton.LeftButton)
    assert not panel.busy
    assert not panel.samples_button.isEnabled()
    assert panel.samples_button.toolTip() == SAMPLES_UNAVAILABLE


def test_the_samples_button_asks_once_and_says_it_is_busy(qtbot, main_window: MainWindow) -> None:
    panel = main_window.show_welcome()
    panel.samples_requested.connect(lambda: None)  # the composition root's hookup
    with qtbot.waitSignal(panel.samples_requested):
        qtbot.mouseClick(panel.samples_button, Qt.MouseButton.LeftButton)
    assert panel.busy
    assert panel.samples_button.text() == SAMPLES_BUSY
    assert not panel.samples_button.isEnabled()
    with qtbot.assertNotEmitted(panel.samples_requested):
        panel.samples_button.click()
    panel.samples_finished(False)  # it failed: try again
    assert panel.samples_button.isEnabled()
    assert panel.samples_button.text() == SAMPLES_BUTTON
    assert main_window.welcome is panel
    panel.samples_finished(True)
    _gone(qtbot, main_window)
    assert not should_show_welcome(is_local=True)
