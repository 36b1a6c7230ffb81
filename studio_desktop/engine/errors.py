"""How a job ends when it does not succeed: a readable failure, or a cancel.

Engines raise these; the job runner turns them into the job's final status and its ``error``
text. Anything else escaping an engine is a bug (:class:`BugError`) and is recorded as such, with a
message that still reads as a sentence.
"""

from __future__ import annotations

from studio_desktop.domain.errors import ExternalError


class JobFailedError(ExternalError):
    """The job could not produce its result; ``message`` is what the history feed shows.

    ``retryable`` says whether running the same job again may succeed (a server hiccup) or not
    (an instruction the engine cannot carry out, an image it cannot read).
    """

    def __init__(self, message: str, *, retryable: bool = False, code: str | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


class UnsupportedInstructionError(JobFailedError):
    """A canvas instruction this engine cannot carry out.

    ``reply_text`` is the assistant's answer (what it cannot do and what it can); the canvas
    service posts it as the assistant message. The job ends ``failed`` with the same text as its
    error, so the history feed shows why nothing was produced and a retry on the remote engine is
    one click away.
    """

    def __init__(self, reply_text: str) -> None:
        super().__init__(reply_text, retryable=False, code="unsupported_instruction")
        self.reply_text = reply_text


class JobCanceledError(ExternalError):
    """The user canceled the job (or the server reported it canceled)."""

    def __init__(self, message: str = "Canceled.") -> None:
        super().__init__(message)


class EngineUnavailableError(ExternalError):
    """The engine cannot be reached now (no network, the session needs a new sign-in).

    A job that waits for its engine (``waitForEngine``) goes back to ``queued`` and runs again
    when the engine can be used: after ``retry_after`` seconds, or, when that is ``None``, once
    the engine is set up again (a new sign-in). Any other job fails with ``message``.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        retryable: bool = True,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.retryable = retryable
        self.code = code
