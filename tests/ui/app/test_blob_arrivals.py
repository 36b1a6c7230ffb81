"""A file the sync downloads reaches the screen that showed it as "not downloaded": the blob
cache announces it after its commit, the controller hands it to the areas, no polling."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio_desktop.domain.models import Profile, new_id
from studio_desktop.store.locations import DataDirs
from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.profiles.model import ProfileRole, ThumbState
from tests.ui.profiles.helpers import App, app_fixture, portrait

pytestmark = pytest.mark.gui


@pytest.fixture
def app(qtbot, data_dirs: DataDirs) -> Iterator[App]:
    yield from app_fixture(qtbot, data_dirs)


def test_a_reference_downloaded_later_appears_on_its_card(qtbot, app: App, tmp_path: Path) -> None:
    store = app.services.store
    profile_id = new_id()
    reference = f"{store.user_id}/profiles/{profile_id}/{new_id()}.jpg"
    # A profile that came from another device: its row is here, its reference file is not.
    store.rows.save(
        Profile(id=profile_id, user_id=store.user_id, name="Ana", reference_image_path=reference)
    )
    app.window.set_current_area(AreaKey.PROFILES)
    model = app.profiles_area.model
    assert model is not None

    def state() -> ThumbState | None:
        for row in range(model.rowCount()):
            index = model.index(row)
            if index.data(ProfileRole.PROFILE).id == profile_id:
                return ThumbState(index.data(ProfileRole.THUMBNAIL_STATE))
        return None

    qtbot.waitUntil(lambda: state() is ThumbState.NOT_DOWNLOADED, timeout=10_000)

    # The sync's download lands on a worker thread, as it does for real.
    data = portrait(tmp_path / "ana.jpg", (170, 120, 100)).read_bytes()
    worker = threading.Thread(
        target=store.blobs.put,
        args=("profiles", reference, data, "image/jpeg"),
        kwargs={"upload": False},
    )
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: state() is ThumbState.READY, timeout=10_000)
