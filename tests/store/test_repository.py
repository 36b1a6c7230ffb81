"""Repository: every local change has its outbox entry in the same transaction; the local
cascade matches the server's; the pull never overwrites pending local work; bad server rows
are stored or reported, never a crash."""

from __future__ import annotations

from datetime import timedelta

import pytest

from studio_desktop.domain.errors import ValidationError
from studio_desktop.domain.models import (
    CanvasAsset,
    CanvasConversation,
    CanvasMessage,
    CanvasThread,
    Job,
    JobOutput,
    Profile,
    new_id,
)
from studio_desktop.domain.paths import canvas_object_ref, profile_reference_ref
from studio_desktop.store.errors import StoreConstraintError
from studio_desktop.store.repository import ChangeSet
from studio_desktop.store.workspace import Store

from .conftest import make_job, make_output, make_profile


def test_every_local_change_is_queued_in_order(store: Store, user_id: str) -> None:
    job = make_job(user_id)
    output = make_output(user_id, job)
    store.rows.save(job)
    store.rows.save(output)
    store.rows.save(Job(**{**job.to_row(), "status": "failed", "input_json": {}}))
    entries = store.outbox.pending()
    assert [(e.kind, e.table, e.row_id) for e in entries] == [
        ("upsert", "jobs", job.id),
        ("upsert", "job_outputs", output.id),
        ("upsert", "jobs", job.id),
    ]
    assert entries[2].payload["status"] == "failed"
    assert entries[0].payload["input_json"] == {"prompt": "a plain shirt"}
    assert len({e.op_id for e in entries}) == 3
    stored = store.rows.get(Job, job.id)
    assert stored is not None and stored.status == "failed"
    assert stored.updated_at > job.updated_at  # touched


def test_failed_transaction_rolls_back_mirror_and_outbox(store: Store, user_id: str) -> None:
    job = make_job(user_id)
    with pytest.raises(RuntimeError), store.transaction():
        store.rows.save(job)
        store.rows.save(make_output(user_id, job))
        raise RuntimeError("the service failed half-way")
    assert store.rows.count("jobs") == 0
    assert store.rows.count("job_outputs") == 0
    assert store.outbox.pending() == []


def test_missing_parent_fails_cleanly(store: Store, user_id: str) -> None:
    job = make_job(user_id)
    with pytest.raises(StoreConstraintError) as info:
        store.rows.save_many([make_output(user_id, job)])
    assert "does not exist" in info.value.message
    assert store.outbox.pending() == []


def test_local_writes_keep_tenancy(store: Store, user_id: str) -> None:
    with pytest.raises(ValidationError) as info:
        store.rows.save(make_job(new_id()))
    assert info.value.field == "user_id"
    job = make_job(user_id)
    store.rows.save(job)
    foreign = make_output(new_id(), job)  # path under another user's prefix
    with pytest.raises(ValidationError) as info:
        store.rows.save(foreign)
    assert info.value.field == "storage_path"
    with pytest.raises(ValidationError):
        store.rows.save(make_output(user_id, job, storage_path=f"{user_id}/../x.png"))
    with pytest.raises(ValidationError):
        store.rows.save(make_job(user_id, id="not-a-uuid"))
    assert [e.row_id for e in store.outbox.pending()] == [job.id]


def test_idempotent_op_ids(store: Store) -> None:
    op_id = new_id()
    first = store.outbox.append("delete", "jobs", new_id(), {"x": 1}, op_id=op_id)
    again = store.outbox.append("delete", "jobs", new_id(), {"x": 2}, op_id=op_id)
    assert first == again
    assert [(e.op_id, e.payload) for e in store.outbox.pending()] == [(op_id, {"x": 1})]


