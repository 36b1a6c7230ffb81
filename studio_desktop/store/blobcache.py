"""The blob cache: local copies of storage objects, indexed in SQLite, files on disk.

Each object (bucket, path) has one index row in ``blobs`` and at most one file under the
workspace's ``blobs/`` folder, named by a hash of ``bucket/path`` (no user-readable names).

States:

- ``queued_upload``    made here, bytes on disk, not yet on the server: **never evicted**
- ``synced``           on the server and on disk: evictable (LRU) unless pinned
- ``queued_download``  wanted here (a visible thumbnail, pinned for offline), not on disk yet
- ``missing``          known, not on disk (evicted, or the file vanished); fetch again if wanted

Writes are atomic (temp file, fsync, rename) and the file is in place before the index commits,
so a crash leaves at worst an unindexed file, removed by :meth:`BlobCache.verify` at the next
open; ``verify`` also marks indexed files that vanished from disk as ``missing``.

Reading (:meth:`get_path`) never writes to the database: last-access times are kept in memory
and flushed with the next eviction (or :meth:`flush_access`), so the GUI thread never waits for
the sync engine's write lock just to show a thumbnail.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio_desktop.domain.events import Event
from studio_desktop.domain.models import format_ts, utc_now
from studio_desktop.store.db import Database
from studio_desktop.store.errors import StoreBugError, StoreDiskFullError, StoreIOError
from studio_desktop.store.outbox import Outbox

log = logging.getLogger(__name__)

DEFAULT_BUDGET_BYTES = 2 * 1024**3
ON_DISK = ("queued_upload", "synced")
_COLUMNS = "bucket, path, size, content_type, sha256, state, pinned, last_access, file_name"


@dataclass(frozen=True, slots=True)
class BlobInfo:
    bucket: str
    path: str
    size: int | None
    content_type: str | None
    sha256: str | None
    state: str
    pinned: bool
    last_access: str | None
    file_name: str | None


@dataclass(frozen=True, slots=True)
class EvictionReport:
    evicted: list[tuple[str, str]]
    freed_bytes: int
    total_bytes: int
    over_budget: bool  # still above budget: only uploads-in-waiting and pinned files remain


@dataclass(frozen=True, slots=True)
class VerifyReport:
    missing: list[tuple[str, str]]
    orphans_removed: int


def _info(row: Any) -> BlobInfo:
    return BlobInfo(
        bucket=row["bucket"],
        path=row["path"],
        size=row["size"],
        content_type=row["content_type"],
        sha256=row["sha256"],
        state=row["state"],
        pinned=bool(row["pinned"]),
        last_access=row["last_access"],
        file_name=row["file_name"],
    )


def file_name_for(bucket: str, path: str) -> str:
    return hashlib.sha256(f"{bucket}/{path}".encode()).hexdigest()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _os_error(exc: OSError, what: str) -> Exception:
    import errno

    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StoreDiskFullError(f"There is no space left to save {what}. Free some disk space.")
    return StoreIOError(f"Could not write {what}: {exc.strerror or exc}.")


class BlobCache:
    def __init__(
        self,
        db: Database,
        folder: Path,
        outbox: Outbox | None = None,
        *,
        budget_bytes: int = DEFAULT_BUDGET_BYTES,
    ) -> None:
        self.db = db
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.outbox = outbox
        self.budget_bytes = budget_bytes
        self._lock = threading.Lock()
        self._touched: dict[tuple[str, str], str] = {}
        self._vanished: set[tuple[str, str]] = set()
        #: ``(bucket, path)`` of a downloaded object, emitted after the commit that indexed it
        #: (on the writing thread): screens waiting for a file that was "not downloaded" show it.
        self.available: Event[tuple[str, str]] = Event("blob_available")

    # ------------------------------------------------------------------ files
    def file_path(self, file_name: str) -> Path:
        return self.folder / file_name[:2] / file_name

    def _write_file(self, file_name: str, chunks: Iterable[bytes]) -> tuple[int, str]:
        """Write atomically (temp file, fsync, rename); returns (size, sha256)."""
        target = self.file_path(file_name)
        digest = hashlib.sha256()
        size = 0
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.parent / f".{file_name}.{uuid.uuid4().hex}.tmp"
            try:
                with open(temp, "wb") as fh:
                    for chunk in chunks:
                        fh.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(temp, target)
            finally:
                if temp.exists():
                    temp.unlink()
            _fsync_dir(target.parent)
        except OSError as exc:
            raise _os_error(exc, "a cached file") from exc
        return size, digest.hexdigest()

    def _unlink_later(self, file_names: Iterable[str]) -> None:
        names = list(file_names)

        def unlink() -> None:
            for name in names:
                try:
                    self.file_path(name).unlink(missing_ok=True)
                except OSError:
                    log.warning("could not remove cached file %s", name, exc_info=True)

        self.db.after_commit(unlink)

    # ------------------------------------------------------------------ writing
    def put(
        self,
        bucket: str,
        path: str,
        data: bytes,
        content_type: str,
        *,
        upload: bool = True,
        pinned: bool = False,
    ) -> BlobInfo:
        """Store bytes for an object.

        ``upload=True``: made here; state ``queued_upload`` and an ``upload`` outbox entry in the
        same transaction (put the blob *before* saving the row that references it, so the push
        uploads it first). ``upload=False``: downloaded from the server; state ``synced``.
        """
        if not bucket or not path:
            raise StoreBugError("a blob needs a bucket and a path")
        file_name = file_name_for(bucket, path)
        size, digest = self._write_file(file_name, [data])
        return self._index(
            bucket,
            path,
            file_name,
            size=size,
            digest=digest,
            content_type=content_type,
            upload=upload,
            pinned=pinned,
        )

    def put_file(
        self,
        bucket: str,
        path: str,
        source: Path,
        content_type: str,
        *,
        upload: bool = True,
        pinned: bool = False,
    ) -> BlobInfo:
        """Like :meth:`put`, copying from a file (streamed: large files are fine)."""
        if not bucket or not path:
            raise StoreBugError("a blob needs a bucket and a path")
        file_name = file_name_for(bucket, path)
        try:
            with open(source, "rb") as fh:
                size, digest = self._write_file(file_name, iter(lambda: fh.read(1 << 20), b""))
        except OSError as exc:
            raise StoreIOError(
                f"Could not read {Path(source).name}: {exc.strerror or exc}."
            ) from exc
        return self._index(
            bucket,
            path,
            file_name,
            size=size,
            digest=digest,
            content_type=content_type,
            upload=upload,
            pinned=pinned,
        )

    def _index(
        self,
        bucket: str,
        path: str,
        file_name: str,
        *,
        size: int,
        digest: str,
        content_type: str,
        upload: bool,
        pinned: bool,
    ) -> BlobInfo:
        now = format_ts(utc_now())
        state = "queued_upload" if upload else "synced"
        with self.db.transaction(savepoint=False):
            previous = self.info(bucket, path)
            if previous is not None and previous.state == "queued_upload" and not upload:
                # A download must not turn an upload-in-waiting into an evictable file.
                state = "queued_upload"
            self.db.execute(
                f"INSERT INTO blobs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(bucket, path) DO UPDATE SET size = excluded.size, "
                "content_type = excluded.content_type, sha256 = excluded.sha256, "
                "state = excluded.state, pinned = max(blobs.pinned, excluded.pinned), "
                "last_access = excluded.last_access, file_name = excluded.file_name",
                (bucket, path, size, content_type, digest, state, int(pinned), now, file_name),
            )
            if upload and self.outbox is not None:
                self.outbox.append(
                    "upload",
                    None,
                    f"{bucket}/{path}",
                    {
                        "bucket": bucket,
                        "path": path,
                        "content_type": content_type,
                        "size": size,
                        "sha256": digest,
                    },
                )
            with self._lock:
                self._vanished.discard((bucket, path))
            info = self.info(bucket, path)
            assert info is not None
            self.db.after_commit(self._evict_if_over_budget)
            if not upload:
                self.db.after_commit(lambda: self.available.emit((bucket, path)))
        return info

    def want(
        self, bucket: str, path: str, *, size: int | None = None, content_type: str | None = None
    ) -> str:
        """Ask for an object to be downloaded; returns its state afterwards.

        Objects already on disk are left alone; unknown or missing ones become
        ``queued_download`` (the sync engine fetches them: :meth:`queued_downloads`).
        """
        with self.db.transaction(savepoint=False):
            info = self.info(bucket, path)
            if (
                info is not None
                and info.state in ON_DISK
                and info.file_name
                and self.file_path(info.file_name).exists()
            ):
                return info.state
            if info is None:
                self.db.execute(
                    "INSERT INTO blobs (bucket, path, size, content_type, state, file_name) "
                    "VALUES (?, ?, ?, ?, 'queued_download', ?)",
                    (bucket, path, size, content_type, file_name_for(bucket, path)),
                )
            else:
                self.db.execute(
                    "UPDATE blobs SET state = 'queued_download', "
                    "size = coalesce(?, size), content_type = coalesce(?, content_type) "
                    "WHERE bucket = ? AND path = ?",
                    (size, content_type, bucket, path),
                )
        return "queued_download"

    def mark_synced(self, bucket: str, path: str) -> None:
        """The upload reached the server: the file becomes an ordinary (evictable) cache entry."""
        with self.db.transaction(savepoint=False):
            self.db.execute(
                "UPDATE blobs SET state = 'synced' WHERE bucket = ? AND path = ? "
                "AND state = 'queued_upload'",
                (bucket, path),
            )
            self.db.after_commit(self._evict_if_over_budget)

    def pin(self, bucket: str, path: str, pinned: bool = True) -> None:
        """Keep an object for offline use: never evicted; downloaded if not on disk."""
        with self.db.transaction(savepoint=False):
            if pinned and self.info(bucket, path) is None:
                self.want(bucket, path)
            self.db.execute(
                "UPDATE blobs SET pinned = ? WHERE bucket = ? AND path = ?",
                (int(pinned), bucket, path),
            )
            if pinned:
                info = self.info(bucket, path)
                if info is not None and info.state == "missing":
                    self.want(bucket, path)

    def unpin(self, bucket: str, path: str) -> None:
        self.pin(bucket, path, pinned=False)
        self.evict()

    def forget(self, bucket: str, path: str) -> None:
        """Drop an object from the cache: index row, pending upload entries, file (on commit)."""
        with self.db.transaction(savepoint=False):
            info = self.info(bucket, path)
            self.db.execute("DELETE FROM blobs WHERE bucket = ? AND path = ?", (bucket, path))
            self.db.execute(
                "DELETE FROM outbox WHERE kind = 'upload' AND row_id = ?", (f"{bucket}/{path}",)
            )
            if info is not None and info.file_name:
                self._unlink_later([info.file_name])

    def clear(self) -> int:
        """Forget every object and delete every file (after commit); returns the count."""
        with self.db.transaction(savepoint=False):
            rows = self.db.query("SELECT file_name FROM blobs")
            self.db.execute("DELETE FROM blobs")
            self._unlink_later(r["file_name"] for r in rows if r["file_name"])
        return len(rows)

    # ------------------------------------------------------------------ reading
    def info(self, bucket: str, path: str) -> BlobInfo | None:
        row = self.db.query_one(
            f"SELECT {_COLUMNS} FROM blobs WHERE bucket = ? AND path = ?", (bucket, path)
        )
        return None if row is None else _info(row)

    def get_path(self, bucket: str, path: str) -> Path | None:
        """The local file of an object if it is on disk (records the access), else ``None``."""
        row = self.db.query_one(
            "SELECT state, file_name FROM blobs WHERE bucket = ? AND path = ?", (bucket, path)
        )
        if row is None or row["state"] not in ON_DISK or not row["file_name"]:
            return None
        file = self.file_path(row["file_name"])
        key = (bucket, path)
        if not file.exists():
            with self._lock:
                self._vanished.add(key)
            return None
        with self._lock:
            self._touched[key] = format_ts(utc_now()) or ""
        return file

    def path_for_upload(self, bucket: str, path: str) -> Path | None:
        """The file the sync engine uploads for an ``upload`` entry (``None``: bytes lost)."""
        info = self.info(bucket, path)
        if info is None or info.state not in ON_DISK or not info.file_name:
            return None
        file = self.file_path(info.file_name)
        return file if file.exists() else None

    def queued_downloads(self, limit: int | None = None) -> list[BlobInfo]:
        """Objects to fetch: pinned ones first, then most recently wanted."""
        sql = (
            f"SELECT {_COLUMNS} FROM blobs WHERE state = 'queued_download' "
            "ORDER BY pinned DESC, rowid DESC"
        )
        params: tuple[Any, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (limit,)
        return [_info(row) for row in self.db.query(sql, params)]

    def pinned_missing(self) -> list[BlobInfo]:
        """Pinned objects not on disk (prefetch for offline)."""
        return [
            _info(row)
            for row in self.db.query(
                f"SELECT {_COLUMNS} FROM blobs WHERE pinned = 1 "
                "AND state IN ('queued_download', 'missing')"
            )
        ]

    def total_bytes(self) -> int:
        """Bytes of the files on disk (uploads in waiting included)."""
        return int(
            self.db.scalar(
                "SELECT coalesce(sum(size), 0) FROM blobs "
                "WHERE state IN ('queued_upload', 'synced')"
            )
        )

    # ------------------------------------------------------------------ budget
    def set_budget(self, budget_bytes: int) -> EvictionReport:
        self.budget_bytes = budget_bytes
        return self.evict()

    def flush_access(self) -> None:
        """Write the in-memory access times and vanished files to the index."""
        with self._lock:
            touched, self._touched = self._touched, {}
            vanished, self._vanished = self._vanished, set()
        if not touched and not vanished:
            return
        with self.db.transaction(savepoint=False):
            self.db.executemany(
                "UPDATE blobs SET last_access = ? WHERE bucket = ? AND path = ?",
                [(ts, bucket, path) for (bucket, path), ts in touched.items()],
            )
            for bucket, path in vanished:
                info = self.info(bucket, path)
                if info is None or info.state not in ON_DISK or not info.file_name:
                    continue
                if not self.file_path(info.file_name).exists():
                    self._mark_missing(bucket, path)

    def _mark_missing(self, bucket: str, path: str) -> None:
        log.warning("cached file of %s/%s is gone from disk; marked missing", bucket, path)
        self.db.execute(
            "UPDATE blobs SET state = 'missing' WHERE bucket = ? AND path = ?", (bucket, path)
        )

    def _evict_if_over_budget(self) -> None:
        if self.total_bytes() > self.budget_bytes:
            self.evict()

    def evict(self, budget_bytes: int | None = None) -> EvictionReport:
        """Remove least recently used synced, unpinned files until the total fits the budget.

        Uploads in waiting and pinned files are never evicted, even if that leaves the cache
        over budget (``over_budget`` in the report says so).
        """
        budget = self.budget_bytes if budget_bytes is None else budget_bytes
        self.flush_access()
        evicted: list[tuple[str, str]] = []
        freed = 0
        with self.db.transaction(savepoint=False):
            total = self.total_bytes()
            if total > budget:
                names: list[str] = []
                for row in self.db.query(
                    "SELECT bucket, path, size, file_name FROM blobs "
                    "WHERE state = 'synced' AND pinned = 0 "
                    "ORDER BY last_access IS NOT NULL, last_access, rowid"
                ):
                    if total - freed <= budget:
                        break
                    self.db.execute(
                        "UPDATE blobs SET state = 'missing' WHERE bucket = ? AND path = ?",
                        (row["bucket"], row["path"]),
                    )
                    evicted.append((row["bucket"], row["path"]))
                    freed += int(row["size"] or 0)
                    if row["file_name"]:
                        names.append(row["file_name"])
                self._unlink_later(names)
        remaining = total - freed
        return EvictionReport(evicted, freed, remaining, remaining > budget)

    # ------------------------------------------------------------------ restart
    def verify(self) -> VerifyReport:
        """Reconcile index and disk after a restart: vanished files become ``missing``; files
        no on-disk entry owns (interrupted writes, evictions cut short) are deleted."""
        missing: list[tuple[str, str]] = []
        with self.db.transaction(savepoint=False):
            known: set[str] = set()
            for row in self.db.query("SELECT bucket, path, state, file_name FROM blobs"):
                if row["file_name"] and row["state"] in ON_DISK:
                    known.add(row["file_name"])
                if row["state"] in ON_DISK and not (
                    row["file_name"] and self.file_path(row["file_name"]).exists()
                ):
                    self._mark_missing(row["bucket"], row["path"])
                    missing.append((row["bucket"], row["path"]))
        orphans = 0
        for sub in self.folder.iterdir() if self.folder.exists() else ():
            if not sub.is_dir():
                continue
            for file in sub.iterdir():
                if file.name not in known:
                    try:
                        file.unlink()
                        orphans += 1
                    except OSError:
                        log.warning("could not remove stray cache file %s", file, exc_info=True)
        return VerifyReport(missing, orphans)
