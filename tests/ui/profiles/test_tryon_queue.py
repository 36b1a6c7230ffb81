"""Several try-ons and a pack at once in the garment panel, through the real widgets.

Walkthrough of issue 14: while one try-on waited (for a sign-in, a profile's sync), "Try on"
was disabled for every profile and garment ("A try-on is under way"). A designer queues the
same garment on three profiles, then builds a pack: four rows, each with its own title,
sentence, progress and Cancel; a second copy of one still under way is refused with a tooltip
saying so (panel button and profile card menu); at 1024×640 the panel scrolls and every row's
buttons can be reached and clicked; each job ends on its own (a cancel, then the studio's engine
runs the others), finished rows offer Show in History and Open in Canvas and are dismissed one
by one or with "Clear finished"; after a restart every waiting try-on is a row again. The
studio's engine is the fake generation API, as in ``test_tryon.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QScrollArea, QWidget

from studio_desktop.domain.enums import JobStatus
from studio_desktop.domain.models import Profile
from studio_desktop.services.garments_screen import CANCELED_TEXT
from studio_desktop.services.jobs import WAITING_FOR_SIGN_IN
from studio_desktop.store.locations import DataDirs
from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.garments.panel import GarmentPanel, JobRow
from tests.stack.fake_generation_api import FakeGenerationApi
from tests.ui.conftest import drop_files
from tests.ui.profiles.helpers import App, await_on_loop, close_app, open_app
from tests.ui.profiles.test_garments import garment_photos
from tests.ui.profiles.test_tryon import TRYON_READY, card_menu, sign_in_engine
from tests.ui.test_screenshots import assert_has_content, assert_text_fits

pytestmark = pytest.mark.gui

Shot = Callable[[QWidget, str], Path]
NAMES = ("Ana", "Mia", "Lena")
PACK_READY = "Ready: 2 images in History; open them in Magic Canvas to edit."


@pytest.fixture
def fake_api() -> Iterator[FakeGenerationApi]:
    api = FakeGenerationApi(steps=4, poll_after_ms=20).start()
    try:
        yield api
    finally:
        api.stop()


def texts(panel: GarmentPanel) -> list[str]:
    return [row.status.text() for row in panel.rows()]


def titles(panel: GarmentPanel) -> list[str]:
    return [row.title.text() for row in panel.rows()]


def by_title(panel: GarmentPanel, title: str) -> JobRow:
    (row,) = [row for row in panel.rows() if row.title.text() == title]
    return row


def shown_in(scroll: QScrollArea, widget: QWidget) -> bool:
    """Whether ``widget`` is whole inside the scroll area's viewport (can be seen and clicked)."""
    viewport = scroll.viewport()
    rect = QRect(widget.mapTo(viewport, QPoint(0, 0)), widget.size())
    return viewport.rect().contains(rect)


def click_in_view(qtbot, scroll: QScrollArea, button: QWidget) -> None:
    """Scroll to ``button`` as a designer would, then click it where it is on screen."""
    scroll.ensureWidgetVisible(button, 0, 12)
    qtbot.waitUntil(lambda: shown_in(scroll, button), timeout=5_000)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def prepared(
    qtbot, data_dirs: DataDirs, api: FakeGenerationApi, tmp_path: Path
) -> tuple[App, GarmentPanel, list[Profile]]:
    """The app at 1024×640 on Profiles, three profiles (known to the studio too), the
    garment's front cut out."""
    app = open_app(qtbot, data_dirs)
    app.window.resize(1024, 640)
    app.window.set_current_area(AreaKey.PROFILES)
    services = app.services
    profiles = [await_on_loop(qtbot, services.profiles.create(name)) for name in NAMES]
    for profile in profiles:
        api.add_profile(services.store.user_id, profile.name, profile_id=profile.id)
    panel = app.profiles_area.garments
    qtbot.waitUntil(lambda: all(panel.profile_combo.findData(p.id) >= 0 for p in profiles))
    front, _back = garment_photos(tmp_path)
    assert drop_files(panel.slots["front"], [front]).dropped
    qtbot.waitUntil(lambda: panel.slots["front"].has_cutout, timeout=30_000)
    return app, panel, profiles


def queue_three(qtbot, panel: GarmentPanel, profiles: list[Profile]) -> None:
    """The same garment tried on each profile in turn, each click while the others wait."""
    for count, profile in enumerate(profiles, start=1):
        panel.choose_profile(profile.id)
        assert panel.tryon_button.isEnabled(), panel.tryon_button.toolTip()
        qtbot.mouseClick(panel.tryon_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda count=count: texts(panel) == [WAITING_FOR_SIGN_IN] * count, timeout=10_000
        )
    qtbot.waitUntil(lambda: titles(panel) == [f"Try-on · {n}" for n in NAMES], timeout=10_000)


