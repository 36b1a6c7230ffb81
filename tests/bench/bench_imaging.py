"""Imaging benchmarks (suite ``imaging``): ``python tests/bench/run.py imaging [--quick]``.

Each figure is its own function taking the :class:`Bench`; :func:`run` calls every function in
:data:`FIGURES`, so a new figure is one new function added to that list.

Thumbnail figures: a 4000 x 3000 JPEG is made in memory (a studio product shot: backdrop sweep
with vignette, a garment with folds and a woven texture, sensor grain), and
``make_thumbnail(data, SMALL)`` is timed against the anchor measured in the same run: Pillow's
plain ``Image.open`` + full ``load()`` + ``thumbnail((256, 256))``. Value and anchor runs are
interleaved and the medians compared, so load from other processes hits both alike.

Why a second, smooth figure: our speed-up comes from libjpeg's DCT scaling (1/8 scale for a
256 px thumbnail), which removes the inverse DCT, upsampling and colour conversion at full size
and the full-size ``thumbnail`` resampling, but *not* the Huffman decoding of every 8 x 8 block,
which any JPEG decoder must do in full (baseline JPEGs cannot be skipped through). That per-block
floor is about 40 % of a plain full decode even for a smooth 0.4 bpp photo, and grows with bytes
per pixel (grain, texture, quality); the two figures show both ends instead of one hand-picked
file. Measured on this machine: ratio about 0.22-0.36 (issue 4's note: the 1/8-scale decode
alone is 0.39-0.43x of a full decode), so the goal is stated at that floor: ratio <= 0.45.
What a designer waits for, a screen of new photos made on every core, is the ``ui`` suite's
"24 new 12 MP JPEGs" figure.
"""

from __future__ import annotations

import io
import statistics
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from studio_desktop.imaging.thumbnails import SMALL, make_thumbnail
from tests.bench import imaging_ops
from tests.bench.harness import Bench, timed


def interleaved_medians(
    functions: list[Callable[[], object]], repeat: int, warmup: int = 1
) -> list[float]:
    """Median seconds of each function, run in turns (a, b, a, b, ...) after ``warmup`` rounds."""
    for _ in range(warmup):
        for fn in functions:
            fn()
    samples: list[list[float]] = [[] for _ in functions]
    for _ in range(repeat):
        for index, fn in enumerate(functions):
            samples[index].append(timed(fn))
    return [statistics.median(values) for values in samples]


def product_photo(
    width: int = 4000,
    height: int = 3000,
    *,
    grain: float = 2.0,
    weave: float = 6.0,
    seed: int = 0,
) -> Image.Image:
    """A studio product shot: smooth backdrop, a T-shirt with folds and weave, sensor grain.

    Smooth parts are computed at 1/4 resolution and upscaled (they have no fine detail), the
    weave and grain at full resolution; about a second for 12 MP.
    """
    rng = np.random.default_rng(seed)
    small_w, small_h = width // 4, height // 4
    y, x = np.mgrid[0:small_h, 0:small_w].astype(np.float32)
    backdrop = (
        235 - 30 * (y / small_h) - 60 * (((x / small_w) - 0.5) ** 2 + ((y / small_h) - 0.5) ** 2)
    )
    folds = 25 * np.sin(x * 4 / 180 + 2 * np.sin(y * 4 / 400)) + 15 * np.sin(y * 4 / 90)

    def upscale(array: np.ndarray) -> np.ndarray:
        image = Image.fromarray(array.astype(np.float32))
        return np.asarray(image.resize((width, height), Image.Resampling.BILINEAR))

    silhouette = Image.new("L", (width, height), 0)
    cx, top, bottom = width / 2, height * 0.18, height * 0.88
    s = width / 4000
    ImageDraw.Draw(silhouette).polygon(
        [
            (cx - 700 * s, top),
            (cx - 250 * s, top - 80 * s),
            (cx + 250 * s, top - 80 * s),
            (cx + 700 * s, top),
            (cx + 1100 * s, top + 500 * s),
            (cx + 800 * s, top + 700 * s),
            (cx + 650 * s, top + 500 * s),
            (cx + 650 * s, bottom),
            (cx - 650 * s, bottom),
            (cx - 650 * s, top + 500 * s),
            (cx - 800 * s, top + 700 * s),
            (cx - 1100 * s, top + 500 * s),
        ],
        fill=255,
    )
    mask = np.asarray(silhouette.filter(ImageFilter.GaussianBlur(2)), np.float32) / 255
    columns = np.sin(np.arange(width, dtype=np.float32) * 1.3)
    rows = np.sin(np.arange(height, dtype=np.float32) * 1.3)
    shade = upscale(folds) + weave * rows[:, None] * columns[None, :]
    base = upscale(backdrop)
    luma_grain = rng.standard_normal((height, width), dtype=np.float32) * grain
    out = np.empty((height, width, 3), np.uint8)
    for channel, fabric in enumerate((40.0, 70.0, 140.0)):
        value = base + mask * (fabric + shade - base) + luma_grain
        value += rng.standard_normal((height, width), dtype=np.float32) * (grain / 2)
        np.clip(value, 0, 255, out=value)
        out[..., channel] = value
    return Image.fromarray(out)


#: The single-image thumbnail against plain Pillow: at the decoder's floor (module docstring).
THUMBNAIL_GOAL_RATIO = 0.45


