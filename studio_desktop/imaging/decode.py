"""Safe decoding of any file a user can drop or the server can send.

Accepted formats (the allow-list, :data:`ACCEPTED_FORMATS`): **JPEG** (MPO camera files read as
their first picture), **PNG** (APNG: the default image), **WebP** (animated: the first frame),
**GIF** (the first frame) and **BMP**. TIFF is refused on purpose: camera RAW files (NEF, ARW,
DNG, IIQ...) are TIFF containers whose first picture is a small preview, multi-page and 16-bit
RGB TIFFs would be silently mangled, and libtiff is the largest attack surface Pillow links; a
designer is told to export PNG or JPEG instead. HEIC, AVIF, PSD, SVG, JPEG 2000, JPEG XL and ICO
are recognised and refused the same way (:class:`UnsupportedFormatError`); PDFs, archives, text,
HTML, office documents, media and programs are named in a :class:`NotAnImageError`.

How a file is read, in order, and why:

1. The real format is sniffed from the first bytes; the file name and extension are never
   trusted (a PNG named ``.jpg`` is a PNG). The name only sharpens messages.
2. Only the header is parsed (the format's own Pillow plugin, called directly so that Pillow's
   global decompression-bomb warning never fires), and the dimensions are checked against
   ``max_pixels`` and :data:`MAX_SIDE` *before* any pixel is decoded.
3. Pixels are decoded inside ``try``: a file that ends early or has damaged data becomes a
   :class:`CorruptImageError`. ``ImageFile.LOAD_TRUNCATED_IMAGES`` is never touched.
4. EXIF orientation is applied (the returned pixels are upright; the orientation tag is gone).
5. Colour and modes are normalised so every consumer sees one of two modes:

   - the result is always mode ``"RGB"`` or ``"RGBA"``, 8 bits per channel, sRGB;
   - an embedded ICC profile (CMYK, Adobe RGB, Display P3, grey) is converted to sRGB with
     LittleCMS; a damaged profile is ignored (the pixels are still good);
   - CMYK without a profile uses the plain CMYK->RGB formula;
   - 16-bit (``I;16``, ``I``) and float (``F``) greyscale are scaled to 8 bits;
   - palette (``P``/``PA``), greyscale (``L``/``LA``) and 1-bit images become RGB, or RGBA when
     they have transparency (greyscale is not kept as ``L``: one mode for all edits and encoders
     is simpler than saving a third of the memory on rare grey photos);
   - an alpha channel that is fully opaque is dropped, so ``has_alpha`` means "has at least one
     pixel that is not fully opaque".

Nothing here touches global state (no Pillow settings, no warning filters), so decoding is safe
from several threads at once.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO

from PIL import (
    BmpImagePlugin,
    GifImagePlugin,
    Image,
    ImageCms,
    ImageFile,
    ImageOps,
    JpegImagePlugin,
    PngImagePlugin,
    WebPImagePlugin,
)

from studio_desktop.domain.errors import BugError
from studio_desktop.imaging.errors import (
    CorruptImageError,
    EmptyFileError,
    ImageReadError,
    ImageTooLargeError,
    ImageTooSmallError,
    NotAnImageError,
    UnsupportedFormatError,
)

ACCEPTED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "GIF", "BMP")
"""Pillow format names of the allow-list."""

MIME_TYPES: dict[str, str] = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "BMP": "image/bmp",
}
EXTENSIONS: dict[str, str] = {
    "JPEG": ".jpg",
    "PNG": ".png",
    "WEBP": ".webp",
    "GIF": ".gif",
    "BMP": ".bmp",
}
DISPLAY_NAMES: dict[str, str] = {
    "JPEG": "JPEG",
    "PNG": "PNG",
    "WEBP": "WebP",
    "GIF": "GIF",
    "BMP": "BMP",
}
ACCEPTED_DISPLAY: tuple[str, ...] = tuple(DISPLAY_NAMES[f] for f in ACCEPTED_FORMATS)

DEFAULT_MAX_PIXELS = 160_000_000
"""160 megapixels: room for 150 MP medium-format backs (14,204 x 10,652) used in fashion studios,
refuses decompression bombs long before they can exhaust memory (160 MP RGBA is 640 MB)."""

MAX_SIDE = 65_535
"""No side may be longer (the JPEG and GIF format maximum); stops 1 x 100,000,000 strips."""

_SNIFF_BYTES = 4096

_OPENERS: dict[str, type[ImageFile.ImageFile]] = {
    "JPEG": JpegImagePlugin.JpegImageFile,
    "PNG": PngImagePlugin.PngImageFile,
    "WEBP": WebPImagePlugin.WebPImageFile,
    "GIF": GifImagePlugin.GifImageFile,
    "BMP": BmpImagePlugin.BmpImageFile,
}

_RAW_EXTENSIONS = frozenset(
    {
        *("3fr", "arw", "cr2", "cr3", "crw", "dcr", "dng", "erf", "fff", "iiq", "k25", "kdc"),
        *("mef", "mos", "mrw", "nef", "nrw", "orf", "pef", "raf", "raw", "rw2", "rwl", "sr2"),
        *("srf", "srw", "x3f"),
    }
)


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """What a file is, read from its header only (no pixels decoded).

    ``width``/``height`` are as displayed, i.e. after EXIF orientation (a portrait photo stored
    landscape with orientation 6 reports its portrait size).
    """

    format: str
    mime_type: str
    width: int
    height: int
    has_alpha: bool
    source_size: int

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)

    @property
    def pixels(self) -> int:
        return self.width * self.height


@dataclass(frozen=True, slots=True)
class DecodedImage:
    """An upright, sRGB, 8-bit ``RGB`` or ``RGBA`` image and the facts about its source.

    ``width``/``height`` are those of ``image``. ``original_size`` is the full upright size of the
    source: the same unless the image was decoded reduced (:func:`decode_reduced`).
    ``sha256`` is the hex digest of the source bytes (the content key of caches).
    """

    image: Image.Image
    format: str
    mime_type: str
    width: int
    height: int
    has_alpha: bool
    source_size: int
    sha256: str
    original_size: tuple[int, int]


# ---------------------------------------------------------------------------- public API


def decode_image(
    source: bytes | Path,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    name: str | None = None,
    min_side: int = 1,
    color_manage: bool = True,
) -> DecodedImage:
    """Decode ``source`` (bytes, or a path read whole) into a normalised image (module docstring).

    ``name`` is the file name for messages (defaults to the path's name). ``min_side`` refuses
    images with a shorter side (:class:`ImageTooSmallError`); the default accepts 1 x 1.
    ``color_manage=False`` skips ICC conversion (for masks, where values are data, not colour).
    Raises an :class:`ImageError` subclass for every refusal.
    """
    data, name = read_source(source, name)
    return _decode(
        data,
        name,
        max_pixels=max_pixels,
        min_side=min_side,
        reduce_to=None,
        color_manage=color_manage,
    )


def decode_reduced(
    source: bytes | Path,
    longest_side: int,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    name: str | None = None,
    digest: bool = True,
) -> DecodedImage:
    """Decode for display at ``longest_side`` pixels: cheaper than :func:`decode_image`.

    JPEGs are decoded by libjpeg at 1/2, 1/4 or 1/8 scale (DCT scaling), choosing the smallest
    scale whose result still covers the display size (``longest_side`` on the long axis and the
    matching length on the other); other formats decode at full size. The image is *not*
    resized further: the caller resamples to its exact size. Same checks and normalisation as
    :func:`decode_image`. ``digest=False`` skips hashing the source (``sha256`` is then ``""``),
    for callers that already know the hash or do not need it.
    """
    if longest_side < 1:
        raise BugError(f"longest_side must be positive, not {longest_side}")
    data, name = read_source(source, name)
    return _decode(
        data,
        name,
        max_pixels=max_pixels,
        min_side=1,
        reduce_to=longest_side,
        color_manage=True,
        digest=digest,
    )


def probe_image(
    source: bytes | Path,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    name: str | None = None,
) -> ImageInfo:
    """Format, upright size and transparency from the header alone, with the same refusals as
    :func:`decode_image` except damage in the pixel data (which only decoding can find).

    For a path only the header is read from disk, so checking a dropped 100 MB file is quick.
    """
    if isinstance(source, Path):
        name = name or source.name
        try:
            with source.open("rb") as fh:
                size = _file_size(fh)
                im, fmt = _open_header(fh, name, max_pixels, 1, size)
                return _info(im, fmt, size)
        except OSError as exc:
            raise ImageReadError(_os_reason(exc), name=name) from exc
    data = bytes(source)
    im, fmt = _open_header(io.BytesIO(data), name, max_pixels, 1, len(data))
    return _info(im, fmt, len(data))


def sniff(head: bytes, name: str | None = None) -> str | None:
    """The accepted format of a file starting with ``head`` (Pillow name), or None when it is
    not one of them. Raises nothing; see :func:`identify` for a description of other files."""
    fmt, _kind = _sniff(head, name)
    return fmt


def identify(head: bytes, name: str | None = None) -> str | None:
    """What a file starting with ``head`` is, in words ("a PDF document", "a JPEG image"),
    or None when the bytes are not recognisable."""
    fmt, kind = _sniff(head, name)
    if fmt:
        return f"a {DISPLAY_NAMES[fmt]} image"
    return kind[0] if kind else None


def normalize(im: Image.Image, *, color_manage: bool = True) -> Image.Image:
    """Any Pillow image -> 8-bit sRGB ``RGB`` or ``RGBA`` (rules in the module docstring).

    Returns a new image (``im`` is left as it was); ``info`` metadata (EXIF, XMP, ICC, text) is
    not carried over because it no longer applies.
    """
    return _normalize(im, color_manage=color_manage, owned=False)


def _normalize(im: Image.Image, *, color_manage: bool, owned: bool) -> Image.Image:
    """:func:`normalize`; with ``owned`` the caller gives ``im`` away, so it may be returned
    itself (with its ``info`` cleared) instead of copied."""
    icc = im.info.get("icc_profile") if color_manage else None
    out = _to_8bit_rgb(im, icc if isinstance(icc, bytes) and icc else None)
    if out.mode == "RGBA":
        lowest, _highest = out.getchannel("A").getextrema()
        if lowest == 255:
            out = out.convert("RGB")
    if out is im and not owned:
        out = im.copy()
    out.info = {}
    return out


# ---------------------------------------------------------------------------- reading


def read_source(source: bytes | Path, name: str | None = None) -> tuple[bytes, str | None]:
    """``source``'s bytes and the name to use in messages (the path's name unless given).
    A file that cannot be read raises :class:`ImageReadError`."""
    if isinstance(source, Path):
        name = name or source.name
        try:
            return source.read_bytes(), name
        except OSError as exc:
            raise ImageReadError(_os_reason(exc), name=name) from exc
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), name
    raise TypeError(f"source must be bytes or a Path, not {type(source).__name__}")


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "the file does not exist (it may have been moved or deleted)"
    if isinstance(exc, IsADirectoryError):
        return "it is a folder, not a file"
    if isinstance(exc, PermissionError):
        return "Studio is not allowed to read it (check the file's permissions)"
    return exc.strerror or str(exc)


def _file_size(fh: IO[bytes]) -> int:
    fh.seek(0, io.SEEK_END)
    size = fh.tell()
    fh.seek(0)
    return size


def _decode(
    data: bytes,
    name: str | None,
    *,
    max_pixels: int,
    min_side: int,
    reduce_to: int | None,
    color_manage: bool,
    digest: bool = True,
) -> DecodedImage:
    im, fmt = _open_header(io.BytesIO(data), name, max_pixels, min_side, len(data))
    orientation = _orientation(im)
    full = _upright_size(im.size, orientation)
    if reduce_to is not None and fmt == "JPEG":
        # Before load: libjpeg then decodes at the smallest 1/2^k scale (k <= 3) that still
        # covers the display size on both axes, which is proportional to the stored size.
        width, height = im.size
        longest = max(width, height)
        if longest > reduce_to:
            target = (
                max(1, -(-reduce_to * width // longest)),
                max(1, -(-reduce_to * height // longest)),
            )
            im.draft(None, target)
    if fmt == "JPEG":
        # The whole file (already in memory) in one call of the decoder, not Pillow's 64 KB
        # blocks: the GIL is released once per picture instead of once per block, and libjpeg
        # never runs short of input mid-block. Measured on 12 MP photos decoded at 1/8 for a
        # thumbnail: 2-3 % less CPU per tile, the same pixels.
        im.decodermaxblock = max(im.decodermaxblock, len(data))
    _load(im, name)
    upright = _apply_orientation(im, orientation)
    out = _normalize(upright, color_manage=color_manage, owned=True)
    return DecodedImage(
        image=out,
        format=fmt,
        mime_type=MIME_TYPES[fmt],
        width=out.width,
        height=out.height,
        has_alpha=out.mode == "RGBA",
        source_size=len(data),
        sha256=hashlib.sha256(data).hexdigest() if digest else "",
        original_size=full,
    )


def _open_header(
    fh: IO[bytes], name: str | None, max_pixels: int, min_side: int, size: int
) -> tuple[ImageFile.ImageFile, str]:
    """Sniff, parse the header, check the dimensions. No pixel data is decoded here."""
    if size == 0:
        raise EmptyFileError(name=name)
    head = fh.read(_SNIFF_BYTES)
    fh.seek(0)
    fmt, kind = _sniff(head, name)
    if fmt is None:
        if kind is None:
            raise NotAnImageError(name=name)
        phrase, is_image = kind
        if is_image:
            raise UnsupportedFormatError(phrase, ACCEPTED_DISPLAY, name=name)
        raise NotAnImageError(phrase, name=name)
    declared = _declared_size(fmt, head)
    if declared is not None and min(declared) <= 0:
        raise CorruptImageError(
            f"its header declares an empty {declared[0]} x {declared[1]} image.", name=name
        )
    if declared is not None:
        _check_dimensions(*declared, max_pixels=max_pixels, min_side=0, name=name)
    try:
        im = _OPENERS[fmt](fh)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Only GIF frames larger than their screen get here: Pillow's own guard fired first.
        raise ImageTooLargeError(None, None, max_pixels=max_pixels, name=name) from exc
    except (SyntaxError, OSError, ValueError, EOFError, IndexError, TypeError, struct.error) as e:
        raise CorruptImageError(_header_problem(fmt, e, head, size), name=name) from e
    width, height = im.size
    if width <= 0 or height <= 0:
        raise CorruptImageError(
            f"its header declares an empty {width} x {height} image.", name=name
        )
    _check_dimensions(width, height, max_pixels=max_pixels, min_side=min_side, name=name)
    return im, fmt


def _check_dimensions(
    width: int, height: int, *, max_pixels: int, min_side: int, name: str | None
) -> None:
    if width * height > max_pixels or max(width, height) > MAX_SIDE:
        raise ImageTooLargeError(width, height, max_pixels=max_pixels, max_side=MAX_SIDE, name=name)
    if min(width, height) < min_side:
        raise ImageTooSmallError(width, height, min_side=min_side, name=name)


def _header_problem(fmt: str, exc: BaseException, head: bytes, size: int) -> str:
    display = DISPLAY_NAMES[fmt]
    text = str(exc).lower()
    riff_end = struct.unpack_from("<I", head, 4)[0] + 8 if fmt == "WEBP" else 0
    if (
        size < 64
        or riff_end > size
        or "truncat" in text
        or isinstance(exc, (EOFError, struct.error))
    ):
        return f"the file ends early, inside its {display} header (it may be incomplete)."
    if "crc" in text or "checksum" in text:
        return f"its {display} header fails its checksum (the file was changed or damaged)."
    if "too large" in text:
        return (
            f"its {display} file holds a metadata block (colour profile or text) far larger "
            "than any real image needs, so Studio will not read it."
        )
    return f"its {display} header cannot be read (the file is damaged or incomplete)."


def _load(im: ImageFile.ImageFile, name: str | None) -> None:
    try:
        im.load()
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error) as e:
        text = str(e).lower()
        if "truncated" in text or isinstance(e, (EOFError, struct.error)):
            detail = "the file ends early (it may not have finished downloading or copying)."
        elif "broken data stream" in text or "decoder error" in text or "crc" in text:
            detail = "its image data is corrupted."
        else:
            detail = "its image data cannot be decoded."
        raise CorruptImageError(detail, name=name) from e


# ---------------------------------------------------------------------------- orientation

_ORIENTATION_TAG = 0x0112


def _orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:  # A damaged EXIF block must not refuse a good picture.
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _upright_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else size


_TRANSPOSE = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


def _apply_orientation(im: Image.Image, orientation: int) -> Image.Image:
    if orientation == 1:
        return im
    try:
        upright = ImageOps.exif_transpose(im)
    except Exception:
        upright = None
    if upright is None or upright.size != _upright_size(im.size, orientation):
        # exif_transpose refused the EXIF block: apply the tag we read ourselves.
        upright = im
        for op in _TRANSPOSE[orientation]:
            upright = upright.transpose(op)
    return upright


# ---------------------------------------------------------------------------- modes and colour


@lru_cache(maxsize=1)
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _icc_to_srgb(im: Image.Image, icc: bytes) -> Image.Image | None:
    """``im`` (RGB, RGBA, L or CMYK) converted from its embedded profile to sRGB, or None when
    the profile is sRGB already, does not fit the mode, or is damaged."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        description = (ImageCms.getProfileDescription(profile) or "").lower()
    except (OSError, ImageCms.PyCMSError, ValueError, TypeError):
        return None
    if im.mode in ("RGB", "RGBA") and "srgb" in description:
        return None
    space = profile.profile.xcolor_space.strip()
    expected = {"RGB": "RGB", "RGBA": "RGB", "L": "GRAY", "CMYK": "CMYK"}.get(im.mode)
    if space != expected:
        return None
    alpha = im.getchannel("A") if im.mode == "RGBA" else None
    source = im.convert("RGB") if alpha is not None else im
    intent = (
        ImageCms.Intent.PERCEPTUAL if im.mode == "CMYK" else ImageCms.Intent.RELATIVE_COLORIMETRIC
    )
    try:
        out = ImageCms.profileToProfile(
            source, profile, _srgb(), renderingIntent=intent, outputMode="RGB"
        )
    except (OSError, ImageCms.PyCMSError, ValueError, TypeError):
        return None
    if out is None:
        return None
    if alpha is not None:
        out.putalpha(alpha)
    return out


