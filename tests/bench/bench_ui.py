"""Suite ``ui``: the desktop app's start-up and the history feed (issue 5, "Benchmarks").

Figures, each beside an anchor measured moments apart in the same run:

- **Cold start** with a store of 10,000 jobs / 40,000 outputs: ``python -m studio_desktop
  --data-dir D --quit-after-ms N`` started offscreen; from the spawn to the first paint of the
  main window, read from the app's own log line ("main window shown and painted", stamped to the
  millisecond). Anchor: a bare PySide6 ``QMainWindow`` subprocess, spawn to first paint. Goal
  <= 1.5x; medians of several alternating runs. A second figure goes on to the feed's first page
  painted (the area logs "history feed: first page painted") against the same anchor: goal
  <= 300 ms and <= 3x the anchor (issue 14, "Content at once").
- **A screen of new images** (``ui_thumbnail_figures.py``): 24 uncached 12 MP JPEGs thumbnailed
  as the History does it, against plain Pillow in one thread (>= 4x; first tile <= 60 ms).
- **Feed over 100,000 outputs** (25,000 jobs x 4), in this process: the History area built and
  shown until its first page is painted (< 100 ms; anchor: an empty ``QListView`` of the same size
  created, shown and painted); then scrolled from top to bottom, pages fetched as it goes, with a
  5 ms timer on the GUI thread: the longest gap between two ticks is the worst stall (< 50 ms;
  anchor: the same timer's longest gap while the GUI idles); resident memory at the bottom
  (< 400 MB; anchor: the process's RSS before the feed was built).
"""

from __future__ import annotations

import asyncio
import compileall
import gc
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from studio_desktop.domain.models import format_ts, new_id
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import Store, open_local_store
from tests.bench.harness import Bench
from tests.bench.seeding import PullLikeLoader, output_rows

ROOT = Path(__file__).resolve().parents[2]
START_GOAL = 1.5
FEED_START_GOAL_MS = 300.0
FEED_START_GOAL_RATIO = 3.0
FIRST_PAGE_GOAL_MS = 100.0
STALL_GOAL_MS = 50.0
RSS_GOAL_MB = 400.0
TYPES = ("product_pack", "tryon_image", "canvas_edit", "extract_garment")
STATUSES = ("succeeded", "succeeded", "succeeded", "succeeded", "failed", "canceled")
WORDS = [
    "linen",
    "shirt",
    "wool",
    "coat",
    "silk",
    "dress",
    "denim",
    "jacket",
    "cotton",
    "tee",
    "knit",
    "sweater",
    "pleated",
    "skirt",
    "studio",
    "grey",
    "warm",
    "sand",
    "backdrop",
    "soft",
    "light",
    "catalogue",
    "front",
    "back",
    "detail",
    "navy",
    "ivory",
    "olive",
]

BARE_WINDOW = """
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.setCentralWidget(QWidget())
window.resize(1280, 820)
class Watch(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            print(f"PAINTED {time.time():.6f}", flush=True)
            QTimer.singleShot(0, app.quit)
            obj.removeEventFilter(self)
        return False
watch = Watch()
window.centralWidget().installEventFilter(watch)
window.show()
app.exec()
"""


# ---------------------------------------------------------------------------- stores
def seed_jobs(
    store: Store,
    jobs: int,
    outputs_per_job: int,
    *,
    statuses: tuple[str, ...] = STATUSES,
    seed: int = 5,
) -> None:
    """``jobs`` jobs with ``outputs_per_job`` outputs each, loaded as a sync pull would (their
    files are not on this computer: the feed shows "Not downloaded" tiles, as after a sync)."""
    rnd = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    user_id = store.user_id
    loader = PullLikeLoader(store)
    for n in range(jobs):
        created = format_ts(start + timedelta(seconds=37 * n))
        job_id = new_id()
        status = rnd.choice(statuses)
        job_type = TYPES[n % len(TYPES)]
        job = {
            "id": job_id,
            "user_id": user_id,
            "type": job_type,
            "status": status,
            "input_json": {
                ("instruction" if job_type == "canvas_edit" else "prompt"): " ".join(
                    rnd.choice(WORDS) for _ in range(9)
                ),
                "engine": "local",
            },
            "error": "The engine stopped: out of memory." if status == "failed" else None,
            "created_at": created,
            "updated_at": created,
        }
        count = outputs_per_job if status == "succeeded" else 0
        loader.add(job, output_rows(user_id, job_id, created, count))
    loader.finish()


