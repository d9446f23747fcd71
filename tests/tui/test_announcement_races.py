"""Announcement lists that race each other (found by the parallel suite).

An announcement event can land while the sign-in list is open or just
closing. The desk then read the unread list before the agent's ack and showed
it after, so the agent was asked to acknowledge the same announcement twice,
over whatever they had opened since.
"""

from __future__ import annotations

from pathlib import Path

from csdesk.screens.announcements import AnnouncementsScreen
from csdesk.server.seed import DEMO_AGENTS
from tests.tui.helpers import make_app, sign_in_to_desk, wait_for

AGENT = DEMO_AGENTS[0]


def lists_open(app) -> int:
    return sum(isinstance(screen, AnnouncementsScreen) for screen in app.screen_stack)


async def test_a_list_read_before_the_ack_closes_itself_when_shown(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        current = await app.get_session().announcements()
        mandatory = [a for a in current if a.mandatory]
        assert mandatory and all(a.acknowledged_version for a in mandatory)
        # The copy the desk read before the ack landed: still unread.
        stale = [a.model_copy(update={"acknowledged_version": None}) for a in mandatory]
        await app.push_screen(AnnouncementsScreen(stale, close_if_read=True))
        await wait_for(pilot, lambda: lists_open(app) == 0)
        assert app.screen.__class__.__name__ == "DeskScreen"


async def test_a_list_opened_by_hand_with_a_stale_copy_shows_the_acks(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        current = await app.get_session().announcements()
        stale = [a.model_copy(update={"acknowledged_version": None}) for a in current if a.mandatory]
        screen = AnnouncementsScreen(stale)
        await app.push_screen(screen)
        await wait_for(pilot, lambda: screen.acked == {a.id for a in stale})
        assert "to acknowledge" not in str(screen.query_one("#status").render())
        assert app.screen is screen  # asked for: stays open


async def test_the_desk_never_opens_a_second_list_under_another_screen(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        desk = app.screen
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: lists_open(app) == 1)
        from textual.screen import ModalScreen

        from csdesk.screens.confirm import ConfirmScreen

        await app.push_screen(ConfirmScreen("?"))
        assert isinstance(app.screen, ModalScreen)
        worker = desk.action_announcements()
        await worker.wait()
        assert lists_open(app) == 1
