"""Fixtures of the sync tests: a keyring per device, and device factories. The gateway fixtures
(``gateway``, ``make_user``, ``supabase_url``, ...) come from the test stack's plugin that
``tests/conftest.py`` registers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring


def plaintext_keyring(folder: Path) -> PlaintextKeyring:
    """A real keyring backend (keyrings.alt's plaintext file) confined to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    backend = PlaintextKeyring()
    backend.file_path = str(folder / "keyring_pass.cfg")  # type: ignore[misc]
    return backend


@pytest.fixture
def system_keyring(tmp_path: Path) -> Iterator[PlaintextKeyring]:
    """Install a plaintext keyring in a temp dir as THE keyring (``keyring.set_keyring``)."""
    previous = keyring.get_keyring()
    backend = plaintext_keyring(tmp_path / "system-keyring")
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
