"""Exporting the version a canvas shows: a PNG at full size with the original's colour profile
and metadata.

:func:`export_version_png` writes ``target`` from the stored files (blocking; run it off the
GUI thread):

- **Pixels**: the version's stored file at its full stored size (never the screen's rendition),
  made upright. The Original itself is written with its own pixels untouched. An edit was made
  in sRGB (the engines decode to sRGB); when the Original carries an RGB ICC profile, the edit is
  converted from sRGB into that profile so the file and the Original agree, colour for colour,
  in any colour-managed program.
- **Colour profile**: the Original's ICC profile when it has an RGB one; otherwise none (sRGB
  by convention). A profile the pixels cannot carry (CMYK, grey) is replaced by sRGB, and the
  result says so.
- **Metadata of the Original**: its EXIF block (with the orientation set to upright, as the
  pixels now are), its XMP packet, its PNG text chunks and its resolution (dpi).

What a workspace stores is what ``imports`` made of the designer's file: it imports photos as
sRGB without camera metadata (nothing private reaches the server), so an Original imported in
this app has no profile or EXIF to keep; Originals that reach the workspace another way (the
studio's web app, a sync) keep theirs.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps, PngImagePlugin

from studio_desktop.domain.errors import ExternalError
from studio_desktop.imaging.decode import decode_image

_ORIENTATION = 0x0112
_XMP_KEY = "XML:com.adobe.xmp"
PNG_LEVEL = 6
DRAG_PNG_LEVEL = 1
"""Dragging writes the file while the pointer waits: the fastest zlib level."""


class ExportWriteError(ExternalError):
    """The PNG could not be written where the designer asked (no such folder, no space...)."""


@dataclass(frozen=True, slots=True)
class ExportedVersion:
    path: Path
    width: int
    height: int
    icc_kept: bool
    note: str | None = None  # what the designer should know (a profile that could not be kept)


@dataclass(frozen=True, slots=True)
class _OriginalMeta:
    icc: bytes | None
    icc_space: str | None
    exif: bytes | None
    xmp: bytes | None
    text: dict[str, str]
    dpi: tuple[float, float] | None


def _cannot_write(target: Path, error: OSError) -> str:
    reason = error.strerror or type(error).__name__
    return f"“{target.name}” could not be written in “{target.parent}”: {reason}."


def export_file_name(creation: str | None, image: str | None, version: str) -> str:
    """``<creation>-<image>-<version>.png`` in lower-case words joined by dashes. A creation
    made from one photo is named after it: the name is then said once, not twice
    (``bag-edit-1.png``, not ``bag-bag-edit-1.png``)."""
    words = [creation or "creation", image or "image", version]
    parts = [re.sub(r"[^a-z0-9]+", "-", w.lower()).strip("-") for w in words]
    if parts[0] == parts[1]:
        del parts[1]
    return "-".join(p for p in parts if p) + ".png"


def _file_mode(target: Path) -> int:
    """The permissions a file written at ``target`` should have: those of the file it replaces,
    else what the process's umask gives a new file (a temporary file is created 0600, which
    would leave an export in a shared folder unreadable to everyone else)."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        pass
    umask = None
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                umask = int(line.split()[1], 8)
                break
    except (OSError, ValueError):
        pass
    if umask is None:  # not Linux: read it by setting it (then set it back at once)
        umask = os.umask(0o022)
        os.umask(umask)
    return 0o666 & ~umask


def _read_meta(original: Path) -> _OriginalMeta:
    with Image.open(original) as im:
        icc = im.info.get("icc_profile") or None
        space = None
        if icc:
            try:
                profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
                space = profile.profile.xcolor_space.strip()
            except (OSError, ImageCms.PyCMSError):
                icc, space = None, None
        exif_bytes = None
        exif = im.getexif()
        if len(exif):
            if exif.get(_ORIENTATION, 1) != 1:
                exif[_ORIENTATION] = 1
            exif_bytes = exif.tobytes()
        xmp = im.info.get("xmp") or im.info.get(_XMP_KEY)
        if isinstance(xmp, str):
            xmp = xmp.encode("utf-8")
        text = {
            k: v for k, v in getattr(im, "text", {}).items() if isinstance(v, str) and k != _XMP_KEY
        }
        dpi = im.info.get("dpi")
    return _OriginalMeta(
        icc,
        space,
        exif_bytes,
        xmp if isinstance(xmp, bytes) else None,
        text,
        (float(dpi[0]), float(dpi[1])) if dpi else None,
    )


def _srgb_to(image: Image.Image, icc: bytes) -> Image.Image:
    source = ImageCms.createProfile("sRGB")
    target = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    mode = image.mode
    rgb = image.convert("RGB")
    converted = ImageCms.profileToProfile(
        rgb, source, target, renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC, outputMode="RGB"
    )
    assert converted is not None
    if mode == "RGBA":
        converted.putalpha(image.getchannel("A"))
    return converted


def export_version_png(
    version_file: Path,
    original_file: Path | None,
    target: Path,
    *,
    level: int = PNG_LEVEL,
) -> ExportedVersion:
    """Write the version as a PNG at ``target`` (replaced atomically); see the module doc.
    Raises the decoder's ``ImageError`` when a stored file cannot be read, and
    :class:`ExportWriteError` when the file cannot be written (nothing is left behind)."""
    meta = _read_meta(original_file) if original_file is not None else None
    note = None
    same = original_file is not None and (
        version_file == original_file or version_file.read_bytes() == original_file.read_bytes()
    )
    icc = meta.icc if meta is not None else None
    if icc is not None and meta is not None and meta.icc_space != "RGB":
        note = (
            f"The original's colour profile ({meta.icc_space or 'unknown'}) cannot describe an RGB "
            "PNG; the file was written in sRGB."
        )
        icc = None
        same = False
    if same:
        with Image.open(version_file) as im:
            pixels = ImageOps.exif_transpose(im)
            pixels.load()
        if pixels.mode not in ("RGB", "RGBA"):
            pixels = pixels.convert("RGBA" if "A" in pixels.getbands() else "RGB")
    else:
        pixels = decode_image(version_file).image
        if icc is not None:
            pixels = _srgb_to(pixels, icc)
    info = PngImagePlugin.PngInfo()
    if meta is not None:
        for key, value in meta.text.items():
            info.add_itxt(key, value)
        if meta.xmp is not None:
            info.add_itxt(_XMP_KEY, meta.xmp.decode("utf-8", "replace"))
    options: dict[str, object] = {"pnginfo": info, "compress_level": level}
    if icc is not None:
        options["icc_profile"] = icc
    if meta is not None and meta.exif is not None:
        options["exif"] = meta.exif
    if meta is not None and meta.dpi is not None:
        options["dpi"] = meta.dpi
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".export-", suffix=".png", dir=target.parent)
    except OSError as error:
        raise ExportWriteError(_cannot_write(target, error)) from error
    try:
        with os.fdopen(handle, "wb") as out:
            pixels.save(out, "PNG", **options)
        if os.name == "posix":
            os.chmod(temp, _file_mode(target))
        os.replace(temp, target)
    except OSError as error:
        Path(temp).unlink(missing_ok=True)
        raise ExportWriteError(_cannot_write(target, error)) from error
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return ExportedVersion(target, pixels.width, pixels.height, icc is not None, note)
