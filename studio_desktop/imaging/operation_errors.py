"""Refusals of the image operations (edits, removal, cutouts), in words a designer understands.

All are :class:`~studio_desktop.imaging.errors.ImageError`, so callers that show
``error.message`` and carry on need no special case.
"""

from __future__ import annotations

from studio_desktop.imaging.errors import ImageError


class MaskRequiredError(ImageError):
    """An operation that only makes sense on a painted area (removal) got no mask."""

    def __init__(self, operation: str = "remove something") -> None:
        super().__init__(
            f"To {operation}, paint over it with the brush first, then send the instruction again."
        )
        self.operation = operation


class EmptyMaskError(ImageError):
    """The mask has no painted pixel: the edit would change nothing."""

    def __init__(self) -> None:
        super().__init__(
            "The mask is empty, so nothing would change. Paint over the area to edit, "
            "or clear the mask to edit the main subject (or say \u201cthe whole image\u201d)."
        )


class NoGarmentFoundError(ImageError):
    """A cutout found nothing that stands out from the background."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "No garment found in this photo"
            + (f" ({detail})" if detail else "")
            + ". Use a product photo of the garment on a plain or studio background."
        )
        self.detail = detail


class NotAProductPhotoError(ImageError):
    """The photo has no plain background to separate the garment from."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"This does not look like a product photo: {detail}. A cutout needs the garment on "
            "a plain or studio background, with some background visible around it."
        )
        self.detail = detail
