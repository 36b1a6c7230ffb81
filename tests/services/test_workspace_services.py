"""The workspace container: every service wired over one store, jobs resumed, closed cleanly."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from PIL import Image

from studio_desktop.domain.enums import JobStatus
from studio_desktop.engine.inputs import CanvasEditInput, ImageInput, JobRequest
from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import open_local_store


def _png(colour: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buf, "PNG")
    return buf.getvalue()


def test_open_run_a_job_and_close(data_root: Path) -> None:
    dirs = DataDirs(data_root).ensure()

    async def scenario() -> None:
        store = open_local_store(dirs)
        services = WorkspaceServices.open(store, thumbnails_dir=dirs.workspace().thumbs)
        await services.start()
        request = JobRequest(
            # A flat image has no main subject: without a mask the request names its scope.
            CanvasEditInput(
                ImageInput.from_bytes(_png((200, 30, 30)), "photo"),
                "make the whole image grayscale",
            )
        )
        job = await services.jobs.submit(request)
        outcome = await services.jobs.wait(job.id)
        assert outcome.job.status == JobStatus.SUCCEEDED, outcome.job.error
        page = await services.history.feed_page()
        assert [item.job.id for item in page.items] == [job.id]
        await services.aclose()

    asyncio.run(scenario())


def test_the_local_engine_is_imported_by_its_first_job_not_by_the_open(data_root: Path) -> None:
    """Opening a workspace (what the start-up does before the History shows) leaves the local
    engine's module, its instruction parser and cutout cache unimported; the first job brings
    them, and a second job reuses the same engine."""
    code = f"""
import asyncio, io, sys
from pathlib import Path
from PIL import Image
from studio_desktop.domain.enums import JobStatus
from studio_desktop.engine.inputs import CanvasEditInput, ImageInput, JobRequest
from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import open_local_store

HEAVY = ("studio_desktop.engine.local", "studio_desktop.imaging.instructions",
         "studio_desktop.engine.cutout_cache")

def png():
    buf = io.BytesIO(); Image.new("RGB", (64, 48), (20, 90, 200)).save(buf, "PNG")
    return buf.getvalue()

async def main():
    dirs = DataDirs(Path({str(data_root)!r})).ensure()
    store = open_local_store(dirs)
    services = WorkspaceServices.open(store, thumbnails_dir=dirs.workspace().thumbs)
    await services.start()
    await services.history.feed_page()
    print("after open:", sorted(m for m in HEAVY if m in sys.modules))
    on_demand = services.jobs.engines["local"]
    engines = []
    for instruction in ("make the whole image grayscale", "make the whole image brighter"):
        request = JobRequest(CanvasEditInput(ImageInput.from_bytes(png(), "photo"), instruction))
        job = await services.jobs.submit(request)
        outcome = await services.jobs.wait(job.id)
        assert outcome.job.status == JobStatus.SUCCEEDED, outcome.job.error
        engines.append(await on_demand.engine())
    print("after jobs:", sorted(m for m in HEAVY if m in sys.modules))
    print("one engine:", engines[0] is engines[1], type(engines[0]).__name__)
    await services.aclose()

asyncio.run(main())
"""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout.splitlines()
    assert out == [
        "after open: []",
        "after jobs: ['studio_desktop.engine.cutout_cache', 'studio_desktop.engine.local', "
        "'studio_desktop.imaging.instructions']",
        "one engine: True LocalEngine",
    ]


LATER = (
    "studio_desktop.services.canvas",
    "studio_desktop.services.imports",
    "studio_desktop.services.garments",
    "studio_desktop.services.profiles",
)


def test_each_service_is_built_on_first_use(data_root: Path) -> None:
    """In a fresh process: opening the services imports and builds none of the Canvas, imports,
    garments or profiles services; the History's first page builds the jobs and the history
    service only, and imports no Pillow; ``build_all`` builds the rest, each once, over the
    same jobs."""
    code = f"""
