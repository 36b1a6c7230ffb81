"""The History screen's Qt-free model (``HistoryFeed``) over a real SQLite store and the real
job service, without a display: pages, filters and search, jobs that arrive from elsewhere
placed where they belong, changes of a shown row, deletions, progress, and what it says
(its events) while doing so."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from studio_desktop.domain.enums import JobStatus, JobType
from studio_desktop.domain.models import Job, JobOutput, new_id, utc_now
from studio_desktop.engine.base import JobProgress
from studio_desktop.engine.inputs import CanvasEditInput, ImageInput, JobRequest
from studio_desktop.services.common import output_ref
from studio_desktop.services.history import HistoryFilter
from studio_desktop.services.history_feed import Aspect, HistoryFeed, RowsChanged, RowSpan
from studio_desktop.store.workspace import Store
from tests.gates import Gate
from tests.services.conftest import World, png_bytes, run, studio_scene

WAIT_S = 15.0
T0 = datetime(2024, 5, 2, 9, 0, tzinfo=UTC)


# ---------------------------------------------------------------------------- helpers
def job_row(
    store: Store,
    minutes_ago: float,
    prompt: str = "Linen shirt on a sand backdrop",
    *,
    job_type: str = JobType.PRODUCT_PACK,
    status: str = JobStatus.SUCCEEDED,
    key: str = "prompt",
    extra: dict[str, Any] | None = None,
) -> Job:
    created = T0 - timedelta(minutes=minutes_ago)
    return Job(
        id=new_id(),
        user_id=store.user_id,
        type=job_type,
        status=status,
        input_json={key: prompt, "engine": "local", **(extra or {})},
        created_at=created,
        updated_at=created,
    )


def output_row(store: Store, job: Job, n: int = 0) -> JobOutput:
    output_id = new_id()
    return JobOutput(
        id=output_id,
        job_id=job.id,
        kind="image",
        angle=("front", "back", "side")[n % 3],
        mime_type="image/png",
        storage_path=f"{store.user_id}/jobs/{job.id}/{output_id}.png",
        width=800,
        height=1000,
        created_at=job.created_at,
    )


def seed(store: Store, count: int, *, outputs: int = 1, start: float = 0, **kw: Any) -> list[Job]:
    """``count`` jobs one minute apart (newest first), each with ``outputs`` outputs; their
    files are not on this computer, as after a sync pull."""
    jobs: list[Job] = []
    prompt = kw.pop("prompt", "Linen shirt on a sand backdrop")
    rows: list[Any] = []
    for n in range(count):
        job = job_row(store, start + n, f"{prompt} {n}", **kw)
        jobs.append(job)
        rows.append(job)
        rows += [output_row(store, job, k) for k in range(outputs)]
    store.rows.save_many(rows)
    return jobs


def arrive(store: Store, *jobs: Job, outputs: int = 1) -> None:
    """Jobs as a sync pull stores them: one transaction, origin "remote"."""
    with store.transaction():
        store.rows.apply_remote_rows("jobs", [j.to_row() for j in jobs])
        store.rows.apply_remote_rows(
            "job_outputs", [output_row(store, j, k).to_row() for j in jobs for k in range(outputs)]
        )


async def until(condition: Callable[[], bool], timeout: float = WAIT_S) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the condition never came true")
        await asyncio.sleep(0.002)


class Heard:
    """Every event the feed emitted, in order, with the thread it was emitted on."""

    NAMES = (
        "resetting",
        "reset",
        "rows_inserting",
        "rows_inserted",
        "rows_removing",
        "rows_removed",
        "rows_changed",
        "outputs_left",
        "page_loaded",
        "loading_changed",
        "profiles_changed",
        "load_failed",
        "crashed",
    )

    def __init__(self, feed: HistoryFeed) -> None:
        self.feed = feed
        self.events: list[tuple[str, Any]] = []
        self.threads: set[int] = set()
        self.sizes: list[tuple[str, int]] = []  # the feed's length when each event came
        for name in self.NAMES:
            getattr(feed, name).connect(lambda value, name=name: self._heard(name, value))

    def _heard(self, name: str, value: Any) -> None:
        self.events.append((name, value))
        self.sizes.append((name, len(self.feed)))
        self.threads.add(threading.get_ident())

    def of(self, *names: str) -> list[tuple[str, Any]]:
        return [e for e in self.events if e[0] in names]

    def clear(self) -> None:
        self.events.clear()
        self.sizes.clear()


def check(feed: HistoryFeed) -> None:
    """The feed's own bookkeeping agrees with its rows: newest first, every index right."""
    keys = [feed.row(r).key for r in range(len(feed))]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == len(keys)
    for r in range(len(feed)):
        row = feed.row(r)
        assert feed.row_of(row.job_id) == r
        for output_id in row.output_ids:
            assert feed.row_of_output(output_id) == r


