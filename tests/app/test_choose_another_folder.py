"""The box of an unusable data folder offers "Choose another folder…": the folder chosen is
checked as the first was; one that cannot be used either gets its own message in the same box;
one that can is where the app starts, this time only (stderr says how to keep it).

Each test starts the real app (``studio_desktop.app.run``) in a fresh process, offscreen, and
drives its box and its folder dialog from inside that process, as a designer would click them
(a Qt timer in the process: ``DRIVER``). The read-only drive is a real read-only mount in a
mount namespace of the app's own (``unshare``).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from studio_desktop.app import EXIT_FOLDER_UNUSABLE
from tests.app.start_runner import RUNNER
from tests.app.test_single_instance import HOLDER
from tests.app.test_unusable_data_dir import CHOOSE_ANOTHER, ROOT, _in_own_mounts, _tree

#: Set before the app runs: clicks "Choose another folder…" while there are folders left in
#: $PICKS (``-`` cancels the folder dialog), then Close; closes the main window once painted.
#: (once its workspace is open). Every text the box showed is written to $SEEN, with each folder
#: dialog's title and folder.
DRIVER = """
import atexit, json, os, sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QPushButton
from studio_desktop.ui.theme import start_application

picks = os.environ["PICKS"].split(os.pathsep) if os.environ.get("PICKS") else []
seen = []
atexit.register(lambda: Path(os.environ["SEEN"]).write_text(json.dumps(seen)))
qt = start_application(sys.argv[:1])


def drive():
    tops = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    dialog = next((w for w in tops if isinstance(w, QFileDialog)), None)
    if dialog is not None:
        pick = picks.pop(0)
        seen.append({"dialog": dialog.windowTitle(), "name": dialog.objectName(),
                     "at": dialog.directory().absolutePath()})
        if pick == "-":
            dialog.reject()
        else:
            dialog.setDirectory(pick)  # (gone into the folder, then "Use this folder")
            dialog.accept()
        return
    box = next((w for w in tops if isinstance(w, QMessageBox)), None)
    if box is not None:
        seen.append({"text": box.text(), "informative": box.informativeText(),
                     "buttons": [b.text() for b in box.buttons()]})
        if picks:
            box.findChild(QPushButton, "choose-folder").click()
        else:
            box.reject()
        return
    window = next((w for w in tops if type(w).__name__ == "MainWindow"), None)
    if window is None or not window.has_painted:
        return
    log = window.dirs.logs / "studio-desktop.log"
    if "the workspace is open" in log.read_text(encoding="utf-8"):
        seen.append({"window": window.windowTitle(), "root": str(window.dirs.root)})
        window.close()


