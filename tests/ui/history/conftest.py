"""Fixtures of the History area tests: a real account workspace in a temp data dir (so deletes
have outbox entries), every service wired by ``WorkspaceServices`` over the real local engine,
images drawn by the tests, and helpers to drive async service calls from a Qt test.

- ``services``: the workspace's services (closed at the end of the test).
- ``area``: a shown :class:`HistoryArea` over them, 1100 x 720.
- ``run(coro)``: run a coroutine on the test's qasync loop and wait for it (``qtbot.waitUntil``).
- ``make``: ``make.canvas_edit(...)``, ``make.cutout(...)``, ``make.pack(...)``,
  ``make.failed_tryon(...)``, ``make.running_edit()`` (held mid-way by a step gate),
  ``make.seed(n)`` (rows straight into the store, for volume; their files are not on this
  computer).
"""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
import shiboken6
from PIL import Image, ImageDraw

from studio_desktop.domain.enums import JobStatus, JobType, SourceKind
from studio_desktop.domain.models import Job, JobOutput, Profile, new_id
from studio_desktop.domain.paths import job_output_ref
from studio_desktop.engine.inputs import (
    CanvasEditInput,
    GarmentPhoto,
    ImageInput,
    JobRequest,
    TryOnInput,
)
from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import Store, open_account_store
from studio_desktop.ui.history.area import HistoryArea
from tests.gates import Gate

T = TypeVar("T")
WAIT_MS = 20_000


