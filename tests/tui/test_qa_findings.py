"""Regressions found by trying the desk as a new agent would (issue #2 QA)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
from textual.widgets import Input

from csdesk.server.seed import DEMO_AGENTS
from tests.tui.helpers import (
    reach_desk,
    error_text,
    fresh_code,
    make_app,
    sign_in_to_desk,
    submit_code,
    submit_login,
    wait_for,
)

AGENT = DEMO_AGENTS[0]


def acks(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("select announcement_id from announcement_acks")}


async def test_only_opened_announcements_count_as_read_and_ctrl_n_shows_acks(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    db = backend.context.settings.db_path
    async with app.run_test(size=(80, 24)) as pilot:
        await submit_login(pilot, AGENT["employee_id"], AGENT["password"])
        await submit_code(pilot, fresh_code(AGENT["totp_secret"], backend.url))
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "AnnouncementsScreen")
        screen = app.screen
        assert screen.items[0].mandatory  # newest first, highlighted on open
        await pilot.press("a")
        await wait_for(pilot, lambda: screen.items[0].id in screen.acked)
        body = str(screen.query_one("#body").render())
        assert "Acknowledged" in body and "press a" not in body
        await pilot.press("c")
        await reach_desk(pilot)
        session = app.session
        await wait_for(pilot, lambda: session.sync._status and session.sync._status.pending == 0)
        assert acks(db) == {screen.items[0].id}, "unopened announcements are not marked read"
        # ctrl+n: the acknowledged one is marked, Esc goes back without new acks.
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "AnnouncementsScreen")
        again = app.screen
        assert again.items[0].id in again.acked
        assert "to acknowledge" not in str(again.query_one("#status").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen")
        await pilot.pause(0.3)
        assert session.sync.outbox.pending_count() == 0
        assert len(acks(db)) == 1


async def test_store_events_after_close_do_not_crash(backend, tmp_path: Path) -> None:
    """Sign-out closes the store while the event stream still reports its end."""
    from tests.test_sync import signed_in

    session = await signed_in(backend.url, tmp_path)
    await session.close()
    await session._on_stream_status(False)  # must not touch the closed store
    assert (await session.sync.refresh_status()) is not None


async def test_signed_out_elsewhere_returns_to_login(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await pilot.pause(0.5)  # event stream connected
        # The same agent signs in on another terminal and signs out there.
        async with httpx.AsyncClient(base_url=f"{backend.url}/api/v1") as client:
            ticket = (await client.post("/auth/login", json={"employee_id": AGENT["employee_id"], "password": AGENT["password"]})).json()["mfa_ticket"]
            code = fresh_code(AGENT["totp_secret"], backend.url)
            tokens = (await client.post("/auth/mfa", json={"mfa_ticket": ticket, "code": code})).json()
            await client.post("/auth/logout", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LoginScreen", timeout=15)
        # The notice follows the login screen's push (it may be a step behind).
        await wait_for(pilot, lambda: any("signed out by the backend" in n for n in app.notices))
        assert app.is_running


async def test_long_and_hostile_input_gets_a_message(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await submit_login(pilot, "A" * 5000, "x")
        await wait_for(pilot, lambda: "letters and digits" in error_text(app))
        await submit_login(pilot, AGENT["employee_id"], "p" * 5000)
        await wait_for(pilot, lambda: "at most 1024" in error_text(app))
        await submit_login(pilot, "[bold]A1001\x1b[31m", "x")
        await wait_for(pilot, lambda: "letters and digits" in error_text(app))
        await submit_login(pilot, AGENT["employee_id"], "[red]x\x1b]0;t\x07" * 10)
        await wait_for(pilot, lambda: "wrong" in error_text(app))
        # The ID is kept after a failure; the password field is cleared.
        assert app.screen.query_one("#employee-id", Input).value == AGENT["employee_id"]
        assert app.screen.query_one("#password", Input).value == ""


async def test_language_switch_on_login_keeps_focus_values_and_preflight(backend, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CSDESK_CONFIG_DIR", str(tmp_path / "cfg"))
    from csdesk.config import load_config

    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "backend reachable" in str(app.screen.query_one("#preflight").render()))
        await pilot.press("A", "1")
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CommandPalette")
        await pilot.press(*"Language")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LoginScreen")
        await wait_for(pilot, lambda: "后台可连接" in str(app.screen.query_one("#preflight").render()))
        assert "坐席登录" in str(app.screen.query_one("#title").render())
        await pilot.press("0", "0", "1")
        assert app.screen.query_one("#employee-id", Input).value == "A1001"
        assert app.screen.focused is app.screen.query_one("#employee-id", Input)
        # For this run only: the config file keeps no agent's choice (QA round 4).
        await pilot.pause(0.2)
        assert load_config().language is None


async def test_offline_again_after_recovery(tmp_path: Path) -> None:
    """Lose the backend, get it back, lose it again: the header follows each time."""
    from csdesk.server.runner import BackgroundServer
    from tests.conftest import restartable_server

    server, settings, port = restartable_server(tmp_path)
    app = make_app(server.url, tmp_path / "data")
    bar = lambda: str(app.screen.query_one("AgentBar").render())  # noqa: E731
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in_to_desk(pilot, AGENT)
            await wait_for(pilot, lambda: "● online" in bar())
            for _ in range(2):
                server.stop()
                await wait_for(pilot, lambda: "○ offline" in bar(), timeout=10)
                await app.session.save_settings({"alert": "bell"})
                server = BackgroundServer(settings, port=port).start()
                await wait_for(pilot, lambda: "● online" in bar() and "pending 0" in bar(), timeout=30)
                # The stream is back too (not only the push): events arrive.
                await wait_for(pilot, lambda: app.session.follower.connected, timeout=10)
            # A failed live call also shows offline at once.
            server.stop()
            await pilot.press("f2")
            await wait_for(pilot, lambda: "○ offline" in bar(), timeout=5)
    finally:
        server.stop()


async def test_f1_toggles_the_keys_panel(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await wait_for(pilot, lambda: bool(app.screen.query("HelpPanel")))
        await pilot.press("f1")
        await wait_for(pilot, lambda: not app.screen.query("HelpPanel"))


async def test_release_notes_show_once_per_agent(backend, tmp_path: Path) -> None:
    from csdesk import __version__

    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await submit_login(pilot, AGENT["employee_id"], AGENT["password"])
        await submit_code(pilot, fresh_code(AGENT["totp_secret"], backend.url))
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "AnnouncementsScreen")
        await pilot.press("a", "c")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ReleaseNotesScreen")
        assert f"Version {__version__}" in "\n".join(str(s.render()) for s in app.screen.query("Static"))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen")
        session = app.session
        await wait_for(pilot, lambda: session.sync._status and session.sync._status.pending == 0)
    # Another terminal, same agent: not shown again (the settings follow the agent).
    app2 = make_app(backend.url, tmp_path / "data2")
    async with app2.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await pilot.pause(0.5)
        assert app2.screen.__class__.__name__ == "DeskScreen"


def test_release_notes_selection() -> None:
    from csdesk.release_notes import RELEASE_NOTES, notes_to_show

    latest = max(RELEASE_NOTES, key=lambda v: tuple(int(p) for p in v.split(".")))
    assert [v for v, _ in notes_to_show(latest, None)] == [latest]
    assert notes_to_show(latest, latest) == []
    for notes in RELEASE_NOTES.values():
        assert set(notes) == {"en", "zh-CN"}
