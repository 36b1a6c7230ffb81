"""Cooperative cancel: a token the job's steps check between pieces of work.

A running step in an executor thread cannot be interrupted, so engines call
:meth:`CancelToken.raise_if_canceled` between steps (and long steps may call it inside their
loops: the token is thread-safe). Async code can also wait on the token, e.g. instead of sleeping
between two polls of a remote operation.
"""

from __future__ import annotations

import asyncio
import threading

from studio_desktop.engine.errors import JobCanceledError


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self._lock = threading.Lock()

    @property
    def canceled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        """Ask the job to stop; safe to call from any thread, any number of times."""
        with self._lock:
            self._event.set()
            waiters = list(self._waiters)
        for loop, event in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)

    def raise_if_canceled(self) -> None:
        if self._event.is_set():
            raise JobCanceledError()

    async def wait(self, timeout: float | None = None) -> bool:
        """Wait until canceled or ``timeout`` seconds pass; True if canceled."""
        if self._event.is_set():
            return True
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        entry = (loop, event)
        with self._lock:
            if self._event.is_set():
                return True
            self._waiters.append(entry)
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                self._waiters.remove(entry)
        return self._event.is_set()
