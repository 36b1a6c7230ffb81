"""decode_image / decode_reduced / probe_image / normalize: what a correct decode looks like.

The hostile-file corpus is in test_bad_inputs.py; this module checks the rules themselves:
colour management against an independent NumPy computation, transparency keys, 16-bit scaling,
reduced JPEG decoding, header-only probing, and decoding from many threads at once.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio_desktop.imaging.decode import (
    ACCEPTED_FORMATS,
    MIME_TYPES,
    decode_image,
    decode_reduced,
    identify,
    normalize,
    probe_image,
    sniff,
)
from studio_desktop.imaging.errors import (
    EmptyFileError,
    ImageTooSmallError,
    NotAnImageError,
    megapixels,
)

# ---------------------------------------------------------------------------- helpers


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _pad(data: bytes) -> bytes:
    return data + bytes(-len(data) % 4)


D50 = (0.9642, 1.0, 0.8249)


def _xyz_tag(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + bytes(4) + _s15(x) + _s15(y) + _s15(z)


def _icc(
    device_class: bytes, space: bytes, description: str, tags: list[tuple[bytes, bytes]]
) -> bytes:
    """An ICC v2 profile (PCS XYZ, D50) from its tags, with desc, cprt and wtpt added."""
    text = description.encode() + b"\0"
    tags = [
        (b"desc", b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(8 + 3 + 67)),
        (b"cprt", b"text" + bytes(4) + b"none\0"),
        (b"wtpt", _xyz_tag(*D50)),
        *tags,
    ]
    table_size = 4 + 12 * len(tags)
    entries, body = b"", b""
    for signature, data in tags:
        padded = _pad(data)
        entries += signature + struct.pack(">II", 128 + table_size + len(body), len(padded))
        body += padded
    header = (
        struct.pack(">I", 128 + table_size + len(body))
        + bytes(4)
        + struct.pack(">I", 0x02100000)
        + device_class
        + space
        + b"XYZ "
        + bytes(12)
        + b"acsp"
        + bytes(28)
        + b"".join(_s15(v) for v in D50)
    )
    return header + bytes(128 - len(header)) + struct.pack(">I", len(tags)) + entries + body


def rgb_icc_profile(
    description: str,
    primaries: tuple[tuple[float, float, float], ...],
    gamma: float,
) -> bytes:
    """A minimal matrix/TRC display profile, built byte by byte (no profile files needed)."""
    curve = b"curv" + bytes(4) + struct.pack(">IH", 1, round(gamma * 256))
    tags = [(b"rXYZ", _xyz_tag(*primaries[0])), (b"gXYZ", _xyz_tag(*primaries[1]))]
    tags += [(b"bXYZ", _xyz_tag(*primaries[2]))]
    tags += [(b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    return _icc(b"mntr", b"RGB ", description, tags)


SRGB_TO_XYZ_D50 = np.array(
    [
        [0.4360747, 0.3850649, 0.1430804],
        [0.2225045, 0.7168786, 0.0606169],
        [0.0139322, 0.0971045, 0.7141733],
    ]
)


def cmyk_icc_profile() -> bytes:
    """A printer profile whose A2B0 table (2-point CLUT, multilinear) maps each CMYK corner to
    the XYZ of the *linear* RGB the naive formula would give: 50 % cyan then becomes linear
    red 0.5, i.e. sRGB 188, where Pillow's plain CMYK->RGB conversion gives 127."""
    clut = b""
    for c, m, y, k in itertools.product((0, 1), repeat=4):
        linear = np.array([(1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k)])
        clut += struct.pack(
            ">HHH", *(min(65535, round(v * 32768)) for v in SRGB_TO_XYZ_D50 @ linear)
        )
    identity = struct.pack(">HH", 0, 65535)
    lut16 = (
        b"mft2"
        + bytes(4)
        + bytes([4, 3, 2, 0])
        + b"".join(_s15(v) for v in (1, 0, 0, 0, 1, 0, 0, 0, 1))
        + struct.pack(">HH", 2, 2)
        + identity * 4
        + clut
        + identity * 3
    )
    return _icc(b"prtr", b"CMYK", "Test CMYK press", [(b"A2B0", lut16)])


