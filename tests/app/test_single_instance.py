"""One copy of the app per data folder.

Each test starts the real app (``python -m studio_desktop``) in fresh processes, offscreen, on
one data folder: a second launch while the first runs does not run (it never opens the
workspace nor writes its log); it asks the first to come to the front and exits 0, and the
first keeps running. When the copy holding the folder does not answer (here a bare process
holding the lock: no window, no beacon), the second launch says the folder is open, in a box
too, and exits 4. A copy killed with SIGKILL leaves a lock file and a socket file behind: the
next start takes over both.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from studio_desktop.app import EXIT_ALREADY_OPEN, HANDOVER_WAIT_S
from studio_desktop.store.instance_lock import LOCK_FILE
from tests.app.start_runner import RUNNER

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 120
QUIT = ("--quit-after-ms", "300")

HOLDER = """
import sys, time
from pathlib import Path
from studio_desktop.store.instance_lock import InstanceLock
lock = InstanceLock(Path(sys.argv[1])).acquire()
print("HELD", flush=True)
time.sleep(600)
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STUDIO_DESKTOP_", "QT_"))}
    env.update(QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT), HOME=str(tmp_path / "home"))
    return env


class Running:
    """A copy of the app left running (no ``--quit-after-ms``) on ``data``; its log lines are
    those after what the log held when it was started."""

    def __init__(self, tmp_path: Path, data: Path, name: str) -> None:
        self.log = data / "logs" / "studio-desktop.log"
        self._since = len(self.log_text())  # what earlier copies logged is not this one's
        self._stderr = (tmp_path / f"{name}.stderr").open("w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "studio_desktop", "--data-dir", str(data)],
            cwd=tmp_path,
            env=_env(tmp_path),
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8") if self.log.is_file() else ""

    def wait_for_log(self, text: str, count: int = 1) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while self.log_text()[self._since :].count(text) < count:
            assert self.process.poll() is None, f"the app exited: {self.stderr()}"
            assert time.monotonic() < deadline, f"no {text!r} in the log after {START_TIMEOUT_S} s"
            time.sleep(0.1)

    def stderr(self) -> str:
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read()

    def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        code = self.process.wait(60)
        self._stderr.close()
        return code


def _launch(tmp_path: Path, data: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "studio_desktop", "--data-dir", str(data), "--quit-after-ms", "300"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
        check=False,
    )


@pytest.mark.timeout(300)
def test_a_second_launch_brings_the_first_to_the_front_and_does_not_run(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = Running(tmp_path, data, "first")
    try:
        first.wait_for_log("the workspace is open")
        second = _launch(tmp_path, data)
        assert second.returncode == 0, second.stderr
        assert second.stderr.splitlines() == [
            f"Studio Desktop is already open on this folder ({data}, process "
            f"{first.process.pid}): its window was brought to the front."
        ]
        first.wait_for_log("started again on this folder: this window comes to the front")
        time.sleep(0.5)
        assert first.process.poll() is None  # the first keeps running
        log = first.log_text()
        # The second copy never started: one start in the log, one workspace opened.
        assert log.count("starting with data in") == 1
        assert log.count("the workspace is open") == 1
        # A third launch is handed over as well.
        third = _launch(tmp_path, data)
        assert third.returncode == 0, third.stderr
        first.wait_for_log("this window comes to the front", count=2)
    finally:
        code = first.stop()
    assert code == 0, first.stderr()
    assert first.log_text().rstrip().endswith("Studio Desktop exited cleanly")
    assert (data / LOCK_FILE).read_text().strip() == str(first.process.pid)


@pytest.mark.timeout(300)
def test_after_a_sigkill_the_next_start_takes_over(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = Running(tmp_path, data, "first")
    try:
        first.wait_for_log("the workspace is open")
    finally:
        first.stop(signal.SIGKILL)
    assert first.process.returncode == -signal.SIGKILL
    assert (data / LOCK_FILE).read_text().strip() == str(first.process.pid)  # left behind
    # A new copy starts on the folder as if nothing had happened...
    after = _launch(tmp_path, data)
    assert after.returncode == 0, after.stderr
    assert after.stderr == ""
    assert first.log_text().count("starting with data in") == 2
    assert first.log_text().rstrip().endswith("Studio Desktop exited cleanly")
    # ... and so does a long-running one, whose beacon replaced the dead copy's socket: a
    # launch beside it is handed over to it.
    again = Running(tmp_path, data, "again")
    try:
        again.wait_for_log("the workspace is open")
        beside = _launch(tmp_path, data)
        assert beside.returncode == 0, beside.stderr
        assert f"process {again.process.pid}): its window was brought" in beside.stderr
    finally:
        code = again.stop()
    assert code == 0, again.stderr()


@pytest.mark.timeout(300)
def test_a_holder_that_does_not_answer_gets_the_already_open_message(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "logs").mkdir(parents=True)  # as a running copy's folder has
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data)],
        cwd=ROOT,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "HELD"
        result = tmp_path / "run.json"
        started = time.monotonic()
        done = subprocess.run(
            [*(sys.executable, "-c", RUNNER, str(result)), "--data-dir", str(data), *QUIT],
            cwd=ROOT,
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
            check=False,
        )
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait(30)
        if holder.stdout is not None:
            holder.stdout.close()
    assert done.returncode == 0, done.stderr
    run = json.loads(result.read_text(encoding="utf-8"))
    assert run["code"] == EXIT_ALREADY_OPEN
    headline = f"Studio Desktop is already open on this folder ({data}, process {holder.pid})."
    advice = (
        "Switch to its window, or close it and start again. To run a second copy, start it "
        "on another folder: studio-desktop --data-dir FOLDER."
    )
    assert done.stderr.splitlines() == [
        f"Studio Desktop is starting on this folder ({data}, process {holder.pid}). Its window "
        "comes up in a moment; this notice then closes by itself.",
        headline,
        advice,
    ]
    assert run["others"] == []
    [box] = run["boxes"]  # (the notice is gone)
    assert box["shown"] and box["icon"] == "Information"
    assert (box["text"], box["informative"]) == (headline, advice)
    assert waited >= HANDOVER_WAIT_S  # it gave the holder the time a starting copy needs
    # Nothing was made in the folder: no log, no workspace.
    assert sorted(p.name for p in data.iterdir()) == ["logs", LOCK_FILE]
    assert list((data / "logs").iterdir()) == []


#: Holds the lock like a copy that is still starting: no beacon until it reads "listen" on its
#: standard input; then it answers a second launch as a started copy does, and says "SHOWN".
STARTING = """
import asyncio, sys
from pathlib import Path
from studio_desktop.store.instance_lock import InstanceLock
from studio_desktop.ui.single_instance import Beacon, beacon_path

root = Path(sys.argv[1])
lock = InstanceLock(root).acquire()
print("HELD", flush=True)
sys.stdin.readline()


async def main():
    shown = asyncio.Event()
    beacon = Beacon(beacon_path(root), shown.set)
    await beacon.start()
    print("LISTENING", flush=True)
    await asyncio.wait_for(shown.wait(), 60)
    await asyncio.sleep(0.2)  # (its answer on its way)
    beacon.close()
    print("SHOWN", flush=True)

asyncio.run(main())
"""


@pytest.mark.timeout(300)
def test_a_launch_beside_a_copy_still_starting_says_so_then_hands_over(tmp_path: Path) -> None:
    """The second launch does not wait silently: it says the folder's copy is starting (on
    stderr and in a notice) while it waits, and hands over as soon as that copy listens."""
    data = tmp_path / "data"
    (data / "logs").mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", STARTING, str(data)],
        cwd=ROOT,
        env=_env(tmp_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    second = None
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "HELD"
        result = tmp_path / "run.json"
        second = subprocess.Popen(
            [*(sys.executable, "-c", RUNNER, str(result)), "--data-dir", str(data), *QUIT],
            cwd=ROOT,
            env=_env(tmp_path),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert second.stderr is not None
        notice = second.stderr.readline().rstrip("\n")
        assert notice == (
            f"Studio Desktop is starting on this folder ({data}, process {holder.pid}). Its "
            "window comes up in a moment; this notice then closes by itself."
        )
        assert second.poll() is None  # it says so while it still waits
        holder.stdin.write("listen\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "LISTENING"
        assert second.wait(START_TIMEOUT_S) == 0
        rest = second.stderr.read()
        assert holder.stdout.readline().strip() == "SHOWN"
    finally:
        for process in (holder, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(30)
        holder.stdout.close()
        holder.stdin.close()
        if second is not None and second.stderr is not None:
            second.stderr.close()
    assert rest.splitlines() == [
        f"Studio Desktop is already open on this folder ({data}, process {holder.pid}): its "
        "window was brought to the front."
    ]
    run = json.loads(result.read_text(encoding="utf-8"))
    assert run == {"code": 0, "boxes": [], "others": []}  # the notice closed itself, and went
    assert list((data / "logs").iterdir()) == []  # the second copy never started
