"""Regressions from the fifth QA round: long pastes typed as keys, and the
signed-in password change (wrong / locked / empty / too long)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input

from csdesk.domain.password_policy import DEFAULT_POLICY, RULE_MAX_LENGTH, PasswordPolicy
from csdesk.domain.schemas import PASSWORD_MAX_LENGTH
from csdesk.server.seed import DEMO_AGENTS
from csdesk.widgets.form_screen import (
    FIELD_CAPS,
    MAX_CODE_CHARS,
    MAX_EMPLOYEE_ID_CHARS,
    MAX_NEW_PASSWORD_CHARS,
    MAX_PASSWORD_CHARS,
)
from tests.tui.helpers import error_text, make_app, sign_in_to_desk, wait_for

AGENT = DEMO_AGENTS[0]
TOO_LONG = "Too long: extra characters ignored."
#: Printable keys delivered for a "100 KB paste typed as keys" (scaled down for CI).
KEYS = 20_000


async def _press_many(pilot, field: Input, count: int) -> float:
    """Deliver ``count`` printable keys (letters and digits) as a terminal does
    for a paste without bracketed-paste mode: all queued at once, none waiting
    for the one before. Returns the seconds until every key was handled.

    (``pilot.press`` waits ~40 ms for the app to go idle after *each* key,
    whatever the key costs: 20,000 keys would take 800 s of pure waiting. A
    short ``pilot.press`` run at the end checks that path too.)
    """
    app = pilot.app
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    start = time.monotonic()
    for i in range(count):
        char = alphabet[i % len(alphabet)]
        event = events.Key(char, char)
        event.set_sender(app)
        app._driver.send_message(event)
    deadline = start + 60
    while not (app._message_queue.empty() and field._message_queue.empty()):
        assert time.monotonic() < deadline, "keys still queued after 60 s"
        await asyncio.sleep(0.01)
    await pilot.pause()
    seconds = time.monotonic() - start
    await pilot.press(*alphabet[:20])  # at the cap: dropped as well
    return seconds


async def _palette_password_change(pilot) -> None:
    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CommandPalette")
    await pilot.press(*"Change password")
    await pilot.pause(0.5)
    await pilot.press("enter")
    await wait_for(pilot, lambda: app.screen.__class__.__name__ == "PasswordChangeScreen")


def _wire_max(model: type, field: str) -> int:
    return next(m.max_length for m in model.model_fields[field].metadata if getattr(m, "max_length", None))


def test_caps_match_the_wire_limits() -> None:
    from csdesk.domain import schemas

    assert MAX_EMPLOYEE_ID_CHARS == _wire_max(schemas.LoginRequest, "employee_id") == 64
    assert PASSWORD_MAX_LENGTH == DEFAULT_POLICY.max_length == 256
    assert PASSWORD_MAX_LENGTH == _wire_max(schemas.MyPasswordChange, "new_password")
    # QA: a new-password field capped at 256 cut a 300-character paste and
    # saved the cut password. The field takes what sign-in takes; the
    # checklist refuses anything over the policy's maximum.
    assert MAX_NEW_PASSWORD_CHARS == MAX_PASSWORD_CHARS > PASSWORD_MAX_LENGTH
    for model, field in (
        (schemas.LoginRequest, "password"),
        (schemas.ReauthRequest, "password"),
        (schemas.MyPasswordChange, "current_password"),
    ):
        assert MAX_PASSWORD_CHARS == _wire_max(model, field)
    assert MAX_CODE_CHARS == _wire_max(schemas.MfaRequest, "code") == _wire_max(schemas.TotpConfirmRequest, "code")
    assert set(FIELD_CAPS) == {"employee_id", "password", "new_password", "code"}


# -- 1. a long paste delivered as key presses -----------------------------------------


async def test_many_keys_into_the_login_id_are_capped_and_cheap(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LoginScreen")
        field = app.screen.query_one("#employee-id", Input)
        assert field.max_length == MAX_EMPLOYEE_ID_CHARS
        field.focus()
        seconds = await _press_many(pilot, field, KEYS)
        await pilot.pause(0.1)
        print(f"\n{KEYS} keys into the login ID: {seconds:.1f}s")
        assert len(field.value) == MAX_EMPLOYEE_ID_CHARS
        assert TOO_LONG in error_text(app)
        # Every sign-in field is capped.
        assert app.screen.query_one("#password", Input).max_length == MAX_PASSWORD_CHARS


async def test_many_keys_into_the_new_password_are_capped_and_cheap(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await _palette_password_change(pilot)
        screen = app.screen
        assert screen.query_one("#current", Input).max_length == MAX_PASSWORD_CHARS
        assert screen.query_one("#again", Input).max_length == MAX_NEW_PASSWORD_CHARS
        field = screen.query_one("#new", Input)
        assert field.max_length == MAX_NEW_PASSWORD_CHARS
        field.focus()
        seconds = await _press_many(pilot, field, KEYS)
        await pilot.pause(0.1)
        print(f"\n{KEYS} keys into the new password: {seconds:.1f}s")
        assert len(field.value) == MAX_NEW_PASSWORD_CHARS
        assert TOO_LONG in error_text(app)


async def test_bracketed_paste_is_cut_to_the_cap(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LoginScreen")
        field = app.screen.query_one("#employee-id", Input)
        field.focus()
        await pilot.press(*"A1")
        field.post_message(events.Paste("x" * 100_000))
        await wait_for(pilot, lambda: len(field.value) == MAX_EMPLOYEE_ID_CHARS)
        assert field.value.startswith("A1x")
        assert TOO_LONG in error_text(app)
        # A paste that fits goes in whole, no notice needed.
        field.value = ""
        app.screen.query_one("#error").update("")
        field.post_message(events.Paste("A1001"))
        await wait_for(pilot, lambda: field.value == "A1001")
        assert TOO_LONG not in error_text(app)


async def test_lock_mfa_and_enrol_fields_are_capped(backend, tmp_path: Path) -> None:
    from csdesk.screens.lock import LockScreen
    from csdesk.screens.mfa import MfaScreen

    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LoginScreen")
        for screen, cap in ((LockScreen("A1001"), MAX_PASSWORD_CHARS), (MfaScreen(), MAX_CODE_CHARS)):
            await app.push_screen(screen)
            await pilot.pause(0.1)
            assert screen.query_one("#code" if cap == MAX_CODE_CHARS else "#password", Input).max_length == cap
            await app.pop_screen()
    from csdesk.screens import enrol

    source = Path(enrol.__file__).read_text(encoding="utf-8")
    assert 'id="code", kind="code"' in source


# -- 2. wrong / locked current password ------------------------------------------------


async def test_wrong_current_password_says_so(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await _palette_password_change(pilot)
        screen = app.screen
        new = "Another#Pass2027"
        screen.query_one("#current", Input).value = "not-my-password"
        screen.query_one("#new", Input).value = new
        screen.query_one("#again", Input).value = new
        screen.query_one("#again", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Current password is wrong." in error_text(app))
        assert "Employee ID" not in error_text(app)


@pytest.mark.backend_settings(lockout_threshold=2)
async def test_locking_the_account_by_wrong_current_passwords_says_until_when(
    backend, tmp_path: Path
) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await _palette_password_change(pilot)
        screen = app.screen
        new = "Another#Pass2027"
        for attempt in range(2):
            screen.query_one("#current", Input).value = "not-my-password"
            screen.query_one("#new", Input).value = new
            screen.query_one("#again", Input).value = new
            screen.query_one("#again", Input).focus()
            await pilot.press("enter")
            if attempt == 0:
                await wait_for(pilot, lambda: "Current password is wrong." in error_text(app))
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LoginScreen")
        await wait_for(pilot, lambda: "locked until" in error_text(app))
        assert not app.at_desk


# -- 3. empty current password / too long new password ------------------------------


async def test_empty_current_password_is_asked_for(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await _palette_password_change(pilot)
        screen = app.screen
        new = "Another#Pass2027"
        screen.query_one("#new", Input).value = new
        screen.query_one("#again", Input).value = new
        screen.query_one("#again", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Enter your current password" in error_text(app))
        assert "ValidationError" not in error_text(app)
        assert app.focused is screen.query_one("#current", Input)


async def test_too_long_new_password_is_marked_in_the_checklist(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await _palette_password_change(pilot)
        screen = app.screen
        checklist = lambda: str(screen.query_one("#checklist").render())  # noqa: E731
        assert "At most" not in checklist()  # listed only when broken
        long = "Aa1#" * 75  # 300 characters, pasted whole into both fields
        screen.query_one("#current", Input).value = AGENT["password"]
        for selector in ("#new", "#again"):
            screen.query_one(selector, Input).focus()
            await pilot.pause()
            screen.query_one(selector, Input).post_message(events.Paste(long))
            await pilot.pause(0.1)
            assert screen.query_one(selector, Input).value == long
        await pilot.pause(0.2)
        assert "✗ At most 256 characters" in checklist()
        screen.query_one("#again", Input).focus()
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert "ValidationError" not in error_text(app)
        assert app.screen is screen  # not sent


def test_max_length_rule_is_shared_by_client_and_server() -> None:
    from csdesk.server.passwords import policy_failures

    assert [r.rule for r in DEFAULT_POLICY.failures("Aa1#" * 75)] == [RULE_MAX_LENGTH]
    assert DEFAULT_POLICY.failures("Aa1#" * 64) == []
    assert DEFAULT_POLICY.failures("Aa1#" * 64 + "x")[0].message == "At most 256 characters."
    # The server's check is the same domain function.
    failures = policy_failures(None, PasswordPolicy(history=0), "A1001", "Aa1#" * 75, [])  # type: ignore[arg-type]
    assert [r.rule for r in failures] == [RULE_MAX_LENGTH]


def test_client_side_validation_errors_name_the_field() -> None:
    from pydantic import ValidationError

    from csdesk.domain.schemas import MyPasswordChange
    from csdesk.screens.errors import describe_error

    for kwargs, expected in (
        ({"current_password": "", "new_password": "x"}, "Current password: this field is empty."),
        (
            {"current_password": "x", "new_password": "x" * 300},
            "New password: too long (at most 256 characters).",
        ),
    ):
        with pytest.raises(ValidationError) as info:
            MyPasswordChange(**kwargs)
        message = describe_error(info.value)
        assert message == expected
        assert "ValidationError" not in message


async def test_preflight_line_follows_a_sign_in_that_finds_the_backend_gone(backend, tmp_path: Path) -> None:
    """QA: after the backend died, a failed sign-in said "unreachable" but the
    pre-flight line below kept saying "backend reachable" until F5."""
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LoginScreen")
        preflight = lambda: str(app.screen.query_one("#preflight").render())  # noqa: E731
        await wait_for(pilot, lambda: "backend reachable" in preflight())
        backend.stop()
        app.screen.query_one("#employee-id", Input).value = AGENT["employee_id"]
        password = app.screen.query_one("#password", Input)
        password.value = AGENT["password"]
        password.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "cannot be reached" in error_text(app), timeout=30)
        await wait_for(pilot, lambda: "unreachable" in preflight(), timeout=30)
