"""The message box a start that cannot go on shows (``ui/start_problem.py``): the reason as its
text, what to do under it, both selectable, a Close button that Escape and Return press; long
paths stay readable on a small screen. Photographed in both palettes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QPushButton, QWidget

from studio_desktop.store.locations import data_dir_error
from studio_desktop.ui.start_problem import start_problem_box, wait_with_notice
from studio_desktop.ui.theme import ThemeMode, theme_manager

pytestmark = pytest.mark.gui

#: A designer's real-world path: deep, with spaces, on a removable drive.
DEEP = Path("/media/designer/Studio Archive 2026/Spring collection/shoots/studio-desktop data")


def _labels(box: QMessageBox) -> list[QLabel]:
    return [label for label in box.findChildren(QLabel) if label.text()]


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
def test_the_read_only_box_says_which_folder_and_what_to_do(
    qtbot, scheme: str, screenshot: Callable[[QWidget, str], Path]
) -> None:
    error = data_dir_error(DEEP, OSError(30, "Read-only file system", str(DEEP / "logs")))
    box = start_problem_box(error.headline, error.advice)
    qtbot.addWidget(box)
    box.show()
    qtbot.waitExposed(box)
    assert box.windowTitle() == "Studio Desktop"
    assert box.icon() == QMessageBox.Icon.Critical
    assert box.text() == f"Studio Desktop cannot save in the folder {DEEP}: its drive is read-only."
    assert "--data-dir FOLDER" in box.informativeText()
    texts = [label.text() for label in _labels(box)]
    assert box.text() in texts and box.informativeText() in texts
    for label in _labels(box):
        assert label.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
        # Every line fits: the label is as tall as its wrapped text needs, and within the box.
        assert label.wordWrap()
        needed = label.heightForWidth(label.width())
        assert label.height() >= needed, (label.text(), label.height(), needed)
        assert box.rect().contains(label.geometry())
    assert box.width() <= 1024, box.width()  # a small screen holds it
    screenshot(box, "start-problem-read-only")
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    assert box.result() == QMessageBox.StandardButton.Close
    assert not box.isVisible()


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
def test_the_already_open_box_is_information_not_an_error(
    qtbot, scheme: str, screenshot: Callable[[QWidget, str], Path]
) -> None:
    box = start_problem_box(
        f"Studio Desktop is already open on this folder ({DEEP}, process 4242).",
        "Switch to its window, or close it and start again. To run a second copy, start it "
        "on another folder: studio-desktop --data-dir FOLDER.",
        serious=False,
    )
    qtbot.addWidget(box)
    box.show()
    qtbot.waitExposed(box)
    assert box.icon() == QMessageBox.Icon.Information
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Close)
    screenshot(box, "start-problem-already-open")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert not box.isVisible()


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
def test_the_unusable_folder_box_offers_another_folder(
    qtbot, scheme: str, screenshot: Callable[[QWidget, str], Path]
) -> None:
    """ "Choose another folder…" is the way forward, so it is the default button (Return); Alt+C
    presses it too; Close and Escape still end the start."""
    error = data_dir_error(DEEP, OSError(30, "Read-only file system", str(DEEP)))
    box = start_problem_box(error.headline, error.advice, can_choose_folder=True)
    qtbot.addWidget(box)
    box.show()
    qtbot.waitExposed(box)
    choose = box.findChild(QPushButton, "choose-folder")
    assert choose is not None and choose.text() == "&Choose another folder…"
    assert box.defaultButton() is choose
    assert "this time only" in choose.toolTip()
    assert box.escapeButton() is box.button(QMessageBox.StandardButton.Close)
    for button in box.buttons():  # every button's text fits
        assert button.width() >= button.sizeHint().width(), button.text()
    assert box.width() <= 1024, box.width()
    screenshot(box, "start-problem-choose-folder")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert box.clickedButton() is choose
    assert not box.isVisible()


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
def test_the_starting_notice_closes_itself_when_the_wait_is_over(
    qtbot, scheme: str, screenshot: Callable[[QWidget, str], Path]
) -> None:
    """A second launch beside a copy still starting: the notice stays while the copy is not
    answering and closes by itself once it has; nothing of it is left."""
    over: list[bool] = []
    seen: list[tuple[str, str, list[str]]] = []

    def look() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox) and box.objectName() == "start-notice"
        theme_manager().set_mode(ThemeMode(scheme))  # (the notice starts in the system's)
        seen.append((box.text(), box.informativeText(), [b.text() for b in box.buttons()]))
        assert box.icon() == QMessageBox.Icon.Information
        screenshot(box, "start-notice-starting")
        over.append(True)  # the open copy answered

    QTimer.singleShot(200, look)
    headline = f"Studio Desktop is starting on this folder ({DEEP}, process 4242)."
    advice = "Its window comes up in a moment; this notice then closes by itself."
    assert wait_with_notice(headline, advice, lambda: bool(over))
    assert seen == [(headline, advice, ["Don't wait"])]
    assert not [w for w in QApplication.topLevelWidgets() if w.objectName() == "start-notice"]


def test_dont_wait_closes_the_notice_without_the_wait_being_over(qtbot) -> None:
    def stop() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        qtbot.keyClick(box, Qt.Key.Key_Escape)

    QTimer.singleShot(200, stop)
    assert not wait_with_notice("Starting…", "Wait.", lambda: False)
