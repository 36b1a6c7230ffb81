"""A local stand-in for the studio's generation API, speaking ``docs/remote-api.md`` exactly.

It validates every request the way the contract says (bearer token, JSON shapes, base64 images
that must decode, allowed types and angles), runs each operation over a few polls with progress,
renders real images with Pillow, serves them through signed, expiring URLs, and can inject the
failures a real network and server produce:

    api = FakeGenerationApi().start()           # a thread with its own event loop
    api.fail_next("POST", "/api/generate-image", status=500)
    api.fail_next("GET", "/api/operations/", status=429, retry_after=2)
    api.drop_next("GET", "/api/operations/")      # close the connection without answering
    api.malformed_next(...), api.wrong_content_type_next(...), api.slow_next(..., seconds=1)
    api.fail_operations("the renderer ran out of memory")   # the next operation ends failed
    ...
    api.stop()

``api.requests`` logs every request (method, path, Authorization header, JSON body); tokens are
managed with ``api.grant(token, user_id)`` and ``api.revoke(token)``.

Linked to a test project (``FakeGenerationApi(jwt_secret=..., profiles_dsn=...)``), it does what
the studio's real service does with the same Supabase project: it accepts the project's access
tokens (HS256, signed with the project's JWT secret: ``sub`` is the caller; an expired one is
``401 token_expired``, a bad one ``401 unauthorized``) and reads ``profileId`` from the project's
``public.profiles`` table (another user's profile is unknown to the caller).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import io
import threading
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from PIL import Image, ImageColor, ImageFilter, ImageOps

API_TYPES = ("pack", "tryon", "canvas_edit", "extract_garment")
ANGLES = ("front", "back", "side", "detail")
KINDS = ("front", "back")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
MAX_IMAGE_BYTES = 20 * 1024 * 1024
PACK_SIZE = (600, 800)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.retry_after = retry_after


@dataclass
class Fault:
    method: str
    path_prefix: str
    kind: str  # status | drop | malformed | content_type | slow
    status: int = 500
    retry_after: str | None = None
    seconds: float = 0.0
    times: int = 1


@dataclass
class FakeOperation:
    id: str
    user_id: str
    job_id: str
    attempt: int
    type: str
    body: dict[str, Any]
    steps: int
    fail_with: str | None = None
    status: str = "queued"
    step: int = 0
    message: str | None = "Waiting for a free renderer"
    error: dict[str, Any] | None = None
    reply_text: str | None = None
    outputs: list[dict[str, Any]] = field(default_factory=list)
    cancel_requests: int = 0
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class StoredObject:
    data: bytes
    mime_type: str


@dataclass
class LoggedRequest:
    method: str
    path: str
    authorization: str | None
    json: Any = None


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(exc: ApiError) -> web.Response:
    headers = {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(int(exc.retry_after))
    body = {
        "error": {
            "code": exc.code,
            "message": exc.message,
            "field": exc.field,
            "retryable": exc.status in (429, 500, 502, 503, 504),
        }
    }
    return web.json_response(body, status=exc.status, headers=headers)


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def _decode_image(value: Any, field_name: str) -> Image.Image:
    if not isinstance(value, dict):
        raise ApiError(
            400, "invalid_request", f"'{field_name}' must be an image object.", field_name
        )
    mime, data = value.get("mimeType"), value.get("data")
    if mime not in IMAGE_TYPES:
        raise ApiError(
            415, "unsupported_media_type", f"'{field_name}' must be PNG, JPEG or WebP.", field_name
        )
    if not isinstance(data, str):
        raise ApiError(
            400, "invalid_request", f"'{field_name}.data' must be base64 text.", field_name
        )
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(
            400, "invalid_request", f"'{field_name}.data' is not valid base64.", field_name
        ) from None
    if len(raw) > MAX_IMAGE_BYTES:
        raise ApiError(
            413, "payload_too_large", f"'{field_name}' is larger than 20 MB.", field_name
        )
    try:
        image = Image.open(io.BytesIO(raw))
        image.load()
    except Exception:
        raise ApiError(
            422, "unreadable_image", f"'{field_name}' could not be decoded.", field_name
        ) from None
    return image


def _cutout(image: Image.Image) -> Image.Image:
    """Pixels close to the photo's corner colour become transparent (good for plain backdrops)."""
    rgb = image.convert("RGB")
    corner = rgb.getpixel((0, 0))
    diff = Image.eval(
        Image.merge(
            "RGB",
            [
                band.point(lambda v, c=c: abs(v - c))
                for band, c in zip(rgb.split(), corner, strict=True)
            ],
        ).convert("L"),
        lambda v: 255 if v > 12 else 0,
    )
    out = rgb.convert("RGBA")
    out.putalpha(diff.filter(ImageFilter.MaxFilter(3)))
    return out


