"""What the by-hand real-window scripts share (``canvas_real_window_check.py``,
``tryon_queue_real_window.py``): waiting for a condition while the asyncio loop runs, real key
and mouse events through the X server with ``xdotool`` (not Qt's synthetic ones), and
screenshots of the whole X screen (ImageMagick's ``import``)."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from pathlib import Path


async def until(check: Callable[[], object], seconds: float = 30.0) -> bool:
    """True once ``check()`` is true (asked every 20 ms), False after ``seconds``."""
    for _ in range(int(seconds / 0.02)):
        if check():
            return True
        await asyncio.sleep(0.02)
    return False


async def xdo(*args: str, settle: float = 0.2) -> None:
    """Run ``xdotool ARGS``, then give the app ``settle`` seconds to take the events."""
    process = await asyncio.create_subprocess_exec("xdotool", *args)
    await process.wait()
    await asyncio.sleep(settle)


def screenshot(out: Path, name: str) -> None:
    """The X screen as ``out/name`` (a failed grab is left out: the report says the rest)."""
    subprocess.run(["import", "-window", "root", str(out / name)], check=False)
