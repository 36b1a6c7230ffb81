"""Screenshots of the History area in both palettes (``tests/screenshots/<light|dark>/``):
the feed with a realistic set of jobs made through the real services (packs, cutouts, canvas
edits, a failed try-on with its error, a running edit with progress, images not downloaded),
filters active, the opened job, the empty state and the delete confirmation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget

from studio_desktop.domain.enums import JobStatus, JobType
from studio_desktop.services.history import HistoryFilter
from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.ui.history.area import HistoryArea
from studio_desktop.ui.history.feed_model import Role
from studio_desktop.ui.history.thumbnails import ThumbState
from tests.ui.history.conftest import WAIT_MS, Maker, wait_loaded
from tests.ui.test_screenshots import assert_has_content, assert_text_fits

pytestmark = pytest.mark.gui

Shot = Callable[[QWidget, str], Path]


def realistic_feed(make: Maker) -> dict[str, Any]:
    """Older synced jobs (not downloaded), then a studio morning's work, newest last."""
    ana = make.profile("Ana — studio grey", background="#d9d7d2")
    make.seed(3, outputs=3, prompt="Archive: wool coat, three angles", profile_id=ana.id)
    cutout = make.cutout((40, 90, 170))
    pack = make.pack(ana, (30, 110, 90))
    edit = make.canvas_edit("make the bag navy blue", (190, 40, 50))
    failed = make.failed_tryon(ana)
    running, gate = make.running_edit("brighten the whole picture a little")
    return {
        "profile": ana,
        "cutout": cutout,
        "pack": pack,
        "edit": edit,
        "failed": failed,
        "running": running,
        "gate": gate,
    }


def wait_thumbnails(qtbot: Any, area: HistoryArea) -> None:
    """Until every visible tile has left the loading state."""
    assert area.model is not None
    model = area.model

    def settled() -> bool:
        area.view.viewport().repaint()
        for row in range(model.rowCount()):
            rect = area.view.visualRect(model.index(row, 0))
            if not rect.intersects(area.view.viewport().rect()):
                continue
            states = model.index(row, 0).data(Role.THUMBS)
            if any(t.state is ThumbState.LOADING for t in states):
                return False
        return True

    qtbot.waitUntil(settled, timeout=WAIT_MS)


def test_feed_screens(
    qtbot: Any, scheme: str, screenshot: Shot, make: Maker, services: WorkspaceServices
) -> None:
    jobs = realistic_feed(make)
    area = HistoryArea(services)
    qtbot.addWidget(area)
    area.resize(1180, 760)
    area.show()
    qtbot.waitExposed(area)
    wait_loaded(qtbot, area)
    assert area.model is not None
    qtbot.waitUntil(lambda: area.model.rowCount() == 8, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: area.model.index_of(jobs["running"].id).data(Role.PROGRESS) is not None,
        timeout=WAIT_MS,
    )
    wait_thumbnails(qtbot, area)
    path = screenshot(area, "history-feed")
    assert_has_content(path)
    assert_text_fits(area)

    # The older jobs, pulled by a sync but not downloaded yet: they say so, no error.
    area.view.scrollToBottom()
    wait_thumbnails(qtbot, area)
    last = area.model.index(area.model.rowCount() - 1, 0)
    assert {t.state for t in last.data(Role.THUMBS)} == {ThumbState.MISSING}
    screenshot(area, "history-feed-not-downloaded")
    assert_text_fits(area)
    area.view.scrollToTop()

    area.set_thumbnail_px(264)
    wait_thumbnails(qtbot, area)
    screenshot(area, "history-feed-large")
    area.set_thumbnail_px(112)

    # The failed job opened beside the feed: its error, Copy error and Retry.
    area.select_jobs([jobs["failed"].id])
    area.open_current()
    assert area.detail is not None and area.detail.isVisible()
    assert area.detail.error_box.isVisible()
    path = screenshot(area, "history-failed-job-open")
    assert_text_fits(area)

    # A pack opened: its images larger.
    area.select_jobs([jobs["pack"].id])
    # A real bool: while the panel still has no tiles, ``[] and ...`` would be ``[]``, which
    # waitUntil refuses with a ValueError instead of waiting.
    qtbot.waitUntil(
        lambda: (
            area.detail.job_id == jobs["pack"].id
            and bool(states := area.detail.tile_states())
            and all(s is ThumbState.READY for s in states)
        ),
        timeout=WAIT_MS,
    )
    screenshot(area, "history-pack-open")
    assert_text_fits(area)
    area.detail.close_panel()

    # Filters active: failed and canceled... here, failed try-ons; then a search.
    area.filter_bar.set_filter(HistoryFilter(types=(JobType.CANVAS_EDIT,), search="navy"))
    qtbot.waitUntil(lambda: area.model.rowCount() == 1, timeout=WAIT_MS)
    wait_thumbnails(qtbot, area)
    screenshot(area, "history-filtered")
    assert_text_fits(area)

    area.filter_bar.set_filter(HistoryFilter(statuses=(JobStatus.CANCELED,), search="zebra"))
    qtbot.waitUntil(lambda: area.showing_no_results, timeout=WAIT_MS)
    path = screenshot(area, "history-no-results")
    assert_text_fits(area)
    area.filter_bar.clear()
    qtbot.waitUntil(lambda: area.model.rowCount() == 8, timeout=WAIT_MS)

    # The delete confirmation for three jobs.
    area.select_jobs([jobs["pack"].id, jobs["edit"].id, jobs["cutout"].id])
    box = area.confirm_delete(area.selected_job_ids())
    assert isinstance(box, QMessageBox)
    qtbot.waitExposed(box)
    assert "3 jobs" in box.text() and "5 images" in box.text()
    path = screenshot(box, "history-delete-confirmation")
    assert_has_content(path)
    assert_text_fits(box)
    box.reject()
    jobs["gate"].release.set()


def test_empty_state(qtbot: Any, scheme: str, screenshot: Shot, area: HistoryArea) -> None:
    wait_loaded(qtbot, area)
    qtbot.waitUntil(lambda: area.showing_empty_state, timeout=WAIT_MS)
    assert "Cut out garment" in area.empty_state.text_label.text()
    path = screenshot(area, "history-empty")
    assert_has_content(path)
    assert_text_fits(area)
