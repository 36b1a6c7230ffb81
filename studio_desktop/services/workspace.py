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
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from studio_desktop.engine.inputs import ENGINE_LOCAL, ENGINE_REMOTE, JobInput
from studio_desktop.store.workspace import Store

if TYPE_CHECKING:  # each service's module is imported when the service is first used
    from studio_desktop.engine.base import Engine, JobContext, JobResult
    from studio_desktop.engine.recorder import JobStore
    from studio_desktop.imaging.thumbnails import ThumbnailCache
    from studio_desktop.services.canvas import CanvasService
    from studio_desktop.services.garments import GarmentService
    from studio_desktop.services.history import HistoryService
    from studio_desktop.services.imports import ImportService
    from studio_desktop.services.jobs import JobService
    from studio_desktop.services.profiles import ProfileService

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The services :class:`WorkspaceServices` builds on first use.
SERVICE_NAMES = ("jobs", "history", "thumbnails", "profiles", "garments", "imports", "canvas")
#: The modules of the services :class:`WorkspaceServices` builds on first use, in the order
#: :meth:`WorkspaceServices.import_all` imports them.
SERVICE_MODULES = (
    "studio_desktop.services.jobs",
    "studio_desktop.services.history",
    "studio_desktop.imaging.thumbnails",
    "studio_desktop.services.profiles",
    "studio_desktop.services.garments",
    "studio_desktop.services.imports",
    "studio_desktop.services.canvas",
)


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


class ThumbnailsOnFirstUse:
    """The workspace's :class:`~studio_desktop.imaging.thumbnails.ThumbnailCache`, built when
    one of its methods is first called, on whichever thread calls it.

    Building the cache imports Pillow and the decoders (~25 ms): a screen that hands the cache
    to its tile loader before its first page (the History) holds this instead, and the first
    tile's load, on a worker thread, builds it (:attr:`WorkspaceServices.thumbnails`, built
    once however many threads ask at the same moment)."""

    def __init__(self, services: WorkspaceServices) -> None:
        self._services = services

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_services":  # (copy, pickle: not a cache's)
            raise AttributeError(name)
        return getattr(self._services.thumbnails, name)


