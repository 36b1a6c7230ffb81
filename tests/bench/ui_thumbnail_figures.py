"""Figure of suite ``ui``: a screen of new images, thumbnailed as the History does it.

24 different 12 MP JPEGs (studio product shots, quality 92) are outputs of 6 jobs in a real
store, their files in its blob cache, no thumbnail made yet. The History's
:class:`~studio_desktop.ui.history.thumbnails.ThumbnailLoader` is asked for the 24 tiles in the
order one paint of the feed asks (top row left to right, then the next rows), at the medium tile
size, and the Qt event loop runs until every tile is ready and every thumbnail is cached. Three
times are taken from the request: the **first visible tile** (the top-left one) on screen (its
pixmap made), the **whole screen** on screen (every tile's pixmap made), and the **screen
cached** (every tile's 256 px thumbnail written to the cache folder: the History writes those
after the screen, so they get a line and a ratio of their own).

Anchor, measured in the same run and interleaved with it: plain Pillow in one thread, ``open`` +
full ``load`` + ``thumbnail((256, 256))`` of the same 24 files. Each round (the anchor, then the
History's screen) uses a fresh thumbnail folder (so nothing is cached); the ratio is the median
of the rounds' own ratios, which a busy spell of the shared machine shifts less than it shifts
either median. Goals: the screen at least 4x faster than the anchor, the first tile within 60 ms;
the screen cached has no goal of its own (it is printed so that nobody mistakes the first figure
for it).

The machine is shared: the CPU time other processes used while the rounds ran is printed beside
the figures (they slow a screen made on every core more than the one-thread anchor: measured
here, a ratio of 0.29 with 0.1 core busy elsewhere became 0.4-0.6 with 1-1.6 cores busy).
"""

from __future__ import annotations

import asyncio
import io
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from studio_desktop.domain.models import JobOutput
from tests.bench.harness import Bench

SCREEN = 24
COLUMNS = 4
SPEEDUP_GOAL = 4.0
FIRST_TILE_GOAL_MS = 60.0
#: ``THUMB_WORKERS=N`` tries another thread count than the History's default.
WORKERS = int(os.environ.get("THUMB_WORKERS", "0")) or None


def _photos(count: int) -> list[bytes]:
    """``count`` different 12 MP JPEGs (a product shot with its own grain, tint and framing)."""
    from tests.bench.bench_imaging import product_photo

    base = product_photo(seed=1)
    photos = []
    for n in range(count):
        buffer = io.BytesIO()
        _variant(base, n).save(buffer, "JPEG", quality=92)
        photos.append(buffer.getvalue())
    return photos


def _variant(base: Image.Image, n: int) -> Image.Image:
    """The shot moved sideways, tinted and lightly nudged: a different file, as costly."""
    import numpy as np

    rng = np.random.default_rng(n)
    pixels = np.asarray(base, dtype=np.int16)
    shift = (n * 37) % 400
    pixels = np.roll(pixels, shift, axis=1)
    tint = np.array([(n * 13) % 21 - 10, (n * 7) % 21 - 10, (n * 5) % 21 - 10], np.int16)
    # One pixel in 64 nudged by one level: the file differs everywhere, the bit rate does not.
    nudge = (rng.random(pixels.shape[:2]) < 1 / 64).astype(np.int16)[..., None]
    return Image.fromarray(np.clip(pixels + tint + nudge, 0, 255).astype(np.uint8))


