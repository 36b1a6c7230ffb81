"""Ask once for a file that is not on this computer, react when the blob cache announces it:
over a real store whose blob cache queues the download and announces the arrival."""

from __future__ import annotations

import pytest

from studio_desktop.services.missing_files import MissingFiles
from studio_desktop.store.workspace import Store

BUCKET, PATH = "profiles", "u1/profiles/p1/ref.png"


def test_asks_the_sync_once_per_object_and_again_after_it_arrived(local_store: Store) -> None:
    asked: list[tuple[str, str]] = []

    def request(bucket: str, path: str) -> None:
        asked.append((bucket, path))
        local_store.blobs.want(bucket, path)

    missing = MissingFiles(request)
    arrivals: list[bool] = []
    local_store.blobs.available.connect(lambda ref: arrivals.append(missing.arrived(*ref)))

    assert missing.ask(BUCKET, PATH) is True
    assert missing.ask(BUCKET, PATH) is False  # every later paint: no second request
    assert asked == [(BUCKET, PATH)]
    assert local_store.blobs.info(BUCKET, PATH).state == "queued_download"

    # The sync downloads it: the cache announces it after the commit that indexed it.
    local_store.blobs.put(BUCKET, PATH, b"\x89PNG fake bytes", "image/png", upload=False)
    assert arrivals == [True]
    assert not missing.is_awaited(BUCKET, PATH)
    assert local_store.blobs.get_path(BUCKET, PATH) is not None

    # Another object's arrival is not ours; after ours arrived, a new loss is asked again.
    local_store.blobs.put(BUCKET, "other.png", b"x", "image/png", upload=False)
    assert arrivals == [True, False]
    assert missing.ask(BUCKET, PATH) is True
    assert asked == [(BUCKET, PATH), (BUCKET, PATH)]


def test_a_failing_requester_is_logged_not_raised_and_not_retried_at_every_paint(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = 0

    def broken(_bucket: str, _path: str) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("the sync is gone")

    missing = MissingFiles(broken)
    assert missing.ask(BUCKET, PATH) is True
    assert missing.ask(BUCKET, PATH) is False
    assert calls == 1
    assert "asking the sync for profiles/" in caplog.text
    missing.forget(BUCKET, PATH)
    assert missing.ask(BUCKET, PATH) is True
    assert calls == 2


def test_the_awaited_set_is_bounded_oldest_first() -> None:
    asked: list[str] = []
    missing = MissingFiles(lambda _b, p: asked.append(p), limit=3)
    for name in "abcd":
        missing.ask(BUCKET, name)
    assert len(missing) == 3
    assert not missing.is_awaited(BUCKET, "a")
    assert missing.ask(BUCKET, "a") is True  # forgotten, so asked again when shown again
    assert missing.ask(BUCKET, "d") is False
    assert asked == ["a", "b", "c", "d", "a"]


def test_without_a_requester_nothing_is_asked_but_the_bookkeeping_holds() -> None:
    missing = MissingFiles()
    assert missing.ask(BUCKET, PATH) is True
    assert missing.arrived(BUCKET, PATH) is True
    assert missing.arrived(BUCKET, PATH) is False
    with pytest.raises(ValueError):
        MissingFiles(limit=0)
