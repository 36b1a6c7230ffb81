"""Store work off the event loop: one dedicated thread for every SQLite call of the sync engine.

The engine's coroutines run on the app's (GUI) event loop; a pull page or a push batch touches
SQLite for milliseconds, which must not freeze the window. :class:`StoreRunner` runs those calls
on ONE worker thread (the store opens one connection per thread, so all of the engine's writes
share one connection and serialise naturally), and awaits them.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class StoreRunner:
    def __init__(self, name: str = "studio-sync-store") -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        call = functools.partial(fn, *args, **kwargs) if args or kwargs else fn
        return await loop.run_in_executor(self._executor, call)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
