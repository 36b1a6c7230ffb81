"""What each job type takes, and how it is written into ``jobs.input_json``.

A job's inputs are stored in its row so that a retry (on this device or another) can run it again
from the row alone. Image bytes never go into the JSON: each image is a storage object (kept in
the blob cache and uploaded by the sync), referenced as::

    {"bucket": "outputs", "path": "<uid>/jobs/<job id>/inputs/<uuid>.png",
     "mimeType": "image/png", "sha256": "<hex>"}

``input_json`` per type (camelCase, the web app's convention; keys not listed are kept as is):

- ``canvas_edit``:     ``{"instruction", "source": image, "mask": image | null}``
- ``extract_garment``: ``{"kind": "front" | "back", "photo": image, "sourceHash"}``
- ``product_pack``:    ``{"profileId", "background", "angles": [...], "useCutout",
  "garments": [{"kind", "photo": image}]}``
- ``tryon_image``:     ``{"profileId", "garment": {"kind", "photo": image}}``

and, for every type, ``"engine": "local" | "remote"``, ``"attempt": n`` (1 for the first run,
+1 per retry; the remote API's idempotency key is job id + attempt) and an optional ``"context"``
object that callers use to link the job back (e.g. the canvas thread, asset and message).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from studio_desktop.domain.enums import Angle, JobType, SourceKind, parse_enum
from studio_desktop.domain.errors import ValidationError
from studio_desktop.domain.paths import ObjectRef

IMAGE_MIME_TYPES = ("image/png", "image/jpeg", "image/webp")
MAX_INSTRUCTION_CHARS = 2000
ENGINE_LOCAL = "local"
ENGINE_REMOTE = "remote"
ENGINES = (ENGINE_LOCAL, ENGINE_REMOTE)


def sniff_image_mime(data: bytes) -> str | None:
    """The content type of PNG/JPEG/WebP bytes by their signature; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class ImageInput:
    """An image handed to a job: bytes in hand (before submission) or a stored object.

    Build one with :meth:`from_bytes` for a dropped file, or :meth:`stored` for an object already
    in the blob cache (a canvas version, a profile reference). The job service stores in-hand
    bytes as an object before the job row is written, so a job row only ever holds references.
    """

    mime_type: str
    ref: ObjectRef | None = None
    sha256: str | None = None
    data: bytes | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_bytes(cls, data: bytes, what: str = "image") -> ImageInput:
        if not data:
            raise ValidationError(f"The {what} is empty (0 bytes).", field=what)
        mime = sniff_image_mime(data)
        if mime is None:
            raise ValidationError(
                f"The {what} is not a PNG, JPEG or WebP image, so it cannot be used.", field=what
            )
        return cls(mime_type=mime, data=data, sha256=sha256_hex(data))

    @classmethod
    def stored(cls, ref: ObjectRef, mime_type: str, sha256: str | None = None) -> ImageInput:
        return cls(mime_type=mime_type, ref=ref, sha256=sha256)

    def with_ref(self, ref: ObjectRef) -> ImageInput:
        return replace(self, ref=ref)

    def to_json(self) -> dict[str, Any]:
        if self.ref is None:
            raise ValidationError("An image input must be stored before the job is written.")
        return {
            "bucket": self.ref.bucket,
            "path": self.ref.path,
            "mimeType": self.mime_type,
            "sha256": self.sha256,
        }

    @classmethod
    def from_json(cls, value: Any, what: str) -> ImageInput:
        if not isinstance(value, Mapping):
            raise ValidationError(f"The job's {what} image is missing.", field=what)
        bucket, path, mime = value.get("bucket"), value.get("path"), value.get("mimeType")
        if not (isinstance(bucket, str) and isinstance(path, str) and isinstance(mime, str)):
            raise ValidationError(f"The job's {what} image reference is incomplete.", field=what)
        sha = value.get("sha256")
        return cls(mime_type=mime, ref=ObjectRef(bucket, path), sha256=sha if sha else None)


@dataclass(frozen=True, slots=True)
class GarmentPhoto:
    """A garment photo and which side of the garment it shows."""

    kind: SourceKind
    photo: ImageInput

    def to_json(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "photo": self.photo.to_json()}

    @classmethod
    def from_json(cls, value: Any) -> GarmentPhoto:
        if not isinstance(value, Mapping):
            raise ValidationError("A garment entry of the job is not an object.", field="garments")
        return cls(
            _source_kind(value.get("kind")), ImageInput.from_json(value.get("photo"), "garment")
        )


