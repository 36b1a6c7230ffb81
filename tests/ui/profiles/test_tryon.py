"""Try-on through the real app, end to end, against the fake generation API.

A designer drops a garment photo (its cutout is made by the local engine), chooses a profile and
clicks "Try on" beside "Build product pack" (or picks "Try on the garment" on a profile card).
With no studio engine (local workspace, no account, no network) the job is in the history at
once, queued, saying "Waiting for the studio's engine: sign in to run it";
it can be canceled like any job, and it is still there, waiting, after a restart. When the
studio's engine is there (what signing in with the API's address set does), it runs with
progress, its image shows in the panel and in the history, and it opens in Magic Canvas.
Screenshots of the panel and the history row in both palettes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMenu, QWidget

from studio_desktop.domain.enums import JobStatus, JobType
from studio_desktop.domain.models import Profile
from studio_desktop.engine.remote import RemoteEngine
from studio_desktop.engine.remote_api import GenerationApiClient, RetryPolicy
from studio_desktop.services.garments_screen import CANCELED_TEXT
from studio_desktop.services.jobs import WAITING_FOR_SIGN_IN
from studio_desktop.store.locations import DataDirs
from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.garments.panel import GarmentPanel, JobRow
from studio_desktop.ui.history.roles import Role
from studio_desktop.ui.history.thumbnails import ThumbState
from tests.gates import Gate
from tests.stack.fake_generation_api import FakeGenerationApi
from tests.ui.conftest import drop_files
from tests.ui.profiles.helpers import App, await_on_loop, close_app, open_app
from tests.ui.profiles.test_garments import garment_photos
from tests.ui.test_screenshots import assert_has_content, assert_text_fits

pytestmark = pytest.mark.gui

TOKEN = "designer-token"
Shot = Callable[[QWidget, str], Path]


@pytest.fixture
def fake_api() -> Iterator[FakeGenerationApi]:
    api = FakeGenerationApi(steps=4, poll_after_ms=20).start()
    try:
        yield api
    finally:
        api.stop()


def sign_in_engine(app: App, api: FakeGenerationApi) -> GenerationApiClient:
    """What a sign-in with the API's address set gives the open workspace: the studio's engine
    (new jobs keep preferring the engine chosen in Settings)."""
    api.grant(TOKEN, app.services.store.user_id)
    client = GenerationApiClient(api.base_url, lambda: TOKEN, retry=RetryPolicy(attempts=2))
    app.services.set_remote_engine(RemoteEngine(client), preferred=False)
    return client


def history_row(app: App, job_id: str) -> int:
    model = app.window.area(AreaKey.HISTORY).model
    for row in range(model.rowCount()):
        if model.index(row, 0).data(Role.JOB).id == job_id:
            return row
    return -1


def history_data(app: App, job_id: str, role: Role) -> object:
    model = app.window.area(AreaKey.HISTORY).model
    return model.index(history_row(app, job_id), 0).data(role)


TRYON_READY = "Ready: 1 image in History; open it in Magic Canvas to edit."


def row_text(panel: GarmentPanel, kind: str) -> str:
    """The sentence of the panel's pack or try-on row ("" when there is none)."""
    row = panel.row(kind)
    return row.status.text() if row is not None else ""


def tryon_row(panel: GarmentPanel) -> JobRow:
    row = panel.row("tryon")
    assert row is not None
    return row


def card_menu(app: App, profile: Profile) -> QMenu:
    """A profile card's context menu, as a right-click on the card builds it."""
    app.profiles_area.select_profile(profile.id)
    return app.profiles_area.card_menu(profile)


