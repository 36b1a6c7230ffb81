"""Issue 14: History search "pack" found nothing. The search field finds a job by what its row
shows: the type ("pack", "try-on", "cutout", "edit"), the profile's name, the status and a failed
job's error, as well as the prompt; typed into the real field, read by the real store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from studio_desktop.domain.enums import JobType
from studio_desktop.ui.history.area import HistoryArea
from studio_desktop.ui.history.feed_model import Role
from tests.ui.history.conftest import WAIT_MS, Maker

pytestmark = pytest.mark.gui


def shown(area: HistoryArea) -> list[str]:
    assert area.model is not None
    return area.model.job_ids()


def type_search(qtbot: Any, area: HistoryArea, text: str) -> None:
    """Clear the field and type ``text`` key by key, as a designer does."""
    field = area.filter_bar.search
    field.setFocus()
    field.selectAll()
    qtbot.keyClick(field, Qt.Key.Key_Backspace)
    qtbot.keyClicks(field, text)


def settled(qtbot: Any, area: HistoryArea, expected: list[str]) -> None:
    assert area.model is not None
    model = area.model
    qtbot.waitUntil(lambda: not model.is_loading and shown(area) == expected, timeout=WAIT_MS)


def test_typing_pack_finds_the_packs_and_a_profile_name_its_jobs(
    qtbot: Any,
    area: HistoryArea,
    make: Maker,
    scheme: str,
    screenshot: Callable[[QWidget, str], Path],
) -> None:
    mia = make.profile("Mia")
    archive = make.seed(3, job_type=JobType.CANVAS_EDIT, prompt="Wool coat archive")
    edit = make.canvas_edit("make the bag navy blue")
    cutout = make.cutout()
    pack = make.pack(mia)
    tryon = make.failed_tryon(mia)
    assert area.model is not None
    qtbot.waitUntil(lambda: len(shown(area)) == 7 and not area.model.is_loading, timeout=WAIT_MS)
    field = area.filter_bar.search
    assert field.placeholderText() == "Search prompt, type, profile"
    assert "try-on" in field.toolTip() and "profile" in field.toolTip()
    # The placeholder fits the field at its narrowest, beside the search icon, with room.
    room = field.minimumWidth() - (field.height() + 4) - 16
    assert field.fontMetrics().horizontalAdvance(field.placeholderText()) <= room
    screenshot(area.filter_bar, "history_search_placeholder")

    type_search(qtbot, area, "pack")
    settled(qtbot, area, [pack.id])
    row = area.model.index_of(pack.id)
    assert row.data(Role.TYPE_LABEL) == "Product pack" and row.data(Role.PROFILE_NAME) == "Mia"
    assert area.view.isVisible() and not area.showing_no_results
    screenshot(area, "history_search_pack")

    type_search(qtbot, area, "mia")
    settled(qtbot, area, [tryon.id, pack.id])
    screenshot(area, "history_search_profile_name")
    type_search(qtbot, area, "pack mia")
    settled(qtbot, area, [pack.id])
    type_search(qtbot, area, "try-on")
    settled(qtbot, area, [tryon.id])
    type_search(qtbot, area, "cutout")
    settled(qtbot, area, [cutout.id])
    type_search(qtbot, area, "Edit")
    settled(qtbot, area, [edit.id] + [j.id for j in archive])
    type_search(qtbot, area, "failed")
    settled(qtbot, area, [tryon.id])

    # Mia renamed (in Profiles, or on another device) while "mia" is typed: her jobs leave
    # the results and "No jobs match" says why; her new name finds them.
    type_search(qtbot, area, "mia")
    settled(qtbot, area, [tryon.id, pack.id])
    make.run(make.services.profiles.update(mia.id, name="Paloma"))
    settled(qtbot, area, [])
    qtbot.waitUntil(lambda: area.showing_no_results, timeout=WAIT_MS)
    type_search(qtbot, area, "palo")
    settled(qtbot, area, [tryon.id, pack.id])
    assert area.model.index_of(pack.id).data(Role.PROFILE_NAME) == "Paloma"
