"""Jobs that arrive from elsewhere (another device, the web app: a sync pull stores them with
``apply_remote_rows``) appear in place in a real History feed, and the designer keeps what they
were looking at: the selection, and the rows on screen when they had scrolled down."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget

from studio_desktop.domain.enums import JobStatus, JobType
from studio_desktop.domain.models import Job, JobOutput, new_id
from studio_desktop.ui.history.area import HistoryArea
from tests.ui.history.conftest import WAIT_MS, Maker, wait_loaded

pytestmark = pytest.mark.gui


def remote_job(area: HistoryArea, created_at: datetime, prompt: str) -> Job:
    """A job and one output as a pull stores them (one transaction, origin "remote")."""
    assert area.services is not None
    store = area.services.store
    job = Job(
        id=new_id(),
        user_id=store.user_id,
        type=JobType.PRODUCT_PACK,
        status=JobStatus.SUCCEEDED,
        input_json={"prompt": prompt, "engine": "remote"},
        created_at=created_at,
        updated_at=created_at,
    )
    output = JobOutput(
        id=new_id(),
        job_id=job.id,
        kind="image",
        angle="front",
        mime_type="image/png",
        storage_path=f"{store.user_id}/jobs/{job.id}/o.png",
        width=800,
        height=1000,
        created_at=created_at,
    )
    with store.transaction():
        store.rows.apply_remote_rows("jobs", [job.to_row()])
        store.rows.apply_remote_rows("job_outputs", [output.to_row()])
    return job


def top_visible(area: HistoryArea) -> tuple[str, int]:
    """The job at the top edge of the viewport and how far its row starts above the edge."""
    assert area.model is not None
    index = area.view.indexAt(area.view.viewport().rect().topLeft())
    return area.model.feed_row(index.row()).job.id, area.view.visualRect(index).top()


def selected_ids(area: HistoryArea) -> list[str]:
    assert area.model is not None
    return [area.model.feed_row(i.row()).job.id for i in area.view.selectionModel().selectedRows()]


def test_a_new_job_from_elsewhere_is_inserted_without_moving_the_designers_view(
    qtbot: Any, area: HistoryArea, make: Maker, screenshot: Callable[[QWidget, str], Path]
) -> None:
    jobs = make.seed(40, outputs=1)
    wait_loaded(qtbot, area)
    assert area.model is not None
    qtbot.waitUntil(lambda: area.model is not None and area.model.rowCount() == 40, timeout=WAIT_MS)
    # The designer scrolls down and selects a job in the middle.
    area.view.verticalScrollBar().setValue(
        area.view.verticalHeader().defaultSectionSize() * 12 + 17
    )
    chosen = jobs[15].id
    area.view.selectRow(area.model.index_of(chosen).row())
    before_top = top_visible(area)
    before_selected = selected_ids(area)
    assert before_selected == [chosen]
    screenshot(area, "history-live-insert-before")

    # Another device made a job now (newest: it belongs at the top) and one an hour ago
    # (it belongs between seeded jobs, above the viewport too).
    newest = remote_job(area, datetime.now(UTC), "From the studio desktop")
    middle = remote_job(area, jobs[5].created_at + timedelta(seconds=30), "From the web app")
    qtbot.waitUntil(lambda: area.model is not None and area.model.rowCount() == 42, timeout=WAIT_MS)
    ids = area.model.job_ids()
    assert ids[0] == newest.id
    assert ids.index(middle.id) == ids.index(jobs[5].id) - 1  # just above the older job
    assert selected_ids(area) == before_selected
    assert top_visible(area) == before_top
    screenshot(area, "history-live-insert-after")


def test_at_the_top_the_new_job_shows_at_the_top(
    qtbot: Any, area: HistoryArea, make: Maker
) -> None:
    make.seed(10, outputs=1)
    wait_loaded(qtbot, area)
    qtbot.waitUntil(lambda: area.model is not None and area.model.rowCount() == 10, timeout=WAIT_MS)
    assert area.view.verticalScrollBar().value() == 0
    newest = remote_job(area, datetime.now(UTC), "From the laptop")
    qtbot.waitUntil(lambda: area.model is not None and area.model.rowCount() == 11, timeout=WAIT_MS)
    assert area.view.verticalScrollBar().value() == 0
    assert top_visible(area)[0] == newest.id
