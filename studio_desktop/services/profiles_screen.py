"""The Profiles screen below Qt: the list of profiles, the selection, the commands, and events
that say what happened to them.

    screen = ProfilesScreen(services.profiles, request_blob=workspace.request_blob)
    screen.rows_changing.connect(...)   # begin: a row is about to be inserted/removed/moved
    screen.rows_changed.connect(...)    # end: it was (same RowsChange value)
    screen.profile_updated.connect(...) # a row's content changed in place (its row)
    screen.reference_changed.connect(...)  # a reference's file is known now (its storage path)
    await screen.load()
    screen.select(profile.id)
    outcome = await screen.set_reference(profile.id, Path("ana.jpg"))

**One copy.** The profiles shown, in name order, live here; the Qt list model
(``ui/profiles/model.py``) reads them and turns the events into row signals. Whether a reference
image is on this computer is looked up off the GUI thread when a row arrives and kept here, so
painting a card never reads the database; a reference that is not here is asked of the sync
once (:class:`~studio_desktop.services.missing_files.MissingFiles`) when its card is painted,
and shown when the blob cache announces it.

**Changes from elsewhere.** The store's ``rows_changed`` (a committed change, from this app, an
undo, or a pull from another computer) and the blob cache's ``available`` arrive on whatever
thread wrote; they are handed to the event loop this screen was loaded on
(``call_soon_threadsafe``), so the list is only touched, and every event only emitted, on that
one thread (under the app, the GUI thread: qasync runs asyncio there). A changed row is read
again off that thread; a row deleted while its read was on its way stays deleted.

Commands (``create``, ``update``, ``delete``, ``set_reference``, ``clear_reference``) are the
service's use cases plus what the screen needs for undo (the image bytes before and after); the
list shows their result at once, and the store's event that follows changes nothing more.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from studio_desktop.domain.enums import Bucket
from studio_desktop.domain.events import Event
from studio_desktop.domain.models import Profile
from studio_desktop.services.missing_files import BlobRequester, MissingFiles
from studio_desktop.services.profiles import ProfileFields, ProfileService
from studio_desktop.store.repository import ChangeSet

log = logging.getLogger(__name__)

PROFILES_BUCKET = Bucket.PROFILES.value


@dataclass(frozen=True, slots=True)
class RowsChange:
    """Rows of the list that move: emitted before (``rows_changing``) and after
    (``rows_changed``) the list changes, so a list view can follow row by row."""

    kind: Literal["reset", "insert", "remove", "move"]
    row: int = -1
    #: ``move``: the row the profile has after the move.
    to: int = -1


@dataclass(frozen=True, slots=True)
class ReferenceFile:
    """Where a profile's reference image stands on this computer."""

    #: False while it is being looked up (right after its row arrived).
    known: bool
    file: Path | None = None

    @property
    def missing(self) -> bool:
        """Set, looked up, and not on this computer (the sync was asked for it)."""
        return self.known and self.file is None


@dataclass(frozen=True, slots=True)
class DeleteOutcome:
    gone: bool  # False: it had been deleted already
    profile: Profile  # as stored just before (undo restores this)
    reference: bytes | None  # its reference image, for undo


@dataclass(frozen=True, slots=True)
class ReferenceOutcome:
    profile: Profile
    before: bytes | None  # the previous reference image (undo puts it back)
    after: bytes | None  # the new one as stored (redo)


def sort_key(profile: Profile) -> tuple[str, str]:
    return (profile.name.casefold(), profile.id)


def detail_line(profile: Profile) -> str:
    """The card's second line: "female · medium · Southern Europe"."""
    return " · ".join(p for p in (profile.gender, profile.skin_tone, profile.region) if p)


def matches(profile: Profile, search: str) -> bool:
    """Whether ``profile`` is shown for the search text: every word of it is found (ignoring
    case) in the name, the gender, skin tone, region or background; empty text shows all."""
    words = search.casefold().split()
    if not words:
        return True
    fields = (profile.name, profile.gender, profile.skin_tone, profile.region, profile.background)
    text = " ".join(f for f in fields if f).casefold()
    return all(word in text for word in words)


