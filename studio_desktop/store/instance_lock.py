"""One copy of the app per data root: an advisory lock on ``<root>/studio-desktop.lock``.

Two copies on one root would both run the same job queue on the same SQLite files. The app
takes this lock before it touches anything else in the root and holds it until it exits.

The lock is the operating system's (``flock`` on POSIX, ``msvcrt.locking`` on Windows), held
through an open file: when the process ends, however it ends (a crash, ``SIGKILL``, a power
cut), the system lets go of it, so a lock left by a dead copy never blocks the next start. The
file itself stays (removing it would let two copies lock two different files); it holds the
process id of the copy that holds the lock, for the message the next copy shows.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

from studio_desktop.domain.errors import ExternalError
from studio_desktop.store.locations import data_dir_error

LOCK_FILE = "studio-desktop.lock"


class AlreadyOpenError(ExternalError):
    """Another running copy of the app holds the data root's lock."""

    def __init__(self, root: Path, pid: int | None) -> None:
        super().__init__(f"Studio Desktop is already open on this folder ({root}).")
        self.root = root
        self.pid = pid


class InstanceLock:
    """The lock of one data root; :meth:`acquire` takes it, :meth:`release` lets it go."""

    def __init__(self, root: Path) -> None:
        self.path = root / LOCK_FILE
        self._fd: int | None = None
        #: Why the lock could not be taken although no other copy holds it (a file system
        #: without locks); ``None`` when it is held or was never tried.
        self.unsupported: str | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> InstanceLock:
        """Take the lock without waiting. :class:`AlreadyOpenError` when another copy holds
        it; :class:`~studio_desktop.store.locations.DataDirError` when the file cannot be
        opened. On a file system that has no locks the app runs unlocked
        (:attr:`unsupported` says why) rather than not at all."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise data_dir_error(self.path.parent, error) from error
        try:
            _lock(fd)
        except OSError as error:
            if error.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES, errno.EDEADLK):
                pid = _read_pid(fd)
                os.close(fd)
                raise AlreadyOpenError(self.path.parent, pid) from error
            os.close(fd)
            self.unsupported = error.strerror or str(error)
            return self
        self._fd = fd
        try:  # who holds it, for the next copy's message (not needed for the lock itself)
            line = f"{os.getpid()}\n".encode()
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, line)  # over the old one, then cut: a reader never sees it empty
            os.ftruncate(fd, len(line))
        except OSError:
            pass
        return self

    def release(self) -> None:
        """Let go of the lock (closing the file does); the file stays."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 32).decode("ascii", "replace")
    except OSError:
        return None
    first = text.split("\n", 1)[0].strip()  # (the first line: the rest may be an old pid's)
    return int(first) if first.isdigit() else None


if sys.platform == "win32":  # pragma: no cover - untested: the tests run on Linux
    import msvcrt

    def _lock(fd: int) -> None:
        # One byte far past the pid, so reading the pid is not blocked by the lock.
        os.lseek(fd, 1 << 20, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
