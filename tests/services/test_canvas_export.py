"""Exporting a canvas version: full size, the Original's colour profile (converting an edit
into it), its metadata, upright pixels; and the snap-to-edges bookkeeping (Qt-free)."""

from __future__ import annotations

import io
import struct
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, PngImagePlugin

from studio_desktop.imaging.errors import RefinementCancelledError
from studio_desktop.services.canvas_export import export_file_name, export_version_png
from studio_desktop.services.mask_refinement import MaskRefiner, outline
from tests.imaging.photo_scene import photo_scene

# Adobe RGB (1998) primaries adapted to D50, as an ICC profile stores them.
ADOBE_D50 = {
    b"rXYZ": (0.6097, 0.3111, 0.0195),
    b"gXYZ": (0.2053, 0.6257, 0.0609),
    b"bXYZ": (0.1492, 0.0632, 0.7446),
}


def wide_gamut_profile() -> bytes:
    """An RGB matrix profile with Adobe RGB's primaries: lcms' sRGB profile with its colorant
    tags rewritten (no such profile file ships on this machine)."""
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    count = struct.unpack(">I", data[128:132])[0]
    for i in range(count):
        sig, offset, _size = struct.unpack(">4sII", data[132 + 12 * i : 144 + 12 * i])
        if sig in ADOBE_D50:
            values = [round(v * 65536) for v in ADOBE_D50[sig]]
            data[offset + 8 : offset + 20] = struct.pack(">3i", *values)
    data[84:100] = bytes(16)  # the profile ID (an MD5) no longer matches: clear it
    return bytes(data)


def save_png(path: Path, pixels: np.ndarray, **options) -> Path:
    Image.fromarray(pixels).save(path, "PNG", **options)
    return path


@pytest.fixture
def pixels() -> np.ndarray:
    return photo_scene(size=(320, 214)).image


def test_an_edit_is_converted_into_the_originals_profile(tmp_path: Path, pixels) -> None:
    icc = wide_gamut_profile()
    original = save_png(tmp_path / "original.png", pixels, icc_profile=icc)
    edited_pixels = pixels.copy()
    edited_pixels[..., 0] = 255 - edited_pixels[..., 0]
    edit = save_png(tmp_path / "edit.png", edited_pixels)  # what an engine writes: sRGB
    result = export_version_png(edit, original, tmp_path / "out.png")
    assert result.icc_kept and result.note is None
    with Image.open(result.path) as image:
        assert image.info["icc_profile"] == icc
        assert image.size == (320, 214)
        written = image.convert("RGB")
        written.load()
    # Not simply the sRGB numbers with another label ...
    assert np.abs(np.asarray(written, int) - edited_pixels.astype(int)).mean() > 3
    # ... but the same colours: back through the profile to sRGB gives the edit again.
    back = ImageCms.profileToProfile(
        written,
        ImageCms.ImageCmsProfile(io.BytesIO(icc)),
        ImageCms.createProfile("sRGB"),
        outputMode="RGB",
    )
    # (8 bits in a wider gamut: a level or two lost, a few more in the darkest shadows.)
    error = np.abs(np.asarray(back, int) - edited_pixels.astype(int))
    assert error.mean() <= 1.0 and np.percentile(error, 99) <= 3


def test_the_original_itself_keeps_its_pixels_profile_and_metadata(tmp_path: Path, pixels):
    icc = wide_gamut_profile()
    info = PngImagePlugin.PngInfo()
    info.add_text("Copyright", "Studio 2026")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")
    exif = Image.Exif()
    exif[0x0110] = "StudioCam 2"  # Model
    original = save_png(
        tmp_path / "original.png",
        pixels,
        icc_profile=icc,
        pnginfo=info,
        exif=exif.tobytes(),
        dpi=(240, 240),
    )
    result = export_version_png(original, original, tmp_path / "out.png")
    with Image.open(result.path) as image:
        assert np.array_equal(np.asarray(image.convert("RGB")), pixels)
        assert image.info["icc_profile"] == icc
        assert image.text["Copyright"] == "Studio 2026"
        assert "xmpmeta" in image.text["XML:com.adobe.xmp"]
        assert image.getexif()[0x0110] == "StudioCam 2"
        assert round(image.info["dpi"][0]) == 240


def test_a_rotated_jpeg_original_is_exported_upright(tmp_path: Path, pixels) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    original = tmp_path / "photo.jpg"
    Image.fromarray(pixels).save(original, "JPEG", quality=95, exif=exif.tobytes())
    result = export_version_png(original, original, tmp_path / "out.png")
    with Image.open(result.path) as image:
        assert image.size == (214, 320)  # upright
        assert image.getexif().get(0x0112, 1) == 1


