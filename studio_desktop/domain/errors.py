"""The error vocabulary shared by every layer.

Errors are split the qutebrowser way: :class:`ExternalError` for what the world did (disk full,
network down, a file that is not an image, a server that said no) and :class:`BugError` for what
this program did wrong. The UI shows the first kind as a readable message in the window and keeps
going; the second kind goes to the crash dialog with diagnostics.

Every :class:`StudioError` carries ``message``: one or two sentences a designer can read, with no
stack trace and no secrets.
"""

from __future__ import annotations


class StudioError(Exception):
    """Base of every error this application raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ExternalError(StudioError):
    """Something outside the program: files, network, server refusals, user input."""


class BugError(StudioError):
    """An internal inconsistency: the program is wrong, not the world."""


class ValidationError(ExternalError):
    """User input that cannot be accepted, with the field it concerns."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
