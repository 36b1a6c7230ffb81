"""Queue several try-ons and a pack in the garment panel in a real X window, as a designer does.

Run under Xvfb from the repository's root (real mouse clicks and wheel turns through the X
server with xdotool, not Qt's synthetic events)::

    xvfb-run -a -s "-screen 0 1280x800x24" \\
        .venv/bin/python scripts/tryon_queue_real_window.py OUT_DIR

The app (the real composition, local workspace, not signed in) opens at 1024×640 on Profiles
with three profiles and a garment's front cut out. The designer clicks "Try on" for each
profile in turn (each waits for the studio's engine), then "Build product pack"; the wheel
scrolls the panel down to Mia's row and its Cancel is clicked; the studio's engine (the fake
generation API of the tests) then runs the other two. Screenshots of the screen go to OUT_DIR;
the last line printed is a JSON report (each check and whether it held).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path


def main() -> int:
    out = Path(sys.argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    root = Path(tempfile.mkdtemp())
    os.environ["XDG_CONFIG_HOME"] = str(root / "config")  # the app's settings: this run only
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import qasync
    from PIL import Image
    from PySide6.QtCore import QPoint, QSettings
    from PySide6.QtWidgets import QApplication
    from real_window import screenshot, until, xdo  # (beside this script)

    from studio_desktop.engine.remote import RemoteEngine
    from studio_desktop.engine.remote_api import GenerationApiClient, RetryPolicy
    from studio_desktop.services.account import AccountService
    from studio_desktop.services.garments_screen import CANCELED_TEXT
    from studio_desktop.services.jobs import WAITING_FOR_SIGN_IN
    from studio_desktop.store.locations import DataDirs
    from studio_desktop.ui.app_controller import AppController
    from studio_desktop.ui.areas import AreaKey
    from studio_desktop.ui.main_window import MainWindow
    from studio_desktop.ui.welcome import DONT_SHOW_KEY
    from tests.imaging.garments import studio_sweep
    from tests.stack.fake_generation_api import FakeGenerationApi

    app = QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    QSettings().setValue(DONT_SHOW_KEY, True)
    dirs = DataDirs(root / "data").ensure()
    win = MainWindow(dirs)
    account = AccountService(dirs)
    controller = AppController(win, account)
    win.resize(1024, 640)
    win.move(0, 0)
    win.show()
    api = FakeGenerationApi(steps=6, poll_after_ms=40).start()
    photo = root / "tee front.png"
    Image.fromarray(studio_sweep().photo).save(photo)
    report: dict[str, object] = {}

    async def click(widget) -> None:
        p = widget.mapToGlobal(widget.rect().center())
        await xdo("mousemove", str(p.x()), str(p.y()), "click", "1")

    def shot(name: str) -> None:
        screenshot(out, name)

    def in_view(scroll, widget) -> bool:
        viewport = scroll.viewport()
        top_left = widget.mapTo(viewport, QPoint(0, 0))
        return viewport.rect().contains(top_left) and viewport.rect().contains(
            top_left + QPoint(widget.width() - 1, widget.height() - 1)
        )

    async def run() -> None:
        await controller.start()
        win.set_current_area(AreaKey.PROFILES)
        services = controller.workspace.services  # type: ignore[union-attr]
        panel = win.profiles_area.garments  # type: ignore[union-attr]
        scroll = win.profiles_area.garments_scroll  # type: ignore[union-attr]
        profiles = [await services.profiles.create(n) for n in ("Ana", "Mia", "Lena")]
        for profile in profiles:
            api.add_profile(services.store.user_id, profile.name, profile_id=profile.id)
        await until(lambda: all(panel.profile_combo.findData(p.id) >= 0 for p in profiles))
        panel.extract("front", photo)
        await until(lambda: panel.slots["front"].has_cutout)

        def texts() -> list[str]:
            return [row.status.text() for row in panel.rows()]

        for count, profile in enumerate(profiles, start=1):
            panel.choose_profile(profile.id)
            scroll.ensureWidgetVisible(panel.tryon_button)
            await asyncio.sleep(0.2)
            report[f"Try on is enabled for {profile.name}"] = panel.tryon_button.isEnabled()
            await click(panel.tryon_button)
            report[f"a click queues {profile.name}'s try-on beside the others"] = await until(
                lambda count=count: texts() == [WAITING_FOR_SIGN_IN] * count, 10
            )
        panel.choose_profile(profiles[1].id)
        await asyncio.sleep(0.2)
        report["Mia again is refused, the tooltip says why"] = (
            not panel.tryon_button.isEnabled()
            and "already being tried on Mia" in panel.tryon_button.toolTip()
        )
        panel.choose_profile(None)
        scroll.ensureWidgetVisible(panel.build_button)
        await asyncio.sleep(0.2)
        await click(panel.build_button)
        report["the pack gets a fourth row and ends"] = await until(
            lambda: len(panel.rows()) == 4 and panel.rows()[3].result_count() == 2, 60
        )
        await asyncio.sleep(0.5)
        shot("real-tryons-and-pack.png")
        report["the window stays 1024x640"] = (win.width(), win.height()) == (1024, 640)
        report["the panel scrolls"] = scroll.verticalScrollBar().maximum() > 0

        # The wheel over the panel brings Mia's row into view; its Cancel is clicked.
        mia = next(r for r in panel.rows() if r.title.text() == "Try-on · Mia")
        centre = scroll.viewport().mapToGlobal(scroll.viewport().rect().center())
        await xdo("mousemove", str(centre.x()), str(centre.y()))
        scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())
        await asyncio.sleep(0.2)
        for _ in range(40):
            if in_view(scroll, mia.cancel_button):
                break
            await xdo("click", "4")  # wheel up
        report["the wheel brings Mia's Cancel into view"] = in_view(scroll, mia.cancel_button)
        await click(mia.cancel_button)
        report["Mia's Cancel ends hers only"] = (
            await until(lambda: mia.status.text() == CANCELED_TEXT, 10)
            and texts().count(WAITING_FOR_SIGN_IN) == 2
        )
        shot("real-mia-canceled.png")

        # The studio's engine: the other two run, each on its own row.
        api.grant("designer-token", services.store.user_id)
        client = GenerationApiClient(
            api.base_url, lambda: "designer-token", retry=RetryPolicy(attempts=2)
        )
        services.set_remote_engine(RemoteEngine(client), preferred=False)
        try:
            report["Ana's and Lena's run and end with an image each"] = await until(
                lambda: [r.result_count() for r in panel.rows()] == [1, 0, 1, 2], 60
            )
        finally:
            await client.aclose()
        scroll.verticalScrollBar().setValue(0)
        await asyncio.sleep(0.3)
        shot("real-tryons-ended.png")
        report["Clear finished is offered"] = panel.clear_finished_button.isVisible()
        await click(panel.clear_finished_button)
        report["Clear finished clears the rows"] = await until(lambda: panel.rows() == [], 5)
        shot("real-cleared.png")

    try:
        loop.run_until_complete(run())
    finally:
        print(json.dumps(report))
        sys.stdout.flush()
        win.close()
        loop.run_until_complete(controller.aclose())
        api.stop()
    os._exit(0 if report and all(report.values()) else 1)


if __name__ == "__main__":
    raise SystemExit(main())
