"""The syncing side of the crash test, as a separate OS process that the test kills.

Started once as ``python -m tests.sync.crash_driver`` (a "zygote": it imports everything, then
waits). For each JSON line on stdin it forks a child that opens the workspace at ``root`` from
disk (store, saved session), syncs until there is nothing left to do and exits; the zygote
prints ``PID <pid>`` when the child starts and ``EXIT <pid> <status>`` when it is gone (finished,
or SIGKILLed by the test at a random moment). Forking a ready process keeps each run's start-up
at milliseconds, so the test can kill it dozens of times in a few seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from tests.sync.helpers import fast_options, open_device


async def sync_until_done(job: dict[str, Any]) -> int:
    options = fast_options(
        push_batch_rows=int(job.get("batch", 20)),
        pull_page_size=int(job.get("page", 25)),
        select_page_size=int(job.get("select_page", 50)),
    )
    device = await open_device(Path(job["root"]), job["url"], job["anon_key"], options=options)
    try:
        for _ in range(500):
            report = await device.engine.run_cycle()
            if report.exception is not None:
                raise report.exception
            if not report.ok:
                continue
            assert report.push is not None and report.pull is not None
            quiet = not (report.push.pushed or report.pull.upserts or report.pull.deletes)
            if quiet and device.store.outbox.counts().pending == 0:
                return 0
        return 3
    finally:
        await device.close()


def main() -> int:
    print("READY", flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:  # the child: never write to the protocol pipe
            os.dup2(2, 1)
            code = 1
            try:
                code = asyncio.run(sync_until_done(job))
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stderr.flush()
                os._exit(code)
        print(f"PID {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        print(f"EXIT {pid} {status}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
