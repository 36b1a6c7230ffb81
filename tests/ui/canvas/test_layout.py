"""The Canvas screen at the smallest supported window (1024 x 640) and at 200 % scale: both
toolbar rows show every button (nothing behind »; zoom in, Fit and 1:1 on screen), each with
a tooltip, and the creations list has no sideways scrollbar even with long names. Screenshots
in both palettes, with a selection made and snapping shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QPointF
from PySide6.QtGui import QMouseEvent

from studio_desktop.domain.models import CanvasThread
from tests.imaging.photo_scene import photo_scene
from tests.ui.canvas.conftest import mouse, open_creation_from, run_async
from tests.ui.canvas.layout_probe import layout_problems
from tests.ui.test_screenshots import assert_has_content, assert_text_fits

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def photo_file(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "a-rather-long-creation-name-from-the-shoot-of-the-autumn-line.png"
    path.parent.mkdir(parents=True)
    Image.fromarray(photo_scene(size=(1200, 800)).image).save(path)
    return path


def test_canvas_at_1024_by_640(scheme, qtbot, services, *, window, area, photo_file, screenshot):
    window.resize(1024, 640)
    # A few creations with long names in the list, then the one shown.
    for _ in range(3):
        run_async(services.imports.start_creation([photo_file]))
    open_creation_from(qtbot, area, [photo_file])
    area.reload_creations()
    qtbot.waitUntil(lambda: len(area.creations.ids()) >= 4, timeout=15_000)
    thread = area.state.thread
    run_async(services.canvas.rename_creation(thread.id, "Autumn line — lookbook hero, take 7"))
    qtbot.waitUntil(
        lambda: services.store.rows.get(CanvasThread, thread.id).title.startswith("Autumn"),
        timeout=5_000,
    )
    # A wand selection on the bag, with the snapped outline, for the picture.
    area.canvas.setFocus()
    area.action_wand.trigger()
    point = area.canvas.image_to_widget(QPointF(600, 400))
    mouse(area.canvas, QMouseEvent.Type.MouseButtonPress, point)
    mouse(area.canvas, QMouseEvent.Type.MouseButtonRelease, point)
    qtbot.waitUntil(lambda: area.undo_stack.count() == 1, timeout=10_000)
    qtbot.waitUntil(lambda: not area.canvas.refined_outline.isEmpty(), timeout=20_000)
    qtbot.wait(50)
    assert layout_problems(area) == []
    for action in (area.action_zoom_in, area.action_fit, area.action_actual):
        button = area.mask_toolbar.widgetForAction(action)
        assert button.isVisible() and button.mapTo(window, button.rect().topRight()).x() < 1024
    path = screenshot(window, "canvas-1024x640")
    assert_has_content(path)
    assert_text_fits(window)


def test_canvas_at_200_percent(photo_file: Path, tmp_path: Path) -> None:
    """A 2048 x 1280 pixel window at QT_SCALE_FACTOR=2 (1024 x 640 logical pixels), in a
    child process: the scale is fixed when the application starts."""
    shot = ROOT / "tests" / "screenshots" / "light" / "canvas-200-percent.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, QT_SCALE_FACTOR="2", QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "ui" / "canvas" / "layout_probe.py"),
            "1024",
            "640",
            str(photo_file),
            str(shot),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["ratio"] == 2.0
    assert report["problems"] == []
    with Image.open(shot) as image:
        assert image.size == (2048, 1280)