async def opened(w: World, filters: HistoryFilter | None = None, **kw: Any) -> HistoryFeed:
    feed = w.history.open_feed(**kw)
    feed.set_filter(filters or HistoryFilter())
    # (Every read of the opening done, the profiles' too: on a busy machine that one could
    # still run when a test armed its held reads, and be the read held instead of the next.)
    await until(lambda: feed.loaded_once and not feed.is_loading and not feed._tasks)
    return feed


# ---------------------------------------------------------------------------- pages
def test_pages_are_read_lazily_newest_first_and_said_as_inserts(store: Store) -> None:
    jobs = seed(store, 50, outputs=2)

    async def scenario(w: World) -> None:
        feed = w.history.open_feed(page_size=20)
        heard = Heard(feed)
        assert len(feed) == 0 and not feed.can_fetch_more and not feed.loaded_once
        feed.reload()
        assert feed.is_loading
        await until(lambda: feed.loaded_once and not feed.is_loading)
        assert feed.job_ids() == [j.id for j in jobs[:20]]
        assert heard.of("resetting", "reset", "page_loaded") == [
            ("resetting", None),
            ("reset", None),
            ("page_loaded", True),
        ]
        # The -ing event comes before the change, the -ed one after it.
        assert ("resetting", 0) in heard.sizes and ("reset", 20) in heard.sizes
        assert feed.can_fetch_more and feed.has_more
        heard.clear()
        feed.fetch_more()
        assert not feed.can_fetch_more, "one page at a time"
        feed.fetch_more()  # ignored while that page is read
        await until(lambda: not feed.is_loading)
        assert heard.of("rows_inserting", "rows_inserted") == [
            ("rows_inserting", RowSpan(20, 39)),
            ("rows_inserted", RowSpan(20, 39)),
        ]
        assert heard.sizes[heard.events.index(("rows_inserting", RowSpan(20, 39)))][1] == 20
        feed.fetch_more()
        await until(lambda: not feed.is_loading and not feed.has_more)
        assert feed.job_ids() == [j.id for j in jobs]
        assert not feed.can_fetch_more
        first = feed.row(0)
        assert len(first.outputs) == 2 and first.outputs[0].job_id == jobs[0].id
        assert first.job.input_json["prompt"] == "Linen shirt on a sand backdrop 0"
        check(feed)
        assert not heard.of("crashed", "load_failed")
        assert heard.threads == {threading.get_ident()}
        feed.close()

    run(store, scenario)


def test_an_empty_workspace_has_one_empty_page(store: Store) -> None:
    async def scenario(w: World) -> None:
        feed = await opened(w)
        assert len(feed) == 0 and not feed.has_more and not feed.can_fetch_more
        assert not feed.filters.is_filtered
        feed.close()

    run(store, scenario)


