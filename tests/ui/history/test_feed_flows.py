"""The History area end to end: real widgets offscreen, a real store in a temp data dir and the
real local engine behind ``WorkspaceServices``; jobs made through the services on images drawn
here (or seeded as rows, as a sync pull leaves them: files not on this computer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from studio_desktop.domain.enums import JobStatus, JobType
from studio_desktop.services.common import output_ref
from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.history.area import HistoryArea
from studio_desktop.ui.history.feed_model import Role
from studio_desktop.ui.history.thumbnails import ThumbState
from studio_desktop.ui.main_window import MainWindow
from studio_desktop.ui.preferences import ThumbnailSize
from tests.ui.history.conftest import WAIT_MS, Maker, scene, wait_loaded

pytestmark = pytest.mark.gui


def shown_ids(area: HistoryArea) -> list[str]:
    assert area.model is not None
    return area.model.job_ids()


def wait_rows(qtbot: Any, area: HistoryArea, count: int) -> None:
    """Until the feed shows ``count`` jobs, each with the status and outputs the store has."""
    assert area.model is not None and area.services is not None
    model, queries = area.model, area.services.store.queries

    def settled() -> bool:
        if model.rowCount() != count or model.is_loading:
            return False
        for row in range(count):
            job_id = model.feed_row(row).job.id
            item = queries.job(job_id)
            shown = model.feed_row(row)
            if item is None or len(item.outputs) != len(shown.outputs):
                return False
            if item.job.status != shown.job.status:  # a finish still on its way to the feed
                return False
        return True

    qtbot.waitUntil(settled, timeout=WAIT_MS)


def tile_center(area: HistoryArea, job_id: str, n: int) -> QPoint:
    assert area.model is not None
    index = area.model.index_of(job_id)
    layout = area.delegate.layout_for(area.view.visualRect(index), index)
    return layout.tiles[n].center()


def is_placeholder(pixmap: QPixmap) -> bool:
    return pixmap.width() <= 16


# ---------------------------------------------------------------------------- browse
def test_filter_and_search_narrow_the_feed(qtbot: Any, area: HistoryArea, make: Maker) -> None:
    ana = make.profile("Ana")
    make.seed(3, prompt="Wool coat archive")
    edit = make.canvas_edit("make the bag navy blue")
    cutout = make.cutout()
    pack = make.pack(ana)
    failed = make.failed_tryon(ana)
    wait_rows(qtbot, area, 7)
    bar = area.filter_bar

    bar.type_box.setCurrentIndex(bar.type_box.findData(JobType.CANVAS_EDIT.value))
    wait_rows(qtbot, area, 1)
    assert shown_ids(area) == [edit.id]
    bar.type_box.setCurrentIndex(0)
    bar.status_box.setCurrentIndex(bar.status_box.findData(JobStatus.FAILED.value))
    wait_rows(qtbot, area, 1)
    assert shown_ids(area) == [failed.id]
    bar.status_box.setCurrentIndex(0)
    wait_rows(qtbot, area, 7)

    qtbot.waitUntil(lambda: bar.profile_box.findText("Ana") > 0, timeout=WAIT_MS)
    bar.profile_box.setCurrentIndex(bar.profile_box.findText("Ana"))
    wait_rows(qtbot, area, 2)
    assert set(shown_ids(area)) == {pack.id, failed.id}
    bar.profile_box.setCurrentIndex(0)
    wait_rows(qtbot, area, 7)

    # The search waits for the typing to stop, then asks once.
    resets: list[int] = []
    area.model.modelReset.connect(lambda: resets.append(1))
    qtbot.keyClicks(bar.search, "NAV bag")
    wait_rows(qtbot, area, 1)
    assert shown_ids(area) == [edit.id] and resets == [1]
    bar.search.clear()
    qtbot.keyClicks(bar.search, "wool")
    wait_rows(qtbot, area, 3)
    assert cutout.id not in shown_ids(area)
    assert bar.clear_button.isVisible()
    bar.clear_button.click()
    wait_rows(qtbot, area, 7)
    assert not bar.clear_button.isVisible()


def test_thumbnails_arrive_off_the_gui_thread_for_visible_rows(
    qtbot: Any, area: HistoryArea, make: Maker
) -> None:
    make.seed(40, outputs=2)  # older, below the fold
    edit = make.canvas_edit("make it grayscale")
    wait_loaded(qtbot, area)
    qtbot.waitUntil(lambda: shown_ids(area)[:1] == [edit.id], timeout=WAIT_MS)
    assert area.model is not None
    qtbot.waitUntil(
        lambda: (
            not is_placeholder(area.model.index_of(edit.id).data(Qt.ItemDataRole.DecorationRole))
        ),
        timeout=WAIT_MS,
    )
    thumb = area.model.index_of(edit.id).data(Role.THUMBS)[0]
    assert thumb.state is ThumbState.READY and thumb.pixmap.width() <= area.thumbnail_px
    # Rows far below the fold were never loaded.
    last = area.model.index(area.model.rowCount() - 1, 0)
    assert not area.view.visualRect(last).intersects(area.view.viewport().rect())
    assert all(t.state is ThumbState.LOADING for t in last.data(Role.THUMBS))


def test_an_output_not_on_this_computer_says_so_and_shows_once_it_arrives(
    qtbot: Any, services: WorkspaceServices, make: Maker
) -> None:
    wanted: list[tuple[str, str]] = []
    seeded = make.seed(1, outputs=2)[0]
    area = HistoryArea(services, request_blob=lambda bucket, path: wanted.append((bucket, path)))
    qtbot.addWidget(area)
    area.resize(1000, 600)
    area.show()
    wait_rows(qtbot, area, 1)
    assert area.model is not None
    qtbot.waitUntil(
        lambda: (
            [t.state for t in area.model.index(0, 0).data(Role.THUMBS)]
            == [ThumbState.MISSING, ThumbState.MISSING]
        ),
        timeout=WAIT_MS,
    )
    thumb = area.model.index(0, 0).data(Role.THUMBS)[0]
    assert thumb.message == "Not downloaded — available when online"
    outputs = area.model.index(0, 0).data(Role.OUTPUTS)
    refs = [output_ref(o) for o in outputs]
    assert sorted(wanted) == sorted((r.bucket, r.path) for r in refs if r is not None)

    # The sync fetched one: it shows, the other still says it is not downloaded.
    ref = refs[0]
    assert ref is not None
    services.store.blobs.put(ref.bucket, ref.path, png_bytes(), "image/png", upload=False)
    area.notify_blob_available(ref.bucket, ref.path)
    qtbot.waitUntil(
        lambda: area.model.index(0, 0).data(Role.THUMBS)[0].state is ThumbState.READY,
        timeout=WAIT_MS,
    )
    assert area.model.index(0, 0).data(Role.THUMBS)[1].state is ThumbState.MISSING
    assert seeded.id == area.model.index(0, 0).data(Role.JOB_ID)


def png_bytes() -> bytes:
    return scene((60, 140, 80))


def test_enter_opens_the_jobs_outputs(qtbot: Any, area: HistoryArea, make: Maker) -> None:
    ana = make.profile("Ana")
    pack = make.pack(ana)
    make.canvas_edit("make it grayscale")
    wait_rows(qtbot, area, 2)
    area.select_jobs([pack.id])
    area.view.setFocus()
    qtbot.keyClick(area.view, Qt.Key.Key_Return)
    assert area.detail is not None and area.detail.isVisible()
    assert area.detail.job_id == pack.id
    qtbot.waitUntil(lambda: area.detail.tile_states() == [ThumbState.READY] * 3, timeout=WAIT_MS)
    assert [t.caption.text().split(" ·")[0] for t in area.detail.tiles] == [
        "Front",
        "Back",
        "Detail",
    ]
    # Ctrl+F goes to the search box.
    qtbot.keyClick(area.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is area.filter_bar.search
    area.view.setFocus()
    # The panel follows the current job; Esc closes it.
    area.view.setCurrentIndex(area.model.index(0, 0))
    qtbot.waitUntil(lambda: area.detail.job_id != pack.id, timeout=WAIT_MS)
    qtbot.keyClick(area.view, Qt.Key.Key_Escape)
    assert not area.detail.isVisible()


# ---------------------------------------------------------------------------- delete
def test_delete_asks_first_then_deletes_and_queues_the_removal(
    qtbot: Any, area: HistoryArea, make: Maker, services: WorkspaceServices
) -> None:
    keep = make.canvas_edit("make it grayscale")
    first = make.cutout()
    second = make.canvas_edit("blur the background")
    wait_rows(qtbot, area, 3)
    area.select_jobs([first.id, second.id])
    area.view.setFocus()

    # Cancel: nothing happens.
    qtbot.keyClick(area.view, Qt.Key.Key_Delete)
    box = area.delete_dialog
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert box.text() == "Delete 2 jobs and 2 images?"
    assert "from your account" in box.informativeText()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert len(shown_ids(area)) == 3

    qtbot.keyClick(area.view, Qt.Key.Key_Delete)
    box = area.delete_dialog
    confirm = box.findChild(
        type(box.button(QMessageBox.StandardButton.Cancel)), "HistoryDeleteConfirm"
    )
    with qtbot.waitSignal(area.model.rowsRemoved, timeout=WAIT_MS):
        confirm.click()
    qtbot.waitUntil(lambda: shown_ids(area) == [keep.id], timeout=WAIT_MS)
    store = services.store
    assert store.queries.job(first.id) is None and store.queries.job(second.id) is None
    deletes = {(e.table, e.row_id) for e in store.outbox.all() if e.kind == "delete"}
    assert {("jobs", first.id), ("jobs", second.id)} <= deletes
    qtbot.waitUntil(lambda: area.last_message == "Deleted 2 jobs.", timeout=WAIT_MS)


# ---------------------------------------------------------------------------- retry / cancel
def test_retry_a_failed_job(qtbot: Any, area: HistoryArea, make: Maker) -> None:
    failed = make.failed_tryon(make.profile("Ana"))
    wait_rows(qtbot, area, 1)
    assert area.model is not None
    index = area.model.index(0, 0)
    assert "generation service" in index.data(Role.ERROR)
    statuses: list[str] = []
    area.model.dataChanged.connect(
        lambda a, _b, *_r: statuses.append(area.model.index(a.row(), 0).data(Role.STATUS))
    )
    area.select_jobs([failed.id])
    area.open_current()
    assert area.detail is not None and area.detail.error_box.isVisible()
    assert "generation service" in area.detail.error_text.text()
    assert area.detail.error_text.textInteractionFlags() & (
        Qt.TextInteractionFlag.TextSelectableByMouse
    )
    area.detail.copy_error_button.click()
    assert "generation service" in QGuiApplication.clipboard().text()

    area.detail.retry_button.click()
    qtbot.waitUntil(
        lambda: (
            area.model.index(0, 0).data(Role.JOB).input_json.get("attempt") == 2
            and area.model.index(0, 0).data(Role.STATUS) == JobStatus.FAILED
        ),
        timeout=WAIT_MS,
    )
    assert JobStatus.QUEUED in statuses, "the row went back to queued, then ran again"
    assert area.model.rowCount() == 1, "a retry keeps the same row"


def test_cancel_a_running_job_from_its_row(qtbot: Any, area: HistoryArea, make: Maker) -> None:
    job, gate = make.running_edit()
    wait_rows(qtbot, area, 1)
    assert area.model is not None
    qtbot.waitUntil(lambda: area.model.index(0, 0).data(Role.PROGRESS) is not None, timeout=WAIT_MS)
    index = area.model.index(0, 0)
    assert index.data(Role.STATUS) == JobStatus.RUNNING
    layout = area.delegate.layout_for(area.view.visualRect(index), index)
    assert layout.button is not None
    qtbot.mouseClick(area.view.viewport(), Qt.MouseButton.LeftButton, pos=layout.button.center())
    gate.release.set()
    qtbot.waitUntil(
        lambda: area.model.index(0, 0).data(Role.STATUS) == JobStatus.CANCELED, timeout=WAIT_MS
    )
    assert area.model.index(0, 0).data(Role.PROGRESS) is None
    assert area.model.index(0, 0).data(Role.JOB_ID) == job.id


# ---------------------------------------------------------------------------- export & drag
def answer_folder(qtbot: Any, dialog: QFileDialog, folder: Path) -> None:
    qtbot.waitExposed(dialog)
    dialog.setDirectory(str(folder))
    dialog.selectFile(str(folder))
    dialog.accept()


def test_export_writes_the_selected_jobs_images(
    qtbot: Any, area: HistoryArea, make: Maker, tmp_path: Path
) -> None:
    pack = make.pack(make.profile("Ana"))
    edit = make.canvas_edit("make it grayscale")
    make.seed(1, outputs=1)  # not on this computer: skipped, with a reason
    wait_rows(qtbot, area, 3)
    folder = tmp_path / "shoot"
    folder.mkdir()
    area.view.setFocus()
    qtbot.keyClick(area.view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert len(area.selected_job_ids()) == 3
    qtbot.keyClick(area, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    dialog = area.export_dialog
    assert isinstance(dialog, QFileDialog)
    answer_folder(qtbot, dialog, folder)
    qtbot.waitUntil(lambda: len(list(folder.iterdir())) == 4, timeout=WAIT_MS)
    names = sorted(p.name for p in folder.iterdir())
    assert sum(n.startswith("product-pack-") for n in names) == 3
    assert sum(n.startswith("canvas-edit-") for n in names) == 1
    qtbot.waitUntil(lambda: area.last_message.startswith("Saved 4 images"), timeout=WAIT_MS)
    assert "not on this computer" in area.last_message
    assert pack.id and edit.id


def test_drag_out_offers_the_cached_files_with_readable_names(
    qtbot: Any, area: HistoryArea, make: Maker, services: WorkspaceServices
) -> None:
    pack = make.pack(make.profile("Ana"))
    seeded = make.seed(1, outputs=2)[0]
    wait_rows(qtbot, area, 2)
    area.select_jobs([pack.id])
    # Pressed on the second image of a single selected job: that image only.
    one = area.drag_files(tile_center(area, pack.id, 1))
    back = services.store.queries.job(pack.id).outputs[1]
    ref = output_ref(back)
    assert ref is not None and back.angle == "back"
    cached = services.store.blobs.get_path(ref.bucket, ref.path)
    assert len(one.files) == 1
    assert one.files[0].name == f"product-pack-{pack.created_at.astimezone():%Y-%m-%d}-back-2" + (
        ".jpg" if back.mime_type == "image/jpeg" else ".png"
    )
    assert one.files[0].read_bytes() == cached.read_bytes()
    # Several jobs selected: every image; the ones not downloaded are left out, with a reason.
    area.select_jobs([pack.id, seeded.id])
    many = area.drag_files(tile_center(area, pack.id, 0))
    assert len(many.files) == 3 and many.not_downloaded == 2
    assert "not downloaded yet" in (many.message() or "")
    urls = [p.as_uri() for p in many.files]
    assert all(u.startswith("file:///") for u in urls)


# ---------------------------------------------------------------------------- the window
@pytest.fixture
def window_with_area(qtbot: Any, main_window: MainWindow, area: HistoryArea) -> MainWindow:
    main_window.replace_area(AreaKey.HISTORY, area)
    main_window.set_current_area(AreaKey.HISTORY)
    return main_window


def test_open_in_canvas_lands_the_creation_in_the_canvas_and_switches_area(
    qtbot: Any,
    window_with_area: MainWindow,
    area: HistoryArea,
    make: Maker,
    services: WorkspaceServices,
) -> None:
    from studio_desktop.ui.canvas.area import make_canvas_area

    edit = make.canvas_edit("make it grayscale")
    wait_rows(qtbot, area, 1)
    area.select_jobs([edit.id])
    canvas = make_canvas_area(services)
    window_with_area.replace_area(AreaKey.CANVAS, canvas)
    with qtbot.waitSignal(canvas.creation_opened, timeout=WAIT_MS) as opened:
        area.action_open_canvas.trigger()
    thread_id = opened.args[0]
    assert window_with_area.current_area_key is AreaKey.CANVAS
    assert canvas.current_thread_id == thread_id
    # One creation per job: opening again shows the same one (already open in the canvas).
    window_with_area.set_current_area(AreaKey.HISTORY)
    area.open_in_canvas(edit.id)
    qtbot.waitUntil(lambda: window_with_area.current_area_key is AreaKey.CANVAS, timeout=WAIT_MS)
    assert canvas.current_thread_id == thread_id
    creation = services.store.queries.thread_for_job(edit.id)
    assert creation is not None and creation.id == thread_id


def test_open_in_canvas_hands_the_creation_to_the_canvas_through_the_navigator(
    qtbot: Any,
    window_with_area: MainWindow,
    area: HistoryArea,
    make: Maker,
    services: WorkspaceServices,
) -> None:
    from studio_desktop.ui.canvas.area import make_canvas_area

    edit = make.canvas_edit("make it grayscale")
    wait_rows(qtbot, area, 1)
    # Without a workspace in the Canvas (its placeholder), nothing is handed over.
    assert window_with_area.navigator.open_creation("a-thread-id") is False
    assert window_with_area.current_area_key is AreaKey.HISTORY
    opened: list[str] = []
    canvas = make_canvas_area(services)
    window_with_area.replace_area(AreaKey.CANVAS, canvas)
    canvas.open_creation = opened.append  # type: ignore[method-assign]
    area.open_in_canvas(edit.id)
    qtbot.waitUntil(lambda: bool(opened), timeout=WAIT_MS)
    assert window_with_area.current_area_key is AreaKey.CANVAS
    creation = area.services.store.queries.thread_for_job(edit.id)
    assert creation is not None and opened == [creation.id]


def test_window_menu_drives_export_and_thumbnail_size(
    qtbot: Any, window_with_area: MainWindow, area: HistoryArea, make: Maker, tmp_path: Path
) -> None:
    edit = make.canvas_edit("make it grayscale")
    wait_rows(qtbot, area, 1)
    assert not window_with_area.action_export.isEnabled()
    area.select_jobs([edit.id])
    assert window_with_area.action_export.isEnabled()
    window_with_area.action_export.trigger()
    dialog = area.export_dialog
    assert isinstance(dialog, QFileDialog)
    answer_folder(qtbot, dialog, tmp_path)
    qtbot.waitUntil(lambda: any(tmp_path.glob("canvas-edit-*")), timeout=WAIT_MS)

    window_with_area.set_thumbnail_size(ThumbnailSize.LARGE)
    assert area.thumbnail_px == ThumbnailSize.LARGE.pixels
    assert area.filter_bar.size_buttons[ThumbnailSize.LARGE].isChecked()
    area.filter_bar.size_buttons[ThumbnailSize.SMALL].click()
    assert window_with_area.preferences.thumbnail_size is ThumbnailSize.SMALL
    assert area.thumbnail_px == ThumbnailSize.SMALL.pixels


def test_keep_offline_pins_the_outputs(
    qtbot: Any, area: HistoryArea, make: Maker, services: WorkspaceServices
) -> None:
    edit = make.canvas_edit("make it grayscale")
    wait_rows(qtbot, area, 1)
    area.select_jobs([edit.id])
    menu = area.build_context_menu()
    texts = [a.text() for a in menu.actions() if a.text()]
    assert {"Open", "Open in Magic Canvas", "Export…", "Keep offline", "Delete…"} <= set(texts)
    assert not area.action_keep_offline.isChecked()
    area.action_keep_offline.trigger()
    output = services.store.queries.job(edit.id).outputs[0]
    ref = output_ref(output)
    assert ref is not None
    qtbot.waitUntil(
        lambda: bool((info := services.store.blobs.info(ref.bucket, ref.path)) and info.pinned),
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(lambda: area.model.index(0, 0).data(Role.THUMBS)[0].pinned, timeout=WAIT_MS)


def test_before_its_workspace_the_area_says_it_is_opening_then_what_an_empty_one_holds(
    qtbot: Any, services: WorkspaceServices
) -> None:
    """Start-up shows the area a moment before the workspace is open: it must not claim there
    are no jobs (a store of thousands is on its way)."""
    area = HistoryArea()
    qtbot.addWidget(area)
    area.show()
    assert area.showing_empty_state
    assert area.empty_state.title_label.text() == "Opening the workspace…"
    area.set_services(services)
    wait_loaded(qtbot, area)
    qtbot.waitUntil(lambda: area.empty_state.title_label.text() == "No jobs yet", timeout=WAIT_MS)
    assert area.showing_empty_state
    assert "Cut out garment" in area.empty_state.text_label.text()
    if area.model is not None:  # stop the feed's reads before the workspace closes
        area.model.close()
    if area.loader is not None:
        area.loader.close()


def test_a_job_submitted_elsewhere_appears_at_the_top_and_the_empty_state_goes(
    qtbot: Any, area: HistoryArea, make: Maker
) -> None:
    wait_loaded(qtbot, area)
    qtbot.waitUntil(lambda: area.showing_empty_state, timeout=WAIT_MS)
    edit = make.canvas_edit("make it grayscale")
    qtbot.waitUntil(lambda: shown_ids(area) == [edit.id], timeout=WAIT_MS)
    assert not area.showing_empty_state
    second = make.canvas_edit("blur it")
    qtbot.waitUntil(lambda: shown_ids(area) == [second.id, edit.id], timeout=WAIT_MS)


def test_a_failed_job_opened_does_not_promise_images(
    qtbot: Any, area: HistoryArea, make: Maker
) -> None:
    """A failed job's panel said "No images yet", as if they were still coming; it says it
    made none (a running or waiting job still says "yet")."""
    failed = make.failed_tryon(make.profile("Ana"))
    wait_rows(qtbot, area, 1)
    area.select_jobs([failed.id])
    area.open_current()
    assert area.detail is not None and area.detail.isVisible()
    assert area.detail.outputs_label.text() == "No images: the job failed"
