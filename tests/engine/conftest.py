"""Fixtures of the engine tests: the fake generation API and images made on the spot."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import pytest
from PIL import Image, ImageDraw

from studio_desktop.engine.cutout_cache import CutFn
from studio_desktop.engine.local import LocalEngine, default_cut
from studio_desktop.engine.recorder import JobStore
from studio_desktop.store.workspace import Store
from tests.stack.fake_generation_api import FakeGenerationApi

TOKEN = "access-token-1"


@pytest.fixture
def fake_api(user_id: str) -> Iterator[FakeGenerationApi]:
    """The fake API, with TOKEN granted to the same user as the test's store."""
    api = FakeGenerationApi(steps=3, poll_after_ms=1).start()
    api.grant(TOKEN, user_id)
    try:
        yield api
    finally:
        api.stop()


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def jpeg_bytes(image: Image.Image, quality: int = 92) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def garment_photo(size: tuple[int, int] = (240, 320), colour: str = "#b03040") -> Image.Image:
    """A T-shirt-like shape in one colour on a plain near-white studio backdrop."""
    w, h = size
    image = Image.new("RGB", size, (246, 246, 244))
    draw = ImageDraw.Draw(image)
    body = [(w * 0.3, h * 0.2), (w * 0.7, h * 0.2), (w * 0.7, h * 0.85), (w * 0.3, h * 0.85)]
    draw.polygon(body, fill=colour)
    draw.polygon(
        [(w * 0.3, h * 0.2), (w * 0.12, h * 0.38), (w * 0.2, h * 0.45), (w * 0.3, h * 0.35)],
        fill=colour,
    )
    draw.polygon(
        [(w * 0.7, h * 0.2), (w * 0.88, h * 0.38), (w * 0.8, h * 0.45), (w * 0.7, h * 0.35)],
        fill=colour,
    )
    return image


@pytest.fixture
def job_store(store: Store) -> JobStore:
    return JobStore.from_store(store)


class CountingCut:
    """The real cutout function, counting its calls (thread-safe: it runs in the executor)."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, photo: bytes) -> bytes:
        with self._lock:
            self.calls += 1
        return default_cut(photo)


class SleepRecorder:
    """Stands in for asyncio.sleep in the API client: records the waits instead of spending them."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def make_local_engine(job_store: JobStore, cut: CutFn | None = None) -> LocalEngine:
    """The local engine with the real imaging functions (``cut`` may wrap the real one)."""

    return LocalEngine(job_store, cut=cut or default_cut)
