"""The History's first page, read and shown before the workspace is open.

At start-up the window is painted first; right after, before asyncio, the store and the
services are imported (``app.py``), :func:`read_early_feed` reads the unfiltered feed's first
page of the last used workspace with ``sqlite3`` alone
(:func:`~studio_desktop.store.feed_sql.read_first_page`, the SQL of every feed page) and
packs it as the feed packs its rows. The History shows that :class:`EarlyFeed` at once; when
the workspace has opened, its live :class:`~studio_desktop.services.history_feed.HistoryFeed`
takes the rows over (:meth:`~studio_desktop.services.history_feed.HistoryFeed.adopt`): no
second read of the page, no reset, the selection and the scroll stay. It reads again only the
rows written since (:class:`~studio_desktop.store.workspace.ChangeJournal`), and it does not
adopt (its own first page replaces the early one) when the workspace that opened is another
one, or was repaired at its open.

Until then the early feed only shows: it reads no more pages, and a filter chosen meanwhile
is kept (:attr:`EarlyFeed.wanted_filter`) for the live feed to apply.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from studio_desktop.services.history_labels import HistoryFilter
from studio_desktop.services.history_rows import PAGE_SIZE, FeedRows
from studio_desktop.store.feed_sql import FirstPage, read_first_page

log = logging.getLogger(__name__)


class EarlyFeed(FeedRows):
    """The rows of a :class:`~studio_desktop.store.feed_sql.FirstPage`, as a feed (read only)."""

    def __init__(self, first: FirstPage) -> None:
        super().__init__()
        #: The database file the rows were read from (resolved).
        self.database = first.database
        self._append(first.page.items)
        self._cursor = first.page.next_cursor
        self._exhausted = first.page.next_cursor is None
        self._loaded_once = True
        self._profile_names = dict(first.profile_names)
        #: A filter chosen before the live feed took over (it applies it then).
        self.wanted_filter: HistoryFilter | None = None
        self.closed = False
        #: When the rows were read (``time.perf_counter``), for the start-up's log.
        self.read_at = time.perf_counter()

    @property
    def can_fetch_more(self) -> bool:
        return False  # the live feed reads the next pages

    def set_filter(self, filters: HistoryFilter) -> None:
        """Kept for the live feed (the early rows stay on screen until it reads them)."""
        self.wanted_filter = filters

    def reload(self) -> None:
        """Nothing to do: the live feed reads its pages."""

    def fetch_more(self) -> None:
        """Nothing to do: the live feed reads its pages."""

    def close(self) -> None:
        self.closed = True


def read_early_feed(database: Path, *, page_size: int = PAGE_SIZE) -> EarlyFeed | None:
    """The unfiltered feed's first page of ``database`` as an :class:`EarlyFeed`, or ``None``
    when it cannot be read before the store's open (see
    :func:`~studio_desktop.store.feed_sql.read_first_page`) or holds no job (an empty
    workspace says so once it is open: its empty state and welcome are not hurried)."""
    from studio_desktop.store.migrations import LATEST_VERSION

    first = read_first_page(database, limit=page_size, schema_version=LATEST_VERSION)
    if first is None or not first.page.items:
        return None
    return EarlyFeed(first)
