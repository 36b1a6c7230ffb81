"""Sign in and sync against the test stack through the app: the status bar follows (syncing,
then up to date), the local items move into the account when the user says so, a change made
on the server appears in the window, a change made in the window reaches the server; then the
app restarts with the gateway stopped and everything seen is still browsable, offline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from PySide6.QtCore import Qt

from studio_desktop.domain.models import new_id
from studio_desktop.domain.status import SyncState
from studio_desktop.store.locations import LOCAL_WORKSPACE
from studio_desktop.ui.areas import AreaKey
from studio_desktop.ui.dialogs.connect_dialog import ProjectConnection
from studio_desktop.ui.dialogs.sign_in_dialog import Credentials
from studio_desktop.ui.profiles.model import ProfileRole, ThumbState
from tests.ui.app.conftest import StatusSpy
from tests.ui.conftest import drop_files
from tests.ui.profiles.helpers import App, await_on_loop, click_box_button, portrait

pytestmark = [pytest.mark.gui, pytest.mark.gateway, pytest.mark.pg]


def server_profiles(dsn: str, user_id: str) -> dict[str, dict]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT id, name, reference_image_path FROM public.profiles WHERE user_id = %s",
            (user_id,),
        ).fetchall()
    return {str(r[0]): {"name": r[1], "reference_image_path": r[2]} for r in rows}


def model_names(app: App) -> list[str]:
    model = app.profiles_area.model
    return [model.profile(row).name for row in range(model.rowCount())]


def sign_in(qtbot, app: App, *, url: str, anon_key: str, email: str, password: str) -> None:
    app.controller.connect_project(ProjectConnection(url, anon_key))
    # The account records the URL part-way through connecting (then saves it and opens the
    # session); the preference is written by the operation's success callback, which also
    # says so in the message bar. Wait for that end, then check both.
    qtbot.waitUntil(lambda: "Connected to" in app.window.message_bar.text(), timeout=10_000)
    assert app.account.project_url == url
    assert app.window.preferences.project_url == url
    app.controller.sign_in(Credentials(email, password))


def test_sign_in_move_local_items_and_sync_both_ways(
    qtbot,
    *,
    launch: Callable[[], App],
    gateway,
    make_user,
    supabase_url: str,
    anon_key: str,
    gateway_db: str,
    tmp_path: Path,
) -> None:
    user = make_user()
    app = launch()
    assert app.controller.workspace.key == LOCAL_WORKSPACE
    assert app.window.sync_status.status.state is SyncState.LOCAL
    # Local work made before signing in: a profile with a reference image.
    local = await_on_loop(qtbot, app.services.profiles.create("Local Lena"))
    await_on_loop(
        qtbot,
        app.services.profiles.set_reference_image(
            local.id, portrait(tmp_path / "l.jpg", (90, 60, 40))
        ),
    )
    spy = StatusSpy(app)

    # A wrong password: a readable refusal; still the local workspace.
    sign_in(qtbot, app, url=supabase_url, anon_key=anon_key, email=user.email, password="not it")
    qtbot.waitUntil(lambda: "not right" in app.window.message_bar.text(), timeout=10_000)
    assert app.controller.workspace.key == LOCAL_WORKSPACE

    app.controller.sign_in(Credentials(user.email, user.password))
    qtbot.waitUntil(lambda: app.controller.move_box is not None, timeout=15_000)
    workspace = app.controller.workspace
    assert workspace.account is not None and workspace.account.user_id == user.id
    assert app.window.windowTitle().startswith(user.email)
    assert app.window.action_sign_out.isEnabled()
    box = app.controller.move_box
    assert "1 profile and 1 file" in box.informativeText()
    click_box_button(box, "Move into my account")

    # The moved profile reaches the server with its reference object; the bar says up to date.
    qtbot.waitUntil(lambda: "Local Lena" in model_names(app), timeout=15_000)
    qtbot.waitUntil(
        lambda: any(
            p["name"] == "Local Lena" for p in server_profiles(gateway_db, user.id).values()
        ),
        timeout=15_000,
    )
    qtbot.waitUntil(
        lambda: app.window.sync_status.status.state is SyncState.UP_TO_DATE, timeout=15_000
    )
    states = spy.states
    assert SyncState.SYNCING in states, states
    assert states.index(SyncState.SYNCING) < len(states) - 1
    assert states[-1] is SyncState.UP_TO_DATE
    assert app.window.sync_status.status.account == user.email
    moved = next(
        p for p in server_profiles(gateway_db, user.id).values() if p["name"] == "Local Lena"
    )
    assert moved["reference_image_path"].startswith(f"{user.id}/profiles/")

    # A change made on the server (another device) appears in the window.
    remote_id = new_id()
    with psycopg.connect(gateway_db) as conn:
        conn.execute(
            "INSERT INTO public.profiles (id, user_id, name, region) VALUES (%s, %s, %s, %s)",
            (remote_id, user.id, "Server Sara", "East Asia"),
        )
    app.controller.workspace.engine.sync_now()
    qtbot.waitUntil(lambda: "Server Sara" in model_names(app), timeout=15_000)

    # A change made in the window (the form) reaches the server.
    area = app.profiles_area
    dialog = area.new_profile()
    dialog.name_edit.setText("Window Wen")
    dialog.region.setCurrentText("Oceania")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: any(
            p["name"] == "Window Wen" for p in server_profiles(gateway_db, user.id).values()
        ),
        timeout=15_000,
    )
    # ...and a reference dropped on a card is uploaded.
    wen = next(p for p in area.model.profiles() if p.name == "Window Wen")
    drop_files(
        area.grid.viewport(),
        [portrait(tmp_path / "wen.png", (30, 80, 150), fmt="PNG")],
        area.card_rect(wen.id).center(),
    )
    qtbot.waitUntil(
        lambda: bool(
            (server_profiles(gateway_db, user.id).get(wen.id) or {}).get("reference_image_path")
        ),
        timeout=15_000,
    )
    server_path = server_profiles(gateway_db, user.id)[wen.id]["reference_image_path"]

    def object_on_server() -> bool:
        with psycopg.connect(gateway_db) as conn:
            row = conn.execute(
                "SELECT count(*) FROM storage.objects WHERE bucket_id = 'profiles' AND name = %s",
                (server_path,),
            ).fetchone()
        return row == (1,)

    qtbot.waitUntil(object_on_server, timeout=15_000)
    qtbot.waitUntil(
        lambda: (
            app.window.sync_status.status.state is SyncState.UP_TO_DATE
            and app.window.sync_status.status.queued == 0
        ),
        timeout=15_000,
    )

    # The local workspace was emptied by the move; switching back shows it empty.
    app.controller.switch_workspace(LOCAL_WORKSPACE)
    qtbot.waitUntil(lambda: app.controller.workspace.key == LOCAL_WORKSPACE, timeout=10_000)
    qtbot.waitUntil(lambda: app.profiles_area.model.loaded)
    assert model_names(app) == []
    assert app.window.sync_status.status.state is SyncState.LOCAL

    # ... and back to the account, from the Switch workspace menu.
    account_action = next(
        a for a in app.window.workspace_menu.actions() if a.data() not in (None, LOCAL_WORKSPACE)
    )
    assert user.email in account_action.text()
    account_action.trigger()
    qtbot.waitUntil(lambda: app.controller.workspace.key != LOCAL_WORKSPACE, timeout=10_000)
    qtbot.waitUntil(lambda: "Window Wen" in model_names(app), timeout=10_000)
    qtbot.waitUntil(
        lambda: app.window.sync_status.status.state is SyncState.UP_TO_DATE, timeout=15_000
    )

    # Browse offline: quit, stop the server, start again.
    await_on_loop(qtbot, app.controller.aclose())
    app.window.close()
    gateway.stop()
    again = launch()
    assert again.controller.workspace.key != LOCAL_WORKSPACE  # the last used workspace
    again.window.set_current_area(AreaKey.PROFILES)
    area = again.profiles_area
    qtbot.waitUntil(lambda: area.model.loaded)
    assert sorted(model_names(again)) == ["Local Lena", "Server Sara", "Window Wen"]
    wen_row = area.model.row_of(wen.id)
    qtbot.waitUntil(
        lambda: area.model.index(wen_row).data(ProfileRole.THUMBNAIL_STATE) == ThumbState.READY,
        timeout=10_000,
    )
    qtbot.waitUntil(
        lambda: again.window.sync_status.status.state is SyncState.OFFLINE, timeout=15_000
    )
    status = again.window.sync_status.status
    assert status.account == user.email
    assert (
        "Offline" in again.window.sync_status.text() or "offline" in again.window.sync_status.text()
    )

    # Offline work is kept and queued: a new profile waits in the outbox.
    await_on_loop(qtbot, again.services.profiles.create("Offline Olga"))
    qtbot.waitUntil(lambda: "Offline Olga" in model_names(again))
    qtbot.waitUntil(lambda: again.window.sync_status.status.queued >= 1, timeout=15_000)

    # Back online: it syncs by itself and the status bar comes back to up to date.
    gateway.start()
    again.controller.workspace.engine.sync_now()
    qtbot.waitUntil(
        lambda: any(
            p["name"] == "Offline Olga" for p in server_profiles(gateway_db, user.id).values()
        ),
        timeout=20_000,
    )
    qtbot.waitUntil(
        lambda: again.window.sync_status.status.state is SyncState.UP_TO_DATE, timeout=20_000
    )

    # Sign out: back to the local workspace; the account's session is gone from the keyring.
    again.controller.sign_out()
    qtbot.waitUntil(lambda: again.controller.workspace.key == LOCAL_WORKSPACE, timeout=10_000)
    assert again.window.windowTitle().startswith("Local workspace")
    session = again.account.session_for(supabase_url)
    assert session is not None and not session.signed_in
    assert session.storage.load() is None
