"""Opening a workspace's store, and moving the local workspace into an account.

One database (and one blob folder) per workspace: ``workspaces/local`` for the no-account
workspace, ``workspaces/<account key>`` per signed-in account (see ``store/locations.py``). A
store only ever holds one user's rows and files, so accounts never see each other's data.

The local workspace has its own random user id (kept in the database) and no outbox (there is no
server to push to). :func:`move_local_into_account` rewrites its rows to the account's user id
and ``<user id>/`` storage prefix, and queues everything for upload, when a user signs in and
accepts "move my local items".
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from studio_desktop.domain.models import MODELS, Row, new_id
from studio_desktop.domain.paths import rebase_path
from studio_desktop.store import sync_state as keys
from studio_desktop.store.blobcache import DEFAULT_BUDGET_BYTES, BlobCache, VerifyReport
from studio_desktop.store.db import DEFAULT_BUSY_TIMEOUT_MS, Database, Transaction
from studio_desktop.store.errors import StoreEnvironmentError
from studio_desktop.store.locations import LOCAL_WORKSPACE, DataDirs, WorkspaceDirs, account_key
from studio_desktop.store.outbox import Outbox
from studio_desktop.store.queries import Queries
from studio_desktop.store.recovery import RecoveryReport, open_database, precheck
from studio_desktop.store.repository import ChangeSet, Repository, model_from_sql
from studio_desktop.store.sync_state import SyncState
from studio_desktop.store.tables import PATH_COLUMNS

log = logging.getLogger(__name__)

#: Ids a :class:`ChangeJournal` keeps at most; past them it gives up (says "too many").
JOURNAL_LIMIT = 5000


@dataclass(frozen=True, slots=True)
class Written:
    """The rows written since a store was opened: ids by table, upserted and deleted apart."""

    upserts: dict[str, tuple[str, ...]]
    deletes: dict[str, tuple[str, ...]]


class ChangeJournal:
    """The ids of the rows written (``rows_changed``) since the store was opened, until
    :meth:`take` is called.

    The History's early page is read before the store opens (``store/feed_sql.py``); the feed
    that takes its rows over asks here what was written since (a job the last session left
    running, resumed meanwhile), to read those rows again and only those. The journal stops at
    the first :meth:`take`, or by itself past :data:`JOURNAL_LIMIT` ids, so a store nobody
    asks keeps no list growing."""

    def __init__(self, rows: Repository) -> None:
        self._rows = rows
        self._lock = threading.Lock()
        self._upserts: dict[str, dict[str, None]] = {}
        self._deletes: dict[str, dict[str, None]] = {}
        self._count = 0
        self._state = "recording"  # then "taken" or "overflowed"
        rows.rows_changed.connect(self._record)

    def _record(self, change: ChangeSet) -> None:
        with self._lock:
            if self._state != "recording":
                return
            kept = self._deletes if change.kind == "delete" else self._upserts
            kept.setdefault(change.table, {}).update(dict.fromkeys(change.ids))
            self._count += len(change.ids)
            if self._count > JOURNAL_LIMIT:
                self._stop("overflowed")

    def _stop(self, state: str) -> None:
        self._state = state
        self._upserts, self._deletes = {}, {}
        with contextlib.suppress(ValueError):  # (already disconnected)
            self._rows.rows_changed.disconnect(self._record)

    def take(self) -> Written | None:
        """What was written since the open, and stop recording; ``None`` when that is not
        known (too many rows were written, or it was taken before)."""
        with self._lock:
            if self._state != "recording":
                return None
            written = Written(
                {t: tuple(ids) for t, ids in self._upserts.items()},
                {t: tuple(ids) for t, ids in self._deletes.items()},
            )
            self._stop("taken")
            return written


@dataclass(slots=True)
class Store:
    """Everything of one workspace: the database and the objects that work on it.

    - ``rows``: writes (local with outbox entries; remote without) and ``rows_changed`` events
    - ``queries``: typed reads for the UI
    - ``outbox``: what the sync engine pushes
    - ``blobs``: the blob cache
    - ``sync_state``: cursor and account information
    """

    dirs: WorkspaceDirs
    db: Database
    outbox: Outbox
    blobs: BlobCache
    rows: Repository
    queries: Queries
    sync_state: SyncState
    user_id: str
    is_local: bool
    #: Set when the database was damaged and rebuilt at this open (show its ``message``).
    recovery: RecoveryReport | None
    blob_check: VerifyReport
    #: What was written since the open (see :class:`ChangeJournal`).
    journal: ChangeJournal | None = field(default=None)

    def transaction(self) -> Transaction:
        """One transaction over everything above (e.g. a pull page and its cursor)."""
        return self.db.transaction()

    def close(self) -> None:
        if not self.db.closed:
            self.blobs.flush_access()
            self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(
    dirs: WorkspaceDirs,
    *,
    user_id: str | None = None,
    account: dict[str, Any] | None = None,
    blob_budget_bytes: int = DEFAULT_BUDGET_BYTES,
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
) -> Store:
    """Open one workspace. ``user_id=None`` is the local workspace (no outbox, own random id);
    otherwise the database must belong to that user (it is refused if it belongs to another)."""
    dirs.ensure()
    db, recovery = open_database(dirs.database, busy_timeout_ms=busy_timeout_ms)
    try:
        state = SyncState(db)
        with db.transaction():
            stored = state.get(keys.WORKSPACE_USER_ID)
            if stored is None:
                stored = user_id or new_id()
                state.set(keys.WORKSPACE_USER_ID, stored)
            elif user_id is not None and stored != user_id:
                raise StoreEnvironmentError(
                    f"The workspace folder {dirs.root.name} belongs to another account; "
                    "it was left untouched."
                )
            if account is not None:
                state.set(keys.ACCOUNT, account)
        outbox = Outbox(db, enabled=user_id is not None)
        blobs = BlobCache(db, dirs.blobs, outbox, budget_bytes=blob_budget_bytes)
        blob_check = blobs.verify()
        rows = Repository(db, outbox, blobs, user_id=stored)
        return Store(
            dirs=dirs,
            db=db,
            outbox=outbox,
            blobs=blobs,
            rows=rows,
            queries=Queries(db),
            sync_state=state,
            user_id=stored,
            is_local=user_id is None,
            recovery=recovery,
            blob_check=blob_check,
            journal=ChangeJournal(rows),
        )
    except BaseException:
        db.close()
        raise


def precheck_workspace(data: DataDirs, key: str) -> bool:
    """Check workspace ``key``'s database ahead of its open (see :func:`~.recovery.precheck`)."""
    return precheck(data.workspace(key).database)


