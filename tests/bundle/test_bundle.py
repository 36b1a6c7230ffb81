"""The PyInstaller bundle: built from ``build.spec`` in a temp dir, started offscreen on a fresh
data dir, checked for what it must and must not hold, and measured.

It runs in the normal test command (``bash scripts/bootstrap.sh test``); the ``bundle`` marker
only lets it run alone: ``python -m pytest -m bundle``. The build takes about 20-40 s on two
cores and caches nothing between runs (the work and dist folders are temporary).
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.desktop.qt_plugins import describe, platform_plugins, unloadable

pytestmark = pytest.mark.bundle

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "build.spec"
APP = "studio-desktop"
BUILD_TIMEOUT_S = 600
RUN_TIMEOUT_S = 120
#: A bundle over this has picked up something big it should not (it is about 390 MB, most of
#: it OpenCV with its FFmpeg and OpenBLAS, Qt with ICU, and NumPy's OpenBLAS).
MAX_BUNDLE_MB = 480


@dataclass(frozen=True)
class Bundle:
    folder: Path
    executable: Path
    internal: Path
    build_seconds: float

    @property
    def size_bytes(self) -> int:
        return sum(p.lstat().st_size for p in self.folder.rglob("*") if not p.is_dir())


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: no test settings that would steer the app."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STUDIO_DESKTOP_", "PYTEST"))}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bundle]:
    base = tmp_path_factory.mktemp("bundle")
    dist, work = base / "dist", base / "work"
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(dist),
            "--workpath",
            str(work),
            str(SPEC),
        ],
        cwd=ROOT,
        env=_clean_env(QT_QPA_PLATFORM="offscreen"),
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    seconds = time.perf_counter() - started
    assert result.returncode == 0, f"pyinstaller failed:\n{result.stdout}\n{result.stderr[-6000:]}"
    folder = dist / APP
    executable = folder / (APP + (".exe" if sys.platform == "win32" else ""))
    assert executable.is_file(), f"no executable in {folder}"
    yield Bundle(folder, executable, folder / "_internal", seconds)


def test_the_bundle_starts_offscreen_shows_its_window_and_exits_cleanly(
    bundle: Bundle, tmp_path: Path, record_property
) -> None:
    data = tmp_path / "fresh data"  # a space in the path, as on many home folders
    started = time.perf_counter()
    result = subprocess.run(
        [str(bundle.executable), "--data-dir", str(data), "--quit-after-ms", "300"],
        cwd=tmp_path,
        env=_clean_env(QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path / "home")),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    seconds = time.perf_counter() - started
    assert result.returncode == 0, f"exit code {result.returncode}:\n{result.stderr[-4000:]}"
    # stderr gets warnings and errors only: a clean start prints nothing there.
    assert "Traceback" not in result.stderr
    assert [line for line in result.stderr.splitlines() if line.strip()] == []

    log = (data / "logs" / "studio-desktop.log").read_text(encoding="utf-8")
    lines = log.splitlines()
    assert any("starting with data in" in line and str(data) in line for line in lines)
    painted = [line for line in lines if "main window shown and painted" in line]
    assert len(painted) == 1, log
    assert lines[-1].endswith("Studio Desktop exited cleanly"), log
    assert not [line for line in lines if " ERROR " in line or " CRITICAL " in line], log
    # Closing saved the window's state where the data dir says (QSettings under <root>/qt/).
    settings = list((data / "qt").rglob("*.ini"))
    assert settings and "geometry=" in settings[0].read_text(encoding="utf-8")
    record_property("bundle_run_seconds", round(seconds, 2))


def test_the_bundle_holds_its_resources_and_icon(bundle: Bundle) -> None:
    resources = bundle.internal / "studio_desktop" / "ui" / "resources"
    source_icons = sorted(p.name for p in (ROOT / "resources" / "icons").glob("*.svg"))
    assert sorted(p.name for p in (resources / "icons").glob("*.svg")) == source_icons
    assert (resources / "theme" / "style.qss").read_text(encoding="utf-8") == (
        ROOT / "resources" / "theme" / "style.qss"
    ).read_text(encoding="utf-8")
    assert (resources / "app-icon.svg").is_file()
    # The app icon rendered from the SVG at build time, for desktop files and launchers.
    png = (bundle.internal / f"{APP}.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (256, 256)
    # The Qt plug-ins the app needs: platforms (desktop and offscreen), SVG icons, JPEG/WebP.
    plugins = bundle.internal / "PySide6" / "Qt" / "plugins"
    for plugin in (
        "platforms/libqxcb.so",
        "platforms/libqwayland.so",
        "platforms/libqoffscreen.so",
        "iconengines/libqsvgicon.so",
        "imageformats/libqsvg.so",
        "imageformats/libqjpeg.so",
        "imageformats/libqwebp.so",
    ):
        if sys.platform.startswith("linux"):
            assert (plugins / plugin).is_file(), f"missing Qt plug-in {plugin}"


def test_every_qt_platform_plugin_in_the_bundle_finds_all_its_libraries(bundle: Bundle) -> None:
    """The bundle's own copies of the platform plug-ins (and what they load) can all load
    with this machine's libraries, as the venv's can (tests/desktop/test_qt_plugins.py)."""
    plugins = bundle.internal / "PySide6" / "Qt" / "plugins"
    names = {p.name for p in platform_plugins(plugins)}
    assert {"libqxcb.so", "libqwayland.so", "libxdg-shell.so"} <= names, sorted(names)
    missing = unloadable(plugins)
    assert missing == {}, "Qt platform plug-ins in the bundle that cannot load:\n" + describe(
        missing
    )


def test_the_bundle_leaves_out_what_the_app_does_not_use(bundle: Bundle) -> None:
    names = [p.relative_to(bundle.internal).as_posix() for p in bundle.internal.rglob("*")]
    unwanted = (
        "tkinter",
        "_tkinter",
        "libtk",
        "libtcl",
        "PySide6/Qt/translations",
        "PySide6/Qt/qml",
        "libQt6Quick",
        "libQt6Qml",
        "libQt6WebEngine",
        "libQt6Network",
        "libQt6Pdf",
        "libQt6Multimedia",
        "libQt63D",
        "libQt6Charts",
        "libQt6DataVisualization",
        "libQt6Designer",
        "libQt6EglFS",
        "PySide6/QtNetwork",
        "PySide6/QtQml",
        "PySide6/QtQuick",
        "numpy/f2py",
        "numpy/_core/tests",
        "numpy/tests",
        "cv2/samples",
        "libqgtk3",
        "libgtk-3",
        "pygments",
        "werkzeug",
    )
    found = sorted({u for u in unwanted for n in names if u in n})
    assert found == [], f"the bundle holds what the app does not use: {found}"


def test_the_bundle_size_is_reported(bundle: Bundle, record_property) -> None:
    size = bundle.size_bytes
    megabytes = size / 1_000_000
    biggest = sorted(
        (
            (
                sum(f.lstat().st_size for f in p.rglob("*") if not f.is_dir())
                if p.is_dir()
                else p.lstat().st_size
            ),
            p.name,
        )
        for p in bundle.internal.iterdir()
    )[-5:]
    print(
        f"\nbundle: {bundle.folder.name}/ {megabytes:.0f} MB in "
        f"{sum(1 for _ in bundle.folder.rglob('*'))} files, built in {bundle.build_seconds:.0f} s;"
        " largest: " + ", ".join(f"{name} {b / 1e6:.0f} MB" for b, name in reversed(biggest))
    )
    record_property("bundle_size_mb", round(megabytes, 1))
    record_property("bundle_build_seconds", round(bundle.build_seconds, 1))
    assert megabytes < MAX_BUNDLE_MB, f"the bundle grew to {megabytes:.0f} MB"