# ---------------------------------------------------------------------------- filters
def test_filters_and_search_are_the_stores_query(store: Store) -> None:
    red = seed(store, 5, prompt="Red silk dress")
    cutouts = seed(store, 4, start=10, job_type=JobType.EXTRACT_GARMENT, prompt="Blue denim jacket")
    failed = seed(store, 2, start=20, status=JobStatus.FAILED, prompt="Été collection")
    profiled = seed(store, 2, start=30, extra={"profileId": "p-anna"}, prompt="Wool coat")
    legacy = seed(store, 1, start=40, extra={"profile_id": "p-anna"}, prompt="Wool coat")
    instruction = seed(
        store,
        1,
        start=50,
        job_type=JobType.CANVAS_EDIT,
        key="instruction",
        prompt="make the Dress navy",
    )

    async def scenario(w: World) -> dict[str, list[str]]:
        feed = await opened(w, page_size=4)
        heard = Heard(feed)
        found: dict[str, list[str]] = {}
        cases = {
            "cutouts": HistoryFilter(types=(JobType.EXTRACT_GARMENT,)),
            "failed": HistoryFilter(statuses=(JobStatus.FAILED,)),
            "two types": HistoryFilter(types=(JobType.EXTRACT_GARMENT, JobType.CANVAS_EDIT)),
            "profile": HistoryFilter(profile_id="p-anna"),
            "prefixes": HistoryFilter(search="  sil DRES "),
            "accents": HistoryFilter(search="ete"),
            "instruction": HistoryFilter(search="dress"),
            "search and type": HistoryFilter(search="dress", types=(JobType.CANVAS_EDIT,)),
            "nothing": HistoryFilter(search="velvet"),
            "syntax": HistoryFilter(search='AND OR "NEAR( *'),
            "punctuation only": HistoryFilter(search=" ... "),
            "unknown profile": HistoryFilter(profile_id="nobody"),
            "a newer server's type": HistoryFilter(types=("video_clip",)),
        }
        for name, filters in cases.items():
            heard.clear()
            feed.set_filter(filters)
            await until(lambda: not feed.is_loading)
            while feed.has_more:
                feed.fetch_more()
                await until(lambda: not feed.is_loading)
            assert heard.of("resetting") == [("resetting", None)], name  # one swap per change
            found[name] = feed.job_ids()
            check(feed)
        feed.set_filter(HistoryFilter(types=("video_clip",)))  # the same again: nothing is read
        assert not feed.is_loading
        feed.close()
        return found

    found = run(store, scenario)
    ids = lambda jobs: [j.id for j in jobs]  # noqa: E731
    assert found["cutouts"] == ids(cutouts)
    assert found["failed"] == ids(failed)
    assert found["two types"] == ids(cutouts) + ids(instruction)
    assert found["profile"] == ids(profiled) + ids(legacy)  # "profileId" and older "profile_id"
    assert found["prefixes"] == ids(red)
    assert found["accents"] == ids(failed)
    assert found["instruction"] == ids(red) + ids(instruction)
    assert found["search and type"] == ids(instruction)
    assert found["nothing"] == [] and found["syntax"] == [] and found["unknown profile"] == []
    assert found["a newer server's type"] == []
    assert len(found["punctuation only"]) == 15  # no words: no search
    assert HistoryFilter(search=" ... ").is_filtered and not HistoryFilter(search="  ").is_filtered


def test_a_new_filter_supersedes_the_one_being_read(store: Store) -> None:
    seed(store, 6, prompt="Red silk dress")
    cutouts = seed(store, 3, start=10, job_type=JobType.EXTRACT_GARMENT)

    async def scenario(w: World) -> None:
        feed = await opened(w)
        heard = Heard(feed)
        feed.set_filter(HistoryFilter(search="silk"))
        feed.set_filter(HistoryFilter(types=(JobType.EXTRACT_GARMENT,)))  # before the first lands
        await until(lambda: not feed.is_loading)
        await asyncio.sleep(0.05)  # the first read has come back by now, and was dropped
        assert feed.job_ids() == [j.id for j in cutouts]
        assert len(heard.of("reset")) == 1
        feed.close()

    run(store, scenario)


