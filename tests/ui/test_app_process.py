"""``python -m studio_desktop`` starts offscreen on a fresh data dir, paints its main window and
exits cleanly; the data dir gets its log and its own Qt settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.gui


def _run(
    tmp_path: Path, *args: str, env_data_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
        "XDG_RUNTIME_DIR": str(tmp_path / "runtime"),
        "PYTHONPATH": str(ROOT),
        "QT_QPA_PLATFORM": "offscreen",
    }
    if env_data_dir is not None:
        env["STUDIO_DESKTOP_DATA_DIR"] = str(env_data_dir)
    (tmp_path / "runtime").mkdir(mode=0o700, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "studio_desktop", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_app_starts_shows_its_window_and_exits_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "fresh data"
    result = _run(tmp_path, "--data-dir", str(data), "--quit-after-ms", "200")
    assert result.returncode == 0, result.stderr
    log = (data / "logs" / "studio-desktop.log").read_text(encoding="utf-8")
    assert "main window shown and painted" in log
    assert "area history" in log
    assert "exited cleanly" in log
    assert "Traceback" not in log + result.stderr
    assert "WARNING" not in log, log
    assert result.stderr == ""
    # Preferences live under the data root, not in the user's ~/.config.
    assert (data / "qt" / "Studio" / "Studio Desktop.ini").is_file()
    assert not (tmp_path / "config" / "Studio").exists()


def test_the_data_dir_can_come_from_the_environment(tmp_path: Path) -> None:
    data = tmp_path / "from-env"
    result = _run(tmp_path, "--quit-after-ms", "0", env_data_dir=data)
    assert result.returncode == 0, result.stderr
    assert "main window shown" in (data / "logs" / "studio-desktop.log").read_text()


def test_verbose_logs_debug_details(tmp_path: Path) -> None:
    data = tmp_path / "verbose"
    result = _run(tmp_path, "--data-dir", str(data), "--verbose", "--quit-after-ms", "0")
    assert result.returncode == 0, result.stderr
    log = (data / "logs" / "studio-desktop.log").read_text()
    assert " DEBUG " in log


def test_sigterm_closes_the_window_cleanly_and_saves_its_state(tmp_path: Path) -> None:
    import signal
    import time

    data = tmp_path / "term"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PYTHONPATH": str(ROOT),
        "QT_QPA_PLATFORM": "offscreen",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "studio_desktop", "--data-dir", str(data)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    log = data / "logs" / "studio-desktop.log"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if log.is_file() and "main window shown" in log.read_text():
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "exited cleanly" in log.read_text()
    assert "geometry" in (data / "qt" / "Studio" / "Studio Desktop.ini").read_text()