def _thumbnail_figure(bench: Bench, name: str, *, grain: float, weave: float) -> None:
    photo = product_photo(grain=grain, weave=weave)
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=92)
    data = buffer.getvalue()

    def ours() -> bytes:
        return make_thumbnail(data, SMALL)

    def plain_pillow() -> Image.Image:
        image = Image.open(io.BytesIO(data))
        image.load()
        image.thumbnail((SMALL, SMALL))
        return image

    with Image.open(io.BytesIO(ours())) as check:  # measure a path that works
        assert check.size == plain_pillow().size == (256, 192), check.size
    value, anchor = interleaved_medians([ours, plain_pillow], repeat=7 if bench.quick else 15)
    bits_per_pixel = len(data) * 8 / (4000 * 3000)
    bench.record(
        f"{name} ({bits_per_pixel:.1f} bpp)",
        value,
        "s",
        anchor="Pillow open + full load + thumbnail",
        anchor_value=anchor,
        goal=f"ratio <= {THUMBNAIL_GOAL_RATIO:.2f}",
        ok=value / anchor <= THUMBNAIL_GOAL_RATIO,
    )


def thumbnail_of_a_12mp_jpeg(bench: Bench) -> None:
    """The issue's figure: a typical studio product photo, 12 MP, JPEG quality 92."""
    _thumbnail_figure(bench, "thumbnail of a 12 MP JPEG", grain=2.0, weave=6.0)


def thumbnail_of_a_smooth_12mp_jpeg(bench: Bench) -> None:
    """The same shot with a plain-dyed garment and little grain: fewer bytes per pixel, so the
    Huffman decoding every decoder must do is a smaller share (see the module docstring)."""
    _thumbnail_figure(bench, "thumbnail of a 12 MP JPEG, smooth", grain=0.7, weave=0.0)


def bench_cutout_cache(bench: Bench) -> None:
    """Cutout repeat served from the ``garment_cutouts`` cache, against the first (uncached)
    cutout of the same 2-megapixel photo measured in the same run (engine/cutout_cache.py)."""
    import asyncio
    import tempfile
    import time
    import uuid
    from pathlib import Path

    from PIL import Image, ImageDraw, ImageFilter

    from studio_desktop.domain.models import Job
    from studio_desktop.engine.base import JobContext
    from studio_desktop.engine.cancel import CancelToken
    from studio_desktop.engine.cutout_cache import CutoutCache
    from studio_desktop.engine.local import default_cut
    from studio_desktop.engine.recorder import JobStore
    from studio_desktop.store.locations import DataDirs
    from studio_desktop.store.workspace import open_account_store

    def photo(seed: int) -> bytes:
        """A 1632 x 1224 (2.0 MP) studio shot: a garment on a graded backdrop, as a JPEG."""
        width, height = 1632, 1224
        backdrop = Image.linear_gradient("L").resize((width, height)).point(lambda v: 225 + v // 12)
        image = Image.merge("RGB", (backdrop, backdrop, backdrop.point(lambda v: v - 4)))
        draw = ImageDraw.Draw(image)
        draw.rounded_rectangle((560, 260, 1080, 1000), 40, fill=(150, 40 + seed % 50, 60))
        draw.polygon(
            [(560, 300), (400, 520), (480, 580), (600, 420)], fill=(150, 40 + seed % 50, 60)
        )
        draw.polygon(
            [(1080, 300), (1240, 520), (1160, 580), (1040, 420)], fill=(150, 40 + seed % 50, 60)
        )
        buffer = io.BytesIO()
        image.filter(ImageFilter.GaussianBlur(1)).save(buffer, "JPEG", quality=90)
        return buffer.getvalue()

    firsts_wanted = 1 if bench.quick else 3
    repeats = 9 if bench.quick else 31
    user_id = str(uuid.uuid4())
    with tempfile.TemporaryDirectory() as tmp:
        store = open_account_store(DataDirs(Path(tmp)).ensure(), "http://127.0.0.1:1", user_id)
        try:
            cache = CutoutCache(JobStore.from_store(store), default_cut)

            async def noop_save(_: str | None) -> None:
                return None

            async def unused_read(_: object) -> bytes:
                raise AssertionError("the cache is handed the photo's bytes directly")

            ctx = JobContext(
                job=Job(id=str(uuid.uuid4()), user_id=user_id, type="extract_garment"),
                cancel=CancelToken(),
                report=lambda fraction, message: None,
                read_image=unused_read,  # type: ignore[arg-type]
                save_operation_id=noop_save,
            )
            photos = [photo(seed) for seed in range(firsts_wanted)]

            async def measure() -> tuple[list[float], list[float]]:
                firsts, again = [], []
                for data in photos:
                    start = time.perf_counter()
                    result = await cache.get(ctx, data, "front")
                    firsts.append(time.perf_counter() - start)
                    assert not result.from_cache
                for _ in range(repeats):
                    start = time.perf_counter()
                    result = await cache.get(ctx, photos[0], "front")
                    again.append(time.perf_counter() - start)
                    assert result.from_cache
                return firsts, again

            firsts, again = asyncio.run(measure())
        finally:
            store.close()
    first = statistics.median(firsts)
    repeat = statistics.median(again)
    bench.record(
        "cutout repeat from cache (2 MP photo)",
        repeat * 1000,
        "ms",
        anchor="first, uncached cutout (same photo)",
        anchor_value=first * 1000,
        goal="< 10 ms",
        ok=repeat < 0.010,
    )


FIGURES: list[Callable[[Bench], None]] = [
    thumbnail_of_a_12mp_jpeg,
    thumbnail_of_a_smooth_12mp_jpeg,
    bench_cutout_cache,
    # Edits, removal, cutout and memory figures live in imaging_ops.py.
    *imaging_ops.FIGURES,
]


def run(bench: Bench) -> None:
    for figure in FIGURES:
        figure(bench)