def _creation_of(store: Store, user_id: str, job: Job, output: JobOutput) -> dict[str, str]:
    thread = CanvasThread(id=new_id(), user_id=user_id, title="Look", source_job_id=job.id)
    version = canvas_object_ref(user_id, thread.id)
    mask = canvas_object_ref(user_id, thread.id)
    asset = CanvasAsset(
        id=new_id(),
        thread_id=thread.id,
        user_id=user_id,
        source_job_id=job.id,
        source_output_id=output.id,
        base_storage_bucket="outputs",
        base_storage_path=output.storage_path,
        current_storage_bucket="outputs",
        current_storage_path=version.path,
    )
    conversation = CanvasConversation(id=new_id(), thread_id=thread.id, user_id=user_id)
    ask = CanvasMessage(
        id=new_id(),
        thread_id=thread.id,
        user_id=user_id,
        conversation_id=conversation.id,
        asset_id=asset.id,
        role="user",
        text="make it blue",
        mask_storage_bucket="outputs",
        mask_storage_path=mask.path,
    )
    answer = CanvasMessage(
        id=new_id(),
        thread_id=thread.id,
        user_id=user_id,
        conversation_id=conversation.id,
        asset_id=asset.id,
        role="assistant",
        output_job_id=job.id,
        output_storage_bucket="outputs",
        output_storage_path=version.path,
    )
    store.rows.save_many([thread, asset, conversation, ask, answer])
    return {
        "thread": thread.id,
        "asset": asset.id,
        "conversation": conversation.id,
        "ask": ask.id,
        "answer": answer.id,
        "version": version.path,
        "mask": mask.path,
    }


def test_deleting_a_job_cascades_like_the_server(store: Store, user_id: str) -> None:
    job = make_job(user_id)
    outputs = [make_output(user_id, job, n) for n in range(3)]
    store.rows.save_many([job, *outputs])
    for output in outputs:
        store.blobs.put("outputs", output.storage_path or "", b"png" * 10, "image/png")
    other = make_output(user_id, job, 9)
    ids = _creation_of(store, user_id, job, outputs[0])
    store.rows.save(other)
    store.outbox.mark_done(store.outbox.pending()[0].seq)  # some entries already pushed
    before = {e.seq for e in store.outbox.pending()}
    changes: list[ChangeSet] = []
    store.rows.rows_changed.connect(changes.append)

    result = store.rows.delete("jobs", job.id)

    assert store.rows.get(Job, job.id) is None
    assert store.rows.count("job_outputs") == 0
    new = [e for e in store.outbox.pending() if e.seq not in before]
    assert [(e.kind, e.table, e.row_id) for e in new] == [
        ("delete", "jobs", job.id),
        ("remove_objects", None, None),
    ]
    # outputs[0]'s file is still the base of the creation's asset: kept.
    removed = set(new[1].payload["paths"])
    assert removed == {o.storage_path for o in (*outputs[1:], other)}
    assert new[1].payload["bucket"] == "outputs"
    assert {r.path for r in result.removed_objects} == removed
    # Uploads of removed files are no longer queued; the kept one still is.
    uploads = {e.row_id for e in store.outbox.pending() if e.kind == "upload"}
    assert uploads == {f"outputs/{outputs[0].storage_path}"}
    assert store.blobs.info("outputs", outputs[1].storage_path or "") is None
    # Links that only record provenance are nulled; the creation survives.
    thread = store.rows.get(CanvasThread, ids["thread"])
    asset = store.rows.get(CanvasAsset, ids["asset"])
    answer = store.rows.get(CanvasMessage, ids["answer"])
    assert thread is not None and thread.source_job_id is None
    assert asset is not None and asset.source_job_id is None and asset.source_output_id is None
    assert answer is not None and answer.output_job_id is None
    # The UI is told about every row touched, after commit.
    kinds = {(c.table, c.kind): set(c.ids) for c in changes}
    assert kinds[("jobs", "delete")] == {job.id}
    assert kinds[("job_outputs", "delete")] == {o.id for o in (*outputs, other)}
    assert kinds[("canvas_threads", "upsert")] == {ids["thread"]}
    assert kinds[("canvas_messages", "upsert")] == {ids["answer"]}
    assert all(c.origin == "local" for c in changes)