class WorkspaceServices:
    """The services of one open workspace. Build with :meth:`open`.

    Each service is built (and its module imported) when it is first used: the History's
    first page needs the store, the jobs and the history service, not the Canvas, the imports,
    the garments or the profiles, whose modules cost a start-up that shows the History
    ~25 ms more. :meth:`build_all` builds the rest (the app calls it right after the first
    page). Services passed to the constructor are used as they are (tests pass their own).
    """

    def __init__(
        self,
        store: Store,
        *,
        thumbnails: ThumbnailCache | None = None,
        jobs: JobService | None = None,
        garments: GarmentService | None = None,
        profiles: ProfileService | None = None,
        history: HistoryService | None = None,
        imports: ImportService | None = None,
        canvas: CanvasService | None = None,
        executor: Executor | None = None,
        preferred_engine: str = ENGINE_LOCAL,
        thumbnails_dir: Path | None = None,
        extra_engines: Mapping[str, Engine] | None = None,
    ) -> None:
        self.store = store
        self.executor = executor
        #: The engine new jobs started from the UI ask for ("local" or "remote").
        self.preferred_engine = preferred_engine
        self._thumbnails_dir = thumbnails_dir or store.dirs.thumbs
        self._extra_engines = dict(extra_engines or {})
        self._built: dict[str, Any] = {
            name: value
            for name, value in (
                ("thumbnails", thumbnails),
                ("jobs", jobs),
                ("garments", garments),
                ("profiles", profiles),
                ("history", history),
                ("imports", imports),
                ("canvas", canvas),
            )
            if value is not None
        }
        # A service is built once, also when two threads ask for it at the same moment.
        self._lock = threading.RLock()

    @classmethod
    def open(
        cls,
        store: Store,
        *,
        thumbnails_dir: Path,
        executor: Executor | None = None,
        extra_engines: Mapping[str, Engine] | None = None,
    ) -> WorkspaceServices:
        """The services over ``store``; cheap (each is built on first use)."""
        return cls(
            store, executor=executor, thumbnails_dir=thumbnails_dir, extra_engines=extra_engines
        )

    # ------------------------------------------------------------------ built on first use
    def _get(self, name: str, build: Callable[[], T]) -> T:
        built = self._built.get(name)
        if built is None:
            with self._lock:
                built = self._built.get(name)
                if built is None:
                    built = build()
                    self._built[name] = built
                    log.debug("workspace service %s built", name)
        return built  # type: ignore[no-any-return]

    def is_built(self, name: str) -> bool:
        """Whether the service ``name`` (``"jobs"``, ``"canvas"``, ...) was built yet."""
        return name in self._built

    def build_all(self) -> None:
        """Build every service not built yet (call on the event loop's thread)."""
        for name in SERVICE_NAMES:
            getattr(self, name)

    @staticmethod
    def import_all() -> None:
        """Import every service's module (safe on a worker thread; builds nothing)."""
        for name in SERVICE_MODULES:
            importlib.import_module(name)

    @property
    def thumbnails(self) -> ThumbnailCache:
        def build() -> ThumbnailCache:
            from studio_desktop.imaging.thumbnails import ThumbnailCache

            return ThumbnailCache(self._thumbnails_dir)

        return self._get("thumbnails", build)

    @property
    def thumbnails_on_first_use(self) -> ThumbnailCache:
        """:attr:`thumbnails`, built by its first use rather than now (see
        :class:`ThumbnailsOnFirstUse`)."""
        if self.is_built("thumbnails"):
            return self.thumbnails
        return cast("ThumbnailCache", ThumbnailsOnFirstUse(self))

    @property
    def jobs(self) -> JobService:
        def build() -> JobService:
            from studio_desktop.engine.recorder import JobStore
            from studio_desktop.services.jobs import WAITING_FOR_SIGN_IN, JobService

            store = self.store
            job_store = JobStore.from_store(store)
            engines: dict[str, Engine] = {"local": LocalEngineOnDemand(job_store)}
            engines.update(self._extra_engines)
            jobs = JobService(job_store, engines, user_id=store.user_id, executor=self.executor)
            if store.outbox.enabled:
                # A try-on waiting for its profile to reach the server looks again after a push.
                store.outbox.changed.connect(lambda _counts: jobs.call_soon(jobs.rows_synced))
            else:
                jobs.waiting_message = WAITING_FOR_SIGN_IN  # no account here: only a sign-in helps
            return jobs

        return self._get("jobs", build)

    @property
    def garments(self) -> GarmentService:
        def build() -> GarmentService:
            from studio_desktop.services.garments import GarmentService

            return GarmentService(self.jobs, self.store.queries)

        return self._get("garments", build)

    @property
    def profiles(self) -> ProfileService:
        def build() -> ProfileService:
            from studio_desktop.services.profiles import ProfileService

            return ProfileService(self.store, executor=self.executor)

        return self._get("profiles", build)

    @property
    def history(self) -> HistoryService:
        def build() -> HistoryService:
            from studio_desktop.services.history import HistoryService

            return HistoryService(self.store, self.jobs, executor=self.executor)

        return self._get("history", build)

    @property
    def imports(self) -> ImportService:
        def build() -> ImportService:
            from studio_desktop.services.imports import ImportService

            return ImportService(self.store, garments=self.garments, executor=self.executor)

        return self._get("imports", build)

    @property
    def canvas(self) -> CanvasService:
        def build() -> CanvasService:
            from studio_desktop.services.canvas import CanvasService

            return CanvasService(self.store, self.jobs, executor=self.executor)

        return self._get("canvas", build)

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
        if self.is_built("jobs"):
            await self.jobs.aclose()
        if self.is_built("canvas"):
            await self.canvas.aclose()
        self.store.close()
