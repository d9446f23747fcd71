"""Read the agent's to-dos and the work items they point at from the local store.

The rules are :func:`csdesk.domain.todos.todo_items` (operating guide §1.2)
and :func:`csdesk.domain.todos.due_callbacks` (issue #6: due callbacks on
the desk); this module feeds them the local copies that sync keeps
(collections ``work_orders``, ``callbacks``, ``announcements`` + local acks)
and the orders made here and not yet numbered (``work_orders_local``).
Store reads are blocking file I/O, so they run through ``SyncService.io``
(a thread); :func:`load_desk_todos` reads once for both rules.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Final

from pydantic import ValidationError

from csdesk.domain import schemas
from csdesk.domain.work_order_schemas import WorkOrderDoc
from csdesk.services.work_orders import LOCAL_ORDERS, WORK_ORDERS
from csdesk.domain.todos import (
    OPEN_WORK_ORDER_STATUSES,
    PENDING_CALLBACK_STATUS,
    DueCallback,
    TodoItem,
    due_callbacks,
    todo_items,
)

if TYPE_CHECKING:
    from csdesk.services.session import DeskSession

#: Local collections the to-dos are made of (besides announcements; the
#: work orders' are ``csdesk.services.work_orders``': synced, and made here
#: and not numbered yet).
CALLBACKS: Final = "callbacks"
#: Collections whose changes can change the to-do list.
TODO_COLLECTIONS: Final = frozenset({WORK_ORDERS, CALLBACKS, "announcements"})


@dataclass(frozen=True)
class DeskTodos:
    """What the desk shows of the to-dos at ``now`` (aware UTC): the to-dos
    (``items``, :func:`~csdesk.domain.todos.todo_items`) and the callbacks
    due now or soon (``due``, :func:`~csdesk.domain.todos.due_callbacks`)."""

    items: list[TodoItem]
    due: list[DueCallback]
    now: datetime


def local_timezone() -> tzinfo:
    """The terminal's time zone now (its UTC offset at this instant)."""
    zone = datetime.now().astimezone().tzinfo
    return zone if zone is not None else UTC


def session_now(session: DeskSession) -> datetime:
    """Now by the server's clock (local clock + the skew measured at pre-flight), aware UTC."""
    return datetime.now(UTC) + timedelta(seconds=session.clock_skew)


async def load_todos(
    session: DeskSession, *, now: datetime | None = None, tz: tzinfo | None = None
) -> list[TodoItem]:
    """The signed-in agent's to-dos from the local copy (see ``domain.todos``).

    ``now`` defaults to :func:`session_now`, ``tz`` to :func:`local_timezone`.
    Needs an open store (``AssertionError`` otherwise); store errors propagate.
    """
    return (await load_desk_todos(session, now=now, tz=tz)).items


async def load_desk_todos(
    session: DeskSession, *, now: datetime | None = None, tz: tzinfo | None = None
) -> DeskTodos:
    """The signed-in agent's to-dos and due callbacks from one read of the local copy.

    ``now`` (aware) defaults to :func:`session_now`, ``tz`` to
    :func:`local_timezone`. Needs an open store (``AssertionError``
    otherwise); store errors propagate.
    """
    assert session.sync is not None and session.store is not None and session.employee_id
    agent_id = session.employee_id
    store = session.store
    announcements = await session.announcements()
    work_orders, callbacks = await session.sync.io(_read_work_items, store, agent_id)
    now = now or session_now(session)
    return DeskTodos(
        items=todo_items(
            agent_id, work_orders=work_orders, callbacks=callbacks,
            announcements=announcements, now=now, tz=tz or local_timezone(),
        ),
        due=due_callbacks(agent_id, work_orders=work_orders, callbacks=callbacks, now=now),
        now=now,
    )


async def load_work_item(
    session: DeskSession, kind: str, item_id: str
) -> WorkOrderDoc | schemas.Callback | None:
    """The local copy of work order (``kind="work_order"``; a synced order,
    else one made here and not numbered yet) or callback (``"callback"``)
    ``item_id``, or None when absent or unreadable.
    Raises ``ValueError`` for another ``kind``."""
    assert session.sync is not None and session.store is not None
    model: type[WorkOrderDoc] | type[schemas.Callback]
    if kind == "work_order":
        collection, model = WORK_ORDERS, WorkOrderDoc
    elif kind == "callback":
        collection, model = CALLBACKS, schemas.Callback
    else:
        raise ValueError(f"not a work item kind: {kind!r}")
    store = session.store
    doc = await session.sync.io(store.get, collection, item_id)
    if doc is None and kind == "work_order":
        # An order made here and not numbered yet (the to-dos list it too).
        doc = await session.sync.io(store.get, LOCAL_ORDERS, item_id)
    if doc is None:
        return None
    try:
        return model.model_validate(doc)
    except ValidationError:
        return None


def _read_work_items(store: Any, agent_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The stored work orders (synced, then the local ones whose backend order
    has not arrived) and callbacks that may be ``agent_id``'s open work
    (blocking). A cheap look at the raw fields picks them, and only those are
    copied (the others stay in the store's cache) and later parsed by the rules.
    """
    def text(doc: Mapping[str, Any], field: str) -> str:
        value = doc.get(field)
        return value if isinstance(value, str) else ""

    def mine(doc: Mapping[str, Any]) -> bool:
        return text(doc, "assignee_id") == agent_id and text(doc, "status") in OPEN_WORK_ORDER_STATUSES

    arrived: set[str] = set()
    orders: list[dict[str, Any]] = []
    for doc in store.collection(WORK_ORDERS):
        if text(doc, "client_ref"):
            arrived.add(text(doc, "client_ref"))
        if mine(doc):
            orders.append(copy.deepcopy(dict(doc)))
    for ident, doc in store.all(LOCAL_ORDERS).items():
        if ident not in arrived and text(doc, "client_ref") not in arrived and mine(doc):
            orders.append(doc)
    callbacks = [
        copy.deepcopy(dict(doc)) for doc in store.collection(CALLBACKS)
        if text(doc, "agent_id") == agent_id and text(doc, "status") == PENDING_CALLBACK_STATUS
    ]
    return orders, callbacks
