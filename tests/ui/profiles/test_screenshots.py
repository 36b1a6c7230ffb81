"""Screenshots of the profile manager, the profile form, the garment panel and the account flows
in both palettes (``tests/screenshots/<light|dark>/``), with real reference images and real
cutouts; each shot is checked for content and for cut text, and looked at by a person."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from studio_desktop.domain.status import ParkedChange, SyncState, SyncStatus
from studio_desktop.ui.profiles.model import ProfileRole, ThumbState
from tests.ui.conftest import drag_enter, drop_files, file_mime
from tests.ui.profiles.helpers import App, await_on_loop, portrait
from tests.ui.profiles.test_garments import garment_photos
from tests.ui.test_screenshots import assert_has_content, assert_text_fits

pytestmark = pytest.mark.gui

Shot = Callable[[QWidget, str], Path]

PEOPLE = [
    ("Ana Sousa", "female", "medium", "Southern Europe", "warm beige sweep", (176, 96, 72)),
    ("Kenji Mori", "male", "light medium", "East Asia", "light grey sweep", (60, 80, 120)),
    ("Amara Okafor", "female", "dark", "Sub-Saharan Africa", "white studio", (200, 150, 40)),
    ("Sam Rivera", "non-binary", "tan", "Latin America", "navy to white gradient", (40, 130, 110)),
    ("Lena Berg", "female", "very light", "Northern Europe", "black", None),
]


def fill_profiles(qtbot, app: App, folder: Path) -> None:
    for name, gender, skin, region, background, colour in PEOPLE:
        profile = await_on_loop(
            qtbot,
            app.services.profiles.create(
                name, gender=gender, skin_tone=skin, region=region, background=background
            ),
        )
        if colour is not None:
            photo = portrait(folder / f"{name}.jpg", colour)
            await_on_loop(qtbot, app.services.profiles.set_reference_image(profile.id, photo))
    model = app.profiles_area.model
    qtbot.waitUntil(lambda: model.rowCount() == len(PEOPLE))

    def thumbnails_ready() -> bool:
        states = [model.index(r).data(ProfileRole.THUMBNAIL_STATE) for r in range(model.rowCount())]
        return states.count(ThumbState.READY) == 4 and states.count(ThumbState.NONE) == 1

    qtbot.waitUntil(thumbnails_ready, timeout=15_000)


def test_profiles_area(qtbot, app: App, scheme: str, screenshot: Shot, tmp_path: Path) -> None:
    fill_profiles(qtbot, app, tmp_path)
    area = app.profiles_area
    area.select_profile(area.model.profile(0).id)
    path = screenshot(app.window, "profiles-area")
    assert_has_content(path)
    assert_text_fits(app.window)

    # A file dragged over a card: that card lights up.
    target = area.model.profile(2)
    drag_enter(
        area.grid.viewport(),
        file_mime([tmp_path / "Ana Sousa.jpg"]),
        area.card_rect(target.id).center(),
    )
    assert area.grid.drop_row == 2
    screenshot(area, "profiles-drop-on-card")
    area.grid._set_drop_row(None)

    box = area.delete_profile(target)
    assert_text_fits(box)
    screenshot(box, "profiles-delete-confirmation")
    box.close()


def test_profile_form(qtbot, app: App, scheme: str, screenshot: Shot) -> None:
    await_on_loop(qtbot, app.services.profiles.create("Ana Sousa"))
    area = app.profiles_area
    dialog = area.new_profile()
    dialog.resize(560, dialog.height())
    dialog.gender.setCurrentText("female")
    dialog.region.setCurrentText("Southern Europe")
    dialog.background.setCurrentText("warm beige sweep")
    dialog.fit_height()
    assert_text_fits(dialog)
    screenshot(dialog, "profile-form")

    dialog.name_edit.setText("ana sousa")
    dialog.skin_tone.setCurrentText("x" * 90)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.field_error("skin_tone")
    dialog.skin_tone.setCurrentText("medium")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "already exists" in dialog.field_error("name"))
    dialog.skin_tone.setCurrentText("y" * 90)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.field_error("skin_tone") and not dialog.field_error("name")
    dialog.name_edit.setText("")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.field_error("name") == "The name cannot be empty."
    qtbot.wait(20)
    assert_text_fits(dialog)
    screenshot(dialog, "profile-form-validation")
    dialog.close()


def test_garment_panel(qtbot, app: App, scheme: str, screenshot: Shot, tmp_path: Path) -> None:
    fill_profiles(qtbot, app, tmp_path)
    panel = app.profiles_area.garments
    screenshot(panel, "garments-empty")
    front, back = garment_photos(tmp_path)
    drop_files(panel.slots["front"], [front])
    drop_files(panel.slots["back"], [back])
    qtbot.waitUntil(
        lambda: panel.slots["front"].has_cutout and panel.slots["back"].has_cutout, timeout=30_000
    )
    panel.choose_profile(app.profiles_area.model.profile(0).id)
    assert_text_fits(panel)
    screenshot(panel, "garments-cutouts")
    with qtbot.waitSignal(panel.pack_finished, timeout=60_000):
        panel.build_button.click()
    qtbot.waitUntil(lambda: panel.row("pack") is not None and panel.row("pack").result_count() == 3)
    qtbot.wait(20)
    assert_text_fits(app.window)
    path = screenshot(app.window, "profiles-area-with-pack")
    assert_has_content(path)


def test_account_flows(qtbot, app: App, scheme: str, screenshot: Shot) -> None:
    box = app.controller.ask_to_move("12 jobs, 3 profiles, 2 creations and 40 files")
    assert box.isVisible()
    assert_text_fits(box)
    screenshot(box, "account-move-local-items")
    box.close()

    window = app.window
    window.set_account("ana@studio.example")
    now = datetime.now(UTC)
    states = {
        "syncing": SyncStatus(
            SyncState.SYNCING,
            done=14,
            total=40,
            queued=26,
            account="ana@studio.example",
            uploading=3,
        ),
        "up-to-date": SyncStatus(
            SyncState.UP_TO_DATE,
            last_synced_at=now - timedelta(minutes=2),
            account="ana@studio.example",
        ),
        "offline": SyncStatus(
            SyncState.OFFLINE,
            queued=3,
            account="ana@studio.example",
            last_synced_at=now - timedelta(hours=3),
            detail="The studio's server cannot be reached. 3 change(s) are waiting to sync.",
        ),
        "parked": SyncStatus(
            SyncState.UP_TO_DATE,
            last_synced_at=now,
            account="ana@studio.example",
            parked=(ParkedChange("Profile “Ana”", "name is too long"),),
        ),
        "needs-sign-in": SyncStatus(
            SyncState.NEEDS_SIGN_IN, queued=2, detail="Your session has ended. Sign in again."
        ),
    }
    for name, status in states.items():
        window.set_sync_status(status)
        qtbot.wait(10)
        assert_text_fits(window.statusBar())
        screenshot(window.statusBar(), f"account-status-{name}")
