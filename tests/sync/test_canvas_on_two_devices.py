"""Magic Canvas with an account: a creation edited on one device (through the real services and
the local engine) opens on a second device with the same images, versions and chat, and the
same pixels, after a sync through the real supabase-py against the test stack."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from studio_desktop.services.canvas import CreationView
from studio_desktop.services.workspace import WorkspaceServices
from tests.sync.helpers import Device, open_device, run

pytestmark = [pytest.mark.pg, pytest.mark.gateway]


def _services(device: Device) -> WorkspaceServices:
    return WorkspaceServices.open(device.store, thumbnails_dir=device.root / "thumbs")


def _shape(view: CreationView) -> dict[str, Any]:
    """What a designer sees of a creation, as plain data (no local file names)."""
    return {
        "title": view.thread.title,
        "assets": [
            (a.asset.id, [(v.bucket, v.path, v.is_base, v.is_current) for v in a.versions])
            for a in view.assets
        ],
        "chats": [
            (c.conversation.id, [(m.id, m.role, m.text, m.output_storage_path) for m in c.messages])
            for c in view.conversations
        ],
    }


def test_an_edited_creation_opens_the_same_on_a_second_device(
    tmp_path: Path, gateway: Any, make_user: Any, anon_key: str
) -> None:
    user = make_user()
    photo = tmp_path / "look.png"
    pixels = np.zeros((120, 160, 3), np.uint8)
    pixels[:, :, 0] = np.linspace(90, 200, 160, dtype=np.uint8)
    pixels[30:90, 50:110] = (200, 40, 40)
    Image.fromarray(pixels).save(photo)

    async def body() -> None:
        a = await open_device(tmp_path / "a", gateway.url, anon_key, user)
        b = await open_device(tmp_path / "b", gateway.url, anon_key, user)
        on_a, on_b = _services(a), _services(b)
        try:
            created = await on_a.imports.start_creation([photo])
            asset = created.assets[0]
            mask = np.zeros((120, 160), np.uint8)
            mask[30:90, 50:110] = 255
            sent = await on_a.canvas.send_instruction(
                created.thread.id, None, asset.id, "make it navy", mask
            )
            reply = await on_a.canvas.wait_reply(sent.job.id)
            assert reply is not None and reply.output_storage_path
            await a.sync_until_quiet()
            await b.sync_until_quiet()

            seen_on_a = await on_a.canvas.open_creation(created.thread.id)
            seen_on_b = await on_b.canvas.open_creation(created.thread.id)
            assert _shape(seen_on_b) == _shape(seen_on_a)
            versions = seen_on_b.assets[0].versions
            assert [v.is_current for v in versions] == [False, True]
            messages = seen_on_b.conversations[0].messages
            assert [m.role for m in messages] == ["user", "assistant"]
            assert messages[0].mask_storage_path  # the painted mask went with the message

            # Every version's pixels, and the mask, arrive on B byte for byte.
            refs = [(v.bucket, v.path) for v in versions]
            refs.append((messages[0].mask_storage_bucket, messages[0].mask_storage_path))
            for bucket, path in refs:
                assert bucket and path
                local_a = a.store.blobs.get_path(bucket, path)
                local_b = await b.engine.blobs.fetch(bucket, path)
                assert local_a is not None
                digest = hashlib.sha256(local_b.read_bytes()).hexdigest()
                assert digest == hashlib.sha256(local_a.read_bytes()).hexdigest(), path
        finally:
            for services in (on_a, on_b):
                await services.jobs.aclose()
                await services.canvas.aclose()
            for device in (a, b):
                await device.close()

    run(body)
