"""The HTTP client of the studio's generation API (contract: ``docs/remote-api.md``).

It is deliberately small and strict: every reply is checked for its status, content type and
JSON shape, and every refusal becomes a typed error whose ``message`` a designer can read.

Reliability rules (the contract's "Client behaviour" section):
- transport errors (refused or dropped connections, timeouts), 429 and 5xx are retried with
  exponential backoff and jitter, honouring ``Retry-After`` (seconds or an HTTP date), up to
  ``RetryPolicy.attempts`` tries. Every call is safe to repeat: generation requests carry the
  idempotency key job id + attempt, profile creation a client-chosen id;
- a 401 asks ``refresh_token()`` for a new access token once and repeats the call; a second 401
  is a :class:`RemoteAuthError` ("sign in again");
- other 4xx replies are not retried: the server's ``error.message`` is passed on;
- signed download URLs are fetched *without* the bearer token (they carry their own signature).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from studio_desktop.domain.enums import JobType
from studio_desktop.domain.errors import ExternalError
from studio_desktop.domain.models import Profile, parse_ts, utc_now

TokenProvider = Callable[[], str | Awaitable[str]]
TokenRefresher = Callable[[], Awaitable[str]]
Sleep = Callable[[float], Awaitable[None]]

#: The seed's API names a product pack ``type=pack``; the other job types keep their names.
API_TYPE_BY_JOB_TYPE: dict[str, str] = {
    JobType.PRODUCT_PACK: "pack",
    JobType.TRYON_IMAGE: "tryon",
    JobType.CANVAS_EDIT: "canvas_edit",
    JobType.EXTRACT_GARMENT: "extract_garment",
}
OPERATION_STATUSES = ("queued", "running", "succeeded", "failed", "canceled")
FINAL_STATUSES = ("succeeded", "failed", "canceled")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_DOWNLOAD_BYTES = 200 * 1024 * 1024
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
SERVICE = "the studio's generation service"


class RemoteApiError(ExternalError):
    """The generation API refused a request or could not be used; ``message`` is readable."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retryable = retryable


class RemoteAuthError(RemoteApiError):
    """The access token was refused even after a refresh: the user must sign in again."""


class RemoteUnavailableError(RemoteApiError):
    """The service could not be reached or kept failing (network, timeouts, 429/5xx)."""