# ---------------------------------------------------------------------------- live updates
def test_jobs_from_elsewhere_are_placed_by_the_query_where_they_belong(store: Store) -> None:
    jobs = seed(store, 40, outputs=1)

    async def scenario(w: World) -> None:
        feed = await opened(w)
        heard = Heard(feed)
        newest = job_row(store, -60, "From the studio desktop")
        middle = replace(
            job_row(store, 0, "From the web app"),
            created_at=jobs[5].created_at + timedelta(seconds=30),
        )
        arrive(store, newest, middle)
        await until(lambda: len(feed) == 42)
        ids = feed.job_ids()
        assert ids[0] == newest.id
        assert ids.index(middle.id) == ids.index(jobs[5].id) - 1  # just above the older job
        # Two places, said bottom up (so the first span is still right when the second comes),
        # each before and after the change; never a reset.
        assert heard.of("rows_inserting", "rows_inserted") == [
            ("rows_inserting", RowSpan(5, 5)),
            ("rows_inserted", RowSpan(5, 5)),
            ("rows_inserting", RowSpan(0, 0)),
            ("rows_inserted", RowSpan(0, 0)),
        ]
        assert not heard.of("resetting", "rows_removing")
        assert len(feed.row(0).outputs) == 1
        # A burst newer than everything is one insertion at the top.
        heard.clear()
        burst = [job_row(store, -120 - n, f"burst {n}") for n in range(5)]
        arrive(store, *burst)
        await until(lambda: len(feed) == 47)
        assert heard.of("rows_inserted") == [("rows_inserted", RowSpan(0, 4))]
        assert feed.job_ids()[:5] == [j.id for j in reversed(burst)]
        check(feed)
        feed.close()

    run(store, scenario)


def test_new_jobs_respect_the_filter_and_the_pages_read(store: Store) -> None:
    seed(store, 30, outputs=1, prompt="Cotton tee")

    async def scenario(w: World) -> None:
        feed = await opened(w, HistoryFilter(search="cotton"), page_size=10)
        assert len(feed) == 10
        other = job_row(store, -5, "blur the background", job_type="canvas_edit", key="instruction")
        matching = job_row(
            store, -5, "Cotton collar sharpen", job_type="canvas_edit", key="instruction"
        )
        store.rows.save_many([other, matching])
        await until(lambda: len(feed) == 11)
        assert feed.job_ids()[0] == matching.id and other.id not in feed.job_ids()
        # Older than the pages read: it comes with its page, not now.
        reads = feed.event_reads
        old = job_row(store, 25.5, "Cotton vintage")
        store.rows.save_many([old, output_row(store, old)])
        await until(lambda: feed.event_reads > reads)
        assert old.id not in feed.job_ids()
        while feed.has_more:
            feed.fetch_more()
            await until(lambda: not feed.is_loading)
        ids = feed.job_ids()
        assert old.id in ids and len(ids) == 32
        check(feed)
        # A shown job that stops matching leaves; one that starts matching comes in.
        store.rows.save(replace(matching, input_json={"instruction": "sharpen the collar"}))
        store.rows.save(replace(other, input_json={"instruction": "a cotton background"}))
        await until(lambda: matching.id not in feed.job_ids() and other.id in feed.job_ids())
        assert feed.job_ids()[0] == other.id
        check(feed)
        feed.close()

    run(store, scenario)


def test_a_shown_row_that_changes_is_said_for_that_row_only(store: Store) -> None:
    jobs = seed(store, 6, outputs=1)

    async def scenario(w: World) -> None:
        feed = await opened(w)
        heard = Heard(feed)
        target = jobs[2]
        store.rows.save(
            replace(
                target, status=JobStatus.FAILED, error="The server said no.", updated_at=utc_now()
            )
        )
        await until(lambda: feed.row(2).job.error == "The server said no.")
        assert heard.of("rows_changed") == [("rows_changed", RowsChanged(2, 2, Aspect.JOB))]
        # An output added to it, then one taken away.
        added = output_row(store, target, 1)
        store.rows.save(added)
        await until(lambda: len(feed.row(2).outputs) == 2)
        assert feed.row_of_output(added.id) == 2
        heard.clear()
        store.rows.delete("job_outputs", added.id)
        await until(lambda: len(feed.row(2).outputs) == 1)
        assert heard.of("rows_changed", "outputs_left") == [
            ("rows_changed", RowsChanged(2, 2, Aspect.JOB)),
            ("outputs_left", (added.id,)),
        ]
        assert feed.row_of_output(added.id) == -1
        assert not heard.of("resetting", "rows_removing", "rows_inserting")
        check(feed)
        feed.close()

    run(store, scenario)


