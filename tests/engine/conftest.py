"""Fixtures of the engine tests: the fake generation API and images made on the spot."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator

import pytest
from PIL import Image, ImageDraw

from tests.stack.fake_generation_api import FakeGenerationApi

TOKEN = "access-token-1"


@pytest.fixture
def fake_api() -> Iterator[FakeGenerationApi]:
    api = FakeGenerationApi(steps=3, poll_after_ms=1).start()
    api.grant(TOKEN, str(uuid.uuid4()))
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