def test_tryon_waits_for_the_studios_engine_survives_a_restart_and_runs_when_signed_in(
    qtbot,
    *,
    data_dirs: DataDirs,
    fake_api: FakeGenerationApi,
    scheme: str,
    screenshot: Shot,
    tmp_path: Path,
) -> None:
    app = open_app(qtbot, data_dirs)
    app.window.set_current_area(AreaKey.PROFILES)
    services = app.services
    ana = await_on_loop(qtbot, services.profiles.create("Ana", background="warm beige sweep"))
    mia = await_on_loop(qtbot, services.profiles.create("Mia"))
    # The server knows both (the sync pushed them): same ids in the studio's profiles table.
    for profile in (ana, mia):
        fake_api.add_profile(services.store.user_id, profile.name, profile_id=profile.id)
    panel = app.profiles_area.garments
    qtbot.waitUntil(lambda: panel.profile_combo.findData(ana.id) >= 0)
    assert not panel.tryon_button.isEnabled()
    assert "Drop a photo" in panel.tryon_button.toolTip()

    # No photo yet: the card's menu offers the try-on, disabled, and says why.
    menu = card_menu(app, ana)
    action = next(a for a in menu.actions() if a.text() == "Try on the garment")
    assert not action.isEnabled() and "Drop a photo" in action.toolTip()
    menu.deleteLater()

    front, _back = garment_photos(tmp_path)
    assert drop_files(panel.slots["front"], [front]).dropped
    qtbot.waitUntil(lambda: panel.slots["front"].has_cutout, timeout=30_000)
    panel.choose_profile(None)
    assert not panel.tryon_button.isEnabled()
    assert "Choose a profile" in panel.tryon_button.toolTip()
    panel.choose_profile(ana.id)
    assert panel.tryon_button.isEnabled()

    # Try on, with no studio engine: queued at once, waiting, readable, nothing sent.
    panel.tryon_button.click()
    qtbot.waitUntil(lambda: panel.tryon_job_id is not None, timeout=10_000)
    job_id = panel.tryon_job_id
    qtbot.waitUntil(lambda: row_text(panel, "tryon") == WAITING_FOR_SIGN_IN, timeout=10_000)
    assert tryon_row(panel).cancel_button.isVisible() and not panel.tryon_button.isEnabled()
    qtbot.waitUntil(lambda: tryon_row(panel).title.text() == "Try-on · Ana", timeout=10_000)
    assert "already being tried on Ana" in panel.tryon_button.toolTip()
    assert tryon_row(panel).title.text() == "Try-on · Ana"
    assert tryon_row(panel).progress.isHidden()  # waiting: the sentence says why, no bar
    job = await_on_loop(qtbot, services.history.job(job_id)).job
    assert (job.type, job.status) == (JobType.TRYON_IMAGE.value, JobStatus.QUEUED)
    assert job.input_json["profileId"] == ana.id and job.input_json["engine"] == "remote"
    assert fake_api.requests_to("POST", "/api/generate-image") == []
    assert_text_fits(panel)
    assert_has_content(screenshot(panel, "garments-tryon-waiting"))

    app.window.set_current_area(AreaKey.HISTORY)
    history = app.window.area(AreaKey.HISTORY)
    qtbot.waitUntil(lambda: history_row(app, job_id) >= 0, timeout=10_000)
    assert history_data(app, job_id, Role.PROGRESS_MESSAGE) == WAITING_FOR_SIGN_IN
    assert_has_content(screenshot(history, "history-tryon-waiting"))

    # A second try-on from Mia's card, canceled while it waits.
    app.window.set_current_area(AreaKey.PROFILES)
    tryon_row(panel).cancel_button.click()
    qtbot.waitUntil(lambda: row_text(panel, "tryon") == CANCELED_TEXT, timeout=10_000)
    assert panel.tryon_job_id is None and not tryon_row(panel).cancel_button.isVisible()
    canceled = await_on_loop(qtbot, services.history.job(job_id)).job
    assert canceled.status == JobStatus.CANCELED
    menu = card_menu(app, mia)
    action = next(a for a in menu.actions() if a.text() == "Try on the garment")
    assert action.isEnabled()
    action.trigger()
    menu.deleteLater()
    qtbot.waitUntil(lambda: panel.tryon_job_id is not None, timeout=10_000)
    waiting_id = panel.tryon_job_id
    assert panel.profile_combo.currentData() == mia.id
    qtbot.waitUntil(lambda: row_text(panel, "tryon") == WAITING_FOR_SIGN_IN, timeout=10_000)

    # Restart: the waiting try-on is still there, still waiting.
    close_app(qtbot, app)
    app.window.close()
    app = open_app(qtbot, data_dirs)
    app.window.set_current_area(AreaKey.HISTORY)
    qtbot.waitUntil(lambda: history_row(app, waiting_id) >= 0, timeout=10_000)
    qtbot.waitUntil(
        lambda: history_data(app, waiting_id, Role.PROGRESS_MESSAGE) == WAITING_FOR_SIGN_IN,
        timeout=10_000,
    )
    assert history_data(app, waiting_id, Role.STATUS) == JobStatus.QUEUED
    assert fake_api.requests_to("POST", "/api/generate-image") == []
    # The garment panel shows it again too, waiting, with its cancel.
    panel = app.profiles_area.garments
    qtbot.waitUntil(lambda: panel.tryon_job_id == waiting_id, timeout=10_000)
    qtbot.waitUntil(lambda: row_text(panel, "tryon") == WAITING_FOR_SIGN_IN, timeout=10_000)
    assert not tryon_row(panel).cancel_button.isHidden() and tryon_row(panel).progress.isHidden()
    qtbot.waitUntil(lambda: tryon_row(panel).title.text() == "Try-on · Mia", timeout=10_000)
    # Mia's waits: the same garment on her again is refused, saying so; Ana is free.
    panel.choose_profile(mia.id)
    assert not panel.tryon_button.isEnabled()
    assert panel.tryon_button.toolTip() == (
        "This garment is already being tried on Mia: see its row below"
    )
    panel.choose_profile(ana.id)
    assert panel.tryon_button.isEnabled()
    panel.choose_profile(mia.id)

    # Signed in and online: it runs, with progress, and its image is in the history.
    progress: list[float] = []
    app.services.jobs.job_progress.connect(
        lambda p: progress.append(p.fraction) if p.job_id == waiting_id else None
    )
    client = sign_in_engine(app, fake_api)
    try:
        qtbot.waitUntil(
            lambda: history_data(app, waiting_id, Role.STATUS) == JobStatus.SUCCEEDED,
            timeout=30_000,
        )
        assert progress and max(progress) == 1.0 and 0 < min(p for p in progress if p > 0) < 1
        qtbot.waitUntil(lambda: row_text(panel, "tryon") == TRYON_READY, timeout=10_000)
        row = tryon_row(panel)
        qtbot.waitUntil(lambda: row.result_count() == 1, timeout=10_000)
        assert row.cancel_button.isHidden() and panel.tryon_job_id is None
        assert not row.history_button.isHidden() and not row.canvas_button.isHidden()
        sent = fake_api.requests_to("POST", "/api/generate-image")
        assert len(sent) == 1 and sent[0].json["jobId"] == waiting_id
        assert sent[0].json["profileId"] == mia.id and sent[0].json["type"] == "tryon"
        detail = await_on_loop(qtbot, app.services.history.job(waiting_id))
        assert len(detail.outputs) == 1 and detail.outputs[0].local_path is not None
        history = app.window.area(AreaKey.HISTORY)
        output = detail.outputs[0].output
        px = history.model.device_pixels
        qtbot.waitUntil(
            lambda: history.loader.get(output, px).state is ThumbState.READY, timeout=20_000
        )
        assert_has_content(screenshot(history, "history-tryon-done"))

        # Its row's "Show in History" selects it there; "Open in Canvas" opens it in Magic
        # Canvas: a creation whose image is the try-on's output, shown by the canvas.
        app.window.set_current_area(AreaKey.PROFILES)
        row.history_button.click()
        assert app.window.current_area_key is AreaKey.HISTORY
        qtbot.waitUntil(lambda: history.selected_job_ids() == [waiting_id], timeout=10_000)
        app.window.set_current_area(AreaKey.PROFILES)
        canvas = app.window.area(AreaKey.CANVAS)
        with qtbot.waitSignal(canvas.creation_opened, timeout=20_000) as opened:
            row.canvas_button.click()
        thread_id = opened.args[0]
        qtbot.waitUntil(lambda: app.window.current_area_key is AreaKey.CANVAS, timeout=20_000)
        view = await_on_loop(qtbot, app.services.canvas.open_creation(thread_id))
        assert [a.asset.current_storage_path for a in view.assets] == [output.storage_path]
    finally:
        await_on_loop(qtbot, client.aclose())


