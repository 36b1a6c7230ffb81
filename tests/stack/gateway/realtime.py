"""Supabase Realtime's websocket, the part supabase-py's Realtime client speaks.

``GET /realtime/v1/websocket?apikey=<anon key>&vsn=1.0.0`` upgrades to a websocket carrying
Phoenix channel messages as JSON objects ``{"topic", "event", "payload", "ref", "join_ref"}``
(serializer 1.0.0). What the real server (supabase/realtime, ``RealtimeChannel``) answers, and so
what this one answers:

- ``heartbeat`` on topic ``phoenix`` -> ``phx_reply`` ``{"status": "ok", "response": {}}`` with
  the heartbeat's ref.
- ``phx_join`` on ``realtime:<sub topic>`` with ``{"config": {"broadcast", "presence",
  "private", "postgres_changes"}, "access_token"}`` -> ``phx_reply`` ok with
  ``{"postgres_changes": [...]}`` (each binding given an id), or ``phx_reply`` error with
  ``{"reason": "<Code>: <message>"}``: ``TopicNameRequired``, ``InvalidJWTToken`` ("Token has
  expired N seconds ago", "Fields `role` and `exp` are required in JWT"), ``MalformedJWT``,
  ``JwtSignatureError``, ``Unauthorized`` ("You do not have permissions to read from this
  Channel topic: <sub topic>"), ``RealtimeDisabledForTenant``.
- A private join is authorized the way Realtime does it, in Postgres as the caller: probe rows
  for ``broadcast`` and ``presence`` are inserted into ``realtime.messages``, then with
  ``role``, ``realtime.topic`` and ``request.jwt.claims`` set the probes are selected back (RLS
  decides) and the transaction is rolled back. The result is kept for the channel's life and
  recomputed on every ``access_token`` message, as the real server does.
- Broadcasts from the database (``realtime.send``) reach every channel joined on their topic with
  the same privacy whose broadcast read was authorized, as ``{"event": "broadcast", "payload":
  {"event", "payload", "type": "broadcast", "meta": {"id"}}, "ref": null}``. The real server
  reads them from a replication slot; here NOTIFY at commit (a trigger that only the test base
  SQL adds) says which row to read.
- ``access_token`` with a new token: checked again; an expired/invalid one or lost permission
  shuts the channel: a ``system`` push ``{"extension": "system", "status": "error", "message",
  "channel"}`` then ``phx_close``. Without a new token, the channel is also shut when the one it
  joined with expires (the real server re-checks at min(5 min, time left)).
- ``phx_leave`` -> ``phx_reply`` ok ``{}`` then ``phx_close``.
- ``postgres_changes`` bindings are accepted at join but no table is in the ``supabase_realtime``
  publication, so each gets the ``system`` error the real server pushes in that case.

Faults (``gateway.realtime``): :meth:`RealtimeService.drop_sockets` (abort every socket, as a
network cut), :meth:`RealtimeService.crash_channels` (``phx_error`` on every joined channel, as
when a channel process dies), ``stall_heartbeats`` (heartbeats are read but never answered,
the socket stays open: a stuck server), ``disabled`` (every join answers
``RealtimeDisabledForTenant``).
Counters: :attr:`RealtimeService.deliveries` (who received which broadcast), ``frames_in`` /
``frames_out``, and :meth:`RealtimeService.socket_count`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psycopg
from aiohttp import WSMsgType, web
from psycopg_pool import AsyncConnectionPool

from . import keys
from .db import API_ROLES

if TYPE_CHECKING:
    from .server import Gateway

CHANNEL = "test_stack_realtime_messages"
CONFIRM_TOKEN_INTERVAL = 300.0  # Realtime's @confirm_token_ms_interval


@dataclass(frozen=True)
class Delivery:
    topic: str  # the sub topic, e.g. "sync:<uuid>"
    subscriber: str  # the joined token's sub, or its role when it has none (anon)
    event: str
    payload: dict[str, Any]


class TokenProblem(Exception):  # noqa: N818 (named as Realtime names the cases)
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def reason(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(eq=False)
class Channel:
    socket: Socket
    topic: str  # "realtime:<sub>"
    sub_topic: str
    join_ref: str | None
    private: bool
    token: str
    claims: dict[str, Any]
    broadcast_read: bool = False
    presence_read: bool = False
    confirm: asyncio.TimerHandle | None = None

    @property
    def subscriber(self) -> str:
        return str(self.claims.get("sub") or self.claims.get("role") or "?")


@dataclass(eq=False)
class Socket:
    ws: web.WebSocketResponse
    request: web.Request
    apikey: str
    channels: dict[str, Channel] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class RealtimeService:
    def __init__(self, gateway: Gateway) -> None:
        self.gw = gateway
        self.stall_heartbeats = False
        self.disabled = False
        self.deliveries: list[Delivery] = []
        self.frames_in = 0
        self.frames_out = 0
        self.joins = 0
        self._sockets: set[Socket] = set()
        self._pool: AsyncConnectionPool | None = None
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    # ------------------------------------------------------------ lifecycle (gateway loop)
    def routes(self) -> list[web.RouteDef]:
        return [web.get("/realtime/v1/websocket", self.websocket)]

    async def start(self) -> None:
        if self._pool is None:
            self._pool = AsyncConnectionPool(
                self.gw.config.dsn,
                min_size=1,
                max_size=4,
                kwargs={"autocommit": True},
                open=False,
                name="gateway-realtime",
            )
            await self._pool.open(wait=True, timeout=15)
        self._listening = asyncio.Event()
        self._listener = asyncio.get_running_loop().create_task(
            self._listen(), name="gateway-realtime-listener"
        )
        await asyncio.wait_for(self._listening.wait(), 15)

    async def stop(self) -> None:
        """Server going away: every socket is cut (no close frame, like a crash or a restart
        behind a load balancer) and the database listener stops."""
        await self._abort_all()
        task, self._listener = self._listener, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def close(self) -> None:
        await self.stop()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def reset(self) -> None:
        self.stall_heartbeats = False
        self.disabled = False
        self.deliveries.clear()
        self.frames_in = 0
        self.frames_out = 0
        self.joins = 0

    # ------------------------------------------------------------ test controls (any thread)
    def drop_sockets(self) -> int:
        """Abort every open socket now (TCP reset, no close frame); returns how many."""
        return self.gw.call(self._abort_all())

    def crash_channels(self) -> int:
        """Every joined channel's process "crashes": Phoenix sends ``phx_error`` (ref = the
        join ref) and the channel is gone; the socket stays open. Returns how many."""
        return self.gw.call(self._crash_all())

    async def _crash_all(self) -> int:
        crashed = 0
        for sock in list(self._sockets):
            for channel in list(sock.channels.values()):
                self._forget(sock, channel)
                await self._send(
                    sock,
                    {
                        "topic": channel.topic,
                        "event": "phx_error",
                        "payload": {},
                        "ref": channel.join_ref,
                    },
                )
                crashed += 1
        return crashed

    def socket_count(self) -> int:
        return len(self._sockets)

    def joined(self, sub_topic: str) -> int:
        """How many channels are joined on ``sub_topic`` right now."""
        return sum(
            1 for s in list(self._sockets) for c in s.channels.values() if c.sub_topic == sub_topic
        )

    async def _abort_all(self) -> int:
        sockets = list(self._sockets)
        for sock in sockets:
            for channel in sock.channels.values():
                if channel.confirm is not None:
                    channel.confirm.cancel()
            sock.channels.clear()
            transport = sock.request.transport
            if transport is not None:
                transport.abort()
        self._sockets.clear()
        return len(sockets)

    # ------------------------------------------------------------ feed from Postgres
    async def _listen(self) -> None:
        conn = await psycopg.AsyncConnection.connect(self.gw.config.dsn, autocommit=True)
        try:
            await conn.execute(f"LISTEN {CHANNEL}")
            self._listening.set()
            async for note in conn.notifies():
                message_id = note.payload.split(" ", 1)[0]
                try:
                    await self._deliver_message(message_id)
                except Exception:  # a bug here must be visible, not kill the feed
                    import traceback

                    from .server import InternalError

                    self.gw.internal_errors.append(
                        InternalError("NOTIFY", CHANNEL, traceback.format_exc())
                    )
        finally:
            await conn.close()

    async def _deliver_message(self, message_id: str) -> None:
        assert self._pool is not None
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT topic, event, payload, private FROM realtime.messages WHERE id = %s",
                (message_id,),
            )
            row = await cur.fetchone()
        if row is None or row[2] is None:
            return
        topic, event, payload, private = row
        for sock in list(self._sockets):
            for channel in list(sock.channels.values()):
                if channel.sub_topic != topic or channel.private != bool(private):
                    continue
                if channel.private and not channel.broadcast_read:
                    continue  # "Broadcast message ignored"
                self.deliveries.append(Delivery(topic, channel.subscriber, event, payload))
                await self._push(
                    sock,
                    channel.topic,
                    "broadcast",
                    {
                        "event": event,
                        "payload": payload,
                        "type": "broadcast",
                        "meta": {"id": message_id},
                    },
                )

    # ------------------------------------------------------------ the socket
    async def websocket(self, request: web.Request) -> web.StreamResponse:
        apikey = request.query.get("apikey") or request.headers.get("apikey") or ""
        try:
            claims = keys.verify(apikey, self.gw.config.jwt_secret)
        except keys.JwtError:
            return web.Response(status=403, text="Forbidden")
        if claims.get("role") not in ("anon", "service_role", "authenticated"):
            return web.Response(status=403, text="Forbidden")
        if request.query.get("vsn", "1.0.0") != "1.0.0":
            return web.Response(status=403, text="Forbidden")
        ws = web.WebSocketResponse(autoping=True, heartbeat=None)
        await ws.prepare(request)
        sock = Socket(ws, request, apikey)
        self._sockets.add(sock)
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                self.frames_in += 1
                try:
                    data = json.loads(msg.data)
                    if not isinstance(data, dict):
                        raise ValueError("not an object")
                except ValueError:
                    continue  # Phoenix drops what it cannot decode
                await self._on_message(sock, data)
        finally:
            self._sockets.discard(sock)
            for channel in sock.channels.values():
                if channel.confirm is not None:
                    channel.confirm.cancel()
        return ws

    async def _send(self, sock: Socket, message: dict[str, Any]) -> None:
        if sock.ws.closed:
            return
        async with sock.lock:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await sock.ws.send_str(json.dumps(message, separators=(",", ":")))
                self.frames_out += 1

    async def _reply(
        self, sock: Socket, topic: str, ref: Any, status: str, response: dict[str, Any]
    ) -> None:
        await self._send(
            sock,
            {
                "topic": topic,
                "event": "phx_reply",
                "payload": {"status": status, "response": response},
                "ref": ref,
            },
        )

    async def _push(self, sock: Socket, topic: str, event: str, payload: dict[str, Any]) -> None:
        await self._send(sock, {"topic": topic, "event": event, "payload": payload, "ref": None})

    async def _on_message(self, sock: Socket, data: dict[str, Any]) -> None:
        topic = str(data.get("topic") or "")
        event = str(data.get("event") or "")
        payload = data.get("payload") if isinstance(data.get("payload"), dict) else {}
        ref = data.get("ref")
        if topic == "phoenix" and event == "heartbeat":
            if not self.stall_heartbeats:
                await self._reply(sock, "phoenix", ref, "ok", {})
            return
        if event == "phx_join":
            await self._join(sock, topic, payload, ref, data.get("join_ref") or ref)
            return
        channel = sock.channels.get(topic)
        if channel is None:
            # Phoenix answers a push to a channel this socket has not joined with phx_close.
            if event != "phx_leave":
                await self._send(
                    sock, {"topic": topic, "event": "phx_close", "payload": {}, "ref": ref}
                )
            else:
                await self._reply(sock, topic, ref, "ok", {})
            return
        if event == "phx_leave":
            self._forget(sock, channel)
            await self._reply(sock, topic, ref, "ok", {})
            await self._send(
                sock, {"topic": topic, "event": "phx_close", "payload": {}, "ref": channel.join_ref}
            )
        elif event == "access_token":
            await self._access_token(sock, channel, payload)
        # broadcast/presence from clients: no insert policy on sync topics, so Realtime drops
        # them without a reply (ack is off); anything else is ignored, as Realtime does.

    def _forget(self, sock: Socket, channel: Channel) -> None:
        if channel.confirm is not None:
            channel.confirm.cancel()
        if sock.channels.get(channel.topic) is channel:
            del sock.channels[channel.topic]

    # ------------------------------------------------------------ tokens and policies
    def _check_token(self, token: str) -> dict[str, Any]:
        try:
            claims = keys.verify(token, self.gw.config.jwt_secret, leeway=0)
        except keys.JwtError as exc:
            if exc.kind == "expired":
                claims = keys.verify(
                    token, self.gw.config.jwt_secret, leeway=10**9
                )  # read exp for the message
                ago = max(0, keys.now() - int(claims.get("exp", 0)))
                raise TokenProblem(
                    "InvalidJWTToken", f"Token has expired {ago} seconds ago"
                ) from exc
            if exc.kind == "signature":
                raise TokenProblem("JwtSignatureError", "Failed to validate JWT signature") from exc
            raise TokenProblem("MalformedJWT", "The token provided is not a valid JWT") from exc
        if not isinstance(claims.get("exp"), int) or not claims.get("role"):
            raise TokenProblem("InvalidJWTToken", "Fields `role` and `exp` are required in JWT")
        if int(claims["exp"]) - keys.now() <= 0:
            raise TokenProblem("InvalidJWTToken", "Token expiration time is invalid")
        return claims

    async def _read_policies(self, sub_topic: str, claims: dict[str, Any]) -> tuple[bool, bool]:
        role = str(claims.get("role"))
        if role not in API_ROLES:
            return False, False
        assert self._pool is not None
        probes = {"broadcast": str(uuid.uuid4()), "presence": str(uuid.uuid4())}
        async with self._pool.connection() as conn:
            try:
                async with conn.transaction(force_rollback=True):
                    for ext, probe in probes.items():
                        await conn.execute(
                            "INSERT INTO realtime.messages (id, topic, extension)"
                            " VALUES (%s, %s, %s)",
                            (probe, sub_topic, ext),
                        )
                    await conn.execute(
                        "SELECT set_config('role', %s, true),"
                        " set_config('realtime.topic', %s, true),"
                        " set_config('request.jwt.claims', %s, true),"
                        " set_config('request.jwt.claim.sub', %s, true),"
                        " set_config('request.jwt.claim.role', %s, true),"
                        " set_config('request.headers', %s, true)",
                        (
                            role,
                            sub_topic,
                            json.dumps(claims),
                            str(claims.get("sub") or ""),
                            role,
                            "{}",
                        ),
                    )
                    cur = await conn.execute(
                        "SELECT id::text FROM realtime.messages WHERE id = ANY(%s::uuid[])",
                        (list(probes.values()),),
                    )
                    seen = {r[0] for r in await cur.fetchall()}
            except psycopg.Error:
                return False, False  # RlsPolicyError -> Unauthorized
        return probes["broadcast"] in seen, probes["presence"] in seen

    def _schedule_confirm(self, sock: Socket, channel: Channel) -> None:
        if channel.confirm is not None:
            channel.confirm.cancel()
        left = max(0.0, float(channel.claims["exp"]) - time.time())
        delay = min(CONFIRM_TOKEN_INTERVAL, left)
        loop = asyncio.get_running_loop()
        channel.confirm = loop.call_later(
            delay, lambda: loop.create_task(self._confirm_token(sock, channel))
        )

    async def _confirm_token(self, sock: Socket, channel: Channel) -> None:
        if sock.channels.get(channel.topic) is not channel:
            return
        try:
            channel.claims = self._check_token(channel.token)
        except TokenProblem as problem:
            await self._shutdown(sock, channel, problem.message)
            return
        self._schedule_confirm(sock, channel)

    async def _shutdown(self, sock: Socket, channel: Channel, message: str) -> None:
        """``shutdown_response``: a system error push, then the channel stops (phx_close)."""
        self._forget(sock, channel)
        await self._push(
            sock,
            channel.topic,
            "system",
            {
                "extension": "system",
                "status": "error",
                "message": message,
                "channel": channel.sub_topic,
            },
        )
        await self._send(
            sock,
            {"topic": channel.topic, "event": "phx_close", "payload": {}, "ref": channel.join_ref},
        )

    # ------------------------------------------------------------ join and token refresh
    async def _join(
        self, sock: Socket, topic: str, payload: dict[str, Any], ref: Any, join_ref: Any
    ) -> None:
        self.joins += 1

        async def refuse(reason: str) -> None:
            await self._reply(sock, topic, ref, "error", {"reason": reason})

        if not topic.startswith("realtime:"):
            await refuse("UnknownErrorOnChannel: unknown topic")
            return
        sub_topic = topic[len("realtime:") :]
        if not sub_topic:
            await refuse("TopicNameRequired: You must provide a topic name")
            return
        if self.disabled:
            await refuse("RealtimeDisabledForTenant: Realtime disabled for this tenant")
            return
        config = payload.get("config") if isinstance(payload.get("config"), dict) else {}
        private = bool(config.get("private", False))
        token = payload.get("access_token") or payload.get("user_token") or sock.apikey
        if not isinstance(token, str) or token.startswith("sb_"):
            token = sock.apikey
        try:
            claims = self._check_token(token)
        except TokenProblem as problem:
            await refuse(problem.reason)
            return
        channel = Channel(
            sock, topic, sub_topic, str(join_ref) if join_ref else None, private, token, claims
        )
        if private:
            channel.broadcast_read, channel.presence_read = await self._read_policies(
                sub_topic, claims
            )
            if not (channel.broadcast_read or channel.presence_read):
                await refuse(
                    "Unauthorized: You do not have permissions to read from this Channel "
                    f"topic: {sub_topic}"
                )
                return
        old = sock.channels.get(topic)
        if old is not None:  # Phoenix closes a duplicate join's predecessor
            self._forget(sock, old)
            await self._send(
                sock, {"topic": topic, "event": "phx_close", "payload": {}, "ref": old.join_ref}
            )
        sock.channels[topic] = channel
        self._schedule_confirm(sock, channel)
        bindings = config.get("postgres_changes") or []
        answered = []
        for binding in bindings if isinstance(bindings, list) else []:
            if isinstance(binding, dict):
                answered.append({**binding, "id": uuid.uuid4().int % 100_000_000})
        await self._reply(sock, topic, ref, "ok", {"postgres_changes": answered})
        for binding in answered:
            await self._push(
                sock,
                topic,
                "system",
                {
                    "extension": "postgres_changes",
                    "status": "error",
                    "message": "Unable to subscribe to changes with given parameters. Please "
                    "check Realtime is enabled for the given connect parameters: [schema: "
                    f"{binding.get('schema')}, table: {binding.get('table')}, filters: []]",
                    "channel": sub_topic,
                },
            )

    async def _access_token(self, sock: Socket, channel: Channel, payload: dict[str, Any]) -> None:
        token = payload.get("access_token")
        if not isinstance(token, str) or token.startswith("sb_") or token == channel.token:
            return
        had_read = channel.broadcast_read or channel.presence_read
        channel.token = token
        try:
            claims = self._check_token(token)
        except TokenProblem as problem:
            await self._shutdown(sock, channel, problem.message)
            return
        channel.claims = claims
        if channel.private:
            channel.broadcast_read, channel.presence_read = await self._read_policies(
                channel.sub_topic, claims
            )
            if not (channel.broadcast_read or channel.presence_read):
                message = (
                    f"You no longer have permission to read from this Channel topic: "
                    f"{channel.sub_topic}"
                    if had_read
                    else "You do not have permissions to read from this Channel topic: "
                    f"{channel.sub_topic}"
                )
                await self._shutdown(sock, channel, message)
                return
        self._schedule_confirm(sock, channel)
