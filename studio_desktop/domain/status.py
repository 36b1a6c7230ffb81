"""The sync state the status bar shows: a plain value the sync layer publishes (no Qt here).

The sync engine emits a new :class:`SyncStatus` through an ``Event[SyncStatus]`` whenever its
state changes; ``ui/widgets/sync_status.py`` renders it. Every field is plain data, so the sync
layer builds and tests it without a display.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from studio_desktop.domain.errors import BugError

if TYPE_CHECKING:
    from datetime import datetime  # annotations only: the app's first paint does without it


class SyncState(StrEnum):
    LOCAL = "local"  # the local workspace: no account, nothing to sync
    OFFLINE = "offline"  # an account, but the server cannot be reached right now
    SYNCING = "syncing"  # pushing/pulling: ``done`` of ``total`` steps (total 0 = unknown)
    UP_TO_DATE = "up_to_date"  # everything pushed and pulled at ``last_synced_at``
    NEEDS_SIGN_IN = "needs_sign_in"  # the session expired or was revoked: changes wait


@dataclass(frozen=True, slots=True)
class ParkedChange:
    """A queued change the sync engine gave up retrying, with the reason a person can read."""

    description: str  # what it is, e.g. "Profile “Ana”" or "Output 3 of job 4f2c…"
    reason: str  # why it is parked, e.g. "The server refused it: name is too long."


@dataclass(frozen=True, slots=True)
class SyncStatus:
    state: SyncState = SyncState.LOCAL
    done: int = 0
    total: int = 0
    queued: int = 0  # local changes waiting in the outbox
    last_synced_at: datetime | None = None  # timezone-aware; shown in local time
    parked: tuple[ParkedChange, ...] = field(default_factory=tuple)
    account: str | None = None  # who is signed in (e-mail), None in the local workspace
    detail: str | None = None  # one readable sentence, e.g. why the app is offline
    # Added by the sync engine (all optional; zero/None when idle):
    uploading: int = 0  # files still to upload in this cycle
    downloading: int = 0  # files still to download in this cycle
    bytes_up: int = 0  # bytes uploaded in this cycle so far
    bytes_down: int = 0  # bytes downloaded in this cycle so far
    last_error: str | None = None  # the last problem, readable (kept until a cycle succeeds)
    rejected: tuple[str, ...] = ()  # rows from the server that could not be stored, and why
    live: bool = False  # Realtime is joined: changes from elsewhere arrive in seconds

    def __post_init__(self) -> None:
        if min(self.done, self.total, self.queued, self.uploading, self.downloading) < 0:
            raise BugError(f"sync counts must not be negative: {self!r}")
        if self.total and self.done > self.total:
            raise BugError(f"sync progress {self.done} is past its total {self.total}")
        if self.last_synced_at is not None and self.last_synced_at.tzinfo is None:
            raise BugError("last_synced_at must be timezone-aware")

    @classmethod
    def local_workspace(cls) -> SyncStatus:
        return cls(state=SyncState.LOCAL)
