"""``GET /api/v1/sync/{collection}``: documents changed after a cursor."""

from __future__ import annotations

from sqlalchemy.orm import Session

from csdesk.domain.schemas import SyncPage
from csdesk.server.agent_settings import SETTINGS_ITEM_ID, get_settings
from csdesk.server.announcements import announcement_docs
from csdesk.server.changes import COLLECTIONS, changes_after
from csdesk.server.problems import ProblemError
from csdesk.server.work_items import CALLBACKS, WORK_ORDERS, callback_docs, work_order_docs

#: Default and largest page size (rows of the change log).
DEFAULT_LIMIT = 500
MAX_LIMIT = 1000


def parse_cursor(since: str | None) -> int:
    """The ``since`` query value as a change sequence number.

    Absent or empty means 0 (from the start). Raises :class:`ProblemError`
    ``validation-error`` (422) for anything but a non-negative decimal integer.
    """
    if since is None or since == "":
        return 0
    if not since.isascii() or not since.isdigit() or len(since) > 18:
        raise ProblemError(
            "validation-error",
            "The cursor is not valid; sync again from the start.",
            errors=[{"field": "query.since", "message": "not a cursor returned by this server"}],
        )
    return int(since)


def sync_page(session: Session, collection: str, agent_id: str, since: int, limit: int) -> SyncPage:
    """One page of changes of ``collection`` for ``agent_id`` after cursor ``since``.

    Items are full documents with an ``id``: for ``announcements`` the fields
    of ``schemas.Announcement`` (with this agent's ack); for ``settings`` one
    item ``{"id": "settings", "data", "version", "updated_at"}``; for
    ``work_orders`` / ``callbacks`` the fields of ``schemas.WorkOrder`` /
    ``schemas.Callback``, only rows assigned to / owned by ``agent_id`` (a
    row that is not, or no longer, is reported deleted). Raises
    :class:`ProblemError` ``not-found`` (404) for an unknown collection.
    """
    if collection not in COLLECTIONS:
        raise ProblemError("not-found", f"No collection {collection!r}.")
    batch = changes_after(session, collection, agent_id, since, limit)
    items: list[dict[str, object]] = []
    deleted = list(batch.deleted)
    if collection in ("announcements", WORK_ORDERS, CALLBACKS):
        docs_of = {
            "announcements": announcement_docs,
            WORK_ORDERS: work_order_docs,
            CALLBACKS: callback_docs,
        }[collection]
        docs = docs_of(session, agent_id, batch.changed)
        for item_id in batch.changed:
            doc = docs.get(item_id)
            if doc is None:
                deleted.append(item_id)
            else:
                items.append(doc.model_dump(mode="json"))
    else:
        if SETTINGS_ITEM_ID in batch.changed:
            settings = get_settings(session, agent_id).model_dump(mode="json")
            items.append({"id": SETTINGS_ITEM_ID, **settings})
    return SyncPage(
        collection=collection,
        items=items,
        deleted=deleted,
        cursor=str(batch.cursor),
        has_more=batch.has_more,
    )
