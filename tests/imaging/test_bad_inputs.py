"""The bad-input corpus: hostile and odd files, all made here, none downloaded.

Every file either gets its typed ImageError with a message a designer understands (checked for
key words), or is decoded correctly (checked: format, size, mode, pixel samples). Each is fed as
bytes and as a file on disk (under a misleading name where that is the point), through
``probe_image``, ``decode_image`` and the thumbnail cache; a refused file leaves the cache
folder empty, and nothing escapes as an untyped exception or a warning (pytest turns warnings,
Pillow's DecompressionBombWarning included, into errors).
"""

from __future__ import annotations

import io
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio_desktop.domain.errors import ExternalError
from studio_desktop.imaging.decode import DecodedImage, decode_image, probe_image
from studio_desktop.imaging.errors import (
    CorruptImageError,
    EmptyFileError,
    ImageError,
    ImageTooLargeError,
    NotAnImageError,
    UnsupportedFormatError,
)
from studio_desktop.imaging.thumbnails import SMALL, ThumbnailCache

# ---------------------------------------------------------------------------- file makers


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def crafted_png(
    width: int, height: int, *, bit_depth: int = 8, colour_type: int = 0, rows: bytes = b""
) -> bytes:
    """A PNG whose IHDR says anything we like; IDAT holds ``rows`` (zlib-compressed)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )


def png16(width: int, height: int, colour_type: int, value: int) -> bytes:
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    row = b"\x00" + np.full(width * channels, value, dtype=">u2").tobytes()
    return crafted_png(width, height, bit_depth=16, colour_type=colour_type, rows=row * height)


def noise(size: tuple[int, int], seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


def quadrants(size: tuple[int, int] = (40, 20)) -> Image.Image:
    """Red image with a blue top-left block: shows rotation and mirroring unambiguously."""
    im = Image.new("RGB", size, (255, 0, 0))
    im.paste((0, 0, 255), (0, 0, size[0] // 4, size[1] // 2))
    return im


def jpeg_with_orientation(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(quadrants(), "JPEG", quality=95, exif=exif.tobytes())


def jpeg_sof_dimensions(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) is rewritten to claim another size."""
    data = bytearray(encode(Image.new("RGB", (16, 16), (200, 10, 10)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def corrupt_ihdr_crc() -> bytes:
    data = bytearray(encode(Image.new("RGB", (8, 8), (1, 2, 3)), "PNG"))
    data[29] ^= 0xFF  # first byte of IHDR's CRC
    return bytes(data)


def corrupt_idat_crc() -> bytes:
    data = bytearray(encode(Image.new("RGB", (8, 8), (1, 2, 3)), "PNG"))
    at = data.index(b"IDAT")
    length = struct.unpack_from(">I", data, at - 4)[0]
    data[at + 4 + length] ^= 0xFF  # the CRC after IDAT's data; the data itself is intact
    return bytes(data)


def damaged_jpeg_scan() -> bytes:
    """Bytes in the middle of the entropy-coded data overwritten (not truncated)."""
    data = bytearray(encode(noise((64, 64)), "JPEG", quality=90))
    start = data.index(b"\xff\xda") + 40
    data[start : start + 200] = bytes(range(200))
    return bytes(data)


def gif_screen(width: int, height: int) -> bytes:
    data = bytearray(encode(Image.new("P", (8, 8), 1), "GIF"))
    data[6:10] = struct.pack("<HH", width, height)
    return bytes(data)


def gif_frame_larger_than_screen() -> bytes:
    data = bytearray(encode(Image.new("P", (8, 8), 1), "GIF"))
    descriptor = data.index(b",")
    data[descriptor + 5 : descriptor + 9] = struct.pack("<HH", 60000, 60000)
    return bytes(data)


def webp_vp8x(width: int, height: int) -> bytes:
    payload = b"\x10\x00\x00\x00" + (width - 1).to_bytes(3, "little")
    payload += (height - 1).to_bytes(3, "little")
    return (
        b"RIFF"
        + struct.pack("<I", 4 + 8 + len(payload))
        + b"WEBPVP8X"
        + b"\x0a\x00\x00\x00"
        + payload
    )


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (10, 10), colour) for colour in ((255, 0, 0), (0, 255, 0))]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


def animated_webp() -> bytes:
    frames = [Image.new("RGB", (10, 10), colour) for colour in ((0, 0, 255), (255, 255, 0))]
    return encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)


