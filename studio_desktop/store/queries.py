"""Typed read models for the app: the history feed, jobs, profiles, creations, cutouts.

All reads; none of them writes or waits for the write lock (WAL), so the GUI thread may call
them directly. Multi-statement reads run in one snapshot.

The feed is paged by **keyset**, newest first by ``(created_at, id)``: a page ends with a
:class:`FeedCursor`; passing it back gives the next page with no duplicates and no gaps, even
when rows are added meanwhile or many jobs share a timestamp.

    page = store.queries.feed_page(FeedFilter(types=("product_pack",), search="red dress"))
    more = store.queries.feed_page(FeedFilter(...), cursor=page.next_cursor)
    again = store.queries.feed_items(FeedFilter(...), changed_ids, down_to=more.next_cursor)

``feed_items`` is the same query for a few jobs (those that changed since a feed read them): the
feed's filter is written once, in :meth:`Queries._feed_where`.

Search looks at what a History row shows: the prompt or instruction, the job type in the row's
words ("Product pack", "Try-on", "Canvas edit", "Garment cutout", and "tryon", "extract"), the
status badge ("Done", "Failed"...), a failed job's error (its first line) and the profile's
name. Every word typed must appear, as a word or a word prefix, case- and accent-insensitively
("dres" finds "Dress", "pack mia" finds Mia's product packs). The text is kept by triggers
(see the store's migrations): a profile renamed rewrites its jobs' text, and
:meth:`Queries.jobs_of_profiles` names those jobs, for a feed to re-check them with
:meth:`Queries.feed_items`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from studio_desktop.domain.enums import MessageRole
from studio_desktop.domain.models import (
    CanvasAsset,
    CanvasConversation,
    CanvasMessage,
    CanvasThread,
    GarmentCutout,
    Job,
    JobOutput,
    Profile,
)
from studio_desktop.store.db import Database
from studio_desktop.store.feed_sql import (
    DEFAULT_PAGE_SIZE,
    FeedCursor,
    FeedFilter,
    FeedItem,
    FeedPage,
    outputs_of,
    read_page,
)
from studio_desktop.store.migrations import fold_search_text
from studio_desktop.store.repository import model_from_sql

#: Below this many search matches, the feed sorts the matches; above, it walks the time index.
SEARCH_SORT_LIMIT = 400
#: Ids per ``IN (...)`` list (far below SQLite's limit on parameters).
_ID_CHUNK = 500
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Version:
    """One version of a canvas asset: its base, then each assistant output for it, in order."""

    bucket: str
    path: str
    created_at: Any  # datetime
    message_id: str | None  # None for the base
    is_base: bool
    is_current: bool


@dataclass(frozen=True, slots=True)
class AssetView:
    asset: CanvasAsset
    versions: tuple[Version, ...]


@dataclass(frozen=True, slots=True)
class ConversationView:
    conversation: CanvasConversation
    messages: tuple[CanvasMessage, ...]


@dataclass(frozen=True, slots=True)
class Creation:
    """A creation (canvas thread) with everything the Magic Canvas shows."""

    thread: CanvasThread
    assets: tuple[AssetView, ...]
    conversations: tuple[ConversationView, ...]
    #: Messages that belong to no conversation (older web app rows), oldest first.
    loose_messages: tuple[CanvasMessage, ...]


def search_expression(text: str | None) -> str | None:
    """The FTS5 query for what the user typed (every word, as a prefix), or ``None``."""
    words = _WORD.findall(fold_search_text(text or ""))
    if not words:
        return None
    return " ".join(f'"{word}"*' for word in words)


def _cols(model: Any) -> str:
    return ", ".join(model.columns())


class Queries:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------ feed
    def feed_page(
        self,
        filters: FeedFilter | None = None,
        cursor: FeedCursor | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> FeedPage:
        """One page of jobs, newest first, each with its outputs (oldest output first); the
        SQL is :func:`~studio_desktop.store.feed_sql.read_page` (the History's early page reads
        its first page with it too)."""
        where, params = self._feed_where(filters or FeedFilter(), plan_search=True)
        with self.db.read():
            return read_page(self.db.query, where, params, cursor, limit)

    def feed_items(
        self,
        filters: FeedFilter | None,
        job_ids: Sequence[str],
        *,
        down_to: FeedCursor | None = None,
    ) -> tuple[FeedItem, ...]:
        """The feed's query again, for these jobs only: those of ``job_ids`` that pass
        ``filters`` and, with ``down_to``, are not older than that cursor's job (the part of the
        feed already read), newest first, with their outputs. A job that is missing here was
        deleted, does not pass the filter, or belongs to a page not read yet. This is how a feed
        places jobs that changed after it read them: by the same SQL, never by a copy of it."""
        ids = list(dict.fromkeys(job_ids))
        if not ids:
            return ()
        filters = filters or FeedFilter()
        rows: list[Any] = []
        with self.db.read():
            for start in range(0, len(ids), _ID_CHUNK):
                chunk = ids[start : start + _ID_CHUNK]
                where, params = self._feed_where(filters, plan_search=False)
                where.append(f"id IN ({', '.join('?' * len(chunk))})")
                params.extend(chunk)
                if down_to is not None:
                    where.append("(created_at, id) >= (?, ?)")
                    params.extend((down_to.created_at, down_to.id))
                rows += self.db.query(
                    f"SELECT {_cols(Job)} FROM jobs WHERE {' AND '.join(where)}", params
                )
            rows.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
            outputs = self._outputs_of([r["id"] for r in rows])
        return tuple(
            FeedItem(model_from_sql(Job, r), tuple(outputs.get(r["id"], ()))) for r in rows
        )

    def jobs_of_outputs(self, output_ids: Sequence[str]) -> list[str]:
        """The jobs these outputs belong to (outputs that no longer exist are left out)."""
        found: dict[str, None] = {}
        ids = list(dict.fromkeys(output_ids))
        for start in range(0, len(ids), _ID_CHUNK):
            chunk = ids[start : start + _ID_CHUNK]
            marks = ", ".join("?" * len(chunk))
            for row in self.db.query(
                f"SELECT DISTINCT job_id FROM job_outputs WHERE id IN ({marks})", chunk
            ):
                found[row["job_id"]] = None
        return list(found)

    def jobs_of_profiles(self, profile_ids: Sequence[str]) -> list[str]:
        """The jobs made for these profiles (whose search text changes with the profile's
        name), newest first."""
        found: list[str] = []
        ids = list(dict.fromkeys(profile_ids))
        for start in range(0, len(ids), _ID_CHUNK):
            chunk = ids[start : start + _ID_CHUNK]
            marks = ", ".join("?" * len(chunk))
            found += [
                row["id"]
                for row in self.db.query(
                    f"SELECT id FROM jobs WHERE profile_id IN ({marks}) "
                    "ORDER BY created_at DESC, id DESC",
                    chunk,
                )
            ]
        return found

    def _feed_where(self, filters: FeedFilter, *, plan_search: bool) -> tuple[list[str], list[Any]]:
        """The feed filter's SQL conditions and their parameters: the one place it is written.

        ``plan_search``: for a page walked in time order, first count the search's matches and,
        when there are many, keep SQLite from starting at the full-text index (a page then
        stops early on the time index). A lookup by ids needs no such plan."""
        where: list[str] = []
        params: list[Any] = []
        if filters.types:
            where.append(f"type IN ({', '.join('?' * len(filters.types))})")
            params.extend(filters.types)
        if filters.statuses:
            where.append(f"status IN ({', '.join('?' * len(filters.statuses))})")
            params.extend(filters.statuses)
        if filters.profile_id:
            where.append("profile_id = ?")
            params.append(filters.profile_id)
        expression = search_expression(filters.search)
        if expression is not None:
            rowid = "rowid"
            if plan_search:
                # Few matches: look them up and sort them. Many: walk the feed index newest
                # first and stop at the page's end ("+rowid" stops SQLite from choosing the
                # first plan).
                many = self.db.scalar(
                    "SELECT count(*) FROM (SELECT rowid FROM jobs_search "
                    "WHERE jobs_search MATCH ? LIMIT ?)",
                    (expression, SEARCH_SORT_LIMIT),
                )
                rowid = "+rowid" if many >= SEARCH_SORT_LIMIT else "rowid"
            where.append(f"{rowid} IN (SELECT rowid FROM jobs_search WHERE jobs_search MATCH ?)")
            params.append(expression)
        return where, params

    def _outputs_of(self, job_ids: list[str]) -> dict[str, list[JobOutput]]:
        return outputs_of(self.db.query, job_ids)

    def job(self, job_id: str) -> FeedItem | None:
        """One job with its outputs."""
        with self.db.read():
            row = self.db.query_one(f"SELECT {_cols(Job)} FROM jobs WHERE id = ?", (job_id,))
            if row is None:
                return None
            outputs = self._outputs_of([job_id]).get(job_id, [])
        return FeedItem(model_from_sql(Job, row), tuple(outputs))

    def output(self, output_id: str) -> JobOutput | None:
        row = self.db.query_one(
            f"SELECT {_cols(JobOutput)} FROM job_outputs WHERE id = ?", (output_id,)
        )
        return None if row is None else model_from_sql(JobOutput, row)

    # ------------------------------------------------------------------ profiles
    def profiles(self) -> list[Profile]:
        """All profiles by name (case-insensitive), then age."""
        return [
            model_from_sql(Profile, r)
            for r in self.db.query(
                f"SELECT {_cols(Profile)} FROM profiles "
                "ORDER BY name COLLATE NOCASE, created_at, id"
            )
        ]

    def profile(self, profile_id: str) -> Profile | None:
        row = self.db.query_one(
            f"SELECT {_cols(Profile)} FROM profiles WHERE id = ?", (profile_id,)
        )
        return None if row is None else model_from_sql(Profile, row)

    # ------------------------------------------------------------------ canvas
    def creations(self, limit: int = 200) -> list[CanvasThread]:
        """Creations, most recently changed first."""
        return [
            model_from_sql(CanvasThread, r)
            for r in self.db.query(
                f"SELECT {_cols(CanvasThread)} FROM canvas_threads "
                "ORDER BY updated_at DESC, id DESC LIMIT ?",
                (limit,),
            )
        ]

    def thread_for_job(self, job_id: str) -> CanvasThread | None:
        """The creation made from a job (the first one, if several were)."""
        row = self.db.query_one(
            f"SELECT {_cols(CanvasThread)} FROM canvas_threads WHERE source_job_id = ? "
            "ORDER BY created_at, id LIMIT 1",
            (job_id,),
        )
        return None if row is None else model_from_sql(CanvasThread, row)

    def creation(self, thread_id: str) -> Creation | None:
        """A creation with its assets (each with its versions), conversations and messages."""
        with self.db.read():
            row = self.db.query_one(
                f"SELECT {_cols(CanvasThread)} FROM canvas_threads WHERE id = ?", (thread_id,)
            )
            if row is None:
                return None
            assets = [
                model_from_sql(CanvasAsset, r)
                for r in self.db.query(
                    f"SELECT {_cols(CanvasAsset)} FROM canvas_assets WHERE thread_id = ? "
                    "ORDER BY created_at, id",
                    (thread_id,),
                )
            ]
            conversations = [
                model_from_sql(CanvasConversation, r)
                for r in self.db.query(
                    f"SELECT {_cols(CanvasConversation)} FROM canvas_conversations "
                    "WHERE thread_id = ? ORDER BY created_at, id",
                    (thread_id,),
                )
            ]
            messages = [
                model_from_sql(CanvasMessage, r)
                for r in self.db.query(
                    f"SELECT {_cols(CanvasMessage)} FROM canvas_messages WHERE thread_id = ? "
                    "ORDER BY created_at, id",
                    (thread_id,),
                )
            ]
        by_conversation: dict[str | None, list[CanvasMessage]] = {}
        for message in messages:
            by_conversation.setdefault(message.conversation_id, []).append(message)
        return Creation(
            thread=model_from_sql(CanvasThread, row),
            assets=tuple(AssetView(a, _versions(a, messages)) for a in assets),
            conversations=tuple(
                ConversationView(c, tuple(by_conversation.get(c.id, ()))) for c in conversations
            ),
            loose_messages=tuple(by_conversation.get(None, ())),
        )

    def asset_view(self, asset_id: str) -> AssetView | None:
        """One canvas asset with its versions (as :meth:`creation` derives them), or None."""
        with self.db.read():
            row = self.db.query_one(
                f"SELECT {_cols(CanvasAsset)} FROM canvas_assets WHERE id = ?", (asset_id,)
            )
            if row is None:
                return None
            messages = [
                model_from_sql(CanvasMessage, r)
                for r in self.db.query(
                    f"SELECT {_cols(CanvasMessage)} FROM canvas_messages WHERE asset_id = ? "
                    "AND role = ? AND output_storage_path IS NOT NULL ORDER BY created_at, id",
                    (asset_id, MessageRole.ASSISTANT.value),
                )
            ]
        asset = model_from_sql(CanvasAsset, row)
        return AssetView(asset, _versions(asset, messages))

    # ------------------------------------------------------------------ cutouts
    def garment_cutout(
        self, user_id: str, source_hash: str, source_kind: str
    ) -> GarmentCutout | None:
        row = self.db.query_one(
            f"SELECT {_cols(GarmentCutout)} FROM garment_cutouts "
            "WHERE user_id = ? AND source_hash = ? AND source_kind = ?",
            (user_id, source_hash, source_kind),
        )
        return None if row is None else model_from_sql(GarmentCutout, row)


def _versions(asset: CanvasAsset, messages: list[CanvasMessage]) -> tuple[Version, ...]:
    versions: list[Version] = []
    if asset.base_storage_path:
        bucket = asset.base_storage_bucket or "outputs"
        versions.append(
            Version(
                bucket,
                asset.base_storage_path,
                asset.created_at,
                None,
                True,
                asset.base_storage_path == asset.current_storage_path,
            )
        )
    for message in messages:
        if (
            message.asset_id == asset.id
            and message.role == MessageRole.ASSISTANT
            and message.output_storage_path
        ):
            bucket = message.output_storage_bucket or "outputs"
            versions.append(
                Version(
                    bucket,
                    message.output_storage_path,
                    message.created_at,
                    message.id,
                    False,
                    message.output_storage_path == asset.current_storage_path,
                )
            )
    if asset.current_storage_path and all(v.path != asset.current_storage_path for v in versions):
        # The current pointer synced ahead of the reply that made it: shown as the newest
        # version until that message arrives.
        versions.append(
            Version(
                asset.current_storage_bucket or "outputs",
                asset.current_storage_path,
                asset.updated_at,
                None,
                False,
                True,
            )
        )
    return tuple(versions)
