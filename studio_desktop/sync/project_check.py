"""Is this really a Supabase project, and is this its anon key? Asked before a project is saved.

:func:`check_project` looks at the key first (no network: a ``service_role`` or ``sb_secret_``
key is refused, the desktop must never hold one; an expired or damaged key is refused; a key
whose ``ref`` claim names another project than the URL's ``<ref>.supabase.co`` is refused), then
asks the project's Auth settings, ``GET /auth/v1/settings`` with the key as ``apikey``, which
every Supabase project serves to anyone holding its anon key:

- ``200`` with GoTrue's settings object (``external``, ``disable_signup``...): connected;
- ``401`` ``{"message": "Invalid API key", "hint": "Double check your Supabase ..."}`` (the API
  gateway's answer; older ones say "Invalid authentication credentials"): the key is not this
  project's, refused with a message that names the key's own project when it carries one;
- anything else that is not GoTrue's settings (an HTML page, a 404 from some other web server,
  JSON of another API): "this address is not a Supabase project";
- a name that does not resolve (the resolver answered "no such name"): "no server has this
  name"; connection refused: "nothing answers at this address";
- only when the network itself is down (the resolver cannot be reached, "network unreachable",
  no answer in time) is the project "offline": it may still be saved, marked not checked yet,
  and is checked again at the next sign-in.

Refusals raise :class:`ProjectCheckError` (a :class:`ValidationError` naming the field to fix:
``url`` or ``anon_key``); offline returns a :class:`ProjectCheck` whose ``checked`` is false.
"""

from __future__ import annotations

import base64
import binascii
import errno
import json
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from studio_desktop.domain.errors import ValidationError

#: GoTrue's settings object always has these (``internal/api/settings.go``).
_SETTINGS_KEYS = frozenset({"external", "disable_signup", "mailer_autoconfirm"})
_OFFLINE_ERRNOS = frozenset(
    {errno.ENETUNREACH, errno.ENETDOWN, errno.EHOSTUNREACH, errno.EHOSTDOWN}
)
#: getaddrinfo's "the resolver could not be asked" (as opposed to "it said no such name").
_RESOLVER_UNREACHABLE = frozenset({socket.EAI_AGAIN})
HOSTED_SUFFIX = ".supabase.co"


class ProjectCheckError(ValidationError):
    """The project or the key is refused; ``field`` is ``url`` or ``anon_key``."""


@dataclass(frozen=True, slots=True)
class ProjectCheck:
    """The outcome of a check that did not refuse: ``checked`` is false when offline."""

    url: str
    checked: bool
    message: str


def _jwt_claims(key: str) -> dict[str, Any] | None:
    parts = key.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


def project_ref(url: str) -> str | None:
    """The project ref of a hosted project URL (``https://<ref>.supabase.co``), else None."""
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith(HOSTED_SUFFIX):
        ref = host[: -len(HOSTED_SUFFIX)]
        return ref if ref and "." not in ref else None
    return None


def check_key(url: str, key: str, *, now: float | None = None) -> None:
    """What can be said of the key without asking anyone (raises :class:`ProjectCheckError`)."""
    if key.startswith("sb_secret_"):
        raise ProjectCheckError(
            "This is a secret key. Paste the publishable (anon) key instead: a secret key gives "
            "full access to the project and must never be stored on a desktop.",
            "anon_key",
        )
    if key.startswith("sb_publishable_"):
        return
    claims = _jwt_claims(key)
    if claims is None:
        raise ProjectCheckError(
            "This is not a Supabase anon key (it cannot be decoded); copy it again from Project "
            "Settings → API.",
            "anon_key",
        )
    role = claims.get("role")
    if role is None:
        raise ProjectCheckError(
            "This key names no role: it is not a Supabase anon key. Copy the anon (public) key "
            "from Project Settings → API.",
            "anon_key",
        )
    if role == "service_role":
        raise ProjectCheckError(
            "This is the service-role key. Paste the anon (public) key instead: the service key "
            "bypasses all access rules and must never be stored on a desktop.",
            "anon_key",
        )
    if role != "anon":
        raise ProjectCheckError(
            f"This key is for the role “{role}”; paste the project's anon (public) key.",
            "anon_key",
        )
    exp = claims.get("exp")
    if isinstance(exp, int | float) and exp < (time.time() if now is None else now):
        raise ProjectCheckError("This key has expired; copy the current anon key.", "anon_key")
    ref = claims.get("ref")
    expected = project_ref(url)
    if isinstance(ref, str) and expected is not None and ref != expected:
        raise ProjectCheckError(
            f"This key belongs to another project (“{ref}”), not to “{expected}”. Copy the anon "
            "key shown in this project's Settings → API.",
            "anon_key",
        )


