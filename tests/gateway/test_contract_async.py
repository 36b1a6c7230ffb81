"""The real supabase-py async client (``acreate_client``) against the gateway: every request
listed in ``tests/stack/SUPABASE_ANSWERS.md``, each test driving its own event loop."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import psycopg
import pytest
from postgrest.exceptions import APIError
from storage3.exceptions import StorageApiError
from supabase_auth.errors import AuthApiError

from tests.stack.gateway_fixtures import GatewayUser

pytestmark = [pytest.mark.pg, pytest.mark.gateway]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x01" * 300


def test_async_auth_flow(async_client: Any, make_user: Any, pg: psycopg.Connection[Any]) -> None:
    user: GatewayUser = make_user()

    async def scenario() -> None:
        async with async_client() as client:
            signed = await client.auth.sign_in_with_password(
                {"email": user.email, "password": user.password}
            )
            assert signed.user.id == user.id
            first = signed.session.refresh_token
            refreshed = await client.auth.refresh_session()
            assert refreshed.session.refresh_token != first
            got = await client.auth.get_user()
            assert got.user.email == user.email
            with pytest.raises(AuthApiError) as reuse:
                await client.auth.refresh_session(first)
            assert reuse.value.code == "refresh_token_already_used"
        async with async_client(user) as client:
            await client.auth.sign_out({"scope": "local"})
            assert await client.auth.get_session() is None

    asyncio.run(scenario())
    # The local sign-out deleted its session; the first one stays, its tokens all revoked.
    assert pg.execute(
        "SELECT count(*) AS n FROM auth.sessions WHERE user_id = %s", (user.id,)
    ).fetchone() == {"n": 1}
    assert pg.execute(
        "SELECT count(*) AS n FROM auth.refresh_tokens WHERE user_id = %s AND NOT revoked",
        (user.id,),
    ).fetchone() == {"n": 0}


def test_async_rest_crud_upsert_rpc(
    async_client: Any, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user: GatewayUser = make_user()

    async def scenario() -> dict[str, Any]:
        async with async_client(user) as client:
            job = (
                await client.table("jobs")
                .insert(
                    {"user_id": user.id, "type": "tryon_image", "input_json": {"angles": ["front"]}}
                )
                .execute()
            ).data[0]
            outputs = (
                await client.table("job_outputs")
                .insert(
                    [
                        {"job_id": job["id"], "angle": "front", "width": 640, "height": 960},
                        {"job_id": job["id"], "angle": "back", "width": 640, "height": 960},
                    ]
                )
                .execute()
            ).data
            assert {o["angle"] for o in outputs} == {"front", "back"}
            got = (
                await client.table("job_outputs")
                .select("angle,width")
                .eq("job_id", job["id"])
                .order("angle")
                .execute()
            ).data
            assert got == [{"angle": "back", "width": 640}, {"angle": "front", "width": 640}]
            await client.table("jobs").update({"status": "succeeded"}).eq("id", job["id"]).execute()
            await (
                client.table("job_outputs")
                .delete()
                .eq("angle", "back")
                .eq("job_id", job["id"])
                .execute()
            )
            cutout = {
                "user_id": user.id,
                "source_hash": "h1",
                "source_kind": "back",
                "storage_path": f"{user.id}/cutouts/h1-back.png",
            }
            await (
                client.table("garment_cutouts")
                .upsert(cutout, on_conflict="user_id,source_hash,source_kind")
                .execute()
            )
            await (
                client.table("garment_cutouts")
                .upsert(
                    {**cutout, "mime_type": "image/webp"},
                    on_conflict="user_id,source_hash,source_kind",
                )
                .execute()
            )
            pulled = (await client.rpc("sync_pull", {"p_cursor": None}).execute()).data
            assert pulled["resync_required"] is True
            with pytest.raises(APIError) as bad:
                await client.table("jobs").select("nope").execute()
            assert bad.value.code == "42703"
            return job

    job = asyncio.run(scenario())
    assert pg.execute("SELECT status FROM public.jobs WHERE id = %s", (job["id"],)).fetchone() == {
        "status": "succeeded"
    }
    assert pg.execute(
        "SELECT angle FROM public.job_outputs WHERE job_id = %s", (job["id"],)
    ).fetchall() == [{"angle": "front"}]
    assert pg.execute(
        "SELECT mime_type FROM public.garment_cutouts WHERE user_id = %s", (user.id,)
    ).fetchall() == [{"mime_type": "image/webp"}]


def test_async_storage(async_client: Any, make_user: Any, pg: psycopg.Connection[Any]) -> None:
    user: GatewayUser = make_user()
    path = f"{user.id}/cutouts/{uuid.uuid4().hex}-front.png"

    async def scenario() -> None:
        async with async_client(user) as client:
            bucket = client.storage.from_("extractions")
            await bucket.upload(path, PNG, {"content-type": "image/png", "cache-control": "60"})
            assert await bucket.download(path) == PNG
            signed = await bucket.create_signed_url(path, 30)
            urls = await bucket.create_signed_urls([path], 30)
            async with httpx.AsyncClient() as http:
                assert (await http.get(signed["signedURL"])).content == PNG
                assert (await http.get(urls[0]["signedURL"])).content == PNG
            listed = await bucket.list(f"{user.id}/cutouts")
            assert [item["name"] for item in listed] == [path.rsplit("/", 1)[1]]
            assert listed[0]["metadata"]["cacheControl"] == "max-age=60"
            await bucket.remove([path])
            with pytest.raises(StorageApiError) as gone:
                await bucket.download(path)
            assert str(gone.value.status) == "404"

    asyncio.run(scenario())
    assert pg.execute(
        "SELECT count(*) AS n FROM storage.objects WHERE name = %s", (path,)
    ).fetchone() == {"n": 0}
