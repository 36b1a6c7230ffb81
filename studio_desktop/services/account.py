"""Workspaces and the account: open, switch, connect, sign in, sign out, move local items.

One call per thing the user asks for, built on the sync layer (no Qt here)::

    account = AccountService(dirs, executor=pool)
    ws = await account.open_initial()               # the last used workspace, else the local one
    check = await account.check_project(url, anon_key)  # is it a Supabase project, its key?
    await account.connect(url, anon_key, checked=check.checked)  # remembers the project
    outcome = await account.sign_in(email, password) # opens the account's workspace, syncs
    if outcome.local_items is not None:              # the local workspace has items: offer a move
        report = await account.move_local_items()
    ws = await account.switch(LOCAL_WORKSPACE)       # or an account key from ``workspaces()``
    await account.sign_out()                         # back to the local workspace
    await account.aclose()

:class:`OpenWorkspace` is what the UI shows: the :class:`WorkspaceServices` of one workspace,
and for an account its session and :class:`SyncEngine` (started, its ``status_changed`` event
tells the status bar). Switching closes the current workspace (its running jobs stop, their rows
stay and resume next time; the sync engine stops) before the other is opened.

What is remembered, in ``<data root>/workspaces.json`` (no secrets; written atomically): the
projects (URL and anon key: the anon key is public by design; those added offline are listed
as not checked yet, and checked at the next sign-in), the accounts that signed in on
this computer (project, user id, e-mail: to list them and reopen their workspace offline), and
the workspace used last. The session's tokens live in the OS keyring (``sync/secrets.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from studio_desktop.domain.errors import ExternalError, ValidationError
from studio_desktop.domain.status import SyncState, SyncStatus
from studio_desktop.engine.inputs import waits_for_engine
from studio_desktop.services.jobs import WAITING_FOR_ENGINE, WAITING_FOR_MOVE, WAITING_FOR_SIGN_IN
from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.store.blobcache import DEFAULT_BUDGET_BYTES
from studio_desktop.store.locations import (
    LOCAL_WORKSPACE,
    REGISTRY_FILE,
    DataDirs,
    account_key,
)
from studio_desktop.store.workspace import (
    MoveReport,
    Store,
    open_account_store,
    open_local_store,
)

if TYPE_CHECKING:
    # The sync and remote-engine stack (supabase-py, httpx, keyring) is imported where an
    # account needs it, not at start: the local workspace's History shows without it.
    from keyring.backend import KeyringBackend

    from studio_desktop.engine.remote_api import GenerationApiClient
    from studio_desktop.sync.account_move import LocalItems
    from studio_desktop.sync.engine import CycleReport, SyncEngine, SyncOptions
    from studio_desktop.sync.project_check import ProjectCheck
    from studio_desktop.sync.session import SessionManager

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Called right before the open workspace is closed (the UI lets go of it: its screens go,
#: their operations end), so nothing reads a closed store.
BeforeClose = Callable[[], Awaitable[None]]

LOCAL_LABEL = "Local workspace"


class AccountError(ExternalError):
    """An account action that cannot be done now (no project connected, unknown workspace)."""


# ---------------------------------------------------------------------------- what is remembered
@dataclass(frozen=True, slots=True)
class KnownAccount:
    key: str
    project_url: str
    user_id: str
    email: str | None

    @property
    def label(self) -> str:
        host = self.project_url.split("://", 1)[-1]
        return f"{self.email or self.user_id[:8]} ({host})"


@dataclass
class Registry:
    """``workspaces.json``: projects, accounts seen on this computer, the last workspace."""

    path: Path
    projects: dict[str, str] = field(default_factory=dict)  # url -> anon key
    project_url: str | None = None  # the project connected last
    unchecked: set[str] = field(default_factory=set)  # projects added offline, not checked yet
    accounts: dict[str, KnownAccount] = field(default_factory=dict)
    last: str = LOCAL_WORKSPACE

    @classmethod
    def load(cls, path: Path) -> Registry:
        registry = cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return registry
        except (OSError, ValueError) as exc:
            log.warning("%s is unreadable (%s); starting from the local workspace", path, exc)
            return registry
        if not isinstance(data, dict):
            return registry
        projects = data.get("projects")
        if isinstance(projects, dict):
            registry.projects = {str(k): str(v) for k, v in projects.items()}
        unchecked = data.get("unchecked_projects")
        if isinstance(unchecked, list):
            registry.unchecked = {str(u) for u in unchecked if str(u) in registry.projects}
        url = data.get("project_url")
        registry.project_url = (
            str(url) if isinstance(url, str) and url in registry.projects else None
        )
        accounts = data.get("accounts")
        if isinstance(accounts, dict):
            for key, value in accounts.items():
                if not isinstance(value, dict):
                    continue
                try:
                    registry.accounts[str(key)] = KnownAccount(
                        str(key),
                        str(value["project_url"]),
                        str(value["user_id"]),
                        value.get("email") if isinstance(value.get("email"), str) else None,
                    )
                except KeyError:
                    continue
        last = data.get("last")
        if isinstance(last, str) and (last == LOCAL_WORKSPACE or last in registry.accounts):
            registry.last = last
        return registry

    def save(self) -> None:
        data: dict[str, Any] = {
            "projects": self.projects,
            "unchecked_projects": sorted(self.unchecked),
            "project_url": self.project_url,
            "accounts": {
                key: {"project_url": a.project_url, "user_id": a.user_id, "email": a.email}
                for key, a in self.accounts.items()
            },
            "last": self.last,
        }
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temp.write_text(json.dumps(data, indent=2), encoding="utf-8")
            os.replace(temp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise AccountError(
                f"The list of workspaces could not be saved ({exc.strerror or exc})."
            ) from exc


# ---------------------------------------------------------------------------- an open workspace
@dataclass
class OpenWorkspace:
    """The workspace the window shows."""

    key: str
    label: str
    services: WorkspaceServices
    account: KnownAccount | None = None
    session: SessionManager | None = None
    engine: SyncEngine | None = None
    api_client: GenerationApiClient | None = None
    #: Why the sync engine is not running although this is an account (None when it runs).
    not_syncing_reason: str | None = None
    #: The sync engine is attached after the first screen (:meth:`AccountService.open_initial`
    #: with ``sync_later``; then :meth:`AccountService.start_deferred_sync`).
    sync_pending: bool = False
    _blob_requests: set[asyncio.Future[None]] = field(default_factory=set, repr=False)

    @property
    def is_local(self) -> bool:
        return self.account is None

    @property
    def store(self) -> Store:
        return self.services.store

    @property
    def status(self) -> SyncStatus:
        """The sync status to show now (then follow ``engine.status_changed``)."""
        if self.account is None:
            return SyncStatus.local_workspace()
        if self.sync_pending and self.engine is None:
            return SyncStatus(
                state=SyncState.SYNCING, account=self.account.email, detail="Starting the sync…"
            )
        if self.engine is None or self.not_syncing_reason:
            return SyncStatus(
                state=SyncState.NEEDS_SIGN_IN,
                account=self.account.email,
                detail=self.not_syncing_reason,
            )
        return self.engine.status

    def request_blob(self, bucket: str, path: str) -> None:
        """ "This object is on screen but not on this computer": queue its download and ask the
        sync engine for a cycle (no-op in the local workspace). Call on the event loop's thread;
        returns at once (the store write runs in the executor)."""
        if self.engine is None or self.store.db.closed:
            return
        store, engine = self.store, self.engine

        def want() -> None:
            if not store.db.closed:
                store.blobs.want(bucket, path)

        future = asyncio.get_running_loop().run_in_executor(self.services.executor, want)
        future.add_done_callback(lambda f: engine.sync_now() if not f.exception() else None)
        self._blob_requests.add(future)
        future.add_done_callback(self._blob_requests.discard)

    async def drop_remote_engine(self) -> None:
        self.services.set_remote_engine(None)
        client, self.api_client = self.api_client, None
        if client is not None:
            await client.aclose()

    async def aclose(self) -> None:
        """Stop syncing, stop jobs (rows stay), close the store. Safe to call twice."""
        if self._blob_requests:
            await asyncio.gather(*self._blob_requests, return_exceptions=True)
        if self.engine is not None:
            await self.engine.close()
        await self.drop_remote_engine()
        if not self.services.store.db.closed:
            await self.services.aclose()


@dataclass(frozen=True, slots=True)
class SignInOutcome:
    workspace: OpenWorkspace
    #: What the local workspace holds, when the sign-in came from it and it is not empty:
    #: the UI offers to move it into the account (:meth:`AccountService.move_local_items`).
    local_items: LocalItems | None
    #: Jobs of the local workspace waiting for the studio's engine (try-ons): kept local, they
    #: cannot run (their profile is on this computer only), which the UI says.
    local_waiting: int = 0


def describe_items(items: LocalItems) -> str:
    """ "3 jobs, 2 profiles and 5 files" for the move question."""
    names = {
        "jobs": ("job", "jobs"),
        "profiles": ("profile", "profiles"),
        "canvas_threads": ("creation", "creations"),
        "garment_cutouts": ("garment cutout", "garment cutouts"),
    }
    parts = []
    for table, (one, many) in names.items():
        count = items.rows.get(table, 0)
        if count:
            parts.append(f"{count} {one if count == 1 else many}")
    if items.files:
        parts.append(f"{items.files} file{'s' if items.files != 1 else ''}")
    if not parts:
        return f"{items.total_rows} item(s)"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# ---------------------------------------------------------------------------- the service
class AccountService:
    def __init__(
        self,
        dirs: DataDirs,
        *,
        executor: Executor | None = None,
        keyring_backend: KeyringBackend | None = None,
        sync_options: SyncOptions | None = None,
        connect_timeout: float = 5.0,
    ) -> None:
        self.dirs = dirs
        self.executor = executor
        self.keyring_backend = keyring_backend
        # The app syncs live (Realtime as a hint to pull) unless told otherwise.
        #: ``None``: the defaults, with live sync (Realtime hints) on.
        self.sync_options = sync_options
        self.connect_timeout = connect_timeout
        self.registry = Registry.load(dirs.root / REGISTRY_FILE)
        self.current: OpenWorkspace | None = None
        self.cache_budget_bytes = DEFAULT_BUDGET_BYTES
        self.engine_choice = "local"
        self.remote_api_url = ""
        self._sessions: dict[str, SessionManager] = {}
        self._lock = asyncio.Lock()

    # ------------------------------------------------------------------ reading
    @property
    def project_url(self) -> str | None:
        return self.registry.project_url

    def workspaces(self) -> list[tuple[str, str]]:
        """``(key, label)`` of the local workspace and every account seen on this computer."""
        known = sorted(self.registry.accounts.values(), key=lambda a: a.label.casefold())
        return [(LOCAL_WORKSPACE, LOCAL_LABEL), *((a.key, a.label) for a in known)]

    def session_for(self, project_url: str) -> SessionManager | None:
        return self._sessions.get(project_url.rstrip("/"))

    # ------------------------------------------------------------------ opening
    async def open_initial(self, *, sync_later: bool = False) -> OpenWorkspace:
        """The workspace used last (an account's opens offline if need be), else the local one.

        With ``sync_later`` an account's sync engine (supabase-py, httpx: a few hundred
        milliseconds of imports) is not attached yet: the caller shows the workspace first,
        then calls :meth:`start_deferred_sync`."""
        async with self._lock:
            key = self.registry.last
            if key != LOCAL_WORKSPACE:
                try:
                    return await self._open(key, sync_later=sync_later)
                except ExternalError as exc:
                    log.warning("the last workspace could not be opened: %s", exc.message)
            return await self._open(LOCAL_WORKSPACE)

    async def start_deferred_sync(self, workspace: OpenWorkspace) -> bool:
        """Attach and start the sync engine :meth:`open_initial` left out (``sync_later``);
        True if it did. A workspace closed or switched meanwhile is left alone; a failure is
        logged and kept as the workspace's ``not_syncing_reason`` (it stays browsable)."""
        async with self._lock:
            if (
                not workspace.sync_pending
                or workspace is not self.current
                or workspace.store.db.closed
            ):
                return False
            try:
                await self._attach_sync(workspace)
            except ExternalError as exc:
                log.warning("the sync could not be started: %s", exc.message)
                workspace.not_syncing_reason = exc.message
            finally:
                workspace.sync_pending = False
            return workspace.engine is not None

    async def switch(self, key: str, *, before_close: BeforeClose | None = None) -> OpenWorkspace:
        """Close the current workspace and open ``key`` (``"local"`` or an account key).

        If ``key`` cannot be opened, the local workspace is opened instead and the error raised.
        """
        async with self._lock:
            if self.current is not None and self.current.key == key:
                return self.current
            if key != LOCAL_WORKSPACE and key not in self.registry.accounts:
                raise AccountError("This workspace is not known on this computer.")
            await self._close_current(before_close)
            return await self._open_or_local(key)

    # ------------------------------------------------------------------ account
    async def check_project(self, url: str, anon_key: str) -> ProjectCheck:
        """Ask the project whether it is one and the key is its anon key (see
        :func:`~studio_desktop.sync.project_check.check_project`): raises a
        :class:`ProjectCheckError` naming the field to fix, or returns ``checked=False`` when
        offline."""
        project_check = await self._import("studio_desktop.sync.project_check")
        return await project_check.check_project(
            url, anon_key, timeout=max(self.connect_timeout, 1.0) + 3.0
        )

    def project_checked(self, url: str) -> bool:
        return url.rstrip("/") not in self.registry.unchecked

    async def connect(self, url: str, anon_key: str, *, checked: bool = True) -> SessionManager:
        """Remember the project and load its saved session, if any (no network needed).
        ``checked=False`` (added offline) marks it "not checked yet": :meth:`sign_in` checks it
        first."""
        url = url.rstrip("/")
        if not url or not anon_key:
            raise ValidationError("Both the project URL and its anon key are needed.", "url")
        async with self._lock:
            old = self._sessions.pop(url, None)
            if old is not None and self.registry.projects.get(url) != anon_key:
                await old.connection.close()
                old = None
            self.registry.projects[url] = anon_key
            self.registry.project_url = url
            if checked:
                self.registry.unchecked.discard(url)
            else:
                self.registry.unchecked.add(url)
            await self._io(self.registry.save)
            if old is not None:
                self._sessions[url] = old
            return await self._session(url)

    async def sign_in(
        self, email: str, password: str, *, before_close: BeforeClose | None = None
    ) -> SignInOutcome:
        """Sign in to the connected project and open that account's workspace (syncing).

        Raises :class:`~studio_desktop.sync.session.SignInError` for wrong credentials or a
        refusal, and the sync layer's ``OfflineError`` when the server cannot be reached; the
        current workspace stays open then.
        """
        url = self.registry.project_url
        if url is None:
            raise AccountError("Connect to your studio's Supabase project first.")
        if url in self.registry.unchecked:
            await self._check_unchecked(url)
        async with self._lock:
            session = await self._session(url)
            record = await session.sign_in(email, password)
            key = account_key(url, record.user_id)
            self.registry.accounts[key] = KnownAccount(key, url, record.user_id, record.email)
            items: LocalItems | None = None
            current = self.current
            if current is not None and current.key == key:
                current.not_syncing_reason = None
                await self._start_sync(current)
                await self._io(self.registry.save)
                return SignInOutcome(current, None)
            waiting = 0
            if current is not None and current.is_local:
                move = await self._import("studio_desktop.sync.account_move")
                found = await self._io(move.local_items, current.store)
                items = None if found.empty else found
                unfinished = await self._io(current.services.jobs.store.unfinished_jobs)
                waiting = sum(1 for job in unfinished if waits_for_engine(job.input_json, job.type))
            await self._close_current(before_close)
            workspace = await self._open_or_local(key)
            return SignInOutcome(workspace, items, waiting)

    async def _check_unchecked(self, url: str) -> None:
        """A project added offline: check it now (a refusal stops the sign-in with its
        message; still offline, the sign-in goes on and says so itself)."""
        anon_key = self.registry.projects.get(url, "")
        result = await self.check_project(url, anon_key)
        if result.checked:
            self.registry.unchecked.discard(url)
            await self._io(self.registry.save)

    def signed_in_account(self) -> KnownAccount | None:
        """The account signed in to the connected project in this run (its session loaded),
        else None."""
        url = self.registry.project_url
        session = self._sessions.get(url) if url else None
        if url is None or session is None or not session.signed_in or not session.user_id:
            return None
        return self.registry.accounts.get(account_key(url, session.user_id))

    async def open_signed_in_account(
        self, *, before_close: BeforeClose | None = None
    ) -> OpenWorkspace:
        """The signed-in account's workspace, opened (from the local one) so the local work
        can be moved into it (:meth:`move_local_items`)."""
        account = self.signed_in_account()
        if account is None:
            raise AccountError(
                "Sign in to your studio account first (Account → Sign in); then your local "
                "work can move into it."
            )
        return await self.switch(account.key, before_close=before_close)

    async def move_local_items(self) -> tuple[MoveReport, CycleReport | None]:
        """Move everything of the local workspace into the open account's workspace and push."""
        async with self._lock:
            current = self.current
            if current is None or current.is_local:
                raise AccountError("Open your account's workspace to move the local items in.")
            move = await self._import("studio_desktop.sync.account_move")
            local = await self._io(open_local_store, self.dirs)
            try:
                engine = current.engine if not current.not_syncing_reason else None
                result = await move.move_local_items(local, current.store, engine)
            finally:
                await self._io(local.close)
            # Jobs that were waiting in the local workspace (a try-on made before signing in)
            # are this account's now: they run here, once the move's push has sent what they
            # refer to (their profile).
            await current.services.jobs.resume_unfinished()
            return result

    async def sign_out(self, *, before_close: BeforeClose | None = None) -> OpenWorkspace:
        """End the session of the connected project and go back to the local workspace."""
        async with self._lock:
            current = self.current
            url = current.account.project_url if current and current.account else None
            url = url or self.registry.project_url
            session = self._sessions.get(url) if url else None
            if current is not None and current.engine is not None:
                await current.engine.stop()
            if session is not None:
                await session.sign_out()
            if current is not None and current.is_local:
                return current
            await self._close_current(before_close)
            return await self._open(LOCAL_WORKSPACE)

    # ------------------------------------------------------------------ settings
    async def set_cache_budget(self, budget_bytes: int) -> None:
        """The blob cache's budget (evicts least recently used synced files over it)."""
        self.cache_budget_bytes = int(budget_bytes)
        if self.current is not None:
            await self._io(self.current.store.blobs.set_budget, self.cache_budget_bytes)

    async def set_engine(self, choice: str, api_url: str = "") -> str | None:
        """Use the local engine or the studio's remote API for new jobs.

        Returns a sentence for the user when the choice cannot apply yet (the remote engine
        needs a signed-in account), else ``None``.
        """
        self.engine_choice = choice
        self.remote_api_url = api_url.strip()
        current = self.current
        if current is None:
            return None
        await current.drop_remote_engine()
        reason = self._add_remote_engine(current)
        return reason if choice == "remote" else None

    # ------------------------------------------------------------------ closing
    async def aclose(self, *, before_close: BeforeClose | None = None) -> None:
        async with self._lock:
            await self._close_current(before_close)
            sessions, self._sessions = list(self._sessions.values()), {}
            for session in sessions:
                await session.connection.close()

    # ------------------------------------------------------------------ internals
    async def _io(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, lambda: fn(*args))

    async def _import(self, name: str) -> Any:
        """The module ``name``, imported on a worker thread (the sync stack takes a few hundred
        milliseconds to import; the window stays responsive meanwhile)."""
        module = sys.modules.get(name)
        if module is None:
            module = await self._io(importlib.import_module, name)
        return module

    async def _session(self, url: str) -> SessionManager:
        session = self._sessions.get(url)
        if session is not None:
            return session
        anon_key = self.registry.projects.get(url)
        if anon_key is None:
            raise AccountError("Connect to this Supabase project again (its key is not known).")
        connection = await self._import("studio_desktop.sync.connection")
        sessions = await self._import("studio_desktop.sync.session")
        config = connection.ConnectionConfig(url, anon_key, connect_timeout=self.connect_timeout)
        session = sessions.make_session(
            config, self.dirs.root / "secrets", backend=self.keyring_backend
        )
        self._sessions[url] = session
        await session.restore()
        return session

    async def _close_current(self, before_close: BeforeClose | None = None) -> None:
        if self.current is not None and before_close is not None:
            await before_close()
        current, self.current = self.current, None
        if current is not None:
            await current.aclose()

    async def _open_or_local(self, key: str) -> OpenWorkspace:
        try:
            return await self._open(key)
        except ExternalError:
            if key == LOCAL_WORKSPACE:
                raise
            log.warning("workspace %s could not be opened; opening the local one", key)
            await self._open(LOCAL_WORKSPACE)
            raise

    async def _open(self, key: str, *, sync_later: bool = False) -> OpenWorkspace:
        if key == LOCAL_WORKSPACE:
            store = await self._io(
                lambda: open_local_store(self.dirs, blob_budget_bytes=self.cache_budget_bytes)
            )
            workspace = OpenWorkspace(key, LOCAL_LABEL, self._services(store))
            # Before its waiting try-ons are resumed: they say what would run them.
            workspace.services.jobs.waiting_message = self._local_waiting_message()
        else:
            account = self.registry.accounts[key]
            store = await self._io(
                lambda: open_account_store(
                    self.dirs,
                    account.project_url,
                    account.user_id,
                    email=account.email,
                    blob_budget_bytes=self.cache_budget_bytes,
                )
            )
            workspace = OpenWorkspace(key, account.label, self._services(store), account)
        try:
            await workspace.services.start()
            if workspace.account is not None:
                if sync_later:
                    workspace.sync_pending = True
                else:
                    await self._attach_sync(workspace)
        except BaseException:
            await workspace.aclose()
            raise
        self.current = workspace
        if self.registry.last != key:
            self.registry.last = key
            await self._io(self.registry.save)
        return workspace

    def _local_waiting_message(self) -> str:
        """Why a try-on of the local workspace waits: no account yet (a sign-in runs it), or
        an account signed in that the designer kept the local work out of (only a move of the
        local work into it runs it: the try-on's profile is on this computer only)."""
        return WAITING_FOR_MOVE if self.signed_in_account() is not None else WAITING_FOR_SIGN_IN

    def _services(self, store: Store) -> WorkspaceServices:
        return WorkspaceServices.open(
            store, thumbnails_dir=store.dirs.thumbs, executor=self.executor
        )

    async def _attach_sync(self, workspace: OpenWorkspace) -> None:
        account = workspace.account
        assert account is not None
        workspace.sync_pending = False  # (attached now, whoever asked first)
        if account.project_url not in self.registry.projects:
            workspace.not_syncing_reason = (
                "Connect to this account's Supabase project again to sync."
            )
            return
        session = await self._session(account.project_url)
        workspace.session = session
        sync_engine = await self._import("studio_desktop.sync.engine")
        options = self.sync_options
        if options is None:
            live = await self._import("studio_desktop.sync.live")
            options = sync_engine.SyncOptions(live=live.LiveOptions())
        workspace.engine = sync_engine.SyncEngine(workspace.store, session, options=options)
        await self._start_sync(workspace)

    async def _start_sync(self, workspace: OpenWorkspace) -> None:
        account, session, engine = workspace.account, workspace.session, workspace.engine
        assert account is not None and session is not None and engine is not None
        if session.user_id is not None and session.user_id != account.user_id:
            who = account.email or "the owner of this workspace"
            workspace.not_syncing_reason = (
                f"Signed in as {session.email or 'another account'}: sign in as {who} to sync "
                "this workspace. Everything here stays browsable."
            )
            return
        workspace.not_syncing_reason = None
        # Also when new jobs prefer the local engine: a try-on only runs on the studio's.
        self._add_remote_engine(workspace)
        # Back online: a try-on waiting for the network is tried at once, not in 30 s.
        workspace.services.jobs.follow_network(engine.status_changed)
        engine.start()
        engine.sync_now()

    def _add_remote_engine(self, workspace: OpenWorkspace) -> str | None:
        """The studio's engine for this workspace when it can be used (signed in, the API's
        URL set); it runs the jobs that ask for it, and new jobs prefer it when the user chose
        it. Returns why it cannot be added, else ``None``."""
        session = workspace.session
        jobs = workspace.services.jobs
        if workspace.is_local or session is None or not session.signed_in:
            jobs.waiting_message = (
                self._local_waiting_message() if workspace.is_local else WAITING_FOR_ENGINE
            )
            return (
                "The studio's generation service needs a signed-in account; new jobs use the "
                "local engine meanwhile."
            )
        if not self.remote_api_url:
            jobs.waiting_message = (
                "Waiting for the studio's engine — set its address in Settings (Engine)"
            )
            return "Set the generation API's URL in Settings to use the remote engine."

        def token() -> str:
            record = session.record
            return record.access_token if record else ""

        async def refresh() -> str:
            return (await session.refresh()).access_token

        from studio_desktop.engine.remote import RemoteEngine
        from studio_desktop.engine.remote_api import GenerationApiClient

        client = GenerationApiClient(self.remote_api_url, token, refresh)
        workspace.api_client = client
        workspace.services.set_remote_engine(
            RemoteEngine(client), preferred=self.engine_choice == "remote"
        )
        return None
