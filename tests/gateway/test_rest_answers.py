"""PostgREST's token checks as its source has them (``src/library/PostgREST/Auth/Jwt.hs``,
``Error.hs``): 30 seconds of clock skew allowed on ``exp`` and ``iat``; an empty bearer token is
its own ``PGRST301``. The gateway refused tokens the moment they expired (kinder to nobody, but
not what users see: a token 20 s past ``exp`` still reads and writes on Supabase)."""

from __future__ import annotations

import http.client
import json
from typing import Any

import httpx
import jwt
import pytest

from tests.stack.gateway import ANON_KEY, JWT_SECRET, Gateway

pytestmark = [pytest.mark.pg, pytest.mark.gateway]


def _token(user_id: str, **times: int) -> str:
    claims = {"sub": user_id, "role": "authenticated", "aud": "authenticated", **times}
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


def _get(gateway: Gateway, token: str) -> httpx.Response:
    return httpx.get(
        f"{gateway.url}/rest/v1/jobs?select=id&limit=1",
        headers={"apikey": ANON_KEY, "Authorization": f"Bearer {token}"},
        timeout=10,
    )


def test_a_token_is_accepted_up_to_30_seconds_past_exp(gateway: Gateway, make_user: Any) -> None:
    user = make_user()
    now = int(gateway.server_now())
    assert _get(gateway, _token(user.id, iat=now - 100, exp=now - 20)).status_code == 200
    late = _get(gateway, _token(user.id, iat=now - 100, exp=now - 45))
    assert (late.status_code, late.json()) == (
        401,
        {"code": "PGRST303", "details": None, "hint": None, "message": "JWT expired"},
    )
    assert late.headers["WWW-Authenticate"] == (
        'Bearer error="invalid_token", error_description="JWT expired"'
    )


def test_a_token_issued_in_the_future_is_refused(gateway: Gateway, make_user: Any) -> None:
    user = make_user()
    now = int(gateway.server_now())
    assert _get(gateway, _token(user.id, iat=now + 10, exp=now + 3600)).status_code == 200
    future = _get(gateway, _token(user.id, iat=now + 120, exp=now + 3600))
    assert (future.status_code, future.json()["code"], future.json()["message"]) == (
        401,
        "PGRST303",
        "JWT issued at future",
    )


def test_an_empty_bearer_token_is_its_own_error(gateway: Gateway) -> None:
    # httpx refuses to send "Bearer " (trailing space); the standard library's client does.
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    try:
        conn.request(
            "GET", "/rest/v1/jobs", headers={"apikey": ANON_KEY, "Authorization": "Bearer "}
        )
        answer = conn.getresponse()
        body = json.loads(answer.read())
    finally:
        conn.close()
    assert (answer.status, body["code"], body["message"]) == (
        401,
        "PGRST301",
        "Empty JWT is sent in Authorization header",
    )
