"""Error answers in the exact shapes the real services send, so supabase-py raises what it would.

- PostgREST: ``{"code", "message", "details", "hint"}`` -> ``postgrest.APIError``.
- GoTrue (Auth): ``{"code", "error_code", "msg"}`` (or ``{"code": <error_code>, "message"}`` when
  the client sends ``X-Supabase-Api-Version: 2024-01-01``, which supabase-py does), header
  ``x-sb-error-code`` ->
  ``supabase_auth.errors.AuthApiError`` with ``.status`` and ``.code``.
- Storage: ``{"statusCode", "code", "error", "message"}`` with HTTP 400 for every client error
  (Storage's own quirk; the real status is the string in ``statusCode``) ->
  ``storage3.exceptions.StorageApiError`` with ``.status`` and ``.code`` (= ``error``).
"""

from __future__ import annotations

from typing import Any


class GatewayError(Exception):
    """An HTTP error answer: status, JSON body and extra headers."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


class PgrstError(GatewayError):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: str | None = None,
        hint: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            status, {"code": code, "message": message, "details": details, "hint": hint}, headers
        )
        self.code = code


class AuthError(GatewayError):
    """A GoTrue error; ``error_code`` is GoTrue's machine code (``invalid_credentials``)."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(
            status,
            {"code": status, "error_code": error_code, "msg": message},
            {"x-sb-error-code": error_code},  # GoTrue sets it on every coded error
        )
        self.error_code = error_code
        self.message = message

    def body_for(self, api_version: str | None) -> dict[str, Any]:
        """GoTrue answers clients that declare API version 2024-01-01 or later with
        ``{"code": <error_code>, "message"}`` (``HTTPErrorResponse20240101`` in
        ``internal/api/errors.go``; a weak password adds ``weak_password``); older clients get
        ``{"code": <status>, "error_code", "msg"}``."""
        if api_version and api_version >= "2024-01-01":
            body: dict[str, Any] = {"code": self.error_code, "message": self.message}
            if "weak_password" in self.body:
                body["weak_password"] = self.body["weak_password"]
            return body
        return dict(self.body)


class OAuthError(GatewayError):
    """GoTrue's OAuth-style answer of the token endpoint (``invalid_grant``)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(status, {"error": error, "error_description": description})


class StorageError(GatewayError):
    """Storage's error: ``status_code`` is the meaning (404, 409...), HTTP status is 400
    (500 for server errors), as the Storage API answers."""

    def __init__(self, status_code: int, code: str, message: str, error: str | None = None) -> None:
        http_status = 500 if status_code >= 500 else 400
        super().__init__(
            http_status,
            {
                "statusCode": str(status_code),
                "code": code,
                "error": error or code,
                "message": message,
            },
        )
        self.status_code = status_code
        self.code = code


def storage_not_found() -> StorageError:
    return StorageError(404, "NoSuchKey", "Object not found", "not_found")


def storage_no_bucket() -> StorageError:
    return StorageError(404, "NoSuchBucket", "Bucket not found", "Bucket not found")


def storage_duplicate() -> StorageError:
    return StorageError(409, "KeyAlreadyExists", "The resource already exists", "Duplicate")


def storage_rls(message: str = "new row violates row-level security policy") -> StorageError:
    return StorageError(403, "AccessDenied", message, "Unauthorized")


def storage_access_denied(message: str) -> StorageError:
    """What Storage's JWT plugin answers a bearer token jose does not accept."""
    return StorageError(403, "AccessDenied", message, "Unauthorized")


def storage_invalid_jwt(message: str) -> StorageError:
    return StorageError(400, "InvalidJWT", message, "InvalidJWT")


# ---------------------------------------------------------------- Postgres -> PostgREST

#: SQLSTATE classes/codes -> HTTP status, from PostgREST's documented mapping.
_EXACT = {
    "23503": 409,
    "23505": 409,
    "25006": 405,
    "42883": 404,
    "42P01": 404,
    "42P17": 500,
    "P0001": 400,
    "57014": 500,
}
_BY_CLASS = {
    "08": 503,
    "09": 500,
    "0L": 403,
    "0P": 403,
    "25": 500,
    "28": 403,
    "2D": 500,
    "38": 500,
    "39": 500,
    "3B": 500,
    "40": 500,
    "53": 503,
    "54": 500,
    "55": 500,
    "57": 500,
    "58": 500,
    "F0": 500,
    "HV": 500,
    "P0": 500,
    "XX": 500,
}


def pg_status(sqlstate: str, role: str) -> int:
    """The HTTP status PostgREST gives a Postgres error (42501 depends on who asked)."""
    if sqlstate == "42501":
        return 401 if role == "anon" else 403
    if sqlstate in _EXACT:
        return _EXACT[sqlstate]
    return _BY_CLASS.get(sqlstate[:2], 400)


def bearer_challenge(description: str) -> dict[str, str]:
    return {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{description}"'}
