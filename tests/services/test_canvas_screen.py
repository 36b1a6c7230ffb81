"""The Magic Canvas screen model without Qt or a display: the real store (SQLite, in a temp data
dir), the real local engine behind the real JobService, real images made here.

What the canvas does — select, send, progress, cancel, revert, compare, import a mask, several
conversations, images added, and rows arriving from another device — is driven through
:class:`CanvasScreen` and checked on its state and on the events it emits (as the widgets hear
them)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
from PIL import Image, ImageDraw

from studio_desktop.domain.enums import MessageRole
from studio_desktop.domain.errors import ExternalError, ValidationError
from studio_desktop.domain.models import (
    CanvasAsset,
    CanvasConversation,
    CanvasMessage,
    CanvasThread,
    new_id,
)
from studio_desktop.engine.base import StepHook
from studio_desktop.imaging.thumbnails import ThumbnailCache
from studio_desktop.services.canvas import CANCELED_REPLY
from studio_desktop.services.canvas_screen import (
    LOOSE,
    NO_IMAGE,
    STILL_RUNNING,
    AssetSelected,
    CanvasScreen,
    CreationList,
    current_key,
    version_key,
)
from studio_desktop.services.common import NotFoundError
from studio_desktop.services.imports import CreationResult
from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.store.workspace import Store
from tests.gates import Gate, until
from tests.services.conftest import (
    World,
    blob_image,
    png_bytes,
    run,
    studio_scene,
    write,
)

T = TypeVar("T")
SIZE = (160, 120)


def screen_run(
    store: Store,
    tmp: Path,
    scenario: Callable[[WorkspaceServices], Awaitable[T]],
    *,
    step_hook: StepHook | None = None,
) -> T:
    """``scenario`` over the workspace services the app builds (the test's JobService, so a
    gate can hold an edit)."""

    async def with_world(w: World) -> T:
        services = WorkspaceServices(
            store=w.store,
            thumbnails=ThumbnailCache(tmp / "thumbs"),
            jobs=w.jobs,
            garments=w.garments,
            profiles=w.profiles,
            history=w.history,
            imports=w.imports,
            canvas=w.canvas,
        )
        return await scenario(services)

    return run(store, with_world, step_hook=step_hook)


class Heard:
    """Every event of a screen, in order, as (name, value)."""

    NAMES = (
        "creation_changed",
        "creation_removed",
        "asset_changed",
        "asset_removed",
        "conversations_changed",
        "conversation_selected",
        "messages_added",
        "progress_changed",
        "asset_selected",
        "version_shown",
    )

    def __init__(self, screen: CanvasScreen) -> None:
        self.events: list[tuple[str, Any]] = []
        for name in self.NAMES:
            getattr(screen, name).connect(
                lambda value, name=name: self.events.append((name, value))
            )

    def of(self, name: str) -> list[Any]:
        return [value for event, value in self.events if event == name]

    def clear(self) -> None:
        self.events.clear()


async def eventually(check: Callable[[], bool], timeout: float = 15) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise TimeoutError("the state never came")
        await asyncio.sleep(0.01)


async def new_creation(s: WorkspaceServices, tmp: Path, count: int = 1) -> CreationResult:
    paths = [
        write(tmp / "in", f"look-{n}.png", png_bytes(studio_scene((SIZE[0], SIZE[1] + 10 * n))))
        for n in range(count)
    ]
    return await s.imports.start_creation(paths)


def pushed(store: Store) -> None:
    """Everything written here reached the server (as the sync's push marks it): rows from
    another device are then applied, not held back for a pending local change."""
    store.outbox.mark_done_many([e.seq for e in store.outbox.pending()])


def rect_mask(box: tuple[int, int, int, int], size: tuple[int, int]) -> np.ndarray:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle(box, fill=255)
    return np.asarray(mask).copy()


def pixels(store: Store, key: tuple[str, str] | None) -> np.ndarray:
    assert key is not None
    return np.asarray(blob_image(store, *key).convert("RGB"), dtype=np.int16)


# ---------------------------------------------------------------------- opening and selecting


def test_open_selects_the_first_image_and_the_latest_chat(store: Store, tmp_path: Path) -> None:
    async def scenario(s: WorkspaceServices) -> None:
        made = await new_creation(s, tmp_path, count=2)
        screen = await CanvasScreen.open(s, made.thread.id)
        first, second = made.assets
        assert screen.thread_id == made.thread.id
        assert screen.asset_id == first.id
        assert made.conversation is not None
        assert screen.conversation_id == made.conversation.id
        assert [a.asset.id for a in screen.state.assets] == [first.id, second.id]
        assert [screen.asset_label(a) for a in screen.state.assets] == ["look-0", "look-1"]
        asset = screen.asset
        assert asset is not None and len(asset.versions) == 1 and asset.versions[0].is_base
        assert screen.shown_key == current_key(first)
        assert screen.other_index is None  # nothing to compare an original with
        assert screen.progress is None and screen.busy_assets == set()
        assert screen.send_refusal() is None

        heard = Heard(screen)
        assert screen.select_asset(second.id)
        assert screen.select_asset(second.id)  # the same again: shown again, not "changed"
        assert not screen.select_asset("not-an-image")
        assert heard.of("asset_selected") == [
            AssetSelected(second.id, True),
            AssetSelected(second.id, False),
        ]
        assert screen.shown_key == current_key(second)
        screen.close()

        # Reopened with the image the designer was on.
        again = await CanvasScreen.open(s, made.thread.id, asset_id=second.id)
        assert again.asset_id == second.id
        # An image that is gone falls back to the first.
        third = await CanvasScreen.open(s, made.thread.id, asset_id=new_id())
        assert third.asset_id == first.id
        again.close()
        third.close()
        with pytest.raises(NotFoundError):
            await CanvasScreen.open(s, new_id())

    screen_run(store, tmp_path, scenario)


def test_a_creation_without_images_refuses_to_send(store: Store, tmp_path: Path) -> None:
    async def scenario(s: WorkspaceServices) -> None:
        thread = store.rows.save(CanvasThread(id=new_id(), user_id=store.user_id, title="empty"))
        screen = await CanvasScreen.open(s, thread.id)
        assert screen.asset_id is None and screen.asset is None and screen.shown_key is None
        assert screen.conversation_id is None and screen.messages() == []
        assert screen.send_refusal() == NO_IMAGE
        with pytest.raises(ValidationError, match="Add an image"):
            await screen.send("make it navy")
        assert await screen.revert(0) is None
        screen.close()

    screen_run(store, tmp_path, scenario)


# ---------------------------------------------------------------------- send, progress, reply


def test_send_shows_progress_then_the_reply_and_the_new_version(
    store: Store, tmp_path: Path
) -> None:
    box = (55, 35, 105, 85)

    async def scenario(s: WorkspaceServices) -> None:
        made = await new_creation(s, tmp_path)
        screen = await CanvasScreen.open(s, made.thread.id)
        heard = Heard(screen)
        (asset,) = made.assets
        before = pixels(store, screen.shown_key)
        size = (before.shape[1], before.shape[0])

        sent = await screen.send("make it navy", rect_mask(box, size))
        # The user's message is in the chat, and the edit runs for this image.
        assert [m.id for ms in heard.of("messages_added") for m in ms] == [sent.message.id]
        assert [p.job_id for p in screen.running()] == [sent.job.id]
        assert screen.busy_assets == {asset.id}
        progress = screen.progress
        assert progress is not None and progress.message_id == sent.message.id
        # One edit per image at a time: a second send is refused with a sentence.
        assert screen.send_refusal() == STILL_RUNNING
        with pytest.raises(ValidationError, match="still running"):
            await screen.send("and the strap")

        await eventually(lambda: len(screen.asset.versions) == 2)  # type: ignore[union-attr]
        await eventually(lambda: len(screen.messages()) == 2)
        await screen.settled()  # the reply is told once its version is read
        reply = screen.messages()[-1]
        assert reply.role == MessageRole.ASSISTANT and reply.output_storage_path
        assert [m.id for ms in heard.of("messages_added") for m in ms][-1] == reply.id
        state = screen.asset
        assert state is not None and state.current_index == 1
        assert screen.shown_key == current_key(state.asset) == version_key(state.versions[1])
        assert screen.other_index == 0  # compare: the original beside the edit
        assert any(a.asset.id == asset.id for a in heard.of("asset_changed"))
        # Done: nothing runs, the progress box is gone, the next send is allowed.
        assert screen.running() == () and screen.busy_assets == set()
        assert heard.of("progress_changed")[-1] is None
        assert screen.send_refusal() is None
        # The edit changed the masked pixels only.
        after = pixels(store, screen.shown_key)
        inside = np.zeros(before.shape[:2], bool)
        x0, y0, x1, y1 = box
        inside[y0 : y1 + 1, x0 : x1 + 1] = True
        changed = np.abs(after - before).sum(axis=2) > 6
        assert changed[inside].mean() > 0.3
        assert changed[~inside].mean() < 0.01
        screen.close()

    screen_run(store, tmp_path, scenario)


def test_progress_then_cancel_and_the_image_can_be_edited_again(
    store: Store, tmp_path: Path
) -> None:
    gate = Gate("edit")

    async def scenario(s: WorkspaceServices) -> None:
        made = await new_creation(s, tmp_path)
        screen = await CanvasScreen.open(s, made.thread.id)
        heard = Heard(screen)
        sent = await screen.send("make it navy")
        await until(gate.reached)
        await eventually(lambda: any(p and p.fraction > 0 for p in heard.of("progress_changed")))
        shown = screen.progress
        assert shown is not None and shown.job_id == sent.job.id and 0 < shown.fraction < 1
        assert shown.text  # a sentence for the progress box

        assert await screen.cancel(sent.job.id)
        gate.release.set()
        await eventually(lambda: screen.messages()[-1].text == CANCELED_REPLY)
        # Ended means ended: not marked running again by anything that arrives late.
        await screen.settled()
        assert screen.running() == () and screen.progress is None
        assert screen.busy_assets == set() and screen.send_refusal() is None
        asset = screen.asset
        assert asset is not None and len(asset.versions) == 1  # no new version

        again = await screen.send("make it green")
        assert [p.job_id for p in screen.running()] == [again.job.id]
        await eventually(lambda: screen.running() == ())
        screen.close()

    screen_run(store, tmp_path, scenario, step_hook=gate)


# ---------------------------------------------------------------------- versions


def test_show_an_older_version_compare_and_revert(store: Store, tmp_path: Path) -> None:
    async def scenario(s: WorkspaceServices) -> None:
        made = await new_creation(s, tmp_path)
        screen = await CanvasScreen.open(s, made.thread.id)
        await screen.send("make it navy")
        await eventually(lambda: len(screen.asset.versions) == 2)  # type: ignore[union-attr]
        await eventually(lambda: screen.running() == ())
        asset = screen.asset
        assert asset is not None
        original, edit = (version_key(v) for v in asset.versions)
        heard = Heard(screen)

        assert screen.show_version(0)
        assert not screen.show_version(0)  # already shown: nothing to do
        assert not screen.show_version(7)
        assert heard.of("version_shown") == [0]
        assert screen.viewing_other and screen.shown_index == 0
        assert screen.shown_key == original
        assert screen.other_index == 1  # compared with the current one

        # A new version arriving while an older one is viewed: the new one is shown.
        await screen.send("now make it green")
        await eventually(lambda: len(screen.asset.versions) == 3)  # type: ignore[union-attr]
        await eventually(lambda: screen.running() == ())
        assert not screen.viewing_other and screen.shown_index == 2

        screen.show_version(0)
        reverted = await screen.revert(0)
        assert reverted is not None and reverted.current_index == 0
        assert screen.view_row is None and not screen.viewing_other
        assert screen.shown_key == original and screen.other_index is None
        stored = store.rows.get(CanvasAsset, asset.asset.id)
        assert stored is not None and current_key(stored) == original
        # A version index that does not exist is refused with a sentence.
        with pytest.raises(ValidationError, match="versions"):
            await screen.revert(9)
        assert (await screen.revert(1)) is not None
        assert screen.shown_key == edit
        screen.close()

    screen_run(store, tmp_path, scenario)


# ---------------------------------------------------------------------- masks from files


def test_import_a_mask_resized_to_the_image_or_refused(store: Store, tmp_path: Path) -> None:
    async def scenario(s: WorkspaceServices) -> None:
        made = await new_creation(s, tmp_path)
        screen = await CanvasScreen.open(s, made.thread.id)
        size = (320, 240)
        big = Image.new("L", (640, 480), 0)
        ImageDraw.Draw(big).rectangle((200, 100, 400, 300), fill=255)
        path = write(tmp_path, "mask.png", png_bytes(big))
        mask = await screen.read_mask(path, size)
        assert mask.resized and mask.original_size == (640, 480) and mask.size == size
        assert mask.array.shape == (240, 320) and mask.array.dtype == np.uint8
        assert mask.array[100, 150] == 255 and mask.array[10, 10] == 0

        same = await screen.read_mask(write(tmp_path, "same.png", png_bytes(big)), (640, 480))
        assert not same.resized

        tall = write(tmp_path, "tall.png", png_bytes(Image.new("L", (100, 400), 255)))
        with pytest.raises(ExternalError) as refused:
            await screen.read_mask(tall, size)
        assert "100" in refused.value.message and "320" in refused.value.message
        text = write(tmp_path, "notes.png", b"this is not an image at all")
        with pytest.raises(ExternalError):
            await screen.read_mask(text, size)
        with pytest.raises(ExternalError):
            await screen.read_mask(tmp_path / "missing.png", size)
        screen.close()

    screen_run(store, tmp_path, scenario)


# ---------------------------------------------------------------------- conversations


def test_several_conversations(store: Store, tmp_path: Path) -> None:
    async def scenario(s: WorkspaceServices) -> None:
        made = await new_creation(s, tmp_path)
        assert made.conversation is not None
        first_chat = made.conversation.id
        screen = await CanvasScreen.open(s, made.thread.id)
        heard = Heard(screen)
        await screen.send("make it navy")
        await eventually(lambda: len(screen.messages()) == 2)

        second = await screen.new_conversation()
        assert screen.conversation_id == second.id
        assert heard.of("conversations_changed")[-1] == second.id
        assert [title for _id, title in screen.conversation_items()] == ["Chat 1", "Chat 2"]
        assert screen.messages() == []
        sent = await screen.send("make it green")
        assert sent.message.conversation_id == second.id
        await eventually(lambda: len(screen.messages()) == 2)

        screen.select_conversation(first_chat)
        assert heard.of("conversation_selected")[-1] == first_chat
        assert screen.messages()[0].text == "make it navy"
        # The reply to a chat not shown is kept but not added to the one shown.
        shown_ids = [m.id for ms in heard.of("messages_added") for m in ms]
        assert all(m.id in shown_ids for m in screen.state.messages_of(second.id))

        await screen.rename_conversation(second.id, "Greens")
        assert dict(screen.conversation_items())[second.id] == "Greens"
        with pytest.raises(ValidationError):
            await screen.rename_conversation(second.id, "   ")

        screen.select_conversation(second.id)
        deleted = await screen.delete_conversation(second.id)
        assert screen.conversation_id == first_chat
        assert [i for i, _t in screen.conversation_items()] == [first_chat]
        assert store.rows.get(CanvasConversation, second.id) is None
        restored = await screen.restore_conversation(deleted)
        assert screen.conversation_id == restored.id
        assert screen.messages()[0].text == "make it green"
        assert len(screen.messages()) == 2
        screen.close()

    screen_run(store, tmp_path, scenario)


def test_messages_in_no_conversation_are_earlier_messages(store: Store, tmp_path: Path) -> None:
    async def scenario(s: WorkspaceServices) -> None:
        made = await new_creation(s, tmp_path)
        (asset,) = made.assets
        old = CanvasMessage(
            id=new_id(),
            thread_id=made.thread.id,
            user_id=store.user_id,
            conversation_id=None,
            asset_id=asset.id,
            role=MessageRole.USER,
            text="from the old web app",
        )
        store.rows.save(old)
        screen = await CanvasScreen.open(s, made.thread.id)
        items = screen.conversation_items()
        assert items[0] == (LOOSE, "Earlier messages")
        screen.select_conversation(LOOSE)
        assert [m.text for m in screen.messages()] == ["from the old web app"]
        # Sending from there goes to the latest real chat, not to "no conversation".
        sent = await screen.send("make it navy")
        assert sent.message.conversation_id == made.conversation.id  # type: ignore[union-attr]
        await eventually(lambda: screen.running() == ())
        screen.close()

    screen_run(store, tmp_path, scenario)


# ---------------------------------------------------------------------- images


def test_add_files_and_pasted_bytes_select_the_new_image(store: Store, tmp_path: Path) -> None:
    async def scenario(s: WorkspaceServices) -> None:
        made = await new_creation(s, tmp_path)
        screen = await CanvasScreen.open(s, made.thread.id)
        heard = Heard(screen)
        photo = write(tmp_path / "more", "strap.png", png_bytes(studio_scene((200, 150))))
        junk = write(tmp_path / "more", "notes.txt", b"not an image")
        result = await screen.add_files([photo, junk])
        (added,) = result.assets
        assert len(result.refused) == 1 and "notes.txt" in result.message
        assert screen.asset_id == added.id
        assert heard.of("asset_selected")[-1] == AssetSelected(added.id, True)
        assert [a.asset.id for a in screen.state.assets][-1] == added.id
        assert screen.shown_key == current_key(added)

        pasted = await screen.add_image_bytes(png_bytes(studio_scene((90, 90))))
        (image,) = pasted.assets
        assert screen.asset_id == image.id and image.label == "Pasted image"

        with pytest.raises(ExternalError, match="not an image"):
            await screen.add_image_bytes(b"\x89PNG broken")
        assert screen.asset_id == image.id  # nothing lost, nothing moved
        assert len(screen.state.assets) == 3

        await screen.rename_asset(image.id, "Detail")
        assert screen.asset_label(screen.asset) == "Detail"  # type: ignore[arg-type]
        assert await screen.delete_asset(image.id)
        await eventually(lambda: heard.of("asset_removed") == [image.id])
        assert screen.asset_id == made.assets[0].id  # the first image is selected instead
        screen.close()

    screen_run(store, tmp_path, scenario)


# ---------------------------------------------------------------------- from elsewhere


def test_rows_from_another_device_arrive_as_events(store: Store, tmp_path: Path) -> None:
    async def scenario(s: WorkspaceServices) -> None:
        made = await new_creation(s, tmp_path, count=2)
        screen = await CanvasScreen.open(s, made.thread.id)
        heard = Heard(screen)
        first, second = made.assets
        now = datetime.now(UTC)
        output = f"{store.user_id}/canvas/{made.thread.id}/{new_id()}.png"
        asked = CanvasMessage(
            id=new_id(),
            thread_id=made.thread.id,
            user_id=store.user_id,
            conversation_id=screen.conversation_id,
            asset_id=first.id,
            role=MessageRole.USER,
            text="make the bag navy (from the laptop)",
            created_at=now,
        )
        answered = dataclasses.replace(
            asked,
            id=new_id(),
            role=MessageRole.ASSISTANT,
            text="Recoloured to navy.",
            output_storage_bucket="outputs",
            output_storage_path=output,
            created_at=now + timedelta(seconds=2),
        )
        moved = dataclasses.replace(
            first, current_storage_bucket="outputs", current_storage_path=output, updated_at=now
        )
        chat = CanvasConversation(
            id=new_id(), thread_id=made.thread.id, user_id=store.user_id, title="From the web"
        )
        renamed = dataclasses.replace(made.thread, title="Summer look")
        relabelled = dataclasses.replace(second, label="Back view")

        def pull() -> None:  # as sync/pull.py stores a page: one transaction, origin "remote"
            pushed(store)
            with store.transaction():
                store.rows.apply_remote_rows("canvas_threads", [renamed.to_row()])
                store.rows.apply_remote_rows("canvas_conversations", [chat.to_row()])
                store.rows.apply_remote_rows("canvas_messages", [asked.to_row(), answered.to_row()])
                store.rows.apply_remote_rows("canvas_assets", [moved.to_row(), relabelled.to_row()])

        await asyncio.get_running_loop().run_in_executor(None, pull)  # another thread, as sync
        await eventually(lambda: len(screen.asset.versions) == 2)  # type: ignore[union-attr]
        await eventually(lambda: bool(heard.of("creation_changed")))
        await screen.settled()

        added = [m.id for ms in heard.of("messages_added") for m in ms]
        assert added == [asked.id, answered.id]  # in order, in the open chat
        assert heard.of("creation_changed")[-1].title == "Summer look"
        assert screen.thread.title == "Summer look"
        assert chat.id in dict(screen.conversation_items())
        assert screen.conversation_id != chat.id  # a new chat elsewhere does not steal focus
        state = screen.asset
        assert state is not None and state.current_index == 1
        assert screen.shown_key == ("outputs", output)
        assert screen.asset_label(screen.state.asset(second.id)) == "Back view"  # type: ignore[arg-type]
        # Nothing the widgets hear names a table.
        assert all("canvas_" not in name for name, _v in heard.events)

        # The creation deleted on the other device: the screen says so and stops.
        def delete() -> None:
            pushed(store)
            with store.transaction():
                store.rows.apply_remote_deletes("canvas_threads", [made.thread.id])

        await asyncio.get_running_loop().run_in_executor(None, delete)
        await eventually(lambda: heard.of("creation_removed") == [made.thread.id])
        assert screen.closed

    screen_run(store, tmp_path, scenario)


def test_a_current_pointer_ahead_of_its_reply_is_the_newest_version(
    store: Store, tmp_path: Path
) -> None:
    async def scenario(s: WorkspaceServices) -> None:
        made = await new_creation(s, tmp_path)
        screen = await CanvasScreen.open(s, made.thread.id)
        (first,) = made.assets
        output = f"{store.user_id}/canvas/{made.thread.id}/{new_id()}.png"
        moved = dataclasses.replace(
            first, current_storage_bucket="outputs", current_storage_path=output
        )
        pushed(store)
        with store.transaction():
            store.rows.apply_remote_rows("canvas_assets", [moved.to_row()])
        await eventually(lambda: len(screen.asset.versions) == 2)  # type: ignore[union-attr]
        state = screen.asset
        assert state is not None and state.current_index == 1
        assert version_key(state.versions[1]) == ("outputs", output)
        assert state.versions[1].message_id is None
        screen.close()

    screen_run(store, tmp_path, scenario)


def test_the_creation_list_follows_creations_made_renamed_and_deleted(
    store: Store, tmp_path: Path
) -> None:
    async def scenario(s: WorkspaceServices) -> None:
        creations = CreationList(s)
        changed: list[CanvasThread] = []
        removed: list[str] = []
        creations.creation_changed.connect(changed.append)
        creations.creation_removed.connect(removed.append)
        photo = write(tmp_path / "in", "coat.png", png_bytes(studio_scene()))
        made = await creations.start_creation([photo])
        assert [t.id for t in await creations.load()] == [made.thread.id]
        await eventually(lambda: any(t.id == made.thread.id for t in changed))
        await s.canvas.rename_creation(made.thread.id, "Coats")
        await eventually(lambda: changed[-1].title == "Coats")
        assert await s.canvas.delete_creation(made.thread.id)
        await eventually(lambda: removed == [made.thread.id])
        assert await creations.load() == []
        creations.close()

    screen_run(store, tmp_path, scenario)


def test_a_closed_screen_hears_nothing(store: Store, tmp_path: Path) -> None:
    async def scenario(s: WorkspaceServices) -> None:
        made = await new_creation(s, tmp_path)
        screen = await CanvasScreen.open(s, made.thread.id)
        heard = Heard(screen)
        listeners = len(s.canvas.message_added), len(store.rows.rows_changed)
        screen.close()
        assert (len(s.canvas.message_added), len(store.rows.rows_changed)) == (
            listeners[0] - 1,
            listeners[1] - 1,
        )
        other = await CanvasScreen.open(s, made.thread.id)
        await other.send("make it navy")
        await eventually(lambda: other.running() == ())
        await eventually(lambda: len(other.messages()) == 2)
        assert heard.events == []
        other.close()

    screen_run(store, tmp_path, scenario)


def test_a_reply_in_a_chat_not_shown_stays_in_its_chat(store: Store, tmp_path: Path) -> None:
    async def scenario(s: WorkspaceServices) -> None:
        made = await new_creation(s, tmp_path)
        assert made.conversation is not None
        screen = await CanvasScreen.open(s, made.thread.id)
        second = await screen.new_conversation()
        await screen.send("make it navy")  # in the second chat
        heard = Heard(screen)
        screen.select_conversation(made.conversation.id)  # switched before the reply came
        await eventually(lambda: len(screen.state.messages_of(second.id)) == 2)
        await screen.settled()
        assert heard.of("messages_added") == []  # nothing of the second chat in the first
        assert screen.messages() == []
        screen.select_conversation(second.id)
        assert [m.role for m in screen.messages()] == ["user", "assistant"]
        screen.close()

    screen_run(store, tmp_path, scenario)
