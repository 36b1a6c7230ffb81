"""The generation API client against the local fake server: success paths and every failure."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any, TypeVar

import httpx
import pytest
from PIL import Image

from studio_desktop.engine.remote import RemoteEngine
from studio_desktop.engine.remote_api import (
    GenerationApiClient,
    Operation,
    RemoteApiError,
    RemoteAuthError,
    RemoteProtocolError,
    RemoteUnavailableError,
    RetryPolicy,
)
from tests.engine.conftest import TOKEN, png_bytes
from tests.stack.fake_generation_api import FakeGenerationApi

T = TypeVar("T")


class Recorder:
    """Stands in for asyncio.sleep: records the waits instead of spending them."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def run(factory: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(factory())  # type: ignore[arg-type]


def client(api: FakeGenerationApi, sleep: Recorder, **kwargs: Any) -> GenerationApiClient:
    kwargs.setdefault("retry", RetryPolicy(attempts=4, base_delay=0.5))
    return GenerationApiClient(api.base_url, lambda: TOKEN, sleep=sleep, rng=lambda: 1.0, **kwargs)


def image_data(colour: str = "red") -> dict[str, str]:
    data = png_bytes(Image.new("RGB", (48, 40), colour))
    return {"mimeType": "image/png", "data": base64.b64encode(data).decode()}


def extract_body(job_id: str | None = None) -> dict[str, Any]:
    return {
        "jobId": job_id or str(uuid.uuid4()),
        "attempt": 1,
        "type": "extract_garment",
        "kind": "front",
        "image": image_data(),
    }


async def finish(c: GenerationApiClient, op: Operation) -> tuple[Operation, list[float]]:
    progress = [op.progress]
    while not op.is_final:
        op = await c.get_operation(op.id)
        progress.append(op.progress)
    return op, progress


def test_generation_runs_with_progress_and_its_outputs_download(
    fake_api: FakeGenerationApi,
) -> None:
    sleep = Recorder()

    body = extract_body()

    async def scenario() -> tuple[Operation, list[float], bytes, str]:
        async with client(fake_api, sleep) as c:
            op, created = await c.start_generation(body)
            assert created and op.status == "queued"
            op, progress = await finish(c, op)
            data, content_type = await c.download(op.outputs[0].url)
            return op, progress, data, content_type

    op, progress, data, content_type = run(scenario)
    assert op.status == "succeeded"
    assert progress == sorted(progress) and progress[-1] == 1.0 and len(set(progress)) >= 3
    output = op.outputs[0]
    assert (output.kind, output.angle, output.width, output.height) == ("cutout", "front", 48, 40)
    digest = hashlib.sha256(base64.b64decode(body["image"]["data"])).hexdigest()
    user = fake_api.tokens[TOKEN]
    assert (output.bucket, output.storage_path) == (
        "extractions",
        f"{user}/cutouts/{digest}-front.png",
    )
    assert content_type == "image/png" and data.startswith(b"\x89PNG")
    # Signed URLs are fetched without the bearer token.
    assert fake_api.requests_to("GET", "/files/")[0].authorization is None
    assert sleep.delays == []


def test_a_repeated_start_returns_the_same_operation(fake_api: FakeGenerationApi) -> None:
    body = extract_body()

    async def scenario() -> tuple[tuple[Operation, bool], tuple[Operation, bool]]:
        async with client(fake_api, Recorder()) as c:
            return await c.start_generation(body), await c.start_generation(body)

    (first, first_new), (second, second_new) = run(scenario)
    assert first_new and not second_new and first.id == second.id
    assert len(fake_api.operations) == 1


def test_500_is_retried_with_backoff(fake_api: FakeGenerationApi) -> None:
    fake_api.fail_next("POST", "/api/generate-image", status=500, times=2)
    sleep = Recorder()

    async def scenario() -> Operation:
        async with client(fake_api, sleep) as c:
            return (await c.start_generation(extract_body()))[0]

    assert run(scenario).status == "queued"
    assert sleep.delays == [0.5, 1.0]  # exponential: base, then twice the base
    assert len(fake_api.requests_to("POST", "/api/generate-image")) == 3


