"""The order in which the History makes thumbnails: the tiles of the newest paint first, and
within one paint in the order it asked (top row first, left to right), so the first visible tile
is the first one made; a request that waited too long is not made but its row repainted (asked
again if still on screen). Real store, real files, real loader threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image
from PySide6.QtGui import QImage

from studio_desktop.domain.models import Job, JobOutput, new_id
from studio_desktop.domain.paths import job_output_ref
from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.ui.history import thumbnails
from studio_desktop.ui.history.thumbnails import ThumbnailLoader, ThumbState
from tests.imaging.garments import studio_sweep
from tests.ui.history.conftest import WAIT_MS, add_jpeg_outputs, jpeg

pytestmark = pytest.mark.gui
PX = 176


@pytest.fixture
def outputs(services: WorkspaceServices) -> list[JobOutput]:
    """Six outputs of one job, their JPEG files in the blob cache (a different colour each)."""
    files = [jpeg(Image.new("RGB", (640, 480), (40 * n, 90, 200 - 30 * n))) for n in range(6)]
    return add_jpeg_outputs(services, files, (640, 480))


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[str], threading.Event]]:
    """The order loads run in; the first one waits for the gate (to queue the rest behind)."""
    order: list[str] = []
    gate = threading.Event()
    real = thumbnails.load_thumbnail

    def load(store: Any, cache: Any, output: JobOutput, px: int) -> Any:
        order.append(output.id)
        if len(order) == 1:
            assert gate.wait(10), "the test never opened the gate"
        return real(store, cache, output, px)

    monkeypatch.setattr(thumbnails, "load_thumbnail", load)
    yield order, gate
    gate.set()


def test_one_paint_is_served_in_its_order_and_a_newer_paint_first(
    qtbot: Any,
    services: WorkspaceServices,
    outputs: list[JobOutput],
    recorded: tuple[list[str], threading.Event],
) -> None:
    order, gate = recorded
    loader = ThumbnailLoader(services.store, services.thumbnails, workers=1)
    try:
        a, b, c, d, e, f = outputs
        for output in (a, b, c, d):  # one paint: the first row, left to right
            assert loader.get(output, PX).state is ThumbState.LOADING
        qtbot.wait(20)  # the event loop turns: the next requests are another (newer) paint
        for output in (e, f):
            loader.get(output, PX)
        gate.set()
        qtbot.waitUntil(
            lambda: all(loader.peek(o.id, PX).state is ThumbState.READY for o in outputs),
            timeout=WAIT_MS,
        )
        # a was already being made; then the newest paint (e, f), then the first one in order.
        assert order == [a.id, e.id, f.id, b.id, c.id, d.id]
        pixmap = loader.peek(a.id, PX).pixmap
        assert pixmap is not None and max(pixmap.width(), pixmap.height()) == PX
    finally:
        loader.close()


def test_a_request_that_waited_too_long_repaints_its_row_instead(
    qtbot: Any,
    services: WorkspaceServices,
    outputs: list[JobOutput],
    recorded: tuple[list[str], threading.Event],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order, gate = recorded
    loader = ThumbnailLoader(services.store, services.thumbnails, workers=1)
    repainted: list[str] = []
    loader.ready.connect(repainted.append)
    try:
        first, late = outputs[0], outputs[1]
        loader.get(first, PX)
        loader.get(late, PX)
        monkeypatch.setattr(thumbnails, "STALE_SECONDS", 0.0)  # late has now waited too long
        gate.set()
        qtbot.waitUntil(lambda: late.id in repainted, timeout=WAIT_MS)
        assert order == [first.id]  # not made: nobody may be looking at it any more
        assert loader.peek(late.id, PX).state is ThumbState.LOADING
        monkeypatch.setattr(thumbnails, "STALE_SECONDS", 2.0)
        loader.get(late, PX)  # the repaint of its row asks again: it is still on screen
        qtbot.waitUntil(lambda: loader.peek(late.id, PX).state is ThumbState.READY, timeout=WAIT_MS)
        assert order == [first.id, late.id]
    finally:
        loader.close()


def test_requests_of_rows_scrolled_past_are_dropped_while_scrolling_goes_on(
    qtbot: Any,
    services: WorkspaceServices,
    outputs: list[JobOutput],
    recorded: tuple[list[str], threading.Event],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Newest paint first means an old paint's requests never reach the head of the queue
    while the designer keeps scrolling: they must be swept, not kept (a long scroll left tens
    of thousands queued, each walked by every full garbage collection)."""
    order, gate = recorded
    loader = ThumbnailLoader(services.store, services.thumbnails, workers=1)
    try:
        a, b, c, d = outputs[:4]
        for output in (a, b, c):  # a screen: a is being made (held), b and c wait
            loader.get(output, PX)
        qtbot.wait(20)
        assert set(loader._pending) == {(b.id, PX), (c.id, PX)}
        monkeypatch.setattr(thumbnails, "STALE_SECONDS", 0.0)  # b and c have waited too long
        loader.get(d, PX)  # the next screen, scrolled to
        qtbot.wait(20)  # its paint ends: the sweep runs
        assert set(loader._pending) == {(d.id, PX)}
        monkeypatch.setattr(thumbnails, "STALE_SECONDS", 2.0)
        gate.set()
        qtbot.waitUntil(lambda: loader.peek(d.id, PX).state is ThumbState.READY, timeout=WAIT_MS)
        assert order == [a.id, d.id]  # b and c were never made
        assert loader.peek(b.id, PX).state is ThumbState.LOADING  # asked again if seen again
    finally:
        loader.close()


