"""Contract tests of the gateway's Realtime websocket: one per behaviour the real server has
(supabase/realtime ``RealtimeChannel``), spoken with raw frames where the exact answer matters
and through supabase-py's own ``AsyncRealtimeClient`` where the client's reading of it matters."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
import websockets
from realtime import AsyncRealtimeClient

from tests.stack.gateway import ANON_KEY, Gateway
from tests.stack.gateway import keys as gw_keys
from tests.stack.gateway_fixtures import GatewayUser, run

pytestmark = [pytest.mark.pg, pytest.mark.gateway]


def ws_url(gateway: Gateway, apikey: str = ANON_KEY) -> str:
    return f"ws://127.0.0.1:{gateway.port}/realtime/v1/websocket?apikey={apikey}&vsn=1.0.0"


def join_frame(
    topic: str,
    token: str | None,
    *,
    private: bool = True,
    ref: str = "1",
    postgres_changes: list[dict[str, Any]] | None = None,
) -> str:
    payload: dict[str, Any] = {
        "config": {
            "broadcast": {"ack": False, "self": False},
            "presence": {"key": "", "enabled": False},
            "private": private,
            "postgres_changes": postgres_changes or [],
        }
    }
    if token is not None:
        payload["access_token"] = token
    return json.dumps(
        {
            "topic": f"realtime:{topic}",
            "event": "phx_join",
            "payload": payload,
            "ref": ref,
            "join_ref": ref,
        }
    )


async def recv(ws: Any, timeout: float = 5.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


def token_for(gateway: Gateway, user: GatewayUser, ttl: int | None = None) -> str:
    return str(gateway.mint_session(user.id, ttl=ttl)["access_token"])


def write_profile(dsn: str, user_id: str, count: int = 1) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO public.profiles (user_id, name)"
            " SELECT %s, 'p' || g FROM generate_series(1, %s) g",
            (user_id, count),
        )


def test_heartbeat_is_answered_with_its_ref(gateway: Gateway) -> None:
    async def go() -> dict[str, Any]:
        async with websockets.connect(ws_url(gateway)) as ws:
            await ws.send(
                json.dumps({"topic": "phoenix", "event": "heartbeat", "payload": {}, "ref": "7"})
            )
            return await recv(ws)

    assert run(go()) == {
        "topic": "phoenix",
        "event": "phx_reply",
        "payload": {"status": "ok", "response": {}},
        "ref": "7",
    }


def test_a_bad_apikey_is_refused_at_the_upgrade(gateway: Gateway) -> None:
    async def go() -> int:
        with pytest.raises(websockets.exceptions.InvalidStatus) as info:
            async with websockets.connect(ws_url(gateway, "not-a-key")):
                pass
        return info.value.response.status_code

    assert run(go()) == 403


def test_join_own_private_topic_and_receive_the_hint(
    gateway: Gateway, make_user: Callable[..., GatewayUser], gateway_db: str
) -> None:
    user = make_user()
    token = token_for(gateway, user)

    async def go() -> tuple[dict[str, Any], dict[str, Any]]:
        async with websockets.connect(ws_url(gateway)) as ws:
            await ws.send(join_frame(f"sync:{user.id}", token))
            reply = await recv(ws)
            await asyncio.get_running_loop().run_in_executor(
                None, write_profile, gateway_db, user.id, 3
            )
            return reply, await recv(ws)

    reply, event = run(go())
    assert reply == {
        "topic": f"realtime:sync:{user.id}",
        "event": "phx_reply",
        "payload": {"status": "ok", "response": {"postgres_changes": []}},
        "ref": "1",
    }
    assert event["event"] == "broadcast" and event["ref"] is None
    assert event["topic"] == f"realtime:sync:{user.id}"
    body = event["payload"]
    assert body["type"] == "broadcast" and body["event"] == "changes"
    assert set(body["payload"]) == {"xid", "id"} and body["meta"] == {"id": body["payload"]["id"]}


@pytest.mark.parametrize("who", ["other user", "anon"])
def test_someone_else_cannot_join_a_users_topic(
    who: str, gateway: Gateway, make_user: Callable[..., GatewayUser]
) -> None:
    owner, other = make_user(), make_user()
    token = token_for(gateway, other) if who == "other user" else None

    async def go() -> dict[str, Any]:
        async with websockets.connect(ws_url(gateway)) as ws:
            await ws.send(join_frame(f"sync:{owner.id}", token))
            return await recv(ws)

    assert run(go()) == {
        "topic": f"realtime:sync:{owner.id}",
        "event": "phx_reply",
        "payload": {
            "status": "error",
            "response": {
                "reason": "Unauthorized: You do not have permissions to read from this Channel "
                f"topic: sync:{owner.id}"
            },
        },
        "ref": "1",
    }


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("expired", "InvalidJWTToken: Token has expired"),
        ("garbage", "MalformedJWT: The token provided is not a valid JWT"),
        ("wrong-secret", "JwtSignatureError: Failed to validate JWT signature"),
        ("no-exp", "InvalidJWTToken: Fields `role` and `exp` are required in JWT"),
    ],
)
def test_join_with_a_bad_token_is_refused_with_realtimes_reason(
    token: str, reason: str, gateway: Gateway, make_user: Callable[..., GatewayUser]
) -> None:
    user = make_user()
    value = {
        "expired": lambda: token_for(gateway, user, ttl=-30),
        "garbage": lambda: "abc.def",
        "wrong-secret": lambda: gw_keys.sign(
            {"sub": user.id, "role": "authenticated", "exp": int(time.time()) + 60}, "x" * 40
        ),
        "no-exp": lambda: gw_keys.sign({"sub": user.id, "role": "authenticated"}),
    }[token]()

    async def go() -> dict[str, Any]:
        async with websockets.connect(ws_url(gateway)) as ws:
            await ws.send(join_frame(f"sync:{user.id}", value))
            return await recv(ws)

    answer = run(go())
    assert answer["payload"]["status"] == "error"
    assert answer["payload"]["response"]["reason"].startswith(reason)
    if token == "expired":
        seconds = int(answer["payload"]["response"]["reason"].split()[-3])
        assert 29 <= seconds <= 40


def test_empty_topic_and_disabled_realtime(
    gateway: Gateway, make_user: Callable[..., GatewayUser]
) -> None:
    user = make_user()
    token = token_for(gateway, user)

    async def go() -> tuple[dict[str, Any], dict[str, Any]]:
        async with websockets.connect(ws_url(gateway)) as ws:
            await ws.send(join_frame("", token))
            empty = await recv(ws)
            gateway.realtime.disabled = True
            await ws.send(join_frame(f"sync:{user.id}", token, ref="2"))
            return empty, await recv(ws)

    empty, disabled = run(go())
    assert empty["payload"]["response"] == {
        "reason": "TopicNameRequired: You must provide a topic name"
    }
    assert disabled["payload"]["response"] == {
        "reason": "RealtimeDisabledForTenant: Realtime disabled for this tenant"
    }


def test_a_refreshed_token_keeps_the_channel_an_expired_one_closes_it(
    gateway: Gateway, make_user: Callable[..., GatewayUser], gateway_db: str
) -> None:
    user = make_user()
    topic = f"realtime:sync:{user.id}"

    async def go() -> list[dict[str, Any]]:
        async with websockets.connect(ws_url(gateway)) as ws:
            await ws.send(join_frame(f"sync:{user.id}", token_for(gateway, user)))
            assert (await recv(ws))["payload"]["status"] == "ok"
            fresh = token_for(gateway, user)
            await ws.send(
                json.dumps(
                    {
                        "topic": topic,
                        "event": "access_token",
                        "payload": {"access_token": fresh},
                        "ref": "2",
                    }
                )
            )
            await asyncio.get_running_loop().run_in_executor(
                None, write_profile, gateway_db, user.id, 1
            )
            got = [await recv(ws)]  # still subscribed: the hint arrives
            await ws.send(
                json.dumps(
                    {
                        "topic": topic,
                        "event": "access_token",
                        "payload": {"access_token": token_for(gateway, user, -5)},
                        "ref": "3",
                    }
                )
            )
            got.append(await recv(ws))
            got.append(await recv(ws))
            return got

    hint, system, close = run(go())
    assert hint["event"] == "broadcast"
    assert system["event"] == "system" and system["ref"] is None
    assert system["payload"]["status"] == "error"
    assert system["payload"]["extension"] == "system"
    assert system["payload"]["channel"] == f"sync:{user.id}"
    assert system["payload"]["message"].startswith("Token has expired")
    assert close == {"topic": topic, "event": "phx_close", "payload": {}, "ref": "1"}
    assert gateway.realtime.joined(f"sync:{user.id}") == 0


def test_the_channel_closes_when_its_token_expires(
    gateway: Gateway, make_user: Callable[..., GatewayUser]
) -> None:
    user = make_user()

    async def go() -> list[dict[str, Any]]:
        async with websockets.connect(ws_url(gateway)) as ws:
            await ws.send(join_frame(f"sync:{user.id}", token_for(gateway, user, ttl=2)))
            assert (await recv(ws))["payload"]["status"] == "ok"
            return [await recv(ws, 6), await recv(ws)]

    system, close = run(go())
    assert system["event"] == "system"
    assert system["payload"]["message"].startswith("Token has expired")
    assert close["event"] == "phx_close"


def test_leave_replies_ok_then_closes(
    gateway: Gateway, make_user: Callable[..., GatewayUser]
) -> None:
    user = make_user()
    topic = f"realtime:sync:{user.id}"

    async def go() -> list[dict[str, Any]]:
        async with websockets.connect(ws_url(gateway)) as ws:
            await ws.send(join_frame(f"sync:{user.id}", token_for(gateway, user)))
            await recv(ws)
            await ws.send(
                json.dumps({"topic": topic, "event": "phx_leave", "payload": {}, "ref": "2"})
            )
            return [await recv(ws), await recv(ws)]

    reply, close = run(go())
    assert reply == {
        "topic": topic,
        "event": "phx_reply",
        "payload": {"status": "ok", "response": {}},
        "ref": "2",
    }
    assert close == {"topic": topic, "event": "phx_close", "payload": {}, "ref": "1"}


def test_postgres_changes_bindings_get_the_not_in_publication_error(
    gateway: Gateway, make_user: Callable[..., GatewayUser]
) -> None:
    user = make_user()

    async def go() -> list[dict[str, Any]]:
        async with websockets.connect(ws_url(gateway)) as ws:
            await ws.send(
                join_frame(
                    f"sync:{user.id}",
                    token_for(gateway, user),
                    postgres_changes=[{"event": "*", "schema": "sync", "table": "changes"}],
                )
            )
            return [await recv(ws), await recv(ws)]

    reply, system = run(go())
    bindings = reply["payload"]["response"]["postgres_changes"]
    assert len(bindings) == 1 and isinstance(bindings[0]["id"], int)
    assert system["event"] == "system"
    assert system["payload"]["extension"] == "postgres_changes"
    assert system["payload"]["status"] == "error"


def test_stalled_heartbeats_get_no_reply_but_the_socket_stays_open(gateway: Gateway) -> None:
    gateway.realtime.stall_heartbeats = True

    async def go() -> bool:
        async with websockets.connect(ws_url(gateway)) as ws:
            await ws.send(
                json.dumps({"topic": "phoenix", "event": "heartbeat", "payload": {}, "ref": "1"})
            )
            with pytest.raises(TimeoutError):
                await recv(ws, 1.0)
            await ws.ping()  # the transport still answers: only the server is stuck
            return True

    assert run(go())


def test_dropped_sockets_and_a_restart_cut_the_connection(gateway: Gateway) -> None:
    async def go() -> None:
        async with websockets.connect(ws_url(gateway)) as ws:
            await asyncio.sleep(0.1)
            assert (
                await asyncio.get_running_loop().run_in_executor(
                    None, gateway.realtime.drop_sockets
                )
                == 1
            )
            with pytest.raises(websockets.exceptions.ConnectionClosedError):
                await recv(ws)
        async with websockets.connect(ws_url(gateway)) as ws:
            await asyncio.sleep(0.1)
            await asyncio.get_running_loop().run_in_executor(None, gateway.stop)
            with pytest.raises(websockets.exceptions.ConnectionClosedError):
                await recv(ws)
        await asyncio.get_running_loop().run_in_executor(None, gateway.start)
        async with websockets.connect(ws_url(gateway)) as ws:  # serves again
            await ws.send(
                json.dumps({"topic": "phoenix", "event": "heartbeat", "payload": {}, "ref": "9"})
            )
            assert (await recv(ws))["ref"] == "9"

    run(go())


def test_supabase_py_realtime_client_subscribes_and_receives(
    gateway: Gateway, make_user: Callable[..., GatewayUser], gateway_db: str
) -> None:
    """The real client: private channel, SUBSCRIBED, the hint as a broadcast callback; a
    third user and anon get CHANNEL_ERROR and no event; the gateway counts deliveries."""
    owner, third = make_user(), make_user()

    async def go() -> tuple[list[Any], list[tuple[str, str]]]:
        received: list[Any] = []
        states: list[tuple[str, str]] = []
        clients = []
        for who, token in (
            ("owner", token_for(gateway, owner)),
            ("third", token_for(gateway, third)),
            ("anon", None),
        ):
            client = AsyncRealtimeClient(
                f"{gateway.url}/realtime/v1", ANON_KEY, auto_reconnect=False
            )
            await client.set_auth(token)
            await client.connect()
            channel = client.channel(f"sync:{owner.id}", {"config": {"private": True}})
            channel.on_broadcast("changes", lambda p, who=who: received.append((who, p)))
            await channel.subscribe(
                lambda state, err, who=who: states.append((who, f"{state.value}:{err}"))
            )
            clients.append(client)
        await asyncio.get_running_loop().run_in_executor(
            None, write_profile, gateway_db, owner.id, 5
        )
        deadline = time.monotonic() + 5
        while not received and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        for client in clients:
            await client.close()
        return received, states

    received, states = run(go())
    assert [who for who, _ in received] == ["owner"]
    assert received[0][1]["payload"]["xid"]
    assert ("owner", "SUBSCRIBED:None") in states
    assert any(
        s[0] == "third" and s[1].startswith("CHANNEL_ERROR") and "Unauthorized" in s[1]
        for s in states
    )
    assert any(s[0] == "anon" and s[1].startswith("CHANNEL_ERROR") for s in states)
    deliveries = [d for d in gateway.realtime.deliveries if d.topic == f"sync:{owner.id}"]
    assert [d.subscriber for d in deliveries] == [owner.id]


def test_a_crashed_channel_sends_phx_error_with_its_join_ref(
    gateway: Gateway, make_user: Callable[..., GatewayUser]
) -> None:
    user = make_user()
    topic = f"realtime:sync:{user.id}"

    async def go() -> dict[str, Any]:
        async with websockets.connect(ws_url(gateway)) as ws:
            await ws.send(join_frame(f"sync:{user.id}", token_for(gateway, user), ref="4"))
            await recv(ws)
            loop = asyncio.get_running_loop()
            assert await loop.run_in_executor(None, gateway.realtime.crash_channels) == 1
            return await recv(ws)

    assert run(go()) == {"topic": topic, "event": "phx_error", "payload": {}, "ref": "4"}
    assert gateway.realtime.joined(f"sync:{user.id}") == 0