def test_429_waits_the_retry_after_seconds(fake_api: FakeGenerationApi) -> None:
    fake_api.fail_next("POST", "/api/generate-image", status=429, retry_after="7")
    sleep = Recorder()

    async def scenario() -> Operation:
        async with client(fake_api, sleep) as c:
            return (await c.start_generation(extract_body()))[0]

    assert run(scenario).status == "queued"
    assert sleep.delays == [7.0]


def test_retry_after_as_an_http_date_is_honoured(fake_api: FakeGenerationApi) -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    fake_api.fail_next(
        "GET", "/api/profiles", status=503, retry_after=format_datetime(when, usegmt=True)
    )
    sleep = Recorder()

    async def scenario() -> None:
        async with client(fake_api, sleep) as c:
            await c.list_profiles()

    run(scenario)
    assert len(sleep.delays) == 1 and 27 <= sleep.delays[0] <= 30


def test_a_retry_after_beyond_the_limit_fails_at_once_with_the_reason(
    fake_api: FakeGenerationApi,
) -> None:
    fake_api.fail_next("POST", "/api/generate-image", status=429, retry_after="3600")
    sleep = Recorder()

    async def scenario() -> None:
        async with client(fake_api, sleep) as c:
            await c.start_generation(extract_body())

    with pytest.raises(RemoteUnavailableError, match="busy") as info:
        run(scenario)
    assert info.value.status == 429 and sleep.delays == []


def test_persistent_5xx_gives_up_with_a_readable_error(fake_api: FakeGenerationApi) -> None:
    fake_api.fail_next("GET", "/api/profiles", status=502, times=10)
    sleep = Recorder()

    async def scenario() -> None:
        async with client(fake_api, sleep) as c:
            await c.list_profiles()

    with pytest.raises(RemoteUnavailableError) as info:
        run(scenario)
    assert "gave up after 4 tries" in info.value.message
    assert "generation service" in info.value.message
    assert len(sleep.delays) == 3


def test_401_refreshes_the_token_once_then_succeeds(fake_api: FakeGenerationApi) -> None:
    user = fake_api.tokens[TOKEN]
    fake_api.revoke(TOKEN)
    current = {"token": TOKEN}
    refreshes = []

    async def refresh() -> str:
        refreshes.append(1)
        fake_api.grant("access-token-2", user)
        current["token"] = "access-token-2"
        return current["token"]

    async def scenario() -> None:
        async with GenerationApiClient(fake_api.base_url, lambda: current["token"], refresh) as c:
            await c.list_profiles()

    run(scenario)
    assert refreshes == [1]
    assert [r.authorization for r in fake_api.requests_to("GET", "/api/profiles")] == [
        f"Bearer {TOKEN}",
        "Bearer access-token-2",
    ]


def test_401_after_the_refresh_asks_to_sign_in_again(fake_api: FakeGenerationApi) -> None:
    fake_api.revoke(TOKEN)
    refreshes = []

    async def refresh() -> str:
        refreshes.append(1)
        return TOKEN

    async def scenario() -> None:
        async with GenerationApiClient(fake_api.base_url, lambda: TOKEN, refresh) as c:
            await c.list_profiles()

    with pytest.raises(RemoteAuthError, match="Sign in again"):
        run(scenario)
    assert refreshes == [1]


def test_no_token_at_all_is_a_sign_in_error_before_any_request(fake_api: FakeGenerationApi) -> None:
    async def scenario() -> None:
        async with GenerationApiClient(fake_api.base_url, lambda: "") as c:
            await c.list_profiles()

    with pytest.raises(RemoteAuthError, match="Sign in"):
        run(scenario)
    assert fake_api.requests == []


