"""Try the Canvas's shortcuts and the compare key in a real X window, as a designer does.

Run under Xvfb (the checks send real key and mouse events with xdotool through the X server,
not Qt's synthetic ones)::

    xvfb-run -a -s "-screen 0 1600x1000x24" \\
        .venv/bin/python scripts/canvas_real_window_check.py OUT_DIR

It opens a creation from a photo, makes one edit, then: types into the chat and holds ``\\``
there (the canvas compares; no backslash is typed), picks the magic wand with W and clicks the
bag, grows the mask with Alt+], undoes with Ctrl+Z, turns snapping off and on with S, and opens
File ▸ Export with Ctrl+E. Screenshots of the screen go to OUT_DIR; the last line printed is a
JSON report (each check and whether it held).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path


def main() -> int:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    import numpy as np
    import qasync
    import real_window  # (beside this script)
    from PIL import Image
    from PySide6.QtCore import QPointF
    from PySide6.QtWidgets import QApplication, QFileDialog

    from studio_desktop.services.workspace import WorkspaceServices
    from studio_desktop.store.locations import DataDirs
    from studio_desktop.store.workspace import open_local_store
    from studio_desktop.ui.areas import AreaKey
    from studio_desktop.ui.canvas.area import make_canvas_area
    from studio_desktop.ui.canvas.view import CompareMode, Tool
    from studio_desktop.ui.main_window import MainWindow

    app = QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    root = Path(tempfile.mkdtemp())
    dirs = DataDirs(root).ensure()
    store = open_local_store(dirs)
    services = WorkspaceServices.open(store, thumbnails_dir=store.dirs.thumbs)
    win = MainWindow(dirs, area_factories={AreaKey.CANVAS: lambda: make_canvas_area(services)})
    win.resize(1280, 800)
    win.move(0, 0)
    win.show()
    win.set_current_area(AreaKey.CANVAS)
    area = win.canvas_area
    # A red bag on a grey backdrop.
    h, w = 480, 720
    pixels = np.full((h, w, 3), 200, np.uint8)
    yy, xx = np.mgrid[0:h, 0:w]
    pixels[((xx - 360) / 150) ** 2 + ((yy - 240) / 120) ** 2 <= 1] = (200, 30, 40)
    photo = root / "bag.png"
    Image.fromarray(pixels).save(photo)
    report: dict[str, object] = {}

    async def until(check, seconds: float = 20.0) -> bool:
        return await real_window.until(check, seconds)

    async def xdo(*args: str) -> None:
        await real_window.xdo(*args, settle=0.15)

    def global_point(widget, point) -> tuple[str, str]:
        p = widget.mapToGlobal(point)
        return str(p.x()), str(p.y())

    def shot(name: str) -> None:
        real_window.screenshot(out, name)

    async def run() -> None:
        area.start_creation([photo])
        await until(lambda: area.canvas.image is not None and area.current_layer is not None)
        area.action_snap.setChecked(False)
        await asyncio.sleep(0.3)
        # One edit, so there is a version before.
        x, y = global_point(area.chat.input, area.chat.input.rect().center())
        await xdo("mousemove", x, y, "click", "1")
        await xdo("type", "make it grayscale")
        await xdo("key", "ctrl+Return")
        await until(lambda: area.canvas.other is not None)
        await asyncio.sleep(0.5)
        # The compare key with the focus in the chat.
        await xdo("mousemove", x, y, "click", "1")
        await xdo("type", "make it")
        report["chat has focus"] = area.chat.input.hasFocus()
        await xdo("keydown", "backslash")
        await asyncio.sleep(0.3)
        report["holding \\ in the chat compares"] = area.canvas.compare_mode is CompareMode.HOLD
        shot("real-compare-held.png")
        await xdo("keyup", "backslash")
        await asyncio.sleep(0.2)
        report["releasing \\ ends it"] = area.canvas.compare_mode is CompareMode.OFF
        report["no backslash typed"] = area.chat.input.toPlainText() == "make it"
        # Shortcuts on the canvas.
        cx, cy = global_point(area.canvas, area.canvas.image_to_widget(QPointF(360, 240)).toPoint())
        await xdo("mousemove", cx, cy)
        await xdo("key", "Escape")
        area.canvas.setFocus()
        await asyncio.sleep(0.1)
        await xdo("key", "w")
        report["W picks the magic wand"] = area.canvas.tool is Tool.WAND
        await xdo("click", "1")
        report["a wand click selects the bag"] = await until(lambda: area.undo_stack.count() == 1)
        before = int((area.current_layer.array > 127).sum())
        await xdo("key", "alt+bracketright")
        await until(lambda: area.undo_stack.count() == 2, 5)
        report["Alt+] grows the mask"] = int((area.current_layer.array > 127).sum()) > before
        shot("real-wand-grown.png")
        await xdo("key", "ctrl+z")
        report["Ctrl+Z undoes it"] = int((area.current_layer.array > 127).sum()) == before
        await xdo("key", "s")
        report["S turns snapping on"] = area.action_snap.isChecked()
        await until(lambda: not area.canvas.refined_outline.isEmpty(), 20)
        shot("real-snap-outline.png")
        await xdo("key", "s")
        report["S turns it off again"] = not area.action_snap.isChecked()
        await xdo("key", "ctrl+e")
        dialog = await until(lambda: win.findChild(QFileDialog) is not None, 5)
        report["Ctrl+E opens Export"] = dialog and win.findChild(QFileDialog).isVisible()
        shot("real-export-dialog.png")
        if dialog:
            win.findChild(QFileDialog).reject()

    loop.run_until_complete(run())
    print(json.dumps(report))
    sys.stdout.flush()
    win.close()
    loop.run_until_complete(services.aclose())
    os._exit(0 if all(report.values()) else 1)


if __name__ == "__main__":
    raise SystemExit(main())
