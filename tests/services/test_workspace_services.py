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
