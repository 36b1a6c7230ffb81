"""Issue 14, items 7 and 8 on the canvas: what a drag over the canvas would do is decided from
each file's header once per drag, not on every drag-move (which arrive dozens of times a second
on the GUI thread); and the drop is accepted as a copy even when the source proposes a move."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from studio_desktop.services import canvas_tools
from tests.ui.canvas.conftest import open_creation_from, scene, write_png
from tests.ui.conftest import file_mime

pytestmark = pytest.mark.gui

SHIFT = Qt.KeyboardModifier.ShiftModifier
BOTH = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction


@pytest.fixture
def opened(qtbot, area, tmp_path: Path):
    path = write_png(tmp_path / "in", "bag.png", scene((400, 300)))
    open_creation_from(qtbot, area, [path])
    return area


def test_a_drag_reads_the_file_header_once_not_per_move(
    qtbot, opened, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mask = Image.new("L", (400, 300), 0)
    path = write_png(tmp_path / "masks", "mask.png", mask)
    opens: list[str] = []
    real_open = canvas_tools.Image.open

    def counting_open(fp, *args, **kwargs):
        opens.append(str(fp))
        return real_open(fp, *args, **kwargs)

    monkeypatch.setattr(canvas_tools.Image, "open", counting_open)
    view = opened.canvas
    mime = file_mime([path])
    button = Qt.MouseButton.LeftButton
    point = view.rect().center() - QPoint(0, 60)  # (off the mask band)
    enter = QDragEnterEvent(point, BOTH, mime, button, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view, enter)
    assert enter.isAccepted()
    assert view.drop_plan is not None and view.drop_plan.target == "mask"
    for step in range(40):
        move = QDragMoveEvent(
            point + QPoint(step, step // 2), BOTH, mime, button, Qt.KeyboardModifier.NoModifier
        )
        QApplication.sendEvent(view, move)
        assert move.isAccepted()
    assert len(opens) == 1, f"the header was read {len(opens)} times for one drag"
    assert view.drop_plan.target == "mask"

    # A new version of the file (another size) is read again: the verdict follows the file.
    Image.new("RGB", (400, 300), (200, 30, 30)).save(path, "PNG")
    QApplication.sendEvent(
        view, QDragMoveEvent(point, BOTH, mime, button, Qt.KeyboardModifier.NoModifier)
    )
    assert len(opens) == 2
    assert view.drop_plan.target == "assets"


def test_a_drop_proposed_as_a_move_is_taken_as_a_copy(
    qtbot, opened, window, tmp_path: Path
) -> None:
    path = write_png(tmp_path / "more", "look.png", scene((400, 300), colour=(30, 90, 200)))
    view = opened.canvas
    mime = file_mime([path])
    point = view.rect().center() - QPoint(0, 60)
    button = Qt.MouseButton.LeftButton
    # Shift is the platform's "move" modifier: the source proposes a move.
    enter = QDragEnterEvent(point, BOTH, mime, button, SHIFT)
    assert enter.proposedAction() == Qt.DropAction.MoveAction
    QApplication.sendEvent(view, enter)
    assert enter.isAccepted() and enter.dropAction() == Qt.DropAction.CopyAction
    move = QDragMoveEvent(point, BOTH, mime, button, SHIFT)
    QApplication.sendEvent(view, move)
    assert move.dropAction() == Qt.DropAction.CopyAction
    drop = QDropEvent(QPointF(point), BOTH, mime, button, SHIFT)
    QApplication.sendEvent(view, drop)
    assert drop.isAccepted() and drop.dropAction() == Qt.DropAction.CopyAction
    qtbot.waitUntil(lambda: opened.asset_strip.count() == 2, timeout=20_000)
    assert path.exists(), "the original must stay where it was"
