"""Model profiles: list, create, edit, delete, and the reference image.

    profiles = ProfileService(store)
    p = await profiles.create("Ana", gender="female", skin_tone="medium", background="white studio")
    p = await profiles.update(p.id, region="Southern Europe")      # fields not passed are kept
    p = await profiles.set_reference_image(p.id, Path("ana.jpg"))  # or bytes (a drop, a paste)
    await profiles.delete(p.id)

Fields: ``name`` is required (trimmed, inner whitespace collapsed, at most
:data:`MAX_NAME_CHARS`; two profiles may not share a name, ignoring case). ``gender``,
``skin_tone``, ``region`` and ``background`` are free text (at most :data:`MAX_FIELD_CHARS`;
empty clears them); :data:`GENDER_CHOICES` etc. are the suggestions a form offers.
A refused value raises :class:`ValidationError` whose ``field`` is the column name.
:func:`describe_background` tells a form how the pack renderer will read a background.

The reference image is decoded safely, turned upright, scaled to at most
:data:`REFERENCE_MAX_SIDE` px on its long side, stripped of metadata and stored as a
queued-upload object in the ``profiles`` bucket (``<uid>/profiles/<profile id>/<uuid>.jpg``),
in the same transaction as the row's new ``reference_image_path``; the previous object is
dropped from the cache and its removal queued. A file that is not a usable image raises the
decoder's :class:`~studio_desktop.imaging.errors.ImageError` before anything is written.

No events of its own: the store's ``rows_changed`` reports every change (table ``profiles``).
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio_desktop.domain.enums import Bucket
from studio_desktop.domain.errors import ValidationError
from studio_desktop.domain.models import Profile, new_id
from studio_desktop.domain.paths import profile_reference_ref
from studio_desktop.services.common import (
    BlockingWork,
    NotFoundError,
    clean_text,
    discard_files_on_failure,
)
from studio_desktop.services.images import prepare_image
from studio_desktop.store.workspace import Store

MAX_NAME_CHARS = 80
MAX_FIELD_CHARS = 80
REFERENCE_MAX_SIDE = 2048

GENDER_CHOICES: tuple[str, ...] = ("female", "male", "non-binary")
SKIN_TONE_CHOICES: tuple[str, ...] = (
    "very light",
    "light",
    "light medium",
    "medium",
    "tan",
    "brown",
    "dark",
    "very dark",
)
REGION_CHOICES: tuple[str, ...] = (
    "East Asia",
    "South Asia",
    "Southeast Asia",
    "Middle East",
    "North Africa",
    "Sub-Saharan Africa",
    "Northern Europe",
    "Southern Europe",
    "Eastern Europe",
    "North America",
    "Latin America",
    "Oceania",
)
#: Backgrounds the pack renderer understands (any colour name or hex works too).
BACKGROUND_CHOICES: tuple[str, ...] = (
    "white studio",
    "light grey sweep",
    "warm beige sweep",
    "navy to white gradient",
    "black",
    "transparent",
)

_FIELDS = {
    "gender": "Gender",
    "skin_tone": "Skin tone",
    "region": "Region",
    "background": "Background",
}
_UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class ProfileFields:
    """A profile's editable fields, cleaned (what :func:`validate_profile` returns)."""

    name: str
    gender: str | None = None
    skin_tone: str | None = None
    region: str | None = None
    background: str | None = None


@dataclass(frozen=True, slots=True)
class BackgroundHint:
    recognised: bool
    #: How packs will look, e.g. "white studio (default)" for text the renderer does not know.
    description: str


def validate_profile(
    name: object,
    gender: object = None,
    skin_tone: object = None,
    region: object = None,
    background: object = None,
) -> ProfileFields:
    """Clean and check a profile form (sync and cheap: a dialog may call it on every edit)."""
    cleaned_name = clean_text(name, "name", "The name", max_chars=MAX_NAME_CHARS, required=True)
    assert cleaned_name is not None
    values = {"gender": gender, "skin_tone": skin_tone, "region": region, "background": background}
    cleaned = {
        key: clean_text(value, key, _FIELDS[key], max_chars=MAX_FIELD_CHARS)
        for key, value in values.items()
    }
    return ProfileFields(cleaned_name, **cleaned)


def describe_background(text: str | None) -> BackgroundHint:
    """How the pack renderer reads a background text (unknown text falls back to white)."""
    # The renderer's module brings OpenCV: imported on first use, not when the app opens.
    from studio_desktop.imaging.pack import parse_background

    parsed = parse_background(text or "")
    return BackgroundHint(parsed.recognised, parsed.description)


