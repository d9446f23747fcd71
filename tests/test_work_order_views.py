"""The work-order list's views, filters and sort (issue #6): pure tests of
:func:`csdesk.domain.work_order_views.select_orders` on hand-made orders."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from csdesk.domain import sla
from csdesk.domain.work_order_schemas import WorkOrderDoc
from csdesk.domain.work_order_views import (
    VIEWS,
    Filters,
    Viewer,
    calendar_from_doc,
    due_of,
    row_clock,
    select_orders,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: Wednesday 2026-03-18 10:30 in Shanghai (02:30 UTC).
NOW = datetime(2026, 3, 18, 10, 30, tzinfo=SHANGHAI).astimezone(UTC)
ME = "A1001"
OTHER = "A1002"
ME_VIEWING = Viewer(ME, "零售客服一组", frozenset({"general", "complaints"}), SHANGHAI)
CALENDAR = sla.BusinessCalendar()
H = 3600.0
NO_FILTERS = Filters()


def order(ident: str, **fields: Any) -> WorkOrderDoc:
    """An open P3 follow-up in ``general``, assigned to me, on a 100-hour calendar
    clock started 10 hours before NOW; ``fields`` replace any of that (``sla``
    entries are merged into the default facts)."""
    facts = {"basis": "calendar", "first_response_s": H, "resolution_s": 100 * H, "started_at": NOW - timedelta(hours=10)}
    facts.update(fields.pop("sla", {}))
    doc: dict[str, Any] = {
        "id": ident, "number": f"WO-20260318-{ident}", "type": "follow_up", "title": "客户来电 / call",
        "priority": "P3", "status": "in_progress", "queue": "general", "assignee_id": ME, "created_by": OTHER,
        "customer_ref": "C-****-0000", "sla": facts, "created_at": facts["started_at"], "updated_at": NOW,
        "version": 1,
    }
    doc.update(fields)
    return WorkOrderDoc.model_validate(doc)


def ids(orders: list[WorkOrderDoc]) -> list[str]:
    return [o.id for o in orders]


def chosen(orders: list[WorkOrderDoc], view: str, *, viewer: Viewer = ME_VIEWING, now: datetime = NOW,
           calendar: sla.BusinessCalendar = CALENDAR, filters: Filters = NO_FILTERS) -> set[str]:
    return set(ids(select_orders(orders, view, viewer, now=now, calendar=calendar, filters=filters)))


def started(hours_ago: float) -> dict[str, Any]:
    """SLA facts of a clock started ``hours_ago`` before NOW."""
    return {"started_at": NOW - timedelta(hours=hours_ago)}


# --------------------------------------------------------------------------- views


def test_mine_is_my_open_orders() -> None:
    orders = [order(f"open-{s}", status=s) for s in
              ("new", "accepted", "in_progress", "pending_customer", "pending_department")]
    orders += [
        order("resolved", status="resolved"),
        order("closed", status="closed"),
        order("theirs", assignee_id=OTHER),
        order("in-queue", assignee_id=None),
        order("made-by-me", assignee_id=OTHER, created_by=ME),
    ]
    assert chosen(orders, "mine") == {f"open-{s}" for s in
                                      ("new", "accepted", "in_progress", "pending_customer", "pending_department")}


def test_team_is_open_orders_in_my_teams_queues_whoever_has_them() -> None:
    orders = [
        order("mine"),
        order("colleague", assignee_id=OTHER, queue="complaints", type="complaint", priority=None, grade="general"),
        order("waiting", assignee_id=None),
        order("other-queue", queue="cards"),
        order("done", status="closed", assignee_id=OTHER),
    ]
    assert chosen(orders, "team") == {"mine", "colleague", "waiting"}
    nobody = Viewer(ME, "其他组", frozenset(), SHANGHAI)
    assert chosen(orders, "team", viewer=nobody) == set()


def test_due_today_ends_at_midnight_of_the_viewers_zone_and_counts_overdue() -> None:
    # NOW is 10:30 in Shanghai: the local day ends at 16:00 UTC.
    orders = [
        order("late-tonight", due_at=datetime(2026, 3, 18, 15, 59, tzinfo=UTC)),   # 23:59 Shanghai
        order("tomorrow", due_at=datetime(2026, 3, 18, 16, 0, tzinfo=UTC)),        # 00:00 Shanghai, next day
        order("overdue", due_at=NOW - timedelta(days=3)),
        order("no-due", due_at=None),
        order("done-overdue", status="resolved", due_at=NOW - timedelta(days=1)),
        order("someone-elses", assignee_id=OTHER, queue="cards", due_at=NOW + timedelta(hours=1)),
    ]
    assert chosen(orders, "due_today") == {"late-tonight", "overdue", "someone-elses"}
    # For a viewer in London (UTC in March) the day ends at 00:00 UTC.
    london = Viewer(ME, "零售客服一组", frozenset({"general"}), ZoneInfo("Europe/London"))
    assert chosen(orders, "due_today", viewer=london) == {"late-tonight", "tomorrow", "overdue", "someone-elses"}


def test_a_callback_is_due_at_its_scheduled_time() -> None:
    today, tomorrow = NOW + timedelta(hours=2), NOW + timedelta(days=2)
    call_today = order("call-today", type="callback", scheduled_at=today, due_at=tomorrow)
    call_later = order("call-later", type="callback", scheduled_at=tomorrow, due_at=today)
    unscheduled = order("call-unscheduled", type="callback", scheduled_at=None, due_at=today)
    not_a_callback = order("follow-up", scheduled_at=tomorrow, due_at=today)
    assert due_of(call_today) == today and due_of(call_later) == tomorrow
    assert due_of(unscheduled) == today and due_of(not_a_callback) == today
    assert chosen([call_today, call_later, unscheduled, not_a_callback], "due_today") == {
        "call-today", "call-unscheduled", "follow-up"}


def test_at_risk_is_open_with_under_a_quarter_of_the_target_left_calendar_basis() -> None:
    orders = [
        order("20-left", sla=started(80)),                    # 20 h of 100 left
        order("25-left", sla=started(75)),                    # exactly 25 %: not under
        order("30-left", sla=started(70)),
        order("breached", sla=started(101)),
        order("paused", status="pending_customer",
              sla={**started(80), "pauses": [(NOW - timedelta(hours=1), None)]}),
        order("done", status="resolved", sla=started(80)),
        order("not-mine-too", assignee_id=OTHER, queue="cards", sla=started(90)),
    ]
    assert row_clock(orders[0], CALENDAR, NOW).fraction_left == pytest.approx(0.2)
    assert chosen(orders, "at_risk") == {"20-left", "not-mine-too"}


def test_at_risk_counts_business_hours_over_a_weekend() -> None:
    # Started Friday 10:00 in Shanghai, now Monday 10:00: 8 h on Friday + 1 h on
    # Monday = 9 business hours used, though 72 wall hours have passed.
    friday = datetime(2026, 3, 13, 10, tzinfo=SHANGHAI)
    monday = datetime(2026, 3, 16, 10, tzinfo=SHANGHAI)
    business = {"basis": "business", "started_at": friday}
    orders = [
        order("10h-target", sla={**business, "resolution_s": 10 * H}),   # 1 h of 10 left
        order("2-days", sla={**business, "resolution_s": 2 * sla.BUSINESS_DAY_SECONDS}),  # half left
    ]
    assert row_clock(orders[0], CALENDAR, monday).used_seconds == 9 * H
    assert chosen(orders, "at_risk", now=monday) == {"10h-target"}
    assert chosen(orders, "breached", now=monday) == set()


def test_breached_is_past_the_target_or_escalated_for_a_breach() -> None:
    orders = [
        order("past-target", sla=started(101)),
        order("flagged", breached=True, escalated=True, queue="general", sla=started(1)),  # clock: running
        order("flagged-but-closed", status="closed", breached=True, sla=started(101)),
        order("running", sla=started(50)),
        order("at-risk", sla=started(80)),
    ]
    assert row_clock(orders[1], CALENDAR, NOW).state == "running"
    assert chosen(orders, "breached") == {"past-target", "flagged"}


def test_created_is_mine_by_author_in_any_status() -> None:
    orders = [
        order("open", created_by=ME, assignee_id=OTHER, queue="cards"),
        order("closed", created_by=ME, status="closed"),
        order("local", created_by=ME, number="", status="new", assignee_id=None),
        order("assigned-to-me", created_by=OTHER),
    ]
    assert chosen(orders, "created") == {"open", "closed", "local"}


def test_every_view_is_a_subset_of_the_orders_and_an_order_appears_once() -> None:
    orders = [order(f"{i:02d}", sla=started(10 * i), status="in_progress" if i % 3 else "closed") for i in range(12)]
    for view in VIEWS:
        got = ids(select_orders(orders, view, ME_VIEWING, now=NOW, calendar=CALENDAR))
        assert len(got) == len(set(got)) and set(got) <= {o.id for o in orders}


# --------------------------------------------------------------------------- filters


FILTERED = [
    order("fault-P1", type="technical_fault", priority="P1", customer_ref="C-****-1234"),
    order("fault-P3", type="technical_fault", priority="P3", status="pending_customer", customer_ref="C-****-5678"),
    order("complaint", type="complaint", priority=None, grade="serious", queue="complaints",
          customer_ref="C-****-1299"),
    order("callback", type="callback", priority="P1", status="new", customer_ref="c-****-0012"),
    order("closed-fault", type="technical_fault", priority="P1", status="closed", created_by=ME,
          customer_ref="C-****-1234"),
]


def test_filters_narrow_by_type_status_level_and_customer() -> None:
    team = "team"
    assert chosen(FILTERED, team, filters=Filters()) == {"fault-P1", "fault-P3", "complaint", "callback"}
    assert chosen(FILTERED, team, filters=Filters(types=frozenset({"technical_fault"}))) == {"fault-P1", "fault-P3"}
    assert chosen(FILTERED, team, filters=Filters(statuses=frozenset({"new", "pending_customer"}))) == {
        "fault-P3", "callback"}
    # A level is a priority or a complaint's grade.
    assert chosen(FILTERED, team, filters=Filters(levels=frozenset({"P1", "serious"}))) == {
        "fault-P1", "complaint", "callback"}
    assert chosen(FILTERED, team, filters=Filters(levels=frozenset({"general"}))) == set()
    # Customer: a case-insensitive substring.
    assert chosen(FILTERED, team, filters=Filters(customer="c-****-12")) == {"fault-P1", "complaint"}
    assert chosen(FILTERED, team, filters=Filters(customer="C-****-001")) == {"callback"}
    assert chosen(FILTERED, team, filters=Filters(customer="9999")) == set()


def test_filters_combine_and_apply_to_any_view() -> None:
    both = Filters(types=frozenset({"technical_fault", "complaint"}), statuses=frozenset({"in_progress", "closed"}),
                   customer="1234")
    assert chosen(FILTERED, "team", filters=both) == {"fault-P1"}
    assert chosen(FILTERED, "created", filters=both) == {"closed-fault"}
    assert Filters().match(FILTERED[0])
    assert not Filters(levels=frozenset({"P2"})).match(FILTERED[0])


# --------------------------------------------------------------------------- sort


def test_sorted_by_due_then_number_with_no_due_last() -> None:
    soon = NOW + timedelta(hours=1)
    orders = [
        order("no-due", number="WO-20260318-0001", due_at=None),
        order("b", number="WO-20260318-0003", due_at=soon),
        order("a", number="WO-20260318-0002", due_at=soon),
        order("local", number="", due_at=soon),
        order("overdue", number="WO-20260318-0009", due_at=NOW - timedelta(days=2)),
        order("callback", number="WO-20260318-0008", type="callback", scheduled_at=NOW + timedelta(minutes=10),
              due_at=NOW + timedelta(days=3)),
        order("later", number="WO-20260318-0004", due_at=NOW + timedelta(days=1)),
    ]
    got = ids(select_orders(orders, "mine", ME_VIEWING, now=NOW, calendar=CALENDAR))
    assert got == ["overdue", "callback", "a", "b", "local", "later", "no-due"]
    # Same order whatever the input order.
    again = ids(select_orders(list(reversed(orders)), "mine", ME_VIEWING, now=NOW, calendar=CALENDAR))
    assert again == got


def test_due_times_in_other_zones_sort_by_instant() -> None:
    new_york = ZoneInfo("America/New_York")
    orders = [
        order("ny", due_at=datetime(2026, 3, 18, 8, 0, tzinfo=new_york)),      # 12:00 UTC
        order("sh", due_at=datetime(2026, 3, 18, 19, 0, tzinfo=SHANGHAI)),     # 11:00 UTC
    ]
    assert ids(select_orders(orders, "mine", ME_VIEWING, now=NOW, calendar=CALENDAR)) == ["sh", "ny"]


# --------------------------------------------------------------------------- errors


def test_an_unknown_view_or_a_naive_now_is_refused() -> None:
    orders = [order("x")]
    with pytest.raises(ValueError, match="unknown view"):
        select_orders(orders, "everything", ME_VIEWING, now=NOW, calendar=CALENDAR)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="naive"):
        select_orders(orders, "mine", ME_VIEWING, now=datetime(2026, 3, 18, 10, 30), calendar=CALENDAR)
    with pytest.raises(ValueError):  # refused even when there is nothing to show
        select_orders([], "mine", ME_VIEWING, now=datetime(2026, 3, 18, 10, 30), calendar=CALENDAR)


# --------------------------------------------------------------------------- calendars


def test_calendar_from_doc_round_trips() -> None:
    calendar = sla.BusinessCalendar(
        tz="Asia/Shanghai", opens=time(8, 30), closes=time(17, 45), weekdays=frozenset({0, 1, 2, 3, 4, 5}),
        holidays=frozenset({date(2026, 10, 1), date(2026, 10, 2)}), workdays=frozenset({date(2026, 10, 11)}),
    )
    doc = {
        "tz": calendar.tz, "opens": calendar.opens.isoformat(), "closes": calendar.closes.isoformat(),
        "weekdays": sorted(calendar.weekdays), "holidays": sorted(d.isoformat() for d in calendar.holidays),
        "workdays": sorted(d.isoformat() for d in calendar.workdays),
    }
    assert calendar_from_doc(doc) == calendar
    assert calendar_from_doc({}) == sla.BusinessCalendar()  # defaults: Shanghai, 09:00-18:00, Mon-Fri
    assert calendar_from_doc({"opens": "09:00", "closes": "18:00"}) == sla.BusinessCalendar()


@pytest.mark.parametrize("doc", [
    {"tz": "Mars/Olympus_Mons"},
    {"tz": ""},
    {"opens": "9am"},
    {"opens": "18:00", "closes": "09:00"},
    {"opens": 9},
    {"weekdays": [0, 7]},
    {"weekdays": None},
    {"weekdays": ["monday"]},
    {"holidays": ["2026-13-01"]},
    {"holidays": 20260101},
    {"workdays": ["2026-10-10"], "holidays": ["2026-10-10"]},
])
def test_calendar_from_doc_rejects_malformed_input(doc: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        calendar_from_doc(doc)
