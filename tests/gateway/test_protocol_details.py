"""Protocol details a Supabase user relies on beyond the requests of
``tests/stack/SUPABASE_ANSWERS.md``: ranges and counts, statuses of writes, Prefer options, RPC
over GET, storage extras and logout scopes."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest
from supabase_auth.errors import AuthApiError

from tests.stack.gateway import ANON_KEY, SERVICE_ROLE_KEY, Gateway
from tests.stack.gateway_fixtures import GatewayUser

pytestmark = [pytest.mark.pg, pytest.mark.gateway]


@pytest.fixture
def signed_in(gateway: Gateway, make_user: Any, make_client: Any) -> Any:
    user: GatewayUser = make_user()
    client = make_client(user)
    token = client.auth.get_session().access_token
    with httpx.Client(
        base_url=f"{gateway.url}",
        headers={"apikey": ANON_KEY, "Authorization": f"Bearer {token}"},
        timeout=10,
    ) as http:
        yield user, client, http


def _seed_profiles(http: httpx.Client, user_id: str, n: int) -> None:
    rows = [
        {"user_id": user_id, "name": f"p{i:02d}", "region": None if i % 2 else "EU"}
        for i in range(n)
    ]
    assert http.post("/rest/v1/profiles", json=rows).status_code == 201


def test_range_headers_counts_and_partial_content(signed_in: Any) -> None:
    user, _client, http = signed_in
    _seed_profiles(http, user.id, 7)
    page = http.get(
        "/rest/v1/profiles",
        params={"select": "name", "order": "name"},
        headers={"Range": "2-4", "Range-Unit": "items", "Prefer": "count=exact"},
    )
    assert page.status_code == 206
    assert page.headers["Content-Range"] == "2-4/7"
    assert [r["name"] for r in page.json()] == ["p02", "p03", "p04"]
    whole = http.get(
        "/rest/v1/profiles", params={"select": "name"}, headers={"Prefer": "count=exact"}
    )
    assert (whole.status_code, whole.headers["Content-Range"]) == (200, "0-6/7")
    no_count = http.get("/rest/v1/profiles", params={"limit": "2", "offset": "5"})
    assert no_count.headers["Content-Range"] == "5-6/*"
    beyond = http.get(
        "/rest/v1/profiles", params={"offset": "9", "limit": "2"}, headers={"Prefer": "count=exact"}
    )
    assert (beyond.status_code, beyond.json()["code"]) == (416, "PGRST103")
    assert beyond.headers["Content-Range"] == "*/7"
    both = http.get(
        "/rest/v1/profiles",
        params={"order": "name", "limit": "10", "offset": "1", "select": "name"},
        headers={"Range": "0-2"},
    )
    assert [r["name"] for r in both.json()] == ["p01", "p02"]
    head = http.head("/rest/v1/profiles", headers={"Prefer": "count=exact"})
    assert head.status_code == 200 and head.headers["Content-Range"] == "0-6/7"
    assert head.content == b""


def test_filters_logic_casts_and_strip_nulls(signed_in: Any) -> None:
    user, _client, http = signed_in
    _seed_profiles(http, user.id, 6)
    got = http.get(
        "/rest/v1/profiles",
        params={
            "select": "label:name",
            "region": "not.is.null",
            "name": "not.in.(p00,p02)",
            "order": "name.desc",
        },
    ).json()
    assert got == [{"label": "p04"}]
    got = http.get(
        "/rest/v1/profiles",
        params={
            "select": "name",
            "and": "(name.gte.p01,name.lte.p03)",
            "not.or": "(name.eq.p02,region.is.null)",
            "order": "name",
        },
    ).json()
    assert got == []
    got = http.get(
        "/rest/v1/profiles",
        params={
            "select": "name",
            "or": "(name.eq.p01,and(region.eq.EU,name.like.*4))",
            "order": "name.asc.nullslast",
        },
    ).json()
    assert [r["name"] for r in got] == ["p01", "p04"]
    cast = http.get("/rest/v1/profiles", params={"select": "user_id::text", "limit": "1"})
    assert cast.json() == [{"user_id": user.id}]
    stripped = http.get(
        "/rest/v1/profiles",
        params={"select": "name,region", "name": "eq.p01"},
        headers={"Accept": "application/vnd.pgrst.object+json;nulls=stripped"},
    )
    assert stripped.json() == {"name": "p01"}
    assert http.get("/rest/v1/profiles", params={"name": "imatch.^P0[12]$"}).json() != []


def test_write_statuses_and_prefer_options(signed_in: Any, pg: psycopg.Connection[Any]) -> None:
    user, _client, http = signed_in
    created = http.post(
        "/rest/v1/jobs",
        json={"user_id": user.id, "type": "a"},
        headers={"Prefer": "return=minimal"},
    )
    assert (created.status_code, created.content) == (201, b"")
    patched = http.patch("/rest/v1/jobs", params={"type": "eq.a"}, json={"status": "running"})
    assert (patched.status_code, patched.content) == (204, b"")
    counted = http.patch(
        "/rest/v1/jobs",
        params={"type": "eq.a"},
        json={"status": "done"},
        headers={"Prefer": "return=minimal,count=exact"},
    )
    assert counted.headers["Content-Range"] == "0-0/1"
    # missing=default: a key absent from one row takes the column default, not NULL.
    rows = [{"user_id": user.id, "type": "b", "status": "x"}, {"user_id": user.id, "type": "c"}]
    both = http.post(
        "/rest/v1/jobs",
        params={"columns": "user_id,type,status"},
        json=rows,
        headers={"Prefer": "return=representation,missing=default"},
    )
    assert both.status_code == 201, both.text
    assert sorted(r["status"] for r in both.json()) == ["queued", "x"]
    null_default = http.post(
        "/rest/v1/jobs",
        params={"columns": "user_id,type,status"},
        json=[{"user_id": user.id, "type": "d", "status": "y"}, {"user_id": user.id, "type": "e"}],
        headers={"Prefer": "return=representation"},
    )
    assert null_default.status_code == 400, null_default.text
    assert null_default.json()["code"] == "23502"
    too_many = http.delete(
        "/rest/v1/jobs",
        params={"user_id": f"eq.{user.id}"},
        headers={"Prefer": "handling=strict,max-affected=1"},
    )
    assert (too_many.status_code, too_many.json()["code"]) == (400, "PGRST124")
    assert pg.execute(
        "SELECT count(*) AS n FROM public.jobs WHERE user_id = %s", (user.id,)
    ).fetchone() == {"n": 3}
    gone = http.delete("/rest/v1/jobs", params={"type": "eq.a"})
    assert (gone.status_code, gone.content) == (204, b"")
    assert (
        http.patch("/rest/v1/jobs", params={"limit": "1"}, json={"error": "x"}).json()["code"]
        == "PGRST127"
    )


def test_rpc_over_get_and_post(signed_in: Any) -> None:
    _user, client, http = signed_in
    via_get = client.rpc("sync_pull", {"p_limit": 10}, get=True).execute().data
    assert via_get["resync_required"] is True
    raw = http.get("/rest/v1/rpc/sync_pull", params={"p_limit": "10"})
    assert raw.status_code == 200 and raw.json()["resync_required"] is True
    wrong = http.post("/rest/v1/rpc/sync_pull", json={"p_cursor": None, "nope": 1})
    assert (wrong.status_code, wrong.json()["code"]) == (404, "PGRST202")
    assert "p_cursor, p_limit" in wrong.json()["hint"]
    anon = http.post(
        "/rest/v1/rpc/sync_pull", json={}, headers={"Authorization": f"Bearer {ANON_KEY}"}
    )
    assert (anon.status_code, anon.json()["code"]) == (401, "42501")


def test_storage_extras(gateway: Gateway, signed_in: Any) -> None:
    user, client, http = signed_in
    bucket = client.storage.from_("outputs")
    names = [f"{user.id}/set/{i}.png" for i in range(5)]
    for name in names:
        bucket.upload(name, name.encode(), {"content-type": "image/png"})
    page = bucket.list(f"{user.id}/set", {"limit": 2, "offset": 1})
    assert [item["name"] for item in page] == ["1.png", "2.png"]
    assert [item["name"] for item in bucket.list(f"{user.id}/set", {"search": "3"})] == ["3.png"]
    direct = http.get(f"/storage/v1/object/authenticated/outputs/{names[0]}")
    assert (direct.status_code, direct.content) == (200, names[0].encode())
    assert direct.headers["Content-Type"] == "image/png"
    assert direct.headers["ETag"].startswith('"')
    assert bucket.exists(names[0]) is True
    assert bucket.exists(f"{user.id}/set/none.png") is False
    info = bucket.info(names[1])
    assert (info["size"], info["content_type"]) == (len(names[1].encode()), "image/png")
    bucket.update(names[2], b"replaced", {"content-type": "image/png"})
    assert bucket.download(names[2]) == b"replaced"
    assert http.delete(f"/storage/v1/object/outputs/{names[3]}").json() == {
        "message": "Successfully deleted"
    }
    assert http.get("/storage/v1/bucket").json() == []  # buckets have no policy for users
    with httpx.Client(timeout=10) as service:
        buckets = service.get(
            f"{gateway.url}/storage/v1/bucket",
            headers={"apikey": SERVICE_ROLE_KEY, "Authorization": f"Bearer {SERVICE_ROLE_KEY}"},
        ).json()
    assert [b["id"] for b in buckets] == ["extractions", "outputs", "profiles", "videos", "zips"]
    missing = http.get(f"/storage/v1/object/nobucket/{user.id}/x.png")
    assert missing.json()["statusCode"] == "404" and missing.json()["error"] == "Bucket not found"
    route = http.post("/storage/v1/object/rename?x=1", json={})
    assert route.status_code == 404
    assert route.json() == {  # Storage's not-found handler (src/http/not-found-handler.ts)
        "statusCode": "404",
        "error": "Not Found",
        "message": "Route POST:/object/rename?x=1 not found",
        "code": "InvalidRequest",
    }


def test_logout_scopes(
    gateway: Gateway, make_user: Any, make_client: Any, pg: psycopg.Connection[Any]
) -> None:
    user = make_user()
    laptop, phone, tablet = make_client(user), make_client(user), make_client(user)
    assert pg.execute(
        "SELECT count(*) AS n FROM auth.sessions WHERE user_id = %s", (user.id,)
    ).fetchone() == {"n": 3}
    laptop.auth.sign_out({"scope": "others"})
    assert laptop.auth.get_user() is not None
    with pytest.raises(AuthApiError) as info:
        phone.auth.refresh_session()
    assert info.value.code == "refresh_token_not_found"
    tablet_token = tablet.auth.get_session().access_token
    laptop.auth.sign_out({"scope": "local"})
    assert pg.execute(
        "SELECT count(*) AS n FROM auth.sessions WHERE user_id = %s", (user.id,)
    ).fetchone() == {"n": 0}
    with httpx.Client(timeout=10) as http:
        answer = http.get(
            f"{gateway.url}/auth/v1/user",
            headers={"apikey": ANON_KEY, "Authorization": f"Bearer {tablet_token}"},
        )
    # Without X-Supabase-Api-Version the error has GoTrue's legacy shape.
    assert answer.status_code == 403
    assert answer.json() == {
        "code": 403,
        "error_code": "session_not_found",
        "msg": "Session from session_id claim in JWT does not exist",
    }
    assert answer.headers["X-Supabase-Api-Version"] == "2024-01-01"
    unknown = uuid.uuid4()
    assert pg.execute(
        "SELECT count(*) AS n FROM auth.users WHERE id = %s", (unknown,)
    ).fetchone() == {"n": 0}