def animated_png() -> bytes:
    frames = [Image.new("RGB", (10, 10), colour) for colour in ((0, 255, 0), (255, 0, 255))]
    return encode(frames[0], "PNG", save_all=True, append_images=frames[1:])


def palette_png(*, transparent: bool) -> bytes:
    image = Image.new("P", (6, 6), 0)
    image.putpalette([255, 0, 0, 0, 128, 0])
    image.putpixel((5, 5), 1)
    return encode(image, "PNG", **({"transparency": 0} if transparent else {}))


def zip_file(member: str) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, "content")
    return buffer.getvalue()


def isobmff(brand: bytes) -> bytes:
    return (
        struct.pack(">I", 24) + b"ftyp" + brand + b"\x00\x00\x00\x00" + b"mif1" + brand + bytes(64)
    )


# ---------------------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class Case:
    id: str
    make: Callable[[], bytes]
    name: str
    error: type[ImageError] | None = None
    words: tuple[str, ...] = ()
    check: Callable[[DecodedImage], None] | None = None
    header_level: bool = True  # False: only decoding the pixels can find the problem
    expect_probe: dict[str, object] = field(default_factory=dict)


def near(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 6) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def expect(
    fmt: str, size: tuple[int, int], mode: str, samples: dict[tuple[int, int], tuple[int, ...]]
) -> Callable[[DecodedImage], None]:
    def check(decoded: DecodedImage) -> None:
        assert decoded.format == fmt
        assert (decoded.width, decoded.height) == size == decoded.image.size
        assert decoded.image.mode == mode
        assert decoded.has_alpha == (mode == "RGBA")
        for xy, colour in samples.items():
            assert near(decoded.image.getpixel(xy), colour), (xy, decoded.image.getpixel(xy))

    return check


ACCEPTS = ("JPEG", "PNG", "WebP", "GIF", "BMP")

