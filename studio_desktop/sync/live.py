"""Live sync: Supabase Realtime as a hint to pull, never as the data.

The server (``supabase/migrations/*_live.sql``) broadcasts one message per transaction to the
private topic ``sync:<user id>`` of every user whose rows it changed; the payload is only the
writer's transaction id. :class:`LiveSync` keeps supabase-py's async Realtime client joined to
that topic and turns hints into pulls:

- **a debounced pull per burst**: the first hint arms a short timer (``debounce``); hints that
  arrive before it fires (or while the pull runs) are absorbed, so a burst of 1,000 changes
  costs a handful of pulls;
- **a catch-up pull on every (re)subscribe**: whatever happened while the socket was down (or
  before it was up) is in the change log, so nothing is missed;
- **lag**: a pull only returns log entries below the oldest running transaction, so right after
  a commit an older, still running writer can hold a hinted entry back. A hint carries its xid;
  until the pulled cursor is past it, :meth:`after_cycle` asks for another pull (with backoff);
- **the token**: the access token goes to the socket on every session change (``set_auth``),
  and a timer refreshes the session before it expires, because the Realtime server closes a
  channel whose token expired. A (re)join always starts with a fresh token.

The supervisor does not trust the client library for liveness: its ``is_connected`` stays true
on a dead TCP connection, its own heartbeat never looks at replies, and its reconnect stops for
good after 5 failures. So the library's reconnect is off, and :class:`LiveSync` sends its own
heartbeat (topic ``phoenix``) every ``heartbeat_interval`` and declares the socket dead when no
reply comes within ``heartbeat_timeout``, or when the channel errors or closes; then it throws
the client away and builds a new one after a backoff with jitter, forever. While it is down,
the engine polls at its normal interval; while it is up, one safety poll per ``safety_poll``.
Realtime is never required: offline, disabled on the project, or refused, the engine polls as
it always did and the status bar says "polling".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from realtime import AsyncRealtimeClient, RealtimeSubscribeStates
from realtime.message import Message

from studio_desktop.domain.events import Event
from studio_desktop.sync.errors import SyncError
from studio_desktop.sync.session import SessionManager, SessionRecord

log = logging.getLogger(__name__)
# The client library logs every failed connection attempt as an ERROR; offline, that is one a
# minute in the designer's log for something that is expected and handled here (and logged at
# INFO by the supervisor). Keep its warnings and worse that are not about connecting.
logging.getLogger("realtime._async.client").setLevel(logging.CRITICAL)

HINT_EVENT = "changes"
#: A connection that lived this long resets the reconnect backoff; a socket that keeps dying
#: sooner (a stuck server that accepts joins) backs off further each time.
STABLE_SECONDS = 60.0


def topic_for(user_id: str) -> str:
    return f"sync:{user_id}"


def cursor_xid(cursor: str | None) -> int | None:
    """The xid part of a ``v1.<xid>.<seq>`` pull cursor (``None`` if it is not one)."""
    if not cursor:
        return None
    parts = cursor.split(".")
    if len(parts) != 3 or parts[0] != "v1" or not parts[1].isdigit():
        return None
    return int(parts[1])


@dataclass(frozen=True, slots=True)
class LiveOptions:
    """How the live connection behaves (seconds)."""

    debounce: float = 0.15  # gather a burst of hints into one pull
    heartbeat_interval: float = 15.0  # our own heartbeat on topic "phoenix"
    heartbeat_timeout: float = 10.0  # no reply within this: the socket is dead
    join_timeout: float = 10.0  # connect + join
    backoff_min: float = 1.0  # first wait before reconnecting
    backoff_max: float = 60.0
    refused_backoff: float = 300.0  # Realtime disabled or the topic refused: try again rarely
    safety_poll: float = 300.0  # the engine's interval while the socket is up
    lag_retry: float = 0.25  # first wait before pulling again for a hint not yet pullable
    lag_retry_max: float = 5.0
    lag_give_up: float = 120.0  # a transaction held open this long: leave it to the polls
    token_margin: float = 120.0  # refresh the session this long before its token expires


class _Tap:
    """The client's websocket, seen through: every received frame is shown to ``on_frame``
    before the client's own reader gets it (heartbeat replies, which the client drops)."""

    def __init__(self, ws: Any, on_frame: Callable[[str | bytes], None]) -> None:
        self._ws = ws
        self._on_frame = on_frame

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)

    async def __aiter__(self) -> AsyncIterator[str | bytes]:
        async for frame in self._ws:
            self._on_frame(frame)
            yield frame


