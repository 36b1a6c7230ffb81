"""Theme: light/dark palettes, following the system, one stylesheet; icons: every SVG renders,
at any DPI, in the palette's colour."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPalette
from PySide6.QtWidgets import QApplication

from studio_desktop.domain.errors import BugError
from studio_desktop.ui.icons import app_icon, icon, icon_names
from studio_desktop.ui.main_window import MainWindow
from studio_desktop.ui.resource_files import resource_path, resources_root
from studio_desktop.ui.theme import DARK_TONES, LIGHT_TONES, ThemeMode, theme_manager

pytestmark = pytest.mark.gui

REQUIRED_ICONS = {
    "history", "profiles", "canvas", "brush", "eraser", "undo", "redo", "sync", "offline",
    "warning", "error", "check", "add", "delete", "export", "search", "settings", "account",
    "zoom-in", "zoom-out", "zoom-fit", "compare",
}  # fmt: skip


def _lightness(role: QPalette.ColorRole) -> float:
    return QApplication.palette().color(role).lightnessF()


def test_light_and_dark_palettes(qapp) -> None:
    theme = theme_manager()
    changes: list[bool] = []
    theme.changed.connect(lambda: changes.append(theme.is_dark))
    theme.set_mode(ThemeMode.LIGHT)
    assert not theme.is_dark
    assert _lightness(QPalette.ColorRole.Window) > 0.8
    assert _lightness(QPalette.ColorRole.WindowText) < 0.3
    assert theme.tones == LIGHT_TONES
    assert LIGHT_TONES.error_bg in qapp.styleSheet()
    theme.set_mode(ThemeMode.DARK)
    assert theme.is_dark
    assert theme.scheme_name == "dark"
    assert _lightness(QPalette.ColorRole.Window) < 0.25
    assert _lightness(QPalette.ColorRole.WindowText) > 0.8
    assert DARK_TONES.error_bg in qapp.styleSheet()
    assert theme.style_name == "fusion"
    assert qapp.style().metaObject().className() == "QStyleSheetStyle"  # over Fusion
    assert changes[-2:] == [False, True]
    # Disabled text is dimmer than normal text in both schemes.
    palette = QApplication.palette()
    normal = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText)
    disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    assert abs(normal.lightnessF() - disabled.lightnessF()) > 0.2


START_IN_STYLE = """
from PySide6.QtWidgets import QApplication
from studio_desktop.ui import theme
app = theme.start_application(["probe"])
started_in = app.style().name()
manager = theme.theme_manager()
calls = []
QApplication.setStyle = lambda *args: calls.append(args)  # must not be needed any more
manager.set_mode(theme.ThemeMode.DARK)
print(started_in, manager.style_name, len(calls), manager.is_dark)
"""


def test_an_application_started_in_the_style_is_not_restyled() -> None:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(root)}
    result = subprocess.run(
        [sys.executable, "-c", START_IN_STYLE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split() == ["fusion", "fusion", "0", "True"]


def test_system_mode_follows_the_platform_scheme(qapp) -> None:
    theme = theme_manager()
    theme.set_mode(ThemeMode.SYSTEM)
    expected = qapp.styleHints().colorScheme() == Qt.ColorScheme.Dark
    assert theme.is_dark is expected
    assert theme.mode is ThemeMode.SYSTEM


def test_the_view_menu_switches_the_theme(main_window: MainWindow) -> None:
    main_window.theme_actions[ThemeMode.DARK].trigger()
    assert theme_manager().is_dark
    assert main_window.preferences.theme is ThemeMode.DARK
    main_window.theme_actions[ThemeMode.LIGHT].trigger()
    assert not theme_manager().is_dark
    assert main_window.preferences.theme is ThemeMode.LIGHT


def test_every_required_icon_exists_and_renders(qapp) -> None:
    names = set(icon_names())
    assert names >= REQUIRED_ICONS
    for name in names:
        image = icon(name).pixmap(QSize(24, 24)).toImage()
        assert image.size() == QSize(24, 24)
        painted = sum(1 for x in range(24) for y in range(24) if image.pixelColor(x, y).alpha() > 0)
        assert painted > 10, f"{name} renders (almost) nothing"


def _darkest_opaque(image: QImage) -> QColor:
    best = QColor(255, 255, 255)
    for x in range(image.width()):
        for y in range(image.height()):
            color = image.pixelColor(x, y)
            if color.alpha() == 255 and color.lightnessF() <= best.lightnessF():
                best = color
    return best


def _most_opaque(image: QImage) -> QColor:
    return max(
        (image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())),
        key=lambda c: c.alpha(),
    )


def test_icons_take_the_palette_colour_at_paint_time(qapp) -> None:
    add = icon("add")  # created once, painted in both schemes
    theme_manager().set_mode(ThemeMode.LIGHT)
    light = _most_opaque(add.pixmap(QSize(32, 32)).toImage())
    theme_manager().set_mode(ThemeMode.DARK)
    dark = _most_opaque(add.pixmap(QSize(32, 32)).toImage())
    assert light.lightnessF() < 0.3
    assert dark.lightnessF() > 0.8
    disabled = _most_opaque(add.pixmap(QSize(32, 32), QIcon.Mode.Disabled).toImage())
    assert abs(disabled.lightnessF() - dark.lightnessF()) > 0.2
    error = _most_opaque(icon("error", tone="error").pixmap(QSize(32, 32)).toImage())
    assert error.name() == QColor(DARK_TONES.error).name()


def test_icons_are_sharp_at_high_dpi(qapp) -> None:
    pixmap = icon("history").pixmap(QSize(24, 24), 2.0)
    assert pixmap.devicePixelRatio() == 2.0
    assert pixmap.size() == QSize(48, 48)
    pixmap = icon("history").pixmap(QSize(24, 24), 1.5)
    assert pixmap.size() == QSize(36, 36)


def test_unknown_icons_and_tones_are_bugs(qapp) -> None:
    with pytest.raises(BugError, match=r"nope\.svg"):
        icon("nope")
    with pytest.raises(BugError, match="tone"):
        icon("add", tone="purple")


def test_app_icon_renders_in_colour(qapp) -> None:
    image = app_icon().pixmap(QSize(64, 64)).toImage()
    assert not image.isNull()
    center = image.pixelColor(20, 40)
    assert center.alpha() == 255
    assert center.saturationF() > 0.3


def test_resources_come_from_the_package_path(qapp) -> None:
    root = resources_root()
    assert root.name == "resources"
    assert resource_path("theme", "style.qss").is_file()
    # The package path is a symlink to the top-level resources/ (one copy, shipped in wheels).
    assert (root / "app-icon.svg").resolve() == (
        root.parents[2] / "resources" / "app-icon.svg"
    ).resolve()