def test_deleting_a_creation_removes_its_own_objects_only(store: Store, user_id: str) -> None:
    job = make_job(user_id)
    output = make_output(user_id, job)
    store.rows.save_many([job, output])
    ids = _creation_of(store, user_id, job, output)
    result = store.rows.delete("canvas_threads", ids["thread"])
    assert set(result.deleted) == {
        "canvas_threads",
        "canvas_assets",
        "canvas_conversations",
        "canvas_messages",
    }
    assert set(result.deleted["canvas_messages"]) == {ids["ask"], ids["answer"]}
    assert {r.path for r in result.removed_objects} == {ids["version"], ids["mask"]}
    assert store.rows.get(JobOutput, output.id) is not None  # the job's file is the job's
    assert [e.kind for e in store.outbox.pending()][-2:] == ["delete", "remove_objects"]
    assert store.rows.delete("canvas_threads", ids["thread"]).deleted == {}  # already gone


def test_deleting_a_profile_queues_its_reference_image(store: Store, user_id: str) -> None:
    profile = make_profile(user_id)
    ref = profile_reference_ref(user_id, profile.id, "image/jpeg")
    store.blobs.put(ref.bucket, ref.path, b"jpeg", "image/jpeg")
    store.rows.save(Profile(**{**profile.to_row(), "reference_image_path": ref.path}))
    store.rows.delete("profiles", profile.id)
    last = store.outbox.pending()[-1]
    assert last.kind == "remove_objects"
    assert last.payload == {"bucket": "profiles", "paths": [ref.path]}


def test_remote_rows_skip_pending_local_changes(store: Store, user_id: str) -> None:
    mine = make_job(user_id, status="queued")
    store.rows.save(mine)
    theirs = make_job(user_id).to_row()
    changes: list[ChangeSet] = []
    store.rows.rows_changed.connect(changes.append)
    server_version = {**mine.to_row(), "status": "failed"}
    result = store.rows.apply_remote_rows("jobs", [server_version, theirs])
    assert result.skipped_pending == [mine.id]
    assert result.applied == [theirs["id"]]
    local = store.rows.get(Job, mine.id)
    assert local is not None and local.status == "queued"  # the local change wins for now
    assert [e.row_id for e in store.outbox.pending()] == [mine.id]  # remote writes queue nothing
    assert changes == [ChangeSet("jobs", (theirs["id"],), "upsert", "remote")]
    # Once pushed, the server's version applies.
    store.outbox.mark_done(store.outbox.pending()[0].seq)
    assert store.rows.apply_remote_rows("jobs", [server_version]).applied == [mine.id]
    local = store.rows.get(Job, mine.id)
    assert local is not None and local.status == "failed"


def test_remote_deletes_skip_pending_and_cascade(store: Store, user_id: str) -> None:
    kept, gone = make_job(user_id), make_job(user_id)
    output = make_output(user_id, gone)
    store.rows.apply_remote_rows("jobs", [gone.to_row()])
    store.rows.apply_remote_rows("job_outputs", [output.to_row()])
    store.blobs.put("outputs", output.storage_path or "", b"x", "image/png", upload=False)
    store.rows.save(kept)
    result = store.rows.apply_remote_deletes("jobs", [kept.id, gone.id, new_id()])
    assert result.skipped_pending == [kept.id]
    assert store.rows.exists("jobs", kept.id)
    assert not store.rows.exists("jobs", gone.id)
    assert not store.rows.exists("job_outputs", output.id)
    assert store.blobs.info("outputs", output.storage_path or "") is None  # cache dropped
    assert [e.row_id for e in store.outbox.pending()] == [kept.id]


