"""Account ▸ Connect to Supabase project… through the real dialog in the running app: the project
is checked before it is "Connected", and each way it can be wrong gets its own message under the
field to fix: an unknown host (a ``.invalid`` name: a real DNS failure), an address that is not
a Supabase project (a web server's HTML 404), a key of another project (the gateway refuses it
as Supabase's API gateway does), an expired or damaged key, a service-role key. Offline (an
address the network cannot reach) the project can be added "not checked yet", and the next
sign-in checks it. The check runs off the GUI thread with a busy line and can be cancelled; the
dialog keeps what was typed. Screenshots of each case in both palettes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt

from studio_desktop.ui.dialogs.connect_dialog import ConnectDialog
from studio_desktop.ui.dialogs.sign_in_dialog import Credentials
from tests.stack.gateway import JWT_SECRET
from tests.sync.project_servers import html_404_server, project_key, silent_server
from tests.ui.profiles.helpers import App, await_on_loop
from tests.ui.test_screenshots import assert_has_content, assert_text_fits

pytestmark = [pytest.mark.gui, pytest.mark.gateway, pytest.mark.pg]

OTHER_SECRET = "another-projects-jwt-secret-of-at-least-32-chars"
UNROUTABLE = "https://[2001:db8::1]"  # IPv6 documentation prefix: no route from here


def open_dialog(qtbot: Any, app: App) -> ConnectDialog:
    app.window.action_connect.trigger()
    dialog = app.window.dialog("connect")
    assert isinstance(dialog, ConnectDialog)
    qtbot.waitExposed(dialog)
    return dialog


def fill(qtbot: Any, dialog: ConnectDialog, url: str, key: str) -> None:
    dialog.url_edit.clear()
    qtbot.keyClicks(dialog.url_edit, url)
    dialog.key_edit.setText(key)


def press_connect(qtbot: Any, dialog: ConnectDialog) -> None:
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)


def wait_settled(qtbot: Any, dialog: ConnectDialog, timeout: int = 15_000) -> None:
    qtbot.waitUntil(lambda: not dialog.checking, timeout=timeout)


def closed(dialog: ConnectDialog) -> bool:
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def registry(app: App) -> dict[str, Any]:
    return json.loads((app.account.dirs.root / "workspaces.json").read_text(encoding="utf-8"))


def shoot(screenshot: Callable[..., Any], dialog: ConnectDialog, name: str) -> None:
    dialog.fit_height()
    assert_text_fits(dialog)
    assert_has_content(screenshot(dialog, name))


def refused_in_field(qtbot: Any, dialog: ConnectDialog, field: str, words: str) -> str:
    wait_settled(qtbot, dialog)
    qtbot.waitUntil(lambda: bool(dialog.field_error(field)), timeout=5_000)
    message = dialog.field_error(field)
    assert words in message, message
    assert dialog.isVisible()  # not saved, not closed
    return message


def test_connect_checks_the_project_and_says_what_is_wrong(
    qtbot: Any,
    *,
    launch: Callable[[], App],
    gateway: Any,
    anon_key: str,
    service_role_key: str,
    make_user: Any,
    scheme: str,
    screenshot: Callable[..., Any],
) -> None:
    app = launch()
    dialog = open_dialog(qtbot, app)

    # 1. An unknown host: a real DNS failure (".invalid" never resolves).
    fill(qtbot, dialog, "https://abcdefghijklmnopqrst.invalid", anon_key)
    press_connect(qtbot, dialog)
    refused_in_field(qtbot, dialog, "url", "No server is called “abcdefghijklmnopqrst.invalid”")
    assert dialog.url_edit.text() == "https://abcdefghijklmnopqrst.invalid"  # kept as typed
    shoot(screenshot, dialog, "connect-unknown-host")

    # 2. An address that answers, but is some other web server (an nginx 404 page).
    with html_404_server() as other_server:
        fill(qtbot, dialog, other_server, anon_key)
        press_connect(qtbot, dialog)
        refused_in_field(qtbot, dialog, "url", "is not a Supabase project (HTTP 404, text/html)")
    shoot(screenshot, dialog, "connect-not-supabase")

    # 3. The right project, but another project's key: refused by the project's API gateway.
    other_key = project_key("anon", ref="otherprojectref0000ab", secret=OTHER_SECRET)
    fill(qtbot, dialog, gateway.url, other_key)
    press_connect(qtbot, dialog)
    refused_in_field(qtbot, dialog, "anon_key", "Invalid API key")
    assert "otherprojectref0000ab" in dialog.field_error("anon_key")
    assert dialog.field_error("url") == ""
    shoot(screenshot, dialog, "connect-other-project-key")

    # 4. An expired key, then a damaged one: refused before anything is sent.
    gateway.log.clear()
    expired = project_key("anon", ref="abc", secret=JWT_SECRET, exp=int(time.time()) - 3600)
    fill(qtbot, dialog, gateway.url, expired)
    press_connect(qtbot, dialog)
    assert "This key has expired" in dialog.field_error("anon_key")
    shoot(screenshot, dialog, "connect-expired-key")
    fill(qtbot, dialog, gateway.url, anon_key[: len(anon_key) // 2])
    press_connect(qtbot, dialog)
    assert "Copy it again" in dialog.field_error("anon_key")

    # 5. The service-role key (and a new-style secret key): refused, never stored.
    fill(qtbot, dialog, gateway.url, service_role_key)
    press_connect(qtbot, dialog)
    assert "service-role key" in dialog.field_error("anon_key")
    shoot(screenshot, dialog, "connect-service-role-key")
    fill(qtbot, dialog, gateway.url, "sb_secret_" + "k" * 40)
    press_connect(qtbot, dialog)
    assert "secret key" in dialog.field_error("anon_key")
    assert gateway.log.count("/auth/v1/settings") == 0
    assert not (app.account.dirs.root / "workspaces.json").exists()  # nothing saved so far

    # The check runs off the GUI thread, shows it is busy, and Cancel stops it (kept values).
    with silent_server() as silent:
        fill(qtbot, dialog, silent, anon_key)
        press_connect(qtbot, dialog)
        qtbot.waitUntil(lambda: dialog.checking and dialog.busy_bar.isVisible(), timeout=5_000)
        assert "Checking" in dialog.status_text()
        assert not dialog.ok_button.isEnabled()
        shoot(screenshot, dialog, "connect-checking")
        dialog.reject()  # Cancel while checking: stop the check, keep the dialog
        assert not dialog.checking and dialog.isVisible()
        assert dialog.url_edit.text() == silent and dialog.key_edit.text() == anon_key
        assert "cancelled" in dialog.status_text()
        assert dialog.ok_button.isEnabled()

    # 6. Offline (the network cannot reach the address): may be added, "not checked yet".
    fill(qtbot, dialog, UNROUTABLE, anon_key)
    press_connect(qtbot, dialog)
    wait_settled(qtbot, dialog)
    assert "offline" in dialog.status_text()
    assert dialog.ok_button.text() == "Add unchecked"
    assert dialog.field_error("url") == "" and dialog.field_error("anon_key") == ""
    shoot(screenshot, dialog, "connect-offline")
    press_connect(qtbot, dialog)  # add it anyway
    qtbot.waitUntil(lambda: closed(dialog), timeout=5_000)
    qtbot.waitUntil(lambda: "not checked yet" in app.window.message_bar.text(), timeout=10_000)
    saved = registry(app)
    assert saved["unchecked_projects"] == [UNROUTABLE]
    assert saved["projects"][UNROUTABLE] == anon_key
    assert_has_content(screenshot(app.window, "connect-offline-added"))

    # The real project and its anon key: checked, then "Connected".
    dialog = open_dialog(qtbot, app)
    fill(qtbot, dialog, gateway.url, anon_key)
    press_connect(qtbot, dialog)
    qtbot.waitUntil(lambda: closed(dialog), timeout=15_000)
    qtbot.waitUntil(lambda: "Connected to" in app.window.message_bar.text(), timeout=10_000)
    saved = registry(app)
    assert saved["project_url"] == gateway.url and saved["unchecked_projects"] == [UNROUTABLE]
    assert gateway.log.count("/auth/v1/settings") == 1
    assert_has_content(screenshot(app.window, "connect-connected"))

    # A project added offline is checked at the next sign-in, once the network is back.
    await_on_loop(qtbot, app.account.connect(gateway.url, anon_key, checked=False))
    assert registry(app)["unchecked_projects"] == sorted([UNROUTABLE, gateway.url])
    user = make_user()
    app.controller.sign_in(Credentials(user.email, user.password))
    qtbot.waitUntil(lambda: "Signed in as" in app.window.message_bar.text(), timeout=20_000)
    assert registry(app)["unchecked_projects"] == [UNROUTABLE]
    assert gateway.log.count("/auth/v1/settings") == 2
