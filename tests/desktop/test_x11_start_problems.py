"""The start's two refusals in a real X window (Qt's ``xcb`` platform under Xvfb), with the
installed ``studio-desktop`` as a launcher starts it:

- on a data folder on a read-only drive (a real read-only bind mount, in a mount namespace of
  the app's own) its message box is mapped, says which folder and what to do, and closing it
  as a window manager's close button does ends the app with status 3;
- a second launch on the folder of a running copy, whose window another program's window
  covers, brings that window back on top and exits 0; the first keeps running.

What the X server shows is saved to ``tests/screenshots/x11/``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest
from PIL import Image, ImageGrab

from tests.desktop.x11 import (
    START_TIMEOUT_S,
    Window,
    close_window,
    covering_window,
    top_level_windows,
    wait_for_app,
    xvfb,
)

pytestmark = pytest.mark.desktop

TITLE = "Studio Desktop"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots" / "x11"


def _app() -> Path:
    script = Path(sys.executable).parent / "studio-desktop"
    assert script.is_file(), f"{script} is missing: install the app with pip install -e ."
    return script


def _env(display: str, home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STUDIO_DESKTOP_", "PYTEST", "QT_", "XDG_", "WAYLAND_"))
    }
    runtime = home / "runtime"
    runtime.mkdir(parents=True, mode=0o700, exist_ok=True)
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", HOME=str(home), XDG_RUNTIME_DIR=str(runtime))
    return env


def _grab(display: str, window: Window | None = None) -> Image.Image:
    box = (
        None
        if window is None
        else (window.x, window.y, window.x + window.width, window.y + window.height)
    )
    return ImageGrab.grab(bbox=box, xdisplay=display).convert("RGB")


def _stacking(display: str) -> list[str]:
    """The viewable top-level windows' titles, topmost first (``xwininfo -children`` lists
    the stacking order from the top)."""
    return [w.title for w in top_level_windows(display) if w.viewable and w.title]


def _start_on_read_only(
    data: Path, display: str, tmp_path: Path, stderr: IO[bytes]
) -> subprocess.Popen[bytes]:
    """The installed app on ``data``, made read-only by a bind mount in a mount namespace of
    the app's own (gone with it)."""
    unshare = shutil.which("unshare")
    assert unshare is not None, "unshare (util-linux) is needed for the read-only mount"
    q = shlex.quote(str(data))
    flags = ["--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        flags = ["--map-root-user", *flags]
    argv = [str(_app()), "--data-dir", str(data)]
    return subprocess.Popen(
        [unshare, *flags, "sh", "-c", f'mount --bind -o ro {q} {q} && exec "$@"', "sh", *argv],
        cwd=tmp_path,
        env=_env(display, tmp_path / "home"),
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )


@pytest.mark.timeout(300)
def test_a_read_only_folder_shows_its_message_box_and_exits_3(tmp_path: Path) -> None:
    data = tmp_path / "read only data"
    data.mkdir()
    stderr_path = tmp_path / "stderr.txt"
    with xvfb() as display, stderr_path.open("wb") as stderr:
        app = _start_on_read_only(data, display, tmp_path, stderr)
        try:

            def mapped_box() -> Window | None:
                for window in top_level_windows(display):
                    if window.title == TITLE and window.viewable:
                        return window
                return None

            box = wait_for_app("the message box", mapped_box, app)
            time.sleep(0.5)  # (its first paint)
            shot = _grab(display, box)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shot.save(SCREENSHOTS / "start-problem-read-only.png")
            colours = shot.getcolors(maxcolors=1 << 16)
            assert colours is None or len(colours) > 16, "the box is blank"
            assert 250 <= box.width <= 1024 and box.height >= 100, box
            close_window(display, box.id)
            code = app.wait(timeout=60)
        finally:
            if app.poll() is None:
                app.kill()
                app.wait()
    errors = stderr_path.read_text(encoding="utf-8", errors="replace")
    assert code == 3, errors
    assert errors.splitlines()[0] == (
        f"Studio Desktop cannot save in the folder {data}: its drive is read-only."
    )
    assert "Traceback" not in errors
    assert list(data.iterdir()) == []


@pytest.mark.timeout(300)
def test_a_second_launch_brings_the_covered_window_back_on_top(tmp_path: Path) -> None:
    data = tmp_path / "data"
    log_file = data / "logs" / "studio-desktop.log"
    with xvfb() as display:
        env = _env(display, tmp_path / "home")
        first = subprocess.Popen(
            [str(_app()), "--data-dir", str(data)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:

            def open_window() -> Window | None:
                for window in top_level_windows(display):
                    if window.title.endswith(f"— {TITLE}") and window.viewable:
                        return window
                return None

            window = wait_for_app("the main window with its workspace", open_window, first)

            def opened() -> bool | None:
                text = log_file.read_text(encoding="utf-8") if log_file.is_file() else ""
                return True if "the workspace is open" in text else None

            wait_for_app("the workspace", opened, first)
            with covering_window(display, "another program"):
                order = _stacking(display)
                assert order.index("another program") < order.index(window.title), order
                covered = _grab(display)
                second = subprocess.run(
                    [str(_app()), "--data-dir", str(data)],
                    cwd=tmp_path,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=START_TIMEOUT_S,
                    check=False,
                )
                assert second.returncode == 0, second.stderr
                assert "its window was brought to the front" in second.stderr

                def on_top() -> list[str] | None:
                    now = _stacking(display)
                    above = now.index(window.title) < now.index("another program")
                    return now if above else None

                wait_for_app("the app's window above the other one", on_top, first)
                time.sleep(0.5)
                shown = _grab(display)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            covered.save(SCREENSHOTS / "second-launch-before.png")
            shown.save(SCREENSHOTS / "second-launch-after.png")
            # Before: the other program's flat green fills the app's rectangle; after: the app.
            area = (window.x, window.y, window.x + window.width, window.y + window.height)
            before_colours = covered.crop(area).getcolors(maxcolors=1 << 16)
            after_colours = shown.crop(area).getcolors(maxcolors=1 << 16)
            assert before_colours is not None and len(before_colours) == 1, before_colours
            assert after_colours is None or len(after_colours) > 64
            assert first.poll() is None  # the first keeps running
            close_window(display, window.id)
            assert first.wait(timeout=60) == 0
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
    log = log_file.read_text(encoding="utf-8")
    assert log.count("starting with data in") == 1
    assert "this window comes to the front" in log
    assert log.rstrip().endswith("Studio Desktop exited cleanly")


def _xdotool(display: str, *args: str) -> None:
    xdotool = shutil.which("xdotool")
    assert xdotool is not None, "xdotool is needed to type into the real window"
    subprocess.run([xdotool, *args], env={**os.environ, "DISPLAY": display}, check=True)
    time.sleep(0.3)


@pytest.mark.timeout(300)
def test_a_read_only_folder_then_another_chosen_with_the_keyboard(tmp_path: Path) -> None:
    """The box's "Choose another folder…" by its Alt+C, the path typed into the real folder
    dialog and Return: the app starts on that folder; the read-only one is left as it was."""
    data = tmp_path / "read only data"
    data.mkdir()
    good = tmp_path / "Studio elsewhere"
    good.mkdir()
    stderr_path = tmp_path / "stderr.txt"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with xvfb() as display, stderr_path.open("wb") as stderr:
        app = _start_on_read_only(data, display, tmp_path, stderr)
        try:

            def mapped(title: str) -> Callable[[], Window | None]:
                def find() -> Window | None:
                    for window in top_level_windows(display):
                        if window.viewable and window.title == title:
                            return window
                    return None

                return find

            box = wait_for_app("the message box", mapped(TITLE), app)
            time.sleep(0.5)  # (its first paint)
            _grab(display, box).save(SCREENSHOTS / "start-problem-choose-folder.png")
            _xdotool(display, "windowfocus", "--sync", str(box.id))
            _xdotool(display, "key", "alt+c")
            dialog = wait_for_app(
                "the folder dialog", mapped("Choose a folder for Studio Desktop's data"), app
            )
            time.sleep(0.5)
            _xdotool(display, "windowfocus", "--sync", str(dialog.id))
            _xdotool(display, "type", "--delay", "20", str(good))
            _grab(display, dialog).save(SCREENSHOTS / "start-problem-folder-dialog.png")
            _xdotool(display, "key", "Return")
            if mapped(dialog.title)() is not None:  # (the first Return took a completion)
                _xdotool(display, "key", "Return")

            def main_window() -> Window | None:
                for window in top_level_windows(display):
                    if window.viewable and window.title.endswith(f"— {TITLE}"):
                        return window
                return None

            window = wait_for_app("the main window on the chosen folder", main_window, app)
            log_file = good / "logs" / "studio-desktop.log"

            def opened() -> bool | None:
                text = log_file.read_text(encoding="utf-8") if log_file.is_file() else ""
                return True if "the workspace is open" in text else None

            wait_for_app("the workspace", opened, app)
            time.sleep(0.5)
            _grab(display, window).save(SCREENSHOTS / "start-problem-chosen-folder-window.png")
            close_window(display, window.id)
            code = app.wait(timeout=60)
        finally:
            if app.poll() is None:
                app.kill()
                app.wait()
    errors = stderr_path.read_text(encoding="utf-8", errors="replace")
    assert code == 0, errors
    assert "Traceback" not in errors
    assert errors.splitlines()[0] == (
        f"Studio Desktop cannot save in the folder {data}: its drive is read-only."
    )
    assert f"Studio Desktop starts on the folder {good}, chosen in the message box" in errors
    assert (good / "workspaces" / "local" / "store.sqlite3").is_file()
    assert list(data.iterdir()) == []