def seed_with_outputs(store: Store, jobs: int, outputs: int) -> None:
    """Exactly ``outputs`` outputs over ``jobs`` jobs (every job succeeded)."""
    seed_jobs(store, jobs, outputs // jobs, statuses=("succeeded",))


def seed_in_child(data_dir: Path, jobs: int, outputs: int) -> None:
    """:func:`seed_with_outputs` in a child process (the local workspace of ``data_dir``)."""
    code = (
        "import sys; from pathlib import Path; "
        "from tests.bench.bench_ui import seed_with_outputs; "
        "from studio_desktop.store.locations import DataDirs; "
        "from studio_desktop.store.workspace import open_local_store; "
        "store = open_local_store(DataDirs(Path(sys.argv[1])).ensure()); "
        "seed_with_outputs(store, int(sys.argv[2]), int(sys.argv[3])); store.close()"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(data_dir), str(jobs), str(outputs)],
        env=_env(),
        cwd=ROOT,
        check=True,
        timeout=600,
    )


# ---------------------------------------------------------------------------- cold start
def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _log_time(line: str) -> float:
    """The epoch seconds of a log line's ``asctime`` (``2024-05-01 14:03:07,123``)."""
    stamp = line[:23]
    moment = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f")
    return moment.timestamp()


def start_app(data_dir: Path, quit_after_ms: int) -> tuple[float, float | None]:
    """Seconds from spawn to the main window's first paint, and to the feed's first page."""
    log = data_dir / "logs" / "studio-desktop.log"
    log.unlink(missing_ok=True)
    spawned = time.time()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "studio_desktop",
            "--data-dir",
            str(data_dir),
            "--quit-after-ms",
            str(quit_after_ms),
        ],
        env=_env(),
        cwd=ROOT,
        check=True,
        timeout=120,
        capture_output=True,
    )
    painted = feed = None
    for line in log.read_text(encoding="utf-8").splitlines():
        if painted is None and "main window shown and painted" in line:
            painted = _log_time(line) - spawned
        if feed is None and "history feed: first page painted" in line:
            feed = _log_time(line) - spawned
    if painted is None:
        raise RuntimeError(f"the app never logged its first paint (see {log})")
    return painted, feed


def start_bare_window() -> float:
    return painted_after_spawn("-c", BARE_WINDOW)


