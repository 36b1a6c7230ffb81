"""Fault injection does what it says, and supabase-py sees what it would see on a bad network:
5xx answers, dropped connections (raw httpx transport errors), latency, a server that goes away
and comes back on the same port, and a gateway process killed with SIGKILL."""

from __future__ import annotations

import time
from typing import Any

import httpx
import psycopg
import pytest
from postgrest.exceptions import APIError
from storage3.exceptions import StorageApiError
from supabase_auth.errors import AuthRetryableError

from tests.stack.gateway import Gateway
from tests.stack.gateway_fixtures import GatewayUser

pytestmark = [pytest.mark.pg, pytest.mark.gateway]


def _outcomes(client: Any, n: int) -> list[str]:
    """``ok`` or the error code of ``n`` identical selects."""
    seen = []
    for _ in range(n):
        try:
            client.table("jobs").select("id").limit(1).execute()
            seen.append("ok")
        except APIError as exc:
            seen.append(str(exc.code))
    return seen


def test_fail_ratio_is_a_seeded_share_of_5xx(
    gateway: Gateway, make_client: Any, make_user: Any
) -> None:
    client = make_client(make_user())
    gateway.faults.fail_ratio(0.3, statuses=(500, 502, 503), paths="/rest/v1/")
    first = _outcomes(client, 60)
    failures = [o for o in first if o != "ok"]
    assert 8 <= len(failures) <= 30, first
    assert set(failures) <= {"500", "502", "503"}
    assert len(set(failures)) > 1
    assert [e.status for e in gateway.log.entries if e.fault == "fail"] == [
        int(f) for f in failures
    ]
    # The same seed and the same requests give the same faults.
    gateway.faults.reset()
    gateway.faults.fail_ratio(0.3, statuses=(500, 502, 503), paths="/rest/v1/")
    assert _outcomes(client, 60) == first
    # Auth was never touched by a /rest/v1/ fault.
    assert client.auth.refresh_session().session is not None


