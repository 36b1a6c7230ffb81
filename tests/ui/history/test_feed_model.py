"""The feed model over a real store: pytest-qt's model tester, lazy pages, and updates that
arrive from events (rows inserted, updated and deleted elsewhere; job progress) without a
reload."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex

from studio_desktop.domain.enums import JobStatus, JobType
from studio_desktop.domain.models import Job, JobOutput, new_id, utc_now
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


def test_a_finished_job_shows_no_progress_whichever_news_comes_first(
    qtbot: Any, services: WorkspaceServices, make: Maker
) -> None:
    """When a job ends, the store's change (read by the feed) and the job service's last
    progress and status events race each other. Whichever arrives first, a row whose job has
    ended shows no progress, and a progress report arriving after that is not shown on it."""
    running, other = make.seed(2, outputs=1, status=JobStatus.RUNNING)
    model = build_model(services)
    wait_first_page(qtbot, model)
    row = model.row_of(running.id)
    services.jobs.job_progress.emit(JobProgress(running.id, 0.85, "Saving the new version"))
    qtbot.waitUntil(lambda: model.index(row, 0).data(Role.PROGRESS) == 0.85, timeout=WAIT_MS)

    # The store says it succeeded before the job service does (its read won the race).
    services.store.rows.save(replace(running, status=JobStatus.SUCCEEDED, updated_at=utc_now()))
    qtbot.waitUntil(
        lambda: model.index(row, 0).data(Role.STATUS) == JobStatus.SUCCEEDED, timeout=WAIT_MS
    )
    assert model.index(row, 0).data(Role.PROGRESS) is None
    assert model.index(row, 0).data(Role.PROGRESS_MESSAGE) == ""

    # Then the run's last report arrives: the finished row does not take it. (The other row's
    # progress, emitted after it, is the sign that it was delivered: events arrive in order.)
    services.jobs.job_progress.emit(JobProgress(running.id, 1.0, "Done"))
    services.jobs.job_progress.emit(JobProgress(other.id, 0.4, "Editing"))
    other_row = model.row_of(other.id)
    qtbot.waitUntil(lambda: model.index(other_row, 0).data(Role.PROGRESS) == 0.4, timeout=WAIT_MS)
    assert model.index(row, 0).data(Role.PROGRESS) is None


class HeldReads(ThreadPoolExecutor):
    """The feed's reads, each held after it has read the store until ``release`` (while
    ``armed``): a read that saw the store before a change and is applied after it."""

    def __init__(self) -> None:
        super().__init__(max_workers=2, thread_name_prefix="held-read")
        self.armed = threading.Event()
        self.held = threading.Event()
        self.release = threading.Event()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        def read() -> Any:
            result = fn(*args, **kwargs)
            if self.armed.is_set():
                self.held.set()
                self.release.wait(WAIT_MS / 1000)
            return result

        return super().submit(read)


@pytest.fixture
def held_reads() -> Iterator[HeldReads]:
    executor = HeldReads()
    yield executor
    executor.release.set()
    executor.shutdown(wait=True)


def test_a_read_from_before_a_delete_does_not_bring_the_job_back(
    qtbot: Any, services: WorkspaceServices, make: Maker, held_reads: HeldReads
) -> None:
    seeded = make.seed(3, outputs=1)
    model = build_model(services, executor=held_reads)
    wait_first_page(qtbot, model)
    target = seeded[1]
    reads = model.feed.event_reads
    # A change to the job: the feed reads it (and sees it), but is slow to apply what it read.
    held_reads.armed.set()
    services.store.rows.save(replace(target, error="Changed here.", updated_at=utc_now()))
    qtbot.waitUntil(held_reads.held.is_set, timeout=WAIT_MS)
    # Meanwhile the job is deleted: its row goes.
    with qtbot.waitSignal(model.rowsRemoved, timeout=WAIT_MS):
        services.store.rows.delete("jobs", target.id)
    assert target.id not in ids(model)
    # The read from before the delete arrives: it must not put the deleted job back.
    held_reads.release.set()
    qtbot.waitUntil(lambda: model.feed.event_reads > reads, timeout=WAIT_MS)
    assert ids(model) == [seeded[0].id, seeded[2].id]


def test_new_jobs_respect_the_filter_and_the_loaded_range(
    qtbot: Any, services: WorkspaceServices, make: Maker
) -> None:
    make.seed(30, outputs=1, prompt="Cotton tee")
    model = build_model(services, page_size=10)
    model.set_filter(HistoryFilter(search="cotton"))
    qtbot.waitUntil(lambda: model.loaded_once and not model.is_loading, timeout=WAIT_MS)
    assert model.rowCount() == 10
    # Newer but not matching: not shown. Newer and matching: at the top.
    store = services.store
    other = Job(
        id=new_id(),
        user_id=store.user_id,
        type="canvas_edit",
        input_json={"instruction": "blur the background"},
    )
    matching = Job(
        id=new_id(),
        user_id=store.user_id,
        type="canvas_edit",
        input_json={"instruction": "Cotton collar sharpen"},
    )
    store.rows.save_many([other, matching])
    qtbot.waitUntil(lambda: model.rowCount() == 11, timeout=WAIT_MS)
    assert ids(model)[0] == matching.id and other.id not in ids(model)
    # Older than the loaded range: it comes with its page, not now.
    reads = model.feed.event_reads
    old = make.seed(1, outputs=1, prompt="Cotton vintage")[0]
    qtbot.waitUntil(lambda: model.feed.event_reads > reads, timeout=WAIT_MS)  # one read
    assert old.id not in ids(model)
    # A shown job that stops matching leaves.
    store.rows.save(replace(matching, input_json={"instruction": "sharpen the collar"}))
    qtbot.waitUntil(lambda: matching.id not in ids(model), timeout=WAIT_MS)