# Adobe RGB (1998) primaries adapted to D50, as in Adobe's published profile; gamma 563/256.
ADOBE_PRIMARIES = (
    (0.60974, 0.31111, 0.01947),
    (0.20528, 0.62567, 0.06087),
    (0.14919, 0.06322, 0.74457),
)
ADOBE_LIKE = rgb_icc_profile("Wide test RGB", ADOBE_PRIMARIES, 563 / 256)


def reference_srgb(rgb: tuple[int, int, int]) -> np.ndarray:
    """Independent maths: wide-gamut RGB -> XYZ (D50) -> linear sRGB (D50-adapted) -> sRGB."""
    linear = (np.array(rgb) / 255.0) ** (563 / 256)
    to_xyz = np.array(ADOBE_PRIMARIES).T
    xyz_to_srgb_d50 = np.array(
        [
            [3.1338561, -1.6168667, -0.4906146],
            [-0.9787684, 1.9161415, 0.0334540],
            [0.0719453, -0.2289914, 1.4052427],
        ]
    )
    out = np.clip(xyz_to_srgb_d50 @ to_xyz @ linear, 0, 1)
    encoded = np.where(out <= 0.0031308, 12.92 * out, 1.055 * out ** (1 / 2.4) - 0.055)
    return np.round(encoded * 255)


# ---------------------------------------------------------------------------- colour


def test_an_embedded_wide_gamut_profile_is_converted_to_srgb() -> None:
    data = encode(Image.new("RGB", (8, 8), (200, 50, 50)), "JPEG", quality=100,
                  subsampling=0, icc_profile=ADOBE_LIKE)  # fmt: skip
    decoded = decode_image(data)
    expected = reference_srgb((200, 50, 50))
    assert np.abs(np.array(decoded.image.getpixel((4, 4))) - expected).max() <= 3
    assert decoded.image.getpixel((4, 4))[0] > 220  # visibly more saturated than 200
    assert decoded.image.info == {}  # the pixels are sRGB now; the old profile is gone


def test_a_cmyk_profile_is_used_instead_of_the_naive_formula() -> None:
    image = Image.new("CMYK", (16, 8), (128, 0, 0, 0))  # 50 % cyan
    image.paste((0, 255, 255, 0), (8, 0, 16, 8))  # magenta + yellow = red
    profiled = decode_image(encode(image, "JPEG", quality=100, icc_profile=cmyk_icc_profile()))
    naive = decode_image(encode(image, "JPEG", quality=100))
    assert profiled.image.mode == naive.image.mode == "RGB"
    assert profiled.image.getpixel((3, 3)) == pytest.approx((188, 255, 255), abs=3)
    assert naive.image.getpixel((3, 3)) == pytest.approx((127, 255, 255), abs=3)
    assert profiled.image.getpixel((12, 4)) == pytest.approx((255, 0, 0), abs=3)


def test_color_management_can_be_turned_off() -> None:
    data = encode(Image.new("RGB", (4, 4), (200, 50, 50)), "PNG", icc_profile=ADOBE_LIKE)
    assert decode_image(data, color_manage=False).image.getpixel((0, 0)) == (200, 50, 50)


def test_an_srgb_profile_leaves_pixels_alone() -> None:
    srgb_named = rgb_icc_profile("sRGB IEC61966-2.1 (test)", ADOBE_PRIMARIES, 563 / 256)
    data = encode(Image.new("RGB", (4, 4), (200, 50, 50)), "PNG", icc_profile=srgb_named)
    assert decode_image(data).image.getpixel((0, 0)) == (200, 50, 50)


def test_a_profile_with_alpha_keeps_the_alpha() -> None:
    image = Image.new("RGBA", (4, 4), (200, 50, 50, 90))
    decoded = decode_image(encode(image, "PNG", icc_profile=ADOBE_LIKE))
    assert decoded.image.mode == "RGBA"
    pixel = decoded.image.getpixel((1, 1))
    assert pixel[3] == 90
    assert np.abs(np.array(pixel[:3]) - reference_srgb((200, 50, 50))).max() <= 3


