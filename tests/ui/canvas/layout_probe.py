"""Checks of the Canvas screen's layout at a window size: the toolbars show every button (no
"»" overflow), zoom in / Fit / 1:1 are on screen, the creations list has no horizontal
scrollbar. Used in-process by the tests and, for 200 % scale (which must be set before the
application starts), by a child process run with ``QT_SCALE_FACTOR=2``."""

from __future__ import annotations

import json
import os
import sys

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QToolBar, QToolButton, QWidget


def layout_problems(area: QWidget) -> list[str]:
    problems: list[str] = []
    for bar in area.findChildren(QToolBar):
        if not bar.isVisible():
            continue
        extension = bar.findChild(QToolButton, "qt_toolbar_ext_button")
        if extension is not None and extension.isVisible():
            problems.append(f"{bar.objectName()} overflows into »")
        for action in bar.actions():
            if action.isSeparator():
                continue
            widget = bar.widgetForAction(action)
            if widget is None:
                continue
            inside = QRect(0, 0, bar.width(), bar.height()).contains(widget.geometry())
            if not widget.isVisible() or not inside:
                name = action.text() or widget.objectName() or type(widget).__name__
                problems.append(f"{bar.objectName()}: {name!r} is not shown")
            elif isinstance(widget, QToolButton) and not widget.toolTip():
                problems.append(f"{bar.objectName()}: {action.text()!r} has no tooltip")
    creations = area.creations.list  # type: ignore[attr-defined]
    if creations.horizontalScrollBar().isVisible():
        problems.append("the creations list has a horizontal scrollbar")
    return problems


def main() -> int:
    """Child process: build the window at the size given (logical pixels), print problems."""
    import asyncio
    import tempfile
    from pathlib import Path

    import qasync
    from PySide6.QtWidgets import QApplication

    from studio_desktop.services.workspace import WorkspaceServices
    from studio_desktop.store.locations import DataDirs
    from studio_desktop.store.workspace import open_local_store
    from studio_desktop.ui.areas import AreaKey
    from studio_desktop.ui.canvas.area import make_canvas_area
    from studio_desktop.ui.main_window import MainWindow

    width, height, image, shot = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4]
    app = QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    root = Path(tempfile.mkdtemp())
    dirs = DataDirs(root).ensure()
    store = open_local_store(dirs)
    services = WorkspaceServices.open(store, thumbnails_dir=store.dirs.thumbs)
    win = MainWindow(dirs, area_factories={AreaKey.CANVAS: lambda: make_canvas_area(services)})
    win.resize(int(width), int(height))
    win.show()
    win.set_current_area(AreaKey.CANVAS)
    area = win.canvas_area

    async def run() -> list[str]:
        area.start_creation([image])
        for _ in range(500):
            await asyncio.sleep(0.02)
            if area.canvas.image is not None:
                break
        await asyncio.sleep(0.3)
        app.processEvents()
        win.grab().save(shot)
        return layout_problems(area)

    problems = loop.run_until_complete(run())
    ratio = win.devicePixelRatioF()
    print(json.dumps({"problems": problems, "ratio": ratio, "size": [win.width(), win.height()]}))
    sys.stdout.flush()
    win.close()
    loop.run_until_complete(services.aclose())
    # The executor's worker threads are not Qt's; leave without tearing Qt down around them.
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main())
