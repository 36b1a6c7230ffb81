"""The Garments screen's state and use cases, without Qt: the model the garment panel binds to.

One :class:`GarmentsScreen` per open workspace owns everything the panel shows:

- the two **sides** (front, back): the photo dropped on each, the ``extract_garment`` job that
  cuts it out, the cutout's file, "from cache", busy, or the reason it failed;
- whether the front and the back look like **one garment** (:class:`PairVerdict`), and whether
  the designer chose to use a mismatched pair anyway;
- the chosen **profile**;
- one **line per pack or try-on** started here (:class:`JobLine`): the last pack's and the last
  try-on's, each with its own sentence (why it waits, what it does), progress, cancel, and once
  it ended, its images and where they are (History; Magic Canvas opens them). A waiting try-on
  and a running pack never share a line.

Commands start synchronously (the state changes at once, so a screen never shows stale state)
and return the rest of the work as a coroutine for the caller to run::

    screen = GarmentsScreen(services, memory)
    screen.side_changed.connect(show_side)            # Event[str]: "front" or "back"
    await screen.extract("front", Path("tee.jpg"))     # the cutout is ready (or the side failed)
    screen.choose_profile(profile.id)
    job = await screen.build_pack()                    # submitted; results follow as events
    job = await screen.try_on()                        # may wait for the studio's engine
    await screen.cancel(job.id)

Events (emitted on the event loop's thread) say what happened, never which table changed:
``side_changed``, ``pair_changed``, ``readiness_changed`` (what can be started now),
``lines_changed`` (the jobs' lines, all of them, in order), ``pack_finished`` /
``tryon_finished`` (:class:`JobOutcome`), ``problem`` (a sentence for the designer's message
bar).

Where the Front and Back photos were is kept between runs through a :class:`SideMemory` the UI
gives (it keeps small values in the platform's settings): :meth:`restore` brings them back with
their stored cutouts (no new job), and also picks up a pack or try-on still waiting or running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

import numpy as np
from PIL import Image

from studio_desktop.domain.enums import JobStatus, JobType, SourceKind
from studio_desktop.domain.errors import ExternalError, ValidationError
from studio_desktop.domain.events import Event
from studio_desktop.domain.models import Job, JobOutput
from studio_desktop.engine.base import JobProgress
from studio_desktop.engine.runner import JobOutcome
from studio_desktop.imaging.decode import decode_image
from studio_desktop.imaging.garment_pair import PairVerdict, compare_pair, garment_signature
from studio_desktop.services.common import output_ref
from studio_desktop.services.jobs import WAITING_FOR_MOVE, QueueEntry
from studio_desktop.services.workspace import WorkspaceServices

__all__ = [
    "CANCELED_TEXT",
    "MOVE_LOCAL_WORK",
    "GarmentSide",
    "GarmentsScreen",
    "JobLine",
    "JobOutcome",
    "PairVerdict",
    "SavedSide",
    "SideMemory",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
SIDES = (SourceKind.FRONT.value, SourceKind.BACK.value)
TRYON_READY_TIP = "Dress the chosen profile's model in this garment (the studio's engine)"
#: A line's action when its job waits for the local work to be moved into the account.
MOVE_LOCAL_WORK = "move_local_work"
CANCELED_TEXT = "Canceled; it stays in History."
LineKind = Literal["pack", "tryon"]
LineState = Literal["starting", "waiting", "running", "succeeded", "failed", "canceled"]


@dataclass(frozen=True, slots=True)
class SavedSide:
    """A side as remembered between runs: the photo's file and where its cutout is stored."""

    path: Path
    bucket: str
    key: str
    from_cache: bool


class SideMemory(Protocol):
    """Where the screen keeps its Front/Back photos between runs (the UI's settings)."""

    def load(self, kind: str) -> SavedSide | None: ...

    def save(self, kind: str, side: SavedSide | None) -> None: ...


@dataclass
class GarmentSide:
    """One side of the garment as the screen shows it."""

    kind: str
    path: Path | None = None
    photo: bytes | None = field(default=None, repr=False)
    job_id: str | None = None
    #: The cutout's storage key (the thumbnail cache's key) and its file in the blob cache.
    cutout_key: str | None = None
    cutout_file: Path | None = None
    from_cache: bool = False
    busy: bool = False
    #: The sentence under the preview: what is happening, or why there is no cutout.
    note: str = ""
    error: str | None = None

    @property
    def empty(self) -> bool:
        return self.path is None and self.error is None

    @property
    def has_cutout(self) -> bool:
        return self.cutout_file is not None and not self.busy and self.error is None


