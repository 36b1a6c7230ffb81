"""A small key/value table for what the sync engine must remember across restarts.

Values are JSON. Well-known keys (constants below) are the pull cursor, the time of the last
successful sync and the account the database belongs to; the sync engine may add its own.
Writes join the caller's transaction, so a pull page and its new cursor commit together::

    with store.transaction():
        store.rows.apply_remote_rows("jobs", page.rows)
        store.sync_state.set(CURSOR, page.cursor)
"""

from __future__ import annotations

import json
from typing import Any

from studio_desktop.store.db import Database

CURSOR = "cursor"
LAST_SYNC_AT = "last_sync_at"
ACCOUNT = "account"  # {"project_url", "user_id", "email"}
WORKSPACE_USER_ID = "workspace_user_id"  # the user id rows of this workspace carry
MOVED_FROM_LOCAL = "moved_from_local"  # local workspace user ids already moved in


class SyncState:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, key: str, default: Any = None) -> Any:
        raw = self.db.scalar("SELECT value FROM sync_state WHERE key = ?", (key,))
        return default if raw is None else json.loads(raw)

    def set(self, key: str, value: Any) -> None:
        self.db.execute(
            "INSERT INTO sync_state (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    def delete(self, key: str) -> None:
        self.db.execute("DELETE FROM sync_state WHERE key = ?", (key,))

    def items(self) -> dict[str, Any]:
        return {
            row["key"]: json.loads(row["value"])
            for row in self.db.query("SELECT key, value FROM sync_state ORDER BY key")
        }
