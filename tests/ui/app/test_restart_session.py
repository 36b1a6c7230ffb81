"""Issue 14, item 5: a restart brings the designer back to where they were — the open creation
and its image, an imported mask, the brush size, the garment panel's Front and Back — and what
is gone since (a deleted creation, a moved photo) is forgotten quietly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio_desktop.store.locations import DataDirs
from studio_desktop.ui.areas import AreaKey
from tests.imaging.garments import studio_sweep
from tests.ui.canvas.conftest import scene
from tests.ui.profiles.helpers import App, await_on_loop, open_app, portrait

pytestmark = pytest.mark.gui


def quit_app(qtbot, app: App) -> None:
    app.window.close()  # (saves the window state and the session, as when the designer quits)
    await_on_loop(qtbot, app.controller.aclose())


def test_restart_brings_back_the_creation_mask_brush_and_garments(
    qtbot, launch: Callable[[], App], tmp_path: Path
) -> None:
    app = launch()
    photo = tmp_path / "bag.png"
    scene((400, 300)).save(photo)
    second = portrait(tmp_path / "second.png", (60, 90, 160), size=(300, 400), fmt="PNG")
    result = await_on_loop(qtbot, app.services.imports.start_creation([photo, second]))
    thread_id = result.thread.id
    second_asset = result.assets[1].id
    canvas = app.window.canvas_area
    canvas.open_creation(thread_id)
    qtbot.waitUntil(lambda: canvas.current_thread_id == thread_id, timeout=20_000)
    canvas.select_asset(second_asset)
    qtbot.waitUntil(lambda: canvas.current_layer is not None, timeout=20_000)
    # An imported mask on the second image, and a brush size of 57.
    mask = np.zeros((400, 300), np.uint8)
    mask[100:250, 80:220] = 255
    mask_file = tmp_path / "mask.png"
    Image.fromarray(mask, "L").save(mask_file)
    canvas.import_mask(mask_file)
    qtbot.waitUntil(lambda: not canvas.current_layer.is_empty(), timeout=20_000)
    canvas.canvas.set_brush_size(57)
    # The garment panel's Front (the Back stays empty).
    app.window.set_current_area(AreaKey.PROFILES)
    garment = tmp_path / "tee.png"
    Image.fromarray(studio_sweep().photo).save(garment)
    panel = app.profiles_area.garments
    panel.extract("front", garment)
    qtbot.waitUntil(lambda: panel.slots["front"].has_cutout, timeout=30_000)
    app.window.set_current_area(AreaKey.CANVAS)
    jobs_before = app.services.store.db.scalar("SELECT count(*) FROM jobs")
    quit_app(qtbot, app)

    again = launch()
    assert again.window.current_area_key is AreaKey.CANVAS
    canvas = again.window.canvas_area
    qtbot.waitUntil(lambda: canvas.current_thread_id == thread_id, timeout=20_000)
    qtbot.waitUntil(lambda: canvas.current_asset_id == second_asset, timeout=20_000)
    qtbot.waitUntil(
        lambda: canvas.current_layer is not None and not canvas.current_layer.is_empty(),
        timeout=20_000,
    )
    assert np.array_equal(canvas.current_layer.to_array() > 127, mask > 127)
    assert canvas.canvas.brush_size == 57
    assert canvas.size_spin.value() == 57
    assert again.window.message_bar.isHidden() or "could not" not in again.window.message_bar.text()
    again.window.set_current_area(AreaKey.PROFILES)
    panel = again.profiles_area.garments
    qtbot.waitUntil(lambda: panel.slots["front"].has_cutout, timeout=20_000)
    assert not panel.slots["back"].has_cutout
    assert panel.build_button.isEnabled()
    # Restored from what is stored: no new cutout job.
    assert again.services.store.db.scalar("SELECT count(*) FROM jobs") == jobs_before

    # What is gone since is forgotten quietly: the creation deleted, the photo moved.
    await_on_loop(qtbot, again.services.canvas.delete_creation(thread_id))
    garment.rename(tmp_path / "moved.png")
    quit_app(qtbot, again)
    third = launch()
    canvas = third.window.canvas_area
    qtbot.wait(300)
    qtbot.waitUntil(lambda: canvas.state is None)
    assert third.window.message_bar.isHidden(), third.window.message_bar.text()
    third.window.set_current_area(AreaKey.PROFILES)
    panel = third.profiles_area.garments
    qtbot.wait(300)
    assert not panel.slots["front"].has_cutout
    assert third.window.message_bar.isHidden(), third.window.message_bar.text()
    assert canvas.session.creation() == (None, None)
    assert canvas.session.garment_side("front") is None


def test_after_a_restart_the_strip_shows_the_image_that_was_open(
    qtbot, launch: Callable[[], App], tmp_path: Path
) -> None:
    """A creation of twelve images reopened on its last one: the Images strip shows that
    image (it was selected but out of sight, the strip being filled before it was shown)."""
    app = launch()
    paths = []
    for n in range(12):
        path = tmp_path / f"look{n:02d}.png"
        scene((200, 150), (20 * n, 90, 200 - 10 * n)).save(path)
        paths.append(path)
    result = await_on_loop(qtbot, app.services.imports.start_creation(paths))
    last = result.assets[-1].id
    canvas = app.window.canvas_area
    app.window.set_current_area(AreaKey.CANVAS)
    canvas.open_creation(result.thread.id)
    qtbot.waitUntil(lambda: canvas.current_thread_id == result.thread.id, timeout=20_000)
    canvas.select_asset(last)
    qtbot.waitUntil(lambda: canvas.current_asset_id == last, timeout=20_000)
    quit_app(qtbot, app)

    again = launch()
    canvas = again.window.canvas_area
    qtbot.waitUntil(lambda: canvas.current_asset_id == last, timeout=20_000)
    strip = canvas.asset_strip
    item = strip.item_by_id(last)
    assert item is not None and strip.currentItem() is item

    def in_view() -> bool:  # (Qt's own scrolling may leave a pixel of it out)
        rect = strip.visualItemRect(item)
        return strip.viewport().rect().intersected(rect).width() >= rect.width() - 2

    qtbot.waitUntil(in_view, timeout=5_000)
    # Scrolled back by hand, the strip stays where the designer put it through a resize.
    bar = strip.horizontalScrollBar()
    bar.triggerAction(bar.SliderAction.SliderToMinimum)
    assert bar.value() == 0
    again.window.resize(again.window.width() - 100, again.window.height())
    qtbot.wait(50)
    assert bar.value() == 0


def test_a_moved_data_folder_reopens_where_the_designer_was(
    qtbot, launch: Callable[[], App], data_dirs: DataDirs, keyring_backend, tmp_path: Path
) -> None:
    """The session is kept under the workspace's own id, not its path: the data folder moved
    to another place (another drive, a renamed folder) reopens the same creation and brush."""
    app = launch()
    photo = tmp_path / "bag.png"
    scene((400, 300)).save(photo)
    result = await_on_loop(qtbot, app.services.imports.start_creation([photo]))
    canvas = app.window.canvas_area
    app.window.set_current_area(AreaKey.CANVAS)
    canvas.open_creation(result.thread.id)
    qtbot.waitUntil(lambda: canvas.current_thread_id == result.thread.id, timeout=20_000)
    canvas.canvas.set_brush_size(41)
    quit_app(qtbot, app)
    app.window.close()

    moved = tmp_path / "moved" / "Studio data"
    moved.parent.mkdir()
    data_dirs.root.rename(moved)
    again = open_app(qtbot, DataDirs(moved), keyring_backend=keyring_backend, connect_timeout=1.0)
    canvas = again.window.canvas_area
    assert again.window.current_area_key is AreaKey.CANVAS
    qtbot.waitUntil(lambda: canvas.current_thread_id == result.thread.id, timeout=20_000)
    assert canvas.canvas.brush_size == 41
