"""The gateway's JWT secret and API keys, shaped like a Supabase project's.

``ANON_KEY`` and ``SERVICE_ROLE_KEY`` are HS256 JWTs signed with :data:`JWT_SECRET` carrying
``role: anon`` / ``role: service_role``, exactly like the keys ``supabase start`` prints (same
secret, same claims), so code that decodes them sees what it would see against real Supabase.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
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
            # exp/nbf/iat against the gateway's clock (which a test may shift), below
            options={
                "verify_aud": False,
                "require": [],
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
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
    exp = claims.get("exp")
    if exp is not None:
        if not isinstance(exp, int | float) or isinstance(exp, bool):
            raise JwtError("claims", "The JWT 'exp' claim must be a number")
        # With a leeway, PostgREST's rule (whole seconds: expired once now - leeway > exp);
        # without, expired from exp on.
        if (exp < int(clock()) - leeway) if leeway else (exp <= clock()):
            raise JwtError("expired", "JWT expired")
    nbf = claims.get("nbf")
    if isinstance(nbf, int | float) and nbf > int(clock()) + leeway:
        raise JwtError("claims", "JWT not yet valid")
    return claims


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jose_problem(token: str, secret: str = JWT_SECRET) -> str | None:
    """What Storage's verifier (the ``jose`` library: ``jwtVerify`` with HS256 and no clock
    tolerance) says of ``token``, word for word, or ``None`` when it accepts it. The checks run
    in jose's order: compact form, protected header, algorithm, signature, claims set, ``nbf``,
    ``exp`` (expired when ``exp <= now``)."""
    parts = token.split(".")
    if len(parts) != 3:
        return "Invalid Compact JWS"
    try:
        header = json.loads(_b64url(parts[0]))
    except (ValueError, UnicodeDecodeError):
        return "JWS Protected Header is invalid"
    if not isinstance(header, dict):
        return "JWS Protected Header is invalid"
    alg = header.get("alg")
    if not isinstance(alg, str) or not alg:
        return 'JWS "alg" (Algorithm) Header Parameter missing or invalid'
    if alg != ALGORITHM:
        return '"alg" (Algorithm) Header Parameter value not allowed'
    try:
        signature = _b64url(parts[2])
    except ValueError:
        return "Failed to base64url decode the signature"
    expected = hmac.new(secret.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256)
    if not hmac.compare_digest(signature, expected.digest()):
        return "signature verification failed"
    try:
        claims = json.loads(_b64url(parts[1]))
    except (ValueError, UnicodeDecodeError):
        claims = None
    if not isinstance(claims, dict):
        return "JWT Claims Set must be a top-level JSON object"
    now_ = int(clock())
    for name in ("iat", "nbf", "exp"):
        value = claims.get(name)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            return f'"{name}" claim must be a number'
    nbf = claims.get("nbf")
    if nbf is not None and nbf > now_:
        return '"nbf" claim timestamp check failed'
    exp = claims.get("exp")
    if exp is not None and exp <= now_:
        return '"exp" claim timestamp check failed'
    return None


#: Seconds the gateway's clock is ahead of this machine's (a test sets it through
#: ``Gateway.set_clock_offset`` to play a server whose clock differs from the client's).
clock_offset = 0.0


def clock() -> float:
    """The gateway's "now" (epoch seconds): tokens' ``iat``/``exp``, their checks, ``Date``."""
    return time.time() + clock_offset


def now() -> int:
    return int(clock())
