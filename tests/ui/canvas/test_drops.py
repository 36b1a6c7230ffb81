"""Drag and drop and paste on the canvas: images become new images of the creation, a greyscale
PNG with the image's proportions (or anything dropped with Alt / on the mask band) becomes the
mask, and bad files get a clear message while the canvas stays usable."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtTest import QTest

from studio_desktop.ui.canvas.view import MASK_BAND
from tests.ui.canvas.conftest import (
    drop_with,
    huge_png_header,
    image_stroke,
    open_creation_from,
    png_bytes,
    scene,
    write_png,
)

pytestmark = pytest.mark.gui

ALT = Qt.KeyboardModifier.AltModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def opened(qtbot, area, tmp_path: Path):
    path = write_png(tmp_path / "in", "bag.png", scene((400, 300)))
    open_creation_from(qtbot, area, [path])
    return area


def grey_mask(size: tuple[int, int], box: tuple[int, int, int, int]) -> Image.Image:
    mask = Image.new("L", size, 0)
    mask.paste(255, box)
    return mask


def message(window) -> str:
    return window.message_bar.text() if window.message_bar.isVisible() else ""


def has_mask(area) -> bool:
    return area.current_layer is not None and bool(area.current_layer.array.any())


def assert_canvas_usable(area) -> None:
    layer = area.current_layer
    before = area.undo_stack.count()
    image_stroke(area, [(30, 30), (50, 40)])
    assert layer.array[35, 40] == 255
    assert area.undo_stack.count() == before + 1


def test_an_image_dropped_on_the_canvas_becomes_a_new_image(
    qtbot, services, opened, tmp_path
) -> None:
    area = opened
    photo = tmp_path / "second.jpg"
    scene((500, 350), (30, 90, 200)).save(photo, "JPEG", quality=92)
    text = drop_with(area.canvas, [photo])
    assert text is not None and text.startswith("Drop to add 1 image")
    qtbot.waitUntil(lambda: area.asset_strip.count() == 2, timeout=10_000)
    assert [a.asset.label for a in area.state.assets] == ["bag", "second"]
    # The new image is selected and shown, with its own empty mask.
    qtbot.waitUntil(lambda: area.canvas.image is not None and area.canvas.image.width == 500)
    assert area.current_asset_id == area.state.assets[1].asset.id
    assert area.current_layer.size == (500, 350)
    assert services.store.rows.count("canvas_assets") == 2


def test_a_greyscale_png_of_the_image_shape_becomes_the_mask(
    qtbot, window, opened, tmp_path
) -> None:
    area = opened
    path = write_png(tmp_path, "mask.png", grey_mask((400, 300), (100, 50, 200, 150)))
    text = drop_with(area.canvas, [path])
    assert "as the mask" in text and "Shift" in text
    qtbot.waitUntil(lambda: has_mask(area), timeout=10_000)
    layer = area.current_layer.array
    assert (layer[50:150, 100:200] == 255).all()
    assert layer.sum() == 255 * 100 * 100
    assert area.undo_stack.undoText() == "Import mask"
    assert "Mask imported" in message(window)
    assert area.asset_strip.count() == 1  # not added as an image
    area.undo_stack.undo()
    assert not area.current_layer.array.any()


def test_a_smaller_mask_with_the_same_shape_is_resized(qtbot, window, opened, tmp_path) -> None:
    area = opened
    path = write_png(tmp_path, "half.png", grey_mask((200, 150), (50, 25, 100, 75)))
    drop_with(area.canvas, [path])
    qtbot.waitUntil(lambda: has_mask(area), timeout=10_000)
    layer = area.current_layer.array
    assert (layer[60:140, 110:190] == 255).all()
    assert not layer[:40, :].any()
    assert "resized from 200 x 150 to 400 x 300" in message(window)


def test_a_mask_of_another_shape_is_refused_with_a_message(qtbot, window, opened, tmp_path) -> None:
    area = opened
    path = write_png(tmp_path, "square.png", grey_mask((300, 300), (0, 0, 100, 100)))
    # Not the image's shape: by itself it would be added as an image; Alt makes it the mask.
    assert drop_with(area.canvas, [path], modifiers=ALT).startswith("Drop to use")
    qtbot.waitUntil(lambda: "300 x 300" in message(window), timeout=10_000)
    assert "400 x 300" in message(window)
    assert not area.current_layer.array.any()
    assert area.undo_stack.count() == 0
    assert_canvas_usable(area)


def test_the_mask_band_and_the_modifiers(qtbot, window, opened, tmp_path) -> None:
    area = opened
    colour = tmp_path / "colour-mask.png"
    img = Image.new("RGB", (400, 300), (0, 0, 0))
    img.paste((255, 255, 255), (0, 0, 40, 40))
    img.save(colour)
    band = QPoint(area.canvas.width() // 2, area.canvas.height() - 10 - MASK_BAND // 2)
    assert drop_with(area.canvas, [colour], band).startswith("Drop to use “colour-mask.png”")
    qtbot.waitUntil(lambda: has_mask(area), timeout=10_000)
    assert (area.current_layer.array[:40, :40] == 255).all()
    # Shift adds a greyscale PNG as an image instead.
    grey = write_png(tmp_path, "grey.png", grey_mask((400, 300), (0, 0, 10, 10)))
    assert drop_with(area.canvas, [grey], modifiers=SHIFT).startswith("Drop to add 1 image")
    qtbot.waitUntil(lambda: area.asset_strip.count() == 2, timeout=10_000)
    qtbot.waitUntil(
        lambda: area.current_layer is not None and area.canvas.layer is area.current_layer
    )
    # Several files with Alt: only one can be the mask.
    text = drop_with(area.canvas, [grey, colour], modifiers=ALT)
    assert text == "Only one file can be the mask"
    assert "Only one file can be the mask" in message(window)


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("notes.png", b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n", "PDF"),
        ("broken.png", png_bytes(scene((200, 160)))[:900], "damaged"),
        ("huge.png", huge_png_header(), "20000 x 20000"),
        ("empty.png", b"", "empty"),
    ],
    ids=["pdf", "corrupt", "20000px", "empty"],
)
def test_bad_files_get_a_clear_message_and_the_canvas_stays_usable(
    qtbot, *, window, services, opened, tmp_path, name, data, words
) -> None:
    area = opened
    path = tmp_path / name
    path.write_bytes(data)
    drop_with(area.canvas, [path])
    qtbot.waitUntil(lambda: message(window) != "", timeout=10_000)
    text = message(window)
    assert words.lower() in text.lower().replace(",", "").replace("×", "x"), text
    assert area.asset_strip.count() == 1
    assert services.store.rows.count("canvas_assets") == 1
    assert_canvas_usable(area)


def test_bad_mask_files_get_a_clear_message(qtbot, window, opened, tmp_path) -> None:
    area = opened
    path = tmp_path / "mask.png"
    path.write_bytes(huge_png_header())
    drop_with(area.canvas, [path], modifiers=ALT)
    qtbot.waitUntil(lambda: message(window) != "", timeout=10_000)
    assert "too large" in message(window).lower() or "20" in message(window)
    assert not area.current_layer.array.any()
    assert_canvas_usable(area)


def test_images_dropped_on_the_empty_canvas_start_a_creation(
    qtbot, services, area, tmp_path
) -> None:
    assert area.state is None
    assert area.center.currentWidget() is area.empty_page
    one = write_png(tmp_path, "look-1.png", scene((300, 200)))
    two = write_png(tmp_path, "look-2.png", scene((300, 200), (20, 160, 60)))
    drop_with(area.empty_page, [one, two])
    qtbot.waitUntil(
        lambda: area.state is not None and area.canvas.image is not None, timeout=10_000
    )
    assert area.center.currentWidget() is area.editor
    assert area.asset_strip.count() == 2
    assert area.state.thread.title == "look-1"
    assert area.creations.ids() == [area.state.thread_id]


def test_paste_an_image_from_the_clipboard(qtbot, window, opened) -> None:
    area = opened
    image = QImage(120, 90, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.darkCyan)
    QGuiApplication.clipboard().setImage(image)
    window.activateWindow()
    area.canvas.setFocus()
    QTest.keyClick(area.canvas, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: area.asset_strip.count() == 2, timeout=10_000)
    assert area.state.assets[1].asset.label == "Pasted image"
    qtbot.waitUntil(lambda: area.canvas.image is not None and area.canvas.image.width == 120)
    pixel = area.canvas.image.image.pixelColor(10, 10)
    assert (pixel.red(), pixel.green(), pixel.blue()) == (0, 128, 128)
    QGuiApplication.clipboard().clear()
    QTest.keyClick(area.canvas, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert "no image" in message(window)


def test_the_stroke_still_maps_after_switching_images(qtbot, opened, tmp_path) -> None:
    area = opened
    second = write_png(tmp_path, "wide.png", scene((800, 200)))
    drop_with(area.canvas, [second], modifiers=SHIFT)
    qtbot.waitUntil(
        lambda: area.canvas.image is not None and area.canvas.image.width == 800, timeout=10_000
    )
    image_stroke(area, [(700, 100)])
    assert area.current_layer.array[100, 700] == 255
    first_id = area.state.assets[0].asset.id
    area.asset_strip.select(first_id)
    qtbot.waitUntil(lambda: area.canvas.image.width == 400)
    assert not area.current_layer.array.any()  # each image has its own mask
    back = area.canvas.widget_to_image(area.canvas.image_to_widget(QPointF(5, 6)))
    assert (back.x(), back.y()) == pytest.approx((5, 6))
    # Back on the wide image: its mask is still there.
    area.asset_strip.select(area.state.assets[1].asset.id)
    qtbot.waitUntil(lambda: area.canvas.image.width == 800)
    assert area.current_layer.array[100, 700] == 255


def test_drops_on_the_chat_join_the_creation_and_on_the_list_start_one(
    qtbot, services, opened, tmp_path
) -> None:
    area = opened
    extra = write_png(tmp_path, "extra.png", scene((300, 200), (200, 160, 20)))
    text = drop_with(area.chat.list.viewport(), [extra])
    assert text is not None
    qtbot.waitUntil(lambda: area.asset_strip.count() == 2, timeout=10_000)
    assert area.drop_overlay.isHidden()
    other = write_png(tmp_path, "other-look.png", scene((300, 200), (90, 20, 120)))
    list_point = area.creations.list.viewport().rect().center()
    first_thread = area.current_thread_id
    drop_with(area.creations.list.viewport(), [other], list_point)
    qtbot.waitUntil(lambda: area.current_thread_id not in (None, first_thread), timeout=10_000)
    assert area.state.thread.title == "other-look"
    assert services.store.rows.count("canvas_threads") == 2


def test_many_images_dropped_at_once_keep_their_order_in_the_strip(qtbot, opened, tmp_path) -> None:
    """Twelve shots dropped together appear in the Images strip in the order they were dropped
    (as the creation stores them), not in the order their reads happened to finish: the strip
    appended each as it arrived (a walk through the app dropped cat00…cat29 and saw cat18,
    cat06, cat29, cat27, cat00, cat28…)."""
    area = opened
    folder = tmp_path / "shoot"
    paths = [
        write_png(folder, f"look{n:02d}.png", scene((160 + 8 * n, 120), (20 * n, 90, 200 - 10 * n)))
        for n in range(12)
    ]
    drop_with(area.canvas, paths)
    strip = area.asset_strip
    qtbot.waitUntil(lambda: strip.count() == 13, timeout=20_000)
    shown = [strip.item(row).text() for row in range(strip.count())]
    assert shown == ["bag"] + [p.stem for p in paths]
    stored = [area.model.asset_label(a) for a in area.state.assets]
    assert shown == stored


def test_several_files_are_not_offered_as_the_mask(qtbot, opened, tmp_path) -> None:
    """Dragging four photos over the canvas says they will be added, without "Hold Alt to use
    a file as the mask" (only one file can be the mask: Alt would then refuse the drop)."""
    area = opened
    paths = [write_png(tmp_path / "four", f"p{n}.png", scene((200, 150))) for n in range(4)]
    text = drop_with(area.canvas, paths)
    assert text == "Drop to add 4 images"
    one = drop_with(area.canvas, [write_png(tmp_path / "one", "p.png", scene((200, 150)))])
    assert one == "Drop to add 1 image\nHold Alt to use a file as the mask"
