"""Rows the tests create locally, as the app's services would (models, client UUIDs)."""

from __future__ import annotations

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
from studio_desktop.domain.paths import job_output_ref
from studio_desktop.store.workspace import Store


def png_bytes(seed: int = 0, size: int = 300) -> bytes:
    """Bytes that start like a PNG (the store does not decode them)."""
    body = bytes((seed * 31 + i * 7) % 256 for i in range(size))
    return b"\x89PNG\r\n\x1a\n" + body


def add_job(store: Store, outputs: int = 2, *, files: bool = False, prompt: str = "a coat") -> Job:
    """A job with ``outputs`` outputs (and their files queued for upload when ``files``)."""
    job = Job(
        id=new_id(),
        user_id=store.user_id,
        type="product_pack",
        status="succeeded",
        input_json={"prompt": prompt},
    )
    rows: list[object] = [job]
    for k in range(outputs):
        output_id = new_id()
        ref = job_output_ref(store.user_id, job.id, output_id, "image/png")
        if files:
            store.blobs.put(ref.bucket, ref.path, png_bytes(k), "image/png")
        rows.append(
            JobOutput(
                id=output_id,
                job_id=job.id,
                kind="image",
                angle="front",
                mime_type="image/png",
                storage_path=ref.path,
                width=64,
                height=64,
            )
        )
    store.rows.save_many(rows)  # type: ignore[arg-type]
    return job


def add_profile(store: Store, name: str = "Ana") -> Profile:
    return store.rows.save(Profile(id=new_id(), user_id=store.user_id, name=name))


def add_creation(store: Store, messages: int = 2) -> CanvasThread:
    thread = CanvasThread(id=new_id(), user_id=store.user_id, title="Red dress")
    asset = CanvasAsset(id=new_id(), thread_id=thread.id, user_id=store.user_id, label="front")
    conversation = CanvasConversation(id=new_id(), thread_id=thread.id, user_id=store.user_id)
    rows: list[object] = [thread, asset, conversation]
    for n in range(messages):
        rows.append(
            CanvasMessage(
                id=new_id(),
                thread_id=thread.id,
                user_id=store.user_id,
                conversation_id=conversation.id,
                asset_id=asset.id,
                role="user" if n % 2 == 0 else "assistant",
                text=f"step {n}",
            )
        )
    store.rows.save_many(rows)  # type: ignore[arg-type]
    return thread
