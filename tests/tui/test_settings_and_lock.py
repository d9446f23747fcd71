"""Personal settings, the idle lock and resuming a shift, driven with Pilot
against the real backend (issue #3).

Unlock tests need ``POST /auth/reauth``; they are skipped, saying so, on a
backend whose OpenAPI document does not have it yet.
"""

from __future__ import annotations

import io
import tempfile
from functools import cache
from pathlib import Path

import pytest
from rich.console import Console
from textual.color import Color
from textual.widgets import DataTable, Input, Select

from csdesk.app import CsdeskApp
from csdesk.server.seed import DEMO_AGENTS
from csdesk.services.secrets import service_name
from csdesk.themes import HIGH_CONTRAST, MONOCHROME
from tests.conftest import make_settings
from tests.keyring_backends import use_keyring
from tests.tui.helpers import (
    error_text,
    fresh_code,
    make_app,
    screen_text,
    sign_in_to_desk,
    submit_code,
    submit_login,
    wait_for,
)

AGENT = DEMO_AGENTS[0]


@cache
def backend_has(path: str) -> bool:
    """True when the reference backend's OpenAPI document lists ``path`` (under /api/v1)."""
    from csdesk.server.app import create_app

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(make_settings(Path(folder) / "csdesk.db"))
        try:
            return f"/api/v1{path}" in app.openapi()["paths"]
        finally:
            app.state.ctx.close()


needs_reauth = pytest.mark.skipif(not backend_has("/auth/reauth"), reason="needs /auth/reauth")


def visible_text(app: CsdeskApp) -> str:
    """What the terminal shows now, as plain text (screens below an opaque one are not drawn)."""
    console = Console(
        width=app.size.width, height=app.size.height, file=io.StringIO(), force_terminal=True,
        color_system="truecolor", record=True, legacy_windows=False, safe_box=False,
    )
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


def bar(app: CsdeskApp) -> str:
    return str(app.screen.query_one("AgentBar").render())


def is_ready(app: CsdeskApp) -> bool:
    return app.screen.__class__.__name__ == "DeskScreen" and "Ready" in bar(app) and "Not Ready" not in bar(app)


async def pick(pilot, select_id: str, steps: int) -> None:
    """Open the select ``select_id`` with Enter, move ``steps`` down (up if negative), Enter."""
    app = pilot.app
    app.screen.query_one(select_id, Select).focus()
    await pilot.press("enter")
    await pilot.press(*(["down"] * steps if steps >= 0 else ["up"] * -steps))
    await pilot.press("enter")
    await pilot.pause(0.1)


async def outbox_empty(pilot) -> None:
    session = pilot.app.session
    await wait_for(pilot, lambda: session.sync._status is not None and session.sync._status.pending == 0)


# -- settings ------------------------------------------------------------------


