"""After signing in from the local workspace: offer to move the local items into the account.

The UI asks :func:`local_items` what there is ("12 jobs, 3 creations, 40 files") and, if the
user accepts, calls :func:`move_local_items`: every row and file of the local workspace gets the
account's user id and ``<user id>/`` storage prefix (``store.workspace.move_local_into_account``,
one transaction in the account's database, safe to run again after an interruption), and the
engine is asked to push at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from studio_desktop.domain.models import TABLES
from studio_desktop.store.workspace import MoveReport, Store, move_local_into_account
from studio_desktop.sync.engine import CycleReport, SyncEngine


@dataclass(frozen=True, slots=True)
class LocalItems:
    rows: dict[str, int]
    files: int

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def empty(self) -> bool:
        return self.total_rows == 0 and self.files == 0


def local_items(local: Store) -> LocalItems:
    """What the local workspace holds (to decide whether to offer the move at all)."""
    rows = {table: local.rows.count(table) for table in TABLES}
    files = int(
        local.db.scalar("SELECT count(*) FROM blobs WHERE state IN ('queued_upload', 'synced')")
    )
    return LocalItems({t: n for t, n in rows.items() if n}, files)


async def move_local_items(
    local: Store, account: Store, engine: SyncEngine | None = None, *, push_now: bool = True
) -> tuple[MoveReport, CycleReport | None]:
    """Move everything local into ``account`` (off the event loop), then sync.

    Returns the move's report and, with an engine and ``push_now``, the report of the cycle that
    pushed it (``None`` otherwise; the engine's next cycle pushes then).
    """
    if engine is not None:
        report = await engine.runner.run(move_local_into_account, local, account)
    else:
        report = await asyncio.to_thread(move_local_into_account, local, account)
    cycle: CycleReport | None = None
    if engine is not None and push_now:
        cycle = await engine.run_cycle()
    return report, cycle