def painted_after_spawn(*args: str) -> float:
    """Seconds from spawning ``python *args`` to the ``PAINTED <time>`` line it prints."""
    spawned = time.time()
    out = subprocess.run(
        [sys.executable, *args],
        env=_env(),
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout
    stamp = next(line for line in out.splitlines() if line.startswith("PAINTED "))
    return float(stamp.split()[1]) - spawned


def bench_cold_start(bench: Bench) -> None:
    jobs, outputs = (2_500, 10_000) if bench.quick else (10_000, 40_000)
    runs = 3 if bench.quick else 7
    with tempfile.TemporaryDirectory(prefix="bench-ui-start-") as tmp:
        data_dir = Path(tmp) / "data"
        dirs = DataDirs(data_dir).ensure()
        started = time.perf_counter()
        seed_in_child(data_dir, jobs, outputs)
        store = open_local_store(dirs)
        counted = (store.rows.count("jobs"), store.rows.count("job_outputs"))
        store.close()
        print(
            f"  (seeded {counted[0]:,} jobs / {counted[1]:,} outputs in "
            f"{time.perf_counter() - started:.1f} s)",
            flush=True,
        )
        # Compiled bytecode, as an installed app has (pip compiles on install; PySide6, the
        # anchor's only import, is installed so). Where PYTHONDONTWRITEBYTECODE is set, nothing
        # else would write it and every start would compile our modules again.
        compileall.compile_dir(ROOT / "studio_desktop", quiet=1)
        start_app(data_dir, 1500)  # warm the disk cache and the first-run folders
        start_bare_window()
        app_times: list[float] = []
        feed_times: list[float] = []
        bare_times: list[float] = []
        for _ in range(runs):  # alternating, so both see the same machine load
            bare_times.append(start_bare_window())
            painted, feed = start_app(data_dir, 1500)
            app_times.append(painted)
            if feed is not None:
                feed_times.append(feed)
        bare = statistics.median(bare_times)
        app = statistics.median(app_times)
        bench.record(
            f"cold start, first paint ({jobs // 1000}k jobs)",
            app * 1000,
            "ms",
            anchor="bare PySide6 QMainWindow",
            anchor_value=bare * 1000,
            goal=f"<= {START_GOAL}x anchor",
            ok=app <= START_GOAL * bare,
        )
        if feed_times:
            feed = statistics.median(feed_times)
            bench.record(
                "cold start, feed's first page painted",
                feed * 1000,
                "ms",
                anchor="bare PySide6 QMainWindow",
                anchor_value=bare * 1000,
                goal=f"<= {FEED_START_GOAL_MS:.0f} ms, <= {FEED_START_GOAL_RATIO:g}x anchor",
                ok=feed * 1000 <= FEED_START_GOAL_MS and feed <= FEED_START_GOAL_RATIO * bare,
            )
        else:
            print("  (the app never showed the feed: no History area over the workspace)")


# ---------------------------------------------------------------------------- the feed
def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


@contextmanager
def tick_gaps(interval_ms: int = 5) -> Iterator[list[float]]:
    """A GUI-thread timer; the list receives the gaps (seconds) between its ticks."""
    from PySide6.QtCore import QTimer

    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(interval_ms)
    timer.timeout.connect(tick)
    timer.start()
    try:
        yield gaps
    finally:
        timer.stop()


async def until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the condition never came true")
        await asyncio.sleep(0.001)


def bench_feed(bench: Bench) -> None:
    import qasync
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QListView

    from studio_desktop.services.workspace import WorkspaceServices
    from studio_desktop.ui.history.area import HistoryArea
    from studio_desktop.ui.theme import ThemeMode, theme_manager

    jobs = 5_000 if bench.quick else 25_000
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)  # closing the anchor's view must not stop the loop
    theme_manager().set_mode(ThemeMode.LIGHT)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    # The app's executor: WORKER_THREADS threads (each with its own SQLite connection).
    loop.set_default_executor(ThreadPoolExecutor(int(os.environ.get("BENCH_UI_WORKERS", "4"))))

    class PaintWatch(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.painted_at: float | None = None
            self.armed = lambda: True

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and self.painted_at is None and self.armed():
                self.painted_at = time.perf_counter()
            return False

    with tempfile.TemporaryDirectory(prefix="bench-ui-feed-") as tmp:
        dirs = DataDirs(Path(tmp)).ensure()
        started = time.perf_counter()
        seed_in_child(Path(tmp), jobs, jobs * 4)  # its garbage never counts in our RSS
        store = open_local_store(dirs)
        print(
            f"  (seeded {store.rows.count('jobs'):,} jobs / "
            f"{store.rows.count('job_outputs'):,} outputs in "
            f"{time.perf_counter() - started:.1f} s)",
            flush=True,
        )
        services = WorkspaceServices.open(store, thumbnails_dir=store.dirs.thumbs)
        # As in the app (app.open_workspace): once the workspace is open, what start-up made is
        # frozen out of the collector's full passes, and so are the survivors of each later
        # one (ui/collector.py); the scroll then measures the feed's own.
        from studio_desktop.ui.collector import Collector

        gc.collect()
        collector = Collector(app)
        collector.install()

        async def scenario() -> dict[str, float]:
            figures: dict[str, float] = {}
            # Anchor: an empty list view of the same size, created, shown and painted.
            anchors = []
            for _ in range(5):
                watch = PaintWatch()
                t0 = time.perf_counter()
                empty = QListView()
                empty.resize(1280, 800)
                empty.viewport().installEventFilter(watch)
                empty.show()
                await until(lambda w=watch: w.painted_at is not None)
                anchors.append(watch.painted_at - t0)
                empty.close()
                empty.deleteLater()
                await asyncio.sleep(0.05)
            figures["empty_view"] = statistics.median(anchors)
            figures["rss_before"] = rss_mb()

            with tick_gaps() as idle_gaps:
                await asyncio.sleep(1.0)
            figures["idle_gap"] = max(idle_gaps)

            watch = PaintWatch()
            t0 = time.perf_counter()
            area = HistoryArea(services)
            assert area.model is not None
            model = area.model
            watch.armed = lambda: model.loaded_once and model.rowCount() > 0
            area.view.viewport().installEventFilter(watch)
            area.resize(1280, 800)
            area.show()
            await until(lambda: watch.painted_at is not None)
            figures["first_page"] = watch.painted_at - t0

            scrollbar = area.view.verticalScrollBar()
            step = area.view.viewport().height() * 3
            full_collections: list[float] = []
            gc_started = [0.0]

            def on_gc(phase: str, info: dict[str, int]) -> None:
                if phase == "start":
                    gc_started[0] = time.perf_counter()
                elif info["generation"] == 2:
                    full_collections.append(time.perf_counter() - gc_started[0])

            gc.callbacks.append(on_gc)
            with tick_gaps() as gaps:
                scroll_started = time.perf_counter()
                while True:
                    if scrollbar.value() >= scrollbar.maximum():
                        if not model.has_more and not model.is_loading:
                            break
                        await asyncio.sleep(0.005)  # the next page is on its way
                        continue
                    scrollbar.setValue(min(scrollbar.maximum(), scrollbar.value() + step))
                    await asyncio.sleep(0.010)
                figures["scroll_seconds"] = time.perf_counter() - scroll_started
            gc.callbacks.remove(on_gc)
            figures["full_gcs"] = len(full_collections)
            figures["worst_full_gc"] = max(full_collections, default=0.0)
            figures["tracked"] = len(gc.get_objects())
            figures["frozen"] = gc.get_freeze_count()
            # What the app defers to when the window is left (a deep collection of everything,
            # frozen objects included): not a stall anyone sees, but its cost is shown.
            deep_started = time.perf_counter()
            collector.deep_collect(force=True)
            figures["deep_gc"] = time.perf_counter() - deep_started
            figures["max_gap"] = max(gaps)
            figures["p99_gap"] = sorted(gaps)[int(len(gaps) * 0.99)]
            figures["rows"] = model.rowCount()
            figures["outputs"] = sum(
                len(model.feed_row(r).outputs) for r in range(model.rowCount())
            )
            figures["rss_after"] = rss_mb()
            area.close()
            model.close()
            if area.loader is not None:
                area.loader.close()
            await services.aclose()
            return figures

        with loop:
            figures = loop.run_until_complete(scenario())

    print(
        f"  (scrolled {int(figures['rows']):,} jobs / {int(figures['outputs']):,} outputs in "
        f"{figures['scroll_seconds']:.1f} s; p99 tick gap {figures['p99_gap'] * 1000:.1f} ms; "
        f"{int(figures['full_gcs'])} full garbage collections, the longest "
        f"{figures['worst_full_gc'] * 1000:.0f} ms, "
        f"{int(figures['tracked']):,} objects tracked, {int(figures['frozen']):,} frozen; a deep "
        f"collection at the bottom, as when the window is left: "
        f"{figures['deep_gc'] * 1000:.0f} ms)",
        flush=True,
    )
    bench.record(
        "feed: first page painted",
        figures["first_page"] * 1000,
        "ms",
        anchor="empty QListView shown+painted",
        anchor_value=figures["empty_view"] * 1000,
        goal=f"< {FIRST_PAGE_GOAL_MS:.0f} ms",
        ok=figures["first_page"] * 1000 < FIRST_PAGE_GOAL_MS,
    )
    bench.record(
        "feed: worst GUI stall, scroll to bottom",
        figures["max_gap"] * 1000,
        "ms",
        anchor="same 5 ms timer, GUI idle",
        anchor_value=figures["idle_gap"] * 1000,
        goal=f"< {STALL_GOAL_MS:.0f} ms",
        ok=figures["max_gap"] * 1000 < STALL_GOAL_MS,
    )
    bench.record(
        f"feed: RSS at bottom ({int(figures['outputs']) // 1000}k outputs)",
        figures["rss_after"],
        "MB",
        anchor="RSS before the feed was built",
        anchor_value=figures["rss_before"],
        goal=f"< {RSS_GOAL_MB:.0f} MB",
        ok=figures["rss_after"] < RSS_GOAL_MB,
    )


def bench_screen_of_new_images(bench: Bench) -> None:
    from tests.bench.ui_thumbnail_figures import bench_screen_of_new_images as figure

    figure(bench)


FIGURES: list[Callable[[Bench], None]] = [
    bench_cold_start,
    bench_screen_of_new_images,
    bench_feed,
]


def run(bench: Bench) -> None:
    for figure in FIGURES:
        figure(bench)
