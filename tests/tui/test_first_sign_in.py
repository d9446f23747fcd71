"""First sign-in through the TUI (issue #3): forced password change with the
live checklist, TOTP enrolment from the secret shown, then the desk."""

from __future__ import annotations

from pathlib import Path

import pyotp
import pytest
from textual.widgets import Input

from tests.tui.helpers import error_text, make_app, submit_login, wait_for

server_seed = pytest.importorskip("csdesk.server.seed")
FIRST = getattr(server_seed, "DEMO_FIRST_SIGN_IN", None)
pytestmark = pytest.mark.skipif(FIRST is None, reason="needs the first-sign-in demo agent (issue #3 backend)")


async def test_first_sign_in_changes_password_and_enrols(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await submit_login(pilot, FIRST["employee_id"], FIRST["password"])
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "PasswordChangeScreen")
        screen = app.screen
        checklist = lambda: str(screen.query_one("#checklist").render())  # noqa: E731
        # A weak password: the checklist shows what is missing, the form refuses it.
        screen.query_one("#new", Input).value = "short"
        screen.query_one("#again", Input).value = "short"
        await pilot.pause(0.2)
        assert "✗ At least 10 characters" in checklist()
        screen.query_one("#again", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "does not meet every rule" in error_text(app))
        # One containing the employee ID.
        bad = f"{FIRST['employee_id'].lower()}#Strong9x"
        screen.query_one("#new", Input).value = bad
        screen.query_one("#again", Input).value = bad
        await pilot.pause(0.2)
        assert "✗ Does not contain your employee ID" in checklist()
        # A good one.
        good = "Fresh#Start2026"
        screen.query_one("#new", Input).value = good
        screen.query_one("#again", Input).value = good
        await pilot.pause(0.2)
        assert "✗" not in checklist().replace("✗ Not one of your last", "")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "EnrolScreen")
        enrol = app.screen
        await wait_for(pilot, lambda: len(str(enrol.query_one("#secret").render()).split("\n")) > 1)
        secret = str(enrol.query_one("#secret").render()).split("\n")[1].replace(" ", "")
        qr = str(enrol.query_one("#qr").render())
        assert "█" in qr and len(qr.splitlines()) <= 21
        # A wrong code first, then the right one.
        enrol.query_one("#code", Input).value = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Wrong or already used code" in error_text(app))
        enrol.query_one("#code", Input).value = pyotp.TOTP(secret).now()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ in ("DeskScreen", "AnnouncementsScreen"))
        assert app.session.profile.employee_id == FIRST["employee_id"]


async def test_signed_in_password_change_from_the_palette(backend, tmp_path: Path) -> None:
    from csdesk.server.seed import DEMO_AGENTS
    from tests.tui.helpers import sign_in_to_desk

    agent = DEMO_AGENTS[2]
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, agent)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CommandPalette")
        await pilot.press(*"Change password")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "PasswordChangeScreen")
        screen = app.screen
        new = "Another#Pass2027"
        screen.query_one("#current", Input).value = "not-my-password"
        screen.query_one("#new", Input).value = new
        screen.query_one("#again", Input).value = new
        screen.query_one("#again", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "password is wrong" in error_text(app))
        screen.query_one("#current", Input).value = agent["password"]
        screen.query_one("#new", Input).value = new
        screen.query_one("#again", Input).value = new
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen")
    # The new password works for the next sign-in.
    app2 = make_app(backend.url, tmp_path / "data2")
    async with app2.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, {**agent, "password": new})
        assert app2.session.profile.employee_id == agent["employee_id"]
