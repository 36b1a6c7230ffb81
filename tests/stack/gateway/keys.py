"""The gateway's JWT secret and API keys, shaped like a Supabase project's.

``ANON_KEY`` and ``SERVICE_ROLE_KEY`` are HS256 JWTs signed with :data:`JWT_SECRET` carrying
``role: anon`` / ``role: service_role``, exactly like the keys ``supabase start`` prints (same
secret, same claims), so code that decodes them sees what it would see against real Supabase.
"""

from __future__ import annotations

import time
from typing import Any

import jwt

#: The Supabase CLI's local development secret (at least 32 characters, HS256).
JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"
ALGORITHM = "HS256"
#: Far-future expiry the CLI's demo keys carry (2032-11-12).
_KEY_EXPIRY = 1983812996


def sign(claims: dict[str, Any], secret: str = JWT_SECRET) -> str:
    """An HS256 JWT over ``claims``."""
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


ANON_KEY = sign({"iss": "supabase-demo", "role": "anon", "exp": _KEY_EXPIRY})
SERVICE_ROLE_KEY = sign({"iss": "supabase-demo", "role": "service_role", "exp": _KEY_EXPIRY})


class JwtError(Exception):
    """A bearer token that cannot be trusted. ``kind`` is ``expired``, ``signature``,
    ``malformed`` or ``claims``; ``message`` says what is wrong in words."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def verify(token: str, secret: str = JWT_SECRET, *, leeway: float = 0.0) -> dict[str, Any]:
    """Check an HS256 token's shape, signature and ``exp``; return its claims.

    Raises :class:`JwtError`. ``alg: none`` and every algorithm but HS256 are refused, as
    PostgREST and GoTrue configured with a symmetric secret do.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise JwtError("malformed", f"Expected 3 parts in JWT; got {len(parts)}")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise JwtError("malformed", f"JWT could not be decoded: {exc}") from exc
    if header.get("alg") != ALGORITHM:
        raise JwtError("signature", "Wrong or unsupported encoding algorithm")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"verify_aud": False, "require": []},
            leeway=leeway,
        )
    except jwt.ExpiredSignatureError as exc:
        raise JwtError("expired", "JWT expired") from exc
    except jwt.InvalidSignatureError as exc:
        raise JwtError("signature", "JWT cryptographic operation failed") from exc
    except jwt.DecodeError as exc:
        raise JwtError("malformed", f"JWT could not be decoded: {exc}") from exc
    except jwt.PyJWTError as exc:
        raise JwtError("claims", f"JWT claims are invalid: {exc}") from exc
    if not isinstance(claims, dict):
        raise JwtError("claims", "JWT payload is not a JSON object")
    return claims


def now() -> int:
    return int(time.time())
