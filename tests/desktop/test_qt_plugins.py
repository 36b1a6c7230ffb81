"""The Qt platform plug-ins the installed app ships can all load: ``ldd`` finds every library.

The bundle's copies are checked in ``tests/bundle/test_bundle.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.desktop.qt_plugins import describe, platform_plugins, unloadable

pytestmark = pytest.mark.desktop


def test_every_qt_platform_plugin_finds_all_its_libraries() -> None:
    import PySide6

    plugins_root = Path(PySide6.__file__).parent / "Qt" / "plugins"
    names = {p.name for p in platform_plugins(plugins_root)}
    # The platforms a desktop session uses, and the shell a Wayland compositor speaks.
    assert {"libqxcb.so", "libqwayland.so", "libxdg-shell.so"} <= names, sorted(names)
    missing = unloadable(plugins_root)
    assert missing == {}, (
        "Qt platform plug-ins that cannot load (bash scripts/bootstrap.sh installs the Debian "
        "packages):\n" + describe(missing)
    )
