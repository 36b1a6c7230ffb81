"""The status bar says whether sync is live (Realtime joined: changes from elsewhere arrive in
seconds) or polling (every 30 s), for a signed-in account; the local workspace says neither."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget

from studio_desktop.domain.status import SyncState, SyncStatus
from studio_desktop.ui.widgets.sync_status import SyncStatusWidget

pytestmark = pytest.mark.gui


@pytest.fixture
def widget(qtbot: Any) -> SyncStatusWidget:
    shown = SyncStatusWidget()
    qtbot.addWidget(shown)
    shown.show()
    return shown


def test_live_and_polling(
    widget: SyncStatusWidget, screenshot: Callable[[QWidget, str], Path]
) -> None:
    moment = datetime.now(UTC).replace(second=0, microsecond=0)
    hhmm = moment.astimezone().strftime("%H:%M")
    widget.set_status(
        SyncStatus(
            state=SyncState.UP_TO_DATE, last_synced_at=moment, account="ana@studio.com", live=True
        )
    )
    assert widget.text_label.text() == f"Up to date at {hhmm} · live"
    assert "appear within seconds" in widget.toolTip()
    screenshot(widget, "sync-status-live")
    widget.set_status(
        SyncStatus(
            state=SyncState.UP_TO_DATE, last_synced_at=moment, account="ana@studio.com", live=False
        )
    )
    assert widget.text_label.text() == f"Up to date at {hhmm} · polling"
    assert "every 30 seconds" in widget.toolTip()
    screenshot(widget, "sync-status-polling")
    widget.set_status(SyncStatus(state=SyncState.SYNCING, account="ana@studio.com", live=True))
    assert widget.text_label.text() == "Syncing… · live"


def test_offline_and_local_say_neither(widget: SyncStatusWidget) -> None:
    widget.set_status(SyncStatus(state=SyncState.OFFLINE, account="ana@studio.com"))
    assert "live" not in widget.text_label.text() and "polling" not in widget.text_label.text()
    widget.set_status(SyncStatus.local_workspace())
    assert widget.text_label.text() == "Local workspace"
