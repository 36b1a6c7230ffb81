"""The gateway's Storage answers, one test per behaviour of the real Storage API server (storage
v1.11.2, measured against it on a database built from Supabase's own migrations, and read in its
source: ``src/http/plugins/jwt.ts``, ``src/internal/errors/codes.ts``,
``src/http/error-handler.ts``, ``src/storage/database/errors.ts``,
``src/http/routes/object/getObject.ts``, ``src/storage/object.ts``).

Every client error comes back as HTTP 400 with the meaning as a *string* in ``statusCode``; the
bodies are compared whole, so a kinder or differently worded answer fails here. Each test also
checks what supabase-py (storage3) makes of the answer where the app relies on it.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import httpx
import jwt
import psycopg
import pytest
from storage3 import SyncStorageClient
from storage3.exceptions import StorageApiError

from tests.stack.gateway import ANON_KEY, JWT_SECRET, Gateway
from tests.stack.gateway_fixtures import GatewayUser

pytestmark = [pytest.mark.pg, pytest.mark.gateway]

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 2
EXPIRED_MESSAGE = '"exp" claim timestamp check failed'


def _headers(token: str) -> dict[str, str]:
    return {"apikey": ANON_KEY, "Authorization": f"Bearer {token}"}


def _upload(http: httpx.Client, token: str, path: str, **headers: str) -> httpx.Response:
    return http.post(
        f"/storage/v1/object/{path}",
        headers={**_headers(token), **headers},
        files={"file": ("x.png", PNG, "image/png")},
        data={"cacheControl": "3600"},
    )


def _access_denied(message: str) -> dict[str, str]:
    return {
        "statusCode": "403",
        "code": "AccessDenied",
        "error": "Unauthorized",
        "message": message,
    }


NO_SUCH_BUCKET = {
    "statusCode": "404",
    "code": "NoSuchBucket",
    "error": "Bucket not found",
    "message": "Bucket not found",
}
NOT_FOUND = {
    "statusCode": "404",
    "code": "NoSuchKey",
    "error": "not_found",
    "message": "Object not found",
}


def _bad_signature(token: str) -> str:
    """``token`` with its signature's first character changed."""
    head, body, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return f"{head}.{body}.{flipped}"


def _garbage_header(token: str) -> str:
    """``token`` whose header is no longer JSON (what a truncated or mangled token looks like)."""
    _head, body, signature = token.split(".")
    junk = base64.urlsafe_b64encode(b'{"alg":"HS2').rstrip(b"=").decode()
    return f"{junk}.{body}.{signature}"


@pytest.fixture
def http(gateway: Gateway) -> Any:
    with httpx.Client(base_url=gateway.url, timeout=10) as client:
        yield client


@pytest.fixture
def owner(make_user: Any, gateway: Gateway) -> tuple[GatewayUser, str]:
    """A user and a valid access token of theirs."""
    user = make_user()
    return user, gateway.mint_session(user.id)["access_token"]


def test_upload_with_an_expired_token_is_access_denied_with_joses_words(
    http: httpx.Client, gateway: Gateway, owner: tuple[GatewayUser, str]
) -> None:
    user, _token = owner
    expired = gateway.mint_session(user.id, ttl=-5)["access_token"]
    answer = _upload(http, expired, f"outputs/{user.id}/a.png")
    assert answer.status_code == 400
    assert answer.json() == _access_denied(EXPIRED_MESSAGE)
    # What storage3 raises: status "403", code = the body's "error".
    with httpx.Client(timeout=10) as session:
        storage = SyncStorageClient(
            f"{gateway.url}/storage/v1/", _headers(expired), http_client=session
        )
        with pytest.raises(StorageApiError) as info:
            storage.from_("outputs").upload(f"{user.id}/a.png", PNG, {"content-type": "image/png"})
    assert (info.value.status, info.value.code, info.value.message) == (
        "403",
        "Unauthorized",
        EXPIRED_MESSAGE,
    )


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (_bad_signature, "signature verification failed"),
        (_garbage_header, "JWS Protected Header is invalid"),
        (lambda token: "garbage", "Invalid Compact JWS"),
        (
            lambda token: jwt.encode(
                jwt.decode(token, options={"verify_signature": False}), None, algorithm="none"
            ),
            '"alg" (Algorithm) Header Parameter value not allowed',
        ),
    ],
    ids=["bad signature", "garbage header", "not a JWT", "alg none"],
)
def test_upload_sign_and_remove_with_a_bad_token_are_access_denied(
    http: httpx.Client, owner: tuple[GatewayUser, str], spoil: Any, message: str
) -> None:
    user, token = owner
    path = f"{user.id}/b.png"
    assert _upload(http, token, f"outputs/{path}").status_code == 200
    bad = spoil(token)
    answers = [
        _upload(http, bad, f"outputs/{user.id}/c.png"),
        http.post(
            f"/storage/v1/object/sign/outputs/{path}", headers=_headers(bad), json={"expiresIn": 60}
        ),
        http.request(
            "DELETE", "/storage/v1/object/outputs", headers=_headers(bad), json={"prefixes": [path]}
        ),
    ]
    for answer in answers:
        assert answer.status_code == 400
        assert answer.json() == _access_denied(message)
        assert "jwt" not in message.lower()
    # Nothing was removed.
    assert http.get(f"/storage/v1/object/outputs/{path}", headers=_headers(token)).content == PNG


