"""Dropped paths are expanded with limits; preferences survive damaged values."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QUrl

from studio_desktop.domain.errors import ExternalError
from studio_desktop.ui.drop import classify_urls, expand_paths
from studio_desktop.ui.preferences import (
    DEFAULT_CACHE_BUDGET,
    MIN_CACHE_BUDGET,
    EngineChoice,
    Preferences,
    SettingsValues,
    ThumbnailSize,
)
from studio_desktop.ui.theme import ThemeMode

pytestmark = pytest.mark.gui


def test_expand_keeps_order_removes_duplicates_and_skips_hidden(tmp_path: Path) -> None:
    folder = tmp_path / "shoot"
    (folder / ".cache").mkdir(parents=True)
    (folder / ".cache" / "x.png").write_bytes(b"")
    (folder / "2.png").write_bytes(b"")
    (folder / "1.png").write_bytes(b"")
    loose = tmp_path / "loose.jpg"
    loose.write_bytes(b"")
    result = expand_paths([loose, folder, folder / "1.png", tmp_path / "missing.png"])
    assert result == [loose, folder / "1.png", folder / "2.png"]


def test_expand_counts_the_limit_over_everything_dropped(tmp_path: Path) -> None:
    files = []
    for i in range(6):
        path = tmp_path / f"{i}.png"
        path.write_bytes(b"")
        files.append(path)
    assert len(expand_paths(files, limit=6)) == 6
    with pytest.raises(ExternalError, match="more than 5 files"):
        expand_paths(files, limit=5)


def test_expand_explains_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ExternalError, match="could not be found"):
        expand_paths([tmp_path / "nope.png"])
    with pytest.raises(ExternalError, match="Nothing was dropped"):
        expand_paths([])


def test_classify_urls(tmp_path: Path) -> None:
    file = tmp_path / "a.png"
    file.write_bytes(b"")
    items = classify_urls(
        [
            QUrl.fromLocalFile(str(file)),
            QUrl.fromLocalFile(str(tmp_path)),
            QUrl("https://x.y/z.png"),
        ]
    )
    assert items.files == [file]
    assert items.folders == [tmp_path]
    assert items.links == ["https://x.y/z.png"]


def test_preferences_round_trip(qt_settings: Path) -> None:
    prefs = Preferences()
    values = SettingsValues(
        cache_budget_bytes=3 * 1024**3,
        engine=EngineChoice.REMOTE,
        remote_api_url="https://studio.example.com",
        theme=ThemeMode.DARK,
    )
    prefs.save_settings_values(values)
    prefs.thumbnail_size = ThumbnailSize.SMALL
    again = Preferences()
    assert again.settings_values() == values
    assert again.thumbnail_size is ThumbnailSize.SMALL
    assert (qt_settings / "Studio" / "Studio Desktop.ini").is_file()


def test_preferences_fall_back_on_damaged_values() -> None:
    settings = QSettings()
    settings.setValue("view/theme", "purple")
    settings.setValue("view/thumbnail_size", "gigantic")
    settings.setValue("cache/budget_bytes", "lots")
    settings.setValue("engine/kind", "quantum")
    prefs = Preferences(settings)
    assert prefs.theme is ThemeMode.SYSTEM
    assert prefs.thumbnail_size is ThumbnailSize.MEDIUM
    assert prefs.settings_values().cache_budget_bytes == DEFAULT_CACHE_BUDGET
    assert prefs.settings_values().engine is EngineChoice.LOCAL
    settings.setValue("cache/budget_bytes", 5)
    assert prefs.settings_values().cache_budget_bytes == MIN_CACHE_BUDGET
