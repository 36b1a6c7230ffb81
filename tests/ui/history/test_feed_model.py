"""The Qt feed model over a real store: pytest-qt's model tester, and how the feed's events
become Qt's (pages as row inserts, a new filter as one reset, a changed row as ``dataChanged``
for that row, a deleted one as a removal, progress in its roles), without a reload.

What the feed does (filters, search, paging, placing jobs from elsewhere, deletions, stale
reads, progress races) is tested without a display on the Qt-free model, in
``tests/services/test_history_feed.py``."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QObject

from studio_desktop.domain.enums import JobStatus, JobType
from studio_desktop.domain.models import JobOutput, new_id, utc_now
from studio_desktop.engine.base import JobProgress
from studio_desktop.services.history import HistoryFilter
from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.ui.history.feed_model import FeedModel, Role
from studio_desktop.ui.history.thumbnails import ThumbnailLoader
from tests.ui.history.conftest import WAIT_MS, Maker

pytestmark = pytest.mark.gui


_built: list[FeedModel] = []


@pytest.fixture(autouse=True)
def _close_models(services: WorkspaceServices) -> Iterator[None]:
    """Close the models a test built before its workspace closes, as the history area does.
    (Set up after ``services``, so torn down before it.) A read still in flight, e.g. the
    profile names every filter change re-reads, would otherwise run on the closed store and
    end in the crash dialog."""
    yield
    while _built:
        model = _built.pop()
        model.close()
        model.loader.close()


def build_model(
    services: WorkspaceServices, page_size: int = 20, executor: Executor | None = None
) -> FeedModel:
    loader = ThumbnailLoader(services.store, services.thumbnails)
    model = FeedModel(services.history.open_feed(page_size=page_size, executor=executor), loader)
    loader.setParent(model)
    _built.append(model)
    return model


def wait_first_page(qtbot: Any, model: FeedModel) -> None:
    model.reload()
    qtbot.waitUntil(lambda: model.loaded_once and not model.is_loading, timeout=WAIT_MS)


def ids(model: FeedModel) -> list[str]:
    return [model.index(r, 0).data(Role.JOB_ID) for r in range(model.rowCount())]


def test_model_passes_the_model_tester(
    qtbot: Any, qtmodeltester: Any, services: WorkspaceServices, make: Maker
) -> None:
    make.seed(45, outputs=3)
    model = build_model(services)
    wait_first_page(qtbot, model)
    assert model.rowCount() == 20
    qtmodeltester.check(model, force_py=True)  # it fetches more pages itself, and stays on
    # Keep checking while the other pages arrive and rows change underneath.
    while model.rowCount() < 45:
        qtbot.waitUntil(
            lambda: model.canFetchMore(QModelIndex()) or model.rowCount() == 45, timeout=WAIT_MS
        )
        model.fetchMore(QModelIndex())
    qtbot.waitUntil(lambda: not model.is_loading, timeout=WAIT_MS)
    make.canvas_edit("make it grayscale")  # newest: inserted at the top
    qtbot.waitUntil(lambda: model.rowCount() == 46, timeout=WAIT_MS)
    services.store.rows.delete("jobs", model.index(3, 0).data(Role.JOB_ID))
    qtbot.waitUntil(lambda: model.rowCount() == 45, timeout=WAIT_MS)
    qtmodeltester.check(model, force_py=True)


def test_pages_load_lazily_newest_first(
    qtbot: Any, services: WorkspaceServices, make: Maker
) -> None:
    seeded = make.seed(50, outputs=2)
    model = build_model(services)
    assert model.rowCount() == 0 and not model.canFetchMore(QModelIndex())
    wait_first_page(qtbot, model)
    assert ids(model) == [j.id for j in seeded[:20]]
    assert model.canFetchMore(QModelIndex())
    with qtbot.waitSignal(model.rowsInserted, timeout=WAIT_MS) as inserted:
        model.fetchMore(QModelIndex())
        assert not model.canFetchMore(QModelIndex()), "one page at a time"
        model.fetchMore(QModelIndex())  # ignored while the page loads
    assert inserted.args[1:] == [20, 39]
    assert model.rowCount() == 40
    model.fetchMore(QModelIndex())
    qtbot.waitUntil(lambda: model.rowCount() == 50, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not model.is_loading, timeout=WAIT_MS)
    assert not model.canFetchMore(QModelIndex())
    assert ids(model) == [j.id for j in seeded]
    first = model.index(0, 0)
    assert len(first.data(Role.OUTPUTS)) == 2
    assert first.data(Role.TYPE_LABEL) == "Product pack"
    assert first.data(Role.PROMPT) == "Linen shirt on a sand backdrop 0"


def test_filter_reads_a_new_first_page(
    qtbot: Any, services: WorkspaceServices, make: Maker
) -> None:
    make.seed(5, prompt="Red silk dress")
    cutouts = make.seed(4, job_type=JobType.EXTRACT_GARMENT, prompt="Blue denim jacket")
    model = build_model(services)
    wait_first_page(qtbot, model)
    assert model.rowCount() == 9
    with qtbot.waitSignal(model.modelReset, timeout=WAIT_MS):
        model.set_filter(HistoryFilter(types=(JobType.EXTRACT_GARMENT,)))
    assert ids(model) == [j.id for j in cutouts]
    with qtbot.waitSignal(model.modelReset, timeout=WAIT_MS):
        model.set_filter(HistoryFilter(search="sil dres"))
    assert model.rowCount() == 5


def test_updates_arrive_from_events_without_a_reload(
    qtbot: Any, services: WorkspaceServices, make: Maker, run: Any
) -> None:
    seeded = make.seed(6, outputs=1)
    model = build_model(services)
    wait_first_page(qtbot, model)
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))

    # A job submitted elsewhere (not through the feed) appears at the top.
    edit = make.canvas_edit("make it grayscale")
    qtbot.waitUntil(lambda: model.rowCount() == 7, timeout=WAIT_MS)
    assert ids(model)[0] == edit.id
    qtbot.waitUntil(
        lambda: (
            model.index(0, 0).data(Role.STATUS) == JobStatus.SUCCEEDED
            and len(model.index(0, 0).data(Role.OUTPUTS)) == 1
        ),
        timeout=WAIT_MS,
    )

    # A row changed elsewhere (as a sync pull would): only that row changes.
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda a, b, *_r: changed.append((a.row(), b.row())))
    target = seeded[2]
    services.store.rows.save(replace(target, status=JobStatus.FAILED, error="The server said no."))
    row = model.row_of(target.id)
    qtbot.waitUntil(
        lambda: model.index(row, 0).data(Role.ERROR) == "The server said no.", timeout=WAIT_MS
    )
    assert (row, row) in changed and all(a == b for a, b in changed)

    # An output added to a shown job.
    output = JobOutput(
        id=new_id(),
        job_id=target.id,
        kind="image",
        angle="side",
        mime_type="image/png",
        storage_path=f"{services.store.user_id}/jobs/{target.id}/{new_id()}.png",
        created_at=utc_now(),
    )
    services.store.rows.save(output)
    qtbot.waitUntil(lambda: len(model.index(row, 0).data(Role.OUTPUTS)) == 2, timeout=WAIT_MS)

    # Deleted elsewhere: the row goes.
    with qtbot.waitSignal(model.rowsRemoved, timeout=WAIT_MS):
        services.store.rows.delete("jobs", seeded[0].id)
    assert seeded[0].id not in ids(model)

    # Progress of a running job: that row's progress roles.
    job, gate = make.running_edit()
    qtbot.waitUntil(lambda: model.row_of(job.id) == 0, timeout=WAIT_MS)
    services.jobs.job_progress.emit(JobProgress(job.id, 0.5, "Halfway"))
    qtbot.waitUntil(lambda: model.index(0, 0).data(Role.PROGRESS) == 0.5, timeout=WAIT_MS)
    assert model.index(0, 0).data(Role.PROGRESS_MESSAGE) == "Halfway"
    gate.release.set()
    qtbot.waitUntil(
        lambda: model.index(0, 0).data(Role.STATUS) == JobStatus.SUCCEEDED, timeout=WAIT_MS
    )
    assert model.index(0, 0).data(Role.PROGRESS) is None
    assert resets == [], "nothing was re-read wholesale"


def test_a_model_deleted_with_its_parent_stops_listening_to_its_feed(
    qtbot: Any, services: WorkspaceServices, make: Maker
) -> None:
    """A window closing deletes the model with its parent, without ``close()``: a job that
    arrives afterwards must not reach the deleted C++ object (that ended in the crash dialog)."""
    make.seed(3, outputs=1)
    parent = QObject()
    feed = services.history.open_feed(page_size=20)
    loader = ThumbnailLoader(services.store, services.thumbnails)
    model = FeedModel(feed, loader, parent=parent)
    loader.setParent(model)
    wait_first_page(qtbot, model)
    assert len(feed.rows_inserting) == 1
    with qtbot.waitSignal(model.destroyed):
        parent.deleteLater()
    assert len(feed.rows_inserting) == 0 and len(feed.rows_changed) == 0

    witness = build_model(services)  # a live model: proves the new job's news went round
    wait_first_page(qtbot, witness)
    edit = make.canvas_edit("make it grayscale")
    qtbot.waitUntil(lambda: edit.id in ids(witness), timeout=WAIT_MS)