async def test_settings_saved_synced_and_applied_on_the_next_sign_in(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "SettingsScreen")
        screen = app.screen
        # Everything fits 80×24: the last control and the footer are on screen.
        assert screen.query_one("#keys").region.bottom <= 22
        assert "Quick-phrase list key" in visible_text(app)

        await pick(pilot, "#theme", 2)  # dark → light → high contrast
        assert app.theme == HIGH_CONTRAST.name
        await pick(pilot, "#offer-alert", 1)  # the list opens on the current one: both → none
        assert app.desk_settings.offer_alert == "none"
        await pick(pilot, "#idle", -3)  # 5 → 2 minutes
        assert app.desk_settings.idle_lock_minutes == 2

        # Remap F2 (desk.toggle_ready) to F12 in the key table.
        table = screen.query_one("#keys", DataTable)
        table.focus()
        row = [i.binding_id for i in screen.catalogue].index("desk.toggle_ready")
        await pilot.press("home", *(["down"] * row))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "KeyCaptureScreen")
        await pilot.press("ctrl+l")  # the app's keys are off while capturing: a conflict, refused
        await wait_for(pilot, lambda: app.screen is screen)
        assert "already used" in str(screen.query_one("#status").render())
        assert not app.locked
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "KeyCaptureScreen")
        await pilot.press("f12")
        await wait_for(pilot, lambda: app.desk_settings.keymap == {"desk.toggle_ready": "f12"})
        # The quick-phrase key (stored for a later feature).
        screen.query_one("#phrase-key").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "KeyCaptureScreen")
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: app.desk_settings.phrase_key == "ctrl+o")

        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen")
        # The new key works, the old one no longer does.
        await pilot.press("f2")
        await pilot.pause(0.3)
        assert "Not Ready" in bar(app)
        await pilot.press("f12")
        await wait_for(pilot, lambda: is_ready(app))

        # Saved on the server through the outbox.
        await outbox_empty(pilot)
        saved = (await app.session.api.request("GET", "/me/settings")).json()["data"]
        assert saved["theme"] == "high-contrast" and saved["idle_lock_minutes"] == 2
        assert saved["keymap"] == {"desk.toggle_ready": "f12"} and saved["phrase_key"] == "ctrl+o"
        assert saved["offer_alert"] == "none"

    # Another terminal: the settings follow the agent.
    app2 = make_app(backend.url, tmp_path / "data2")
    async with app2.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await wait_for(pilot, lambda: app2.theme == HIGH_CONTRAST.name)
        assert app2.desk_settings.idle_lock_minutes == 2
        assert app2.desk_settings.phrase_key == "ctrl+o"
        assert "Not Ready" in bar(app2)
        await pilot.press("f12")
        await wait_for(pilot, lambda: is_ready(app2))


async def test_settings_screen_in_chinese_and_back(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "SettingsScreen")
        await pick(pilot, "#language", -1)  # English → 中文
        await wait_for(pilot, lambda: "个人设置" in visible_text(app))
        text = visible_text(app)
        assert "主题" in text and "空闲锁屏" in text and "按键" in text
        assert app.screen.query_one("#theme", Select).value == "dark"  # kept while relabelling
        await pick(pilot, "#language", 1)
        await wait_for(pilot, lambda: "Personal settings" in visible_text(app))
        await outbox_empty(pilot)
        saved = (await app.session.api.request("GET", "/me/settings")).json()["data"]
        assert saved["language"] == "en"
    from csdesk.i18n import set_language

    set_language("en")


async def test_monochrome_is_grey_only_and_chosen_under_no_color(backend, tmp_path: Path, monkeypatch) -> None:
    # Every colour of the monochrome theme is a grey: NO_COLOR (which turns
    # colours to grey) and TERM=linux (16 colours: black, grey, white) lose nothing.
    variables = MONOCHROME.to_color_system().generate()
    for name, value in variables.items():
        try:
            color = Color.parse(value)
        except Exception:
            continue  # text styles ("bold"), "transparent", "auto …"
        if color.a == 0:
            continue
        assert color.r == color.g == color.b, (name, value)
    cursor_fg = Color.parse(variables["block-cursor-foreground"])
    cursor_bg = Color.parse(variables["block-cursor-background"])
    assert abs(cursor_fg.brightness - cursor_bg.brightness) > 0.9
    for value in (variables["background"], variables["foreground"], variables["block-cursor-background"]):
        standard = Color.parse(value).rich_color.downgrade(_standard())
        assert standard.number in (0, 7, 8, 15), (value, standard)

    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.theme == MONOCHROME.name
        await sign_in_to_desk(pilot, AGENT)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "SettingsScreen")
        # The focused select is marked by the (black on white) block cursor, not a tint.
        current = app.screen.query_one("#theme > SelectCurrent")
        assert current.styles.background.rgb == (255, 255, 255)


def _standard():
    from rich.color import ColorSystem

    return ColorSystem.STANDARD


# -- idle lock -----------------------------------------------------------------