ticker = QTimer()
ticker.timeout.connect(drive)
ticker.start(100)
"""


def _run(
    argv: list[str], tmp_path: Path, picks: list[str]
) -> tuple[subprocess.CompletedProcess[str], dict, list]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STUDIO_DESKTOP_", "QT_"))}
    seen = tmp_path / "seen.json"
    env.update(
        QT_QPA_PLATFORM="offscreen",
        PYTHONPATH=str(ROOT),
        HOME=str(tmp_path / "home"),
        PICKS=os.pathsep.join(picks),
        SEEN=str(seen),
    )
    (tmp_path / "home").mkdir(exist_ok=True)
    done = subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=150, check=False
    )
    result = tmp_path / "run.json"
    assert result.is_file(), done.stderr
    return done, json.loads(result.read_text(encoding="utf-8")), json.loads(seen.read_text())


def _app(tmp_path: Path, data: Path) -> list[str]:
    return [
        sys.executable,
        "-c",
        DRIVER + RUNNER,
        str(tmp_path / "run.json"),
        "--data-dir",
        str(data),
    ]


@pytest.mark.timeout(240)
def test_a_read_only_folder_then_a_bad_choice_then_a_good_one(tmp_path: Path) -> None:
    data = tmp_path / "read only"
    (data / "inside").mkdir(parents=True)
    (data / "notes.txt").write_text("mine", encoding="utf-8")
    before = _tree(data)
    blocked = tmp_path / "blocked"  # a file where its log folder would go
    blocked.mkdir()
    (blocked / "logs").write_text("not a folder", encoding="utf-8")
    good = tmp_path / "Studio elsewhere"
    good.mkdir()
    q = shlex.quote(str(data))
    argv = _in_own_mounts(f"mount --bind -o ro {q} {q}", _app(tmp_path, data))
    done, run, seen = _run(argv, tmp_path, [str(data / "inside"), str(blocked), str(good)])

    assert done.returncode == 0, done.stderr
    assert run["code"] == 0, done.stderr  # started on the good folder, closed cleanly
    assert "Traceback" not in done.stderr
    first = (
        f"Studio Desktop cannot save in the folder {data}: its drive is read-only.",
        "Make the drive writable (or connect it read-write) and start again. " + CHOOSE_ANOTHER,
    )
    inside = (
        f"Studio Desktop cannot save in the folder {data / 'inside'}: its drive is read-only.",
        first[1],
    )
    beside = (
        f"Studio Desktop cannot use the folder {blocked}: {blocked / 'logs'} is a file, where a "
        "folder is needed.",
        "Move that file away and start again. " + CHOOSE_ANOTHER,
    )
    buttons = ["Close", "&Choose another folder…"]
    dialog = {"dialog": "Choose a folder for Studio Desktop's data", "name": "choose-data-folder"}
    assert seen == [
        {"text": first[0], "informative": first[1], "buttons": buttons},
        {**dialog, "at": str(tmp_path / "home")},
        {"text": inside[0], "informative": inside[1], "buttons": buttons},
        {**dialog, "at": str(data / "inside")},
        {"text": beside[0], "informative": beside[1], "buttons": buttons},
        {**dialog, "at": str(blocked)},
        {"window": "Local workspace — Studio Desktop", "root": str(good)},
    ]
    assert done.stderr.splitlines() == [
        *first,
        *inside,
        *beside,
        f"Studio Desktop starts on the folder {good}, chosen in the message box, for this start "
        f"only. To use it every time: studio-desktop --data-dir {shlex.quote(str(good))} "
        "(or set STUDIO_DESKTOP_DATA_DIR).",
    ]
    # The app ran on the chosen folder: its workspace, its log, its settings are there.
    assert (good / "workspaces" / "local" / "store.sqlite3").is_file()
    log = (good / "logs" / "studio-desktop.log").read_text(encoding="utf-8")
    assert f"the data folder {data} could not be used; {good} was chosen instead" in log
    assert "exited cleanly" in log
    # Nothing of the unusable folders was changed, nor kept as a place to start from.
    assert _tree(data) == before
    assert sorted(p.name for p in blocked.iterdir()) == ["logs"]
    for file in good.rglob("*"):
        if file.is_file() and file.suffix in (".ini", ".json", ".conf", ""):
            text = file.read_bytes()
            assert str(data).encode() not in text, file
            assert str(blocked).encode() not in text, file


@pytest.mark.timeout(180)
def test_a_cancelled_choice_brings_the_box_back_and_close_still_exits_3(tmp_path: Path) -> None:
    data = tmp_path / "studio.txt"  # a file where the data folder should be
    data.write_text("my notes", encoding="utf-8")
    done, run, seen = _run(_app(tmp_path, data), tmp_path, ["-"])
    assert run["code"] == EXIT_FOLDER_UNUSABLE
    headline = (
        f"Studio Desktop cannot use the folder {data}: {data} is a file, where a folder is needed."
    )
    assert [s.get("text") or s.get("dialog") for s in seen] == [
        headline,
        "Choose a folder for Studio Desktop's data",
        headline,
    ]
    assert done.stderr.splitlines() == [
        headline,
        "Move that file away and start again. " + CHOOSE_ANOTHER,
    ]
    assert run["others"] == []  # no main window
    assert data.read_text(encoding="utf-8") == "my notes"


@pytest.mark.timeout(180)
def test_a_folder_another_copy_has_open_is_refused_in_the_box(tmp_path: Path) -> None:
    """Chosen: a folder another copy holds (its lock taken by a running process): refused in
    the box, saying so; the next choice starts the app."""
    data = tmp_path / "studio.txt"
    data.write_text("my notes", encoding="utf-8")
    busy = tmp_path / "busy"
    busy.mkdir()
    good = tmp_path / "good"
    good.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(busy)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "HELD"
        done, run, seen = _run(_app(tmp_path, data), tmp_path, [str(busy), str(good)])
    finally:
        holder.kill()
        holder.wait(30)
        if holder.stdout is not None:
            holder.stdout.close()
    assert run["code"] == 0, done.stderr
    texts = [(s["text"], s["informative"]) for s in seen if "text" in s]
    assert texts[1] == (
        f"Studio Desktop is already open on the folder {busy}.",
        "Choose another folder, or switch to the window that has it open.",
    )
    assert seen[-1]["root"] == str(good)
    # Nothing of the other copy's folder was used (its log folder, as a running copy has it).
    assert sorted(p.name for p in busy.iterdir()) == ["logs", "studio-desktop.lock"]
    assert list((busy / "logs").iterdir()) == []
