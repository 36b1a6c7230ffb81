"""Undo commands of the mask: each holds a :class:`MaskDiff` (changed tiles, compressed), not a
copy of the mask, so the area's ``QUndoStack`` can keep hundreds of strokes."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRect
from PySide6.QtGui import QUndoCommand

from studio_desktop.ui.canvas.mask_layer import MaskDiff, MaskLayer

UNDO_LIMIT = 500

Changed = Callable[[MaskLayer, QRect], None]


class MaskCommand(QUndoCommand):
    """A change already made to ``layer`` (pushing it does not apply it again)."""

    def __init__(self, text: str, layer: MaskLayer, diff: MaskDiff, changed: Changed) -> None:
        super().__init__(text)
        self.layer = layer
        self.diff = diff
        self._changed = changed
        self._applied = True

    def redo(self) -> None:
        if self._applied:
            return  # the first redo is the push: the change is already in the mask
        self._changed(self.layer, self.layer.apply(self.diff, after=True))
        self._applied = True

    def undo(self) -> None:
        self._changed(self.layer, self.layer.apply(self.diff, after=False))
        self._applied = False


class DeleteConversationCommand(QUndoCommand):
    """A chat deleted (already, when pushed): undo brings it back with its messages, redo
    deletes it again. ``undo_work``/``redo_work`` run the service calls (off the GUI thread)
    and call back with the new state; see ``CanvasArea.delete_conversation``."""

    def __init__(
        self,
        title: str,
        deleted: object,
        restore: Callable[[object, Callable[[str], None]], None],
        delete: Callable[[str, Callable[[object], None]], None],
    ) -> None:
        super().__init__(f"Delete chat “{title}”")
        self.deleted = deleted
        self.conversation_id: str | None = None
        self._restore = restore
        self._delete = delete
        self._first = True

    def undo(self) -> None:
        self._restore(self.deleted, self._restored)

    def _restored(self, conversation_id: str) -> None:
        self.conversation_id = conversation_id

    def redo(self) -> None:
        if self._first:
            self._first = False
            return
        if self.conversation_id is not None:
            self._delete(self.conversation_id, self._deleted_again)

    def _deleted_again(self, deleted: object) -> None:
        self.deleted = deleted


def history_bytes(commands: list[QUndoCommand]) -> int:
    """Memory held by the mask diffs of ``commands``."""
    return sum(c.diff.nbytes for c in commands if isinstance(c, MaskCommand))
