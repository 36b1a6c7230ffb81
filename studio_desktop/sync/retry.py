"""Sending one request the way every part of the engine must: bounded retries, backoff with
jitter, and one session refresh on a 401.

:class:`Requester.send` runs a supabase-py call through :meth:`Connection.call` (so failures are
typed), and:

- retries :class:`TransientError` (5xx, 429, dropped connections, read timeouts) up to
  ``attempts`` times with exponential backoff and full jitter;
- retries :class:`OfflineError` only ``offline_attempts`` times (a server that refuses
  connections is not coming back within a cycle; the engine backs off between cycles instead);
- before sending, refreshes the session when its access token expires within
  ``request_margin`` seconds on the SERVER's clock (a long queue, a laptop waking from sleep, a
  computer whose clock is behind the server's), so the request does not go out with a token the
  server is about to refuse;
- on :class:`AuthRequiredError` refreshes the session once and tries again (a second 401 is
  raised: the user must sign in again). Requests in flight at the same time that all get a 401
  share ONE refresh (a refresh token is single-use: a second refresh with it would end the
  session), through a generation number: a request refreshes only if no refresh happened since
  it was sent;
- on :class:`SessionSuspectError` (Storage's ``AccessDenied``/``NoSuchBucket``, which it also
  sends for an expired or bad token) does the same, and only when the answer is the same with a
  token fresh from a refresh is it raised as the refusal it looks like
  (:attr:`SessionSuspectError.refusal`). So nothing is ever parked or marked unavailable
  because of a token, and a real refusal costs at most one refresh per cycle;
- raises :class:`RefusedError` at once (retrying cannot fix it).

The sleep function and the random generator are injectable, so tests run without waiting.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from studio_desktop.sync.connection import Connection
from studio_desktop.sync.errors import (
    AuthRequiredError,
    OfflineError,
    SessionRevokedError,
    SessionSuspectError,
    TransientError,
)

if TYPE_CHECKING:
    from studio_desktop.sync.session import SessionManager

log = logging.getLogger(__name__)
T = TypeVar("T")
Sleep = Callable[[float], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 6  # per request, transient failures
    offline_attempts: int = 2  # per request, connection refused / unreachable
    base_delay: float = 0.2
    max_delay: float = 5.0
    #: Retries allowed in one cycle over all requests; beyond it the cycle stops (and the engine
    #: backs off), so a sick server never keeps one cycle busy forever.
    cycle_budget: int = 200
    #: Refresh before a request whose token expires within this many seconds (server clock).
    request_margin: float = 30.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * (2**attempt)))


class Requester:
    """The one way the engine sends requests (see module doc)."""

    def __init__(
        self,
        connection: Connection,
        session: SessionManager,
        policy: RetryPolicy | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.connection = connection
        self.session = session
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.retries = 0  # this cycle
        self.refreshes = 0  # this cycle
        self._refresh_lock = asyncio.Lock()
        self._refreshed = 0  # refreshes done by this requester, ever (a generation number)
        #: The access token the last refresh by this requester produced: a refusal that comes
        #: back for a request sent with it is not blamed on the token again.
        self._fresh_token: str | None = None

    def new_cycle(self) -> None:
        self.retries = 0
        self.refreshes = 0

    async def send(self, make: Callable[[], Awaitable[T]], what: str) -> T:
        attempt = 0
        offline = 0
        refreshed = False
        while True:
            if not refreshed:
                await self._refresh_if_expiring(what)
            generation = self._refreshed
            sent_with = self.connection.bearer_token()
            try:
                return await self.connection.call(make, what)
            except SessionRevokedError:
                raise
            except SessionSuspectError as exc:
                if refreshed or self._is_fresh(sent_with):
                    raise exc.refusal from exc  # the same answer with a fresh token: it is real
                refreshed = True
                await self._refresh_after_401(generation, what)
                continue
            except AuthRequiredError:
                if refreshed:
                    raise
                refreshed = True
                await self._refresh_after_401(generation, what)
                continue
            except OfflineError:
                offline += 1
                if offline >= self.policy.offline_attempts:
                    raise
                failure: Exception = OfflineError("offline")
            except TransientError as exc:
                attempt += 1
                if attempt >= self.policy.attempts:
                    raise
                failure = exc
            self.retries += 1
            if self.retries > self.policy.cycle_budget:
                raise TransientError(
                    "The server keeps failing; syncing will try again in a while."
                ) from failure
            delay = self.policy.delay(attempt + offline, self.rng)
            log.debug("%s failed (%s); retry in %.2f s", what, type(failure).__name__, delay)
            await self.sleep(delay)

    async def _refresh_if_expiring(self, what: str) -> None:
        """Refresh first when the token expires within ``request_margin`` (server clock).

        A token this requester just got from a refresh is used until it has expired (a server
        that issues tokens shorter-lived than the margin would otherwise cost a refresh per
        request). Nothing happens when signed out (the request goes as anon and its answer
        says so)."""
        session = self.session
        record = session.record
        if record is None:
            return
        margin = 0.0 if record.access_token == self._fresh_token else self.policy.request_margin
        if not session.expires_within(margin):
            return
        generation = self._refreshed
        async with self._refresh_lock:
            if self._refreshed != generation:
                return  # a request alongside refreshed meanwhile
            self.refreshes += 1
            log.info("%s: the token expires within %.0f s, refreshing first", what, margin)
            try:
                fresh = await session.refresh()
                self._fresh_token = fresh.access_token
            finally:
                self._refreshed += 1

    def _is_fresh(self, token: str | None) -> bool:
        """Whether ``token`` came from this requester's last refresh and has not expired yet
        (server clock): a refusal of a request sent with it is not the token's fault."""
        record = self.session.record
        return (
            token is not None
            and token == self._fresh_token
            and record is not None
            and record.access_token == token
            and not self.session.expires_within(0.0)
        )

    async def _refresh_after_401(self, generation: int, what: str) -> None:
        """Refresh the session, unless a request refused alongside already did since this one
        was sent (``generation``)."""
        async with self._refresh_lock:
            if self._refreshed != generation:
                return  # refreshed meanwhile: just send again with the new token
            self.refreshes += 1
            log.info("%s: token refused, refreshing the session once", what)
            try:
                fresh = await self.session.refresh()
                self._fresh_token = fresh.access_token
            finally:
                self._refreshed += 1