def test_three_tryons_and_a_pack_at_once_each_its_own_row_at_1024x640(
    qtbot,
    *,
    data_dirs: DataDirs,
    fake_api: FakeGenerationApi,
    scheme: str,
    screenshot: Shot,
    tmp_path: Path,
) -> None:
    app, panel, profiles = prepared(qtbot, data_dirs, fake_api, tmp_path)
    ana, mia, lena = profiles
    services = app.services
    queue_three(qtbot, panel, profiles)
    rows = panel.rows()
    assert len(rows) == 3 and len({row.line.job_id for row in rows}) == 3  # type: ignore[union-attr]
    for row in rows:
        assert not row.cancel_button.isHidden() and row.progress.isHidden()
        assert row.dismiss_button.isHidden()  # a waiting job cannot be hidden

    # The same garment on Mia again: the button and her card's menu say why not.
    panel.choose_profile(mia.id)
    refusal = "This garment is already being tried on Mia: see its row below"
    assert not panel.tryon_button.isEnabled() and panel.tryon_button.toolTip() == refusal
    menu = card_menu(app, mia)
    action = next(a for a in menu.actions() if a.text() == "Try on the garment")
    assert not action.isEnabled() and action.toolTip() == f"{refusal}."
    menu.deleteLater()

    # Then a pack on no profile (white studio), beside the three waiting try-ons.
    panel.choose_profile(None)
    assert panel.build_button.isEnabled()
    qtbot.mouseClick(panel.build_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(panel.rows()) == 4, timeout=10_000)
    pack = panel.rows()[3]
    qtbot.waitUntil(lambda: pack.result_count() == 2, timeout=60_000)
    assert pack.status.text() == PACK_READY and pack.title.text() == "Product pack · white studio"
    assert texts(panel)[:3] == [WAITING_FOR_SIGN_IN] * 3

    # At 1024×640 the panel scrolls (the window does not grow); every row is reachable.
    assert app.window.height() == 640
    scroll = app.profiles_area.garments_scroll
    assert scroll.verticalScrollBar().maximum() > 0
    for row in panel.rows():
        scroll.ensureWidgetVisible(row, 0, 12)
        qtbot.waitUntil(lambda row=row: shown_in(scroll, row), timeout=5_000)
    qtbot.waitUntil(lambda: assert_text_fits(app.window), timeout=5_000)  # laid out
    assert_has_content(screenshot(app.window, "garments-three-tryons-and-a-pack-1024"))
    assert_has_content(screenshot(panel, "garments-three-tryons-and-a-pack-panel"))

    # Mia's is canceled from its row (scrolled to, clicked on screen): only hers ends.
    mia_row = by_title(panel, "Try-on · Mia")
    click_in_view(qtbot, scroll, mia_row.cancel_button)
    qtbot.waitUntil(lambda: mia_row.status.text() == CANCELED_TEXT, timeout=10_000)
    assert by_title(panel, "Try-on · Ana").status.text() == WAITING_FOR_SIGN_IN
    assert by_title(panel, "Try-on · Lena").status.text() == WAITING_FOR_SIGN_IN
    assert pack.status.text() == PACK_READY
    assert mia_row.cancel_button.isHidden() and not mia_row.dismiss_button.isHidden()
    panel.choose_profile(mia.id)
    assert panel.tryon_button.isEnabled()  # hers ended: she may be tried again

    # Signed in: Ana's and Lena's run on the studio's engine, each its own bar and image.
    client = sign_in_engine(app, fake_api)
    try:
        for name in ("Ana", "Lena"):
            row = by_title(panel, f"Try-on · {name}")
            qtbot.waitUntil(lambda row=row: row.status.text() == TRYON_READY, timeout=30_000)
            qtbot.waitUntil(lambda row=row: row.result_count() == 1, timeout=10_000)
            assert not row.history_button.isHidden() and not row.canvas_button.isHidden()
        assert mia_row.status.text() == CANCELED_TEXT
        sent = fake_api.requests_to("POST", "/api/generate-image")
        assert sorted(r.json["profileId"] for r in sent) == sorted([ana.id, lena.id])
        panel.choose_profile(ana.id)
        qtbot.waitUntil(lambda: assert_text_fits(app.window), timeout=5_000)  # laid out
        assert_has_content(screenshot(app.window, "garments-tryons-ended-1024"))

        # Lena's "Show in History": History, her job selected.
        lena_row = by_title(panel, "Try-on · Lena")
        lena_id = lena_row.line.job_id  # type: ignore[union-attr]
        click_in_view(qtbot, scroll, lena_row.history_button)
        history = app.window.area(AreaKey.HISTORY)
        assert app.window.current_area_key is AreaKey.HISTORY
        qtbot.waitUntil(lambda: history.selected_job_ids() == [lena_id], timeout=10_000)
        # Ana's "Open in Canvas": her image in a creation.
        app.window.set_current_area(AreaKey.PROFILES)
        ana_row = by_title(panel, "Try-on · Ana")
        canvas = app.window.area(AreaKey.CANVAS)
        with qtbot.waitSignal(canvas.creation_opened, timeout=20_000) as opened:
            click_in_view(qtbot, scroll, ana_row.canvas_button)
        view = await_on_loop(qtbot, services.canvas.open_creation(opened.args[0]))
        ana_job = await_on_loop(qtbot, services.history.job(ana_row.line.job_id))  # type: ignore[union-attr]
        assert [a.asset.current_storage_path for a in view.assets] == [
            ana_job.outputs[0].output.storage_path
        ]
    finally:
        await_on_loop(qtbot, client.aclose())

    # Finished rows go: Mia's by its ×, the rest with "Clear finished"; History keeps them.
    app.window.set_current_area(AreaKey.PROFILES)
    click_in_view(qtbot, scroll, mia_row.dismiss_button)
    qtbot.waitUntil(lambda: len(panel.rows()) == 3, timeout=5_000)
    assert titles(panel) == ["Try-on · Ana", "Try-on · Lena", "Product pack · white studio"]
    clear = panel.clear_finished_button
    assert not clear.isHidden()
    click_in_view(qtbot, scroll, clear)
    qtbot.waitUntil(lambda: panel.rows() == [], timeout=5_000)
    assert clear.isHidden()
    statuses = [
        await_on_loop(qtbot, services.history.job(job_id)).job.status
        for job_id in [r.line.job_id for r in rows]  # type: ignore[union-attr]
    ]
    assert statuses == [JobStatus.SUCCEEDED, JobStatus.CANCELED, JobStatus.SUCCEEDED]
    close_app(qtbot, app)


