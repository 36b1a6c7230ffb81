"""Signing in and out, and keeping the session alive without ever losing it to a bad network.

The session (access token, refresh token, expiry, user id, e-mail) is kept in the OS keyring
through :class:`~studio_desktop.sync.secrets.SecretStore`, as OUR record (:class:`SessionRecord`),
under the service name of the project URL. supabase-py is given a storage adapter
(:class:`SessionStorage`) that reads and writes that same record, but its ``remove_item`` only
hides the session from supabase-py: it never deletes our copy. That matters because supabase-py
drops a stored session when a refresh fails for a network reason (seen in its source); here a
network failure keeps the user "signed in, offline", and only two things end a session:

- :meth:`SessionManager.sign_out` (the user asked), and
- a refresh the server refuses (``invalid_grant`` and friends): the session is removed and
  :attr:`SessionManager.signed_out_reason` says why, readably. Queued changes stay queued.

supabase-py's refresh timer is off. :meth:`SessionManager.ensure_fresh` runs before each sync
cycle: it refreshes when the access token expires within ``refresh_margin`` seconds, and makes
sure supabase-py sends the user's token (not the anon key it silently falls back to). Expiry is
measured on the server's clock (:meth:`SessionManager.server_now`: the local clock corrected by
the skew the connection learnt from the server's ``Date`` headers): the token's ``exp`` is the
server's time, and a computer whose clock is minutes behind would otherwise send expired tokens
it believes good.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from keyring.backend import KeyringBackend
from supabase_auth import AsyncSupportedStorage
from supabase_auth.types import Session

from studio_desktop.domain.errors import ExternalError
from studio_desktop.domain.events import Event
from studio_desktop.sync.connection import Connection, ConnectionConfig
from studio_desktop.sync.errors import (
    AuthRequiredError,
    NotSignedInError,
    OfflineError,
    RefusedError,
    SessionRevokedError,
    SyncError,
    TransientError,
)
from studio_desktop.sync.secrets import SecretStore, service_name

log = logging.getLogger(__name__)

SESSION_KEY = "session"
DEFAULT_REFRESH_MARGIN = 120.0


class SignInError(ExternalError):
    """Sign-in did not work: wrong e-mail or password, or the server refused; ``message`` says."""


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """Our copy of the session; small enough for every keyring (Windows caps at 2.5 KB)."""

    access_token: str
    refresh_token: str
    expires_at: int  # epoch seconds
    user_id: str
    email: str | None = None
    user_created_at: str | None = None
    #: Server clock minus local clock (seconds) when the session was saved, so a restarted app
    #: judges expiry on the server's clock before its first answer arrives.
    clock_skew: float | None = None

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        return self.expires_at - (time.time() if now is None else now) <= seconds

    def to_json(self) -> str:
        return json.dumps(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_at": self.expires_at,
                "user_id": self.user_id,
                "email": self.email,
                "user_created_at": self.user_created_at,
                "clock_skew": self.clock_skew,
            }
        )

    @classmethod
    def from_json(cls, raw: str) -> SessionRecord | None:
        try:
            data = json.loads(raw)
            return cls(
                access_token=str(data["access_token"]),
                refresh_token=str(data["refresh_token"]),
                expires_at=int(data["expires_at"]),
                user_id=str(data["user_id"]),
                email=data.get("email"),
                user_created_at=data.get("user_created_at"),
                clock_skew=_as_float(data.get("clock_skew")),
            )
        except (ValueError, KeyError, TypeError):
            return None

    @classmethod
    def from_session(cls, session: Session) -> SessionRecord:
        expires_at = session.expires_at or _jwt_exp(session.access_token) or int(time.time())
        created = session.user.created_at
        return cls(
            access_token=session.access_token,
            refresh_token=session.refresh_token,
            expires_at=int(expires_at),
            user_id=str(session.user.id),
            email=session.user.email,
            user_created_at=created.isoformat() if created else None,
        )

    def to_session_json(self) -> str:
        """The shape supabase-py stores (``Session.model_dump_json``)."""
        return json.dumps(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_in": max(0, int(self.expires_at - time.time())),
                "expires_at": self.expires_at,
                "token_type": "bearer",
                "user": {
                    "id": self.user_id,
                    "email": self.email,
                    "aud": "authenticated",
                    "app_metadata": {},
                    "user_metadata": {},
                    "created_at": self.user_created_at or "1970-01-01T00:00:00+00:00",
                },
            }
        )


def _as_float(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _jwt_exp(token: str) -> int | None:
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return int(data["exp"])
    except (IndexError, ValueError, KeyError, TypeError):
        return None


class SessionStorage(AsyncSupportedStorage):
    """supabase-py's session storage, backed by our record in the keyring.

    ``set_item`` (sign-in, refresh) saves the new record; ``get_item`` serves it; ``remove_item``
    hides it from supabase-py until the next ``set_item`` but keeps our copy (see module doc).
    """

    def __init__(self, secrets: SecretStore) -> None:
        self.secrets = secrets
        self._hidden = False
        #: The record's JSON as last read from or written to the keyring.
        self._stored: str | None = None
        #: Called with every record supabase-py saves (sign-in, refresh).
        self.on_saved: Callable[[SessionRecord], None] | None = None
        #: The connection's current clock skew, saved with each new record.
        self.clock_skew: Callable[[], float | None] = lambda: None

    def load(self) -> SessionRecord | None:
        raw = self.secrets.get(SESSION_KEY)
        self._stored = raw
        return SessionRecord.from_json(raw) if raw else None

    def save(self, record: SessionRecord) -> None:
        """Keep ``record``. Writing the keyring only when it changed matters: supabase-py saves
        the session it just read back on every start, and a keyring backend that does not
        write atomically (keyrings.alt's file) loses it if the process dies mid-write."""
        raw = record.to_json()
        if raw != self._stored:
            self.secrets.set(SESSION_KEY, raw)
            self._stored = raw
        self._hidden = False

    def stamped(self, record: SessionRecord) -> SessionRecord:
        """``record`` with the clock skew known now (whole tenths: a record that did not
        change otherwise is not rewritten for jitter)."""
        skew = self.clock_skew()
        return replace(record, clock_skew=None if skew is None else round(skew, 1))

    def forget(self) -> None:
        self.secrets.delete(SESSION_KEY)
        self._stored = None
        self._hidden = True

    async def get_item(self, key: str) -> str | None:
        if self._hidden:
            return None
        record = self.load()
        return record.to_session_json() if record else None

    async def set_item(self, key: str, value: str) -> None:
        try:
            session = Session.model_validate_json(value)
        except ValueError:
            log.warning("supabase-py stored a session this app cannot read; ignored")
            return
        record = self.stamped(SessionRecord.from_session(session))
        self.save(record)
        if self.on_saved is not None:
            self.on_saved(record)

    async def remove_item(self, key: str) -> None:
        self._hidden = True


class SessionManager:
    """The signed-in user of one project, kept valid before every sync cycle."""

    def __init__(
        self,
        connection: Connection,
        storage: SessionStorage,
        *,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.connection = connection
        self.storage = storage
        self.refresh_margin = refresh_margin
        self.clock = clock
        self.record: SessionRecord | None = None
        #: Why the session ended when the server refused it (``None`` otherwise).
        self.signed_out_reason: str | None = None
        #: Emitted with the new record after sign-in/refresh, and ``None`` after sign-out.
        self.changed: Event[SessionRecord | None] = Event("session.changed")
        storage.on_saved = self._saved
        storage.clock_skew = lambda: connection.clock_skew

    def server_now(self) -> float:
        """Now on the server's clock (see the module doc)."""
        return self.clock() + (self.connection.clock_skew or 0.0)

    def expires_within(self, seconds: float) -> bool:
        """Whether the current access token expires within ``seconds`` (server clock); ``False``
        when signed out."""
        record = self.record
        return record is not None and record.expires_within(seconds, self.server_now())

    def _saved(self, record: SessionRecord) -> None:
        self.record = record

    @property
    def signed_in(self) -> bool:
        return self.record is not None

    @property
    def user_id(self) -> str | None:
        return self.record.user_id if self.record else None

    @property
    def email(self) -> str | None:
        return self.record.email if self.record else None

    # ------------------------------------------------------------------ start-up
    async def restore(self) -> SessionRecord | None:
        """Load the saved session (no network). Returns it, or ``None`` when signed out.

        A still-valid token is installed in supabase-py at once; an expired one waits for
        :meth:`ensure_fresh` (so starting offline never loses the session).
        """
        self.record = self.storage.load()
        if self.record is not None:
            if self.connection.clock_skew is None and self.record.clock_skew is not None:
                self.connection.clock_skew = self.record.clock_skew
            await self.connection.open()
            if not self.record.expires_within(self.refresh_margin, self.server_now()):
                await self._install()
        return self.record

    async def _install(self) -> None:
        """Make supabase-py send our access token (no request: it is read from the storage)."""
        self.storage._hidden = False
        await self.connection.client.auth.initialize_from_storage()

    # ------------------------------------------------------------------ sign in/out
    async def sign_in(self, email: str, password: str) -> SessionRecord:
        client = await self.connection.open()
        try:
            response = await self.connection.call(
                lambda: client.auth.sign_in_with_password({"email": email, "password": password}),
                "sign in",
            )
        except RefusedError as exc:
            if exc.code in ("invalid_credentials", "invalid_grant", "email_not_confirmed"):
                raise SignInError(
                    "The e-mail address or the password is not right."
                    if exc.code != "email_not_confirmed"
                    else "Confirm your e-mail address first (see the message we sent)."
                ) from exc
            raise SignInError(f"The server refused the sign-in: {exc.reason}") from exc
        except AuthRequiredError as exc:
            raise SignInError(f"The server refused the sign-in: {exc.message}") from exc
        if response.session is None:
            raise SignInError("The server did not start a session (is the account confirmed?).")
        record = self.storage.stamped(SessionRecord.from_session(response.session))
        self.storage.save(record)
        self.record = record
        self.signed_out_reason = None
        self.changed.emit(record)
        log.info("signed in as user %s", record.user_id)
        return record

    async def sign_out(self) -> None:
        """End the session here (and on the server when reachable). Never fails offline."""
        record = self.record
        if record is not None and self.connection.is_open:
            client = self.connection.client
            try:
                if self.connection.bearer_token() != record.access_token and not (
                    record.expires_within(0, self.server_now())
                ):
                    await self._install()
                await self.connection.call(
                    lambda: client.auth.sign_out({"scope": "local"}), "sign out"
                )
            except SyncError as exc:
                log.info("server sign-out skipped: %s", exc.message)
        await self._end(None)

    async def _end(self, reason: str | None) -> None:
        self.storage.forget()
        self.record = None
        self.signed_out_reason = reason
        if self.connection.is_open:
            # Back to the anon key: nothing more is sent with the old token.
            client = self.connection.client
            client._listen_to_auth_events("SIGNED_OUT", None)
        self.changed.emit(None)

    # ------------------------------------------------------------------ freshness
    async def ensure_fresh(self) -> SessionRecord:
        """A session whose token is valid for at least ``refresh_margin`` seconds, installed.

        Raises :class:`NotSignedInError` (no session), :class:`OfflineError` /
        :class:`TransientError` (the session is KEPT: signed in, offline) or
        :class:`SessionRevokedError` (the server refused the refresh: signed out, with a reason).
        """
        record = self.record
        if record is None:
            raise NotSignedInError(
                self.signed_out_reason or "Sign in to sync this workspace with your account."
            )
        await self.connection.open()
        if record.expires_within(self.refresh_margin, self.server_now()):
            return await self.refresh()
        if self.connection.bearer_token() != record.access_token:
            await self._install()
            if self.connection.bearer_token() != record.access_token:
                # supabase-py judges expiry on THIS computer's clock: one ahead of the server's
                # makes it drop a token the server still accepts. A refresh installs the new
                # token whatever the local clock says.
                log.info("the session could not be installed (local clock ahead?); refreshing")
                return await self.refresh()
        return record

    async def refresh(self) -> SessionRecord:
        """Exchange the refresh token for a new session (also after a 401)."""
        record = self.record
        if record is None:
            raise NotSignedInError("Sign in to sync this workspace with your account.")
        client = await self.connection.open()
        try:
            response = await self.connection.call(
                lambda: client.auth.refresh_session(record.refresh_token), "refresh the session"
            )
        except (OfflineError, TransientError):
            raise  # keep the session: signed in, offline
        except (SessionRevokedError, RefusedError, AuthRequiredError) as exc:
            reason = (
                exc.message
                if isinstance(exc, SessionRevokedError)
                else "Your session has ended (the server refused to renew it). Sign in again to "
                "keep syncing; your unsynced changes are kept."
            )
            log.warning("session refresh refused: %s", type(exc).__name__)
            await self._end(reason)
            raise SessionRevokedError(reason) from exc
        session: Any = response.session
        if session is None:
            await self._end("The server ended the session. Sign in again to keep syncing.")
            raise SessionRevokedError("The server ended the session. Sign in again.")
        new = self.storage.stamped(SessionRecord.from_session(session))
        self.storage.save(new)
        self.record = new
        self.changed.emit(new)
        return new


def make_session(
    config: ConnectionConfig,
    secrets_dir: Path,
    *,
    backend: KeyringBackend | None = None,
    refresh_margin: float = DEFAULT_REFRESH_MARGIN,
    clock: Callable[[], float] = time.time,
) -> SessionManager:
    """A session manager for one project: keyring secrets (file fallback in ``secrets_dir``),
    supabase-py's storage adapter and the shared connection. Call :meth:`restore` next."""
    secrets = SecretStore(service_name(config.url), secrets_dir, backend=backend)
    storage = SessionStorage(secrets)
    return SessionManager(
        Connection(config, storage, clock=clock),
        storage,
        refresh_margin=refresh_margin,
        clock=clock,
    )
