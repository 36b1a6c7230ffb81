"""Where the app keeps its files on disk.

Everything lives under one root: ``--data-dir DIR``, else ``$STUDIO_DESKTOP_DATA_DIR``, else the
platform's user data directory (``platformdirs``). Tests, benchmarks and a second profile pass
their own root and never touch the user's real data.

    <root>/
      workspaces/local/            the no-account workspace
      workspaces/<account key>/    one per signed-in account (Supabase URL + user id)
        store.sqlite3              the mirror, the outbox and the blob index
        blobs/                     cached storage objects
        thumbs/                    thumbnails, keyed by content
      logs/                        rotating log files (with --data-dir or the env variable;
                                   otherwise the platform's user log directory)
      settings.json                non-secret preferences (secrets go to the OS keyring)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_DATA_DIR = "STUDIO_DESKTOP_DATA_DIR"
LOCAL_WORKSPACE = "local"
#: The projects, accounts and last used workspace (written by ``services/account.py``).
REGISTRY_FILE = "workspaces.json"


def resolve_data_root(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """The data root: the command line wins, then the environment, then the platform default."""
    if cli_value:
        return Path(cli_value).expanduser().resolve()
    env_value = os.environ.get(ENV_DATA_DIR)
    if env_value:
        return Path(env_value).expanduser().resolve()
    import platformdirs  # (here: it imports tempfile, shutil, bz2… and a chosen root needs none)

    return Path(platformdirs.user_data_dir("studio-desktop", "Studio"))


def is_default_root(cli_value: str | os.PathLike[str] | None = None) -> bool:
    """True when neither ``--data-dir`` nor the environment chose the data root."""
    return not cli_value and not os.environ.get(ENV_DATA_DIR)


def account_key(project_url: str, user_id: str) -> str:
    """A folder name for one account on one Supabase project (no secrets, filesystem safe)."""
    import hashlib  # here, not at the top: locations is imported before the first paint

    digest = hashlib.sha256(project_url.rstrip("/").encode()).hexdigest()[:12]
    return f"{digest}-{user_id}"


@dataclass(frozen=True, slots=True)
class WorkspaceDirs:
    """The folders of one workspace (the local one or one account's)."""

    root: Path

    @property
    def database(self) -> Path:
        return self.root / "store.sqlite3"

    @property
    def blobs(self) -> Path:
        return self.root / "blobs"

    @property
    def thumbs(self) -> Path:
        return self.root / "thumbs"

    def ensure(self) -> WorkspaceDirs:
        for folder in (self.root, self.blobs, self.thumbs):
            folder.mkdir(parents=True, exist_ok=True)
        return self


@dataclass(frozen=True, slots=True)
class DataDirs:
    root: Path
    #: Where the log files go; ``None`` means ``<root>/logs``. The app passes the platform's
    #: user log directory when the data root is the default one (see :func:`data_dirs_for`).
    log_dir: Path | None = None

    @property
    def logs(self) -> Path:
        return self.log_dir if self.log_dir is not None else self.root / "logs"

    @property
    def settings_file(self) -> Path:
        return self.root / "settings.json"

    def workspace(self, key: str = LOCAL_WORKSPACE) -> WorkspaceDirs:
        return WorkspaceDirs(self.root / "workspaces" / key)

    def ensure(self) -> DataDirs:
        self.root.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        return self


def last_workspace_key(data: DataDirs) -> str:
    """The key of the workspace used last, as the registry file says (the local one when the
    file is missing or unreadable). A hint only: the account service validates it."""
    import json

    try:
        last = json.loads((data.root / REGISTRY_FILE).read_text(encoding="utf-8")).get("last")
    except (OSError, ValueError, AttributeError):
        return LOCAL_WORKSPACE
    return last if isinstance(last, str) and last and "/" not in last else LOCAL_WORKSPACE


def data_dirs_for(cli_value: str | os.PathLike[str] | None = None) -> DataDirs:
    """The app's folders: a chosen data root keeps everything (logs too) under it, so tests and a
    second profile stay self-contained; the default root logs to the platform's log directory."""
    root = resolve_data_root(cli_value)
    if is_default_root(cli_value):
        import platformdirs

        return DataDirs(root, Path(platformdirs.user_log_dir("studio-desktop", "Studio")))
    return DataDirs(root)
