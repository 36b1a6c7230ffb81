"""The canvas's assisted selection and "Snap to edges", as a part of the Canvas area.

- Selection tools (magic wand, colour range, select object): the view reports a click or box
  (:class:`~studio_desktop.ui.canvas.view.SelectionRequest`); the region is found off the GUI
  thread by :mod:`studio_desktop.imaging.selection` (with the window's busy indicator) and
  added to, or with Alt taken from, the mask as one undo step. Select object takes a second
  or two on a large photo: while it runs a Cancel button (and Esc) sits at the canvas's bottom
  right, and cancelling leaves the mask as it was. Grow, shrink and feather change the mask by
  the toolbar's amount.
- Snap to edges: after the mask changes and a short pause, the mask is refined off the GUI
  thread (:class:`~studio_desktop.services.mask_refinement.MaskRefiner`; a new change cancels
  the running refinement); the refined edge is drawn over the painting, progress shows on the
  canvas when it takes a moment, and a send waits for it.

:class:`MaskAssist` is mixed into :class:`~studio_desktop.ui.canvas.area.CanvasArea`, whose
state (layers, canvas, undo stack, actions) it uses.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

import numpy as np
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QCursor, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QPushButton

from studio_desktop.services.canvas_tools import OperationCancelledError, selection
from studio_desktop.services.mask_refinement import RefineRun, outline
from studio_desktop.ui.canvas.images import DisplayImage, rgb_array
from studio_desktop.ui.canvas.view import SelectionRequest, Tool
from studio_desktop.ui.icons import icon
from studio_desktop.ui.operations import event_loop, run_op
from studio_desktop.ui.widgets.message_bar import MessageLevel

log = logging.getLogger(__name__)

SNAP_SETTING = "canvas/snap_to_edges"
REFINE_DELAY_MS = 350
"""How long after the mask last changed the refinement starts (a burst of strokes refines once)."""
CANCEL_INSET = 12
"""Distance (px) of the select-object Cancel button from the canvas's bottom-right corner."""
TOOL_LABELS = {
    Tool.WAND: "Magic wand",
    Tool.COLOUR_RANGE: "Colour range",
    Tool.OBJECT: "Select object",
}


def snap_setting() -> bool:
    """Snap to edges is on unless the designer turned it off (remembered)."""
    value = QSettings().value(SNAP_SETTING, True)
    return value not in (False, "false", "0", 0)


def remembered_int(key: str, default: float, low: int = 1, high: int = 500) -> int:
    """A whole-number setting the designer last chose (tolerance, amount), within bounds."""
    try:
        value = int(QSettings().value(key, round(default)))
    except (TypeError, ValueError):
        value = round(default)
    return max(low, min(high, value))


@contextlib.contextmanager
def busy_cursor() -> Iterator[None]:
    QApplication.setOverrideCursor(QCursor(Qt.CursorShape.WaitCursor))
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()


