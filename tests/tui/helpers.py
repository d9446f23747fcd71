"""Helpers to drive the real TUI with Pilot against a real backend."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyotp
from textual.pilot import Pilot
from textual.widgets import Input, Static

from csdesk.app import CsdeskApp


async def wait_for(pilot: Pilot, condition: Callable[[], object], timeout: float = 15.0) -> None:
    """Let the app run until ``condition()`` is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout}s; screen: {screen_text(pilot.app)!r}")
        await pilot.pause(0.05)


def screen_text(app: CsdeskApp) -> str:
    """All Static/Label text on the current screen, joined (for assertions)."""
    parts = []
    for widget in app.screen.query(Static):
        try:
            parts.append(str(widget.render()))
        except Exception:
            pass
    return "\n".join(parts)


def error_text(app: CsdeskApp) -> str:
    """The ``#error`` line of the current screen."""
    return str(app.screen.query_one("#error", Static).render())


async def submit_login(pilot: Pilot, employee_id: str, password: str) -> None:
    """Fill the login form and press Enter in the password field."""
    app = pilot.app
    # The screen first, then its fields (a screen is on the stack before it is composed).
    await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LoginScreen" and bool(app.screen.query("#password")))
    app.screen.query_one("#employee-id", Input).value = employee_id
    pwd = app.screen.query_one("#password", Input)
    pwd.value = password
    pwd.focus()
    await pilot.press("enter")


async def submit_code(pilot: Pilot, code: str) -> None:
    """Type ``code`` into the MFA field and press Enter."""
    app = pilot.app
    await wait_for(pilot, lambda: app.screen.__class__.__name__ == "MfaScreen" and bool(app.screen.query("#code")))
    field = app.screen.query_one("#code", Input)
    field.value = code
    field.focus()
    await pilot.press("enter")


def fresh_code(secret: str, scope: str = "") -> str:
    """A TOTP code for now whose time step this backend (``scope``) has not seen.

    The server refuses a step at or before the last one it accepted (replay),
    so a test that signs in twice within one 30 s step uses the next step's
    code (accepted: the server allows ±1 step), or waits for a new step.
    """
    totp = pyotp.TOTP(secret)
    key = f"{scope}|{secret}"
    while True:
        step = int(time.time()) // 30
        candidate = max(step, _LAST.get(key, -1) + 1)
        if candidate <= step + 1:
            _LAST[key] = candidate
            return totp.at(candidate * 30)
        time.sleep(30 - time.time() % 30 + 0.1)


_LAST: dict[str, int] = {}


def make_app(url: str, data_dir: Path, language: str = "en") -> CsdeskApp:
    """A csdesk app on ``url`` with its stores under ``data_dir``.

    ``app.notices`` lists every notification message given so far, in order
    (the toasts themselves expire after 5 s, which a loaded machine can take
    between the notification and a test's look at ``app._notifications``).
    """
    app = CsdeskApp(url, data_dir, language=language)
    notices: list[str] = []
    shown = app.notify

    def notify(message: str, **kwargs: Any) -> None:
        notices.append(str(message))
        shown(message, **kwargs)

    app.notices = notices  # type: ignore[attr-defined]
    app.notify = notify  # type: ignore[method-assign]
    return app


async def reach_desk(pilot: Pilot, *, todos: bool = False) -> None:
    """Wait for the desk, closing the once-per-version release notes on the way
    (and, with ``todos``, the to-do list that follows them when work is due)."""
    app = pilot.app
    popups = ("ReleaseNotesScreen", "TodosScreen") if todos else ("ReleaseNotesScreen",)
    # The desk shows before the release notes are pushed over it: wait for the
    # sign-in to finish (at_desk) so a late pop-up is not missed (parallel-suite race).
    await wait_for(pilot, lambda: getattr(app, "at_desk", True))
    while True:
        await wait_for(pilot, lambda: app.screen.__class__.__name__ in ("DeskScreen", *popups))
        if app.screen.__class__.__name__ == "DeskScreen":
            if not todos:
                return
            await pilot.pause(0.2)  # the to-dos may still pop up
            if app.screen.__class__.__name__ == "DeskScreen":
                return
            continue
        screen = app.screen
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is not screen)


async def sign_in_to_desk(pilot: Pilot, agent: dict, *, ack_all: bool = True, todos: bool = False) -> None:
    """Full sign-in; acknowledges announcements when ``ack_all``; closes the
    to-do list on the way with ``todos`` (see :func:`reach_desk`)."""
    app = pilot.app
    await submit_login(pilot, agent["employee_id"], agent["password"])
    await submit_code(pilot, fresh_code(agent["totp_secret"], app.server_url))
    await wait_for(pilot, lambda: app.screen.__class__.__name__ in ("DeskScreen", "AnnouncementsScreen"))
    if ack_all and app.screen.__class__.__name__ == "AnnouncementsScreen":
        screen = app.screen
        for index, ann in enumerate(screen.items):
            if ann.mandatory:
                screen.query_one("OptionList").highlighted = index
                await pilot.press("a")
                await wait_for(pilot, lambda ann=ann: ann.id in screen.acked)
        await pilot.press("c")
    await reach_desk(pilot, todos=todos)
    await asyncio.sleep(0)


def selects_composed(app: CsdeskApp) -> bool:
    """True once every Select on the current screen has composed its parts.

    A test that ends (and so shuts the app down) while a form's Select is
    still mounting trips Textual 8's Select, whose mount handler then finds
    its label gone (``NoMatches``): wait for this before leaving such a test.
    """
    from textual.widgets import Select

    return all(select.query("SelectCurrent #label") and select.query("SelectOverlay")
               for select in app.screen.query(Select))
