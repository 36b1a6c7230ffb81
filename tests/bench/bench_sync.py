"""Suite ``sync``: the local store and the sync engine (issue 3, "Benchmarks").

Each figure is one function ``bench_<what>(bench)`` listed in :data:`FIGURES`; :func:`run`
calls them in order. To add a figure (the sync engine's initial sync, idle cycle, push), write
another function and append it to ``FIGURES``.

Figures here:

- Feed page query over 100,000 local outputs (25,000 jobs): under 5 ms per page, page size 50,
  for the first page, a deep page, a filtered page, a profile page and searches (a prompt word,
  common and rare; a job type's word; a profile's name; both). Anchor, in the same run on the
  same database: ``SELECT * FROM job_outputs ORDER BY rowid LIMIT 50``.
- A profile renamed: its 1,250 jobs' search text rewritten by the triggers, in the rename's
  transaction (under 250 ms). Anchor: the same profile row saved with its name unchanged.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from studio_desktop.domain.models import format_ts, new_id
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.queries import FeedCursor, FeedFilter
from studio_desktop.store.workspace import Store, open_account_store
from tests.bench.harness import Bench, median_seconds
from tests.bench.seeding import PullLikeLoader, output_rows

FEED_GOAL_MS = 5.0
PAGE = 50
TYPES = ("product_pack", "tryon_image", "canvas_edit", "extract_garment")
STATUSES = ("succeeded", "succeeded", "succeeded", "failed", "queued", "running", "canceled")
ANGLES = ("front", "back", "side", "detail")
PROFILE_NAMES = ("Mia", "Ana", "Zoë", "Bjørn", "Ines")
RENAME_GOAL_MS = 250.0


def _vocabulary(rnd: random.Random, size: int = 400) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = {"".join(rnd.choice(letters) for _ in range(rnd.randint(4, 9))) for _ in range(size)}
    return sorted(words)


def build_feed_store(
    root: Path, jobs: int, outputs_per_job: int = 4
) -> tuple[Store, dict[str, Any]]:
    """A workspace with ``jobs`` jobs and ``jobs * outputs_per_job`` outputs, loaded through the
    same path as a pull (``apply_remote_rows``). Returns the store and facts for the queries."""
    rnd = random.Random(2024)
    user_id = new_id()
    store = open_account_store(DataDirs(root), "http://bench.invalid", user_id)
    words = _vocabulary(rnd)
    common = words[:3]  # in about a third of the prompts
    rare = "zzrareword"
    profiles = [new_id() for _ in range(20)]
    # Named profiles, as a pull brings them before their jobs (a name is searchable).
    store.rows.apply_remote_rows(
        "profiles",
        [
            {
                "id": profile_id,
                "user_id": user_id,
                "name": f"{PROFILE_NAMES[k % len(PROFILE_NAMES)]} {k}",
                "created_at": format_ts(datetime(2023, 12, 1, tzinfo=UTC)),
                "updated_at": format_ts(datetime(2023, 12, 1, tzinfo=UTC)),
            }
            for k, profile_id in enumerate(profiles)
        ],
    )
    start = datetime(2024, 1, 1, tzinfo=UTC)
    loader = PullLikeLoader(store)
    seconds = 0
    for n in range(jobs):
        if rnd.random() < 0.8:  # one in five shares its timestamp with the previous job
            seconds += rnd.randint(1, 600)
        created = format_ts(start + timedelta(seconds=seconds))
        prompt = " ".join(rnd.choice(words) for _ in range(8))
        if rnd.random() < 0.33:
            prompt += " " + rnd.choice(common)
        if n % 997 == 0:
            prompt += " " + rare
        job_id = new_id()
        job = {
            "id": job_id,
            "user_id": user_id,
            "type": TYPES[n % len(TYPES)],
            "status": rnd.choice(STATUSES),
            "input_json": {
                ("instruction" if n % 4 == 2 else "prompt"): prompt,
                "profile_id": rnd.choice(profiles),
                "angles": list(ANGLES),
                "product": {"sku": f"SKU-{n:06d}", "name": "Garment"},
            },
            "created_at": created,
            "updated_at": created,
        }
        loader.add(job, output_rows(user_id, job_id, created, outputs_per_job))
    loader.finish()
    facts = {
        "common": common[0],
        "rare": rare,
        "profile": profiles[0],
        "profile_name": f"{PROFILE_NAMES[0]} 0",
    }
    return store, facts


def _cursor_at(store: Store, depth: int) -> FeedCursor:
    row = store.db.query_one(
        "SELECT created_at, id FROM jobs ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?",
        (depth,),
    )
    assert row is not None
    return FeedCursor(row["created_at"], row["id"])


def bench_feed_page(bench: Bench) -> None:
    jobs = 5_000 if bench.quick else 25_000
    repeat = 15 if bench.quick else 41
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        started = time.perf_counter()
        store, facts = build_feed_store(Path(tmp), jobs)
        outputs = store.rows.count("job_outputs")
        print(
            f"  (built {jobs:,} jobs / {outputs:,} outputs in "
            f"{time.perf_counter() - started:.1f} s)",
            flush=True,
        )
        try:
            anchor_sql = "SELECT * FROM job_outputs ORDER BY rowid LIMIT 50"
            anchor = median_seconds(lambda: store.db.query(anchor_sql), repeat=repeat, warmup=3)
            deep = _cursor_at(store, int(jobs * 0.8))
            cases: list[tuple[str, Callable[[], object]]] = [
                ("first page", lambda: store.queries.feed_page(limit=PAGE)),
                ("deep page (80% down)", lambda: store.queries.feed_page(None, deep, PAGE)),
                (
                    "type+status filter",
                    lambda: store.queries.feed_page(
                        FeedFilter(types=("tryon_image",), statuses=("succeeded",)), None, PAGE
                    ),
                ),
                (
                    "deep page, type filter",
                    lambda: store.queries.feed_page(FeedFilter(types=("canvas_edit",)), deep, PAGE),
                ),
                (
                    "profile filter",
                    lambda: store.queries.feed_page(
                        FeedFilter(profile_id=facts["profile"]), None, PAGE
                    ),
                ),
                (
                    "search, common word",
                    lambda: store.queries.feed_page(FeedFilter(search=facts["common"]), None, PAGE),
                ),
                (
                    "search, rare word",
                    lambda: store.queries.feed_page(FeedFilter(search=facts["rare"]), None, PAGE),
                ),
                (
                    'search, job type ("pack")',
                    lambda: store.queries.feed_page(FeedFilter(search="pack"), None, PAGE),
                ),
                (
                    "search, profile name",
                    lambda: store.queries.feed_page(
                        FeedFilter(search=facts["profile_name"]), None, PAGE
                    ),
                ),
                (
                    'search, folded letter ("bjorn")',
                    lambda: store.queries.feed_page(FeedFilter(search="bjorn"), None, PAGE),
                ),
                (
                    "search, type + profile name",
                    lambda: store.queries.feed_page(
                        FeedFilter(search=f"try-on {facts['profile_name']}"), None, PAGE
                    ),
                ),
            ]
            for name, fn in cases:
                page = fn()
                assert getattr(page, "items", None), name  # every case returns a real page
                value = median_seconds(fn, repeat=repeat, warmup=3)
                bench.record(
                    f"feed {name} @{outputs // 1000}k outputs",
                    value * 1000,
                    "ms",
                    anchor="SELECT 50 job_outputs by rowid",
                    anchor_value=anchor * 1000,
                    goal=f"< {FEED_GOAL_MS:g} ms per page",
                    ok=value * 1000 < FEED_GOAL_MS,
                )
            _bench_rename(bench, store, facts["profile"], repeat=max(5, repeat // 4))
        finally:
            store.close()


def _bench_rename(bench: Bench, store: Store, profile_id: str, *, repeat: int) -> None:
    """A profile renamed: the triggers rewrite its jobs' search text in the same transaction."""
    row = store.db.query_one("SELECT * FROM profiles WHERE id = ?", (profile_id,))
    assert row is not None
    jobs = int(store.db.scalar("SELECT count(*) FROM jobs WHERE profile_id = ?", (profile_id,)))
    names = iter(range(10**6))

    def save(name: str) -> None:
        with store.transaction():
            store.db.execute(
                "UPDATE profiles SET name = ?, updated_at = ? WHERE id = ?",
                (name, format_ts(datetime.now(UTC)), profile_id),
            )

    anchor = median_seconds(lambda: save(row["name"]), repeat=repeat, warmup=1)
    value = median_seconds(lambda: save(f"Renamed {next(names)}"), repeat=repeat, warmup=1)
    found = store.queries.feed_page(FeedFilter(search="renamed"), None, PAGE)
    assert len(found.items) == min(PAGE, jobs)  # the new name finds them
    bench.record(
        f"profile renamed, {jobs:,} jobs' search text",
        value * 1000,
        "ms",
        anchor="same profile saved, name unchanged",
        anchor_value=anchor * 1000,
        goal=f"< {RENAME_GOAL_MS:g} ms",
        ok=value * 1000 < RENAME_GOAL_MS,
    )


def bench_sync_engine(bench: Bench) -> None:
    """Initial sync, idle cycle, push of 1,000 changes (``sync_engine_figures.py``)."""
    from tests.bench.sync_engine_figures import bench_engine

    bench_engine(bench)


#: The suite's figures, in order. The sync engine's figures are appended here.
def bench_live_sync(bench: Bench) -> None:
    """Realtime as a hint to pull: propagation, pulls per burst, idle cost (live_figures)."""
    from tests.bench.live_figures import bench_live

    bench_live(bench)


FIGURES: list[Callable[[Bench], None]] = [bench_feed_page, bench_sync_engine, bench_live_sync]


def run(bench: Bench) -> None:
    for figure in FIGURES:
        figure(bench)