def test_canceling_a_tryon_on_the_panel_cancels_the_operation_on_the_studios_engine(
    qtbot, *, data_dirs: DataDirs, tmp_path: Path
) -> None:
    """Cancel through the panel while the studio's engine renders: the job ends canceled here
    and the operation is canceled on the server (the contract's cancel), nothing is kept."""
    api = FakeGenerationApi(steps=500, poll_after_ms=20).start()
    app = open_app(qtbot, data_dirs)
    client = sign_in_engine(app, api)
    try:
        app.window.set_current_area(AreaKey.PROFILES)
        services = app.services
        ana = await_on_loop(qtbot, services.profiles.create("Ana"))
        api.add_profile(services.store.user_id, "Ana", profile_id=ana.id)
        panel = app.profiles_area.garments
        qtbot.waitUntil(lambda: panel.profile_combo.findData(ana.id) >= 0)
        front, _back = garment_photos(tmp_path)
        assert drop_files(panel.slots["front"], [front]).dropped
        qtbot.waitUntil(lambda: panel.slots["front"].has_cutout, timeout=30_000)
        panel.choose_profile(ana.id)
        panel.tryon_button.click()
        qtbot.waitUntil(lambda: bool(api.requests_to("GET", "/api/operations/")), timeout=20_000)
        rendering = "Rendering, step"
        qtbot.waitUntil(lambda: row_text(panel, "tryon").startswith(rendering), timeout=10_000)
        row = tryon_row(panel)
        assert row.progress.isVisible() and 0 < row.progress.value() < 100
        job_id = panel.tryon_job_id
        assert job_id is not None and row.cancel_button.isVisible()
        row.cancel_button.click()
        qtbot.waitUntil(lambda: row_text(panel, "tryon") == CANCELED_TEXT, timeout=20_000)
        assert not row.progress.isVisible() and not row.cancel_button.isVisible()
        assert panel.tryon_button.isEnabled()
        (operation,) = api.operations.values()
        assert operation.status == "canceled" and operation.cancel_requests == 1
        job = await_on_loop(qtbot, services.history.job(job_id)).job
        assert job.status == JobStatus.CANCELED
        assert job.provider_operation_id == operation.id
        assert not await_on_loop(qtbot, services.history.job(job_id)).outputs
    finally:
        await_on_loop(qtbot, client.aclose())
        api.stop()


