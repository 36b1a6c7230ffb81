"""Bad input dropped through the UI: a PDF, a damaged image, a PNG whose header claims 900
megapixels, 200 files at once, a folder. On a profile card, on a garment slot and on the window
(which starts a creation): a clear message in the window's message bar, the GUI thread keeps
running (a QTimer keeps firing), and the store is exactly as it was (no row, no outbox entry,
no blob, no file)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.widgets.message_bar import MessageLevel
from tests.ui.conftest import drop_files
from tests.ui.profiles.helpers import (
    App,
    Heartbeat,
    await_on_loop,
    corrupt_png,
    huge_png,
    pdf_file,
    small_pngs,
    store_snapshot,
)

pytestmark = pytest.mark.gui


def _pdf(tmp: Path) -> list[Path]:
    return [pdf_file(tmp / "lookbook.pdf")]


def _corrupt(tmp: Path) -> list[Path]:
    return [corrupt_png(tmp / "half-copied.png")]


def _huge(tmp: Path) -> list[Path]:
    return [huge_png(tmp / "billboard.png")]


def _many(tmp: Path) -> list[Path]:
    return small_pngs(tmp / "shoot", 200)


def _folder(tmp: Path) -> list[Path]:
    folder = tmp / "shoot folder"
    folder.mkdir()
    pdf_file(folder / "notes.pdf")
    corrupt_png(folder / "broken.png")
    return [folder]


BAD: dict[str, tuple[Callable[[Path], list[Path]], str, str]] = {
    # name: (files, message on a card/slot, message on the window)
    "pdf": (_pdf, "is a PDF document, not an image", "is a PDF document, not an image"),
    "corrupt": (_corrupt, "is damaged", "is damaged"),
    "huge": (_huge, "is too large to open", "is too large to open"),
    "200 files": (_many, "You dropped 200 files", "You dropped 200 images; at most 50"),
    "folder": (_folder, "is a folder", "None of the 2 files can be used"),
}


def _expect_refusal(qtbot, app: App, fragment: str, before: dict, beat: Heartbeat) -> None:
    bar = app.window.message_bar
    qtbot.waitUntil(lambda: fragment in bar.text(), timeout=20_000)
    assert bar.level is MessageLevel.ERROR, (bar.level, bar.text())
    assert bar.isVisible()
    ticks = beat.ticks
    qtbot.waitUntil(lambda: beat.ticks >= ticks + 3, timeout=2_000)  # still responsive
    qtbot.waitUntil(lambda: app.services.jobs.queue() == [])
    assert store_snapshot(app.services) == before


@pytest.mark.parametrize("case", list(BAD))
def test_bad_drops_on_a_profile_card(qtbot, app: App, tmp_path: Path, case: str) -> None:
    make, fragment, _window_fragment = BAD[case]
    profile = await_on_loop(qtbot, app.services.profiles.create("Ana"))
    area = app.profiles_area
    qtbot.waitUntil(lambda: area.model.row_of(profile.id) is not None)
    paths = make(tmp_path)
    before = store_snapshot(app.services)
    beat = Heartbeat(app.window)
    result = drop_files(area.grid.viewport(), paths, area.card_rect(profile.id).center())
    assert result.entered
    _expect_refusal(qtbot, app, fragment, before, beat)
    assert app.services.store.queries.profile(profile.id).reference_image_path is None
    assert app.window.undo_group.activeStack().count() == 0  # nothing to undo: nothing done


@pytest.mark.parametrize("case", list(BAD))
def test_bad_drops_on_a_garment_slot(qtbot, app: App, tmp_path: Path, case: str) -> None:
    make, fragment, _window_fragment = BAD[case]
    panel = app.profiles_area.garments
    slot = panel.slots["front"]
    paths = make(tmp_path)
    before = store_snapshot(app.services)
    beat = Heartbeat(app.window)
    assert drop_files(slot, paths).entered
    _expect_refusal(qtbot, app, fragment, before, beat)
    assert not slot.has_cutout
    assert not panel.build_button.isEnabled()


@pytest.mark.parametrize("case", list(BAD))
def test_bad_drops_on_the_window(qtbot, app: App, tmp_path: Path, case: str) -> None:
    _make, _fragment, fragment = BAD[case]
    app.window.set_current_area(AreaKey.HISTORY)
    paths = _make(tmp_path)
    before = store_snapshot(app.services)
    beat = Heartbeat(app.window)
    assert drop_files(app.window, paths).entered
    _expect_refusal(qtbot, app, fragment, before, beat)
