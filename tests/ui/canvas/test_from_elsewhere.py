"""An open creation follows what another device (or the web app) adds to it: a pull stores the
other device's instruction, the assistant's answer with its new version, and the asset's moved
current pointer (``apply_remote_rows``, origin "remote"); the open chat and version strip show
them in place, without reopening."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from studio_desktop.domain.enums import MessageRole
from studio_desktop.domain.models import CanvasAsset, CanvasMessage, new_id
from tests.ui.canvas.conftest import open_creation_from, scene, write_png

pytestmark = pytest.mark.gui


def test_another_devices_message_and_version_show_in_the_open_creation(
    qtbot, services, area, tmp_path: Path, screenshot
) -> None:
    path = write_png(tmp_path / "in", "bag.png", scene((320, 240)))
    open_creation_from(qtbot, area, [path])
    store = services.store
    asset_id = area.current_asset_id
    assert asset_id is not None
    asset = store.rows.get(CanvasAsset, asset_id)
    assert asset is not None
    strip = area.version_strip
    versions_before = strip.count()
    # The conversation the designer has open (the other device wrote into the same one).
    conversation_id = area.current_conversation_id or None

    now = datetime.now(UTC)
    output_path = f"{store.user_id}/canvas/{asset.thread_id}/{new_id()}.png"
    asked = CanvasMessage(
        id=new_id(),
        thread_id=asset.thread_id,
        user_id=store.user_id,
        conversation_id=conversation_id,
        asset_id=asset_id,
        role=MessageRole.USER,
        text="make the bag navy (from the laptop)",
        created_at=now,
    )
    answered = CanvasMessage(
        id=new_id(),
        thread_id=asset.thread_id,
        user_id=store.user_id,
        conversation_id=conversation_id,
        asset_id=asset_id,
        role=MessageRole.ASSISTANT,
        text="Recoloured to navy.",
        output_storage_bucket="outputs",
        output_storage_path=output_path,
        # The answer comes after the question (equal times would leave their order to the ids).
        created_at=now + timedelta(seconds=2),
    )
    moved = dataclasses.replace(
        asset, current_storage_bucket="outputs", current_storage_path=output_path, updated_at=now
    )
    with store.transaction():
        store.rows.apply_remote_rows("canvas_messages", [asked.to_row(), answered.to_row()])
        store.rows.apply_remote_rows("canvas_assets", [moved.to_row()])

    qtbot.waitUntil(
        lambda: [m.id for m in area.chat.model.messages()][-2:] == [asked.id, answered.id],
        timeout=10_000,
    )
    qtbot.waitUntil(lambda: strip.count() == versions_before + 1, timeout=10_000)
    assert strip.current_version_row() == strip.count() - 1
    assert area.current_thread_id == asset.thread_id  # still open, not reopened elsewhere
    screenshot(area, "canvas-from-another-device")
