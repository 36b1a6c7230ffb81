"""The creations list and the area's life: creations listed newest first, opened from the list
or by ``open_creation`` (what the history area asks for), renamed and deleted; undo follows the
image a mask belongs to; a deleted image or creation leaves the canvas usable."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from studio_desktop.domain.models import CanvasThread
from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.canvas.area import CanvasArea
from tests.ui.canvas.conftest import image_stroke, open_creation_from, run_async, scene, write_png

pytestmark = pytest.mark.gui


def make_creation(services, folder: Path, name: str, count: int = 1) -> CanvasThread:
    paths = [write_png(folder, f"{name}-{i}.png", scene((240, 180))) for i in range(count)]
    return run_async(services.imports.start_creation(paths)).thread


def test_creations_are_listed_and_open_from_the_list(qtbot, services, window, tmp_path) -> None:
    first = make_creation(services, tmp_path, "first")
    second = make_creation(services, tmp_path, "second", 2)
    area = window.canvas_area
    assert isinstance(area, CanvasArea)
    area.reload_creations()
    qtbot.waitUntil(lambda: area.creations.list.count() == 2, timeout=10_000)
    assert area.creations.ids() == [second.id, first.id]  # most recently changed first
    item = area.creations.list.item(1)
    rect = area.creations.list.visualItemRect(item)
    qtbot.mouseClick(area.creations.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: area.current_thread_id == first.id and area.canvas.image is not None)
    assert area.asset_strip.count() == 1


def test_open_creation_brings_the_canvas_forward(qtbot, services, window, tmp_path) -> None:
    thread = make_creation(services, tmp_path, "from-history", 3)
    window.set_current_area(AreaKey.HISTORY)
    area = window.canvas_area
    area.open_creation(thread.id)  # what history's open_creation_requested is connected to
    assert window.current_area_key is AreaKey.CANVAS
    qtbot.waitUntil(lambda: area.canvas.image is not None, timeout=10_000)
    assert area.asset_strip.count() == 3
    assert area.current_asset_id == area.state.assets[0].asset.id


def test_open_a_creation_that_is_gone(qtbot, window) -> None:
    area = window.canvas_area
    area.open_creation("00000000-0000-4000-8000-000000000000")
    qtbot.waitUntil(window.message_bar.isVisible, timeout=10_000)
    assert "no longer exists" in window.message_bar.text()
    assert area.center.currentWidget() is area.empty_page


def test_rename_and_delete_a_creation(qtbot, services, window, tmp_path) -> None:
    area = window.canvas_area
    open_creation_from(qtbot, area, [write_png(tmp_path, "look.png", scene((300, 200)))])
    thread_id = area.current_thread_id
    dialog = area.rename_creation(thread_id)
    dialog.setTextValue("Spring look")
    dialog.accept()
    qtbot.waitUntil(lambda: services.store.rows.get(CanvasThread, thread_id).title == "Spring look")
    qtbot.waitUntil(lambda: area.creations.list.item(0).toolTip() == "Spring look")
    box = area.delete_creation(thread_id)
    delete = next(
        b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole
    )
    delete.click()
    qtbot.waitUntil(lambda: area.state is None, timeout=10_000)
    assert area.center.currentWidget() is area.empty_page
    assert area.creations.list.count() == 0
    assert services.store.rows.count("canvas_threads") == 0


def test_delete_the_shown_image_shows_the_next(qtbot, services, window, tmp_path) -> None:
    area = window.canvas_area
    paths = [write_png(tmp_path, f"img-{i}.png", scene((300, 200 + 20 * i))) for i in range(2)]
    open_creation_from(qtbot, area, paths)
    first, second = (a.asset.id for a in area.state.assets)
    box = area.delete_asset(first)
    next(
        b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole
    ).click()
    qtbot.waitUntil(lambda: area.asset_strip.count() == 1, timeout=10_000)
    qtbot.waitUntil(lambda: area.current_asset_id == second and area.canvas.image.height == 220)
    image_stroke(area, [(100, 100)])
    assert area.current_layer.array[100, 100] == 255


def test_undo_shows_the_image_whose_mask_it_changes(qtbot, window, tmp_path) -> None:
    area = window.canvas_area
    paths = [write_png(tmp_path, f"img-{i}.png", scene((300, 200))) for i in range(2)]
    open_creation_from(qtbot, area, paths)
    first, second = (a.asset.id for a in area.state.assets)
    image_stroke(area, [(50, 50), (80, 60)])
    area.asset_strip.select(second)
    qtbot.waitUntil(
        lambda: area.current_asset_id == second and area.canvas.layer is area.current_layer
    )
    area.undo_stack.undo()
    assert area.current_asset_id == first
    qtbot.waitUntil(lambda: area.canvas.layer is area.current_layer)
    assert not area.current_layer.array.any()
    area.undo_stack.redo()
    assert area.current_layer.array[55, 65] == 255


def test_the_area_without_services_is_its_empty_state(qtbot) -> None:
    area = CanvasArea()
    qtbot.addWidget(area)
    area.show()
    assert area.center.currentWidget() is area.empty_page
    assert area.open_creation("anything") is None


def test_an_image_not_downloaded_yet_is_asked_for_and_shown_when_it_arrives(
    qtbot, services, window, tmp_path
) -> None:
    from studio_desktop.ui.canvas.area import make_canvas_area
    from studio_desktop.ui.canvas.images import NOT_HERE

    thread = make_creation(services, tmp_path, "remote", 1)
    asset = run_async(services.canvas.open_creation(thread.id)).assets[0].asset
    key = (asset.current_storage_bucket, asset.current_storage_path)
    data = services.store.blobs.get_path(*key).read_bytes()
    services.store.blobs.forget(*key)  # as if it were made on another computer
    asked: list[tuple[str, str]] = []
    area = make_canvas_area(services, request_blob=lambda b, p: asked.append((b, p)))
    window.replace_area(AreaKey.CANVAS, area)
    area.open_creation(thread.id)
    qtbot.waitUntil(lambda: area.canvas._placeholder == NOT_HERE, timeout=10_000)
    assert area.canvas.image is None
    qtbot.waitUntil(lambda: key in asked)
    assert asked.count(key) == 1  # the canvas and the strip's thumbnail ask once together
    # The sync fetched it.
    services.store.blobs.put(*key, data, "image/png", upload=False)
    area.notify_blob_available(*key)
    qtbot.waitUntil(lambda: area.canvas.image is not None, timeout=10_000)
    image_stroke(area, [(60, 60)])
    assert area.current_layer.array[60, 60] == 255


def test_the_area_binds_to_one_screen_model_at_a_time(qtbot, services, window, tmp_path) -> None:
    """Opening another creation unbinds the old model (disconnected and closed: its late events
    reach no widget) and binds the new one; closing the creation binds none."""
    first = make_creation(services, tmp_path, "first")
    second = make_creation(services, tmp_path, "second", 2)
    area = window.canvas_area
    area.open_creation(first.id)
    qtbot.waitUntil(lambda: area.current_thread_id == first.id and area.canvas.image is not None)
    old = area.model
    assert old is not None and len(old.asset_selected) == 1 and len(old.messages_added) == 1
    area.open_creation(second.id)
    qtbot.waitUntil(lambda: area.current_thread_id == second.id and area.canvas.image is not None)
    new = area.model
    assert new is not None and new is not old
    assert old.closed and not new.closed
    assert len(old.asset_selected) == 0 and len(old.messages_added) == 0
    assert len(new.asset_selected) == 1
    # The strip follows the new model only: a selection made on the old one changes nothing.
    old.select_asset(old.state.assets[0].asset.id)
    assert area.current_asset_id == new.asset_id
    area.close_creation()
    assert area.model is None and new.closed and len(new.asset_selected) == 0
    assert area.center.currentWidget() is area.empty_page


def test_images_whose_names_start_alike_are_told_apart_in_the_strip(qtbot, area, tmp_path) -> None:
    """ "Sample - leather bag" and "Sample - T-shirt" both read "Sample …" under their
    thumbnails (cut at the end); cut in the middle, each keeps its own ending."""
    from tests.ui.canvas.conftest import open_creation_from, scene, write_png

    paths = [
        write_png(tmp_path / "in", "Sample - leather bag.png", scene((300, 200))),
        write_png(tmp_path / "in", "Sample - T-shirt.png", scene((300, 200), (30, 60, 140))),
    ]
    open_creation_from(qtbot, area, paths)
    strip = area.asset_strip
    qtbot.waitUntil(lambda: strip.count() == 2, timeout=10_000)
    strip.blockSignals(True)  # (both drawn alike: neither selected)
    strip.setCurrentItem(None)
    strip.clearSelection()
    strip.blockSignals(False)
    picture = strip.viewport().grab().toImage()
    from tests.ui.conftest import SCREENSHOTS

    (SCREENSHOTS / "light").mkdir(parents=True, exist_ok=True)
    picture.save(str(SCREENSHOTS / "light" / "canvas-strip-similar-names.png"))

    def label(row: int):
        rect = strip.visualItemRect(strip.item(row))
        # The label line under the thumbnail (the thumbnails differ; the words must too).
        line = rect.adjusted(0, rect.height() - strip.fontMetrics().height() - 6, 0, 0)
        return picture.copy(line)

    first, second = label(0), label(1)
    assert first.size() == second.size()
    assert first != second