def test_the_outputs_a_downloaded_file_belongs_to(store: Store) -> None:
    jobs = seed(store, 5, outputs=3)

    async def scenario(w: World) -> None:
        feed = await opened(w)
        target = feed.row(3).outputs[1]
        ref = output_ref(target)
        assert ref is not None
        assert feed.outputs_stored_at(ref.bucket, ref.path) == [target.id]
        assert feed.outputs_stored_at("another-bucket", ref.path) == []
        assert feed.outputs_stored_at(ref.bucket, f"{store.user_id}/jobs/none.png") == []
        assert feed.row_of_output(target.id) == feed.row_of(jobs[3].id) == 3
        feed.close()

    run(store, scenario)


def test_deleted_jobs_leave_in_runs_from_the_bottom_up(store: Store) -> None:
    jobs = [job_row(store, n, f"pulled {n}") for n in range(8)]
    arrive(store, *jobs, outputs=2)

    async def scenario(w: World) -> None:
        feed = await opened(w)
        heard = Heard(feed)
        gone = [jobs[1], jobs[2], jobs[5]]
        outputs = [o for j in gone for o in feed.row(feed.row_of(j.id)).output_ids]
        store.rows.apply_remote_deletes("jobs", [j.id for j in gone])  # a pull: one change
        await until(lambda: len(feed) == 5)
        assert heard.of("rows_removing", "rows_removed") == [
            ("rows_removing", RowSpan(5, 5)),
            ("rows_removed", RowSpan(5, 5)),
            ("rows_removing", RowSpan(1, 2)),
            ("rows_removed", RowSpan(1, 2)),
        ]
        assert sorted(o for _n, left in heard.of("outputs_left") for o in left) == sorted(outputs)
        assert feed.job_ids() == [j.id for j in jobs if j not in gone]
        check(feed)
        # Deleted through the service (the designer's Delete): the same.
        await w.history.delete_jobs([jobs[0].id])
        await until(lambda: jobs[0].id not in feed.job_ids())
        check(feed)
        feed.close()

    run(store, scenario)


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
                self.release.wait(WAIT_S)
            return result

        return super().submit(read)


@pytest.fixture
def held_reads() -> Iterator[HeldReads]:
    executor = HeldReads()
    yield executor
    executor.release.set()
    executor.shutdown(wait=True)


def test_a_read_from_before_a_delete_does_not_bring_the_job_back(
    store: Store, held_reads: HeldReads
) -> None:
    jobs = seed(store, 3, outputs=1)

    async def scenario(w: World) -> None:
        feed = await opened(w, executor=held_reads)
        target = jobs[1]
        reads = feed.event_reads
        held_reads.armed.set()  # the feed reads the change, and is slow to apply what it read
        store.rows.save(replace(target, error="Changed here.", updated_at=utc_now()))
        await until(held_reads.held.is_set)
        store.rows.delete("jobs", target.id)  # meanwhile the job is deleted: its row goes
        await until(lambda: target.id not in feed.job_ids())
        held_reads.release.set()  # the read from before the delete arrives
        await until(lambda: feed.event_reads > reads)
        assert feed.job_ids() == [jobs[0].id, jobs[2].id]
        feed.close()

    run(store, scenario)


