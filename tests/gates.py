"""Holding a job at one of its steps, for deterministic cancels and "still running" states."""

from __future__ import annotations

import asyncio
import threading


class Gate:
    """A step hook (the engines' ``on_step``) that holds a job at ``step`` until released.

    ``reached`` is set when the job gets there; ``release`` lets it go on (and every later
    pass through the step too). A gate never released fails the job after ``timeout`` seconds,
    so a broken test ends instead of hanging.
    """

    def __init__(self, step: str, timeout: float = 15) -> None:
        self.step = step
        self.timeout = timeout
        self.reached = threading.Event()
        self.release = threading.Event()

    def __call__(self, step: str) -> None:
        if step != self.step:
            return
        self.reached.set()
        if not self.release.wait(self.timeout):
            raise TimeoutError("the test never released the gate")


async def until(event: threading.Event, timeout: float = 10) -> None:
    """Wait on the running loop (without blocking it) until ``event`` is set."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not event.is_set():
        if loop.time() > deadline:
            raise TimeoutError("the event never came")
        await asyncio.sleep(0.005)
