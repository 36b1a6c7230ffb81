"""One open workspace and every service that works on it, built in one place.

A workspace is the local one (no account) or one account's; each has its own store (database,
blob cache, thumbnails). The UI holds a :class:`WorkspaceServices` for the workspace it shows
and gets a new one when the user switches: areas never build services themselves.

    services = WorkspaceServices.open(store, thumbnails_dir=dirs.thumbs, executor=pool)
    await services.start()          # resumes jobs left unfinished by the last run
    page = await services.history.feed_page(...)
    view = await services.canvas.open_creation(thread_id)
    await services.aclose()         # stops running jobs (their rows stay), closes the store

The remote engine is added only when the user chose it and is signed in (it needs the access
token): :meth:`WorkspaceServices.set_remote_engine` adds or removes it while the workspace is
open, and :attr:`WorkspaceServices.preferred_engine` is the engine new garment and pack jobs
ask for. The local engine is always there, so everything works offline.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

from studio_desktop.engine.base import Engine, JobContext, JobResult
from studio_desktop.engine.inputs import ENGINE_LOCAL, ENGINE_REMOTE, JobInput
from studio_desktop.engine.recorder import JobStore
from studio_desktop.imaging.thumbnails import ThumbnailCache
from studio_desktop.services.canvas import CanvasService
from studio_desktop.services.garments import GarmentService
from studio_desktop.services.history import HistoryService
from studio_desktop.services.imports import ImportService
from studio_desktop.services.jobs import WAITING_FOR_SIGN_IN, JobService
from studio_desktop.services.profiles import ProfileService
from studio_desktop.store.workspace import Store

log = logging.getLogger(__name__)


class LocalEngineOnDemand:
    """The local engine, imported and built when its first job runs.

    ``engine/local.py`` brings the instruction parser, the cutout cache and their imaging
    helpers (~20 ms of imports): a start-up that shows the History needs none of them. The
    import runs on a worker thread, so the first job does not stall the window either.
    """

    name = ENGINE_LOCAL

    def __init__(self, store: JobStore) -> None:
        self.store = store
        self._engine: Engine | None = None

    async def engine(self) -> Engine:
        """The :class:`~studio_desktop.engine.local.LocalEngine` (built on first use)."""
        if self._engine is None:
            loop = asyncio.get_running_loop()
            module = await loop.run_in_executor(
                None, importlib.import_module, "studio_desktop.engine.local"
            )
            if self._engine is None:  # (two first jobs at once: one engine)
                self._engine = module.LocalEngine(self.store)
        assert self._engine is not None
        return self._engine

    async def run(self, job_input: JobInput, ctx: JobContext) -> JobResult:
        engine = await self.engine()
        return await engine.run(job_input, ctx)


@dataclass
class WorkspaceServices:
    """The services of one open workspace. Build with :meth:`open`."""

    store: Store
    thumbnails: ThumbnailCache
    jobs: JobService
    garments: GarmentService
    profiles: ProfileService
    history: HistoryService
    imports: ImportService
    canvas: CanvasService
    executor: Executor | None = None
    #: The engine new jobs started from the UI ask for ("local" or "remote").
    preferred_engine: str = ENGINE_LOCAL

    @classmethod
    def open(
        cls,
        store: Store,
        *,
        thumbnails_dir: Path,
        executor: Executor | None = None,
        extra_engines: Mapping[str, Engine] | None = None,
    ) -> WorkspaceServices:
        """Wire the services over ``store``; cheap (no I/O beyond creating the thumbs folder)."""
        job_store = JobStore.from_store(store)
        engines: dict[str, Engine] = {"local": LocalEngineOnDemand(job_store)}
        engines.update(extra_engines or {})
        jobs = JobService(job_store, engines, user_id=store.user_id, executor=executor)
        if store.outbox.enabled:
            # A try-on waiting for its profile to reach the server looks again after a push.
            store.outbox.changed.connect(lambda _counts: jobs.call_soon(jobs.rows_synced))
        else:
            jobs.waiting_message = WAITING_FOR_SIGN_IN  # no account here: only a sign-in helps
        garments = GarmentService(jobs, store.queries)
        return cls(
            store=store,
            thumbnails=ThumbnailCache(thumbnails_dir),
            jobs=jobs,
            garments=garments,
            profiles=ProfileService(store, executor=executor),
            history=HistoryService(store, jobs, executor=executor),
            imports=ImportService(store, garments=garments, executor=executor),
            canvas=CanvasService(store, jobs, executor=executor),
            executor=executor,
        )

    @property
    def has_remote_engine(self) -> bool:
        return ENGINE_REMOTE in self.jobs.engines

    def set_remote_engine(self, engine: Engine | None, *, preferred: bool = True) -> None:
        """Add (or, with ``None``, remove) the remote engine; jobs already running keep theirs,
        jobs waiting for it (a try-on made offline) start.

        New jobs ask for it when it is set and ``preferred`` (the user chose it in Settings),
        else for the local one; a try-on always asks for it.
        """
        self.jobs.set_engine(ENGINE_REMOTE, engine)
        self.preferred_engine = ENGINE_REMOTE if engine is not None and preferred else ENGINE_LOCAL

    async def start(self) -> None:
        """Pick up jobs the previous run left queued or running."""
        resumed = await self.jobs.resume_unfinished()
        if resumed:
            log.info("resumed %d unfinished job(s)", len(resumed))

    async def aclose(self) -> None:
        """Stop running jobs (their rows stay as they are, to resume later), let the canvas
        write the replies it is writing, and close the store."""
        await self.jobs.aclose()
        await self.canvas.aclose()
        self.store.close()
