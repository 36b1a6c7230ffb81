"""The benchmark harness: every figure is printed beside an anchor measured in the same run.

The machine is shared and noisy, so absolute seconds mean little; what we compare is the *ratio*
of a figure to an anchor (a plain baseline doing comparable work) measured moments apart, and
medians over repeats. Each suite module ``tests/bench/bench_<suite>.py`` defines
``run(bench: Bench) -> None`` and calls :meth:`Bench.record` once per figure.

A figure's ``goal`` is written for people ("<= 1.25x anchor", "< 5 ms"); ``ok`` is the verdict
the suite computed for it. Results are appended, one JSON object per figure, to
``bench-results.jsonl`` in the working directory::

    {"suite", "name", "value", "unit", "anchor", "anchor_value", "ratio", "goal", "ok"}
"""

from __future__ import annotations

import gc
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


def timed(fn: Callable[[], Any]) -> float:
    """Seconds one call of ``fn`` takes (perf_counter)."""
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_seconds(fn: Callable[[], Any], repeat: int = 7, warmup: int = 1) -> float:
    """Median wall time of ``fn`` over ``repeat`` runs after ``warmup`` unmeasured ones."""
    for _ in range(warmup):
        fn()
    return statistics.median(timed(fn) for _ in range(repeat))


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


@dataclass(frozen=True, slots=True)
class Figure:
    suite: str
    name: str
    value: float
    unit: str
    anchor: str
    anchor_value: float
    ratio: float
    goal: str
    ok: bool


class Bench:
    """Collects the figures of one suite, prints them as a table and appends them as JSON lines."""

    def __init__(self, suite: str, *, quick: bool = False, results: Path | None = None) -> None:
        self.suite = suite
        self.quick = quick
        self.results = results or Path.cwd() / "bench-results.jsonl"
        self.figures: list[Figure] = []

    def record(
        self,
        name: str,
        value: float,
        unit: str,
        *,
        anchor: str,
        anchor_value: float,
        goal: str,
        ok: bool,
        ratio: float | None = None,
    ) -> Figure:
        """``ratio`` defaults to ``value / anchor_value``; a figure measured in pairs (each run
        beside its own anchor run) passes the median of the pairs' ratios instead, which a slow
        spell of the machine shifts less than it shifts either median."""
        if ratio is None:
            ratio = value / anchor_value if anchor_value else float("inf")
        figure = Figure(
            self.suite, name, value, unit, anchor, anchor_value, round(ratio, 3), goal, bool(ok)
        )
        self.figures.append(figure)
        with self.results.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(asdict(figure)) + "\n")
        print(
            f"  {name:<44} {value:>12.3f} {unit:<6} | {anchor:<34} {anchor_value:>12.3f} "
            f"| x{figure.ratio:<8} | {goal:<26} {'ok' if ok else 'MISSED'}",
            flush=True,
        )
        return figure
