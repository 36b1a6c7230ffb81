"""The start-up's order (issue 14, "Content at once"): the History's first page of real rows
comes before everything it does not need; the rest of the workspace follows right after.

Each test starts the real app (``python -m studio_desktop`` semantics, through
``studio_desktop.app.run``) in a fresh process, offscreen, over a seeded workspace, and reads
what was imported when the feed logged its first painted page and when the controller logged
that every service is ready.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import open_local_store
from tests.bench.bench_ui import seed_with_outputs

ROOT = Path(__file__).resolve().parents[2]

#: Not needed by the History's first page: built right after it.
AFTER_FIRST_PAGE = (
    "studio_desktop.services.canvas",
    "studio_desktop.services.imports",
    "studio_desktop.services.garments",
    "studio_desktop.services.profiles",
    "studio_desktop.ui.canvas.area",
    "studio_desktop.ui.profiles.area",
    "studio_desktop.sync.engine",
    "logging.handlers",
    # The page is painted before asyncio, the store and the services exist: read early by a
    # sqlite3-only reader and taken over by the live feed afterwards.
    "qasync",
    "studio_desktop.store.workspace",
    "studio_desktop.services.jobs",
    "studio_desktop.services.history",
)

#: What the first page is made of.
BEFORE_FIRST_PAGE = (
    "studio_desktop.store.feed_sql",
    "studio_desktop.services.history_early",
    "studio_desktop.ui.history.feed_model",
    "studio_desktop.ui.history.delegate",
)

RUNNER = """
import json, logging, sys
from studio_desktop import app

moments = {}

class Watch(logging.Handler):
    def emit(self, record):
        message = record.getMessage()
        for key, text in (("page", "first page painted"), ("ready", "every service is ready")):
            if text in message and key not in moments:
                widgets = sys.modules["PySide6.QtWidgets"].__dict__
                moments[key] = {
                    "message": message,
                    "modules": sorted(sys.modules),
                    # PySide builds a Qt class's Python type when it is first used: QWizard
                    # (never used here) built means PySide tried every QWidget subclass.
                    "all_widget_types_built": "QWizard" in widgets,
                }

# (Handlers on these two loggers survive the app's logging set-up, which replaces the root's.)
for name in ("studio_desktop.ui.history.area", "studio_desktop.ui.app_controller"):
    logging.getLogger(name).addHandler(Watch())
code = app.run(sys.argv[2:])
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({"code": code, "moments": moments}, out)
"""


def _seeded(tmp_path: Path, jobs: int = 300) -> Path:
    data = tmp_path / "data"
    store = open_local_store(DataDirs(data).ensure())
    seed_with_outputs(store, jobs, jobs * 4)
    store.close()
    return data


def _start(tmp_path: Path, data: Path, quit_after_ms: int = 2500) -> dict:
    result = tmp_path / "moments.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    subprocess.run(
        [
            sys.executable,
            "-c",
            RUNNER,
            str(result),
            "--data-dir",
            str(data),
            "--quit-after-ms",
            str(quit_after_ms),
        ],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=120,
        capture_output=True,
    )
    return json.loads(result.read_text(encoding="utf-8"))


@pytest.mark.timeout(180)
def test_the_history_first_page_comes_before_the_rest_of_the_workspace(tmp_path: Path) -> None:
    data = _seeded(tmp_path)
    run = _start(tmp_path, data)
    assert run["code"] == 0
    page, ready = run["moments"]["page"], run["moments"]["ready"]
    # Real rows: a full first page of the seeded jobs.
    assert "first page painted, 60 jobs" in page["message"]
    at_page = set(page["modules"])
    assert not at_page & set(AFTER_FIRST_PAGE), sorted(at_page & set(AFTER_FIRST_PAGE))
    assert set(BEFORE_FIRST_PAGE) <= at_page
    # A chosen data root needs no platform folders (platformdirs brings tempfile, shutil, bz2).
    assert "platformdirs" not in at_page
    # No widget Qt made was met as a plain QWidget before the page (the feed's viewport is
    # made by the view itself): PySide did not build every QWidget subclass's type for it.
    assert page["all_widget_types_built"] is False
    # Right after: every service is imported and built, the rotating log is on.
    at_ready = set(ready["modules"])
    later = set(AFTER_FIRST_PAGE) - {"studio_desktop.sync.engine", "logging.handlers", "qasync"}
    later -= {"studio_desktop.ui.canvas.area", "studio_desktop.ui.profiles.area"}
    assert later <= at_ready, sorted(later - at_ready)
    log = (data / "logs" / "studio-desktop.log").read_text(encoding="utf-8")
    assert log.index("first page painted") < log.index("every service is ready")
    assert "exited cleanly" in log


def test_the_history_warm_up_imports_no_pillow() -> None:
    """What a worker imports for the History before its first page (the app controller and
    the screen's modules) holds no Pillow and no decoder: the first tile's load, on the
    loader's own threads, imports them (~25 ms that the first page no longer waits for)."""
    code = (
        "import sys\n"
        "from studio_desktop.ui import app_controller\n"
        "from studio_desktop.ui.areas import AreaKey\n"
        "app_controller.import_screen(AreaKey.HISTORY)\n"
        "print(sorted(m for m in sys.modules if m == 'PIL' or m.startswith("
        "('PIL.', 'studio_desktop.imaging'))))\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.strip()
    assert out == "[]"


DROP_RUNNER = """
import logging, sys
from pathlib import Path
from studio_desktop import app

photo = Path(sys.argv[1])
dropped = []

def drop():
    from PySide6.QtWidgets import QApplication
    from studio_desktop.ui.main_window import MainWindow
    from tests.ui.conftest import drop_files

    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    target = window.stack
    point = target.mapFrom(window, window.drop_zone_point([photo], "canvas"))
    dropped.append(drop_files(target, [photo], point).dropped)
    logging.getLogger("runner").warning("dropped during the early page: %s", dropped)

class DropOnTheEarlyPage(logging.Handler):
    def emit(self, record):
        if "(the early page" in record.getMessage() and not dropped:
            from PySide6.QtCore import QTimer

            QTimer.singleShot(0, drop)  # right after the page's log line, on the plain Qt loop

logging.getLogger("studio_desktop.ui.history.area").addHandler(DropOnTheEarlyPage())
sys.exit(app.run(sys.argv[2:]))
"""


@pytest.mark.timeout(180)
def test_a_photo_dropped_on_the_early_page_becomes_a_creation(tmp_path: Path) -> None:
    """Dropped while the History's early page shows (before the app controller exists), a photo
    is held by the window and becomes a Magic Canvas creation once the workspace is open."""
    from PIL import Image

    data = _seeded(tmp_path, jobs=80)
    photo = tmp_path / "look.png"
    Image.new("RGB", (320, 240), (180, 40, 60)).save(photo)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    subprocess.run(
        [
            sys.executable,
            "-c",
            DROP_RUNNER,
            str(photo),
            "--data-dir",
            str(data),
            "--quit-after-ms",
            "4000",
        ],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=120,
        capture_output=True,
    )
    log = (data / "logs" / "studio-desktop.log").read_text(encoding="utf-8")
    early = log.index("(the early page: the workspace is not open yet)")
    assert "dropped during the early page: [True]" in log, log
    held = log.index("1 file(s) for canvas held until the workspace is open")
    opened = log.index("the workspace is open")
    delivered = log.index("1 file(s) dropped on the window")
    assert early < held < opened < delivered, log
    store = open_local_store(DataDirs(data).ensure())
    try:
        assert store.rows.count("canvas_threads") == 1, "the dropped photo made a creation"
    finally:
        store.close()
