"""CanvasService end to end: the real store, the real local engine through the JobService, and
images made here. Sends with and without masks, replies (new version, "cannot do", failure,
canceled), versions and revert, several conversations, and the bad inputs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from studio_desktop.domain.errors import ExternalError, ValidationError
from studio_desktop.domain.models import CanvasAsset, CanvasMessage
from studio_desktop.imaging.errors import MaskSizeError
from studio_desktop.services.canvas import CANCELED_REPLY, CanvasProgress
from studio_desktop.services.common import NotFoundError
from studio_desktop.services.imports import CreationResult
from studio_desktop.store.workspace import Store
from tests.gates import Gate, until
from tests.services.conftest import (
    World,
    blob_image,
    png_bytes,
    run,
    snapshot,
    studio_scene,
    write,
)

SIZE = (160, 120)


def rect_mask(box: tuple[int, int, int, int], size: tuple[int, int] = SIZE) -> np.ndarray:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle(box, fill=255)
    return np.asarray(mask).copy()


async def creation(w: World, tmp: Path, count: int = 1) -> CreationResult:
    paths = [
        write(tmp, f"look-{n}.png", png_bytes(studio_scene(SIZE))) for n in range(1, count + 1)
    ]
    return await w.imports.start_creation(paths)


class Recorder:
    def __init__(self, w: World) -> None:
        self.messages: list[CanvasMessage] = []
        self.assets: list[CanvasAsset] = []
        self.progress: list[CanvasProgress] = []
        w.canvas.message_added.connect(self.messages.append)
        w.canvas.asset_changed.connect(self.assets.append)
        w.canvas.job_progress.connect(self.progress.append)


def test_send_with_a_mask_makes_a_new_version_changing_only_masked_pixels(
    store: Store, tmp_path: Path
) -> None:
    box = (55, 35, 105, 85)

    async def scenario(w: World) -> None:
        made = await creation(w, tmp_path)
        seen = Recorder(w)
        (asset,) = made.assets
        assert made.conversation is not None
        sent = await w.canvas.send_instruction(
            made.thread.id, made.conversation.id, asset.id, "  make it navy ", rect_mask(box)
        )
        user = sent.message
        assert (user.role, user.text, user.asset_id) == ("user", "make it navy", asset.id)
        assert user.conversation_id == made.conversation.id
        assert (user.mask_storage_path or "").startswith(
            f"{store.user_id}/canvas/{made.thread.id}/"
        )
        assert sent.job.type == "canvas_edit" and sent.job.status == "queued"
        assert sent.job.input_json["context"] == {
            "threadId": made.thread.id,
            "conversationId": made.conversation.id,
            "assetId": asset.id,
            "messageId": user.id,
        }
        assert sent.job.input_json["source"]["path"] == asset.current_storage_path
        assert sent.job.input_json["mask"]["path"] == user.mask_storage_path
        assert seen.messages == [user]  # the user's message shows at once

        reply = await w.canvas.wait_reply(sent.job.id)
        assert reply is not None and reply.role == "assistant"
        assert reply.output_job_id == sent.job.id and "navy" in (reply.text or "").lower()
        assert reply.conversation_id == made.conversation.id and reply.asset_id == asset.id
        (output,) = store.queries.job(sent.job.id).outputs  # type: ignore[union-attr]
        assert reply.output_storage_path == output.storage_path
        assert seen.messages == [user, reply]
        (moved,) = seen.assets
        assert moved.current_storage_path == output.storage_path
        assert moved.base_storage_path == asset.base_storage_path
        assert seen.progress and all(p.asset_id == asset.id for p in seen.progress)
        assert seen.progress[-1].fraction == 1.0

        versions = await w.canvas.versions(asset.id)
        assert [(v.is_base, v.is_current) for v in versions] == [(True, False), (False, True)]
        assert versions[1].message_id == reply.id

        before = np.asarray(blob_image(store, "outputs", asset.base_storage_path or ""))
        after = np.asarray(blob_image(store, "outputs", output.storage_path or "").convert("RGB"))
        inside = rect_mask(box) == 255
        assert np.array_equal(after[~inside], before[~inside])
        assert np.abs(after[inside].astype(int) - before[inside].astype(int)).max() > 40
        mask = blob_image(store, "outputs", user.mask_storage_path or "")
        assert mask.mode == "L" and mask.size == SIZE
        assert np.array_equal(np.asarray(mask), rect_mask(box))

        entries = store.outbox.all()
        mask_upload = next(
            e.seq for e in entries if e.row_id == f"outputs/{user.mask_storage_path}"
        )
        user_row = next(e.seq for e in entries if e.row_id == user.id)
        assert mask_upload < user_row
        asset_rows = [e for e in entries if e.table == "canvas_assets" and e.row_id == asset.id]
        assert asset_rows[-1].payload["current_storage_path"] == output.storage_path

    run(store, scenario)


def test_an_instruction_the_engine_cannot_do_gets_a_readable_reply_and_no_version(
    store: Store, tmp_path: Path
) -> None:
    async def scenario(w: World) -> None:
        made = await creation(w, tmp_path)
        seen = Recorder(w)
        (asset,) = made.assets
        sent = await w.canvas.send_instruction(
            made.thread.id, None, asset.id, "put her on a beach in Bali"
        )
        reply = await w.canvas.wait_reply(sent.job.id)
        assert reply is not None and reply.role == "assistant"
        assert "Here is what I can do" in (reply.text or "")
        assert reply.output_storage_path is None and reply.output_job_id == sent.job.id
        assert seen.assets == []
        versions = await w.canvas.versions(asset.id)
        assert len(versions) == 1 and versions[0].is_current
        # The designer can go on at once: the asset is free again.
        again = await w.canvas.send_instruction(made.thread.id, None, asset.id, "brighten")
        assert (await w.canvas.wait_reply(again.job.id)).output_storage_path  # type: ignore[union-attr]

    run(store, scenario)


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_an_empty_instruction_is_refused_and_writes_nothing(
    store: Store, tmp_path: Path, text: str
) -> None:
    async def scenario(w: World) -> None:
        made = await creation(w, tmp_path)
        before = snapshot(store)
        with pytest.raises(ValidationError) as caught:
            await w.canvas.send_instruction(made.thread.id, None, made.assets[0].id, text)
        assert caught.value.field == "instruction"
        assert "Type what you want changed" in caught.value.message
        assert snapshot(store) == before

    run(store, scenario)


def test_a_mask_of_the_same_shape_is_resized(store: Store, tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        made = await creation(w, tmp_path)
        small = rect_mask((20, 10, 40, 30), (80, 60))
        sent = await w.canvas.send_instruction(
            made.thread.id, None, made.assets[0].id, "blur it", small
        )
        assert sent.mask_resized_from == (80, 60)
        mask = blob_image(store, "outputs", sent.message.mask_storage_path or "")
        assert mask.size == SIZE
        assert mask.getpixel((60, 40)) == 255 and mask.getpixel((10, 100)) == 0
        assert (await w.canvas.wait_reply(sent.job.id)).output_storage_path  # type: ignore[union-attr]

    run(store, scenario)


def test_a_mask_of_another_shape_or_an_empty_one_is_refused(store: Store, tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        made = await creation(w, tmp_path)
        asset_id = made.assets[0].id
        before = snapshot(store)
        with pytest.raises(MaskSizeError) as caught:
            await w.canvas.send_instruction(
                made.thread.id, None, asset_id, "blur it", rect_mask((1, 1, 9, 9), (50, 50))
            )
        assert "50 x 50" in caught.value.message and "160 x 120" in caught.value.message
        with pytest.raises(ValidationError) as empty:
            await w.canvas.send_instruction(
                made.thread.id, None, asset_id, "blur it", np.zeros((120, 160), np.uint8)
            )
        assert empty.value.field == "mask" and "mask is empty" in empty.value.message
        assert snapshot(store) == before
        # A bool mask from a brush works too.
        sent = await w.canvas.send_instruction(
            made.thread.id, None, asset_id, "blur it", rect_mask((0, 0, 40, 40)) > 0
        )
        await w.canvas.wait_reply(sent.job.id)

    run(store, scenario)


def test_revert_moves_the_current_pointer_and_syncs(store: Store, tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        made = await creation(w, tmp_path)
        (asset,) = made.assets
        first = await w.canvas.send_instruction(made.thread.id, None, asset.id, "make it navy")
        await w.canvas.wait_reply(first.job.id)
        second = await w.canvas.send_instruction(made.thread.id, None, asset.id, "blur it")
        await w.canvas.wait_reply(second.job.id)
        versions = await w.canvas.versions(asset.id)
        assert [v.is_current for v in versions] == [False, False, True]
        seen = Recorder(w)

        reverted = await w.canvas.revert(asset.id, versions[0])
        assert reverted.current_storage_path == asset.base_storage_path
        assert seen.assets == [reverted]
        last = [e for e in store.outbox.all() if e.table == "canvas_assets"][-1]
        assert last.kind == "upsert" and last.row_id == asset.id
        assert last.payload["current_storage_path"] == asset.base_storage_path
        assert [v.is_current for v in await w.canvas.versions(asset.id)] == [True, False, False]

        count = len(store.outbox.all())
        await w.canvas.revert(asset.id, 0)  # already current: nothing to write
        assert len(store.outbox.all()) == count and len(seen.assets) == 1
        back = await w.canvas.revert(asset.id, 1)
        assert back.current_storage_path == versions[1].path
        with pytest.raises(ValidationError):
            await w.canvas.revert(asset.id, 7)
        # The next edit starts from the current (reverted-to) version.
        third = await w.canvas.send_instruction(made.thread.id, None, asset.id, "sharpen it")
        assert third.job.input_json["source"]["path"] == versions[1].path
        await w.canvas.wait_reply(third.job.id)

    run(store, scenario)


def test_several_conversations_keep_their_own_messages(store: Store, tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        made = await creation(w, tmp_path, count=2)
        assert made.conversation is not None
        chat1 = made.conversation
        chat2 = await w.canvas.new_conversation(made.thread.id)
        chat3 = await w.canvas.new_conversation(made.thread.id, "  Colour   tests ")
        assert (chat2.title, chat3.title) == ("Chat 2", "Colour tests")
        a, b = made.assets
        one = await w.canvas.send_instruction(made.thread.id, chat1.id, a.id, "make it navy")
        two = await w.canvas.send_instruction(made.thread.id, chat2.id, b.id, "black and white")
        await asyncio.gather(w.canvas.wait_reply(one.job.id), w.canvas.wait_reply(two.job.id))
        latest = await w.canvas.send_instruction(made.thread.id, None, a.id, "brighten")
        await w.canvas.wait_reply(latest.job.id)
        renamed = await w.canvas.rename_conversation(chat2.id, "Greys")
        assert renamed.title == "Greys"
        with pytest.raises(ValidationError) as caught:
            await w.canvas.rename_conversation(chat2.id, "  ")
        assert caught.value.field == "title"

        view = await w.canvas.open_creation(made.thread.id)
        chats = {c.conversation.id: c for c in view.conversations}
        assert [c.conversation.title for c in view.conversations] == [
            "Chat 1",
            "Greys",
            "Colour tests",
        ]
        first_message = chats[chat1.id].messages[0]
        assert (first_message.role, first_message.text) == ("user", "make it navy")
        assert [m.role for m in chats[chat2.id].messages] == ["user", "assistant"]
        assert chats[chat2.id].messages[0].text == "black and white"
        # ``None`` went to the newest chat.
        assert chats[chat3.id].messages[0].text == "brighten"
        assert view.asset(a.id).versions[-1].is_current  # type: ignore[union-attr]
        assert len(view.asset(b.id).versions) == 2  # type: ignore[union-attr]
        assert view.running == ()

        assert await w.canvas.delete_conversation(chat3.id)
        view = await w.canvas.open_creation(made.thread.id)
        assert len(view.conversations) == 2

    run(store, scenario)


def test_cancel_a_running_edit_answers_canceled(store: Store, tmp_path: Path) -> None:
    gate = Gate("edit")

    async def scenario(w: World) -> None:
        made = await creation(w, tmp_path)
        (asset,) = made.assets
        sent = await w.canvas.send_instruction(made.thread.id, None, asset.id, "blur it a lot")
        await until(gate.reached)
        view = await w.canvas.open_creation(made.thread.id)
        assert [r.job_id for r in view.running] == [sent.job.id]
        with pytest.raises(ValidationError) as busy:  # one edit per image at a time
            await w.canvas.send_instruction(made.thread.id, None, asset.id, "sharpen")
        assert "still running" in busy.value.message
        assert await w.canvas.cancel(sent.job.id)
        gate.release.set()
        reply = await w.canvas.wait_reply(sent.job.id)
        assert reply is not None and reply.text == CANCELED_REPLY
        assert reply.output_storage_path is None
        current = store.rows.get(CanvasAsset, asset.id)
        assert current is not None and current.current_storage_path == asset.base_storage_path
        assert w.canvas.running() == ()

    run(store, scenario, step_hook=gate)


def test_a_retry_from_the_history_is_answered_in_the_canvas(store: Store, tmp_path: Path) -> None:
    gate = Gate("edit")

    async def scenario(w: World) -> None:
        made = await creation(w, tmp_path)
        (asset,) = made.assets
        sent = await w.canvas.send_instruction(made.thread.id, None, asset.id, "make it navy")
        await until(gate.reached)
        await w.canvas.cancel(sent.job.id)
        gate.release.set()
        await w.canvas.wait_reply(sent.job.id)
        gate.step = "never"
        await w.history.retry(sent.job.id)
        reply = await w.canvas.wait_reply(sent.job.id)
        assert reply is not None and reply.output_storage_path
        current = store.rows.get(CanvasAsset, asset.id)
        assert current is not None and current.current_storage_path == reply.output_storage_path
        view = await w.canvas.open_creation(made.thread.id)
        texts = [m.text for m in view.conversations[0].messages]
        assert texts[:3] == ["make it navy", CANCELED_REPLY, texts[2]] and len(texts) == 3

    run(store, scenario, step_hook=gate)


def test_a_failed_edit_says_what_went_wrong(store: Store, tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        made = await creation(w, tmp_path)
        (asset,) = made.assets
        cached = store.blobs.get_path("outputs", asset.current_storage_path or "")
        assert cached is not None
        cached.write_bytes(cached.read_bytes()[:300])  # the cached file got damaged on disk
        sent = await w.canvas.send_instruction(made.thread.id, None, asset.id, "blur it")
        reply = await w.canvas.wait_reply(sent.job.id)
        assert reply is not None
        assert (reply.text or "").startswith("I could not make this edit: ")
        assert "damaged" in (reply.text or "") and reply.output_storage_path is None

    run(store, scenario)


def test_an_image_not_on_this_computer_is_said_before_anything_is_written(
    store: Store, tmp_path: Path
) -> None:
    async def scenario(w: World) -> None:
        made = await creation(w, tmp_path)
        (asset,) = made.assets
        path = asset.current_storage_path or ""
        store.blobs.mark_synced("outputs", path)
        store.blobs.evict(0)
        before = snapshot(store)
        with pytest.raises(ExternalError) as caught:
            await w.canvas.send_instruction(made.thread.id, None, asset.id, "blur it")
        assert "not on this computer yet" in caught.value.message
        after = snapshot(store)
        assert after["rows"] == before["rows"] and after["outbox"] == before["outbox"]
        info = store.blobs.info("outputs", path)
        assert info is not None and info.state == "queued_download"  # asked for it

    run(store, scenario)


def test_open_a_gone_creation_and_send_to_a_gone_asset(store: Store, tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        made = await creation(w, tmp_path)
        with pytest.raises(NotFoundError):
            await w.canvas.open_creation("00000000-0000-4000-8000-000000000000")
        with pytest.raises(NotFoundError):
            await w.canvas.send_instruction(
                made.thread.id, None, "00000000-0000-4000-8000-000000000000", "blur"
            )
        # A failed send frees the asset reservation.
        assert w.canvas.running() == ()

    run(store, scenario)


def test_rename_and_delete_assets_and_creations(store: Store, tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        made = await creation(w, tmp_path, count=2)
        first, second = made.assets
        sent = await w.canvas.send_instruction(
            made.thread.id, None, first.id, "make it navy", rect_mask((0, 0, 50, 50))
        )
        await w.canvas.wait_reply(sent.job.id)
        renamed = await w.canvas.rename_creation(made.thread.id, "  Spring   looks ")
        assert renamed.title == "Spring looks"
        assert (await w.canvas.rename_asset(second.id, "Back")).label == "Back"
        with pytest.raises(ValidationError):
            await w.canvas.rename_creation(made.thread.id, "")

        assert await w.canvas.delete_asset(first.id)
        view = await w.canvas.open_creation(made.thread.id)
        assert [a.asset.id for a in view.assets] == [second.id]
        assert view.thread.base_storage_path == second.base_storage_path  # new thumbnail
        assert store.blobs.info("outputs", first.base_storage_path or "") is None
        messages = view.conversations[0].messages
        assert len(messages) == 2 and all(m.asset_id is None for m in messages)

        mask_path = sent.message.mask_storage_path or ""
        assert await w.canvas.delete_creation(made.thread.id)
        assert store.rows.count("canvas_threads") == 0 and store.rows.count("canvas_messages") == 0
        removed = [
            p for e in store.outbox.all() if e.kind == "remove_objects" for p in e.payload["paths"]
        ]
        assert first.base_storage_path in removed and second.base_storage_path in removed
        assert mask_path in removed
        # The edit's job and its output stay in the history.
        assert store.queries.job(sent.job.id) is not None
        assert not await w.canvas.delete_creation(made.thread.id)

    run(store, scenario)


def test_canvas_works_offline_in_the_local_workspace(local_store: Store, tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        made = await creation(w, tmp_path)
        sent = await w.canvas.send_instruction(
            made.thread.id, None, made.assets[0].id, "make it navy", rect_mask((10, 10, 60, 60))
        )
        reply = await w.canvas.wait_reply(sent.job.id)
        assert reply is not None and reply.output_storage_path
        assert local_store.outbox.all() == []

    run(local_store, scenario)


def test_running_edits_are_one_list_and_say_when_it_changes(store: Store, tmp_path: Path) -> None:
    """``running()`` is the one list of running edits (the canvas screen reads it); every start
    and end is told with ``running_changed`` (the creation's id), progress with ``job_progress``."""

    async def scenario(w: World) -> None:
        made = await creation(w, tmp_path)
        other = await creation(w, tmp_path / "other")
        changed: list[tuple[str, tuple[str, ...]]] = []
        w.canvas.running_changed.connect(
            lambda thread_id: changed.append(
                (thread_id, tuple(p.job_id for p in w.canvas.running(thread_id)))
            )
        )
        (asset,) = made.assets
        sent = await w.canvas.send_instruction(made.thread.id, None, asset.id, "make it navy")
        assert changed == [(made.thread.id, (sent.job.id,))]  # known once queued
        assert [p.job_id for p in w.canvas.running(made.thread.id)] == [sent.job.id]
        assert w.canvas.running(other.thread.id) == ()
        await w.canvas.wait_reply(sent.job.id)
        assert changed[-1] == (made.thread.id, ())
        assert len(changed) == 2 and w.canvas.running() == ()

    run(store, scenario)
