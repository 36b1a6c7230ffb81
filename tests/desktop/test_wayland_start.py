"""The installed ``studio-desktop`` on a real Wayland compositor (Weston, headless backend).

On a Wayland session Qt picks its ``wayland`` platform by itself (``WAYLAND_DISPLAY`` and
``XDG_SESSION_TYPE=wayland``, no ``QT_QPA_PLATFORM``), which needs the libwayland libraries
``bash scripts/bootstrap.sh run`` installs; without them Qt falls back to ``xcb`` through
XWayland. This test starts the console script as a Wayland session would, checks from the log
that Qt chose ``wayland`` and the window painted, finds the window in Weston's own screenshot
(``tests/screenshots/wayland/``), and ends the app with SIGTERM, as a session logging out does.
"""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from tests.desktop.wayland import BACKGROUND, Compositor, start_app, weston

pytestmark = pytest.mark.desktop

START_TIMEOUT_S = 120
EXIT_TIMEOUT_S = 60
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots" / "wayland"
PAINTED = re.compile(r"main window shown and painted .* \((\d+)x(\d+),")


def _desktop(compositor: Compositor, folder: Path) -> Image.Image:
    """Weston's output once its shell has drawn the desktop: the background colour all over."""
    background = tuple(bytes.fromhex(BACKGROUND))
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        shot = compositor.screenshot(folder)
        if shot.getcolors(maxcolors=4) == [(shot.width * shot.height, background)]:
            return shot
        assert time.monotonic() < deadline, "Weston's desktop shell never drew its background"
        time.sleep(0.2)


def _settled(compositor: Compositor, folder: Path) -> Image.Image:
    """A screenshot equal to the one before it (the app has drawn what it had to draw)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    previous = compositor.screenshot(folder)
    while True:
        time.sleep(0.3)
        shot = compositor.screenshot(folder)
        if ImageChops.difference(previous, shot).getbbox() is None:
            return shot
        assert time.monotonic() < deadline, "the screen never stopped changing"
        previous = shot


def test_the_installed_app_runs_on_wayland_natively(tmp_path: Path) -> None:
    data = tmp_path / "fresh data"
    log_file = data / "logs" / "studio-desktop.log"
    stderr_path = tmp_path / "stderr.txt"
    with (
        weston(tmp_path / "runtime", tmp_path / "weston.log") as compositor,
        stderr_path.open("wb") as stderr,
    ):
        desktop = _desktop(compositor, tmp_path / "shots")
        app = start_app(compositor, data, tmp_path, stderr)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            text = ""
            while "the workspace is open" not in text:
                text = log_file.read_text(encoding="utf-8") if log_file.is_file() else ""
                if app.poll() is not None:
                    pytest.fail(f"the app exited with {app.returncode}:\n{stderr_path.read_text()}")
                assert time.monotonic() < deadline, f"the workspace never opened:\n{text}"
                time.sleep(0.2)
            painted = PAINTED.search(text)
            assert painted, text
            width, height = int(painted.group(1)), int(painted.group(2))

            # The window is what changed on Weston's screen since the app started.
            shot = _settled(compositor, tmp_path / "shots")
            box = ImageChops.difference(desktop, shot).convert("L").point(lambda v: v > 8).getbbox()
            assert box is not None, "nothing appeared on the Wayland output"
            window = shot.crop(box)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            window.save(SCREENSHOTS / "main-window-wayland.png")
            assert window.width >= width and window.height >= height, (box, width, height)
            colours = window.getcolors(maxcolors=1 << 16)
            assert colours is None or len(colours) > 64, f"{len(colours)} colours only"
            assert ImageStat.Stat(window.convert("L")).stddev[0] > 10

            app.send_signal(signal.SIGTERM)  # a session logging out
            returncode = app.wait(timeout=EXIT_TIMEOUT_S)
        finally:
            if app.poll() is None:
                app.kill()
                app.wait()

    errors = stderr_path.read_text(encoding="utf-8", errors="replace")
    assert returncode == 0, f"exit status {returncode}:\n{errors[-4000:]}"
    assert [line for line in errors.splitlines() if line.strip()] == []
    lines = log_file.read_text(encoding="utf-8").splitlines()
    assert any("starting with data in" in line and "Qt platform wayland" in line for line in lines)
    assert lines[-1].endswith("Studio Desktop exited cleanly"), lines[-5:]
    assert not [line for line in lines if " ERROR " in line or " CRITICAL " in line]