def test_changes_during_a_page_read_are_read_after_it(store: Store, held_reads: HeldReads) -> None:
    """Reads are made one at a time: a change that comes while a page is read waits for it,
    so it is judged against the pages as they are once that page is in."""
    jobs = seed(store, 30, outputs=1)

    async def scenario(w: World) -> None:
        feed = await opened(w, page_size=10, executor=held_reads)
        held_reads.armed.set()
        feed.fetch_more()
        await until(held_reads.held.is_set)
        held_reads.armed.clear()
        # A job of the page being read changes meanwhile.
        target = jobs[14]
        store.rows.save(replace(target, error="Renamed meanwhile.", updated_at=utc_now()))
        await asyncio.sleep(0.05)
        assert feed.event_reads == 0, "no read of changes while a page is read"
        held_reads.release.set()
        await until(lambda: feed.event_reads == 1 and not feed.is_loading)
        assert len(feed) == 20 and feed.row(14).job.error == "Renamed meanwhile."
        check(feed)
        feed.close()

    run(store, scenario)


def test_a_job_submitted_here_shows_at_once_and_its_progress(store: Store) -> None:
    seed(store, 3, outputs=1)
    gate = Gate("edit")  # holds the edit mid-way, running, until released

    async def scenario(w: World) -> None:
        feed = await opened(w)
        heard = Heard(feed)
        source = ImageInput.from_bytes(png_bytes(studio_scene()), "image")
        job = await w.jobs.submit(JobRequest(CanvasEditInput(source, "make it grayscale")))
        await until(lambda: feed.row_of(job.id) == 0)
        await until(gate.reached.is_set)
        await until(lambda: feed.row(0).status == JobStatus.RUNNING)
        w.jobs.job_progress.emit(JobProgress(job.id, 0.5, "Halfway"))
        await until(lambda: feed.progress(job.id) == (0.5, "Halfway"))
        assert ("rows_changed", RowsChanged(0, 0, Aspect.PROGRESS)) in heard.events
        gate.release.set()
        outcome = await w.jobs.wait(job.id)
        assert outcome.succeeded, outcome.job.error
        await until(
            lambda: feed.row(0).status == JobStatus.SUCCEEDED and feed.row(0).output_count == 1
        )
        assert feed.progress(job.id) == (None, "")
        assert len(feed) == 4 and not heard.of("resetting", "crashed")
        feed.close()

    try:
        run(store, scenario, step_hook=gate)
    finally:
        gate.release.set()


def test_a_finished_job_shows_no_progress_whichever_news_comes_first(store: Store) -> None:
    """When a job ends, the store's change and the job service's last progress race. Whichever
    arrives first, a row whose job has ended shows no progress, and a progress report arriving
    after that is not shown on it."""
    running, other = seed(store, 2, outputs=1, status=JobStatus.RUNNING)

    async def scenario(w: World) -> None:
        feed = await opened(w)
        w.jobs.job_progress.emit(JobProgress(running.id, 0.85, "Saving the new version"))
        await until(lambda: feed.progress(running.id)[0] == 0.85)
        store.rows.save(replace(running, status=JobStatus.SUCCEEDED, updated_at=utc_now()))
        await until(lambda: feed.row(0).status == JobStatus.SUCCEEDED)
        assert feed.progress(running.id) == (None, "")
        w.jobs.job_progress.emit(JobProgress(running.id, 1.0, "Done"))
        w.jobs.job_progress.emit(JobProgress(other.id, 0.4, "Editing"))  # delivered in order
        await until(lambda: feed.progress(other.id)[0] == 0.4)
        assert feed.progress(running.id) == (None, "")
        feed.close()

    run(store, scenario)


def test_changes_from_other_threads_are_applied_on_the_loop(store: Store) -> None:
    jobs = seed(store, 4, outputs=1, status=JobStatus.RUNNING)

    async def scenario(w: World) -> None:
        feed = await opened(w)
        heard = Heard(feed)
        newest = job_row(store, -10, "From a sync thread")
        await asyncio.to_thread(arrive, store, newest)
        await asyncio.to_thread(store.rows.delete, "jobs", jobs[3].id)
        await asyncio.to_thread(
            w.jobs.job_progress.emit, JobProgress(jobs[0].id, 0.3, "From an engine thread")
        )
        await until(
            lambda: (
                feed.job_ids()[0] == newest.id
                and jobs[3].id not in feed.job_ids()
                and feed.progress(jobs[0].id)[0] == 0.3
            )
        )
        assert heard.threads == {threading.get_ident()}
        feed.close()

    run(store, scenario)


