"""Blob cache: atomic files with hashes, LRU within a byte budget that never evicts uploads in
waiting or pinned files, restart, and files that vanish from disk."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from studio_desktop.domain.models import new_id
from studio_desktop.store.locations import WorkspaceDirs
from studio_desktop.store.workspace import Store, open_store


def _path(user_id: str, n: int) -> str:
    return f"{user_id}/jobs/j/{n}.png"


def test_put_and_get(store: Store, user_id: str) -> None:
    data = b"\x89PNG" + bytes(range(256))
    info = store.blobs.put("outputs", _path(user_id, 1), data, "image/png")
    assert info.state == "queued_upload"
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.size == len(data)
    file = store.blobs.get_path("outputs", _path(user_id, 1))
    assert file is not None and file.read_bytes() == data
    assert file.is_relative_to(store.dirs.blobs)
    assert not list(store.dirs.blobs.rglob("*.tmp"))
    upload = store.outbox.pending()[-1]
    assert (upload.kind, upload.row_id) == ("upload", f"outputs/{_path(user_id, 1)}")
    assert upload.payload["content_type"] == "image/png"
    assert upload.payload["sha256"] == info.sha256
    assert store.blobs.path_for_upload("outputs", _path(user_id, 1)) == file
    assert store.blobs.get_path("outputs", "nope") is None


def test_put_file_streams(store: Store, user_id: str, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(b"ab" * 1_500_000)
    info = store.blobs.put_file("outputs", _path(user_id, 2), source, "image/png", upload=False)
    assert info.size == 3_000_000 and info.state == "synced"
    assert info.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()


def test_budget_evicts_lru_synced_only(store: Store, user_id: str) -> None:
    blobs = store.blobs  # budget 10,000 bytes (fixture)
    blobs.put("outputs", _path(user_id, 0), b"u" * 3000, "image/png")  # upload in waiting
    blobs.put("outputs", _path(user_id, 1), b"p" * 3000, "image/png", upload=False, pinned=True)
    for n in (2, 3, 4):
        blobs.put("outputs", _path(user_id, n), b"s" * 1000, "image/png", upload=False)
        time.sleep(0.002)
    assert blobs.total_bytes() == 9000
    assert blobs.get_path("outputs", _path(user_id, 2)) is not None  # 2 is now the freshest
    blobs.put("outputs", _path(user_id, 5), b"s" * 2000, "image/png", upload=False)
    # 11,000 > 10,000: the least recently used synced, unpinned file (3) goes first.
    assert blobs.info("outputs", _path(user_id, 3)).state == "missing"  # type: ignore[union-attr]
    assert blobs.total_bytes() == 10_000
    assert blobs.get_path("outputs", _path(user_id, 3)) is None
    report = blobs.set_budget(5000)
    assert report.over_budget  # only the upload in waiting and the pinned file remain
    assert set(report.evicted) == {("outputs", _path(user_id, n)) for n in (2, 4, 5)}
    assert blobs.total_bytes() == 6000
    for n in (0, 1):
        assert blobs.get_path("outputs", _path(user_id, n)) is not None
    files = [p for p in store.dirs.blobs.rglob("*") if p.is_file()]
    assert len(files) == 2
    # Once uploaded, the file becomes evictable; unpinning makes the pinned one evictable.
    blobs.mark_synced("outputs", _path(user_id, 0))
    assert blobs.info("outputs", _path(user_id, 0)).state == "missing"  # type: ignore[union-attr]
    blobs.unpin("outputs", _path(user_id, 1))
    assert blobs.total_bytes() == 3000  # within budget now: nothing more to evict
    assert blobs.evict(0).total_bytes == 0


def test_download_never_downgrades_upload_in_waiting(store: Store, user_id: str) -> None:
    store.blobs.put("outputs", _path(user_id, 1), b"mine", "image/png")
    info = store.blobs.put("outputs", _path(user_id, 1), b"mine", "image/png", upload=False)
    assert info.state == "queued_upload"
    assert store.blobs.evict(0).evicted == []


def test_want_pin_and_queued_downloads(store: Store, user_id: str) -> None:
    blobs = store.blobs
    assert blobs.want("outputs", _path(user_id, 1), size=10, content_type="image/png") == (
        "queued_download"
    )
    blobs.pin("outputs", _path(user_id, 2))
    queued = blobs.queued_downloads()
    assert [(b.path, b.pinned) for b in queued] == [
        (_path(user_id, 2), True),
        (_path(user_id, 1), False),
    ]
    assert [b.path for b in blobs.pinned_missing()] == [_path(user_id, 2)]
    blobs.put("outputs", _path(user_id, 2), b"x" * 20, "image/png", upload=False)
    assert blobs.info("outputs", _path(user_id, 2)).pinned  # type: ignore[union-attr]
    assert blobs.want("outputs", _path(user_id, 2)) == "synced"
    assert blobs.pinned_missing() == []


def test_restart_keeps_index_and_detects_vanished_files(store: Store, user_id: str) -> None:
    store.blobs.put("outputs", _path(user_id, 1), b"one", "image/png", upload=False)
    store.blobs.put("outputs", _path(user_id, 2), b"two", "image/png")
    vanished = store.blobs.get_path("outputs", _path(user_id, 1))
    assert vanished is not None
    store.close()
    vanished.unlink()
    stray = store.dirs.blobs / "ab" / ".abc.tmp"  # an interrupted write
    stray.parent.mkdir(exist_ok=True)
    stray.write_bytes(b"junk")
    with open_store(store.dirs, user_id=user_id, blob_budget_bytes=10_000) as again:
        assert again.blob_check.missing == [("outputs", _path(user_id, 1))]
        assert again.blob_check.orphans_removed == 1
        assert not stray.exists()
        assert again.blobs.info("outputs", _path(user_id, 1)).state == "missing"  # type: ignore[union-attr]
        kept = again.blobs.get_path("outputs", _path(user_id, 2))
        assert kept is not None and kept.read_bytes() == b"two"
        assert again.blobs.total_bytes() == 3


def test_file_vanishing_while_running_is_marked_missing(store: Store, user_id: str) -> None:
    store.blobs.put("outputs", _path(user_id, 1), b"one", "image/png", upload=False)
    file = store.blobs.get_path("outputs", _path(user_id, 1))
    assert file is not None
    file.unlink()
    assert store.blobs.get_path("outputs", _path(user_id, 1)) is None
    store.blobs.flush_access()
    assert store.blobs.info("outputs", _path(user_id, 1)).state == "missing"  # type: ignore[union-attr]
    assert store.blobs.total_bytes() == 0


def test_get_path_does_not_write(store: Store, user_id: str) -> None:
    """Showing a thumbnail must never wait for another thread's write transaction."""
    import threading

    store.blobs.put("outputs", _path(user_id, 1), b"one", "image/png", upload=False)
    got: list[Path | None] = []
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with store.transaction():
            store.db.execute("UPDATE blobs SET pinned = pinned")
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=writer)
    thread.start()
    assert holding.wait(5)
    started = time.perf_counter()
    got.append(store.blobs.get_path("outputs", _path(user_id, 1)))
    elapsed = time.perf_counter() - started
    release.set()
    thread.join()
    assert got[0] is not None
    assert elapsed < 1.0


def test_bucket_and_path_required(store: Store) -> None:
    from studio_desktop.store.errors import StoreBugError

    with pytest.raises(StoreBugError):
        store.blobs.put("", "x", b"", "image/png")


def test_a_downloaded_object_is_announced_after_its_commit(tmp_path: Path) -> None:
    store = open_store(WorkspaceDirs(tmp_path / "ws").ensure(), user_id=new_id())
    try:
        seen: list[tuple[str, str]] = []
        store.blobs.available.connect(seen.append)
        uid = store.user_id
        store.blobs.put("outputs", f"{uid}/made/here.png", b"mine", "image/png")  # an upload
        assert seen == []
        with store.transaction():
            store.blobs.put("outputs", f"{uid}/jobs/j/o.png", b"pixels", "image/png", upload=False)
            assert seen == []  # not before the file's index row is committed
        assert seen == [("outputs", f"{uid}/jobs/j/o.png")]
    finally:
        store.close()
