"""A real X server for tests: Xvfb on a free display, finding a top-level window by its title,
and closing it as a window manager's close button does (``WM_DELETE_WINDOW``)."""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import pytest

SCREEN = "1280x800x24"


@contextmanager
def xvfb() -> Iterator[str]:
    """Start Xvfb on a display it picks itself (``-displayfd``); yields ``":N"``.

    Fails (never skips) when Xvfb is not installed: ``bash scripts/bootstrap.sh test``
    installs it, so a missing one is a broken set-up."""
    binary = shutil.which("Xvfb")
    if binary is None:
        pytest.fail("Xvfb not found: apt-get install xvfb (bash scripts/bootstrap.sh test does)")
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        [binary, "-displayfd", str(write_fd), "-screen", "0", SCREEN, "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as reader:
            number = reader.readline().strip()  # written once the server accepts clients
        if not number:
            _, err = server.communicate(timeout=10)
            pytest.fail(f"Xvfb did not start: {err.decode(errors='replace')[-2000:]}")
        yield f":{number}"
    finally:
        server.terminate()
        try:
            server.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()


@dataclass(frozen=True)
class Window:
    id: int
    title: str
    x: int
    y: int
    width: int
    height: int
    viewable: bool


_TREE_LINE = re.compile(r'^\s+(0x[0-9a-f]+) "(?P<title>[^"]*)":')


def top_level_windows(display: str) -> list[Window]:
    """The named windows directly under the root window (no window manager runs: the app's
    windows are the root's children), with their map state and geometry (``xwininfo``)."""
    xwininfo = shutil.which("xwininfo")
    if xwininfo is None:
        pytest.fail("xwininfo not found: apt-get install x11-utils (bootstrap.sh test does)")
    env = {**os.environ, "DISPLAY": display}
    tree = subprocess.run(
        [xwininfo, "-root", "-children"], env=env, capture_output=True, text=True, check=True
    ).stdout
    windows = []
    for line in tree.splitlines():
        match = _TREE_LINE.match(line)
        if not match:
            continue
        info = subprocess.run(
            [xwininfo, "-id", match.group(1)], env=env, capture_output=True, text=True, check=True
        ).stdout
        fields = dict(
            (key.strip(), value.strip())
            for key, _, value in (line.partition(":") for line in info.splitlines())
        )
        windows.append(
            Window(
                id=int(match.group(1), 16),
                title=match.group("title"),
                x=int(fields["Absolute upper-left X"]),
                y=int(fields["Absolute upper-left Y"]),
                width=int(fields["Width"]),
                height=int(fields["Height"]),
                viewable=fields["Map State"] == "IsViewable",
            )
        )
    return windows


class _ClientMessage(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [("xclient", _ClientMessage), ("pad", ctypes.c_long * 24)]


def close_window(display: str, window: int) -> None:
    """Ask ``window`` to close with the ICCCM ``WM_DELETE_WINDOW`` message, as a window
    manager's close button does (through libX11, which Qt's xcb platform already needs)."""
    x11 = ctypes.CDLL("libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XSendEvent.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_int,
        ctypes.c_long,
        ctypes.POINTER(_XEvent),
    ]
    x11.XFlush.argtypes = x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    connection = x11.XOpenDisplay(display.encode())
    assert connection, f"cannot open X display {display}"
    try:
        event = _XEvent()
        event.xclient.type = 33  # ClientMessage
        event.xclient.window = window
        event.xclient.message_type = x11.XInternAtom(connection, b"WM_PROTOCOLS", 0)
        event.xclient.format = 32
        event.xclient.data[0] = x11.XInternAtom(connection, b"WM_DELETE_WINDOW", 0)
        event.xclient.data[1] = 0  # CurrentTime
        assert x11.XSendEvent(connection, window, 0, 0, ctypes.byref(event)) != 0
        x11.XFlush(connection)
    finally:
        x11.XCloseDisplay(connection)


@contextmanager
def covering_window(display: str, title: str = "cover") -> Iterator[int]:
    """A plain window over the whole screen, mapped on top of everything (another program's
    window over the app's), for as long as the context lasts; yields its id."""
    x11 = ctypes.CDLL("libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XDefaultRootWindow.restype = ctypes.c_ulong
    x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x11.XCreateSimpleWindow.restype = ctypes.c_ulong
    x11.XCreateSimpleWindow.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_ulong,
        ctypes.c_ulong,
    ]
    x11.XStoreName.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_char_p]
    x11.XMapRaised.argtypes = x11.XDestroyWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    connection = x11.XOpenDisplay(display.encode())
    assert connection, f"cannot open X display {display}"
    width, height = (int(n) for n in SCREEN.split("x")[:2])
    try:
        root = x11.XDefaultRootWindow(connection)
        window = x11.XCreateSimpleWindow(
            connection, root, 0, 0, width, height, 0, 0x000000, 0x4A7A3C
        )
        x11.XStoreName(connection, window, title.encode())
        x11.XMapRaised(connection, window)
        x11.XSync(connection, 0)
        yield window
        x11.XDestroyWindow(connection, window)
        x11.XSync(connection, 0)
    finally:
        x11.XCloseDisplay(connection)


#: How long a test waits for the app (a cold start of the installed app on a loaded machine).
START_TIMEOUT_S = 120

T = TypeVar("T")


def wait_for_app(what: str, probe: Callable[[], T | None], app: subprocess.Popen[bytes]) -> T:
    """Poll ``probe`` (the app is another process: no Qt signal to wait on) until it returns
    something, failing at once if the app exits and after START_TIMEOUT_S otherwise."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        if app.poll() is not None:
            pytest.fail(f"the app exited with {app.returncode} before {what}")
        time.sleep(0.2)
    pytest.fail(f"no {what} after {START_TIMEOUT_S} s")
