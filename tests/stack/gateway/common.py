"""What every service of the gateway shares: API-key and bearer-token checks, JSON answers,
reading a request body under a size limit."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from . import keys
from .db import API_ROLES, Caller
from .errors import GatewayError


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None, *, raw: str | None = None
) -> web.Response:
    text = raw if raw is not None else json.dumps(body, separators=(",", ":"))
    return web.Response(
        text=text, status=status, content_type="application/json", charset="utf-8", headers=headers
    )


def check_api_key(request: web.Request, secret: str) -> None:
    """What Supabase's API gateway (Kong) checks before any service sees the request."""
    apikey = request.headers.get("apikey") or request.query.get("apikey")
    if not apikey:
        raise GatewayError(
            401,
            {
                "message": "No API key found in request",
                "hint": "No `apikey` request header or url param was found.",
            },
        )
    try:
        claims = keys.verify(apikey, secret)
    except keys.JwtError as exc:
        raise GatewayError(
            401,
            {
                "message": "Invalid API key",
                "hint": "Double check your Supabase `anon` or `service_role` API key.",
            },
        ) from exc
    if claims.get("role") not in ("anon", "service_role"):
        raise GatewayError(
            401,
            {
                "message": "Invalid API key",
                "hint": "Double check your Supabase `anon` or `service_role` API key.",
            },
        )


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return ""
    return token.strip()


def caller_from_token(
    token: str,
    secret: str,
    on_problem: Callable[[keys.JwtError], GatewayError],
    *,
    leeway: float = 0.0,
) -> Caller:
    """Verify ``token`` and turn it into a :class:`Caller`; ``on_problem`` shapes the error the
    way the asking service would; ``leeway``: seconds past ``exp`` still accepted."""
    try:
        claims = keys.verify(token, secret, leeway=leeway)
    except keys.JwtError as exc:
        raise on_problem(exc) from exc
    role = claims.get("role")
    if not isinstance(role, str) or not role:
        role = "anon"
    if role not in API_ROLES:
        raise on_problem(keys.JwtError("claims", f'role "{role}" is not allowed'))
    return Caller(role, claims)


#: Past this many bytes an oversized body is no longer drained before the error is sent.
DRAIN_CAP = 64 * 1024 * 1024


async def read_body(
    request: web.Request, limit: int, too_large: Callable[[int], GatewayError]
) -> bytes:
    """The whole request body, refusing more than ``limit`` bytes.

    An oversized body is still read to its end (up to :data:`DRAIN_CAP`) and dropped, so the
    client has finished sending when the 413 arrives and sees the answer, not a reset socket.
    """
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        total += len(chunk)
        if total <= limit:
            chunks.append(chunk)
        elif total > DRAIN_CAP:
            break
    if total > limit:
        raise too_large(total)
    return b"".join(chunks)