CASES: list[Case] = [
    # --- empty, truncated, damaged
    Case("zero-bytes", lambda: b"", "empty.png", EmptyFileError, ("empty", "0 bytes")),
    Case(
        "truncated-jpeg",
        lambda: encode(noise((120, 90)), "JPEG")[:3000],
        "cut.jpg",
        CorruptImageError,
        ("damaged", "ends early"),
        header_level=False,
    ),
    Case(
        "truncated-png",
        lambda: encode(noise((120, 90)), "PNG")[:5000],
        "cut.png",
        CorruptImageError,
        ("damaged", "ends early"),
        header_level=False,
    ),
    Case(
        "png-signature-only",
        lambda: b"\x89PNG\r\n\x1a\n",
        "stub.png",
        CorruptImageError,
        ("ends early", "PNG header"),
    ),
    Case(
        "jpeg-header-only",
        lambda: encode(noise((64, 64)), "JPEG")[:150],
        "stub.jpg",
        CorruptImageError,
        ("damaged", "JPEG"),
    ),
    Case(
        "truncated-gif",
        lambda: encode(noise((40, 40)).convert("P"), "GIF")[:-200],
        "cut.gif",
        CorruptImageError,
        ("ends early",),
        header_level=False,
    ),
    Case(
        "truncated-webp",
        lambda: encode(noise((64, 64)), "WEBP")[:400],
        "cut.webp",
        CorruptImageError,
        ("ends early", "WebP"),
    ),
    Case(
        "truncated-bmp",
        lambda: encode(Image.new("RGB", (32, 32), (5, 6, 7)), "BMP")[:1500],
        "cut.bmp",
        CorruptImageError,
        ("ends early",),
        header_level=False,
    ),
    Case(
        "png-bad-header-crc",
        corrupt_ihdr_crc,
        "crc.png",
        CorruptImageError,
        ("damaged", "checksum"),
    ),
    # Pillow does not verify IDAT checksums; the pixel data is intact, so the image is fine.
    Case(
        "png-bad-data-crc",
        corrupt_idat_crc,
        "crc-data.png",
        check=expect("PNG", (8, 8), "RGB", {(0, 0): (1, 2, 3), (7, 7): (1, 2, 3)}),
    ),
    Case(
        "png-zero-size",
        lambda: crafted_png(0, 0),
        "nothing.png",
        CorruptImageError,
        ("empty 0 x 0",),
    ),
    Case(
        "jpeg-zero-width",
        lambda: jpeg_sof_dimensions(0, 16),
        "zero.jpg",
        CorruptImageError,
        ("damaged", "JPEG header"),
    ),
    Case(
        "jpeg-damaged-scan",
        damaged_jpeg_scan,
        "glitch.jpg",
        check=expect("JPEG", (64, 64), "RGB", {}),
    ),
    Case(
        "jpeg-garbage-after-eoi",
        lambda: encode(Image.new("RGB", (20, 10), (10, 200, 30)), "JPEG") + b"TRAILING" * 500,
        "trailer.jpg",
        check=expect("JPEG", (20, 10), "RGB", {(0, 0): (10, 200, 30), (19, 9): (10, 200, 30)}),
    ),
    Case(
        "png-oversized-icc-block",
        lambda: (
            crafted_png(4, 4, rows=b"\x00" * 5 * 4)[:33]
            + png_chunk(b"iCCP", b"huge\x00\x00" + zlib.compress(bytes(3_000_000)))
            + crafted_png(4, 4, rows=b"\x00" * 5 * 4)[33:]
        ),
        "icc.png",
        CorruptImageError,
        ("metadata block", "colour profile"),
    ),
    Case(
        "jpeg-huge-garbage-icc",
        lambda: encode(
            Image.new("RGB", (16, 16), (200, 10, 10)),
            "JPEG",
            quality=95,
            icc_profile=np.random.default_rng(3).integers(0, 256, 2_000_000, np.uint8).tobytes(),
        ),
        "icc.jpg",
        check=expect("JPEG", (16, 16), "RGB", {(8, 8): (200, 10, 10)}),
    ),
    # --- sizes
    Case(
        "png-bomb-30000",
        lambda: crafted_png(30000, 30000, bit_depth=1),
        "bomb.png",
        ImageTooLargeError,
        ("30,000 x 30,000", "900 megapixels", "limit is 160 megapixels"),
    ),
    Case(
        "jpeg-bomb-sof",
        lambda: jpeg_sof_dimensions(65500, 65500),
        "bomb.jpg",
        ImageTooLargeError,
        ("65,500 x 65,500", "megapixels"),
    ),
    Case(
        "gif-bomb-screen",
        lambda: gif_screen(65535, 65535),
        "bomb.gif",
        ImageTooLargeError,
        ("65,535 x 65,535",),
    ),
    Case(
        "gif-bomb-frame",
        gif_frame_larger_than_screen,
        "frame.gif",
        ImageTooLargeError,
        ("larger than Studio accepts", "160 megapixels"),
    ),
    Case(
        "webp-bomb",
        lambda: webp_vp8x(16383, 16383),
        "bomb.webp",
        ImageTooLargeError,
        ("16,383 x 16,383", "268 megapixels"),
    ),
    Case(
        "png-side-too-long",
        lambda: crafted_png(70000, 1),
        "strip.png",
        ImageTooLargeError,
        ("70,000 x 1", "longest side", "65,535"),
    ),
    Case(
        "one-by-one",
        lambda: encode(Image.new("RGB", (1, 1), (9, 99, 199)), "PNG"),
        "dot.png",
        check=expect("PNG", (1, 1), "RGB", {(0, 0): (9, 99, 199)}),
    ),
    Case(
        "strip-20000x200",
        lambda: encode(Image.new("L", (20000, 200), 77), "PNG"),
        "banner.png",
        check=expect("PNG", (20000, 200), "RGB", {(0, 0): (77, 77, 77), (19999, 199): (77,) * 3}),
    ),
    # --- modes and colour
    Case(
        "cmyk-jpeg",
        lambda: encode(Image.new("CMYK", (12, 12), (0, 255, 255, 0)), "JPEG", quality=95),
        "print.jpg",
        check=expect("JPEG", (12, 12), "RGB", {(6, 6): (255, 0, 0)}),
    ),
    Case(
        "png-16-bit-grey",
        lambda: png16(5, 4, 0, 0x8080),
        "deep.png",
        check=expect("PNG", (5, 4), "RGB", {(0, 0): (128, 128, 128)}),
    ),
    Case(
        "png-16-bit-rgb",
        lambda: png16(5, 4, 2, 0xC0C0),
        "deep-rgb.png",
        check=expect("PNG", (5, 4), "RGB", {(4, 3): (192, 192, 192)}),
    ),
    Case(
        "png-16-bit-rgba",
        lambda: png16(5, 4, 6, 0x4040),
        "deep-rgba.png",
        check=expect("PNG", (5, 4), "RGBA", {(2, 2): (64, 64, 64, 64)}),
    ),
    Case(
        "png-palette-transparent",
        lambda: palette_png(transparent=True),
        "pal-alpha.png",
        check=expect("PNG", (6, 6), "RGBA", {(0, 0): (255, 0, 0, 0), (5, 5): (0, 128, 0, 255)}),
    ),
    Case(
        "png-palette-opaque",
        lambda: palette_png(transparent=False),
        "pal.png",
        check=expect("PNG", (6, 6), "RGB", {(0, 0): (255, 0, 0), (5, 5): (0, 128, 0)}),
    ),
    Case(
        "png-grey-alpha",
        lambda: encode(Image.new("LA", (4, 4), (100, 50)), "PNG"),
        "la.png",
        check=expect("PNG", (4, 4), "RGBA", {(0, 0): (100, 100, 100, 50)}),
    ),
    Case(
        "png-1-bit",
        lambda: encode(Image.new("1", (9, 3), 1), "PNG"),
        "bits.png",
        check=expect("PNG", (9, 3), "RGB", {(8, 2): (255, 255, 255)}),
    ),
    Case(
        "png-rgba-fully-opaque",
        lambda: encode(Image.new("RGBA", (4, 4), (1, 2, 3, 255)), "PNG"),
        "opaque.png",
        check=expect("PNG", (4, 4), "RGB", {(0, 0): (1, 2, 3)}),
    ),
    Case(
        "bmp",
        lambda: encode(Image.new("RGB", (32, 32), (5, 6, 7)), "BMP"),
        "old.bmp",
        check=expect("BMP", (32, 32), "RGB", {(31, 31): (5, 6, 7)}),
    ),
    Case(
        "webp-lossless-alpha",
        lambda: encode(Image.new("RGBA", (8, 8), (10, 20, 30, 40)), "WEBP", lossless=True),
        "alpha.webp",
        check=expect("WEBP", (8, 8), "RGBA", {(0, 0): (10, 20, 30, 40)}),
    ),
    # --- animation: the first frame
    Case(
        "animated-gif",
        animated_gif,
        "anim.gif",
        check=expect("GIF", (10, 10), "RGB", {(5, 5): (255, 0, 0)}),
    ),
    Case(
        "animated-webp",
        animated_webp,
        "anim.webp",
        check=expect("WEBP", (10, 10), "RGB", {(5, 5): (0, 0, 255)}),
    ),
    Case(
        "animated-png",
        animated_png,
        "anim.png",
        check=expect("PNG", (10, 10), "RGB", {(5, 5): (0, 255, 0)}),
    ),
    # --- orientation
    Case(
        "exif-rotated-90",
        lambda: jpeg_with_orientation(6),
        "portrait.jpg",
        check=expect("JPEG", (20, 40), "RGB", {(15, 3): (0, 0, 255), (3, 3): (255, 0, 0)}),
        expect_probe={"width": 20, "height": 40},
    ),
    Case(
        "exif-mirrored",
        lambda: jpeg_with_orientation(2),
        "mirror.jpg",
        check=expect("JPEG", (40, 20), "RGB", {(37, 3): (0, 0, 255), (3, 3): (255, 0, 0)}),
    ),
    # --- the wrong extension: the bytes decide
    Case(
        "png-named-jpg",
        lambda: encode(Image.new("RGB", (7, 5), (0, 90, 0)), "PNG"),
        "really-a-png.jpg",
        check=expect("PNG", (7, 5), "RGB", {(0, 0): (0, 90, 0)}),
    ),
    Case(
        "jpeg-named-webp",
        lambda: encode(Image.new("RGB", (7, 5), (0, 0, 90)), "JPEG"),
        "really-a-jpeg.webp",
        check=expect("JPEG", (7, 5), "RGB", {(3, 3): (0, 0, 90)}),
    ),
    # --- not images
    Case(
        "text-named-png",
        lambda: b"Order #123\nThree shirts, blue.\n",
        "notes.png",
        NotAnImageError,
        ("text file", "not an image"),
    ),
    Case(
        "utf16-text",
        lambda: "Fabric: linen 100%".encode("utf-16"),
        "fabric.jpg",
        NotAnImageError,
        ("text file",),
    ),
    Case(
        "pdf",
        lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
        "lookbook.png",
        NotAnImageError,
        ("PDF",),
    ),
    Case("zip", lambda: zip_file("a.txt"), "photos.jpg", NotAnImageError, ("ZIP archive",)),
    Case(
        "word-document",
        lambda: zip_file("word/document.xml"),
        "brief.png",
        NotAnImageError,
        ("Word document",),
    ),
    Case(
        "html",
        lambda: b"<!DOCTYPE html>\n<html><body><img src='x.png'></body></html>",
        "saved-page.jpg",
        NotAnImageError,
        ("web page", "HTML"),
    ),
    Case(
        "windows-program",
        lambda: b"MZ\x90\x00\x03" + bytes(200),
        "setup.png",
        NotAnImageError,
        ("Windows program",),
    ),
    Case(
        "random-bytes",
        lambda: np.random.default_rng(7).integers(0, 256, 4096, np.uint8).tobytes(),
        "noise.png",
        NotAnImageError,
        ("not an image file Studio can read",),
    ),
    # --- real images in formats outside the allow-list
    Case(
        "svg",
        lambda: b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="9"/>',
        "logo.png",
        UnsupportedFormatError,
        ("SVG", "vector", *ACCEPTS),
    ),
    Case(
        "tiff",
        lambda: encode(Image.new("RGB", (8, 8)), "TIFF"),
        "scan.png",
        UnsupportedFormatError,
        ("TIFF", "export it as JPEG or PNG", *ACCEPTS),
    ),
    Case(
        "tiff-camera-raw",
        lambda: encode(Image.new("RGB", (8, 8)), "TIFF"),
        "DSC_0042.NEF",
        UnsupportedFormatError,
        ("camera RAW", "NEF"),
    ),
    Case(
        "psd",
        lambda: b"8BPS\x00\x01" + bytes(100),
        "layout.png",
        UnsupportedFormatError,
        ("Photoshop",),
    ),
    Case("heic", lambda: isobmff(b"heic"), "IMG_0001.jpg", UnsupportedFormatError, ("HEIC",)),
    Case(
        "avif",
        lambda: encode(Image.new("RGB", (8, 8), (1, 2, 3)), "AVIF"),
        "web.png",
        UnsupportedFormatError,
        ("AVIF",),
    ),
    Case(
        "jpeg-2000",
        lambda: encode(Image.new("RGB", (8, 8)), "JPEG2000"),
        "archive.jpg",
        UnsupportedFormatError,
        ("JPEG 2000",),
    ),
    Case(
        "ico",
        lambda: encode(Image.new("RGB", (16, 16)), "ICO"),
        "favicon.ico",
        UnsupportedFormatError,
        ("icon",),
    ),
]


