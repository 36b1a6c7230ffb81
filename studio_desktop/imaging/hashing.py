"""The key of a source photo: light to import (no OpenCV), so the cutout cache can use it."""

from __future__ import annotations

import hashlib


def source_hash(data: bytes) -> str:
    """SHA-256 hex digest of the source bytes: with user and kind, the cutout cache key."""
    return hashlib.sha256(data).hexdigest()
