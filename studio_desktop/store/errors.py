"""The store's errors: what the disk did (environment) versus what our SQL did (bug).

:func:`translate` turns any ``sqlite3`` exception into one of these, by SQLite's primary result
code, so callers above the store only ever see :class:`StoreEnvironmentError` (show the message,
keep going) or :class:`StoreBugError` (crash dialog with diagnostics).
"""

from __future__ import annotations

import sqlite3

from studio_desktop.domain.errors import BugError, ExternalError


class StoreEnvironmentError(ExternalError):
    """The disk or the database file is not usable right now (not a programming error)."""


class StoreLockedError(StoreEnvironmentError):
    """Another process or thread held the database longer than the busy timeout."""


class StoreDiskFullError(StoreEnvironmentError):
    """No space left for the database (or its size limit was reached)."""


class StoreReadOnlyError(StoreEnvironmentError):
    """The database file or its folder cannot be written."""


class StoreIOError(StoreEnvironmentError):
    """The operating system failed to read or write the database file."""


class StoreCorruptError(StoreEnvironmentError):
    """The database file is damaged or is not a database at all."""


class StoreVersionError(StoreEnvironmentError):
    """The database was written by a newer version of the app; it is never downgraded."""

    def __init__(self, message: str, found: int, supported: int) -> None:
        super().__init__(message)
        self.found = found
        self.supported = supported


class StoreBugError(BugError):
    """One of our own statements is wrong (syntax, missing table, wrong bindings, constraint)."""

    def __init__(self, message: str, sql: str | None = None) -> None:
        super().__init__(message)
        self.sql = sql


class StoreConstraintError(StoreBugError):
    """A write broke a constraint (foreign key, unique, not null): the caller passed bad rows."""


# SQLite primary result codes (https://sqlite.org/rescode.html).
_SQLITE_PERM = 3
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_NOMEM = 7
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_CONSTRAINT = 19
_SQLITE_NOTADB = 26


def _code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def translate(exc: BaseException, sql: str | None = None, where: str = "") -> Exception:
    """The store error for a ``sqlite3`` exception (anything else is returned unchanged).

    ``where`` names the file in environment messages; ``sql`` is kept on bug errors for the
    crash report (it never holds user data: values are always bound parameters).
    """
    if not isinstance(exc, sqlite3.Error):
        return exc
    if isinstance(exc, StoreEnvironmentError | StoreBugError):
        return exc
    code = _code(exc)
    text = str(exc)
    place = f" ({where})" if where else ""
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED) or "database is locked" in text:
        return StoreLockedError(
            f"The local database is busy in another window or process{place}. "
            "Close other copies of Studio Desktop and try again."
        )
    if code == _SQLITE_FULL or "disk is full" in text:
        return StoreDiskFullError(
            f"There is no space left to save your work{place}. Free some disk space; "
            "nothing already saved was lost."
        )
    if code in (_SQLITE_READONLY, _SQLITE_PERM) or "readonly database" in text:
        return StoreReadOnlyError(
            f"The local database cannot be written{place}. Check that the data folder "
            "is writable and not on a read-only drive."
        )
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or "malformed" in text or "not a database" in text:
        return StoreCorruptError(
            f"The local database file is damaged{place}. Restart Studio Desktop to repair it; "
            "unsynced changes will be recovered where possible."
        )
    if code in (_SQLITE_IOERR, _SQLITE_CANTOPEN, _SQLITE_NOMEM) or "unable to open" in text:
        return StoreIOError(
            f"The local database could not be read or written{place}: {text}. "
            "Check the drive and the data folder."
        )
    if code == _SQLITE_CONSTRAINT or isinstance(exc, sqlite3.IntegrityError):
        return StoreConstraintError(f"A local write broke a database rule: {text}", sql)
    return StoreBugError(f"A local database statement failed: {text}", sql)