def test_a_waiting_tryon_and_a_running_pack_each_keep_their_own_row(
    qtbot, *, data_dirs: DataDirs, scheme: str, screenshot: Shot, tmp_path: Path
) -> None:
    """Weak spot of issue 14: a waiting try-on's sentence was replaced by a pack's progress.
    At 1024×640, a try-on waits (local workspace: no studio engine) while a pack runs: each has
    its own row with its own sentence, bar and Cancel; the finished pack shows its images and
    where they are; canceling the try-on leaves the pack's row alone."""
    app = open_app(qtbot, data_dirs)
    app.window.resize(1024, 640)
    app.window.set_current_area(AreaKey.PROFILES)
    services = app.services
    ana = await_on_loop(qtbot, services.profiles.create("Ana", background="warm beige sweep"))
    panel = app.profiles_area.garments
    qtbot.waitUntil(lambda: panel.profile_combo.findData(ana.id) >= 0)
    front, _back = garment_photos(tmp_path)
    assert drop_files(panel.slots["front"], [front]).dropped
    qtbot.waitUntil(lambda: panel.slots["front"].has_cutout, timeout=30_000)
    panel.choose_profile(ana.id)
    panel.tryon_button.click()
    qtbot.waitUntil(lambda: row_text(panel, "tryon") == WAITING_FOR_SIGN_IN, timeout=10_000)
    tryon = tryon_row(panel)

    gate = Gate("render")  # the pack is held while it lays out its images
    services.jobs.step_hook = gate
    try:
        panel.build_button.click()
        qtbot.waitUntil(gate.reached.is_set, timeout=20_000)
        pack = panel.row("pack")
        assert pack is not None
        qtbot.waitUntil(lambda: pack.status.text().startswith("Laying out"), timeout=10_000)
        assert pack.title.text() == "Product pack · Ana"
        assert pack.progress.isVisible() and pack.progress.value() == 60
        assert pack.cancel_button.isVisible()
        # The try-on's row is untouched: its sentence, no bar, its Cancel.
        assert tryon.status.text() == WAITING_FOR_SIGN_IN and tryon.title.text() == "Try-on · Ana"
        assert tryon.progress.isHidden() and tryon.cancel_button.isVisible()
        assert panel.lines_box.indexOf(tryon) == 0 and panel.lines_box.indexOf(pack) == 1
        assert_text_fits(app.window)
        assert_has_content(screenshot(app.window, "garments-tryon-waiting-pack-running-1024"))
    finally:
        gate.release.set()
        services.jobs.step_hook = None

    qtbot.waitUntil(lambda: pack.result_count() == 2, timeout=60_000)
    assert pack.status.text() == "Ready: 2 images in History; open them in Magic Canvas to edit."
    assert pack.history_button.isVisible() and pack.canvas_button.isVisible()
    assert pack.progress.isHidden() and pack.cancel_button.isHidden()
    assert tryon.status.text() == WAITING_FOR_SIGN_IN and tryon.cancel_button.isVisible()
    # At 1024×640 the panel scrolls (the window does not grow), to the row that just ended.
    assert app.window.height() == 640
    scroll = app.profiles_area.garments_scroll
    qtbot.waitUntil(
        lambda: (
            scroll.viewport()
            .rect()
            .contains(pack.mapTo(scroll.viewport(), pack.rect().bottomLeft()))
        ),
        timeout=5_000,
    )
    assert_text_fits(app.window)
    assert_has_content(screenshot(app.window, "garments-pack-done-tryon-waiting-1024"))
    assert_has_content(screenshot(panel, "garments-pack-done-tryon-waiting-panel"))

    # Canceling the try-on from its row leaves the pack's row as it was.
    tryon.cancel_button.click()
    qtbot.waitUntil(lambda: tryon.status.text() == CANCELED_TEXT, timeout=10_000)
    assert pack.status.text().startswith("Ready: 2 images") and pack.result_count() == 2
    assert tryon.dismiss_button.isVisible() and tryon.cancel_button.isHidden()
    tryon.dismiss_button.click()  # hidden here; still in History
    qtbot.waitUntil(lambda: panel.row("tryon") is None, timeout=5_000)
    assert panel.row("pack") is pack

    # The pack's "Open in Canvas": its two images in a creation in Magic Canvas.
    canvas = app.window.area(AreaKey.CANVAS)
    with qtbot.waitSignal(canvas.creation_opened, timeout=20_000) as opened:
        pack.canvas_button.click()
    qtbot.waitUntil(lambda: app.window.current_area_key is AreaKey.CANVAS, timeout=20_000)
    view = await_on_loop(qtbot, services.canvas.open_creation(opened.args[0]))
    assert len(view.assets) == 2
    close_app(qtbot, app)


