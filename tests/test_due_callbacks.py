"""Due callbacks on the desk (issue #6, operating guide §1.2): the pure rule, with an injected now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from csdesk.domain.todos import DUE_CALLBACK_WINDOW, DueCallbackAlerts, due_callbacks, todo_items

AGENT = "A1001"
NOW = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)


def callback_order(ident: str, at: datetime | None, *, status: str = "new", assignee: str | None = AGENT,
                   number: str | None = None, client_ref: str | None = None, type: str = "callback",
                   customer_ref: str = "622202******1234") -> dict[str, Any]:
    """A callback work order as the local store holds it (wire JSON, ``WorkOrderDoc``)."""
    return {
        "id": ident, "number": f"WO-20261129-{ident[-4:]}" if number is None else number,
        "client_ref": client_ref, "type": type, "queue": "general", "created_by": AGENT, "priority": "P2",
        "title": f"回电 {ident}", "status": status, "assignee_id": assignee, "customer_ref": customer_ref,
        "scheduled_at": at.isoformat() if at else None, "due_at": (NOW + timedelta(days=1)).isoformat(),
        "sla": {"basis": "business", "first_response_s": 3600, "resolution_s": 7200, "started_at": NOW.isoformat()},
        "created_at": NOW.isoformat(), "updated_at": NOW.isoformat(), "version": 1,
    }


def legacy(ident: str, at: datetime, *, status: str = "scheduled", agent: str = AGENT) -> dict[str, Any]:
    return {
        "id": ident, "agent_id": agent, "customer_name": "王*", "phone_masked": "138****5678",
        "scheduled_at": at.isoformat(), "note": "", "status": status,
        "created_at": NOW.isoformat(), "updated_at": NOW.isoformat(), "version": 1,
    }


def due(work_orders=(), callbacks=(), now=NOW, **kwargs):
    return due_callbacks(AGENT, work_orders=list(work_orders), callbacks=list(callbacks), now=now, **kwargs)


def ids(items) -> list[str]:
    return [item.id for item in items]


def test_the_window_is_fifteen_minutes_and_its_edge_counts() -> None:
    assert DUE_CALLBACK_WINDOW == timedelta(minutes=15)
    edge = NOW + DUE_CALLBACK_WINDOW
    items = due(work_orders=[
        callback_order("wo-0001", edge),  # exactly at the edge: due
        callback_order("wo-0002", edge + timedelta(microseconds=1)),  # just past it: not yet
        callback_order("wo-0003", NOW),  # exactly now: due, not overdue
    ], callbacks=[legacy("cb-1", edge), legacy("cb-2", edge + timedelta(seconds=1))])
    assert ids(items) == ["wo-0003", "wo-0001", "cb-1"]
    assert [item.overdue for item in items] == [False, False, False]
    # A narrower window (the argument) moves the edge.
    assert ids(due(work_orders=[callback_order("wo-0001", NOW + timedelta(minutes=5))],
                   window=timedelta(minutes=4))) == []


def test_overdue_ones_count_and_come_first_soonest_first() -> None:
    items = due(
        work_orders=[callback_order("wo-0001", NOW + timedelta(minutes=10)),
                     callback_order("wo-0002", NOW - timedelta(days=2))],  # two days late: still due
        callbacks=[legacy("cb-1", NOW - timedelta(seconds=1)), legacy("cb-2", NOW + timedelta(minutes=1))],
    )
    assert ids(items) == ["wo-0002", "cb-1", "cb-2", "wo-0001"]
    assert [item.overdue for item in items] == [True, True, False, False]
    first = items[0]
    assert first.kind == "work_order" and first.number == "WO-20261129-0002" and not first.local
    assert first.customer == "622202******1234" and first.scheduled_at.tzinfo is not None
    assert first.key == ("work_order", "wo-0002")
    assert items[1].kind == "callback" and items[1].number == "" and items[1].customer == "王* 138****5678"


def test_closed_others_and_non_callback_orders_do_not_count() -> None:
    soon = NOW + timedelta(minutes=1)
    open_statuses = ("new", "accepted", "in_progress", "pending_customer", "pending_department")
    items = due(
        work_orders=[
            *(callback_order(f"wo-00{i:02d}", soon, status=status) for i, status in enumerate(open_statuses)),
            callback_order("wo-0101", soon, status="resolved"),
            callback_order("wo-0102", soon, status="closed"),
            callback_order("wo-0104", soon, assignee="A1002"),  # someone else's
            callback_order("wo-0105", soon, assignee=None),  # waiting in the queue
            callback_order("wo-0106", soon, type="follow_up"),  # not a callback order
            callback_order("wo-0107", None),  # a callback order without a time
        ],
        callbacks=[legacy("cb-1", soon, status="done"), legacy("cb-2", soon, status="cancelled"),
                   legacy("cb-3", soon, agent="A1002")],
    )
    assert ids(items) == [f"wo-00{i:02d}" for i in range(len(open_statuses))]


def test_a_local_order_counts_without_number_until_the_backend_copy_arrives() -> None:
    soon = NOW + timedelta(minutes=3)
    local = callback_order("local-abc", soon, number="", client_ref="local-abc")
    [item] = due(work_orders=[local])
    assert item.local and item.number == "" and item.key == ("work_order", "local-abc")
    # The backend's order with the same client_ref: one callback, the numbered one, same key.
    synced = callback_order("wo-0009", soon, client_ref="local-abc")
    [item] = due(work_orders=[local, synced])
    assert item.id == "wo-0009" and not item.local and item.key == ("work_order", "local-abc")
    # The to-dos list it the same way.
    todos = todo_items(AGENT, work_orders=[local, synced], callbacks=[], announcements=[], now=NOW, tz=UTC)
    assert ids(todos) == ["wo-0009"]
    assert ids(todo_items(AGENT, work_orders=[local], callbacks=[], announcements=[], now=NOW, tz=UTC)) == [
        "local-abc"]


def test_bad_documents_are_skipped_and_naive_now_refused() -> None:
    soon = NOW + timedelta(minutes=1)
    naive = callback_order("wo-0001", soon)
    naive["scheduled_at"] = "2026-11-29T07:01:00"  # no time zone: cannot be compared
    naive_cb = legacy("cb-1", soon)
    naive_cb["scheduled_at"] = "2026-11-29T07:01:00"
    broken = {"id": "wo-x", "type": "callback", "title": "no other fields"}
    wrong_types = callback_order("wo-0002", soon)
    wrong_types["status"] = ["new"]
    good = callback_order("wo-0003", soon)
    items = due(work_orders=[naive, broken, "junk", None, wrong_types, good], callbacks=[naive_cb, {}, 42])
    assert ids(items) == ["wo-0003"]
    # The to-do rule skips the naive ones too instead of failing the count.
    assert ids(todo_items(AGENT, work_orders=[naive, good], callbacks=[naive_cb], announcements=[],
                          now=NOW, tz=UTC)) == ["wo-0003"]
    with pytest.raises(ValueError):
        due(now=datetime(2026, 11, 29, 7, 0))
    with pytest.raises(ValueError):
        due(window=timedelta(minutes=-1))


def test_an_alert_once_when_a_callback_crosses_its_time() -> None:
    alerts = DueCallbackAlerts()
    at = NOW + timedelta(minutes=5)
    orders = [callback_order("wo-0001", at), callback_order("wo-0002", NOW - timedelta(minutes=1))]

    def step(now: datetime, docs=orders) -> list[str]:
        return ids(alerts.update(due(work_orders=docs, now=now), now))

    # The first count only sets the starting point: wo-0002 was due before.
    assert step(NOW) == []
    assert step(NOW + timedelta(minutes=1)) == []  # wo-0001 due soon, not yet at its time
    assert step(at - timedelta(seconds=1)) == []
    assert step(at) == ["wo-0001"]  # at its time exactly: told
    assert step(at + timedelta(minutes=1)) == []  # once
    assert step(at) == []  # a clock set back tells nothing again
    # Rescheduled: told again when the new time comes, once.
    later = at + timedelta(minutes=10)
    moved = [callback_order("wo-0001", later)]
    assert step(at + timedelta(minutes=2), moved) == []
    assert step(later + timedelta(seconds=30), moved) == ["wo-0001"]
    assert step(later + timedelta(minutes=1), moved) == []
    with pytest.raises(ValueError):
        alerts.update([], datetime(2026, 11, 29, 8, 0))


def test_a_local_order_numbered_meanwhile_is_not_told_twice() -> None:
    alerts = DueCallbackAlerts()
    at = NOW + timedelta(minutes=2)
    local = callback_order("local-abc", at, number="", client_ref="local-abc")
    alerts.update(due(work_orders=[local]), NOW)
    assert ids(alerts.update(due(work_orders=[local], now=at), at)) == ["local-abc"]
    synced = callback_order("wo-0009", at, client_ref="local-abc")
    later = at + timedelta(minutes=1)
    assert alerts.update(due(work_orders=[synced], now=later), later) == []
