"""The mask format and its operations: PNG round trip, import of masks made elsewhere, fitting
to the image, feathering, thresholds, measures and array conversions."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from studio_desktop.domain.errors import BugError
from studio_desktop.imaging import masks
from studio_desktop.imaging.errors import MaskSizeError, NotAnImageError
from tests.imaging.test_decode import ADOBE_LIKE


def encode(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def square_mask(
    size: tuple[int, int] = (40, 30), box: tuple[int, int, int, int] = (10, 5, 30, 25)
) -> Image.Image:
    mask = masks.empty_mask(size)
    mask.paste(masks.EDIT, box)
    return mask


# ---------------------------------------------------------------------------- the format


def test_empty_and_full_masks() -> None:
    empty = masks.empty_mask((7, 5))
    assert (empty.mode, empty.size) == ("L", (7, 5))
    assert masks.is_empty(empty) and masks.coverage(empty) == 0.0
    full = masks.full_mask((7, 5))
    assert masks.coverage(full) == 1.0 and masks.bbox(full) == (0, 0, 7, 5)
    with pytest.raises(BugError):
        masks.empty_mask((0, 5))


def test_png_round_trip_is_exact_and_greyscale() -> None:
    rng = np.random.default_rng(0)
    mask = masks.from_array(rng.integers(0, 256, (31, 47), dtype=np.uint8))
    data = masks.mask_to_png(mask)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour_type = struct.unpack_from(">IIBB", data, 16)
    assert (width, height, depth, colour_type) == (47, 31, 8, 0)  # 8-bit greyscale
    assert b"iCCP" not in data and b"eXIf" not in data and b"tEXt" not in data
    back = masks.mask_from_png(data, (47, 31))
    assert np.array_equal(masks.to_array(back), masks.to_array(mask))


def test_check_mask_rejects_other_modes_and_sizes() -> None:
    with pytest.raises(BugError, match="mode 'L'"):
        masks.check_mask(Image.new("RGB", (2, 2)))
    with pytest.raises(BugError):
        masks.check_mask(np.zeros((2, 2)))  # type: ignore[arg-type]
    with pytest.raises(BugError, match="image is"):
        masks.check_mask(masks.empty_mask((2, 2)), (3, 2))
    with pytest.raises(BugError):
        masks.feather(Image.new("RGBA", (2, 2)), 1)


# ---------------------------------------------------------------------------- masks made elsewhere


def test_alpha_is_the_mask_when_the_png_uses_transparency() -> None:
    painted = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
    painted.paste((0, 0, 0, 255), (5, 0, 10, 10))  # black paint on transparency
    painted.putpixel((0, 0), (255, 255, 255, 100))  # partial stroke
    mask = masks.mask_from_png(encode(painted), (20, 10))
    assert mask.getpixel((7, 5)) == 255
    assert mask.getpixel((15, 5)) == 0
    assert mask.getpixel((0, 0)) == 100


def test_grey_alpha_and_palette_transparency_work_too() -> None:
    la = Image.new("LA", (4, 4), (0, 0))
    la.putpixel((1, 1), (0, 255))
    assert masks.mask_from_png(encode(la), (4, 4)).getpixel((1, 1)) == 255
    palette = Image.new("P", (4, 4), 0)
    palette.putpalette([0, 0, 0, 255, 0, 0])
    palette.putpixel((2, 2), 1)
    mask = masks.mask_from_png(encode(palette, transparency=0), (4, 4))
    assert (mask.getpixel((2, 2)), mask.getpixel((0, 0))) == (255, 0)


def test_black_and_white_images_use_luminance() -> None:
    bw = Image.new("RGB", (10, 10), (0, 0, 0))
    bw.paste((255, 255, 255), (0, 0, 5, 10))
    bw.putpixel((9, 9), (128, 128, 128))
    mask = masks.mask_from_png(encode(bw), (10, 10))
    assert (mask.getpixel((1, 1)), mask.getpixel((8, 1)), mask.getpixel((9, 9))) == (255, 0, 128)
    # An alpha channel that is fully opaque carries no information: luminance decides.
    opaque = bw.convert("RGBA")
    assert masks.mask_from_png(encode(opaque), (10, 10)).getpixel((1, 1)) == 255
    one_bit = masks.mask_from_png(encode(bw.convert("1")), (10, 10))
    assert one_bit.getpixel((1, 1)) == 255 and one_bit.getpixel((8, 1)) == 0


def test_a_jpeg_mask_is_accepted_approximately() -> None:
    bw = Image.new("L", (64, 64), 0)
    bw.paste(255, (0, 0, 32, 64))
    mask = masks.mask_from_png(encode(bw, "JPEG", quality=90), (64, 64))
    assert mask.getpixel((8, 30)) > 245 and mask.getpixel((56, 30)) < 10


def test_values_are_not_colour_managed() -> None:
    # A wide-gamut profile would turn (200, 50, 50) into about (232, 46, 46): luminance 101.
    data = encode(Image.new("RGB", (4, 4), (200, 50, 50)), icc_profile=ADOBE_LIKE)
    assert masks.mask_from_png(data, (4, 4)).getpixel((0, 0)) == 95  # 0.299 R + 0.587 G + ...


def test_a_mask_with_the_same_shape_is_resized_to_the_image() -> None:
    small = square_mask((400, 300), (100, 75, 300, 225))
    fitted = masks.mask_from_png(masks.mask_to_png(small), (800, 600))
    assert fitted.size == (800, 600)
    assert fitted.getpixel((400, 300)) == 255 and fitted.getpixel((50, 50)) == 0
    assert masks.bbox(masks.threshold(fitted)) == pytest.approx((200, 150, 600, 450), abs=2)
    # 1000 x 500 against 1009 x 500 is within 1 %: stretched.
    assert masks.fit_mask(masks.empty_mask((1000, 500)), (1009, 500)).size == (1009, 500)


def test_a_mask_of_another_shape_is_refused_with_both_sizes() -> None:
    with pytest.raises(MaskSizeError) as caught:
        masks.mask_from_png(
            masks.mask_to_png(masks.empty_mask((1000, 500))), (1030, 500), name="brush.png"
        )
    message = caught.value.message
    assert "“brush.png”" in message
    assert "1,000 x 500" in message and "1,030 x 500" in message
    assert caught.value.mask_size == (1000, 500) and caught.value.image_size == (1030, 500)


def test_resize_policies() -> None:
    data = masks.mask_to_png(masks.full_mask((100, 50)))
    with pytest.raises(MaskSizeError, match="exactly"):
        masks.mask_from_png(data, (200, 100), resize_policy="exact")
    assert masks.mask_from_png(data, (100, 50), resize_policy="exact").size == (100, 50)
    assert masks.mask_from_png(data, (30, 90), resize_policy="stretch").size == (30, 90)


def test_a_file_that_is_not_an_image_gets_the_decoders_error() -> None:
    with pytest.raises(NotAnImageError, match=r"mask\.png"):
        masks.mask_from_png(b"not a png", (10, 10), name="mask.png")


def test_an_exif_rotated_mask_is_upright() -> None:
    bw = Image.new("L", (40, 20), 0)
    bw.paste(255, (0, 0, 10, 10))  # top-left block
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, displayed portrait
    mask = masks.mask_from_png(encode(bw.convert("RGB"), "JPEG", exif=exif.tobytes()), (20, 40))
    assert mask.getpixel((15, 5)) > 200 and mask.getpixel((5, 5)) < 50


# ---------------------------------------------------------------------------- operations


def test_resize_methods() -> None:
    hard = square_mask((10, 10), (3, 3, 7, 7))
    nearest = masks.resize_mask(hard, (25, 25), method="nearest")
    assert set(np.unique(masks.to_array(nearest))) == {0, 255}
    smooth = masks.resize_mask(hard, (25, 25))
    values = set(np.unique(masks.to_array(smooth)).tolist())
    assert {0, 255} <= values and len(values) > 2  # soft edges
    assert masks.resize_mask(hard, (10, 10)) is not hard


def test_feather_makes_a_ramp_across_the_edge() -> None:
    mask = masks.empty_mask((200, 20))
    mask.paste(masks.EDIT, (100, 0, 200, 20))
    soft = masks.to_array(masks.feather(mask, 8))[10]
    assert soft[0] == 0 and soft[-1] == 255
    assert np.all(np.diff(soft.astype(int)) >= 0)  # monotonic
    assert 100 <= soft[99] <= 155 and 100 <= soft[100] <= 155  # half-way at the edge
    assert soft[80] < 10 and soft[120] > 245
    assert np.array_equal(masks.to_array(masks.feather(mask, 0)), masks.to_array(mask))
    with pytest.raises(BugError):
        masks.feather(mask, -1)


def test_invert_threshold_and_grow() -> None:
    mask = masks.from_array(np.array([[0, 100, 128, 255]], dtype=np.uint8))
    assert masks.to_array(masks.invert(mask)).tolist() == [[255, 155, 127, 0]]
    assert masks.to_array(masks.threshold(mask)).tolist() == [[0, 0, 255, 255]]
    assert masks.to_array(masks.threshold(mask, 100)).tolist() == [[0, 255, 255, 255]]
    with pytest.raises(BugError):
        masks.threshold(mask, 0)
    dot = square_mask((11, 11), (5, 5, 6, 6))
    assert masks.bbox(masks.grow(dot, 2)) == (3, 3, 8, 8)
    assert masks.is_empty(masks.grow(dot, -1))


def test_measures() -> None:
    mask = square_mask((40, 30), (10, 5, 30, 25))
    assert masks.bbox(mask) == (10, 5, 30, 25)
    assert masks.coverage(mask) == pytest.approx(400 / 1200)
    assert not masks.is_empty(mask)
    half = masks.from_array(np.full((4, 4), 51, dtype=np.uint8))
    assert masks.coverage(half) == pytest.approx(0.2)
    assert masks.bbox(masks.empty_mask((3, 3))) is None


# ---------------------------------------------------------------------------- arrays


def test_array_conversions() -> None:
    mask = masks.from_array(np.array([[0, 64], [128, 255]], dtype=np.uint8))
    assert masks.to_bool(mask).tolist() == [[False, False], [True, True]]
    assert masks.to_float(mask).dtype == np.float32
    assert masks.to_float(mask)[1, 1] == 1.0 and masks.to_float(mask)[0, 0] == 0.0
    assert masks.to_array(masks.from_bool(np.array([[True, False]]))).tolist() == [[255, 0]]
    floats = np.array([[-0.5, 0.5, 1.5, np.nan]])
    assert masks.to_array(masks.from_float(floats)).tolist() == [[0, 128, 255, 0]]
    assert masks.to_array(masks.from_array(np.array([[-3, 300]]))).tolist() == [[0, 255]]
    array = masks.to_array(mask)
    array[0, 0] = 99  # a copy: the mask is untouched
    assert mask.getpixel((0, 0)) == 0
    assert masks.from_array(np.zeros((3, 5), dtype=bool)).size == (5, 3)  # (width, height)


@pytest.mark.parametrize("bad", [np.zeros((2, 2, 3)), np.zeros(4), np.zeros((0, 3))])
def test_arrays_of_the_wrong_shape_are_refused(bad: np.ndarray) -> None:
    with pytest.raises(BugError, match="2-D"):
        masks.from_array(bad)


def test_aspect_matching_tolerance() -> None:
    assert masks.aspect_matches((1000, 500), (1010, 500))
    assert not masks.aspect_matches((1000, 500), (1030, 500))
    assert masks.aspect_matches((4000, 3000), (1024, 768))