def test_a_slow_reply_times_out_and_the_retry_succeeds(fake_api: FakeGenerationApi) -> None:
    fake_api.slow_next("GET", "/api/profiles", seconds=0.5)
    sleep = Recorder()

    async def scenario() -> None:
        async with client(fake_api, sleep, timeout=httpx.Timeout(0.2)) as c:
            await c.list_profiles()

    run(scenario)
    assert len(sleep.delays) == 1


def test_a_timeout_on_the_last_try_fails_with_the_limit_in_the_message(
    fake_api: FakeGenerationApi,
) -> None:
    fake_api.slow_next("GET", "/api/profiles", seconds=0.5, times=2)

    async def scenario() -> None:
        async with client(
            fake_api, Recorder(), timeout=httpx.Timeout(0.2), retry=RetryPolicy(attempts=2)
        ) as c:
            await c.list_profiles()

    with pytest.raises(RemoteUnavailableError, match=r"no reply within 0\.2 s") as info:
        run(scenario)
    assert info.value.code == "timeout"


def test_a_dropped_connection_is_retried(fake_api: FakeGenerationApi) -> None:
    fake_api.drop_next("POST", "/api/generate-image")
    sleep = Recorder()

    async def scenario() -> Operation:
        async with client(fake_api, sleep) as c:
            return (await c.start_generation(extract_body()))[0]

    assert run(scenario).status == "queued"
    assert len(sleep.delays) == 1


def test_connections_that_keep_dropping_fail_readably(fake_api: FakeGenerationApi) -> None:
    fake_api.drop_next("GET", "/api/profiles", times=10)

    async def scenario() -> None:
        async with client(fake_api, Recorder()) as c:
            await c.list_profiles()

    with pytest.raises(RemoteUnavailableError, match="dropped before it answered"):
        run(scenario)


def test_an_unreachable_server_fails_readably() -> None:
    async def scenario() -> None:
        async with GenerationApiClient(
            "http://127.0.0.1:9", lambda: TOKEN, sleep=Recorder(), retry=RetryPolicy(attempts=2)
        ) as c:
            await c.list_profiles()

    with pytest.raises(RemoteUnavailableError, match="Could not connect"):
        run(scenario)


def test_malformed_json_is_a_protocol_error_and_not_retried(fake_api: FakeGenerationApi) -> None:
    fake_api.malformed_next("POST", "/api/generate-image")

    async def scenario() -> None:
        async with client(fake_api, Recorder()) as c:
            await c.start_generation(extract_body())

    with pytest.raises(RemoteProtocolError, match="not valid JSON"):
        run(scenario)
    assert len(fake_api.requests_to("POST", "/api/generate-image")) == 1


def test_a_wrong_content_type_is_named_in_the_error(fake_api: FakeGenerationApi) -> None:
    fake_api.wrong_content_type_next("GET", "/api/profiles")

    async def scenario() -> None:
        async with client(fake_api, Recorder()) as c:
            await c.list_profiles()

    with pytest.raises(RemoteProtocolError, match="text/html instead of JSON"):
        run(scenario)


def test_a_validation_refusal_passes_the_servers_message_on(fake_api: FakeGenerationApi) -> None:
    body = {**extract_body(), "kind": "sideways"}
    sleep = Recorder()

    async def scenario() -> None:
        async with client(fake_api, sleep) as c:
            await c.start_generation(body)

    with pytest.raises(RemoteApiError, match="'kind' must be front or back") as info:
        run(scenario)
    assert (info.value.status, info.value.code) == (400, "invalid_request")
    assert sleep.delays == []


def test_an_undecodable_image_is_refused_with_422(fake_api: FakeGenerationApi) -> None:
    body = {
        **extract_body(),
        "image": {"mimeType": "image/png", "data": base64.b64encode(b"nope").decode()},
    }

    async def scenario() -> None:
        async with client(fake_api, Recorder()) as c:
            await c.start_generation(body)

    with pytest.raises(RemoteApiError, match="could not be decoded") as info:
        run(scenario)
    assert info.value.status == 422


