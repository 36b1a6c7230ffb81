"""The installed ``studio-desktop`` in a real X window: Qt's ``xcb`` platform under Xvfb.

The rest of the suite renders offscreen, which needs none of the libraries a desktop session
needs; this test starts the console script ``pip install`` made, as a user's launcher does, on
a fresh data dir, and checks that its main window is mapped and painted (a grab of the X
server's own pixels, saved to ``tests/screenshots/x11/``), then closes it as a window manager's
close button does and checks that it exits cleanly.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageGrab, ImageStat

from tests.desktop.x11 import (
    Window,
    close_window,
    top_level_windows,
    wait_for_app,
    xvfb,
)

pytestmark = pytest.mark.desktop

APP = "studio-desktop"
TITLE = "Studio Desktop"
#: Two cores shared with other work: a cold start with imports can take a while.
EXIT_TIMEOUT_S = 60
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots" / "x11"


def _installed_app() -> Path:
    script = Path(sys.executable).parent / APP
    assert script.is_file(), f"{script} is missing: install the app with pip install -e ."
    return script


def _env(display: str, home: Path) -> dict[str, str]:
    """A desktop session's environment: an X display, the xcb platform, its own home and
    runtime dir, and nothing from the test run that would steer the app."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STUDIO_DESKTOP_", "PYTEST", "QT_", "XDG_", "WAYLAND_"))
    }
    runtime = home / "runtime"
    runtime.mkdir(parents=True, mode=0o700)
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", HOME=str(home), XDG_RUNTIME_DIR=str(runtime))
    return env


def test_the_installed_app_opens_a_painted_x11_window_and_closes_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "fresh data"
    log_file = data / "logs" / "studio-desktop.log"
    stderr_path = tmp_path / "stderr.txt"
    with xvfb() as display, stderr_path.open("wb") as stderr:
        app = subprocess.Popen(
            [str(_installed_app()), "--data-dir", str(data)],
            cwd=tmp_path,
            env=_env(display, tmp_path / "home"),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:

            def open_window() -> Window | None:
                # The title names the workspace once it is open: the whole window is built.
                for window in top_level_windows(display):
                    if window.title.endswith(f"— {TITLE}") and window.viewable:
                        return window
                return None

            window = wait_for_app("a mapped main window with its workspace open", open_window, app)

            def logged(what: str) -> Callable[[], bool | None]:
                def probe() -> bool | None:
                    text = log_file.read_text(encoding="utf-8") if log_file.is_file() else ""
                    return True if what in text else None

                return probe

            wait_for_app("the log line of the first paint", logged("shown and painted"), app)
            wait_for_app("the workspace", logged("the workspace is open"), app)
            assert window.width >= 640 and window.height >= 400, window

            # What the X server shows in the window's rectangle: the app's own pixels, once
            # two grabs in a row are the same (the open workspace has been drawn).
            def grab() -> Image.Image:
                return ImageGrab.grab(
                    bbox=(window.x, window.y, window.x + window.width, window.y + window.height),
                    xdisplay=display,
                ).convert("RGB")

            grabs: list[Image.Image] = []

            def settled() -> Image.Image | None:
                grabs.append(grab())
                if len(grabs) > 1 and ImageChops.difference(*grabs[-2:]).getbbox() is None:
                    return grabs[-1]
                return None

            shot = wait_for_app("a settled window", settled, app)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shot.save(SCREENSHOTS / "main-window-xcb.png")
            assert shot.size == (window.width, window.height)
            colours = shot.getcolors(maxcolors=1 << 16)
            # Text, icons and panels: hundreds of colours, not a blank or a single fill.
            assert colours is None or len(colours) > 64, f"{len(colours)} colours only"
            spread = ImageStat.Stat(shot.convert("L")).stddev[0]
            assert spread > 10, f"the window is nearly uniform (grey-level std dev {spread:.1f})"

            close_window(display, window.id)
            returncode = app.wait(timeout=EXIT_TIMEOUT_S)
        finally:
            if app.poll() is None:
                app.kill()
                app.wait()

    errors = stderr_path.read_text(encoding="utf-8", errors="replace")
    assert returncode == 0, f"exit status {returncode}:\n{errors[-4000:]}"
    # stderr gets warnings and errors only: a clean start and close print nothing there.
    assert [line for line in errors.splitlines() if line.strip()] == []
    lines = log_file.read_text(encoding="utf-8").splitlines()
    assert any("starting with data in" in line and "Qt platform xcb" in line for line in lines)
    assert lines[-1].endswith("Studio Desktop exited cleanly"), lines[-5:]
    assert not [line for line in lines if " ERROR " in line or " CRITICAL " in line]
    settings = list((data / "qt").rglob("*.ini"))
    assert settings and "geometry=" in settings[0].read_text(encoding="utf-8")
