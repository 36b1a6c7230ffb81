"""Fixtures for the store tests: real SQLite files in a per-test data root, no Qt, no server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from studio_desktop.domain.models import Job, JobOutput, Profile, new_id
from studio_desktop.domain.paths import job_output_ref
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import Store, open_account_store, open_local_store

PROJECT = "http://127.0.0.1:54321"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def data_dirs(data_root: Path) -> DataDirs:
    return DataDirs(data_root).ensure()


@pytest.fixture
def user_id() -> str:
    return new_id()


@pytest.fixture
def store(data_dirs: DataDirs, user_id: str) -> Iterator[Store]:
    """An account's store (outbox on)."""
    with open_account_store(data_dirs, PROJECT, user_id, blob_budget_bytes=10_000) as s:
        yield s


@pytest.fixture
def local_store(data_dirs: DataDirs) -> Iterator[Store]:
    with open_local_store(data_dirs) as s:
        yield s


def make_job(user_id: str, *, minutes: float = 0, **fields: Any) -> Job:
    at = T0 + timedelta(minutes=minutes)
    values: dict[str, Any] = {
        "id": new_id(),
        "user_id": user_id,
        "type": "product_pack",
        "status": "succeeded",
        "input_json": {"prompt": "a plain shirt"},
        "created_at": at,
        "updated_at": at,
    }
    values.update(fields)
    return Job(**values)


def make_output(user_id: str, job: Job, n: int = 0, **fields: Any) -> JobOutput:
    output_id = new_id()
    values: dict[str, Any] = {
        "id": output_id,
        "job_id": job.id,
        "kind": "image",
        "mime_type": "image/png",
        "storage_path": job_output_ref(user_id, job.id, output_id, "image/png").path,
        "width": 512,
        "height": 768,
        "created_at": job.created_at + timedelta(seconds=n),
    }
    values.update(fields)
    return JobOutput(**values)


def make_profile(user_id: str, name: str = "Ava", **fields: Any) -> Profile:
    return Profile(id=new_id(), user_id=user_id, name=name, **fields)
