"""The work-order list's views, filters and sort (issue #6, F4). Pure: no I/O.

Views (issue #6): ``mine`` (my open orders), ``team`` (my team's queue: open
orders in the queues my team works), ``due_today`` (open orders due before
the end of my local day, overdue included), ``at_risk`` (open, under 25 % of
the resolution target left), ``breached`` (open, past the target or already
escalated for a breach), ``created`` (created by me, any status). Filters by
type, status, priority or grade, and customer reference (a substring).
Sorted by due time, soonest first; orders without one last.

Cost: a view reads each order's fields once; the SLA clock
(:func:`csdesk.domain.sla.clock`) is computed only where the view needs it
(``at_risk``, ``breached``, and there only for orders old enough to be at
risk: used time never exceeds the wall time since the start) — the list
shows the clocks of the rows on screen only (:func:`row_clock`). Figures for
5,000 orders: ``benchmarks/work_orders.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Final, Literal

from csdesk.domain import sla
from csdesk.domain.work_order_schemas import SlaFacts, WorkOrderDoc
from csdesk.domain.work_orders import OPEN_STATUSES

View = Literal["mine", "team", "due_today", "at_risk", "breached", "created"]
VIEWS: Final[tuple[View, ...]] = ("mine", "team", "due_today", "at_risk", "breached", "created")


@dataclass(frozen=True)
class Filters:
    """Optional narrowing of a view: ``types``/``statuses``/``levels`` (a
    priority ``P1``… or a grade ``general``…) are sets (empty: any);
    ``customer`` a case-insensitive substring of the customer reference."""

    types: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    levels: frozenset[str] = frozenset()
    customer: str = ""

    def match(self, order: WorkOrderDoc) -> bool:
        """True if ``order`` passes every filter set."""
        if self.types and order.type not in self.types:
            return False
        if self.statuses and order.status not in self.statuses:
            return False
        if self.levels and (order.priority or order.grade) not in self.levels:
            return False
        return not self.customer or self.customer.casefold() in order.customer_ref.casefold()


@dataclass(frozen=True)
class Viewer:
    """Who is looking: ``agent_id``, their ``team`` and the queues that team
    works (``team_queues``), their local time zone ``tz``."""

    agent_id: str
    team: str
    team_queues: frozenset[str]
    tz: tzinfo


def due_of(order: WorkOrderDoc) -> datetime | None:
    """When ``order`` is due: a callback at its scheduled time, the others at
    their resolution deadline (``None``: unknown yet)."""
    if order.type == "callback" and order.scheduled_at is not None:
        return order.scheduled_at
    return order.due_at


def resolution_clock_of(facts: SlaFacts, calendar: sla.BusinessCalendar, now: datetime) -> sla.SlaClock:
    """The resolution clock of an order's SLA ``facts`` at ``now`` (aware; pauses count)."""
    return sla.clock(
        basis=facts.basis, calendar=calendar, started_at=facts.started_at, target_seconds=facts.resolution_s,
        now=now, pauses=facts.pauses, stopped_at=facts.stopped_at,
    )


def first_response_clock_of(facts: SlaFacts, calendar: sla.BusinessCalendar, now: datetime) -> sla.SlaClock:
    """The first-response clock of an order's SLA ``facts`` at ``now`` (aware)."""
    return sla.clock(
        basis=facts.basis, calendar=calendar, started_at=facts.started_at,
        target_seconds=facts.first_response_s, now=now, stopped_at=facts.first_response_at,
    )


def row_clock(order: WorkOrderDoc, calendar: sla.BusinessCalendar, now: datetime) -> sla.SlaClock:
    """The resolution clock of ``order`` at ``now`` (aware)."""
    return resolution_clock_of(order.sla, calendar, now)


def first_response_clock(order: WorkOrderDoc, calendar: sla.BusinessCalendar, now: datetime) -> sla.SlaClock:
    """The first-response clock of ``order`` at ``now`` (aware)."""
    return first_response_clock_of(order.sla, calendar, now)


def _end_of_day(now: datetime, tz: tzinfo) -> datetime:
    local = now.astimezone(tz)
    return (local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)).astimezone(now.tzinfo)


def select_orders(
    orders: Iterable[WorkOrderDoc], view: View, viewer: Viewer, *, now: datetime,
    calendar: sla.BusinessCalendar, filters: Filters = Filters(),
) -> list[WorkOrderDoc]:
    """The orders of ``view`` for ``viewer`` at ``now``, filtered, sorted by due
    time (soonest first, then number). Raises ``ValueError`` for an unknown
    view or a naive ``now``."""
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}")
    if now.tzinfo is None:
        raise ValueError("naive now")
    end_of_day = _end_of_day(now, viewer.tz)
    chosen = []
    for order in orders:
        open_ = order.status in OPEN_STATUSES
        if view == "mine":
            keep = open_ and order.assignee_id == viewer.agent_id
        elif view == "team":
            keep = open_ and order.queue in viewer.team_queues
        elif view == "due_today":
            due = due_of(order)
            keep = open_ and due is not None and due < end_of_day
        elif view == "created":
            keep = order.created_by == viewer.agent_id
        elif not open_:
            keep = False
        elif view == "breached" and order.breached:
            keep = True
        elif (now - order.sla.started_at).total_seconds() < (1 - sla.AT_RISK_FRACTION) * order.sla.resolution_s:
            keep = False  # used time never exceeds the wall time since the start: over 25 % is left
        else:
            state = row_clock(order, calendar, now).state
            keep = state == "breached" if view == "breached" else state == "at_risk"
        if keep and filters.match(order):
            chosen.append(order)
    far = datetime.max.replace(tzinfo=now.tzinfo)
    chosen.sort(key=lambda o: (due_of(o) or far, o.number or "~", o.id))
    return chosen


def calendar_from_doc(doc: dict[str, Any]) -> sla.BusinessCalendar:
    """A :class:`sla.BusinessCalendar` from its TOML/catalogue form; ``ValueError`` if malformed."""
    try:
        return sla.BusinessCalendar(
            tz=str(doc.get("tz", "Asia/Shanghai")),
            opens=time.fromisoformat(str(doc.get("opens", "09:00"))),
            closes=time.fromisoformat(str(doc.get("closes", "18:00"))),
            weekdays=frozenset(int(d) for d in doc.get("weekdays", (0, 1, 2, 3, 4))),
            holidays=frozenset(date.fromisoformat(str(d)) for d in doc.get("holidays", ())),
            workdays=frozenset(date.fromisoformat(str(d)) for d in doc.get("workdays", ())),
        )
    except (TypeError, AttributeError) as exc:
        raise ValueError(f"bad calendar: {exc}") from exc
