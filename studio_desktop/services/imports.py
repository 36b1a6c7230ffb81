"""Images dropped or pasted into the app: checked first, then stored all at once or not at all.

    imports = ImportService(store, garments=garment_service)
    checks = await imports.check(paths)                   # optional preview: per-file verdicts
    result = await imports.start_creation(paths)          # a new creation, one asset per image
    result = await imports.add_assets(thread_id, paths)   # dropped on an open creation
    result = await imports.add_image_bytes(thread_id, clipboard_png, "Pasted image")
    job = await imports.garment_photo_dropped(path, "front")   # -> GarmentService

What a drop may hold, and what happens (decided for designers, who drop whole shoot folders):

- **Folders are expanded one level**: the files directly inside a dropped folder are taken, in
  name order; hidden files are skipped; sub-folders are not entered (each is reported as
  refused, so nothing disappears silently).
- **Every file is checked before anything is written**: the header is read
  (``imaging.decode.probe_image``: real format sniffed, the pixel limit checked from the header,
  so a 20,000 x 20,000 PNG is refused without decoding a pixel); a refusal carries the imaging
  error's message. Pixel data is checked when the image is decoded for storing; a file damaged
  there is refused the same way.
- **Caps**: at most :data:`MAX_IMAGES_PER_DROP` (50) images per drop and
  :data:`MAX_FILES_PER_DROP` (500) files. A drop over a cap is **refused as a whole** with a
  message that gives the count (``TooManyFilesError``): taking an arbitrary first 50 would leave
  the designer guessing which ones got in. Files that are refused do not count.
- **All or nothing**: the creation (thread, assets, first conversation) and every stored image
  (a queued-upload object in ``outputs`` under ``<uid>/canvas/<thread>/``) are written in ONE
  transaction; if it fails, no row, no outbox entry, no blob index entry and no file is left.
  When no file is usable, :class:`NothingToImportError` says why (per file).
- Each stored image is upright, sRGB, metadata-free and at most :data:`MAX_CANVAS_SIDE` px on
  its long side (``services/images.py``); the result says which ones were scaled down.

No events of its own: the store's ``rows_changed`` reports the new rows.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from pathlib import Path

from studio_desktop.domain.enums import SourceKind
from studio_desktop.domain.errors import ExternalError
from studio_desktop.domain.models import (
    CanvasAsset,
    CanvasConversation,
    CanvasThread,
    Job,
    new_id,
)
from studio_desktop.domain.paths import ObjectRef, canvas_object_ref
from studio_desktop.domain.sentences import listed
from studio_desktop.imaging.decode import ImageInfo, probe_image
from studio_desktop.imaging.errors import ImageError
from studio_desktop.services.common import BlockingWork, NotFoundError, discard_files_on_failure
from studio_desktop.services.creations import NewAsset, asset_rows, creation_rows
from studio_desktop.services.garments import GarmentService
from studio_desktop.services.images import prepare_image
from studio_desktop.store.workspace import Store

MAX_IMAGES_PER_DROP = 50
MAX_FILES_PER_DROP = 500
MAX_CANVAS_SIDE = 8192
PASTED_NAME = "Pasted image"
_STORE_AS_IS = ("JPEG", "PNG", "WEBP")


class TooManyFilesError(ExternalError):
    """A drop over one of the caps; nothing was imported."""

    def __init__(self, message: str, count: int, limit: int) -> None:
        super().__init__(message)
        self.count = count
        self.limit = limit


class NothingToImportError(ExternalError):
    """No file of the drop is a usable image; ``files`` says why for each."""

    def __init__(self, files: tuple[FileResult, ...]) -> None:
        refused = [f for f in files if not f.accepted]
        if len(refused) == 1:
            message = refused[0].message or "The file is not an image Studio can use."
        elif not refused:
            message = "Nothing was dropped."
        else:
            message = listed(
                f"None of the {len(refused)} files can be used:",
                (f.message or f"“{f.name}” cannot be used." for f in refused),
            )
        super().__init__(message)
        self.files = files


@dataclass(frozen=True, slots=True)
class FileResult:
    """The verdict on one dropped file (or a folder that could not be taken)."""

    path: Path | None
    name: str
    accepted: bool
    #: Why it was refused (the imaging error's message), or None.
    message: str | None = None
    info: ImageInfo | None = None
    #: Set when the image was stored smaller: its original (width, height).
    scaled_from: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class CreationResult:
    """A creation made (or added to) from a drop, and the verdict on every file."""

    thread: CanvasThread
    #: The assets added by this call, in the order of the files.
    assets: tuple[CanvasAsset, ...]
    #: The first conversation, for a new creation; None when adding to one.
    conversation: CanvasConversation | None
    files: tuple[FileResult, ...]

    @property
    def refused(self) -> tuple[FileResult, ...]:
        return tuple(f for f in self.files if not f.accepted)

    @property
    def message(self) -> str:
        """What the window says: what was added, then one line per file that was not."""
        added = len(self.assets)
        text = f"Added {added} image{'s' if added != 1 else ''}."
        refused = self.refused
        if refused:
            text = listed(
                f"{text} {len(refused)} not added:",
                (f.message or f"“{f.name}” cannot be used." for f in refused),
            )
        return text


@dataclass(slots=True)
class _Prepared:
    file: FileResult
    temp: Path
    mime_type: str
    label: str


def _label(name: str) -> str:
    stem = Path(name).stem if "." in name else name
    return " ".join(stem.split()) or name


class ImportService(BlockingWork):
    def __init__(
        self,
        store: Store,
        *,
        garments: GarmentService | None = None,
        executor: Executor | None = None,
    ) -> None:
        self.store = store
        self.garments = garments
        self.executor = executor

    # ------------------------------------------------------------------ use cases
    async def check(self, paths: Sequence[Path | str]) -> tuple[FileResult, ...]:
        """Per-file verdicts for a drop, reading only headers (nothing is written).
        Raises :class:`TooManyFilesError` for a drop over a cap."""
        return await self.io(self._check, [Path(p) for p in paths])

    async def start_creation(self, paths: Sequence[Path | str]) -> CreationResult:
        """A new creation titled after the first image, with one asset per usable image."""
        return await self.io(self._import, [Path(p) for p in paths], None)

    async def add_assets(self, thread_id: str, paths: Sequence[Path | str]) -> CreationResult:
        """Add the usable images of a drop to an existing creation, after its assets."""
        return await self.io(self._import, [Path(p) for p in paths], thread_id)

    async def add_image_bytes(
        self, thread_id: str, data: bytes, name: str | None = None
    ) -> CreationResult:
        """Add an image from bytes (a clipboard paste) to an existing creation."""
        return await self.io(self._import_bytes, bytes(data), name or PASTED_NAME, thread_id)

    async def start_creation_from_bytes(
        self, data: bytes, name: str | None = None
    ) -> CreationResult:
        """A new creation from an image in bytes (a paste outside the canvas)."""
        return await self.io(self._import_bytes, bytes(data), name or PASTED_NAME, None)

    async def garment_photo_dropped(
        self, path: Path | str, kind: SourceKind | str = SourceKind.FRONT
    ) -> Job:
        """Cut out the garment of a dropped product photo (a queued ``extract_garment`` job)."""
        if self.garments is None:
            raise ExternalError("Garment cutouts are not available in this window.")
        data = await self.io(self._garment_bytes, Path(path))
        return await self.garments.extract_cutout(data, kind)

    # ------------------------------------------------------------------ checking
    def _expand(self, paths: list[Path]) -> list[Path | FileResult]:
        """The drop's files in order, folders expanded one level; a refusal in place of what
        cannot be taken (a sub-folder, an empty or unreadable folder). Stops counting files
        once past :data:`MAX_FILES_PER_DROP`."""
        entries: list[Path | FileResult] = []
        seen: set[Path] = set()
        count = 0

        def add(path: Path) -> None:
            nonlocal count
            key = path.resolve() if path.exists() else path.absolute()
            if key not in seen:
                seen.add(key)
                entries.append(path)
                count += 1

        for path in paths:
            if count > MAX_FILES_PER_DROP:
                break
            if not path.is_dir():
                add(path)
                continue
            try:
                children = sorted(os.scandir(path), key=lambda e: e.name.casefold())
            except OSError as exc:
                reason = exc.strerror or str(exc)
                entries.append(
                    FileResult(
                        path,
                        path.name,
                        False,
                        f"The folder “{path.name}” could not be read: {reason}.",
                    )
                )
                continue
            files_inside = 0
            for child in children:
                if child.name.startswith("."):
                    continue
                if child.is_dir():
                    entries.append(
                        FileResult(
                            Path(child.path),
                            child.name,
                            False,
                            f"“{child.name}” is a folder inside “{path.name}”; only the images "
                            "directly in a dropped folder are taken.",
                        )
                    )
                    continue
                files_inside += 1
                add(Path(child.path))
                if count > MAX_FILES_PER_DROP:
                    break
            if files_inside == 0:
                entries.append(
                    FileResult(
                        path, path.name, False, f"The folder “{path.name}” has no files in it."
                    )
                )
        return entries

    def _check(self, paths: list[Path]) -> tuple[FileResult, ...]:
        entries = self._expand(paths)
        files = sum(isinstance(e, Path) for e in entries)
        if files > MAX_FILES_PER_DROP:
            raise TooManyFilesError(
                f"This drop holds more than {MAX_FILES_PER_DROP} files, so nothing was added. "
                f"Select at most {MAX_IMAGES_PER_DROP} images at a time.",
                files,
                MAX_FILES_PER_DROP,
            )
        results: list[FileResult] = []
        for entry in entries:
            if isinstance(entry, FileResult):
                results.append(entry)
                continue
            try:
                info = probe_image(entry)
            except ImageError as exc:
                results.append(FileResult(entry, entry.name, False, exc.message))
                continue
            results.append(FileResult(entry, entry.name, True, None, info))
        accepted = sum(r.accepted for r in results)
        if accepted > MAX_IMAGES_PER_DROP:
            raise TooManyFilesError(
                f"You dropped {accepted} images; at most {MAX_IMAGES_PER_DROP} can be added at a "
                f"time, so none were added. Select up to {MAX_IMAGES_PER_DROP} (you can drop "
                "more onto the creation afterwards).",
                accepted,
                MAX_IMAGES_PER_DROP,
            )
        return tuple(results)

    # ------------------------------------------------------------------ importing
    def _import(self, paths: list[Path], thread_id: str | None) -> CreationResult:
        if thread_id is not None:
            self._thread(thread_id)  # a creation that is gone is said before any decoding
        checked = self._check(paths)
        with tempfile.TemporaryDirectory(dir=self.store.dirs.root, prefix=".import-") as tmp:
            results, prepared = self._prepare(checked, Path(tmp))
            return self._store(results, prepared, thread_id)

    def _import_bytes(self, data: bytes, name: str, thread_id: str | None) -> CreationResult:
        if thread_id is not None:
            self._thread(thread_id)
        try:
            info = probe_image(data, name=name)
            result = FileResult(None, name, True, None, info)
        except ImageError as exc:
            result = FileResult(None, name, False, exc.message)
        with tempfile.TemporaryDirectory(dir=self.store.dirs.root, prefix=".import-") as tmp:
            source = Path(tmp) / "pasted"
            source.write_bytes(data)
            results, prepared = self._prepare((replace(result, path=source),), Path(tmp))
            results = [replace(r, path=None) for r in results]
            for item in prepared:
                item.file = replace(item.file, path=None)
            return self._store(results, prepared, thread_id)

    def _prepare(
        self, checked: Sequence[FileResult], folder: Path
    ) -> tuple[list[FileResult], list[_Prepared]]:
        """Decode, normalise and encode each accepted file into ``folder`` (one at a time, so
        memory holds one image, not the whole drop)."""
        results: list[FileResult] = []
        prepared: list[_Prepared] = []
        for index, file in enumerate(checked):
            if not file.accepted or file.path is None or file.info is None:
                results.append(file)
                continue
            try:
                image = prepare_image(file.path, max_side=MAX_CANVAS_SIDE, name=file.name)
            except ImageError as exc:
                results.append(replace(file, accepted=False, message=exc.message, info=None))
                continue
            temp = folder / f"{index}.img"
            temp.write_bytes(image.data)
            done = replace(file, scaled_from=image.original_size if image.scaled else None)
            results.append(done)
            prepared.append(_Prepared(done, temp, image.mime_type, _label(file.name)))
        if not prepared:
            raise NothingToImportError(tuple(results))
        return results, prepared

    def _thread(self, thread_id: str) -> CanvasThread:
        thread = self.store.rows.get(CanvasThread, thread_id)
        if thread is None:
            raise NotFoundError("This creation no longer exists (it may have been deleted).")
        return thread

    def _store(
        self, results: list[FileResult], prepared: list[_Prepared], thread_id: str | None
    ) -> CreationResult:
        user_id = self.store.user_id
        new_thread_id = thread_id or new_id()
        refs = [canvas_object_ref(user_id, new_thread_id, p.mime_type) for p in prepared]
        images = [
            NewAsset(ref.bucket, ref.path, label=p.label)
            for ref, p in zip(refs, prepared, strict=True)
        ]
        written: list[ObjectRef] = []
        with discard_files_on_failure(self.store, written), self.store.transaction():
            for ref, item in zip(refs, prepared, strict=True):
                written.append(ref)
                self.store.blobs.put_file(ref.bucket, ref.path, item.temp, item.mime_type)
            if thread_id is None:
                rows = creation_rows(user_id, prepared[0].label, images, thread_id=new_thread_id)
                self.store.rows.save_many(rows.all())
                return CreationResult(rows.thread, rows.assets, rows.conversation, tuple(results))
            thread = self._thread(thread_id)
            last = self.store.db.query_one(
                "SELECT id FROM canvas_assets WHERE thread_id = ? "
                "ORDER BY created_at DESC, id DESC LIMIT 1",
                (thread_id,),
            )
            after = self.store.rows.get(CanvasAsset, last["id"]) if last else None
            assets = asset_rows(user_id, thread_id, images, after=after)
            if not thread.base_storage_path:
                thread = replace(
                    thread, base_storage_bucket=refs[0].bucket, base_storage_path=refs[0].path
                )
            saved = self.store.rows.save_many([thread, *assets])
            return CreationResult(saved[0], tuple(saved[1:]), None, tuple(results))  # type: ignore[arg-type]

    # ------------------------------------------------------------------ garments
    def _garment_bytes(self, path: Path) -> bytes:
        info = probe_image(path)
        if info.format in _STORE_AS_IS:
            try:
                return path.read_bytes()
            except OSError as exc:
                raise ExternalError(
                    f"“{path.name}” could not be read: {exc.strerror or exc}."
                ) from exc
        # GIF and BMP photos: the cutout engine takes PNG, JPEG or WebP.
        return prepare_image(path, max_side=MAX_CANVAS_SIDE, name=path.name).data
