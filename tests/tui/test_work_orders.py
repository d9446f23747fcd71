"""The F4 work-order screens (issue #6), against a real backend at 80×24.

Orders are made through the backend's own rules (``tests.server.work_order_helpers``);
the desk pulls them by sync, and the list and detail read the local copy.
Changes made on the detail go through the outbox and reach the backend.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.cells import cell_len
from textual.widgets import OptionList

from csdesk.domain.work_orders import EDIT_KIND
from csdesk.server.models import WorkOrder
from csdesk.server.seed import DEMO_AGENTS
from tests.server.work_order_helpers import move, new_order, set_due
from tests.tui.helpers import make_app, screen_text, sign_in_to_desk, wait_for

AGENT = DEMO_AGENTS[0]
LEAD = DEMO_AGENTS[1]      # same team as AGENT
OTHER = DEMO_AGENTS[2]     # another team
ME = AGENT["employee_id"]


def name(app) -> str:
    return app.screen.__class__.__name__


async def to_desk(pilot) -> None:
    """Sign in as AGENT and get past announcements, release notes and to-dos."""
    await sign_in_to_desk(pilot, AGENT, todos=True)


async def open_list(pilot, count: int):
    """F4, then wait for ``count`` orders in the local copy."""
    app = pilot.app
    await pilot.press("f4")
    await wait_for(pilot, lambda: name(app) == "WorkOrdersScreen")
    screen = app.screen
    await wait_for(pilot, lambda: screen.ready and len(screen.service.orders) >= count)
    screen._render_list()
    return screen


def rows(screen) -> list[str]:
    option_list = screen.query_one("#wo-list", OptionList)
    return [option_list.get_option_at_index(i).prompt.plain for i in range(option_list.option_count)]


def assert_fits(screen, width: int = 80) -> None:
    """Every row and bar fits the list's width (cells, CJK counted as two)."""
    room = screen.query_one("#wo-list", OptionList).content_size.width
    assert room and room <= width
    for row in rows(screen):
        assert cell_len(row) <= room, row
    assert cell_len(screen.query_one("#wo-header").render().plain) <= width


async def test_views_filters_sort_and_clocks(backend, tmp_path: Path) -> None:
    ctx, now = backend.context, datetime.now(UTC)
    later = new_order(ctx, ME, assignee_id=ME, title="稍后 later", priority="P3", customer_ref="C-****-0001")
    soon = new_order(ctx, ME, assignee_id=ME, type="technical_fault", title="手机银行闪退", priority="P1",
                     customer_ref="C-****-0002")
    # Made 20 days ago: its resolution clock ran out long ago.
    late = new_order(ctx, ME, assignee_id=ME, title="逾期\x1b[31m [bold]x[/bold]", now=now - timedelta(days=20),
                     customer_ref="C-****-0003")
    theirs = new_order(ctx, OTHER["employee_id"], assignee_id=OTHER["employee_id"], title="别人的")
    given = new_order(ctx, ME, assignee_id=LEAD["employee_id"], title="交给组长")
    set_due(ctx, later.id, now + timedelta(days=3))
    set_due(ctx, soon.id, now + timedelta(days=1))

    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await to_desk(pilot)
        screen = await open_list(pilot, 4)
        # Mine, open, soonest due first.
        assert [o.id for o in screen.shown] == [late.id, soon.id, later.id]
        listed = rows(screen)
        assert late.number in listed[0] and "breached" in listed[0]
        assert "\x1b" not in listed[0] and "[bold]" in listed[0]  # escapes gone, no markup parsed
        assert "by " in listed[1] and "P1" in listed[1] and "Fault" in listed[1]  # running: its deadline
        assert theirs.id not in [o.id for o in screen.shown]
        assert_fits(screen)

        # Views by key: created by me (any assignee), my team's queue, breached.
        await pilot.press("alt+c")
        assert given.id in [o.id for o in screen.shown] and theirs.id not in [o.id for o in screen.shown]
        await wait_for(pilot, lambda: screen.service.catalogue is not None)
        await pilot.press("2")
        await wait_for(pilot, lambda: given.id in [o.id for o in screen.shown])
        assert all(o.queue in screen.service.viewer().team_queues for o in screen.shown)
        await pilot.press("5")
        assert screen.view == "breached" and [o.id for o in screen.shown] == [late.id]
        await pilot.press("alt+m")
        assert screen.view == "mine"

        # Filters: type cycles (complaint, callback, follow_up, technical_fault …), then clear.
        await pilot.press("t", "t", "t", "t")
        assert screen.cycle_values["type"] == "technical_fault"
        assert [o.id for o in screen.shown] == [soon.id]
        assert "Fault" in screen_text(app)
        await pilot.press("x")
        await pilot.press("l")  # P1
        assert [o.id for o in screen.shown] == [soon.id]
        await pilot.press("x", "s")  # status new: all three are new
        assert len(screen.shown) == 3
        await pilot.press("x")
        # The customer reference box: digits go into the box, not to the view keys.
        await pilot.press("slash")
        await pilot.press(*"0003")
        assert screen.view == "mine" and screen.customer == "0003"
        assert [o.id for o in screen.shown] == [late.id]
        await pilot.press("enter")  # back to the list
        assert isinstance(app.focused, OptionList)
        await pilot.press("x")
        assert len(screen.shown) == 3

        await pilot.press("escape")
        await wait_for(pilot, lambda: name(app) == "DeskScreen")


