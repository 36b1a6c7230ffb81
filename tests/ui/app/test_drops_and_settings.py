"""The controller's other wiring, with the real window and a real local store: images dropped on
the window become a creation (its rows and files in the store), File → Import does the same,
and the Settings dialog's values reach the services (the blob cache's budget, the engine)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from studio_desktop.engine.inputs import ENGINE_LOCAL
from studio_desktop.store.locations import DataDirs
from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.preferences import MB, EngineChoice, SettingsValues
from studio_desktop.ui.theme import ThemeMode
from studio_desktop.ui.widgets.message_bar import MessageLevel
from tests.ui.conftest import drop_files
from tests.ui.profiles.helpers import App, app_fixture, portrait

pytestmark = pytest.mark.gui


@pytest.fixture
def app(qtbot, data_dirs: DataDirs) -> Iterator[App]:
    yield from app_fixture(qtbot, data_dirs)


def test_images_dropped_on_the_window_start_a_creation(qtbot, app: App, tmp_path: Path) -> None:
    app.window.set_current_area(AreaKey.HISTORY)
    first = portrait(tmp_path / "look 01.jpg", (150, 60, 60))
    second = portrait(tmp_path / "look 02.png", (60, 60, 150), fmt="PNG")
    # Two photos could be a garment's front and back, or images to edit: dropped on the
    # "Edit in Magic Canvas" zone they start a creation.
    zone = app.window.drop_zone_point([first, second], "canvas")
    assert drop_files(app.window, [first, second], zone).dropped
    db = app.services.store.db
    qtbot.waitUntil(lambda: db.scalar("SELECT count(*) FROM canvas_threads") == 1, timeout=10_000)
    assert db.scalar("SELECT count(*) FROM canvas_assets") == 2
    assert db.scalar("SELECT title FROM canvas_threads") == "look 01"
    qtbot.waitUntil(lambda: "Added 2 images" in app.window.message_bar.text())
    assert app.window.message_bar.level is MessageLevel.SUCCESS
    opener = getattr(app.window.canvas_area, "open_creation", None)
    if callable(opener):
        assert app.window.current_area_key is AreaKey.CANVAS

    # File → Import images… goes the same way.
    app.window.import_requested.emit([second])
    qtbot.waitUntil(lambda: db.scalar("SELECT count(*) FROM canvas_threads") == 2, timeout=10_000)


def test_settings_reach_the_services(qtbot, app: App) -> None:
    blobs = app.services.store.blobs
    assert app.services.preferred_engine == ENGINE_LOCAL
    app.window._apply_settings(
        SettingsValues(cache_budget_bytes=512 * MB, engine=EngineChoice.LOCAL, theme=ThemeMode.DARK)
    )
    qtbot.waitUntil(lambda: blobs.budget_bytes == 512 * MB)
    assert app.account.cache_budget_bytes == 512 * MB
    assert app.window.preferences.settings_values().cache_budget_bytes == 512 * MB

    # The remote engine needs an account: in the local workspace the user is told so, and new
    # jobs keep using the local engine.
    app.window._apply_settings(
        SettingsValues(
            cache_budget_bytes=512 * MB,
            engine=EngineChoice.REMOTE,
            remote_api_url="https://api.studio.example",
        )
    )
    qtbot.waitUntil(lambda: "needs a signed-in account" in app.window.message_bar.text())
    assert app.window.message_bar.level is MessageLevel.WARNING
    assert app.services.preferred_engine == ENGINE_LOCAL
    assert not app.services.has_remote_engine

    # A workspace that is not known: a readable refusal, the current one stays open.
    app.controller.switch_workspace("not-a-workspace")
    qtbot.waitUntil(lambda: "not known" in app.window.message_bar.text())
    assert app.controller.workspace is not None and app.controller.workspace.key == "local"
    assert not app.services.store.db.closed
