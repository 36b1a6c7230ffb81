"""Crash safety: the syncing process is SIGKILLed at random moments, dozens of times, while it
pushes and while it pulls, and restarted each time. In the end no local change is lost, none is
duplicated on the server, and the mirror equals the server, table by table."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import IO, Any

import psycopg
import pytest

from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import Store, open_account_store
from tests.sync.factories import add_job, add_profile
from tests.sync.helpers import mirror_rows, open_device, run, server_rows

pytestmark = [pytest.mark.pg, pytest.mark.gateway, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
KILLS_PER_PHASE = 26


class Zygote:
    """The driver process (see ``crash_driver.py``)."""

    def __init__(self, log: Path) -> None:
        self.log_file: IO[str] = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.sync.crash_driver"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log_file,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert self._line() == "READY"

    def _line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line:
            raise AssertionError(f"the crash driver died: {self.process.poll()}")
        return line

    def start(self, job: dict[str, Any]) -> int:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        kind, pid = self._line().split()
        assert kind == "PID"
        return int(pid)

    def wait(self, pid: int) -> int:
        kind, got, status = self._line().split()
        assert kind == "EXIT" and int(got) == pid
        return int(status)

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        if self.process.stdout:
            self.process.stdout.close()
        self.log_file.close()


def forget_client_disconnects(gateway: Any) -> None:
    """The gateway reports a client that died while sending its request body as its own crash
    (``ConnectionResetError: Connection lost`` reading the body). Here the client is killed on
    purpose, so those are expected; any other gateway crash still fails the test."""
    gateway.internal_errors[:] = [
        e
        for e in gateway.internal_errors
        if not e.traceback.rstrip().endswith("ConnectionResetError: Connection lost")
    ]


def _open(root: Path, url: str, user_id: str) -> Store:
    return open_account_store(DataDirs(root), url, user_id)


def test_sigkill_during_push_and_pull_loses_and_duplicates_nothing(
    tmp_path: Path, gateway: Any, gateway_db: str, make_user: Any, anon_key: str
) -> None:
    user = make_user()
    root = tmp_path / "device"
    rnd = random.Random(20261124)

    async def sign_in() -> None:
        device = await open_device(root, gateway.url, anon_key, user)
        await device.sync()
        await device.close()

    run(sign_in)
    job = {"root": str(root), "url": gateway.url, "anon_key": anon_key, "batch": 15, "page": 20}
    zygote = Zygote(tmp_path / "driver.log")
    expected_jobs: set[str] = set()
    deleted_jobs: set[str] = set()
    kills = {"push": 0, "pull": 0}

    def kill_during_a_run(work_left: bool) -> bool:
        """Start a sync run and SIGKILL it at a random moment; True if it was killed while it
        had work left (a run that finished first must have exited cleanly)."""
        pid = zygote.start(job)
        time.sleep(rnd.uniform(0.03, 0.35))
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        status = zygote.wait(pid)
        if os.WIFSIGNALED(status) and work_left:
            return True
        assert os.WEXITSTATUS(status) == 0, (tmp_path / "driver.log").read_text()
        return False

    try:
        gateway.faults.latency(0.02, paths=("/rest/", "/storage/"))

        # ---- phase 1: local work, pushed by a process that keeps being killed
        store = _open(root, gateway.url, user.id)
        for n in range(150):
            expected_jobs.add(add_job(store, outputs=2, files=n % 15 == 0, prompt=f"p{n}").id)
        add_profile(store, "Crash test")
        store.close()
        for round_ in range(KILLS_PER_PHASE * 3):
            store = _open(root, gateway.url, user.id)
            if round_ % 3 == 0:  # more local work while the push is being interrupted
                for _ in range(8):
                    expected_jobs.add(add_job(store, outputs=1).id)
                victim = rnd.choice(sorted(expected_jobs))
                store.rows.delete("jobs", victim)
                expected_jobs.discard(victim)
                deleted_jobs.add(victim)
            pending = store.outbox.counts().pending
            store.close()
            if kills["push"] >= KILLS_PER_PHASE:
                break
            if kill_during_a_run(pending > 0):  # killed with work left to push
                kills["push"] += 1

        # ---- phase 2: server-side work, pulled by a process that keeps being killed
        with psycopg.connect(gateway_db, autocommit=True) as conn:
            for n in range(900):
                job_id = uuid.uuid4()
                with conn.transaction():
                    conn.execute(
                        "INSERT INTO public.jobs (id, user_id, type, input_json) "
                        "VALUES (%s, %s, 'tryon_image', %s)",
                        (job_id, user.id, json.dumps({"prompt": f"server {n}"})),
                    )
                    conn.execute(
                        "INSERT INTO public.job_outputs (job_id, kind) VALUES (%s, 'image')",
                        (job_id,),
                    )
        server_jobs = set(server_rows(gateway_db, user.id)["jobs"])
        for round_ in range(KILLS_PER_PHASE * 3):
            if round_ % 4 == 1:  # the server keeps changing too: updates and deletes
                with psycopg.connect(gateway_db, autocommit=True) as conn:
                    conn.execute(
                        "UPDATE public.jobs SET status = 'failed' WHERE id IN (SELECT id FROM "
                        "public.jobs WHERE user_id = %s AND status <> 'failed' LIMIT 20)",
                        (user.id,),
                    )
                    conn.execute(
                        "DELETE FROM public.jobs WHERE id IN (SELECT id FROM public.jobs "
                        "WHERE user_id = %s AND type = 'tryon_image' LIMIT 5)",
                        (user.id,),
                    )
            store = _open(root, gateway.url, user.id)
            behind = store.rows.count("jobs") != len(server_rows(gateway_db, user.id)["jobs"])
            store.close()
            if kills["pull"] >= KILLS_PER_PHASE:
                break
            if kill_during_a_run(behind):  # killed with work left to pull
                kills["pull"] += 1

        # ---- the end: one run that is not killed
        gateway.faults.reset()
        pid = zygote.start(job)
        assert zygote.wait(pid) == 0, (tmp_path / "driver.log").read_text()
    finally:
        zygote.close()
        forget_client_disconnects(gateway)
    print(f"kills: {kills}")

    assert kills["push"] >= KILLS_PER_PHASE and kills["pull"] >= KILLS_PER_PHASE, kills
    assert sum(kills.values()) >= 50
    server = server_rows(gateway_db, user.id)
    local_made = {j for j in server["jobs"] if j in expected_jobs}
    assert local_made == expected_jobs  # no local change lost
    assert not deleted_jobs & set(server["jobs"])  # local deletes arrived
    assert set(server["jobs"]) - expected_jobs <= server_jobs  # nothing appeared twice
    with psycopg.connect(gateway_db) as conn:
        objects = conn.execute(
            "SELECT count(*) FROM storage.objects WHERE name LIKE %s", (f"{user.id}/%",)
        ).fetchone()
    assert objects is not None and objects[0] <= 20
    store = _open(root, gateway.url, user.id)
    try:
        assert store.outbox.counts().pending == 0 and store.outbox.counts().parked == 0
        assert mirror_rows(store) == server  # every table, every column
        assert store.sync_state.get("held_rows") == {}
    finally:
        store.close()
