"""Blob transfer: storage objects into the local blob cache, on demand and for offline use.

- :meth:`BlobTransfer.fetch` (a visible thumbnail, an opened image): download now, once, even
  if several parts of the UI ask at the same moment (concurrent requests share one download).
- :meth:`BlobTransfer.download_queued`: what the store marked ``queued_download``
  (``BlobCache.want``) and pinned objects not on disk (prefetch for offline); run by the engine
  after each pull. The queue lives in the blob cache index, so it resumes after a restart.
- :meth:`BlobTransfer.signed_url`: a time-limited URL for handing an object to another program.

Downloads are authenticated GETs through supabase-py's Storage client (private buckets). An
object the server does not have (404) is not asked for again in this session for a while, so a
dangling reference never turns an idle cycle into a busy one. Uploads are the push's job
(``push.py``): they are outbox entries, ordered before the rows that reference them.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio_desktop.store.blobcache import BlobInfo
from studio_desktop.store.workspace import Store
from studio_desktop.sync.connection import Connection
from studio_desktop.sync.errors import RefusedError, SyncError
from studio_desktop.sync.retry import Requester
from studio_desktop.sync.worker import StoreRunner

log = logging.getLogger(__name__)

DOWNLOAD_CONCURRENCY = 4
MISSING_RETRY_SECONDS = 600.0


@dataclass(slots=True)
class DownloadReport:
    downloaded: int = 0
    bytes_down: int = 0
    unavailable: int = 0
    requests: int = 0


class BlobTransfer:
    def __init__(
        self,
        store: Store,
        connection: Connection,
        requester: Requester,
        runner: StoreRunner,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_progress: Callable[[DownloadReport, int], None] | None = None,
    ) -> None:
        self.store = store
        self.connection = connection
        self.requester = requester
        self.runner = runner
        self.clock = clock
        self.on_progress = on_progress
        self._inflight: dict[tuple[str, str], asyncio.Future[Path]] = {}
        self._unavailable: dict[tuple[str, str], float] = {}

    # ------------------------------------------------------------------ on demand
    async def fetch(self, bucket: str, path: str) -> Path:
        """The local file of an object, downloading it if needed (deduplicated)."""
        local = await self.runner.run(self.store.blobs.get_path, bucket, path)
        if local is not None:
            return local
        key = (bucket, path)
        running = self._inflight.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[Path] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            result = await self._download(bucket, path, None)
            future.set_result(result)
            return result
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        finally:
            self._inflight.pop(key, None)

    async def _download(self, bucket: str, path: str, info: BlobInfo | None) -> Path:
        connection = self.connection
        data: bytes = await self.requester.send(
            lambda: connection.client.storage.from_(bucket).download(path),
            f"download {path.rsplit('/', 1)[-1]}",
        )
        content_type = (
            (info.content_type if info else None)
            or mimetypes.guess_type(path)[0]
            or "application/octet-stream"
        )
        stored = await self.runner.run(self._store_download, bucket, path, data, content_type)
        self._unavailable.pop((bucket, path), None)
        return stored

    def _store_download(self, bucket: str, path: str, data: bytes, content_type: str) -> Path:
        previous = self.store.blobs.info(bucket, path)
        pinned = bool(previous and previous.pinned)
        self.store.blobs.put(bucket, path, data, content_type, upload=False, pinned=pinned)
        local = self.store.blobs.get_path(bucket, path)
        if local is None:  # evicted at once by a tiny budget; still hand the bytes over
            raise SyncError(
                f"The cache could not keep {path.rsplit('/', 1)[-1]} (budget too small)."
            )
        return local

    # ------------------------------------------------------------------ queue and prefetch
    def _wanted(self) -> list[BlobInfo]:
        seen: set[tuple[str, str]] = set()
        wanted: list[BlobInfo] = []
        for info in [*self.store.blobs.pinned_missing(), *self.store.blobs.queued_downloads()]:
            key = (info.bucket, info.path)
            if key not in seen:
                seen.add(key)
                wanted.append(info)
        return wanted

    async def download_queued(self) -> DownloadReport:
        """Download what is queued and what is pinned but missing. Raises a retryable
        :class:`SyncError` when the connection fails (the rest stays queued)."""
        report = DownloadReport()
        before = self.connection.requests
        now = self.clock()
        wanted = [
            info
            for info in await self.runner.run(self._wanted)
            if self._unavailable.get((info.bucket, info.path), 0.0) <= now
        ]
        if not wanted:
            return report
        gate = asyncio.Semaphore(DOWNLOAD_CONCURRENCY)
        errors: list[SyncError] = []

        async def one(info: BlobInfo) -> None:
            async with gate:
                if errors:
                    return
                key = (info.bucket, info.path)
                try:
                    if key in self._inflight:
                        await asyncio.shield(self._inflight[key])
                        return
                    await self._download(info.bucket, info.path, info)
                except RefusedError as exc:
                    # Not on the server (or not ours): do not ask again for a while.
                    log.info("object %s/%s unavailable: %s", info.bucket, info.path, exc.reason)
                    self._unavailable[key] = self.clock() + MISSING_RETRY_SECONDS
                    report.unavailable += 1
                    return
                except SyncError as exc:
                    errors.append(exc)
                    return
                report.downloaded += 1
                report.bytes_down += int(info.size or 0) or self._size_of(info)
                if self.on_progress is not None:
                    self.on_progress(report, len(wanted))

        try:
            await asyncio.gather(*(one(info) for info in wanted))
        finally:
            report.requests = self.connection.requests - before
        if errors:
            raise errors[0]
        return report

    def _size_of(self, info: BlobInfo) -> int:
        local = self.store.blobs.file_path(info.file_name) if info.file_name else None
        try:
            return local.stat().st_size if local else 0
        except OSError:
            return 0

    # ------------------------------------------------------------------ URLs
    async def signed_url(self, bucket: str, path: str, expires_in: int = 3600) -> str:
        connection = self.connection
        answer: Any = await self.requester.send(
            lambda: connection.client.storage.from_(bucket).create_signed_url(path, expires_in),
            f"sign {path.rsplit('/', 1)[-1]}",
        )
        url = answer.get("signedURL") or answer.get("signedUrl")
        if not url:
            raise RefusedError("the server gave no signed URL")
        return str(url)
