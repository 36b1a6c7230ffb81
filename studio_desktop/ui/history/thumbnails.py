"""Thumbnails of job outputs for the feed: made off the GUI thread, kept in a small LRU.

The delegate asks :meth:`ThumbnailLoader.get` for every tile it paints, so only what is on the
screen is ever loaded. A miss returns a placeholder state at once and queues a load. Requests
are served by paint: the tiles of the newest paint first (what the user looks at now), and
within one paint in the order it asked for them (top row first, left to right), so the first
visible tile is the first one made. Loads run on the loader's own pool, one thread per core
and one more (:func:`default_workers`): decoding, resampling and encoding in Pillow release the
GIL, so a screen of new photos is made on every core while the GUI thread stays free. A new
screen starts one load fewer than there are cores, its first visible tile among them (alone on 2
cores, with 6 more on 8): a core stays free for the machine's other work, so nothing pushes the
first tile off its core; the rest of the pool joins once that tile is made. When the machine
was quiet since the last look (other processes used less than :data:`QUIET_CORES` of it, read
from ``/proc/stat``), there is no other work to make room for: the new screen starts one load
per core at once. A request nobody painted for :data:`STALE_SECONDS` (scrolled past) is
dropped. A load, in a worker thread,
runs ``services.output_tiles.find_tile`` (the blob cache, the cached thumbnail, scaled to the
tile) and turns its picture into a ``QImage``, so the GUI thread only wraps it in a pixmap. An
object not on this computer (:attr:`ThumbState.MISSING`, "Not downloaded — available when
online") is handed to the :data:`BlobRequester` hook once, so the sync layer can fetch it.

A new photo's tile is made straight from its reduced decode, and its thumbnail's cache entry
(the 256 px file that makes the tile instant next time) is written *after* the screen: each load
hands its entry over unwritten (``PendingThumbnail``, holding the decode), and the loader writes
the entries on the same pool only while no tile waits, in the order they came. So the designer
sees a screen of new photos sooner (measured on 12 MP photos, one thread: 21.5 ms of CPU per
176 px tile instead of 22.8; the entry's 256 px resize, encoding and file write, ~3.5 ms, come
after) and the entries are still written a moment later. For tiles above 256 px (1024 px
entries: the L size, or any size on a 200 % screen) the gain is larger: a 12 MP photo's entry
is resized from its 1/2-scale decode (~50 ms) after its tile (~7 ms from that decode). The
held decodes are bounded: past :data:`HELD_BUDGET_BYTES` (a long scroll over new photos, or
1024 px entries, whose decodes are 12 MB) an entry is written before the next tile. Entries
not yet written when the loader closes are dropped (made again on the next request: nothing is
lost but time).

When a load ends, :attr:`ThumbnailLoader.ready` carries the output's id; the model turns that
into ``dataChanged`` for the one row that shows it; :attr:`ThumbnailLoader.cached` tells when
the tile's cache entry is on disk.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import os
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage, QPixmap

from studio_desktop.domain.models import JobOutput
from studio_desktop.services.missing_files import MissingFiles
from studio_desktop.services.output_tiles import Store, ThumbState, find_tile
from studio_desktop.ui.history.roles import BlobRequester, no_blob_requests

if TYPE_CHECKING:  # (Pillow is imported by the first load, on a worker thread)
    from PIL import Image as PILImage

    from studio_desktop.services.output_tiles import PendingThumbnail, ThumbnailCache

__all__ = ["LOADING", "Thumb", "ThumbState", "ThumbnailLoader", "load_thumbnail", "qimage_of"]

log = logging.getLogger(__name__)

#: Most threads the loader's pool uses, whatever the core count.
MAX_WORKERS = 8
STALE_SECONDS = 2.0
DEFAULT_BUDGET_BYTES = 96 * 1024**2
#: Outcomes without a picture ("not downloaded", "no preview") kept: cheap to find again.
MAX_STATES = 4000
#: Objects already handed to the blob hook (asked again once forgotten: the hook is idempotent).
MAX_REQUESTED = 20000
#: Other processes' CPU use (in cores) below which the machine counts as quiet: a new screen
#: then starts a load on every core at once instead of leaving one free.
QUIET_CORES = 0.25
#: Memory of the decodes held for cache entries not written yet; past it an entry is written
#: before the next tile (a 12 MP photo's decode for a 256 px entry is 0.75 MB: 64 of them; for a
#: 1024 px entry 12 MB: 4).
HELD_BUDGET_BYTES = 48 * 1024**2


@dataclass(frozen=True, slots=True)
class Thumb:
    """What a tile shows for one output at one size."""

    state: ThumbState
    pixmap: QPixmap | None = None
    #: The cached original (for drag-out and "open"), when it is on this computer.
    local_path: Path | None = None
    pinned: bool = False
    message: str = ""


LOADING = Thumb(ThumbState.LOADING)


@dataclass(frozen=True, slots=True)
class _Loaded:
    state: ThumbState
    image: QImage | None
    local_path: Path | None
    pinned: bool
    message: str = ""
    missing_ref: tuple[str, str] | None = None
    #: The tile's cache entry, to write once no tile waits.
    pending: PendingThumbnail | None = None


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 2


def default_workers() -> int:
    """Threads for thumbnail loads: one per core this process may use, and one more (a load
    spends part of its time in Python, holding the GIL: the extra thread keeps every core
    decoding meanwhile). Measured with 24 new 12 MP photos on 2 cores: 3 or 4 threads made the
    screen 1.7-1.8x faster than 2."""
    return max(3, min(MAX_WORKERS, usable_cores() + 1))


class OtherLoad:
    """How many cores other processes used since the previous call (Linux ``/proc/stat``
    minus this process's own CPU time; None where that cannot be read). A call within
    :attr:`MIN_WINDOW` of the previous one repeats its answer (too short a window to tell)."""

    MIN_WINDOW = 0.05

    def __init__(self) -> None:
        self._last = self._sample()
        self._answer: float | None = None

    def __call__(self) -> float | None:
        now = self._sample()
        last = self._last
        if now is None or last is None:
            return None
        if now[2] - last[2] < self.MIN_WINDOW:
            return self._answer
        self._last = now
        machine, own, wall = (b - a for a, b in zip(last, now, strict=True))
        self._answer = max(0.0, (machine - own) / wall)
        return self._answer

    @staticmethod
    def _sample() -> tuple[float, float, float] | None:
        try:
            with open("/proc/stat", encoding="ascii") as fh:
                fields = [int(x) for x in fh.readline().split()[1:]]
            ticks = os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError):
            return None
        busy = (sum(fields[:3]) + sum(fields[5:8])) / ticks  # user nice system irq softirq steal
        own = os.times()
        return busy, own.user + own.system, time.monotonic()


_OTHER_LOAD = OtherLoad()


def load_thumbnail(
    store: Store, cache: ThumbnailCache, output: JobOutput, device_pixels: int
) -> _Loaded:
    """The blocking part of a load (runs in a worker thread; see the module docstring): the
    tile's picture as a ``QImage``, and its cache entry unwritten (``pending``)."""
    tile = find_tile(store, cache, output, device_pixels, defer_cache=True)
    image = qimage_of(tile.picture) if tile.picture is not None else None
    return _Loaded(
        tile.state,
        image,
        tile.local_path,
        tile.pinned,
        tile.message,
        tile.missing_ref,
        tile.pending,
    )


def qimage_of(picture: PILImage.Image) -> QImage:
    """A ``QImage`` owning a copy of an RGB or RGBA Pillow image's pixels."""
    if picture.mode not in ("RGB", "RGBA"):
        picture = picture.convert("RGBA" if "A" in picture.getbands() else "RGB")
    fmt = QImage.Format.Format_RGBA8888 if picture.mode == "RGBA" else QImage.Format.Format_RGB888
    data = picture.tobytes()
    width, height = picture.size
    image = QImage(data, width, height, width * len(picture.mode), fmt)
    return image.copy()  # detached from ``data``, which Python frees


class ThumbnailLoader(QObject):
    """Loads tiles on demand (see the module docstring). Lives on the GUI thread."""

    ready = Signal(str)  # the output id whose thumbnail (or state) changed
    cached = Signal(str)  # the output id whose tile's thumbnail was written to the cache

    def __init__(
        self,
        store: Store,
        cache: ThumbnailCache,
        *,
        executor: Executor | None = None,
        workers: int | None = None,
        cores: int | None = None,
        request_blob: BlobRequester | None = None,
        budget_bytes: int = DEFAULT_BUDGET_BYTES,
        other_load: Callable[[], float | None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.cache = cache
        #: Where loads run: the given executor, else the loader's own pool (made at first use).
        self.executor = executor
        self.workers = workers or default_workers()
        #: Loads a new screen starts at once: one fewer than the cores, at least one (its first
        #: visible tile); the rest of the pool joins after its first tile.
        self.cores = cores or usable_cores()
        self.head_start_loads = max(1, min(self.workers, self.cores - 1))
        #: Other processes' CPU use since the last new screen (of any loader: one
        #: :class:`OtherLoad` for the process, whose window starts when the module is imported).
        self.other_load = other_load or _OTHER_LOAD
        self._head_start_loads = self.head_start_loads  # for the screen being started
        self._own_pool: ThreadPoolExecutor | None = None
        self.request_blob: BlobRequester = request_blob or no_blob_requests
        self.budget_bytes = budget_bytes
        self._lru: OrderedDict[tuple[str, int], Thumb] = OrderedDict()
        self._lru_bytes = 0
        self._states: OrderedDict[tuple[str, int], Thumb] = OrderedDict()  # no-pixmap outcomes
        #: key -> (output, when asked, paint number, order within that paint)
        self._pending: dict[tuple[str, int], tuple[JobOutput, float, int, int]] = {}
        #: The pending requests by (newest paint first, then the paint's order); entries of
        #: requests asked again since (or served) are skipped when they come up.
        self._queue: list[tuple[int, int, tuple[str, int]]] = []
        self._paint = 0  # numbers the paints: requests made in one event-loop turn share one
        self._paint_open = False
        self._order = 0
        self._swept_at = time.monotonic()
        #: Loads under way: key -> the paint that asked for it.
        self._in_flight: dict[tuple[str, int], int] = {}
        #: The newest paint of which a load has finished (its first tile is on screen).
        self._served_paint = 0
        #: A paint that found the loader idle (a new screen): until its first tile is made,
        #: at most :attr:`head_start_loads` loads run.
        self._head_start = 0
        #: Objects already handed to the blob hook (looked up at each ask: the area may set
        #: ``request_blob`` after the loader is made).
        self._missing = MissingFiles(
            lambda b, p: self.request_blob(b, p),  # noqa: PLW0108
            limit=MAX_REQUESTED,
        )
        self._sizes: set[int] = set()  # tile sizes asked for (keys are (output id, size))
        self._pins: dict[str, bool] = {}  # "keep offline" changes made in this session
        #: Cache entries to write once no tile waits (output id, entry), oldest first.
        self._writes: deque[tuple[str, PendingThumbnail]] = deque()
        self._writing = 0  # cache writes under way
        self._held_bytes = 0  # the decodes queued and under way writes hold
        self.held_budget_bytes = HELD_BUDGET_BYTES
        self._closed = False
        self.loads = 0  # finished loads (for tests and the benchmark)

    # ------------------------------------------------------------------ asking
    def get(self, output: JobOutput, device_pixels: int) -> Thumb:
        """The tile's state now; a miss queues a load (call it from paint: visible tiles only)."""
        key = (output.id, device_pixels)
        hit = self._lru.get(key)
        if hit is not None:
            self._lru.move_to_end(key)
            return hit
        known = self._states.get(key)
        if known is not None:
            self._states.move_to_end(key)
            return known
        self._sizes.add(device_pixels)
        self._want(key, output)
        return LOADING

    def peek(self, output_id: str, device_pixels: int) -> Thumb:
        """The tile's state without queuing anything."""
        key = (output_id, device_pixels)
        return self._lru.get(key) or self._states.get(key) or LOADING

    def _known(self, output_id: str) -> list[Thumb]:
        found = []
        for px in self._sizes:
            thumb = self._lru.get((output_id, px)) or self._states.get((output_id, px))
            if thumb is not None:
                found.append(thumb)
        return found

    def known_path(self, output_id: str) -> Path | None:
        """The cached original of an output, if a load has already found it."""
        for thumb in self._known(output_id):
            if thumb.local_path is not None:
                return thumb.local_path
        return None

    def forget(self, output_id: str) -> None:
        """Drop what is known about an output (its file arrived, or it was deleted)."""
        for px in self._sizes:
            self._drop_lru((output_id, px))
            self._states.pop((output_id, px), None)

    def set_pinned(self, output_ids: set[str], pinned: bool) -> None:
        """Reflect a "keep offline" change without reloading the pictures (also for loads
        still under way, which read the flag before the change)."""
        for output_id in output_ids:
            self._pins[output_id] = pinned
            for px in self._sizes:
                for store_ in (self._lru, self._states):
                    thumb = store_.get((output_id, px))
                    if thumb is not None:
                        store_[(output_id, px)] = replace(thumb, pinned=pinned)

    def pinned(self, output_id: str) -> bool | None:
        """Whether a loaded output is kept offline (None: not loaded yet)."""
        if output_id in self._pins:
            return self._pins[output_id]
        known = self._known(output_id)
        return known[0].pinned if known else None

    def clear(self) -> None:
        self._lru.clear()
        self._lru_bytes = 0
        self._states.clear()
        self._pending.clear()
        self._queue.clear()

    def close(self) -> None:
        """Stop loading (the area is going away); late results are ignored, cache entries not
        written yet are dropped (made again when next asked for)."""
        self._closed = True
        self.clear()
        if self._writes:
            log.info("thumbnail loader closed: %d cache entries not written", len(self._writes))
        self._writes.clear()
        self._held_bytes = 0
        pool, self._own_pool = self._own_pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    @property
    def memory_bytes(self) -> int:
        return self._lru_bytes

    @property
    def busy(self) -> bool:
        """Tiles to make, or cache entries to write."""
        return bool(self._pending or self._in_flight or self._writes or self._writing)

    @property
    def unwritten(self) -> int:
        """Cache entries of tiles already shown that are not on disk yet."""
        return len(self._writes) + self._writing

    @property
    def held_bytes(self) -> int:
        """Memory of the decodes held for those entries."""
        return self._held_bytes

    # ------------------------------------------------------------------ loading
    def _want(self, key: tuple[str, int], output: JobOutput) -> None:
        if key in self._in_flight:
            return
        if not self._paint_open:
            # The first request of a paint: the ones that follow in this event-loop turn (the
            # rest of the paint) belong to it, in order.
            self._paint += 1
            self._paint_open = True
            if not self._pending and not self._in_flight:
                self._head_start = self._paint
                others = self.other_load()
                quiet = others is not None and others < QUIET_CORES
                self._head_start_loads = (
                    min(self.workers, self.cores) if quiet else self.head_start_loads
                )
            asyncio.get_event_loop().call_soon(self._end_paint)
        self._order += 1
        self._pending[key] = (output, time.monotonic(), self._paint, self._order)
        heapq.heappush(self._queue, (-self._paint, self._order, key))
        if len(self._queue) > 4 * len(self._pending) + 256:  # mostly outdated entries
            self._queue = [(-p, o, k) for k, (_out, _t, p, o) in self._pending.items()]
            heapq.heapify(self._queue)
        self._pump()

    def _end_paint(self) -> None:
        self._paint_open = False
        now = time.monotonic()
        if now - self._swept_at > STALE_SECONDS:
            self._swept_at = now
            self._sweep(now)

    def _sweep(self, now: float) -> None:
        """Drop requests only older paints made that waited past :data:`STALE_SECONDS` (rows
        scrolled past). Served newest paint first, they would otherwise stay queued while the
        designer keeps scrolling: tens of thousands of entries after a long scroll, each one
        walked by every full garbage collection."""
        old = [
            key
            for key, (_output, wanted_at, paint, _order) in self._pending.items()
            if paint != self._paint and now - wanted_at > STALE_SECONDS
        ]
        for key in old:
            del self._pending[key]
        if old:
            self._queue = [(-p, o, k) for k, (_out, _t, p, o) in self._pending.items()]
            heapq.heapify(self._queue)

    def _next(self) -> tuple[str, int] | None:
        """The request to serve next: of the newest paint, the one it asked for first."""
        queue = self._queue
        while queue:
            negative_paint, order, key = queue[0]
            entry = self._pending.get(key)
            if entry is not None and entry[2] == -negative_paint and entry[3] == order:
                return key
            heapq.heappop(queue)  # asked again since (a newer entry exists), or served
        return None

    def _pump(self) -> None:
        if self._closed:
            return
        if (
            self._writes
            and self._held_bytes > self.held_budget_bytes
            and not self._writing
            and self._running() < self.workers
        ):
            self._start_write(*self._writes.popleft())  # past the budget: one entry first
        self._pump_tiles()
        # Cache entries use what no tile wants: none waits (the head start of a new screen
        # keeps its free core free), and while the last tiles are being made only the cores
        # they leave idle (3 threads on 2 cores would slow the last tile down).
        slots = self.workers if not self._in_flight else min(self.workers, self.cores)
        while self._writes and not self._pending and self._running() < slots:
            self._start_write(*self._writes.popleft())

    def _running(self) -> int:
        return len(self._in_flight) + self._writing

    def _pump_tiles(self) -> None:
        now = time.monotonic()
        stale: list[str] = []
        while self._pending and self._running() < self.workers:
            key = self._next()
            if key is None:
                break
            paint = self._pending[key][2]
            if (
                paint == self._head_start
                and paint > self._served_paint
                and len(self._in_flight) >= self._head_start_loads
            ):
                # A new screen: until its first tile is made, one core stays free for the
                # machine's other work (unless it was quiet), so the first tile shows as soon
                # as it can. Measured on 2 shared cores (others' work using 1.0-1.5 of them):
                # starting 2 loads at once made the screen 3 % sooner but the first tile 2x
                # later (113 ms instead of 67, 54 instead of 25); so on 2 busy cores it is made
                # alone, on 8 with 6 others.
                break
            heapq.heappop(self._queue)
            output, wanted_at, _paint, _order = self._pending.pop(key)
            if now - wanted_at > STALE_SECONDS:
                if paint == self._paint:
                    stale.append(key[0])  # asked by the last paint: may still be on screen
                continue  # asked only by older paints: scrolled past
            self._in_flight[key] = paint
            self._start(key, output)
        if stale:
            # A request of the last paint that waited too long (a slow machine, not a scroll):
            # its row is repainted; if it is on screen that paint asks for it again.
            asyncio.get_event_loop().call_soon(self._repaint, stale)

    def _repaint(self, output_ids: list[str]) -> None:
        if shiboken6.isValid(self) and not self._closed:
            for output_id in output_ids:
                self.ready.emit(output_id)

    def _pool(self) -> Executor:
        if self.executor is not None:
            return self.executor
        if self._own_pool is None:
            self._own_pool = ThreadPoolExecutor(self.workers, thread_name_prefix="thumbnails")
        return self._own_pool

    def _start(self, key: tuple[str, int], output: JobOutput) -> None:
        loop = asyncio.get_event_loop()
        future = loop.run_in_executor(
            self._pool(), load_thumbnail, self.store, self.cache, output, key[1]
        )
        future.add_done_callback(lambda f, key=key: self._finished(key, f))

    def _finished(self, key: tuple[str, int], future: asyncio.Future[_Loaded]) -> None:
        if not shiboken6.isValid(self) or self._closed:
            return
        self._served_paint = max(self._served_paint, self._in_flight.pop(key, 0))
        self.loads += 1
        if future.cancelled():
            self._pump()
            return
        error = future.exception()
        if error is not None:
            log.warning("thumbnail of output %s failed: %r", key[0], error)
            loaded = _Loaded(ThumbState.FAILED, None, None, False, "The preview could not be made.")
        else:
            loaded = future.result()
        if key[0] in self._pins:
            loaded = replace(loaded, pinned=self._pins[key[0]])
        if loaded.pending is not None:
            self._writes.append((key[0], loaded.pending))
            self._held_bytes += loaded.pending.nbytes
        if loaded.state is ThumbState.READY and loaded.image is not None:
            pixmap = QPixmap.fromImage(loaded.image)
            self._put_lru(key, Thumb(ThumbState.READY, pixmap, loaded.local_path, loaded.pinned))
        else:
            self._states[key] = _shared_thumb(
                Thumb(loaded.state, None, loaded.local_path, loaded.pinned, loaded.message)
            )
            while len(self._states) > MAX_STATES:
                self._states.popitem(last=False)
            if loaded.missing_ref is not None:
                self._missing.ask(*loaded.missing_ref)
        self.ready.emit(key[0])
        self._pump()

    def _start_write(self, output_id: str, pending: PendingThumbnail) -> None:
        self._writing += 1
        future = asyncio.get_event_loop().run_in_executor(self._pool(), pending.store)
        future.add_done_callback(
            lambda f, output_id=output_id, pending=pending: self._written(output_id, pending, f)
        )

    def _written(
        self, output_id: str, pending: PendingThumbnail, future: asyncio.Future[Path]
    ) -> None:
        if not shiboken6.isValid(self) or self._closed:
            return
        self._writing -= 1
        self._held_bytes -= pending.nbytes
        error = None if future.cancelled() else future.exception()
        if error is not None:
            # The tile is shown; only the cache entry is missing (made again next time).
            log.warning("thumbnail of output %s not cached: %r", output_id, error)
        elif not future.cancelled():
            self.cached.emit(output_id)
        self._pump()

    def forget_blob_request(self, bucket: str, path: str) -> None:
        """Ask the hook again next time (the object arrived, or the network came back)."""
        self._missing.forget(bucket, path)

    def _put_lru(self, key: tuple[str, int], thumb: Thumb) -> None:
        self._drop_lru(key)
        self._lru[key] = thumb
        self._lru_bytes += _pixmap_bytes(thumb.pixmap)
        while self._lru_bytes > self.budget_bytes and len(self._lru) > 1:
            oldest = next(iter(self._lru))
            self._drop_lru(oldest)

    def _drop_lru(self, key: tuple[str, int]) -> None:
        old = self._lru.pop(key, None)
        if old is not None:
            self._lru_bytes -= _pixmap_bytes(old.pixmap)


_SHARED: dict[Thumb, Thumb] = {}


def _shared_thumb(thumb: Thumb) -> Thumb:
    """One object for every equal outcome without a file ("not downloaded", unpinned...):
    tens of thousands of tiles, a handful of objects, nothing new for the collector."""
    if thumb.local_path is not None or thumb.pixmap is not None:
        return thumb
    return _SHARED.setdefault(thumb, thumb)


def _pixmap_bytes(pixmap: QPixmap | None) -> int:
    if pixmap is None:
        return 0
    return pixmap.width() * pixmap.height() * max(1, pixmap.depth() // 8)