# ---------------------------------------------------------------------------- images
def png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def jpeg(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()


def add_jpeg_outputs(
    services: WorkspaceServices, files: list[bytes], size: tuple[int, int]
) -> list[JobOutput]:
    """One succeeded pack job whose outputs are ``files`` (JPEGs of ``size``), their bytes in
    the workspace's blob cache as if downloaded, no thumbnail made yet."""
    store = services.store
    job = Job(id=new_id(), user_id=store.user_id, type="product_pack", status="succeeded")
    made = []
    for data in files:
        output_id = new_id()
        ref = job_output_ref(store.user_id, job.id, output_id, "image/jpeg")
        store.blobs.put(ref.bucket, ref.path, data, "image/jpeg", upload=False)
        made.append(
            JobOutput(
                id=output_id,
                job_id=job.id,
                kind="image",
                mime_type="image/jpeg",
                storage_path=ref.path,
                width=size[0],
                height=size[1],
            )
        )
    store.rows.save_many([job, *made])
    return made


def garment_photo(colour: tuple[int, int, int], size: tuple[int, int] = (240, 300)) -> bytes:
    """A product shot: a T-shirt shape in ``colour`` on a smooth light studio backdrop."""
    w, h = size
    ramp = np.linspace(232, 246, h, dtype=np.float32)
    rgb = np.stack([np.tile(ramp[:, None], (1, w))] * 3, axis=-1).astype(np.uint8)
    image = Image.fromarray(rgb, "RGB")
    draw = ImageDraw.Draw(image)
    body = (w * 0.28, h * 0.25, w * 0.72, h * 0.88)
    draw.rectangle(body, fill=colour)
    draw.polygon(
        [(w * 0.28, h * 0.25), (w * 0.08, h * 0.42), (w * 0.18, h * 0.5), (w * 0.28, h * 0.4)],
        fill=colour,
    )
    draw.polygon(
        [(w * 0.72, h * 0.25), (w * 0.92, h * 0.42), (w * 0.82, h * 0.5), (w * 0.72, h * 0.4)],
        fill=colour,
    )
    draw.ellipse((w * 0.42, h * 0.2, w * 0.58, h * 0.3), fill=(238, 238, 240))
    return jpeg(image)


def scene(colour: tuple[int, int, int], size: tuple[int, int] = (320, 240)) -> bytes:
    """A photo-like picture: a sky-to-ground gradient with a coloured bag in the middle."""
    w, h = size
    top = np.array([150, 185, 225], dtype=np.float32)
    bottom = np.array([225, 215, 195], dtype=np.float32)
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    rgb = (top * (1 - t) + bottom * t) * np.ones((1, w, 1), dtype=np.float32)
    image = Image.fromarray(rgb.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((w * 0.35, h * 0.35, w * 0.65, h * 0.8), radius=14, fill=colour)
    draw.arc((w * 0.42, h * 0.2, w * 0.58, h * 0.45), 180, 360, fill=colour, width=6)
    return png(image)


# ---------------------------------------------------------------------------- driving async
@pytest.fixture
def run(qtbot: Any) -> Callable[[Awaitable[T]], T]:
    """Run a coroutine on the (already running) qasync loop and wait for its result."""

    def runner(work: Awaitable[T], timeout: int = WAIT_MS) -> T:
        task = asyncio.ensure_future(work)
        qtbot.waitUntil(task.done, timeout=timeout)
        return task.result()

    return runner


# ---------------------------------------------------------------------------- the workspace
@pytest.fixture
def store(data_root: Path) -> Iterator[Store]:
    opened = open_account_store(
        DataDirs(data_root).ensure(), "http://127.0.0.1:9", str(uuid.uuid4())
    )
    yield opened


@pytest.fixture
def services(store: Store, qtbot: Any) -> Iterator[WorkspaceServices]:
    opened = WorkspaceServices.open(store, thumbnails_dir=store.dirs.thumbs)
    gates: list[Gate] = []
    opened.gates = gates  # type: ignore[attr-defined]
    yield opened
    for gate in gates:
        gate.release.set()
    task = asyncio.ensure_future(opened.aclose())
    qtbot.waitUntil(task.done, timeout=WAIT_MS)


@pytest.fixture
def area(qtbot: Any, services: WorkspaceServices) -> Iterator[HistoryArea]:
    widget = HistoryArea(services)
    qtbot.addWidget(widget)
    widget.resize(1100, 720)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    # Before the workspace closes (this fixture is torn down before ``services``): stop the
    # feed's reads, as switching workspace does. A read still in flight (events from the
    # test's last job) would otherwise run on the closed store and end in the crash dialog.
    if not shiboken6.isValid(widget):
        return  # deleted with a window that owned it: its model went with it
    if widget.model is not None:
        widget.model.close()
    if widget.loader is not None:
        widget.loader.close()


def wait_loaded(qtbot: Any, area: HistoryArea) -> None:
    assert area.model is not None
    qtbot.waitUntil(lambda: area.model.loaded_once and not area.model.is_loading, timeout=WAIT_MS)


# ---------------------------------------------------------------------------- making jobs
@dataclass
class Maker:
    services: WorkspaceServices
    run: Callable[..., Any]
    qtbot: Any
    _clock: datetime = field(default_factory=lambda: datetime(2024, 5, 2, 9, 0, tzinfo=UTC))

    def _finish(self, job: Job, status: str | None = JobStatus.SUCCEEDED) -> Job:
        outcome = self.run(self.services.jobs.wait(job.id))
        if status is not None:
            assert outcome.job.status == status, outcome.job.error
        return outcome.job

    def canvas_edit(
        self, instruction: str, colour: tuple[int, int, int] = (190, 40, 50), **kw: Any
    ) -> Job:
        request = JobRequest(
            CanvasEditInput(ImageInput.from_bytes(scene(colour), "photo"), instruction)
        )
        job = self.run(self.services.jobs.submit(request))
        return self._finish(job, **kw)

    def cutout(self, colour: tuple[int, int, int] = (40, 90, 170)) -> Job:
        job = self.run(self.services.garments.extract_cutout(garment_photo(colour)))
        return self._finish(job)

    def profile(self, name: str, background: str = "#e9e4dc") -> Profile:
        return self.run(
            self.services.profiles.create(name=name, gender="female", background=background)
        )

    def pack(self, profile: Profile, colour: tuple[int, int, int] = (30, 110, 90)) -> Job:
        job = self.run(
            self.services.garments.build_pack(
                profile.id, front=garment_photo(colour), back=garment_photo(colour)
            )
        )
        return self._finish(job)

    def failed_tryon(self, profile: Profile) -> Job:
        garment = GarmentPhoto(
            SourceKind.FRONT, ImageInput.from_bytes(garment_photo((120, 60, 140)), "garment")
        )
        request = JobRequest(TryOnInput(garment, profile.id), engine="local")
        job = self.run(self.services.jobs.submit(request))
        return self._finish(job, status=JobStatus.FAILED)

    def running_edit(self, instruction: str = "make it navy blue") -> tuple[Job, Gate]:
        """A canvas edit held at its "edit" step: running, with progress, until released."""
        gate = Gate("edit")
        self.services.gates.append(gate)  # type: ignore[attr-defined]
        self.services.jobs.step_hook = gate
        request = JobRequest(
            CanvasEditInput(ImageInput.from_bytes(scene((200, 150, 40)), "photo"), instruction)
        )
        job = self.run(self.services.jobs.submit(request))
        self.qtbot.waitUntil(gate.reached.is_set, timeout=WAIT_MS)
        self.services.jobs.step_hook = None
        return job, gate

    def seed(
        self,
        count: int,
        *,
        outputs: int = 2,
        job_type: str = JobType.PRODUCT_PACK,
        status: str = JobStatus.SUCCEEDED,
        prompt: str = "Linen shirt on a sand backdrop",
        profile_id: str | None = None,
    ) -> list[Job]:
        """``count`` jobs with ``outputs`` outputs each, 1 minute apart, older than any made
        through the services; their files are not on this computer (as after a sync pull)."""
        store = self.services.store
        jobs: list[Job] = []
        rows: list[Any] = []
        for n in range(count):
            self._clock -= timedelta(minutes=1)
            input_json: dict[str, Any] = {"prompt": f"{prompt} {n}", "engine": "local"}
            if profile_id:
                input_json["profileId"] = profile_id
            job = Job(
                id=new_id(),
                user_id=store.user_id,
                type=job_type,
                status=status,
                input_json=input_json,
                created_at=self._clock,
            )
            jobs.append(job)
            rows.append(job)
            for k in range(outputs):
                output_id = new_id()
                rows.append(
                    JobOutput(
                        id=output_id,
                        job_id=job.id,
                        kind="image",
                        angle=("front", "back", "detail", "side")[k % 4],
                        mime_type="image/png",
                        storage_path=f"{store.user_id}/jobs/{job.id}/{output_id}.png",
                        width=800,
                        height=1000,
                        created_at=self._clock,
                    )
                )
        store.rows.save_many(rows)
        return jobs


@pytest.fixture
def make(services: WorkspaceServices, run: Callable[..., Any], qtbot: Any) -> Maker:
    return Maker(services, run, qtbot)
