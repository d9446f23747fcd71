"""Command palette entries, language switching saved to settings, small terminals."""

from __future__ import annotations

from pathlib import Path

from csdesk.server.seed import DEMO_AGENTS
from csdesk.services.preflight import PreflightResult, terminal_too_small
from tests.tui.helpers import make_app, screen_text, sign_in_to_desk, wait_for

AGENT = DEMO_AGENTS[0]


async def run_palette(pilot, query: str) -> None:
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: pilot.app.screen.__class__.__name__ == "CommandPalette")
    await pilot.press(*query)
    await pilot.pause(0.5)
    await pilot.press("enter")


async def test_palette_reaches_desk_actions_and_language(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        bar = lambda: str(app.screen.query_one("AgentBar").render())  # noqa: E731
        await run_palette(pilot, "Ready / Not")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen" and "Ready" in bar() and "Not Ready" not in bar())
        # Language: the whole UI switches, and the choice is saved to the server.
        await run_palette(pilot, "Language")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen" and "就绪" in bar())
        session = app.session
        await wait_for(pilot, lambda: session.sync._status and session.sync._status.pending == 0)
        saved = (await session.api.request("GET", "/me/settings")).json()
        assert saved["data"]["language"] == "zh-CN"
        footer_keys = " ".join(str(k.description) for k in app.screen.query("FooterKey"))
        assert "就绪/未就绪" in footer_keys
        # Announcements from the palette show all current ones.
        await run_palette(pilot, "公告")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "AnnouncementsScreen")
    # The next sign-in (another terminal) starts in the saved language.
    from csdesk.i18n import set_language

    set_language("en")
    app2 = make_app(backend.url, tmp_path / "data2", language="en")
    async with app2.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await wait_for(pilot, lambda: "未就绪" in str(app2.screen.query_one("AgentBar").render()))
    set_language("en")


async def test_small_terminal_is_warned(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(70, 20)) as pilot:
        await wait_for(pilot, lambda: "under 80×24" in screen_text(app))
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: "terminal 80×24" in screen_text(app))


def test_preflight_rules() -> None:
    assert terminal_too_small(79, 24) and terminal_too_small(80, 23) and not terminal_too_small(80, 24)
    assert PreflightResult(reachable=True, skew=31.0).skew_warning
    assert PreflightResult(reachable=True, skew=-31.0).skew_warning
    assert not PreflightResult(reachable=True, skew=29.0).skew_warning
    assert not PreflightResult(reachable=False).skew_warning
