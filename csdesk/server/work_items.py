"""Callbacks: create, change, and serve them to their agent by sync.

Operating guide §1.2 lists the scheduled callbacks among the to-dos shown
after sign-in. Each row belongs to one agent (``Callback.agent_id``): every
change is recorded in the change log for that agent only (sync collection
``callbacks``) and announced to that agent's event stream (type
``callback``), so the client pulls the new version at once. Work orders
(issue #6) are :mod:`csdesk.server.work_orders`.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.schemas import Callback as CallbackView
from csdesk.domain.schemas import CallbackStatus
from csdesk.server.changes import record_change
from csdesk.server.context import ServerContext
from csdesk.server.db import utcnow
from csdesk.server.events import publish
from csdesk.server.models import Agent, Callback

#: Sync collection and event type name.
CALLBACKS = "callbacks"

_CALLBACK_STATUSES = frozenset(get_args(CallbackStatus))


# -- rows → wire documents ----------------------------------------------------


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


def callback_docs(session: Session, agent_id: str, ids: list[str]) -> dict[str, CallbackView]:
    """The documents for ``ids`` that belong to ``agent_id`` (others left out), for sync."""
    if not ids:
        return {}
    rows = session.scalars(select(Callback).where(Callback.id.in_(ids), Callback.agent_id == agent_id))
    return {row.id: callback_view(row) for row in rows}


def _check_agent(session: Session, agent_id: str) -> None:
    if session.get(Agent, agent_id) is None:
        raise KeyError(agent_id)


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
