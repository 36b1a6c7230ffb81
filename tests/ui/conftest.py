"""Fixtures for UI tests: the qasync loop on pytest-qt's ``qapp``, isolated QSettings, the main
window, screenshots in both palettes, and drag-and-drop helpers.

- ``qloop`` (autouse): one ``qasync.QEventLoop(qapp, already_running=True)`` for the session, made
  the running loop for each test (so ``run_op``/``asyncSlot`` work and asyncio tasks run whenever
  Qt processes events, e.g. inside ``qtbot.waitUntil``) and unset afterwards, so non-UI tests
  that call ``asyncio.run`` are unaffected. Never ``loop.stop()``: it
  calls ``QApplication.exit()`` and later tests' qtbot waits stop running asyncio work.
- ``qt_settings`` (autouse): every ``QSettings()`` of the test is an INI file under ``tmp_path``.
- ``scheme``: parametrises a test over the light and dark palettes.
- ``main_window``: a shown ``MainWindow`` on a fresh data root.
- ``screenshot(widget, name)``: saves ``widget.grab()`` to
  ``tests/screenshots/<scheme>/<name>.png``.
- ``drag_enter(target, mime)``, ``drop_files(target, paths)``, ``file_mime(paths)``: send the
  drag-enter / drag-move / drop sequence the way Qt delivers it (to ``view.viewport()`` for
  item views).
- ``expect_crash``: a test that provokes the crash dialog asks for it; any other test fails if a
  crash dialog is left open.
- every test fails if it leaves the application's override (busy) cursor set.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget

from studio_desktop import APP_NAME, ORG_NAME
from studio_desktop.store.locations import DataDirs
from studio_desktop.ui.crash import crash_reporter
from studio_desktop.ui.theme import ThemeMode, theme_manager

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"


# ------------------------------------------------------------------------------ the loop
@pytest.fixture(scope="session")
def _qasync_loop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.events._set_running_loop(None)  # set per test by ``qloop``
    executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="test-worker")
    loop.set_default_executor(executor)
    yield loop
    executor.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(autouse=True)
def qloop(_qasync_loop: qasync.QEventLoop, qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    asyncio.set_event_loop(_qasync_loop)
    asyncio.events._set_running_loop(_qasync_loop)
    try:
        yield _qasync_loop
    finally:
        pending = [t for t in asyncio.all_tasks(_qasync_loop) if not t.done()]
        for task in pending:
            task.cancel()
        for _ in range(20):
            if all(t.done() for t in pending):
                break
            qapp.processEvents()
        asyncio.events._set_running_loop(None)
        asyncio.set_event_loop(None)


# ------------------------------------------------------------------------------ settings & theme
@pytest.fixture(autouse=True)
def qt_settings(tmp_path: Path, qapp: QApplication) -> Iterator[Path]:
    folder = tmp_path / "qt-settings"
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    qapp.setOrganizationName(ORG_NAME)
    qapp.setApplicationName(APP_NAME)
    yield folder


@pytest.fixture(autouse=True)
def _theme(qapp: QApplication) -> Iterator[None]:
    theme_manager().set_mode(ThemeMode.SYSTEM)
    yield
    theme_manager().set_mode(ThemeMode.SYSTEM)


@pytest.fixture(params=["light", "dark"])
def scheme(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test once in the light and once in the dark palette."""
    theme_manager().set_mode(ThemeMode(request.param))
    yield request.param


# ------------------------------------------------------------------------------ crashes
@pytest.fixture
def expect_crash() -> Iterator[Callable[[], object]]:
    """For tests that provoke the crash dialog: returns a getter for the open dialog."""
    yield lambda: crash_reporter().dialog


