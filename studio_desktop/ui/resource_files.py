"""Where the UI's files (icons, the app icon, the stylesheet) are, from any way the app is run.

The canonical files live in the repository's top-level ``resources/``. The package reaches them
through ``studio_desktop/ui/resources``, a symlink to ``../../resources`` that setuptools follows
when it builds a wheel (``[tool.setuptools.package-data]`` ships ``resources/**``), so the same
relative path works from the source tree and from an installed wheel. A PyInstaller bundle puts the
folder at ``<bundle>/studio_desktop/ui/resources`` (or ``<bundle>/resources``), found through
``sys._MEIPASS``.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from studio_desktop.domain.errors import BugError

_PACKAGE_RESOURCES = Path(__file__).resolve().parent / "resources"
_REPO_RESOURCES = Path(__file__).resolve().parents[2] / "resources"


@cache
def resources_root() -> Path:
    """The folder holding ``icons/``, ``theme/`` and ``app-icon.svg``."""
    candidates = [_PACKAGE_RESOURCES, _REPO_RESOURCES]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates[:0] = [
            Path(bundle) / "studio_desktop" / "ui" / "resources",
            Path(bundle) / "resources",
        ]
    for candidate in candidates:
        if (candidate / "icons").is_dir():
            return candidate
    raise BugError(
        "The app's resources folder is missing (looked in "
        + ", ".join(str(c) for c in candidates)
        + "); the installation is incomplete."
    )


def resource_path(*parts: str) -> Path:
    """A file under the resources folder; raises :class:`BugError` if it does not exist."""
    path = resources_root().joinpath(*parts)
    if not path.is_file():
        raise BugError(f"The resource {'/'.join(parts)} is missing from {resources_root()}.")
    return path
