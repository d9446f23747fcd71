"""SVG snapshots of the sign-in screens and the lock screen at 80×24 (issue #3).

Each test drives the real app against the real backend on loopback to the
screen, then compares Textual's SVG screenshot with the one stored under
``__snapshots__/`` (pytest-textual-snapshot, DESIGN §7). After a deliberate
change of layout or wording, look at the new pictures and accept them with::

    uv run pytest tests/tui/test_snapshots.py --snapshot-update

What would make a picture differ from run to run is pinned here: the cursor
does not blink, the backend
URL is not on these screens, the clock skew is shown in whole seconds, and
the enrolment secret (hence the QR code) comes from a fixed value patched
into the backend, which runs in this process.

These tests are synchronous: ``snap_compare`` runs the app with its own
event loop.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from csdesk.server.seed import DEMO_AGENTS, DEMO_FIRST_SIGN_IN
from tests.tui.helpers import make_app, reach_desk, sign_in_to_desk, submit_login, wait_for

AGENT = DEMO_AGENTS[0]
FIRST = DEMO_FIRST_SIGN_IN
#: The enrolment secret the backend hands out in these tests (base32, 160 bits).
FIXED_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
SIZE = (80, 24)


@pytest.fixture(autouse=True)
def steady_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a focused field's cursor shown: it blinks every 0.5 s otherwise.

    On a loaded machine more than half a second can pass between the last
    focus change and the screenshot, and the picture then differs by the
    cursor cell alone (a CI failure of the wrong-password snapshot).
    """
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


async def _login_ready(pilot: Pilot) -> None:
    """The login screen once the backend check has answered."""
    app = pilot.app
    await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LoginScreen")
    await wait_for(pilot, lambda: "reachable" in str(app.screen.query_one("#preflight").render()))


def test_login_screen(backend, tmp_path: Path, snap_compare) -> None:
    """Login: ID and password fields, the pre-flight line, the key bar."""
    app = make_app(backend.url, tmp_path / "data")
    assert snap_compare(app, terminal_size=SIZE, run_before=_login_ready)


def test_login_screen_wrong_password(backend, tmp_path: Path, snap_compare) -> None:
    """Login after a wrong password: the one message for every refusal."""
    app = make_app(backend.url, tmp_path / "data")

    async def run_before(pilot: Pilot) -> None:
        await _login_ready(pilot)
        await submit_login(pilot, AGENT["employee_id"], "Wrong#Password1")
        # "Signing in…" also fills the error line: wait for the answer.
        await wait_for(pilot, lambda: not app.screen._busy)
        # The password field is cleared and focused for the next try.
        assert app.screen.query_one("#password", Input).value == ""

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_mfa_screen(backend, tmp_path: Path, snap_compare) -> None:
    """The second-factor screen after a right password."""
    app = make_app(backend.url, tmp_path / "data")

    async def run_before(pilot: Pilot) -> None:
        await submit_login(pilot, AGENT["employee_id"], AGENT["password"])
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "MfaScreen")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_enrol_screen(backend, tmp_path: Path, snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:
    """TOTP enrolment at first sign-in: the QR code and the grouped secret."""
    monkeypatch.setattr("csdesk.server.auth.new_totp_secret", lambda: FIXED_SECRET)
    app = make_app(backend.url, tmp_path / "data")

    async def run_before(pilot: Pilot) -> None:
        await submit_login(pilot, FIRST["employee_id"], FIRST["password"])
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "PasswordChangeScreen")
        screen = app.screen
        good = "Fresh#Start2026"
        screen.query_one("#new", Input).value = good
        again = screen.query_one("#again", Input)
        again.value = good
        again.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "EnrolScreen")
        enrol = app.screen
        await wait_for(pilot, lambda: "GEZD" in str(enrol.query_one("#secret").render()))

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_lock_screen(backend, tmp_path: Path, snap_compare) -> None:
    """The lock screen over the desk: the agent ID and a password field only."""
    app = make_app(backend.url, tmp_path / "data")

    async def run_before(pilot: Pilot) -> None:
        await sign_in_to_desk(pilot, AGENT)
        await reach_desk(pilot)
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LockScreen")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