def test_bad_server_rows_are_stored_or_reported(store: Store, user_id: str) -> None:
    job = make_job(user_id)
    rows = [
        # a newer server: extra columns, an enum value this build does not know
        {**job.to_row(), "type": "video_pack", "status": "paused", "new_column": [1, 2]},
        # missing optional fields
        {"id": new_id(), "user_id": user_id, "type": "tryon_image", "created_at": None},
        # unusable rows
        {"user_id": user_id, "type": "x"},
        {"id": new_id(), "user_id": user_id, "type": "x", "created_at": "yesterday"},
        {"id": new_id(), "user_id": user_id, "type": 7},
        "not a row",
    ]
    result = store.rows.apply_remote_rows("jobs", rows)  # type: ignore[arg-type]
    assert result.applied == [job.id, rows[1]["id"]]  # type: ignore[index]
    reasons = [r.reason for r in result.rejected]
    assert len(reasons) == 4
    assert "required column 'id'" in reasons[0]
    assert "not a timestamp" in reasons[1]
    assert "not text" in reasons[2]
    assert "must be an object" in reasons[3]
    stored = store.rows.get(Job, job.id)
    assert stored is not None and (stored.type, stored.status) == ("video_pack", "paused")
    sparse = store.rows.get(Job, rows[1]["id"])  # type: ignore[index]
    assert sparse is not None and sparse.status == "queued" and sparse.input_json == {}
    outputs = [
        {**make_output(user_id, job).to_row(), "width": "wide"},
        {**make_output(user_id, job).to_row(), "width": 512.0, "angle": "overhead"},
        make_output(user_id, make_job(user_id)).to_row(),  # its job is not here
    ]
    result = store.rows.apply_remote_rows("job_outputs", outputs)
    assert result.applied == [outputs[1]["id"]]
    assert [r.row_id for r in result.rejected] == [outputs[0]["id"], outputs[2]["id"]]
    assert "whole number" in result.rejected[0].reason
    assert "not here" in result.rejected[1].reason
    stored_output = store.rows.get(JobOutput, outputs[1]["id"])
    assert stored_output is not None and stored_output.width == 512
    assert stored_output.angle == "overhead"


def test_remote_timestamps_are_normalised(store: Store, user_id: str) -> None:
    job = make_job(user_id)
    row = {**job.to_row(), "created_at": "2025-03-01 10:00:00+00", "updated_at": "2025-03-01Z"}
    row["updated_at"] = "2025-03-01T10:00:00.5Z"
    assert store.rows.apply_remote_rows("jobs", [row]).applied == [job.id]
    text = store.db.scalar("SELECT created_at FROM jobs WHERE id = ?", (job.id,))
    assert text == "2025-03-01T10:00:00.000000+00:00"
    stored = store.rows.get(Job, job.id)
    assert stored is not None
    assert stored.updated_at - stored.created_at == timedelta(seconds=0.5)


def test_events_fire_after_commit_only(store: Store, user_id: str) -> None:
    seen: list[tuple[ChangeSet, int]] = []
    store.rows.rows_changed.connect(
        lambda change: seen.append((change, len(store.outbox.pending())))
    )
    with store.transaction():
        store.rows.save(make_job(user_id))
        store.rows.save(make_job(user_id))
        assert seen == []
    assert len(seen) == 2
    with pytest.raises(RuntimeError), store.transaction():
        store.rows.save(make_job(user_id))
        raise RuntimeError
    assert len(seen) == 2


def test_two_threads_writing_at_once(store: Store, user_id: str) -> None:
    """The executor and the GUI thread both write: nothing lost, one outbox entry per row."""
    import threading

    errors: list[BaseException] = []

    def worker(offset: int) -> None:
        try:
            for n in range(40):
                job = make_job(user_id, minutes=offset + n)
                store.rows.save_many([job, make_output(user_id, job)])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k * 1000,)) for k in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.rows.count("jobs") == 120 and store.rows.count("job_outputs") == 120
    entries = store.outbox.pending()
    assert len(entries) == 240
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)
    seen_jobs: set[str] = set()
    for entry in entries:  # every output's job is queued before the output
        if entry.table == "jobs":
            seen_jobs.add(entry.row_id or "")
        else:
            assert entry.payload["job_id"] in seen_jobs
