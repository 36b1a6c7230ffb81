"""Typed reads: the feed by keyset (ordering, no duplicates or gaps, filters, search), a job,
profiles, a creation with its versions, threads by job, cutouts."""

from __future__ import annotations

import dataclasses
import random
import re
import unicodedata
from datetime import timedelta

import pytest

from studio_desktop.domain.models import (
    CanvasAsset,
    CanvasConversation,
    CanvasMessage,
    CanvasThread,
    GarmentCutout,
    Job,
    Profile,
    format_ts,
    new_id,
)
from studio_desktop.domain.paths import canvas_object_ref, cutout_ref
from studio_desktop.store import queries
from studio_desktop.store.queries import FeedCursor, FeedFilter, search_expression
from studio_desktop.store.workspace import Store

from .conftest import T0, make_job, make_output, make_profile

TYPES = ("product_pack", "tryon_image", "canvas_edit", "extract_garment")
STATUSES = ("queued", "running", "succeeded", "failed")
WORDS = ("red", "blue", "linen", "dress", "robé", "shirt", "denim", "jacket", "studio", "beach")


@pytest.fixture
def feed(store: Store, user_id: str) -> list[Job]:
    """157 jobs; timestamps collide in groups of up to 6; 0-3 outputs each; varied fields."""
    rnd = random.Random(7)
    jobs: list[Job] = []
    minute = 0.0
    for n in range(157):
        if rnd.random() < 0.6:
            minute += rnd.choice((0.5, 1, 2))
        key = "instruction" if n % 3 == 0 else "prompt"
        text = " ".join(rnd.sample(WORDS, 3)).capitalize()
        jobs.append(
            make_job(
                user_id,
                minutes=minute,
                type=TYPES[n % 4],
                status=STATUSES[(n // 4) % 4],
                input_json={key: text, "profile_id": f"p{n % 3}", "angles": ["front"]},
            )
        )
    rnd.shuffle(jobs)  # insertion order must not matter
    store.rows.apply_remote_rows("jobs", [j.to_row() for j in jobs])
    outputs = [make_output(user_id, j, k) for j in jobs for k in range(hash(j.id) % 4)]
    store.rows.apply_remote_rows("job_outputs", [o.to_row() for o in outputs])
    return jobs


def _expected(jobs: list[Job], keep: object = lambda j: True) -> list[str]:
    chosen = [j for j in jobs if keep(j)]  # type: ignore[operator]
    chosen.sort(key=lambda j: (format_ts(j.created_at), j.id), reverse=True)
    return [j.id for j in chosen]


def _all_pages(store: Store, filters: FeedFilter, size: int) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: FeedCursor | None = None
    while True:
        page = store.queries.feed_page(filters, cursor, limit=size)
        pages.append([item.job.id for item in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor
        assert len(pages) <= 1000


def test_feed_pages_are_ordered_without_duplicates_or_gaps(store: Store, feed: list[Job]) -> None:
    for size in (1, 7, 50, 157, 500):
        pages = _all_pages(store, FeedFilter(), size)
        flat = [job_id for page in pages for job_id in page]
        assert flat == _expected(feed), size
        assert all(len(p) == size for p in pages[:-1])
    timestamps = [j.created_at for j in feed]
    assert len(set(timestamps)) < len(timestamps)  # ties were really exercised


def test_feed_items_carry_their_outputs(store: Store, feed: list[Job]) -> None:
    page = store.queries.feed_page(limit=20)
    for item in page.items:
        assert [o.job_id for o in item.outputs] == [item.job.id] * len(item.outputs)
        assert len(item.outputs) == hash(item.job.id) % 4
        assert list(item.outputs) == sorted(item.outputs, key=lambda o: (o.created_at, o.id))
    assert isinstance(page.items[0].job.input_json, dict)


@pytest.mark.parametrize(
    ("filters", "keep"),
    [
        (FeedFilter(types=("tryon_image",)), lambda j: j.type == "tryon_image"),
        (
            FeedFilter(types=("canvas_edit", "product_pack")),
            lambda j: j.type in ("canvas_edit", "product_pack"),
        ),
        (FeedFilter(statuses=("failed",)), lambda j: j.status == "failed"),
        (FeedFilter(profile_id="p1"), lambda j: j.input_json["profile_id"] == "p1"),
        (
            FeedFilter(types=("tryon_image",), statuses=("queued", "running"), profile_id="p2"),
            lambda j: (
                j.type == "tryon_image"
                and j.status in ("queued", "running")
                and j.input_json["profile_id"] == "p2"
            ),
        ),
    ],
)
def test_feed_filters(store: Store, feed: list[Job], filters: FeedFilter, keep: object) -> None:
    expected = _expected(feed, keep)
    assert 0 < len(expected) < len(feed)
    flat = [i for page in _all_pages(store, filters, 6) for i in page]
    assert flat == expected


@pytest.fixture(params=[1, 10**6], ids=["walk-index", "sort-matches"])
def search_plan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(queries, "SEARCH_SORT_LIMIT", request.param)
    return str(request.param)


def _text(job: Job) -> str:
    return " ".join(str(job.input_json.get(k, "")) for k in ("prompt", "instruction")).lower()


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("Linen", ("linen",)),
        ("den", ("denim",)),  # a prefix
        ("RED   dress!", ("red", "dress")),  # every word, any order, punctuation ignored
        ("robe", ("robé",)),  # accents are ignored
    ],
)
def test_feed_search(
    store: Store, feed: list[Job], query: str, words: tuple[str, ...], search_plan: str
) -> None:
    """Both query plans (many matches: walk the time index; few: sort the matches)."""

    def keep(job: Job) -> bool:
        tokens = _text(job).split()
        return all(any(t.startswith(w) for t in tokens) for w in words)

    expected = _expected(feed, keep)
    assert 0 < len(expected) < len(feed)
    flat = [i for page in _all_pages(store, FeedFilter(search=query), 5) for i in page]
    assert flat == expected
    # Search combines with the other filters.
    combined = FeedFilter(search=query, types=("product_pack",))
    flat = [i for page in _all_pages(store, combined, 5) for i in page]
    assert flat == _expected(feed, lambda j: keep(j) and j.type == "product_pack")


def test_search_that_matches_nothing_and_search_syntax(store: Store, feed: list[Job]) -> None:
    assert store.queries.feed_page(FeedFilter(search="velvet")).items == ()
    assert search_expression('"; DROP TABLE jobs; --') == '"DROP"* "TABLE"* "jobs"*'
    assert store.queries.feed_page(FeedFilter(search='AND OR "NEAR(')).items == ()
    assert search_expression("  ...  ") is None
    assert len(store.queries.feed_page(FeedFilter(search="..."), limit=500).items) == len(feed)


@pytest.mark.parametrize(
    "filters",
    [
        FeedFilter(),
        FeedFilter(types=("canvas_edit", "product_pack")),
        FeedFilter(statuses=("failed",), profile_id="p1"),
        FeedFilter(search="red dres"),
        FeedFilter(search="robe", types=("tryon_image", "extract_garment")),
        FeedFilter(search='AND OR "NEAR('),
    ],
)
def test_feed_items_is_the_feed_query_for_a_few_jobs(
    store: Store, feed: list[Job], filters: FeedFilter, search_plan: str
) -> None:
    """What a feed re-reads for jobs that changed is exactly what its pages hold: the same
    filter (written once), the same order, and ``down_to`` keeps to the pages already read."""
    _check_items_are_pages(store, feed, filters)


def _check_items_are_pages(store: Store, feed: list[Job], filters: FeedFilter) -> None:
    pages = _all_pages(store, filters, 9)
    every = [i for page in pages for i in page]
    asked = [j.id for j in feed[::3]] + ["no-such-job"]
    found = store.queries.feed_items(filters, asked)
    assert [i.job.id for i in found] == [i for i in every if i in set(asked)]
    if len(pages) > 2:
        page = store.queries.feed_page(filters, limit=9)
        page = store.queries.feed_page(filters, page.next_cursor, limit=9)
        read = every[:18]  # two pages read: the last one's cursor bounds the re-read
        found = store.queries.feed_items(filters, asked, down_to=page.next_cursor)
        assert [i.job.id for i in found] == [i for i in read if i in set(asked)]
    for item in found:
        assert len(item.outputs) == hash(item.job.id) % 4
    assert store.queries.feed_items(filters, []) == ()


# ---------------------------------------------------------------- search: what the row shows
#: p2's jobs name a profile that is not here (not synced yet, or deleted): no name to find.
PROFILE_NAMES = {"p0": "Mia", "p1": "Zoë Ana"}
_TYPE_WORDS = {  # the row's label, and the words a designer types for it
    "product_pack": "Product pack",
    "tryon_image": "Try-on tryon",
    "canvas_edit": "Canvas edit",
    "extract_garment": "Garment cutout extract",
}
_STATUS_WORDS = {"queued": "Queued", "running": "Running", "succeeded": "Done", "failed": "Failed"}


@pytest.fixture
def named_feed(store: Store, user_id: str, feed: list[Job]) -> list[Job]:
    """The feed with two of its three profiles here, and errors on some jobs (a failed job's
    error is on its row; another job's is not shown)."""
    store.rows.apply_remote_rows(
        "profiles",
        [
            Profile(id=pid, user_id=user_id, name=name).to_row()
            for pid, name in PROFILE_NAMES.items()
        ],
    )
    with_errors = [
        dataclasses.replace(j, error="Rate limit reached\nBlue skies: retry in a minute")
        for j in feed[::5]
    ]
    store.rows.apply_remote_rows("jobs", [j.to_row() for j in with_errors])
    changed = {j.id: j for j in with_errors}
    return [changed.get(j.id, j) for j in feed]


def _fold(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text.lower())
    return re.findall(r"\w+", "".join(c for c in plain if not unicodedata.combining(c)))


def _row_text(job: Job) -> list[str]:
    """What the History row shows of a job, as words (the oracle for the SQL)."""
    parts = [
        _text(job),
        _TYPE_WORDS[job.type],
        _STATUS_WORDS[job.status],
        job.error.splitlines()[0] if job.status == "failed" and job.error else "",
        PROFILE_NAMES.get(str(job.input_json.get("profile_id")), ""),
    ]
    return _fold(" ".join(parts))


ROW_SEARCHES = [
    "pack",
    "try-on",
    "TRYON",
    "cutout",
    "edit",
    "mia",
    "zoe",
    "pack mia",
    "Done red",
    "rate limit",
    "blue",  # also on the second line of some errors, which is not searched
    "failed ana",
    "ana dres",
]


@pytest.mark.parametrize("query", ROW_SEARCHES)
def test_search_finds_what_the_row_shows(
    store: Store, named_feed: list[Job], query: str, search_plan: str
) -> None:
    """Type words, status, a failed job's error and the profile name are searched with the
    prompt: every word must be in one of them (as a prefix, accents ignored)."""
    words = _fold(query)

    def keep(job: Job) -> bool:
        tokens = _row_text(job)
        return all(any(t.startswith(w) for t in tokens) for w in words)

    expected = _expected(named_feed, keep)
    assert 0 < len(expected) < len(named_feed)
    flat = [i for page in _all_pages(store, FeedFilter(search=query), 7) for i in page]
    assert flat == expected
    combined = FeedFilter(search=query, statuses=("failed", "succeeded"), profile_id="p0")
    flat = [i for page in _all_pages(store, combined, 7) for i in page]
    assert flat == _expected(
        named_feed,
        lambda j: (
            keep(j) and j.status in ("failed", "succeeded") and j.input_json["profile_id"] == "p0"
        ),
    )


@pytest.mark.parametrize(
    "filters",
    [FeedFilter(search=q) for q in ROW_SEARCHES]
    + [FeedFilter(search="mia", types=("tryon_image", "product_pack"), statuses=("queued",))],
)
def test_feed_items_is_the_feed_query_for_row_text_search(
    store: Store, named_feed: list[Job], filters: FeedFilter, search_plan: str
) -> None:
    _check_items_are_pages(store, named_feed, filters)


def test_profile_rename_changes_what_its_jobs_are_found_by(store: Store, user_id: str) -> None:
    profile = Profile(id=new_id(), user_id=user_id, name="Mia")
    store.rows.save(profile)
    jobs = [
        make_job(user_id, minutes=n, input_json={"prompt": "linen", "profileId": profile.id})
        for n in range(3)
    ]
    other = make_job(user_id, minutes=5, input_json={"prompt": "linen"})
    store.rows.apply_remote_rows("jobs", [j.to_row() for j in [*jobs, other]])
    mine = _expected(jobs)
    assert [i.job.id for i in store.queries.feed_page(FeedFilter(search="mia")).items] == mine
    assert store.queries.jobs_of_profiles([profile.id, "nobody"]) == mine
    store.rows.save(dataclasses.replace(profile, name="Paloma"))
    assert store.queries.feed_page(FeedFilter(search="mia")).items == ()
    assert store.queries.feed_items(FeedFilter(search="mia"), mine) == ()
    found = store.queries.feed_items(FeedFilter(search="paloma linen"), mine)
    assert [i.job.id for i in found] == mine
    store.rows.delete("profiles", profile.id)
    assert store.queries.feed_page(FeedFilter(search="paloma")).items == ()
    assert len(store.queries.feed_page(FeedFilter(search="linen")).items) == 4
    assert store.queries.jobs_of_profiles([]) == []


def test_feed_items_reads_many_ids_and_jobs_of_outputs(store: Store, feed: list[Job]) -> None:
    ids = [j.id for j in feed] * 8  # more ids than one IN list takes, repeated
    assert [i.job.id for i in store.queries.feed_items(None, ids)] == _expected(feed)
    with_outputs = [j for j in feed if hash(j.id) % 4][:5]
    output_ids = [
        o.id
        for j in with_outputs
        for o in store.queries.job(j.id).outputs  # type: ignore[union-attr]
    ]
    assert sorted(store.queries.jobs_of_outputs([*output_ids, "gone"])) == sorted(
        j.id for j in with_outputs
    )
    assert store.queries.jobs_of_outputs([]) == []


def test_search_follows_edits_and_deletes(store: Store, user_id: str) -> None:
    job = make_job(user_id, input_json={"prompt": "green coat"})
    store.rows.save(job)
    assert [i.job.id for i in store.queries.feed_page(FeedFilter(search="green")).items] == [job.id]
    store.rows.save(Job(**{**job.to_row(), "input_json": {"prompt": "yellow coat"}}))
    assert store.queries.feed_page(FeedFilter(search="green")).items == ()
    assert len(store.queries.feed_page(FeedFilter(search="yellow")).items) == 1
    store.rows.delete("jobs", job.id)
    assert store.queries.feed_page(FeedFilter(search="coat")).items == ()


def test_new_jobs_do_not_shift_later_pages(store: Store, feed: list[Job], user_id: str) -> None:
    first = store.queries.feed_page(limit=10)
    store.rows.save(make_job(user_id, minutes=10_000))  # newer than everything
    second = store.queries.feed_page(cursor=first.next_cursor, limit=10)
    assert [i.job.id for i in second.items] == _expected(feed)[10:20]


def test_one_job(store: Store, user_id: str) -> None:
    job = make_job(user_id)
    outputs = [make_output(user_id, job, n) for n in range(2)]
    store.rows.save_many([job, *outputs])
    item = store.queries.job(job.id)
    assert item is not None and item.job == store.rows.get(Job, job.id)
    assert item.outputs == tuple(outputs)
    assert store.queries.job(new_id()) is None
    assert store.queries.output(outputs[1].id) == outputs[1]


def test_profiles_sorted_by_name(store: Store, user_id: str) -> None:
    for name in ("mila", "Ava", "zoe", "Bea"):
        store.rows.save(make_profile(user_id, name))
    assert [p.name for p in store.queries.profiles()] == ["Ava", "Bea", "mila", "zoe"]
    first = store.queries.profiles()[0]
    assert store.queries.profile(first.id) == first


def test_creation_with_versions_conversations_and_messages(store: Store, user_id: str) -> None:
    job = make_job(user_id)
    output = make_output(user_id, job)
    store.rows.save_many([job, output])
    thread = CanvasThread(id=new_id(), user_id=user_id, source_job_id=job.id, created_at=T0)
    v1, v2 = (canvas_object_ref(user_id, thread.id) for _ in range(2))
    asset = CanvasAsset(
        id=new_id(),
        thread_id=thread.id,
        user_id=user_id,
        source_output_id=output.id,
        base_storage_bucket="outputs",
        base_storage_path=output.storage_path,
        current_storage_bucket="outputs",
        current_storage_path=v2.path,
        created_at=T0,
    )
    other_asset = CanvasAsset(
        id=new_id(), thread_id=thread.id, user_id=user_id, created_at=T0 + timedelta(seconds=1)
    )
    chats = [
        CanvasConversation(
            id=new_id(), thread_id=thread.id, user_id=user_id, created_at=T0 + timedelta(n)
        )
        for n in range(2)
    ]

    def message(n: int, role: str, chat: int | None, path: str | None = None) -> CanvasMessage:
        return CanvasMessage(
            id=new_id(),
            thread_id=thread.id,
            user_id=user_id,
            conversation_id=chats[chat].id if chat is not None else None,
            asset_id=asset.id,
            role=role,
            text=f"m{n}",
            output_storage_bucket="outputs" if path else None,
            output_storage_path=path,
            created_at=T0 + timedelta(minutes=n),
        )

    messages = [
        message(1, "user", 0),
        message(2, "assistant", 0, v1.path),
        message(3, "user", 1),
        message(4, "assistant", 1, v2.path),
        message(5, "user", None),
    ]
    store.rows.save_many([thread, asset, other_asset, *chats, *reversed(messages)])

    creation = store.queries.creation(thread.id)
    assert creation is not None
    assert creation.thread.id == thread.id
    assert [a.asset.id for a in creation.assets] == [asset.id, other_asset.id]
    versions = creation.assets[0].versions
    assert [(v.path, v.is_base, v.is_current) for v in versions] == [
        (output.storage_path, True, False),
        (v1.path, False, False),
        (v2.path, False, True),
    ]
    assert versions[2].message_id == messages[3].id
    assert creation.assets[1].versions == ()
    assert [[m.text for m in c.messages] for c in creation.conversations] == [
        ["m1", "m2"],
        ["m3", "m4"],
    ]
    assert [m.text for m in creation.loose_messages] == ["m5"]
    assert store.queries.creation(new_id()) is None
    assert store.queries.thread_for_job(job.id) is not None
    assert store.queries.thread_for_job(new_id()) is None
    assert [t.id for t in store.queries.creations()] == [thread.id]
    # One asset alone: the same versions as the whole creation derives (one derivation).
    one = store.queries.asset_view(asset.id)
    assert one is not None and one.versions == versions and one.asset == creation.assets[0].asset
    assert store.queries.asset_view(other_asset.id).versions == ()  # type: ignore[union-attr]
    assert store.queries.asset_view(new_id()) is None

    # A current pointer that synced before the reply that made it: the newest version, marked
    # current, until that message arrives (then it is that message's version).
    ahead = canvas_object_ref(user_id, thread.id)
    store.rows.save(
        dataclasses.replace(asset, current_storage_path=ahead.path, updated_at=T0 + timedelta(1))
    )
    pending = store.queries.asset_view(asset.id)
    assert pending is not None
    assert [(v.path, v.is_current, v.message_id) for v in pending.versions][-1] == (
        ahead.path,
        True,
        None,
    )
    assert sum(v.is_current for v in pending.versions) == 1
    reply = message(6, "assistant", 1, ahead.path)
    store.rows.save(reply)
    arrived = store.queries.asset_view(asset.id)
    assert arrived is not None and len(arrived.versions) == 4
    assert arrived.versions[-1].message_id == reply.id and arrived.versions[-1].is_current


def test_garment_cutout_lookup(store: Store, user_id: str) -> None:
    digest = "ab" * 32
    ref = cutout_ref(user_id, digest, "front")
    cutout = GarmentCutout(
        id=new_id(), user_id=user_id, source_hash=digest, source_kind="front", storage_path=ref.path
    )
    store.rows.save(cutout)
    assert store.queries.garment_cutout(user_id, digest, "front") == cutout
    assert store.queries.garment_cutout(user_id, digest, "back") is None
