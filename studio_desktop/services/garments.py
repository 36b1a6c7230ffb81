"""Garment flows as single calls: cut out a dropped photo, build a product pack, try on.

    garments = GarmentService(jobs, store.queries)
    job = await garments.extract_cutout(dropped_bytes, "back")        # queued at once
    job = await garments.build_pack(profile.id, front=front_bytes, back=back_bytes)
    job = await garments.try_on(profile.id, front_bytes)   # waits for the studio's engine
    outcome = await jobs.wait(job.id)                                  # if the caller waits

Each call validates its input (a readable :class:`ValidationError` for a file that is not an
image, an unknown side, a profile that is gone), submits one job through the
:class:`JobService` and returns the queued row; the work happens in the background and shows in
the job queue. Cutouts are cached by photo (see ``engine/cutout_cache.py``), so dropping the same
photo twice cuts it once, and a pack with ``use_cutout`` reuses the cutouts already made.
"""

from __future__ import annotations

from collections.abc import Sequence

from studio_desktop.domain.enums import Angle, SourceKind, parse_enum
from studio_desktop.domain.errors import ValidationError
from studio_desktop.domain.models import Job
from studio_desktop.engine.inputs import (
    ENGINE_LOCAL,
    ENGINE_REMOTE,
    ExtractGarmentInput,
    GarmentPhoto,
    ImageInput,
    JobRequest,
    ProductPackInput,
    TryOnInput,
)
from studio_desktop.services.jobs import JobService
from studio_desktop.store.queries import Queries


def _kind(value: SourceKind | str) -> SourceKind:
    kind = parse_enum(SourceKind, str(value).strip().lower())
    if kind is None:
        raise ValidationError(
            f"A garment photo shows its front or its back, not “{value}”.", field="kind"
        )
    return kind


def _angles(values: Sequence[Angle | str]) -> tuple[Angle, ...]:
    angles = []
    for value in values:
        angle = parse_enum(Angle, str(value).strip().lower())
        if angle is None:
            choices = ", ".join(a.value for a in Angle)
            raise ValidationError(f"Unknown angle “{value}”; choose from {choices}.", "angles")
        angles.append(angle)
    return tuple(angles)


class GarmentService:
    def __init__(self, jobs: JobService, queries: Queries) -> None:
        self.jobs = jobs
        self.queries = queries

    async def extract_cutout(
        self,
        photo: bytes,
        kind: SourceKind | str = SourceKind.FRONT,
        *,
        engine: str = ENGINE_LOCAL,
        context: dict[str, object] | None = None,
    ) -> Job:
        """Cut the garment out of a dropped product photo (front or back): a transparent PNG."""
        image = ImageInput.from_bytes(photo, "garment photo")
        request = JobRequest(ExtractGarmentInput(image, _kind(kind)), engine, context or {})
        return await self.jobs.submit(request)

    async def build_pack(
        self,
        profile_id: str | None,
        *,
        front: bytes | None = None,
        back: bytes | None = None,
        angles: Sequence[Angle | str] | None = None,
        use_cutout: bool = True,
        background: str | None = None,
        engine: str = ENGINE_LOCAL,
    ) -> Job:
        """Catalogue images of the garment on the profile's background, one per angle.

        ``angles`` defaults to front (when there is a front photo), back (when there is a back
        photo) and a detail close-up. ``background`` overrides the profile's.
        """
        garments = []
        if front is not None:
            garments.append(
                GarmentPhoto(SourceKind.FRONT, ImageInput.from_bytes(front, "front photo"))
            )
        if back is not None:
            garments.append(
                GarmentPhoto(SourceKind.BACK, ImageInput.from_bytes(back, "back photo"))
            )
        if not garments:
            raise ValidationError("Drop a photo of the garment's front or back first.", "garments")
        if angles is None:
            chosen = [Angle.FRONT] if front is not None else []
            if back is not None:
                chosen.append(Angle.BACK)
            chosen.append(Angle.DETAIL)
            pack_angles = tuple(chosen)
        else:
            pack_angles = _angles(angles)
        if Angle.BACK in pack_angles and back is None:
            raise ValidationError("A back view needs a photo of the garment's back.", "angles")
        if profile_id is not None:
            profile = self.queries.profile(profile_id)
            if profile is None:
                raise ValidationError(
                    "This model profile no longer exists; choose another one.", "profileId"
                )
            if background is None:
                background = profile.background
        request = JobRequest(
            ProductPackInput(
                garments=tuple(garments),
                angles=pack_angles,
                profile_id=profile_id,
                background=background,
                use_cutout=use_cutout,
            ),
            engine,
            # Sent to the studio's engine, it waits for it (signed out, offline) like a try-on.
            wait_for_engine=engine == ENGINE_REMOTE,
        )
        return await self.jobs.submit(request)

    async def try_on(
        self,
        profile_id: str | None,
        photo: bytes | None,
        kind: SourceKind | str = SourceKind.FRONT,
    ) -> Job:
        """The garment worn by the profile's model: a ``tryon_image`` job on the studio's engine.

        Only the studio's generation service can make a try-on (it needs a generative model),
        so the job always asks for the remote engine and *waits* for it: submitted offline or
        without an account it is stored and shown at once, "Waiting for the studio's engine",
        and runs when the account and the network are there (see ``services/jobs.py``). It
        survives a restart and can be canceled meanwhile.
        """
        if not profile_id:
            raise ValidationError(
                "Choose a model profile to try the garment on.", field="profileId"
            )
        if photo is None:
            raise ValidationError(
                "Drop a photo of the garment's front or back first.", field="garment"
            )
        garment = GarmentPhoto(_kind(kind), ImageInput.from_bytes(photo, "garment photo"))
        if self.queries.profile(profile_id) is None:
            raise ValidationError(
                "This model profile no longer exists; choose another one.", field="profileId"
            )
        request = JobRequest(TryOnInput(garment, profile_id), ENGINE_REMOTE, wait_for_engine=True)
        return await self.jobs.submit(request)
