"""The local engine: every job type that can run on this computer, offline.

- ``canvas_edit``: the instruction is parsed first (:func:`parse_instruction`); one the editor
  cannot carry out ends at once, before any pixel is decoded, as an
  :class:`UnsupportedInstructionError` whose ``reply_text`` says so and lists what it can do.
  Otherwise the image (and mask, the app's format: 255 = edit, composited as a soft alpha) is
  decoded, the plan applied through the mask, and the result encoded in the source's format
  family (PNG stays PNG, JPEG stays JPEG at final quality, transparency forces PNG). With
  nothing painted, a colour or tone edit applies to the main subject (the garment or product
  the cutout finds), to the background, or to the whole image when the instruction says so
  (:func:`~studio_desktop.imaging.instructions.scope_of`), and the reply says which; when no
  subject can be found, the reply asks for a painted area. Removal still needs a mask.
- ``extract_garment``: a transparent PNG through the :class:`CutoutCache` (never cut twice).
  The job's output row points at the cached cutout object itself (kind ``cutout``, the
  ``extractions`` bucket, as the seed stores extractions), so a repeat uploads nothing.
- ``product_pack``: the garments (cut out first when ``useCutout``, via the same cache) laid on
  the profile's background by the pack renderer, one image per angle, all the same size.
- ``tryon_image``: needs a generative model; fails with a message pointing at the remote engine.

Decoding, editing, cutting and encoding run through :meth:`JobContext.run_blocking`: off the
event loop, with the cancel token checked between the steps.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from PIL import Image

from studio_desktop.domain.enums import Angle, OutputKind
from studio_desktop.domain.paths import ObjectRef
from studio_desktop.engine.base import BlobState, JobContext, JobResult, ProducedOutput
from studio_desktop.engine.cutout_cache import CutFn, Cutout, CutoutCache
from studio_desktop.engine.errors import (
    JobCanceledError,
    JobFailedError,
    UnsupportedInstructionError,
)
from studio_desktop.engine.inputs import (
    CanvasEditInput,
    ExtractGarmentInput,
    JobInput,
    ProductPackInput,
    TryOnInput,
)
from studio_desktop.engine.recorder import JobStore
from studio_desktop.imaging.decode import DecodedImage, decode_image
from studio_desktop.imaging.encode import EncodedImage, encode_auto, encode_image
from studio_desktop.imaging.errors import OperationCancelledError
from studio_desktop.imaging.instructions import (
    Scope,
    Unsupported,
    no_mask_reply,
    parse_instruction,
    scope_of,
    subject_name,
)
from studio_desktop.imaging.operation_errors import (
    EmptyMaskError,
    MaskRequiredError,
    NoGarmentFoundError,
    NotAProductPhotoError,
)

# OpenCV and NumPy (the cutout, the edits, masks, the subject finder and the pack renderer) are
# imported by the steps that use them: the app opens its workspace without them.
if TYPE_CHECKING:
    from studio_desktop.imaging.instructions import EditPlan

NO_SUBJECT_REPLY = (
    "No area painted, and I could not find one main subject on a plain background in this "
    "image to change. Paint over the part to change, or say \u201cthe whole image\u201d to "
    "change everything."
)

TRYON_NEEDS_REMOTE = (
    "Virtual try-on needs the studio's generation service; it cannot run on this computer. "
    "Sign in to a studio account, then retry this job on the remote engine."
)


#: (garment images by side, the background or None, angles, use_cutout) -> one image per angle.
PackFn = Callable[
    [Mapping[str, Image.Image], str | None, Sequence[str], bool], Sequence[Image.Image]
]

#: Views the local pack renderer can make: one per garment side, and a close-up of the front.
LOCAL_PACK_ANGLES = (Angle.FRONT, Angle.BACK, Angle.DETAIL)


def default_cut(photo: bytes) -> bytes:
    """The garment of a product photo as a transparent PNG, cropped to the garment."""
    decoded = decode_image(photo)
    from studio_desktop.imaging.cutout import extract_garment

    cutout = extract_garment(decoded.image)
    return encode_image(cutout.image, "PNG").data


def default_render_pack(
    garments: Mapping[str, Image.Image],
    background: str | None,
    angles: Sequence[str],
    use_cutout: bool,
) -> list[Image.Image]:
    """:func:`render_pack` for the requested angles, in their order, same size and framing."""
    from studio_desktop.imaging.pack import DETAIL, render_pack

    extras = [DETAIL] if DETAIL in angles else []
    views = render_pack(garments, background, use_cutout=use_cutout, extras=extras)
    return [views[str(angle)] for angle in angles]


class LocalEngine:
    name = "local"

    def __init__(
        self,
        store: JobStore,
        *,
        cut: CutFn = default_cut,
        render_pack: PackFn = default_render_pack,
    ) -> None:
        self.cutouts = CutoutCache(store, cut)
        self.render_pack = render_pack

    async def run(self, job_input: JobInput, ctx: JobContext) -> JobResult:
        if isinstance(job_input, CanvasEditInput):
            return await self._canvas_edit(job_input, ctx)
        if isinstance(job_input, ExtractGarmentInput):
            return await self._extract(job_input, ctx)
        if isinstance(job_input, ProductPackInput):
            return await self._pack(job_input, ctx)
        if isinstance(job_input, TryOnInput):
            raise JobFailedError(TRYON_NEEDS_REMOTE, code="needs_remote")
        raise JobFailedError(f"The local engine cannot run {type(job_input).__name__} jobs.")

    # ------------------------------------------------------------------ canvas_edit
    async def _canvas_edit(self, job: CanvasEditInput, ctx: JobContext) -> JobResult:
        parsed = parse_instruction(job.instruction)
        if isinstance(parsed, Unsupported):
            raise UnsupportedInstructionError(parsed.reply)
        plan: EditPlan = parsed
        if plan.needs_mask and job.mask is None:
            raise UnsupportedInstructionError(MaskRequiredError().message)
        ctx.progress(0.05, "Reading the image")
        source = await ctx.read_image(job.source)
        decoded: DecodedImage = await ctx.run_blocking("decode", decode_image, source)
        mask = None
        if job.mask is not None:
            ctx.progress(0.2, "Reading the mask")
            mask_bytes = await ctx.read_image(job.mask)
            mask = await ctx.run_blocking("mask", _mask_from_png, mask_bytes, decoded.image.size)
        reply = f"Done: {plan.describe()}"
        if mask is None:
            # Nothing painted: the main subject, the background or everything, as asked.
            scope = scope_of(job.instruction)
            if scope is not Scope.WHOLE:
                ctx.progress(0.2, "Finding the main subject")
                find = _subject_mask if scope is Scope.SUBJECT else _background_mask
                try:
                    mask = await ctx.run_blocking("subject", find, decoded.image)
                except (NoGarmentFoundError, NotAProductPhotoError) as exc:
                    raise UnsupportedInstructionError(NO_SUBJECT_REPLY) from exc
            reply = no_mask_reply(plan, scope, subject_name(job.instruction))
        ctx.progress(0.3, plan.describe())
        loop = asyncio.get_running_loop()
        describe = plan.describe()

        def report(fraction: float) -> None:  # called in the executor thread
            loop.call_soon_threadsafe(ctx.progress, 0.3 + 0.54 * fraction, describe)

        edit = functools.partial(
            _apply_plan, progress=report, is_cancelled=lambda: ctx.cancel.canceled
        )
        try:
            edited = await ctx.run_blocking("edit", edit, decoded.image, mask, plan)
        except EmptyMaskError as exc:
            raise UnsupportedInstructionError(exc.message) from exc
        except OperationCancelledError as exc:
            raise JobCanceledError() from exc
        ctx.progress(0.85, "Saving the new version")
        encoded = await ctx.run_blocking("encode", _encode_like, edited, decoded.mime_type)
        return JobResult(outputs=(_output(encoded, OutputKind.IMAGE),), reply_text=reply)

    # ------------------------------------------------------------------ extract_garment
    async def _extract(self, job: ExtractGarmentInput, ctx: JobContext) -> JobResult:
        ctx.progress(0.05, "Reading the photo")
        photo = await ctx.read_image(job.photo)
        ctx.progress(0.2, f"Cutting out the garment ({job.kind})")
        cutout = await self.cutouts.get(ctx, photo, str(job.kind))
        ctx.progress(0.95, "Cutout ready" + (" (from the cache)" if cutout.from_cache else ""))
        return JobResult(
            outputs=(_cutout_output(cutout, str(job.kind)),),
            cache_hits=int(cutout.from_cache),
        )

    # ------------------------------------------------------------------ product_pack
    async def _pack(self, job: ProductPackInput, ctx: JobContext) -> JobResult:
        sides = {str(g.kind) for g in job.garments}
        for angle in job.angles:
            if angle not in LOCAL_PACK_ANGLES:
                raise JobFailedError(
                    f"The local engine cannot make a {angle} view (it has no photo of it); it "
                    "makes front, back and detail views. Retry on the remote engine for more.",
                    code="unsupported_angle",
                )
            if angle in (Angle.FRONT, Angle.BACK) and str(angle) not in sides:
                raise JobFailedError(
                    f"A {angle} view needs a photo of the garment's {angle}.", code="missing_photo"
                )
        garments: dict[str, Image.Image] = {}
        hits = 0
        for index, garment in enumerate(job.garments):
            ctx.progress(
                0.05 + 0.5 * index / len(job.garments), f"Preparing the {garment.kind} photo"
            )
            photo = await ctx.read_image(garment.photo)
            if job.use_cutout:
                cutout = await self.cutouts.get(ctx, photo, str(garment.kind))
                hits += int(cutout.from_cache)
                decoded = await ctx.run_blocking("decode", decode_image, cutout.png)
            else:
                decoded = await ctx.run_blocking("decode", decode_image, photo)
            garments[str(garment.kind)] = decoded.image
        ctx.progress(0.6, f"Laying out {len(job.angles)} catalogue images")
        angles = [str(a) for a in job.angles]
        images = await ctx.run_blocking(
            "render", self.render_pack, garments, job.background, angles, job.use_cutout
        )
        if len(images) != len(angles):
            raise JobFailedError(
                f"The pack renderer made {len(images)} images for {len(angles)} angles."
            )
        outputs = []
        for angle, image in zip(angles, images, strict=True):
            ctx.progress(0.8 + 0.15 * len(outputs) / len(images), f"Saving the {angle} image")
            encoded = await ctx.run_blocking("encode", encode_auto, image)
            outputs.append(_output(encoded, OutputKind.IMAGE, angle=angle))
        return JobResult(outputs=tuple(outputs), cache_hits=hits)


def _encode_like(image: Image.Image, source_mime: str) -> EncodedImage:
    """The edited image in the source's format family; transparency always survives."""
    if source_mime == "image/jpeg":
        return encode_auto(image, photo="JPEG")
    if source_mime == "image/webp":
        return encode_image(image, "WEBP", lossless=True)
    return encode_image(image, "PNG")


