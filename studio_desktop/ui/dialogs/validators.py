"""Field validation for the dialogs: plain functions, no Qt, each raising a readable
:class:`~studio_desktop.domain.errors.ValidationError` with the field it concerns, or returning
the normalised value.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from urllib.parse import urlsplit

from studio_desktop.domain.errors import ValidationError

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "host.docker.internal"}
_HOST = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$")
_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")
_NEW_KEY = re.compile(r"^sb_publishable_[A-Za-z0-9_-]{16,}$")


def _is_local(host: str) -> bool:
    if host in _LOCAL_HOSTS or host.endswith(".localhost") or host.endswith(".local"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def split_http_url(text: str, *, field: str, what: str, example: str) -> tuple[str, str]:
    """Check an ``https://host[:port]/path`` URL (``http`` only for this computer or the local
    network); returns ``(scheme://host[:port], path)`` normalised (lower-case host). ``what``
    names the URL in messages."""
    raw = text.strip()
    if not raw:
        raise ValidationError(f"Enter the {what}, for example {example}.", field)
    if "://" not in raw:
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise ValidationError(f"“{text.strip()}” is not a valid {what}.", field) from None
    if parts.scheme not in ("http", "https"):
        raise ValidationError(f"The {what} must start with https://.", field)
    if parts.username or parts.password:
        raise ValidationError(f"Remove the user name and password from the {what}.", field)
    host = (parts.hostname or "").lower()
    if not host:
        raise ValidationError(f"The {what} has no server name, for example {example}.", field)
    is_ip = True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        is_ip = False
    if not is_ip and not _HOST.match(host):
        raise ValidationError(f"“{host}” is not a valid server name.", field)
    if parts.scheme == "http" and not _is_local(host):
        raise ValidationError(
            f"Use https:// for the {what}; plain http:// is only accepted for a server on this "
            "computer or your local network.",
            field,
        )
    if parts.query or parts.fragment:
        raise ValidationError(f"Remove the part after “?” or “#” from the {what}.", field)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return f"{parts.scheme}://{netloc}", parts.path


def validate_project_url(text: str) -> str:
    """A Supabase project URL, e.g. ``https://abcdefghijklmnop.supabase.co``."""
    url, path = split_http_url(
        text, field="url", what="project URL", example="https://abcdefghijkl.supabase.co"
    )
    if path.strip("/"):
        raise ValidationError(
            f"Enter only the project URL ({url}), without “{path}”: the app adds the API paths "
            "itself.",
            "url",
        )
    return url


def validate_api_url(text: str) -> str:
    """The studio's remote generation API base URL (a path prefix is allowed)."""
    url, path = split_http_url(
        text, field="api_url", what="API URL", example="https://studio.example.com"
    )
    path = path.rstrip("/")
    return url + path


def _decode_segment(segment: str) -> dict[str, object]:
    padded = segment + "=" * (-len(segment) % 4)
    value = json.loads(base64.urlsafe_b64decode(padded))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def validate_anon_key(text: str, *, now: float | None = None) -> str:
    """The project's anon (public) key: a JWT with role ``anon``, or a ``sb_publishable_`` key.

    Refuses service-role and secret keys: those bypass the database's row-level security and must
    never be on a desktop.
    """
    # The project check (and its httpx) only when a key is typed: not at start-up.
    from studio_desktop.services.project_keys import check_key

    key = "".join(text.split())  # keys copied from a web page often carry line breaks
    if not key:
        raise ValidationError(
            "Paste the project's anon (public) key, from Project Settings → API in Supabase.",
            "anon_key",
        )
    if key.startswith(("sb_secret_", "sb_publishable_")):
        check_key("", key, now=now)  # a secret key is refused, with why
        if not _NEW_KEY.match(key):
            raise ValidationError("This publishable key looks cut off; copy it again.", "anon_key")
        return key
    segments = key.split(".")
    if len(segments) != 3 or not all(_B64URL.match(s) for s in segments[:2]):
        raise ValidationError(
            "This does not look like a Supabase anon key (a long text starting with “eyJ”, in "
            "three parts separated by dots). Copy it again from Project Settings → API.",
            "anon_key",
        )
    try:
        header = _decode_segment(segments[0])
        _decode_segment(segments[1])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationError(
            "This key is damaged (it cannot be decoded); copy it again.", "anon_key"
        ) from None
    if "alg" not in header or not segments[2]:
        raise ValidationError("This key is incomplete; copy it again.", "anon_key")
    # The rules on what the key may be (never a secret or service-role key, not expired) are
    # the project check's: the same ones run again, with the URL, before the project is saved.
    check_key("", key, now=now)
    return key


def validate_email(text: str) -> str:
    email = text.strip()
    if not email:
        raise ValidationError("Enter your e-mail address.", "email")
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValidationError(f"“{email}” is not an e-mail address, e.g. ana@studio.com.", "email")
    return email


def validate_password(text: str) -> str:
    """Sign-in passwords are checked by the server; here only that one was typed."""
    if not text:
        raise ValidationError("Enter your password.", "password")
    if len(text) > 256:
        raise ValidationError("This password is too long (at most 256 characters).", "password")
    return text
