"""The painted mask of one image: a NumPy ``uint8`` array that Qt paints into directly.

The mask follows the app's format (``imaging/masks.py``): one channel, the image's size, in
image coordinates, 255 = edit here. :class:`MaskLayer` keeps it in a buffer whose rows are padded
to 4 bytes, wrapped both as a NumPy view (``layer.array``, shape ``(height, width)``) and as a
``QImage.Format_Grayscale8`` over the same memory, so a brush segment is rasterised by Qt's
antialiased raster engine (a round-capped line: continuous between two mouse positions) straight
into the array, touching only the segment's box.

Undo stores **diffs, not copies**: while a stroke runs, each 128 x 128 tile is copied the first
time the stroke touches it; when the stroke ends, the tiles that really changed are kept as
zlib-compressed before/after pairs (:class:`MaskDiff`). A 60 px stroke across a 4096 px image
keeps a few kilobytes, so hundreds of strokes stay small. Clear, invert and an imported mask are
diffs the same way (of the tiles that changed).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPointF, QRect, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from studio_desktop.domain.errors import BugError

TILE = 128
MIN_BRUSH = 1
MAX_BRUSH = 600
_COMPRESSION = 1  # zlib level: masks are runs of 0 and 255, level 1 already shrinks them ~50x

MaskArray = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class TilePatch:
    """One tile's content before and after a change (zlib-compressed rows)."""

    x: int
    y: int
    width: int
    height: int
    before: bytes
    after: bytes


@dataclass(frozen=True, slots=True)
class MaskDiff:
    """What one change (a stroke, clear, invert, import) did to the mask."""

    patches: tuple[TilePatch, ...]

    @property
    def bounds(self) -> QRect:
        rect = QRect()
        for p in self.patches:
            rect = rect.united(QRect(p.x, p.y, p.width, p.height))
        return rect

    @property
    def nbytes(self) -> int:
        """Memory the diff holds (what undo history costs)."""
        return sum(len(p.before) + len(p.after) for p in self.patches)


