"""Read the agent's to-dos and the work items they point at from the local store.

The rule is :func:`csdesk.domain.todos.todo_items` (operating guide §1.2);
this module feeds it the local copies that sync keeps (collections
``work_orders``, ``callbacks``, ``announcements`` + local acks). Store reads
are blocking file I/O, so they run through ``SyncService.io`` (a thread).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Final

from pydantic import ValidationError

from csdesk.domain import schemas
from csdesk.domain.work_order_schemas import WorkOrderDoc
from csdesk.domain.todos import TodoItem, todo_items

if TYPE_CHECKING:
    from csdesk.services.session import DeskSession

#: Local collections the to-dos are made of (besides announcements).
WORK_ORDERS: Final = "work_orders"
CALLBACKS: Final = "callbacks"
#: Collections whose changes can change the to-do list.
TODO_COLLECTIONS: Final = frozenset({WORK_ORDERS, CALLBACKS, "announcements"})


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
    assert session.sync is not None and session.store is not None and session.employee_id
    store = session.store
    announcements = await session.announcements()

    def read() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return list(store.all(WORK_ORDERS).values()), list(store.all(CALLBACKS).values())

    work_orders, callbacks = await session.sync.io(read)
    return todo_items(
        session.employee_id,
        work_orders=work_orders,
        callbacks=callbacks,
        announcements=announcements,
        now=now or session_now(session),
        tz=tz or local_timezone(),
    )


async def load_work_item(
    session: DeskSession, kind: str, item_id: str
) -> WorkOrderDoc | schemas.Callback | None:
    """The local copy of work order (``kind="work_order"``) or callback
    (``"callback"``) ``item_id``, or None when absent or unreadable.
    Raises ``ValueError`` for another ``kind``."""
    assert session.sync is not None and session.store is not None
    model: type[WorkOrderDoc] | type[schemas.Callback]
    if kind == "work_order":
        collection, model = WORK_ORDERS, WorkOrderDoc
    elif kind == "callback":
        collection, model = CALLBACKS, schemas.Callback
    else:
        raise ValueError(f"not a work item kind: {kind!r}")
    doc = await session.sync.io(session.store.get, collection, item_id)
    if doc is None:
        return None
    try:
        return model.model_validate(doc)
    except ValidationError:
        return None