class ProfileService(BlockingWork):
    def __init__(self, store: Store, *, executor: Executor | None = None) -> None:
        self.store = store
        self.executor = executor

    # ------------------------------------------------------------------ use cases
    async def list_profiles(self) -> list[Profile]:
        """All profiles, by name (case-insensitive)."""
        return await self.io(self.store.queries.profiles)

    async def get(self, profile_id: str) -> Profile:
        return await self.io(self._require, profile_id)

    async def create(
        self,
        name: str,
        *,
        gender: str | None = None,
        skin_tone: str | None = None,
        region: str | None = None,
        background: str | None = None,
    ) -> Profile:
        fields = validate_profile(name, gender, skin_tone, region, background)
        return await self.io(self._create, fields)

    async def update(
        self,
        profile_id: str,
        *,
        name: str = _UNSET,
        gender: str | None = _UNSET,
        skin_tone: str | None = _UNSET,
        region: str | None = _UNSET,
        background: str | None = _UNSET,
    ) -> Profile:
        """Change the fields passed (``None`` or ``""`` clears an optional one)."""
        given = {
            "name": name,
            "gender": gender,
            "skin_tone": skin_tone,
            "region": region,
            "background": background,
        }
        return await self.io(
            self._update, profile_id, {k: v for k, v in given.items() if v is not _UNSET}
        )

    async def delete(self, profile_id: str) -> bool:
        """Delete a profile (its reference object's removal is queued); False if it was gone."""
        result = await self.io(self.store.rows.delete, "profiles", profile_id)
        return bool(result.deleted)

    async def set_reference_image(
        self, profile_id: str, source: Path | bytes, *, name: str | None = None
    ) -> Profile:
        """Use an image file (a path, or bytes from a drop or a paste) as the reference."""
        if isinstance(source, str):
            source = Path(source)
        return await self.io(self._set_reference, profile_id, source, name)

    async def clear_reference_image(self, profile_id: str) -> Profile:
        return await self.io(self._clear_reference, profile_id)

    def reference_file(self, profile: Profile) -> Path | None:
        """The reference image's local file, if cached (reads only: fine on the GUI thread)."""
        if not profile.reference_image_path:
            return None
        return self.store.blobs.get_path(Bucket.PROFILES.value, profile.reference_image_path)

    # ------------------------------------------------------------------ blocking parts
    def _require(self, profile_id: str) -> Profile:
        profile = self.store.queries.profile(profile_id)
        if profile is None:
            raise NotFoundError("This profile no longer exists (it may have been deleted).")
        return profile

    def _check_unique(self, name: str, profile_id: str | None) -> None:
        row = self.store.db.query_one(
            "SELECT id FROM profiles WHERE name = ? COLLATE NOCASE AND id IS NOT ? LIMIT 1",
            (name, profile_id),
        )
        if row is not None:
            raise ValidationError(f"A profile called “{name}” already exists.", "name")

    def _create(self, fields: ProfileFields) -> Profile:
        with self.store.transaction():
            self._check_unique(fields.name, None)
            profile = Profile(id=new_id(), user_id=self.store.user_id, **dataclasses.asdict(fields))
            return self.store.rows.save(profile)

    def _update(self, profile_id: str, changes: dict[str, Any]) -> Profile:
        with self.store.transaction():
            profile = self._require(profile_id)
            merged = {
                key: changes.get(key, getattr(profile, key))
                for key in ("name", "gender", "skin_tone", "region", "background")
            }
            fields = validate_profile(**merged)
            self._check_unique(fields.name, profile_id)
            updated = dataclasses.replace(profile, **dataclasses.asdict(fields))
            if updated == profile:
                return profile
            return self.store.rows.save(updated)

    def _set_reference(self, profile_id: str, source: Path | bytes, name: str | None) -> Profile:
        self._require(profile_id)  # a gone profile is said before the image is decoded
        prepared = prepare_image(source, max_side=REFERENCE_MAX_SIDE, name=name)
        ref = profile_reference_ref(self.store.user_id, profile_id, prepared.mime_type)
        with discard_files_on_failure(self.store, [ref]), self.store.transaction():
            profile = self._require(profile_id)
            self.store.blobs.put(ref.bucket, ref.path, prepared.data, prepared.mime_type)
            saved = self.store.rows.save(
                dataclasses.replace(profile, reference_image_path=ref.path)
            )
            self._release_reference(profile.reference_image_path)
        return saved

    def _clear_reference(self, profile_id: str) -> Profile:
        with self.store.transaction():
            profile = self._require(profile_id)
            if not profile.reference_image_path:
                return profile
            saved = self.store.rows.save(dataclasses.replace(profile, reference_image_path=None))
            self._release_reference(profile.reference_image_path)
        return saved

    def _release_reference(self, path: str | None) -> None:
        """Forget a replaced reference object and queue its removal, unless still used."""
        if not path:
            return
        bucket = Bucket.PROFILES.value
        still_used = self.store.db.query_one(
            "SELECT 1 FROM profiles WHERE reference_image_path = ? LIMIT 1", (path,)
        )
        if still_used is not None:
            return
        self.store.blobs.forget(bucket, path)
        self.store.outbox.append("remove_objects", None, None, {"bucket": bucket, "paths": [path]})
