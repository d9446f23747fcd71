"""To-dos after sign-in (operating guide §1.2, issue #3), against a real backend.

Work orders and callbacks are created in the backend database; the client
pulls them by sync and the to-do list reads the local copy.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.widgets import OptionList

from csdesk.domain.todos import end_of_today
from csdesk.server.seed import DEMO_AGENTS
from csdesk.domain.work_order_schemas import ClosingRecord
from csdesk.server.work_items import create_callback
from tests.server.work_order_helpers import move, new_order, set_due
from tests.tui.helpers import fresh_code, make_app, screen_text, submit_code, submit_login, wait_for

AGENT = DEMO_AGENTS[0]
OTHER = DEMO_AGENTS[2]


def name(app) -> str:
    return app.screen.__class__.__name__


async def sign_in_through_popups(pilot) -> None:
    """Password, code, acknowledge the mandatory announcements, close the release notes."""
    app = pilot.app
    await submit_login(pilot, AGENT["employee_id"], AGENT["password"])
    await submit_code(pilot, fresh_code(AGENT["totp_secret"], app.server_url))
    await wait_for(pilot, lambda: name(app) in ("AnnouncementsScreen", "ReleaseNotesScreen", "DeskScreen"))
    if name(app) == "AnnouncementsScreen":
        screen = app.screen
        for index, ann in enumerate(screen.items):
            if ann.mandatory:
                screen.query_one(OptionList).highlighted = index
                await pilot.press("a")
                await wait_for(pilot, lambda ann=ann: ann.id in screen.acked)
        await pilot.press("c")
        await wait_for(pilot, lambda: app.screen is not screen)
    if name(app) == "ReleaseNotesScreen":
        await pilot.press("escape")
        await wait_for(pilot, lambda: name(app) != "ReleaseNotesScreen")


def options_text(app) -> list[str]:
    option_list = app.screen.query_one(OptionList)
    return [str(option_list.get_option_at_index(i).prompt) for i in range(option_list.option_count)]


async def test_todos_pop_up_after_sign_in_and_open_their_screens(backend, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    last_minute = end_of_today(now, datetime.now().astimezone().tzinfo) - timedelta(minutes=1)
    ctx, mine = backend.context, AGENT["employee_id"]
    order = new_order(ctx, mine, assignee_id=mine, title="补寄信用卡账单\x1b[31m [bold]x[/bold]")
    set_due(ctx, order.id, now - timedelta(minutes=5))
    call = create_callback(
        backend.context, agent_id=AGENT["employee_id"], customer_name="王*",
        phone_masked="138****5678", scheduled_at=min(now + timedelta(hours=1), last_minute),
        note="回访分期进度",
    )
    # Not today, not open, not this agent's: none of these is a to-do.
    tomorrow = new_order(ctx, mine, assignee_id=mine, title="明天")
    set_due(ctx, tomorrow.id, last_minute + timedelta(minutes=2))
    done = new_order(ctx, mine, assignee_id=mine, title="已解决")
    for step in ("accepted", "in_progress"):
        done = move(ctx, mine, done, step)
    move(ctx, mine, done, "resolved", closing=ClosingRecord(resolution="已补寄"))
    theirs = new_order(ctx, OTHER["employee_id"], assignee_id=OTHER["employee_id"], title="别人的")
    set_due(ctx, theirs.id, now)

    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_through_popups(pilot)
        await wait_for(pilot, lambda: name(app) == "TodosScreen")
        screen = app.screen
        assert [(item.kind, item.id) for item in screen.items] == [
            ("work_order", order.id), ("callback", call.id)
        ]
        rows = options_text(app)
        assert order.number in rows[0] and rows[0].startswith("!")  # overdue, first
        assert "\x1b" not in rows[0] and "[bold]x[/bold]" in rows[0]  # plain text, escapes gone
        assert "王*" in rows[1] and "138****5678" in rows[1]
        assert "To-dos (2)" in screen_text(app)
        assert "1 overdue" in screen_text(app)

        # Enter opens the work order's detail acting with the agent's service
        # (as from F4: take, move, edit …, not read-only); Esc comes back.
        screen.query_one(OptionList).highlighted = 0
        await pilot.press("enter")
        await wait_for(pilot, lambda: name(app) == "WorkOrderDetailScreen")
        assert app.screen.service is app.session.work_orders is not None
        detail = screen_text(app)
        for expected in (order.number, "补寄信用卡账单", "Follow-up", "New", "overdue", "e edit"):
            assert expected in detail, expected
        assert "Read-only" not in detail and "\x1b" not in detail
        await pilot.press("escape")
        await wait_for(pilot, lambda: name(app) == "TodosScreen")

        # The callback opens its own detail.
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: name(app) == "CallbackDetailScreen")
        detail = screen_text(app)
        for expected in ("王*", "138****5678", "Scheduled", "回访分期进度"):
            assert expected in detail, expected
        await pilot.press("escape")
        await wait_for(pilot, lambda: name(app) == "TodosScreen")

        # Esc: the desk, which shows the count and keeps it fresh as sync pulls.
        await pilot.press("escape")
        await wait_for(pilot, lambda: name(app) == "DeskScreen")
        await wait_for(pilot, lambda: "To-dos today: 2" in screen_text(app))
        create_callback(
            backend.context, agent_id=AGENT["employee_id"], customer_name="李*",
            phone_masked="139****0001", scheduled_at=now - timedelta(minutes=1),
        )
        await wait_for(pilot, lambda: "To-dos today: 3" in screen_text(app))
        # ctrl+t opens the list again, with the new callback.
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: name(app) == "TodosScreen")
        await wait_for(pilot, lambda: len(app.screen.items) == 3)


async def test_no_todos_no_pop_up_and_the_palette_says_so(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_through_popups(pilot)
        await wait_for(pilot, lambda: name(app) == "DeskScreen")
        await wait_for(pilot, lambda: "No to-dos today" in screen_text(app))
        await pilot.pause(0.3)
        assert name(app) == "DeskScreen" and app.todo_count == 0
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: name(app) == "CommandPalette")
        await pilot.press(*"To-dos")
        await pilot.pause(0.5)
        palette = app.screen.query_one("CommandList", OptionList)
        shown = [str(palette.get_option_at_index(i).prompt) for i in range(palette.option_count)]
        assert any("No to-dos" in line for line in shown), shown
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("No to-dos" in n for n in app.notices))
        assert name(app) == "DeskScreen"


async def test_unread_mandatory_announcement_is_a_todo_opening_the_announcements(
    backend, tmp_path: Path
) -> None:
    from csdesk.server.announcements import publish_announcement

    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_through_popups(pilot)
        await wait_for(pilot, lambda: name(app) == "DeskScreen")
        await wait_for(pilot, lambda: app.todo_count == 0)
        ann = publish_announcement(backend.context, title="新的反诈话术", body="内容", mandatory=True)
        # The desk shows a new mandatory announcement at once; it is a to-do until acknowledged.
        await wait_for(pilot, lambda: name(app) == "AnnouncementsScreen")
        app.action_todos()
        await wait_for(pilot, lambda: name(app) == "TodosScreen")
        assert [(item.kind, item.id) for item in app.screen.items] == [("announcement", ann.id)]
        await pilot.press("enter")
        await wait_for(pilot, lambda: name(app) == "AnnouncementsScreen")
        screen = app.screen
        assert screen.items[screen.query_one(OptionList).highlighted].id == ann.id
        await pilot.press("a")
        await wait_for(pilot, lambda: ann.id in screen.acked)
        await pilot.press("c")
        # Back on the to-do list, which reads the acknowledgement: nothing left.
        await wait_for(pilot, lambda: name(app) == "TodosScreen")
        await wait_for(pilot, lambda: app.screen.items == [] and "No to-dos" in screen_text(app))
