"""The sync engine: cycles of push, pull and blob downloads on the app's asyncio loop.

    engine = SyncEngine(store, session)
    engine.status_changed.connect(show)      # Event[SyncStatus]
    engine.start()                           # from the running loop (qasync in the app)
    engine.sync_now()                        # any thread: "sync soon" (also on new outbox entries)
    report = await engine.run_cycle()        # one cycle, awaited (tests, "Sync now" buttons)
    await engine.stop()

One cycle: make sure the session is fresh (refresh when close to expiry; no request otherwise),
push the outbox, pull the change log, download queued/pinned blobs. With nothing to do that is
ONE HTTP request: the pull. Failures never lose anything: offline or a failing server -> state
OFFLINE, the changes stay queued and the next cycle comes after an exponential backoff with
jitter; a session the server refused -> NEEDS_SIGN_IN with the reason; a refused change ->
parked (visible in the status), the rest goes on.

Store work runs on one worker thread (:class:`~studio_desktop.sync.worker.StoreRunner`), so the
GUI thread never waits for a pull page to be written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass, field

from studio_desktop.domain.errors import BugError, StudioError
from studio_desktop.domain.models import parse_ts, utc_now
from studio_desktop.domain.status import SyncState, SyncStatus
from studio_desktop.store import sync_state as keys
from studio_desktop.store.errors import StoreEnvironmentError
from studio_desktop.store.outbox import OutboxCounts
from studio_desktop.store.workspace import Store
from studio_desktop.sync.blobs import BlobTransfer, DownloadReport
from studio_desktop.sync.errors import (
    AuthRequiredError,
    NotSignedInError,
    OfflineError,
    RefusedError,
    SessionRevokedError,
    SyncError,
    TransientError,
)
from studio_desktop.sync.live import LiveOptions, LiveSync
from studio_desktop.sync.pull import Puller, PullReport
from studio_desktop.sync.push import DEFAULT_BATCH_ROWS, Pusher, PushReport
from studio_desktop.sync.retry import Requester, RetryPolicy, Sleep
from studio_desktop.sync.session import SessionManager
from studio_desktop.sync.status import StatusPublisher, parked_changes
from studio_desktop.sync.worker import StoreRunner

log = logging.getLogger(__name__)


class AccountMismatchError(SyncError):
    """The signed-in user is not the owner of this workspace."""


@dataclass(frozen=True, slots=True)
class SyncOptions:
    interval: float = 30.0  # seconds between cycles when all is well
    backoff_min: float = 2.0  # first wait after a failed cycle
    backoff_max: float = 300.0
    wake_debounce: float = 0.3  # gather a burst of local changes into one cycle
    push_batch_rows: int = DEFAULT_BATCH_ROWS
    pull_page_size: int = 1000
    select_page_size: int = 1000
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    #: Supabase Realtime as a hint to pull (``sync/live.py``); None = poll only.
    live: LiveOptions | None = None


@dataclass(slots=True)
class CycleReport:
    ok: bool = False
    error: StudioError | None = None
    exception: BaseException | None = None  # a bug (never a network problem)
    push: PushReport | None = None
    pull: PullReport | None = None
    blobs: DownloadReport | None = None
    requests: int = 0
    seconds: float = 0.0


class SyncEngine:
    def __init__(
        self,
        store: Store,
        session: SessionManager,
        *,
        options: SyncOptions | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        runner: StoreRunner | None = None,
    ) -> None:
        self.store = store
        self.session = session
        self.connection = session.connection
        self.options = options or SyncOptions()
        self.rng = rng or random.Random()
        self._own_runner = runner is None
        self.runner = runner or StoreRunner()
        self.requester = Requester(
            self.connection, session, self.options.retry, sleep=sleep, rng=self.rng
        )
        self.pusher = Pusher(
            store,
            self.connection,
            self.requester,
            self.runner,
            batch_rows=self.options.push_batch_rows,
            on_progress=self._push_progress,
        )
        self.puller = Puller(
            store,
            self.connection,
            self.requester,
            self.runner,
            page_size=self.options.pull_page_size,
            select_page_size=self.options.select_page_size,
        )
        self.blobs = BlobTransfer(
            store, self.connection, self.requester, self.runner, on_progress=self._blob_progress
        )
        initial = (
            SyncStatus.local_workspace()
            if store.is_local
            else SyncStatus(
                state=SyncState.OFFLINE if session.signed_in else SyncState.NEEDS_SIGN_IN,
                account=session.email,
                last_synced_at=self._stored_last_sync(),
            )
        )
        self._status = StatusPublisher(initial)
        #: Every new :class:`SyncStatus` (emitted on the loop's thread).
        self.status_changed = self._status.changed
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._failures = 0
        self._last_saved = float("-inf")
        self._last_pending = -1
        self._stopping = False
        self.live: LiveSync | None = None
        self._live_up = False
        self._hinted = False  # the wake came from the live hint debouncer: no second debounce
        store.outbox.changed.connect(self._on_outbox_changed)

    # ------------------------------------------------------------------ status
    @property
    def status(self) -> SyncStatus:
        return self._status.current

    def _stored_last_sync(self) -> object:
        try:
            value = self.store.sync_state.get(keys.LAST_SYNC_AT)
            return parse_ts(value) if value else None
        except (StoreEnvironmentError, ValueError):
            return None

    def _push_progress(self, report: PushReport, total: int) -> None:
        done = report.pushed + report.parked
        total = max(total, done)
        self._status.update(
            state=SyncState.SYNCING, done=done, total=total, bytes_up=report.bytes_up
        )

    def _blob_progress(self, report: DownloadReport, total: int) -> None:
        self._status.update(
            downloading=max(0, total - report.downloaded - report.unavailable),
            bytes_down=report.bytes_down,
        )

    # ------------------------------------------------------------------ one cycle
    async def run_cycle(self) -> CycleReport:
        """Push, pull, download; never raises for network, server or session problems."""
        async with self._lock:
            return await self._cycle()

    async def _cycle(self) -> CycleReport:
        report = CycleReport()
        started = time.perf_counter()
        before = self.connection.requests
        if self.store.is_local:
            self._status.update(state=SyncState.LOCAL)
            report.ok = True
            return report
        self.requester.new_cycle()
        try:
            record = await self.session.ensure_fresh()
            if record.user_id != self.store.user_id:
                raise AccountMismatchError(
                    "You are signed in as another account than this workspace's; "
                    "nothing was synced."
                )
            uploads = await self.runner.run(self._count_uploads)
            self._status.update(
                state=SyncState.SYNCING,
                account=record.email,
                done=0,
                total=0,
                uploading=uploads,
                downloading=0,
                bytes_up=0,
                bytes_down=0,
            )
            report.push = await self.pusher.push()
            self._status.update(uploading=0)
            report.pull = await self.puller.pull()
            report.blobs = await self.blobs.download_queued()
            now = utc_now()
            busy = report.push.pushed or report.pull.upserts or report.pull.deletes
            if busy or time.monotonic() - self._last_saved > 60:
                await self.runner.run(self._save_last_sync, now)
                self._last_saved = time.monotonic()
            report.ok = True
            self._failures = 0
            await self._publish_done(report, now)
        except (NotSignedInError, SessionRevokedError) as exc:
            report.error = exc
            await self._publish_problem(SyncState.NEEDS_SIGN_IN, exc.message, account=None)
        except AuthRequiredError as exc:
            report.error = exc
            await self._publish_problem(
                SyncState.NEEDS_SIGN_IN,
                "The server no longer accepts this sign-in. Sign in again to keep syncing; "
                "your changes are kept.",
            )
        except OfflineError as exc:
            report.error = exc
            await self._publish_problem(SyncState.OFFLINE, exc.message)
        except TransientError as exc:
            report.error = exc
            await self._publish_problem(SyncState.OFFLINE, exc.message)
        except (RefusedError, AccountMismatchError, SyncError) as exc:
            report.error = exc
            await self._publish_problem(SyncState.OFFLINE, exc.message)
        except StoreEnvironmentError as exc:
            report.error = exc
            await self._publish_problem(SyncState.OFFLINE, exc.message)
        except Exception as exc:
            log.exception("sync cycle failed")
            report.exception = exc
            message = (
                exc.message
                if isinstance(exc, BugError)
                else f"An internal error stopped syncing ({type(exc).__name__})."
            )
            await self._publish_problem(SyncState.OFFLINE, message)
        finally:
            report.requests = self.connection.requests - before
            report.seconds = time.perf_counter() - started
        if not report.ok:
            self._failures += 1
        return report

    def _count_uploads(self) -> int:
        return int(
            self.store.db.scalar("SELECT count(*) FROM outbox WHERE kind = 'upload' AND parked = 0")
        )

    def _save_last_sync(self, now: object) -> None:
        with self.store.transaction():
            self.store.sync_state.set(keys.LAST_SYNC_AT, str(now.isoformat()))  # type: ignore[attr-defined]

    def _snapshot(self) -> tuple[OutboxCounts, list[object]]:
        return self.store.outbox.counts(), self.store.outbox.parked()

    async def _publish_done(self, report: CycleReport, now: object) -> None:
        counts, parked = await self.runner.run(self._snapshot)
        rejected = tuple(
            f"{r.table} {str(r.row_id or '')[:8]}: {r.reason}"
            for r in (report.pull.rejected if report.pull else [])
        )
        self._status.update(
            state=SyncState.UP_TO_DATE if not counts.pending else SyncState.SYNCING,
            done=0,
            total=0,
            queued=counts.pending,
            last_synced_at=now,
            parked=parked_changes(parked),  # type: ignore[arg-type]
            account=self.session.email,
            detail=None,
            last_error=None,
            uploading=0,
            downloading=0,
            rejected=rejected or self._status.current.rejected,
        )

    async def _publish_problem(
        self, state: SyncState, message: str, *, account: object = ...
    ) -> None:
        with contextlib.suppress(StoreEnvironmentError):
            counts, parked = await self.runner.run(self._snapshot)
            self._status.update(queued=counts.pending, parked=parked_changes(parked))  # type: ignore[arg-type]
        if state == SyncState.OFFLINE and self._status.current.queued:
            detail = f"{message} {self._status.current.queued} change(s) are waiting to sync."
        else:
            detail = message
        changes: dict[str, object] = {
            "state": state,
            "done": 0,
            "total": 0,
            "uploading": 0,
            "downloading": 0,
            "detail": detail,
            "last_error": message,
        }
        if account is not ...:
            changes["account"] = account
        elif self.session.email:
            changes["account"] = self.session.email
        self._status.update(**changes)

    # ------------------------------------------------------------------ the loop
    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Run cycles in the background on ``loop`` (default: the running loop)."""
        if self._task is not None and not self._task.done():
            return
        self._loop = loop or asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stopping = False
        self._task = self._loop.create_task(self._run(), name="studio-sync-engine")
        if self.options.live is not None and not self.store.is_local:
            self.live = LiveSync(
                self.session,
                wake=self._pull_soon,
                set_live=self._set_live,
                fresh=self._fresh_session,  # type: ignore[arg-type]
                options=self.options.live,
                rng=self.rng,
            )
            self.live.start(self._loop)

    def sync_now(self) -> None:
        """Ask for a cycle soon; safe from any thread."""
        loop, wake = self._loop, self._wake
        if loop is None or wake is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(wake.set)

    def _on_outbox_changed(self, counts: OutboxCounts) -> None:
        grew = counts.pending > self._last_pending >= 0
        self._last_pending = counts.pending
        if grew:
            self.sync_now()

    # ------------------------------------------------------------------ live
    def _set_live(self, up: bool) -> None:
        """The live socket came up (only a safety poll now) or went down (poll again at the
        normal interval, starting at once)."""
        self._live_up = up
        self._status.update(live=up)
        if not up:
            self.sync_now()

    def _pull_soon(self) -> None:
        """A live hint burst is over (already debounced): a cycle now."""
        self._hinted = True
        self.sync_now()

    async def _fresh_session(self, force: bool) -> object:
        async with self._lock:  # never two refreshes of one refresh token at once
            if force:
                return await self.session.refresh()
            return await self.session.ensure_fresh()

    def _delay(self) -> float:
        if self._failures == 0:
            if self._live_up and self.options.live is not None:
                return max(self.options.interval, self.options.live.safety_poll)
            return self.options.interval
        ceiling = min(
            self.options.backoff_max, self.options.backoff_min * (2 ** (self._failures - 1))
        )
        return self.rng.uniform(ceiling / 2, ceiling)

    async def _run(self) -> None:
        assert self._wake is not None
        while not self._stopping:
            # Cleared BEFORE the cycle: a change made while it runs asks for the next one.
            self._wake.clear()
            report = await self.run_cycle()
            self._last_pending = self._status.current.queued
            if self.live is not None:
                self.live.after_cycle(report.ok, report.pull.cursor if report.pull else None)
            if report.exception is not None:
                log.error("sync cycle bug: %r", report.exception)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._delay())
            if self._stopping:
                break
            hinted, self._hinted = self._hinted, False
            if self.options.wake_debounce > 0 and not hinted:
                await asyncio.sleep(self.options.wake_debounce)

    async def stop(self) -> None:
        """Stop the background cycles (a running cycle is cancelled; nothing is lost)."""
        self._stopping = True
        live, self.live = self.live, None
        if live is not None:
            await live.stop()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def close(self) -> None:
        await self.stop()
        with contextlib.suppress(ValueError):
            self.store.outbox.changed.disconnect(self._on_outbox_changed)
        if self._own_runner:
            await asyncio.get_running_loop().run_in_executor(None, self.runner.close)
