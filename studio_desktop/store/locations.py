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
      studio-desktop.lock          held by the copy of the app running on this root
                                   (``store/instance_lock.py``)

Before the app uses a root, :func:`prepare_data_dirs` makes its folders and checks that it can
write there: a root it cannot use (read-only drive, no permission, full disk, a file in its
place, a missing parent) is a :class:`DataDirError` (the environment, not a bug) whose message
names the folder and says what to do, before anything in the folder was changed.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

from studio_desktop.domain.errors import ExternalError

ENV_DATA_DIR = "STUDIO_DESKTOP_DATA_DIR"
LOCAL_WORKSPACE = "local"
#: The projects, accounts and last used workspace (written by ``services/account.py``).
REGISTRY_FILE = "workspaces.json"
#: The file a write check creates and removes in each folder (the process id keeps two apart).
_PROBE_NAME = ".studio-desktop-write-check-{pid}"


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

    def ensure(self, *, create_parents: bool = True) -> DataDirs:
        """Make the root and the log folder (a :class:`DataDirError` when it cannot).

        With ``create_parents=False`` the root's parent folder must exist already: a chosen
        root on a drive that is not connected (``/media/me/USB/studio``) is refused, rather
        than made, unseen, on the system drive."""
        parent = self.root.parent
        if not create_parents and not self.root.exists() and not parent.is_dir():
            code = errno.ENOTDIR if parent.exists() else errno.ENOENT
            raise data_dir_error(self.root, OSError(code, os.strerror(code), str(parent)))
        for folder in (self.root, self.logs):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise data_dir_error(self._named(folder), error) from error
        return self

    def _named(self, folder: Path) -> Path:
        """The folder a message names: the data root for one of its own sub-folders (the
        folder the designer chose), the folder itself otherwise (the platform's log folder)."""
        return self.root if folder.is_relative_to(self.root) else folder

    def check_writable(self) -> DataDirs:
        """Write a few bytes to a new file in the root and in the log folder, and remove it:
        a :class:`DataDirError` for a read-only drive, a folder without write permission or a
        full disk, found now and not by the first save."""
        for folder in dict.fromkeys((self.root, self.logs)):
            probe = folder / _PROBE_NAME.format(pid=os.getpid())
            try:
                fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            except OSError as error:
                raise data_dir_error(self._named(folder), error) from error
            try:
                os.write(fd, b"studio-desktop write check\n")
            except OSError as error:
                raise data_dir_error(self._named(folder), error) from error
            finally:
                os.close(fd)
                probe.unlink(missing_ok=True)
        return self


class DataDirError(ExternalError):
    """A folder the app keeps its data or its log in cannot be used (the environment: a
    read-only drive, a missing permission, a full disk, a file where a folder should be).

    ``headline`` says which folder and why, ``advice`` what to do; ``message`` is both."""

    def __init__(self, folder: Path, headline: str, advice: str) -> None:
        super().__init__(f"{headline} {advice}")
        self.folder = folder
        self.headline = headline
        self.advice = advice


_CHOOSE_ANOTHER = (
    "Or start Studio Desktop on another folder: studio-desktop --data-dir FOLDER "
    "(or set STUDIO_DESKTOP_DATA_DIR=FOLDER)."
)


def data_dir_error(folder: Path, error: OSError, *, file: Path | None = None) -> DataDirError:
    """The :class:`DataDirError` for an ``OSError`` met making, writing or locking ``folder``,
    or writing ``file`` in it; the message says what the error means for a designer."""
    code = error.errno
    name = Path(error.filename) if isinstance(error.filename, str) else folder
    cannot = f"cannot write its file {file}" if file else f"cannot save in the folder {folder}"
    what = "file" if file else "folder"
    if code == errno.EROFS:
        headline = f"Studio Desktop {cannot}: its drive is read-only."
        advice = "Make the drive writable (or connect it read-write) and start again."
    elif code in (errno.EACCES, errno.EPERM):
        headline = f"Studio Desktop {cannot}: you do not have permission to change it."
        advice = f"Give your user write permission on that {what} and start again."
    elif code in (errno.ENOSPC, errno.EDQUOT):
        headline = f"Studio Desktop {cannot}: its drive is full."
        advice = "Free some space on that drive and start again."
    elif code == errno.EISDIR:
        headline = f"Studio Desktop cannot write its file {file or name}: a folder has that name."
        advice = "Move that folder away and start again."
    elif code in (errno.EEXIST, errno.ENOTDIR) or isinstance(error, FileExistsError):
        blocker = _first_non_folder(name)
        headline = (
            f"Studio Desktop cannot use the folder {folder}: {blocker} is a file, "
            "where a folder is needed."
        )
        advice = "Move that file away and start again."
    elif code == errno.ENOENT:
        headline = (
            f"Studio Desktop cannot make its data folder {folder}: the folder {name} it "
            "belongs in does not exist."
        )
        advice = "Check the path (is the drive connected?), or create that folder first."
    else:
        reason = error.strerror or str(error)
        headline = f"Studio Desktop {cannot}: {reason} ({name})."
        advice = "Check the drive and the folder, then start again."
    return DataDirError(folder, headline, f"{advice} {_CHOOSE_ANOTHER}")


def _first_non_folder(path: Path) -> Path:
    """The first part of ``path`` that exists and is not a folder (``path`` if none is)."""
    for part in (*reversed(path.parents), path):
        if part.exists() and not part.is_dir():
            return part
        if not part.exists():
            break
    return path


def prepare_data_dirs(cli_value: str | os.PathLike[str] | None = None) -> DataDirs:
    """The app's folders made and checked, ready to use (:func:`data_dirs_for`,
    :meth:`DataDirs.ensure`, :meth:`DataDirs.check_writable`); a :class:`DataDirError` says
    why a folder cannot be used. A chosen root's parent must exist; the default root's
    folders are made with their parents (a new user has no ``~/.local/share`` yet)."""
    try:
        dirs = data_dirs_for(cli_value)
    except (OSError, RuntimeError) as error:  # a symlink loop, a home that cannot be found
        place = Path(os.fspath(cli_value)) if cli_value else Path(os.environ.get(ENV_DATA_DIR, "~"))
        problem = error if isinstance(error, OSError) else OSError(errno.ELOOP, str(error))
        raise data_dir_error(place, problem) from error
    return dirs.ensure(create_parents=is_default_root(cli_value)).check_writable()


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
