"""Issue 14, item 15, through the real garment panel: its Profile box follows the selected
profile card; the Front and Back cards stay aligned with one of them empty; a T-shirt front with
a trousers back gets a clear warning the designer can override (the pack waits until then)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtWidgets import QApplication, QWidget

from tests.imaging.garments import coloured_sweep, studio_sweep
from tests.ui.profiles.helpers import App, await_on_loop
from tests.ui.test_screenshots import assert_text_fits

pytestmark = pytest.mark.gui


def photo(path: Path, scene) -> Path:
    Image.fromarray(scene.photo).save(path)
    return path


def test_the_profile_box_follows_the_selected_card(qtbot, app: App) -> None:
    services = app.services
    ana = await_on_loop(qtbot, services.profiles.create("Ana"))
    mia = await_on_loop(qtbot, services.profiles.create("Mia"))
    area = app.profiles_area
    panel = area.garments
    qtbot.waitUntil(lambda: panel.profile_combo.findData(mia.id) >= 0)
    for profile in (mia, ana, mia):
        assert area.select_profile(profile.id)
        assert panel.profile_combo.currentData() == profile.id
        assert panel.profile_combo.currentText() == profile.name


def test_front_and_back_cards_stay_aligned_with_one_empty(
    qtbot, app: App, tmp_path: Path, scheme: str, screenshot: Callable[[QWidget, str], Path]
) -> None:
    panel = app.profiles_area.garments
    front, back = panel.slots["front"], panel.slots["back"]

    def aligned() -> None:
        QApplication.processEvents()
        assert front.geometry().top() == back.geometry().top()
        assert front.height() == back.height()
        assert front.preview.mapTo(panel, front.preview.rect().topLeft()).y() == (
            back.preview.mapTo(panel, back.preview.rect().topLeft()).y()
        )
        assert front.choose_button.mapTo(panel, front.choose_button.rect().topLeft()).y() == (
            back.choose_button.mapTo(panel, back.choose_button.rect().topLeft()).y()
        )

    aligned()
    panel.extract("front", photo(tmp_path / "tee.png", studio_sweep()))
    qtbot.waitUntil(lambda: front.has_cutout, timeout=30_000)
    aligned()
    assert_text_fits(panel)
    screenshot(panel, "ux-garments-one-side")


def test_a_tee_front_with_a_trousers_back_is_warned_about_and_can_be_overridden(
    qtbot, app: App, tmp_path: Path, scheme: str, screenshot: Callable[[QWidget, str], Path]
) -> None:
    panel = app.profiles_area.garments
    panel.extract("front", photo(tmp_path / "tee.png", studio_sweep()))
    panel.extract("back", photo(tmp_path / "jeans.png", coloured_sweep()))
    qtbot.waitUntil(panel.pair_warning.isVisible, timeout=30_000)
    text = panel.pair_warning_label.text()
    assert text.startswith("These may not be the same garment: The front looks like a top")
    assert "trousers" in text
    assert not panel.build_button.isEnabled()
    assert "may not be one garment" in panel.build_button.toolTip()
    assert_text_fits(panel)
    screenshot(panel, "ux-garments-mismatch")

    panel.pair_override_button.click()
    assert not panel.pair_warning.isVisible()
    assert panel.build_button.isEnabled()

    # Replacing the back with the tee's own back: no warning.
    panel.extract("back", photo(tmp_path / "tee back.png", studio_sweep((400, 470), seed=7)))
    assert not panel.pair_warning.isVisible()
    qtbot.waitUntil(lambda: panel.pair_verdict is not None, timeout=30_000)
    assert panel.pair_verdict.matches
    assert not panel.pair_warning.isVisible()
    assert panel.build_button.isEnabled()