@dataclass(frozen=True, slots=True)
class CanvasEditInput:
    source: ImageInput
    instruction: str
    mask: ImageInput | None = None
    job_type: JobType = field(default=JobType.CANVAS_EDIT, init=False)

    def __post_init__(self) -> None:
        text = self.instruction.strip()
        if not text:
            raise ValidationError("Type what you want changed in the image.", field="instruction")
        if len(text) > MAX_INSTRUCTION_CHARS:
            raise ValidationError(
                f"The instruction is {len(text)} characters long; the limit is "
                f"{MAX_INSTRUCTION_CHARS}.",
                field="instruction",
            )

    def images(self) -> dict[str, ImageInput]:
        out = {"source": self.source}
        if self.mask is not None:
            out["mask"] = self.mask
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "instruction": self.instruction.strip(),
            "source": self.source.to_json(),
            "mask": self.mask.to_json() if self.mask else None,
        }


@dataclass(frozen=True, slots=True)
class ExtractGarmentInput:
    photo: ImageInput
    kind: SourceKind = SourceKind.FRONT
    job_type: JobType = field(default=JobType.EXTRACT_GARMENT, init=False)

    def images(self) -> dict[str, ImageInput]:
        return {"photo": self.photo}

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "photo": self.photo.to_json(),
            "sourceHash": self.photo.sha256,
        }


@dataclass(frozen=True, slots=True)
class ProductPackInput:
    """A catalogue set: the garment photo(s) on a profile's background, one image per angle."""

    garments: tuple[GarmentPhoto, ...]
    angles: tuple[Angle, ...] = (Angle.FRONT, Angle.BACK)
    profile_id: str | None = None
    background: str | None = None
    use_cutout: bool = True
    job_type: JobType = field(default=JobType.PRODUCT_PACK, init=False)

    def __post_init__(self) -> None:
        if not self.garments:
            raise ValidationError("A product pack needs at least one garment photo.", "garments")
        kinds = [g.kind for g in self.garments]
        if len(set(kinds)) != len(kinds):
            raise ValidationError("Give at most one front and one back photo.", field="garments")
        if not self.angles:
            raise ValidationError("Choose at least one angle for the pack.", field="angles")
        if len(set(self.angles)) != len(self.angles):
            raise ValidationError("Each angle may appear only once.", field="angles")

    def images(self) -> dict[str, ImageInput]:
        return {f"garment-{g.kind}": g.photo for g in self.garments}

    def with_images(self, images: Mapping[str, ImageInput]) -> ProductPackInput:
        garments = tuple(replace(g, photo=images[f"garment-{g.kind}"]) for g in self.garments)
        return replace(self, garments=garments)

    def to_json(self) -> dict[str, Any]:
        return {
            "profileId": self.profile_id,
            "background": self.background,
            "angles": [str(a) for a in self.angles],
            "useCutout": self.use_cutout,
            "garments": [g.to_json() for g in self.garments],
        }


@dataclass(frozen=True, slots=True)
class TryOnInput:
    garment: GarmentPhoto
    profile_id: str
    job_type: JobType = field(default=JobType.TRYON_IMAGE, init=False)

    def __post_init__(self) -> None:
        if not self.profile_id:
            raise ValidationError("Choose the model profile to try the garment on.", "profileId")

    def images(self) -> dict[str, ImageInput]:
        return {"garment": self.garment.photo}

    def to_json(self) -> dict[str, Any]:
        return {"profileId": self.profile_id, "garment": self.garment.to_json()}


JobInput = CanvasEditInput | ExtractGarmentInput | ProductPackInput | TryOnInput


def with_images(job_input: JobInput, images: Mapping[str, ImageInput]) -> JobInput:
    """The same input with its images replaced (by name, as :meth:`images` lists them)."""
    if isinstance(job_input, CanvasEditInput):
        return replace(job_input, source=images["source"], mask=images.get("mask"))
    if isinstance(job_input, ExtractGarmentInput):
        return replace(job_input, photo=images["photo"])
    if isinstance(job_input, ProductPackInput):
        return job_input.with_images(images)
    return replace(job_input, garment=replace(job_input.garment, photo=images["garment"]))