def test_a_pack_is_canceled_from_its_row(qtbot, *, data_dirs: DataDirs, tmp_path: Path) -> None:
    """A pack has its own Cancel, like every job: clicked mid-way, the pack ends canceled
    (in History as canceled, no images), its row says so, and a new pack can start."""
    app = open_app(qtbot, data_dirs)
    app.window.set_current_area(AreaKey.PROFILES)
    services = app.services
    panel = app.profiles_area.garments
    front, _back = garment_photos(tmp_path)
    assert drop_files(panel.slots["front"], [front]).dropped
    qtbot.waitUntil(lambda: panel.slots["front"].has_cutout, timeout=30_000)
    gate = Gate("render")
    services.jobs.step_hook = gate
    try:
        panel.build_button.click()
        qtbot.waitUntil(gate.reached.is_set, timeout=20_000)
        row = panel.row("pack")
        assert row is not None
        qtbot.waitUntil(row.cancel_button.isVisible, timeout=10_000)
        job_id = panel.pack_job_id
        assert job_id is not None and not panel.build_button.isEnabled()
        row.cancel_button.click()
        qtbot.waitUntil(lambda: row.status.text() == "Canceling the pack…", timeout=5_000)
    finally:
        gate.release.set()
        services.jobs.step_hook = None
    qtbot.waitUntil(lambda: row.status.text() == CANCELED_TEXT, timeout=20_000)
    assert row.cancel_button.isHidden() and row.history_button.isHidden()
    assert row.result_count() == 0 and row.dismiss_button.isVisible()
    detail = await_on_loop(qtbot, services.history.job(job_id))
    assert detail.job.status == JobStatus.CANCELED and not detail.outputs
    assert panel.build_button.isEnabled()
    close_app(qtbot, app)
