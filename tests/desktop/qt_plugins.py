"""Which Qt platform plug-ins cannot load on this machine, by ``ldd``.

Qt loads a platform plug-in (``xcb`` on X11, ``wayland`` on a Wayland session) with ``dlopen``;
when one of its shared libraries is missing, Qt only says "could not load the Qt platform
plugin" and aborts, or falls back to another platform. ``ldd`` names the missing library.
``scripts/bootstrap.sh`` checks the same directories after installing.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

#: The plug-ins a platform loads: the platforms themselves, xcb's GL integrations, and the
#: Wayland shells, window decorations and buffer integrations.
PLATFORM_PLUGIN_DIRS = (
    "platforms",
    "xcbglintegrations",
    "wayland-shell-integration",
    "wayland-decoration-client",
    "wayland-graphics-integration-client",
)


def platform_plugins(plugins_root: Path) -> list[Path]:
    """Every platform-related plug-in library under a Qt ``plugins`` folder."""
    return sorted(p for d in PLATFORM_PLUGIN_DIRS for p in (plugins_root / d).glob("*.so"))


def missing_libraries(plugin: Path) -> list[str]:
    """The shared libraries ``ldd`` reports as "not found" for ``plugin``."""
    ldd = shutil.which("ldd")
    assert ldd, "ldd not found (it is in Debian's libc-bin)"
    result = subprocess.run(
        [ldd, str(plugin)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, f"ldd {plugin}: {result.stderr.strip()}"
    return sorted({line.split()[0] for line in result.stdout.splitlines() if "not found" in line})


def unloadable(plugins_root: Path) -> dict[str, list[str]]:
    """``{"platforms/libqxcb.so": ["libxcb-cursor.so.0"], ...}`` for each plug-in that lacks a
    library; empty when every one can load."""
    return {
        plugin.relative_to(plugins_root).as_posix(): missing
        for plugin in platform_plugins(plugins_root)
        if (missing := missing_libraries(plugin))
    }


def describe(missing: dict[str, list[str]]) -> str:
    return "\n".join(f"  {plugin}: {', '.join(libs)} not found" for plugin, libs in missing.items())