class FakeGenerationApi:
    def __init__(
        self,
        *,
        steps: int = 3,
        poll_after_ms: int = 10,
        url_ttl: float = 300.0,
        jwt_secret: str | None = None,
        profiles_dsn: str | None = None,
    ) -> None:
        self.steps = steps
        self.jwt_secret = jwt_secret
        self.profiles_dsn = profiles_dsn
        self.poll_after_ms = poll_after_ms
        self.url_ttl = url_ttl
        self.tokens: dict[str, str] = {}
        self.operations: dict[str, FakeOperation] = {}
        self.objects: dict[tuple[str, str], StoredObject] = {}
        self.signed: dict[str, tuple[str, str, datetime]] = {}
        self.profiles: dict[str, dict[str, Any]] = {}
        self.requests: list[LoggedRequest] = []
        self.faults: list[Fault] = []
        self._fail_operations: list[str] = []
        #: When set, results are reported under this user's folder instead of the caller's
        #: (a misbehaving server; the client must refuse them).
        self.misplace_outputs_under: str | None = None
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeGenerationApi:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def serve() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._start_site())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="fake-generation-api", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake generation API did not start")
        return self

    async def _start_site(self) -> None:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        app.router.add_post("/api/generate-image", self._generate)
        app.router.add_get("/api/operations/{op_id}", self._get_operation)
        app.router.add_post("/api/operations/{op_id}/cancel", self._cancel_operation)
        app.router.add_get("/api/profiles", self._list_profiles)
        app.router.add_post("/api/profiles", self._create_profile)
        app.router.add_get("/files/{token}", self._file)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def stop(self) -> None:
        if self._loop is None:
            return
        loop = self._loop
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        loop.close()
        self._loop = None

    def __enter__(self) -> FakeGenerationApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ test controls
    def grant(self, token: str, user_id: str) -> None:
        with self._lock:
            self.tokens[token] = user_id

    def revoke(self, token: str) -> None:
        with self._lock:
            self.tokens.pop(token, None)

    def _add_fault(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def fail_next(
        self,
        method: str,
        path_prefix: str,
        *,
        status: int = 500,
        times: int = 1,
        retry_after: str | None = None,
    ) -> None:
        self._add_fault(Fault(method, path_prefix, "status", status, retry_after, times=times))

    def drop_next(self, method: str, path_prefix: str, *, times: int = 1) -> None:
        self._add_fault(Fault(method, path_prefix, "drop", times=times))

    def malformed_next(self, method: str, path_prefix: str, *, times: int = 1) -> None:
        self._add_fault(Fault(method, path_prefix, "malformed", times=times))

    def wrong_content_type_next(self, method: str, path_prefix: str, *, times: int = 1) -> None:
        self._add_fault(Fault(method, path_prefix, "content_type", times=times))

    def slow_next(self, method: str, path_prefix: str, *, seconds: float, times: int = 1) -> None:
        self._add_fault(Fault(method, path_prefix, "slow", seconds=seconds, times=times))

    def fail_operations(self, message: str) -> None:
        """The next operation that starts ends ``failed`` half-way with this message."""
        with self._lock:
            self._fail_operations.append(message)

    def expire_urls(self) -> None:
        with self._lock:
            past = datetime.now(UTC) - timedelta(seconds=1)
            self.signed = {k: (b, p, past) for k, (b, p, _) in self.signed.items()}

    def requests_to(self, method: str, path_prefix: str) -> list[LoggedRequest]:
        with self._lock:
            return [
                r for r in self.requests if r.method == method and r.path.startswith(path_prefix)
            ]

    def add_profile(
        self,
        user_id: str,
        name: str,
        *,
        background: str | None = None,
        reference: bytes | None = None,
        profile_id: str | None = None,
    ) -> dict[str, Any]:
        """Seed a profile as if another client had created it (``profile_id``: the id of a
        profile the desktop made and the sync pushed, as the server's table would have it)."""
        profile_id = profile_id or str(uuid.uuid4())
        now = datetime.now(UTC)
        path = None
        if reference is not None:
            path = f"{user_id}/profiles/{profile_id}/{uuid.uuid4()}.png"
            self.objects[("profiles", path)] = StoredObject(reference, "image/png")
        row = {
            "id": profile_id,
            "user_id": user_id,
            "name": name,
            "gender": None,
            "skinTone": None,
            "region": None,
            "background": background,
            "referenceImagePath": path,
            "createdAt": _iso(now),
            "updatedAt": _iso(now),
        }
        with self._lock:
            self.profiles[profile_id] = row
        return row

    # ------------------------------------------------------------------ middleware
    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        body: Any = None
        if request.content_type == "application/json" and request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                body = "<invalid json>"
        with self._lock:
            self.requests.append(
                LoggedRequest(
                    request.method, request.path, request.headers.get("Authorization"), body
                )
            )
            fault = next(
                (
                    f
                    for f in self.faults
                    if f.method == request.method and request.path.startswith(f.path_prefix)
                ),
                None,
            )
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
        if fault is not None:
            if fault.kind == "slow":
                await asyncio.sleep(fault.seconds)
            elif fault.kind == "drop":
                assert request.transport is not None
                request.transport.close()
                return web.Response(status=500)  # never reaches the client: the socket is closed
            elif fault.kind == "malformed":
                return web.Response(
                    status=200, body=b'{"operation": {"id": ', content_type="application/json"
                )
            elif fault.kind == "content_type":
                return web.Response(
                    status=200, text="<html>Gateway login</html>", content_type="text/html"
                )
            else:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                exc = ApiError(fault.status, "injected", f"injected failure {fault.status}")
                response = _error(exc)
                response.headers.update(headers)
                return response
        try:
            return await handler(request)
        except ApiError as exc:
            return _error(exc)

    def _user(self, request: web.Request) -> str:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise ApiError(401, "unauthorized", "Missing bearer token.")
        with self._lock:
            user = self.tokens.get(header[7:])
        if user is None and self.jwt_secret is not None:
            return self._project_user(header[7:])
        if user is None:
            raise ApiError(401, "token_expired", "The access token is invalid or has expired.")
        return user

    def _project_user(self, token: str) -> str:
        """The caller of a project access token (see the module docstring)."""
        from tests.stack.gateway.keys import JwtError, verify

        assert self.jwt_secret is not None
        try:
            claims = verify(token, self.jwt_secret)
        except JwtError as exc:
            if exc.kind == "expired":
                raise ApiError(401, "token_expired", "The access token has expired.") from exc
            raise ApiError(401, "unauthorized", "The access token is invalid.") from exc
        subject = claims.get("sub")
        if claims.get("role") != "authenticated" or not isinstance(subject, str) or not subject:
            raise ApiError(401, "unauthorized", "Sign in: this token is not a user's.")
        return subject

    def _profile(self, profile_id: str) -> dict[str, Any] | None:
        """A profile the service knows: seeded here, or (linked) in the project's table."""
        with self._lock:
            found = self.profiles.get(profile_id)
        if found is not None or self.profiles_dsn is None:
            return found
        try:
            uuid.UUID(profile_id)
        except ValueError:
            return None
        import psycopg

        with psycopg.connect(self.profiles_dsn) as conn:
            row = conn.execute(
                "SELECT user_id, name, background FROM public.profiles WHERE id = %s",
                (profile_id,),
            ).fetchone()
        if row is None:
            return None
        return {"id": profile_id, "user_id": str(row[0]), "name": row[1], "background": row[2]}

    # ------------------------------------------------------------------ operations
    async def _generate(self, request: web.Request) -> web.Response:
        user = self._user(request)
        if request.content_type != "application/json":
            raise ApiError(415, "unsupported_media_type", "Send the request as application/json.")
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "invalid_request", "The body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_request", "The body must be a JSON object.")
        job_id = body.get("jobId")
        try:
            uuid.UUID(str(job_id))
        except ValueError:
            raise ApiError(400, "invalid_request", "'jobId' must be a UUID.", "jobId") from None
        attempt = body.get("attempt", 1)
        if not isinstance(attempt, int) or isinstance(attempt, bool) or attempt < 1:
            raise ApiError(
                400, "invalid_request", "'attempt' must be a positive integer.", "attempt"
            )
        api_type = body.get("type")
        if api_type not in API_TYPES:
            raise ApiError(
                400, "invalid_request", f"'type' must be one of {', '.join(API_TYPES)}.", "type"
            )
        with self._lock:
            existing = next(
                (
                    op
                    for op in self.operations.values()
                    if op.job_id == job_id and op.attempt == attempt
                ),
                None,
            )
        if existing is not None:
            if existing.user_id != user:
                raise ApiError(409, "conflict", "This job id belongs to another account.", "jobId")
            if existing.type != api_type:
                raise ApiError(409, "conflict", "This job was started with another type.", "type")
            return web.json_response({"operation": self._operation_json(existing)}, status=200)
        self._validate(api_type, body, user)
        with self._lock:
            fail_with = self._fail_operations.pop(0) if self._fail_operations else None
            op = FakeOperation(
                id=f"op_{uuid.uuid4().hex}",
                user_id=user,
                job_id=str(job_id),
                attempt=attempt,
                type=api_type,
                body=body,
                steps=self.steps,
                fail_with=fail_with,
            )
            self.operations[op.id] = op
        return web.json_response({"operation": self._operation_json(op)}, status=202)

    def _validate(self, api_type: str, body: dict[str, Any], user: str) -> None:
        if api_type == "canvas_edit":
            _decode_image(body.get("image"), "image")
            if body.get("mask") is not None:
                _decode_image(body.get("mask"), "mask")
            instruction = body.get("instruction")
            if (
                not isinstance(instruction, str)
                or not instruction.strip()
                or len(instruction) > 2000
            ):
                raise ApiError(
                    400,
                    "invalid_request",
                    "'instruction' must be 1 to 2000 characters.",
                    "instruction",
                )
        elif api_type == "extract_garment":
            _decode_image(body.get("image"), "image")
            if body.get("kind") not in KINDS:
                raise ApiError(400, "invalid_request", "'kind' must be front or back.", "kind")
        else:
            if api_type == "tryon" and not isinstance(body.get("garment"), dict):
                raise ApiError(
                    400,
                    "invalid_request",
                    "'garment' must be an object with a kind and an image.",
                    "garment",
                )
            garments = body.get("garments") if api_type == "pack" else [body.get("garment")]
            if not isinstance(garments, list) or not garments or len(garments) > 2:
                raise ApiError(400, "invalid_request", "Give one or two garments.", "garments")
            kinds = []
            for garment in garments:
                if not isinstance(garment, dict) or garment.get("kind") not in KINDS:
                    raise ApiError(
                        400,
                        "invalid_request",
                        "Each garment needs a kind (front/back).",
                        "garments",
                    )
                kinds.append(garment["kind"])
                _decode_image(garment.get("image"), "garments.image")
            if len(set(kinds)) != len(kinds):
                raise ApiError(
                    400, "invalid_request", "At most one front and one back garment.", "garments"
                )
            profile_id = body.get("profileId")
            if api_type == "tryon" and (not isinstance(profile_id, str) or not profile_id):
                raise ApiError(
                    400,
                    "invalid_request",
                    "'profileId' is required for a try-on.",
                    "profileId",
                )
            if api_type == "tryon" or profile_id is not None:
                profile = self._profile(str(profile_id))
                if profile is None or profile["user_id"] != user:
                    raise ApiError(
                        422,
                        "unknown_profile",
                        "The profile does not exist on the server (has it been synced?).",
                        "profileId",
                    )
            if api_type == "pack":
                angles = body.get("angles")
                if (
                    not isinstance(angles, list)
                    or not angles
                    or any(a not in ANGLES for a in angles)
                    or len(set(angles)) != len(angles)
                ):
                    raise ApiError(
                        400,
                        "invalid_request",
                        f"'angles' must be distinct values of {', '.join(ANGLES)}.",
                        "angles",
                    )
                if not isinstance(body.get("useCutout", False), bool):
                    raise ApiError(
                        400, "invalid_request", "'useCutout' must be true or false.", "useCutout"
                    )

    def _operation_for(self, request: web.Request) -> FakeOperation:
        user = self._user(request)
        with self._lock:
            op = self.operations.get(request.match_info["op_id"])
        if op is None or op.user_id != user:
            raise ApiError(404, "not_found", "No such operation.")
        return op

    async def _get_operation(self, request: web.Request) -> web.Response:
        op = self._operation_for(request)
        if op.status in ("queued", "running"):
            self._advance(op)
        return web.json_response({"operation": self._operation_json(op)})

    async def _cancel_operation(self, request: web.Request) -> web.Response:
        op = self._operation_for(request)
        with self._lock:
            op.cancel_requests += 1
            if op.status in ("queued", "running"):
                op.status, op.message = "canceled", "Canceled at the user's request"
                op.updated_at = datetime.now(UTC)
        return web.json_response({"operation": self._operation_json(op)}, status=202)

    def _advance(self, op: FakeOperation) -> None:
        with self._lock:
            op.step += 1
            op.status = "running"
            op.updated_at = datetime.now(UTC)
            op.message = f"Rendering, step {op.step} of {op.steps}"
            if op.fail_with is not None and op.step * 2 >= op.steps:
                op.status, op.message = "failed", None
                op.error = {"code": "generation_failed", "message": op.fail_with, "retryable": True}
                return
            if op.step < op.steps:
                return
        outputs = self._render(op)
        with self._lock:
            for image, kind, angle in outputs:
                output_id = str(uuid.uuid4())
                owner = self.misplace_outputs_under or op.user_id
                if kind == "cutout":  # the server's garment_cutouts cache object
                    digest = hashlib.sha256(base64.b64decode(op.body["image"]["data"])).hexdigest()
                    bucket, path = "extractions", f"{owner}/cutouts/{digest}-{angle}.png"
                else:
                    bucket, path = "outputs", f"{owner}/jobs/{op.job_id}/{output_id}.png"
                self.objects[(bucket, path)] = StoredObject(_png(image), "image/png")
                op.outputs.append(
                    {
                        "id": output_id,
                        "kind": kind,
                        "angle": angle,
                        "mimeType": "image/png",
                        "width": image.width,
                        "height": image.height,
                        "bucket": bucket,
                        "storagePath": path,
                    }
                )
            op.status, op.message = "succeeded", "Done"

    def _render(self, op: FakeOperation) -> list[tuple[Image.Image, str, str | None]]:
        body = op.body
        if op.type == "extract_garment":
            return [(_cutout(_decode_image(body["image"], "image")), "cutout", body["kind"])]
        if op.type == "canvas_edit":
            image = _decode_image(body["image"], "image").convert("RGB")
            grey = ImageOps.grayscale(image).convert("RGB")
            if body.get("mask") is not None:
                mask = _decode_image(body["mask"], "mask").convert("L").resize(image.size)
            else:
                mask = Image.new("L", image.size, 255)
            return [(Image.composite(grey, image, mask), "image", None)]
        garments = body.get("garments") or [body["garment"]]
        by_kind = {g["kind"]: _decode_image(g["image"], "garments.image") for g in garments}
        background = "#f2f2f2"
        profile = self._profile(str(body.get("profileId")))
        if profile is not None and profile.get("background"):
            background = profile["background"]
        if op.type == "pack" and isinstance(body.get("background"), str):
            background = body["background"]
        try:
            colour = ImageColor.getrgb(background)
        except ValueError:
            colour = (242, 242, 242)
        angles = body.get("angles", ["front"]) if op.type == "pack" else ["front"]
        results: list[tuple[Image.Image, str, str | None]] = []
        for angle in angles:
            source = by_kind.get("back" if angle == "back" else "front") or next(
                iter(by_kind.values())
            )
            garment = (
                _cutout(source)
                if body.get("useCutout", op.type == "tryon")
                else source.convert("RGBA")
            )
            canvas = Image.new("RGBA", PACK_SIZE, (*colour[:3], 255))
            fitted = ImageOps.contain(garment, (int(PACK_SIZE[0] * 0.8), int(PACK_SIZE[1] * 0.8)))
            offset = ((PACK_SIZE[0] - fitted.width) // 2, (PACK_SIZE[1] - fitted.height) // 2)
            canvas.alpha_composite(fitted, offset)
            results.append((canvas.convert("RGB"), "image", angle))
        return results

    def _operation_json(self, op: FakeOperation) -> dict[str, Any]:
        with self._lock:
            outputs = []
            if op.status == "succeeded":
                for output in op.outputs:
                    token = uuid.uuid4().hex
                    expires = datetime.now(UTC) + timedelta(seconds=self.url_ttl)
                    self.signed[token] = (output["bucket"], output["storagePath"], expires)
                    outputs.append({**output, "url": f"{self.base_url}/files/{token}"})
            return {
                "id": op.id,
                "jobId": op.job_id,
                "attempt": op.attempt,
                "type": op.type,
                "status": op.status,
                "progress": 1.0 if op.status == "succeeded" else round(op.step / (op.steps + 1), 3),
                "message": op.message,
                "pollAfterMs": self.poll_after_ms,
                "error": op.error,
                "replyText": op.reply_text,
                "outputs": outputs,
                "createdAt": _iso(op.created_at),
                "updatedAt": _iso(op.updated_at),
            }

    # ------------------------------------------------------------------ files and profiles
    async def _file(self, request: web.Request) -> web.Response:
        with self._lock:
            entry = self.signed.get(request.match_info["token"])
        if entry is None or entry[2] < datetime.now(UTC):
            raise ApiError(403, "link_expired", "This link has expired.")
        obj = self.objects[(entry[0], entry[1])]
        return web.Response(body=obj.data, content_type=obj.mime_type)

    def _profile_json(self, row: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in row.items() if k != "user_id"}
        out["referenceImageUrl"] = None
        if row["referenceImagePath"]:
            token = uuid.uuid4().hex
            expires = datetime.now(UTC) + timedelta(seconds=self.url_ttl)
            self.signed[token] = ("profiles", row["referenceImagePath"], expires)
            out["referenceImageUrl"] = f"{self.base_url}/files/{token}"
        return out

    async def _list_profiles(self, request: web.Request) -> web.Response:
        user = self._user(request)
        with self._lock:
            rows = sorted(
                (p for p in self.profiles.values() if p["user_id"] == user),
                key=lambda p: p["createdAt"],
                reverse=True,
            )
            payload = [self._profile_json(p) for p in rows]
        return web.json_response({"profiles": payload})

    async def _create_profile(self, request: web.Request) -> web.Response:
        user = self._user(request)
        if request.content_type != "multipart/form-data":
            raise ApiError(
                415, "unsupported_media_type", "Send the profile as multipart/form-data."
            )
        fields: dict[str, str] = {}
        image: bytes | None = None
        image_type = None
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if part.name == "image":
                image = await part.read()  # type: ignore[union-attr]
                image_type = part.headers.get("Content-Type")
            elif part.name:
                fields[part.name] = await part.text()  # type: ignore[union-attr]
        name = fields.get("name", "").strip()
        if not name or len(name) > 200:
            raise ApiError(400, "invalid_request", "'name' must be 1 to 200 characters.", "name")
        if image is None:
            raise ApiError(
                400, "invalid_request", "Attach the reference image as 'image'.", "image"
            )
        if image_type not in IMAGE_TYPES:
            raise ApiError(
                415, "unsupported_media_type", "'image' must be PNG, JPEG or WebP.", "image"
            )
        try:
            Image.open(io.BytesIO(image)).load()
        except Exception:
            raise ApiError(
                422, "unreadable_image", "'image' could not be decoded.", "image"
            ) from None
        profile_id = fields.get("id") or str(uuid.uuid4())
        try:
            uuid.UUID(profile_id)
        except ValueError:
            raise ApiError(400, "invalid_request", "'id' must be a UUID.", "id") from None
        with self._lock:
            existing = self.profiles.get(profile_id)
            if existing is not None:
                if existing["user_id"] != user:
                    raise ApiError(
                        409, "conflict", "This profile id belongs to another account.", "id"
                    )
                return web.json_response({"profile": self._profile_json(existing)}, status=200)
            ext = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}[image_type]
            path = f"{user}/profiles/{profile_id}/{uuid.uuid4()}.{ext}"
            self.objects[("profiles", path)] = StoredObject(image, image_type)
            now = _iso(datetime.now(UTC))
            row = {
                "id": profile_id,
                "user_id": user,
                "name": name,
                "gender": fields.get("gender"),
                "skinTone": fields.get("skinTone"),
                "region": fields.get("region"),
                "background": fields.get("background"),
                "referenceImagePath": path,
                "createdAt": now,
                "updatedAt": now,
            }
            self.profiles[profile_id] = row
            payload = self._profile_json(row)
        return web.json_response({"profile": payload}, status=201)