@pytest.fixture(autouse=True)
def _no_unexpected_crash(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[None]:
    yield
    dialog = crash_reporter().dialog
    if dialog is not None:
        summary = dialog.summary_label.text()
        dialog.close()
        qapp.processEvents()
        if "expect_crash" not in request.fixturenames:
            pytest.fail(f"a crash dialog was left open: {summary}")


# ------------------------------------------------------------------------------ the busy cursor
@pytest.fixture(autouse=True)
def _no_busy_cursor_left(qapp: QApplication) -> Iterator[None]:
    """The override (busy) cursor is application-wide: a test that leaves it set would fail a
    later test that checks it. Fail the test that left it, once its closed windows are gone."""
    yield
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # pytest-qt's deleteLater
    left = 0
    while QApplication.overrideCursor() is not None:
        QApplication.restoreOverrideCursor()
        left += 1
    if left:
        pytest.fail(f"the test left the application's override cursor set ({left} deep)")


# ------------------------------------------------------------------------------ the window
@pytest.fixture
def data_dirs(data_root: Path) -> DataDirs:
    return DataDirs(data_root).ensure()


@pytest.fixture
def main_window(qtbot, data_dirs: DataDirs):
    from studio_desktop.ui.main_window import MainWindow

    window = MainWindow(data_dirs)
    qtbot.addWidget(window)
    window.resize(1180, 760)
    # The restored area is built right after the window's first paint.
    with qtbot.waitSignal(window.area_changed):
        window.show()
    qtbot.waitExposed(window)
    return window


# ------------------------------------------------------------------------------ screenshots
@pytest.fixture
def screenshot(qapp: QApplication) -> Callable[[QWidget, str], Path]:
    def take(widget: QWidget, name: str) -> Path:
        for _ in range(3):
            qapp.processEvents()
        folder = SCREENSHOTS / theme_manager().scheme_name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        pixmap = widget.grab()
        assert not pixmap.isNull(), f"{name}: the widget rendered nothing"
        assert pixmap.save(str(path)), f"could not save {path}"
        return path

    return take


# ------------------------------------------------------------------------------ drag and drop
def file_mime(paths: Sequence[Path | str] = (), *, links: Sequence[str] = ()) -> QMimeData:
    mime = QMimeData()
    urls = [QUrl.fromLocalFile(str(p)) for p in paths] + [QUrl(link) for link in links]
    if urls:
        mime.setUrls(urls)
    return mime


@dataclass
class DropResult:
    entered: bool  # the drag-enter was accepted (a drop without it is ignored by Qt)
    dropped: bool  # the drop was accepted


def _center(target: QWidget) -> QPoint:
    return target.rect().center()


def drag_enter(target: QWidget, mime: QMimeData, pos: QPoint | None = None) -> QDragEnterEvent:
    point = pos or _center(target)
    # Drag-enter and drag-move take a QPoint (the C++ signature; PySide6 6.11 insists), the
    # drop a QPointF.
    event = QDragEnterEvent(
        point,
        Qt.DropAction.CopyAction | Qt.DropAction.MoveAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, event)
    return event


def drop_mime(target: QWidget, mime: QMimeData, pos: QPoint | None = None) -> DropResult:
    """Drag-enter, drag-move, then drop ``mime`` on ``target`` (if the enter was accepted)."""
    point = pos or _center(target)
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    enter = drag_enter(target, mime, point)
    if not enter.isAccepted():
        return DropResult(entered=False, dropped=False)
    move = QDragMoveEvent(
        point, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(target, move)
    drop = QDropEvent(
        QPointF(point), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(target, drop)
    return DropResult(entered=True, dropped=drop.isAccepted())


def drop_files(
    target: QWidget, paths: Sequence[Path | str], pos: QPoint | None = None
) -> DropResult:
    return drop_mime(target, file_mime(paths), pos)


@pytest.fixture(name="drop_files")
def drop_files_fixture() -> Callable[..., DropResult]:
    return drop_files


@pytest.fixture(name="drag_enter")
def drag_enter_fixture() -> Callable[..., QDragEnterEvent]:
    return drag_enter
