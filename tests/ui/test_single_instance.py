"""The beacon a running copy listens on for second launches (``ui/single_instance.py``): only
``show`` shows the window, the socket is the user's only, a dead copy's socket file is taken
over, and the socket's place fits a Unix socket's short path."""

from __future__ import annotations

import asyncio
import socket
import stat
from pathlib import Path

import pytest

from studio_desktop.ui.single_instance import Beacon, ask_running_copy_to_show, beacon_path


def _talk(path: Path, data: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(5)
        client.connect(str(path))
        client.sendall(data)
        reply = b""
        while chunk := client.recv(64):
            reply += chunk
        return reply


def test_only_show_is_answered_and_the_socket_is_the_users(qtbot, tmp_path: Path) -> None:
    shown: list[bool] = []
    path = tmp_path / "b.sock"
    path.write_text("a dead copy's socket file")  # taken over: its holder is gone

    async def scenario() -> tuple[bytes, bytes, bool, int]:
        beacon = Beacon(path, lambda: shown.append(True))
        await beacon.start()
        assert beacon.listening
        mode = stat.S_IMODE(path.stat().st_mode)
        loop = asyncio.get_running_loop()
        junk = await loop.run_in_executor(None, _talk, path, b"rm -rf /\n")
        asked = await loop.run_in_executor(None, ask_running_copy_to_show, path, 1.0)
        show = await loop.run_in_executor(None, _talk, path, b"show\n")
        beacon.close()
        return junk, show, asked, mode

    running = asyncio.ensure_future(scenario())  # on the app's (qasync) loop
    qtbot.waitUntil(running.done, timeout=20_000)
    junk, show, asked, mode = running.result()
    assert junk == b"" and show == b"ok\n" and asked is True
    assert shown == [True, True]
    assert mode == 0o600
    assert not path.exists()  # closing removed it
    assert ask_running_copy_to_show(path, 0.2) is False  # nobody listens any more


def test_nobody_listening_is_a_no_after_the_wait(tmp_path: Path) -> None:
    import time

    started = time.monotonic()
    assert ask_running_copy_to_show(tmp_path / "nothing.sock", 0.5) is False
    assert time.monotonic() - started >= 0.5
    assert ask_running_copy_to_show(None, 5.0) is False  # no Unix sockets here: at once


def test_the_socket_goes_where_its_path_fits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = tmp_path / "run"
    runtime.mkdir()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.delenv("TMPDIR", raising=False)
    a, b = beacon_path(Path("/data/one")), beacon_path(Path("/data/two"))
    assert a is not None and b is not None and a != b
    assert a == beacon_path(Path("/data/one"))  # the same folder: the same socket
    if len(str(runtime)) < 50:
        assert a.parent == runtime
    deep = tmp_path / ("x" * 90)
    deep.mkdir()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(deep))
    far = beacon_path(Path("/data/one"))
    assert far is not None and far.parent == Path("/tmp") and len(str(far)) <= 100