def _read_or_none(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError:
        return None


class ProfilesScreen:
    """The Profiles screen's state and commands (see the module docstring)."""

    def __init__(
        self, service: ProfileService, *, request_blob: BlobRequester | None = None
    ) -> None:
        self.service = service
        self.store = service.store
        self.missing = MissingFiles(request_blob)
        self._rows: list[Profile] = []
        self._files: dict[str, Path | None] = {}
        self._selected: str | None = None
        self._search = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loaded = False
        self._closed = False
        self._early: list[tuple[str, Sequence[str], int]] = []
        #: Counts the changes seen; a profile deleted at change n is not brought back by a read
        #: started before n.
        self._change = 0
        self._removed_at: dict[str, int] = {}
        #: The change whose read last updated each profile: an older read finishing later
        #: (reads run in a pool) does not put older fields back.
        self._read_at: dict[str, int] = {}
        self._links: list[tuple[Event[Any], Callable[[Any], None]]] = []

        self.rows_changing: Event[RowsChange] = Event("profiles.rows_changing")
        self.rows_changed: Event[RowsChange] = Event("profiles.rows_changed")
        self.profile_updated: Event[int] = Event("profiles.profile_updated")
        self.reference_changed: Event[str] = Event("profiles.reference_changed")
        self.selection_changed: Event[Profile | None] = Event("profiles.selection_changed")
        self.search_changed: Event[str] = Event("profiles.search_changed")
        self.loaded: Event[int] = Event("profiles.loaded")

    # ------------------------------------------------------------------ reading
    @property
    def is_loaded(self) -> bool:
        return self._loaded

    def __len__(self) -> int:
        return len(self._rows)

    def profile(self, row: int) -> Profile:
        return self._rows[row]

    def profiles(self) -> list[Profile]:
        return list(self._rows)

    def row_of(self, profile_id: str) -> int | None:
        for row, profile in enumerate(self._rows):
            if profile.id == profile_id:
                return row
        return None

    def find(self, profile_id: str) -> Profile | None:
        row = self.row_of(profile_id)
        return None if row is None else self._rows[row]

    def reference(self, profile: Profile) -> ReferenceFile | None:
        """Where ``profile``'s reference image is (None: it has none). Cheap: a card's paint
        asks it; a reference known to be missing is asked of the sync here, once."""
        key = profile.reference_image_path
        if not key:
            return None
        if key not in self._files:
            return ReferenceFile(known=False)
        file = self._files[key]
        if file is None:
            self.missing.ask(PROFILES_BUCKET, key)
        return ReferenceFile(known=True, file=file)

    # ------------------------------------------------------------------ search
    @property
    def search(self) -> str:
        return self._search

    def set_search(self, text: str) -> None:
        """Show only the profiles :func:`matches` keeps (the list itself keeps them all)."""
        if text != self._search:
            self._search = text
            self.search_changed.emit(text)

    def is_shown(self, row: int) -> bool:
        """Whether the profile at ``row`` passes the search."""
        return matches(self._rows[row], self._search)

    def shown(self) -> list[Profile]:
        return [p for p in self._rows if matches(p, self._search)]

    # ------------------------------------------------------------------ selection
    @property
    def selected(self) -> Profile | None:
        return self.find(self._selected) if self._selected else None

    def select(self, profile_id: str | None) -> bool:
        """Make ``profile_id`` the selected profile (None: none); False if it is not listed."""
        if profile_id is not None and self.row_of(profile_id) is None:
            return False
        if profile_id != self._selected:
            self._selected = profile_id
            self.selection_changed.emit(self.selected)
        return True

    # ------------------------------------------------------------------ loading
    async def load(self) -> int:
        """Read every profile (and where their references are) and show them; from now on the
        store's changes keep the list current. Returns how many there are."""
        self._loop = asyncio.get_running_loop()
        self._follow_store()
        started = self._change
        profiles, files = await self.service.io(self._read_all)
        if self._closed:
            return 0
        self.rows_changing.emit(RowsChange("reset"))
        self._rows = sorted(
            (p for p in profiles if self._removed_at.get(p.id, -1) < started), key=sort_key
        )
        self._files = files
        self.rows_changed.emit(RowsChange("reset"))
        self._loaded = True
        if self._selected is not None and self.row_of(self._selected) is None:
            self.select(None)
        # Changes committed while the list was being read may or may not be in it: replay them.
        early, self._early = self._early, []
        for kind, ids, number in early:
            self._apply(kind, ids, number)
        self.loaded.emit(len(self._rows))
        return len(self._rows)

    def close(self) -> None:
        """Stop following the store (the screen is gone); later events change nothing."""
        self._closed = True
        links, self._links = self._links, []
        for event, callback in links:
            with contextlib.suppress(ValueError):
                event.disconnect(callback)

    def _follow_store(self) -> None:
        if self._links or self._closed:
            return
        rows, blobs = self.store.rows.rows_changed, self.store.blobs.available
        rows.connect(self._row_change_from_any_thread)
        blobs.connect(self._arrival_from_any_thread)
        self._links = [(rows, self._row_change_from_any_thread)]
        self._links.append((blobs, self._arrival_from_any_thread))

    def _on_loop(self, callback: Callable[..., None], *args: object) -> None:
        loop = self._loop
        if loop is None or self._closed:
            return
        try:
            loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop is closed: the app is going away
            log.debug("profiles change after the loop closed")

    def _row_change_from_any_thread(self, change: ChangeSet) -> None:
        if change.table != "profiles":
            return
        kind = "delete" if change.kind == "delete" else "upsert"
        self._on_loop(self._changed, kind, tuple(change.ids))

    def _arrival_from_any_thread(self, ref: tuple[str, str]) -> None:
        bucket, path = ref
        if bucket == PROFILES_BUCKET:
            self._on_loop(self._arrived, path)

    # ------------------------------------------------------------------ changes (loop thread)
    def _changed(self, kind: str, ids: Sequence[str]) -> None:
        if self._closed:
            return
        self._change += 1
        number = self._change
        if kind == "delete":
            for profile_id in ids:
                self._removed_at[profile_id] = number
        if not self._loaded:
            self._early.append((kind, ids, number))
            return
        self._apply(kind, ids, number)

    def _apply(self, kind: str, ids: Sequence[str], number: int) -> None:
        if kind == "delete":
            for profile_id in ids:
                self._remove(profile_id)
            return
        task = asyncio.ensure_future(self.service.io(self._read_rows, list(ids)))
        task.add_done_callback(lambda done: self._rows_read(done, number))

    def _rows_read(
        self, task: asyncio.Future[list[tuple[Profile, Path | None]]], number: int
    ) -> None:
        if task.cancelled() or self._closed:
            return
        error = task.exception()
        if error is not None:
            log.warning("changed profiles could not be read: %s", error)
            return
        for profile, file in task.result():
            if self._removed_at.get(profile.id, -1) > number:
                continue  # deleted after this read started
            if self._read_at.get(profile.id, -1) > number:
                continue  # a newer read already showed it
            self._read_at[profile.id] = number
            self._upsert(profile, file)

    def _arrived(self, path: str) -> None:
        """The blob cache has a profiles object: show it if a card waits for it."""
        waited = self.missing.arrived(PROFILES_BUCKET, path)
        if self._closed or (not waited and self._files.get(path, "") is not None):
            return
        task = asyncio.ensure_future(self.service.io(self._locate, path))
        task.add_done_callback(lambda done: self._located(path, done))

    def _located(self, path: str, task: asyncio.Future[Path | None]) -> None:
        if task.cancelled() or self._closed or task.exception() is not None:
            return
        self._files[path] = task.result()
        self.reference_changed.emit(path)

    # ------------------------------------------------------------------ the list
    def _upsert(self, profile: Profile, file: Path | None) -> None:
        if profile.reference_image_path:
            self._files[profile.reference_image_path] = file
        self._removed_at.pop(profile.id, None)
        old_row = self.row_of(profile.id)
        if old_row is not None:
            old_path = self._rows[old_row].reference_image_path
            if old_path and old_path != profile.reference_image_path:
                self._files.pop(old_path, None)
        if old_row is None:
            row = bisect.bisect_left([sort_key(p) for p in self._rows], sort_key(profile))
            change = RowsChange("insert", row)
            self.rows_changing.emit(change)
            self._rows.insert(row, profile)
            self.rows_changed.emit(change)
            return
        others = self._rows[:old_row] + self._rows[old_row + 1 :]
        target = bisect.bisect_left([sort_key(p) for p in others], sort_key(profile))
        if target != old_row:
            change = RowsChange("move", old_row, target)
            self.rows_changing.emit(change)
            others.insert(target, profile)
            self._rows = others
            self.rows_changed.emit(change)
        else:
            self._rows[old_row] = profile
        self.profile_updated.emit(target)
        if profile.id == self._selected:
            self.selection_changed.emit(profile)

    def _remove(self, profile_id: str) -> None:
        row = self.row_of(profile_id)
        if row is None:
            return
        change = RowsChange("remove", row)
        self.rows_changing.emit(change)
        del self._rows[row]
        self.rows_changed.emit(change)
        if profile_id == self._selected:
            self.select(None)

    # ------------------------------------------------------------------ commands
    async def create(self, fields: ProfileFields) -> Profile:
        profile = await self.service.create(
            fields.name,
            gender=fields.gender,
            skin_tone=fields.skin_tone,
            region=fields.region,
            background=fields.background,
        )
        self._upsert(profile, None)
        self.select(profile.id)
        return profile

    async def update(self, profile_id: str, fields: ProfileFields) -> Profile:
        """Save the form's fields (a refusal raises ``ValidationError`` naming the field)."""
        saved = await self.service.update(
            profile_id,
            name=fields.name,
            gender=fields.gender,
            skin_tone=fields.skin_tone,
            region=fields.region,
            background=fields.background,
        )
        self._upsert(saved, await self.service.io(self.service.reference_file, saved))
        return saved

    async def delete(self, profile_id: str) -> DeleteOutcome:
        """Delete a profile; the outcome holds what undo needs (read from the store, not from
        the list, which can lag behind an edit that finished a moment ago)."""
        current = await self.service.get(profile_id)
        file = await self.service.io(self.service.reference_file, current)
        reference = await self.service.io(_read_or_none, file)
        gone = await self.service.delete(profile_id)
        self._change += 1
        self._removed_at[profile_id] = self._change
        self._remove(profile_id)
        return DeleteOutcome(gone, current, reference)

    async def set_reference(self, profile_id: str, source: Path | bytes) -> ReferenceOutcome:
        """Use an image (a file, or bytes) as the reference; a bad image changes nothing."""
        service = self.service
        profile = await service.get(profile_id)
        before = await service.io(_read_or_none, await service.io(service.reference_file, profile))
        saved = await service.set_reference_image(profile_id, source)
        file = await service.io(service.reference_file, saved)
        after = await service.io(_read_or_none, file)
        self._upsert(saved, file)
        return ReferenceOutcome(saved, before, after)

    async def clear_reference(self, profile_id: str) -> Profile:
        saved = await self.service.clear_reference_image(profile_id)
        self._upsert(saved, None)
        return saved

    # ------------------------------------------------------------------ blocking parts
    def _read_all(self) -> tuple[list[Profile], dict[str, Path | None]]:
        profiles = self.store.queries.profiles()
        files = {
            p.reference_image_path: self.service.reference_file(p)
            for p in profiles
            if p.reference_image_path
        }
        return profiles, files

    def _read_rows(self, ids: list[str]) -> list[tuple[Profile, Path | None]]:
        if self.store.db.closed:
            return []
        found = []
        for profile_id in ids:
            profile = self.store.queries.profile(profile_id)
            if profile is not None:
                found.append((profile, self.service.reference_file(profile)))
        return found

    def _locate(self, path: str) -> Path | None:
        if self.store.db.closed:
            return None
        return self.store.blobs.get_path(PROFILES_BUCKET, path)
