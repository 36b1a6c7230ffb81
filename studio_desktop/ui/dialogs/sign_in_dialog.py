"""Account → Sign in…: e-mail and password for the connected project."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QLineEdit, QWidget

from studio_desktop.ui.dialogs.form import FormDialog
from studio_desktop.ui.dialogs.validators import validate_email, validate_password


@dataclass(frozen=True, slots=True)
class Credentials:
    email: str
    password: str = field(repr=False)  # never in reprs, logs or settings


class SignInDialog(FormDialog):
    """Emits :attr:`credentials_accepted` with :class:`Credentials`; the password is not kept
    by the dialog after it closes (the field is cleared)."""

    credentials_accepted = Signal(object)

    def __init__(
        self, parent: QWidget | None = None, *, project_url: str | None = None, email: str = ""
    ) -> None:
        host = urlsplit(project_url).hostname if project_url else None
        super().__init__(
            "Sign in",
            "Sign in to sync",
            (
                f"Sign in with your studio account on {host}."
                if host
                else "Sign in with your studio account."
            )
            + " Your work in the local workspace stays on this computer until you move it.",
            parent,
        )
        self.setObjectName("SignInDialog")
        self.email_edit = QLineEdit(email, self)
        self.email_edit.setObjectName("email")
        self.email_edit.setPlaceholderText("ana@studio.com")
        self.password_edit = QLineEdit(self)
        self.password_edit.setObjectName("password")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_password = QCheckBox("Show password", self)
        self.show_password.toggled.connect(self._toggle_echo)
        self.add_field("email", "E-mail", self.email_edit, self._check_email)
        self.add_field("password", "Password", self.password_edit, self._check_password)
        self.form.addRow("", self.show_password)
        self.ok_button.setText("Sign in")
        self.finished.connect(lambda _result: self.password_edit.clear())
        if email:
            self.password_edit.setFocus()

    def _toggle_echo(self, shown: bool) -> None:
        self.password_edit.setEchoMode(
            QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        )

    def _check_email(self) -> str:
        return validate_email(self.email_edit.text())

    def _check_password(self) -> str:
        return validate_password(self.password_edit.text())

    def value(self) -> Credentials:
        return Credentials(email=self._check_email(), password=self._check_password())

    def emit_values(self) -> None:
        self.credentials_accepted.emit(self.value())
