"""Fixtures of the service tests: a real store in a temp data dir, the real local engine behind
the real JobService, and images made on the spot. No Qt, no display, no network."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
from PIL import Image, ImageDraw

from studio_desktop.domain.models import TABLES
from studio_desktop.engine.base import StepHook
from studio_desktop.engine.local import LocalEngine
from studio_desktop.engine.recorder import JobStore
from studio_desktop.services.canvas import CanvasService
from studio_desktop.services.garments import GarmentService
from studio_desktop.services.history import HistoryService
from studio_desktop.services.imports import ImportService
from studio_desktop.services.jobs import JobService
from studio_desktop.services.profiles import ProfileService
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import Store, open_local_store

T = TypeVar("T")


@pytest.fixture
def local_store(data_root: Path) -> Iterator[Store]:
    """The no-account workspace (no outbox)."""
    opened = open_local_store(DataDirs(data_root).ensure())
    try:
        yield opened
    finally:
        opened.close()


@dataclass
class World:
    store: Store
    jobs: JobService
    profiles: ProfileService
    history: HistoryService
    imports: ImportService
    canvas: CanvasService
    garments: GarmentService


def run(
    store: Store,
    scenario: Callable[[World], Awaitable[T]],
    *,
    step_hook: StepHook | None = None,
) -> T:
    """Run ``scenario`` on a fresh event loop with every service wired as the app wires them."""

    async def main() -> T:
        job_store = JobStore.from_store(store)
        jobs = JobService(
            job_store, {"local": LocalEngine(job_store)}, user_id=store.user_id, step_hook=step_hook
        )
        garments = GarmentService(jobs, store.queries)
        world = World(
            store=store,
            jobs=jobs,
            profiles=ProfileService(store),
            history=HistoryService(store, jobs),
            imports=ImportService(store, garments=garments),
            canvas=CanvasService(store, jobs),
            garments=garments,
        )
        try:
            return await scenario(world)
        finally:
            await jobs.aclose()
            await world.canvas.aclose()

    return asyncio.run(main())


def snapshot(store: Store) -> dict[str, Any]:
    """Everything a failed call must leave as it was: rows, outbox, blob index, cached files."""
    return {
        "rows": {t: store.rows.count(t) for t in TABLES},
        "outbox": [(e.kind, e.table, e.row_id) for e in store.outbox.all()],
        "blobs": sorted(
            tuple(r) for r in store.db.query("SELECT bucket, path, state, pinned FROM blobs")
        ),
        "files": sorted(p.name for p in store.dirs.blobs.rglob("*") if p.is_file()),
    }


# ---------------------------------------------------------------------------- images


def studio_scene(size: tuple[int, int] = (160, 120)) -> Image.Image:
    """A smooth grey gradient backdrop with a red bag drawn on it."""
    w, h = size
    ramp = np.linspace(200, 240, w, dtype=np.float32)
    rgb = np.stack([np.tile(ramp, (h, 1))] * 3, axis=-1).astype(np.uint8)
    image = Image.fromarray(rgb, "RGB")
    ImageDraw.Draw(image).ellipse((w * 0.375, h / 3, w * 0.625, h * 2 / 3), fill=(200, 30, 40))
    return image


def png_bytes(image: Image.Image, **options: Any) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG", **options)
    return buf.getvalue()


def jpeg_bytes(image: Image.Image, *, quality: int = 92, exif: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    options: dict[str, Any] = {"quality": quality}
    if exif is not None:
        options["exif"] = exif
    image.convert("RGB").save(buf, "JPEG", **options)
    return buf.getvalue()


def oriented_jpeg(image: Image.Image, orientation: int) -> bytes:
    """A JPEG whose EXIF asks viewers to rotate it (the stored pixels are not upright)."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Camera Maker"  # metadata that must not reach the stored copy
    return jpeg_bytes(image, exif=exif.tobytes())


def huge_png_header(width: int = 20_000, height: int = 20_000) -> bytes:
    """A PNG that declares ``width`` x ``height`` pixels but holds one tiny IDAT: the header is
    all a decoder needs to refuse it; decoding it would need gigabytes."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def corrupt_png(image: Image.Image | None = None) -> bytes:
    """A PNG whose header is fine but whose pixel data stops early."""
    data = png_bytes(image or studio_scene((200, 160)))
    return data[: len(data) // 2]


def write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def blob_image(store: Store, bucket: str, path: str) -> Image.Image:
    file = store.blobs.get_path(bucket, path)
    assert file is not None, f"{bucket}/{path} is not cached"
    with Image.open(file) as image:
        image.load()
        return image.copy()


# ---------------------------------------------------------------------------- job control


def garment_photo(size: tuple[int, int] = (240, 320), colour: str = "#b03040") -> Image.Image:
    """A T-shirt-like shape in one colour on a plain near-white studio backdrop."""
    w, h = size
    image = Image.new("RGB", size, (246, 246, 244))
    draw = ImageDraw.Draw(image)
    draw.polygon(
        [(w * 0.3, h * 0.2), (w * 0.7, h * 0.2), (w * 0.7, h * 0.85), (w * 0.3, h * 0.85)],
        fill=colour,
    )
    draw.polygon(
        [(w * 0.3, h * 0.2), (w * 0.12, h * 0.38), (w * 0.2, h * 0.45), (w * 0.3, h * 0.35)],
        fill=colour,
    )
    draw.polygon(
        [(w * 0.7, h * 0.2), (w * 0.88, h * 0.38), (w * 0.8, h * 0.45), (w * 0.7, h * 0.35)],
        fill=colour,
    )
    return image
