"""``GET /api/v1/sync/{collection}``: documents changed after a cursor."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.schemas import SyncPage
from csdesk.server.agent_settings import SETTINGS_ITEM_ID, get_settings
from csdesk.server.announcements import announcement_docs
from csdesk.server.changes import COLLECTIONS, changes_after, record_change
from csdesk.server.contacts import SESSION_RECORDS, session_record_docs
from csdesk.server.context import ServerContext
from csdesk.server.knowledge import KNOWLEDGE, KNOWLEDGE_LIMIT, knowledge_docs
from csdesk.server.models import Change, SessionRecord
from csdesk.server.phrases import MY_PHRASES, TEAM_PHRASES, personal_phrase_docs, team_phrase_docs
from csdesk.server.problems import ProblemError
from csdesk.server.work_items import CALLBACKS, callback_docs
from csdesk.server.work_orders import WORK_ORDERS, work_order_docs

#: Default and largest page size (rows of the change log).
DEFAULT_LIMIT = 500
MAX_LIMIT = 1000
#: Largest page of ``session_records``: each carries its whole transcript.
SESSION_RECORDS_LIMIT = 100


def backfill_session_records(ctx: ServerContext) -> int:
    """Give session records written before ``session_records`` was a sync collection a
    change row each (for their agent), so their agents' desks pull them; return how many.

    Idempotent (records that have one are left alone); runs at backend start.
    """
    with ctx.db.write() as session:
        known = select(Change.item_id).where(Change.collection == SESSION_RECORDS)
        missing = session.execute(
            select(SessionRecord.id, SessionRecord.agent_id)
            .where(SessionRecord.id.not_in(known))
            .order_by(SessionRecord.wrapped_up_at)
        ).all()
        for record_id, agent_id in missing:
            record_change(session, SESSION_RECORDS, record_id, agent_id=agent_id)
    return len(missing)


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
    ``work_orders`` the fields of
    ``csdesk.domain.work_order_schemas.WorkOrderDoc`` (with the history), only
    the orders ``agent_id`` sees (issue #6: created by them, assigned to them,
    in a queue of their team, or escalated for a supervisor; one no longer
    seen is reported deleted); for ``callbacks`` the fields of
    ``schemas.Callback``, only rows owned by ``agent_id``; for
    ``session_records`` the agent's own records as
    :func:`csdesk.server.contacts.session_record_docs` makes them (with the
    transcript; pages hold at most :data:`SESSION_RECORDS_LIMIT`); for
    ``knowledge`` (issue #5) the published articles as
    ``csdesk.domain.knowledge.KnowledgeArticleDoc``, the same for every agent
    (an article retired or put back to draft is reported deleted; pages hold
    at most :data:`csdesk.server.knowledge.KNOWLEDGE_LIMIT`). Raises
    :class:`ProblemError` ``not-found`` (404) for an unknown collection.
    """
    if collection not in COLLECTIONS:
        raise ProblemError("not-found", f"No collection {collection!r}.")
    if collection == SESSION_RECORDS:
        limit = min(limit, SESSION_RECORDS_LIMIT)
    elif collection == KNOWLEDGE:
        limit = min(limit, KNOWLEDGE_LIMIT)
    batch = changes_after(session, collection, agent_id, since, limit)
    items: list[dict[str, object]] = []
    deleted = list(batch.deleted)
    if collection == SESSION_RECORDS:
        records = session_record_docs(session, agent_id, batch.changed)
        for item_id in batch.changed:
            if item_id in records:
                items.append(records[item_id])
            else:
                deleted.append(item_id)
    elif collection in ("announcements", WORK_ORDERS, CALLBACKS, KNOWLEDGE, TEAM_PHRASES, MY_PHRASES):
        makers: dict[str, Callable[[Session, str, list[str]], Mapping[str, BaseModel]]] = {
            "announcements": announcement_docs,
            WORK_ORDERS: work_order_docs,
            CALLBACKS: callback_docs,
            KNOWLEDGE: knowledge_docs,
            # issue #5 quick phrases (csdesk.domain.phrase_schemas.PhraseDoc): team ones for
            # every agent; the agent's own live ones (a deleted one is reported deleted)
            TEAM_PHRASES: team_phrase_docs,
            MY_PHRASES: personal_phrase_docs,
        }
        docs = makers[collection](session, agent_id, batch.changed)
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