def test_every_waiting_tryon_is_a_row_again_after_a_restart(
    qtbot, *, data_dirs: DataDirs, fake_api: FakeGenerationApi, tmp_path: Path
) -> None:
    app, panel, profiles = prepared(qtbot, data_dirs, fake_api, tmp_path)
    queue_three(qtbot, panel, profiles)
    ids = [row.line.job_id for row in panel.rows()]  # type: ignore[union-attr]
    close_app(qtbot, app)
    app.window.close()

    app = open_app(qtbot, data_dirs)
    app.window.resize(1024, 640)
    app.window.set_current_area(AreaKey.PROFILES)
    panel = app.profiles_area.garments
    qtbot.waitUntil(
        lambda: [r.line.job_id for r in panel.rows()] == ids,  # type: ignore[union-attr]
        timeout=10_000,
    )
    qtbot.waitUntil(lambda: titles(panel) == [f"Try-on · {n}" for n in NAMES], timeout=10_000)
    qtbot.waitUntil(lambda: texts(panel) == [WAITING_FOR_SIGN_IN] * 3, timeout=10_000)
    assert all(not r.cancel_button.isHidden() for r in panel.rows())
    # (the garment photo comes back too; the rows are named before it is read again)
    qtbot.waitUntil(lambda: panel.slots["front"].has_cutout, timeout=10_000)
    # Still no second copy of any of them; each cancels on its own.
    for profile in profiles:
        panel.choose_profile(profile.id)
        assert not panel.tryon_button.isEnabled()
        assert f"already being tried on {profile.name}" in panel.tryon_button.toolTip()
    jobs_before = app.services.store.rows.count("jobs")
    panel.try_on_profile(profiles[1].id)  # (a way round the disabled button): refused, said
    qtbot.waitUntil(
        lambda: "already being tried on Mia" in app.window.message_bar.text(), timeout=5_000
    )
    assert app.services.store.rows.count("jobs") == jobs_before and len(panel.rows()) == 3
    first = panel.rows()[0]
    first.cancel_button.click()
    qtbot.waitUntil(lambda: first.status.text() == CANCELED_TEXT, timeout=10_000)
    assert texts(panel)[1:] == [WAITING_FOR_SIGN_IN] * 2
    assert fake_api.requests_to("POST", "/api/generate-image") == []
    close_app(qtbot, app)