def test_loads_run_on_the_loaders_own_threads_which_close_with_it(
    qtbot: Any, services: WorkspaceServices, outputs: list[JobOutput]
) -> None:
    names: list[str] = []
    real = thumbnails.load_thumbnail

    def load(*args: Any) -> Any:
        names.append(threading.current_thread().name)
        return real(*args)

    loader = ThumbnailLoader(services.store, services.thumbnails)
    assert loader.workers >= 3
    try:
        thumbnails.load_thumbnail = load  # type: ignore[assignment]
        for output in outputs:
            loader.get(output, PX)
        qtbot.waitUntil(
            lambda: all(loader.peek(o.id, PX).state is ThumbState.READY for o in outputs),
            timeout=WAIT_MS,
        )
    finally:
        thumbnails.load_thumbnail = real  # type: ignore[assignment]
        pool = loader._own_pool
        loader.close()
    assert names and all(name.startswith("thumbnails") for name in names)
    assert pool is not None and pool._shutdown  # type: ignore[attr-defined]


def _ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of the luma (11 x 11 Gaussian window, sigma 1.5, the usual constants)."""
    a = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY).astype(np.float64)
    b = cv2.cvtColor(b, cv2.COLOR_RGB2GRAY).astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (11, 11), 1.5)

    mu_a, mu_b = blur(a), blur(b)
    var_a, var_b = blur(a * a) - mu_a**2, blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    ssim = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
        (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    )
    return float(ssim[5:-5, 5:-5].mean())


def test_a_tile_matches_a_high_quality_reference(
    services: WorkspaceServices, tmp_path: Path
) -> None:
    """The tile (one Pillow Lanczos from the reduced decode straight to the tile; the 256 px
    cache entry is written later from the same decode) against the best the source allows: a
    full decode scaled straight to the tile with Lanczos. A studio shot with fine texture, as a
    camera JPEG."""
    shot = Image.fromarray(studio_sweep((2400, 1800)).photo)
    source = tmp_path / "shot.jpg"
    shot.save(source, "JPEG", quality=92)
    reference = Image.open(source).convert("RGB")
    reference.thumbnail((PX, PX), Image.Resampling.LANCZOS, reducing_gap=None)
    store = services.store
    job = Job(id=new_id(), user_id=store.user_id, type="product_pack", status="succeeded")
    output_id = new_id()
    ref = job_output_ref(store.user_id, job.id, output_id, "image/jpeg")
    store.blobs.put(ref.bucket, ref.path, source.read_bytes(), "image/jpeg", upload=False)
    output = JobOutput(
        id=output_id, job_id=job.id, kind="image", mime_type="image/jpeg", storage_path=ref.path
    )
    loaded = thumbnails.load_thumbnail(store, services.thumbnails, output, PX)
    assert loaded.state is ThumbState.READY and loaded.image is not None
    image = loaded.image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    assert (width, height) == reference.size
    rows = np.frombuffer(bytes(image.constBits()), np.uint8).reshape(height, -1)
    tile = rows[:, : width * 3].reshape(height, width, 3)
    expected = np.asarray(reference)
    mse = float(np.mean((tile.astype(np.float64) - expected) ** 2))
    psnr = 10 * np.log10(255**2 / max(mse, 1e-9))
    assert psnr >= 40.0, psnr
    assert _ssim(tile, expected) >= 0.99


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[str], threading.Event]]:
    """The loads that started, each held at the gate until the test opens it."""
    started: list[str] = []
    gate = threading.Event()
    real = thumbnails.load_thumbnail

    def load(store: Any, cache: Any, output: JobOutput, px: int) -> Any:
        started.append(output.id)
        assert gate.wait(10), "the test never opened the gate"
        return real(store, cache, output, px)

    monkeypatch.setattr(thumbnails, "load_thumbnail", load)
    yield started, gate
    gate.set()


BUSY, QUIET, UNKNOWN = 1.2, 0.05, None  # other processes' load, in cores


@pytest.mark.parametrize(
    "case",
    [
        (1, BUSY, 1),
        (2, BUSY, 1),
        (3, BUSY, 2),
        (2, UNKNOWN, 1),
        (1, QUIET, 1),
        (2, QUIET, 2),
        (3, QUIET, 3),
    ],
    ids=[
        "1 core busy",
        "2 cores busy",
        "3 cores busy",
        "2 cores load unknown",
        "1 core quiet",
        "2 cores quiet",
        "3 cores quiet",
    ],
)
def test_a_new_screen_leaves_a_core_to_its_first_tile_then_every_thread_joins(
    qtbot: Any,
    services: WorkspaceServices,
    outputs: list[JobOutput],
    held: tuple[list[str], threading.Event],
    case: tuple[int, float | None, int],
) -> None:
    """A screen of new tiles on an idle loader: one load fewer than the cores starts, the first
    visible tile among them (alone on 1 or 2 cores, with one more on 3), when other processes
    use the machine (or their use is unknown); one per core when the machine was quiet. The
    rest of the pool only after the first tile is made; the rest of the screen then follows in
    order."""
    cores, others, at_once = case  # the cores, the others' load, the loads that start at once
    started, gate = held
    loader = ThumbnailLoader(
        services.store, services.thumbnails, workers=3, cores=cores, other_load=lambda: others
    )
    try:
        for output in outputs:  # one paint of an idle loader: a new screen
            loader.get(output, PX)
        qtbot.waitUntil(lambda: len(started) == at_once, timeout=WAIT_MS)
        qtbot.wait(100)  # nothing more starts while no tile of the screen is made
        assert started == [o.id for o in outputs[:at_once]]
        gate.set()
        qtbot.waitUntil(
            lambda: all(loader.peek(o.id, PX).state is ThumbState.READY for o in outputs),
            timeout=WAIT_MS,
        )
        assert started[0] == outputs[0].id and sorted(started) == sorted(o.id for o in outputs)
    finally:
        loader.close()


def test_the_other_load_is_read_from_the_machine() -> None:
    """Linux: /proc/stat minus this process; a window too short to tell repeats the last
    answer (None before the first)."""
    other = thumbnails.OtherLoad()
    assert other() is None  # (just made: no window yet)
    end = time.monotonic() + 0.2
    while time.monotonic() < end:  # this process busy: not counted as other processes' load
        sum(range(1000))
    measured = other()
    assert measured is not None and 0.0 <= measured <= thumbnails.usable_cores()
    assert other() == measured  # at once again: the same answer


def test_loaders_share_one_view_of_the_machine(services: WorkspaceServices) -> None:
    """A loader made just before its first screen (the History rebuilt) still knows the load
    since the previous loader's last look: the window is the process's, not the loader's."""
    first = ThumbnailLoader(services.store, services.thumbnails)
    second = ThumbnailLoader(services.store, services.thumbnails)
    try:
        assert first.other_load is second.other_load is thumbnails._OTHER_LOAD
    finally:
        first.close()
        second.close()


def test_the_head_start_never_exceeds_the_pool(services: WorkspaceServices) -> None:
    loader = ThumbnailLoader(services.store, services.thumbnails, workers=2, cores=16)
    try:
        assert loader.head_start_loads == 2
        assert thumbnails.usable_cores() >= 1
        default = ThumbnailLoader(services.store, services.thumbnails)
        expected = max(1, min(default.workers, thumbnails.usable_cores() - 1))
        assert default.head_start_loads == expected
        default.close()
    finally:
        loader.close()
