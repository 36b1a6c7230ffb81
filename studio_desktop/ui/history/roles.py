"""The feed model's custom roles, and the sync layer's blob hook: small, import-light names.

Kept apart from the model so that the History area's module (imported when the main window
builds its placeholder, before any workspace is open) does not pull in the services, the
engines or the imaging stack.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum

from PySide6.QtCore import Qt

_ROLE_BASE = int(Qt.ItemDataRole.UserRole) + 1

#: The sync layer's hook: "this object is on screen but not on this computer; fetch it".
BlobRequester = Callable[[str, str], None]


def no_blob_requests(_bucket: str, _path: str) -> None:
    """The default :data:`BlobRequester`: nothing fetches blobs until the sync is wired."""


class Role(IntEnum):
    JOB = _ROLE_BASE  # Job
    OUTPUTS = _ROLE_BASE + 1  # tuple[JobOutput, ...]
    STATUS = _ROLE_BASE + 2  # str (the raw status)
    PROGRESS = _ROLE_BASE + 3  # float 0..1 or None
    PROGRESS_MESSAGE = _ROLE_BASE + 4  # str
    PROFILE_NAME = _ROLE_BASE + 5  # str or None
    PROMPT = _ROLE_BASE + 6  # str or None
    ERROR = _ROLE_BASE + 7  # str or None
    TYPE_LABEL = _ROLE_BASE + 8  # "Product pack"
    THUMBS = _ROLE_BASE + 9  # tuple[Thumb, ...] as known now (never queues a load)
    JOB_ID = _ROLE_BASE + 10  # str
