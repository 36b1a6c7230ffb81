"""Issue 14, item 14: the empty search field shows no clear (×) button, and the "kept offline"
pin badge reads in both palettes (measured: the pin against its disc, and the disc's ring
against the tile and the image, each at least 3:1)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QLineEdit, QWidget

from studio_desktop.ui.history.area import HistoryArea
from studio_desktop.ui.history.feed_model import Role
from tests.ui.history.conftest import WAIT_MS, Maker

pytestmark = pytest.mark.gui


def luminance(colour: QColor) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.red())
        + 0.7152 * channel(colour.green())
        + 0.0722 * channel(colour.blue())
    )


def contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def clear_button_visible(field: QLineEdit) -> bool:
    return (
        any(a.isVisible() and a.objectName() == "clear_search" for a in field.actions())
        or field.isClearButtonEnabled()
    )


def test_the_clear_button_shows_only_with_text(qtbot: Any, area: HistoryArea) -> None:
    field = area.filter_bar.search
    assert field.text() == ""
    assert not clear_button_visible(field)
    field.setText("linen")
    assert clear_button_visible(field)
    clear = next(a for a in field.actions() if a.objectName() == "clear_search")
    clear.trigger()
    assert field.text() == "" and not clear_button_visible(field)


def _pin_rect(area: HistoryArea, job_id: str) -> QRect:
    index = area.model.index_of(job_id)
    layout = area.delegate.layout_for(area.view.visualRect(index), index)
    tile = layout.tiles[0]
    return QRect(tile.right() - 24, tile.top() + 6, 18, 18)


def test_the_pin_badge_contrast(
    qtbot: Any,
    area: HistoryArea,
    make: Maker,
    scheme: str,
    screenshot: Callable[[QWidget, str], Path],
) -> None:
    # A dark image and a light one: the badge must read on both.
    dark = make.canvas_edit("make it navy", colour=(20, 24, 40))
    light = make.canvas_edit("make it grayscale", colour=(245, 245, 240))
    area.resize(900, 620)
    area.show()
    for job in (dark, light):
        qtbot.waitUntil(lambda j=job: area.model.row_of(j.id) >= 0, timeout=WAIT_MS)
        area.select_jobs([job.id])
        area.action_keep_offline.trigger()
        qtbot.waitUntil(
            lambda j=job: area.model.index_of(j.id).data(Role.THUMBS)[0].pinned, timeout=WAIT_MS
        )
    qtbot.waitUntil(
        lambda: all(
            area.model.index_of(j.id).data(Qt.ItemDataRole.DecorationRole) is not None
            for j in (dark, light)
        ),
        timeout=WAIT_MS,
    )
    area.view.clearSelection()
    qtbot.wait(50)
    shot = screenshot(area.view.viewport(), "ux-history-pin-badge")
    image = QImage(str(shot))
    ratio = image.width() / area.view.viewport().width()
    for job in (dark, light):
        rect = _pin_rect(area, job.id)

        def px(x: int, y: int) -> QColor:
            return QColor(image.pixel(round(x * ratio), round(y * ratio)))

        inside = Counter(
            px(x, y).name()
            for x in range(rect.left() + 1, rect.right())
            for y in range(rect.top() + 1, rect.bottom())
        )
        disc = QColor(inside.most_common(1)[0][0])
        pin = max((QColor(c) for c in inside), key=lambda c: contrast(c, disc))
        assert contrast(pin, disc) >= 3.0, (scheme, job.input_json, pin.name(), disc.name())
        # Just outside the ring: the image or the tile's background, against the ring.
        ring = QColor(
            max(
                (px(rect.center().x(), rect.top() - 2 + d) for d in range(3)),
                key=lambda c: contrast(c, disc),
            )
        )
        outside = px(rect.left() - 6, rect.center().y())
        assert max(contrast(ring, outside), contrast(disc, outside)) >= 3.0, (
            scheme,
            ring.name(),
            disc.name(),
            outside.name(),
        )


def test_end_reads_the_remaining_pages_and_goes_to_the_oldest_job(
    qtbot: Any, area: HistoryArea, make: Maker
) -> None:
    """Item 3: End is the last job of the whole history, not of the pages read so far."""
    jobs = make.seed(260, outputs=1)
    oldest = jobs[-1].id
    area.resize(900, 620)
    area.show()
    area.model.reload()  # (as at start: the first page only)
    qtbot.waitUntil(
        lambda: not area.model.is_loading and 0 < area.model.rowCount() < 260, timeout=WAIT_MS
    )
    assert area.model.has_more, "the test needs more than one page"
    area.view.setFocus()
    area.window().activateWindow()
    qtbot.keyClick(area.view, Qt.Key.Key_End)
    qtbot.waitUntil(lambda: area.selected_job_ids() == [oldest], timeout=WAIT_MS)
    assert not area.model.has_more
    index = area.model.index_of(oldest)
    assert area.view.viewport().rect().intersects(area.view.visualRect(index))
    qtbot.keyClick(area.view, Qt.Key.Key_Home)
    assert area.view.currentIndex().row() == 0


def test_escape_in_the_search_field_clears_the_search(
    qtbot: Any, area: HistoryArea, make: Maker
) -> None:
    """Esc in a search field with text empties it and the feed shows every job again (it did
    nothing: the search stayed on "No jobs match"); on an empty field Esc is still the screen's
    (History: close the opened job)."""
    make.seed(2, prompt="Wool coat archive")
    qtbot.waitUntil(lambda: area.model.rowCount() == 2, timeout=WAIT_MS)
    field = area.filter_bar.search
    area.window().show()
    area.window().activateWindow()
    qtbot.waitUntil(area.window().isActiveWindow)
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    qtbot.keyClicks(field, "linen")
    qtbot.waitUntil(lambda: area.model.rowCount() == 0, timeout=WAIT_MS)
    qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert field.text() == ""
    assert not clear_button_visible(field)
    qtbot.waitUntil(lambda: area.model.rowCount() == 2, timeout=WAIT_MS)
    # An empty field keeps Esc for the screen: History's "close the opened job".
    closed: list[bool] = []
    area.action_close_panel.triggered.connect(lambda *_a: closed.append(True))
    qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert closed == [True]
