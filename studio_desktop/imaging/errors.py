"""Why an image was refused, in words a designer understands.

Every refusal of ``imaging`` is an :class:`ImageError` (an :class:`ExternalError`: the file, not
the program, is at fault), so the UI can show ``error.message`` and carry on. Subclasses say what
kind of refusal it was, and keep the facts as attributes (sizes, detected type, file name) for
callers that want to react differently:

- :class:`EmptyFileError`: zero bytes.
- :class:`NotAnImageError`: a PDF, a ZIP, a text file... (``kind`` names it when recognisable).
- :class:`UnsupportedFormatError`: a real image (TIFF, HEIC, PSD, camera RAW, SVG...) in a format
  outside the allow-list; the message says which formats are accepted.
- :class:`ImageTooLargeError` / :class:`ImageTooSmallError`: the dimensions are out of bounds.
- :class:`CorruptImageError`: the file ends early or its data is damaged.
- :class:`ImageReadError`: the file itself could not be read (missing, no permission).
- :class:`MaskSizeError`: a mask that does not fit the image it is meant for.
- :class:`OperationCancelledError` (and :class:`RefinementCancelledError`): a long operation
  stopped on request; not a refusal of the file, but shown the same way.
"""

from __future__ import annotations

from studio_desktop.domain.errors import ExternalError


def subject(name: str | None) -> str:
    """How a message refers to the file: its quoted name when known, else "This file"."""
    return f"“{name}”" if name else "This file"


def megapixels(pixels: int) -> str:
    """900000000 -> "900", 12000000 -> "12", 1500000 -> "1.5", 40000 -> "0.04"."""
    value = pixels / 1_000_000
    if value >= 10:
        return f"{value:,.0f}"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


class ImageError(ExternalError):
    """An image (or a file offered as one) that cannot be used. ``file_name`` when known."""

    def __init__(self, message: str, *, name: str | None = None) -> None:
        super().__init__(message)
        self.file_name = name


class EmptyFileError(ImageError):
    """The file has no bytes at all."""

    def __init__(self, *, name: str | None = None) -> None:
        super().__init__(
            f"{subject(name)} is empty (0 bytes), so there is no image in it.", name=name
        )


class NotAnImageError(ImageError):
    """Not an image file at all. ``kind`` says what it is instead, with its article
    ("a PDF document"), or is None when unrecognisable."""

    def __init__(self, kind: str | None = None, *, name: str | None = None) -> None:
        if kind:
            message = f"{subject(name)} is {kind}, not an image."
        else:
            message = f"{subject(name)} is not an image file Studio can read."
        super().__init__(message, name=name)
        self.kind = kind


class UnsupportedFormatError(ImageError):
    """An image, but in a format Studio does not accept. ``kind`` names the format found, with
    its article ("a TIFF image"); ``accepted`` lists the formats Studio reads."""

    def __init__(
        self, kind: str, accepted: tuple[str, ...], *, name: str | None = None, hint: str = ""
    ) -> None:
        listed = _join(accepted)
        advice = hint or f"Save or export it as {_join(accepted[:2], 'or')} and try again."
        super().__init__(
            f"{subject(name)} is {kind}, which Studio cannot open. "
            f"Studio accepts {listed} images. {advice}",
            name=name,
        )
        self.kind = kind
        self.accepted = accepted


class ImageTooLargeError(ImageError):
    """More pixels (or a longer side) than the limit allows: refused before decoding.

    ``width``/``height`` are None only when Pillow's own guard found the excess inside the file
    (a GIF frame larger than its declared screen), where no trustworthy size exists.
    """

    def __init__(
        self,
        width: int | None,
        height: int | None,
        *,
        max_pixels: int,
        max_side: int | None = None,
        name: str | None = None,
    ) -> None:
        limit = f"the limit is {megapixels(max_pixels)} megapixels"
        if width is None or height is None:
            message = (
                f"{subject(name)} holds a picture larger than Studio accepts ({limit}). "
                "Scale it down and try again."
            )
        else:
            pixels = width * height
            size = f"{width:,} x {height:,} ({megapixels(pixels)} megapixels)"
            if max_side is not None and max(width, height) > max_side and pixels <= max_pixels:
                limit = f"the longest side may be at most {max_side:,} pixels"
            prefix = f"{subject(name)} is too large to open: it" if name else "This image"
            message = f"{prefix} is {size}; {limit}. Scale it down and try again."
        super().__init__(message, name=name)
        self.width = width
        self.height = height
        self.max_pixels = max_pixels
        self.max_side = max_side


class ImageTooSmallError(ImageError):
    """A side shorter than the minimum the caller asked for."""

    def __init__(self, width: int, height: int, *, min_side: int, name: str | None = None) -> None:
        super().__init__(
            f"{subject(name)} is only {width:,} x {height:,} pixels; "
            f"each side must be at least {min_side:,} pixels.",
            name=name,
        )
        self.width = width
        self.height = height
        self.min_side = min_side


class CorruptImageError(ImageError):
    """The header looked like an image but the data is cut short or damaged."""

    def __init__(self, detail: str, *, name: str | None = None) -> None:
        super().__init__(f"{subject(name)} is damaged: {detail}", name=name)
        self.detail = detail


class ImageReadError(ImageError):
    """The file could not be read from disk (missing, a folder, no permission)."""

    def __init__(self, reason: str, *, name: str | None = None) -> None:
        super().__init__(f"{subject(name)} could not be read: {reason}.", name=name)
        self.reason = reason


class MaskSizeError(ImageError):
    """A mask whose size cannot be fitted to the image (different aspect ratio)."""

    def __init__(
        self,
        mask_size: tuple[int, int],
        image_size: tuple[int, int],
        *,
        name: str | None = None,
        detail: str = "",
    ) -> None:
        mw, mh = mask_size
        iw, ih = image_size
        what = f"The mask “{name}”" if name else "The mask"
        super().__init__(
            f"{what} is {mw:,} x {mh:,} pixels but the image is {iw:,} x {ih:,}"
            f"{detail or '; their shapes differ, so it cannot be stretched to fit'}. "
            "Make the mask the same size as the image.",
            name=name,
        )
        self.mask_size = mask_size
        self.image_size = image_size


def _join(items: tuple[str, ...], last: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


class OperationCancelledError(ExternalError):
    """A long image operation (refining a mask, filling a removal) stopped because the caller's
    ``is_cancelled()`` turned true. Nothing was changed: the caller keeps what it had."""

    def __init__(self, message: str = "Cancelled.") -> None:
        super().__init__(message)


class RefinementCancelledError(OperationCancelledError):
    """:func:`~studio_desktop.imaging.refine.refine_mask` was cancelled; the painted mask is
    unchanged and still usable as it is."""

    def __init__(self) -> None:
        super().__init__("Snapping the mask to the edges was cancelled; the painted area is kept.")


RefinementCancelled = RefinementCancelledError
"""The name the canvas was promised for :class:`RefinementCancelledError` (same class)."""