def test_an_expired_download_link_says_so(fake_api: FakeGenerationApi) -> None:
    async def scenario() -> None:
        async with client(fake_api, Recorder()) as c:
            op, _ = await c.start_generation(extract_body())
            op, _ = await finish(c, op)
            fake_api.expire_urls()
            await c.download(op.outputs[0].url)

    with pytest.raises(RemoteApiError, match="download link has expired"):
        run(scenario)


def test_cancel_ends_a_running_operation(fake_api: FakeGenerationApi) -> None:
    async def scenario() -> tuple[Operation, Operation]:
        async with client(fake_api, Recorder()) as c:
            op, _ = await c.start_generation(extract_body())
            op = await c.get_operation(op.id)
            canceled = await c.cancel_operation(op.id)
            return canceled, await c.get_operation(op.id)

    canceled, later = run(scenario)
    assert canceled.status == "canceled" and later.status == "canceled" and later.outputs == ()


def test_cancel_is_idempotent_and_leaves_an_ended_operation_as_it_ended(
    fake_api: FakeGenerationApi,
) -> None:
    """The contract: cancel answers 202 with the operation; one that had already ended keeps
    its final status (and its outputs); a second cancel changes nothing."""

    async def scenario() -> tuple[Operation, Operation, Operation]:
        async with client(fake_api, Recorder()) as c:
            op, _ = await c.start_generation(extract_body())
            done, _ = await finish(c, op)
            after_end = await c.cancel_operation(done.id)
            running, _ = await c.start_generation(extract_body())
            first = await c.cancel_operation(running.id)
            second = await c.cancel_operation(running.id)
            assert first.status == "canceled"
            return done, after_end, second

    done, after_end, second = run(scenario)
    assert done.status == after_end.status == "succeeded"
    assert len(after_end.outputs) == len(done.outputs) == 1
    assert second.status == "canceled" and second.outputs == ()
    cancels = fake_api.requests_to("POST", "/api/operations/")
    assert len(cancels) == 3 and all(r.authorization == f"Bearer {TOKEN}" for r in cancels)


def test_the_remote_engine_cancels_an_ended_jobs_operation_and_says_when_it_could_not(
    fake_api: FakeGenerationApi,
) -> None:
    """``RemoteEngine.cancel_operation`` (a job canceled while it waited for the network):
    True when the server answered, also for an operation it does not know (404: nothing left
    to cancel); False when it could not be reached, so the caller tries again later."""

    async def scenario() -> tuple[bool, bool, bool, str]:
        async with client(fake_api, Recorder()) as c:
            engine = RemoteEngine(c)
            op, _ = await c.start_generation(extract_body())
            fake_api.drop_next("POST", "/api/operations/", times=4)
            unreachable = await engine.cancel_operation(op.id)
            heard = await engine.cancel_operation(op.id)
            unknown = await engine.cancel_operation("op_unknown")
            return unreachable, heard, unknown, (await c.get_operation(op.id)).status

    unreachable, heard, unknown, status = run(scenario)
    assert (unreachable, heard, unknown, status) == (False, True, True, "canceled")


def test_an_unknown_operation_is_404(fake_api: FakeGenerationApi) -> None:
    async def scenario() -> None:
        async with client(fake_api, Recorder()) as c:
            await c.get_operation("op_unknown")

    with pytest.raises(RemoteApiError, match="does not know this item") as info:
        run(scenario)
    assert info.value.status == 404