@dataclass(frozen=True, slots=True)
class JobRequest:
    """What a caller submits: the typed input, the engine to run it on, and optional context."""

    input: JobInput
    engine: str = ENGINE_LOCAL
    context: Mapping[str, Any] = field(default_factory=dict)
    #: When the engine is not there (no account, offline), the job waits for it, queued, instead
    #: of failing: a try-on only the studio's engine can run, or a pack the designer sent to
    #: it, is kept until it can.
    wait_for_engine: bool = False

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValidationError(
                f"Unknown engine “{self.engine}”; use “local” or “remote”.", field="engine"
            )

    @property
    def job_type(self) -> JobType:
        return self.input.job_type

    def to_input_json(self, attempt: int = 1) -> dict[str, Any]:
        out = self.input.to_json()
        out["engine"] = self.engine
        out["attempt"] = attempt
        if self.context:
            out["context"] = dict(self.context)
        if self.wait_for_engine:
            out["waitForEngine"] = True
        return out


def _source_kind(value: Any) -> SourceKind:
    kind = parse_enum(SourceKind, value if isinstance(value, str) else None)
    if kind is None:
        raise ValidationError(f"Garment side must be “front” or “back”, not “{value}”.", "kind")
    return kind


def _angles(value: Any) -> tuple[Angle, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ValidationError("The pack's angles must be a list.", field="angles")
    angles = []
    for item in value:
        angle = parse_enum(Angle, item if isinstance(item, str) else None)
        if angle is None:
            raise ValidationError(f"Unknown angle “{item}”.", field="angles")
        angles.append(angle)
    return tuple(angles)


def request_from_row(job_type: str, input_json: Mapping[str, Any]) -> JobRequest:
    """Rebuild a job's request from its row (for a retry or a resume); typed error if malformed."""
    data = dict(input_json or {})
    engine = data.get("engine", ENGINE_LOCAL)
    context = data.get("context") or {}
    parsed_type = parse_enum(JobType, job_type)
    job_input: JobInput
    if parsed_type is JobType.CANVAS_EDIT:
        mask = data.get("mask")
        job_input = CanvasEditInput(
            source=ImageInput.from_json(data.get("source"), "source"),
            instruction=str(data.get("instruction") or ""),
            mask=ImageInput.from_json(mask, "mask") if mask else None,
        )
    elif parsed_type is JobType.EXTRACT_GARMENT:
        job_input = ExtractGarmentInput(
            photo=ImageInput.from_json(data.get("photo"), "photo"),
            kind=_source_kind(data.get("kind", "front")),
        )
    elif parsed_type is JobType.PRODUCT_PACK:
        garments = data.get("garments")
        if not isinstance(garments, list):
            raise ValidationError("The pack job lists no garment photos.", field="garments")
        job_input = ProductPackInput(
            garments=tuple(GarmentPhoto.from_json(g) for g in garments),
            angles=_angles(data.get("angles", ["front", "back"])),
            profile_id=data.get("profileId"),
            background=data.get("background"),
            use_cutout=bool(data.get("useCutout", True)),
        )
    elif parsed_type is JobType.TRYON_IMAGE:
        job_input = TryOnInput(
            garment=GarmentPhoto.from_json(data.get("garment")),
            profile_id=str(data.get("profileId") or ""),
        )
    else:
        raise ValidationError(
            f"This version of Studio Desktop cannot run jobs of type “{job_type}”.", field="type"
        )
    if not isinstance(context, Mapping):
        context = {}
    return JobRequest(
        job_input,
        engine=str(engine),
        context=context,
        wait_for_engine=waits_for_engine(data, job_type),
    )


def waits_for_engine(input_json: Mapping[str, Any] | None, job_type: str | None = None) -> bool:
    """Whether a job waits for its engine when it is not available (see :class:`JobRequest`).

    A product pack for the studio's engine waits too even when its row does not say so (rows
    stored before packs asked for it): whatever stored it, a designer's pack is never failed
    for a missing sign-in."""
    data = input_json or {}
    if data.get("waitForEngine") is True:
        return True
    return job_type == JobType.PRODUCT_PACK.value and data.get("engine") == ENGINE_REMOTE


def attempt_of(input_json: Mapping[str, Any] | None) -> int:
    value = (input_json or {}).get("attempt", 1)
    return value if isinstance(value, int) and value >= 1 else 1
