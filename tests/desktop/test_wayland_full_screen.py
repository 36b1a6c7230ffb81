"""View ▸ Full screen (F11) on a real compositor that honours it: Weston with its desktop shell
(Xvfb alone has no window manager, so full screen could only be checked offscreen before).

Weston runs in an Xvfb window (its ``x11`` backend: the headless one has no keyboard), the
installed ``studio-desktop`` on it as a Wayland client (Qt's ``wayland`` platform), and F11 is a
real key press (``xdotool`` into the X server, Weston hands it to the focused window). In
Weston's own screenshots: after F11 the app covers the whole 1280×800 output, no pixel of the
desktop left; after F11 again the window has the size it had, with the desktop around it.

It found that Qt binds its standard full-screen key to nothing on GNOME, other desktops and
Wayland (only Windows and KDE get F11): ``main_window.full_screen_keys``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from tests.desktop.test_wayland_start import _settled
from tests.desktop.wayland import BACKGROUND, Compositor, start_app, weston
from tests.desktop.x11 import START_TIMEOUT_S, top_level_windows, wait_for_app, xvfb

pytestmark = pytest.mark.desktop

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots" / "wayland"
OUTPUT = (1280, 800)


def _desktop_pixels(shot: Image.Image) -> int:
    background = tuple(bytes.fromhex(BACKGROUND))
    colours = shot.getcolors(maxcolors=1 << 21) or []
    return sum(n for n, colour in colours if colour == background)


def _desktop(compositor: Compositor, folder: Path) -> Image.Image:
    """Weston's output once its shell has drawn the desktop: the background colour all over
    but for the pointer (in this backend it is drawn in the output)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        shot = compositor.screenshot(folder)
        if _desktop_pixels(shot) >= 0.99 * shot.width * shot.height:
            return shot
        assert time.monotonic() < deadline, "Weston's desktop shell never drew its background"
        time.sleep(0.2)


def _window_size(desktop: Image.Image, shot: Image.Image) -> tuple[int, int]:
    box = ImageChops.difference(desktop, shot).convert("L").point(lambda v: v > 8).getbbox()
    assert box is not None, "nothing of the app on the output"
    return box[2] - box[0], box[3] - box[1]


def _press(display: str, key: str) -> None:
    """A real key press on the X server Weston runs in, with Weston's window focused."""
    (weston_window,) = [w for w in top_level_windows(display) if w.title.startswith("Weston")]
    env = {**os.environ, "DISPLAY": display}
    subprocess.run(["xdotool", "windowfocus", "--sync", str(weston_window.id)], env=env, check=True)
    subprocess.run(["xdotool", "key", key], env=env, check=True)


def _until(compositor: Compositor, folder: Path, wanted, app: subprocess.Popen) -> Image.Image:
    """Weston's settled screenshot once ``wanted(shot)`` holds."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        shot = _settled(compositor, folder)
        if wanted(shot):
            return shot
        assert app.poll() is None, f"the app exited with {app.returncode}"
        assert time.monotonic() < deadline, "the output never showed it"
        time.sleep(0.3)


@pytest.mark.timeout(400)
def test_f11_fills_the_output_and_f11_again_restores_the_window(tmp_path: Path) -> None:
    data = tmp_path / "data"
    log_file = data / "logs" / "studio-desktop.log"
    stderr_path = tmp_path / "stderr.txt"
    shots = tmp_path / "shots"
    with (
        xvfb() as display,
        weston(tmp_path / "runtime", tmp_path / "weston.log", x11_display=display) as compositor,
        stderr_path.open("wb") as stderr,
    ):
        desktop = _desktop(compositor, shots)
        assert desktop.size == OUTPUT
        app = start_app(compositor, data, tmp_path, stderr)
        try:

            def opened() -> bool | None:
                text = log_file.read_text(encoding="utf-8") if log_file.is_file() else ""
                return True if "the workspace is open" in text else None

            wait_for_app("the workspace", opened, app)
            normal = _settled(compositor, shots)
            size = _window_size(desktop, normal)
            assert size < OUTPUT and _desktop_pixels(normal) > 0

            _press(display, "F11")
            full = _until(compositor, shots, lambda s: _desktop_pixels(s) == 0, app)

            _press(display, "F11")
            restored = _until(compositor, shots, lambda s: _desktop_pixels(s) > 0, app)
            assert _window_size(desktop, restored) == size

            app.send_signal(signal.SIGTERM)
            code = app.wait(timeout=60)
        finally:
            if app.poll() is None:
                app.kill()
                app.wait()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, shot in (("normal", normal), ("full", full), ("restored", restored)):
        shot.save(SCREENSHOTS / f"full-screen-{name}.png")
    errors = stderr_path.read_text(encoding="utf-8", errors="replace")
    assert code == 0, errors[-3000:]
    log = log_file.read_text(encoding="utf-8")
    assert "Qt platform wayland" in log
    assert log.rstrip().endswith("Studio Desktop exited cleanly")