async def test_detail_history_and_a_move_reach_the_backend(backend, tmp_path: Path) -> None:
    ctx = backend.context
    order = new_order(ctx, ME, assignee_id=ME, title="补寄账单", description="客户说\x1b[2J没收到",
                      customer_ref="C-****-0042")
    order = move(ctx, ME, order, "accepted", comment="已受理")

    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await to_desk(pilot)
        await open_list(pilot, 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: name(app) == "WorkOrderDetailScreen")
        detail = app.screen
        text = screen_text(app)
        for expected in (order.number, "补寄账单", "Accepted", "First response", "Resolution", "History (2)",
                         "New → Accepted", "已受理", "[internal]", "C-****-0042"):
            assert expected in text, expected
        assert "\x1b" not in text

        # m: the moves allowed from accepted (only in progress); Enter queues it.
        await pilot.press("m")
        await wait_for(pilot, lambda: name(app) == "ActionDialog")
        assert app.screen.query_one("#f-to").value == "in_progress"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is detail)

        def stored_status() -> str:
            with ctx.db.read() as db:
                return db.get(WorkOrder, order.id).status

        await wait_for(pilot, lambda: stored_status() == "in_progress")
        # The pull after the push brings the new version back to the detail.
        await wait_for(pilot, lambda: detail.order.version == order.version + 1)
        await wait_for(pilot, lambda: "Accepted → In progress" in screen_text(app))

        # Resolving asks for the resolution note first.
        await pilot.press("m")
        await wait_for(pilot, lambda: name(app) == "ActionDialog")
        dialog = app.screen
        await pilot.press("right")  # pending customer → pending department → resolved
        await pilot.press("right")
        assert dialog.query_one("#f-to").value == "resolved"
        assert dialog.query_one("#row-resolution").display
        await pilot.press("ctrl+s")
        assert "resolution" in str(dialog.query_one("#dialog-error").render()).lower()
        dialog.query_one("#f-resolution").value = "已补寄"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: stored_status() == "resolved")

        # c: a comment to the customer.
        await pilot.press("c")
        await wait_for(pilot, lambda: name(app) == "ActionDialog")
        await pilot.press("shift+tab", "right")  # the text field has the focus; internal → customer
        app.screen.query_one("#f-text").value = "已寄出，请查收"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "[to customer]" in screen_text(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: name(app) == "WorkOrdersScreen")


async def test_a_stale_change_shows_the_conflict(backend, tmp_path: Path) -> None:
    ctx = backend.context
    order = new_order(ctx, ME, assignee_id=ME, title="原标题")

    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await to_desk(pilot)
        screen = await open_list(pilot, 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: name(app) == "WorkOrderDetailScreen")
        detail = app.screen
        # Someone else moves it meanwhile; our edit was made on version 1.
        move(ctx, LEAD["employee_id"], order, "accepted")
        await screen.service.change(EDIT_KIND, order.id, {"base_version": 1, "title": "我改的标题"})
        await wait_for(pilot, lambda: bool(detail.conflicts), timeout=10)
        await wait_for(pilot, lambda: "was refused" in screen_text(app))
        text = screen_text(app)
        assert "theirs: 原标题" in text and "mine: 我改的标题" in text
        # Re-apply ours on the current version: it goes through.
        await pilot.press("r")
        await wait_for(pilot, lambda: not detail.conflicts and detail.order.title == "我改的标题")
        with ctx.db.read() as db:
            assert db.get(WorkOrder, order.id).title == "我改的标题"


