"""The jobs a start resumes: found through the status index, oldest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from studio_desktop.domain.models import Job, format_ts, new_id
from studio_desktop.engine.recorder import UNFINISHED_JOBS_FROM, JobStore
from studio_desktop.store.workspace import Store


def test_unfinished_jobs_oldest_first_through_the_status_index(
    store: Store, job_store: JobStore
) -> None:
    statuses = ["succeeded", "running", "failed", "queued", "canceled", "succeeded", "queued"]
    jobs = []
    for n, status in enumerate(statuses):
        stamp = format_ts(datetime(2024, 1, 1, 12, tzinfo=UTC) - timedelta(seconds=5 * n))
        jobs.append(
            Job(
                id=new_id(),
                user_id=store.user_id,
                type="canvas_edit",
                status=status,
                created_at=stamp,
                updated_at=stamp,
            )
        )
    store.rows.save_many(jobs)
    found = job_store.unfinished_jobs()
    expected = sorted(
        (j for j in jobs if j.status in ("queued", "running")), key=lambda j: (j.created_at, j.id)
    )
    assert [j.id for j in found] == [j.id for j in expected]
    assert [j.status for j in found] == ["queued", "queued", "running"]  # made newest-first
    plan = " ".join(
        str(row[-1])
        for row in store.db.query(f"EXPLAIN QUERY PLAN SELECT id {UNFINISHED_JOBS_FROM}")
    )
    assert "SEARCH jobs USING" in plan and "INDEX jobs_status_feed" in plan, plan
    assert "SCAN jobs" not in plan, plan
