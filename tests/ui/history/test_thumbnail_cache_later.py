"""The History shows a screen of new photos first and writes their thumbnails' cache entries
after: every tile of a screen is made before any entry is written, a newer screen's tiles go
before the older screen's entries, every entry is written in the end (also when its row was
scrolled away or its file deleted meanwhile), held decodes stay within their budget, a failed
write or a closed loader loses nothing but time, and a damaged JPEG shows a clear message.
Real store, real files, real loader threads, real cache folder."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from studio_desktop.domain.models import JobOutput
from studio_desktop.domain.paths import job_output_ref
from studio_desktop.imaging.thumbnails import SMALL, PendingThumbnail, make_thumbnail
from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.ui.history.thumbnails import ThumbnailLoader, ThumbState
from tests.ui.history.conftest import WAIT_MS, add_jpeg_outputs, jpeg

pytestmark = pytest.mark.gui
PX = 176


def _photo(n: int) -> bytes:
    """A 1200 x 900 photo-like JPEG, different for each ``n`` (decoded at 1/4 for 256 px)."""
    rng = np.random.default_rng(n)
    y, x = np.mgrid[0:900, 0:1200].astype(np.float32)
    rgb = np.stack([x / 1200 * 255, y / 900 * 255, np.full_like(x, 40.0 * (n % 6))], -1)
    rgb += rng.normal(0, 4, (900, 1200, 1)).astype(np.float32)
    return jpeg(Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)))


@pytest.fixture
def photos() -> list[bytes]:
    return [_photo(n) for n in range(8)]


@pytest.fixture
def outputs(services: WorkspaceServices, photos: list[bytes]) -> list[JobOutput]:
    return add_jpeg_outputs(services, photos, (1200, 900))


def _file(services: WorkspaceServices, output: JobOutput) -> Path:
    ref = job_output_ref(services.store.user_id, output.job_id, output.id, "image/jpeg")
    path = services.store.blobs.get_path(ref.bucket, ref.path)
    assert path is not None
    return path


def _entry(services: WorkspaceServices, data: bytes) -> Path | None:
    return services.thumbnails.get(hashlib.sha256(data).hexdigest(), SMALL)


class Events:
    """What happened, in order: ("tile", id) when a tile is on screen, ("cached", id) when its
    entry is written, ("write", n) when a write starts with n tile requests waiting."""

    def __init__(self, loader: ThumbnailLoader) -> None:
        self.loader = loader
        self.log: list[tuple[str, Any]] = []
        loader.ready.connect(self._ready)
        loader.cached.connect(lambda output_id: self.log.append(("cached", output_id)))

    def _ready(self, output_id: str) -> None:
        if self.loader.peek(output_id, PX).state is not ThumbState.LOADING:
            self.log.append(("tile", output_id))

    def of(self, kind: str) -> list[Any]:
        return [value for what, value in self.log if what == kind]


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[int], threading.Event]]:
    """Every cache write, held at a gate until the test opens it (open by default)."""
    started: list[int] = []
    gate = threading.Event()
    gate.set()
    real = PendingThumbnail.store

    def store(self: PendingThumbnail) -> Path:
        started.append(1)
        assert gate.wait(10), "the test never opened the gate"
        return real(self)

    monkeypatch.setattr(PendingThumbnail, "store", store)
    yield started, gate
    gate.set()


def _all_ready(loader: ThumbnailLoader, outputs: list[JobOutput]) -> bool:
    return all(loader.peek(o.id, PX).state is ThumbState.READY for o in outputs)


def test_a_screen_is_shown_before_any_of_its_entries_is_written_then_all_are(
    qtbot: Any, services: WorkspaceServices, outputs: list[JobOutput], photos: list[bytes]
) -> None:
    loader = ThumbnailLoader(services.store, services.thumbnails, workers=1)
    events = Events(loader)
    try:
        for output in outputs:  # one paint: a screen of new photos
            loader.get(output, PX)
        qtbot.waitUntil(lambda: len(events.of("cached")) == len(outputs), timeout=WAIT_MS)
        kinds = [what for what, _value in events.log]
        assert kinds == ["tile"] * len(outputs) + ["cached"] * len(outputs)
        assert events.of("tile") == [o.id for o in outputs]  # top row first, left to right
        assert events.of("cached") == [o.id for o in outputs]  # in the order they came
        for data in photos:
            entry = _entry(services, data)
            assert entry is not None and entry.read_bytes() == make_thumbnail(data, SMALL)
        assert not loader.busy and loader.held_bytes == 0 and not services.thumbnails._held
        pixmap = loader.peek(outputs[0].id, PX).pixmap
        assert pixmap is not None and (pixmap.width(), pixmap.height()) == (176, 132)
    finally:
        loader.close()


def test_no_entry_is_written_while_a_tile_waits_on_a_two_core_pool(
    qtbot: Any,
    services: WorkspaceServices,
    outputs: list[JobOutput],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loader = ThumbnailLoader(services.store, services.thumbnails, workers=3, cores=2)
    waiting_at_writes: list[int] = []
    busy_at_writes: list[int] = []
    real = PendingThumbnail.store

    def store(self: PendingThumbnail) -> Path:
        waiting_at_writes.append(len(loader._pending))
        busy_at_writes.append(len(loader._in_flight) + loader._writing)
        return real(self)

    monkeypatch.setattr(PendingThumbnail, "store", store)
    try:
        for output in outputs:
            loader.get(output, PX)
        qtbot.waitUntil(lambda: not loader.busy, timeout=WAIT_MS)
        assert len(waiting_at_writes) == len(outputs)
        assert set(waiting_at_writes) == {0}  # never while a tile request waits
        # (the write itself is counted: at most 2 things at once while tiles are in flight)
        assert max(busy_at_writes) <= 3
    finally:
        loader.close()


def test_a_newer_screen_goes_before_the_older_screens_entries(
    qtbot: Any,
    services: WorkspaceServices,
    outputs: list[JobOutput],
    writes: tuple[list[int], threading.Event],
) -> None:
    """Scrolled on before the first screen's entries are written: the new screen's tiles are
    made first, the old screen's entries are still written after (nothing is dropped)."""
    started, gate = writes
    first, second = outputs[:4], outputs[4:]
    loader = ThumbnailLoader(services.store, services.thumbnails, workers=1)
    events = Events(loader)
    try:
        gate.clear()
        for output in first:
            loader.get(output, PX)
        qtbot.waitUntil(lambda: bool(started), timeout=WAIT_MS)  # one entry is being written
        assert events.of("tile") == [o.id for o in first]
        for output in second:  # scrolled to the next rows
            loader.get(output, PX)
        gate.set()
        qtbot.waitUntil(lambda: len(events.of("cached")) == len(outputs), timeout=WAIT_MS)
        after_scroll = [what for what, _value in events.log[len(first) :]]
        # The write under way ends; the second screen's tiles; then every entry left.
        assert after_scroll == ["cached"] + ["tile"] * len(second) + ["cached"] * 7
        assert events.of("cached") == [o.id for o in outputs]
    finally:
        loader.close()


