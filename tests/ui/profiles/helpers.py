"""What the profile and app tests share: the real composition on a data dir, files a designer
might drop (real images, a PDF, a damaged PNG, a PNG whose header claims 30,000 x 30,000), and a
way to await a coroutine on the test's qasync loop from a test body."""

from __future__ import annotations

import asyncio
import io
import struct
import zlib
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from PIL import Image, ImageDraw
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from studio_desktop.services.account import AccountService
from studio_desktop.services.workspace import WorkspaceServices
from studio_desktop.store.locations import DataDirs
from studio_desktop.ui.app_controller import AppController
from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.main_window import MainWindow
from studio_desktop.ui.operations import running_operations
from studio_desktop.ui.profiles.area import ProfilesArea
from studio_desktop.ui.welcome import DONT_SHOW_KEY

T = TypeVar("T")


def await_on_loop(qtbot: Any, work: Awaitable[T], timeout: int = 20_000) -> T:
    """Run ``work`` on the running qasync loop while Qt processes events; its result."""
    task = asyncio.ensure_future(work)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


@dataclass
class App:
    window: MainWindow
    account: AccountService
    controller: AppController

    @property
    def services(self) -> WorkspaceServices:
        assert self.controller.workspace is not None
        return self.controller.workspace.services

    @property
    def profiles_area(self) -> ProfilesArea:
        area = self.window.profiles_area
        assert isinstance(area, ProfilesArea), type(area)
        return area


def open_app(qtbot: Any, dirs: DataDirs, *, welcome: bool = False, **account_options: Any) -> App:
    """The app as ``app.py`` builds it. The first-run welcome covers the areas, so it is turned
    off (as by "Don't show again") unless a test asks for it with ``welcome=True``."""
    QSettings().setValue(DONT_SHOW_KEY, not welcome)
    window = MainWindow(dirs)
    account = AccountService(dirs, **account_options)
    controller = AppController(window, account)
    app = App(window, account, controller)
    # pytest-qt closes the window before fixtures end: close the app first, as app.py does
    # (operations finish, then the workspace closes), while the window still exists.
    qtbot.addWidget(window, before_close_func=lambda _window: close_app(qtbot, app))
    window.resize(1240, 800)
    window.show()
    qtbot.waitExposed(window)
    await_on_loop(qtbot, controller.start())
    return app


def close_app(qtbot: Any, app: App) -> None:
    """Let running operations end, then close the workspace (once)."""
    qtbot.waitUntil(lambda: running_operations() == 0, timeout=20_000)
    if app.controller.workspace is not None:
        await_on_loop(qtbot, app.controller.aclose())


def app_fixture(qtbot: Any, dirs: DataDirs, **options: Any) -> Iterator[App]:
    """``open_app`` for a fixture (takes ``welcome=True`` too), closed after the test."""
    app = open_app(qtbot, dirs, **options)
    app.window.set_current_area(AreaKey.PROFILES)
    try:
        yield app
    finally:
        close_app(qtbot, app)


# ------------------------------------------------------------------------------ files
def portrait(
    path: Path,
    colour: tuple[int, int, int],
    *,
    size: tuple[int, int] = (480, 600),
    fmt: str = "JPEG",
) -> Path:
    """A real photo-like image: a gradient backdrop and a head-and-shoulders silhouette."""
    width, height = size
    ramp = np.linspace(0.75, 1.0, height, dtype=np.float32)[:, None, None]
    backdrop = np.ones((height, width, 3), np.float32) * np.array([236, 232, 226]) * ramp
    image = Image.fromarray(backdrop.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    cx = width // 2
    draw.ellipse(
        (cx - width // 7, height // 6, cx + width // 7, height // 6 + width // 3.2),
        fill=tuple(int(c * 0.9) for c in colour),
    )
    draw.rounded_rectangle(
        (cx - width // 3, height // 2, cx + width // 3, height + 40), radius=width // 6, fill=colour
    )
    image.save(path, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return path


def pdf_file(path: Path) -> Path:
    path.write_bytes(
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    return path


def corrupt_png(path: Path) -> Path:
    """A PNG whose pixel data is cut short and garbled (the header is fine)."""
    buf = io.BytesIO()
    Image.new("RGB", (200, 160), (120, 40, 90)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    cut = len(data) // 2
    data[cut - 40 : cut] = b"\x00" * 40
    path.write_bytes(bytes(data[:cut]))
    return path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def huge_png(path: Path, side: int = 30_000) -> Path:
    """A small file whose header claims ``side`` x ``side`` pixels (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )
    return path


def small_pngs(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"shot-{index:03d}.png"
        Image.new("RGB", (24, 24), (index % 256, 90, 160)).save(path, "PNG")
        paths.append(path)
    return paths


# ------------------------------------------------------------------------------ widgets
def open_message_box(name: str) -> QMessageBox | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.objectName() == name and widget.isVisible():
            return widget
    return None


def click_box_button(box: QMessageBox, text: str) -> None:
    for button in box.buttons():
        if button.text() == text:
            button.click()
            return
    raise AssertionError(f"no button {text!r} in {[b.text() for b in box.buttons()]}")


class Heartbeat:
    """A QTimer that counts its ticks: proof that the GUI thread kept running."""

    def __init__(self, parent: QWidget, interval_ms: int = 20) -> None:
        self.ticks = 0
        self.timer = QTimer(parent)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        self.ticks += 1

    def stop(self) -> None:
        self.timer.stop()


def store_snapshot(services: WorkspaceServices) -> dict[str, Any]:
    """Row counts, blob index, outbox size and files on disk: "nothing half-written" checks."""
    store = services.store
    db = store.db
    counts = {
        table: int(db.scalar(f"SELECT count(*) FROM {table}"))
        for table in (
            "profiles",
            "jobs",
            "job_outputs",
            "canvas_threads",
            "canvas_assets",
            "garment_cutouts",
        )
    }
    blobs = sorted(
        (r["bucket"], r["path"], r["state"])
        for r in db.query("SELECT bucket, path, state FROM blobs")
    )
    outbox = int(db.scalar("SELECT count(*) FROM outbox"))
    files = sorted(p.name for p in store.dirs.blobs.rglob("*") if p.is_file())
    references = sorted(
        str(r["reference_image_path"])
        for r in db.query("SELECT reference_image_path FROM profiles")
    )
    return {
        "counts": counts,
        "blobs": blobs,
        "outbox": outbox,
        "files": files,
        "references": references,
    }
