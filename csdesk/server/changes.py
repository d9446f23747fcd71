"""The change log behind ``GET /api/v1/sync/{collection}``.

Each change to a synced document appends a row with a new ``seq``; the sync
cursor is the ``seq`` of the last row a client has seen. SQLite commits
writers one at a time (``BEGIN IMMEDIATE``), so rows become visible in
``seq`` order and a reader never skips one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from csdesk.server.db import utcnow
from csdesk.server.models import Change

#: Collections served by ``/sync``. ``work_orders``, ``callbacks`` and
#: ``session_records`` rows always name their agent (assignee / owner /
#: the agent who handled the contact): nobody else sees them. ``knowledge``
#: (issue #5) rows concern every agent, like new announcements.
COLLECTIONS = frozenset(
    {"announcements", "settings", "work_orders", "callbacks", "session_records", "knowledge"}
)
#: Quick phrases (issue #5): ``team_phrases`` rows concern every agent,
#: ``my_phrases`` rows name the agent who owns the phrase.
COLLECTIONS = COLLECTIONS | {"team_phrases", "my_phrases"}


def record_change(
    session: Session,
    collection: str,
    item_id: str,
    *,
    agent_id: str | None = None,
    deleted: bool = False,
) -> None:
    """Append a change of ``item_id`` in ``collection`` to ``session``'s transaction.

    ``agent_id=None``: the change concerns every agent; otherwise only that
    one. Raises ``ValueError`` for an unknown collection.
    """
    if collection not in COLLECTIONS:
        raise ValueError(f"unknown collection {collection!r}")
    session.add(
        Change(
            collection=collection,
            agent_id=agent_id,
            item_id=item_id,
            deleted=deleted,
            changed_at=utcnow(),
        )
    )


@dataclass(frozen=True)
class ChangeBatch:
    """Changed and deleted ids after a cursor, in first-seen order.

    ``cursor`` is the ``seq`` of the last row read (or the input cursor when
    none); ``has_more`` says more rows follow.
    """

    changed: list[str]
    deleted: list[str]
    cursor: int
    has_more: bool


def changes_after(
    session: Session, collection: str, agent_id: str, since: int, limit: int
) -> ChangeBatch:
    """Read up to ``limit`` change rows of ``collection`` after ``since`` for ``agent_id``.

    An id changed several times in the batch appears once; its last change
    decides whether it is in ``changed`` or ``deleted``.
    """
    rows = list(
        session.scalars(
            select(Change)
            .where(
                Change.collection == collection,
                Change.seq > since,
                or_(Change.agent_id == agent_id, Change.agent_id.is_(None)),
            )
            .order_by(Change.seq)
            .limit(limit + 1)
        )
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    last: dict[str, bool] = {}
    for row in rows:
        last.pop(row.item_id, None)
        last[row.item_id] = row.deleted
    return ChangeBatch(
        changed=[item for item, gone in last.items() if not gone],
        deleted=[item for item, gone in last.items() if gone],
        cursor=rows[-1].seq if rows else since,
        has_more=has_more,
    )
