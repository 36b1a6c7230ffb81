"""The History's early page in the real area (pytest-qt, real SQLite store, real services):
shown before the workspace is open, then taken over by the workspace's feed with its
selection and scroll, no reset and no second read of the page, the tiles filled in when the
loader comes; what was asked of it meanwhile (open a job, a filter) is done then; an early page
of another workspace is replaced. Screenshots of both frames."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from studio_desktop.domain.enums import JobStatus, JobType
from studio_desktop.services.history import HistoryFilter
from studio_desktop.services.history_early import EarlyFeed, read_early_feed
from studio_desktop.services.history_feed import HistoryFeed
from studio_desktop.services.tile_state import ThumbState
from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import Store, open_account_store
from studio_desktop.ui.history.area import HistoryArea
from studio_desktop.ui.history.roles import Role
from tests.services.test_history_feed import seed

WAIT_MS = 20_000
PROJECT = "http://127.0.0.1:9"


class Workspace:
    """An account workspace folder: seeded and closed, then opened for the services."""

    def __init__(self, root: Path) -> None:
        self.dirs = DataDirs(root).ensure()
        self.user_id = str(uuid.uuid4())
        self.store: Store | None = None
        self.services: WorkspaceServices | None = None

    def open(self) -> Store:
        return open_account_store(self.dirs, PROJECT, self.user_id)

    def seed(self, jobs: int) -> list[Any]:
        store = self.open()
        made = seed(store, jobs // 2, outputs=3, prompt="Linen shirt on a sand backdrop")
        made += seed(
            store,
            jobs - jobs // 2,
            outputs=0,
            start=jobs // 2,
            status=JobStatus.FAILED,
            job_type=JobType.CANVAS_EDIT,
            key="instruction",
            prompt="Make the sleeves shorter",
        )
        store.close()
        return made

    def early(self) -> EarlyFeed:
        early = read_early_feed(self.dirs.workspace(self.user_key).database)
        assert early is not None
        return early

    @property
    def user_key(self) -> str:
        from studio_desktop.store.locations import account_key

        return account_key(PROJECT, self.user_id)

    def open_services(self) -> WorkspaceServices:
        self.store = self.open()
        self.services = WorkspaceServices.open(self.store, thumbnails_dir=self.store.dirs.thumbs)
        return self.services


@pytest.fixture
def workspaces(tmp_path: Path, qtbot: Any) -> Iterator[list[Workspace]]:
    made: list[Workspace] = []
    yield made
    for workspace in made:
        if workspace.services is not None:
            task = asyncio.ensure_future(workspace.services.aclose())
            qtbot.waitUntil(task.done, timeout=WAIT_MS)


@pytest.fixture
def area(qtbot: Any) -> Iterator[HistoryArea]:
    widget = HistoryArea()
    qtbot.addWidget(widget)
    widget.resize(1100, 720)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    if widget.model is not None:
        widget.model.close()
    if widget.loader is not None:
        widget.loader.close()


def shown_rows(area: HistoryArea) -> list[tuple[str, str, int]]:
    assert area.model is not None
    model = area.model
    return [
        (
            model.index(r, 0).data(Role.JOB_ID),
            model.index(r, 0).data(Role.STATUS),
            len(model.index(r, 0).data(Role.OUTPUTS)),
        )
        for r in range(model.rowCount())
    ]


def show_early(qtbot: Any, area: HistoryArea, early: EarlyFeed) -> None:
    with qtbot.waitSignal(area.first_page_painted, timeout=WAIT_MS):
        area.show_early_feed(early)
    assert not area.awaiting_first_page


def test_the_early_page_is_taken_over_with_its_selection_and_scroll(
    qtbot: Any, area: HistoryArea, workspaces: list[Workspace], tmp_path: Path, screenshot: Any
) -> None:
    workspace = Workspace(tmp_path / "data")
    workspaces.append(workspace)
    made = workspace.seed(90)
    early = workspace.early()
    show_early(qtbot, area, early)
    assert area.services is None and area.loader is None
    assert not area.showing_empty_state
    assert [r[0] for r in shown_rows(area)] == [j.id for j in made][:60]
    # Its tiles show as loading until the loader comes.
    assert area.model is not None
    assert set(area.model.index(0, 0).data(Role.THUMBS)) == {None}
    opened = screenshot(area, "history_early_page")
    assert opened.exists()

    model = area.model
    view = area.view
    area.select_jobs([made[3].id, made[5].id])
    view.scrollTo(model.index(20, 0))
    qtbot.waitUntil(lambda: view.verticalScrollBar().value() > 0, timeout=WAIT_MS)
    scrolled = view.verticalScrollBar().value()
    selected = area.selected_job_ids()
    before = shown_rows(area)
    resets: list[str] = []
    model.modelAboutToBeReset.connect(lambda: resets.append("reset"))
    model.rowsAboutToBeRemoved.connect(lambda *_a: resets.append("removed"))
    model.rowsAboutToBeInserted.connect(lambda *_a: resets.append("inserted"))

    services = workspace.open_services()
    assert workspace.store is not None
    pages: list[Any] = []
    real_page = workspace.store.queries.feed_page

    def counted(*args: Any) -> Any:
        pages.append(args)
        return real_page(*args)

    workspace.store.queries.feed_page = counted  # type: ignore[method-assign]
    area.set_services(services)

    assert area.model is model, "the same model: the view was not given a new one"
    assert isinstance(model.feed, HistoryFeed) and early.closed
    assert shown_rows(area) == before
    assert area.selected_job_ids() == selected == [made[3].id, made[5].id]
    assert view.verticalScrollBar().value() == scrolled
    # The tiles are asked again from the loader: these files are not on this computer.
    view.scrollToTop()
    qtbot.waitUntil(
        lambda: (
            {
                t.state if t is not None else None
                for r in range(5)
                for t in model.index(r, 0).data(Role.THUMBS)
            }
            == {ThumbState.MISSING}
        ),
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(lambda: not model.feed._tasks, timeout=WAIT_MS)
    assert resets == [] and pages == [], "no reset, no second read of the first page"
    assert model.feed.can_fetch_more
    adopted = screenshot(area, "history_early_page_adopted")
    assert adopted.exists()


def test_what_was_asked_of_the_early_page_is_done_when_the_workspace_opens(
    qtbot: Any, area: HistoryArea, workspaces: list[Workspace], tmp_path: Path
) -> None:
    workspace = Workspace(tmp_path / "data")
    workspaces.append(workspace)
    made = workspace.seed(30)
    show_early(qtbot, area, workspace.early())
    area.select_jobs([made[1].id])
    area.open_current()  # Return on the early page: the panel needs the loader
    assert area.detail is None
    area.filter_bar.search.setText("sleeves")
    qtbot.waitUntil(
        lambda: area.model is not None and area.model.feed.wanted_filter is not None,
        timeout=WAIT_MS,
    )
    assert len(shown_rows(area)) == 30, "the early rows stay until the workspace's feed reads"

    area.set_services(workspace.open_services())
    qtbot.waitUntil(lambda: area.detail is not None and area.detail.isVisible(), timeout=WAIT_MS)
    assert area.detail is not None and area.detail.job_id == made[1].id
    assert area.model is not None and area.model.filters.search == "sleeves"
    qtbot.waitUntil(
        lambda: (
            not area.model.is_loading
            and [r[0] for r in shown_rows(area)] == [j.id for j in made[15:]]
        ),
        timeout=WAIT_MS,
    )


def test_an_early_page_of_another_workspace_is_replaced(
    qtbot: Any, area: HistoryArea, workspaces: list[Workspace], tmp_path: Path
) -> None:
    last = Workspace(tmp_path / "last")
    opened = Workspace(tmp_path / "opened")  # (the last one could not be opened, say)
    workspaces += [last, opened]
    last.seed(20)
    theirs = opened.seed(8)
    show_early(qtbot, area, last.early())
    early_model = area.model
    with qtbot.waitSignal(area.first_page_painted, timeout=WAIT_MS):
        area.set_services(opened.open_services())
    assert area.model is not early_model
    qtbot.waitUntil(lambda: len(shown_rows(area)) == 8, timeout=WAIT_MS)
    assert [r[0] for r in shown_rows(area)] == [j.id for j in theirs]
    assert area.model is not None and area.model.filters == HistoryFilter()


def test_end_pressed_on_the_early_page_goes_on_to_the_last_job(
    qtbot: Any, area: HistoryArea, workspaces: list[Workspace], tmp_path: Path
) -> None:
    workspace = Workspace(tmp_path / "data")
    workspaces.append(workspace)
    made = workspace.seed(150)
    show_early(qtbot, area, workspace.early())
    area.go_last()  # End: the early page's last row, the rest once the workspace is open
    assert area.selected_job_ids() == [made[59].id]
    area.set_services(workspace.open_services())
    qtbot.waitUntil(lambda: area.selected_job_ids() == [made[-1].id], timeout=WAIT_MS)
    assert area.model is not None and len(shown_rows(area)) == 150


def test_the_early_pages_end_scrolled_to_reads_the_next_page_once_open(
    qtbot: Any, area: HistoryArea, workspaces: list[Workspace], tmp_path: Path
) -> None:
    workspace = Workspace(tmp_path / "data")
    workspaces.append(workspace)
    made = workspace.seed(100)
    show_early(qtbot, area, workspace.early())
    area.view.scrollToBottom()
    qtbot.waitUntil(
        lambda: area.view.verticalScrollBar().value() == area.view.verticalScrollBar().maximum(),
        timeout=WAIT_MS,
    )
    area.set_services(workspace.open_services())
    qtbot.waitUntil(lambda: len(shown_rows(area)) > 60, timeout=WAIT_MS)
    assert [r[0] for r in shown_rows(area)] == [j.id for j in made][: len(shown_rows(area))]