def test_profiles_are_created_idempotently_and_listed_with_signed_urls(
    fake_api: FakeGenerationApi,
) -> None:
    reference = png_bytes(Image.new("RGB", (30, 40), "tan"))
    profile_id = str(uuid.uuid4())

    async def scenario() -> tuple[Any, Any, list[Any], bytes]:
        async with client(fake_api, Recorder()) as c:
            first = await c.create_profile(
                "Ana",
                reference,
                "image/png",
                profile_id=profile_id,
                gender="female",
                skin_tone="medium",
                region="EU",
                background="#f4efe8",
            )
            again = await c.create_profile("Ana", reference, "image/png", profile_id=profile_id)
            listed = await c.list_profiles()
            assert listed[0].reference_image_url is not None
            data, _ = await c.download(listed[0].reference_image_url)
            return first, again, listed, data

    first, again, listed, data = run(scenario)
    user = fake_api.tokens[TOKEN]
    assert first.id == again.id == profile_id and len(listed) == 1
    assert (first.name, first.skin_tone, first.background) == ("Ana", "medium", "#f4efe8")
    assert first.reference_image_path is not None
    assert first.reference_image_path.startswith(f"{user}/profiles/{profile_id}/")
    assert data == reference
    assert first.to_profile(user).reference_image_path == first.reference_image_path


def test_a_profile_without_a_name_is_refused(fake_api: FakeGenerationApi) -> None:
    async def scenario() -> None:
        async with client(fake_api, Recorder()) as c:
            await c.create_profile("  ", png_bytes(Image.new("RGB", (4, 4))), "image/png")

    with pytest.raises(RemoteApiError, match="'name' must be 1 to 200 characters"):
        run(scenario)


# ---------------------------------------------------------------------------- try-on (contract)
def tryon_body(profile_id: str | None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "jobId": str(uuid.uuid4()),
        "attempt": 1,
        "type": "tryon",
        "garment": {"kind": "front", "image": image_data("navy")},
    }
    if profile_id is not None:
        body["profileId"] = profile_id
    body.update(extra)
    return body