def by_id(case: Case) -> str:
    return case.id


def test_the_corpus_is_big_enough() -> None:
    assert len(CASES) >= 30
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("via", ["bytes", "path"])
@pytest.mark.parametrize("case", CASES, ids=by_id)
def test_decode(case: Case, via: str, tmp_path: Path) -> None:
    data = case.make()
    source: bytes | Path = data
    if via == "path":
        source = tmp_path / case.name
        source.write_bytes(data)
    name = case.name if via == "bytes" else None  # a path names itself
    if case.error is not None:
        with pytest.raises(case.error) as caught:
            decode_image(source, name=name)
        error = caught.value
        assert isinstance(error, ExternalError)
        assert case.name in error.message  # the file is named in the message
        for word in case.words:
            assert word in error.message, (word, error.message)
        assert "Traceback" not in error.message and "\n" not in error.message
    else:
        assert case.check is not None
        decoded = decode_image(source, name=name)
        case.check(decoded)
        assert decoded.source_size == len(data)
        assert decoded.image.info == {}  # no EXIF/ICC/XMP left on upright sRGB pixels


@pytest.mark.parametrize("case", CASES, ids=by_id)
def test_probe_agrees_with_decode(case: Case) -> None:
    data = case.make()
    if case.error is not None and case.header_level:
        with pytest.raises(case.error):
            probe_image(data, name=case.name)
        return
    info = probe_image(data, name=case.name)
    if case.error is None:
        decoded = decode_image(data, name=case.name)
        assert (info.format, info.width, info.height) == (
            decoded.format,
            decoded.width,
            decoded.height,
        )
        if decoded.has_alpha:
            assert info.has_alpha
    for key, value in case.expect_probe.items():
        assert getattr(info, key) == value


