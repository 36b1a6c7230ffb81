"""Snap to edges (the refined-mask preview, its toggle, what is sent), exporting the shown
version (File ▸ Export, the strips' menus, drag out), viewing a version without reverting, and
the compare key held while the chat has focus."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, PngImagePlugin
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QDrag
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog

from studio_desktop.domain.models import CanvasAsset
from studio_desktop.services.canvas_screen import current_key, mask_key, version_key
from studio_desktop.ui.canvas.area import CanvasArea
from studio_desktop.ui.canvas.mask_assist import SNAP_SETTING
from studio_desktop.ui.canvas.view import CompareMode
from tests.imaging.photo_scene import iou, photo_scene
from tests.ui.canvas.conftest import image_stroke, open_creation_from, scene, write_png
from tests.ui.canvas.test_chat import messages, type_and_send, wait_reply
from tests.ui.canvas.test_versions import is_grey, shown_colour

pytestmark = pytest.mark.gui


@pytest.fixture
def photo(qtbot, area, tmp_path: Path):
    scene_ = photo_scene()
    path = tmp_path / "in" / "rocket-bag.png"
    path.parent.mkdir(parents=True)
    Image.fromarray(scene_.image).save(path)
    open_creation_from(qtbot, area, [path])
    area.canvas.setFocus()
    return scene_


def sloppy_strokes(area, scene_) -> None:
    """Three wide strokes over the bag that spill 10-40 px past its edge and leave thin gaps."""
    cx, cy = scene_.centre
    area.canvas.set_brush_size(80)
    image_stroke(area, [(cx - 95, cy - 65), (cx, cy - 75), (cx + 95, cy - 55)])
    image_stroke(area, [(cx - 120, cy + 5), (cx + 120, cy - 5)])
    image_stroke(area, [(cx - 90, cy + 70), (cx, cy + 80), (cx + 90, cy + 60)])


def _save_preview(area, scene_, painted, refined) -> None:
    """The canvas with the painted mask and the refined outline, for a person to look at."""
    from tests.ui.conftest import SCREENSHOTS

    folder = SCREENSHOTS / "light"
    folder.mkdir(parents=True, exist_ok=True)
    area.canvas.grab().save(str(folder / "canvas-snap-preview.png"))


def stored_mask(services, message) -> np.ndarray:
    path = services.store.blobs.get_path(*mask_key(message))
    with Image.open(path) as image:
        return np.asarray(image.convert("L")).copy()


def test_snap_is_on_by_default_and_the_outline_follows_the_object(
    qtbot, services, area, photo
) -> None:
    assert area.action_snap.isChecked()
    with qtbot.waitSignal(area.refined, timeout=20_000):
        sloppy_strokes(area, photo)
    painted = area.current_layer.to_array()
    assert not area.canvas.refined_outline.isEmpty()
    refined = area.mask_to_send()
    assert refined is not None
    # The refinement hugs the bag better than the strokes do.
    assert iou(refined, photo.truth) > iou(painted, photo.truth) + 0.1
    assert iou(refined, photo.truth) >= 0.9
    _save_preview(area, photo, painted, refined)
    # What is sent: the refined mask.
    type_and_send(qtbot, area, "make it navy")
    reply = wait_reply(qtbot, area, 2)
    user = messages(area)[0]
    sent = stored_mask(services, user)
    assert not np.array_equal(sent > 127, painted > 127)
    assert np.abs(sent.astype(int) - refined.astype(int)).max() <= 1
    assert reply.output_storage_path


def test_snap_off_sends_exactly_the_painted_mask_and_is_remembered(
    qtbot, services, area, photo
) -> None:
    QTest.keyClick(area.canvas, Qt.Key.Key_S)
    assert not area.action_snap.isChecked()
    assert QSettings().value(SNAP_SETTING) in (False, "false")
    sloppy_strokes(area, photo)
    assert area.canvas.refined_outline.isEmpty()
    painted = area.current_layer.to_array()
    assert np.array_equal(area.mask_to_send(), painted)
    type_and_send(qtbot, area, "make it navy")
    wait_reply(qtbot, area, 2)
    assert np.array_equal(stored_mask(services, messages(area)[0]), painted)
    # Another canvas (the next start) opens with snapping off.
    other = CanvasArea()
    qtbot.addWidget(other)
    assert not other.action_snap.isChecked()


def test_send_waits_for_the_refinement(qtbot, services, area, photo) -> None:
    """Sending right after a stroke (before the pause that starts the refinement) waits for
    it and sends the refined mask."""
    sloppy_strokes(area, photo)
    painted = area.current_layer.to_array()
    type_and_send(qtbot, area, "make it navy")
    assert "before sending" in area.canvas.status or area.mask_to_send() is not None
    wait_reply(qtbot, area, 2)
    sent = stored_mask(services, messages(area)[0])
    assert not np.array_equal(sent > 127, painted > 127)
    assert iou(sent, photo.truth) >= 0.9


def test_a_new_stroke_cancels_the_running_refinement(qtbot, area, photo) -> None:
    sloppy_strokes(area, photo)
    run = area.refine_now()
    assert run is not None and not run.cancelled
    image_stroke(area, [(40, 380), (60, 380)])  # somewhere not painted yet
    assert run.cancelled
    with qtbot.waitSignal(area.refined, timeout=20_000):
        pass
    layer = area.current_layer
    assert area.refiner.result_for(layer, layer.revision) is not None


def test_undo_of_a_stroke_refines_again(qtbot, area, photo) -> None:
    with qtbot.waitSignal(area.refined, timeout=20_000):
        sloppy_strokes(area, photo)
    with qtbot.waitSignal(area.refined, timeout=20_000):
        area.undo_stack.undo()
    assert not area.canvas.refined_outline.isEmpty()
    area.undo_stack.undo()  # nothing painted: no outline, nothing to refine
    assert area.canvas.refined_outline.isEmpty()
    assert area.mask_to_send() is None


# ---------------------------------------------------------------------------- export


def _with_profile_and_metadata(path: Path) -> bytes:
    """Rewrite the stored original as a file synced from elsewhere would be: an ICC profile,
    text chunks, EXIF and a resolution. Returns the profile."""
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    with Image.open(path) as image:
        pixels = image.convert("RGB")
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Studio photographer")
    info.add_itxt("Description", "Bag on the launch pad")
    exif = Image.Exif()
    exif[0x010F] = "StudioCam"  # Make
    exif[0x0112] = 1
    buffer = io.BytesIO()
    pixels.save(buffer, "PNG", icc_profile=icc, pnginfo=info, exif=exif.tobytes(), dpi=(300, 300))
    path.write_bytes(buffer.getvalue())
    return icc


def test_export_the_shown_version_from_the_file_menu(
    qtbot, services, window, area, photo, *, tmp_path
) -> None:
    asset = area.state.asset(area.current_asset_id)
    original = services.store.blobs.get_path(*version_key(asset.versions[0]))
    icc = _with_profile_and_metadata(original)
    assert window.action_export.isEnabled()
    assert "image" in window.action_export.text().lower()
    window.action_export.trigger()
    dialog = window.findChild(QFileDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.selectedFiles()[0].endswith(".png")
    target = tmp_path / "out" / "bag"
    target.parent.mkdir()
    with qtbot.waitSignal(area.exported, timeout=15_000) as done:
        dialog.fileSelected.emit(str(target))
        dialog.close()
    exported = done.args[0]
    assert exported.path == tmp_path / "out" / "bag.png"
    with Image.open(exported.path) as image:
        assert image.format == "PNG"
        assert image.size == (photo.image.shape[1], photo.image.shape[0])
        assert image.info.get("icc_profile") == icc
        assert image.text["Author"] == "Studio photographer"
        assert image.text["Description"] == "Bag on the launch pad"
        assert image.getexif()[0x010F] == "StudioCam"
        assert round(image.info["dpi"][0]) == 300
        assert np.array_equal(np.asarray(image.convert("RGB")), photo.image)


def test_an_export_is_readable_by_others_as_any_new_file_is(
    qtbot, window, area, photo, tmp_path
) -> None:
    """An export written to a shared folder gets the permissions the umask gives any new file
    (it was 0600, the temporary file's, so nobody else could open it); a file it replaces
    keeps its own."""
    old_umask = os.umask(0o022)
    try:
        folder = tmp_path / "shared"
        folder.mkdir()
        window.action_export.trigger()
        dialog = window.findChild(QFileDialog)
        with qtbot.waitSignal(area.exported, timeout=15_000) as done:
            dialog.fileSelected.emit(str(folder / "bag.png"))
            dialog.close()
        assert stat.S_IMODE(done.args[0].path.stat().st_mode) == 0o644
        (folder / "bag.png").chmod(0o640)
        window.action_export.trigger()
        dialog = window.findChild(QFileDialog)
        with qtbot.waitSignal(area.exported, timeout=15_000) as done:
            dialog.fileSelected.emit(str(folder / "bag.png"))
            dialog.close()
        assert stat.S_IMODE(done.args[0].path.stat().st_mode) == 0o640
    finally:
        os.umask(old_umask)


def test_export_from_the_image_menu_and_drag_out_of_both_places(
    qtbot, area, photo, monkeypatch
) -> None:
    from PySide6.QtWidgets import QMenu

    # (The menu is built as the right-click builds it; offscreen it cannot grab the keyboard.)
    monkeypatch.setattr(QMenu, "popup", lambda self, *a: None)
    strip = area.asset_strip
    strip.customContextMenuRequested.emit(strip.visualItemRect(strip.item(0)).center())
    export = next(a for a in strip.last_menu.actions() if a.text() == "Export as PNG…")
    export.trigger()
    dialog = area.findChild(QFileDialog)
    assert dialog is not None and dialog.isVisible()
    assert Path(dialog.selectedFiles()[0]).name == "rocket-bag-original.png"
    dialog.close()
    # Dragging out: a file URL to a PNG of the shown version.
    drags: list[QDrag] = []
    monkeypatch.setattr(QDrag, "exec", lambda self, *a, **k: drags.append(self) or 0)
    canvas = area.canvas
    centre = canvas.image_to_widget(QPointF(*photo.centre))
    from PySide6.QtGui import QMouseEvent

    from tests.ui.canvas.conftest import mouse

    ctrl = Qt.KeyboardModifier.ControlModifier
    mouse(canvas, QMouseEvent.Type.MouseButtonPress, centre, modifiers=ctrl)
    mouse(canvas, QMouseEvent.Type.MouseMove, centre + QPointF(30, 0), modifiers=ctrl)
    mouse(canvas, QMouseEvent.Type.MouseButtonRelease, centre + QPointF(30, 0), modifiers=ctrl)
    assert len(drags) == 1
    assert not area.current_layer.array.any()  # a Ctrl+drag paints nothing
    urls = drags[0].mimeData().urls()
    path = Path(urls[0].toLocalFile())
    assert path.suffix == ".png" and path.exists()
    with Image.open(path) as image:
        assert np.array_equal(np.asarray(image.convert("RGB")), photo.image)
    # The versions strip drags its item too.
    area.version_strip.setCurrentRow(0)
    area.version_strip.startDrag(Qt.DropAction.CopyAction)
    assert len(drags) == 2
    assert Path(drags[1].mimeData().urls()[0].toLocalFile()).exists()


# ---------------------------------------------------------------------------- versions


@pytest.fixture
def edited(qtbot, area, tmp_path: Path):
    path = write_png(tmp_path / "in", "bag.png", scene((400, 300)))
    open_creation_from(qtbot, area, [path])
    area.action_snap.setChecked(False)
    type_and_send(qtbot, area, "make it grayscale")
    wait_reply(qtbot, area, 2)
    qtbot.waitUntil(lambda: is_grey(shown_colour(area, 200, 150)), timeout=10_000)
    return area


def test_clicking_a_version_shows_it_without_reverting(qtbot, services, edited) -> None:
    area = edited
    asset_id = area.current_asset_id
    strip = area.version_strip
    before = services.store.rows.get(CanvasAsset, asset_id)
    rect = strip.visualItemRect(strip.item(0))
    qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: not is_grey(shown_colour(area, 200, 150)), timeout=10_000)
    bag = shown_colour(area, 200, 150)
    assert bag.red() > 150 and bag.green() < 90  # the original, large
    assert "Viewing Original" in area.canvas.note
    after = services.store.rows.get(CanvasAsset, asset_id)
    assert current_key(after) == current_key(before)  # nothing reverted
    assert strip.current_version_row() == 1
    assert area.revert_button.isEnabled()
    # Compare from there: the original (left, older) against the current one (right).
    area.canvas.setFocus()
    QTest.keyClick(area.canvas, Qt.Key.Key_Y)
    assert area.canvas.compare_mode is CompareMode.SPLIT
    area.canvas.set_split(0.5)
    assert not is_grey(shown_colour(area, 170, 150))
    assert is_grey(shown_colour(area, 230, 150))
    QTest.keyClick(area.canvas, Qt.Key.Key_Y)
    # Back to the current version by clicking it.
    rect = strip.visualItemRect(strip.item(1))
    qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: is_grey(shown_colour(area, 200, 150)), timeout=10_000)
    assert area.canvas.note == ""


def test_compare_key_works_with_focus_in_the_chat(qtbot, edited) -> None:
    area = edited
    qtbot.waitUntil(lambda: area.canvas.other is not None, timeout=10_000)
    chat = area.chat.input
    chat.setFocus()
    chat.setPlainText("make it")
    QTest.keyPress(chat, Qt.Key.Key_Backslash)
    assert area.canvas.compare_mode is CompareMode.HOLD
    assert not is_grey(shown_colour(area, 200, 150))  # the version before: red
    QTest.keyRelease(chat, Qt.Key.Key_Backslash)
    assert area.canvas.compare_mode is CompareMode.OFF
    assert chat.toPlainText() == "make it"  # no backslash typed
    assert is_grey(shown_colour(area, 200, 150))
    # Other keys still type.
    from PySide6.QtGui import QTextCursor

    chat.moveCursor(QTextCursor.MoveOperation.End)
    QTest.keyClicks(chat, " navy")
    assert chat.toPlainText() == "make it navy"


def test_compare_key_types_in_a_dialog(qtbot, edited) -> None:
    """A rename dialog's text box still gets a backslash (the key is the canvas's only in
    its window)."""
    area = edited
    dialog = area.rename_asset(area.current_asset_id)
    qtbot.waitUntil(dialog.isVisible)
    from PySide6.QtWidgets import QLineEdit

    edit = dialog.findChild(QLineEdit)
    edit.clear()
    QTest.keyClick(edit, Qt.Key.Key_Backslash)
    assert edit.text() == "\\"
    assert area.canvas.compare_mode is CompareMode.OFF
    dialog.reject()


def _point(rect) -> QPoint:
    return rect.center()


def test_export_to_a_place_that_cannot_be_written_says_so(qtbot, window, area, photo, tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file where a folder was expected")
    area.export_to(blocker / "bag.png")
    qtbot.waitUntil(lambda: "could not be written" in window.message_bar.text(), timeout=10_000)
    assert not (tmp_path / "bag.png").exists()


def test_file_export_follows_the_area(qtbot, window, area, photo) -> None:
    from studio_desktop.ui.areas import AreaKey

    assert window.action_export.isEnabled()
    assert window.action_export.text() == "&Export image…"
    window.set_current_area(AreaKey.PROFILES)
    assert not window.action_export.isEnabled()
    window.set_current_area(AreaKey.CANVAS)
    assert window.action_export.isEnabled()


def test_turning_snap_off_while_a_send_waits_sends_the_painting(qtbot, services, area, photo):
    sloppy_strokes(area, photo)
    painted = area.current_layer.to_array()
    type_and_send(qtbot, area, "make it navy")
    assert area._pending_send == "make it navy"  # waiting for the refinement
    QTest.keyClick(area.canvas, Qt.Key.Key_S)
    wait_reply(qtbot, area, 2)
    assert np.array_equal(stored_mask(services, messages(area)[0]), painted)


def test_a_slow_refinement_shows_its_progress(qtbot, area, photo) -> None:
    """The real refinement, held at its first progress report (as a 12 MP image keeps it
    busy): the canvas says how far it is; a new stroke cancels it and starts another."""
    import threading

    from studio_desktop.imaging.refine import refine_mask
    from studio_desktop.services.mask_refinement import MaskRefiner

    reached = threading.Event()
    release = threading.Event()

    def held(image, painted, *, progress, is_cancelled):
        def report(fraction: float) -> None:
            progress(fraction)
            if 0 < fraction < 1 and not reached.is_set():
                reached.set()
                release.wait(15)

        return refine_mask(image, painted, progress=report, is_cancelled=is_cancelled)

    area.refiner = MaskRefiner(held)
    sloppy_strokes(area, photo)
    first = area.refine_now()
    qtbot.waitUntil(reached.is_set, timeout=10_000)
    qtbot.waitUntil(lambda: area.canvas.status.startswith("Snapping to edges…"), timeout=5_000)
    assert area.canvas.status.endswith("%")
    image_stroke(area, [(40, 380), (60, 380)])  # a new stroke: the held run is cancelled
    assert first.cancelled
    release.set()
    with qtbot.waitSignal(area.refined, timeout=20_000):
        pass
    assert area.canvas.status == ""
    layer = area.current_layer
    assert area.refiner.result_for(layer, layer.revision) is not None


def test_the_drag_file_is_written_ahead_while_the_version_is_shown(qtbot, services, area, photo):
    folder = services.store.dirs.root / "drag-out" / "canvas"

    def written() -> list[Path]:
        return [p for p in folder.rglob("*.png") if not p.name.startswith(".")]

    qtbot.waitUntil(lambda: bool(written()), timeout=15_000)
    ahead = written()[0]
    stamp = ahead.stat().st_mtime_ns
    assert area.drag_file() == ahead
    assert ahead.stat().st_mtime_ns == stamp  # taken as it is: nothing written at drag time
    with Image.open(ahead) as image:
        assert np.array_equal(np.asarray(image.convert("RGB")), photo.image)


def test_the_outline_survives_leaving_and_coming_back(qtbot, window, area, photo) -> None:
    from studio_desktop.ui.areas import AreaKey

    with qtbot.waitSignal(area.refined, timeout=20_000):
        sloppy_strokes(area, photo)
    outline_before = area.canvas.refined_outline
    window.set_current_area(AreaKey.PROFILES)
    window.set_current_area(AreaKey.CANVAS)
    qtbot.wait(REFINE_WAIT_MS)
    assert area.canvas.refined_outline == outline_before
    assert area.mask_to_send() is not None
    # A stroke made, then the area left before the pause ends: refined on coming back.
    image_stroke(area, [(40, 380), (60, 380)])
    window.set_current_area(AreaKey.PROFILES)
    window.set_current_area(AreaKey.CANVAS)
    with qtbot.waitSignal(area.refined, timeout=20_000):
        pass
    assert area.mask_to_send() is not None


REFINE_WAIT_MS = 600


def test_a_new_version_is_shown_even_while_an_older_one_is_viewed(qtbot, edited) -> None:
    area = edited
    area.show_version(0)
    qtbot.waitUntil(lambda: not is_grey(shown_colour(area, 200, 150)), timeout=10_000)
    type_and_send(qtbot, area, "make it brighter")
    wait_reply(qtbot, area, 4)
    qtbot.waitUntil(lambda: area.canvas.note == "", timeout=10_000)
    assert area.version_strip.currentRow() == area.version_strip.current_version_row() == 2
    qtbot.waitUntil(lambda: is_grey(shown_colour(area, 200, 150)), timeout=10_000)
