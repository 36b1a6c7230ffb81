"""Account → Connect to Supabase project…: the project URL and its anon (public) key.

With a ``checker`` (the account service's ``check_project``), pressing Connect first checks the
project off the GUI thread: the fields are locked (never cleared) and a busy line says so; Cancel
stops the check and gives the fields back. A refusal shows its message under the field to fix
(an unknown host, an address that is not a Supabase project, a key of another project...). When
the network is down the dialog says so and offers "Add unchecked": the project is saved, marked
not checked yet, and checked at the next sign-in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QProgressBar, QWidget

from studio_desktop.domain.errors import ExternalError, ValidationError
from studio_desktop.ui.dialogs.form import FormDialog
from studio_desktop.ui.dialogs.validators import validate_anon_key, validate_project_url
from studio_desktop.ui.operations import run_op

#: ``checker(url, key)`` -> an object with ``checked: bool`` and ``message: str``; raises a
#: :class:`ValidationError` (with the field to fix) or another ``ExternalError``.
Checker = Callable[[str, str], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class ProjectConnection:
    url: str  # normalised: https://host[:port], no trailing slash
    anon_key: str = field(repr=False)  # public by design, yet kept out of logs and reprs
    #: False when the project could not be checked (offline): saved as "not checked yet".
    checked: bool = True


class ConnectDialog(FormDialog):
    """Emits :attr:`connection_accepted` with a :class:`ProjectConnection` when OK is valid
    (and, with a ``checker``, once the project answered as a Supabase project should)."""

    connection_accepted = Signal(object)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        url: str = "",
        anon_key: str = "",
        checker: Checker | None = None,
    ) -> None:
        super().__init__(
            "Connect to a Supabase project",
            "Connect to your studio's project",
            "Sync your work through the studio's Supabase project. Find both values in the "
            "Supabase dashboard under Project Settings → API. Use the anon (public) key, never "
            "the service-role key.",
            parent,
        )
        self.setObjectName("ConnectDialog")
        self.checker = checker
        self._task: asyncio.Task[Any] | None = None
        #: The (url, key) the check found unreachable: pressing OK again adds them unchecked.
        self._offline_for: tuple[str, str] | None = None
        self.url_edit = QLineEdit(url, self)
        self.url_edit.setObjectName("url")
        self.url_edit.setPlaceholderText("https://abcdefghijkl.supabase.co")
        self.url_edit.setClearButtonEnabled(True)
        self.key_edit = QLineEdit(anon_key, self)
        self.key_edit.setObjectName("anon_key")
        self.key_edit.setPlaceholderText("eyJhbGciOi…  or  sb_publishable_…")
        self.key_edit.setClearButtonEnabled(True)
        self.add_field("url", "Project URL", self.url_edit, self._check_url)
        self.add_field("anon_key", "Anon key", self.key_edit, self._check_key)
        self.ok_button.setText("Connect")

        self.busy_bar = QProgressBar(self)
        self.busy_bar.setObjectName("check_busy")
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setFixedWidth(90)
        self.busy_bar.hide()
        self.status = QLabel(self)
        self.status.setObjectName("check_status")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        row.addWidget(self.busy_bar, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.status, 1)
        layout = self.layout()
        layout.insertLayout(layout.indexOf(self.buttons) - 2, row)  # type: ignore[attr-defined]
        for edit in (self.url_edit, self.key_edit):
            edit.textEdited.connect(self._values_changed)

    # ------------------------------------------------------------------ fields
    def _check_url(self) -> str:
        return validate_project_url(self.url_edit.text())

    def _check_key(self) -> str:
        return validate_anon_key(self.key_edit.text())

    def value(self) -> ProjectConnection:
        """The validated connection; raises ValidationError if a field is invalid."""
        return ProjectConnection(url=self._check_url(), anon_key=self._check_key())

    def emit_values(self) -> None:
        self.connection_accepted.emit(self.value())

    @property
    def checking(self) -> bool:
        return self._task is not None and not self._task.done()

    def status_text(self) -> str:
        """The line under the fields ('' when hidden): for tests and accessibility."""
        return "" if self.status.isHidden() else self.status.text()

    # ------------------------------------------------------------------ the check
    def accept(self) -> None:
        if self.checker is None:
            super().accept()
            return
        if self.checking:
            return
        problems = self.validate_fields()
        if problems:
            super().accept()  # shows the field errors, keeps the dialog open
            return
        for name in ("url", "anon_key"):
            self.set_field_error(name, None)
        connection = self.value()
        if self._offline_for == (connection.url, connection.anon_key):
            self._finish(ProjectConnection(connection.url, connection.anon_key, checked=False))
            return
        self._start_check(connection)

    def _start_check(self, connection: ProjectConnection) -> None:
        assert self.checker is not None
        self._set_busy(True)
        self._show_status(f"Checking {connection.url}…", "muted")
        checker = self.checker

        def done(result: Any) -> None:
            self._task = None
            self._set_busy(False)
            if result.checked:
                self._finish(connection)
                return
            self._offline_for = (connection.url, connection.anon_key)
            self.ok_button.setText("Add unchecked")
            self._show_status(
                f"{result.message} You can add the project now: it will be marked “not checked "
                "yet” and checked when you sign in.",
                "warning",
            )

        def failed(error: ExternalError) -> None:
            self._task = None
            self._set_busy(False)
            name = error.field if isinstance(error, ValidationError) else None
            if name in ("url", "anon_key"):
                self._hide_status()
                self.set_field_error(name, error.message)
                (self.url_edit if name == "url" else self.key_edit).setFocus(
                    Qt.FocusReason.OtherFocusReason
                )
            else:
                self._show_status(error.message, "error")
            self.fit_height()

        self._task = run_op(
            self,
            checker(connection.url, connection.anon_key),
            on_success=done,
            on_failure=failed,
            progress="Checking the Supabase project…",
        )

    def cancel_check(self) -> None:
        """Stop a running check; the fields keep what was typed."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
        self._set_busy(False)
        self._show_status("Check cancelled. Change the values or press Connect again.", "muted")

    def reject(self) -> None:
        if self.checking:
            self.cancel_check()
            return
        super().reject()

    def done(self, result: int) -> None:  # closing the window also stops a check
        if self.checking:
            task, self._task = self._task, None
            if task is not None:
                task.cancel()
        super().done(result)

    def _finish(self, connection: ProjectConnection) -> None:
        self.connection_accepted.emit(connection)
        QDialog.accept(self)

    def _values_changed(self) -> None:
        if self._offline_for is not None:
            self._offline_for = None
            self.ok_button.setText("Connect")
            self._hide_status()

    def _set_busy(self, busy: bool) -> None:
        for edit in (self.url_edit, self.key_edit):
            edit.setReadOnly(busy)
        self.ok_button.setEnabled(not busy)
        self.busy_bar.setVisible(busy)
        self.setCursor(Qt.CursorShape.BusyCursor if busy else Qt.CursorShape.ArrowCursor)

    def _show_status(self, text: str, level: str) -> None:
        self.status.setText(text)
        self.status.setProperty("role", "field-error" if level == "error" else None)
        self.status.setProperty("muted", level == "muted")
        self.status.setProperty("level", level)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.show()
        self.fit_height()

    def _hide_status(self) -> None:
        self.status.hide()
        self.fit_height()
