"""``/sync/{collection}``: pull changes after a cursor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from csdesk.domain.schemas import SyncPage
from csdesk.server.deps import Auth, Ctx, problems
from csdesk.server.sync import DEFAULT_LIMIT, MAX_LIMIT, parse_cursor, sync_page

router = APIRouter(prefix="/sync", tags=["sync"])


@router.get("/{collection}", response_model=SyncPage, responses=problems(401, 404, 422))
def sync(
    collection: Annotated[str, Path(max_length=64, description="`announcements`, `settings`, `work_orders`, `callbacks`, `session_records`, `knowledge`, `team_phrases` or `my_phrases`")],
    ctx: Ctx,
    auth: Auth,
    since: Annotated[
        str | None, Query(description="Cursor from the previous page; empty = start")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> SyncPage:
    """Changes of ``collection`` after ``since``; call again with ``cursor`` while ``has_more``.

    404 ``not-found`` for an unknown collection; 422 ``validation-error`` for a bad cursor.
    """
    cursor = parse_cursor(since)
    with ctx.db.read() as session:
        return sync_page(session, collection, auth.agent_id, cursor, limit)
