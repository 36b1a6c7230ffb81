"""Fixtures of the Magic Canvas tests: a real local workspace (store, blob cache, thumbnails,
the local engine behind the job service) wired by ``WorkspaceServices``, the real main window
with the real Canvas area, images made on the spot, and synthetic mouse strokes."""

from __future__ import annotations

import io
import struct
import time
import zlib
from collections.abc import Coroutine, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.store.locations import DataDirs
from studio_desktop.store.workspace import open_local_store
from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.canvas.area import CanvasArea, make_canvas_area
from studio_desktop.ui.main_window import MainWindow
from studio_desktop.ui.operations import running_operations

T = TypeVar("T")


def run_async(coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
    """Run a coroutine on the test's qasync loop while Qt keeps processing events."""
    import asyncio

    loop = asyncio.get_event_loop()
    task = loop.create_task(coro)
    deadline = time.monotonic() + timeout
    app = QApplication.instance()
    while not task.done():
        if time.monotonic() > deadline:
            task.cancel()
            raise TimeoutError("the coroutine did not finish")
        app.processEvents()  # type: ignore[union-attr]
        time.sleep(0.002)
    return task.result()


@pytest.fixture
def services(qtbot, data_dirs: DataDirs) -> Iterator[WorkspaceServices]:
    store = open_local_store(data_dirs)
    opened = WorkspaceServices.open(store, thumbnails_dir=store.dirs.thumbs)
    try:
        yield opened
    finally:
        # As the app closes a workspace: the operations the (now closed) window started end
        # first; one still running would otherwise meet the closed store (a crash dialog).
        qtbot.waitUntil(lambda: running_operations() == 0, timeout=20_000)
        run_async(opened.aclose())


@pytest.fixture
def window(qtbot, data_dirs: DataDirs, services: WorkspaceServices) -> MainWindow:
    win = MainWindow(data_dirs, area_factories={AreaKey.CANVAS: lambda: make_canvas_area(services)})
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    win.set_current_area(AreaKey.CANVAS)
    return win


@pytest.fixture
def area(window: MainWindow) -> CanvasArea:
    built = window.canvas_area
    assert isinstance(built, CanvasArea)
    return built


# ---------------------------------------------------------------------------- images


def scene(
    size: tuple[int, int] = (320, 240), colour: tuple[int, int, int] = (200, 30, 40)
) -> Image.Image:
    """A grey studio backdrop (a soft gradient) with a coloured bag on it."""
    w, h = size
    ramp = np.linspace(190, 235, w, dtype=np.float32)
    rgb = np.stack([np.tile(ramp, (h, 1))] * 3, axis=-1).astype(np.uint8)
    image = Image.fromarray(rgb, "RGB")
    ImageDraw.Draw(image).ellipse((w * 0.3, h * 0.25, w * 0.7, h * 0.75), fill=colour)
    return image


def write_png(folder: Path, name: str, image: Image.Image) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    image.save(path, "PNG")
    return path


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def huge_png_header(width: int = 20_000, height: int = 20_000) -> bytes:
    """A PNG declaring ``width`` x ``height`` pixels with one tiny IDAT: only the header is
    needed to refuse it; decoding would need gigabytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def blob_array(services: WorkspaceServices, key: tuple[str, str]) -> np.ndarray:
    path = services.store.blobs.get_path(*key)
    assert path is not None, f"{key} is not cached"
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB")).copy()


# ---------------------------------------------------------------------------- opening


def open_creation_from(qtbot, area: CanvasArea, paths: Sequence[Path]) -> None:
    """Start a creation from files through the area (as a drop on the empty canvas does) and
    wait until its first image is on the canvas."""
    area.start_creation(list(paths))
    qtbot.waitUntil(
        lambda: (
            area.state is not None
            and area.canvas.image is not None
            and area.current_layer is not None
        ),
        timeout=10_000,
    )


# ---------------------------------------------------------------------------- mouse


def mouse(
    widget: QWidget,
    kind: QMouseEvent.Type,
    pos: QPointF,
    button: Qt.MouseButton = Qt.MouseButton.LeftButton,
    *,
    buttons: Qt.MouseButton | None = None,
    modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    held = buttons if buttons is not None else button
    if kind == QMouseEvent.Type.MouseButtonRelease:
        held = Qt.MouseButton.NoButton
    event = QMouseEvent(
        kind,
        pos,
        QPointF(widget.mapToGlobal(pos.toPoint())),
        button if kind != QMouseEvent.Type.MouseMove else Qt.MouseButton.NoButton,
        held,
        modifiers,
    )
    QApplication.sendEvent(widget, event)


def drag(
    widget: QWidget,
    points: Sequence[QPointF],
    button: Qt.MouseButton = Qt.MouseButton.LeftButton,
    modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    """Press at the first point, move through the others, release at the last."""
    mouse(widget, QMouseEvent.Type.MouseButtonPress, points[0], button, modifiers=modifiers)
    for point in points[1:]:
        mouse(widget, QMouseEvent.Type.MouseMove, point, button, modifiers=modifiers)
    mouse(widget, QMouseEvent.Type.MouseButtonRelease, points[-1], button, modifiers=modifiers)


def image_stroke(area: CanvasArea, image_points: Sequence[tuple[float, float]], **kw: Any) -> None:
    """A stroke through points given in IMAGE pixels (mapped through the view's zoom/pan)."""
    canvas = area.canvas
    widget_points = [canvas.image_to_widget(QPointF(x, y)) for x, y in image_points]
    drag(canvas, widget_points, **kw)


def segment_distance(
    shape: tuple[int, int], a: tuple[float, float], b: tuple[float, float]
) -> np.ndarray:
    """Distance of every pixel centre to the segment ``a``-``b`` (image coordinates)."""
    h, w = shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64) + 0.5
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = (
        np.zeros_like(xs)
        if length2 == 0
        else np.clip(((xs - ax) * dx + (ys - ay) * dy) / length2, 0, 1)
    )
    return np.hypot(xs - (ax + t * dx), ys - (ay + t * dy))


# ---------------------------------------------------------------------------- job control


def center(widget: QWidget) -> QPoint:
    return widget.rect().center()


# ---------------------------------------------------------------------------- drops


def drop_with(
    target: QWidget,
    paths: Sequence[Path],
    pos: QPoint | None = None,
    modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> str | None:
    """Drag-enter, drag-move and drop ``paths`` with ``modifiers`` held, as Qt delivers them.
    Returns the canvas' drop overlay text while hovering (None when the drag was refused)."""
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

    from tests.ui.conftest import file_mime

    mime = file_mime(paths)
    point = QPointF(pos or target.rect().center())
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    button = Qt.MouseButton.LeftButton
    enter = QDragEnterEvent(point.toPoint(), actions, mime, button, modifiers)
    QApplication.sendEvent(target, enter)
    if not enter.isAccepted():
        return None
    QApplication.sendEvent(
        target, QDragMoveEvent(point.toPoint(), actions, mime, button, modifiers)
    )
    plan = getattr(target, "drop_plan", None)
    text = plan.text if plan is not None else ""
    QApplication.sendEvent(target, QDropEvent(point, actions, mime, button, modifiers))
    return text
