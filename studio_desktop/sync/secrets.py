"""Where the session's tokens are kept: the OS keyring, or a private file where there is none.

:class:`SecretStore` keeps a few small text values for one service name (one per Supabase
project URL). It uses ``keyring`` (Keychain, Windows Credential Manager, Secret Service...). Only
where no keyring backend exists at all (``keyring``'s ``fail``/``null`` backends, or
``NoKeyringError``) does it fall back to a JSON file created with mode 0600 in a 0700 folder, and
it logs a warning about that once per process. Values never go to settings files or logs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
from pathlib import Path

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from studio_desktop.domain.errors import ExternalError

log = logging.getLogger(__name__)

SERVICE_PREFIX = "studio-desktop"
_warned_lock = threading.Lock()
_warned: list[bool] = [False]  # once per process


class SecretStoreError(ExternalError):
    """The keyring exists but refused (locked, denied) or the fallback file cannot be used."""


def service_name(project_url: str) -> str:
    """The keyring service of one Supabase project (its URL identifies it)."""
    return f"{SERVICE_PREFIX}:{project_url.rstrip('/')}"


def _no_backend(backend: KeyringBackend) -> bool:
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring | null.Keyring):
        return True
    return isinstance(backend, chainer.ChainerBackend) and not backend.backends


def _warn_fallback(path: Path) -> None:
    with _warned_lock:
        if _warned[0]:
            return
        _warned[0] = True
    log.warning(
        "No system keyring is available: the sign-in session is kept in %s "
        "(readable only by this user, mode 0600). Install a keyring service to keep it there.",
        path,
    )


class SecretStore:
    """Small secrets of one service (``get``/``set``/``delete`` by key)."""

    def __init__(
        self,
        service: str,
        fallback_dir: Path,
        *,
        backend: KeyringBackend | None = None,
    ) -> None:
        self.service = service
        self._backend = backend
        digest = hashlib.sha256(service.encode()).hexdigest()[:16]
        self.fallback_file = Path(fallback_dir) / f"secrets-{digest}.json"
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ backend choice
    @property
    def backend(self) -> KeyringBackend:
        return self._backend if self._backend is not None else keyring.get_keyring()

    @property
    def uses_fallback(self) -> bool:
        return _no_backend(self.backend)

    # ------------------------------------------------------------------ API
    def get(self, key: str) -> str | None:
        if not self.uses_fallback:
            try:
                return self.backend.get_password(self.service, key)
            except keyring.errors.NoKeyringError:
                pass
            except keyring.errors.KeyringError as exc:
                raise SecretStoreError(
                    f"The system keyring could not be read ({type(exc).__name__}). "
                    "Unlock it and try again."
                ) from exc
        return self._read_file().get(key)

    def set(self, key: str, value: str) -> None:
        if not self.uses_fallback:
            try:
                self.backend.set_password(self.service, key, value)
                return
            except keyring.errors.NoKeyringError:
                pass
            except keyring.errors.KeyringError as exc:
                raise SecretStoreError(
                    f"The sign-in could not be saved in the system keyring "
                    f"({type(exc).__name__}). Unlock it and try again."
                ) from exc
        with self._lock:
            data = self._read_file()
            data[key] = value
            self._write_file(data)

    def delete(self, key: str) -> None:
        if not self.uses_fallback:
            try:
                self.backend.delete_password(self.service, key)
            except keyring.errors.PasswordDeleteError:
                pass
            except keyring.errors.NoKeyringError:
                pass
            except keyring.errors.KeyringError as exc:
                raise SecretStoreError(
                    f"The sign-in could not be removed from the system keyring "
                    f"({type(exc).__name__})."
                ) from exc
            else:
                return
        with self._lock:
            data = self._read_file()
            if key in data:
                del data[key]
                self._write_file(data)

    # ------------------------------------------------------------------ fallback file
    def _read_file(self) -> dict[str, str]:
        try:
            raw = self.fallback_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise SecretStoreError(
                f"The saved sign-in could not be read ({exc.strerror or exc})."
            ) from exc
        try:
            data = json.loads(raw)
        except ValueError:
            log.warning("the saved sign-in file is damaged; it is ignored")
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _write_file(self, data: dict[str, str]) -> None:
        _warn_fallback(self.fallback_file)
        folder = self.fallback_file.parent
        temp = folder / f".{self.fallback_file.name}.{os.getpid()}.tmp"
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)  # whatever the umask or a previous file said
            with os.fdopen(fd, "wb") as fh:
                fh.write(json.dumps(data).encode("utf-8"))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temp, self.fallback_file)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise SecretStoreError(
                f"The sign-in could not be saved ({exc.strerror or exc})."
            ) from exc
