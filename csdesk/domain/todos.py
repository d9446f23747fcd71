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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any, Final, Literal

from pydantic import ValidationError

from csdesk.domain.schemas import Announcement, Callback, is_unread
from csdesk.domain.work_order_schemas import WorkOrderDoc as WorkOrder
from csdesk.domain.work_orders import OPEN_STATUSES

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
    except ValidationError:
        return None


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
    documents (the local copies from sync; a document that does not parse is
    skipped, a row of another agent is ignored). ``announcements`` are the
    current ones with this agent's acknowledgements merged in (as
    ``DeskSession.announcements`` gives them: expired ones already left out).
    Returns :class:`TodoItem` s, overdue first, then by ``due``, then kind
    and id. Raises ``ValueError`` for a naive ``now``. Rule: module docstring
    (operating guide §1.2, issue #3).
    """
    limit = end_of_today(now, tz)
    items: list[TodoItem] = []
    for doc in work_orders:
        order: WorkOrder | None = _parse(WorkOrder, doc)
        if order is None or order.assignee_id != agent_id or order.status not in OPEN_WORK_ORDER_STATUSES:
            continue
        due = order.scheduled_at if order.type == "callback" and order.scheduled_at else order.due_at
        if due is None or due >= limit:
            continue
        items.append(
            TodoItem(
                kind="work_order", id=order.id, title=order.title, due=due.astimezone(UTC),
                overdue=due < now, ref=order.number, sub_kind=order.type,
            )
        )
    for doc in callbacks:
        call: Callback | None = _parse(Callback, doc)
        if (
            call is None
            or call.agent_id != agent_id
            or call.status != PENDING_CALLBACK_STATUS
            or call.scheduled_at >= limit
        ):
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