def test_profile_names_follow_the_store(store: Store) -> None:
    async def scenario(w: World) -> None:
        profile = await w.profiles.create(name="Anna", gender="female", background="#e9e4dc")
        seed(store, 2, extra={"profileId": profile.id})
        feed = await opened(w)
        await until(lambda: feed.profile_names == {profile.id: "Anna"})
        assert feed.profile_name(feed.row(0).job) == "Anna"
        heard = Heard(feed)
        await w.profiles.update(profile.id, name="Anna B")
        await until(lambda: feed.profile_name(feed.row(0).job) == "Anna B")
        assert ("rows_changed", RowsChanged(0, 1, Aspect.PROFILE)) in heard.events
        feed.close()

    run(store, scenario)


# ---------------------------------------------------------------- search: the row's words
def test_search_finds_a_job_type_and_a_profile_name(store: Store) -> None:
    """What a designer types is what the rows show: "pack" finds product packs, "try-on" the
    try-ons, "Mia" the jobs made for Mia, "pack mia" both at once."""

    async def scenario(w: World) -> dict[str, list[str]]:
        mia = await w.profiles.create(name="Mia", gender="female", background="#e9e4dc")
        ana = await w.profiles.create(name="Ana Löw", gender="female", background="#e9e4dc")
        jobs = {
            "mia packs": seed(store, 3, extra={"profileId": mia.id}, prompt="Linen shirt"),
            "ana packs": seed(store, 2, start=10, extra={"profileId": ana.id}, prompt="Wool"),
            "mia tryons": seed(
                store, 2, start=20, job_type=JobType.TRYON_IMAGE, extra={"profileId": mia.id}
            ),
            "cutouts": seed(store, 2, start=30, job_type=JobType.EXTRACT_GARMENT),
            "edits": seed(
                store, 2, start=40, job_type=JobType.CANVAS_EDIT, key="instruction", prompt="Sky"
            ),
        }
        feed = await opened(w, page_size=3)
        found: dict[str, list[str]] = {}
        for query in ("pack", "try-on", "tryon", "Cutout", "edit", "mia", "low", "pack mia"):
            feed.set_filter(HistoryFilter(search=query))
            await until(lambda: not feed.is_loading)
            while feed.has_more:
                feed.fetch_more()
                await until(lambda: not feed.is_loading)
            found[query] = feed.job_ids()
            check(feed)
        feed.close()
        found.update({f"={k}": [j.id for j in v] for k, v in jobs.items()})
        return found

    found = run(store, scenario)
    assert found["pack"] == found["=mia packs"] + found["=ana packs"]
    assert found["try-on"] == found["tryon"] == found["=mia tryons"]
    assert found["Cutout"] == found["=cutouts"]
    assert found["edit"] == found["=edits"]
    assert found["mia"] == found["=mia packs"] + found["=mia tryons"]
    assert found["low"] == found["=ana packs"]  # "Löw", accents ignored
    assert found["pack mia"] == found["=mia packs"]