class RemoteProtocolError(RemoteApiError):
    """The service answered something this client cannot read (bad JSON, wrong content type)."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 20.0
    #: A Retry-After longer than this is not waited for: the call fails with the server's reason.
    max_retry_after: float = 120.0


@dataclass(frozen=True, slots=True)
class RemoteOutput:
    id: str
    kind: str
    angle: str | None
    mime_type: str
    width: int
    height: int
    bucket: str
    storage_path: str
    url: str


@dataclass(frozen=True, slots=True)
class Operation:
    """A long-running generation on the server; its ``id`` is the job's provider_operation_id."""

    id: str
    job_id: str
    attempt: int
    type: str
    status: str
    progress: float
    message: str | None
    poll_after: float
    error_code: str | None = None
    error_message: str | None = None
    error_retryable: bool = False
    reply_text: str | None = None
    outputs: tuple[RemoteOutput, ...] = ()

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass(frozen=True, slots=True)
class RemoteProfile:
    id: str
    name: str
    gender: str | None
    skin_tone: str | None
    region: str | None
    background: str | None
    reference_image_path: str | None
    reference_image_url: str | None
    created_at: datetime
    updated_at: datetime

    def to_profile(self, user_id: str) -> Profile:
        return Profile(
            id=self.id,
            user_id=user_id,
            name=self.name,
            gender=self.gender,
            skin_tone=self.skin_tone,
            region=self.region,
            background=self.background,
            reference_image_path=self.reference_image_path,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


class GenerationApiClient:
    """Async client of ``docs/remote-api.md``. Share one per signed-in session; close it after."""

    def __init__(
        self,
        base_url: str,
        access_token: TokenProvider,
        refresh_token: TokenRefresher | None = None,
        *,
        http: httpx.AsyncClient | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._access_token = access_token
        self._refresh_token = refresh_token
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.retry = retry
        self._sleep = sleep
        self._rng = rng

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> GenerationApiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ operations
    async def start_generation(self, body: Mapping[str, Any]) -> tuple[Operation, bool]:
        """``POST /api/generate-image``; returns the operation and whether it is new (202)."""
        status, payload = await self._call("POST", "/api/generate-image", json_body=body)
        return _operation(_field(payload, "operation", dict)), status == 202

    async def get_operation(self, operation_id: str) -> Operation:
        _, payload = await self._call("GET", f"/api/operations/{operation_id}")
        return _operation(_field(payload, "operation", dict))

    async def cancel_operation(self, operation_id: str) -> Operation:
        _, payload = await self._call("POST", f"/api/operations/{operation_id}/cancel")
        return _operation(_field(payload, "operation", dict))

    async def download(self, url: str) -> tuple[bytes, str]:
        """Fetch a signed URL (no bearer token); returns the bytes and their content type."""
        target = url if url.startswith(("http://", "https://")) else self.base_url + url
        response = await self._send("GET", target, auth=False, what="download the result")
        if response.status_code in (403, 404, 410):
            raise RemoteApiError(
                "The result's download link has expired or is not valid any more; "
                "retry the job to get a fresh one.",
                status=response.status_code,
                code="link_expired",
            )
        if response.status_code != 200:
            raise _refusal(response)
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if not content_type.startswith("image/"):
            raise RemoteProtocolError(
                f"{SERVICE.capitalize()} sent {content_type or 'an unlabelled file'} where an "
                "image was expected.",
                status=200,
                code="bad_content_type",
            )
        if len(response.content) > MAX_DOWNLOAD_BYTES:
            raise RemoteProtocolError("A result image is larger than 200 MB and was not kept.")
        return response.content, content_type

    # ------------------------------------------------------------------ profiles
    async def list_profiles(self) -> list[RemoteProfile]:
        _, payload = await self._call("GET", "/api/profiles")
        items = _field(payload, "profiles", list)
        return [_profile(item) for item in items]

    async def create_profile(
        self,
        name: str,
        image: bytes,
        mime_type: str,
        *,
        profile_id: str | None = None,
        gender: str | None = None,
        skin_tone: str | None = None,
        region: str | None = None,
        background: str | None = None,
    ) -> RemoteProfile:
        """``POST /api/profiles`` (multipart): creates the row and uploads its reference image."""
        fields = {
            "id": profile_id,
            "name": name,
            "gender": gender,
            "skinTone": skin_tone,
            "region": region,
            "background": background,
        }
        data = {k: v for k, v in fields.items() if v is not None}
        ext = mime_type.rsplit("/", 1)[-1].replace("jpeg", "jpg")
        files = {"image": (f"reference.{ext}", image, mime_type)}
        _, payload = await self._call("POST", "/api/profiles", form=data, files=files)
        return _profile(_field(payload, "profile", dict))

    # ------------------------------------------------------------------ transport
    async def _call(
        self,
        method: str,
        path: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        form: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        response = await self._send(
            method, self.base_url + path, json_body=json_body, form=form, files=files
        )
        if response.status_code >= 400:
            raise _refusal(response)
        return response.status_code, _json_body(response)

    async def _send(
        self,
        method: str,
        url: str,
        *,
        auth: bool = True,
        json_body: Mapping[str, Any] | None = None,
        form: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        what: str = "",
    ) -> httpx.Response:
        """One logical call: retries on transport errors, 429 and 5xx; refreshes once on 401."""
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            headers = {"Accept": "application/json"}
            if auth:
                headers["Authorization"] = f"Bearer {await self._token()}"
            try:
                response = await self._http.request(
                    method,
                    url,
                    headers=headers,
                    json=json_body,
                    data=form,
                    files=files,
                    timeout=self._timeout,
                )
            except httpx.TimeoutException as exc:
                error: RemoteApiError = RemoteUnavailableError(
                    f"{SERVICE.capitalize()} did not answer in time "
                    f"({_timeout_text(self._timeout, exc)}).",
                    code="timeout",
                    retryable=True,
                )
                delay = None
            except httpx.TransportError as exc:
                error = RemoteUnavailableError(_transport_text(exc), code="network", retryable=True)
                delay = None
            else:
                if response.status_code == 401 and auth:
                    if self._refresh_token is not None and not refreshed:
                        refreshed = True
                        await self._refresh_token()
                        attempt -= 1  # a refresh is not a failed try
                        continue
                    raise RemoteAuthError(
                        "Your session has expired or was refused by "
                        f"{SERVICE}. Sign in again to use remote generation.",
                        status=401,
                        code=_error_code(response) or "unauthorized",
                    )
                if response.status_code not in RETRY_STATUSES:
                    return response
                error = _refusal(response)
                delay = _retry_after(response)
                if delay is not None and delay > self.retry.max_retry_after:
                    raise error
            if attempt >= self.retry.attempts:
                if attempt > 1:
                    error.message = f"{error.message} (gave up after {attempt} tries)"
                    error.args = (error.message,)
                raise error
            if delay is None:
                ceiling = min(self.retry.max_delay, self.retry.base_delay * 2 ** (attempt - 1))
                delay = ceiling * (0.5 + 0.5 * self._rng())
            await self._sleep(delay)

    async def _token(self) -> str:
        value = self._access_token()
        if inspect.isawaitable(value):
            value = await value
        if not value:
            raise RemoteAuthError(f"Sign in to use {SERVICE}.", code="signed_out")
        return str(value)


# ---------------------------------------------------------------------- parsing helpers
def _timeout_text(timeout: httpx.Timeout, exc: httpx.TimeoutException) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"no connection within {timeout.connect:g} s"
    return f"no reply within {timeout.read:g} s"


def _transport_text(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return f"Could not connect to {SERVICE}; check the network connection."
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"The connection to {SERVICE} was dropped before it answered."
    return f"The connection to {SERVICE} failed ({type(exc).__name__})."


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - utc_now()).total_seconds())


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _error_code(response: httpx.Response) -> str | None:
    code = _error_body(response).get("code")
    return code if isinstance(code, str) else None


_STATUS_TEXT = {
    400: "did not accept the request",
    403: "does not allow this for your account",
    404: "does not know this item",
    409: "reports a conflict with an earlier request",
    413: "refused the request because an image is too large",
    415: "cannot read this kind of file",
    422: "could not use the images it was sent",
    429: "is busy (too many requests)",
    500: "had an internal error",
    502: "is unreachable behind its gateway",
    503: "is temporarily unavailable",
    504: "timed out behind its gateway",
}


def _refusal(response: httpx.Response) -> RemoteApiError:
    status = response.status_code
    error = _error_body(response)
    server_text = error.get("message") if isinstance(error.get("message"), str) else None
    base = f"{SERVICE.capitalize()} {_STATUS_TEXT.get(status, f'answered with status {status}')}"
    message = f"{base}: {server_text}" if server_text else f"{base} (HTTP {status})."
    cls = RemoteUnavailableError if status in RETRY_STATUSES else RemoteApiError
    return cls(
        message,
        status=status,
        code=error.get("code") if isinstance(error.get("code"), str) else None,
        retryable=status in RETRY_STATUSES,
    )


def _json_body(response: httpx.Response) -> dict[str, Any]:
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise RemoteProtocolError(
            f"{SERVICE.capitalize()} answered with {content_type or 'no content type'} instead "
            "of JSON; is the server address right?",
            status=response.status_code,
            code="bad_content_type",
        )
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        raise RemoteProtocolError(
            f"{SERVICE.capitalize()} sent a reply that is not valid JSON.",
            status=response.status_code,
            code="malformed_json",
        ) from None
    if not isinstance(body, dict):
        raise RemoteProtocolError(
            f"{SERVICE.capitalize()} sent a reply of an unexpected shape.",
            status=response.status_code,
            code="malformed_json",
        )
    return body


def _bad_shape(what: str) -> RemoteProtocolError:
    return RemoteProtocolError(
        f"{SERVICE.capitalize()} sent a reply with a missing or invalid {what}.",
        code="malformed_json",
    )


def _field(body: Mapping[str, Any], name: str, kind: type, *, optional: bool = False) -> Any:
    value = body.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise _bad_shape(f"'{name}'")
    return value


def _number(body: Mapping[str, Any], name: str, default: float) -> float:
    value = body.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad_shape(f"'{name}'")
    return float(value)


def _output(item: Any) -> RemoteOutput:
    if not isinstance(item, dict):
        raise _bad_shape("output entry")
    width, height = _field(item, "width", int), _field(item, "height", int)
    if width <= 0 or height <= 0:
        raise _bad_shape("output size")
    return RemoteOutput(
        id=_field(item, "id", str),
        kind=_field(item, "kind", str),
        angle=_field(item, "angle", str, optional=True),
        mime_type=_field(item, "mimeType", str),
        width=width,
        height=height,
        bucket=_field(item, "bucket", str),
        storage_path=_field(item, "storagePath", str),
        url=_field(item, "url", str),
    )


def _operation(body: Mapping[str, Any]) -> Operation:
    status = _field(body, "status", str)
    if status not in OPERATION_STATUSES:
        raise _bad_shape(f"operation status {status!r}")
    error = _field(body, "error", dict, optional=True) or {}
    outputs = _field(body, "outputs", list, optional=True) or []
    progress = _number(body, "progress", 0.0)
    return Operation(
        id=_field(body, "id", str),
        job_id=_field(body, "jobId", str),
        attempt=int(_number(body, "attempt", 1)),
        type=_field(body, "type", str),
        status=status,
        progress=max(0.0, min(1.0, progress)),
        message=_field(body, "message", str, optional=True),
        poll_after=max(0.0, _number(body, "pollAfterMs", 1000.0) / 1000.0),
        error_code=error.get("code") if isinstance(error.get("code"), str) else None,
        error_message=error.get("message") if isinstance(error.get("message"), str) else None,
        error_retryable=bool(error.get("retryable", False)),
        reply_text=_field(body, "replyText", str, optional=True),
        outputs=tuple(_output(item) for item in outputs),
    )


def _profile(item: Any) -> RemoteProfile:
    if not isinstance(item, dict):
        raise _bad_shape("profile entry")
    try:
        created = parse_ts(_field(item, "createdAt", str))
        updated = parse_ts(_field(item, "updatedAt", str))
    except ValueError:
        raise _bad_shape("profile timestamp") from None
    if created is None or updated is None:
        raise _bad_shape("profile timestamp")
    return RemoteProfile(
        id=_field(item, "id", str),
        name=_field(item, "name", str),
        gender=_field(item, "gender", str, optional=True),
        skin_tone=_field(item, "skinTone", str, optional=True),
        region=_field(item, "region", str, optional=True),
        background=_field(item, "background", str, optional=True),
        reference_image_path=_field(item, "referenceImagePath", str, optional=True),
        reference_image_url=_field(item, "referenceImageUrl", str, optional=True),
        created_at=created,
        updated_at=updated,
    )