def test_download_with_an_expired_bad_or_garbage_token_runs_as_anon_no_such_bucket(
    http: httpx.Client, gateway: Gateway, owner: tuple[GatewayUser, str]
) -> None:
    user, token = owner
    path = f"outputs/{user.id}/d.png"
    assert _upload(http, token, path).status_code == 200
    expired = gateway.mint_session(user.id, ttl=-5)["access_token"]
    for bad in (expired, _bad_signature(token), _garbage_header(token), "garbage"):
        answer = http.get(f"/storage/v1/object/{path}", headers=_headers(bad))
        assert answer.status_code == 400
        assert answer.json() == NO_SUCH_BUCKET
        info = http.get(f"/storage/v1/object/info/{path}", headers=_headers(bad))
        assert info.json() == NO_SUCH_BUCKET
        # The /authenticated/ route does not forgive the token.
        strict = http.get(f"/storage/v1/object/authenticated/{path}", headers=_headers(bad))
        assert strict.json()["code"] == "AccessDenied"
    # The bucket does exist: the same download with the good token works.
    assert http.get(f"/storage/v1/object/{path}", headers=_headers(token)).content == PNG
    # And the anon key (a valid token of role anon) sees the bucket but not the object.
    assert http.get(f"/storage/v1/object/{path}", headers=_headers(ANON_KEY)).json() == NOT_FOUND


def test_signed_url_with_a_tampered_token_is_invalid_jwt_with_joses_words(
    http: httpx.Client, owner: tuple[GatewayUser, str]
) -> None:
    user, token = owner
    path = f"{user.id}/e.png"
    assert _upload(http, token, f"outputs/{path}").status_code == 200
    signed = http.post(
        f"/storage/v1/object/sign/outputs/{path}", headers=_headers(token), json={"expiresIn": 60}
    ).json()["signedURL"]
    base, _, signed_token = signed.partition("?token=")
    claims = jwt.decode(signed_token, JWT_SECRET, algorithms=["HS256"])
    assert claims["url"] == f"outputs/{path}" and claims["scope"] == "download"
    assert claims["exp"] - claims["iat"] == 60
    assert http.get(f"/storage/v1{signed}").content == PNG
    for spoiled, message in (
        (_garbage_header(signed_token), "JWS Protected Header is invalid"),
        (_bad_signature(signed_token), "signature verification failed"),
    ):
        answer = http.get(f"/storage/v1{base}?token={spoiled}")
        assert answer.status_code == 400
        assert answer.json() == {
            "statusCode": "400",
            "code": "InvalidJWT",
            "error": "InvalidJWT",
            "message": message,
        }
    # A good token of another object: InvalidSignature.
    other = http.get(f"/storage/v1/object/sign/outputs/{user.id}/other.png?token={signed_token}")
    assert other.json() == {
        "statusCode": "400",
        "code": "InvalidSignature",
        "error": "InvalidSignature",
        "message": "Invalid signature",
    }


