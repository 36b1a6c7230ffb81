"""``python -m studio_desktop`` (a fresh process each, offscreen) and the History's early page:
shown right after the window's first paint and taken over by the workspace's feed; skipped or
replaced cleanly where it cannot be trusted (another start area, an old or damaged database,
an empty workspace, an account workspace that cannot be opened), and a window closed before
the workspace opened exits cleanly. Read from the app's own log."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from studio_desktop.store.db import Database
from studio_desktop.store.locations import DataDirs, account_key
from studio_desktop.store.migrations import LATEST_VERSION, migrate
from studio_desktop.store.workspace import open_account_store, open_local_store
from tests.services.test_history_feed import seed
from tests.ui.test_app_process import _run

pytestmark = pytest.mark.gui

EARLY = "first page painted, 60 jobs"
EARLY_NOTE = "(the early page: the workspace is not open yet)"
TAKEN_OVER = "the early page was taken over by the workspace's feed"
REPLACED = "the early page is replaced by the workspace's own"
PROJECT = "http://127.0.0.1:9"


def start(tmp_path: Path, data: Path, quit_after_ms: int = 600) -> str:
    result = _run(tmp_path, "--data-dir", str(data), "--quit-after-ms", str(quit_after_ms))
    log = (data / "logs" / "studio-desktop.log").read_text(encoding="utf-8")
    assert result.returncode == 0, result.stderr + log
    assert "Traceback" not in log + result.stderr, log
    assert "exited cleanly" in log
    return log


def lines(log: str, *needles: str) -> list[int]:
    """The line number of each needle's first occurrence (-1: absent)."""
    rows = log.splitlines()
    return [next((n for n, row in enumerate(rows) if needle in row), -1) for needle in needles]


def local_with_jobs(data: Path, jobs: int = 80) -> Path:
    store = open_local_store(DataDirs(data).ensure())
    seed(store, jobs, outputs=2)
    database = store.dirs.database
    store.close()
    return database


def test_the_first_page_is_painted_before_the_workspace_opens_and_taken_over(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    local_with_jobs(data)
    log = start(tmp_path, data)
    painted, early, taken, shown, ready = lines(
        log,
        "main window shown and painted",
        EARLY,
        TAKEN_OVER,
        "showing workspace local",
        "every service is ready",
    )
    assert -1 not in (painted, early, taken, shown, ready), log
    assert painted < early < taken < shown < ready
    assert EARLY_NOTE in log.splitlines()[early]
    assert log.count("first page painted") == 1, "the page taken over is not painted again"
    assert "WARNING" not in log, log


def test_no_early_page_when_the_window_starts_on_another_area(tmp_path: Path) -> None:
    data = tmp_path / "data"
    local_with_jobs(data)
    settings = data / "qt" / "Studio" / "Studio Desktop.ini"
    settings.parent.mkdir(parents=True)
    settings.write_text("[window]\narea=profiles\n", encoding="utf-8")
    log = start(tmp_path, data)
    assert "area profiles" in log
    assert "first page painted" not in log and TAKEN_OVER not in log, log


def test_an_old_database_is_migrated_first_and_then_shown(tmp_path: Path) -> None:
    data = tmp_path / "data"
    database = DataDirs(data).ensure().workspace().ensure().database
    old = Database(database)
    migrate(old, target=LATEST_VERSION - 1)
    user_id = str(uuid.uuid4())
    for n in range(30):  # jobs written by the older version, in its columns
        stamp = f"2024-05-02T09:{n:02d}:00.000000+00:00"
        old.execute(
            "INSERT INTO jobs (id, user_id, type, status, input_json, created_at, updated_at) "
            "VALUES (?, ?, 'product_pack', 'succeeded', ?, ?, ?)",
            (str(uuid.uuid4()), user_id, json.dumps({"prompt": f"Old job {n}"}), stamp, stamp),
        )
    old.close()
    log = start(tmp_path, data)
    assert "no early page" in log and "data format" in log, log
    assert EARLY_NOTE not in log and TAKEN_OVER not in log
    # Its first page comes with the workspace, migrated.
    assert "first page painted, 30 jobs" in log and "after the workspace was shown" in log


def test_a_damaged_database_is_never_shown_as_it_was(tmp_path: Path) -> None:
    data = tmp_path / "data"
    database = local_with_jobs(data, 300)
    size = database.stat().st_size
    with database.open("r+b") as file:
        file.seek(size // 2)
        file.write(b"\x00\xff" * 8192)
    log = start(tmp_path, data, 1500)
    assert "damaged" in log.lower() or "repaired" in log.lower(), log
    assert TAKEN_OVER not in log, "the repaired workspace's feed reads its own first page"
    if EARLY_NOTE in log:
        assert REPLACED in log


def test_an_empty_workspace_shows_its_welcome_not_an_early_page(tmp_path: Path) -> None:
    data = tmp_path / "data"
    log = start(tmp_path, data)
    assert "first page painted" not in log and TAKEN_OVER not in log, log
    assert "showing workspace local" in log


def test_a_window_closed_before_the_workspace_opens_exits_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    local_with_jobs(data)
    log = start(tmp_path, data, 0)
    assert EARLY in log


def account_workspace(data: Path, *, owner: str | None = None) -> tuple[str, str]:
    """An account workspace seeded with jobs and named last in the registry; ``owner``: the
    folder holds another account's database (its open is refused)."""
    dirs = DataDirs(data).ensure()
    user_id = str(uuid.uuid4())
    key = account_key(PROJECT, user_id)
    store = open_account_store(dirs, PROJECT, owner or user_id)
    seed(store, 70, outputs=1, prompt="Account job")
    store.close()
    if owner is not None:  # (opened under the other id: move its folder to this key)
        (dirs.root / "workspaces" / account_key(PROJECT, owner)).rename(
            dirs.root / "workspaces" / key
        )
    registry = {
        "projects": {},
        "accounts": {key: {"project_url": PROJECT, "user_id": user_id, "email": "a@b.c"}},
        "last": key,
    }
    (dirs.root / "workspaces.json").write_text(json.dumps(registry), encoding="utf-8")
    return key, user_id


def test_the_last_account_workspace_gets_its_early_page(tmp_path: Path) -> None:
    data = tmp_path / "data"
    local_with_jobs(data, 5)
    key, _user = account_workspace(data)
    log = start(tmp_path, data)
    early, taken, shown = lines(log, EARLY, TAKEN_OVER, f"showing workspace {key}")
    assert -1 not in (early, taken, shown) and early < taken < shown, log


def test_an_account_workspace_that_cannot_open_has_its_early_page_replaced(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    local_with_jobs(data, 5)
    account_workspace(data, owner=str(uuid.uuid4()))
    log = start(tmp_path, data)
    early, replaced, shown = lines(log, EARLY, REPLACED, "showing workspace local")
    assert -1 not in (early, replaced, shown), log
    assert TAKEN_OVER not in log
    assert "first page painted, 5 jobs" in log, "the local workspace's own page came after"