def open_local_store(data: DataDirs, **options: Any) -> Store:
    """The no-account workspace (``workspaces/local``)."""
    return open_store(data.workspace(LOCAL_WORKSPACE), **options)


def open_account_store(
    data: DataDirs, project_url: str, user_id: str, *, email: str | None = None, **options: Any
) -> Store:
    """One signed-in account's workspace (``workspaces/<project hash>-<user id>``)."""
    account = {"project_url": project_url.rstrip("/"), "user_id": user_id, "email": email}
    return open_store(
        data.workspace(account_key(project_url, user_id)),
        user_id=user_id,
        account=account,
        **options,
    )


@dataclass(frozen=True, slots=True)
class MoveReport:
    rows: dict[str, int]
    files: int
    already_moved: bool


def _rebase_json(value: Any, old_prefix: str, new_user_id: str) -> Any:
    """Storage paths inside ``input_json`` move with the rows."""
    if isinstance(value, str) and value.startswith(old_prefix):
        return rebase_path(value, new_user_id)
    if isinstance(value, list):
        return [_rebase_json(v, old_prefix, new_user_id) for v in value]
    if isinstance(value, dict):
        return {k: _rebase_json(v, old_prefix, new_user_id) for k, v in value.items()}
    return value


def _rebased(model: Row, old_user_id: str, new_user_id: str) -> Row:
    changes: dict[str, Any] = {}
    row = model.to_row()
    if "user_id" in row:
        changes["user_id"] = new_user_id
    for column in PATH_COLUMNS.get(model.table, ()):
        path = row.get(column)
        if path:
            changes[column] = rebase_path(path, new_user_id)
    if "input_json" in row:
        changes["input_json"] = _rebase_json(row["input_json"], f"{old_user_id}/", new_user_id)
    return dataclasses.replace(model, **changes)  # type: ignore[type-var]


def move_local_into_account(local: Store, account: Store) -> MoveReport:
    """Move every row and file of the local workspace into an account's workspace.

    In the account database, in ONE transaction: the files are indexed as uploads-in-waiting
    (with their ``upload`` entries first), every row is saved with the account's user id and
    rebased storage paths (with its ``upsert`` entry), and the move is recorded. Then the local
    workspace is emptied. Running it again after an interruption between the two steps only
    finishes emptying the local workspace (nothing is queued twice).
    """
    if not local.is_local or account.is_local:
        raise StoreEnvironmentError("Only the local workspace can be moved into an account.")
    old_uid, new_uid = local.user_id, account.user_id
    counts: dict[str, int] = {}
    files = 0
    moved_before = old_uid in account.sync_state.get(keys.MOVED_FROM_LOCAL, [])
    if not moved_before:
        with account.transaction():
            for row in local.db.query(
                "SELECT bucket, path, content_type, file_name FROM blobs "
                "WHERE state IN ('queued_upload', 'synced')"
            ):
                source = local.blobs.file_path(row["file_name"]) if row["file_name"] else None
                if source is None or not source.exists():
                    log.warning(
                        "local file of %s/%s is gone; not moved", row["bucket"], row["path"]
                    )
                    continue
                account.blobs.put_file(
                    row["bucket"],
                    rebase_path(row["path"], new_uid),
                    source,
                    row["content_type"] or "application/octet-stream",
                    upload=True,
                )
                files += 1
            for model_type in MODELS:
                models = [
                    _rebased(model_from_sql(model_type, r), old_uid, new_uid)
                    for r in local.db.query(
                        f"SELECT {', '.join(model_type.columns())} FROM {model_type.table} "
                        "ORDER BY created_at, id"
                    )
                ]
                account.rows.save_many(models, touch=False)
                counts[model_type.table] = len(models)
            moved = account.sync_state.get(keys.MOVED_FROM_LOCAL, [])
            account.sync_state.set(keys.MOVED_FROM_LOCAL, [*moved, old_uid])
    # Step two: empty the local workspace (children first; files after commit).
    with local.transaction():
        for model_type in reversed(MODELS):
            local.db.execute(f"DELETE FROM {model_type.table}")
        local.blobs.clear()
    log.info("moved local workspace into account: %s, %d file(s)", json.dumps(counts), files)
    return MoveReport(counts, files, moved_before)