def test_upload_into_another_users_folder_or_the_bucket_root_is_rls_access_denied(
    http: httpx.Client, owner: tuple[GatewayUser, str], make_user: Any
) -> None:
    _user, token = owner
    other = make_user()
    for path in (f"outputs/{other.id}/f.png", "outputs/f.png"):
        answer = _upload(http, token, path)
        assert answer.status_code == 400
        # Storage drops Postgres's ' for table "objects"'.
        assert answer.json() == _access_denied("new row violates row-level security policy")


def test_upload_to_the_same_path_without_upsert_is_duplicate(
    http: httpx.Client, owner: tuple[GatewayUser, str]
) -> None:
    user, token = owner
    path = f"outputs/{user.id}/g.png"
    assert _upload(http, token, path).status_code == 200
    answer = _upload(http, token, path)
    assert answer.status_code == 400
    assert answer.json() == {
        "statusCode": "409",
        "code": "KeyAlreadyExists",
        "error": "Duplicate",
        "message": "The resource already exists",
    }
    assert _upload(http, token, path, **{"x-upsert": "true"}).status_code == 200


def test_wrong_mime_type_for_the_bucket_is_invalid_mime_type(
    http: httpx.Client, owner: tuple[GatewayUser, str]
) -> None:
    user, token = owner
    answer = http.post(
        f"/storage/v1/object/outputs/{user.id}/h.txt",
        headers=_headers(token),
        files={"file": ("h.txt", b"text", "text/plain")},
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "statusCode": "415",
        "code": "InvalidMimeType",
        "error": "invalid_mime_type",
        "message": "mime type text/plain is not supported",
    }


def test_another_users_object_is_not_found_for_download_sign_move_and_copy(
    http: httpx.Client, owner: tuple[GatewayUser, str], make_user: Any, gateway: Gateway
) -> None:
    user, token = owner
    path = f"{user.id}/i.png"
    assert _upload(http, token, f"outputs/{path}").status_code == 200
    intruder = make_user()
    theirs = gateway.mint_session(intruder.id)["access_token"]
    move = {"bucketId": "outputs", "sourceKey": path, "destinationKey": f"{intruder.id}/i.png"}
    answers = [
        http.get(f"/storage/v1/object/outputs/{path}", headers=_headers(theirs)),
        http.post(
            f"/storage/v1/object/sign/outputs/{path}",
            headers=_headers(theirs),
            json={"expiresIn": 60},
        ),
        http.post("/storage/v1/object/move", headers=_headers(theirs), json=move),
        http.post("/storage/v1/object/copy", headers=_headers(theirs), json=move),
    ]
    for answer in answers:
        assert answer.status_code == 400
        assert answer.json() == NOT_FOUND
    # Still there, untouched, and the owner can move and copy it.
    own = {"bucketId": "outputs", "sourceKey": path, "destinationKey": f"{user.id}/j.png"}
    copied = http.post("/storage/v1/object/copy", headers=_headers(token), json=own)
    assert copied.status_code == 200 and copied.json()["Key"] == f"outputs/{user.id}/j.png"
    moved = http.post(
        "/storage/v1/object/move",
        headers=_headers(token),
        json={**own, "sourceKey": f"{user.id}/j.png", "destinationKey": f"{user.id}/k.png"},
    )
    assert moved.status_code == 200 and moved.json()["message"] == "Successfully moved"
    assert (
        http.get(f"/storage/v1/object/outputs/{user.id}/k.png", headers=_headers(token)).content
        == PNG
    )
    assert http.get(f"/storage/v1/object/outputs/{path}", headers=_headers(token)).content == PNG


def test_removing_another_users_object_answers_200_empty_and_removes_nothing(
    http: httpx.Client,
    owner: tuple[GatewayUser, str],
    make_user: Any,
    gateway: Gateway,
    pg: psycopg.Connection[Any],
) -> None:
    user, token = owner
    path = f"{user.id}/l.png"
    assert _upload(http, token, f"outputs/{path}").status_code == 200
    intruder = make_user()
    theirs = gateway.mint_session(intruder.id)["access_token"]
    answer = http.request(
        "DELETE", "/storage/v1/object/outputs", headers=_headers(theirs), json={"prefixes": [path]}
    )
    assert (answer.status_code, answer.json()) == (200, [])
    assert pg.execute(
        "SELECT count(*) AS n FROM storage.objects WHERE bucket_id = 'outputs' AND name = %s",
        (path,),
    ).fetchone() == {"n": 1}


