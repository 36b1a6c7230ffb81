"""The integrity check of a workspace database, run ahead of its open (stdlib only).

:func:`~studio_desktop.store.recovery.open_database` runs ``PRAGMA quick_check`` on every open;
it reads the whole file (about 50 ms at 10,000 jobs). The app runs that check here first, on a
thread of its own right after the window's first paint (SQLite releases the GIL, so it runs on
another core while the GUI thread imports the event loop and the workspace's stack), and the
open skips its own check when the file is unchanged since (:func:`prechecked`).

This module imports nothing of the project and nothing heavier than ``sqlite3``: the check's
thread holds the GIL for a few milliseconds only, not for the store's imports, which the GUI
thread's own work would wait for.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

#: Files found sound by :func:`precheck`, with their (database, WAL) size and mtime then.
_sound: dict[Path, tuple[object, ...]] = {}
#: Prechecks still running, so the open waits for one instead of checking twice.
_running: dict[Path, threading.Event] = {}
_lock = threading.Lock()


def signature(path: Path) -> tuple[object, ...]:
    """What changes when anything writes the database: its and its WAL's size and mtime (an
    empty WAL, which a read-only connection leaves behind, counts as none)."""
    out: list[object] = []
    for file in (path, path.with_name(path.name + "-wal")):
        try:
            stat = file.stat()
        except FileNotFoundError:
            out.append(None)
        else:
            out.append((stat.st_size, stat.st_mtime_ns) if stat.st_size else None)
    return tuple(out)


def precheck(path: Path) -> bool:
    """Run the open's integrity check now, on a read-only connection; True if the file was
    found sound. The open then skips its own check when the file has not changed since. A
    missing, damaged or unreadable file records nothing: the open checks (and repairs) as
    usual."""
    path = Path(path).resolve()
    with _lock:
        if path in _running:
            return False
        done = _running[path] = threading.Event()
    try:
        before = signature(path)
        if before[0] is None:
            return False
        try:
            conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=0.5)
        except sqlite3.Error:
            return False
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        except sqlite3.Error:
            return False
        finally:
            conn.close()
        sound = all(str(r[0]).lower() == "ok" for r in rows)
        if sound and signature(path) == before:
            with _lock:
                _sound[path] = before
        return sound
    finally:
        with _lock:
            _running.pop(path, None)
        done.set()


def prechecked(path: Path) -> bool:
    """True if a :func:`precheck` found ``path`` sound and it is unchanged since (used once).
    Waits for a precheck of ``path`` still running."""
    path = Path(path).resolve()
    with _lock:
        running = _running.get(path)
    if running is not None:
        running.wait()
    with _lock:
        recorded = _sound.pop(path, None)
    return recorded is not None and recorded == signature(path)
