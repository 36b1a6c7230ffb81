"""Run the benchmarks: ``python tests/bench/run.py [SUITE ...] [--quick]``.

Suites: sync, imaging, ui, canvas (none given = all). Each prints its figures beside the anchor
measured in the same run and the ratio, and appends JSON lines to ./bench-results.jsonl.
Benchmarks are not tests: they never run under pytest. Exit status 1 if any figure missed its goal.

Each suite runs in a process of its own (this script started again with ``--in-process SUITE``),
so no figure depends on what ran before it: memory an earlier suite kept, its imports, caches or
threads. The parent counts the misses from the lines each child appended to the results file.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUITES = ("sync", "imaging", "ui", "canvas", "quality")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suites", nargs="*", metavar="SUITE", help=f"one of {', '.join(SUITES)}")
    parser.add_argument("--quick", action="store_true", help="smaller data, fewer repeats")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = sorted(set(args.suites) - set(SUITES))
    if unknown:
        parser.error(f"unknown suite(s) {', '.join(unknown)}; choose from {', '.join(SUITES)}")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.in_process:
        return 1 if run_suites(args.suites, quick=args.quick) else 0

    missed = crashed = 0
    for name in args.suites or SUITES:
        results = Path.cwd() / "bench-results.jsonl"
        start = results.stat().st_size if results.exists() else 0
        command = [sys.executable, str(Path(__file__).resolve()), "--in-process", name]
        child = subprocess.run([*command, *(["--quick"] if args.quick else [])], check=False)
        missed_here = _missed_since(results, start)
        missed += missed_here
        # 1 with a missed figure is the verdict; any other failure is the suite's own error.
        if child.returncode not in (0, 1) or (child.returncode == 1 and not missed_here):
            print(f"[{name}] failed: exit status {child.returncode}", flush=True)
            crashed += 1
    print(f"{missed} figure(s) missed their goal" if missed else "all figures met their goals")
    if crashed:
        print(f"{crashed} suite(s) failed to run")
    return 1 if missed or crashed else 0


def run_suites(names: list[str], *, quick: bool) -> int:
    """Run ``names`` in this process; the number of figures that missed their goal."""
    sys.path.insert(0, str(ROOT))
    from tests.bench.harness import Bench

    missed = 0
    for name in names:
        module_path = ROOT / "tests" / "bench" / f"bench_{name}.py"
        if not module_path.exists():
            print(f"[{name}] no benchmarks yet ({module_path.name} does not exist)")
            continue
        module = importlib.import_module(f"tests.bench.bench_{name}")
        bench = Bench(name, quick=quick)
        print(f"[{name}]{' (quick)' if quick else ''}")
        print(
            f"  {'figure':<44} {'value':>12} {'unit':<6} | {'anchor (same run)':<34} "
            f"{'anchor':>12} | {'ratio':<9} | {'goal':<26} verdict"
        )
        module.run(bench)
        missed += sum(not f.ok for f in bench.figures)
    sys.stdout.flush()
    return missed


def _missed_since(results: Path, start: int) -> int:
    """Figures appended to the results file after byte ``start`` that missed their goal."""
    if not results.exists():
        return 0
    with results.open("rb") as file:
        file.seek(start)
        lines = file.read().decode("utf-8").splitlines()
    return sum(not json.loads(line)["ok"] for line in lines if line.strip())


if __name__ == "__main__":
    raise SystemExit(main())
