"""``python -m studio_desktop`` and the ``studio-desktop`` console entry."""

from __future__ import annotations

import gc
import sys


def main(argv: list[str] | None = None) -> int:
    # No garbage collection until the main window has painted (``run`` turns it back on):
    # start-up only adds objects, and the collector's passes over them cost ~4 ms.
    gc.disable()
    from studio_desktop.app import run

    return run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    raise SystemExit(main())
