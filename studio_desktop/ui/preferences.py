"""The user's UI preferences, kept in ``QSettings`` (never secrets).

``app.py`` points ``QSettings`` at ``<data root>/qt/`` (INI format) so each data dir has its own
preferences; organisation and application names come from ``studio_desktop/__init__.py``.

    prefs = Preferences()
    prefs.theme = ThemeMode.DARK
    prefs.settings_values()          # what the Settings dialog edits
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import QByteArray, QSettings

from studio_desktop.ui.theme import ThemeMode

MB = 1024**2
GB = 1024**3
DEFAULT_CACHE_BUDGET = 2 * GB
MIN_CACHE_BUDGET = 256 * MB
MAX_CACHE_BUDGET = 2000 * GB


class EngineChoice(StrEnum):
    LOCAL = "local"  # the local engine: works offline, no account needed
    REMOTE = "remote"  # the studio's generation API over HTTP


class ThumbnailSize(StrEnum):
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"

    @property
    def pixels(self) -> int:
        """The thumbnail's longer side in device-independent pixels."""
        return {"small": 112, "medium": 176, "large": 264}[self.value]

    @property
    def label(self) -> str:
        return self.value.capitalize()


@dataclass(frozen=True, slots=True)
class SettingsValues:
    """What the Settings dialog edits and emits."""

    cache_budget_bytes: int = DEFAULT_CACHE_BUDGET
    engine: EngineChoice = EngineChoice.LOCAL
    remote_api_url: str = ""  # validated when engine is REMOTE; kept when switching back
    theme: ThemeMode = ThemeMode.SYSTEM


def _enum(value: object, kind: type[StrEnum], default: StrEnum) -> StrEnum:
    try:
        return kind(str(value))
    except ValueError:
        return default


class Preferences:
    """Typed access to the app's QSettings; unknown or damaged values fall back to defaults."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self.settings = settings if settings is not None else QSettings()

    # ---------------------------------------------------------------- appearance
    @property
    def theme(self) -> ThemeMode:
        return _enum(self.settings.value("view/theme", "system"), ThemeMode, ThemeMode.SYSTEM)  # type: ignore[return-value]

    @theme.setter
    def theme(self, mode: ThemeMode) -> None:
        self.settings.setValue("view/theme", ThemeMode(mode).value)

    @property
    def thumbnail_size(self) -> ThumbnailSize:
        value = self.settings.value("view/thumbnail_size", "medium")
        return _enum(value, ThumbnailSize, ThumbnailSize.MEDIUM)  # type: ignore[return-value]

    @thumbnail_size.setter
    def thumbnail_size(self, size: ThumbnailSize) -> None:
        self.settings.setValue("view/thumbnail_size", ThumbnailSize(size).value)

    # ---------------------------------------------------------------- window
    def window_state(self) -> tuple[QByteArray | None, QByteArray | None, str | None]:
        """(geometry, state, current area) as saved by the last window that closed."""
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        area = self.settings.value("window/area")
        return (
            geometry if isinstance(geometry, QByteArray) else None,
            state if isinstance(state, QByteArray) else None,
            str(area) if area else None,
        )

    def save_window_state(self, geometry: QByteArray, state: QByteArray, area: str) -> None:
        self.settings.setValue("window/geometry", geometry)
        self.settings.setValue("window/state", state)
        self.settings.setValue("window/area", area)
        self.settings.sync()

    # ---------------------------------------------------------------- settings dialog
    def settings_values(self) -> SettingsValues:
        budget = self.settings.value("cache/budget_bytes", DEFAULT_CACHE_BUDGET)
        try:
            budget_bytes = int(budget)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            budget_bytes = DEFAULT_CACHE_BUDGET
        budget_bytes = min(max(budget_bytes, MIN_CACHE_BUDGET), MAX_CACHE_BUDGET)
        return SettingsValues(
            cache_budget_bytes=budget_bytes,
            engine=_enum(
                self.settings.value("engine/kind", "local"), EngineChoice, EngineChoice.LOCAL
            ),  # type: ignore[arg-type]
            remote_api_url=str(self.settings.value("engine/remote_api_url", "") or ""),
            theme=self.theme,
        )

    def save_settings_values(self, values: SettingsValues) -> None:
        self.settings.setValue("cache/budget_bytes", int(values.cache_budget_bytes))
        self.settings.setValue("engine/kind", values.engine.value)
        self.settings.setValue("engine/remote_api_url", values.remote_api_url)
        self.theme = values.theme
        self.settings.sync()

    # ---------------------------------------------------------------- account (no secrets)
    @property
    def project_url(self) -> str:
        return str(self.settings.value("account/project_url", "") or "")

    @project_url.setter
    def project_url(self, url: str) -> None:
        self.settings.setValue("account/project_url", url)

    @property
    def last_email(self) -> str:
        return str(self.settings.value("account/last_email", "") or "")

    @last_email.setter
    def last_email(self, email: str) -> None:
        self.settings.setValue("account/last_email", email)
