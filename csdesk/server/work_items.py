"""Work orders and callbacks: create, change, and serve them to their agent by sync.

Operating guide §1.2 lists the agent's open work orders due today and the
scheduled callbacks among the to-dos shown after sign-in; §2.4 and §3.2 are
where they come from (issue #6 builds the forms and the queue on these
functions). Each row belongs to one agent (``WorkOrder.assignee_id``,
``Callback.agent_id``): every change is recorded in the change log for that
agent only (sync collections ``work_orders`` and ``callbacks``) and announced
to that agent's event stream (types ``work_order`` and ``callback``), so the
client pulls the new version at once. Moving a work order to another agent
records a deletion for the previous one.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import get_args

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.domain.schemas import Callback as CallbackView
from csdesk.domain.schemas import CallbackStatus, WorkOrderKind, WorkOrderStatus
from csdesk.domain.schemas import WorkOrder as WorkOrderView
from csdesk.server.changes import record_change
from csdesk.server.context import ServerContext
from csdesk.server.db import utcnow
from csdesk.server.events import publish
from csdesk.server.models import Agent, Callback, WorkOrder

#: Sync collection and event type names.
WORK_ORDERS = "work_orders"
CALLBACKS = "callbacks"

_KINDS = frozenset(get_args(WorkOrderKind))
_STATUSES = frozenset(get_args(WorkOrderStatus))
_CALLBACK_STATUSES = frozenset(get_args(CallbackStatus))


# -- rows → wire documents ----------------------------------------------------


def work_order_view(row: WorkOrder) -> WorkOrderView:
    """A work-order row as sent on the wire (``schemas.WorkOrder``)."""
    return WorkOrderView(
        id=row.id,
        number=row.number,
        kind=row.kind,  # type: ignore[arg-type]
        title=row.title,
        status=row.status,  # type: ignore[arg-type]
        assignee_id=row.assignee_id,
        due_at=row.due_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


def callback_view(row: Callback) -> CallbackView:
    """A callback row as sent on the wire (``schemas.Callback``)."""
    return CallbackView(
        id=row.id,
        agent_id=row.agent_id,
        customer_name=row.customer_name,
        phone_masked=row.phone_masked,
        scheduled_at=row.scheduled_at,
        note=row.note,
        status=row.status,  # type: ignore[arg-type]
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


def work_order_docs(session: Session, agent_id: str, ids: list[str]) -> dict[str, WorkOrderView]:
    """The documents for ``ids`` that are assigned to ``agent_id`` (others left out), for sync."""
    if not ids:
        return {}
    rows = session.scalars(
        select(WorkOrder).where(WorkOrder.id.in_(ids), WorkOrder.assignee_id == agent_id)
    )
    return {row.id: work_order_view(row) for row in rows}


def callback_docs(session: Session, agent_id: str, ids: list[str]) -> dict[str, CallbackView]:
    """The documents for ``ids`` that belong to ``agent_id`` (others left out), for sync."""
    if not ids:
        return {}
    rows = session.scalars(select(Callback).where(Callback.id.in_(ids), Callback.agent_id == agent_id))
    return {row.id: callback_view(row) for row in rows}


# -- work orders -----------------------------------------------------------------


def _check_agent(session: Session, agent_id: str) -> None:
    if session.get(Agent, agent_id) is None:
        raise KeyError(agent_id)


def _next_number(session: Session, now: datetime) -> str:
    """``WO-YYYYMMDD-NNNN``: the UTC day, then one more than that day's highest
    (at least 4 digits; a 10,000th order of a day gets 5).

    Called inside a write transaction (``BEGIN IMMEDIATE``), so two creations
    cannot take the same number.
    """
    prefix = f"WO-{now:%Y%m%d}-"
    last = session.scalar(
        select(WorkOrder.number)
        .where(WorkOrder.number.like(prefix + "%"))
        .order_by(func.length(WorkOrder.number).desc(), WorkOrder.number.desc())
        .limit(1)
    )
    sequence = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{sequence:04d}"


def _announce_work_order(session: Session, row: WorkOrder) -> WorkOrderView:
    session.flush()
    view = work_order_view(row)
    record_change(session, WORK_ORDERS, row.id, agent_id=row.assignee_id)
    publish(session, agent_id=row.assignee_id, type="work_order", data=view.model_dump(mode="json"))
    return view


def create_work_order(
    ctx: ServerContext,
    *,
    assignee_id: str,
    title: str,
    due_at: datetime,
    kind: str = "work_order",
    status: str = "open",
    work_order_id: str | None = None,
) -> WorkOrderView:
    """Create a work order in ``assignee_id``'s queue (version 1) and tell that agent.

    ``due_at`` is an aware datetime (stored as UTC); ``title`` is kept as
    given (at most 256 characters). The number is ``WO-<UTC date>-NNNN``; the
    id defaults to a random ``wo-…``. Records a ``work_orders`` change and a
    ``work_order`` event for the assignee. Raises ``KeyError`` for an unknown
    agent and ``ValueError`` for an unknown ``kind``/``status``, a title that
    is empty or too long, a naive ``due_at`` or a taken id.
    """
    if kind not in _KINDS:
        raise ValueError(f"unknown work-order kind {kind!r}")
    if status not in _STATUSES:
        raise ValueError(f"unknown work-order status {status!r}")
    if not title.strip() or len(title) > 256:
        raise ValueError("a work-order title has 1 to 256 characters")
    if due_at.tzinfo is None:
        raise ValueError("naive due_at: pass an aware datetime")
    now = utcnow()
    with ctx.db.write() as session:
        _check_agent(session, assignee_id)
        ident = work_order_id or f"wo-{secrets.token_hex(6)}"
        if session.get(WorkOrder, ident) is not None:
            raise ValueError(f"work order {ident} already exists")
        row = WorkOrder(
            id=ident,
            number=_next_number(session, now),
            kind=kind,
            title=title,
            status=status,
            assignee_id=assignee_id,
            due_at=due_at,
            created_at=now,
            updated_at=now,
            version=1,
        )
        session.add(row)
        return _announce_work_order(session, row)


def update_work_order(
    ctx: ServerContext,
    work_order_id: str,
    *,
    status: str | None = None,
    title: str | None = None,
    due_at: datetime | None = None,
    assignee_id: str | None = None,
) -> WorkOrderView:
    """Change a work order's status, title, deadline or assignee; bumps ``version``.

    Reassigning records a deletion in the previous agent's ``work_orders``
    collection. Raises ``KeyError`` for an unknown work order or agent and
    ``ValueError`` for an unknown status, a bad title or a naive ``due_at``.
    (Issue #6 adds the state machine and version checks on top.)
    """
    if status is not None and status not in _STATUSES:
        raise ValueError(f"unknown work-order status {status!r}")
    if title is not None and (not title.strip() or len(title) > 256):
        raise ValueError("a work-order title has 1 to 256 characters")
    if due_at is not None and due_at.tzinfo is None:
        raise ValueError("naive due_at: pass an aware datetime")
    with ctx.db.write() as session:
        row = session.get(WorkOrder, work_order_id)
        if row is None:
            raise KeyError(work_order_id)
        if status is not None:
            row.status = status
        if title is not None:
            row.title = title
        if due_at is not None:
            row.due_at = due_at
        if assignee_id is not None and assignee_id != row.assignee_id:
            _check_agent(session, assignee_id)
            record_change(session, WORK_ORDERS, row.id, agent_id=row.assignee_id, deleted=True)
            row.assignee_id = assignee_id
        row.version += 1
        row.updated_at = utcnow()
        return _announce_work_order(session, row)


# -- callbacks ----------------------------------------------------------------------


def _announce_callback(session: Session, row: Callback) -> CallbackView:
    session.flush()
    view = callback_view(row)
    record_change(session, CALLBACKS, row.id, agent_id=row.agent_id)
    publish(session, agent_id=row.agent_id, type="callback", data=view.model_dump(mode="json"))
    return view


def _looks_masked(phone_masked: str) -> bool:
    digits = sum(ch.isdigit() for ch in phone_masked)
    return "*" in phone_masked and digits <= 7 and len(phone_masked) <= 32


def create_callback(
    ctx: ServerContext,
    *,
    agent_id: str,
    customer_name: str,
    phone_masked: str,
    scheduled_at: datetime,
    note: str = "",
    callback_id: str | None = None,
) -> CallbackView:
    """Schedule a callback for ``agent_id`` (status ``scheduled``, version 1) and tell that agent.

    ``customer_name`` and ``phone_masked`` must already be masked (design §8;
    ``csdesk.server.sms.mask_phone`` makes ``138****5678``): a phone with
    more than 7 digits or no ``*`` is refused. ``scheduled_at`` is an aware
    datetime (stored as UTC). Records a ``callbacks`` change and a
    ``callback`` event. Raises ``KeyError`` for an unknown agent and
    ``ValueError`` for an unmasked phone, an empty name, a naive time or a
    taken id.
    """
    if not _looks_masked(phone_masked):
        raise ValueError("phone_masked must be a masked number such as 138****5678")
    if not customer_name.strip() or len(customer_name) > 128:
        raise ValueError("a customer name has 1 to 128 characters")
    if scheduled_at.tzinfo is None:
        raise ValueError("naive scheduled_at: pass an aware datetime")
    now = utcnow()
    with ctx.db.write() as session:
        _check_agent(session, agent_id)
        ident = callback_id or f"cb-{secrets.token_hex(6)}"
        if session.get(Callback, ident) is not None:
            raise ValueError(f"callback {ident} already exists")
        row = Callback(
            id=ident,
            agent_id=agent_id,
            customer_name=customer_name,
            phone_masked=phone_masked,
            scheduled_at=scheduled_at,
            note=note,
            status="scheduled",
            created_at=now,
            updated_at=now,
            version=1,
        )
        session.add(row)
        return _announce_callback(session, row)


def update_callback(
    ctx: ServerContext,
    callback_id: str,
    *,
    status: str | None = None,
    scheduled_at: datetime | None = None,
    note: str | None = None,
) -> CallbackView:
    """Mark a callback done or cancelled, move it, or change its note; bumps ``version``.

    Raises ``KeyError`` for an unknown callback and ``ValueError`` for an
    unknown status or a naive time.
    """
    if status is not None and status not in _CALLBACK_STATUSES:
        raise ValueError(f"unknown callback status {status!r}")
    if scheduled_at is not None and scheduled_at.tzinfo is None:
        raise ValueError("naive scheduled_at: pass an aware datetime")
    with ctx.db.write() as session:
        row = session.get(Callback, callback_id)
        if row is None:
            raise KeyError(callback_id)
        if status is not None:
            row.status = status
        if scheduled_at is not None:
            row.scheduled_at = scheduled_at
        if note is not None:
            row.note = note
        row.version += 1
        row.updated_at = utcnow()
        return _announce_callback(session, row)