def test_a_failure_after_commit_keeps_the_write(
    gateway: Gateway, make_client: Any, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user: GatewayUser = make_user()
    client = make_client(user)
    gateway.faults.fail_next(1, status=502, paths="/rest/v1/jobs", methods="POST", stage="after")
    with pytest.raises(APIError) as info:
        client.table("jobs").insert({"user_id": user.id, "type": "product_pack"}).execute()
    assert info.value.code == "502"
    assert pg.execute(
        "SELECT count(*) AS n FROM public.jobs WHERE user_id = %s", (user.id,)
    ).fetchone() == {"n": 1}
    gateway.faults.fail_next(1, status=503, paths="/rest/v1/jobs", methods="POST")
    with pytest.raises(APIError):
        client.table("jobs").insert({"user_id": user.id, "type": "product_pack"}).execute()
    assert pg.execute(
        "SELECT count(*) AS n FROM public.jobs WHERE user_id = %s", (user.id,)
    ).fetchone() == {"n": 1}


def test_dropped_connections_raise_transport_errors(
    gateway: Gateway, make_client: Any, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    user: GatewayUser = make_user()
    client = make_client(user)
    gateway.faults.drop_next(1, where="body", paths="/rest/v1/jobs", methods="POST")
    with pytest.raises(httpx.RemoteProtocolError):
        client.table("jobs").insert({"user_id": user.id, "type": "canvas_edit"}).execute()
    # The answer was lost mid-body, but the insert had committed.
    assert pg.execute(
        "SELECT count(*) AS n FROM public.jobs WHERE user_id = %s", (user.id,)
    ).fetchone() == {"n": 1}

    gateway.faults.drop_next(1, where="headers", paths="/rest/v1/jobs", stage="before")
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        client.table("jobs").select("id").execute()

    bucket = client.storage.from_("outputs")
    gateway.faults.drop_next(1, paths="/storage/v1/object/outputs/")
    with pytest.raises(httpx.RemoteProtocolError):
        bucket.download(f"{user.id}/none.png")

    gateway.faults.drop_next(1, paths="/auth/v1/token")
    with pytest.raises(AuthRetryableError):
        client.auth.refresh_session()
    assert [e.fault for e in gateway.log.entries if e.fault] == [
        "drop:body",
        "drop:headers",
        "drop:body",
        "drop:body",
    ]
    # Nothing sticks: the next requests are fine.
    assert len(client.table("jobs").select("id").execute().data) == 1


def test_postgrest_retries_a_dropped_get_by_itself(
    gateway: Gateway, make_client: Any, make_user: Any
) -> None:
    client = make_client(make_user(), postgrest_client_retry=True)
    gateway.faults.drop_next(1, where="headers", paths="/rest/v1/jobs", stage="before")
    assert client.table("jobs").select("id").execute().data == []
    assert gateway.log.count("/rest/v1/jobs", "GET") == 2  # the drop, then its retry (after 1 s)


def test_5xx_on_auth_and_storage_shapes(gateway: Gateway, make_client: Any, make_user: Any) -> None:
    user = make_user()
    client = make_client(user)
    gateway.faults.fail_next(1, status=503, paths="/auth/v1/")
    with pytest.raises(AuthRetryableError) as auth:
        client.auth.refresh_session()
    assert auth.value.status == 503
    gateway.faults.fail_next(1, status=500, paths="/storage/v1/")
    with pytest.raises(StorageApiError) as storage:
        client.storage.from_("outputs").download(f"{user.id}/a.png")
    assert str(storage.value.status) == "500"


def test_latency_applies_where_asked(gateway: Gateway, make_client: Any, make_user: Any) -> None:
    client = make_client(make_user())
    gateway.faults.latency(0.3, paths="/rest/v1/")
    started = time.monotonic()
    client.table("jobs").select("id").execute()
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    client.auth.get_user()
    assert time.monotonic() - started < 0.3
    slow = [e for e in gateway.log.entries if e.path == "/rest/v1/jobs"]
    assert slow[0].duration >= 0.3


def test_stop_and_start_on_the_same_port(
    gateway: Gateway, make_client: Any, make_user: Any
) -> None:
    user = make_user()
    client = make_client(user)
    client.table("profiles").insert({"user_id": user.id, "name": "kept"}).execute()
    url = gateway.url
    gateway.stop()
    assert not gateway.running
    with pytest.raises(httpx.ConnectError):
        client.table("profiles").select("name").execute()
    with pytest.raises(AuthRetryableError):
        client.auth.refresh_session()
    gateway.start()
    assert gateway.url == url
    assert client.table("profiles").select("name").execute().data == [{"name": "kept"}]
    counts = gateway.log.counts()
    assert counts["GET /rest/v1/profiles"] == 1
    assert counts["POST /rest/v1/profiles"] == 1


def test_gateway_as_a_process_survives_sigkill_and_restart(
    gateway_process: Any, make_user: Any, pg: psycopg.Connection[Any]
) -> None:
    from supabase import ClientOptions, create_client
    from tests.stack.gateway import ANON_KEY

    user: GatewayUser = make_user()
    proc = gateway_process()
    with httpx.Client(timeout=10) as http:
        client = create_client(
            proc.url,
            ANON_KEY,
            ClientOptions(
                httpx_client=http, auto_refresh_token=False, postgrest_client_retry=False
            ),
        )
        client.auth.sign_in_with_password({"email": user.email, "password": user.password})
        client.table("jobs").insert({"user_id": user.id, "type": "product_pack"}).execute()
        proc.kill()
        with pytest.raises(httpx.TransportError):
            client.table("jobs").select("id").execute()
        again = gateway_process(proc.port)
        assert again.url == proc.url
        assert len(client.table("jobs").select("id").execute().data) == 1
    assert pg.execute(
        "SELECT count(*) AS n FROM public.jobs WHERE user_id = %s", (user.id,)
    ).fetchone() == {"n": 1}


def test_isolated_gateway_has_an_empty_database(isolated_gateway: Gateway) -> None:
    from supabase import ClientOptions, create_client
    from tests.stack.gateway import ANON_KEY

    row = isolated_gateway.create_user("solo@example.test", "a long password")
    with httpx.Client(timeout=10) as http:
        client = create_client(
            isolated_gateway.url,
            ANON_KEY,
            ClientOptions(httpx_client=http, auto_refresh_token=False),
        )
        client.auth.sign_in_with_password(
            {"email": "solo@example.test", "password": "a long password"}
        )
        assert client.auth.get_user().user.id == str(row["id"])
        assert client.table("jobs").select("id").execute().data == []
    assert isolated_gateway.log.count("/auth/v1/") == 2


def test_drop_ratio_cuts_a_seeded_share(gateway: Gateway, make_client: Any, make_user: Any) -> None:
    client = make_client(make_user())
    gateway.faults.drop_ratio(0.5, where="headers", paths="/rest/v1/jobs")
    outcomes = []
    for _ in range(20):
        try:
            client.table("jobs").select("id").execute()
            outcomes.append("ok")
        except httpx.RemoteProtocolError:
            outcomes.append("dropped")
    assert 4 <= outcomes.count("dropped") <= 16, outcomes
    assert outcomes.count("dropped") == sum(
        1 for e in gateway.log.entries if e.fault == "drop:headers" and e.status == 0
    )
    with pytest.raises(ValueError, match="ratio"):
        gateway.faults.drop_ratio(1.5)