def _to_8bit_rgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    mode = im.mode
    transparent = "transparency" in im.info
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        im = _wide_to_l(im)
        mode = "L"
        transparent = False  # a 16-bit tRNS key no longer matches 8-bit values
    if mode == "RGBa":
        im, mode = im.convert("RGBA"), "RGBA"
    if mode in ("LA", "La"):
        im, mode = im.convert("RGBA"), "RGBA"
    if mode in ("P", "PA"):
        wants_alpha = mode == "PA" or transparent
        return im.convert("RGBA" if wants_alpha else "RGB")
    if mode == "1":
        return im.convert("RGB")
    if icc and mode in ("RGB", "RGBA", "L", "CMYK") and not (transparent and mode != "RGBA"):
        converted = _icc_to_srgb(im, icc)
        if converted is not None:
            return converted
    if mode in ("RGB", "RGBA"):
        return im.convert("RGBA") if transparent and mode == "RGB" else im
    if mode == "L":
        return im.convert("RGBA" if transparent else "RGB")
    if "A" in mode:
        return im.convert("RGBA")
    return im.convert("RGB")  # CMYK, YCbCr, LAB, HSV, RGBX


def _wide_to_l(im: Image.Image) -> Image.Image:
    """16-bit or 32-bit integer / float greyscale -> 8-bit ``L`` (16-bit range scaled by 1/257)."""
    import numpy as np  # here, not at the top: decoding a JPEG or PNG never needs NumPy

    arr = np.asarray(im)
    if im.mode == "F":
        values = np.nan_to_num(arr.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        top = float(values.max(initial=0.0))
        if top <= 1.0:  # 0..1 floats
            values = values * 255.0
        elif top > 255.0:  # an arbitrary range: stretch its maximum to white
            values = values * (255.0 / top)
        return Image.fromarray(np.round(np.clip(values, 0, 255)).astype(np.uint8))
    values = arr.astype(np.int64)
    if im.mode == "I" and int(values.max(initial=0)) <= 255 and int(values.min(initial=0)) >= 0:
        return Image.fromarray(values.astype(np.uint8))
    clipped = np.clip(values, 0, 65535)
    return Image.fromarray(((clipped * 255 + 32767) // 65535).astype(np.uint8))


# ---------------------------------------------------------------------------- sniffing


def _sniff(head: bytes, name: str | None) -> tuple[str | None, tuple[str, bool] | None]:
    """(accepted Pillow format, None) or (None, (what it is, is it an image)) or (None, None)."""
    ext = Path(name).suffix.lower().lstrip(".") if name else ""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG", None
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG", None
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF", None
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        if head[12:16] in (b"VP8 ", b"VP8L", b"VP8X"):
            return "WEBP", None
        return None, ("a WebP image of an unknown kind", True)
    if head.startswith(b"BM") and len(head) >= 18:
        header_size = struct.unpack_from("<I", head, 14)[0]
        if header_size in (12, 16, 40, 52, 56, 64, 108, 124):
            return "BMP", None
    return None, _other_kind(head, ext)


_MAGIC: tuple[tuple[bytes, int, str, bool], ...] = (
    # (bytes, offset, what it is, is an image in a format we refuse)
    (b"%PDF-", 0, "a PDF document", False),
    (b"8BPS", 0, "a Photoshop (PSD) document", True),
    (b"FUJIFILMCCD-RAW", 0, "a camera RAW file (Fujifilm RAF)", True),
    (b"II*\x00\x10\x00\x00\x00CR", 0, "a camera RAW file (Canon CR2)", True),
    (b"IIRO", 0, "a camera RAW file (Olympus ORF)", True),
    (b"IIRS", 0, "a camera RAW file (Olympus ORF)", True),
    (b"IIU\x00", 0, "a camera RAW file (Panasonic RW2)", True),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", 0, "a JPEG 2000 image", True),
    (b"\xff\x4f\xff\x51", 0, "a JPEG 2000 image", True),
    (b"\xff\x0a", 0, "a JPEG XL image", True),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", 0, "a JPEG XL image", True),
    (b"qoif", 0, "a QOI image", True),
    (b"\x76\x2f\x31\x01", 0, "an OpenEXR image", True),
    (b"#?RADIANCE", 0, "an HDR (Radiance) image", True),
    (b"PK\x03\x04", 0, "a ZIP archive", False),
    (b"PK\x05\x06", 0, "a ZIP archive", False),
    (b"\x1f\x8b", 0, "a gzip archive", False),
    (b"7z\xbc\xaf\x27\x1c", 0, "a 7-Zip archive", False),
    (b"Rar!\x1a\x07", 0, "a RAR archive", False),
    (b"ustar", 257, "a TAR archive", False),
    (b"BZh", 0, "a bzip2 archive", False),
    (b"\xfd7zXZ\x00", 0, "an XZ archive", False),
    (b"SQLite format 3\x00", 0, "an SQLite database", False),
    (b"MZ", 0, "a Windows program", False),
    (b"\x7fELF", 0, "a program (ELF)", False),
    (b"\xcf\xfa\xed\xfe", 0, "a macOS program", False),
    (b"\xca\xfe\xba\xbe", 0, "a macOS program", False),
    (b"ID3", 0, "an MP3 audio file", False),
    (b"OggS", 0, "an Ogg media file", False),
    (b"fLaC", 0, "a FLAC audio file", False),
    (b"\x1a\x45\xdf\xa3", 0, "a video (Matroska/WebM)", False),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "an old Microsoft Office document", False),
    (b"%!PS", 0, "a PostScript document", False),
    (b"\xc5\xd0\xd3\xc6", 0, "an EPS document", False),
    (b"{\\rtf", 0, "an RTF document", False),
    (b"wOFF", 0, "a web font", False),
    (b"wOF2", 0, "a web font", False),
)

_RIFF_KINDS = {b"WAVE": "a WAV audio file", b"AVI ": "an AVI video"}

_BMFF_BRANDS: dict[bytes, tuple[str, bool]] = {
    b"heic": ("a HEIC image", True),
    b"heix": ("a HEIC image", True),
    b"heim": ("a HEIC image", True),
    b"heis": ("a HEIC image", True),
    b"hevc": ("a HEIC image sequence", True),
    b"hevx": ("a HEIC image sequence", True),
    b"avif": ("an AVIF image", True),
    b"avis": ("an AVIF image sequence", True),
    b"crx ": ("a camera RAW file (Canon CR3)", True),
    b"jxl ": ("a JPEG XL image", True),
    b"qt  ": ("a QuickTime video", False),
    b"M4V ": ("an MP4 video", False),
    b"M4A ": ("an MPEG-4 audio file", False),
    b"3gp4": ("a 3GP video", False),
    b"3gp5": ("a 3GP video", False),
}

_OFFICE_PARTS = (
    (b"word/", "a Word document"),
    (b"xl/", "an Excel spreadsheet"),
    (b"ppt/", "a PowerPoint presentation"),
    (b"mimetypeapplication/vnd.oasis", "an OpenDocument file"),
    (b"mimetypeapplication/epub", "an EPUB book"),
)


def _other_kind(head: bytes, ext: str) -> tuple[str, bool] | None:
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _BMFF_BRANDS:
            return _BMFF_BRANDS[brand]
        compatible = head[16 : struct.unpack_from(">I", head, 0)[0] if len(head) >= 4 else 16]
        if b"avif" in compatible:
            return ("an AVIF image", True)
        if b"heic" in compatible or brand in (b"mif1", b"msf1"):
            return ("a HEIC image", True)
        return ("a video or audio file (MP4)", False)
    if head.startswith(b"RIFF") and head[8:12] in _RIFF_KINDS:
        return (_RIFF_KINDS[head[8:12]], False)
    for magic, offset, kind, is_image in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            if kind == "a ZIP archive":
                return (_zip_kind(head, ext), False)
            return (kind, is_image)
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        if ext in _RAW_EXTENSIONS:
            return (f"a camera RAW file ({ext.upper()})", True)
        return ("a TIFF image", True)
    is_icon = head[:4] in (b"\x00\x00\x01\x00", b"\x00\x00\x02\x00") and len(head) >= 6
    if is_icon and head[4] and ext in ("ico", "cur"):
        return ("an icon file (ICO)", True)
    if len(head) >= 12 and head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return ("a video (QuickTime/MP4)", False)
    if head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return ("an MP3 audio file", False)
    return _text_kind(head)


def _zip_kind(head: bytes, ext: str) -> str:
    for marker, kind in _OFFICE_PARTS:
        if marker in head:
            return kind
    named = {
        "docx": "a Word document",
        "xlsx": "an Excel spreadsheet",
        "pptx": "a PowerPoint presentation",
        "sketch": "a Sketch document",
        "fig": "a Figma file",
    }
    return named.get(ext, "a ZIP archive")


_XML_PROLOGUE = re.compile(rb"^(\s|<\?xml[^>]*\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*", re.S | re.I)


def _text_kind(head: bytes) -> tuple[str, bool] | None:
    text = _as_text(head)
    if text is None:
        return None
    lowered = text.lstrip().lower()
    raw = text.encode("utf-8", "ignore")
    after_prologue = raw[_XML_PROLOGUE.match(raw).end() :].lower()  # type: ignore[union-attr]
    if after_prologue.startswith(b"<svg") or (b"<svg" in raw.lower() and b"<html" not in raw):
        return ("an SVG drawing (a vector image)", True)
    if lowered.startswith(("<!doctype html", "<html", "<head", "<body")) or "<html" in lowered:
        return ("a web page (HTML)", False)
    if lowered.startswith("<?xml") or lowered.startswith("<"):
        return ("an XML document", False)
    if lowered.startswith("data:image/"):
        return ("a text file holding an encoded image (data URL)", False)
    if lowered.startswith(("{", "[")):
        return ("a JSON or text file", False)
    return ("a text file", False)


def _as_text(head: bytes) -> str | None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return head[2:].decode("utf-16-le" if head[0] == 0xFF else "utf-16-be", "ignore")
        except UnicodeDecodeError:
            return None
    if b"\x00" in head:
        return None
    sample = head.removeprefix(b"\xef\xbb\xbf")
    text = sample.decode("utf-8", "replace")
    if text.endswith("\ufffd"):
        text = text.rstrip("\ufffd")  # a character cut at the sniff boundary
    if not text:
        return None
    printable = sum(ch.isprintable() or ch in "\r\n\t\f" for ch in text)
    return text if printable / len(text) >= 0.95 else None


# ---------------------------------------------------------------------------- header sizes


def _declared_size(fmt: str, head: bytes) -> tuple[int, int] | None:
    """The size a header declares, read before Pillow sees the file (WebP, PNG and GIF), so
    that a bomb is refused by our own check with its real dimensions in the message."""
    try:
        if fmt == "PNG" and head[12:16] == b"IHDR":
            width, height = struct.unpack_from(">II", head, 16)
            if zlib.crc32(head[12:29]) != struct.unpack_from(">I", head, 29)[0]:
                return None  # damaged header: Pillow reports it
            return width, height
        if fmt == "GIF":
            return struct.unpack_from("<HH", head, 6)
        if fmt == "WEBP":
            chunk = head[12:16]
            if chunk == b"VP8X":
                w = int.from_bytes(head[24:27], "little") + 1
                h = int.from_bytes(head[27:30], "little") + 1
                return w, h
            if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
                w, h = struct.unpack_from("<HH", head, 26)
                return w & 0x3FFF, h & 0x3FFF
            if chunk == b"VP8L" and head[20] == 0x2F:
                bits = struct.unpack_from("<I", head, 21)[0]
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    except (struct.error, IndexError):
        return None
    return None


def _info(im: ImageFile.ImageFile, fmt: str, size: int) -> ImageInfo:
    width, height = _upright_size(im.size, _orientation(im))
    alpha = im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info
    return ImageInfo(
        format=fmt,
        mime_type=MIME_TYPES[fmt],
        width=width,
        height=height,
        has_alpha=alpha,
        source_size=size,
    )
