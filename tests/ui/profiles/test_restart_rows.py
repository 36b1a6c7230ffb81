"""Issue 14's last weak spots of the garment rows, through the real panel across a restart:

- a product pack sent to the studio's engine, rendering when the app quits, comes back with no
  account signed in: its row waits like a try-on (says why, Cancel, no bar, queued in the
  store), and signed in again it finishes on the same server operation;
- every row names its profile from the moment it is shown ("Product pack · Ana"), never just
  "Try-on" or "Product pack" while the profile list is still being read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget

from studio_desktop.domain.enums import JobStatus
from studio_desktop.engine.remote import RemoteEngine
from studio_desktop.engine.remote_api import GenerationApiClient, RetryPolicy
from studio_desktop.services.jobs import WAITING_FOR_SIGN_IN
from studio_desktop.store.locations import DataDirs
from studio_desktop.ui.areas import AreaKey
from tests.stack.fake_generation_api import FakeGenerationApi
from tests.ui.conftest import drop_files
from tests.ui.profiles.helpers import App, await_on_loop, close_app, open_app
from tests.ui.profiles.test_garments import garment_photos
from tests.ui.test_screenshots import assert_has_content, assert_text_fits

pytestmark = pytest.mark.gui
TOKEN = "designer-token"


@pytest.fixture
def slow_api() -> Iterator[FakeGenerationApi]:
    """Operations that run until the test lets them finish."""
    api = FakeGenerationApi(steps=100_000, poll_after_ms=20).start()
    try:
        yield api
    finally:
        api.stop()


def signed_in(app: App, api: FakeGenerationApi) -> GenerationApiClient:
    """The studio's engine, chosen in Settings for new jobs (as a sign-in gives it)."""
    api.grant(TOKEN, app.services.store.user_id)
    client = GenerationApiClient(api.base_url, lambda: TOKEN, retry=RetryPolicy(attempts=2))
    app.services.set_remote_engine(RemoteEngine(client), preferred=True)
    return client


def test_a_studio_pack_waits_after_a_restart_signed_out_and_rows_name_their_profile(
    qtbot,
    *,
    data_dirs: DataDirs,
    slow_api: FakeGenerationApi,
    scheme: str,
    screenshot: Callable[[QWidget, str], Path],
    tmp_path: Path,
) -> None:
    app = open_app(qtbot, data_dirs)
    app.window.set_current_area(AreaKey.PROFILES)
    ana = await_on_loop(qtbot, app.services.profiles.create("Ana", background="grey sweep"))
    slow_api.add_profile(app.services.store.user_id, ana.name, profile_id=ana.id)
    client = signed_in(app, slow_api)
    panel = app.profiles_area.garments
    qtbot.waitUntil(lambda: panel.profile_combo.findData(ana.id) >= 0)
    front, _back = garment_photos(tmp_path)
    assert drop_files(panel.slots["front"], [front]).dropped
    qtbot.waitUntil(lambda: panel.slots["front"].has_cutout, timeout=30_000)
    panel.choose_profile(ana.id)
    panel.build_button.click()
    qtbot.waitUntil(lambda: bool(getattr(panel.model.line("pack"), "job_id", "")), timeout=10_000)
    pack_id = panel.model.line("pack").job_id
    # The server renders it (its operation is known to the job).
    qtbot.waitUntil(lambda: (panel.model.line("pack").progress or 0) > 0, timeout=10_000)
    close_app(qtbot, app)
    await_on_loop(qtbot, client.aclose())
    app.window.close()

    # Next start, nobody signed in.
    app = open_app(qtbot, data_dirs)
    app.window.set_current_area(AreaKey.PROFILES)
    panel = app.profiles_area.garments
    titles: list[str] = []
    panel.model.lines_changed.connect(lambda lines: titles.extend(x.title for x in lines))
    qtbot.waitUntil(lambda: panel.row("pack") is not None, timeout=10_000)
    row = panel.row("pack")
    assert row.title.text() == "Product pack · Ana"  # named from the start
    qtbot.waitUntil(lambda: row.status.text() == WAITING_FOR_SIGN_IN, timeout=10_000)
    assert row.cancel_button.isVisible() and row.progress.isHidden()
    assert titles and set(titles) == {"Product pack · Ana"}
    job = await_on_loop(qtbot, app.services.history.job(pack_id)).job
    assert job.status == JobStatus.QUEUED and job.error is None
    qtbot.wait(300)  # nothing fails it meanwhile
    assert row.status.text() == WAITING_FOR_SIGN_IN
    assert_text_fits(panel)
    assert_has_content(screenshot(app.window, "garments-pack-waits-signed-out"))

    # Signed in again: the same server operation is polled and the pack ends with its images.
    client = signed_in(app, slow_api)
    try:
        qtbot.waitUntil(row.progress.isVisible, timeout=10_000)
        for operation in slow_api.operations.values():
            operation.steps = operation.step + 2
        qtbot.waitUntil(row.history_button.isVisible, timeout=30_000)
        assert row.title.text() == "Product pack · Ana"
        assert row.status.text().startswith("Ready: ")
    finally:
        close_app(qtbot, app)
        await_on_loop(qtbot, client.aclose())
    assert len(slow_api.operations) == 1  # the same operation: nothing rendered twice
