"""What the outbox holds for a work order, on its detail (issue #6 "sync,
conflicts, offline" and "bad input … the draft is kept"), at 80×24 against
a real backend:

- a new order the backend refuses says why, and is corrected (sent again in
  its place, one order made) or discarded;
- changes made while the backend is away show as waiting until it has them;
- a stale change: keep theirs (k);
- closing a complaint with "unsatisfied" offers to reopen it instead;
- the history says what changed, from what to what.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.widgets import Input

from csdesk.domain.work_order_schemas import WorkOrderCreate
from csdesk.domain.work_orders import COMMENT_KIND, EDIT_KIND, MOVE_KIND
from csdesk.server.models import WorkOrder
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS
from tests.conftest import restartable_server
from tests.server.work_order_helpers import move, new_order
from tests.tui.helpers import make_app, screen_text, sign_in_to_desk, wait_for
from tests.tui.test_work_orders import name, open_list, rows

AGENT = DEMO_AGENTS[0]
LEAD = DEMO_AGENTS[1]
ME = AGENT["employee_id"]


def stored(ctx, order_id: str) -> WorkOrder:
    with ctx.db.read() as db:
        return db.get(WorkOrder, order_id)


async def open_detail(pilot):
    await pilot.press("enter")
    await wait_for(pilot, lambda: name(pilot.app) == "WorkOrderDetailScreen")
    return pilot.app.screen


async def open_created(pilot, order_id: str):
    """Sign in, F4, "created by me", then the detail of ``order_id``: (list, detail)."""
    await sign_in_to_desk(pilot, AGENT, todos=True)
    screen = await open_list(pilot, 1)
    await pilot.press("alt+c")
    await wait_for(pilot, lambda: [o.id for o in screen.shown] == [order_id])
    return screen, await open_detail(pilot)


async def test_a_refused_new_order_is_shown_then_corrected_or_discarded(backend, tmp_path: Path) -> None:
    ctx = backend.context
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT, todos=True)
        screen = await open_list(pilot, 0)
        service = screen.service
        # Past the form's own checks (an assignee the backend does not know).
        local = await service.create(WorkOrderCreate(type="follow_up", title="补寄账单", priority="P3",
                                                     assignee_id="A9999", customer_ref="C-****-0042"))
        await pilot.press("alt+c")  # created by me: the local order is there, unnumbered
        await wait_for(pilot, lambda: [o.id for o in screen.shown] == [local.id])
        # Once refused, the list says so where the number goes.
        await wait_for(pilot, lambda: "refused" in rows(screen)[0], timeout=10)
        detail = await open_detail(pilot)
        await wait_for(pilot, lambda: bool(detail.refused), timeout=10)
        text = screen_text(app)
        assert "Refused by the backend" in text and "assignee" in text and "correct" in text

        # e: the form, prefilled from the refused order; clear the assignee, save.
        await pilot.press("e")
        await wait_for(pilot, lambda: name(app) == "WorkOrderFormScreen")
        form = app.screen
        await wait_for(pilot, lambda: form.query_one("#title", Input).value == "补寄账单")
        assert form.query_one("#assignee_id", Input).value == "A9999"
        assert form.query_one("#customer_ref", Input).value == "C-****-0042"
        form.query_one("#assignee_id", Input).value = ""
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.screen is detail)

        def made() -> list[WorkOrder]:
            with ctx.db.read() as db:
                return db.query(WorkOrder).filter(WorkOrder.client_ref == local.client_ref).all()

        await wait_for(pilot, lambda: len(made()) == 1, timeout=10)
        number = made()[0].number
        await wait_for(pilot, lambda: detail.order.number == number, timeout=10)
        await wait_for(pilot, lambda: not detail.refused and number in screen_text(app))
        assert service.sync.outbox.items() == []

        # Another refused one, discarded: it leaves the list and the outbox.
        await pilot.press("escape")
        await wait_for(pilot, lambda: name(app) == "WorkOrdersScreen")
        bad = await service.create(WorkOrderCreate(type="follow_up", title="错的队列", priority="P3",
                                                   queue="no_such_queue"))
        await wait_for(pilot, lambda: bad.id in [o.id for o in screen.shown])
        screen.query_one("#wo-list").highlighted = [o.id for o in screen.shown].index(bad.id)
        detail = await open_detail(pilot)
        await wait_for(pilot, lambda: bool(detail.refused), timeout=10)
        assert "queue" in screen_text(app)
        await pilot.press("d")
        await wait_for(pilot, lambda: name(app) == "WorkOrdersScreen")
        await wait_for(pilot, lambda: bad.id not in [o.id for o in screen.shown])
        assert service.sync.outbox.items() == []


async def test_changes_made_offline_wait_on_the_detail(tmp_path: Path) -> None:
    server, settings, port = restartable_server(tmp_path)
    ctx = server.context
    order = new_order(ctx, ME, assignee_id=ME, title="离线处理")
    app = make_app(server.url, tmp_path / "data")
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in_to_desk(pilot, AGENT, todos=True)
            await open_list(pilot, 1)
            detail = await open_detail(pilot)
            server.stop()
            service = detail.service
            await service.change(COMMENT_KIND, order.id, {"text": "客户不在，稍后再打", "visibility": "internal"})
            await service.change(MOVE_KIND, order.id, {"base_version": order.version, "to": "accepted"})
            detail.work_orders_outbox_changed()
            await wait_for(pilot, lambda: len(detail.waiting) == 2, timeout=10)
            text = screen_text(app)
            assert "2 changes waiting to be sent" in text and "客户不在" in text and "→ Accepted" in text
            # QA: a second move offline started from the stored status again (New → Accepted twice).
            await pilot.press("m")
            await wait_for(pilot, lambda: name(app) == "ActionDialog")
            assert [v for v, _ in app.screen.query_one("#f-to").choices] == ["in_progress"]
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is detail)
            server = BackgroundServer(settings, port=port).start()
            service.sync.clock = lambda: time.time() + 3600  # past the retry back-off
            service.sync.wake()
            await wait_for(pilot, lambda: stored(ctx, order.id).status == "accepted", timeout=15)
            await wait_for(pilot, lambda: not detail.waiting and detail.order.status == "accepted", timeout=10)
            assert not detail.conflicts and not detail.refused  # the move was based past our comment
            assert "waiting" not in screen_text(app)
    finally:
        server.stop()


async def test_keep_theirs_drops_our_stale_change(backend, tmp_path: Path) -> None:
    ctx = backend.context
    order = new_order(ctx, ME, assignee_id=ME, title="原标题")
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT, todos=True)
        screen = await open_list(pilot, 1)
        detail = await open_detail(pilot)
        move(ctx, LEAD["employee_id"], order, "accepted")
        await screen.service.change(EDIT_KIND, order.id, {"base_version": 1, "title": "我改的标题"})
        await wait_for(pilot, lambda: bool(detail.conflicts), timeout=10)
        await pilot.press("k")
        await wait_for(pilot, lambda: not detail.conflicts)
        await wait_for(pilot, lambda: "was refused" not in screen_text(app))
        assert detail.order.title == "原标题" and detail.order.status == "accepted"
        assert stored(ctx, order.id).title == "原标题"
        assert screen.service.sync.outbox.items() == []


async def test_an_unsatisfied_customer_reopens_the_complaint(backend, tmp_path: Path) -> None:
    from csdesk.domain.work_order_schemas import ClosingRecord, ComplaintRecord

    ctx, now = backend.context, datetime.now(UTC)
    record = ComplaintRecord(reason="多收年费", demand="退还", contact_method="phone",
                             promised_at=now + timedelta(days=10), told_via="phone", told_at=now)
    order = new_order(ctx, ME, type="complaint", priority=None, grade="general", complaint=record,
                      title="年费投诉", assignee_id=ME)
    for to in ("accepted", "in_progress"):
        order = move(ctx, ME, order, to)
    order = move(ctx, ME, order, "resolved", closing=ClosingRecord(resolution="已退还年费"))
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        screen, detail = await open_created(pilot, order.id)

        async def close_unsatisfied() -> None:
            await pilot.press("m")
            await wait_for(pilot, lambda: name(app) == "ActionDialog")
            dialog = app.screen
            while dialog.query_one("#f-to").value != "closed":  # in progress (reopen), then closed
                await pilot.press("right")
            choices = [v for v, _ in dialog.query_one("#f-satisfaction").choices]
            dialog.query_one("#f-satisfaction").index = choices.index("unsatisfied")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: name(app) == "ConfirmScreen")
            assert "reopen" in screen_text(app).lower()

        # QA: Esc here closed the complaint ("close anyway"); it does neither.
        await close_unsatisfied()
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is detail)
        await pilot.pause(0.3)
        assert screen.service.sync.outbox.items() == [] and stored(ctx, order.id).status == "resolved"
        await close_unsatisfied()
        await pilot.press("y")
        await wait_for(pilot, lambda: stored(ctx, order.id).status == "in_progress", timeout=10)
        await wait_for(pilot, lambda: detail.order.status == "in_progress", timeout=10)
        text = screen_text(app)
        assert "Resolved → In progress" in text


async def test_the_history_says_what_changed(backend, tmp_path: Path) -> None:
    from csdesk.domain.work_order_schemas import WorkOrderAssign
    from csdesk.server.work_orders import assign_work_order

    ctx = backend.context
    order = new_order(ctx, ME, assignee_id=ME, title="交接", contact_id="c-of-another-desk")
    with ctx.db.write() as session:
        assign_work_order(session, ctx.work_orders, ME, order.id,
                          WorkOrderAssign(base_version=order.version, assignee_id=LEAD["employee_id"]),
                          datetime.now(UTC))
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        screen, _detail = await open_created(pilot, order.id)
        await wait_for(pilot, lambda: screen.service.catalogue is not None)
        await wait_for(pilot, lambda: f"({LEAD['employee_id']})" in screen_text(app))
        text = screen_text(app)
        assert "Assignee:" in text and "→" in text
        assert "assignee_id" not in text
        # o: the linked contact's record is not on this desk: said, nothing opens.
        await pilot.press("o")
        await wait_for(pilot, lambda: any("not on this desk" in str(n.message) for n in app._notifications))
        assert name(app) == "WorkOrderDetailScreen"


async def test_a_comment_pasted_past_its_cap_is_cut_and_said(backend, tmp_path: Path) -> None:
    from textual import events

    from csdesk.domain.work_orders import COMMENT_MAX

    order = new_order(backend.context, ME, assignee_id=ME, title="长评论")
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_created(pilot, order.id)
        await pilot.press("c")
        await wait_for(pilot, lambda: name(app) == "ActionDialog")
        dialog = app.screen
        text = dialog.query_one("#f-text", Input)
        text.post_message(events.Paste("x" * (COMMENT_MAX + 1000)))
        await wait_for(pilot, lambda: len(text.value) == COMMENT_MAX)
        await wait_for(pilot, lambda: "Too long" in str(dialog.query_one("#dialog-error").render()))


def test_a_complaint_edit_in_the_history_names_the_record_fields() -> None:
    # QA: a change of the promised time showed as "edited (Complaint)" only.
    from csdesk.screens.work_order_detail import WorkOrderDetailScreen

    from csdesk.domain.work_order_schemas import WorkOrderDoc

    doc = WorkOrderDoc.model_validate({
        "id": "wo-1", "number": "WO-20261130-0001", "type": "complaint", "title": "t", "status": "new", "queue": "complaints",
        "created_by": ME, "created_at": "2026-11-30T00:00:00Z", "updated_at": "2026-11-30T00:00:00Z", "version": 1,
        "sla": {"basis": "calendar", "first_response_s": 60, "resolution_s": 60, "started_at": "2026-11-30T00:00:00Z"},
    })
    detail = WorkOrderDetailScreen(doc)
    before = {"reason": "多收年费", "promised_at": "2026-12-05T02:00:00Z", "told_via": "phone"}
    after = {**before, "reason": "多收年费（两次）", "promised_at": "2026-12-08T02:00:00Z"}
    text = detail._history_change("complaint", [before, after])
    assert text.startswith("Complaint (") and "Promised by:" in text and "→" in text and "Reason" in text
    assert "Told via" not in text  # unchanged
    assert detail._history_change("assignee_id", [None, None]).startswith("Assignee")
