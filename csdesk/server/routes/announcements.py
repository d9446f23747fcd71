"""``/announcements``: the current bulletins and their acknowledgement."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from csdesk.domain.schemas import AckRequest, AckResult, Announcement
from csdesk.server.announcements import acknowledge, current_announcements
from csdesk.server.deps import Auth, Ctx, IdempotencyKeyHeader, idempotent_answer, problems
from csdesk.server.idempotency import Outcome

router = APIRouter(prefix="/announcements", tags=["announcements"])


@router.get("", response_model=list[Announcement], responses=problems(401))
def list_announcements(ctx: Ctx, auth: Auth) -> list[Announcement]:
    """Published, unexpired announcements, newest first, with this agent's acknowledgement."""
    with ctx.db.read() as session:
        return current_announcements(session, auth.agent_id)


@router.post(
    "/{announcement_id}/ack", response_model=AckResult, responses=problems(401, 404, 409, 422)
)
def ack(
    announcement_id: Annotated[str, Path(max_length=64)],
    body: AckRequest,
    request: Request,
    ctx: Ctx,
    auth: Auth,
    key: IdempotencyKeyHeader,
) -> JSONResponse:
    """Acknowledge ``version`` of an announcement; the server records who and when.

    404 ``not-found``; 409 ``version-conflict`` when ``version`` is not the current one.
    """

    def apply(session: Session) -> Outcome:
        result = acknowledge(session, auth.agent_id, announcement_id, body.version)
        return Outcome(200, result.model_dump(mode="json"))

    return idempotent_answer(request, ctx, auth, key, body.model_dump(mode="json"), apply)
