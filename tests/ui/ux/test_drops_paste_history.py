"""Issue 14 through the whole app: drop zones (item 7), drops taken as copies (item 8),
combined refusals written properly (item 9), "Show in History" after a pack (item 2), and
History's Home/End and Ctrl+V with Edit ▸ Paste (item 3)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
)
from PySide6.QtWidgets import QApplication, QWidget

from studio_desktop.domain.enums import JobStatus
from studio_desktop.domain.sentences import listed, sentence
from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.widgets.message_bar import MessageLevel
from tests.imaging.garments import studio_sweep
from tests.ui.conftest import drop_files, file_mime
from tests.ui.profiles.helpers import App, await_on_loop, huge_png, pdf_file, portrait

pytestmark = pytest.mark.gui

BOTH = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
LEFT = Qt.MouseButton.LeftButton
SHIFT = Qt.KeyboardModifier.ShiftModifier
NONE = Qt.KeyboardModifier.NoModifier


def garment_photo(path: Path, seed: int = 0) -> Path:
    Image.fromarray(studio_sweep((288, 360), seed=seed).photo).save(path, "PNG")
    return path


def drag_over(target: QWidget, mime: QMimeData, point: QPoint, modifiers=NONE) -> QDragMoveEvent:
    enter = QDragEnterEvent(point, BOTH, mime, LEFT, modifiers)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(point, BOTH, mime, LEFT, modifiers)
    QApplication.sendEvent(target, move)
    return move


def drop_at(target: QWidget, mime: QMimeData, point: QPoint, modifiers=NONE) -> QDropEvent:
    drag_over(target, mime, point, modifiers)
    drop = QDropEvent(QPointF(point), BOTH, mime, LEFT, modifiers)
    QApplication.sendEvent(target, drop)
    return drop


# ------------------------------------------------------------------------------ item 7
def test_a_photo_dragged_over_history_shows_two_zones_and_the_zone_decides(
    qtbot, app: App, tmp_path: Path
) -> None:
    window = app.window
    window.set_current_area(AreaKey.HISTORY)
    photo = garment_photo(tmp_path / "tee front.png")
    mime = file_mime([photo])
    cutout_at = window.drop_zone_point([photo], "cutout")
    canvas_at = window.drop_zone_point([photo], "canvas")
    drag_over(window, mime, cutout_at)
    overlay = window.drop_overlay
    assert overlay.isVisible()
    assert [o.label for o in overlay.options] == ["Cut out garment", "Edit in Magic Canvas"]
    assert overlay.options[overlay.hovered].choice == "cutout"
    QApplication.sendEvent(window, QDragMoveEvent(canvas_at, BOTH, mime, LEFT, NONE))
    assert overlay.options[overlay.hovered].choice == "canvas"

    # Dropped on "Cut out garment": the garment panel cuts it out (the front).
    drop = QDropEvent(QPointF(cutout_at), BOTH, mime, LEFT, NONE)
    QApplication.sendEvent(window, drop)
    assert drop.isAccepted() and not overlay.isVisible()
    assert window.current_area_key is AreaKey.PROFILES
    slot = app.profiles_area.garments.slots["front"]
    qtbot.waitUntil(lambda: slot.has_cutout, timeout=30_000)
    db = app.services.store.db
    assert db.scalar("SELECT count(*) FROM canvas_threads") == 0

    # The same photo on "Edit in Magic Canvas": a creation, no second cutout job.
    window.set_current_area(AreaKey.HISTORY)
    assert drop_at(window, mime, window.drop_zone_point([photo], "canvas")).isAccepted()
    qtbot.waitUntil(lambda: db.scalar("SELECT count(*) FROM canvas_threads") == 1, timeout=20_000)
    assert db.scalar("SELECT count(*) FROM jobs WHERE type = 'extract_garment'") == 1


def test_on_profiles_one_photo_can_also_be_the_selected_profile_reference(
    qtbot, app: App, tmp_path: Path
) -> None:
    profile = await_on_loop(qtbot, app.services.profiles.create("Mia"))
    area = app.profiles_area
    qtbot.waitUntil(lambda: area.select_profile(profile.id))
    photo = portrait(tmp_path / "mia.jpg", (150, 80, 70))
    window = app.window
    labels = [o.label for o in window.drop_options([photo])]
    assert labels == ["Cut out garment", "Edit in Magic Canvas", "Set profile reference"]
    # Two photos are a front and a back, or images to edit; never one reference.
    second = portrait(tmp_path / "mia 2.jpg", (90, 80, 150))
    assert [o.choice for o in window.drop_options([photo, second])] == ["cutout", "canvas"]
    # A folder, or three files, can only be images to edit: one zone.
    assert [o.choice for o in window.drop_options([tmp_path])] == ["canvas"]
    assert len(window.drop_options([photo, second, photo])) == 1

    point = window.drop_zone_point([photo], "reference")
    assert drop_at(window, file_mime([photo]), point).isAccepted()
    queries = app.services.store.queries
    qtbot.waitUntil(lambda: queries.profile(profile.id).reference_image_path, timeout=20_000)
    assert photo.exists()


def test_drop_zone_screenshots(
    qtbot, app: App, tmp_path: Path, scheme: str, screenshot: Callable[[QWidget, str], Path]
) -> None:
    profile = await_on_loop(qtbot, app.services.profiles.create("Mia"))
    photo = garment_photo(tmp_path / "tee.png")
    window = app.window
    window.set_current_area(AreaKey.HISTORY)
    window.resize(1024, 640)
    drag_over(window, file_mime([photo]), window.drop_zone_point([photo], "canvas"))
    screenshot(window, "ux-drop-zones-history")
    QApplication.sendEvent(window, QDragLeaveEvent())
    assert not window.drop_overlay.isVisible()
    window.set_current_area(AreaKey.PROFILES)
    area = app.profiles_area
    qtbot.waitUntil(lambda: area.select_profile(profile.id))
    drag_over(window, file_mime([photo]), window.drop_zone_point([photo], "reference"))
    screenshot(window, "ux-drop-zones-profiles")
    window.drop_overlay.hide()


# ------------------------------------------------------------------------------ item 8
def test_every_drop_target_takes_files_as_copies(qtbot, app: App, tmp_path: Path) -> None:
    """Shift makes the source propose a move; every target answers copy."""
    profile = await_on_loop(qtbot, app.services.profiles.create("Ana"))
    area = app.profiles_area
    qtbot.waitUntil(lambda: area.model.row_of(profile.id) is not None)
    photo = garment_photo(tmp_path / "ana tee.png")
    mime = file_mime([photo])
    targets: list[tuple[str, QWidget, QPoint]] = [
        ("profile card", area.grid.viewport(), area.card_rect(profile.id).center()),
        ("garment slot", area.garments.slots["back"], area.garments.slots["back"].rect().center()),
    ]
    for name, target, point in targets:
        move = drag_over(target, mime, point, SHIFT)
        assert move.proposedAction() == Qt.DropAction.MoveAction
        assert move.dropAction() == Qt.DropAction.CopyAction, name
        drop = QDropEvent(QPointF(point), BOTH, mime, LEFT, SHIFT)
        QApplication.sendEvent(target, drop)
        assert drop.isAccepted(), name
        assert drop.dropAction() == Qt.DropAction.CopyAction, name
    window = app.window
    window.set_current_area(AreaKey.HISTORY)
    drop = drop_at(window, mime, window.drop_zone_point([photo], "canvas"), SHIFT)
    assert drop.isAccepted() and drop.dropAction() == Qt.DropAction.CopyAction
    db = app.services.store.db
    qtbot.waitUntil(lambda: db.scalar("SELECT count(*) FROM canvas_threads") == 1, timeout=20_000)
    qtbot.waitUntil(lambda: area.garments.slots["back"].has_cutout, timeout=30_000)
    assert photo.exists(), "the designer's original is where it was"


# ------------------------------------------------------------------------------ item 9
def _bad_files(tmp: Path) -> dict[str, Path]:
    pdf = pdf_file(tmp / "not_really.png")
    empty = tmp / "empty.jpg"
    empty.write_bytes(b"")
    whole = tmp / "whole.jpg"
    Image.new("RGB", (640, 480), (200, 120, 40)).save(whole, "JPEG", quality=95)
    cut = tmp / "cut short.jpg"
    cut.write_bytes(whole.read_bytes()[:1500])
    huge = huge_png(tmp / "billboard.png")
    return {"pdf": pdf, "empty": empty, "truncated": cut, "huge": huge}


def assert_well_written(text: str) -> None:
    assert ".." not in text.replace("…", ""), text
    assert ".;" not in text and ";." not in text and " ." not in text, text
    for line in text.splitlines():
        assert line.rstrip().endswith((".", ":", "…", "”.")), line


@pytest.mark.parametrize(
    "kinds",
    [("pdf", "empty"), ("pdf", "truncated", "huge"), ("empty", "truncated", "huge")],
)
def test_several_bad_files_are_listed_one_line_each(
    qtbot, app: App, tmp_path: Path, kinds: tuple[str, ...]
) -> None:
    files = _bad_files(tmp_path)
    paths = [files[k] for k in kinds]
    window = app.window
    window.set_current_area(AreaKey.HISTORY)
    point = window.drop_zone_point(paths, "canvas")
    assert drop_files(window, paths, point).dropped
    bar = window.message_bar
    qtbot.waitUntil(lambda: bar.isVisible() and "files can be used" in bar.text(), timeout=20_000)
    text = bar.text()
    assert bar.level is MessageLevel.ERROR
    lines = text.splitlines()
    assert lines[0] == f"None of the {len(paths)} files can be used:"
    assert len(lines) == len(paths) + 1, text
    for path in paths:
        assert sum(path.name in line for line in lines[1:]) == 1, (path.name, text)
    assert_well_written(text)


def test_bad_files_with_a_good_one_a_folder_and_a_link(qtbot, app: App, tmp_path: Path) -> None:
    files = _bad_files(tmp_path)
    good = portrait(tmp_path / "good.jpg", (60, 120, 60))
    folder = tmp_path / "notes"
    folder.mkdir()
    pdf_file(folder / "brief.pdf")
    mime = QMimeData()
    mime.setUrls(
        [QUrl.fromLocalFile(str(p)) for p in (files["pdf"], files["empty"], good, folder)]
        + [QUrl("https://example.com/look.jpg")]
    )
    window = app.window
    window.set_current_area(AreaKey.HISTORY)
    point = window.drop_zone_point([files["pdf"], files["empty"], good, folder], "canvas")
    assert drop_at(window, mime, point).isAccepted()
    bar = window.message_bar
    qtbot.waitUntil(lambda: "Added 1 image" in bar.text(), timeout=20_000)
    text = bar.text()
    lines = text.splitlines()
    assert re.match(r"“.*”: Added 1 image\. 3 not added:$", lines[0]), text
    assert len(lines) == 4 and all(line.startswith("• ") for line in lines[1:]), text
    assert_well_written(text)


def test_sentences_get_one_end_mark() -> None:
    assert sentence("is a PDF document, not an image.") == "is a PDF document, not an image."
    assert sentence("no end") == "no end."
    assert sentence("“a.png”.;") == "“a.png”."
    assert sentence("damaged: it ends early..") == "damaged: it ends early."
    assert sentence("Wait…") == "Wait…"
    text = listed("None:", [f"f{n} is bad" for n in range(9)], limit=4)
    assert text.splitlines()[-1] == "• …and 6 more."


# ------------------------------------------------------------------------------ item 2
def test_show_in_history_selects_the_new_pack_and_scrolls_to_it(
    qtbot, app: App, tmp_path: Path
) -> None:
    services = app.services
    history = app.window.history_area
    # Enough older jobs that the feed scrolls, and an older job selected.
    for n in range(14):
        photo = garment_photo(tmp_path / f"old {n}.png", seed=n + 1)
        job = await_on_loop(qtbot, services.imports.garment_photo_dropped(photo, "front"))
        await_on_loop(qtbot, services.jobs.wait(job.id), timeout=60_000)
    app.window.set_current_area(AreaKey.HISTORY)
    qtbot.waitUntil(lambda: history.model is not None and history.model.rowCount() >= 14)
    oldest = history.model.feed_row(history.model.rowCount() - 1).job.id
    history.select_jobs([oldest])
    history.view.scrollToBottom()

    app.window.set_current_area(AreaKey.PROFILES)
    panel = app.profiles_area.garments
    panel.extract("front", garment_photo(tmp_path / "tee.png", seed=40))
    qtbot.waitUntil(lambda: panel.slots["front"].has_cutout, timeout=30_000)
    with qtbot.waitSignal(panel.pack_finished, timeout=60_000) as finished:
        panel.build_button.click()
    pack_id = finished.args[0].job.id
    row = panel.row("pack")
    assert row is not None
    qtbot.waitUntil(row.history_button.isVisible)
    row.history_button.click()
    assert app.window.current_area_key is AreaKey.HISTORY
    qtbot.waitUntil(lambda: history.selected_job_ids() == [pack_id], timeout=10_000)
    index = history.model.index_of(pack_id)
    assert history.view.currentIndex() == index
    assert history.view.viewport().rect().intersects(history.view.visualRect(index))


def test_show_in_history_clears_filters_that_hide_the_pack(qtbot, app: App, tmp_path: Path) -> None:
    history = app.window.history_area
    app.window.set_current_area(AreaKey.HISTORY)
    history.filter_bar.search.setText("no job is called this")
    qtbot.waitUntil(lambda: history.showing_no_results, timeout=10_000)
    app.window.set_current_area(AreaKey.PROFILES)
    panel = app.profiles_area.garments
    panel.extract("front", garment_photo(tmp_path / "tee.png", seed=41))
    qtbot.waitUntil(lambda: panel.slots["front"].has_cutout, timeout=30_000)
    with qtbot.waitSignal(panel.pack_finished, timeout=60_000) as finished:
        panel.build_button.click()
    panel.row("pack").history_button.click()  # type: ignore[union-attr]
    pack_id = finished.args[0].job.id
    qtbot.waitUntil(lambda: history.selected_job_ids() == [pack_id], timeout=10_000)
    assert history.filter_bar.search.text() == ""


# ------------------------------------------------------------------------------ item 3
def test_home_and_end_go_to_the_first_and_last_job(qtbot, app: App, tmp_path: Path) -> None:
    services = app.services
    for n in range(6):
        job = await_on_loop(
            qtbot,
            services.imports.garment_photo_dropped(
                garment_photo(tmp_path / f"g{n}.png", seed=n + 1), "front"
            ),
        )
        await_on_loop(qtbot, services.jobs.wait(job.id), timeout=60_000)
    history = app.window.history_area
    app.window.set_current_area(AreaKey.HISTORY)
    qtbot.waitUntil(lambda: history.model is not None and history.model.rowCount() == 6)
    view = history.view
    view.setFocus()
    history.select_jobs([history.model.feed_row(2).job.id])
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert view.currentIndex().row() == 5
    assert history.selected_job_ids() == [history.model.feed_row(5).job.id]
    qtbot.keyClick(view, Qt.Key.Key_Home)
    assert view.currentIndex().row() == 0
    assert history.selected_job_ids() == [history.model.feed_row(0).job.id]


@pytest.mark.qt_log_ignore("does not support grabbing the keyboard")  # (offscreen menus)
def test_ctrl_v_in_history_offers_the_drop_choices(qtbot, app: App, tmp_path: Path) -> None:
    window = app.window
    window.set_current_area(AreaKey.HISTORY)
    history = window.history_area
    clipboard = QGuiApplication.clipboard()

    # Nothing to paste: Edit ▸ Paste is off and says why; Ctrl+V says why too.
    clipboard.setText("just words")
    window.update_paste_action()
    assert not window.action_paste.isEnabled()
    assert "no image" in window.action_paste.toolTip()
    history.view.setFocus()
    qtbot.keyClick(history.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert "holds no image to paste" in window.message_bar.text()

    # An image: Edit ▸ Paste is on; Ctrl+V asks where it goes.
    image = QImage(str(garment_photo(tmp_path / "copied.png")))
    clipboard.setImage(image)
    window.update_paste_action()
    assert window.action_paste.isEnabled()
    qtbot.keyClick(history.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    menu = history.paste_menu
    assert menu is not None and menu.isVisible()
    choices = [a.data() for a in menu.actions()]
    assert choices == ["cutout", "canvas"]
    menu.actions()[1].trigger()
    menu.close()
    db = app.services.store.db
    qtbot.waitUntil(lambda: db.scalar("SELECT count(*) FROM canvas_threads") == 1, timeout=20_000)
    qtbot.waitUntil(lambda: window.current_area_key is AreaKey.CANVAS, timeout=10_000)

    # Edit ▸ Paste in History goes the same way (the cutout this time).
    window.set_current_area(AreaKey.HISTORY)
    window.action_paste.trigger()
    menu = history.paste_menu
    assert menu is not None
    menu.actions()[0].trigger()
    menu.close()
    slot = app.profiles_area.garments.slots["front"]
    qtbot.waitUntil(lambda: slot.has_cutout, timeout=30_000)
    assert (
        app.services.store.db.scalar(
            "SELECT count(*) FROM jobs WHERE type = 'extract_garment' AND status = ?",
            (JobStatus.SUCCEEDED.value,),
        )
        == 1
    )
