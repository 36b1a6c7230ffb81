"""Screenshots of the main areas for the README: ``docs/screenshots/<name>-<scheme>.png``.

    python docs/make_screenshots.py                      # light and dark, 1280 x 800
    python docs/make_screenshots.py --scheme light --size 1440x900 --out /tmp/shots

It builds the real app as ``studio-desktop`` does (main window, app controller, account service,
the local workspace) offscreen over a fresh temporary data dir, adds the sample images
(``studio_desktop/services/samples.py``: a model profile, a creation, a product pack run by the
local engine) and one Magic Canvas edit with a mask, then shows each area and grabs the window,
and finally the first-run welcome. Nothing of yours is touched; nothing is downloaded.

Re-run it whenever a screen changes: an area that is still a placeholder is photographed as it is.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: How long each area gets to load its thumbnails before it is photographed.
SETTLE_SECONDS = 2.0
EDIT_INSTRUCTION = "Make the bag forest green"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--scheme", nargs="+", choices=("light", "dark"), default=["light", "dark"])
    parser.add_argument("--size", default="1280x800", help="window size, WIDTHxHEIGHT")
    return parser.parse_args(argv)


async def _settle(seconds: float = SETTLE_SECONDS) -> None:
    """Let queued work (thumbnails, pages, jobs) finish while Qt keeps painting."""
    await asyncio.sleep(seconds)


async def shoot(window, controller, out: Path, schemes: list[str]) -> list[Path]:
    from PIL import Image

    from studio_desktop.services.samples import bag_silhouette, create_samples
    from studio_desktop.ui.areas import AreaKey
    from studio_desktop.ui.theme import ThemeMode, theme_manager

    workspace = await controller.start()
    services = workspace.services
    result = await create_samples(services)
    if result.pack_job is not None:
        await services.jobs.wait(result.pack_job.id)

    # One Magic Canvas turn on the bag, with a mask over it, answered by the local engine.
    canvas = getattr(services, "canvas", None)
    creation = services.store.queries.creation(result.creation.id)
    if canvas is not None and creation is not None and creation.assets:
        bag = creation.assets[0].asset
        mask = Image.fromarray((bag_silhouette() > 0.5).astype("uint8") * 255, "L")
        sent = await canvas.send_instruction(
            creation.thread.id, None, bag.id, EDIT_INSTRUCTION, mask
        )
        await canvas.wait_reply(sent.job.id)

    saved: list[Path] = []
    out.mkdir(parents=True, exist_ok=True)
    for scheme in schemes:
        theme_manager().set_mode(ThemeMode(scheme))
        for key in (AreaKey.HISTORY, AreaKey.PROFILES, AreaKey.CANVAS):
            window.set_current_area(key)
            area = window.area(key)
            if key is AreaKey.CANVAS and hasattr(area, "open_creation"):
                task = area.open_creation(result.creation.id)
                if task is not None:
                    await task
            await _settle()
            path = out / f"{key.value}-{scheme}.png"
            window.grab().save(str(path))
            saved.append(path)
        window.set_current_area(AreaKey.HISTORY)
        panel = window.show_welcome()
        await _settle(0.5)
        path = out / f"welcome-{scheme}.png"
        window.grab().save(str(path))
        saved.append(path)
        panel.hide()
        panel.deleteLater()
        await _settle(0.2)
    await controller.aclose()
    return saved


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    import qasync
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from studio_desktop import APP_NAME, ORG_NAME
    from studio_desktop.services.account import AccountService
    from studio_desktop.store.locations import DataDirs
    from studio_desktop.ui.app_controller import AppController
    from studio_desktop.ui.main_window import MainWindow

    with tempfile.TemporaryDirectory(prefix="studio-screenshots-") as temp:
        dirs = DataDirs(Path(temp) / "data").ensure()
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(
            QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(dirs.root / "qt")
        )
        app = QApplication.instance() or QApplication([sys.argv[0]])
        app.setApplicationName(APP_NAME)
        app.setOrganizationName(ORG_NAME)
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="worker")
        loop.set_default_executor(executor)

        window = MainWindow(dirs)
        controller = AppController(window, AccountService(dirs, executor=executor))
        window.resize(width, height)
        window.show()
        with loop:
            saved = loop.run_until_complete(shoot(window, controller, args.out, args.scheme))
        window.close()
        executor.shutdown(wait=True, cancel_futures=True)
    for path in saved:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
