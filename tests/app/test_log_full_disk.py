"""A full drive while the app runs: the log says so once, in one line on stderr, instead of
``logging``'s "--- Logging error ---" traceback for every line; it stops trying until its retry
time, and once there is space again it writes a line saying how many lines were left out and
carries on, through the start-up's plain handler and the rotating one that replaces it.

The drive is real: a small tmpfs mounted over the data folder in a mount namespace of the
test's own (``unshare``, as the read-only and full-drive start tests do), filled to its last
block by a file that is then removed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import open_local_store
from tests.bench.bench_ui import seed_with_outputs

ROOT = Path(__file__).resolve().parents[2]

LINES = 400

SCRIPT = f"""
import errno, logging, os, sys, time
from pathlib import Path
from studio_desktop.app import configure_logging, rotate_log_file
from studio_desktop.store import log_file

log_file._QuietMixin.retry_after_s = 0.3  # (10 s in the app)
data = Path(sys.argv[1])
configure_logging(data / "logs", verbose=False, rotate=False)
log = logging.getLogger("designer")
log.info("before the drive is full")
fd = os.open(data / "filler", os.O_WRONLY | os.O_CREAT)
try:
    while True:
        os.write(fd, b"x" * 4096)
except OSError as error:
    assert error.errno == errno.ENOSPC, error
finally:
    os.close(fd)
for n in range({LINES} // 2):
    log.info("line %03d while the drive is full", n)
time.sleep(0.4)  # the retry time passes while full: it fails again, quietly
rotate_log_file()  # (behind the first page, as the app does)
for n in range({LINES} // 2, {LINES}):
    log.info("line %03d while the drive is full", n)
os.remove(data / "filler")
time.sleep(0.4)
log.info("after space is back")
log.warning("a warning after")
print("DONE", flush=True)
"""


@pytest.mark.timeout(120)
def test_a_full_drive_is_said_once_and_the_log_carries_on_when_there_is_space(
    tmp_path: Path,
) -> None:
    unshare = shutil.which("unshare")
    assert unshare is not None, "unshare (util-linux) is needed for the full drive"
    data = tmp_path / "data"
    data.mkdir()
    kept = tmp_path / "kept.log"
    flags = ["--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        flags = ["--map-root-user", *flags]
    q = shlex.quote(str(data))
    shell = (
        f"set -e\nmount -t tmpfs -o size=256k tmpfs {q}\nset +e\n"
        '"$@"\nstatus=$?\n'
        f"cp {q}/logs/studio-desktop.log {shlex.quote(str(kept))}\nexit $status\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STUDIO_DESKTOP_", "QT_"))}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [unshare, *flags, "sh", "-c", shell, "sh", sys.executable, "-c", SCRIPT, str(data)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "DONE"
    log_path = data / "logs" / "studio-desktop.log"
    assert "Logging error" not in done.stderr and "Traceback" not in done.stderr
    said, warning = done.stderr.splitlines()
    assert said == (
        f"Studio Desktop cannot write its log file {log_path}: its drive is full. It keeps "
        "running; log lines are left out until then and the log goes on by itself once "
        "there is space again."
    )
    assert warning.endswith("WARNING MainThread designer: a warning after")

    text = kept.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert "before the drive is full" in lines[0]
    assert lines[-2].endswith("designer: after space is back")
    assert lines[-1].endswith("designer: a warning after")
    notes = [line for line in lines if "log line(s) left out since" in line]
    assert len(notes) == 1, notes
    dropped = int(re.search(r"WARNING .*: (\d+) log line\(s\) left out", notes[0]).group(1))
    written = [line for line in lines if re.search(r"line \d{3} while the drive is full$", line)]
    # Every line is either in the file, whole, or counted as left out; the drive took some.
    assert written and dropped
    assert len(written) + dropped == LINES
    assert "No space left on device" in notes[0]


@pytest.mark.timeout(240)
def test_the_app_on_a_drive_that_fills_up_closes_cleanly_with_its_work_kept(
    tmp_path: Path,
) -> None:
    """The real app (``python -m studio_desktop``) on a tmpfs holding a workspace of 200 jobs:
    once it is open, the drive is filled to its last block (a file, then the log file's last
    page); two second launches ask it to come to the front (it logs each), then it is closed
    (SIGTERM, a session logging out). stderr gets the one line, no traceback; the app exits 0;
    afterwards the database passes SQLite's integrity check with every job."""
    unshare = shutil.which("unshare")
    assert unshare is not None, "unshare (util-linux) is needed for the full drive"
    seed = tmp_path / "seed"
    store = open_local_store(DataDirs(seed).ensure())
    seed_with_outputs(store, 200, 400)
    store.close()
    data = tmp_path / "data"
    data.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    q, s, o = (shlex.quote(str(p)) for p in (data, seed, out))
    python = shlex.quote(sys.executable)
    check = (
        "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); "
        "print(db.execute('PRAGMA integrity_check').fetchone()[0], "
        "db.execute('SELECT count(*) FROM jobs').fetchone()[0])"
    )
    # A second launch's request, twice: the app logs each (its log file full by then).
    show = (
        "import sys; from pathlib import Path; "
        "from studio_desktop.ui.single_instance import ask_running_copy_to_show, beacon_path; "
        "path = beacon_path(Path(sys.argv[1])); "
        "print(ask_running_copy_to_show(path, 60), ask_running_copy_to_show(path, 60))"
    )
    shell = f"""set -e
mount -t tmpfs -o size=24m tmpfs {q}
cp -a {s}/. {q}/
set +e
{python} -m studio_desktop --data-dir {q} 2> {o}/stderr.txt &
app=$!
for i in $(seq 1 600); do
  grep -q "the workspace is open" {q}/logs/studio-desktop.log 2>/dev/null && break
  sleep 0.2
done
dd if=/dev/zero of={q}/filler bs=64k 2>/dev/null
yes "(the drive fills up)" >> {q}/logs/studio-desktop.log 2>/dev/null
{python} -c {shlex.quote(show)} {q} > {o}/shown.txt
df -k {q} | tail -1 > {o}/df.txt
kill -TERM $app
wait $app
echo $? > {o}/status.txt
rm {q}/filler
cp {q}/logs/studio-desktop.log {o}/app.log
{python} -c {shlex.quote(check)} {q}/workspaces/local/store.sqlite3 > {o}/check.txt
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STUDIO_DESKTOP_", "QT_"))}
    env.update(QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT), HOME=str(tmp_path / "home"))
    flags = ["--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        flags = ["--map-root-user", *flags]
    done = subprocess.run(
        [unshare, *flags, "sh", "-c", shell],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=200,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (out / "df.txt").read_text().split()[3] == "0"  # the drive was full
    assert (out / "shown.txt").read_text().split() == ["True", "True"]  # it answered both
    errors = (out / "stderr.txt").read_text(encoding="utf-8")
    assert (out / "status.txt").read_text().strip() == "0", errors
    assert "Logging error" not in errors and "Traceback" not in errors, errors
    log_path = data / "logs" / "studio-desktop.log"
    said = [line for line in errors.splitlines() if "cannot write its log file" in line]
    assert said == [
        f"Studio Desktop cannot write its log file {log_path}: its drive is full. It keeps "
        "running; log lines are left out until then and the log goes on by itself once "
        "there is space again."
    ], errors
    assert (out / "check.txt").read_text().split() == ["ok", "200"]
