"""Bad input gets PostgREST's/Storage's/GoTrue's own 4xx answer, and never reaches SQL as text.

The SQL-injection tests turn on Postgres statement logging and check that every injection string
appears in the server log only as a bind parameter (``DETAIL: parameters: $1 = ...``), never in
the text of a statement."""

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
from supabase_auth.errors import AuthApiError

from tests.gateway.conftest import StatementLog
from tests.stack.gateway import ANON_KEY, JWT_SECRET, SERVICE_ROLE_KEY, Gateway

pytestmark = [pytest.mark.pg, pytest.mark.gateway]


@pytest.fixture
def user_http(gateway: Gateway, make_user: Any, make_client: Any) -> Any:
    """(user, token, httpx client with the user's headers) for raw REST requests."""
    user = make_user()
    token = make_client(user).auth.get_session().access_token
    with httpx.Client(
        base_url=gateway.url,
        headers={"apikey": ANON_KEY, "Authorization": f"Bearer {token}"},
        timeout=10,
    ) as http:
        yield user, token, http


def _err(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def _jobs_table_exists(pg: psycopg.Connection[Any]) -> bool:
    return pg.execute("SELECT to_regclass('public.jobs') IS NOT NULL AS ok").fetchone() == {
        "ok": True
    }


def test_unknown_table_and_columns(user_http: Any, make_client: Any) -> None:
    user, _token, http = user_http
    missing = http.get("/rest/v1/jobz")
    assert _err(missing) == (404, "PGRST205")
    assert missing.json()["hint"] == "Perhaps you meant the table 'public.jobs'"
    assert _err(http.get("/rest/v1/jobs", params={"select": "id,secret"})) == (400, "42703")
    assert _err(http.get("/rest/v1/jobs", params={"secret": "eq.1"})) == (400, "42703")
    assert _err(http.get("/rest/v1/jobs", params={"order": "secret.desc"})) == (400, "42703")
    assert _err(http.get("/rest/v1/jobs", params={"or": "(id.eq.1,secret.eq.2)"})) == (
        400,
        "42703",
    )
    assert _err(http.post("/rest/v1/jobs", json={"user_id": user.id, "type": "t", "x": 1})) == (
        400,
        "PGRST204",
    )
    assert _err(http.get("/rest/v1/rpc/nope")) == (404, "PGRST202")
    assert _err(http.get("/rest/v1/")) == (404, "PGRST125")
    with pytest.raises(APIError) as info:
        make_client(user).table("no_such_table").select("*").execute()
    assert info.value.code == "PGRST205"


@pytest.mark.parametrize(
    "params",
    [
        {"id": "equals.5"},
        {"id": "eq5"},
        {"id": "in.1,2"},
        {"error": "is.maybe"},
        {"or": "(id.eq.1"},
        {"or": "id.eq.1"},
        {"limit": "ten"},
        {"offset": "-3"},
        {"order": "created_at.sideways"},
        {"select": "id;drop table jobs"},
        {"select": "id,(select 1)"},
        {"id;drop table jobs--": "eq.1"},
        {"order": "id;drop table jobs"},
    ],
)
def test_malformed_query_strings_are_pgrst100(
    user_http: Any, params: dict[str, str], pg: psycopg.Connection[Any]
) -> None:
    _user, _token, http = user_http
    assert _err(http.get("/rest/v1/jobs", params=params)) == (400, "PGRST100")
    assert _jobs_table_exists(pg)


def test_sql_in_names_and_values_is_only_ever_a_parameter(
    user_http: Any, statement_log: StatementLog, pg: psycopg.Connection[Any]
) -> None:
    user, _token, http = user_http
    quoted_name = "id; drop table jobs; --"
    assert _err(http.get("/rest/v1/jobs", params={"select": f'"{quoted_name}"'})) == (
        400,
        "42703",
    )
    literal = "1' or '1'='1"
    assert http.get("/rest/v1/jobs", params={"type": f"eq.{literal}"}).json() == []
    assert (
        http.get("/rest/v1/jobs", params={"or": f'(type.eq."{literal}",error.eq.x)'}).json() == []
    )
    evil_text = "'); drop table jobs; --"
    created = http.post(
        "/rest/v1/jobs",
        headers={"Prefer": "return=representation"},
        json={"user_id": user.id, "type": "canvas_edit", "error": evil_text},
    )
    assert created.status_code == 201
    assert created.json()[0]["error"] == evil_text
    found = http.get("/rest/v1/jobs", params={"error": f"eq.{evil_text}", "select": "error"})
    assert found.json() == [{"error": evil_text}]
    patched = http.patch(
        "/rest/v1/jobs",
        params={"error": f"eq.{evil_text}"},
        headers={"Prefer": "return=representation"},
        json={"provider_operation_id": "x'; delete from jobs; --"},
    )
    assert patched.json()[0]["provider_operation_id"] == "x'; delete from jobs; --"
    assert _err(http.get("/rest/v1/jobs", params={"id": f"eq.{literal}"})) == (400, "22P02")

    assert _jobs_table_exists(pg)
    assert pg.execute(
        "SELECT count(*) AS n FROM public.jobs WHERE user_id = %s", (user.id,)
    ).fetchone() == {"n": 1}
    assert statement_log.assert_only_as_parameter(evil_text) >= 2
    assert statement_log.assert_only_as_parameter(literal) >= 2
    assert statement_log.assert_only_as_parameter("delete from jobs") == 1
    assert quoted_name not in statement_log.text()


def test_constraint_and_type_errors(
    user_http: Any, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user, _token, http = user_http
    assert _err(http.post("/rest/v1/jobs", json={"user_id": user.id})) == (400, "23502")
    assert _err(http.post("/rest/v1/jobs", json={"user_id": "not-a-uuid", "type": "t"})) == (
        400,
        "22P02",
    )
    assert _err(
        http.post("/rest/v1/job_outputs", json={"job_id": str(uuid.uuid4()), "width": -5})
    ) == (403, "42501")
    job = http.post(
        "/rest/v1/jobs",
        headers={"Prefer": "return=representation"},
        json={"user_id": user.id, "type": "t"},
    ).json()[0]
    assert _err(http.post("/rest/v1/job_outputs", json={"job_id": job["id"], "width": -5})) == (
        400,
        "23514",
    )
    assert _err(
        http.post("/rest/v1/jobs", json={"id": job["id"], "user_id": user.id, "type": "t"})
    ) == (409, "23505")
    service = {"apikey": SERVICE_ROLE_KEY, "Authorization": f"Bearer {SERVICE_ROLE_KEY}"}
    assert _err(
        http.post("/rest/v1/job_outputs", headers=service, json={"job_id": str(uuid.uuid4())})
    ) == (409, "23503")
    assert _err(
        http.post("/rest/v1/jobs", json=[{"user_id": user.id, "type": "a"}, {"type": "b"}])
    ) == (400, "PGRST102")


def test_bodies_content_types_and_sizes(gateway: Gateway, user_http: Any, make_client: Any) -> None:
    user, _token, http = user_http
    not_json = http.post(
        "/rest/v1/jobs", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert _err(not_json) == (400, "PGRST102")
    text = http.post("/rest/v1/jobs", content=b"a=b", headers={"Content-Type": "text/plain"})
    assert _err(text) == (415, "PGRST107")
    big = http.post(
        "/rest/v1/jobs", json={"user_id": user.id, "type": "t", "error": "x" * (1024 * 1024 + 1)}
    )
    assert _err(big) == (413, "413")
    assert _err(http.get("/rest/v1/jobs", headers={"Accept": "text/xml"})) == (406, "PGRST107")
    assert _err(http.get("/rest/v1/jobs", headers={"Accept-Profile": "auth"})) == (406, "PGRST106")

    gateway.set_limits(max_upload_bytes=1024)
    bucket = make_client(user).storage.from_("outputs")
    with pytest.raises(StorageApiError) as too_big:
        bucket.upload(f"{user.id}/big.png", b"\0" * 2048, {"content-type": "image/png"})
    assert (str(too_big.value.status), too_big.value.code) == ("413", "Payload too large")
    raw = http.post(
        f"/storage/v1/object/outputs/{user.id}/raw.png",
        content=b"\0" * 4096,
        headers={"Content-Type": "image/png"},
    )
    assert raw.json()["statusCode"] == "413"
    small = http.post(
        f"/storage/v1/object/outputs/{user.id}/raw.png",
        content=b"\0" * 10,
        headers={"Content-Type": "image/png"},
    )
    assert small.status_code == 200
    for bad_key in (f"{user.id}/%2E%2E/x.png", f"{user.id}//x.png"):
        refused = http.post(
            f"/storage/v1/object/outputs/{bad_key}",
            content=b"1",
            headers={"Content-Type": "image/png"},
        )
        assert _err(refused) == (400, "InvalidKey"), bad_key


def _token(claims: dict[str, Any], secret: str = JWT_SECRET, alg: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=alg)


def test_bad_jwts(gateway: Gateway, make_user: Any, make_client: Any) -> None:
    user = make_user()
    now = int(time.time())
    good_claims = {
        "sub": user.id,
        "role": "authenticated",
        "aud": "authenticated",
        "iat": now,
        "exp": now + 60,
    }
    expired = gateway.mint_session(user.id, ttl=-60)["access_token"]  # past the 30 s skew
    cases = {
        "expired": (expired, "PGRST303"),
        "wrong secret": (_token(good_claims, "another-secret-of-at-least-32-bytes!!"), "PGRST301"),
        "malformed": ("not.a.jwt", "PGRST301"),
        "two parts": ("abc.def", "PGRST301"),
        "unsigned": (jwt.encode(good_claims, None, algorithm="none"), "PGRST301"),
        "superuser role": (_token({**good_claims, "role": "postgres"}), "PGRST303"),
    }
    with httpx.Client(base_url=gateway.url, timeout=10) as http:
        for name, (token, code) in cases.items():
            answer = http.get(
                "/rest/v1/jobs", headers={"apikey": ANON_KEY, "Authorization": f"Bearer {token}"}
            )
            assert _err(answer) == (401, code), name
            assert answer.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
            # Storage: a plain download ignores a bad token and runs as anon (no private
            # bucket for anon); an upload refuses it as AccessDenied.
            storage = http.get(
                f"/storage/v1/object/outputs/{user.id}/x.png",
                headers={"apikey": ANON_KEY, "Authorization": f"Bearer {token}"},
            )
            assert storage.status_code == 400, name
            assert storage.json()["code"] == "NoSuchBucket", name
            upload = http.post(
                f"/storage/v1/object/outputs/{user.id}/x.png",
                headers={"apikey": ANON_KEY, "Authorization": f"Bearer {token}"},
                files={"file": ("x.png", b"x", "image/png")},
            )
            assert upload.status_code == 400, name
            assert (upload.json()["statusCode"], upload.json()["code"]) == ("403", "AccessDenied")
        assert http.get("/rest/v1/jobs").json()["message"] == "No API key found in request"
        assert http.get("/rest/v1/jobs", headers={"apikey": "bogus"}).status_code == 401
        assert (
            http.get(
                "/rest/v1/jobs",
                headers={
                    "apikey": _token({"role": "anon"}, "another-secret-of-at-least-32-bytes!!")
                },
            ).json()["message"]
            == "Invalid API key"
        )
    assert "expired" in str(cases)
    client = make_client()
    with pytest.raises(AuthApiError) as info:
        client.auth.get_user(expired)
    assert (info.value.status, info.value.code) == (403, "bad_jwt")
    with pytest.raises(AuthApiError) as forged:
        client.auth.get_user(_token(good_claims, "another-secret-of-at-least-32-bytes!!"))
    assert forged.value.code == "bad_jwt"