class _OtherLoad:
    """CPU time the machine spent on other processes since this was made, from ``/proc/stat``
    (Linux; None elsewhere): how noisy the shared machine was while a figure ran."""

    def __init__(self) -> None:
        self._start = (self._machine(), self._own(), time.perf_counter())

    def cores(self) -> float | None:
        machine, own, wall = self._start
        now = self._machine()
        if now is None or machine is None:
            return None
        return ((now - machine) - (self._own() - own)) / (time.perf_counter() - wall)

    @staticmethod
    def _machine() -> float | None:
        try:
            with open("/proc/stat", encoding="ascii") as fh:
                fields = [int(x) for x in fh.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        busy = sum(fields[:3]) + sum(fields[5:8])  # user nice system, irq softirq steal
        return busy / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own() -> float:
        times = os.times()
        return times.user + times.system


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _plain_pillow(paths: list[Path]) -> float:
    started = time.perf_counter()
    for path in paths:
        with Image.open(path) as image:
            image.load()
            image.thumbnail((256, 256))
    return time.perf_counter() - started


def bench_screen_of_new_images(bench: Bench) -> None:
    import qasync
    from PySide6.QtWidgets import QApplication

    from studio_desktop.domain.enums import OutputKind
    from studio_desktop.domain.models import Job, new_id
    from studio_desktop.domain.paths import job_output_ref
    from studio_desktop.imaging.thumbnails import ThumbnailCache
    from studio_desktop.store.locations import DataDirs
    from studio_desktop.store.workspace import open_local_store
    from studio_desktop.ui.history.thumbnails import ThumbnailLoader, ThumbState
    from studio_desktop.ui.preferences import ThumbnailSize

    rounds = 3 if bench.quick else 5
    started = time.perf_counter()
    photos = _photos(SCREEN)
    print(
        f"  (made {SCREEN} 12 MP JPEGs, {sum(map(len, photos)) / SCREEN / 1e6:.1f} MB each, in "
        f"{time.perf_counter() - started:.1f} s)",
        flush=True,
    )
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    # The app's executor (app.WORKER_THREADS threads), which the History is given.
    loop.set_default_executor(ThreadPoolExecutor(4, thread_name_prefix="worker"))
    device_pixels = ThumbnailSize.MEDIUM.pixels

    with tempfile.TemporaryDirectory(prefix="bench-ui-thumbs-") as tmp:
        store = open_local_store(DataDirs(Path(tmp) / "data").ensure())
        outputs: list[JobOutput] = []
        for row in range(SCREEN // COLUMNS):
            job = Job(id=new_id(), user_id=store.user_id, type="product_pack", status="succeeded")
            row_outputs = []
            for column in range(COLUMNS):
                data = photos[row * COLUMNS + column]
                output_id = new_id()
                ref = job_output_ref(store.user_id, job.id, output_id, "image/jpeg")
                store.blobs.put(ref.bucket, ref.path, data, "image/jpeg", upload=False)
                row_outputs.append(
                    JobOutput(
                        id=output_id,
                        job_id=job.id,
                        kind=OutputKind.IMAGE,
                        mime_type="image/jpeg",
                        storage_path=ref.path,
                        width=4000,
                        height=3000,
                    )
                )
            store.rows.save_many([job, *row_outputs])
            outputs.extend(row_outputs)
        paths = []
        for output in outputs:
            ref = job_output_ref(store.user_id, output.job_id, output.id, "image/jpeg")
            path = store.blobs.get_path(ref.bucket, ref.path)
            assert path is not None
            paths.append(path)

        async def history_round(folder: Path) -> tuple[float, float, float]:
            cache = ThumbnailCache(folder)
            loader = ThumbnailLoader(store, cache, workers=WORKERS)
            by_id = {o.id: o for o in outputs}
            first = outputs[0].id
            ready: dict[str, float] = {}
            cached: dict[str, float] = {}
            done = asyncio.Event()

            def on_ready(output_id: str) -> None:
                state = loader.peek(output_id, device_pixels).state
                if state is ThumbState.READY:
                    ready.setdefault(output_id, time.perf_counter())
                elif state is ThumbState.LOADING:  # its row repainted, as the feed's view does
                    loader.get(by_id[output_id], device_pixels)
                if len(ready) == SCREEN and len(cached) == SCREEN:
                    done.set()

            def on_cached(output_id: str) -> None:
                cached.setdefault(output_id, time.perf_counter())
                if len(ready) == SCREEN and len(cached) == SCREEN:
                    done.set()

            loader.ready.connect(on_ready)
            loader.cached.connect(on_cached)
            t0 = time.perf_counter()
            for output in outputs:  # as one paint of the feed asks: row by row
                loader.get(output, device_pixels)
            await asyncio.wait_for(done.wait(), timeout=60)
            states = {loader.peek(o.id, device_pixels).state for o in outputs}
            assert states == {ThumbState.READY}, states
            assert len(list(folder.glob("*/*.jpg"))) == SCREEN  # every entry is on disk
            assert all(cache.get(_sha256(p), 256) is not None for p in paths)
            loader.close()
            return ready[first] - t0, max(ready.values()) - t0, max(cached.values()) - t0

        async def scenario() -> tuple[list[float], list[float], list[float], list[float]]:
            firsts, screens, writes, anchors = [], [], [], []
            await history_round(Path(tmp) / "warm")  # imports, thread start-up, disk cache
            _plain_pillow(paths[:2])
            for n in range(rounds):
                anchors.append(_plain_pillow(paths))
                first, screen, written = await history_round(Path(tmp) / f"round-{n}")
                firsts.append(first)
                screens.append(screen)
                writes.append(written)
            return firsts, screens, writes, anchors

        others = _OtherLoad()
        with loop:
            firsts, screens, writes, anchors = loop.run_until_complete(scenario())
        busy = others.cores()
        store.close()

    screen = statistics.median(screens)
    anchor = statistics.median(anchors)
    first = statistics.median(firsts)
    written = statistics.median(writes)
    ratio = statistics.median(s / a for s, a in zip(screens, anchors, strict=True))
    written_ratio = statistics.median(w / a for w, a in zip(writes, anchors, strict=True))
    if busy is not None:
        print(f"  (other processes used {busy:.2f} of the machine's cores during the rounds)")
    bench.record(
        f"{SCREEN} new 12 MP JPEGs: screen of tiles",
        screen * 1000,
        "ms",
        anchor="plain Pillow open+load+thumbnail, 1 thread",
        anchor_value=anchor * 1000,
        goal=f">= {SPEEDUP_GOAL:g}x faster (ratio <= {1 / SPEEDUP_GOAL:.2f})",
        ok=ratio <= 1 / SPEEDUP_GOAL,
        ratio=ratio,
    )
    bench.record(
        f"{SCREEN} new 12 MP JPEGs: screen cached",
        written * 1000,
        "ms",
        anchor="plain Pillow open+load+thumbnail, 1 thread",
        anchor_value=anchor * 1000,
        goal="none (entries written after)",
        ok=True,
        ratio=written_ratio,
    )
    bench.record(
        f"{SCREEN} new 12 MP JPEGs: first visible tile",
        first * 1000,
        "ms",
        anchor="plain Pillow open+load+thumbnail, 1 thread",
        anchor_value=anchor * 1000,
        goal=f"<= {FIRST_TILE_GOAL_MS:.0f} ms",
        ok=first * 1000 <= FIRST_TILE_GOAL_MS,
    )
