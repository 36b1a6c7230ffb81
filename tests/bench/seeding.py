"""Rows for the benchmarks' local stores, shaped like the server's answers and loaded through
the same path as a pull (``Repository.apply_remote_rows``): their files are not on this
computer, as after a sync."""

from __future__ import annotations

from typing import Any

from studio_desktop.store.workspace import Store

ANGLES = ("front", "back", "detail", "side")


def output_rows(user_id: str, job_id: str, created: str, count: int) -> list[dict[str, Any]]:
    """``count`` image outputs of one job, as PostgREST would list them."""
    from studio_desktop.domain.models import new_id

    rows = []
    for k in range(count):
        output_id = new_id()
        rows.append(
            {
                "id": output_id,
                "job_id": job_id,
                "kind": "image",
                "angle": ANGLES[k % len(ANGLES)],
                "mime_type": "image/png",
                "storage_path": f"{user_id}/jobs/{job_id}/{output_id}.png",
                "width": 1024,
                "height": 1536,
                "created_at": created,
            }
        )
    return rows


class PullLikeLoader:
    """Collects jobs with their outputs and stores them 2,000 jobs per transaction."""

    BATCH_JOBS = 2000

    def __init__(self, store: Store) -> None:
        self.store = store
        self._jobs: list[dict[str, Any]] = []
        self._outputs: list[dict[str, Any]] = []

    def add(self, job: dict[str, Any], outputs: list[dict[str, Any]]) -> None:
        self._jobs.append(job)
        self._outputs.extend(outputs)
        if len(self._jobs) >= self.BATCH_JOBS:
            self.flush()

    def flush(self) -> None:
        if not self._jobs:
            return
        with self.store.transaction():
            self.store.rows.apply_remote_rows("jobs", self._jobs)
            self.store.rows.apply_remote_rows("job_outputs", self._outputs)
        self._jobs, self._outputs = [], []

    def finish(self) -> None:
        """Store what is left and refresh the query planner's statistics."""
        self.flush()
        self.store.db.execute("ANALYZE")
