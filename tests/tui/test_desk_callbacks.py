"""Due callbacks on the desk (issue #6), against a real backend at 80×24.

Callback orders are made in the backend database through its own rules
(``new_order``); the client pulls them by sync and the desk's state panel
lists those due now or within 15 minutes, soonest first. The crossing of a
scheduled time is driven by the desk's injected clock (``todo_clock``), not
by sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.widgets import Static

from csdesk.server.seed import DEMO_AGENTS
from tests.server.work_order_helpers import new_order
from tests.tui.helpers import make_app, sign_in_to_desk, wait_for

AGENT = DEMO_AGENTS[0]
OTHER = DEMO_AGENTS[2]


def panel_text(app) -> str:
    return str(app.screen.query_one("#state-panel", Static).render())


def panel_lines(app) -> list[str]:
    return panel_text(app).splitlines()


async def test_due_callbacks_show_on_the_desk_and_the_toast_fires_once(backend, tmp_path: Path) -> None:
    ctx, mine = backend.context, AGENT["employee_id"]
    now = datetime.now(UTC)
    # Overdue: made an hour ago for ten minutes ago (the API refuses a past time now).
    late = new_order(ctx, mine, now=now - timedelta(hours=1), type="callback", priority="P2", title="回电 逾期",
                     assignee_id=mine, customer_ref="[bold]6222**0001[/bold]\x1b[31m",
                     scheduled_at=now - timedelta(minutes=10))
    soon = new_order(ctx, mine, type="callback", priority="P2", title="回电 5 分钟后", assignee_id=mine,
                     customer_ref="6222**0002", scheduled_at=now + timedelta(minutes=5))
    later = new_order(ctx, mine, type="callback", priority="P2", title="回电 10 分钟后", assignee_id=mine,
                      customer_ref="6222**0003", scheduled_at=now + timedelta(minutes=10))
    # Not due on this desk: an hour ahead, someone else's, not a callback.
    new_order(ctx, mine, type="callback", priority="P2", title="一小时后", assignee_id=mine,
              customer_ref="6222**0004", scheduled_at=now + timedelta(hours=1))
    new_order(ctx, mine, type="callback", priority="P2", title="别人的", assignee_id=OTHER["employee_id"],
              customer_ref="6222**0005", scheduled_at=now + timedelta(minutes=1))
    new_order(ctx, mine, title="跟进", assignee_id=mine, customer_ref="6222**0006")

    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT, todos=True)
        desk = app.screen
        await wait_for(pilot, lambda: len(desk.due_callbacks) == 3)
        assert [item.id for item in desk.due_callbacks] == [late.id, soon.id, later.id]
        await wait_for(pilot, lambda: "+1 more" in panel_text(app))
        lines = panel_lines(app)
        start = next(i for i, line in enumerate(lines) if "Callbacks due now or within 15 min: 3" in line)
        first, second, more = lines[start + 1:start + 4]
        local = late.scheduled_at.astimezone().strftime("%H:%M")
        # Soonest first: time, overdue mark, number, the masked customer as plain text.
        assert first.split() == [local, "overdue", late.number, "[bold]6222**0001[/bold]"]
        assert "\x1b" not in panel_text(app)
        assert second.split() == [soon.scheduled_at.astimezone().strftime("%H:%M"), soon.number, "6222**0002"]
        assert "overdue" not in second
        assert more.strip() == "+1 more (ctrl+t: all to-dos)"  # 80×24: two lines, then the rest counted
        assert later.number not in panel_text(app)
        # The overdue mark is in the error style (bold red: status_style "error").
        text = desk.query_one("#state-panel", Static).render()
        styles = {str(span.style) for span in text.spans if "overdue" in text.plain[span.start:span.end]}
        assert styles and all("red" in style and "bold" in style for style in styles), styles
        # Already overdue when the desk first counted: shown, not announced.
        assert not any(late.number in notice for notice in app.notices)

        # The clock reaches the 5-minute one: a toast (plain text) naming it and its time, once.
        desk.todo_clock = lambda: soon.scheduled_at + timedelta(seconds=30)
        desk.recount_todos()
        await wait_for(pilot, lambda: any(soon.number in notice for notice in app.notices))
        [notice] = [notice for notice in app.notices if soon.number in notice]
        assert notice == f"Callback due at {soon.scheduled_at.astimezone():%H:%M}: {soon.number} 6222**0002"
        toast = [n for n in app._notifications if soon.number in n.message]
        assert len(toast) == 1 and toast[0].markup is False and toast[0].severity == "warning"
        await wait_for(pilot, lambda: panel_text(app).count("overdue") == 2)
        for _ in range(2):
            desk.todo_clock = lambda: soon.scheduled_at + timedelta(minutes=2)
            desk.recount_todos()
            await pilot.pause(0.3)
        assert sum(soon.number in notice for notice in app.notices) == 1
        assert not any(late.number in notice or later.number in notice for notice in app.notices)


async def test_a_local_callback_not_sent_yet_is_due_on_the_desk_and_in_the_todos(backend, tmp_path: Path) -> None:
    from textual.widgets import OptionList

    from csdesk.services.todos import LOCAL_ORDERS

    ctx, mine = backend.context, AGENT["employee_id"]
    now = datetime.now(UTC)
    model = new_order(ctx, mine, type="callback", priority="P2", title="回电 本地", assignee_id=mine,
                      customer_ref="6222**0007", scheduled_at=now + timedelta(hours=2))
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT, todos=True)
        desk = app.screen
        await wait_for(pilot, lambda: "To-dos today" in panel_text(app) or "No to-dos" in panel_text(app))
        assert desk.due_callbacks == []
        # An order made on this desk while the backend could not be reached: no number yet.
        local_id = "local-0123456789abcdef0123456789abcdef"
        doc = model.model_copy(update={
            "id": local_id, "number": "", "client_ref": local_id, "customer_ref": "6222**0008",
            "scheduled_at": now + timedelta(minutes=4),
        }).model_dump(mode="json")
        session = app.session
        await session.sync.io(session.store.upsert, LOCAL_ORDERS, local_id, doc)
        desk.recount_todos()
        await wait_for(pilot, lambda: [item.id for item in desk.due_callbacks] == [local_id])
        await wait_for(pilot, lambda: "not sent yet" in panel_text(app))
        [line] = [line for line in panel_lines(app) if "not sent yet" in line]
        at = (now + timedelta(minutes=4)).astimezone().strftime("%H:%M")
        assert line.split() == [at, "not", "sent", "yet", "6222**0008"]
        # The to-dos list it too, and Enter opens its detail.
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "TodosScreen")
        screen = app.screen
        await wait_for(pilot, lambda: any(item.id == local_id for item in screen.items))
        index = next(i for i, item in enumerate(screen.items) if item.id == local_id)
        option_list = screen.query_one(OptionList)
        assert "not sent yet" in str(option_list.get_option_at_index(index).prompt)
        option_list.highlighted = index
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "WorkOrderDetailScreen")
        assert app.screen.order.id == local_id
