"""The bank's limits from the backend, and the palette's theme list, driven with Pilot
against the real backend.

- The longest idle lock comes from the backend (``GET /auth/desk-policy``,
  ``ServerSettings.max_idle_lock_minutes``): the settings screen offers
  1..that, refuses more with a message, and a value stored before the
  maximum was lowered is applied as the maximum.
- The command palette's "Theme" lists only the desk's four themes and saves
  the choice to the agent's settings like the settings screen does.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import Select

from csdesk.app import CsdeskApp
from csdesk.server.agent_settings import save_settings
from csdesk.server.seed import DEMO_AGENTS
from csdesk.themes import MONOCHROME
from tests.tui.helpers import make_app, screen_text, sign_in_to_desk, wait_for

AGENT = DEMO_AGENTS[0]


def spy_outbox(app: CsdeskApp) -> list[dict[str, Any]]:
    """Record every item the signed-in session queues (kind, method, path, body)."""
    sync = app.session.sync
    assert sync is not None
    queued: list[dict[str, Any]] = []
    real = sync.enqueue

    async def enqueue(kind: str, method: str, path: str, body: Any) -> Any:
        item = await real(kind, method, path, body)  # durable, status counted
        queued.append({"kind": kind, "method": method, "path": path, "body": body})
        return item

    sync.enqueue = enqueue  # type: ignore[method-assign]
    return queued


async def to_desk(pilot) -> None:
    """Sign in and end at the desk with nothing over it.

    The desk, the release notes, the announcements (and more) open one
    after the other; on a loaded machine the shared helper may look before
    they are all up, so whatever opens afterwards is closed here (mandatory
    announcements acknowledged, others with Esc) until the sign-in has
    finished.
    """
    app = pilot.app
    await sign_in_to_desk(pilot, AGENT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        entering = any(w.group == "enter-desk" and not w.is_finished for w in app.workers)
        name = app.screen.__class__.__name__
        if name == "AnnouncementsScreen":
            screen = app.screen
            for index, ann in enumerate(screen.items):
                if ann.mandatory and ann.id not in screen.acked:
                    screen.query_one("OptionList").highlighted = index
                    await pilot.press("a")
                    await wait_for(pilot, lambda ann=ann: ann.id in screen.acked)
            await pilot.press("c")
        elif name == "DeskScreen":
            if not entering:
                return
        else:  # release notes, to-dos, …: Esc goes back (DESIGN §6)
            await pilot.press("escape")
        await pilot.pause(0.1)
    raise AssertionError(f"not at the desk: {app.screen!r}")


async def open_settings(pilot) -> Any:
    app = pilot.app
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: app.screen.__class__.__name__ == "SettingsScreen")
    return app.screen


async def pick_last_idle(pilot) -> None:
    """Open the idle list, go to its last entry (End), Enter."""
    select = pilot.app.screen.query_one("#idle", Select)
    select.focus()
    await pilot.press("enter")
    await wait_for(pilot, lambda: select.expanded)
    await pilot.press("end")
    await pilot.press("enter")
    await wait_for(pilot, lambda: not select.expanded)
    await pilot.pause(0.1)


async def outbox_empty(pilot) -> None:
    session = pilot.app.session
    await wait_for(pilot, lambda: session.sync._status is not None and session.sync._status.pending == 0)


@pytest.mark.backend_settings(max_idle_lock_minutes=10)
async def test_backend_maximum_limits_the_settings_screen(backend, tmp_path: Path) -> None:
    # Stored while the bank still allowed 15 (straight in the database, as an older server did).
    with backend.context.db.write() as session:
        save_settings(session, AGENT["employee_id"], {"idle_lock_minutes": 15}, 0)

    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await to_desk(pilot)
        assert app.max_idle_lock_minutes == 10
        # The stored 15 is applied as the bank's 10.
        assert app.desk_settings.idle_lock_minutes == 10 and app.idle_seconds == 600

        screen = await open_settings(pilot)
        idle = screen.query_one("#idle", Select)
        assert idle.value == 10
        assert "bank limit: 10" in screen_text(app)
        queued = spy_outbox(app)

        # The list ends at 10.
        await pick_last_idle(pilot)
        assert idle.value == 10 and app.desk_settings.idle_lock_minutes == 10

        # 12 is refused, saying so, and nothing is saved.
        assert screen.set_idle_minutes(12) is False
        status = str(screen.query_one("#status").render())
        assert "Idle lock 12 min refused: the bank allows at most 10." in status
        assert app.desk_settings.idle_lock_minutes == 10 and idle.value == 10
        assert screen.set_idle_minutes(0) is False
        assert "at least 1 minute" in str(screen.query_one("#status").render())
        await pilot.pause(0.2)
        assert not [item for item in queued if item["kind"] == "settings.update"]

        # A value within the limit is saved like any setting.
        assert screen.set_idle_minutes(3) is True
        await wait_for(pilot, lambda: any(
            item["body"]["changed"] == {"idle_lock_minutes": 3} for item in queued
        ))
        assert idle.value == 3 and app.idle_seconds == 180
        await outbox_empty(pilot)
        saved = (await app.session.api.request("GET", "/me/settings")).json()["data"]
        assert saved["idle_lock_minutes"] == 3


@pytest.mark.backend_settings(max_idle_lock_minutes=10)
async def test_a_longer_value_sent_anyway_is_stored_as_the_maximum(backend, tmp_path: Path) -> None:
    """Through the real client's outbox: the server keeps the bank's maximum."""
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await to_desk(pilot)
        await app.session.save_settings({"idle_lock_minutes": 15})
        await outbox_empty(pilot)
        saved = (await app.session.api.request("GET", "/me/settings")).json()["data"]
        assert saved["idle_lock_minutes"] == 10


async def test_default_maximum_comes_from_the_backend(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await to_desk(pilot)
        assert app.session.desk_policy is not None
        assert app.session.desk_policy.max_idle_lock_minutes == 15
        # Kept in the agent's store for a desk entered while the backend is unreachable.
        meta = app.session.store.get_meta("desk_policy")
        assert meta == {"max_idle_lock_minutes": 15}
        screen = await open_settings(pilot)
        await pick_last_idle(pilot)
        assert screen.query_one("#idle", Select).value == 15


def palette_prompts(app: CsdeskApp) -> list[str]:
    commands = app.screen.query_one(CommandList)
    return [str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)]


async def test_palette_theme_offers_our_four_and_saves_to_settings(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await to_desk(pilot)
        queued = spy_outbox(app)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Theme")
        await pilot.pause(0.5)
        await pilot.press("enter")
        # A second palette with only the desk's themes (not Textual's list of every theme).
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, CommandPalette)
            and app.screen.query_one(CommandList).option_count == 4,
        )
        prompts = palette_prompts(app)
        assert [p.splitlines()[0] for p in prompts] == ["Dark", "Light", "High contrast", "Monochrome"]
        text = " ".join(prompts).lower()
        for builtin in ("nord", "gruvbox", "dracula", "tokyo", "textual-dark"):
            assert builtin not in text
        assert "Current theme" in prompts[0]

        await pilot.press(*"Monochrome")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.desk_settings.theme == "monochrome")
        assert app.theme == MONOCHROME.name
        # Saved exactly like the settings screen: local copy, then the outbox.
        await wait_for(pilot, lambda: any(item["kind"] == "settings.update" for item in queued))
        item = next(item for item in queued if item["kind"] == "settings.update")
        assert (item["method"], item["path"]) == ("PUT", "/me/settings")
        assert item["body"]["changed"] == {"theme": "monochrome"}
        assert (await app.session.settings())["theme"] == "monochrome"
        await outbox_empty(pilot)
        saved = (await app.session.api.request("GET", "/me/settings")).json()["data"]
        assert saved["theme"] == "monochrome"

        # The settings screen shows it.
        screen = await open_settings(pilot)
        assert screen.query_one("#theme", Select).value == "monochrome"
