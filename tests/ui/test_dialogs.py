"""The form dialogs validate their fields with readable messages and emit typed values."""

from __future__ import annotations

import base64
import json

import pytest
from PySide6.QtCore import Qt

from studio_desktop.ui.dialogs.about import AboutDialog
from studio_desktop.ui.dialogs.connect_dialog import ConnectDialog, ProjectConnection
from studio_desktop.ui.dialogs.settings_dialog import SettingsDialog
from studio_desktop.ui.dialogs.sign_in_dialog import Credentials, SignInDialog
from studio_desktop.ui.preferences import GB, MB, EngineChoice, SettingsValues
from studio_desktop.ui.theme import ThemeMode

pytestmark = pytest.mark.gui


def make_jwt(payload: dict[str, object]) -> str:
    def encode(part: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    return f"{encode({'alg': 'HS256', 'typ': 'JWT'})}.{encode(payload)}.c2lnbmF0dXJl"


ANON_KEY = make_jwt({"role": "anon", "iss": "supabase", "exp": 4102444800})


# ------------------------------------------------------------------------------ connect
@pytest.fixture
def connect(qtbot) -> ConnectDialog:
    dialog = ConnectDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_connect_accepts_a_valid_project(qtbot, connect: ConnectDialog) -> None:
    qtbot.keyClicks(connect.url_edit, "https://Abcdefgh.supabase.co/")
    connect.key_edit.setText(ANON_KEY)
    with qtbot.waitSignal(connect.connection_accepted) as signal:
        qtbot.mouseClick(connect.ok_button, Qt.MouseButton.LeftButton)
    value = signal.args[0]
    assert isinstance(value, ProjectConnection)
    assert value.url == "https://abcdefgh.supabase.co"
    assert value.anon_key == ANON_KEY
    assert ANON_KEY not in repr(value)
    assert connect.result() == ConnectDialog.DialogCode.Accepted


def test_connect_refuses_empty_fields_with_messages(qtbot, connect: ConnectDialog) -> None:
    emitted: list[object] = []
    connect.connection_accepted.connect(emitted.append)
    qtbot.mouseClick(connect.ok_button, Qt.MouseButton.LeftButton)
    assert emitted == []
    assert connect.isVisible()
    assert connect.field_error("url").startswith("Enter the project URL")
    assert "anon (public) key" in connect.field_error("anon_key")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://abc.supabase.co", "must start with https://"),
        ("http://abc.supabase.co", "Use https://"),
        ("https://abc.supabase.co/rest/v1", "without “/rest/v1”"),
        ("https://exa mple.com", "not a valid server name"),
        ("https://user:pw@abc.supabase.co", "Remove the user name and password"),
    ],
)
def test_connect_explains_a_bad_url(qtbot, connect: ConnectDialog, url: str, message: str) -> None:
    connect.url_edit.setText(url)
    connect.key_edit.setText(ANON_KEY)
    connect.accept()
    assert message in connect.field_error("url")
    assert connect.field_error("anon_key") == ""
    assert connect.isVisible()


def test_local_http_projects_are_fine(qtbot, connect: ConnectDialog) -> None:
    connect.url_edit.setText("http://127.0.0.1:54321")
    connect.key_edit.setText(ANON_KEY)
    with qtbot.waitSignal(connect.connection_accepted) as signal:
        connect.accept()
    assert signal.args[0].url == "http://127.0.0.1:54321"


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("not-a-key", "does not look like a Supabase anon key"),
        (make_jwt({"role": "service_role"}), "service-role key"),
        (make_jwt({"role": "authenticated"}), "role “authenticated”"),
        (make_jwt({"role": "anon", "exp": 1}), "expired"),
        ("eyJhbGci.eyJub3Rqc29u.sig", "damaged"),
        ("sb_secret_0123456789abcdefghij", "secret key"),
    ],
)
def test_connect_explains_a_bad_key(qtbot, connect: ConnectDialog, key: str, message: str) -> None:
    connect.url_edit.setText("https://abc.supabase.co")
    connect.key_edit.setText(key)
    connect.accept()
    assert message in connect.field_error("anon_key")
    assert connect.isVisible()


def test_field_errors_clear_as_the_value_is_fixed(qtbot, connect: ConnectDialog) -> None:
    connect.url_edit.setText("ftp://x")
    connect.accept()
    assert connect.field_error("url")
    connect.url_edit.clear()
    qtbot.keyClicks(connect.url_edit, "https://abc.supabase.co")
    assert connect.field_error("url") == ""


