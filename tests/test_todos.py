"""The to-do rule (operating guide §1.2): what is due today, and in which order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from csdesk.domain.schemas import Announcement
from csdesk.domain.todos import end_of_today, todo_items

SHANGHAI = ZoneInfo("Asia/Shanghai")
AGENT = "A1001"
#: 2026-11-29 15:00 in Shanghai (07:00 UTC).
NOW = datetime(2026, 11, 29, 15, 0, tzinfo=SHANGHAI).astimezone(UTC)


def local(day: int, hour: int, minute: int = 0, tz: Any = SHANGHAI) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=tz)


def order(ident: str, due: datetime, status: str = "new", assignee: str = AGENT, type: str = "follow_up",
          scheduled: datetime | None = None) -> dict[str, Any]:
    """A work order as the local store holds it (wire JSON, ``WorkOrderDoc``)."""
    return {
        "id": ident, "number": f"WO-20261129-{ident[-4:]}", "type": type, "queue": "general",
        "created_by": AGENT, "priority": "P3", "title": f"title {ident}", "status": status,
        "assignee_id": assignee, "due_at": due.astimezone(UTC).isoformat(),
        "scheduled_at": scheduled.astimezone(UTC).isoformat() if scheduled else None,
        "sla": {"basis": "business", "first_response_s": 3600, "resolution_s": 7200, "started_at": NOW.isoformat()},
        "created_at": NOW.isoformat(), "updated_at": NOW.isoformat(), "version": 1,
    }


def callback(ident: str, at: datetime, status: str = "scheduled", agent: str = AGENT) -> dict[str, Any]:
    return {
        "id": ident, "agent_id": agent, "customer_name": "王*", "phone_masked": "138****5678",
        "scheduled_at": at.astimezone(UTC).isoformat(), "note": "", "status": status,
        "created_at": NOW.isoformat(), "updated_at": NOW.isoformat(), "version": 1,
    }


def announcement(ident: str, mandatory: bool, acked: int | None = None, version: int = 1) -> Announcement:
    return Announcement(
        id=ident, title=ident, body="", mandatory=mandatory, version=version,
        published_at=NOW - timedelta(days=1), acknowledged_version=acked,
    )


def ids(items: list[Any]) -> list[str]:
    return [item.id for item in items]


def todos(work_orders=(), callbacks=(), announcements=(), now=NOW, tz=SHANGHAI):
    return todo_items(
        AGENT, work_orders=list(work_orders), callbacks=list(callbacks),
        announcements=list(announcements), now=now, tz=tz,
    )


def test_due_late_today_counts_and_just_after_midnight_does_not() -> None:
    items = todos(
        work_orders=[
            order("wo-0001", local(29, 23, 30)),  # 23:30 local today (15:30 UTC)
            order("wo-0002", local(30, 0, 10)),  # tomorrow 00:10 local (still the 29th in UTC)
        ],
        callbacks=[callback("cb-1", local(29, 23, 59)), callback("cb-2", local(30, 0, 0))],
    )
    assert ids(items) == ["wo-0001", "cb-1"]
    assert not any(item.overdue for item in items)
    assert items[0].ref == "WO-20261129-0001" and items[0].sub_kind == "follow_up"
    assert items[1].kind == "callback" and items[1].ref == "138****5678" and items[1].title == "王*"


def test_today_is_the_agents_local_day_not_utc() -> None:
    # 2026-11-29 23:30 in Shanghai = 15:30 UTC; "today" there ends at 16:00 UTC.
    late = datetime(2026, 11, 29, 23, 30, tzinfo=SHANGHAI)
    due = datetime(2026, 11, 30, 1, 0, tzinfo=SHANGHAI)  # 17:00 UTC on the 29th
    assert ids(todos(work_orders=[order("wo-0001", due)], now=late)) == []
    # In London the same instants are both on the 29th.
    london = ZoneInfo("Europe/London")
    assert ids(todos(work_orders=[order("wo-0001", due)], now=late, tz=london)) == ["wo-0001"]
    assert end_of_today(late, SHANGHAI) == datetime(2026, 11, 29, 16, 0, tzinfo=UTC)
    # A fixed offset (what a terminal reports) gives the same answer.
    assert end_of_today(late, timezone(timedelta(hours=8))) == end_of_today(late, SHANGHAI)


def test_done_work_does_not_count() -> None:
    items = todos(
        work_orders=[
            order("wo-0001", local(29, 9), status="resolved"),
            order("wo-0002", local(29, 9), status="closed"),
            order("wo-0003", local(29, 18), status="in_progress"),
            order("wo-0004", local(29, 9), assignee="A1002"),  # someone else's
        ],
        callbacks=[
            callback("cb-1", local(29, 9), status="done"),
            callback("cb-2", local(29, 9), status="cancelled"),
            callback("cb-3", local(29, 9), agent="A1002"),
        ],
    )
    assert ids(items) == ["wo-0003"]


def test_overdue_first_then_by_time() -> None:
    items = todos(
        work_orders=[
            order("wo-0001", local(29, 18)),
            order("wo-0002", local(27, 10)),  # two days late: still counts
            order("wo-0003", local(29, 14)),
        ],
        callbacks=[callback("cb-1", local(29, 16)), callback("cb-2", local(29, 11))],
    )
    assert ids(items) == ["wo-0002", "cb-2", "wo-0003", "cb-1", "wo-0001"]
    assert [item.overdue for item in items] == [True, True, True, False, False]


def test_unread_mandatory_announcements_only() -> None:
    items = todos(
        announcements=[
            announcement("must-read", mandatory=True),
            announcement("read-old-version", mandatory=True, acked=1, version=2),
            announcement("acked", mandatory=True, acked=1),
            announcement("optional", mandatory=False),
        ],
        work_orders=[order("wo-0001", local(29, 9))],
    )
    assert ids(items) == ["must-read", "read-old-version", "wo-0001"]
    assert items[0].kind == "announcement" and items[0].overdue


def test_bad_documents_are_skipped_and_naive_now_refused() -> None:
    broken = {"id": "wo-x", "title": "no other fields"}
    assert todos(work_orders=[broken, "junk"], callbacks=[{}]) == []
    with pytest.raises(ValueError):
        todos(now=datetime(2026, 11, 29, 15, 0))


def test_every_open_status_counts_and_a_callback_order_is_due_at_its_time() -> None:
    """Issue #6 statuses: new … pending_* are open; a callback order counts at its scheduled time."""
    open_ones = [order(f"wo-{i:04d}", local(29, 9), status=status)
                 for i, status in enumerate(("new", "accepted", "in_progress", "pending_customer", "pending_department"))]
    assert len(todos(work_orders=open_ones)) == 5
    later = order("wo-0100", local(29, 9), type="callback", scheduled=local(30, 10))
    sooner = order("wo-0101", local(30, 9), type="callback", scheduled=local(29, 16))
    items = todos(work_orders=[later, sooner])
    assert ids(items) == ["wo-0101"] and items[0].sub_kind == "callback" and not items[0].overdue
