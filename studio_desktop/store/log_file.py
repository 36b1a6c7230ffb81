"""The app's log file handlers, which a full or failing drive does not turn into noise.

``logging``'s own file handlers answer a failed write (a full drive, a drive gone read-only,
an I/O error) by printing "--- Logging error ---" and a traceback to stderr, for every line
logged from then on. These handlers instead:

- say it once, in one line on stderr, naming the file and the reason;
- drop the log's lines from then on without trying to write them, then try again every
  :data:`RETRY_AFTER_S` seconds (a write on a full drive costs a system call and an error each
  time; the app may log many lines a second while it syncs);
- when a write works again, first write a line into the log saying how many lines were left
  out and since when, then carry on (and would say it once again if the drive fills again).

The plain handler (:class:`QuietFileHandler`) is the start-up's; the rotating one
(:func:`quiet_rotating_handler`) replaces it behind the first page and shares its state: the
same file, the same episode. Only the log is concerned: the app's data is written and checked
by the store, whose errors are its own.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import logging
import os
import sys
import time
from typing import Any

#: How long a failing log file is left alone before the next line tries it again.
RETRY_AFTER_S = 10.0


class _Health:
    """One log file's trouble, shared by the handlers writing it."""

    def __init__(self) -> None:
        self.failing: OSError | None = None
        self.since = 0.0  # time.time() of the first failed line
        self.retry_at = 0.0  # time.monotonic()
        self.dropped = 0
        self.errors = 0


_health: dict[str, _Health] = {}


def _health_of(path: str) -> _Health:
    return _health.setdefault(os.path.abspath(path), _Health())


class _QuietMixin:
    """Overrides ``emit`` and ``handleError`` of a ``logging.FileHandler`` subclass."""

    baseFilename: str  # noqa: N815 - logging's name
    stream: Any
    retry_after_s = RETRY_AFTER_S

    def emit(self, record: logging.LogRecord) -> None:
        health = _health_of(self.baseFilename)
        if health.failing is not None:
            if time.monotonic() < health.retry_at:
                health.dropped += 1
                return
            errors = health.errors
            self._end_line()
            self._write(self._note(health))
            if health.errors != errors:  # still failing: the note was not written either
                return  # (and ``handleError`` counted it: it stands for this record)
            health.failing = None
            health.dropped = 0
        self._write(record)

    def _write(self, record: logging.LogRecord) -> None:
        try:  # (FileHandler.emit opens a closed file outside its own ``try``)
            super().emit(record)  # type: ignore[misc]
        except OSError:
            self.handleError(record)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            super().handleError(record)  # type: ignore[misc]
            return
        health = _health_of(self.baseFilename)
        health.errors += 1
        health.retry_at = time.monotonic() + self.retry_after_s
        self._drop_stream()
        if health.failing is not None:
            health.dropped += 1
            return
        health.failing = error
        health.since = time.time()
        health.dropped = 1
        with contextlib.suppress(Exception):  # (stderr itself may be gone)
            sys.stderr.write(_said(self.baseFilename, error) + "\n")
            sys.stderr.flush()

    def _drop_stream(self) -> None:
        """Close the file, throwing away what its buffer still holds (else every later line
        would try to write it first); the next line opens it again."""
        stream, self.stream = self.stream, None
        if stream is None:
            return
        with contextlib.suppress(Exception):
            buffered = getattr(stream, "buffer", None)
            raw = getattr(buffered, "raw", None)
            if raw is not None:
                raw.close()  # (the raw file: closing the wrapper would flush first)
        with contextlib.suppress(Exception):
            stream.close()

    def _end_line(self) -> None:
        """A line cut short by the full drive gets its end, so the note starts a line."""
        with contextlib.suppress(OSError), open(self.baseFilename, "rb+") as file:
            if file.seek(0, os.SEEK_END) > 0:
                file.seek(-1, os.SEEK_END)
                if file.read(1) != b"\n":
                    file.write(b"\n")

    def _note(self, health: _Health) -> logging.LogRecord:
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(health.since))
        return logging.LogRecord(
            __name__,
            logging.WARNING,
            __file__,
            0,
            "%d log line(s) left out since %s: the log file could not be written (%s)",
            (health.dropped, since, health.failing.strerror if health.failing else "?"),
            None,
        )


def _said(path: str, error: OSError) -> str:
    """The one line stderr gets when the log file stops being writable."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        why = "its drive is full"
        then = "once there is space again"
    elif error.errno == errno.EROFS:
        why = "its drive is read-only"
        then = "once it can be written again"
    else:
        why = error.strerror or str(error)
        then = "once it can be written again"
    return (
        f"Studio Desktop cannot write its log file {path}: {why}. It keeps running; log "
        f"lines are left out until then and the log goes on by itself {then}."
    )


class QuietFileHandler(_QuietMixin, logging.FileHandler):
    """A plain log file handler that says a failing drive once and then keeps quiet."""


def quiet_rotating_handler(path: str | os.PathLike[str], **options: Any) -> logging.Handler:
    """A ``RotatingFileHandler`` (``options`` as it takes them) that behaves as
    :class:`QuietFileHandler` (``logging.handlers`` is imported here, on first use)."""
    return _rotating_class()(path, **options)


@functools.cache
def _rotating_class() -> type[logging.Handler]:
    import logging.handlers

    class QuietRotatingFileHandler(_QuietMixin, logging.handlers.RotatingFileHandler):
        pass

    return QuietRotatingFileHandler


def forget_failures() -> None:
    """Forget every file's trouble (a new logging set-up starts afresh)."""
    _health.clear()