class MaskAssist:
    # ================================================================ assisted selection
    def _selection_requested(self, request: SelectionRequest) -> None:
        """A click (or box) of the wand, colour range or object tool: the region is found off
        the GUI thread, then added to (or, with Alt, taken from) the mask as one undo step."""
        layer = self.current_layer
        display = self.canvas.image
        asset_id = self.current_asset_id
        if layer is None or display is None or asset_id is None:
            return
        tool = request.tool
        label = TOOL_LABELS.get(tool, "Selection")
        how = selection.Combine.SUBTRACT if request.subtract else selection.Combine.ADD
        tolerance = float(self._tolerances.get(tool, selection.DEFAULT_TOLERANCE))
        if self._selecting is not None:
            self._selecting.set()  # a new pick makes the running one useless
        cancel = threading.Event()
        self._selecting = cancel
        x, y = request.point
        box = request.box

        def find() -> np.ndarray:
            rgb = self._rgb(display)
            if tool is Tool.WAND:
                return selection.magic_wand(rgb, x, y, tolerance)
            if tool is Tool.COLOUR_RANGE:
                return selection.colour_range(rgb, selection.colour_at(rgb, x, y), tolerance)
            try:
                return selection.select_object(
                    rgb,
                    selection.Box(*box) if box is not None else None,
                    click=None if box is not None else (x, y),
                    is_cancelled=cancel.is_set,
                )
            except OperationCancelledError:
                return None  # cancelled (Cancel, Esc or a newer pick): the mask stays as it was

        def found(region: np.ndarray | None) -> None:
            if self._selecting is cancel:
                self._selecting = None
            if region is None or cancel.is_set() or self._layers.get(asset_id) is not layer:
                return
            if region.shape != layer.array.shape:
                return  # the image changed size under the pick
            verb = "subtract" if how is selection.Combine.SUBTRACT else "add"
            changed = layer.replace(selection.combine(layer.array, region, how))
            if changed is None:
                self._message(f"{label}: nothing to {verb} there.")
            self._push(f"{label} ({verb})", changed, layer)

        progress = "Selecting the object…" if tool is Tool.OBJECT else f"{label}…"
        task = run_op(self, find, on_success=found, progress=progress)
        if tool is Tool.OBJECT:
            self._show_object_cancel(cancel)
            task.add_done_callback(lambda _task: self._hide_object_cancel(cancel))

    def _object_cancel_button(self) -> QPushButton:
        """The Cancel button shown on the canvas while Select object runs (made once)."""
        button = getattr(self, "_object_cancel", None)
        if button is None:
            button = QPushButton(icon("cancel"), "Cancel", self.canvas)
            button.setObjectName("CancelSelectObjectButton")
            button.setToolTip("Stop selecting the object; the mask stays as it was (Esc)")
            button.setCursor(Qt.CursorShape.ArrowCursor)
            button.clicked.connect(self.cancel_select_object)
            button.hide()
            # Esc while the button shows (the canvas or its children focused); a QShortcut, so it
            # is not typed anywhere and needs no change to the view's own key handling.
            shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.canvas)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.setEnabled(False)
            shortcut.activated.connect(self.cancel_select_object)
            self._object_cancel = button
            self._object_cancel_key = shortcut
        return button

    def _show_object_cancel(self, cancel: threading.Event) -> None:
        button = self._object_cancel_button()
        button.adjustSize()
        area = self.canvas.rect()
        button.move(
            max(0, area.right() - button.width() - CANCEL_INSET),
            max(0, area.bottom() - button.height() - CANCEL_INSET),
        )
        button.setEnabled(True)
        button.show()
        button.raise_()
        self._object_cancel_key.setEnabled(True)
        self._object_cancel_for = cancel

    def _hide_object_cancel(self, cancel: threading.Event) -> None:
        """The run ``cancel`` belongs to ended: its button goes, unless a newer run owns it."""
        if getattr(self, "_object_cancel_for", None) is not cancel:
            return
        self._object_cancel_for = None
        self._object_cancel.hide()
        self._object_cancel_key.setEnabled(False)

    def cancel_select_object(self) -> None:
        """Stop the running Select object (Cancel or Esc): nothing is added to the mask."""
        cancel = getattr(self, "_object_cancel_for", None)
        if cancel is None or cancel.is_set():
            return
        cancel.set()
        self._object_cancel.setEnabled(False)
        self._message("Select object cancelled; the mask is as it was.")

    def _rgb(self, display: DisplayImage) -> np.ndarray:
        """The shown image's pixels as RGB (one image cached; safe off the GUI thread)."""
        cached = self._rgb_cache
        if cached is not None and cached[0] is display:
            return cached[1]
        array = rgb_array(display.image)
        self._rgb_cache = (display, array)
        return array

    def modify_mask(self, how: str) -> None:
        """Grow, shrink or feather the mask by the amount (one undo step)."""
        layer = self.current_layer
        if layer is None:
            return
        if layer.is_empty():
            self._message("Paint or select an area first; there is no mask to change.")
            return
        amount = self.amount_spin.value()
        change = {"grow": selection.grow, "shrink": selection.shrink, "feather": selection.feather}
        with busy_cursor():
            result = change[how](layer.array, amount)
        self._push(f"{how.capitalize()} mask by {amount} px", layer.replace(result), layer)

    # ================================================================ snap to edges
    @property
    def snap_to_edges(self) -> bool:
        return self.action_snap.isChecked()

    def _snap_toggled(self) -> None:
        QSettings().setValue(SNAP_SETTING, self.snap_to_edges)
        self._mask_changed()

    def _mask_changed(self) -> None:
        """The mask of the shown image changed (or snapping was turned on or off): the old
        outline goes, and a refinement is due once the changes pause."""
        self.canvas.set_refined_outline([])
        self.refiner.cancel()
        layer = self.current_layer
        empty = layer is None or layer.is_empty()
        if self.snap_to_edges and not empty:
            self._refine_timer.start()
        else:
            self._refine_timer.stop()
            self.canvas.set_status("")
        if self._pending_send is not None:
            if empty:
                self._drop_pending_send()  # nothing painted any more: the designer decides
            elif not self.snap_to_edges:
                text, self._pending_send = self._pending_send, None
                self.send_instruction(text)  # snapping turned off while waiting: as painted

    def refine_now(self) -> RefineRun | None:
        """Refine the shown mask now (the timer's end, or a send that waits for it)."""
        self._refine_timer.stop()
        layer = self.current_layer
        display = self.canvas.image
        if layer is None or display is None or layer.is_empty():
            return None
        known = self.refiner.result_for(layer, layer.revision)
        if known is not None:
            return None
        running = self.refiner.running
        if running is not None and running.owner is layer and running.revision == layer.revision:
            return running
        try:
            event_loop()
        except RuntimeError:
            return None  # the app is closing: no loop to run it on
        run = self.refiner.start(layer, layer.revision)
        painted = layer.to_array()

        def work() -> tuple[np.ndarray, list]:
            alpha = self.refiner.execute(run, self._rgb(display), painted)
            return alpha, outline(alpha)

        self._background(
            work,
            on_done=lambda result: self._refined(run, *result),
            on_error=lambda error: self._refine_failed(run, error),
        )
        # A refinement still running after a moment says how far it is (polled: the run's
        # progress is a float the worker thread sets).
        self._refine_ticker.start()
        return run

    def _show_refine_progress(self) -> None:
        run = self.refiner.running
        if run is None or run.owner is not self.current_layer:
            self._refine_ticker.stop()
            if self._pending_send is None:
                self.canvas.set_status("")
            return
        self.canvas.set_status(f"Snapping to edges… {run.progress * 100:.0f} %")

    def _refined(self, run: RefineRun, alpha: np.ndarray, polygons: list) -> None:
        if not self.refiner.finished(run, alpha):
            return
        if self.refiner.running is None:
            self._refine_ticker.stop()
        layer = self.current_layer
        if layer is run.owner and layer is not None and layer.revision == run.revision:
            self.canvas.set_status("")
            if self.snap_to_edges:
                self.canvas.set_refined_outline(polygons, alpha)
            self.refined.emit()
            if self._pending_send is not None:
                text, self._pending_send = self._pending_send, None
                self.send_instruction(text)

    def _refine_failed(self, run: RefineRun, error: BaseException) -> None:
        self.refiner.failed(run)
        if self.refiner.running is None:
            self._refine_ticker.stop()
        if isinstance(error, OperationCancelledError):
            return
        log.error("refining the mask failed", exc_info=error)
        self.canvas.set_status("")
        if self._pending_send is not None and self.current_layer is run.owner:
            text, self._pending_send = self._pending_send, None
            self._message(
                "The mask could not be snapped to the edges; the painted mask was sent.",
                MessageLevel.WARNING,
            )
            self.send_instruction(text, snap=False)

    def _drop_pending_send(self) -> None:
        """A send waiting for its refinement belongs to the image it was typed for."""
        if self._pending_send is not None:
            self._pending_send = None
            self.canvas.set_status("")

    def mask_to_send(self) -> np.ndarray | None:
        """What a send would use now: the refined mask (snap on, refined), the painted one
        (snap off), or None (nothing painted). With snap on and no refinement yet: None too;
        :meth:`send_instruction` waits for it."""
        layer = self.current_layer
        if layer is None or layer.is_empty():
            return None
        if not self.snap_to_edges:
            return layer.to_array()
        return self.refiner.result_for(layer, layer.revision)
