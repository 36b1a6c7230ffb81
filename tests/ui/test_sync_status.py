"""SyncStatusWidget renders every SyncStatus state: text, progress, queued count, parked reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtWidgets import QApplication

from studio_desktop.domain.errors import BugError
from studio_desktop.domain.events import Event
from studio_desktop.domain.status import ParkedChange, SyncState, SyncStatus
from studio_desktop.ui.bridge import EventBridge
from studio_desktop.ui.main_window import MainWindow
from studio_desktop.ui.widgets.sync_status import SyncStatusWidget, format_time

pytestmark = pytest.mark.gui


@pytest.fixture
def widget(qtbot) -> SyncStatusWidget:
    w = SyncStatusWidget()
    qtbot.addWidget(w)
    w.show()
    return w


def test_local_workspace(widget: SyncStatusWidget) -> None:
    widget.set_status(SyncStatus.local_workspace())
    assert widget.text() == "Local workspace"
    assert widget.progress.isHidden()
    assert widget.parked_button.isHidden()
    assert "this computer only" in widget.toolTip()


def test_offline_with_queued_changes(widget: SyncStatusWidget) -> None:
    widget.set_status(
        SyncStatus(
            state=SyncState.OFFLINE, queued=3, account="ana@studio.com", detail="No network."
        )
    )
    assert widget.text() == "Offline · 3 changes waiting"
    assert "No network." in widget.toolTip()
    assert "ana@studio.com" in widget.toolTip()
    widget.set_status(SyncStatus(state=SyncState.OFFLINE, queued=1))
    assert widget.queued_label.text() == "· 1 change waiting"


def test_syncing_shows_progress(widget: SyncStatusWidget) -> None:
    widget.set_status(SyncStatus(state=SyncState.SYNCING, done=4, total=10))
    assert widget.text_label.text() == "Syncing 4 of 10"
    assert widget.progress.isVisible()
    assert (widget.progress.minimum(), widget.progress.maximum()) == (0, 10)
    assert widget.progress.value() == 4
    widget.set_status(SyncStatus(state=SyncState.SYNCING))
    assert widget.text_label.text() == "Syncing…"
    assert widget.progress.maximum() == 0  # indeterminate


def test_up_to_date_shows_the_local_time(widget: SyncStatusWidget) -> None:
    moment = datetime.now(UTC).replace(second=0, microsecond=0)
    widget.set_status(SyncStatus(state=SyncState.UP_TO_DATE, last_synced_at=moment))
    assert widget.text_label.text() == f"Up to date at {moment.astimezone().strftime('%H:%M')}"
    assert widget.progress.isHidden()
    assert widget.queued_label.isHidden()


def test_format_time_names_the_day_when_not_today() -> None:
    now = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    assert format_time(now - timedelta(minutes=5), now).count(":") == 1
    earlier = format_time(now - timedelta(days=3), now)
    assert earlier[0].isdigit() and " " in earlier


def test_needs_sign_in(widget: SyncStatusWidget) -> None:
    widget.set_status(SyncStatus(state=SyncState.NEEDS_SIGN_IN, queued=2))
    assert widget.text().startswith("Sign in to sync")
    assert "Sign in again" in widget.toolTip()


def test_parked_changes_show_their_reasons(widget: SyncStatusWidget) -> None:
    parked = (
        ParkedChange("Profile “Ana”", "The server refused it: the name is too long."),
        ParkedChange("Output 2 of job 4f2c", "The file is missing from the cache."),
    )
    widget.set_status(SyncStatus(state=SyncState.UP_TO_DATE, parked=parked))
    assert widget.parked_button.isVisible()
    assert widget.parked_button.text() == "2 not synced"
    assert "the name is too long" in widget.parked_button.toolTip()
    texts = [a.text() for a in widget.parked_menu.actions() if a.text()]
    assert texts[0].startswith("Profile “Ana”")
    assert "missing from the cache" in texts[1]
    widget.copy_parked()
    assert "the name is too long" in QApplication.clipboard().text()


def test_statuses_validate_their_counts() -> None:
    with pytest.raises(BugError):
        SyncStatus(state=SyncState.SYNCING, done=5, total=3)
    with pytest.raises(BugError):
        SyncStatus(queued=-1)
    with pytest.raises(BugError):
        SyncStatus(state=SyncState.UP_TO_DATE, last_synced_at=datetime(2026, 1, 1))


def test_a_sync_event_from_a_worker_reaches_the_status_bar(qtbot, main_window: MainWindow) -> None:
    import threading

    published: Event[SyncStatus] = Event("sync_status")
    bridge = EventBridge(main_window)
    bridge.connect_event(published, main_window.set_sync_status)
    threading.Thread(
        target=published.emit, args=(SyncStatus(state=SyncState.SYNCING, done=1, total=2),)
    ).start()
    qtbot.waitUntil(lambda: main_window.sync_status.text_label.text() == "Syncing 1 of 2")