def test_an_entry_is_written_after_its_file_was_deleted_and_its_row_forgotten(
    qtbot: Any,
    services: WorkspaceServices,
    outputs: list[JobOutput],
    photos: list[bytes],
    writes: tuple[list[int], threading.Event],
) -> None:
    started, gate = writes
    loader = ThumbnailLoader(services.store, services.thumbnails, workers=1)
    events = Events(loader)
    output, data = outputs[0], photos[0]
    try:
        gate.clear()
        loader.get(output, PX)
        qtbot.waitUntil(lambda: bool(started), timeout=WAIT_MS)
        _file(services, output).unlink()  # the file goes between the tile and its entry
        loader.forget(output.id)
        gate.set()
        qtbot.waitUntil(lambda: events.of("cached") == [output.id], timeout=WAIT_MS)
        entry = _entry(services, data)
        assert entry is not None and entry.read_bytes() == make_thumbnail(data, SMALL)
        loader.get(output, PX)  # asked again: the file is gone, the tile says so
        qtbot.waitUntil(
            lambda: loader.peek(output.id, PX).state is not ThumbState.LOADING, timeout=WAIT_MS
        )
        assert loader.peek(output.id, PX).state is ThumbState.MISSING
    finally:
        loader.close()


def test_held_decodes_stay_within_their_budget(
    qtbot: Any, services: WorkspaceServices, outputs: list[JobOutput]
) -> None:
    """Past the budget an entry is written before the next tile: with a budget of one decode,
    tiles and entries alternate (a long scroll over new photos holds no more)."""
    loader = ThumbnailLoader(services.store, services.thumbnails, workers=1)
    loader.held_budget_bytes = 300 * 225 * 4  # one 1/4 decode of a 1200 x 900 photo
    events = Events(loader)
    peak: list[int] = []
    loader.ready.connect(lambda _id: peak.append(loader.held_bytes))
    try:
        for output in outputs:
            loader.get(output, PX)
        qtbot.waitUntil(lambda: len(events.of("cached")) == len(outputs), timeout=WAIT_MS)
        kinds = [what for what, _value in events.log]
        assert kinds[:4] == ["tile", "tile", "cached", "tile"]
        assert max(peak) <= 2 * 300 * 225 * 4  # the budget and the one just handed over
    finally:
        loader.close()