def test_a_profile_an_rgb_png_cannot_carry_is_replaced_by_srgb(tmp_path: Path, pixels) -> None:
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    original = save_png(tmp_path / "original.png", pixels)
    with Image.open(original) as image:
        rgb = image.copy()
    rgb.info["icc_profile"] = lab
    rgb.save(original, "PNG", icc_profile=lab)
    result = export_version_png(original, original, tmp_path / "out.png")
    assert not result.icc_kept
    assert "sRGB" in (result.note or "")
    with Image.open(result.path) as image:
        assert "icc_profile" not in image.info or not image.info["icc_profile"]


def test_untagged_original_and_bad_inputs(tmp_path: Path, pixels) -> None:
    original = save_png(tmp_path / "original.png", pixels)
    result = export_version_png(original, None, tmp_path / "sub" / "out.png")
    assert result.path.exists() and not result.icc_kept
    # A damaged version file: the decoder's readable refusal, and nothing left behind.
    broken = tmp_path / "broken.png"
    broken.write_bytes(original.read_bytes()[:200])
    target = tmp_path / "never.png"
    from studio_desktop.imaging.errors import ImageError

    with pytest.raises(ImageError):
        export_version_png(broken, original, target)
    assert not target.exists()
    assert not list((tmp_path).glob(".export-*"))


def test_a_target_that_cannot_be_written_says_why(tmp_path: Path, pixels) -> None:
    from studio_desktop.services.canvas_export import ExportWriteError

    original = save_png(tmp_path / "original.png", pixels)
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("a file, not a folder")
    with pytest.raises(ExportWriteError, match=r"“out.png” could not be written in .*notes.txt"):
        export_version_png(original, original, not_a_folder / "out.png")


def test_export_file_names() -> None:
    assert export_file_name("Autumn line: hero/7", "Bag (front)", "Edit 2") == (
        "autumn-line-hero-7-bag-front-edit-2.png"
    )
    assert export_file_name(None, None, "Original") == "creation-image-original.png"
    # A creation named after its photo says the name once.
    assert export_file_name("Rocket bag", "rocket-bag", "Edit 1") == "rocket-bag-edit-1.png"


# ---------------------------------------------------------------------------- refinement


def test_refiner_keeps_the_result_for_exactly_its_mask(pixels) -> None:
    scene = photo_scene(size=(320, 214))
    painted = np.zeros(scene.truth.shape, np.uint8)
    painted[50:170, 90:230] = 255
    refiner = MaskRefiner()
    owner = object()
    run = refiner.start(owner, 3)
    fractions: list[float] = []
    alpha = refiner.execute(run, scene.image, painted, on_progress=fractions.append)
    assert fractions and fractions[-1] == 1.0
    assert refiner.finished(run, alpha)
    assert refiner.result_for(owner, 3) is alpha
    assert refiner.result_for(owner, 4) is None
    assert refiner.result_for(object(), 3) is None
    refiner.forget()
    assert refiner.result_for(owner, 3) is None


def test_starting_a_run_cancels_the_running_one(pixels) -> None:
    scene = photo_scene(size=(320, 214))
    painted = np.zeros(scene.truth.shape, np.uint8)
    painted[50:170, 90:230] = 255
    started = threading.Event()
    release = threading.Event()

    def slow(image, mask, *, progress, is_cancelled):
        progress(0.1)
        started.set()
        release.wait(5)
        if is_cancelled():
            raise RefinementCancelledError()
        return mask

    refiner = MaskRefiner(slow)
    owner = object()
    first = refiner.start(owner, 1)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            refiner.execute(first, scene.image, painted)
        except RefinementCancelledError as error:
            errors.append(error)

    thread = threading.Thread(target=work)
    thread.start()
    assert started.wait(5)
    second = refiner.start(owner, 2)
    assert first.cancelled and not second.cancelled
    release.set()
    thread.join(5)
    assert len(errors) == 1
    assert not refiner.finished(first, painted)  # a cancelled run's result is not kept
    assert refiner.result_for(owner, 1) is None


def test_outline_traces_the_edge() -> None:
    alpha = np.zeros((100, 120), np.uint8)
    alpha[20:60, 30:90] = 255
    alpha[35:45, 50:70] = 0  # a hole
    polygons = outline(alpha)
    assert len(polygons) == 2
    xs = [x for x, _ in polygons[0]]
    ys = [y for _, y in polygons[0]]
    assert min(xs) == pytest.approx(30.5) and max(xs) == pytest.approx(89.5)
    assert min(ys) == pytest.approx(20.5) and max(ys) == pytest.approx(59.5)
    assert outline(np.zeros((10, 10), np.uint8)) == []
