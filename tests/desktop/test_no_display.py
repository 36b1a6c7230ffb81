"""Started where there is no display server (an SSH shell, a service), the app says so in one
line and exits 2, instead of Qt's abort that names a library (libxcb-cursor0) already there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.desktop


def _run(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STUDIO_DESKTOP_", "PYTEST", "QT_", "WAYLAND_", "DISPLAY"))
    }
    env.update(HOME=str(tmp_path / "home"), **extra)
    return subprocess.run(
        [str(Path(sys.executable).parent / "studio-desktop"), "--data-dir", str(tmp_path / "d")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_no_display_is_named_as_such(tmp_path: Path) -> None:
    result = _run(tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        "Studio Desktop needs a desktop session: neither DISPLAY (X11) nor WAYLAND_DISPLAY "
        "(Wayland) is set. Start it from your desktop, or set QT_QPA_PLATFORM "
        "(e.g. QT_QPA_PLATFORM=offscreen for no window at all)."
    ]
    assert not (tmp_path / "d").exists()  # nothing was made for a start that cannot happen


def test_a_display_that_cannot_be_reached_is_qts_to_report(tmp_path: Path) -> None:
    """DISPLAY set but nothing listening: Qt's own message and a non-zero exit, no hang."""
    result = _run(tmp_path, DISPLAY=":4093", QT_QPA_PLATFORM="xcb")
    assert result.returncode != 0
    assert "could not connect to display" in result.stderr