def test_removing_own_objects_answers_the_removed_rows_with_user_metadata(
    http: httpx.Client, owner: tuple[GatewayUser, str]
) -> None:
    user, token = owner
    path = f"{user.id}/m.png"
    uploaded = http.post(
        f"/storage/v1/object/outputs/{path}",
        headers=_headers(token),
        files={"file": ("m.png", PNG, "image/png")},
        data={"cacheControl": "3600", "metadata": json.dumps({"look": "red"})},
    )
    assert uploaded.status_code == 200
    answer = http.request(
        "DELETE",
        "/storage/v1/object/outputs",
        headers=_headers(token),
        json={"prefixes": [path, f"{user.id}/never-there.png"]},
    )
    assert answer.status_code == 200
    [row] = answer.json()
    assert row["name"] == path and row["bucket_id"] == "outputs"
    assert row["user_metadata"] == {"look": "red"}
    assert row["metadata"]["mimetype"] == "image/png" and row["metadata"]["size"] == len(PNG)
    assert uuid.UUID(row["id"]) and row["owner_id"] == user.id


def test_signed_url_shape_and_expiry(
    http: httpx.Client, owner: tuple[GatewayUser, str], gateway: Gateway
) -> None:
    user, token = owner
    path = f"{user.id}/n.png"
    assert _upload(http, token, f"outputs/{path}").status_code == 200
    signed = http.post(
        f"/storage/v1/object/sign/outputs/{path}", headers=_headers(token), json={"expiresIn": "60"}
    ).json()["signedURL"]
    assert signed.startswith(f"/object/sign/outputs/{path}?token=")
    header = jwt.get_unverified_header(signed.partition("?token=")[2])
    assert header["alg"] == "HS256"
    gateway.set_clock_offset(61)  # the server's clock moves past exp
    expired = http.get(f"/storage/v1{signed}")
    assert expired.json() == {
        "statusCode": "400",
        "code": "InvalidJWT",
        "error": "InvalidJWT",
        "message": EXPIRED_MESSAGE,
    }


def test_removing_one_object_rls_hides_is_access_denied_and_a_missing_one_not_found(
    http: httpx.Client, owner: tuple[GatewayUser, str], make_user: Any, gateway: Gateway
) -> None:
    user, token = owner
    path = f"{user.id}/o.png"
    assert _upload(http, token, f"outputs/{path}").status_code == 200
    theirs = gateway.mint_session(make_user().id)["access_token"]
    hidden = http.delete(f"/storage/v1/object/outputs/{path}", headers=_headers(theirs))
    assert (hidden.status_code, hidden.json()) == (400, _access_denied("Access denied"))
    missing = http.delete(f"/storage/v1/object/outputs/{user.id}/none.png", headers=_headers(token))
    assert missing.json() == NOT_FOUND
    own = http.delete(f"/storage/v1/object/outputs/{path}", headers=_headers(token))
    assert (own.status_code, own.json()) == (200, {"message": "Successfully deleted"})


def test_an_unknown_storage_route_is_storages_not_found_answer(http: httpx.Client) -> None:
    answer = http.post("/storage/v1/object/rename?x=1", json={})
    assert (answer.status_code, answer.json()) == (
        404,
        {
            "statusCode": "404",
            "error": "Not Found",
            "message": "Route POST:/object/rename?x=1 not found",
            "code": "InvalidRequest",
        },
    )


def test_a_storage_429_is_the_database_pool_slow_down(
    http: httpx.Client, owner: tuple[GatewayUser, str], gateway: Gateway
) -> None:
    user, token = owner
    gateway.faults.fail_next(1, 429, paths="/storage/v1/object")
    answer = _upload(http, token, f"outputs/{user.id}/p.png")
    assert (answer.status_code, answer.json()) == (
        429,
        {
            "statusCode": "429",
            "error": "too_many_connections",
            "code": "SlowDown",
            "message": "Too many connections issued to the database",
        },
    )