@dataclass(frozen=True, slots=True)
class JobLine:
    """One pack or try-on started here, as its row in the panel shows it."""

    kind: LineKind
    #: "" while the job is being submitted (or when it could not be).
    job_id: str
    #: "Try-on · Ana", "Product pack · white studio".
    title: str
    #: Why it waits (and what to do), what it does, or how it ended and where its images are.
    text: str
    state: LineState
    #: 0..1 while it runs; None when there is no bar to show (waiting: the text says why).
    progress: float | None = None
    #: Its images once it succeeded: (thumbnail key, file) each, in order.
    files: tuple[tuple[str, Path], ...] = field(default=(), repr=False)
    #: What the designer can do about a wait besides canceling (:data:`MOVE_LOCAL_WORK`).
    action: str | None = None

    @property
    def active(self) -> bool:
        return self.state in ("starting", "waiting", "running")

    @property
    def can_cancel(self) -> bool:
        return self.active and bool(self.job_id)

    @property
    def succeeded(self) -> bool:
        """Ended with images: they are in History and open in Magic Canvas."""
        return self.state == "succeeded" and bool(self.job_id)


class GarmentsScreen:
    """See the module docstring."""

    def __init__(self, services: WorkspaceServices, memory: SideMemory | None = None) -> None:
        self.services = services
        self.memory = memory
        self.sides: dict[str, GarmentSide] = {kind: GarmentSide(kind) for kind in SIDES}
        self.profile_id: str | None = None
        self.pair_verdict: PairVerdict | None = None
        self.pair_overridden = False
        self.pack_job_id: str | None = None
        #: The last pack built here ("Show in History" selects it).
        self.last_pack_job_id: str | None = None
        self.tryon_job_id: str | None = None
        #: The lines of the jobs started here (the last pack's, the last try-on's), in order.
        self.lines: tuple[JobLine, ...] = ()

        self.side_changed: Event[str] = Event("garments.side_changed")
        self.pair_changed: Event[PairVerdict | None] = Event("garments.pair_changed")
        self.readiness_changed: Event[None] = Event("garments.readiness_changed")
        self.lines_changed: Event[tuple[JobLine, ...]] = Event("garments.lines_changed")
        self.pack_finished: Event[JobOutcome] = Event("garments.pack_finished")
        self.tryon_finished: Event[JobOutcome] = Event("garments.tryon_finished")
        self.problem: Event[str] = Event("garments.problem")

        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        jobs = services.jobs
        jobs.job_progress.connect(self._on_progress)
        jobs.job_finished.connect(self._on_finished)

    def close(self) -> None:
        """Stop listening to the jobs and drop background work (the screen is going away)."""
        if self._closed:
            return
        self._closed = True
        jobs = self.services.jobs
        with contextlib.suppress(ValueError):
            jobs.job_progress.disconnect(self._on_progress)
        with contextlib.suppress(ValueError):
            jobs.job_finished.disconnect(self._on_finished)
        for task in list(self._tasks):
            task.cancel()

    # ------------------------------------------------------------------ reading
    @property
    def has_photo(self) -> bool:
        """Whether a garment photo is ready to try on (or to build a pack from)."""
        return any(side.photo is not None for side in self.sides.values())

    @property
    def busy(self) -> bool:
        return any(side.busy for side in self.sides.values())

    @property
    def pair_blocks_pack(self) -> bool:
        """A mismatched pair the designer has not chosen to use anyway."""
        return (
            self.pair_verdict is not None
            and not self.pair_verdict.matches
            and not self.pair_overridden
        )

    def pack_blocker(self) -> str | None:
        """Why "Build product pack" cannot start now, or None when it can."""
        if not self.has_photo:
            return "Drop a photo of the garment's front or back first"
        if self.pair_blocks_pack:
            return "The front and back may not be one garment: see the warning above"
        if self.busy:
            return "Wait for the cutout to be ready"
        if self.pack_job_id is not None:
            return "A product pack is being built"
        return None

    def tryon_blocker(self) -> str | None:
        """Why "Try on" cannot start now, or None when it can."""
        if self.tryon_photo() is None:
            return "Drop a photo of the garment's front or back first"
        if not self.profile_id:
            return "Choose a profile: the try-on dresses its model"
        if self.tryon_job_id is not None:
            return "A try-on is under way"
        if self.busy:
            return "Wait for the cutout to be ready"
        return None

    def tryon_photo(self) -> tuple[str, bytes] | None:
        """The photo a try-on uses: the front's, else the back's."""
        for kind in SIDES:
            photo = self.sides[kind].photo
            if photo is not None:
                return kind, photo
        return None

    # ------------------------------------------------------------------ the profile
    def choose_profile(self, profile_id: str | None) -> None:
        if profile_id == self.profile_id:
            return
        self.profile_id = profile_id or None
        self.readiness_changed.emit(None)

    # ------------------------------------------------------------------ sides
    def clear(self, kind: str) -> None:
        """Empty a side (its photo and cutout stay in the history)."""
        kind = _side(kind)
        self.sides[kind] = GarmentSide(kind)
        self._remember(kind, None)
        self._forget_pair()
        self.side_changed.emit(kind)
        self.readiness_changed.emit(None)

    def extract(self, kind: str, path: Path) -> Coroutine[Any, Any, GarmentSide]:
        """Cut out the garment of ``path`` on one side. The side is busy at once; the returned
        coroutine ends when the cutout is ready (or raises the readable reason it is not: the
        side then says it too). A newer drop on the same side wins over this one."""
        kind = _side(kind)
        side = GarmentSide(kind, path=Path(path), busy=True, note=f"Cutting out “{path.name}”…")
        self.sides[kind] = side
        self._forget_pair()
        self.side_changed.emit(kind)
        self.readiness_changed.emit(None)
        return self._extract(side)

    async def _extract(self, side: GarmentSide) -> GarmentSide:
        services = self.services
        path = side.path
        assert path is not None
        try:
            # Decoded once up front, so a damaged photo is refused here with the decoder's
            # sentence instead of becoming a failed job in the history.
            await self._io(decode_image, path, name=path.name)
            job = await services.imports.garment_photo_dropped(path, side.kind)
            side.job_id = job.id
            outcome = await services.jobs.wait(job.id)
            photo = await self._io(path.read_bytes)
            files = await self._files(outcome.outputs)
        except ExternalError as error:
            if self.sides.get(side.kind) is side:
                self._fail_side(side, error.message)
            raise
        except OSError as error:  # the photo vanished between the drop and its read
            if self.sides.get(side.kind) is side:
                self._fail_side(side, f"“{path.name}” could not be read ({error.strerror}).")
            raise ExternalError(f"“{path.name}” could not be read ({error.strerror}).") from error
        except Exception:  # a bug: the side must not stay busy for ever (the crash dialog tells)
            if self.sides.get(side.kind) is side:
                self._fail_side(side, "The cutout could not be made (an internal error).")
            raise
        if self.sides.get(side.kind) is not side:
            return side  # replaced by a newer drop meanwhile
        if outcome.job.status != JobStatus.SUCCEEDED or not files:
            self._fail_side(side, outcome.job.error or "The cutout could not be made.")
            return side
        key, file = files[0]
        side.photo = photo
        side.from_cache = outcome.cache_hits > 0
        side.cutout_key, side.cutout_file = key, file
        side.busy = False
        side.note = "Cutout ready · from cache" if side.from_cache else "Cutout ready"
        ref = output_ref(outcome.outputs[0])
        if ref is not None:
            self._remember(side.kind, SavedSide(path, ref.bucket, ref.path, side.from_cache))
        self.side_changed.emit(side.kind)
        self.readiness_changed.emit(None)
        self._spawn(self.check_pair())
        return side

    def _fail_side(self, side: GarmentSide, message: str) -> None:
        self.sides[side.kind] = GarmentSide(side.kind, path=side.path, error=message, note=message)
        self.side_changed.emit(side.kind)
        self.readiness_changed.emit(None)

    async def restore(self) -> None:
        """The Front/Back photos of the last run with their stored cutouts (no new job); a
        photo moved or a cutout gone since is forgotten quietly. A try-on of this workspace
        still waiting or running is shown again, with its cancel."""
        self._pick_up_jobs()
        if self.memory is None:
            return
        remembered = {kind: self.memory.load(kind) for kind in SIDES}
        saved = {kind: s for kind, s in remembered.items() if s is not None}
        if not saved:
            return
        blobs = self.services.store.blobs

        def read() -> dict[str, tuple[bytes, Path] | None]:
            found: dict[str, tuple[bytes, Path] | None] = {}
            for kind, side in saved.items():
                file = blobs.get_path(side.bucket, side.key)
                try:
                    found[kind] = (side.path.read_bytes(), file) if file is not None else None
                except OSError:
                    found[kind] = None
            return found

        found = await self._io(read)
        for kind, side in saved.items():
            if self.sides[kind].path is not None:
                continue  # a photo was dropped meanwhile
            got = found.get(kind)
            if got is None:
                self._remember(kind, None)
                continue
            photo, file = got
            note = "Cutout ready · from cache" if side.from_cache else "Cutout ready"
            self.sides[kind] = GarmentSide(
                kind,
                path=side.path,
                photo=photo,
                cutout_key=side.key,
                cutout_file=file,
                from_cache=side.from_cache,
                note=note,
            )
            self.side_changed.emit(kind)
        self.readiness_changed.emit(None)
        await self.check_pair()

    # ------------------------------------------------------------------ the pair
    def _forget_pair(self) -> None:
        if self.pair_verdict is None and not self.pair_overridden:
            return
        self.pair_verdict = None
        self.pair_overridden = False
        self.pair_changed.emit(None)

    async def check_pair(self) -> PairVerdict | None:
        """With both cutouts: do they look like one garment? (off the loop's thread)."""
        front, back = self.sides[SIDES[0]], self.sides[SIDES[1]]
        files = (front.cutout_file, back.cutout_file)
        if None in files or self.pair_verdict is not None:
            return self.pair_verdict

        def verdict() -> PairVerdict | None:
            signatures = []
            try:
                for file in files:
                    assert file is not None
                    with Image.open(file) as image:
                        signatures.append(garment_signature(np.asarray(image.convert("RGBA"))))
            except (OSError, ValueError) as error:  # a cutout gone or empty: nothing to say
                log.info("garment pair not compared: %s", error)
                return None
            return compare_pair(*signatures)

        result = await self._io(verdict)
        if (
            result is None
            or self.sides[SIDES[0]] is not front
            or self.sides[SIDES[1]] is not back
            or (front.cutout_file, back.cutout_file) != files
        ):
            return None  # a side changed meanwhile
        self.pair_verdict = result
        self.pair_changed.emit(result)
        self.readiness_changed.emit(None)
        return result

    def override_pair(self) -> None:
        """ "Use them together anyway": the warning goes, the pack can be built."""
        self.pair_overridden = True
        self.pair_changed.emit(self.pair_verdict)
        self.readiness_changed.emit(None)

    # ------------------------------------------------------------------ product pack
    def build_pack(self) -> Coroutine[Any, Any, Job]:
        """Build a product pack of the photos on the chosen profile. Raises ValidationError
        (at once) when it cannot start; the coroutine ends when the job is submitted, its
        progress and images follow as events (its line)."""
        reason = self.pack_blocker()
        if reason is not None:
            raise ValidationError(f"{reason}.")
        front = self.sides[SourceKind.FRONT.value].photo
        back = self.sides[SourceKind.BACK.value].photo
        profile_id = self.profile_id
        self.pack_job_id = ""  # reserved: no second pack until this one is submitted
        self._put_line(JobLine("pack", "", "Product pack", "Starting the pack…", "starting", 0.0))
        self.readiness_changed.emit(None)
        return self._submit_pack(profile_id, front, back)

    async def _submit_pack(
        self, profile_id: str | None, front: bytes | None, back: bytes | None
    ) -> Job:
        services = self.services
        try:
            job = await services.garments.build_pack(
                profile_id, front=front, back=back, engine=services.preferred_engine
            )
        except ExternalError as error:
            self.pack_job_id = None
            self._put_line(JobLine("pack", "", "Product pack", error.message, "failed"))
            self.readiness_changed.emit(None)
            raise
        self.pack_job_id = job.id
        await self._submitted("pack", job, profile_id)
        return job

    # ------------------------------------------------------------------ try-on
    def try_on(self, profile_id: str | None = None) -> Coroutine[Any, Any, Job]:
        """Try the garment on the chosen profile (or ``profile_id``, which becomes the chosen
        one). Raises ValidationError at once when it cannot start. Only the studio's engine
        makes try-ons: without an account or a network the job waits, queued, and says so."""
        if profile_id is not None:
            self.choose_profile(profile_id)
        reason = self.tryon_blocker()
        if reason is not None:
            raise ValidationError(f"{reason}.")
        chosen = self.tryon_photo()
        assert chosen is not None and self.profile_id is not None
        kind, photo = chosen
        self.tryon_job_id = ""  # reserved until submitted
        self._put_line(JobLine("tryon", "", "Try-on", "Starting the try-on…", "starting", 0.0))
        self.readiness_changed.emit(None)
        return self._submit_tryon(self.profile_id, photo, kind)

    async def _submit_tryon(self, profile_id: str, photo: bytes, kind: str) -> Job:
        try:
            job = await self.services.garments.try_on(profile_id, photo, kind)
        except ExternalError as error:
            self.tryon_job_id = None
            self._put_line(JobLine("tryon", "", "Try-on", error.message, "failed"))
            self.readiness_changed.emit(None)
            raise
        self.tryon_job_id = job.id
        await self._submitted("tryon", job, profile_id)
        return job

    async def _submitted(self, kind: LineKind, job: Job, profile_id: str | None) -> None:
        """The line of a job just stored: its id, its profile's name in the title, and what
        it does now (it may already wait, or have ended)."""
        title = await self._title(kind, profile_id)
        line = self.line(kind)
        if line is None or line.job_id not in ("", job.id):
            return  # dismissed, or replaced meanwhile
        entry = next((e for e in self.services.jobs.queue() if e.job.id == job.id), None)
        if entry is None:  # it ended already: its outcome fills the line
            self._put_line(replace(line, job_id=job.id, title=title))
            return
        self._put_line(self._following(replace(line, job_id=job.id, title=title), entry))

    async def _title(self, kind: LineKind, profile_id: str | None) -> str:
        label = "Product pack" if kind == "pack" else "Try-on"
        if not profile_id:
            return f"{label} · white studio" if kind == "pack" else label
        profile = await self._io(self.services.store.queries.profile, profile_id)
        return f"{label} · {profile.name}" if profile is not None else label

    # ------------------------------------------------------------------ lines (any job)
    def line(self, kind: LineKind) -> JobLine | None:
        """The line of the last pack (``"pack"``) or try-on (``"tryon"``) started here."""
        return next((line for line in self.lines if line.kind == kind), None)

    def line_of(self, job_id: str) -> JobLine | None:
        return next((line for line in self.lines if job_id and line.job_id == job_id), None)

    async def cancel(self, job_id: str) -> bool:
        """Stop a pack or try-on under way (it stays in the history as canceled; an operation
        the studio's engine started is canceled there too). False if it had ended."""
        line = self.line_of(job_id)
        if line is None or not line.can_cancel:
            return False
        noun = "pack" if line.kind == "pack" else "try-on"
        self._put_line(replace(line, text=f"Canceling the {noun}…", action=None))
        return await self.services.jobs.cancel(job_id)

    async def cancel_try_on(self) -> bool:
        """Stop the try-on under way (see :meth:`cancel`)."""
        return await self.cancel(self.tryon_job_id or "")

    def dismiss(self, job_id: str) -> None:
        """Take an ended job's line away (the job stays in the history)."""
        line = self.line_of(job_id)
        if line is None or line.active:
            return
        self.lines = tuple(other for other in self.lines if other is not line)
        self.lines_changed.emit(self.lines)

    def _pick_up_jobs(self) -> None:
        """A pack or try-on of this workspace still waiting or running (a restart, or the
        panel built again): its line, with its cancel."""
        jobs = self.services.jobs
        for kind, job_type in (("pack", JobType.PRODUCT_PACK), ("tryon", JobType.TRYON_IMAGE)):
            if self.line(kind) is not None:
                continue
            entries = [e for e in jobs.queue() if e.job.type == job_type.value]
            if not entries:
                continue
            entry = entries[-1]
            if kind == "pack":
                self.pack_job_id = entry.job.id
            else:
                self.tryon_job_id = entry.job.id
            profile_id = entry.job.input_json.get("profileId")
            label = "Product pack" if kind == "pack" else "Try-on"
            line = JobLine(kind, entry.job.id, label, entry.message, "running")
            self._put_line(self._following(line, entry))
            self._spawn(self._retitle(kind, entry.job.id, profile_id))
        self.readiness_changed.emit(None)

    async def _retitle(self, kind: LineKind, job_id: str, profile_id: object) -> None:
        title = await self._title(kind, profile_id if isinstance(profile_id, str) else None)
        line = self.line_of(job_id)
        if line is not None:
            self._put_line(replace(line, title=title))

    def _following(self, line: JobLine, progress: JobProgress | QueueEntry) -> JobLine:
        """``line`` as the job's latest progress shows it: waiting (no bar: the sentence says
        why, and what to do when the designer can do something) or running with its bar."""
        if isinstance(progress, QueueEntry):
            job_id, fraction, message = progress.job.id, progress.progress, progress.message
        else:
            job_id, fraction, message = progress.job_id, progress.fraction, progress.message
        if self.services.jobs.is_waiting(job_id):
            action = MOVE_LOCAL_WORK if message == WAITING_FOR_MOVE else None
            return replace(line, text=message, state="waiting", progress=None, action=action)
        return replace(line, text=message, state="running", progress=fraction, action=None)

    # ------------------------------------------------------------------ following jobs
    def _on_progress(self, progress: JobProgress) -> None:
        line = self.line_of(progress.job_id)
        if line is not None and line.active:
            self._put_line(self._following(line, progress))

    def _on_finished(self, outcome: JobOutcome) -> None:
        job_id = outcome.job.id
        if job_id == self.pack_job_id:
            self.pack_job_id = None
            self.last_pack_job_id = job_id
        elif job_id == self.tryon_job_id:
            self.tryon_job_id = None
        else:
            return
        self._spawn(self._job_done(outcome))
        self.readiness_changed.emit(None)

    async def _job_done(self, outcome: JobOutcome) -> None:
        job = outcome.job
        kind: LineKind = "pack" if job.type == JobType.PRODUCT_PACK.value else "tryon"
        noun = "product pack" if kind == "pack" else "try-on"
        finished = self.pack_finished if kind == "pack" else self.tryon_finished
        line = self.line_of(job.id) or JobLine(kind, job.id, noun.capitalize(), "", "running")
        if job.status == JobStatus.CANCELED:
            self._put_line(replace(line, text=CANCELED_TEXT, state="canceled", progress=None))
            finished.emit(outcome)
            return
        if job.status != JobStatus.SUCCEEDED:
            text = job.error or f"The {noun} could not be made."
            self._put_line(replace(line, text=f"Failed: {text}", state="failed", progress=None))
            finished.emit(outcome)
            self.problem.emit(f"The {noun} failed: {text}")
            return
        files = tuple(await self._files(outcome.outputs))
        count = len(files)
        images = f"{count} image{'s' if count != 1 else ''}"
        them = "them" if count != 1 else "it"
        text = f"Ready: {images} in History; open {them} in Magic Canvas to edit."
        self._put_line(
            replace(line, text=text, state="succeeded", progress=None, files=files, action=None)
        )
        finished.emit(outcome)

    # ------------------------------------------------------------------ helpers
    def _put_line(self, line: JobLine) -> None:
        """Add or update the line of ``line.kind`` (a newer job of a kind takes its place)."""
        lines = list(self.lines)
        index = next((i for i, other in enumerate(lines) if other.kind == line.kind), None)
        if index is None:
            lines.append(line)
        elif lines[index] == line:
            return
        else:
            lines[index] = line
        self.lines = tuple(lines)
        self.lines_changed.emit(self.lines)

    def _remember(self, kind: str, side: SavedSide | None) -> None:
        if self.memory is not None:
            self.memory.save(kind, side)

    async def _files(self, outputs: tuple[JobOutput, ...]) -> list[tuple[str, Path]]:
        """(storage key, cached file) of each output whose file is on this computer."""
        blobs = self.services.store.blobs
        files = []
        for output in outputs:
            ref = output_ref(output)
            if ref is None:
                continue
            file = await self._io(blobs.get_path, ref.bucket, ref.path)
            if file is not None:
                files.append((ref.path, file))
        return files

    async def _io(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.services.executor, lambda: fn(*args, **kwargs))

    def _spawn(self, work: Awaitable[object]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)

        def done(task: asyncio.Task[Any]) -> None:
            self._tasks.discard(task)
            if task.cancelled():
                return
            error = task.exception()
            if isinstance(error, ExternalError):
                self.problem.emit(error.message)
            elif error is not None:
                log.error("garments screen: background work failed", exc_info=error)

        task.add_done_callback(done)


def _side(kind: str) -> str:
    value = str(kind).strip().lower()
    if value not in SIDES:
        raise ValidationError(f"A garment photo shows its front or its back, not {kind!r}.", "kind")
    return value
