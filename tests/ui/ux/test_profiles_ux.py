"""Issue 14 on the Profiles screen: the search field's clear button (item 14), cards framing a
portrait from the head (item 10)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLineEdit

from studio_desktop.ui.profiles.cards import IMAGE_HEIGHT
from studio_desktop.ui.profiles.model import ProfileRole
from tests.ui.profiles.helpers import App, await_on_loop

pytestmark = pytest.mark.gui


def clear_button_visible(field: QLineEdit) -> bool:
    return (
        any(a.isVisible() and a.objectName() == "clear_search" for a in field.actions())
        or field.isClearButtonEnabled()
    )


def test_the_profiles_search_shows_its_clear_button_only_with_text(qtbot, app: App) -> None:
    field = app.profiles_area.search
    assert not clear_button_visible(field)
    qtbot.keyClicks(field, "Mi")
    assert clear_button_visible(field)
    field.clear()
    assert not clear_button_visible(field)


# ------------------------------------------------------------------------------ item 10
def test_a_profile_card_frames_the_head_not_the_centre(
    qtbot, app: App, tmp_path, scheme: str, screenshot
) -> None:
    """A full-length portrait (head in the top fifth) on a card: the head is on the card."""
    import numpy as np
    from PIL import Image
    from PySide6.QtGui import QColor, QImage

    from tests.imaging.test_framing import HEAD, tall_portrait

    path = tmp_path / "full length.png"
    Image.fromarray(tall_portrait((400, 960))).save(path)
    profile = await_on_loop(qtbot, app.services.profiles.create("Mia"))
    area = app.profiles_area
    qtbot.waitUntil(lambda: area.model.row_of(profile.id) is not None)
    area.set_reference(profile.id, path)
    row = area.model.row_of(profile.id)
    qtbot.waitUntil(
        lambda: isinstance(area.model.index(row).data(ProfileRole.THUMBNAIL), QImage),
        timeout=20_000,
    )
    qtbot.wait(50)
    rect = area.card_rect(profile.id)
    shot = screenshot(area.grid.viewport(), "ux-profile-card-framing")
    image = QImage(str(shot))
    ratio = image.width() / area.grid.viewport().width()
    card = image.copy(
        round(rect.x() * ratio),
        round(rect.y() * ratio),
        round(rect.width() * ratio),
        round(IMAGE_HEIGHT * ratio),
    ).convertToFormat(QImage.Format.Format_RGB888)
    pixels = (
        np.frombuffer(card.constBits(), np.uint8, card.sizeInBytes())
        .reshape(card.height(), card.bytesPerLine())[:, : card.width() * 3]
        .reshape(card.height(), card.width(), 3)
    )
    head = np.all(np.abs(pixels.astype(int) - HEAD) < 18, axis=2)
    assert head.sum() > 0.015 * head.size, "the head is not on the card"
    ys = np.flatnonzero(head.any(axis=1))
    assert ys[0] < card.height() * 0.35, "the head should be near the top of the card"
    assert QColor(image.pixel(0, 0)).isValid()