def test_new_style_publishable_keys_and_pasted_line_breaks(qtbot, connect: ConnectDialog) -> None:
    connect.url_edit.setText("abc.supabase.co")
    connect.key_edit.setText("sb_publishable_" + "x" * 30)
    assert connect.value().anon_key.startswith("sb_publishable_")
    assert connect.value().url == "https://abc.supabase.co"
    connect.key_edit.setText(ANON_KEY[:20] + "\n" + ANON_KEY[20:])
    assert connect.value().anon_key == ANON_KEY


# ------------------------------------------------------------------------------ sign in
def test_sign_in_validates_and_emits_credentials(qtbot) -> None:
    dialog = SignInDialog(project_url="https://abc.supabase.co")
    qtbot.addWidget(dialog)
    dialog.show()
    assert "abc.supabase.co" in dialog.intro.text()
    dialog.accept()
    assert dialog.field_error("email") == "Enter your e-mail address."
    assert dialog.field_error("password") == "Enter your password."
    dialog.email_edit.setText("ana@")
    dialog.password_edit.setText("s3cret pass")
    dialog.accept()
    assert "is not an e-mail address" in dialog.field_error("email")
    assert dialog.field_error("password") == ""
    dialog.email_edit.setText("  ana@studio.com ")
    with qtbot.waitSignal(dialog.credentials_accepted) as signal:
        dialog.accept()
    credentials = signal.args[0]
    assert isinstance(credentials, Credentials)
    assert credentials == Credentials("ana@studio.com", "s3cret pass")
    assert "s3cret" not in repr(credentials)
    assert dialog.password_edit.text() == ""  # not kept after closing


def test_sign_in_can_show_the_password(qtbot) -> None:
    dialog = SignInDialog()
    qtbot.addWidget(dialog)
    assert dialog.password_edit.echoMode() == dialog.password_edit.EchoMode.Password
    dialog.show_password.setChecked(True)
    assert dialog.password_edit.echoMode() == dialog.password_edit.EchoMode.Normal


# ------------------------------------------------------------------------------ settings
def test_settings_round_trip_and_units(qtbot) -> None:
    dialog = SettingsDialog(SettingsValues())
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.budget_unit.currentText() == "GB"
    assert dialog.budget_spin.value() == 2.0
    assert not dialog.api_url_edit.isEnabled()
    dialog.budget_unit.setCurrentText("MB")  # the amount stays the same
    assert dialog.budget_spin.value() == 2048
    dialog.budget_spin.setValue(512)
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    with qtbot.waitSignal(dialog.settings_accepted) as signal:
        dialog.accept()
    values = signal.args[0]
    assert values == SettingsValues(
        cache_budget_bytes=512 * MB,
        engine=EngineChoice.LOCAL,
        remote_api_url="",
        theme=ThemeMode.DARK,
    )


def test_settings_remote_engine_needs_a_valid_url(qtbot) -> None:
    dialog = SettingsDialog(SettingsValues(cache_budget_bytes=5 * GB))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.remote_radio.setChecked(True)
    assert dialog.api_url_edit.isEnabled()
    dialog.accept()
    assert dialog.field_error("api_url").startswith("Enter the API URL")
    dialog.api_url_edit.setText("http://studio.example.com")
    dialog.accept()
    assert "Use https://" in dialog.field_error("api_url")
    dialog.api_url_edit.setText("https://studio.example.com/api/")
    with qtbot.waitSignal(dialog.settings_accepted) as signal:
        dialog.accept()
    assert signal.args[0].engine is EngineChoice.REMOTE
    assert signal.args[0].remote_api_url == "https://studio.example.com/api"
    assert signal.args[0].cache_budget_bytes == 5 * GB


def test_settings_refuses_a_tiny_cache(qtbot) -> None:
    dialog = SettingsDialog(SettingsValues())
    qtbot.addWidget(dialog)
    dialog.budget_unit.setCurrentText("MB")
    dialog.budget_spin.setValue(100)
    dialog.accept()
    assert "at least 256 MB" in dialog.field_error("cache_budget")
    # Switching back to the local engine clears a URL error and does not need a URL.
    dialog.remote_radio.setChecked(True)
    dialog.accept()
    assert dialog.field_error("api_url")
    dialog.local_radio.setChecked(True)
    assert dialog.field_error("api_url") == ""


# ------------------------------------------------------------------------------ about
def test_about_names_the_version_and_the_data_folder(qtbot, tmp_path) -> None:
    from studio_desktop import __version__

    dialog = AboutDialog(tmp_path)
    qtbot.addWidget(dialog)
    texts = " ".join(label.text() for label in dialog.findChildren(type(dialog.versions_label)))
    assert f"Version {__version__}" in texts
    assert str(tmp_path) in texts
    assert "Qt 6." in dialog.versions_label.text()