def _other_project(key: str) -> str:
    claims = _jwt_claims(key) or {}
    ref = claims.get("ref")
    return f" (the key is for the project “{ref}”)" if isinstance(ref, str) and ref else ""


def _os_error(exc: BaseException) -> OSError | None:
    """The operating system's own error under httpx's (anyio wraps it in an errno-less
    "All connection attempts failed")."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and (seen.errno is not None or isinstance(seen, ssl.SSLError)):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _transport_outcome(url: str, exc: httpx.TransportError) -> ProjectCheck:
    host = urlsplit(url).hostname or url
    cause = _os_error(exc)
    if isinstance(cause, socket.gaierror):
        if cause.errno in _RESOLVER_UNREACHABLE:
            return ProjectCheck(
                url,
                False,
                "You seem to be offline (names cannot be looked up), so the project "
                "could not be checked.",
            )
        raise ProjectCheckError(
            f"No server is called “{host}” (the name does not exist). Check the project URL: "
            "it is shown in Supabase under Project Settings → API.",
            "url",
        ) from exc
    if isinstance(cause, ssl.SSLError):
        raise ProjectCheckError(
            f"The secure connection to “{host}” failed ({cause.reason or cause}); this is not "
            "a Supabase project's certificate.",
            "url",
        ) from exc
    if cause is not None and cause.errno == errno.ECONNREFUSED:
        raise ProjectCheckError(
            f"Nothing answers at {url} (connection refused). Check the project URL; a local "
            "project must be started first.",
            "url",
        ) from exc
    if isinstance(exc, httpx.TimeoutException) or (
        cause is not None and cause.errno in _OFFLINE_ERRNOS
    ):
        return ProjectCheck(
            url,
            False,
            "You seem to be offline (the network cannot reach the project), so the "
            "project could not be checked.",
        )
    raise ProjectCheckError(
        f"The connection to “{host}” failed ({type(exc).__name__}). Check the project URL.", "url"
    ) from exc


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return None


def _answer_outcome(url: str, key: str, response: httpx.Response) -> ProjectCheck:
    body = _json(response)
    message = str(body.get("message") or "") if isinstance(body, dict) else ""
    if response.status_code == 401 and (
        "api key" in message.lower() or "authentication credentials" in message.lower()
    ):
        raise ProjectCheckError(
            f"The project refused this key (“{message}”): it is not this project's anon key"
            f"{_other_project(key)}. Copy the anon key from this project's Settings → API.",
            "anon_key",
        )
    if response.status_code == 200 and isinstance(body, dict) and set(body) >= _SETTINGS_KEYS:
        host = urlsplit(url).netloc
        return ProjectCheck(url, True, f"Connected to {host}.")
    if response.status_code >= 500 and isinstance(body, dict):
        raise ProjectCheckError(
            f"The project answered with a server error (HTTP {response.status_code}); it may be "
            "paused or restarting. Try again in a moment.",
            "url",
        )
    kind = response.headers.get("content-type", "").split(";")[0].strip() or "no content type"
    raise ProjectCheckError(
        f"{url} answers, but it is not a Supabase project (HTTP {response.status_code}, "
        f"{kind}). Check the project URL: https://<project-ref>.supabase.co.",
        "url",
    )


async def check_project(
    url: str,
    key: str,
    *,
    timeout: float = 8.0,
) -> ProjectCheck:
    """Check ``url`` and its anon ``key`` (see the module doc). Raises :class:`ProjectCheckError`
    for a refusal; returns ``checked=False`` only when offline."""
    url = url.rstrip("/")
    check_key(url, key)
    async with httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        follow_redirects=False,
    ) as http:
        try:
            response = await http.get(
                f"{url}/auth/v1/settings",
                headers={"apikey": key, "Accept": "application/json"},
            )
        except httpx.TransportError as exc:
            return _transport_outcome(url, exc)
    return _answer_outcome(url, key, response)
