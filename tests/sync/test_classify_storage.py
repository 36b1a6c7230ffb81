"""How Storage's answers are sorted, for the bodies of the Storage version measured (v1.11.2:
``error`` is the error's own name) and of newer versions (``error`` = the code), built the way
storage3 builds its exception (``StorageApiError(message, error, statusCode)`` raised from the
``httpx.HTTPStatusError`` of the HTTP 400 answer). The gateway plays v1.11.2; the end-to-end
behaviour is in ``test_token_expiry.py``."""

from __future__ import annotations

import httpx
import pytest
from storage3.exceptions import StorageApiError

from studio_desktop.sync.connection import classify
from studio_desktop.sync.errors import (
    AuthRequiredError,
    RefusedError,
    SessionSuspectError,
    TransientError,
)


def storage_error(body: dict[str, str], http_status: int = 400) -> StorageApiError:
    request = httpx.Request("POST", "https://x.supabase.co/storage/v1/object/outputs/a.png")
    response = httpx.Response(http_status, json=body, request=request)
    try:
        response.raise_for_status()
    except httpx.HTTPStatusError as cause:
        try:
            raise StorageApiError(body["message"], body["error"], body["statusCode"]) from cause
        except StorageApiError as exc:
            return exc
    raise AssertionError("not an error status")


def body(status: str, code: str, error: str, message: str) -> dict[str, str]:
    return {"statusCode": status, "code": code, "error": error, "message": message}


EXPIRED = '"exp" claim timestamp check failed'
RLS = "new row violates row-level security policy"


@pytest.mark.parametrize("newer", [False, True], ids=["v1.11.2", "newer"])
@pytest.mark.parametrize(
    "case",
    [
        ("AccessDenied", "Unauthorized", "403", EXPIRED, AuthRequiredError),
        (
            "AccessDenied",
            "Unauthorized",
            "403",
            "JWS Protected Header is invalid",
            AuthRequiredError,
        ),
        ("AccessDenied", "Unauthorized", "403", "signature verification failed", AuthRequiredError),
        ("AccessDenied", "Unauthorized", "403", RLS, SessionSuspectError),
        ("AccessDenied", "Unauthorized", "403", "Access denied", SessionSuspectError),
        ("NoSuchBucket", "Bucket not found", "404", "Bucket not found", SessionSuspectError),
        ("InvalidJWT", "InvalidJWT", "400", EXPIRED, AuthRequiredError),
        ("NoSuchKey", "not_found", "404", "Object not found", RefusedError),
        ("KeyAlreadyExists", "Duplicate", "409", "The resource already exists", RefusedError),
        (
            "InvalidMimeType",
            "invalid_mime_type",
            "415",
            "mime type x is not supported",
            RefusedError,
        ),
        ("SlowDown", "too_many_connections", "429", "Too many connections", TransientError),
        ("InternalError", "Internal", "500", "Internal Server Error", TransientError),
    ],
)
def test_storage_answers_are_sorted_by_what_they_may_mean(
    newer: bool, case: tuple[str, str, str, str, type]
) -> None:
    code, error, status, message, kind = case
    exc = storage_error(body(status, code, code if newer else error, message))
    result = classify(exc, "upload a.png")
    assert type(result) is kind, result
    if isinstance(result, SessionSuspectError):
        # What it is when the token was good: a refusal with the server's words.
        assert isinstance(result.refusal, RefusedError)
        assert result.refusal.reason == message
        assert result.refusal.status == int(status)
