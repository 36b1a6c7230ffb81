"""What the use-case services share: running blocking work off the loop, text fields, refs.

Every service call is ``async`` and runs its blocking work (SQLite, file I/O, image decoding) in
an executor through :meth:`BlockingWork.io`, so the event loop (the GUI's, under qasync) never
waits on the disk. Service events are emitted on the loop's thread, after that work returned.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from typing import TypeVar

from studio_desktop.domain.errors import ExternalError, ValidationError
from studio_desktop.domain.models import JobOutput
from studio_desktop.domain.paths import ObjectRef, job_output_bucket
from studio_desktop.store.blobcache import file_name_for
from studio_desktop.store.workspace import Store

T = TypeVar("T")


class NotFoundError(ExternalError):
    """A row the user acted on is gone (deleted here, or by a sync from another device)."""


class BlockingWork:
    """Mixin: ``await self.io(fn, *args)`` runs ``fn`` in the service's executor."""

    executor: Executor | None = None

    async def io(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, lambda: fn(*args, **kwargs))


def clean_text(
    value: object,
    field: str,
    label: str,
    *,
    max_chars: int,
    required: bool = False,
) -> str | None:
    """A text field as stored: trimmed, inner runs of whitespace made single spaces, ``None``
    when empty. Raises :class:`ValidationError` naming ``field`` when it is required and
    empty, too long, or not text."""
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = " ".join(value.split())
    else:
        raise ValidationError(f"{label} must be text.", field)
    if not text:
        if required:
            raise ValidationError(f"{label} cannot be empty.", field)
        return None
    if len(text) > max_chars:
        raise ValidationError(
            f"{label} is {len(text)} characters long; the limit is {max_chars}.", field
        )
    if any(ord(ch) < 32 for ch in text):
        raise ValidationError(f"{label} contains control characters.", field)
    return text


def output_ref(output: JobOutput) -> ObjectRef | None:
    """Where a job output's file lives: bucket by ``domain.paths.job_output_bucket``."""
    if not output.storage_path:
        return None
    return ObjectRef(job_output_bucket(output.kind, output.storage_path), output.storage_path)


_MIME_BY_EXT = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


def mime_for_path(path: str, fallback: str = "image/png") -> str:
    """The content type a storage path's extension implies (paths are made with one)."""
    ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return _MIME_BY_EXT.get(ext, fallback)


@contextmanager
def discard_files_on_failure(store: Store, refs: list[ObjectRef]) -> Iterator[None]:
    """Around a transaction that puts new objects (``refs``, filled as they are put): if it
    fails, their files are deleted too, so a rolled-back write leaves no file behind (the blob
    cache writes a file before its index row; a rollback only undoes the row)."""
    try:
        yield
    except BaseException:
        for ref in refs:
            if store.blobs.info(ref.bucket, ref.path) is None:
                store.blobs.file_path(file_name_for(ref.bucket, ref.path)).unlink(missing_ok=True)
        raise
