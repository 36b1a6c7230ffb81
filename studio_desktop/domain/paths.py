"""Storage path rules: every object lives under ``<user id>/`` in one of the five buckets.

The server's ``storage.objects`` policies confine a user to the first folder equal to their id,
so every path the desktop makes starts with it. Paths carry a fresh UUID, so uploading the same
logical object twice (a replayed outbox entry) writes the same path, and two different objects
never collide.

Layout (bucket / path):
- ``outputs``     ``<uid>/jobs/<job id>/<output id>.<ext>``           job outputs
- ``outputs``     ``<uid>/canvas/<thread id>/<object id>.<ext>``      canvas versions and masks
- ``profiles``    ``<uid>/profiles/<profile id>/<object id>.<ext>``   reference images
- ``extractions`` ``<uid>/cutouts/<sha256>-<front|back>.png``         garment cutouts
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from studio_desktop.domain.enums import Bucket

_EXT_BY_MIME = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "application/zip": "zip",
}
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


class StoragePathError(ValueError):
    """A storage path that breaks the tenancy or naming rules."""


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """A storage object: bucket plus path inside it."""

    bucket: str
    path: str

    def __str__(self) -> str:
        return f"{self.bucket}/{self.path}"


def ext_for_mime(mime_type: str) -> str:
    try:
        return _EXT_BY_MIME[mime_type]
    except KeyError:
        raise StoragePathError(f"no file extension known for content type {mime_type!r}") from None


def owner_of(path: str) -> str:
    """The user id a path belongs to (its first folder)."""
    return path.split("/", 1)[0]


def validate_path(path: str, user_id: str | None = None) -> str:
    """Check a path is ``<uuid>/...`` with safe segments (no ``..``, no empty parts)."""
    parts = path.split("/")
    if len(parts) < 2:
        raise StoragePathError(f"storage path {path!r} has no '<user id>/' prefix")
    import uuid  # (here: the History's early page imports this module and needs no ids)

    try:
        uuid.UUID(parts[0])
    except ValueError:
        raise StoragePathError(f"storage path {path!r} does not start with a user id") from None
    for part in parts[1:]:
        if not _SAFE_SEGMENT.match(part) or part in (".", ".."):
            raise StoragePathError(f"storage path {path!r} has an unsafe part {part!r}")
    if user_id is not None and parts[0] != user_id:
        raise StoragePathError(f"storage path {path!r} belongs to another user")
    return path


def rebase_path(path: str, new_user_id: str) -> str:
    """The same path under another user's prefix (moving the local workspace into an account)."""
    return f"{new_user_id}/{path.split('/', 1)[1]}"


def job_output_bucket(kind: str | None, storage_path: str | None = None) -> str:
    """The bucket of a job output's file (``job_outputs`` has a path but no bucket column).

    Garment cutouts live in ``extractions`` (``<uid>/cutouts/...``) whatever the output's kind
    says: an extract job's output points at the cached cutout itself. Videos and zips have their
    own buckets; everything else is in ``outputs``.
    """
    if storage_path:
        parts = storage_path.split("/")
        if len(parts) > 2 and parts[1] == "cutouts":
            return Bucket.EXTRACTIONS.value
    if kind == "video":
        return Bucket.VIDEOS.value
    if kind == "zip":
        return Bucket.ZIPS.value
    return Bucket.OUTPUTS.value


def job_output_ref(user_id: str, job_id: str, output_id: str, mime_type: str) -> ObjectRef:
    return ObjectRef(
        Bucket.OUTPUTS, f"{user_id}/jobs/{job_id}/{output_id}.{ext_for_mime(mime_type)}"
    )


def canvas_object_ref(user_id: str, thread_id: str, mime_type: str = "image/png") -> ObjectRef:
    """A new canvas version or mask inside a creation."""
    import uuid

    object_id = uuid.uuid4()
    return ObjectRef(
        Bucket.OUTPUTS, f"{user_id}/canvas/{thread_id}/{object_id}.{ext_for_mime(mime_type)}"
    )


def profile_reference_ref(user_id: str, profile_id: str, mime_type: str) -> ObjectRef:
    import uuid

    object_id = uuid.uuid4()
    return ObjectRef(
        Bucket.PROFILES,
        f"{user_id}/profiles/{profile_id}/{object_id}.{ext_for_mime(mime_type)}",
    )


def cutout_ref(user_id: str, source_hash: str, source_kind: str) -> ObjectRef:
    if not re.fullmatch(r"[0-9a-f]{64}", source_hash):
        raise StoragePathError("a cutout's source hash must be a lowercase SHA-256 hex digest")
    return ObjectRef(Bucket.EXTRACTIONS, f"{user_id}/cutouts/{source_hash}-{source_kind}.png")