import asyncio, sys
from pathlib import Path
from studio_desktop.services.workspace import SERVICE_NAMES, WorkspaceServices
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import open_local_store

LATER = {LATER!r}

async def main():
    dirs = DataDirs(Path({str(data_root)!r})).ensure()
    store = open_local_store(dirs)
    services = WorkspaceServices.open(store, thumbnails_dir=dirs.workspace().thumbs)
    print("opened:", [n for n in SERVICE_NAMES if services.is_built(n)],
          sorted(m for m in LATER if m in sys.modules))
    await services.start()
    page = await services.history.feed_page()
    print("first page:", len(page.items), [n for n in SERVICE_NAMES if services.is_built(n)],
          sorted(m for m in LATER if m in sys.modules), "PIL" in sys.modules)
    jobs, history = services.jobs, services.history
    services.import_all()
    services.build_all()
    print("all:", [n for n in SERVICE_NAMES if services.is_built(n)],
          sorted(m for m in LATER if m in sys.modules))
    print("same:", services.jobs is jobs, services.history is history,
          services.canvas.jobs is jobs, services.imports is services.imports)
    await services.aclose()
    print("closed:", store.db.closed)

asyncio.run(main())
"""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout.splitlines()
    assert out == [
        "opened: [] []",
        "first page: 0 ['jobs', 'history'] [] False",  # (no Pillow: no image was read)
        "all: ['jobs', 'history', 'thumbnails', 'profiles', 'garments', 'imports', 'canvas'] "
        f"{sorted(LATER)!r}",
        "same: True True True True",
        "closed: True",
    ]


def test_services_given_are_used_and_a_partly_built_workspace_closes(data_root: Path) -> None:
    """A service passed in is the one used (tests pass their own); closing a workspace whose
    Canvas was never built stops the jobs and closes the store without building it."""
    dirs = DataDirs(data_root).ensure()

    async def scenario() -> None:
        store = open_local_store(dirs)
        first = WorkspaceServices.open(store, thumbnails_dir=dirs.workspace().thumbs)
        jobs = first.jobs
        services = WorkspaceServices(store, jobs=jobs)
        assert services.jobs is jobs
        assert services.history.jobs is jobs
        assert services.thumbnails.folder == dirs.workspace().thumbs
        await services.aclose()
        assert not services.is_built("canvas")
        assert store.db.closed

    asyncio.run(scenario())


def test_the_thumbnail_cache_on_first_use_is_built_by_its_first_call(data_root: Path) -> None:
    """``thumbnails_on_first_use`` builds nothing until a method of the cache is called, then
    the one cache of the workspace, once, whichever threads ask at the same moment; what it
    makes is the real cache's thumbnail."""
    from concurrent.futures import ThreadPoolExecutor

    from studio_desktop.imaging.thumbnails import SMALL, ThumbnailCache

    dirs = DataDirs(data_root).ensure()
    store = open_local_store(dirs)
    try:
        services = WorkspaceServices.open(store, thumbnails_dir=dirs.workspace().thumbs)
        lazy = services.thumbnails_on_first_use
        assert not services.is_built("thumbnails")
        photo = data_root / "photo.png"
        photo.write_bytes(_png((30, 120, 200)))
        with ThreadPoolExecutor(4) as pool:
            made = list(pool.map(lambda _n: lazy.get_or_make_image(photo, SMALL), range(4)))
        assert services.is_built("thumbnails")
        assert isinstance(services.thumbnails, ThumbnailCache)
        assert services.thumbnails_on_first_use is services.thumbnails  # built: the cache
        paths = {path for path, _picture in made}
        assert len(paths) == 1 and next(iter(paths)).is_file()
        assert made[0][1].size == (64, 48)  # never larger than its source
        for _path, picture in made:  # (a call that found it cached read back its JPEG)
            pixel = picture.getpixel((10, 10))[:3]
            assert all(abs(a - b) <= 3 for a, b in zip(pixel, (30, 120, 200), strict=True))
    finally:
        store.close()
