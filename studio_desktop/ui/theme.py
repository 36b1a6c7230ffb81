"""Light and dark palettes and the stylesheet: the one place the app's look is decided.

The Fusion style everywhere (the app starts its ``QApplication`` in it: :func:`start_application`),
a palette per scheme, and ``resources/theme/style.qss`` (a template
whose ``$name`` placeholders are the scheme's :class:`Tones`; anything else in it refers to the
palette, e.g. ``palette(highlight)``). By default the scheme follows the system
(``QStyleHints.colorScheme``) and changes with it; the View menu and the settings can force light
or dark.

    theme = theme_manager()
    theme.set_mode(ThemeMode.DARK)
    theme.changed.connect(lambda: ...)   # after the palette and stylesheet are applied
    theme.tones.error                    # the scheme's colours for things the palette lacks
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from enum import StrEnum
from string import Template
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from studio_desktop.ui.resource_files import resource_path

if TYPE_CHECKING:
    from PySide6.QtGui import QFont

log = logging.getLogger(__name__)

#: The widget style under the stylesheet, on every platform.
STYLE = "Fusion"
_STYLE_PROPERTY = "studio_desktop_style"  # set on a QApplication started in STYLE


class ThemeMode(StrEnum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"

    @property
    def label(self) -> str:
        return {"system": "Follow the system", "light": "Light", "dark": "Dark"}[self.value]


@dataclass(frozen=True, slots=True)
class Tones:
    """Colours the palette has no role for (hex strings, usable in QSS and QColor alike)."""

    accent: str
    error: str
    error_bg: str
    warning: str
    warning_bg: str
    success: str
    success_bg: str
    info_bg: str
    muted: str  # secondary text
    border: str
    sidebar_bg: str
    hover: str  # background of a hovered flat button
    selected_bg: str  # background of the checked side-bar entry
    drop_bg: str  # the drop-target highlight


LIGHT_TONES = Tones(
    accent="#3d6dea",
    error="#c62828",
    error_bg="#fdecea",
    warning="#a15c00",
    warning_bg="#fff3df",
    success="#2e7d32",
    success_bg="#e6f4e7",
    info_bg="#e8effd",
    muted="#6b6b73",
    border="#d9d9de",
    sidebar_bg="#ebebef",
    hover="#dcdce3",
    selected_bg="#d3defb",
    drop_bg="#3d6dea",
)
DARK_TONES = Tones(
    accent="#6e95ff",
    error="#ff7b72",
    error_bg="#3b2224",
    warning="#f0b35a",
    warning_bg="#3a2f1c",
    success="#6cc573",
    success_bg="#1f3322",
    info_bg="#1e2a44",
    muted="#9a9aa3",
    border="#3a3a40",
    sidebar_bg="#19191c",
    hover="#2e2e34",
    selected_bg="#2a3656",
    drop_bg="#6e95ff",
)


def build_palette(dark: bool) -> QPalette:
    """The full palette of one scheme, for every colour group (disabled text is dimmed)."""
    if dark:
        window, base, alt, text, button = "#222226", "#18181b", "#202024", "#e9e9ec", "#2c2c31"
        disabled, placeholder, highlight, tip = "#6f6f77", "#7c7c85", "#4f7cf0", "#2c2c31"
    else:
        window, base, alt, text, button = "#f4f4f6", "#ffffff", "#f2f2f5", "#1c1c1f", "#f7f7f9"
        disabled, placeholder, highlight, tip = "#a3a3aa", "#8d8d95", "#3d6dea", "#ffffff"
    palette = QPalette(QColor(button), QColor(window))
    role = QPalette.ColorRole
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        palette.setColor(group, role.Window, QColor(window))
        palette.setColor(group, role.WindowText, QColor(text))
        palette.setColor(group, role.Base, QColor(base))
        palette.setColor(group, role.AlternateBase, QColor(alt))
        palette.setColor(group, role.Text, QColor(text))
        palette.setColor(group, role.Button, QColor(button))
        palette.setColor(group, role.ButtonText, QColor(text))
        palette.setColor(group, role.BrightText, QColor("#ffffff"))
        palette.setColor(group, role.Highlight, QColor(highlight))
        palette.setColor(group, role.HighlightedText, QColor("#ffffff"))
        palette.setColor(group, role.ToolTipBase, QColor(tip))
        palette.setColor(group, role.ToolTipText, QColor(text))
        palette.setColor(group, role.PlaceholderText, QColor(placeholder))
        palette.setColor(
            group, role.Link, QColor(DARK_TONES.accent if dark else LIGHT_TONES.accent)
        )
        palette.setColor(group, role.LinkVisited, QColor("#b085f5" if dark else "#7b4fc9"))
        palette.setColor(group, role.Accent, QColor(highlight))
    disabled_group = QPalette.ColorGroup.Disabled
    palette.setColor(disabled_group, role.Window, QColor(window))
    palette.setColor(disabled_group, role.Base, QColor(window))
    palette.setColor(disabled_group, role.Button, QColor(button))
    for text_role in (role.WindowText, role.Text, role.ButtonText, role.PlaceholderText):
        palette.setColor(disabled_group, text_role, QColor(disabled))
    palette.setColor(disabled_group, role.Highlight, QColor("#4a4a52" if dark else "#c4c4cc"))
    palette.setColor(disabled_group, role.HighlightedText, QColor(disabled))
    return palette


def render_stylesheet(tones: Tones) -> str:
    template = Template(resource_path("theme", "style.qss").read_text(encoding="utf-8"))
    return template.substitute(asdict(tones))


def start_application(argv: list[str]) -> QApplication:
    """A new ``QApplication`` already in :data:`STYLE` (Qt applies ``-style`` as it starts).

    Cheaper than :class:`ThemeManager` setting the style afterwards: nothing is re-polished and
    no ``QStyle`` object reaches Python before the first paint (creating PySide's ``QStyle`` type
    and its enums costs ~5 ms of start-up)."""
    app = QApplication([*argv, "-style", STYLE])
    app.setProperty(_STYLE_PROPERTY, STYLE.lower())
    return app


class ThemeManager(QObject):
    """Applies the chosen :class:`ThemeMode` to the application and follows the system."""

    changed = Signal()

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._app = app
        self._mode = ThemeMode.SYSTEM
        self._dark = False
        self._applied = False
        preset = app.property(_STYLE_PROPERTY)  # see start_application
        self._style_name: str | None = preset if isinstance(preset, str) else None
        self._style_set = self._style_name is not None
        app.styleHints().colorSchemeChanged.connect(self._on_system_scheme_changed)

    @property
    def mode(self) -> ThemeMode:
        return self._mode

    @property
    def is_dark(self) -> bool:
        return self._dark

    @property
    def scheme_name(self) -> str:
        """``"dark"`` or ``"light"``: the scheme in effect (what SYSTEM resolved to)."""
        return "dark" if self._dark else "light"

    @property
    def style_name(self) -> str:
        """The widget style under the stylesheet (``"fusion"`` once a theme was applied)."""
        if self._style_name is None:
            return self._app.style().name()
        return self._style_name

    @property
    def tones(self) -> Tones:
        return DARK_TONES if self._dark else LIGHT_TONES

    def set_mode(self, mode: ThemeMode | str) -> None:
        mode = ThemeMode(mode)
        self._mode = mode
        hints = self._app.styleHints()
        # A hint to the platform too (native dialogs, title bars); harmless where unsupported.
        if mode is ThemeMode.SYSTEM:
            hints.unsetColorScheme()
        else:
            hints.setColorScheme(
                Qt.ColorScheme.Dark if mode is ThemeMode.DARK else Qt.ColorScheme.Light
            )
        self._apply(self._resolve_dark())

    def _resolve_dark(self) -> bool:
        if self._mode is ThemeMode.SYSTEM:
            return self._app.styleHints().colorScheme() == Qt.ColorScheme.Dark
        return self._mode is ThemeMode.DARK

    def _on_system_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        dark = self._resolve_dark()
        if dark != self._dark:
            self._apply(dark)

    def _apply(self, dark: bool) -> None:
        if self._applied and dark == self._dark:
            self.changed.emit()
            return
        self._dark = dark
        self._applied = True
        if not self._style_set:  # once: setting a style re-polishes every widget
            self._app.setStyle(STYLE)
            self._style_name = self._app.style().name()  # before the stylesheet wraps it
            self._style_set = True
        self._app.setPalette(build_palette(dark))
        self._app.setStyleSheet(render_stylesheet(self.tones))
        log.debug("theme applied: %s (mode %s)", self.scheme_name, self._mode)
        self.changed.emit()


_manager: ThemeManager | None = None


def theme_manager() -> ThemeManager:
    """The application's one :class:`ThemeManager` (created on first use)."""
    global _manager  # noqa: PLW0603  one per QApplication, created lazily
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        raise RuntimeError("theme_manager() needs a QApplication")
    if _manager is None or _manager.parent() is not app:
        _manager = ThemeManager(app)
    return _manager


def current_tones() -> Tones:
    """The tones of the scheme in effect (light ones before any theme was applied)."""
    if _manager is None:
        return LIGHT_TONES
    return _manager.tones


def scaled_font(font: QFont, factor: float, *, bold: bool = False) -> QFont:
    """``font`` scaled by ``factor`` (for headings); works for point- and pixel-sized fonts."""
    from PySide6.QtGui import QFont  # (PySide's QFont type is not needed for the first paint)

    scaled = QFont(font)
    if font.pointSizeF() > 0:
        scaled.setPointSizeF(font.pointSizeF() * factor)
    elif font.pixelSize() > 0:
        scaled.setPixelSize(max(1, round(font.pixelSize() * factor)))
    scaled.setBold(bold)
    return scaled
