"""The local engine: every job type that can run on this computer, offline.

- ``canvas_edit``: the instruction is parsed first (:func:`parse_instruction`); one the editor
  cannot carry out ends at once, before any pixel is decoded, as an
  :class:`UnsupportedInstructionError` whose ``reply_text`` says so and lists what it can do.
  Otherwise the image (and mask, the app's format: 255 = edit) is decoded, the plan applied to
  the masked region (the whole image without a mask), and the result encoded in the source's
  format family (PNG stays PNG, JPEG stays JPEG at final quality, transparency forces PNG).
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

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from PIL import Image

from studio_desktop.domain.enums import Angle, OutputKind
from studio_desktop.domain.paths import ObjectRef
from studio_desktop.engine.base import BlobState, JobContext, JobResult, ProducedOutput
from studio_desktop.engine.cutout_cache import CutFn, Cutout, CutoutCache
from studio_desktop.engine.errors import JobFailedError, UnsupportedInstructionError
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
from studio_desktop.imaging.operation_errors import EmptyMaskError, MaskRequiredError

# OpenCV and NumPy (the cutout, the edits, masks and the pack renderer) and the instruction
# parser are imported by the steps that use them: the app opens its workspace without them.
if TYPE_CHECKING:
    from studio_desktop.imaging.instructions import EditPlan

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
    from studio_desktop.imaging.cutout import extract_garment

    decoded = decode_image(photo)
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
        from studio_desktop.imaging.instructions import Unsupported, parse_instruction

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
        ctx.progress(0.3, plan.describe())
        try:
            edited = await ctx.run_blocking("edit", _apply_plan, decoded.image, mask, plan)
        except EmptyMaskError as exc:
            raise UnsupportedInstructionError(exc.message) from exc
        ctx.progress(0.85, "Saving the new version")
        encoded = await ctx.run_blocking("encode", _encode_like, edited, decoded.mime_type)
        return JobResult(
            outputs=(_output(encoded, OutputKind.IMAGE),),
            reply_text=f"Done: {plan.describe()}",
        )

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


def _mask_from_png(data: bytes, size: tuple[int, int]) -> Image.Image:
    from studio_desktop.imaging.masks import mask_from_png

    return mask_from_png(data, size)


def _apply_plan(image: Image.Image, mask: Image.Image | None, plan: EditPlan) -> Image.Image:
    from studio_desktop.imaging.edits import apply_plan

    return apply_plan(image, mask, plan)


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
