"""Undo and redo for the profile manager (the area's ``QUndoStack``; Edit → Undo/Redo).

A command is pushed after its action succeeded once, so its first ``redo`` (which
``QUndoStack.push`` calls) does nothing; later undos and redos call the service again through
``run_op`` (off the GUI thread, errors in the message bar).

- edit: puts the previous fields back, and the new ones again;
- create: undo deletes the profile, redo creates it again;
- delete: undo creates the profile again with its fields and its reference image (read from
  the local file before the delete; a profile whose image was not downloaded comes back without
  it). A profile that comes back gets a new id: :class:`ProfileIds` maps old ids to new ones so
  older commands still find it;
- reference image: undo puts the previous image back (or clears it), redo the new one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand

from studio_desktop.domain.models import Profile
from studio_desktop.services.profiles import ProfileFields, ProfileService

Runner = Callable[..., Any]  # run_op bound to the area: run(work, on_success=..., progress=...)


class ProfileIds:
    """Old id -> current id, for profiles deleted and brought back by undo."""

    def __init__(self) -> None:
        self._map: dict[str, str] = {}

    def current(self, profile_id: str) -> str:
        seen = set()
        while profile_id in self._map and profile_id not in seen:
            seen.add(profile_id)
            profile_id = self._map[profile_id]
        return profile_id

    def moved(self, old: str, new: str) -> None:
        self._map[old] = new


def fields_of(profile: Profile) -> ProfileFields:
    return ProfileFields(
        profile.name, profile.gender, profile.skin_tone, profile.region, profile.background
    )


def _kwargs(fields: ProfileFields) -> dict[str, str | None]:
    return {
        "name": fields.name,
        "gender": fields.gender,
        "skin_tone": fields.skin_tone,
        "region": fields.region,
        "background": fields.background,
    }


class _ProfileCommand(QUndoCommand):
    #: What the command does (its redo after the first); each subclass defines it.
    do: Callable[[], None]

    def __init__(self, text: str, service: ProfileService, run: Runner, ids: ProfileIds) -> None:
        super().__init__(text)
        self.service = service
        self.run = run
        self.ids = ids
        self._first = True

    def redo(self) -> None:
        if self._first:
            self._first = False
            return
        self.do()


class EditProfileCommand(_ProfileCommand):
    def __init__(
        self,
        service: ProfileService,
        run: Runner,
        ids: ProfileIds,
        *,
        profile_id: str,
        before: ProfileFields,
        after: ProfileFields,
    ) -> None:
        super().__init__(f"Edit profile “{after.name}”", service, run, ids)
        self.profile_id = profile_id
        self.before = before
        self.after = after

    def _apply(self, fields: ProfileFields) -> None:
        target = self.ids.current(self.profile_id)
        self.run(self.service.update(target, **_kwargs(fields)), progress="Saving the profile…")

    def do(self) -> None:
        self._apply(self.after)

    def undo(self) -> None:
        self._apply(self.before)


class CreateProfileCommand(_ProfileCommand):
    def __init__(
        self, service: ProfileService, run: Runner, ids: ProfileIds, profile: Profile
    ) -> None:
        super().__init__(f"Create profile “{profile.name}”", service, run, ids)
        self.profile_id = profile.id
        self.fields = fields_of(profile)

    def do(self) -> None:
        old = self.ids.current(self.profile_id)

        def created(profile: Profile) -> None:
            self.ids.moved(old, profile.id)

        self.run(
            self.service.create(**_kwargs(self.fields)),  # type: ignore[arg-type]
            on_success=created,
            progress="Creating the profile…",
        )

    def undo(self) -> None:
        self.run(
            self.service.delete(self.ids.current(self.profile_id)),
            progress="Removing the profile…",
        )


class DeleteProfileCommand(_ProfileCommand):
    def __init__(
        self,
        service: ProfileService,
        run: Runner,
        ids: ProfileIds,
        profile: Profile,
        reference: bytes | None,
        *,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(f"Delete profile “{profile.name}”", service, run, ids)
        self.profile_id = profile.id
        self.name = profile.name
        self.fields = fields_of(profile)
        self.reference = reference
        #: Tells the window what happened (the banner then says "restored", not "deleted").
        self.notify = notify or (lambda _text: None)

    def do(self) -> None:
        self.run(
            self.service.delete(self.ids.current(self.profile_id)),
            on_success=lambda _gone: self.notify(
                f"Profile “{self.name}” deleted. Undo with Ctrl+Z."
            ),
            progress="Deleting the profile…",
        )

    def undo(self) -> None:
        old = self.ids.current(self.profile_id)
        service, reference, fields = self.service, self.reference, self.fields

        async def restore() -> Profile:
            profile = await service.create(**_kwargs(fields))  # type: ignore[arg-type]
            self.ids.moved(old, profile.id)
            if reference is not None:
                profile = await service.set_reference_image(profile.id, reference)
            return profile

        self.run(
            restore(),
            on_success=lambda _profile: self.notify(f"Profile “{self.name}” restored."),
            progress="Restoring the profile…",
        )


class ReferenceCommand(_ProfileCommand):
    def __init__(
        self,
        service: ProfileService,
        run: Runner,
        ids: ProfileIds,
        *,
        profile: Profile,
        before: bytes | None,
        after: bytes,
    ) -> None:
        super().__init__(f"Set the reference of “{profile.name}”", service, run, ids)
        self.profile_id = profile.id
        self.before = before
        self.after = after

    def _apply(self, image: bytes | None) -> None:
        target = self.ids.current(self.profile_id)
        work = (
            self.service.clear_reference_image(target)
            if image is None
            else self.service.set_reference_image(target, image)
        )
        self.run(work, progress="Setting the reference image…")

    def do(self) -> None:
        self._apply(self.after)

    def undo(self) -> None:
        self._apply(self.before)
