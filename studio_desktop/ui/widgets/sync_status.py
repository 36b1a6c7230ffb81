"""The status bar's sync state: renders a :class:`~studio_desktop.domain.status.SyncStatus`.

    Local workspace                                      (no account)
    Offline · 3 changes waiting                          (account, no server)
    Syncing 4 of 10 [=====     ]                         (progress; "Syncing…" if no total)
    Up to date at 14:05                                  (last sync in local time)
    Up to date at 14:05 · live                           (signed in: changes from elsewhere
    Up to date at 14:05 · polling                         arrive in seconds / every 30 s)
    Sign in to sync · 3 changes waiting                  (session expired)
    ⚠ 2 not synced                                       (parked changes; click for the reasons)

The sync layer publishes statuses through an ``Event[SyncStatus]``; connect it with
``EventBridge.connect_event(event, widget.set_status)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from studio_desktop.domain.status import SyncState, SyncStatus
from studio_desktop.ui.icons import icon

if TYPE_CHECKING:
    from datetime import datetime

ICON_SIZE = QSize(16, 16)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def format_time(moment: datetime, now: datetime | None = None) -> str:
    """``HH:MM`` today, else ``D Mon HH:MM`` (local time)."""
    from datetime import datetime  # (not imported before the window's first paint)

    local = moment.astimezone()
    now = (now or datetime.now().astimezone()).astimezone()
    if local.date() == now.date():
        return local.strftime("%H:%M")
    return f"{local.day} {local.strftime('%b %H:%M')}"


def describe(status: SyncStatus) -> tuple[str, str, str | None]:
    """(icon name, the line shown, the icon's tone) for a status."""
    name, line, tone = _describe_state(status)
    if status.account and status.state in (SyncState.UP_TO_DATE, SyncState.SYNCING):
        line += " · live" if status.live else " · polling"
    return name, line, tone


def _describe_state(status: SyncStatus) -> tuple[str, str, str | None]:
    match status.state:
        case SyncState.LOCAL:
            return "local", "Local workspace", None
        case SyncState.OFFLINE:
            return "offline", "Offline", "muted"
        case SyncState.SYNCING:
            if status.total:
                return "sync", f"Syncing {status.done} of {status.total}", "accent"
            return "sync", "Syncing…", "accent"
        case SyncState.UP_TO_DATE:
            if status.last_synced_at is not None:
                return (
                    "cloud-check",
                    f"Up to date at {format_time(status.last_synced_at)}",
                    "success",
                )
            return "cloud-check", "Up to date", "success"
        case SyncState.NEEDS_SIGN_IN:
            return "warning", "Sign in to sync", "warning"
    raise AssertionError(status.state)  # pragma: no cover - the match is exhaustive


def tooltip_for(status: SyncStatus) -> str:
    lines: list[str] = []
    match status.state:
        case SyncState.LOCAL:
            lines.append(
                "Your work is kept on this computer only. Connect a Supabase project and sign in "
                "(Account menu) to sync it."
            )
        case SyncState.OFFLINE:
            lines.append(
                "The server cannot be reached. Everything you do is kept and synced later."
            )
        case SyncState.SYNCING:
            lines.append("Sending your changes and fetching new ones.")
        case SyncState.UP_TO_DATE:
            lines.append("Everything is synced.")
            if status.account:
                lines.append(
                    "Live: changes from your other devices and the web app appear within seconds."
                    if status.live
                    else "Polling: changes from your other devices and the web app are fetched "
                    "every 30 seconds (live updates are not available right now)."
                )
        case SyncState.NEEDS_SIGN_IN:
            lines.append("Your session has ended. Sign in again (Account menu) to resume syncing.")
    if status.detail:
        lines.append(status.detail)
    if status.account:
        lines.append(f"Signed in as {status.account}")
    if status.queued:
        lines.append(_plural(status.queued, "change", "changes") + " waiting to be sent")
    if status.last_synced_at is not None and status.state is not SyncState.UP_TO_DATE:
        lines.append(f"Last synced at {format_time(status.last_synced_at)}")
    return "\n".join(lines)


class SyncStatusWidget(QWidget):
    """One line in the status bar; the parked-changes button opens their reasons."""

    parked_details_copied = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SyncStatus")
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        self._status = SyncStatus.local_workspace()

        self.icon_label = QLabel(self)
        self.icon_label.setFixedSize(ICON_SIZE)
        self.text_label = QLabel(self)
        self.text_label.setObjectName("SyncText")
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(False)
        self.progress.setFixedWidth(110)
        self.progress.setMaximumHeight(12)
        self.queued_label = QLabel(self)
        self.queued_label.setObjectName("QueuedText")
        self.queued_label.setProperty("muted", True)
        self.parked_button = QToolButton(self)
        self.parked_button.setObjectName("ParkedButton")
        self.parked_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.parked_button.setIconSize(ICON_SIZE)
        self.parked_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.parked_menu = QMenu(self.parked_button)
        self.parked_button.setMenu(self.parked_menu)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        layout.setSpacing(6)
        layout.addWidget(self.icon_label)
        layout.addWidget(self.text_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.queued_label)
        layout.addSpacing(4)
        layout.addWidget(self.parked_button)
        self.set_status(self._status)

    @property
    def status(self) -> SyncStatus:
        return self._status

    def text(self) -> str:
        """The status line as shown, queued count included (for tests and accessibility)."""
        parts = [self.text_label.text()]
        if not self.queued_label.isHidden():
            parts.append(self.queued_label.text().removeprefix("· "))
        if not self.parked_button.isHidden():
            parts.append(self.parked_button.text())
        return " · ".join(parts)

    def set_status(self, status: SyncStatus) -> None:
        self._status = status
        icon_name, line, tone = describe(status)
        self._icon = (icon_name, tone)
        self._refresh_icons()
        self.text_label.setText(line)

        syncing = status.state is SyncState.SYNCING
        self.progress.setVisible(syncing)
        if syncing:
            self.progress.setRange(0, status.total)  # (0, 0): indeterminate
            self.progress.setValue(status.done)

        show_queued = bool(status.queued) and status.state is not SyncState.LOCAL
        self.queued_label.setVisible(show_queued)
        self.queued_label.setText("· " + _plural(status.queued, "change", "changes") + " waiting")

        self.parked_menu.clear()
        if status.parked:
            self.parked_button.setText(_plural(len(status.parked), "not synced", "not synced"))
            lines = [f"{p.description}: {p.reason}" for p in status.parked]
            self.parked_button.setToolTip(
                "These changes could not be synced and are kept aside:\n" + "\n".join(lines)
            )
            for parked in status.parked:
                action = self.parked_menu.addAction(f"{parked.description} — {parked.reason}")
                action.setEnabled(False)
            self.parked_menu.addSeparator()
            copy = self.parked_menu.addAction(icon("copy"), "Copy the reasons")
            copy.triggered.connect(self.copy_parked)
        self.parked_button.setVisible(bool(status.parked))
        self.setToolTip(tooltip_for(status))
        self.setAccessibleDescription(self.text())

    def copy_parked(self) -> None:
        text = "\n".join(f"{p.description}: {p.reason}" for p in self._status.parked)
        QGuiApplication.clipboard().setText(text)
        self.parked_details_copied.emit()

    def _refresh_icons(self) -> None:
        name, tone = self._icon
        self.icon_label.setPixmap(icon(name, tone=tone).pixmap(ICON_SIZE, self.devicePixelRatioF()))
        self.parked_button.setIcon(icon("warning", tone="error"))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.DevicePixelRatioChange):
            self._refresh_icons()
