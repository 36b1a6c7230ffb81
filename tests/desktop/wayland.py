"""A real Wayland compositor for tests: Weston with its headless backend, and its screenshots."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest
from PIL import Image

START_TIMEOUT_S = 30
#: The desktop's background colour (RRGGBB) in the compositor the tests start.
BACKGROUND = "204060"


@dataclass(frozen=True)
class Compositor:
    socket: str
    runtime_dir: Path

    def env(self) -> dict[str, str]:
        """What a Wayland session gives its programs to find the compositor."""
        return {
            "WAYLAND_DISPLAY": self.socket,
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "XDG_SESSION_TYPE": "wayland",
        }

    def screenshot(self, folder: Path) -> Image.Image:
        """The whole output as Weston composes it (``weston-screenshooter``)."""
        folder.mkdir(parents=True, exist_ok=True)
        before = set(folder.glob("wayland-screenshot-*.png"))
        shooter = shutil.which("weston-screenshooter")
        assert shooter, "weston-screenshooter not found (it is in Debian's weston package)"
        subprocess.run(
            [shooter], cwd=folder, env={**os.environ, **self.env()}, check=True, timeout=30
        )
        (made,) = set(folder.glob("wayland-screenshot-*.png")) - before
        with Image.open(made) as image:
            shot = image.convert("RGB")
        made.unlink()
        return shot


def start_app(
    compositor: Compositor, data: Path, cwd: Path, stderr: IO[bytes]
) -> subprocess.Popen[bytes]:
    """The installed ``studio-desktop`` on ``data``, started as a Wayland session starts a
    program: the compositor's variables, none of the test's own (no ``QT_QPA_PLATFORM``:
    Qt picks its ``wayland`` platform by itself), its own home in ``cwd``."""
    script = Path(sys.executable).parent / "studio-desktop"
    assert script.is_file(), f"{script} is missing: install the app with pip install -e ."
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STUDIO_DESKTOP_", "PYTEST", "QT_", "XDG_", "WAYLAND_", "DISPLAY"))
    }
    env.update(compositor.env(), HOME=str(cwd / "home"))
    return subprocess.Popen(
        [str(script), "--data-dir", str(data)],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )


@contextmanager
def weston(runtime_dir: Path, log: Path, *, x11_display: str | None = None) -> Iterator[Compositor]:
    """Start Weston headless (pixman renderer, so screenshots hold real pixels; ``--debug``
    lets ``weston-screenshooter`` take them). Fails, never skips, when Weston is missing:
    ``bash scripts/bootstrap.sh test`` installs it.

    With ``x11_display`` (an X server such as :func:`tests.desktop.x11.xvfb`'s) Weston runs
    in a window of that X server instead (its ``x11`` backend): the headless backend has no
    keyboard or pointer, while this one takes the X server's, so a key sent there with
    ``xdotool`` reaches the Wayland client Weston has focused, as a real key press does."""
    binary = shutil.which("weston")
    if binary is None:
        pytest.fail(
            "weston not found: apt-get install weston (bash scripts/bootstrap.sh test does)"
        )
    runtime_dir.mkdir(parents=True, mode=0o700, exist_ok=True)
    socket = "wayland-studio-test"
    config = runtime_dir / "weston.ini"
    # A desktop shell without its panel (a clock that changes), over one flat colour: what
    # changes on the screen after that is the app's.
    config.write_text(f"[shell]\npanel-position=none\nbackground-color=0xff{BACKGROUND}\n")
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime_dir)}
    env.pop("WAYLAND_DISPLAY", None)
    env.pop("DISPLAY", None)
    if x11_display is not None:
        env["DISPLAY"] = x11_display
    backend = "headless-backend.so" if x11_display is None else "x11-backend.so"
    server = subprocess.Popen(
        [
            binary,
            f"--backend={backend}",
            "--use-pixman",
            "--debug",
            f"--socket={socket}",
            "--width=1280",
            "--height=800",
            "--idle-time=0",
            f"--config={config}",
            f"--log={log}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not (runtime_dir / socket).exists():
            if server.poll() is not None or time.monotonic() > deadline:
                text = log.read_text(errors="replace") if log.exists() else ""
                pytest.fail(f"weston did not start (exit {server.poll()}):\n{text[-3000:]}")
            time.sleep(0.1)
        yield Compositor(socket, runtime_dir)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
