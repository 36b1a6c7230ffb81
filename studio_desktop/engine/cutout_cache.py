"""Garment cutouts, cut once per photo: the ``garment_cutouts`` cache.

The key is the seed's: user + SHA-256 of the source photo's bytes + kind (front/back). A hit is
served from the cache row and its PNG in the blob cache without decoding anything; a miss cuts
the garment out (in the executor), stores the PNG as a queued upload at
``extractions/<uid>/cutouts/<sha256>-<kind>.png`` and writes the row, in one transaction.
Two jobs asking for the same cutout at the same time wait for one cut (a lock per key).

A row whose file is not on this computer (it came from another device and was never downloaded)
counts as a miss: the garment is cut here and the file put back under the row's path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from studio_desktop.domain.models import GarmentCutout, new_id
from studio_desktop.domain.paths import cutout_ref
from studio_desktop.engine.base import JobContext
from studio_desktop.engine.recorder import JobStore, image_size
from studio_desktop.imaging.hashing import source_hash as photo_hash

T = TypeVar("T")

#: Photo bytes in, transparent PNG bytes out (the cutout of the garment). Runs in the executor.
CutFn = Callable[[bytes], bytes]


@dataclass(frozen=True, slots=True)
class Cutout:
    row: GarmentCutout
    png: bytes
    width: int
    height: int
    from_cache: bool


class CutoutCache:
    def __init__(self, store: JobStore, cut: CutFn) -> None:
        self.store = store
        self.cut = cut
        self._locks: dict[tuple[str, str, str], asyncio.Lock] = {}

    async def get(self, ctx: JobContext, photo: bytes, kind: str) -> Cutout:
        """The cutout of ``photo`` for the job's user, from the cache or cut now."""
        source_hash = photo_hash(photo)
        key = (ctx.user_id, source_hash, kind)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            loop = asyncio.get_running_loop()
            found = await loop.run_in_executor(ctx.executor, self.store.find_cutout, *key)
            if found is not None:
                row, png = found
                width, height = image_size(png)
                return Cutout(row, png, width, height, from_cache=True)
            png = await ctx.run_blocking("cutout", self.cut, photo)
            ref = cutout_ref(ctx.user_id, source_hash, kind)
            row = GarmentCutout(
                id=new_id(),
                user_id=ctx.user_id,
                source_hash=source_hash,
                source_kind=kind,
                storage_bucket=ref.bucket,
                storage_path=ref.path,
                mime_type="image/png",
            )
            row = await loop.run_in_executor(ctx.executor, self.store.save_cutout, row, png)
            width, height = image_size(png)
            return Cutout(row, png, width, height, from_cache=False)
