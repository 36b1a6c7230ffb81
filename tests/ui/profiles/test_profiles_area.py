"""The profile manager walked through its real widgets over a real local store: create, edit,
delete (with the confirmation answered), undo, validation under the fields, and the reference
image set by dropping a file on a card."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from studio_desktop.domain.models import Profile
from studio_desktop.ui.profiles.model import ProfileRole, ThumbState
from tests.ui.conftest import drag_enter, drop_files, file_mime
from tests.ui.profiles.helpers import (
    App,
    await_on_loop,
    click_box_button,
    open_message_box,
    portrait,
)

pytestmark = pytest.mark.gui


def stored(app: App) -> list[Profile]:
    return app.services.store.queries.profiles()


def create(qtbot, app: App, name: str, **fields: str) -> Profile:
    profile = await_on_loop(qtbot, app.services.profiles.create(name, **fields))
    qtbot.waitUntil(lambda: app.profiles_area.model.row_of(profile.id) is not None)
    return profile


def test_create_edit_delete_and_undo_through_the_widgets(qtbot, app: App) -> None:
    area = app.profiles_area
    assert area.cards.currentWidget() is area.empty_state
    assert not area.edit_button.isEnabled()

    dialog = area.new_profile()
    assert dialog.isVisible()
    dialog.name_edit.setText("  Ana   Sousa ")
    dialog.gender.setCurrentText("female")
    dialog.skin_tone.setCurrentText("medium")
    dialog.region.setCurrentText("Southern Europe")
    dialog.background.setCurrentText("warm beige sweep")
    assert "warm beige" in dialog.background_hint.text()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(stored(app)) == 1 and area.dialog is None)
    ana = stored(app)[0]
    assert (ana.name, ana.gender, ana.skin_tone, ana.region, ana.background) == (
        "Ana Sousa",
        "female",
        "medium",
        "Southern Europe",
        "warm beige sweep",
    )
    assert area.cards.currentWidget() is area.grid
    assert area.selected_profile() is not None and area.selected_profile().id == ana.id
    qtbot.waitUntil(lambda: "created" in app.window.message_bar.text())

    # Edit with free text (not one of the suggestions).
    dialog = area.edit_selected()
    assert dialog is not None and dialog.name_edit.text() == "Ana Sousa"
    dialog.region.setCurrentText("Lisbon coast")
    dialog.skin_tone.setCurrentText("")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: stored(app)[0].region == "Lisbon coast")
    assert stored(app)[0].skin_tone is None
    qtbot.waitUntil(lambda: area.model.profile(0).region == "Lisbon coast")

    # Undo and redo the edit through the window's Edit menu. The store's change event can
    # update the model before the operation's success callback pushes the edit's undo step.
    qtbot.waitUntil(lambda: area.undo_stack.count() == 2, timeout=10_000)
    assert app.window.action_undo.isEnabled()
    app.window.action_undo.trigger()
    qtbot.waitUntil(lambda: stored(app)[0].region == "Southern Europe")
    assert stored(app)[0].skin_tone == "medium"
    app.window.action_redo.trigger()
    qtbot.waitUntil(lambda: stored(app)[0].region == "Lisbon coast")

    # Delete: the confirmation is asked; Cancel keeps the profile.
    area.select_profile(ana.id)
    box = area.delete_selected()
    assert box is not None and box.isVisible()
    assert "Ana Sousa" in box.text()
    click_box_button(box, "Cancel")
    qtbot.waitUntil(lambda: open_message_box("confirm_delete_profile") is None)
    assert len(stored(app)) == 1

    box = area.delete_selected()
    assert box is not None
    click_box_button(box, "Delete profile")
    qtbot.waitUntil(lambda: stored(app) == [] and area.model.rowCount() == 0)
    assert area.cards.currentWidget() is area.empty_state
    qtbot.waitUntil(lambda: "deleted" in app.window.message_bar.text())

    # Undo the delete: the profile comes back with its fields.
    app.window.action_undo.trigger()
    qtbot.waitUntil(lambda: len(stored(app)) == 1 and area.model.rowCount() == 1)
    back = stored(app)[0]
    assert (back.name, back.region, back.background) == (
        "Ana Sousa",
        "Lisbon coast",
        "warm beige sweep",
    )
    # The next undo is the edit's: it still finds the profile under its new id.
    app.window.action_undo.trigger()
    qtbot.waitUntil(lambda: stored(app)[0].region == "Southern Europe")


def test_undo_of_a_delete_restores_the_stored_profile_not_the_cards_copy(qtbot, app: App) -> None:
    """A delete that starts from a card's copy older than the store (an edit that finished a
    moment before) must bring back the edited profile on undo."""
    area = app.profiles_area
    ana = create(qtbot, app, "Ana Sousa", region="Southern Europe")
    await_on_loop(qtbot, app.services.profiles.update(ana.id, region="Lisbon coast"))
    box = area.delete_profile(ana)  # the copy from before the edit
    click_box_button(box, "Delete profile")
    qtbot.waitUntil(lambda: stored(app) == [] and area.undo_stack.canUndo())
    app.window.action_undo.trigger()
    qtbot.waitUntil(lambda: len(stored(app)) == 1)
    assert stored(app)[0].region == "Lisbon coast"


def test_validation_messages_under_the_fields(qtbot, app: App) -> None:
    create(qtbot, app, "Ana")
    area = app.profiles_area
    dialog = area.new_profile()

    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert dialog.field_error("name") == "The name cannot be empty."

    dialog.name_edit.setText("N" * 81)
    dialog.region.setCurrentText("r" * 90)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "limit is 80" in dialog.field_error("name")
    assert "Region is 90 characters long" in dialog.field_error("region")
    assert dialog.field_error("gender") == ""

    # Fixing a field clears its message as it is edited.
    dialog.region.setCurrentText("Northern Europe")
    assert dialog.field_error("region") == ""

    # A rule only the store knows (names are unique, ignoring case) comes back under the name.
    dialog.name_edit.setText("ANA")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "already exists" in dialog.field_error("name"))
    assert dialog.isVisible() and dialog.ok_button.isEnabled()
    assert [p.name for p in stored(app)] == ["Ana"]

    dialog.name_edit.setText("Bea")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sorted(p.name for p in stored(app)) == ["Ana", "Bea"])
    qtbot.waitUntil(lambda: area.dialog is None)


def test_set_the_reference_by_dropping_an_image_on_a_card(qtbot, app: App, tmp_path: Path) -> None:
    area = app.profiles_area
    ana = create(qtbot, app, "Ana", gender="female")
    bea = create(qtbot, app, "Bea")
    photo = portrait(tmp_path / "ana reference.jpg", (180, 90, 70))
    viewport = area.grid.viewport()
    ana_card = area.card_rect(ana.id)
    assert area.model.index(0).data(ProfileRole.THUMBNAIL_STATE) == ThumbState.NONE

    # Dragging over a card highlights that card, and only while over it.
    enter = drag_enter(viewport, file_mime([photo]), ana_card.center())
    assert enter.isAccepted()
    assert area.grid.drop_row == area.model.row_of(ana.id)

    result = drop_files(viewport, [photo], ana_card.center())
    assert result.dropped
    assert area.grid.drop_row is None
    qtbot.waitUntil(
        lambda: app.services.store.queries.profile(ana.id).reference_image_path is not None
    )
    row = area.model.row_of(ana.id)
    qtbot.waitUntil(
        lambda: area.model.index(row).data(ProfileRole.THUMBNAIL_STATE) == ThumbState.READY
    )
    thumbnail = area.model.index(row).data(ProfileRole.THUMBNAIL)
    assert thumbnail.width() > 0 and thumbnail.height() > 0
    saved = app.services.store.queries.profile(ana.id)
    assert saved.reference_image_path.startswith(f"{app.services.store.user_id}/profiles/{ana.id}/")
    assert app.services.profiles.reference_file(saved) is not None
    assert app.services.store.queries.profile(bea.id).reference_image_path is None
    # The operation says so when it completes, which may come after the thumbnail.
    qtbot.waitUntil(lambda: "ana reference.jpg" in app.window.message_bar.text())

    # A second image replaces it; undo puts the first one back.
    second = portrait(tmp_path / "second.png", (40, 90, 160), fmt="PNG")
    drop_files(viewport, [second], ana_card.center())
    qtbot.waitUntil(lambda: area.undo_stack.count() == 2)
    assert app.services.store.queries.profile(ana.id).reference_image_path.endswith(".png")
    app.window.action_undo.trigger()
    qtbot.waitUntil(
        lambda: (app.services.store.queries.profile(ana.id).reference_image_path or "").endswith(
            ".jpg"
        )
    )

    # Dropping on the empty space between cards sets nothing and says where to drop.
    empty_spot = QPoint(viewport.width() - 5, viewport.height() - 5)
    assert not area.grid.indexAt(empty_spot).isValid()
    drop_files(viewport, [photo], empty_spot)
    assert "on a profile card" in app.window.message_bar.text()
    assert app.services.store.queries.profile(bea.id).reference_image_path is None


def test_the_search_field_shows_the_cards_the_screen_keeps(qtbot, app: App) -> None:
    area = app.profiles_area
    ana = create(qtbot, app, "Ana Sousa", gender="female", region="Southern Europe")
    create(qtbot, app, "Kenji Mori", gender="male", region="East Asia")
    create(qtbot, app, "Lena Berg", gender="female", region="Northern Europe")
    assert area.proxy.rowCount() == 3
    qtbot.keyClicks(area.search, "female south")
    assert area.screen.search == "female south"
    assert area.proxy.rowCount() == 1
    assert area.proxy.index(0, 0).data(ProfileRole.PROFILE).id == ana.id
    # A profile renamed elsewhere into the search shows up without retyping.
    kenji = next(p for p in stored(app) if p.name == "Kenji Mori")
    await_on_loop(
        qtbot, app.services.profiles.update(kenji.id, region="Southern Europe", gender="female")
    )
    qtbot.waitUntil(lambda: area.proxy.rowCount() == 2)
    area.search.clear()
    assert area.proxy.rowCount() == 3
