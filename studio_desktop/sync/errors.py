"""What can go wrong while talking to Supabase, sorted by what the sync engine should do about it.

- :class:`OfflineError`: the server cannot be reached at all (no network, connection refused,
  DNS, connect timeout). Stop the cycle, back off, show "offline"; nothing is lost.
- :class:`TransientError`: the server was reached but the request did not complete (5xx, 429,
  a connection dropped mid-answer, a read timeout). Retry with backoff; the request may or may
  not have been applied, which is why every push is idempotent.
- :class:`AuthRequiredError`: the server does not accept our credentials (401, an expired or
  invalid JWT, or the client fell back to the anon key). Refresh the session once, then stop.
- :class:`SessionSuspectError`: an answer that means "refused" or "not found" for a good token,
  but is also what Supabase Storage sends for an expired or bad one (``AccessDenied``,
  ``NoSuchBucket`` on a download, which runs as anon when the token does not verify). Refresh
  once and repeat; only if the answer stays the same with a fresh token is it the
  :attr:`SessionSuspectError.refusal` it looks like. Until then it is an auth problem: nothing
  is parked or marked unavailable because of it.
- :class:`SessionRevokedError`: the refresh token itself was refused (``invalid_grant``): the
  user must sign in again. The session is removed; queued changes stay queued.
- :class:`RefusedError`: the server understood and said no for good (RLS 42501, foreign key
  23503, check 23514, not-null 23502, bad input 22P02, a 409 that is not a replay, other 4xx).
  Retrying cannot fix it: the outbox entry is parked with :attr:`RefusedError.reason`.

Every error carries ``message`` (readable, no secrets) like every other ``StudioError``.
"""

from __future__ import annotations

from studio_desktop.domain.errors import ExternalError


class SyncError(ExternalError):
    """Base of the sync layer's errors (``retryable`` says whether trying again may help)."""

    retryable: bool = False


class OfflineError(SyncError):
    retryable = True


class TransientError(SyncError):
    retryable = True

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthRequiredError(SyncError):
    """401 or a missing/anon session: refresh, then sign in again if that does not help."""


class NotSignedInError(AuthRequiredError):
    """There is no session at all (never signed in, or signed out)."""


class SessionRevokedError(AuthRequiredError):
    """The server refused the refresh token: the session is over (sign in again)."""


class SessionSuspectError(AuthRequiredError):
    """Maybe the session, maybe a real refusal (see the module doc); ``refusal`` is what it
    means when the token was good."""

    def __init__(self, message: str, refusal: RefusedError) -> None:
        super().__init__(message)
        self.refusal = refusal


class RefusedError(SyncError):
    """A permanent refusal: ``reason`` is the server's message, ``code`` its SQLSTATE/code."""

    def __init__(self, reason: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(f"The server refused the change: {reason}")
        self.reason = reason
        self.code = code
        self.status = status
