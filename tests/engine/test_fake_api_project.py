"""Contract tests of the fake generation API linked to a test project, as the studio's real
service is to its Supabase project: it takes the project's access tokens (a gateway sign-in's
token works, an expired one is ``401 token_expired``, a tampered one ``401 unauthorized``) and
knows the profiles of the project's ``public.profiles`` table, per caller."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import psycopg
import pytest
from PIL import Image

from tests.engine.conftest import png_bytes
from tests.stack.fake_generation_api import FakeGenerationApi
from tests.stack.gateway import ANON_KEY, JWT_SECRET, Gateway
from tests.stack.gateway.keys import sign

pytestmark = [pytest.mark.pg, pytest.mark.gateway]


@pytest.fixture
def linked_api(gateway_db: str) -> Iterator[FakeGenerationApi]:
    api = FakeGenerationApi(
        steps=2, poll_after_ms=1, jwt_secret=JWT_SECRET, profiles_dsn=gateway_db
    )
    api.start()
    try:
        yield api
    finally:
        api.stop()


def access_token(gateway: Gateway, make_user: Callable[..., Any]) -> tuple[str, str]:
    """A real sign-in's access token from the gateway, and the user's id."""
    user = make_user()
    reply = httpx.post(
        f"{gateway.url}/auth/v1/token?grant_type=password",
        json={"email": user.email, "password": user.password},
        headers={"apikey": ANON_KEY},
    )
    assert reply.status_code == 200, reply.text
    return reply.json()["access_token"], user.id


def tryon(api: FakeGenerationApi, token: str, profile_id: str) -> httpx.Response:
    image = base64.b64encode(png_bytes(Image.new("RGB", (40, 48), "navy"))).decode()
    return httpx.post(
        f"{api.base_url}/api/generate-image",
        json={
            "jobId": str(uuid.uuid4()),
            "attempt": 1,
            "type": "tryon",
            "profileId": profile_id,
            "garment": {"kind": "front", "image": {"mimeType": "image/png", "data": image}},
        },
        headers={"Authorization": f"Bearer {token}"},
    )


def add_profile(dsn: str, user_id: str, name: str) -> str:
    profile_id = str(uuid.uuid4())
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO public.profiles (id, user_id, name, background) VALUES (%s, %s, %s, %s)",
            (profile_id, user_id, name, "#e8dccb"),
        )
    return profile_id


def test_a_project_token_is_the_caller_and_its_profiles_are_known(
    linked_api: FakeGenerationApi, gateway: Gateway, make_user: Callable[..., Any], gateway_db: str
) -> None:
    token, user_id = access_token(gateway, make_user)
    other_token, other_id = access_token(gateway, make_user)
    mine = add_profile(gateway_db, user_id, "Ana")
    theirs = add_profile(gateway_db, other_id, "Bo")

    started = tryon(linked_api, token, mine)
    assert started.status_code == 202, started.text
    assert started.json()["operation"]["type"] == "tryon"
    (operation,) = linked_api.operations.values()
    assert operation.user_id == user_id

    refused = tryon(linked_api, token, theirs)  # another user's profile: unknown to this caller
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "unknown_profile"
    assert tryon(linked_api, other_token, theirs).status_code == 202


@pytest.mark.parametrize(
    ("make_token", "code"),
    [
        (
            lambda uid: sign({"sub": uid, "role": "authenticated", "exp": int(time.time()) - 5}),
            "token_expired",
        ),
        (
            lambda uid: sign(
                {"sub": uid, "role": "authenticated"}, "another-secret-of-another-project-32b"
            ),
            "unauthorized",
        ),
        (lambda uid: sign({"role": "anon"}), "unauthorized"),
        (lambda uid: "not.a.jwt", "unauthorized"),
    ],
    ids=["expired", "wrong-secret", "anon-key", "garbage"],
)
def test_a_token_the_project_did_not_issue_to_a_user_is_refused(
    linked_api: FakeGenerationApi, make_token: Callable[[str], str], code: str
) -> None:
    reply = tryon(linked_api, make_token(str(uuid.uuid4())), str(uuid.uuid4()))
    assert reply.status_code == 401
    body = reply.json()["error"]
    assert body["code"] == code and body["retryable"] is False
    assert linked_api.operations == {}
