"""The gateway's Auth answers where it used to be kinder or differently worded than GoTrue, one
test per behaviour, checked against GoTrue's source (``internal/api/errors.go``,
``internal/api/token.go``, ``internal/api/token_refresh.go``, ``internal/api/settings.go``,
``internal/api/api.go``) and the API gateway's key check (Kong's ``key-auth``: every Auth path
but a few OAuth callbacks needs the ``apikey``)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from supabase_auth.errors import AuthApiError

from tests.stack.gateway import ANON_KEY, Gateway

pytestmark = [pytest.mark.pg, pytest.mark.gateway]

V2024 = {"X-Supabase-Api-Version": "2024-01-01"}
INVALID_KEY = {
    "message": "Invalid API key",
    "hint": "Double check your Supabase `anon` or `service_role` API key.",
}


@pytest.fixture
def http(gateway: Gateway) -> Any:
    with httpx.Client(base_url=gateway.url, timeout=10, headers={"apikey": ANON_KEY}) as client:
        yield client


def test_bad_password_in_both_error_shapes_with_the_error_code_header(
    http: httpx.Client, make_user: Any, make_client: Any
) -> None:
    user = make_user()
    body = {"email": user.email, "password": "not the password"}
    new = http.post("/auth/v1/token?grant_type=password", json=body, headers=V2024)
    assert (new.status_code, new.json()) == (
        400,
        {"code": "invalid_credentials", "message": "Invalid login credentials"},
    )
    assert new.headers["x-sb-error-code"] == "invalid_credentials"
    legacy = http.post("/auth/v1/token?grant_type=password", json=body)
    assert legacy.json() == {
        "code": 400,
        "error_code": "invalid_credentials",
        "msg": "Invalid login credentials",
    }
    with pytest.raises(AuthApiError) as info:  # supabase-py sends the version header
        make_client().auth.sign_in_with_password(body)
    assert (info.value.status, info.value.code, info.value.message) == (
        400,
        "invalid_credentials",
        "Invalid login credentials",
    )


def test_sign_in_without_email_is_validation_failed(http: httpx.Client) -> None:
    answer = http.post("/auth/v1/token?grant_type=password", json={"password": "x"}, headers=V2024)
    assert answer.json() == {"code": "validation_failed", "message": "missing email or phone"}


def test_an_unknown_grant_type_is_a_coded_invalid_credentials_error(http: httpx.Client) -> None:
    answer = http.post("/auth/v1/token?grant_type=magic", json={}, headers=V2024)
    assert (answer.status_code, answer.json()) == (
        400,
        {"code": "invalid_credentials", "message": "unsupported_grant_type"},
    )


def test_refresh_tokens_not_found_already_used_and_malformed(
    http: httpx.Client, make_user: Any, gateway: Gateway
) -> None:
    user = make_user()
    session = gateway.mint_session(user.id)
    first = http.post(
        "/auth/v1/token?grant_type=refresh_token",
        json={"refresh_token": session["refresh_token"]},
        headers=V2024,
    )
    assert first.status_code == 200
    again = http.post(
        "/auth/v1/token?grant_type=refresh_token",
        json={"refresh_token": session["refresh_token"]},
        headers=V2024,
    )
    assert (again.status_code, again.json()) == (
        400,
        {"code": "refresh_token_already_used", "message": "Invalid Refresh Token: Already Used"},
    )
    unknown = http.post(
        "/auth/v1/token?grant_type=refresh_token",
        json={"refresh_token": "z" * 40},
        headers=V2024,
    )
    assert unknown.json() == {
        "code": "refresh_token_not_found",
        "message": "Invalid Refresh Token: Refresh Token Not Found",
    }
    for short in ("", "abc"):
        answer = http.post(
            "/auth/v1/token?grant_type=refresh_token", json={"refresh_token": short}, headers=V2024
        )
        assert answer.json() == {
            "code": "validation_failed",
            "message": "Refresh token is not valid",
        }


def test_a_rate_limited_auth_request_says_over_request_rate_limit(
    http: httpx.Client, gateway: Gateway
) -> None:
    gateway.faults.fail_next(1, 429, paths="/auth/v1/token")
    answer = http.post("/auth/v1/token?grant_type=password", json={"email": "a@b.c"}, headers=V2024)
    assert (answer.status_code, answer.json()) == (
        429,
        {"code": "over_request_rate_limit", "message": "Request rate limit reached"},
    )
    assert answer.headers["x-sb-error-code"] == "over_request_rate_limit"


def test_settings_as_gotrue_serves_them_behind_the_key_check(gateway: Gateway) -> None:
    with httpx.Client(base_url=gateway.url, timeout=10) as http:
        settings = http.get("/auth/v1/settings", headers={"apikey": ANON_KEY})
        assert settings.status_code == 200
        body = settings.json()
        assert set(body) == {
            "external",
            "disable_signup",
            "mailer_autoconfirm",
            "phone_autoconfirm",
            "sms_provider",
            "saml_enabled",
            "saml_private_key_next_configured",
            "passkeys_enabled",
        }
        assert body["external"]["email"] is True and body["external"]["google"] is False
        wrong = http.get("/auth/v1/settings", headers={"apikey": "eyJhbGciOiJIUzI1NiJ9.e30.x"})
        assert (wrong.status_code, wrong.json()) == (401, INVALID_KEY)
        missing = http.get("/auth/v1/settings")
        assert missing.status_code == 401
        assert missing.json()["message"] == "No API key found in request"
        # /health is behind the same check; an unknown Auth path is chi's plain 404.
        assert http.get("/auth/v1/health").status_code == 401
        assert http.get("/auth/v1/health", headers={"apikey": ANON_KEY}).json()["name"] == "GoTrue"
        unknown = http.get("/auth/v1/nothing-here", headers={"apikey": ANON_KEY})
        assert (unknown.status_code, unknown.text) == (404, "404 page not found\n")
        assert unknown.headers["content-type"].startswith("text/plain")
