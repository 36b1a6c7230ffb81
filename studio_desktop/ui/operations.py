"""Operations: one user action = one readable service call, run off the GUI thread.

Anki's pattern on the app's one qasync loop::

    run_op(
        self,
        lambda: service.delete_jobs(ids),          # sync callable: runs in the default executor
        on_success=lambda n: bar.show_message(f"Deleted {n} jobs."),
        progress="Deleting…",
    )
    run_op(self, service.sync_now(), progress="Syncing…")   # a coroutine: runs on the loop

While it runs, the window's status bar shows ``progress`` (else "Working…") with a busy bar and
the busy cursor.
When it ends:

- success: ``on_success(result)`` on the GUI thread;
- :class:`ExternalError` (the world: files, network, input): ``on_failure(error)`` if given, else
  the message in the window's message bar (no modal), with "Copy details";
- :class:`BugError` or any other exception: the crash dialog (copy diagnostics) and the app keeps
  running; ``on_failure`` is never asked to swallow bugs;
- cancellation (``task.cancel()``): nothing is shown.

Callbacks are skipped if ``parent`` was destroyed meanwhile. The returned task can be awaited
(its result is the work's result, or None when it failed) or cancelled.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

import shiboken6
from PySide6.QtWidgets import QMessageBox, QWidget

from studio_desktop.domain.errors import ExternalError
from studio_desktop.ui.crash import report_crash

log = logging.getLogger(__name__)
T = TypeVar("T")

Work = Awaitable[T] | Callable[[], T] | Callable[[], Awaitable[T]]

# asyncio keeps only weak references to tasks: hold them until they finish.
_running: set[asyncio.Task[Any]] = set()


@runtime_checkable
class OperationHost(Protocol):
    """What a window offers operations: a busy indicator and a place for readable errors.

    ``MainWindow`` implements it; ``run_op`` finds the nearest host through the parent chain.
    """

    def begin_busy(self, label: str) -> int: ...

    def end_busy(self, token: int) -> None: ...

    def show_external_error(self, error: ExternalError, details: str | None = None) -> None: ...


def find_host(widget: QWidget | None) -> OperationHost | None:
    """The nearest :class:`OperationHost`: the widget's window, else its owner's, and so on."""
    while widget is not None and shiboken6.isValid(widget):
        window = widget.window()
        if isinstance(window, OperationHost):
            return window
        widget = window.parentWidget()
    return None


def event_loop() -> asyncio.AbstractEventLoop:
    """The app's qasync loop (running or merely set)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.get_event_loop_policy().get_event_loop()


def _alive(widget: QWidget) -> bool:
    return shiboken6.isValid(widget)


async def _execute(work: Work[T]) -> T:
    if inspect.isawaitable(work):
        return await work
    if not callable(work):
        raise TypeError(f"run_op needs an awaitable or a callable, not {type(work).__name__}")
    if inspect.iscoroutinefunction(work):
        return await work()
    result = await event_loop().run_in_executor(None, work)
    if inspect.isawaitable(result):  # a lambda that returned a coroutine
        return await result
    return result


def show_external_error(parent: QWidget, error: ExternalError, details: str | None = None) -> None:
    """The readable message in the host's message bar; a non-blocking box if there is no host."""
    host = find_host(parent)
    if host is not None:
        host.show_external_error(error, details)
        return
    box = QMessageBox(QMessageBox.Icon.Warning, "Could not finish", error.message, parent=parent)
    if details:
        box.setDetailedText(details)
    box.open()  # window-modal at most, never a nested event loop


def run_op(
    parent: QWidget,
    work: Work[T],
    *,
    on_success: Callable[[T], object] | None = None,
    on_failure: Callable[[ExternalError], object] | None = None,
    progress: str | None = None,
) -> asyncio.Task[T | None]:
    """Run ``work`` off the GUI thread with a busy indicator; see the module docstring."""
    host = find_host(parent)

    async def operation() -> T | None:
        # The indicator is shown from the operation's first step, inside the ``try`` whose
        # ``finally`` ends it: so it is gone by the time the task is done, however it ends. (A
        # task cancelled before its first step never enters the coroutine: it shows nothing.)
        token = None
        if host is not None and _alive(host):  # type: ignore[arg-type]
            token = host.begin_busy(progress or "Working…")
        try:
            result = await _execute(work)
        except asyncio.CancelledError:
            log.debug("operation %r cancelled", progress)
            raise
        except ExternalError as error:
            log.info("operation %r failed: %s", progress, error.message)
            if not _alive(parent):
                return None
            if on_failure is not None:
                _guarded(parent, on_failure, error)
            else:
                details = "".join(traceback.format_exception_only(type(error), error)).strip()
                cause = error.__cause__ or error.__context__
                if cause is not None:
                    details += (
                        "\nCaused by: "
                        + "".join(traceback.format_exception_only(type(cause), cause)).strip()
                    )
                show_external_error(parent, error, details)
            return None
        except Exception as error:
            report_crash(error, parent if _alive(parent) else None)
            return None
        finally:
            if token is not None and _alive(host):  # type: ignore[arg-type]
                host.end_busy(token)  # type: ignore[union-attr]
            _running.discard(asyncio.current_task())  # type: ignore[arg-type]
        if on_success is not None and _alive(parent):
            _guarded(parent, on_success, result)
        return result

    def finished(task: asyncio.Task[T | None]) -> None:
        _running.discard(task)
        if task.cancelled() and inspect.iscoroutine(work):
            work.close()  # never started: no "coroutine was never awaited" warning

    task = event_loop().create_task(operation(), name=f"op:{progress or 'unnamed'}")
    _running.add(task)
    task.add_done_callback(finished)
    return task


def _guarded(parent: QWidget, callback: Callable[[Any], object], value: object) -> None:
    """Run a callback; a bug in it goes to the crash dialog, not into the loop's handler."""
    try:
        callback(value)
    except Exception as error:
        report_crash(error, parent if _alive(parent) else None)


def running_operations() -> int:
    """How many operations are in flight (for tests and shutdown)."""
    return len(_running)
