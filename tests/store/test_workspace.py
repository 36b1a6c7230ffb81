"""Workspaces: one database and blob folder per account and one for the local workspace; no
account sees another's rows or files; moving the local workspace into an account."""

from __future__ import annotations

import pytest

from studio_desktop.domain.errors import ValidationError
from studio_desktop.domain.models import (
    CanvasMessage,
    CanvasThread,
    Job,
    JobOutput,
    Profile,
    new_id,
)
from studio_desktop.domain.paths import canvas_object_ref, profile_reference_ref
from studio_desktop.store.errors import StoreEnvironmentError
from studio_desktop.store.locations import DataDirs, account_key
from studio_desktop.store.workspace import (
    Store,
    move_local_into_account,
    open_account_store,
    open_local_store,
    open_store,
)

from .conftest import PROJECT, make_job, make_output, make_profile


def _count_rows(store: Store) -> int:
    return sum(
        store.rows.count(t)
        for t in ("profiles", "jobs", "job_outputs", "canvas_threads", "garment_cutouts")
    )


def test_accounts_are_isolated(data_dirs: DataDirs) -> None:
    alice, bob = new_id(), new_id()
    with open_account_store(data_dirs, PROJECT, alice) as a:
        job = make_job(alice)
        output = make_output(alice, job)
        a.blobs.put("outputs", output.storage_path or "", b"alice's image", "image/png")
        a.rows.save_many([job, output])
        a_root = a.dirs.root
    with open_account_store(data_dirs, PROJECT, bob) as b:
        assert b.dirs.root != a_root
        assert b.dirs.root.name == account_key(PROJECT, bob)
        assert _count_rows(b) == 0
        assert b.outbox.all() == []
        assert b.blobs.total_bytes() == 0
        assert b.blobs.get_path("outputs", output.storage_path or "") is None
        assert not [p for p in b.dirs.blobs.rglob("*") if p.is_file()]
        # Bob's store refuses Alice's rows and paths.
        with pytest.raises(ValidationError, match="another user"):
            b.rows.save(make_job(alice))
    # The same user on another project is another workspace too.
    with open_account_store(data_dirs, "https://other.example", alice) as elsewhere:
        assert elsewhere.dirs.root != a_root and _count_rows(elsewhere) == 0
    with open_local_store(data_dirs) as local:
        assert _count_rows(local) == 0 and local.user_id not in (alice, bob)
    # A workspace folder opened for the wrong user is refused, and left as it was.
    with pytest.raises(StoreEnvironmentError, match="another account"):
        open_store(data_dirs.workspace(account_key(PROJECT, alice)), user_id=bob)
    with open_account_store(data_dirs, PROJECT, alice) as a:
        assert a.rows.get(Job, job.id) is not None
        assert a.sync_state.get("account")["user_id"] == alice


def test_local_workspace_keeps_its_user_id(data_dirs: DataDirs) -> None:
    with open_local_store(data_dirs) as local:
        first = local.user_id
        assert local.is_local and not local.outbox.enabled
    with open_local_store(data_dirs) as local:
        assert local.user_id == first


def test_move_local_items_into_an_account(data_dirs: DataDirs) -> None:
    account_id = new_id()
    with open_local_store(data_dirs) as local:
        uid = local.user_id
        profile = make_profile(uid)
        ref = profile_reference_ref(uid, profile.id, "image/jpeg")
        local.blobs.put(ref.bucket, ref.path, b"face", "image/jpeg")
        profile = Profile(**{**profile.to_row(), "reference_image_path": ref.path})
        job = make_job(
            uid,
            input_json={"prompt": "red", "profile_id": profile.id, "garment": f"{uid}/in/g.png"},
        )
        output = make_output(uid, job)
        local.blobs.put("outputs", output.storage_path or "", b"result", "image/png")
        thread = CanvasThread(id=new_id(), user_id=uid, source_job_id=job.id)
        version = canvas_object_ref(uid, thread.id)
        local.blobs.put(version.bucket, version.path, b"v1", "image/png")
        message = CanvasMessage(
            id=new_id(),
            thread_id=thread.id,
            user_id=uid,
            role="assistant",
            output_storage_bucket="outputs",
            output_storage_path=version.path,
        )
        local.rows.save_many([profile, job, output, thread, message])
        assert local.outbox.all() == []  # nothing to push in the local workspace

        with open_account_store(data_dirs, PROJECT, account_id) as account:
            report = move_local_into_account(local, account)
            assert report.rows == {
                "profiles": 1,
                "jobs": 1,
                "job_outputs": 1,
                "canvas_threads": 1,
                "canvas_assets": 0,
                "canvas_conversations": 0,
                "canvas_messages": 1,
                "garment_cutouts": 0,
            }
            assert report.files == 3 and not report.already_moved

            moved_job = account.rows.get(Job, job.id)
            assert moved_job is not None and moved_job.user_id == account_id
            assert moved_job.input_json["garment"] == f"{account_id}/in/g.png"
            assert moved_job.input_json["profile_id"] == profile.id
            moved_output = account.rows.get(JobOutput, output.id)
            assert moved_output is not None
            assert (
                moved_output.storage_path
                == f"{account_id}/" + (output.storage_path or "").split("/", 1)[1]
            )
            moved_profile = account.rows.get(Profile, profile.id)
            assert moved_profile is not None
            assert (moved_profile.reference_image_path or "").startswith(f"{account_id}/profiles/")
            moved_message = account.rows.get(CanvasMessage, message.id)
            assert moved_message is not None
            assert (moved_message.output_storage_path or "").startswith(f"{account_id}/canvas/")
            file = account.blobs.get_path("outputs", moved_output.storage_path or "")
            assert file is not None and file.read_bytes() == b"result"

            entries = account.outbox.pending()
            kinds = [e.kind for e in entries]
            assert kinds == ["upload"] * 3 + ["upsert"] * 5  # files before the rows using them
            assert [e.table for e in entries[3:]] == [
                "profiles",
                "jobs",
                "job_outputs",
                "canvas_threads",
                "canvas_messages",
            ]
            assert all(e.payload["path"].startswith(f"{account_id}/") for e in entries[:3])
            for e in entries[3:]:
                if "user_id" in e.payload:
                    assert e.payload["user_id"] == account_id

            # The local workspace is empty; a second run queues nothing twice.
            assert _count_rows(local) == 0 and local.blobs.total_bytes() == 0
            assert not [p for p in local.dirs.blobs.rglob("*") if p.is_file()]
            again = move_local_into_account(local, account)
            assert again.already_moved
            assert len(account.outbox.pending()) == len(entries)


def test_move_needs_local_into_account(data_dirs: DataDirs) -> None:
    with (
        open_account_store(data_dirs, PROJECT, new_id()) as a,
        open_account_store(data_dirs, PROJECT, new_id()) as b,
        pytest.raises(StoreEnvironmentError),
    ):
        move_local_into_account(a, b)
