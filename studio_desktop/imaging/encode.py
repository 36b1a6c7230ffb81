"""Encoding images to PNG, JPEG or WebP bytes, ready to store or upload.

What is written, and what is not:

- Pixels are written as they are; decoded images are upright sRGB already (``decode``), so no
  EXIF (orientation included: it has been applied), XMP, comments or text chunks are written.
  The one piece of metadata kept is an ICC profile, when the image carries one in
  ``image.info["icc_profile"]`` or the caller passes ``icc_profile``: without it, colour-managed
  viewers would show the wrong colours. Untagged images are sRGB by convention.
- Alpha is kept by PNG and WebP. JPEG has no alpha: an image with transparency is composited
  onto ``background`` (white unless given) rather than having its alpha thrown away, which would
  expose whatever colour the transparent pixels happen to hold.
- Quality defaults suit catalogue images: JPEG 90 with 4:4:4 chroma (no colour bleeding on
  garment edges and text), optimised Huffman tables; WebP 90 (lossy) or lossless on request;
  PNG with zlib level 6. :data:`PREVIEW` trades a little quality for speed and size, for
  thumbnails and other disposable renditions.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

from PIL import Image

from studio_desktop.domain.errors import BugError
from studio_desktop.imaging.decode import EXTENSIONS, MIME_TYPES

EncodeFormat = Literal["PNG", "JPEG", "WEBP"]
FORMATS: tuple[EncodeFormat, ...] = ("PNG", "JPEG", "WEBP")


@dataclass(frozen=True, slots=True)
class Quality:
    """Encoder settings. ``jpeg``/``webp`` are 1..100; ``png_level`` is zlib's 0..9."""

    jpeg: int = 90
    jpeg_subsampling: Literal["4:4:4", "4:2:2", "4:2:0"] = "4:4:4"
    jpeg_optimize: bool = True
    webp: int = 90
    webp_method: int = 4
    png_level: int = 6


FINAL = Quality()
"""Outputs a designer keeps: job outputs, exports, canvas versions."""

PREVIEW = Quality(
    jpeg=85, jpeg_subsampling="4:2:0", jpeg_optimize=False, webp=82, webp_method=2, png_level=3
)
"""Thumbnails and other renditions that can be remade at will: fast, small, still clean."""


@dataclass(frozen=True, slots=True)
class EncodedImage:
    """Encoded bytes with what a ``job_outputs`` row or an upload needs to know about them."""

    data: bytes
    format: EncodeFormat
    mime_type: str
    extension: str
    width: int
    height: int
    has_alpha: bool


def has_transparency(image: Image.Image) -> bool:
    """True if some pixel is not fully opaque (an all-opaque alpha channel does not count)."""
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        lowest, _highest = image.getchannel("A").getextrema()
        return lowest < 255
    return "transparency" in image.info


def choose_format(image: Image.Image, *, photo: EncodeFormat = "JPEG") -> EncodeFormat:
    """PNG for images with transparency, ``photo`` (JPEG unless given) for the rest."""
    if has_transparency(image):
        return "PNG" if photo == "JPEG" else photo
    return photo


def encode_image(
    image: Image.Image,
    format: EncodeFormat,
    *,
    quality: Quality = FINAL,
    lossless: bool = False,
    background: tuple[int, int, int] = (255, 255, 255),
    icc_profile: bytes | None = None,
) -> EncodedImage:
    """Encode ``image`` (any mode; normally RGB, RGBA or L) as ``format``.

    ``lossless`` applies to WebP only. ``background`` is the colour under transparent pixels
    when the format (JPEG) cannot store alpha. ``icc_profile`` overrides the image's own.
    Raises :class:`BugError` for a format outside :data:`FORMATS` (a programming mistake).
    """
    if format not in FORMATS:
        raise BugError(f"cannot encode images as {format!r}; choose one of {', '.join(FORMATS)}")
    pixels = _encodable(image, format, background)
    icc = icc_profile if icc_profile is not None else image.info.get("icc_profile")
    # Every piece of metadata a Pillow encoder would copy from ``info`` is passed explicitly, so
    # nothing but the ICC profile (when there is one) reaches the file.
    options: dict[str, object] = {
        "icc_profile": icc if isinstance(icc, bytes) and pixels.mode != "1" else b"",
        "exif": b"",
    }
    if format == "JPEG":
        options.update(
            comment=b"",
            quality=quality.jpeg,
            subsampling=quality.jpeg_subsampling,
            optimize=quality.jpeg_optimize,
        )
    elif format == "WEBP":
        options.update(method=quality.webp_method, exact=False)
        if lossless:
            options.update(lossless=True, quality=100)
        else:
            options.update(quality=quality.webp)
    else:
        options.update(compress_level=quality.png_level)
    buffer = io.BytesIO()
    pixels.save(buffer, format, **options)
    return EncodedImage(
        data=buffer.getvalue(),
        format=format,
        mime_type=MIME_TYPES[format],
        extension=EXTENSIONS[format],
        width=pixels.width,
        height=pixels.height,
        has_alpha=pixels.mode in ("RGBA", "LA"),
    )


def encode_auto(
    image: Image.Image, *, photo: EncodeFormat = "JPEG", quality: Quality = FINAL
) -> EncodedImage:
    """:func:`encode_image` in :func:`choose_format`'s format: transparency is never lost."""
    return encode_image(image, choose_format(image, photo=photo), quality=quality)


def _encodable(
    image: Image.Image, format: EncodeFormat, background: tuple[int, int, int]
) -> Image.Image:
    """The image in a mode ``format`` stores faithfully (``image`` itself when it already is)."""
    mode = image.mode
    if format == "JPEG":
        if mode in ("RGB", "L", "CMYK"):
            out = image
        elif has_transparency(image):
            rgba = image.convert("RGBA")
            out = Image.new("RGB", rgba.size, background)
            out.paste(rgba, mask=rgba.getchannel("A"))
        else:
            out = image.convert("RGB")
    elif mode in ("RGB", "RGBA", "L") or (format == "PNG" and mode in ("LA", "1", "I;16")):
        out = image
    elif has_transparency(image) or "A" in mode:
        out = image.convert("RGBA")
    else:
        out = image.convert("RGB")
    return out
