"""The desk's work orders over the local store and the outbox, against the real
backend (issue #6: offline create then sync without duplicates, version
conflicts shown and re-applied, drafts that survive a crash)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from csdesk.domain.work_order_schemas import WorkOrderCreate
from csdesk.domain.work_orders import EDIT_KIND
from csdesk.server.models import WorkOrder
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS
from csdesk.services.work_orders import LOCAL_ORDERS, WorkOrderService
from tests.conftest import restartable_server
from tests.test_sync import signed_in

A = DEMO_AGENTS[0]
LEAD = DEMO_AGENTS[1]


def service_for(session, agent=A) -> WorkOrderService:
    return WorkOrderService(session.sync, agent["employee_id"], agent["team"])


async def push_all(session) -> None:
    while await session.sync.push_once():
        pass


async def test_an_order_made_offline_gets_its_number_once_and_only_once(tmp_path: Path) -> None:
    server, settings, port = restartable_server(tmp_path)
    session = await signed_in(server.url, tmp_path / "desk")
    try:
        orders = service_for(session)
        await session.initial_sync()
        assert await orders.load_catalogue() is not None  # kept for offline use
        server.stop()
        local = await orders.create(WorkOrderCreate(type="technical_fault", title="手机银行登录闪退",
                                                    priority="P2", customer_ref="C-****-0042"))
        assert local.number == "" and local.id.startswith("local-") and local.queue == "it_support"
        # QA: with no deadline it sorted after every other order until numbered.
        assert local.due_at is not None and local.due_at > datetime.now(UTC)
        assert await session.sync.push_once() is False  # offline: kept
        assert [o.id for o in orders.view("created")] == [local.id]  # shown at once
        server = BackgroundServer(settings, port=port).start()
        item = session.sync.outbox.items()[0]
        # The answer to the first send is lost: the same key goes again.
        first = await session.api.send_mutation(item.method, item.path, item.body, item.key)
        session.sync.clock = lambda: time.time() + 3600  # past the offline retry's back-off
        await push_all(session)
        await orders.reload()
        assert [(o.number, o.client_ref) for o in orders.orders] == [(first["number"], local.id)]
        assert await session.sync.io(session.sync.store.all, LOCAL_ORDERS) == {}
        with server.context.db.read() as db:
            assert db.query(WorkOrder).count() == 1
    finally:
        await session.close()
        server.stop()


async def test_a_stale_edit_is_kept_shown_and_reapplied(backend: BackgroundServer, tmp_path: Path) -> None:
    mine = await signed_in(backend.url, tmp_path / "a")
    theirs = await signed_in(backend.url, tmp_path / "lead", LEAD)
    try:
        orders, lead_orders = service_for(mine), service_for(theirs, LEAD)
        await orders.create(WorkOrderCreate(type="follow_up", title="原标题", priority="P3"))
        await push_all(mine)
        await mine.sync.pull("work_orders")
        await theirs.sync.pull("work_orders")  # the same team: the lead sees it
        order = (await orders.reload())[0]
        assert (await lead_orders.reload())[0].id == order.id
        await lead_orders.change(EDIT_KIND, order.id, {"base_version": 1, "title": "主管改的标题"})
        await push_all(theirs)
        await orders.change(EDIT_KIND, order.id, {"base_version": 1, "title": "我改的标题", "tags": ["催办"]})
        await push_all(mine)
        conflicts = await orders.conflicts()
        assert len(conflicts) == 1
        conflict = conflicts[0]
        assert conflict.theirs.title == "主管改的标题" and conflict.theirs.version == 2
        assert conflict.ours == {"title": "我改的标题", "tags": ["催办"]}
        assert conflict.fields == ("title", "tags")
        await orders.reapply(conflict)
        await push_all(mine)
        assert await orders.conflicts() == []
        stored = orders.get(order.id)
        assert stored is not None and stored.title == "我改的标题" and stored.version == 3
        assert mine.sync.outbox.items() == []
    finally:
        await mine.close()
        await theirs.close()


async def test_a_form_draft_survives_closing_the_desk(backend: BackgroundServer, tmp_path: Path) -> None:
    session = await signed_in(backend.url, tmp_path / "desk")
    fields = {"type": "complaint", "title": "网点服务投诉", "description": "排队" * 2000}
    try:
        await service_for(session).save_draft("new", fields)
    finally:
        await session.close()  # as a crash would: nothing else ran
    again = await signed_in(backend.url, tmp_path / "desk")
    try:
        orders = service_for(again)
        assert await orders.draft("new") == fields
        await orders.drop_draft("new")
        assert await orders.draft("new") is None
    finally:
        await again.close()


async def test_a_change_of_an_unnumbered_order_waits_for_its_number(backend: BackgroundServer,
                                                                     tmp_path: Path) -> None:
    import pytest

    session = await signed_in(backend.url, tmp_path / "desk")
    try:
        orders = service_for(session)
        local = await orders.create(WorkOrderCreate(type="callback", title="回电", priority="P2",
                                                    scheduled_at=datetime.now(UTC) + timedelta(hours=2)))
        with pytest.raises(ValueError, match="number"):
            await orders.change(EDIT_KIND, local.id, {"base_version": 1, "title": "x"})
    finally:
        await session.close()


async def test_a_refused_new_order_says_why_and_is_corrected_in_place(backend: BackgroundServer,
                                                                      tmp_path: Path) -> None:
    # Issue #6 "bad input … the draft is kept": an order the backend refuses (an
    # assignee it does not know) sat "pending" with no reason shown.
    session = await signed_in(backend.url, tmp_path / "desk")
    try:
        orders = service_for(session)
        local = await orders.create(WorkOrderCreate(type="follow_up", title="补寄账单", priority="P3",
                                                    assignee_id="A9999"))
        await push_all(session)
        changes = await orders.changes_of(local)
        assert changes.conflicts == () and changes.waiting == ()
        [refused] = changes.refused
        assert refused.kind == "work_order.create" and refused.state == "failed"
        assert refused.error.startswith("422") and "assignee" in refused.error
        # Corrected: sent again in its place, with the same client_ref, one order made.
        fixed = WorkOrderCreate(type="follow_up", title="补寄账单", priority="P3", client_ref=local.client_ref)
        await orders.create(fixed, replaces=refused.item_key)
        await push_all(session)
        await session.sync.pull("work_orders")
        [order] = await orders.reload()
        assert order.number and order.client_ref == local.client_ref
        assert session.sync.outbox.items() == []
        assert await session.sync.io(session.sync.store.all, LOCAL_ORDERS) == {}
        with backend.context.db.read() as db:
            assert db.query(WorkOrder).filter(WorkOrder.client_ref == local.client_ref).count() == 1
    finally:
        await session.close()


async def test_a_refused_new_order_can_be_discarded(backend: BackgroundServer, tmp_path: Path) -> None:
    session = await signed_in(backend.url, tmp_path / "desk")
    try:
        orders = service_for(session)
        local = await orders.create(WorkOrderCreate(type="follow_up", title="丢弃", priority="P3",
                                                    queue="no_such_queue"))
        await push_all(session)
        [refused] = (await orders.changes_of(local)).refused
        await orders.drop(refused)
        assert orders.orders == [] and session.sync.outbox.items() == []
    finally:
        await session.close()


async def test_changes_made_offline_show_as_waiting_and_an_illegal_move_as_refused(
        tmp_path: Path) -> None:
    from csdesk.domain.work_orders import COMMENT_KIND, MOVE_KIND

    server, settings, port = restartable_server(tmp_path)
    session = await signed_in(server.url, tmp_path / "desk")
    try:
        orders = service_for(session)
        await orders.create(WorkOrderCreate(type="follow_up", title="离线修改", priority="P3"))
        await push_all(session)
        await session.sync.pull("work_orders")
        [order] = await orders.reload()
        server.stop()
        await orders.change(COMMENT_KIND, order.id, {"text": "已联系客户", "visibility": "internal"})
        await orders.change(MOVE_KIND, order.id, {"base_version": order.version, "to": "closed"})
        changes = await orders.changes_of(order)
        assert [(c.kind, c.state) for c in changes.waiting] == [(COMMENT_KIND, "pending"), (MOVE_KIND, "pending")]
        assert changes.refused == () and changes.conflicts == ()
        server = BackgroundServer(settings, port=port).start()
        session.sync.clock = lambda: time.time() + 3600
        await push_all(session)
        changes = await orders.changes_of(order)
        # new → closed is not a move the backend allows: a 409 on the current
        # version is a refusal to show, not a conflict of versions.
        assert changes.waiting == () and changes.conflicts == ()
        [refused] = changes.refused
        assert refused.kind == MOVE_KIND and refused.error.startswith("409")
        assert changes.order.version == order.version + 1  # the comment landed
        await orders.drop(refused)
        assert (await orders.changes_of(order)).refused == ()
        # A comment then a move, both queued before either is sent: the move is
        # based on the version the comment makes, not refused as stale by it.
        stored = orders.get(order.id)
        await orders.change(COMMENT_KIND, order.id, {"text": "先受理", "visibility": "internal"})
        await orders.change(MOVE_KIND, order.id, {"base_version": stored.version, "to": "accepted"})
        await push_all(session)
        changes = await orders.changes_of(order)
        assert changes.conflicts == () and changes.refused == () and changes.waiting == ()
        assert changes.order.status == "accepted" and changes.order.version == stored.version + 2
    finally:
        await session.close()
        server.stop()
