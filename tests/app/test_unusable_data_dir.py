"""A data folder the app cannot use stops the start with a readable message, not a traceback.

Each test starts the real app (``studio_desktop.app.run``) in a fresh process, offscreen, on a
folder that cannot be used: on a read-only mount (empty, or holding a real workspace), on a
full disk (a tmpfs filled to the last block), a file where the folder should be, a folder whose
parent does not exist, a folder where the log file should be. The read-only and full mounts are
real ones, made in a mount namespace of the app's own (``unshare``) so that they vanish with it
(as root; otherwise in a user namespace that maps the user to root). The app must exit 3 with
the reason and what to do on stderr and in its message box, make no main window, and leave the
folder as it was.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from studio_desktop.app import EXIT_FOLDER_UNUSABLE
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import open_local_store
from tests.app.start_runner import RUNNER
from tests.bench.bench_ui import seed_with_outputs

ROOT = Path(__file__).resolve().parents[2]

CHOOSE_ANOTHER = (
    "Or start Studio Desktop on another folder: studio-desktop --data-dir FOLDER "
    "(or set STUDIO_DESKTOP_DATA_DIR=FOLDER)."
)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STUDIO_DESKTOP_", "QT_"))}
    env.update(QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    return env


def _app(result: Path, data: Path) -> list[str]:
    return [sys.executable, "-c", RUNNER, str(result), "--data-dir", str(data)]


def _in_own_mounts(setup: str, argv: list[str], after: str = "") -> list[str]:
    """``argv`` run in a mount namespace of its own after the shell lines ``setup``, then
    ``after`` (the app's status is kept)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.fail("unshare (util-linux) is needed for the read-only and full-disk mounts")
    flags = ["--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        flags = ["--map-root-user", *flags]
    script = f'set -e\n{setup}\nset +e\n"$@"\nstatus=$?\n{after}\nexit $status\n'
    return [unshare, *flags, "sh", "-c", script, "sh", *argv]


def _start(argv: list[str], result: Path) -> tuple[subprocess.CompletedProcess[str], dict]:
    done = subprocess.run(
        [*argv, "--quit-after-ms", "300"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.is_file(), done.stderr
    return done, json.loads(result.read_text(encoding="utf-8"))


def _tree(root: Path) -> list[tuple[str, int, int]]:
    return sorted(
        (
            str(p.relative_to(root)),
            *((p.stat().st_size, p.stat().st_mtime_ns) if p.is_file() else (0, 0)),
        )
        for p in root.rglob("*")
    )


def _says(done: subprocess.CompletedProcess[str], run: dict, headline: str, advice: str) -> None:
    """Exit 3; stderr is the two sentences and nothing else; the box says the same."""
    assert done.returncode == 0, done.stderr  # (the runner; the app's status is in ``run``)
    assert run["code"] == EXIT_FOLDER_UNUSABLE
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [headline, f"{advice} {CHOOSE_ANOTHER}"]
    assert run["others"] == []  # no main window was made
    assert len(run["boxes"]) == 1
    box = run["boxes"][0]
    assert box["shown"] and box["name"] == "start-problem" and box["title"] == "Studio Desktop"
    assert box["icon"] == "Critical"
    assert box["text"] == headline
    assert box["informative"] == f"{advice} {CHOOSE_ANOTHER}"


@pytest.mark.timeout(180)
def test_an_empty_folder_on_a_read_only_drive(tmp_path: Path) -> None:
    data = tmp_path / "read only"
    data.mkdir()
    result = tmp_path / "run.json"
    q = shlex.quote(str(data))
    done, run = _start(_in_own_mounts(f"mount --bind -o ro {q} {q}", _app(result, data)), result)
    _says(
        done,
        run,
        f"Studio Desktop cannot save in the folder {data}: its drive is read-only.",
        "Make the drive writable (or connect it read-write) and start again.",
    )
    assert list(data.iterdir()) == []


@pytest.mark.timeout(180)
def test_a_workspace_on_a_read_only_drive_is_left_as_it_was(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = open_local_store(DataDirs(data).ensure())
    seed_with_outputs(store, 20, 40)
    store.close()
    (data / "logs" / "studio-desktop.log").write_text("an earlier run\n", encoding="utf-8")
    before = _tree(data)
    result = tmp_path / "run.json"
    q = shlex.quote(str(data))
    done, run = _start(_in_own_mounts(f"mount --bind -o ro {q} {q}", _app(result, data)), result)
    _says(
        done,
        run,
        f"Studio Desktop cannot save in the folder {data}: its drive is read-only.",
        "Make the drive writable (or connect it read-write) and start again.",
    )
    assert _tree(data) == before


@pytest.mark.timeout(180)
def test_a_folder_on_a_full_drive(tmp_path: Path) -> None:
    data = tmp_path / "full"
    data.mkdir()
    result = tmp_path / "run.json"
    listing = tmp_path / "listing.txt"
    q = shlex.quote(str(data))
    setup = (
        f"mount -t tmpfs -o size=256k tmpfs {q}\nmkdir {q}/logs\n"
        f"echo '{{}}' > {q}/workspaces.json\n"
        f"dd if=/dev/zero of={q}/filler bs=4k 2>/dev/null || true"
    )
    after = f"ls -A {q} > {shlex.quote(str(listing))}"
    done, run = _start(_in_own_mounts(setup, _app(result, data), after), result)
    _says(
        done,
        run,
        f"Studio Desktop cannot save in the folder {data}: its drive is full.",
        "Free some space on that drive and start again.",
    )
    # The write check left nothing behind; nothing else was made.
    assert listing.read_text().split() == ["filler", "logs", "workspaces.json"]


def test_a_file_where_the_folder_should_be(tmp_path: Path) -> None:
    data = tmp_path / "studio.txt"
    data.write_text("my notes", encoding="utf-8")
    result = tmp_path / "run.json"
    done, run = _start(_app(result, data), result)
    _says(
        done,
        run,
        f"Studio Desktop cannot use the folder {data}: {data} is a file, where a folder is needed.",
        "Move that file away and start again.",
    )
    assert data.read_text(encoding="utf-8") == "my notes"


def test_a_folder_whose_parent_does_not_exist(tmp_path: Path) -> None:
    data = tmp_path / "USB stick" / "studio"
    result = tmp_path / "run.json"
    done, run = _start(_app(result, data), result)
    _says(
        done,
        run,
        f"Studio Desktop cannot make its data folder {data}: the folder {data.parent} it "
        "belongs in does not exist.",
        "Check the path (is the drive connected?), or create that folder first.",
    )
    assert not data.parent.exists()


def test_a_folder_where_the_log_file_should_be(tmp_path: Path) -> None:
    data = tmp_path / "data"
    log_file = data / "logs" / "studio-desktop.log"
    log_file.mkdir(parents=True)
    result = tmp_path / "run.json"
    done, run = _start(_app(result, data), result)
    _says(
        done,
        run,
        f"Studio Desktop cannot write its file {log_file}: a folder has that name.",
        "Move that folder away and start again.",
    )
    assert sorted(p.name for p in data.iterdir()) == ["logs"]  # no lock file was made either
