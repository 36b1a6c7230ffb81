"""Logs never hold secrets: the redaction rules, and the app's file + stderr handlers."""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio_desktop.app import LOG_FILE_NAME, RedactingFilter, configure_logging, rotate_log_file
from studio_desktop.domain.redact import redact

JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEiLCJyb2xlIjoiYW5vbiJ9.Zm9vYmFy"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"Authorization: Bearer {JWT}", JWT),
        ("Authorization: Bearer opaque-token-123", "opaque-token-123"),
        (f"headers={{'apikey': '{JWT}', 'X-Client-Info': 'supabase-py/2.34.1'}}", JWT),
        ('{"refresh_token": "v1.Mr5mZXuJsf", "email": "ana@studio.com"}', "v1.Mr5mZXuJsf"),
        ('{"password": "hunter 2", "email": "ana@studio.com"}', "hunter 2"),
        ("GET /rest/v1/jobs?apikey=abc123secret&select=id", "abc123secret"),
        ("password=hunter2 user=ana", "hunter2"),
        ("access_token: tok_abcdef", "tok_abcdef"),
        ("got sb_secret_0123456789abcdef back", "sb_secret_0123456789abcdef"),
        (f"a bare token {JWT} in text", JWT),
    ],
)
def test_redact_hides_secrets(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert "[redacted]" in cleaned


def test_redact_keeps_ordinary_text() -> None:
    text = "Synced 12 jobs for ana@studio.com in 0.8 s (3 tokens of progress)"
    assert redact(text) == text
    assert "ana@studio.com" in redact('{"email": "ana@studio.com", "password": "x"}')


@pytest.fixture(params=["rotating", "plain, then rotating"])
def app_logging(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """The app's logging, set up at once or as ``run()`` does (a plain file handler until the
    window has painted, then the rotating one)."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    for handler in saved[0]:
        root.removeHandler(handler)
    path = configure_logging(tmp_path / "logs", verbose=True, rotate=request.param == "rotating")
    if request.param != "rotating":
        logging.getLogger("studio_desktop.app").info("before the first paint")
        rotate_log_file()
    try:
        yield path
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        logging.captureWarnings(False)


def test_the_log_file_never_receives_secrets(app_logging: Path, capsys) -> None:
    log = logging.getLogger("studio_desktop.sync.session")
    log.info("signing in with %s", {"email": "ana@studio.com", "password": "hunter2"})
    log.warning("request headers: Authorization: Bearer %s", JWT)
    try:
        raise RuntimeError(f"refresh failed for refresh_token={JWT}")
    except RuntimeError:
        log.exception("refresh failed")
    log.debug("apikey=%s", "anon-key-value")
    for handler in logging.getLogger().handlers:
        handler.flush()
    written = app_logging.read_text(encoding="utf-8")
    stderr = capsys.readouterr().err
    assert app_logging.name == LOG_FILE_NAME
    for secret in ("hunter2", JWT, "anon-key-value"):
        assert secret not in written
        assert secret not in stderr
    assert "ana@studio.com" in written
    assert "RuntimeError: refresh failed for refresh_token=[redacted]" in written
    assert "Traceback" in written


def test_the_filter_rewrites_records_once() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token=%s", ("abc",), None)
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "token=[redacted]"
    assert record.args is None


def test_the_log_rotates(app_logging: Path) -> None:
    handler = next(
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.handlers.RotatingFileHandler)
    )
    assert handler.maxBytes > 0
    assert handler.backupCount >= 3
    assert Path(handler.baseFilename) == app_logging
    file_handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.FileHandler)]
    assert file_handlers == [handler]  # the plain start-up handler is gone
    assert any(isinstance(f, RedactingFilter) for f in handler.filters)
    assert handler.level == logging.DEBUG
    logging.getLogger("studio_desktop.app").info("after the first paint, apikey=%s", "k-123")
    handler.flush()
    written = app_logging.read_text(encoding="utf-8")
    assert "apikey=[redacted]" in written
    assert "k-123" not in written
