"""A chat deleted and brought back (issue 14, item 12, the service half): its messages come back
in order with their texts; a mask whose stored object was removed by the delete is stored again
(queued for upload) from the bytes kept; an image deleted meanwhile is no longer referred to."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio_desktop.domain.enums import Bucket
from studio_desktop.store.workspace import Store
from tests.services.conftest import World, blob_image, run
from tests.services.test_canvas import creation, rect_mask


def test_delete_keeping_then_restore(store: Store, tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        made = await creation(w, tmp_path, count=2)
        a, b = made.assets
        chat = await w.canvas.new_conversation(made.thread.id, "Masks")
        sent = await w.canvas.send_instruction(
            made.thread.id, chat.id, a.id, "make it navy", rect_mask((55, 35, 105, 85))
        )
        await w.canvas.wait_reply(sent.job.id)
        on_b = await w.canvas.send_instruction(made.thread.id, chat.id, b.id, "black and white")
        await w.canvas.wait_reply(on_b.job.id)
        view = await w.canvas.open_creation(made.thread.id)
        before = [(m.role, m.text, m.asset_id) for m in view.conversation(chat.id).messages]
        mask_ref = next(m for m in view.conversation(chat.id).messages if m.mask_storage_path)
        mask_before = np.asarray(
            blob_image(store, mask_ref.mask_storage_bucket, mask_ref.mask_storage_path)
        )

        deleted = await w.canvas.delete_conversation_keeping(chat.id)
        assert store.rows.count("canvas_conversations") == 1
        assert (
            store.db.scalar(
                "SELECT count(*) FROM canvas_messages WHERE conversation_id = ?", (chat.id,)
            )
            == 0
        )
        assert store.blobs.info(Bucket.OUTPUTS.value, mask_ref.mask_storage_path) is None
        assert len(deleted.messages) == 4

        # The second image is deleted meanwhile: its messages come back without it.
        await w.canvas.delete_asset(b.id)
        conversation, messages = await w.canvas.restore_conversation(deleted)
        assert conversation.id != chat.id and conversation.title == "Masks"
        expected = [(r, t, (x if x != b.id else None)) for r, t, x in before]
        assert [(m.role, m.text, m.asset_id) for m in messages] == expected
        view = await w.canvas.open_creation(made.thread.id)
        stored = view.conversation(conversation.id).messages
        assert [(m.role, m.text) for m in stored] == [(r, t) for r, t, _x in before]
        mask_after = next(m for m in stored if m.mask_storage_path)
        assert mask_after.mask_storage_path != mask_ref.mask_storage_path  # stored again
        info = store.blobs.info(mask_after.mask_storage_bucket, mask_after.mask_storage_path)
        assert info is not None and info.state == "queued_upload"
        again = np.asarray(
            blob_image(store, mask_after.mask_storage_bucket, mask_after.mask_storage_path)
        )
        assert np.array_equal(again, mask_before)

    run(store, scenario)
