"""Dialog buttons are words, without Qt's old standard icons, on a real X11 display.

Under plain xcb the platform theme asks Qt for icons on dialog buttons (Save with a floppy
disk, Cancel with a red sign), the only icons of that kind in the app; offscreen it does not,
so this runs the app's QApplication and dialogs in a child process on Xvfb. The stylesheet
answers ``SH_DialogButtonBox_ButtonsHaveIcons`` with 0 for every button box."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.desktop.x11 import xvfb

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "screenshots"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_dialog_buttons_have_no_standard_icons_under_xcb(scheme: str) -> None:
    folder = SHOTS / scheme
    folder.mkdir(parents=True, exist_ok=True)
    with xvfb() as display:
        env = {k: v for k, v in os.environ.items() if not k.startswith("QT_QPA")}
        env |= {"DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
        result = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).with_name("dialog_buttons_probe.py")),
                str(folder),
                scheme,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
            check=False,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["platform"] == "xcb"
    # The platform would put icons on them (so this test can fail) ...
    assert found["fusion_alone"] == 1
    # ... the app's style says no, and no dialog button has one.
    assert found["app_style"] == 0
    buttons = found["buttons"]
    assert {"profile: Create profile", "profile: Cancel", "about: Close"} <= set(buttons), buttons
    assert any(name.startswith("message: ") for name in buttons)
    assert [name for name, has_icon in buttons.items() if has_icon] == []