def test_a_profile_for_another_colour_space_is_ignored() -> None:
    # An RGB profile on a greyscale image cannot apply: the grey values stay as they are.
    data = encode(Image.new("L", (4, 4), 120), "PNG", icc_profile=ADOBE_LIKE)
    assert decode_image(data).image.getpixel((0, 0)) == (120, 120, 120)


def test_transparency_keys_become_alpha() -> None:
    grey = Image.new("L", (4, 1), 10)
    grey.putpixel((3, 0), 200)
    decoded = decode_image(encode(grey, "PNG", transparency=10))
    assert decoded.image.mode == "RGBA"
    assert decoded.image.getpixel((0, 0))[3] == 0
    assert decoded.image.getpixel((3, 0)) == (200, 200, 200, 255)

    rgb = Image.new("RGB", (2, 1), (1, 2, 3))
    rgb.putpixel((1, 0), (9, 9, 9))
    decoded = decode_image(encode(rgb, "PNG", transparency=(1, 2, 3)))
    assert decoded.image.getpixel((0, 0))[3] == 0
    assert decoded.image.getpixel((1, 0)) == (9, 9, 9, 255)


def test_sixteen_bit_grey_is_scaled_not_truncated() -> None:
    values = np.array([[0, 257, 32896, 65535, 65280]], dtype=np.uint16)
    image = Image.fromarray(values)
    assert image.mode == "I;16"
    decoded = decode_image(encode(image, "PNG"))
    assert [decoded.image.getpixel((x, 0))[0] for x in range(5)] == [0, 1, 128, 255, 254]


def test_normalize_handles_modes_no_file_format_gives() -> None:
    floats = Image.fromarray(np.array([[0.0, 0.5, 1.0]], dtype=np.float32))
    assert floats.mode == "F"
    assert [normalize(floats).getpixel((x, 0)) for x in range(3)] == [
        (0, 0, 0),
        (128, 128, 128),
        (255, 255, 255),
    ]
    premultiplied = Image.new("RGBA", (1, 1), (100, 50, 0, 128)).convert("RGBa")
    assert normalize(premultiplied).mode == "RGBA"
    assert normalize(Image.new("YCbCr", (1, 1), (128, 128, 128))).mode == "RGB"


def test_normalize_leaves_its_input_alone() -> None:
    image = Image.new("RGB", (3, 3), (1, 2, 3))
    image.info["comment"] = b"keep me"
    out = normalize(image)
    assert out is not image
    assert image.info == {"comment": b"keep me"}
    assert out.info == {}


# ---------------------------------------------------------------------------- facts and limits


def test_facts_about_the_source() -> None:
    data = encode(Image.new("RGB", (30, 20), (5, 5, 5)), "WEBP", lossless=True)
    decoded = decode_image(data)
    assert decoded.sha256 == hashlib.sha256(data).hexdigest()
    assert decoded.source_size == len(data)
    assert decoded.mime_type == "image/webp" == MIME_TYPES["WEBP"]
    assert decoded.original_size == (30, 20)


def test_a_minimum_side_is_enforced_when_asked() -> None:
    data = encode(Image.new("RGB", (80, 40)), "PNG")
    assert decode_image(data, min_side=40).height == 40
    with pytest.raises(ImageTooSmallError) as caught:
        decode_image(data, min_side=64, name="tiny.png")
    assert caught.value.message == (
        "“tiny.png” is only 80 x 40 pixels; each side must be at least 64 pixels."
    )


def test_messages_without_a_name_say_this_file() -> None:
    with pytest.raises(EmptyFileError) as caught:
        decode_image(b"")
    assert caught.value.message.startswith("This file is empty")
    with pytest.raises(NotAnImageError) as not_image:
        decode_image(b"%PDF-1.4 ...")
    assert not_image.value.message == "This file is a PDF document, not an image."
    assert not_image.value.kind == "a PDF document"


def test_a_source_of_the_wrong_type_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        decode_image("photo.jpg")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pixels", "text"),
    [(900_000_000, "900"), (12_000_000, "12"), (1_500_000, "1.5"), (40_000, "0.04"), (1, "0")],
)
def test_megapixels_reads_naturally(pixels: int, text: str) -> None:
    assert megapixels(pixels) == text


# ---------------------------------------------------------------------------- sniffing


