"""The Garments screen's state and use cases, without Qt: the model the garment panel binds to.

One :class:`GarmentsScreen` per open workspace owns everything the panel shows:

- the two **sides** (front, back): the photo dropped on each, the ``extract_garment`` job that
  cuts it out, the cutout's file, "from cache", busy, or the reason it failed;
- whether the front and the back look like **one garment** (:class:`PairVerdict`), and whether
  the designer chose to use a mismatched pair anyway;
- the chosen **profile**;
- one **line per pack or try-on** started here (:class:`JobLine`), as many as the designer
  starts (the same garment on three profiles, then a pack), each with its own sentence (why it
  waits, what it does), progress, cancel, and once it ended, its images and where they are
  (History; Magic Canvas opens them) until the designer dismisses it. A waiting try-on never
  holds back another one. The same garment on the same profile while a try-on of it is still
  waiting or running is refused with a sentence saying so (its line is there already), and so
  is the same pack twice.

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
their stored cutouts (no new job), and also picks up every pack and try-on still waiting or
running (each gets its line again, in the order they were started).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
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
from studio_desktop.engine.inputs import sha256_hex
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
    #: The photo's SHA-256 (what a job's input records): tells a second copy of a job.
    photo_sha: str | None = field(default=None, repr=False)

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
    #: The line's own name, stable for its whole life (the job's id is not known while it is
    #: being submitted): what :meth:`GarmentsScreen.dismiss` and the panel's rows go by.
    key: str = field(default="", compare=False)
    #: What the job makes: its kind, profile and photos' hashes. Two active lines never share
    #: one (a second copy of a job is refused, see :meth:`GarmentsScreen.tryon_blocker`).
    subject: tuple[str, ...] = field(default=(), compare=False, repr=False)

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
        #: The last pack built here ("Show in History" selects it).
        self.last_pack_job_id: str | None = None
        #: A line per pack or try-on started here (or picked up at a restart), in order.
        self.lines: tuple[JobLine, ...] = ()
        self._keys = itertools.count(1)
        #: Profiles' names by id as last seen (the UI's list, or a lookup for a title): a new
        #: line and a refusal name the profile at once instead of after a lookup.
        self.profile_names: dict[str, str] = {}

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
    def pack_job_id(self) -> str | None:
        """The newest pack still waiting or running ("" while it is being submitted)."""
        return self._active_id("pack")

    @property
    def tryon_job_id(self) -> str | None:
        """The newest try-on still waiting or running ("" while it is being submitted)."""
        return self._active_id("tryon")

    def _active_id(self, kind: LineKind) -> str | None:
        active = [line for line in self.lines if line.kind == kind and line.active]
        return active[-1].job_id if active else None

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
        same = self._same(self._pack_subject(self.profile_id))
        if same is not None:
            on = _profile_of(same)
            where = f" on {on}" if on else ""
            return f"This product pack{where} is already being built: see its row below"
        return None

    def tryon_blocker(self, profile_id: str | None = None) -> str | None:
        """Why "Try on" cannot start now on the chosen profile (or ``profile_id``), or None
        when it can. Other try-ons under way never block one; the same garment on the same
        profile while its try-on still waits or runs does (its line is there already)."""
        profile_id = profile_id or self.profile_id
        if self.tryon_photo() is None:
            return "Drop a photo of the garment's front or back first"
        if not profile_id:
            return "Choose a profile: the try-on dresses its model"
        if self.busy:
            return "Wait for the cutout to be ready"
        same = self._same(self._tryon_subject(profile_id))
        if same is not None:
            on = _profile_of(same) or self.profile_names.get(profile_id) or "this profile"
            return f"This garment is already being tried on {on}: see its row below"
        return None

    def _same(self, subject: tuple[str, ...] | None) -> JobLine | None:
        """The active line making ``subject`` already, if any."""
        if subject is None:
            return None
        return next((x for x in self.lines if x.active and x.subject == subject), None)

    def _tryon_subject(self, profile_id: str | None) -> tuple[str, ...] | None:
        chosen = self.tryon_photo()
        if chosen is None or not profile_id:
            return None
        sha = self.sides[chosen[0]].photo_sha or sha256_hex(chosen[1])
        return ("tryon", profile_id, sha)

    def _pack_subject(self, profile_id: str | None) -> tuple[str, ...] | None:
        photos = []
        for kind in SIDES:
            side = self.sides[kind]
            if side.photo is not None:
                photos.append(f"{kind}:{side.photo_sha or sha256_hex(side.photo)}")
        if not photos:
            return None
        return ("pack", profile_id or "", *photos)

    def tryon_photo(self) -> tuple[str, bytes] | None:
        """The photo a try-on uses: the front's, else the back's."""
        for kind in SIDES:
            photo = self.sides[kind].photo
            if photo is not None:
                return kind, photo
        return None

    # ------------------------------------------------------------------ the profile
    def know_profiles(self, names: dict[str, str]) -> None:
        """The profiles' names by id, as the UI lists them (see :attr:`profile_names`)."""
        self.profile_names.update(names)

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
            sha = await self._io(sha256_hex, photo)
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
        side.photo_sha = sha
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

        def read() -> dict[str, tuple[bytes, str, Path] | None]:
            found: dict[str, tuple[bytes, str, Path] | None] = {}
            for kind, side in saved.items():
                file = blobs.get_path(side.bucket, side.key)
                try:
                    photo = side.path.read_bytes() if file is not None else None
                except OSError:
                    photo = None
                found[kind] = (photo, sha256_hex(photo), file) if photo and file else None
            return found

        found = await self._io(read)
        for kind, side in saved.items():
            if self.sides[kind].path is not None:
                continue  # a photo was dropped meanwhile
            got = found.get(kind)
            if got is None:
                self._remember(kind, None)
                continue
            photo, sha, file = got
            note = "Cutout ready · from cache" if side.from_cache else "Cutout ready"
            self.sides[kind] = GarmentSide(
                kind,
                path=side.path,
                photo=photo,
                cutout_key=side.key,
                cutout_file=file,
                from_cache=side.from_cache,
                note=note,
                photo_sha=sha,
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
        line = self._new_line("pack", profile_id, self._pack_subject(profile_id))
        return self._submit_pack(line, profile_id, front, back)

    async def _submit_pack(
        self, line: JobLine, profile_id: str | None, front: bytes | None, back: bytes | None
    ) -> Job:
        services = self.services
        try:
            job = await services.garments.build_pack(
                profile_id, front=front, back=back, engine=services.preferred_engine
            )
        except ExternalError as error:
            self._not_submitted(line, error)
            raise
        await self._submitted(line, job, profile_id)
        return job

    # ------------------------------------------------------------------ try-on
    def try_on(self, profile_id: str | None = None) -> Coroutine[Any, Any, Job]:
        """Try the garment on the chosen profile (or ``profile_id``, which becomes the chosen
        one). Raises ValidationError at once when it cannot start (see :meth:`tryon_blocker`).
        Only the studio's engine makes try-ons: without an account or a network the job waits,
        queued, and says so; other try-ons and packs can be started meanwhile."""
        if profile_id is not None:
            self.choose_profile(profile_id)
        reason = self.tryon_blocker()
        if reason is not None:
            raise ValidationError(f"{reason}.")
        chosen = self.tryon_photo()
        assert chosen is not None and self.profile_id is not None
        kind, photo = chosen
        profile_id = self.profile_id
        line = self._new_line("tryon", profile_id, self._tryon_subject(profile_id))
        return self._submit_tryon(line, profile_id, photo, kind)

    async def _submit_tryon(self, line: JobLine, profile_id: str, photo: bytes, kind: str) -> Job:
        try:
            job = await self.services.garments.try_on(profile_id, photo, kind)
        except ExternalError as error:
            self._not_submitted(line, error)
            raise
        await self._submitted(line, job, profile_id)
        return job

    def _new_line(
        self, kind: LineKind, profile_id: str | None, subject: tuple[str, ...] | None
    ) -> JobLine:
        """The line of a job about to be submitted, shown at once ("Starting…"), named for its
        profile when its name is known already."""
        noun = "pack" if kind == "pack" else "try-on"
        title = self._known_title(kind, profile_id)
        line = JobLine(
            kind,
            "",
            title,
            f"Starting the {noun}…",
            "starting",
            0.0,
            key=f"{kind}-{next(self._keys)}",
            subject=subject or (),
        )
        self._put_line(line)
        self.readiness_changed.emit(None)
        return line

    def _not_submitted(self, line: JobLine, error: ExternalError) -> None:
        current = self._by_key(line.key) or line
        self._put_line(replace(current, text=error.message, state="failed", progress=None))
        self.readiness_changed.emit(None)

    async def _submitted(self, line: JobLine, job: Job, profile_id: str | None) -> None:
        """The line of a job just stored: its id (at once, before any of the job's events can
        come), its profile's name in the title, and what it does now (it may already wait, or
        have ended)."""
        current = self._by_key(line.key)
        if current is None:
            return
        self._put_line(replace(current, job_id=job.id))
        title = await self._title(line.kind, profile_id)
        current = self._by_key(line.key)
        if current is None:
            return
        entry = next((e for e in self.services.jobs.queue() if e.job.id == job.id), None)
        if entry is None or not current.active:  # it ended already: its outcome fills the line
            self._put_line(replace(current, title=title))
            return
        self._put_line(self._following(replace(current, title=title), entry))

    def _known_title(self, kind: LineKind, profile_id: object) -> str:
        """A line's title from the start: "Try-on · Ana". The name comes from the profiles the
        UI lists, else from the store (one row by its key: a profile created a moment ago, or
        a restart before the list is read), so a line never reads just "Try-on" first."""
        label = "Product pack" if kind == "pack" else "Try-on"
        if not isinstance(profile_id, str) or not profile_id:
            return f"{label} · white studio" if kind == "pack" else label
        name = self.profile_names.get(profile_id)
        if name is None:
            profile = self.services.store.queries.profile(profile_id)
            if profile is None:
                return label
            name = self.profile_names[profile_id] = profile.name
        return f"{label} · {name}"

    async def _title(self, kind: LineKind, profile_id: str | None) -> str:
        label = "Product pack" if kind == "pack" else "Try-on"
        if not profile_id:
            return f"{label} · white studio" if kind == "pack" else label
        profile = await self._io(self.services.store.queries.profile, profile_id)
        if profile is None:
            return label
        self.profile_names[profile_id] = profile.name
        return f"{label} · {profile.name}"

    # ------------------------------------------------------------------ lines (any job)
    def line(self, kind: LineKind) -> JobLine | None:
        """The line of the newest pack (``"pack"``) or try-on (``"tryon"``) shown here."""
        found = self.lines_of(kind)
        return found[-1] if found else None

    def lines_of(self, kind: LineKind) -> tuple[JobLine, ...]:
        """The lines of every pack (``"pack"``) or try-on (``"tryon"``) shown, in order."""
        return tuple(line for line in self.lines if line.kind == kind)

    def line_of(self, job_id: str) -> JobLine | None:
        return next((line for line in self.lines if job_id and line.job_id == job_id), None)

    def _by_key(self, key: str) -> JobLine | None:
        return next((line for line in self.lines if key and line.key == key), None)

    async def cancel(self, job_id: str) -> bool:
        """Stop a pack or try-on under way (it stays in the history as canceled; an operation
        the studio's engine started is canceled there too). False if it had ended. The other
        lines go on as they were."""
        line = self.line_of(job_id)
        if line is None or not line.can_cancel:
            return False
        noun = "pack" if line.kind == "pack" else "try-on"
        self._put_line(replace(line, text=f"Canceling the {noun}…", action=None))
        return await self.services.jobs.cancel(job_id)

    async def cancel_try_on(self) -> bool:
        """Stop the newest try-on under way (see :meth:`cancel`)."""
        return await self.cancel(self.tryon_job_id or "")

    def dismiss(self, ref: str) -> None:
        """Take an ended line away (its job, if it was stored, stays in the history). ``ref`` is
        the line's key or its job's id; an active line stays."""
        line = self._by_key(ref) or self.line_of(ref)
        if line is None or line.active:
            return
        self.lines = tuple(other for other in self.lines if other.key != line.key)
        self.lines_changed.emit(self.lines)
        self.readiness_changed.emit(None)

    def dismiss_ended(self) -> int:
        """Take every ended line away ("Clear finished"); how many went."""
        ended = [line for line in self.lines if not line.active]
        if not ended:
            return 0
        self.lines = tuple(line for line in self.lines if line.active)
        self.lines_changed.emit(self.lines)
        self.readiness_changed.emit(None)
        return len(ended)

    def _pick_up_jobs(self) -> None:
        """Every pack and try-on of this workspace still waiting or running (a restart, or the
        panel built again) not shown yet: a line each, in the order they were started, with
        its cancel."""
        types = {JobType.PRODUCT_PACK.value: "pack", JobType.TRYON_IMAGE.value: "tryon"}
        for entry in self.services.jobs.queue():
            kind = types.get(entry.job.type)
            if kind is None or self.line_of(entry.job.id) is not None:
                continue
            line_kind: LineKind = "pack" if kind == "pack" else "tryon"
            profile_id = entry.job.input_json.get("profileId")
            line = JobLine(
                line_kind,
                entry.job.id,
                self._known_title(line_kind, profile_id),
                entry.message,
                "running",
                key=f"{kind}-{next(self._keys)}",
                subject=_subject_of(line_kind, entry.job.input_json),
            )
            self._put_line(self._following(line, entry))
        self.readiness_changed.emit(None)

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
        line = self.line_of(job_id)
        if line is None or not line.active:
            return
        if line.kind == "pack":
            self.last_pack_job_id = job_id
        self._spawn(self._job_done(line, outcome))

    async def _job_done(self, line: JobLine, outcome: JobOutcome) -> None:
        job = outcome.job
        kind = line.kind
        noun = "product pack" if kind == "pack" else "try-on"
        finished = self.pack_finished if kind == "pack" else self.tryon_finished
        if job.status == JobStatus.CANCELED:
            self._end(line, text=CANCELED_TEXT, state="canceled")
            finished.emit(outcome)
            return
        if job.status != JobStatus.SUCCEEDED:
            text = job.error or f"The {noun} could not be made."
            self._end(line, text=f"Failed: {text}", state="failed")
            finished.emit(outcome)
            self.problem.emit(f"The {noun} failed: {text}")
            return
        files = tuple(await self._files(outcome.outputs))
        count = len(files)
        images = f"{count} image{'s' if count != 1 else ''}"
        them = "them" if count != 1 else "it"
        text = f"Ready: {images} in History; open {them} in Magic Canvas to edit."
        self._end(line, text=text, state="succeeded", files=files)
        finished.emit(outcome)

    def _end(
        self,
        line: JobLine,
        *,
        text: str,
        state: LineState,
        files: tuple[tuple[str, Path], ...] = (),
    ) -> None:
        """The line of a job that ended (a dismissed line stays away)."""
        current = self._by_key(line.key)
        if current is None:
            return
        ended = replace(current, text=text, state=state, progress=None, action=None, files=files)
        self._put_line(ended)
        self.readiness_changed.emit(None)

    # ------------------------------------------------------------------ helpers
    def _put_line(self, line: JobLine) -> None:
        """Add ``line``, or update the line of the same key in place."""
        lines = list(self.lines)
        index = next((i for i, other in enumerate(lines) if other.key == line.key), None)
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
        raise ValidationError(f"A garment photo shows its front or its back, not “{kind}”.", "kind")
    return value


def _profile_of(line: JobLine) -> str:
    """The profile's name in a line's title ("Try-on · Ana" → "Ana"; "" when unknown)."""
    _label, _dot, name = line.title.partition(" · ")
    return "" if name == "white studio" else name


def _subject_of(kind: LineKind, input_json: dict[str, Any]) -> tuple[str, ...]:
    """A stored job's subject (see :attr:`JobLine.subject`), from its input as recorded."""

    def sha(garment: object) -> tuple[str, str] | None:
        if not isinstance(garment, dict) or not isinstance(garment.get("photo"), dict):
            return None
        value = garment["photo"].get("sha256")
        return (str(garment.get("kind") or ""), value) if isinstance(value, str) else None

    profile_id = input_json.get("profileId")
    profile = profile_id if isinstance(profile_id, str) else ""
    if kind == "tryon":
        found = sha(input_json.get("garment"))
        return ("tryon", profile, found[1]) if found is not None and profile else ()
    garments = input_json.get("garments")
    photos = [sha(g) for g in garments] if isinstance(garments, list) else []
    if not photos or None in photos:
        return ()
    ordered = sorted(
        (p for p in photos if p is not None),
        key=lambda p: SIDES.index(p[0]) if p[0] in SIDES else len(SIDES),
    )
    return ("pack", profile, *(f"{k}:{v}" for k, v in ordered))
