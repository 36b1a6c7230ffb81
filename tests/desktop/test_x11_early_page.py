"""The History's early page in a real X window (Qt's ``xcb`` platform under Xvfb).

A child process does what the app's start does up to its step 2, with the app's own code: the
main window shown and painted (``wait_for_first_paint``), then the History's early page
(``show_early_page``: read with sqlite3 alone, before asyncio, the store and the services), and
grabs the X server's pixels of that frame; then the workspace's services come (a qasync loop,
as in the app) and the History's live feed takes the page over, and it grabs again once the
tiles have answered. Both grabs are saved to ``tests/screenshots/x11/``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import open_local_store
from tests.desktop.x11 import xvfb
from tests.services.test_history_feed import seed

pytestmark = pytest.mark.desktop

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "screenshots" / "x11"

CHILD = r"""
import asyncio, sys, time
from pathlib import Path
from PIL import ImageGrab
from PySide6.QtWidgets import QApplication
import qasync
from studio_desktop.app import show_early_page, wait_for_first_paint
from studio_desktop.store.locations import DataDirs
from studio_desktop.ui.main_window import MainWindow
from studio_desktop.ui.theme import start_application

data, out = Path(sys.argv[1]), Path(sys.argv[2])
dirs = DataDirs(data).ensure()
app = start_application(sys.argv[:1])
window = MainWindow(dirs)
window.resize(1100, 700)
window.move(40, 40)
window.show()
assert wait_for_first_paint(window, 5000), "the window never painted"


def grab(name):
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    top = window.frameGeometry()
    inner = window.geometry()
    shot = ImageGrab.grab(
        bbox=(inner.x(), inner.y(), inner.x() + inner.width(), inner.y() + inner.height()),
        xdisplay=None,
    )
    shot.convert("RGB").save(out / name)


assert show_early_page(window, dirs), "no early page"
area = window.history_area
assert area.services is None and area.loader is None
grab("history-early-page-xcb.png")
print("EARLY", area.model.rowCount(), flush=True)

loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)


async def adopt():
    from studio_desktop.services.workspace import WorkspaceServices
    from studio_desktop.store.workspace import open_local_store

    store = open_local_store(dirs)
    services = WorkspaceServices.open(store, thumbnails_dir=store.dirs.thumbs)
    model = area.model
    area.set_services(services)
    assert area.model is model, "taken over, not replaced"
    from studio_desktop.ui.history.roles import Role

    def answered():
        return all(
            t is not None and t.state.value != "loading"
            for r in range(3)
            for t in model.index(r, 0).data(Role.THUMBS)
        )

    while not answered():
        await asyncio.sleep(0.02)
    grab("history-early-page-adopted-xcb.png")
    print("ADOPTED", model.rowCount(), flush=True)
    model.close()
    area.loader.close()
    await services.aclose()


with loop:
    loop.run_until_complete(adopt())
"""


def test_the_early_page_and_its_takeover_in_a_real_x_window(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = open_local_store(DataDirs(data).ensure())
    seed(store, 80, outputs=2)
    store.close()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with xvfb() as display:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("STUDIO_DESKTOP_", "PYTEST", "QT_", "XDG_", "WAYLAND_"))
        }
        runtime = tmp_path / "runtime"
        runtime.mkdir(mode=0o700)
        env.update(
            DISPLAY=display,
            QT_QPA_PLATFORM="xcb",
            HOME=str(tmp_path / "home"),
            XDG_RUNTIME_DIR=str(runtime),
            PYTHONPATH=str(ROOT),
        )
        result = subprocess.run(
            [sys.executable, "-c", CHILD, str(data), str(SCREENSHOTS)],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, result.stderr[-4000:]
    assert result.stdout.split() == ["EARLY", "60", "ADOPTED", "60"]
    early = Image.open(SCREENSHOTS / "history-early-page-xcb.png").convert("RGB")
    adopted = Image.open(SCREENSHOTS / "history-early-page-adopted-xcb.png").convert("RGB")
    assert early.size == adopted.size
    for shot in (early, adopted):  # text, badges and tiles: not a blank window
        assert ImageStat.Stat(shot.convert("L")).stddev[0] > 10
    # The same rows in the same places; only the tiles changed (loading -> "Not downloaded").
    changed = ImageChops.difference(early, adopted).getbbox()
    assert changed is not None, "the loader's answers are drawn"
    # The side bar and each row's text column (left of the first tile, at x=412).
    left = (0, 0, 400, early.height)
    assert ImageChops.difference(early.crop(left), adopted.crop(left)).getbbox() is None
