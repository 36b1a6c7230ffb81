"""Run a test module again in a child process on a 4K screen at 200 % (``QT_SCALE_FACTOR=2``
over Qt's offscreen platform given a 3840 x 2160 screen: 1920 x 1080 logical pixels)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def assert_module_passes_at_200_percent(module_file: str, tmp_path: Path) -> None:
    """Every test of ``module_file`` except those named ``*200_percent*`` passes at 200 %;
    none may be skipped there."""
    config = tmp_path / "screen.json"
    screen = {"name": "4k", "x": 0, "y": 0, "width": 3840, "height": 2160}
    screen |= {"logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}
    config.write_text(json.dumps({"screens": [screen]}))
    env = dict(os.environ, QT_SCALE_FACTOR="2", QT_QPA_PLATFORM=f"offscreen:configfile={config}")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            module_file,
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "-k",
            "not 200_percent",
            f"--basetemp={tmp_path / 'run'}",
        ],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    tail = (result.stdout + result.stderr)[-4000:]
    assert result.returncode == 0, tail
    assert " passed" in result.stdout and "skipped" not in result.stdout, tail