def test_a_tryon_on_a_synced_profile_makes_one_image_in_the_jobs_folder(
    fake_api: FakeGenerationApi,
) -> None:
    user = fake_api.tokens[TOKEN]
    profile = fake_api.add_profile(user, "Ana", background="#e8dccb")
    body = tryon_body(profile["id"])

    async def scenario() -> tuple[Operation, bytes]:
        async with client(fake_api, Recorder()) as c:
            op, created = await c.start_generation(body)
            assert created and op.type == "tryon"
            op, _progress = await finish(c, op)
            data, _ = await c.download(op.outputs[0].url)
            return op, data

    op, data = run(scenario)
    assert op.status == "succeeded" and len(op.outputs) == 1
    output = op.outputs[0]
    assert output.kind == "image" and output.bucket == "outputs"
    assert output.storage_path == f"{user}/jobs/{body['jobId']}/{output.id}.png"
    assert data.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("profile", "extra", "status", "code", "field", "message"),
    [
        ("missing", {}, 400, "invalid_request", "profileId", "'profileId' is required"),
        ("empty", {}, 400, "invalid_request", "profileId", "'profileId' is required"),
        ("unknown", {}, 422, "unknown_profile", "profileId", "has it been synced"),
        ("other user's", {}, 422, "unknown_profile", "profileId", "has it been synced"),
        (
            "synced",
            {"garment": {"kind": "sleeve", "image": image_data()}},
            400,
            "invalid_request",
            "garments",
            "needs a kind",
        ),
        ("synced", {"garment": None}, 400, "invalid_request", "garment", "'garment' must be"),
        (
            "synced",
            {"garment": {"kind": "front", "image": {"mimeType": "image/png", "data": "bm9wZQ=="}}},
            422,
            "unreadable_image",
            "garments.image",
            "could not be decoded",
        ),
    ],
    ids=["no-profile", "empty-profile", "unknown", "other-user", "bad-kind", "no-garment", "junk"],
)
def test_a_tryon_the_server_cannot_run_is_refused_as_the_contract_says(
    fake_api: FakeGenerationApi,
    *,
    profile: str,
    extra: dict[str, Any],
    status: int,
    code: str,
    field: str,
    message: str,
) -> None:
    user = fake_api.tokens[TOKEN]
    ids = {
        "missing": None,
        "empty": "",
        "unknown": str(uuid.uuid4()),
        "other user's": fake_api.add_profile("someone-else", "Bo")["id"],
        "synced": fake_api.add_profile(user, "Ana")["id"],
    }
    body = tryon_body(ids[profile], **extra)
    sleep = Recorder()

    async def scenario() -> None:
        async with client(fake_api, sleep) as c:
            await c.start_generation(body)

    with pytest.raises(RemoteApiError, match=message) as info:
        run(scenario)
    assert (info.value.status, info.value.code) == (status, code)
    assert sleep.delays == []  # a refusal is not retried
    request = fake_api.requests_to("POST", "/api/generate-image")[-1]
    assert request.json == body
    assert fake_api.operations == {}
    # The raw reply: the contract's error shape, naming the offending field.
    raw = httpx.post(
        f"{fake_api.base_url}/api/generate-image",
        json=body,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert raw.status_code == status
    assert raw.json()["error"] == {
        "code": code,
        "message": raw.json()["error"]["message"],
        "field": field,
        "retryable": False,
    }


def test_a_tryon_repeated_as_another_type_is_a_conflict(fake_api: FakeGenerationApi) -> None:
    user = fake_api.tokens[TOKEN]
    body = tryon_body(fake_api.add_profile(user, "Ana")["id"])

    async def scenario() -> None:
        async with client(fake_api, Recorder()) as c:
            await c.start_generation(body)
            await c.start_generation({**extract_body(body["jobId"]), "attempt": 1})

    with pytest.raises(RemoteApiError, match="another type") as info:
        run(scenario)
    assert (info.value.status, info.value.code) == (409, "conflict")


def pack_body(profile_id: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "jobId": str(uuid.uuid4()),
        "attempt": 1,
        "type": "pack",
        "profileId": profile_id,
        "background": None,
        "angles": ["front", "detail"],
        "useCutout": True,
        "garments": [{"kind": "front", "image": image_data()}],
        **extra,
    }


@pytest.mark.parametrize("profile", ["unknown", "other user's"])
def test_a_pack_on_a_profile_the_server_does_not_have_is_422_unknown_profile(
    fake_api: FakeGenerationApi, profile: str
) -> None:
    """The contract: a pack's ``profileId``, when given, must exist on the server (a profile
    made offline must be synced first): ``422 unknown_profile`` naming ``profileId``, not
    retryable, no operation started."""
    ids = {
        "unknown": str(uuid.uuid4()),
        "other user's": fake_api.add_profile("someone-else", "Bo")["id"],
    }
    body = pack_body(ids[profile])
    sleep = Recorder()

    async def scenario() -> None:
        async with client(fake_api, sleep) as c:
            await c.start_generation(body)

    with pytest.raises(RemoteApiError, match="has it been synced") as info:
        run(scenario)
    assert (info.value.status, info.value.code, info.value.retryable) == (
        422,
        "unknown_profile",
        False,
    )
    assert sleep.delays == [] and fake_api.operations == {}
    raw = httpx.post(
        f"{fake_api.base_url}/api/generate-image",
        json=body,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert raw.status_code == 422
    assert raw.json()["error"] == {
        "code": "unknown_profile",
        "message": "The profile does not exist on the server (has it been synced?).",
        "field": "profileId",
        "retryable": False,
    }


@pytest.mark.parametrize("profile", ["none", "synced"])
def test_a_pack_without_a_profile_or_on_a_synced_one_starts(
    fake_api: FakeGenerationApi, profile: str
) -> None:
    user = fake_api.tokens[TOKEN]
    profile_id = None if profile == "none" else fake_api.add_profile(user, "Ana")["id"]

    async def scenario() -> Operation:
        async with client(fake_api, Recorder()) as c:
            op, created = await c.start_generation(pack_body(profile_id))
            assert created
            op, _progress = await finish(c, op)
            return op

    op = run(scenario)
    assert op.status == "succeeded" and op.type == "pack"
    assert sorted(o.angle or "" for o in op.outputs) == ["detail", "front"]
