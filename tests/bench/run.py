"""Run the benchmarks: ``python tests/bench/run.py [SUITE ...] [--quick]``.

Suites: sync, imaging, ui, canvas (none given = all). Each prints its figures beside the anchor
measured in the same run and the ratio, and appends JSON lines to ./bench-results.jsonl.
Benchmarks are not tests: they never run under pytest. Exit status 1 if any figure missed its goal.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUITES = ("sync", "imaging", "ui", "canvas", "quality")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suites", nargs="*", metavar="SUITE", help=f"one of {', '.join(SUITES)}")
    parser.add_argument("--quick", action="store_true", help="smaller data, fewer repeats")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.suites) - set(SUITES))
    if unknown:
        parser.error(f"unknown suite(s) {', '.join(unknown)}; choose from {', '.join(SUITES)}")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    from tests.bench.harness import Bench

    missed = 0
    for name in args.suites or SUITES:
        module_path = ROOT / "tests" / "bench" / f"bench_{name}.py"
        if not module_path.exists():
            print(f"[{name}] no benchmarks yet ({module_path.name} does not exist)")
            continue
        module = importlib.import_module(f"tests.bench.bench_{name}")
        bench = Bench(name, quick=args.quick)
        print(f"[{name}]{' (quick)' if args.quick else ''}")
        print(
            f"  {'figure':<44} {'value':>12} {'unit':<6} | {'anchor (same run)':<34} "
            f"{'anchor':>12} | {'ratio':<9} | {'goal':<26} verdict"
        )
        module.run(bench)
        missed += sum(not f.ok for f in bench.figures)
    print(f"{missed} figure(s) missed their goal" if missed else "all figures met their goals")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
