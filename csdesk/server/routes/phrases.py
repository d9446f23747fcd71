"""``/me/phrases``: the agent's personal quick phrases (issue #5, guide §1.3/§3.4).

Team phrases are read through ``GET /sync/team_phrases`` only; personal ones
sync through ``GET /sync/my_phrases`` and change here. Desks send changes
from their outbox with an ``Idempotency-Key`` (a repeat answers the first
result and applies nothing) and the version the change was based on.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from csdesk.domain.phrase_schemas import PhraseDelete, PhraseDeleted, PhraseDoc, PhraseWrite
from csdesk.server.deps import Auth, Ctx, IdempotencyKeyHeader, idempotent_answer, problems
from csdesk.server.idempotency import Outcome
from csdesk.server.phrases import delete_personal_phrase, list_personal_phrases, save_personal_phrase

router = APIRouter(prefix="/me/phrases", tags=["phrases"])

PhraseId = Annotated[
    str, Path(max_length=64, description="The phrase id the desk chose (`p-<32 hex>`)")
]


@router.get("", response_model=list[PhraseDoc], responses=problems(401))
def my_phrases(ctx: Ctx, auth: Auth) -> list[PhraseDoc]:
    """The agent's live personal phrases, by code."""
    with ctx.db.read() as session:
        return list_personal_phrases(session, auth.agent_id)


@router.put("/{phrase_id}", response_model=PhraseDoc, responses=problems(401, 409, 422))
def put_phrase(
    phrase_id: PhraseId, body: PhraseWrite, request: Request, ctx: Ctx, auth: Auth,
    key: IdempotencyKeyHeader,
) -> JSONResponse:
    """Create (``base_version`` 0) or replace a personal phrase; the stored phrase answers.

    409 ``version-conflict`` (``current_version`` in the problem) when the
    stored version is not ``base_version``; 422 ``validation-error`` with
    field errors (code format or taken by another of the agent's phrases,
    title/body required, lengths, unknown placeholders, too many phrases).
    """

    def apply(session: Session) -> Outcome:
        doc = save_personal_phrase(session, auth.agent_id, phrase_id, body)
        return Outcome(200, doc.model_dump(mode="json"))

    return idempotent_answer(request, ctx, auth, key, body.model_dump(mode="json"), apply)


@router.delete("/{phrase_id}", response_model=PhraseDeleted, responses=problems(401, 409, 422))
def delete_phrase(
    phrase_id: PhraseId, body: PhraseDelete, request: Request, ctx: Ctx, auth: Auth,
    key: IdempotencyKeyHeader,
) -> JSONResponse:
    """Delete a personal phrase (JSON body ``{"base_version": N}``).

    A phrase already gone answers as deleted. 409 ``version-conflict``
    (``current_version``) when the stored version is not ``base_version``.
    """

    def apply(session: Session) -> Outcome:
        gone = delete_personal_phrase(session, auth.agent_id, phrase_id, body.base_version)
        return Outcome(200, gone.model_dump(mode="json"))

    return idempotent_answer(request, ctx, auth, key, body.model_dump(mode="json"), apply)
