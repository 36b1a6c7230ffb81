"""The domain layer: models mirror the seed's ERD, timestamps round-trip, paths keep tenancy."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

import pytest

from studio_desktop.domain.enums import JobStatus, JobType, parse_enum
from studio_desktop.domain.models import (
    MODELS,
    Job,
    JobOutput,
    format_ts,
    new_id,
    parse_ts,
)
from studio_desktop.domain.paths import (
    StoragePathError,
    cutout_ref,
    job_output_bucket,
    job_output_ref,
    rebase_path,
    validate_path,
)

# The ERD of ../shared/seeds, column for column.
ERD = {
    "profiles": "id user_id name gender skin_tone region background reference_image_path "
    "created_at updated_at",
    "jobs": "id user_id type status input_json provider_operation_id error created_at updated_at",
    "job_outputs": "id job_id kind angle mime_type storage_path width height created_at",
    "canvas_threads": "id user_id title base_storage_bucket base_storage_path source_job_id "
    "created_at updated_at",
    "canvas_assets": "id thread_id user_id label source_job_id source_output_id "
    "base_storage_bucket base_storage_path current_storage_bucket current_storage_path "
    "created_at updated_at",
    "canvas_conversations": "id thread_id user_id title created_at updated_at",
    "canvas_messages": "id thread_id user_id conversation_id asset_id role text "
    "mask_storage_bucket mask_storage_path output_job_id output_storage_bucket "
    "output_storage_path created_at",
    "garment_cutouts": "id user_id source_hash source_kind storage_bucket storage_path "
    "mime_type created_at",
}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.table)
def test_model_columns_match_the_erd(model: type) -> None:
    assert model.columns() == tuple(ERD[model.table].split())


def test_row_round_trip_ignores_unknown_columns() -> None:
    job = Job(id=new_id(), user_id=new_id(), type="product_pack", input_json={"prompt": "red"})
    row = job.to_row()
    row["column_from_a_newer_server"] = 42
    assert Job.from_row(row) == job


def test_missing_optional_fields_take_defaults() -> None:
    out = JobOutput.from_row({"id": new_id(), "job_id": new_id()})
    assert out.kind == "image" and out.width is None


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-01T10:00:00.123456+00:00",
        "2024-05-01 10:00:00.123456+00",
        "2024-05-01T10:00:00.123456Z",
        "2024-05-01T12:00:00.123456+02:00",
    ],
)
def test_parse_timestamps_from_postgres_and_postgrest(text: str) -> None:
    assert parse_ts(text) == datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)


def test_format_ts_is_utc_microseconds() -> None:
    ts = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert format_ts(ts) == "2024-05-01T10:00:00.000000+00:00"
    assert parse_ts(format_ts(ts)) == ts


def test_unknown_enum_values_are_none_not_errors() -> None:
    assert parse_enum(JobType, "video_generation") is None
    assert parse_enum(JobStatus, "succeeded") is JobStatus.SUCCEEDED
    assert JobStatus.CANCELED.is_final and not JobStatus.RUNNING.is_final


def test_paths_carry_the_owner_prefix() -> None:
    uid, job, out = new_id(), new_id(), new_id()
    ref = job_output_ref(uid, job, out, "image/png")
    assert ref.bucket == "outputs"
    assert validate_path(ref.path, uid) == f"{uid}/jobs/{job}/{out}.png"
    other = str(uuid.uuid4())
    with pytest.raises(StoragePathError, match="another user"):
        validate_path(ref.path, other)
    assert rebase_path(ref.path, other).startswith(f"{other}/jobs/")


@pytest.mark.parametrize("bad", ["no-prefix.png", "not-a-uuid/x.png", "{u}/../x.png", "{u}//x.png"])
def test_unsafe_paths_are_refused(bad: str) -> None:
    with pytest.raises(StoragePathError):
        validate_path(bad.format(u=new_id()))


def test_cutout_path_needs_a_sha256() -> None:
    with pytest.raises(StoragePathError):
        cutout_ref(new_id(), "abc", "front")
    assert cutout_ref(new_id(), "a" * 64, "back").path.endswith("-back.png")


def test_models_are_frozen() -> None:
    job = Job(id=new_id(), user_id=new_id(), type="canvas_edit")
    with pytest.raises(dataclasses.FrozenInstanceError):
        job.status = "running"  # type: ignore[misc]


def test_output_bucket_follows_the_path_rules() -> None:
    uid = new_id()
    assert job_output_bucket("image", f"{uid}/jobs/j/o.png") == "outputs"
    assert job_output_bucket("cutout", f"{uid}/cutouts/{'a' * 64}-front.png") == "extractions"
    assert job_output_bucket("image", f"{uid}/cutouts/{'a' * 64}-back.png") == "extractions"
    assert job_output_bucket("video", None) == "videos"
    assert job_output_bucket("zip", f"{uid}/jobs/j/o.zip") == "zips"
