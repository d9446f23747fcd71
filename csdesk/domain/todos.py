"""The agent's to-do list after sign-in (operating guide §1.2). Pure: no I/O, no Textual.

§1.2: after sign-in, announcements, release notes and to-dos pop up. Issue
#3 defines the to-dos as the agent's open work orders due today, scheduled
callbacks and unread mandatory items, each opening the right screen:

- a work order counts while it is open (issue #6: ``new`` … ``pending_*``),
  it is assigned to the agent, and it is due before the end of today in the
  agent's local time (so earlier days' overdue orders count too); a
  callback order is due at its scheduled time, the others at their
  resolution deadline;
- a callback counts while it is ``scheduled``, belongs to the agent, and is
  scheduled before the end of today (earlier, missed ones too);
- an announcement counts while it is mandatory and unread at its current
  version (:func:`csdesk.domain.schemas.is_unread`). The desk normally opens
  only after those are acknowledged, so this is usually none.

Order: overdue first, then by due time (an announcement is due from its
publication, so an unread mandatory one is overdue).

A work order made on this desk and not yet numbered by the backend (a local
order: empty ``number``) counts like the others; once the backend's order
with its ``client_ref`` is among the documents, the local copy is left out.
A document that does not parse, or whose time has no time zone, is skipped.

Due callbacks on the desk (issue #6: "callback orders have a scheduled
time; due callbacks show on the desk and in the to-dos"):
:func:`due_callbacks` picks the agent's open callback orders and scheduled
legacy callbacks due now or within :data:`DUE_CALLBACK_WINDOW`, soonest
first; :class:`DueCallbackAlerts` says which of them just crossed their
scheduled time, so the desk tells the agent once per order and time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any, Final, Literal

from pydantic import ValidationError

from csdesk.domain.schemas import Announcement, Callback, is_unread
from csdesk.domain.work_order_schemas import WorkOrderDoc as WorkOrder
from csdesk.domain.work_order_views import due_of
from csdesk.domain.work_orders import OPEN_STATUSES

#: A callback counts as due on the desk from this long before its scheduled time (issue #6).
DUE_CALLBACK_WINDOW: Final = timedelta(minutes=15)

#: What a to-do points at (and so which screen opens it).
TodoKind = Literal["announcement", "work_order", "callback"]

#: Work-order statuses that still need the agent.
OPEN_WORK_ORDER_STATUSES: Final = OPEN_STATUSES
#: Callback status that still needs the agent.
PENDING_CALLBACK_STATUS: Final = "scheduled"

_KIND_ORDER: Final = {"announcement": 0, "work_order": 1, "callback": 2}


@dataclass(frozen=True)
class TodoItem:
    """One to-do.

    ``kind`` says what ``id`` is (an announcement, work-order or callback
    id). ``title`` is untrusted text as stored (announcement or work-order
    title, masked customer name for a callback): clean it before display.
    ``ref`` is a short reference: the work-order number, the callback's
    masked phone, ``""`` for an announcement. ``sub_kind`` is the work
    order's ``type`` (``complaint``, ``callback`` …), else ``""``. ``due``
    is an aware UTC datetime (deadline, callback time, or publication);
    ``overdue`` means ``due`` is before ``now``.
    """

    kind: TodoKind
    id: str
    title: str
    due: datetime
    overdue: bool
    ref: str = ""
    sub_kind: str = ""


def end_of_today(now: datetime, tz: tzinfo) -> datetime:
    """The first instant of tomorrow in ``tz`` (exclusive end of today), as aware UTC.

    ``now`` must be aware (``ValueError`` otherwise). With a ``zoneinfo``
    zone the offset is the one in force at that midnight.
    """
    if now.tzinfo is None:
        raise ValueError("naive now: pass an aware datetime")
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=tz).astimezone(UTC)


def _parse(model: type[Any], doc: object) -> Any:
    if isinstance(doc, model):
        return doc
    if not isinstance(doc, Mapping):
        return None
    try:
        return model.model_validate(doc)
    except (ValidationError, TypeError, ValueError):
        return None


def _aware(moment: datetime | None) -> bool:
    return moment is not None and moment.tzinfo is not None and moment.utcoffset() is not None


def _scheduled_callbacks(agent_id: str, docs: Iterable[Callback | Mapping[str, Any]]) -> Iterable[Callback]:
    """The agent's legacy callbacks of ``docs`` still scheduled, with an aware time
    (documents that do not parse are skipped)."""
    for doc in docs:
        call: Callback | None = _parse(Callback, doc)
        if (call is not None and call.agent_id == agent_id and call.status == PENDING_CALLBACK_STATUS
                and _aware(call.scheduled_at)):
            yield call


def _work_orders(docs: Iterable[WorkOrder | Mapping[str, Any]]) -> list[WorkOrder]:
    """The orders of ``docs`` that parse, without a local (unnumbered) copy
    whose backend order (same ``client_ref``) is also there."""
    orders = [order for order in (_parse(WorkOrder, doc) for doc in docs) if order is not None]
    arrived = {order.client_ref for order in orders if order.number and order.client_ref}
    return [
        order for order in orders
        if order.number or not ({order.id, order.client_ref} & arrived)
    ]


def todo_items(
    agent_id: str,
    *,
    work_orders: Iterable[WorkOrder | Mapping[str, Any]],
    callbacks: Iterable[Callback | Mapping[str, Any]],
    announcements: Iterable[Announcement],
    now: datetime,
    tz: tzinfo,
) -> list[TodoItem]:
    """The to-dos of ``agent_id`` at ``now`` (aware) in local time zone ``tz``.

    ``work_orders`` and ``callbacks`` are ``schemas`` models or their wire
    documents (the local copies from sync, and the local orders not yet
    numbered; a document that does not parse or has a time without a zone is
    skipped, a row of another agent is ignored, a local order whose backend
    order is among ``work_orders`` too is left out). ``announcements`` are the
    current ones with this agent's acknowledgements merged in (as
    ``DeskSession.announcements`` gives them: expired ones already left out).
    Returns :class:`TodoItem` s, overdue first, then by ``due``, then kind
    and id. Raises ``ValueError`` for a naive ``now``. Rule: module docstring
    (operating guide §1.2, issue #3).
    """
    limit = end_of_today(now, tz)
    items: list[TodoItem] = []
    for order in _work_orders(work_orders):
        if order.assignee_id != agent_id or order.status not in OPEN_WORK_ORDER_STATUSES:
            continue
        due = due_of(order)
        if due is None or not _aware(due) or due >= limit:
            continue
        items.append(
            TodoItem(
                kind="work_order", id=order.id, title=order.title, due=due.astimezone(UTC),
                overdue=due < now, ref=order.number, sub_kind=order.type,
            )
        )
    for call in _scheduled_callbacks(agent_id, callbacks):
        if call.scheduled_at >= limit:
            continue
        items.append(
            TodoItem(
                kind="callback", id=call.id, title=call.customer_name,
                due=call.scheduled_at.astimezone(UTC), overdue=call.scheduled_at < now,
                ref=call.phone_masked,
            )
        )
    for ann in announcements:
        if ann.mandatory and is_unread(ann):
            items.append(
                TodoItem(
                    kind="announcement", id=ann.id, title=ann.title,
                    due=ann.published_at.astimezone(UTC), overdue=ann.published_at < now,
                )
            )
    items.sort(key=lambda item: (not item.overdue, item.due, _KIND_ORDER[item.kind], item.id))
    return items


#: What a due callback is: a callback work order, or a legacy scheduled callback.
DueKind = Literal["work_order", "callback"]


@dataclass(frozen=True)
class DueCallback:
    """One callback due now or soon (:func:`due_callbacks`).

    ``kind`` says what ``id`` is: a callback work order (``"work_order"``) or
    a legacy callback (``"callback"``). ``number`` is the order's number,
    ``""`` for a local order the backend has not numbered yet (``local``
    true) and for a legacy callback. ``customer`` is the masked customer
    reference (an order's ``customer_ref``; a legacy callback's masked name
    and phone, space-separated), ``title`` the order's title (``""`` for a
    legacy callback): untrusted text as stored, clean it before display.
    ``scheduled_at`` is aware UTC; ``overdue`` means it is before ``now``.
    ``key`` names the order across its numbering (its ``client_ref`` when it
    has one, else its id), so a local order and the backend's copy of it are
    one callback.
    """

    kind: DueKind
    id: str
    key: tuple[str, str]
    number: str
    customer: str
    title: str
    scheduled_at: datetime
    overdue: bool
    local: bool = False


def due_callbacks(
    agent_id: str,
    *,
    work_orders: Iterable[WorkOrder | Mapping[str, Any]],
    callbacks: Iterable[Callback | Mapping[str, Any]],
    now: datetime,
    window: timedelta = DUE_CALLBACK_WINDOW,
) -> list[DueCallback]:
    """The callbacks of ``agent_id`` due at ``now`` (aware) or within ``window`` after it.

    Rule (operating guide §1.2, issue #6): an order counts while it is a
    ``callback`` order with a ``scheduled_at``, open (``new`` …
    ``pending_*``) and assigned to ``agent_id``; a legacy callback while it is
    ``scheduled`` and belongs to ``agent_id``; either when its scheduled time
    is at or before ``now + window`` (the edge itself counts; earlier, missed
    ones count too, marked ``overdue`` when strictly before ``now``).
    ``work_orders`` and ``callbacks`` are models or their wire documents (the
    synced orders and the local ones not yet numbered; a local order whose
    backend order is there too is left out). A document that does not parse,
    or whose scheduled time has no time zone, is skipped. Returns
    :class:`DueCallback` s soonest first (then kind and id). Raises
    ``ValueError`` for a naive ``now`` or a negative ``window``.
    """
    if not _aware(now):
        raise ValueError("naive now: pass an aware datetime")
    if window < timedelta(0):
        raise ValueError("negative window")
    limit = now + window
    due: list[DueCallback] = []
    for order in _work_orders(work_orders):
        at = order.scheduled_at
        if (
            order.type != "callback"
            or order.assignee_id != agent_id
            or order.status not in OPEN_WORK_ORDER_STATUSES
            or at is None
            or not _aware(at)
            or at > limit
        ):
            continue
        due.append(
            DueCallback(
                kind="work_order", id=order.id, key=("work_order", order.client_ref or order.id),
                number=order.number, customer=order.customer_ref, title=order.title,
                scheduled_at=at.astimezone(UTC), overdue=at < now, local=not order.number,
            )
        )
    for call in _scheduled_callbacks(agent_id, callbacks):
        if call.scheduled_at > limit:
            continue
        due.append(
            DueCallback(
                kind="callback", id=call.id, key=("callback", call.id), number="",
                customer=" ".join(part for part in (call.customer_name, call.phone_masked) if part),
                title="", scheduled_at=call.scheduled_at.astimezone(UTC), overdue=call.scheduled_at < now,
            )
        )
    due.sort(key=lambda item: (item.scheduled_at, _KIND_ORDER[item.kind], item.id))
    return due


class DueCallbackAlerts:
    """Which due callbacks to tell the agent about, once each (issue #6).

    Feed :meth:`update` each fresh :func:`due_callbacks` list with the
    ``now`` it was computed at. A callback is announced when its scheduled
    time is crossed between two updates (after the previous update's ``now``,
    at or before this one's), once per callback and scheduled time: the same
    callback is announced again only after its scheduled time changed and the
    new time is crossed. The first update only sets the starting point
    (callbacks already due then were due before the desk was watching: the
    list shows them, no announcement). No I/O, no clock of its own.
    """

    def __init__(self) -> None:
        #: ``DueCallback.key`` → the scheduled time (aware UTC) already announced.
        self.told: dict[tuple[str, str], datetime] = {}
        #: ``now`` of the last update (None before the first).
        self.last: datetime | None = None

    def update(self, due: Iterable[DueCallback], now: datetime) -> list[DueCallback]:
        """The callbacks of ``due`` to announce at ``now`` (aware), in ``due``'s order.

        A ``now`` at or before the previous one (a clock set back) announces
        nothing and keeps the previous starting point. Raises ``ValueError``
        for a naive ``now``.
        """
        if not _aware(now):
            raise ValueError("naive now: pass an aware datetime")
        last = self.last
        if last is not None and now <= last:
            return []
        self.last = now
        if last is None:
            return []
        fresh = [
            item for item in due
            if last < item.scheduled_at <= now and self.told.get(item.key) != item.scheduled_at
        ]
        for item in fresh:
            self.told[item.key] = item.scheduled_at
        return fresh
