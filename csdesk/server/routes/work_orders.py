"""``/work-orders``: create, read, change, move, assign, comment on and extend
work orders and complaints (issue #6, operating guide §2.4, §3.2).

Every change carries an ``Idempotency-Key`` (a repeat answers the first
result and applies nothing) and, but for comments, the ``base_version`` it
was made on (a stale one is a 409 ``version-conflict`` with the stored order
in ``current``). Desks read orders through ``GET /sync/work_orders`` (the
orders they see); the routes here answer the changed order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from csdesk.domain import work_order_schemas as ws
from csdesk.server import work_orders as orders
from csdesk.server.db import utcnow
from csdesk.server.deps import Auth, Ctx, IdempotencyKeyHeader, idempotent_answer, problems
from csdesk.server.idempotency import Outcome
from csdesk.server.problems import ProblemError

router = APIRouter(prefix="/work-orders", tags=["work orders"])

OrderId = Annotated[str, Path(max_length=64, description="The order's id (`wo-…`) or number (`WO-…`)")]

def _apply(request: Request, ctx: Ctx, auth: Auth, key: str | None, body: BaseModel,
           change: Callable[[Session], ws.WorkOrderDoc], status: int = 200) -> JSONResponse:
    def apply(session: Session) -> Outcome:
        return Outcome(status, change(session).model_dump(mode="json"))

    return idempotent_answer(request, ctx, auth, key, body.model_dump(mode="json"), apply)


def _change(request: Request, ctx: Ctx, auth: Auth, key: str | None, order_id: str, body: BaseModel,
            fn: Callable[..., ws.WorkOrderDoc]) -> JSONResponse:
    """Apply ``fn(session, config, agent, order_id, body, now)`` once per key (see :func:`_apply`)."""
    return _apply(request, ctx, auth, key, body,
                  lambda s: fn(s, ctx.work_orders, auth.agent_id, order_id, body, utcnow()))


@router.get("/catalogue", response_model=ws.WorkOrderCatalogue, responses=problems(401))
def catalogue(ctx: Ctx, auth: Auth) -> ws.WorkOrderCatalogue:
    """Queues, routing rules, the business calendar, the reopen window and the agents."""
    with ctx.db.read() as session:
        return orders.catalogue(session, ctx.work_orders)


@router.post("", response_model=ws.WorkOrderDoc, status_code=201, responses=problems(401, 422))
def create(body: ws.WorkOrderCreate, request: Request, ctx: Ctx, auth: Auth,
           key: IdempotencyKeyHeader) -> JSONResponse:
    """Create an order (routed to a queue by the rules unless ``queue`` is given).

    A ``client_ref`` already used answers the order made then. 422
    ``validation-error`` with field errors ``body.<field>`` (codes
    ``required``, ``too-long``, ``unknown``, ``in-past``, ``not-allowed``).
    """
    return _apply(request, ctx, auth, key, body,
                  lambda s: orders.create_work_order(s, ctx.work_orders, auth.agent_id, body, utcnow()), 201)


@router.get("/{order_id}", response_model=ws.WorkOrderDoc, responses=problems(401, 404))
def read(order_id: OrderId, ctx: Ctx, auth: Auth) -> ws.WorkOrderDoc:
    """One order with its history (any order the agent sees; 404 otherwise)."""
    with ctx.db.read() as session:
        row = orders.find_row(session, order_id)
        doc = orders.work_order_docs(session, auth.agent_id, [row.id]).get(row.id)
        if doc is None:
            raise ProblemError("not-found", "No such work order.")
        return doc


@router.patch("/{order_id}", response_model=ws.WorkOrderDoc, responses=problems(401, 404, 409, 422))
def edit(order_id: OrderId, body: ws.WorkOrderEdit, request: Request, ctx: Ctx, auth: Auth,
         key: IdempotencyKeyHeader) -> JSONResponse:
    """Change fields (409 ``version-conflict`` with ``current`` on a stale ``base_version``)."""
    return _change(request, ctx, auth, key, order_id, body, orders.edit_work_order)


@router.post("/{order_id}/status", response_model=ws.WorkOrderDoc, responses=problems(401, 404, 409, 422))
def move(order_id: OrderId, body: ws.WorkOrderMove, request: Request, ctx: Ctx, auth: Auth,
         key: IdempotencyKeyHeader) -> JSONResponse:
    """Move along the status flow (409 ``illegal-transition``; 422 for missing closing facts)."""
    return _change(request, ctx, auth, key, order_id, body, orders.move_work_order)


@router.post("/{order_id}/assign", response_model=ws.WorkOrderDoc, responses=problems(401, 403, 404, 409, 422))
def assign(order_id: OrderId, body: ws.WorkOrderAssign, request: Request, ctx: Ctx, auth: Auth,
           key: IdempotencyKeyHeader) -> JSONResponse:
    """Move to a queue and/or give to an agent (403 ``forbidden`` for others than
    the holder, the creator or a lead of the team)."""
    return _change(request, ctx, auth, key, order_id, body, orders.assign_work_order)


@router.post("/{order_id}/comments", response_model=ws.WorkOrderDoc, responses=problems(401, 404, 422))
def comment(order_id: OrderId, body: ws.WorkOrderComment, request: Request, ctx: Ctx, auth: Auth,
            key: IdempotencyKeyHeader) -> JSONResponse:
    """Add an internal comment, or one said to the customer."""
    return _change(request, ctx, auth, key, order_id, body, orders.comment_work_order)


@router.post("/{order_id}/extend", response_model=ws.WorkOrderDoc, responses=problems(401, 404, 409, 422))
def extend(order_id: OrderId, body: ws.ComplaintExtend, request: Request, ctx: Ctx, auth: Auth,
           key: IdempotencyKeyHeader) -> JSONResponse:
    """Extend a complaint's time limit (complex case: 30 days; supervisor: up to 60)."""
    return _change(request, ctx, auth, key, order_id, body, orders.extend_complaint)
