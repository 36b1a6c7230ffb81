"""The Profiles screen without Qt or a display: the list, the selection, the commands and the
events a list view follows, over a real SQLite store with its outbox and blob cache. Changes
"from elsewhere" are written on another thread, as the sync's pull writes them."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from studio_desktop.domain.errors import ValidationError
from studio_desktop.domain.models import Profile, new_id
from studio_desktop.domain.paths import profile_reference_ref
from studio_desktop.imaging.errors import EmptyFileError, ImageError, NotAnImageError
from studio_desktop.services.common import NotFoundError
from studio_desktop.services.profiles import ProfileFields, ProfileService
from studio_desktop.services.profiles_screen import ProfilesScreen, RowsChange, matches
from studio_desktop.store.workspace import Store
from tests.services.conftest import PDF_BYTES, png_bytes, studio_scene, write


class Recorder:
    """Every event the screen emits, in order, and a check that the list only changes
    between a ``rows_changing`` and its ``rows_changed`` (what a Qt list model needs)."""

    def __init__(self, screen: ProfilesScreen) -> None:
        self.screen = screen
        self.events: list[tuple[str, Any]] = []
        self.sizes: list[tuple[str, int]] = []
        for name in (
            "rows_changing",
            "rows_changed",
            "profile_updated",
            "reference_changed",
            "selection_changed",
        ):
            getattr(screen, name).connect(lambda value, n=name: self._record(n, value))

    def _record(self, name: str, value: Any) -> None:
        self.events.append((name, value))
        if name in ("rows_changing", "rows_changed"):
            self.sizes.append((name, len(self.screen)))

    def named(self, name: str) -> list[Any]:
        return [value for n, value in self.events if n == name]

    def clear(self) -> None:
        self.events.clear()
        self.sizes.clear()


def names(screen: ProfilesScreen) -> list[str]:
    return [p.name for p in screen.profiles()]


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def scenario(store: Store, body: Callable[[ProfileService], Awaitable[None]]) -> None:
    asyncio.run(body(ProfileService(store)))


async def elsewhere(fn: Callable[[], object]) -> None:
    """Run a store write on another thread (as the sync's pull does)."""
    await asyncio.get_running_loop().run_in_executor(None, fn)


def pulled(store: Store, profile: Profile) -> None:
    with store.transaction():
        store.rows.apply_remote_rows("profiles", [profile.to_row()])


def test_load_shows_every_profile_by_name_and_follows_changes_from_elsewhere(
    store: Store,
) -> None:
    async def body(service: ProfileService) -> None:
        await service.create("mia")
        await service.create("Ana")
        screen = ProfilesScreen(service)
        seen = Recorder(screen)
        assert await screen.load() == 2
        assert names(screen) == ["Ana", "mia"]  # by name, ignoring case
        assert seen.named("rows_changing") == [RowsChange("reset")]

        # Another computer's profile arrives through the pull, on the sync's thread.
        zoe = Profile(id=new_id(), user_id=store.user_id, name="Bea")
        seen.clear()
        await elsewhere(lambda: pulled(store, zoe))
        await until(lambda: screen.row_of(zoe.id) is not None)
        assert names(screen) == ["Ana", "Bea", "mia"]
        assert seen.named("rows_changed") == [RowsChange("insert", 1)]
        assert seen.sizes == [("rows_changing", 2), ("rows_changed", 3)]

        # Renamed elsewhere: it moves to its new place by name, and says which row it is now.
        seen.clear()
        await elsewhere(lambda: pulled(store, replace(zoe, name="Zoe")))
        await until(lambda: names(screen) == ["Ana", "mia", "Zoe"])
        assert seen.named("rows_changed") == [RowsChange("move", 1, 2)]
        assert seen.named("profile_updated") == [2]

        # Deleted elsewhere: the row goes.
        seen.clear()
        await elsewhere(lambda: store.rows.apply_remote_deletes("profiles", [zoe.id]))
        await until(lambda: screen.row_of(zoe.id) is None)
        assert seen.named("rows_changed") == [RowsChange("remove", 2)]
        assert seen.sizes == [("rows_changing", 3), ("rows_changed", 2)]
        screen.close()

    scenario(store, body)


def test_commands_show_their_result_at_once_and_the_selection_follows(store: Store) -> None:
    async def body(service: ProfileService) -> None:
        screen = ProfilesScreen(service)
        await screen.load()
        seen = Recorder(screen)

        ana = await screen.create(ProfileFields("Ana", gender="female", region="Lisbon"))
        assert names(screen) == ["Ana"] and screen.selected == ana  # shown and selected now
        assert seen.named("rows_changed") == [RowsChange("insert", 0)]
        assert seen.named("selection_changed") == [ana]
        bo = await screen.create(ProfileFields("Bo"))
        assert screen.selected == bo

        # The store's own event for the create comes after and adds no second row.
        await asyncio.sleep(0.1)
        assert names(screen) == ["Ana", "Bo"]

        # An edit that renames moves the row; the selection keeps the profile, updated.
        assert screen.select(ana.id)
        renamed = await screen.update(ana.id, ProfileFields("Zara", gender="female"))
        assert names(screen) == ["Bo", "Zara"]
        assert screen.selected == renamed and renamed.region is None

        # Refusals change nothing: a taken name (the field is named), a profile gone.
        with pytest.raises(ValidationError) as refused:
            await screen.update(ana.id, ProfileFields("bo"))
        assert refused.value.field == "name"
        assert names(screen) == ["Bo", "Zara"]
        with pytest.raises(NotFoundError):
            await screen.delete(new_id())
        assert screen.select("no-such-id") is False

        # Delete: the selected one goes, the selection is cleared, undo gets the stored row.
        outcome = await screen.delete(ana.id)
        assert outcome.gone and outcome.profile == renamed and outcome.reference is None
        assert names(screen) == ["Bo"] and screen.selected is None
        await asyncio.sleep(0.1)  # the store's delete event then removes nothing more
        assert names(screen) == ["Bo"]
        screen.close()

    scenario(store, body)


def test_reference_image_before_and_after_for_undo_and_bad_files_change_nothing(
    store: Store, tmp_path: Path
) -> None:
    async def body(service: ProfileService) -> None:
        screen = ProfilesScreen(service)
        await screen.load()
        ana = await screen.create(ProfileFields("Ana"))
        assert screen.reference(ana) is None  # no reference: nothing to look up

        first = write(tmp_path, "first.png", png_bytes(studio_scene((200, 150))))
        set_first = await screen.set_reference(ana.id, first)
        assert set_first.before is None and set_first.after is not None
        shown = screen.find(ana.id)
        assert shown is not None and shown.reference_image_path
        reference = screen.reference(shown)
        assert reference is not None and reference.known and reference.file is not None
        assert reference.file.read_bytes() == set_first.after

        second = write(tmp_path, "second.png", png_bytes(studio_scene((120, 160))))
        set_second = await screen.set_reference(ana.id, second)
        assert set_second.before == set_first.after  # what undo puts back
        assert set_second.after != set_first.after

        # Bad inputs, each refused with a sentence and nothing changed: a PDF renamed .png,
        # an empty file, a file that is not there.
        with pytest.raises(NotAnImageError):
            await screen.set_reference(ana.id, write(tmp_path, "doc.png", PDF_BYTES))
        with pytest.raises(EmptyFileError):
            await screen.set_reference(ana.id, write(tmp_path, "empty.png", b""))
        with pytest.raises(ImageError) as gone:
            await screen.set_reference(ana.id, tmp_path / "gone.png")
        assert "gone.png" in gone.value.message
        assert screen.find(ana.id) == set_second.profile

        cleared = await screen.clear_reference(ana.id)
        assert cleared.reference_image_path is None and screen.reference(cleared) is None
        screen.close()

    scenario(store, body)


def test_a_reference_not_on_this_computer_is_asked_for_once_and_shown_when_it_arrives(
    store: Store,
) -> None:
    asked: list[tuple[str, str]] = []

    async def body(service: ProfileService) -> None:
        loop = asyncio.get_running_loop()

        def request(bucket: str, path: str) -> None:  # as the open workspace's request_blob
            asked.append((bucket, path))
            loop.run_in_executor(None, store.blobs.want, bucket, path)

        # A profile pulled from another computer: its reference's file is not here.
        profile_id = new_id()
        ref = profile_reference_ref(store.user_id, profile_id, "image/png")
        mia = Profile(
            id=profile_id, user_id=store.user_id, name="Mia", reference_image_path=ref.path
        )
        await elsewhere(lambda: pulled(store, mia))

        screen = ProfilesScreen(service, request_blob=request)
        seen = Recorder(screen)
        await screen.load()
        shown = screen.find(mia.id)
        assert shown is not None
        for _paint in range(3):  # every paint of the card asks, the sync is asked once
            reference = screen.reference(shown)
            assert reference is not None and reference.missing
        assert asked == [(ref.bucket, ref.path)]
        await until(lambda: (store.blobs.info(ref.bucket, ref.path) or None) is not None)

        # The sync downloads it (on its thread): the card is told, and finds the file.
        data = png_bytes(studio_scene())
        await elsewhere(
            lambda: store.blobs.put(ref.bucket, ref.path, data, "image/png", upload=False)
        )
        await until(lambda: seen.named("reference_changed") == [ref.path])
        reference = screen.reference(shown)
        assert reference is not None and reference.file is not None
        assert reference.file.read_bytes() == data
        screen.close()

    scenario(store, body)


def test_changes_before_the_list_is_read_are_kept_and_nothing_comes_after_close(
    store: Store,
) -> None:
    async def body(service: ProfileService) -> None:
        listeners = (len(store.rows.rows_changed), len(store.blobs.available))
        screen = ProfilesScreen(service)
        loading = asyncio.ensure_future(screen.load())
        await asyncio.sleep(0)  # subscribed; the read is on its way
        late = Profile(id=new_id(), user_id=store.user_id, name="Late")
        await elsewhere(lambda: pulled(store, late))
        await loading
        await until(lambda: screen.row_of(late.id) is not None)
        assert names(screen).count("Late") == 1

        screen.close()
        other = Profile(id=new_id(), user_id=store.user_id, name="After close")
        await elsewhere(lambda: pulled(store, other))
        await asyncio.sleep(0.1)
        assert screen.row_of(other.id) is None
        assert (len(store.rows.rows_changed), len(store.blobs.available)) == listeners

    scenario(store, body)


def test_search_keeps_profiles_whose_fields_hold_every_word(store: Store) -> None:
    ana = Profile(
        id=new_id(),
        user_id=store.user_id,
        name="Ana Sousa",
        gender="female",
        skin_tone="medium",
        region="Southern Europe",
        background="warm beige sweep",
    )
    assert matches(ana, "")
    assert matches(ana, "   ")
    assert matches(ana, "ANA")
    assert matches(ana, "female south")  # words from different fields
    assert matches(ana, "beige")
    assert not matches(ana, "male north")
    assert not matches(ana, "drop")  # the card's hint is not a field

    async def body(service: ProfileService) -> None:
        screen = ProfilesScreen(service)
        await screen.load()
        await screen.create(ProfileFields("Ana Sousa", gender="female", region="Southern Europe"))
        await screen.create(ProfileFields("Kenji Mori", gender="male", region="East Asia"))
        said: list[str] = []
        screen.search_changed.connect(said.append)
        screen.set_search("east")
        screen.set_search("east")  # the same text again says nothing
        assert said == ["east"]
        assert [p.name for p in screen.shown()] == ["Kenji Mori"]
        assert [screen.is_shown(r) for r in range(len(screen))] == [False, True]
        assert len(screen) == 2  # the list keeps every profile
        screen.set_search("")
        assert len(screen.shown()) == 2
        screen.close()

    scenario(store, body)


class LateFirstRead(ProfilesScreen):
    """The first read of changed rows reads at once but finishes late (a slow disk, a busy
    pool): later reads overtake it."""

    def __init__(self, service: ProfileService) -> None:
        super().__init__(service)
        self.gate = threading.Event()
        self.reads = 0

    def _read_rows(self, ids: list[str]) -> list[tuple[Profile, Path | None]]:
        self.reads += 1
        found = super()._read_rows(ids)
        if self.reads == 1:
            self.gate.wait(5)
        return found


def test_a_read_overtaken_by_newer_changes_does_not_bring_back_old_fields_or_deleted_rows(
    store: Store,
) -> None:
    async def body(service: ProfileService) -> None:
        bea = Profile(id=new_id(), user_id=store.user_id, name="Bea")
        await elsewhere(lambda: pulled(store, bea))
        screen = LateFirstRead(service)
        await screen.load()

        # Renamed twice elsewhere: the first rename's read finishes after the second's.
        await elsewhere(lambda: pulled(store, replace(bea, name="Bea One")))
        await until(lambda: screen.reads == 1)
        await elsewhere(lambda: pulled(store, replace(bea, name="Bea Two")))
        await until(lambda: names(screen) == ["Bea Two"])
        screen.gate.set()
        await until(lambda: screen.reads == 2)
        await asyncio.sleep(0.2)
        assert names(screen) == ["Bea Two"]

        # A row pulled, its read slow, then deleted elsewhere: it stays deleted.
        late = LateFirstRead(service)
        await late.load()
        cid = Profile(id=new_id(), user_id=store.user_id, name="Cid")
        await elsewhere(lambda: pulled(store, cid))
        await until(lambda: late.reads == 1)
        await elsewhere(lambda: store.rows.apply_remote_deletes("profiles", [cid.id]))
        await asyncio.sleep(0.1)
        late.gate.set()
        await asyncio.sleep(0.2)
        assert late.row_of(cid.id) is None
        screen.close()
        late.close()

    scenario(store, body)
