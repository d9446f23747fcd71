"""Helpers for work-order tests (issue #6): make orders through the backend's own rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from csdesk.domain.work_order_schemas import WorkOrderCreate, WorkOrderDoc, WorkOrderMove
from csdesk.server.context import ServerContext
from csdesk.server.db import utcnow
from csdesk.server.models import WorkOrder
from csdesk.server.work_orders import create_work_order, move_work_order


def new_order(ctx: ServerContext, actor_id: str, *, now: datetime | None = None, **fields: Any) -> WorkOrderDoc:
    """Create an order as ``actor_id`` would (``POST /work-orders``): a P3
    follow-up titled "跟进" unless ``fields`` say otherwise."""
    values: dict[str, Any] = {"type": "follow_up", "title": "跟进", "priority": "P3", **fields}
    with ctx.db.write() as session:
        return create_work_order(session, ctx.work_orders, actor_id, WorkOrderCreate(**values), now or utcnow())


def move(ctx: ServerContext, actor_id: str, order: WorkOrderDoc, to: str, *, now: datetime | None = None,
         **fields: Any) -> WorkOrderDoc:
    """Move ``order`` (at its version) to ``to`` as ``actor_id``."""
    request = WorkOrderMove(base_version=order.version, to=to, **fields)  # type: ignore[arg-type]
    with ctx.db.write() as session:
        return move_work_order(session, ctx.work_orders, actor_id, order.id, request, now or utcnow())


def set_due(ctx: ServerContext, order_id: str, due_at: datetime) -> None:
    """Test seeding only: give a stored order the deadline ``due_at`` (past ones
    included, which the API refuses), as an order created long ago would have."""
    with ctx.db.write() as session:
        row = session.get(WorkOrder, order_id)
        assert row is not None
        row.resolution_due_at = due_at
