"""Turning a file a designer hands over into the image the app stores and uploads.

:func:`prepare_image` decodes safely (``imaging.decode``: allow-listed formats, the pixel limit
checked from the header before any pixel is decoded, typed refusals with readable messages),
so the stored image is upright (EXIF orientation applied), sRGB, 8-bit, without metadata
(no EXIF, GPS or camera data reaches the server), and no longer than ``max_side`` on its long
side (scaled down with Lanczos when it is).

Encoding: a photo that came as JPEG stays JPEG (final quality, 4:4:4), an image with
transparency is PNG, everything else (PNG, WebP, GIF, BMP) becomes PNG, so nothing is lost
beyond one careful JPEG generation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from studio_desktop.imaging.decode import decode_image
from studio_desktop.imaging.encode import encode_image


@dataclass(frozen=True, slots=True)
class PreparedImage:
    data: bytes
    mime_type: str
    width: int
    height: int
    #: The upright size of the source before any scaling.
    original_size: tuple[int, int]

    @property
    def scaled(self) -> bool:
        return (self.width, self.height) != self.original_size


def prepare_image(source: bytes | Path, *, max_side: int, name: str | None = None) -> PreparedImage:
    """The stored form of ``source`` (module docstring); raises the decoder's ``ImageError``."""
    decoded = decode_image(source, name=name)
    image = decoded.image
    original = (decoded.width, decoded.height)
    if max(original) > max_side:
        image = image.copy()
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    if decoded.has_alpha or decoded.format != "JPEG":
        encoded = encode_image(image, "PNG")
    else:
        encoded = encode_image(image, "JPEG")
    return PreparedImage(encoded.data, encoded.mime_type, encoded.width, encoded.height, original)