class _Client(AsyncRealtimeClient):
    """supabase-py's async Realtime client with a tap on received frames."""

    def __init__(self, *args: Any, on_frame: Callable[[str | bytes], None], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._on_frame = on_frame

    async def _on_connect(self) -> None:
        ws = self._ws_connection
        if ws is not None and not isinstance(ws, _Tap):
            self._ws_connection = _Tap(ws, self._on_frame)  # type: ignore[assignment]
        await super()._on_connect()


async def _finish(*tasks: asyncio.Task[Any]) -> None:
    """Cancel ``tasks`` and wait until they have ended. Cancelling again matters: Python
    3.11's ``asyncio.wait_for`` can swallow a cancellation that arrives just as the awaited
    thing completes, and a loop that swallowed it would otherwise run on for ever."""
    pending = {t for t in tasks if not t.done()}
    while pending:
        for task in pending:
            task.cancel()
        _done, pending = await asyncio.wait(pending, timeout=0.5)


class _Down(Exception):  # noqa: N818 (a state, not an error)
    def __init__(self, reason: str, *, refused: bool = False, token: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.refused = refused  # Realtime said no for good (disabled, no permission)
        self.token = token  # the token was refused: refresh before the next join


class LiveSync:
    """One user's live connection, supervised. Runs on the app's asyncio loop.

    ``wake`` asks the engine for a pull cycle soon; ``set_live`` tells it whether the socket
    is up (live: safety poll only) or down (poll at the normal interval); ``fresh(force)``
    returns a session fresh enough to join with.
    """

    def __init__(
        self,
        session: SessionManager,
        *,
        wake: Callable[[], None],
        set_live: Callable[[bool], None],
        fresh: Callable[[bool], Awaitable[SessionRecord]] | None = None,
        options: LiveOptions | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.session = session
        self._fresh = fresh
        self.options = options or LiveOptions()
        self.rng = rng or random.Random()
        self._wake = wake
        self._set_live = set_live
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._client: _Client | None = None
        self._down: asyncio.Future[_Down] | None = None
        self._replies: dict[str, asyncio.Future[None]] = {}
        self._ref = 0
        self._debounce: asyncio.TimerHandle | None = None
        self._lag: asyncio.TimerHandle | None = None
        self._lag_delay = self.options.lag_retry
        self._lag_since: float | None = None
        self._session_changed = asyncio.Event()
        #: The highest transaction id hinted and not yet known to be pulled.
        self.pending_xid: int | None = None
        self.up = False
        self._up_since = 0.0
        #: Emitted with True when the channel is joined, False when it is lost.
        self.changed: Event[bool] = Event("live.changed")
        # Counters (tests and benchmarks).
        self.hints = 0
        self.wakes = 0
        self.connects = 0
        self.heartbeats_sent = 0
        self.failures: list[str] = []

    # ------------------------------------------------------------------ lifecycle
    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        if self._task is not None and not self._task.done():
            return
        loop = loop or asyncio.get_running_loop()
        self._stopping = False
        self.session.changed.connect(self._on_session_changed)
        self._task = loop.create_task(self._supervise(), name="studio-live-sync")

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            self.session.changed.disconnect(self._on_session_changed)
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            await _finish(task)
        for handle in (self._debounce, self._lag):
            if handle is not None:
                handle.cancel()
        self._debounce = self._lag = None
        await self._drop_client()
        self._mark(False)

    # ------------------------------------------------------------------ hints -> pulls
    def _request_pull(self) -> None:
        self.wakes += 1
        self._wake()

    def _on_hint(self, message: Any) -> None:
        self.hints += 1
        payload = message.get("payload") if isinstance(message, dict) else None
        raw = payload.get("xid") if isinstance(payload, dict) else None
        xid = int(raw) if isinstance(raw, str) and raw.isdigit() else None
        if xid is not None and (self.pending_xid is None or xid > self.pending_xid):
            self.pending_xid = xid
        if self._debounce is None:
            loop = asyncio.get_running_loop()
            self._debounce = loop.call_later(self.options.debounce, self._debounced)

    def _debounced(self) -> None:
        self._debounce = None
        self._request_pull()

    def after_cycle(self, ok: bool, cursor: str | None) -> None:
        """Called by the engine after each cycle: pull again while a hinted transaction is
        not yet behind the cursor (an older transaction was still running)."""
        if self.pending_xid is None:
            return
        position = cursor_xid(cursor)
        now = time.monotonic()
        if self._lag_since is None:
            self._lag_since = now
        if (ok and position is not None and position > self.pending_xid) or (
            now - self._lag_since > self.options.lag_give_up
        ):
            # Pulled (or held back so long by some open transaction that the normal polls
            # and the next hints will bring it): stop asking.
            self.pending_xid = None
            self._lag_since = None
            self._lag_delay = self.options.lag_retry
            return
        if self._lag is None:
            delay = self._lag_delay
            self._lag_delay = min(self.options.lag_retry_max, self._lag_delay * 2)
            self._lag = asyncio.get_running_loop().call_later(delay, self._lag_due)

    def _lag_due(self) -> None:
        self._lag = None
        self._request_pull()

    # ------------------------------------------------------------------ session and token
    def _on_session_changed(self, record: SessionRecord | None) -> None:
        self._session_changed.set()
        client = self._client
        if client is None:
            return
        if record is None or record.user_id != getattr(self, "_user_id", None):
            self._fail(_Down("the session ended or changed"))
            return
        asyncio.get_running_loop().create_task(self._set_auth(client, record.access_token))

    async def _set_auth(self, client: _Client, token: str) -> None:
        try:
            await client.set_auth(token)
        except Exception as exc:  # a broken socket: the supervisor will notice
            log.info("live: could not hand the new token to the socket: %s", type(exc).__name__)

    async def _fresh_record(self, force: bool) -> SessionRecord:
        """A session with a token good for a while (refreshed when ``force`` or close to
        expiry), through ``fresh`` (the engine serializes refreshes with its cycles: two
        refreshes with one refresh token would end the session)."""
        if self._fresh is not None:
            return await self._fresh(force)
        if force:
            return await self.session.refresh()
        return await self.session.ensure_fresh()

    # ------------------------------------------------------------------ the supervisor
    def _mark(self, up: bool) -> None:
        if up == self.up:
            return
        self.up = up
        self._set_live(up)
        self.changed.emit(up)

    def _fail(self, down: _Down) -> None:
        future = self._down
        if future is not None and not future.done():
            future.set_result(down)

    def _backoff(self, attempt: int, refused: bool) -> float:
        if refused:
            ceiling = self.options.refused_backoff
        else:
            ceiling = min(self.options.backoff_max, self.options.backoff_min * 2 ** max(0, attempt))
        return self.rng.uniform(ceiling / 2, ceiling)

    async def _supervise(self) -> None:
        attempt = 0
        force_refresh = False
        while not self._stopping:
            if not self.session.signed_in:
                self._session_changed.clear()
                await self._session_changed.wait()
                continue
            try:
                record = await self._fresh_record(force_refresh)
                force_refresh = False
                down = await self._run_once(record)
            except _Down as exc:  # the join was refused (and why)
                down = exc
            except SyncError as exc:  # offline, or the session cannot be refreshed now
                down = _Down(f"no fresh session: {exc.message}")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # websocket/handshake errors, timeouts
                down = _Down(f"{type(exc).__name__}: {exc}")
            was_up, up_for = self.up, time.monotonic() - self._up_since
            await self._drop_client()
            self._mark(False)
            if was_up:
                if up_for >= STABLE_SECONDS:
                    attempt = 0  # it had worked for a while: try again soon
                self._request_pull()  # polling takes over now, starting with a pull
            self.failures.append(down.reason)
            log.info("live sync down (%s); polling meanwhile", down.reason)
            force_refresh = down.token
            delay = self._backoff(attempt, down.refused)
            attempt += 1
            self._session_changed.clear()
            with contextlib.suppress(TimeoutError):
                # A new sign-in or refreshed session is worth an early retry.
                await asyncio.wait_for(self._session_changed.wait(), delay)

    async def _run_once(self, record: SessionRecord) -> _Down:
        """Connect, join, stay until the socket is found dead; returns why it ended."""
        loop = asyncio.get_running_loop()
        self._down = loop.create_future()
        self._user_id = record.user_id
        config = self.session.connection.config
        client = _Client(
            f"{config.normalized_url}/realtime/v1",
            config.anon_key,
            auto_reconnect=False,  # we reconnect, forever, with jitter
            hb_interval=10**6,  # its heartbeat never checks replies: ours does
            timeout=max(1, int(self.options.join_timeout)),
            on_frame=self._on_frame,
        )
        self._client = client
        self.connects += 1
        await client.set_auth(record.access_token)
        await asyncio.wait_for(client.connect(), self.options.join_timeout)
        channel = client.channel(
            topic_for(record.user_id),
            {
                "config": {
                    "broadcast": {"ack": False, "self": False},
                    "presence": {"key": "", "enabled": False},
                    "private": True,
                }
            },
        )
        channel.on_broadcast(HINT_EVENT, self._on_hint)
        joined: asyncio.Future[None] = loop.create_future()

        def on_state(state: RealtimeSubscribeStates, error: Exception | None) -> None:
            if state == RealtimeSubscribeStates.SUBSCRIBED:
                if not joined.done():
                    joined.set_result(None)
                return
            reason = str(error) if error else state.value
            if not joined.done():
                joined.set_exception(self._join_problem(reason))
            else:
                self._fail(_Down(f"channel {state.value}: {reason}", token="expired" in reason))

        await asyncio.wait_for(channel.subscribe(on_state), self.options.join_timeout)
        await asyncio.wait_for(joined, self.options.join_timeout)
        self._up_since = time.monotonic()
        self._mark(True)
        self._request_pull()  # catch up on whatever happened before the join
        refresher = loop.create_task(self._keep_token_fresh(client))
        beater = loop.create_task(self._heartbeats(client))
        try:
            return await self._down
        finally:
            await _finish(refresher, beater)

    @staticmethod
    def _join_problem(reason: str) -> _Down:
        try:
            text = str(json.loads(reason).get("reason", reason))
        except (ValueError, AttributeError):
            text = reason
        token = "Token has expired" in text or "InvalidJWTToken" in text
        refused = text.startswith(("Unauthorized", "RealtimeDisabledForTenant", "PrivateOnly"))
        return _Down(f"join refused: {text}", refused=refused and not token, token=token)

    async def _heartbeats(self, client: _Client) -> None:
        loop = asyncio.get_running_loop()
        while self._client is client and not self._stopping:
            await asyncio.sleep(self.options.heartbeat_interval)
            self._ref += 1
            ref = f"live-hb-{self._ref}"
            reply: asyncio.Future[None] = loop.create_future()
            self._replies[ref] = reply
            sent = time.monotonic()
            try:
                self.heartbeats_sent += 1
                await asyncio.wait_for(
                    client.send(Message(topic="phoenix", event="heartbeat", payload={}, ref=ref)),
                    self.options.heartbeat_timeout,
                )
                left = self.options.heartbeat_timeout - (time.monotonic() - sent)
                await asyncio.wait_for(reply, max(0.01, left))
            except TimeoutError:
                self._fail(_Down("no heartbeat reply"))
                return
            except Exception as exc:
                self._fail(_Down(f"heartbeat failed: {type(exc).__name__}"))
                return
            finally:
                self._replies.pop(ref, None)

    def _on_frame(self, frame: str | bytes) -> None:
        if not isinstance(frame, str) or '"phoenix"' not in frame:
            return
        try:
            data = json.loads(frame)
        except ValueError:
            return
        if data.get("topic") == "phoenix" and data.get("event") == "phx_reply":
            reply = self._replies.get(str(data.get("ref")))
            if reply is not None and not reply.done():
                reply.set_result(None)

    async def _keep_token_fresh(self, client: _Client) -> None:
        while self._client is client and not self._stopping:
            record = self.session.record
            if record is None:
                self._fail(_Down("signed out"))
                return
            # On the server's clock: a computer whose clock is behind would refresh too late.
            wait = record.expires_at - self.session.server_now() - self.options.token_margin
            await asyncio.sleep(max(1.0, wait))
            try:
                # Emits session.changed when it refreshes -> set_auth on the socket.
                await self._fresh_record(False)
            except SyncError as exc:
                log.info("live: token refresh failed (%s); retrying", exc.message)
                await asyncio.sleep(self.rng.uniform(5, 15))

    async def _drop_client(self) -> None:
        client, self._client = self._client, None
        self._down = None
        for reply in self._replies.values():
            if not reply.done():
                reply.cancel()
        self._replies.clear()
        if client is None:
            return
        for channel in list(client.channels.values()):
            channel.rejoin_timer.reset()
            channel.join_push.destroy()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.close(), 2.0)
