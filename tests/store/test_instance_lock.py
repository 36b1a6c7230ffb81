"""One copy per data root: the lock file's lock is taken once, refused to a second holder
(with the holder's process id), and let go of when its holder ends, however it ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from studio_desktop.store.instance_lock import LOCK_FILE, AlreadyOpenError, InstanceLock
from studio_desktop.store.locations import DataDirError

ROOT = Path(__file__).resolve().parents[2]

HOLDER = """
import sys, time
from pathlib import Path
from studio_desktop.store.instance_lock import InstanceLock
lock = InstanceLock(Path(sys.argv[1])).acquire()
print("HELD" if lock.held else "NOT HELD", flush=True)
time.sleep(600)
"""


def _holder(root: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(root)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "HELD"
    return process


def test_a_second_holder_is_refused_with_the_first_ones_pid(tmp_path: Path) -> None:
    first = InstanceLock(tmp_path).acquire()
    assert first.held and first.unsupported is None
    with pytest.raises(AlreadyOpenError) as refused:
        InstanceLock(tmp_path).acquire()
    assert refused.value.pid == os.getpid()
    assert refused.value.root == tmp_path
    assert str(tmp_path) in refused.value.message
    first.release()
    assert not first.held
    again = InstanceLock(tmp_path).acquire()  # released: the next one takes it
    assert again.held
    again.release()
    assert (tmp_path / LOCK_FILE).is_file()  # the file stays (see the module's docstring)


def test_another_process_holds_it_until_it_is_killed(tmp_path: Path) -> None:
    holder = _holder(tmp_path)
    try:
        with pytest.raises(AlreadyOpenError) as refused:
            InstanceLock(tmp_path).acquire()
        assert refused.value.pid == holder.pid
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
        assert holder.stdout is not None
        holder.stdout.close()
    # The dead holder's file still names it; its lock died with it.
    assert (tmp_path / LOCK_FILE).read_text().strip() == str(holder.pid)
    taken = InstanceLock(tmp_path).acquire()
    assert taken.held
    assert (tmp_path / LOCK_FILE).read_text().strip() == str(os.getpid())
    taken.release()


def test_a_lock_file_with_junk_in_it_is_taken_over(tmp_path: Path) -> None:
    (tmp_path / LOCK_FILE).write_text("not a pid at all, and longer than the old pid\n")
    lock = InstanceLock(tmp_path).acquire()
    assert (tmp_path / LOCK_FILE).read_text() == f"{os.getpid()}\n"
    with pytest.raises(AlreadyOpenError) as refused:
        InstanceLock(tmp_path).acquire()
    assert refused.value.pid == os.getpid()
    lock.release()


def test_a_folder_where_the_lock_file_cannot_be_made_is_a_data_dir_error(tmp_path: Path) -> None:
    (tmp_path / LOCK_FILE).mkdir()  # a folder by the lock file's name
    with pytest.raises(DataDirError) as error:
        InstanceLock(tmp_path).acquire()
    assert error.value.folder == tmp_path
    assert "--data-dir" in error.value.message
