"""Files on screen that are not on this computer: ask the sync once, react when one arrives.

A screen shows an object (a reference image, an output, a canvas image) whose row synced but
whose file has not been downloaded yet. It asks the sync for it once, not on every paint, and
when the blob cache announces the file (``store.blobs.available``, after the commit that
indexed it) it shows it and, should the file go missing again later, may ask again.

    missing = MissingFiles(request_blob)          # request_blob(bucket, path) queues a download
    missing.ask(bucket, path)                     # True the first time, False while it waits
    if missing.arrived(bucket, path):             # the cache announced it: was it awaited here?
        show_again(path)

Nothing here touches a file or the network: ``request`` does (the open workspace's
``request_blob``, a no-op in the local workspace). Use it from one thread (the event loop's):
it is bookkeeping, not a lock. The set of awaited objects is bounded (oldest forgotten first),
so a long scroll through thousands of objects that never arrive does not grow it for ever.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable

log = logging.getLogger(__name__)

#: ``(bucket, path)``: an object on screen is not on this computer; queue its download.
BlobRequester = Callable[[str, str], None]

#: How many awaited objects are remembered (a forgotten one is asked for again when shown).
DEFAULT_LIMIT = 20_000


def no_blob_requests(_bucket: str, _path: str) -> None:
    """The requester of a workspace without sync: nothing to ask."""


class MissingFiles:
    """Which objects this screen is waiting for (see the module docstring)."""

    def __init__(self, request: BlobRequester | None = None, *, limit: int = DEFAULT_LIMIT) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        #: Who is asked (replaceable: the sync is wired after the screen is built).
        self.request: BlobRequester = request or no_blob_requests
        self.limit = limit
        self._awaited: OrderedDict[tuple[str, str], None] = OrderedDict()

    def ask(self, bucket: str, path: str) -> bool:
        """Ask for ``(bucket, path)`` unless already asked; True when asked now. A requester
        that fails is logged (the object stays "not downloaded"; it is asked again only after
        :meth:`forget`), never raised into the paint that found the file missing."""
        key = (bucket, path)
        if key in self._awaited:
            return False
        self._awaited[key] = None
        while len(self._awaited) > self.limit:
            self._awaited.popitem(last=False)
        try:
            self.request(bucket, path)
        except Exception:
            log.exception("asking the sync for %s/%s failed", bucket, path)
        return True

    def arrived(self, bucket: str, path: str) -> bool:
        """The blob cache has ``(bucket, path)`` now: True if this screen was waiting for it.
        Either way it is no longer awaited (should it vanish again, it is asked again)."""
        key = (bucket, path)
        if key in self._awaited:
            del self._awaited[key]
            return True
        return False

    def forget(self, bucket: str, path: str) -> None:
        """Ask again next time (e.g. the network came back after a failed download)."""
        self._awaited.pop((bucket, path), None)

    def is_awaited(self, bucket: str, path: str) -> bool:
        return (bucket, path) in self._awaited

    def __len__(self) -> int:
        return len(self._awaited)