@pytest.mark.parametrize("case", CASES, ids=by_id)
def test_thumbnail_cache_writes_nothing_for_refused_files(case: Case, tmp_path: Path) -> None:
    folder = tmp_path / "thumbs"
    cache = ThumbnailCache(folder)
    data = case.make()
    if case.error is not None:
        with pytest.raises(case.error):
            cache.get_or_make(data, SMALL, name=case.name)
        assert list(folder.rglob("*")) == []
        return
    path = cache.get_or_make(data, SMALL, name=case.name)
    assert [p for p in folder.rglob("*") if p.is_file()] == [path]
    with Image.open(path) as thumbnail:
        assert max(thumbnail.size) <= SMALL


@pytest.mark.parametrize(
    "data",
    [
        crafted_png(30000, 30000, bit_depth=1),
        jpeg_sof_dimensions(65500, 65500),
        webp_vp8x(16383, 16383),
        gif_screen(65535, 65535),
    ],
    ids=["png", "jpeg", "webp", "gif"],
)
def test_bombs_are_refused_before_any_pixel_is_decoded(data: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(ImageTooLargeError) as caught:
        decode_image(data)
    assert time.perf_counter() - started < 0.25  # decoding 900 MP would take many seconds
    assert caught.value.width is not None and caught.value.width * caught.value.height > 160e6


def test_a_lower_limit_is_honoured_and_stated() -> None:
    data = encode(Image.new("RGB", (3000, 2000)), "PNG")
    with pytest.raises(ImageTooLargeError) as caught:
        decode_image(data, max_pixels=5_000_000, name="wide.png")
    assert "3,000 x 2,000 (6 megapixels)" in caught.value.message
    assert "limit is 5 megapixels" in caught.value.message
    assert decode_image(data, max_pixels=6_000_000).width == 3000


def test_a_missing_file_is_a_typed_error(tmp_path: Path) -> None:
    from studio_desktop.imaging.errors import ImageReadError

    with pytest.raises(ImageReadError, match="does not exist"):
        decode_image(tmp_path / "gone.jpg")
    with pytest.raises(ImageReadError, match="folder"):
        decode_image(tmp_path)
    with pytest.raises(ImageReadError, match="does not exist"):
        probe_image(tmp_path / "gone.jpg")