def _output(encoded: EncodedImage, kind: str, angle: str | None = None) -> ProducedOutput:
    return ProducedOutput(
        data=encoded.data,
        mime_type=encoded.mime_type,
        width=encoded.width,
        height=encoded.height,
        kind=kind,
        angle=angle,
    )


def _cutout_output(cutout: Cutout, kind: str) -> ProducedOutput:
    return ProducedOutput(
        data=cutout.png,
        mime_type="image/png",
        width=cutout.width,
        height=cutout.height,
        kind=OutputKind.CUTOUT,
        angle=kind,
        ref=ObjectRef(cutout.row.storage_bucket, cutout.row.storage_path),
        blob=BlobState.CACHED,
    )


def _mask_from_png(data: bytes, size: tuple[int, int]) -> Image.Image:
    from studio_desktop.imaging.masks import mask_from_png

    return mask_from_png(data, size)


def _apply_plan(
    image: Image.Image,
    mask: Image.Image | None,
    plan: EditPlan,
    *,
    progress: Callable[[float], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> Image.Image:
    from studio_desktop.imaging.edits import apply_plan

    return apply_plan(image, mask, plan, progress=progress, is_cancelled=is_cancelled)


def _subject_mask(image: Image.Image) -> Image.Image:
    from studio_desktop.imaging.subject import subject_mask

    return subject_mask(image)


def _background_mask(image: Image.Image) -> Image.Image:
    from studio_desktop.imaging.subject import background_mask

    return background_mask(image)