def test_sniff_recognises_every_accepted_format_from_bytes_alone() -> None:
    image = Image.new("RGB", (4, 4))
    for fmt in ACCEPTED_FORMATS:
        head = encode(image, fmt)[:64]
        assert sniff(head, name="misleading.txt") == fmt
        assert identify(head) is not None and fmt[:3].lower() in identify(head).lower()
    assert sniff(b"%PDF-1.4") is None
    assert identify(b"%PDF-1.4") == "a PDF document"
    assert identify(bytes(range(256)) * 4) is None


# ---------------------------------------------------------------------------- reduced decoding


def test_decode_reduced_uses_jpeg_dct_scaling() -> None:
    data = encode(Image.linear_gradient("L").resize((2000, 1500)).convert("RGB"), "JPEG")
    reduced = decode_reduced(data, 256)
    assert (reduced.width, reduced.height) == (500, 375)  # 1/4: 1/8 (250) would be too small
    assert reduced.original_size == (2000, 1500)
    assert decode_reduced(data, 1024).width == 2000  # 1/2 (1000) would be too small
    assert decode_reduced(data, 100).width == 250  # 1/8: the largest libjpeg offers
    assert decode_reduced(data, 4000).width == 2000  # never enlarged, never below the target


def test_decode_reduced_covers_the_display_size_of_wide_images() -> None:
    data = encode(Image.new("RGB", (4000, 500), (40, 80, 120)), "JPEG")
    reduced = decode_reduced(data, 512)
    assert (reduced.width, reduced.height) == (1000, 125)  # 1/4 still >= 512 x 64
    assert reduced.image.getpixel((10, 10)) == pytest.approx((40, 80, 120), abs=3)


def test_decode_reduced_keeps_orientation_and_reports_the_upright_size() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(Image.new("RGB", (1600, 800), (0, 0, 200)), "JPEG", exif=exif.tobytes())
    reduced = decode_reduced(data, 200)
    assert (reduced.width, reduced.height) == (100, 200)
    assert reduced.original_size == (800, 1600)


def test_decode_reduced_decodes_other_formats_whole() -> None:
    data = encode(Image.new("RGB", (600, 400)), "PNG")
    assert decode_reduced(data, 100).width == 600
    assert decode_reduced(data, 100, digest=False).sha256 == ""


# ---------------------------------------------------------------------------- probing


def test_probe_reads_the_header_only(tmp_path: Path) -> None:
    # Pixel data that is pure garbage: decoding fails, probing does not need it.
    header = encode(Image.new("RGB", (640, 480)), "PNG")[:33]
    junk = struct.pack(">I", 5) + b"IDAT" + b"\x00junk" + struct.pack(">I", zlib.crc32(b"x"))
    path = tmp_path / "big.png"
    path.write_bytes(header + junk)
    info = probe_image(path)
    assert (info.format, info.size, info.pixels) == ("PNG", (640, 480), 307_200)
    assert info.source_size == path.stat().st_size
    assert not info.has_alpha


def test_probe_reports_transparency() -> None:
    assert probe_image(encode(Image.new("RGBA", (2, 2)), "PNG")).has_alpha
    assert probe_image(encode(Image.new("LA", (2, 2)), "PNG")).has_alpha


# ---------------------------------------------------------------------------- threads


def test_decoding_from_many_threads_gives_the_same_results() -> None:
    rng = np.random.default_rng(5)
    sources = []
    for index, fmt in enumerate(["JPEG", "PNG", "WEBP", "GIF", "BMP"] * 4):
        array = rng.integers(0, 256, (48 + index, 64, 3), dtype=np.uint8)
        image = Image.fromarray(array)
        sources.append(encode(image.convert("P") if fmt == "GIF" else image, fmt))
    sources.append(encode(Image.new("RGB", (8, 8), (200, 50, 50)), "PNG", icc_profile=ADOBE_LIKE))
    sequential = [decode_image(data).image.tobytes() for data in sources]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(lambda d: decode_image(d).image.tobytes(), sources * 3))
    assert parallel == sequential * 3


def test_normalize_refuses_nothing_it_is_given() -> None:
    for mode in ("1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I", "I;16", "F", "HSV", "LAB"):
        out = normalize(Image.new(mode, (2, 2)))
        assert out.mode in ("RGB", "RGBA"), mode
