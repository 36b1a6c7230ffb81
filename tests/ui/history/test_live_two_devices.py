"""Two devices of one user against the test stack, with B's real History on screen: a job made
on A shows in B's History within 2 s, through a Realtime hint and a pull (B's poll interval is
30 s, so only the live path can do it), at the top, with B's selection kept."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget

from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.ui.history.area import HistoryArea
from tests.live.test_live_sync import live_options
from tests.stack.gateway import ANON_KEY, Gateway
from tests.stack.gateway_fixtures import GatewayUser
from tests.sync.factories import add_job
from tests.sync.helpers import open_device
from tests.ui.history.conftest import WAIT_MS, wait_loaded

pytestmark = [pytest.mark.gui, pytest.mark.pg, pytest.mark.gateway]


def test_a_job_made_on_a_appears_in_bs_history_in_seconds(
    qtbot: Any,
    run: Callable[..., Any],
    tmp_path: Path,
    *,
    gateway: Gateway,
    make_user: Callable[..., GatewayUser],
    screenshot: Callable[[QWidget, str], Path],
) -> None:
    user = make_user()
    a = run(open_device(tmp_path / "a", gateway.url, ANON_KEY, user))
    b = run(open_device(tmp_path / "b", gateway.url, ANON_KEY, user, options=live_options()))
    first = add_job(a.store, prompt="an older coat")
    run(a.sync_until_quiet())
    run(b.sync_until_quiet())
    services = WorkspaceServices.open(b.store, thumbnails_dir=tmp_path / "b-thumbs")
    area = HistoryArea(services)
    qtbot.addWidget(area)
    area.resize(1100, 720)
    area.show()
    try:
        wait_loaded(qtbot, area)
        qtbot.waitUntil(
            lambda: area.model is not None and first.id in area.model.job_ids(), timeout=WAIT_MS
        )
        assert area.model is not None
        area.view.selectRow(area.model.index_of(first.id).row())
        b.engine.start()
        qtbot.waitUntil(lambda: b.engine.status.live, timeout=WAIT_MS)

        job = add_job(a.store, prompt="a linen shirt, made on the laptop")
        run(a.sync())
        pushed = time.monotonic()
        qtbot.waitUntil(lambda: job.id in area.model.job_ids(), timeout=2_000)
        took = time.monotonic() - pushed
        assert took < 2.0
        assert area.model.job_ids()[:2] == [job.id, first.id]
        selected = [
            area.model.feed_row(i.row()).job.id for i in area.view.selectionModel().selectedRows()
        ]
        assert selected == [first.id]
        screenshot(area, "history-live-from-another-device")
    finally:
        if area.model is not None:
            area.model.close()
        if area.loader is not None:
            area.loader.close()
        run(b.engine.close())
        run(services.aclose())
        run(b.session.connection.close())
        run(a.close())
