"""The real supabase-py (sync ``create_client``) against the gateway: every request listed
in ``tests/stack/SUPABASE_ANSWERS.md``, with what landed in Postgres checked through a superuser
connection."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import jwt
import psycopg
import pytest
from postgrest.exceptions import APIError
from storage3.exceptions import StorageApiError
from supabase_auth.errors import AuthApiError, AuthWeakPasswordError

from tests.stack.gateway import JWT_SECRET, Gateway
from tests.stack.gateway_fixtures import GatewayUser

pytestmark = [pytest.mark.pg, pytest.mark.gateway]

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


# ---------------------------------------------------------------- auth


def test_sign_in_refresh_get_user_sign_out(
    make_client: Any, make_user: Any, pg: psycopg.Connection[Any], gateway: Gateway
) -> None:
    user: GatewayUser = make_user()
    client = make_client()
    signed = client.auth.sign_in_with_password({"email": user.email, "password": user.password})
    assert signed.user is not None and signed.session is not None
    assert signed.user.id == user.id
    assert signed.user.email == user.email
    claims = jwt.decode(
        signed.session.access_token, JWT_SECRET, algorithms=["HS256"], audience="authenticated"
    )
    assert claims["sub"] == user.id
    assert claims["role"] == "authenticated"
    assert claims["aud"] == "authenticated"
    assert claims["email"] == user.email
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["app_metadata"] == {"provider": "email", "providers": ["email"]}
    session_id = claims["session_id"]
    assert pg.execute(
        "SELECT user_id FROM auth.sessions WHERE id = %s", (session_id,)
    ).fetchone() == {"user_id": uuid.UUID(user.id)}
    stored = pg.execute(
        "SELECT encrypted_password FROM auth.users WHERE id = %s", (user.id,)
    ).fetchone()
    assert stored is not None and stored["encrypted_password"].startswith("$2b$")

    old_refresh = signed.session.refresh_token
    refreshed = client.auth.refresh_session()
    assert refreshed.session is not None
    assert refreshed.session.refresh_token != old_refresh
    rows = pg.execute(
        "SELECT token, revoked, parent FROM auth.refresh_tokens WHERE session_id = %s ORDER BY id",
        (session_id,),
    ).fetchall()
    assert [(r["token"], r["revoked"], r["parent"]) for r in rows] == [
        (old_refresh, True, None),
        (refreshed.session.refresh_token, False, old_refresh),
    ]

    got = client.auth.get_user()
    assert got is not None and got.user.email == user.email

    access_token = refreshed.session.access_token
    client.auth.sign_out()
    assert client.auth.get_session() is None
    assert pg.execute(
        "SELECT count(*) AS n FROM auth.sessions WHERE user_id = %s", (user.id,)
    ).fetchone() == {"n": 0}
    with pytest.raises(AuthApiError) as info:
        client.auth.get_user(access_token)
    assert info.value.status == 403
    assert info.value.code == "session_not_found"
    assert [e.path for e in gateway.log.entries] == [
        "/auth/v1/token",
        "/auth/v1/token",
        "/auth/v1/user",
        "/auth/v1/logout",
        "/auth/v1/user",
    ]


def test_wrong_password_is_invalid_credentials(make_client: Any, make_user: Any) -> None:
    user = make_user()
    with pytest.raises(AuthApiError) as info:
        make_client().auth.sign_in_with_password({"email": user.email, "password": "wrong-one"})
    assert info.value.status == 400
    assert info.value.code == "invalid_credentials"
    assert info.value.message == "Invalid login credentials"


def test_refresh_token_reuse_is_refused_and_revokes_the_family(
    make_client: Any, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    client = make_client(make_user())
    first = client.auth.get_session()
    assert first is not None
    second = client.auth.refresh_session().session
    assert second is not None
    with pytest.raises(AuthApiError) as info:
        client.auth.refresh_session(first.refresh_token)
    assert info.value.status == 400
    assert info.value.code == "refresh_token_already_used"
    # The token issued after the reused one is revoked too: a thief's copy is worthless.
    with pytest.raises(AuthApiError) as again:
        client.auth.refresh_session(second.refresh_token)
    assert again.value.code == "refresh_token_already_used"
    assert pg.execute(
        "SELECT bool_and(revoked) AS all_revoked FROM auth.refresh_tokens WHERE token IN (%s, %s)",
        (first.refresh_token, second.refresh_token),
    ).fetchone() == {"all_revoked": True}
    with pytest.raises(AuthApiError) as unknown:
        client.auth.refresh_session("not-a-token-anyone-issued")
    assert unknown.value.code == "refresh_token_not_found"


def test_refresh_reuse_interval_returns_the_current_token(
    make_client: Any, make_user: Any, gateway: Gateway
) -> None:
    gateway.set_auth(refresh_reuse_interval=10)
    client = make_client(make_user())
    first = client.auth.get_session()
    assert first is not None
    second = client.auth.refresh_session().session
    assert second is not None
    # A concurrent refresh with the parent token moments later gets the same child token.
    again = client.auth.refresh_session(first.refresh_token).session
    assert again is not None and again.refresh_token == second.refresh_token


def test_sign_up_then_duplicate_and_weak_password(make_client: Any, pg: Any) -> None:
    client = make_client()
    email = f"new-{uuid.uuid4().hex[:8]}@example.test"
    answer = client.auth.sign_up(
        {"email": email, "password": "long enough", "options": {"data": {"name": "Ann"}}}
    )
    assert answer.session is not None and answer.user is not None
    assert answer.user.user_metadata == {"name": "Ann"}
    assert pg.execute(
        "SELECT email FROM auth.users WHERE id = %s", (answer.user.id,)
    ).fetchone() == {"email": email}
    with pytest.raises(AuthApiError) as duplicate:
        make_client().auth.sign_up({"email": email, "password": "long enough"})
    assert (duplicate.value.status, duplicate.value.code) == (422, "user_already_exists")
    with pytest.raises(AuthWeakPasswordError) as weak:
        make_client().auth.sign_up({"email": f"w-{email}", "password": "123"})
    assert weak.value.status == 422
    assert weak.value.reasons == ["length"]


def test_expired_session_and_short_ttl(make_client: Any, make_user: Any, gateway: Gateway) -> None:
    user = make_user()
    minted = gateway.mint_session(user.id, ttl=-30)
    client = make_client()
    # set_session sees the expired access token and refreshes with the (valid) refresh token.
    restored = client.auth.set_session(minted["access_token"], minted["refresh_token"])
    assert restored.session is not None
    assert restored.session.refresh_token != minted["refresh_token"]
    gateway.set_auth(access_token_ttl=2)
    short = make_client(user).auth.get_session()
    assert short is not None and short.expires_in == 2


# ---------------------------------------------------------------- REST


def test_select_filter_order_limit(make_client: Any, make_user: Any) -> None:
    user = make_user()
    client = make_client(user)
    rows = [
        {"user_id": user.id, "type": t, "status": s, "error": e, "input_json": {"n": n}}
        for n, (t, s, e) in enumerate(
            [
                ("product_pack", "queued", None),
                ("tryon_image", "failed", "Timeout; retry"),
                ("canvas_edit", "succeeded", None),
                ("product_pack", "failed", "quota"),
                ("extract_garment", "running", None),
            ]
        )
    ]
    inserted = client.table("jobs").insert(rows).execute().data
    assert len(inserted) == 5
    jobs = client.table("jobs")

    got = jobs.select("type,status").eq("status", "failed").order("type").execute().data
    assert got == [
        {"type": "product_pack", "status": "failed"},
        {"type": "tryon_image", "status": "failed"},
    ]
    got = (
        jobs.select("type")
        .in_("type", ["canvas_edit", "extract_garment"])
        .order("type", desc=True)
        .execute()
        .data
    )
    assert [r["type"] for r in got] == ["extract_garment", "canvas_edit"]
    assert len(jobs.select("id").is_("error", None).execute().data) == 3
    assert len(jobs.select("id").neq("type", "product_pack").execute().data) == 3
    assert [r["error"] for r in jobs.select("error").like("error", "Time%").execute().data] == [
        "Timeout; retry"
    ]
    assert len(jobs.select("id").ilike("error", "%QUOTA%").execute().data) == 1
    got = jobs.select("type").or_("status.eq.running,error.eq.quota").order("type").execute().data
    assert [r["type"] for r in got] == ["extract_garment", "product_pack"]
    got = (
        jobs.select("type,status")
        .order("type")
        .order("status", desc=True)
        .limit(2)
        .offset(1)
        .execute()
        .data
    )
    assert got == [
        {"type": "extract_garment", "status": "running"},
        {"type": "product_pack", "status": "queued"},
    ]
    got = jobs.select("error").order("error", desc=True, nullsfirst=True).limit(3).execute().data
    assert [r["error"] for r in got] == [None, None, None]
    got = jobs.select("error").order("error", desc=True, nullsfirst=False).limit(2).execute().data
    assert [r["error"] for r in got] == ["quota", "Timeout; retry"]
    counted = jobs.select("id", count="exact").eq("type", "product_pack").limit(1).execute()
    assert counted.count == 2 and len(counted.data) == 1
    ranged = jobs.select("id").order("created_at").order("id").range(1, 3).execute().data
    assert len(ranged) == 3
    single = jobs.select("input_json").eq("type", "canvas_edit").single().execute()
    assert single.data == {"input_json": {"n": 2}}
    assert jobs.select("id").eq("type", "no-such-type").maybe_single().execute() is None
    with pytest.raises(APIError) as info:
        jobs.select("id").eq("type", "product_pack").single().execute()
    assert info.value.code == "PGRST116"
    assert len(jobs.select("*").gte("created_at", "2000-01-01T00:00:00Z").execute().data) == 5
    assert jobs.select("id").lt("created_at", "2000-01-01T00:00:00Z").execute().data == []


def test_insert_update_delete_land_in_postgres(
    make_client: Any, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    client = make_client(user)
    profile = (
        client.table("profiles")
        .insert({"user_id": user.id, "name": "Mila", "gender": "female"})
        .execute()
        .data[0]
    )
    row = pg.execute(
        "SELECT name, gender, user_id FROM public.profiles WHERE id = %s", (profile["id"],)
    ).fetchone()
    assert row == {"name": "Mila", "gender": "female", "user_id": uuid.UUID(user.id)}

    updated = (
        client.table("profiles")
        .update({"region": "EU", "name": "Mila B"})
        .eq("id", profile["id"])
        .execute()
        .data
    )
    assert [(r["name"], r["region"]) for r in updated] == [("Mila B", "EU")]
    assert updated[0]["updated_at"] > profile["updated_at"]
    assert pg.execute(
        "SELECT name, region FROM public.profiles WHERE id = %s", (profile["id"],)
    ).fetchone() == {"name": "Mila B", "region": "EU"}

    minimal = (
        client.table("profiles")
        .insert(
            [{"user_id": user.id, "name": "A"}, {"user_id": user.id, "name": "B"}],
            returning="minimal",
        )
        .execute()
    )
    assert minimal.data == []
    assert pg.execute(
        "SELECT count(*) AS n FROM public.profiles WHERE user_id = %s", (user.id,)
    ).fetchone() == {"n": 3}

    deleted = client.table("profiles").delete().eq("id", profile["id"]).execute().data
    assert [r["id"] for r in deleted] == [profile["id"]]
    assert pg.execute(
        "SELECT count(*) AS n FROM public.profiles WHERE id = %s", (profile["id"],)
    ).fetchone() == {"n": 0}
    assert client.table("profiles").delete().eq("id", profile["id"]).execute().data == []


def test_upsert_with_on_conflict(
    make_client: Any, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    client = make_client(user)
    key = {"user_id": user.id, "source_hash": "abc123", "source_kind": "front"}
    first = (
        client.table("garment_cutouts")
        .upsert(
            {**key, "storage_path": f"{user.id}/cutouts/abc123-front.png"},
            on_conflict="user_id,source_hash,source_kind",
        )
        .execute()
        .data
    )
    second = (
        client.table("garment_cutouts")
        .upsert(
            {**key, "storage_path": f"{user.id}/cutouts/v2.png"},
            on_conflict="user_id,source_hash,source_kind",
        )
        .execute()
        .data
    )
    assert first[0]["id"] == second[0]["id"]
    assert second[0]["storage_path"] == f"{user.id}/cutouts/v2.png"
    ignored = (
        client.table("garment_cutouts")
        .upsert(
            {**key, "storage_path": f"{user.id}/cutouts/v3.png"},
            on_conflict="user_id,source_hash,source_kind",
            ignore_duplicates=True,
        )
        .execute()
        .data
    )
    assert ignored == []
    assert pg.execute(
        "SELECT storage_path FROM public.garment_cutouts WHERE user_id = %s", (user.id,)
    ).fetchall() == [{"storage_path": f"{user.id}/cutouts/v2.png"}]
    # By primary key (no on_conflict): an offline-created row pushed twice stays one row.
    row_id = str(uuid.uuid4())
    for title in ("draft", "final"):
        client.table("canvas_threads").upsert(
            {"id": row_id, "user_id": user.id, "title": title}
        ).execute()
    assert pg.execute(
        "SELECT title FROM public.canvas_threads WHERE id = %s", (row_id,)
    ).fetchall() == [{"title": "final"}]
    with pytest.raises(APIError) as duplicate:
        client.table("garment_cutouts").insert(
            {**key, "storage_path": f"{user.id}/cutouts/dup.png"}
        ).execute()
    assert duplicate.value.code == "23505"


def test_rpc_sync_pull(make_client: Any, make_user: Any) -> None:
    user = make_user()
    client = make_client(user)
    start = client.rpc("sync_pull", {"p_cursor": None, "p_limit": 100}).execute().data
    assert start["resync_required"] is True
    client.table("jobs").insert({"user_id": user.id, "type": "product_pack"}).execute()
    page = client.rpc("sync_pull", {"p_cursor": start["cursor"], "p_limit": 100}).execute().data
    assert [(c["table"], c["op"]) for c in page["changes"]] == [("jobs", "upsert")]
    with pytest.raises(APIError) as info:
        client.rpc("sync_pull", {"p_cursor": start["cursor"], "p_limit": 0}).execute()
    assert info.value.code == "22023"
    with pytest.raises(APIError) as missing:
        client.rpc("no_such_function", {}).execute()
    assert missing.value.code == "PGRST202"


# ---------------------------------------------------------------- storage


def test_storage_round_trip(
    make_client: Any, make_user: Any, pg: psycopg.Connection[Any], gateway: Gateway
) -> None:
    user = make_user()
    bucket = make_client(user).storage.from_("outputs")
    path = f"{user.id}/jobs/j1/o1.png"
    uploaded = bucket.upload(path, PNG, {"content-type": "image/png"})
    assert uploaded.path == path
    row = pg.execute(
        "SELECT owner_id, metadata FROM storage.objects WHERE bucket_id = 'outputs' AND name = %s",
        (path,),
    ).fetchone()
    assert row is not None
    assert row["owner_id"] == user.id
    assert row["metadata"]["mimetype"] == "image/png"
    assert row["metadata"]["size"] == len(PNG)
    assert row["metadata"]["cacheControl"] == "max-age=3600"

    assert bucket.download(path) == PNG
    with pytest.raises(StorageApiError) as dup:
        bucket.upload(path, PNG, {"content-type": "image/png"})
    assert (str(dup.value.status), dup.value.code) == ("409", "Duplicate")
    bucket.upload(path, PNG[:100], {"content-type": "image/png", "upsert": "true"})
    assert bucket.download(path) == PNG[:100]
    with pytest.raises(StorageApiError) as wrong_type:
        bucket.upload(f"{user.id}/notes.txt", b"hello", {"content-type": "text/plain"})
    assert str(wrong_type.value.status) == "415"

    signed = bucket.create_signed_url(path, 60)
    fetched = httpx.get(signed["signedURL"])
    assert fetched.status_code == 200
    assert fetched.content == PNG[:100]
    assert fetched.headers["content-type"] == "image/png"

    other = f"{user.id}/jobs/j1/o2.png"
    bucket.upload(other, PNG, {"content-type": "image/png"})
    many = bucket.create_signed_urls([path, other, f"{user.id}/missing.png"], 60)
    assert [m["error"] is None for m in many] == [True, True, False]
    assert httpx.get(many[1]["signedURL"]).content == PNG

    listed = bucket.list(f"{user.id}/jobs/j1", {"sortBy": {"column": "name", "order": "desc"}})
    assert [item["name"] for item in listed] == ["o2.png", "o1.png"]
    assert [item["name"] for item in bucket.list(user.id)] == ["jobs"]

    removed = bucket.remove([path, other])
    assert sorted(r["name"] for r in removed) == sorted([path, other])
    assert pg.execute(
        "SELECT count(*) AS n FROM storage.objects WHERE owner_id = %s", (user.id,)
    ).fetchone() == {"n": 0}
    with pytest.raises(StorageApiError) as gone:
        bucket.download(path)
    assert (str(gone.value.status), gone.value.code) == ("404", "not_found")
    assert httpx.get(signed["signedURL"]).status_code == 400  # the object is gone
    assert not any(gateway.storage_dir.rglob("*.part"))


def test_signed_url_expires(make_client: Any, make_user: Any) -> None:
    user = make_user()
    bucket = make_client(user).storage.from_("profiles")
    path = f"{user.id}/profiles/p.png"
    bucket.upload(path, PNG, {"content-type": "image/png"})
    valid = bucket.create_signed_url(path, 60)["signedURL"]
    assert httpx.get(valid).status_code == 200
    signed = bucket.create_signed_url(path, 1)
    time.sleep(1.1)  # exp = whole second of issue + 1: surely past after 1.1 s
    expired = httpx.get(signed["signedURL"])
    assert expired.status_code == 400
    assert expired.json() == {  # jose's words, wrapped in InvalidJWT, as Storage sends them
        "statusCode": "400",
        "code": "InvalidJWT",
        "error": "InvalidJWT",
        "message": '"exp" claim timestamp check failed',
    }
    # A valid token for one object does not open another.
    tampered = valid.replace(path, f"{user.id}/profiles/other.png")
    assert httpx.get(tampered).json()["error"] == "InvalidSignature"
