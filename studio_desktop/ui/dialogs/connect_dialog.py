"""Account → Connect to Supabase project…: the project URL and its anon (public) key."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLineEdit, QWidget

from studio_desktop.ui.dialogs.form import FormDialog
from studio_desktop.ui.dialogs.validators import validate_anon_key, validate_project_url


@dataclass(frozen=True, slots=True)
class ProjectConnection:
    url: str  # normalised: https://host[:port], no trailing slash
    anon_key: str = field(repr=False)  # public by design, yet kept out of logs and reprs


class ConnectDialog(FormDialog):
    """Emits :attr:`connection_accepted` with a :class:`ProjectConnection` when OK is valid."""

    connection_accepted = Signal(object)

    def __init__(self, parent: QWidget | None = None, *, url: str = "", anon_key: str = "") -> None:
        super().__init__(
            "Connect to a Supabase project",
            "Connect to your studio's project",
            "Sync your work through the studio's Supabase project. Find both values in the "
            "Supabase dashboard under Project Settings → API. Use the anon (public) key, never "
            "the service-role key.",
            parent,
        )
        self.setObjectName("ConnectDialog")
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

    def _check_url(self) -> str:
        return validate_project_url(self.url_edit.text())

    def _check_key(self) -> str:
        return validate_anon_key(self.key_edit.text())

    def value(self) -> ProjectConnection:
        """The validated connection; raises ValidationError if a field is invalid."""
        return ProjectConnection(url=self._check_url(), anon_key=self._check_key())

    def emit_values(self) -> None:
        self.connection_accepted.emit(self.value())
