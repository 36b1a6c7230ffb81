"""Product packs: same canvas, same framing across angles, backgrounds read leniently."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from studio_desktop.domain.enums import Angle
from studio_desktop.domain.errors import ValidationError
from studio_desktop.imaging.cutout import extract_garment
from studio_desktop.imaging.operation_errors import NoGarmentFoundError
from studio_desktop.imaging.pack import (
    DETAIL,
    FRONT_BACK,
    Background,
    parse_background,
    render_pack,
)
from tests.imaging import garments

CANVAS = (400, 500)
PAD = 0.08


def cutout_image(
    size: tuple[int, int], box: tuple[float, float, float, float], colour: tuple[int, int, int]
) -> Image.Image:
    """An RGBA cutout: the T-shirt shape in ``box`` of a transparent ``size`` canvas."""
    coverage = garments.garment_mask(size, box=box)
    rgb = np.zeros((size[1], size[0], 3), np.uint8)
    rgb[:] = colour
    alpha = np.rint(coverage * 255).astype(np.uint8)
    return Image.fromarray(np.dstack([rgb, alpha]))


def garment_box(image: Image.Image, background: Image.Image) -> tuple[int, int, int, int]:
    diff = np.abs(
        np.asarray(image.convert("RGB"), np.int16) - np.asarray(background.convert("RGB"), np.int16)
    ).max(axis=2)
    ys, xs = np.nonzero(diff > 40)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


@pytest.fixture
def front_and_back() -> dict[str, Image.Image]:
    # The same garment photographed at different sizes, margins and positions (front 240 x 324
    # pixels, back 328 x 443): the pack must frame them the same.
    return {
        Angle.FRONT: cutout_image((300, 360), (0.1, 0.05, 0.9, 0.95), (30, 60, 140)),
        Angle.BACK: cutout_image((820, 700), (0.35, 0.2, 0.75, 0.8326), (140, 40, 50)),
    }


@pytest.mark.parametrize("align", ["center", "bottom"])
def test_angles_share_size_and_framing(front_and_back: dict[str, Image.Image], align: str) -> None:
    spec = "light grey"
    pack = render_pack(
        front_and_back,
        spec,
        canvas_size=CANVAS,
        padding=PAD,
        shadow=False,
        align=align,  # type: ignore[arg-type]
    )
    assert list(pack) == ["front", "back", DETAIL, FRONT_BACK]
    assert {im.size for im in pack.values()} == {CANVAS}
    plate = parse_background(spec).render(CANVAS)
    front = garment_box(pack["front"], plate)
    back = garment_box(pack["back"], plate)
    assert all(abs(a - b) <= 3 for a, b in zip(front, back, strict=True)), (front, back)
    pad = round(PAD * min(CANVAS))
    width, height = CANVAS
    x0, y0, x1, y1 = front
    assert abs((x0 + x1) / 2 - width / 2) <= 2, "centred horizontally"
    # The limiting side (height, for a T-shirt on 4:5) fills the safe area exactly.
    assert abs(y0 - pad) <= 3 and abs(y1 - (height - pad)) <= 3
    assert x0 >= pad - 1 and x1 <= width - pad + 1


def test_bottom_alignment_stands_garments_on_the_same_line() -> None:
    wide = cutout_image((600, 300), (0.05, 0.1, 0.95, 0.9), (30, 60, 140))
    tall = cutout_image((300, 600), (0.1, 0.05, 0.9, 0.95), (30, 60, 140))
    pack = render_pack(
        {"front": wide, "back": tall},
        "white",
        canvas_size=CANVAS,
        shadow=False,
        align="bottom",
        extras=(),
    )
    plate = parse_background("white").render(CANVAS)
    pad = round(PAD * min(CANVAS))
    for angle in ("front", "back"):
        _, _, _, bottom = garment_box(pack[angle], plate)
        assert abs(bottom - (CANVAS[1] - pad)) <= 2


def test_cutouts_from_photos_frame_consistently() -> None:
    front = extract_garment(garments.studio_sweep((300, 380)).photo)
    back = extract_garment(garments.studio_sweep((450, 570), seed=4).photo)
    pack = render_pack({"front": front, "back": back}, "#f2efe9", canvas_size=CANVAS, shadow=False)
    plate = parse_background("#f2efe9").render(CANVAS)
    a, b = garment_box(pack["front"], plate), garment_box(pack["back"], plate)
    assert all(abs(p - q) <= 4 for p, q in zip(a, b, strict=True)), (a, b)


def test_shadow_darkens_just_below_the_garment_only(front_and_back: dict[str, Image.Image]) -> None:
    plate = parse_background("white studio").render(CANVAS)
    with_shadow = render_pack(front_and_back, "white studio", canvas_size=CANVAS, extras=())
    without = render_pack(
        front_and_back, "white studio", canvas_size=CANVAS, shadow=False, extras=()
    )
    x0, _, x1, y1 = garment_box(without["front"], plate)
    below = (slice(y1 + 1, min(CANVAS[1], y1 + 6)), slice((x0 + x1) // 2 - 10, (x0 + x1) // 2 + 10))
    shaded = np.asarray(with_shadow["front"], np.int16)[below].mean()
    plain = np.asarray(without["front"], np.int16)[below].mean()
    assert shaded < plain - 3
    corner = (slice(0, 10), slice(0, 10))
    assert np.array_equal(
        np.asarray(with_shadow["front"])[corner], np.asarray(without["front"])[corner]
    )


def test_detail_is_a_close_up_of_the_front(front_and_back: dict[str, Image.Image]) -> None:
    pack = render_pack(front_and_back, "white", canvas_size=CANVAS, extras=(DETAIL,))
    detail = np.asarray(pack[DETAIL])
    blue = (np.abs(detail.astype(int) - (30, 60, 140)).max(axis=2) < 10).mean()
    assert blue > 0.6, "the front garment fills most of the close-up"
    assert FRONT_BACK not in pack


def test_front_back_composite_shows_both_at_the_same_size(
    front_and_back: dict[str, Image.Image],
) -> None:
    pack = render_pack(front_and_back, "white", canvas_size=CANVAS, shadow=False)
    both = np.asarray(pack[FRONT_BACK]).astype(int)
    middle = CANVAS[0] // 2
    blue = np.abs(both - (30, 60, 140)).max(axis=2) < 10
    red = np.abs(both - (140, 40, 50)).max(axis=2) < 10
    assert blue[:, :middle].sum() > 1000 and blue[:, middle:].sum() == 0
    assert red[:, middle:].sum() > 1000 and red[:, :middle].sum() == 0
    # The same garment from photos of different resolutions: the two silhouettes match.
    assert abs(int(blue.sum()) - int(red.sum())) < 0.03 * blue.sum()


def test_single_angle_pack_has_no_front_back() -> None:
    pack = render_pack(
        {"front": cutout_image((200, 240), (0.1, 0.1, 0.9, 0.9), (10, 10, 10))},
        "white",
        canvas_size=CANVAS,
    )
    assert list(pack) == ["front", DETAIL]


def test_original_photos_without_cutout_are_framed_the_same() -> None:
    front = garments.studio_sweep((300, 375)).photo
    back = garments.plain_white((600, 750)).photo
    pack = render_pack(
        {"front": front, "back": Image.fromarray(back)},
        "navy",
        canvas_size=CANVAS,
        use_cutout=False,
        extras=(),
    )
    assert {im.mode for im in pack.values()} == {"RGB"}
    plate = parse_background("navy").render(CANVAS)
    a, b = garment_box(pack["front"], plate), garment_box(pack["back"], plate)
    assert all(abs(p - q) <= 2 for p, q in zip(a, b, strict=True)), (a, b)
    pad = round(PAD * min(CANVAS))
    # The whole photo frame (not just the garment) fits the safe area: 4:5 photos in a
    # 336 x 436 safe area fill its width (336 x 420) and are centred vertically.
    assert a == (pad, pad + 8, CANVAS[0] - pad, CANVAS[1] - pad - 8)


def test_transparent_background_keeps_alpha(front_and_back: dict[str, Image.Image]) -> None:
    pack = render_pack(front_and_back, "transparent", canvas_size=CANVAS, shadow=False)
    front = np.asarray(pack["front"])
    assert pack["front"].mode == "RGBA"
    assert front[0, 0, 3] == 0 and front[CANVAS[1] // 2, CANVAS[0] // 2, 3] == 255


def test_inputs_are_not_modified(front_and_back: dict[str, Image.Image]) -> None:
    before = {k: v.tobytes() for k, v in front_and_back.items()}
    render_pack(front_and_back, "warm beige sweep", canvas_size=CANVAS)
    assert {k: v.tobytes() for k, v in front_and_back.items()} == before


@pytest.mark.parametrize(
    ("spec", "kind", "colour", "recognised"),
    [
        ("white studio", "sweep", (244, 244, 242), True),
        ("White Studio Sweep", "sweep", (244, 244, 242), True),
        ("light grey", "flat", (211, 211, 211), True),
        ("light gray", "flat", (211, 211, 211), True),
        ("#112233", "flat", (0x11, 0x22, 0x33), True),
        ("rgb(240, 238, 233)", "flat", (240, 238, 233), True),
        ("navy", "flat", (31, 42, 68), True),
        ("gradient", "gradient", (226, 226, 224), True),
        ("navy to white gradient", "gradient", (31, 42, 68), True),
        ("transparent", "transparent", None, True),
        ("", "sweep", (244, 244, 242), True),
        ("something the web app wrote", "sweep", (244, 244, 242), False),
    ],
)
def test_background_specs(
    spec: str, kind: str, colour: tuple[int, int, int] | None, recognised: bool
) -> None:
    background = parse_background(spec)
    assert background.kind == kind
    assert background.recognised is recognised
    if colour is not None:
        assert background.colour == colour


def test_warm_beige_sweep_is_warm_and_vignetted() -> None:
    background = parse_background("warm beige sweep")
    assert background.kind == "sweep"
    r, g, b = background.colour
    assert r > g > b
    plate = np.asarray(background.render((320, 400))).astype(float)
    centre = plate[190:210, 150:170].mean()
    corner = plate[:20, :20].mean()
    assert corner < centre - 3
    # Smooth: no visible step between neighbouring rows or columns.
    assert np.abs(np.diff(plate.mean(axis=2), axis=0)).max() < 4


def test_gradient_runs_top_to_bottom() -> None:
    plate = np.asarray(parse_background("navy to white gradient").render((100, 200))).astype(float)
    top = plate[:5].mean(axis=(0, 1))
    assert top[2] > top[0] + 25 and plate[:5].mean() < 60  # the fashion navy: dark, blue
    assert plate[-5:].mean() > 240


def test_image_and_tuple_backgrounds() -> None:
    photo = Image.new("RGB", (50, 100), (10, 200, 30))
    background = parse_background(photo)
    assert background.kind == "image"
    plate = background.render(CANVAS)
    assert plate.size == CANVAS
    assert plate.getpixel((5, 5)) == (10, 200, 30)
    assert parse_background((1, 2, 3)) == Background("flat", (1, 2, 3), description="#010203")


def test_bad_pack_requests_are_refused_clearly() -> None:
    good = {"front": cutout_image((100, 120), (0.1, 0.1, 0.9, 0.9), (0, 0, 0))}
    with pytest.raises(ValidationError, match="at least one"):
        render_pack({}, "white")
    with pytest.raises(ValidationError, match="Padding"):
        render_pack(good, "white", padding=0.6)
    with pytest.raises(ValidationError, match="canvas"):
        render_pack(good, "white", canvas_size=(10, 20000))
    with pytest.raises(ValidationError, match="Alignment"):
        render_pack(good, "white", align="top")  # type: ignore[arg-type]
    empty = Image.new("RGBA", (50, 50), (0, 0, 0, 0))
    with pytest.raises(NoGarmentFoundError, match="back cutout is completely transparent"):
        render_pack({"front": good["front"], "back": empty}, "white")
