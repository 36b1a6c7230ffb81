"""Typed navigation through the real composition (window, account service, controller) over a
real local workspace: a paste in Profiles goes where the designer chose, Edit ▸ Paste reaches
the Canvas's own paste, an import lands in the Canvas, and a request for a screen that is being
replaced does nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication, QImage

from studio_desktop.store.locations import DataDirs
from studio_desktop.ui.app_controller import closing_factory
from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.canvas.area import CanvasArea
from studio_desktop.ui.navigation import ScreenNavigator
from studio_desktop.ui.profiles.model import ProfileRole, ThumbState
from tests.ui.profiles.helpers import App, app_fixture, await_on_loop, portrait

pytestmark = pytest.mark.gui


@pytest.fixture
def app(qtbot, data_dirs: DataDirs) -> Iterator[App]:
    yield from app_fixture(qtbot, data_dirs)


def canvas_of(app: App) -> CanvasArea:
    canvas = app.window.area(AreaKey.CANVAS)
    assert isinstance(canvas, CanvasArea)
    return canvas


def copy_image(path: Path) -> None:
    image = QImage(str(path))
    assert not image.isNull()
    QGuiApplication.clipboard().setImage(image)


def test_the_window_and_the_controller_share_one_navigator(app: App) -> None:
    assert isinstance(app.window.navigator, ScreenNavigator)
    assert app.profiles_area.navigator is app.window.navigator
    assert canvas_of(app).navigator is app.window.navigator


@pytest.mark.qt_log_ignore("does not support grabbing the keyboard")  # (offscreen menus)
def test_a_paste_in_profiles_goes_where_the_designer_chose(qtbot, app: App, tmp_path: Path) -> None:
    window, area = app.window, app.profiles_area
    ana = await_on_loop(qtbot, app.services.profiles.create("Ana"))
    qtbot.waitUntil(lambda: area.model.row_of(ana.id) is not None)
    assert area.select_profile(ana.id)
    assert area.screen.selected is not None and area.screen.selected.id == ana.id

    copy_image(portrait(tmp_path / "ana.jpg", (176, 96, 72)))
    window.update_paste_action()
    assert window.action_paste.isEnabled()
    window.action_paste.trigger()
    menu = area.paste_menu
    assert menu is not None and menu.isVisible()
    assert [a.data() for a in menu.actions()] == ["cutout", "canvas", "reference"]

    # "Set profile reference": the selected profile gets it, and its card shows it.
    menu.actions()[2].trigger()
    menu.close()
    qtbot.waitUntil(
        lambda: app.services.store.queries.profile(ana.id).reference_image_path is not None,
        timeout=20_000,
    )
    row = area.model.row_of(ana.id)
    assert row is not None
    qtbot.waitUntil(
        lambda: area.model.index(row).data(ProfileRole.THUMBNAIL_STATE) == ThumbState.READY,
        timeout=20_000,
    )
    assert window.current_area_key is AreaKey.PROFILES

    # "Edit in Magic Canvas": a new creation, opened in the Canvas.
    window.action_paste.trigger()
    menu = area.paste_menu
    assert menu is not None
    canvas = canvas_of(app)
    with qtbot.waitSignal(canvas.creation_opened, timeout=20_000) as opened:
        menu.actions()[1].trigger()
        menu.close()
    assert window.current_area_key is AreaKey.CANVAS
    threads = app.services.store.db.query("SELECT id FROM canvas_threads")
    assert [r["id"] for r in threads] == [opened.args[0]]


def test_edit_paste_on_the_canvas_is_the_canvas_own_paste(qtbot, app: App, tmp_path: Path) -> None:
    window = app.window
    window.set_current_area(AreaKey.CANVAS)
    canvas = canvas_of(app)
    QGuiApplication.clipboard().setText("only words")
    window.update_paste_action()
    assert not window.action_paste.isEnabled()
    assert "no image" in window.action_paste.toolTip()

    copy_image(portrait(tmp_path / "look.png", (40, 130, 110), fmt="PNG"))
    window.update_paste_action()
    assert window.action_paste.isEnabled()
    with qtbot.waitSignal(canvas.creation_opened, timeout=20_000) as opened:
        window.action_paste.trigger()
    assert canvas.current_thread_id == opened.args[0]


def test_an_import_lands_in_the_canvas(qtbot, app: App, tmp_path: Path) -> None:
    photo = portrait(tmp_path / "street look.jpg", (60, 80, 120))
    canvas = canvas_of(app)
    with qtbot.waitSignal(canvas.creation_opened, timeout=20_000) as opened:
        app.window.import_requested.emit([photo])
    assert app.window.current_area_key is AreaKey.CANVAS
    assert canvas.current_thread_id == opened.args[0]
    qtbot.waitUntil(lambda: "street look" in app.window.message_bar.text(), timeout=10_000)


def test_a_screen_being_replaced_is_not_reached(qtbot, app: App) -> None:
    window = app.window
    window.set_current_area(AreaKey.PROFILES)
    # While a workspace closes, every area is a plain "Opening the workspace…" page.
    for key in AreaKey:
        window.replace_area(key, closing_factory(key)())
    navigator = window.navigator
    assert navigator.open_creation("a-thread-id") is False
    assert navigator.reveal_job("a-job-id") is False
    assert navigator.take_reference([Path("photo.png")]) is False
    assert navigator.cut_out_garments([Path("photo.png")]) is False
    assert window.current_area_key is AreaKey.PROFILES  # nothing moved
