"""The engine running on its own: local changes (made on another thread, as the GUI would)
wake it, the status events tell the story, and stop() ends it cleanly."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from studio_desktop.domain.status import SyncState, SyncStatus
from tests.sync.factories import add_job
from tests.sync.helpers import fast_options, open_device, run, server_rows

pytestmark = [pytest.mark.pg, pytest.mark.gateway]


async def until(condition: Callable[[], bool], seconds: float = 20.0) -> bool:
    """Poll ``condition`` while the engine runs on this loop; whether it held within
    ``seconds`` (generous: a busy 2-core CI machine runs a cycle much slower than a desk)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def test_background_engine_picks_up_changes_and_publishes_status(
    tmp_path: Path, gateway: Any, gateway_db: str, make_user: Any, anon_key: str
) -> None:
    user = make_user()

    async def body() -> None:
        device = await open_device(
            tmp_path / "d", gateway.url, anon_key, user, options=fast_options(interval=30.0)
        )
        seen: list[SyncStatus] = []
        device.engine.status_changed.connect(seen.append)
        try:
            device.engine.start()
            assert await until(lambda: device.engine.status.state == SyncState.UP_TO_DATE)
            # A change from another thread wakes the engine long before its 30 s interval.
            worker = threading.Thread(target=lambda: add_job(device.store, outputs=2))
            worker.start()
            worker.join()
            # The outbox is empty once the push is done; the cycle still pulls and downloads
            # before it publishes "up to date": wait for both, not just the first.
            assert await until(
                lambda: (
                    device.store.outbox.counts().pending == 0
                    and device.engine.status.state == SyncState.UP_TO_DATE
                )
            )
            assert len(server_rows(gateway_db, user.id)["job_outputs"]) == 2
            states = [s.state for s in seen]
            assert SyncState.SYNCING in states and states[-1] == SyncState.UP_TO_DATE
            assert seen[-1].last_synced_at is not None and seen[-1].account == user.email
            # Offline: the status says so, keeps the account, and counts what is waiting.
            gateway.stop()
            add_job(device.store, outputs=1)
            assert await until(lambda: device.engine.status.state == SyncState.OFFLINE)
            status = device.engine.status
            assert status.state == SyncState.OFFLINE and status.queued == 2
            assert status.account == user.email and status.last_error
            gateway.start()
        finally:
            await device.engine.stop()
            await device.close()

    run(body)
