"""Garments through the real panel and the local engine: drop a front and a back photo, their
cutouts appear (the same photo again comes from the cache, cut once), build a product pack on a
profile, the job is in the store with its outputs on disk, and it shows in the history."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio_desktop.domain.enums import JobStatus, JobType
from studio_desktop.services.common import output_ref
from tests.imaging.garments import studio_sweep
from tests.ui.conftest import drag_enter, drop_files, file_mime
from tests.ui.profiles.helpers import App, await_on_loop

pytestmark = pytest.mark.gui


def garment_photos(folder: Path) -> tuple[Path, Path]:
    front = folder / "tee front.png"
    back = folder / "tee back.jpg"
    Image.fromarray(studio_sweep((288, 360)).photo).save(front, "PNG")
    Image.fromarray(studio_sweep((288, 360), seed=7).photo).save(back, "JPEG", quality=92)
    return front, back


def jobs_of(app: App, job_type: JobType) -> list:
    rows = app.services.store.db.query(
        "SELECT id, status FROM jobs WHERE type = ? ORDER BY created_at", (job_type.value,)
    )
    return [(r["id"], r["status"]) for r in rows]


def test_extract_cutouts_by_drop_and_build_a_pack(qtbot, app: App, tmp_path: Path) -> None:
    profile = await_on_loop(
        qtbot, app.services.profiles.create("Ana", background="light grey sweep")
    )
    panel = app.profiles_area.garments
    qtbot.waitUntil(lambda: panel.profile_combo.findData(profile.id) >= 0)
    front, back = garment_photos(tmp_path)
    assert not panel.build_button.isEnabled()

    # Drag-enter highlights the slot; the drop cuts the garment out.
    slot = panel.slots["front"]
    assert drag_enter(slot, file_mime([front])).isAccepted()
    assert slot._drag_over
    assert drop_files(slot, [front]).dropped
    assert not slot._drag_over
    qtbot.waitUntil(lambda: slot.has_cutout, timeout=30_000)
    assert slot.status.text() == "Cutout ready"
    assert drop_files(panel.slots["back"], [back]).dropped
    qtbot.waitUntil(lambda: panel.slots["back"].has_cutout, timeout=30_000)
    extractions = jobs_of(app, JobType.EXTRACT_GARMENT)
    assert [status for _id, status in extractions] == ["succeeded", "succeeded"]
    cutouts = app.services.store.db.scalar("SELECT count(*) FROM garment_cutouts")
    assert cutouts == 2

    # The cutout is a transparent PNG: the garment kept, the studio backdrop gone.
    outcome = await_on_loop(qtbot, app.services.jobs.wait(extractions[0][0]))
    ref = output_ref(outcome.outputs[0])
    file = app.services.store.blobs.get_path(ref.bucket, ref.path)
    with Image.open(file) as image:
        alpha = np.asarray(image.convert("RGBA"))[..., 3]
    assert alpha[0, 0] == 0 and alpha[alpha.shape[0] // 2, alpha.shape[1] // 2] == 255

    # The same photo again: served from the cache, not cut twice.
    panel.clear_side("front")
    assert not slot.has_cutout
    drop_files(slot, [front])
    qtbot.waitUntil(lambda: slot.has_cutout, timeout=30_000)
    assert slot.status.text() == "Cutout ready · from cache"
    assert app.services.store.db.scalar("SELECT count(*) FROM garment_cutouts") == 2

    # Build the pack on the chosen profile, with progress.
    panel.choose_profile(profile.id)
    assert panel.build_button.isEnabled()
    seen_progress: list[int] = []
    panel.build_button.click()
    row = panel.row("pack")
    assert row is not None and row.progress.isVisible()
    assert row.title.text() == f"Product pack · {profile.name}"  # named at once: listed here
    row.progress.valueChanged.connect(seen_progress.append)
    assert row.cancel_button.isHidden()  # not submitted yet: nothing to cancel
    qtbot.waitUntil(row.cancel_button.isVisible, timeout=10_000)  # a pack can be canceled
    with qtbot.waitSignal(panel.pack_finished, timeout=60_000) as finished:
        pass
    pack = finished.args[0]
    assert pack.job.status == JobStatus.SUCCEEDED
    assert pack.job.input_json.get("profileId") == profile.id
    assert pack.cache_hits == 2  # both cutouts reused
    assert seen_progress and max(seen_progress) > 0
    assert not row.progress.isVisible() and not row.cancel_button.isVisible()
    assert row.title.text() == f"Product pack · {profile.name}"
    assert row.status.text() == "Ready: 3 images in History; open them in Magic Canvas to edit."
    assert row.history_button.isVisible() and row.canvas_button.isVisible()
    qtbot.waitUntil(lambda: row.result_count() == 3)

    # The job and its outputs are in the store, the files on disk; the history lists it.
    packs = jobs_of(app, JobType.PRODUCT_PACK)
    assert packs == [(pack.job.id, "succeeded")]
    angles = sorted(o.angle for o in pack.outputs)
    assert angles == ["back", "detail", "front"]
    for output in pack.outputs:
        ref = output_ref(output)
        path = app.services.store.blobs.get_path(ref.bucket, ref.path)
        assert path is not None and path.stat().st_size > 1000
        with Image.open(path) as image:
            assert image.size == (output.width, output.height)
    page = await_on_loop(qtbot, app.services.history.feed_page())
    assert page.items[0].job.id == pack.job.id

    row.history_button.click()
    assert app.window.current_area_key.value == "history"