def test_closing_drops_unwritten_entries_and_ignores_late_results(
    qtbot: Any,
    services: WorkspaceServices,
    outputs: list[JobOutput],
    photos: list[bytes],
    writes: tuple[list[int], threading.Event],
) -> None:
    started, gate = writes
    loader = ThumbnailLoader(services.store, services.thumbnails, workers=1)
    events = Events(loader)
    gate.clear()
    for output in outputs[:3]:
        loader.get(output, PX)
    qtbot.waitUntil(lambda: bool(started), timeout=WAIT_MS)
    assert loader.unwritten == 3
    loader.close()  # the area goes away with one entry being written and two queued
    gate.set()
    qtbot.wait(200)
    assert len(started) == 1 and not events.of("cached")  # the late result is ignored
    entries = [_entry(services, data) for data in photos[:3]]
    assert entries[0] is not None and entries[1:] == [None, None]  # made again when asked


def test_a_failed_cache_write_keeps_the_tile_and_tells_the_log(
    qtbot: Any,
    services: WorkspaceServices,
    outputs: list[JobOutput],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def full_disk(self: PendingThumbnail) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(PendingThumbnail, "store", full_disk)
    loader = ThumbnailLoader(services.store, services.thumbnails, workers=2)
    events = Events(loader)
    try:
        with caplog.at_level(logging.WARNING, "studio_desktop.ui.history.thumbnails"):
            for output in outputs[:2]:
                loader.get(output, PX)
            qtbot.waitUntil(lambda: not loader.busy, timeout=WAIT_MS)
        assert _all_ready(loader, outputs[:2]) and not events.of("cached")
        assert "not cached" in caplog.text and "No space left" in caplog.text
        assert loader.held_bytes == 0
    finally:
        loader.close()


@pytest.mark.parametrize(
    "damage",
    [lambda data: data[: len(data) // 2], lambda data: data[:600] + bytes(len(data) - 600)],
    ids=["truncated", "zeroed"],
)
def test_a_damaged_jpeg_shows_a_clear_message_and_writes_nothing(
    qtbot: Any, services: WorkspaceServices, photos: list[bytes], damage: Any
) -> None:
    bad = damage(photos[0])
    (output,) = add_jpeg_outputs(services, [bad], (1200, 900))
    loader = ThumbnailLoader(services.store, services.thumbnails, workers=1)
    try:
        loader.get(output, PX)
        qtbot.waitUntil(lambda: not loader.busy, timeout=WAIT_MS)
        thumb = loader.peek(output.id, PX)
        assert thumb.state is ThumbState.FAILED and thumb.pixmap is None
        assert thumb.message.startswith("This file is damaged"), thumb.message
        assert _entry(services, bad) is None and loader.unwritten == 0
    finally:
        loader.close()


def _real_photos() -> list[bytes]:
    """Photographs (scikit-image's) and studio shots as camera-size JPEGs (quality 92)."""
    import skimage.data

    from tests.imaging.garments import studio_sweep, white_on_grey

    shots = [
        Image.fromarray(skimage.data.stereo_motorcycle()[0]),
        Image.fromarray(skimage.data.astronaut()),
        Image.fromarray(skimage.data.coffee()),
        Image.fromarray(skimage.data.chelsea()),
        Image.fromarray(skimage.data.rocket()),
        Image.fromarray(studio_sweep((1500, 2000)).photo),
        Image.fromarray(white_on_grey((1500, 2000)).photo),
        Image.fromarray(skimage.data.hubble_deep_field()),
    ]
    return [jpeg(shot) for shot in shots]


def test_a_screen_of_new_photos_screenshot(
    qtbot: Any, scheme: str, screenshot: Any, services: WorkspaceServices
) -> None:
    """The History over eight new photos (nothing cached): every tile shows its photo, upright
    and sharp, and every cache entry is written after."""
    from studio_desktop.ui.history.area import HistoryArea
    from tests.ui.history.conftest import wait_loaded
    from tests.ui.history.test_history_screenshots import wait_thumbnails
    from tests.ui.test_screenshots import assert_has_content

    files = _real_photos()
    add_jpeg_outputs(services, files[:4], (1200, 900))
    add_jpeg_outputs(services, files[4:], (1200, 900))
    area = HistoryArea(services)
    qtbot.addWidget(area)
    area.resize(1100, 720)
    area.show()
    qtbot.waitExposed(area)
    try:
        wait_loaded(qtbot, area)
        wait_thumbnails(qtbot, area)
        loader = area.loader
        assert loader is not None
        qtbot.waitUntil(lambda: not loader.busy, timeout=WAIT_MS)
        assert all(_entry(services, data) is not None for data in files)
        path = screenshot(area, "history-new-photos")
        assert_has_content(path)
    finally:
        if area.model is not None:
            area.model.close()
        if area.loader is not None:
            area.loader.close()