async def test_idle_lock_covers_everything_and_keeps_the_app_running(backend, tmp_path: Path) -> None:
    # 3 s idle, keys every 0.3 s: a loaded machine (CI, parallel workers) stretched
    # 0.5 s pauses past a 1.5 s limit and the desk locked while keys were coming.
    app = CsdeskApp(backend.url, tmp_path / "data", language="en", idle_lock_seconds=3.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        # Input keeps it open…
        for _ in range(6):
            await pilot.pause(0.3)
            await pilot.press("shift")
        assert not app.locked
        # …no input locks it.
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LockScreen", timeout=10)
        from textual.screen import ModalScreen

        assert not isinstance(app.screen, ModalScreen)
        await wait_for(pilot, lambda: AGENT["employee_id"] in visible_text(app))
        shown = visible_text(app)
        assert AGENT["name"] not in shown and "Not Ready" not in shown and "Signed in as" not in shown
        # Only the agent ID and a password field (focused).
        assert isinstance(app.screen.focused, Input) and app.screen.focused.password
        # The app keeps running: push loop and event stream alive, still online.
        sync_workers = [w for w in app.workers if w.group == "sync"]
        assert sync_workers and all(not w.is_finished for w in sync_workers)
        assert app.session.follower is not None
        await wait_for(pilot, lambda: app.session.follower.connected)
        # Palette and settings are off; a screen pushed meanwhile is held back.
        await pilot.press("ctrl+p")
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        assert app.screen.__class__.__name__ == "LockScreen"
        from csdesk.screens.confirm import ConfirmScreen

        await app.push_screen(ConfirmScreen("held"))
        assert app.screen.__class__.__name__ == "LockScreen"
        # The issue #4 hook: an offer rings through the lock.
        app.screen.show_offer_waiting("")
        await pilot.pause(0.05)
        assert "A contact is waiting" in visible_text(app)
        app.screen.show_offer_waiting(None)
        await pilot.pause(0.05)
        assert "A contact is waiting" not in visible_text(app)


async def test_ctrl_l_locks_at_once(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        # Before sign-in there is nothing to lock.
        await pilot.press("ctrl+l")
        await pilot.pause(0.1)
        assert app.screen.__class__.__name__ == "LoginScreen"
        await sign_in_to_desk(pilot, AGENT)
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LockScreen")
        assert app.desk_settings.idle_lock_minutes == 5 and app.idle_seconds == 300
        # Signing out stays possible from the lock screen (asks first).
        await pilot.press("f10")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen")
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LockScreen")


@needs_reauth
async def test_unlock_wrong_then_right_password(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LockScreen")
        lock = app.screen
        from csdesk.screens.confirm import ConfirmScreen

        await app.push_screen(ConfirmScreen("held until unlocked"))
        field = lock.query_one("#password", Input)
        field.value = "wrong-password"
        field.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "wrong" in error_text(app))
        # The same words as on the login screen.
        assert error_text(app) == "Employee ID or password is wrong."
        assert field.value == ""
        assert app.screen is lock
        field.value = AGENT["password"]
        await pilot.press("enter")
        # Unlocked: the held dialog comes up over the desk.
        await wait_for(pilot, lambda: not app.locked)
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen")
        await pilot.press("f2")
        await wait_for(pilot, lambda: is_ready(app))


@needs_reauth
@pytest.mark.backend_settings(lockout_threshold=2)
async def test_unlock_attempts_lock_the_account_and_say_until_when(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LockScreen")
        field = app.screen.query_one("#password", Input)
        for _ in range(2):
            field.value = "wrong-password"
            await pilot.press("enter")
            await pilot.pause(0.3)
        # The backend ended the sign-in: the login screen says until when.
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LoginScreen")
        await wait_for(pilot, lambda: "locked until" in error_text(app))
        assert not app.at_desk


# -- resume the shift / keyring ---------------------------------------------------


async def test_resume_the_shift_from_the_keyring(backend, tmp_path: Path, keyring_backend) -> None:
    data = tmp_path / "data"
    key = (service_name(backend.url), AGENT["employee_id"])
    app = make_app(backend.url, data)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await wait_for(pilot, lambda: keyring_backend.passwords.get(key) == app.session.api.refresh_token)
        assert "keyring" not in screen_text(app)  # a usable keyring: nothing to say
    # The process ends without signing out (a crash, a closed laptop): its
    # store lock goes with it.
    await app.session.close()
    app2 = make_app(backend.url, data)
    async with app2.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app2.screen.__class__.__name__ == "ConfirmScreen")
        await wait_for(pilot, lambda: "Resume your shift as A1001?" in screen_text(app2))  # once composed
        await pilot.press("y")
        await wait_for(pilot, lambda: app2.screen.__class__.__name__ in ("DeskScreen", "AnnouncementsScreen"))
        await wait_for(pilot, lambda: app2.at_desk)
        assert keyring_backend.passwords[key] == app2.session.api.refresh_token
        # Sign-out (F10, yes) deletes the kept token.
        await pilot.press("f10")
        await wait_for(pilot, lambda: app2.screen.__class__.__name__ == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: not app2.is_running)
    assert key not in keyring_backend.passwords
    # Nothing to resume now: the normal sign-in.
    app3 = make_app(backend.url, data)
    async with app3.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "backend reachable" in screen_text(app3))
        await pilot.pause(0.3)
        assert app3.screen.__class__.__name__ == "LoginScreen"


async def test_declined_or_failed_resume_leaves_the_normal_sign_in(backend, tmp_path: Path, keyring_backend) -> None:
    from csdesk.services.last_agent import write_last_agent

    data = tmp_path / "data"
    key = (service_name(backend.url), AGENT["employee_id"])
    write_last_agent(data, backend.url, AGENT["employee_id"])
    keyring_backend.passwords[key] = "revoked-or-expired"
    app = make_app(backend.url, data)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: "Could not resume" in error_text(app))
        assert app.screen.__class__.__name__ == "LoginScreen"
        assert key not in keyring_backend.passwords
        await submit_login(pilot, AGENT["employee_id"], AGENT["password"])
        await submit_code(pilot, fresh_code(AGENT["totp_secret"], backend.url))
        await wait_for(pilot, lambda: app.at_desk)
    await app.session.close()
    keyring_backend.passwords[key] = "another"
    app2 = make_app(backend.url, data)
    async with app2.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app2.screen.__class__.__name__ == "ConfirmScreen")
        await pilot.press("n")
        await wait_for(pilot, lambda: app2.screen.__class__.__name__ == "LoginScreen")
        assert keyring_backend.passwords[key] == "another"  # declining keeps it