def test_a_profile_renamed_while_searching_moves_its_jobs_in_and_out(store: Store) -> None:
    """The search is on "mia": renaming Mia takes her jobs out, naming another profile Mia
    brings its jobs in where they belong (within the pages read), deleting it takes them out;
    each by the store's query, as a sync pull or another window would change it."""

    async def scenario(w: World) -> None:
        mia = await w.profiles.create(name="Mia", gender="female", background="#e9e4dc")
        ana = await w.profiles.create(name="Ana", gender="female", background="#e9e4dc")
        mine = seed(store, 3, extra={"profileId": mia.id}, prompt="Linen")
        hers = seed(store, 2, start=0.5, extra={"profileId": ana.id}, prompt="Wool")
        older = seed(store, 4, start=100, extra={"profileId": ana.id}, prompt="Old")
        feed = await opened(w, HistoryFilter(search="mia"), page_size=5)
        assert feed.job_ids() == [j.id for j in mine] and not feed.has_more
        heard = Heard(feed)

        await w.profiles.update(mia.id, name="Paloma")
        await until(lambda: len(feed) == 0)
        assert heard.of("rows_removing")
        assert not heard.of("resetting"), "a rename re-checks rows, it does not reload"

        await w.profiles.update(ana.id, name="Mia Ana")
        expected = sorted([*hers, *older], key=lambda j: (j.created_at, j.id), reverse=True)
        await until(lambda: feed.job_ids() == [j.id for j in expected])
        check(feed)
        assert feed.profile_name(feed.row(0).job) == "Mia Ana"

        await w.profiles.update(mia.id, name="Mia")  # back: both profiles' jobs
        everything = sorted(
            [*mine, *hers, *older], key=lambda j: (j.created_at, j.id), reverse=True
        )
        await until(lambda: feed.job_ids() == [j.id for j in everything])
        check(feed)

        await w.profiles.delete(ana.id)
        await until(lambda: feed.job_ids() == [j.id for j in mine])
        assert not heard.of("crashed", "load_failed", "resetting")
        feed.close()

    run(store, scenario)


def test_a_rename_reads_only_the_pages_already_read(store: Store) -> None:
    """Matches older than the last page read are left for their page, as for any change."""

    async def scenario(w: World) -> None:
        ana = await w.profiles.create(name="Ana", gender="female", background="#e9e4dc")
        seed(store, 6, extra={"profileId": ana.id}, prompt="Wool")
        marker = seed(store, 4, start=3.5, prompt="Mia mood board")
        feed = await opened(w, HistoryFilter(search="mia"), page_size=2)
        assert feed.job_ids() == [j.id for j in marker[:2]] and feed.has_more
        reads = feed.event_reads
        await w.profiles.update(ana.id, name="Mia")
        await until(lambda: feed.event_reads > reads)
        # The page read ends at the marker 4.5 minutes old: Ana's jobs 0-4 minutes old come
        # in; the one 5 minutes old waits for its page.
        assert len(feed) == 7
        while feed.has_more:
            feed.fetch_more()
            await until(lambda: not feed.is_loading)
        assert len(feed) == 10
        check(feed)
        feed.close()

    run(store, scenario)


def test_a_closed_feed_hears_nothing_and_reads_nothing(store: Store) -> None:
    seed(store, 3)

    async def scenario(w: World) -> None:
        listeners = (
            len(store.rows.rows_changed),
            len(w.jobs.job_changed),
            len(w.jobs.job_progress),
        )
        feed = await opened(w)
        assert len(store.rows.rows_changed) == listeners[0] + 1
        heard = Heard(feed)
        feed.close()
        assert listeners == (
            len(store.rows.rows_changed),
            len(w.jobs.job_changed),
            len(w.jobs.job_progress),
        )
        arrive(store, job_row(store, -5, "after the screen closed"))
        store.rows.delete("jobs", feed.job_ids()[1])
        feed.reload()
        feed.fetch_more()
        await asyncio.sleep(0.05)
        assert heard.events == []
        assert len(feed) == 3

    run(store, scenario)


def test_a_read_that_fails_is_said_and_the_feed_goes_on(store: Store) -> None:
    seed(store, 3)

    async def scenario(w: World) -> None:
        feed = await opened(w)
        heard = Heard(feed)
        store.close()  # as when the disk goes away under a running app
        feed.set_filter(HistoryFilter(search="linen"))
        await until(lambda: not feed.is_loading)
        assert heard.of("crashed") or heard.of("load_failed")
        assert ("loading_changed", False) in heard.events
        assert len(feed) == 3  # what was shown stays
        feed.close()

    run(store, scenario)