class MaskLayer:
    """A mask of ``width`` x ``height`` image pixels, all zero at first (nothing selected)."""

    def __init__(self, width: int, height: int) -> None:
        if width < 1 or height < 1:
            raise BugError(f"a mask needs a positive size, not {width} x {height}")
        self.width = width
        self.height = height
        stride = (width + 3) & ~3  # QImage scanlines are 32-bit aligned
        self._buffer = np.zeros((height, stride), np.uint8)
        self.array: MaskArray = self._buffer[:, :width]
        self.image = QImage(
            self._buffer.data, width, height, stride, QImage.Format.Format_Grayscale8
        )
        self._stroke: dict[tuple[int, int], MaskArray] | None = None
        #: Bumped on every change: lets callers cache "is it empty" and thumbnails.
        self.revision = 0

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)

    # ------------------------------------------------------------------ strokes
    def begin_stroke(self) -> None:
        self._stroke = {}

    @property
    def in_stroke(self) -> bool:
        return self._stroke is not None

    def paint_segment(self, start: QPointF, end: QPointF, diameter: float, erase: bool) -> QRect:
        """Rasterise one brush segment (a round-capped line ``diameter`` image pixels wide)
        from ``start`` to ``end`` (image coordinates, pixel centres at +0.5). Returns the
        image rectangle that may have changed (empty when the segment misses the image)."""
        radius = max(MIN_BRUSH, min(MAX_BRUSH, diameter)) / 2.0
        left = int(np.floor(min(start.x(), end.x()) - radius - 1))
        top = int(np.floor(min(start.y(), end.y()) - radius - 1))
        right = int(np.ceil(max(start.x(), end.x()) + radius + 1))
        bottom = int(np.ceil(max(start.y(), end.y()) + radius + 1))
        rect = QRect(left, top, right - left, bottom - top).intersected(
            QRect(0, 0, self.width, self.height)
        )
        if rect.isEmpty():
            return QRect()
        self._remember(rect)
        painter = QPainter(self.image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setClipRect(rect)
        colour = QColor(0, 0, 0) if erase else QColor(255, 255, 255)
        if start == end:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawEllipse(start, radius, radius)
        else:
            pen = QPen(colour, radius * 2.0)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            painter.setPen(pen)
            painter.drawLine(start, end)
        painter.end()
        self.revision += 1
        return rect

    def end_stroke(self) -> MaskDiff | None:
        """Finish the stroke: its diff, or None when it changed nothing."""
        saved, self._stroke = self._stroke, None
        if not saved:
            return None
        return self._diff(saved)

    def cancel_stroke(self) -> QRect:
        """Undo the running stroke at once (e.g. the image changed under it)."""
        saved, self._stroke = self._stroke, None
        rect = QRect()
        for (tx, ty), before in (saved or {}).items():
            tile = self._tile_rect(tx, ty)
            self.array[tile.top() : tile.bottom() + 1, tile.left() : tile.right() + 1] = before
            rect = rect.united(tile)
        self.revision += 1
        return rect

    # ------------------------------------------------------------------ whole-mask changes
    def replace(self, values: npt.ArrayLike) -> MaskDiff | None:
        """Set the whole mask (clear, invert, an imported mask); the diff of what changed."""
        new = np.asarray(values)
        if new.shape != self.array.shape or new.dtype != np.uint8:
            raise BugError(f"a mask of {self.array.shape} cannot take {new.shape} {new.dtype}")
        saved: dict[tuple[int, int], MaskArray] = {}
        for tx, ty, tile in self._tiles(QRect(0, 0, self.width, self.height)):
            rows = slice(tile.top(), tile.bottom() + 1)
            cols = slice(tile.left(), tile.right() + 1)
            if not np.array_equal(self.array[rows, cols], new[rows, cols]):
                saved[(tx, ty)] = self.array[rows, cols].copy()
        if not saved:
            return None
        self.array[...] = new
        self.revision += 1
        return self._diff(saved)

    def clear(self) -> MaskDiff | None:
        return self.replace(np.zeros_like(self.array))

    def invert(self) -> MaskDiff | None:
        return self.replace(255 - self.array)

    def apply(self, diff: MaskDiff, *, after: bool) -> QRect:
        """Put the diff's after (redo) or before (undo) content back; the changed rectangle."""
        for patch in diff.patches:
            data = zlib.decompress(patch.after if after else patch.before)
            tile = np.frombuffer(data, np.uint8).reshape(patch.height, patch.width)
            self.array[patch.y : patch.y + patch.height, patch.x : patch.x + patch.width] = tile
        self.revision += 1
        return diff.bounds

    # ------------------------------------------------------------------ reading
    def is_empty(self) -> bool:
        return not bool(self.array.any())

    def to_array(self) -> MaskArray:
        """A contiguous copy in the mask format (what is sent with an instruction)."""
        return self.array.copy()

    # ------------------------------------------------------------------ internals
    def _tile_rect(self, tx: int, ty: int) -> QRect:
        x, y = tx * TILE, ty * TILE
        return QRect(x, y, min(TILE, self.width - x), min(TILE, self.height - y))

    def _tiles(self, rect: QRect) -> Iterator[tuple[int, int, QRect]]:
        for ty in range(rect.top() // TILE, rect.bottom() // TILE + 1):
            for tx in range(rect.left() // TILE, rect.right() // TILE + 1):
                yield tx, ty, self._tile_rect(tx, ty)

    def _remember(self, rect: QRect) -> None:
        saved = self._stroke
        if saved is None:
            return
        for tx, ty, tile in self._tiles(rect):
            if (tx, ty) not in saved:
                saved[(tx, ty)] = self.array[
                    tile.top() : tile.bottom() + 1, tile.left() : tile.right() + 1
                ].copy()

    def _diff(self, saved: dict[tuple[int, int], MaskArray]) -> MaskDiff | None:
        patches = []
        for (tx, ty), before in sorted(saved.items()):
            tile = self._tile_rect(tx, ty)
            after = self.array[tile.top() : tile.bottom() + 1, tile.left() : tile.right() + 1]
            if np.array_equal(before, after):
                continue
            patches.append(
                TilePatch(
                    tile.left(),
                    tile.top(),
                    tile.width(),
                    tile.height(),
                    zlib.compress(before.tobytes(), _COMPRESSION),
                    zlib.compress(np.ascontiguousarray(after).tobytes(), _COMPRESSION),
                )
            )
        return MaskDiff(tuple(patches)) if patches else None
