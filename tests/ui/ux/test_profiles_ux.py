"""Issue 14 on the Profiles screen: the search field's clear button (item 14)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLineEdit

from tests.ui.profiles.helpers import App

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