async def test_zh_cn_fits_80_by_24(backend, tmp_path: Path) -> None:
    ctx, now = backend.context, datetime.now(UTC)
    new_order(ctx, ME, assignee_id=ME, type="business_exception", priority="P2",
              title="很长的中文标题" * 6, now=now - timedelta(days=30))
    new_order(ctx, ME, assignee_id=ME, title="待处理的跟进", priority="P4")

    app = make_app(backend.url, tmp_path / "data", language="zh-CN")
    async with app.run_test(size=(80, 24)) as pilot:
        await to_desk(pilot)
        screen = await open_list(pilot, 2)
        assert len(screen.shown) == 2
        assert_fits(screen)
        listed = rows(screen)
        assert "超时" in listed[0] and "业务异常" in listed[0] and "至" in listed[1]
        assert "我的" in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: name(app) == "WorkOrderDetailScreen")
        assert "处理记录" in screen_text(app) and "解决" in screen_text(app)


def test_clock_text_and_fitting() -> None:
    from csdesk.domain.sla import SlaClock
    from csdesk.screens.work_orders import clock_text, fit

    def clock(state: str, left: float) -> SlaClock:
        return SlaClock(3600.0, 3600.0 - left, left, None, state, left / 3600.0)  # type: ignore[arg-type]

    assert clock_text(clock("running", 2 * 3600 + 10 * 60)) == "2h10m left"  # no deadline known
    from datetime import UTC, datetime

    due = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    running = SlaClock(3600.0, 0.0, 3600.0, due, "running", 1.0)
    assert clock_text(running) == "by " + due.astimezone().strftime("%m-%d %H:%M")
    assert clock_text(clock("at_risk", 35 * 60)) == "at risk 35m"
    assert clock_text(clock("breached", -(26 * 3600 + 60))) == "breached 1d2h"
    assert clock_text(clock("paused", 100)) == "paused"
    assert fit("很长的中文标题", 7) == "很长的…" and cell_len(fit("很长的中文标题", 7)) == 7
    assert fit("ab", 4) == "ab  "


async def test_take_then_extend_a_complaint_with_a_supervisor(backend, tmp_path: Path) -> None:
    """t takes an order from the team's queue; x extends a complaint: refused past 30
    days without a supervisor (said in the dialog), then 60 days with A1002."""
    from csdesk.domain.work_order_schemas import ComplaintRecord

    ctx, now = backend.context, datetime.now(UTC)
    record = ComplaintRecord(reason="多收年费", demand="退还", contact_method="phone",
                             promised_at=now + timedelta(days=10), told_via="phone", told_at=now)
    order = new_order(ctx, LEAD["employee_id"], type="complaint", priority=None, grade="serious",
                      complaint=record, title="年费投诉")
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await to_desk(pilot)
        screen = await open_list(pilot, 1)
        await pilot.press("2")  # my team's queue (complaints are worked by 零售客服一组)
        await wait_for(pilot, lambda: [o.id for o in screen.shown] == [order.id])
        await pilot.press("enter")
        await wait_for(pilot, lambda: name(app) == "WorkOrderDetailScreen")
        detail = app.screen

        def stored() -> WorkOrder:
            with ctx.db.read() as db:
                return db.get(WorkOrder, order.id)

        await pilot.press("t")
        await wait_for(pilot, lambda: stored().assignee_id == ME)
        await wait_for(pilot, lambda: detail.order.assignee_id == ME)

        await pilot.press("x")
        await wait_for(pilot, lambda: name(app) == "ActionDialog")
        dialog = app.screen
        await pilot.press("right")  # 30 → 60 days: the supervisor field shows
        assert dialog.query_one("#f-total_days").value == "60"
        dialog.query_one("#f-reason").value = "需调取三年账单"
        dialog.query_one("#f-promised_at").value = "+40d"
        await pilot.press("ctrl+s")
        assert "supervisor" in str(dialog.query_one("#dialog-error").render()).lower()
        dialog.query_one("#f-supervisor_id").value = OTHER["employee_id"]  # QA: any id went through
        await pilot.press("ctrl+s")
        assert "is not a supervisor" in str(dialog.query_one("#dialog-error").render())
        dialog.query_one("#f-supervisor_id").value = LEAD["employee_id"]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: stored().complaint["total_days"] == 60, timeout=10)
        assert stored().complaint["approved_by"] == LEAD["employee_id"]
        await wait_for(pilot, lambda: "60" in screen_text(app) and "Extended" in screen_text(app))