async def test_no_keyring_keeps_the_token_in_memory_and_says_so_once(backend, tmp_path: Path) -> None:
    from keyring.backends import fail

    data = tmp_path / "data"
    with use_keyring(fail.Keyring()):
        app = make_app(backend.url, data)
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in_to_desk(pilot, AGENT)
            notice = "No keyring on this machine"
            await wait_for(pilot, lambda: any(notice in n for n in app.notices))
            assert sum(notice in n for n in app.notices) == 1
            token = app.session.api.refresh_token
            assert token and await app.session.secrets.load(backend.url, AGENT["employee_id"]) == token
            # Never written to a file.
            for path in data.rglob("*"):
                if path.is_file():
                    assert token not in path.read_text("utf-8", errors="replace"), path
        # The next run has nothing to resume.
        app2 = make_app(backend.url, data)
        async with app2.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: "backend reachable" in screen_text(app2))
            await pilot.pause(0.3)
            assert app2.screen.__class__.__name__ == "LoginScreen"


def test_every_binding_has_an_id_and_a_text_in_both_languages() -> None:
    from textual.binding import Binding

    from csdesk.i18n import en, zh_cn
    from csdesk.screens.settings import binding_catalogue, binding_owners

    owners = binding_owners()
    names = {cls.__name__ for _scope, cls in owners}
    assert {"CsdeskApp", "DeskScreen", "SettingsScreen", "LockScreen", "LoginScreen"} <= names
    for _scope, cls in owners:
        for binding in cls.__dict__.get("BINDINGS", ()):
            assert isinstance(binding, Binding) and binding.id, f"{cls.__name__} {binding!r} has no id"
            for catalogue in (en.MESSAGES, zh_cn.MESSAGES):
                assert f"key.{binding.id}" in catalogue, binding.id
    ids = [info.binding_id for info in binding_catalogue()]
    assert "app.lock" in ids and "app.settings" in ids and "desk.toggle_ready" in ids
    assert "login.enter" not in ids and len(ids) == len(set(ids))
