"""encode_image: the right bytes, alpha kept, metadata stripped except the ICC profile."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

from studio_desktop.domain.errors import BugError
from studio_desktop.imaging.decode import decode_image
from studio_desktop.imaging.encode import (
    FINAL,
    FORMATS,
    PREVIEW,
    choose_format,
    encode_auto,
    encode_image,
    has_transparency,
)


def with_metadata(image: Image.Image) -> Image.Image:
    """``image`` after a JPEG round trip that attached EXIF, a comment and an ICC profile."""
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Camera maker"
    exif[0x8825] = {1: "N"}  # a GPS block: private data that must never leave the machine
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes(), comment=b"secret", icc_profile=b"ICC!" * 40)
    loaded = Image.open(io.BytesIO(buffer.getvalue()))
    loaded.load()
    assert {"exif", "comment", "icc_profile"} <= set(loaded.info)
    return loaded


@pytest.mark.parametrize("fmt", FORMATS)
def test_only_the_icc_profile_survives(fmt: str) -> None:
    source = with_metadata(Image.new("RGB", (16, 16), (30, 60, 90)))
    encoded = encode_image(source, fmt)  # type: ignore[arg-type]
    with Image.open(io.BytesIO(encoded.data)) as out:
        assert out.format == fmt
        assert not dict(out.getexif())
        assert "comment" not in out.info and "xmp" not in out.info
        assert out.info.get("icc_profile") == b"ICC!" * 40
    assert b"secret" not in encoded.data and b"Camera maker" not in encoded.data


def test_an_explicit_profile_wins_and_untagged_images_stay_untagged() -> None:
    image = Image.new("RGB", (4, 4))
    assert "icc_profile" not in Image.open(io.BytesIO(encode_image(image, "PNG").data)).info
    tagged = encode_image(image, "JPEG", icc_profile=b"mine" * 30).data
    assert Image.open(io.BytesIO(tagged)).info["icc_profile"] == b"mine" * 30


@pytest.mark.parametrize(("fmt", "lossless"), [("PNG", False), ("WEBP", True)])
def test_alpha_is_kept_exactly_by_lossless_formats(fmt: str, lossless: bool) -> None:
    rng = np.random.default_rng(1)
    image = Image.fromarray(rng.integers(0, 256, (20, 30, 4), dtype=np.uint8))
    encoded = encode_image(image, fmt, lossless=lossless)  # type: ignore[arg-type]
    assert encoded.has_alpha
    with Image.open(io.BytesIO(encoded.data)) as out:
        assert out.mode == "RGBA"
        # WebP's "exact=False" may change the colour of fully transparent pixels only.
        back = np.asarray(out.convert("RGBA"))
        original = np.asarray(image)
        visible = original[..., 3] > 0
        assert np.array_equal(back[..., 3], original[..., 3])
        assert np.array_equal(back[visible], original[visible])


def test_lossy_webp_keeps_alpha() -> None:
    image = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    image.paste((200, 30, 30, 255), (8, 8, 24, 24))
    with Image.open(io.BytesIO(encode_image(image, "WEBP").data)) as out:
        assert out.mode == "RGBA"
        assert out.getpixel((0, 0))[3] == 0
        assert out.getpixel((16, 16))[3] == 255


def test_jpeg_composites_transparency_onto_the_background() -> None:
    image = Image.new("RGBA", (32, 32), (255, 0, 0, 0))  # invisible red
    image.paste((0, 0, 255, 255), (0, 0, 8, 8))
    image.paste((0, 0, 0, 128), (24, 24, 32, 32))
    white = Image.open(io.BytesIO(encode_image(image, "JPEG").data))
    assert white.mode == "RGB"
    assert white.getpixel((16, 16)) == pytest.approx((255, 255, 255), abs=3)  # not red
    assert white.getpixel((2, 2)) == pytest.approx((0, 0, 255), abs=6)
    assert white.getpixel((29, 29)) == pytest.approx((127, 127, 127), abs=6)  # half black
    green = Image.open(io.BytesIO(encode_image(image, "JPEG", background=(0, 255, 0)).data))
    assert green.getpixel((16, 16)) == pytest.approx((0, 255, 0), abs=3)


def test_quality_presets() -> None:
    photo = Image.fromarray(np.random.default_rng(2).integers(0, 256, (64, 64, 3), np.uint8))
    final = Image.open(io.BytesIO(encode_image(photo, "JPEG", quality=FINAL).data))
    preview = Image.open(io.BytesIO(encode_image(photo, "JPEG", quality=PREVIEW).data))
    assert JpegImagePlugin.get_sampling(final) == 0  # 4:4:4: no chroma bleeding on edges
    assert JpegImagePlugin.get_sampling(preview) == 2  # 4:2:0
    assert len(encode_image(photo, "JPEG", quality=PREVIEW).data) < len(
        encode_image(photo, "JPEG", quality=FINAL).data
    )


def test_encoded_image_facts_and_a_round_trip_through_decode() -> None:
    image = Image.new("RGB", (33, 17), (1, 2, 3))
    encoded = encode_image(image, "PNG")
    assert (encoded.mime_type, encoded.extension) == ("image/png", ".png")
    assert (encoded.width, encoded.height, encoded.has_alpha) == (33, 17, False)
    decoded = decode_image(encoded.data)
    assert decoded.image.tobytes() == image.tobytes()


def test_choose_format_never_loses_transparency() -> None:
    opaque_rgba = Image.new("RGBA", (2, 2), (1, 2, 3, 255))
    see_through = Image.new("RGBA", (2, 2), (1, 2, 3, 10))
    assert not has_transparency(opaque_rgba)
    assert choose_format(opaque_rgba) == "JPEG"
    assert choose_format(see_through) == "PNG"
    assert choose_format(see_through, photo="WEBP") == "WEBP"
    assert encode_auto(see_through).format == "PNG"
    assert encode_auto(Image.new("RGB", (2, 2))).mime_type == "image/jpeg"


def test_greyscale_stays_greyscale_and_other_modes_are_converted() -> None:
    grey = Image.open(io.BytesIO(encode_image(Image.new("L", (4, 4), 9), "PNG").data))
    assert grey.mode == "L"
    cmyk = encode_image(Image.new("CMYK", (4, 4), (0, 0, 0, 0)), "WEBP")
    assert Image.open(io.BytesIO(cmyk.data)).mode == "RGB"
    palette = encode_image(Image.new("P", (4, 4)), "JPEG")
    assert Image.open(io.BytesIO(palette.data)).mode == "RGB"


def test_an_unknown_format_is_a_programming_error() -> None:
    with pytest.raises(BugError, match="GIF"):
        encode_image(Image.new("RGB", (2, 2)), "GIF")  # type: ignore[arg-type]
