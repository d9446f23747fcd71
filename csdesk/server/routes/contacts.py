"""The live session's endpoints: the agent's contact, offers, chat, call control, ACW, wrap-up.

Issue #4, operating guide §2.1-§2.3; see ``docs/protocol.md`` ("Live
session"). Every endpoint needs the agent's bearer token and acts only on
the agent's own contact (another agent's contact is a 404 like an unknown
one). Mutations take an ``Idempotency-Key`` (the same key replays the
first answer). Rules live in :mod:`csdesk.server.contacts`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from csdesk.domain.contact_schemas import (
    ContactView,
    DeclineRequest,
    DispositionCategory,
    MessageRequest,
    QueueStats,
    SessionRecordView,
    TranscriptLine,
    TransferRequest,
    WrapUpRequest,
)
from csdesk.server import contacts as core
from csdesk.server.deps import Auth, Ctx, IdempotencyKeyHeader, idempotent_answer, problems
from csdesk.server.dispositions import DISPOSITIONS
from csdesk.server.idempotency import Outcome
from csdesk.server.models import Contact
from csdesk.server.problems import ProblemError

router = APIRouter(tags=["live session"])

Lang = Annotated[
    str | None,
    Query(description="Greeting language: zh-CN or en (default: Accept-Language, else zh-CN)."),
]
AcceptLanguage = Annotated[str | None, Header(alias="Accept-Language")]


def _mutate(
    request: Request,
    ctx: Ctx,
    auth: Auth,
    key: str | None,
    body: object,
    apply: Callable[[Session], Outcome],
) -> JSONResponse:
    answer = idempotent_answer(request, ctx, auth, key, body, apply)
    ctx.routing_wake.set()
    return answer


def _view(session: Session, contact: Contact, language: str) -> Outcome:
    view = core.contact_view(session, contact, language=language)
    return Outcome(200, view.model_dump(mode="json"))


@router.get("/me/contact", response_model=ContactView, responses=problems(401, 404))
def my_contact(ctx: Ctx, auth: Auth, lang: Lang = None, accept_language: AcceptLanguage = None) -> ContactView:
    """The agent's live contact (offered, active or in wrap-up); 404 ``not-found`` when none."""
    with ctx.db.read() as session:
        contact = core.current_contact(session, auth.agent_id)
        if contact is None:
            raise ProblemError("not-found", "You have no contact.")
        return core.contact_view(session, contact, language=core.pick_language(lang, accept_language))


@router.get("/contacts/{contact_id}", response_model=ContactView, responses=problems(401, 404))
def get_contact(
    contact_id: str, ctx: Ctx, auth: Auth, lang: Lang = None, accept_language: AcceptLanguage = None
) -> ContactView:
    """One of the agent's contacts with the masked customer card, transcript and greeting."""
    with ctx.db.read() as session:
        contact = core.own_contact(session, auth.agent_id, contact_id)
        return core.contact_view(session, contact, language=core.pick_language(lang, accept_language))


@router.post("/contacts/{contact_id}/accept", response_model=ContactView, responses=problems(401, 404, 409))
def accept(
    contact_id: str, request: Request, ctx: Ctx, auth: Auth, key: IdempotencyKeyHeader,
    lang: Lang = None, accept_language: AcceptLanguage = None,
) -> JSONResponse:
    """Accept the offer: contact active, agent On Contact; the answer carries the greeting."""
    language = core.pick_language(lang, accept_language)

    def apply(session: Session) -> Outcome:
        return _view(session, core.accept_offer(session, auth.agent_id, contact_id), language)

    return _mutate(request, ctx, auth, key, {}, apply)


@router.post("/contacts/{contact_id}/decline", response_model=ContactView, responses=problems(401, 404, 409, 422))
def decline(
    contact_id: str, body: DeclineRequest, request: Request, ctx: Ctx, auth: Auth, key: IdempotencyKeyHeader
) -> JSONResponse:
    """Decline the offer: the contact goes back to the queue head, the agent Not Ready."""

    def apply(session: Session) -> Outcome:
        contact = core.decline_offer(session, auth.agent_id, contact_id, body.reason)
        view = core.contact_view(session, contact)
        return Outcome(200, view.model_dump(mode="json", exclude={"customer", "transcript"}))

    return _mutate(request, ctx, auth, key, body.model_dump(mode="json"), apply)


@router.post(
    "/contacts/{contact_id}/messages", response_model=TranscriptLine, status_code=201,
    responses=problems(401, 404, 409, 422),
)
def message(
    contact_id: str, body: MessageRequest, request: Request, ctx: Ctx, auth: Auth, key: IdempotencyKeyHeader
) -> JSONResponse:
    """A chat message to the customer, or a private note (``kind='note'``): the new line (201)."""
    lines: list[TranscriptLine] = []

    def apply(session: Session) -> Outcome:
        line = core.agent_message(session, auth.agent_id, contact_id, body.text, body.kind)
        lines.append(line)
        return Outcome(201, line.model_dump(mode="json"))

    answer = _mutate(request, ctx, auth, key, body.model_dump(mode="json"), apply)
    if lines and body.kind == "message":
        core.notify_agent_line(ctx, contact_id, lines[0])
    return answer


def _simple(name: str, doc: str, action: Callable[[Session, str, str], Contact]) -> None:
    def endpoint(
        contact_id: str, request: Request, ctx: Ctx, auth: Auth, key: IdempotencyKeyHeader
    ) -> JSONResponse:
        def apply(session: Session) -> Outcome:
            return _view(session, action(session, auth.agent_id, contact_id), "zh-CN")

        return _mutate(request, ctx, auth, key, {}, apply)

    endpoint.__doc__ = doc
    endpoint.__name__ = name.replace("/", "_").replace("-", "_")
    router.post(
        f"/contacts/{{contact_id}}/{name}", response_model=ContactView, responses=problems(401, 404, 409)
    )(endpoint)


_simple("hold", "Put a phone contact on hold.", lambda s, a, c: core.set_hold(s, a, c, True))
_simple("resume", "Resume a held phone contact (adds to ``hold_seconds``).",
        lambda s, a, c: core.set_hold(s, a, c, False))
_simple("mute", "Mute the agent on a phone contact.", lambda s, a, c: core.set_mute(s, a, c, True))
_simple("unmute", "Unmute the agent on a phone contact.", lambda s, a, c: core.set_mute(s, a, c, False))


@router.post("/contacts/{contact_id}/end", response_model=ContactView, responses=problems(401, 404, 409))
def end(contact_id: str, request: Request, ctx: Ctx, auth: Auth, key: IdempotencyKeyHeader) -> JSONResponse:
    """End the contact: wrap-up, agent ACW, ``acw_deadline`` = now + ``acw_seconds``."""

    def apply(session: Session) -> Outcome:
        contact = core.end_contact(session, ctx.settings, auth.agent_id, contact_id)
        return _view(session, contact, "zh-CN")

    return _mutate(request, ctx, auth, key, {}, apply)


@router.post("/contacts/{contact_id}/acw/extend", response_model=ContactView, responses=problems(401, 404, 409))
def extend(contact_id: str, request: Request, ctx: Ctx, auth: Auth, key: IdempotencyKeyHeader) -> JSONResponse:
    """Extend the ACW timer once by ``acw_seconds``; a second time is 409 ``illegal-transition``."""

    def apply(session: Session) -> Outcome:
        contact = core.extend_acw(session, ctx.settings, auth.agent_id, contact_id)
        return _view(session, contact, "zh-CN")

    return _mutate(request, ctx, auth, key, {}, apply)


@router.post(
    "/contacts/{contact_id}/transfer", response_model=ContactView, responses=problems(401, 404, 409, 422)
)
def transfer(
    contact_id: str, body: TransferRequest, request: Request, ctx: Ctx, auth: Auth, key: IdempotencyKeyHeader
) -> JSONResponse:
    """Transfer a phone contact to another phone queue: this contact to wrap-up, agent ACW."""

    def apply(session: Session) -> Outcome:
        contact, _new_id = core.transfer_contact(session, ctx.settings, auth.agent_id, contact_id, body.queue)
        return _view(session, contact, "zh-CN")

    return _mutate(request, ctx, auth, key, body.model_dump(mode="json"), apply)


@router.post(
    "/contacts/{contact_id}/wrap-up", response_model=SessionRecordView, responses=problems(401, 404, 409, 422)
)
def wrap_up(
    contact_id: str, body: WrapUpRequest, request: Request, ctx: Ctx, auth: Auth, key: IdempotencyKeyHeader
) -> JSONResponse:
    """Leave ACW with a disposition code: the session record; the agent Ready (or Not Ready).

    ``submitted_at`` is left out of the idempotency fingerprint: a desk
    whose first send got no answer queues the same wrap-up (same key) with
    the time the agent submitted it; if the first send did arrive, the
    queued copy must replay its answer, not be refused as another request.
    """

    def apply(session: Session) -> Outcome:
        record = core.wrap_up(session, auth.agent_id, contact_id, body)
        return Outcome(200, record.model_dump(mode="json"))

    return _mutate(request, ctx, auth, key, body.model_dump(mode="json", exclude={"submitted_at"}), apply)


@router.get("/dispositions", response_model=list[DispositionCategory], responses=problems(401))
def dispositions(auth: Auth) -> list[DispositionCategory]:
    """The two-level wrap-up list: categories with their codes (``{code, zh-CN, en}``)."""
    return DISPOSITIONS


@router.get("/queues", response_model=list[QueueStats], responses=problems(401))
def queues(ctx: Ctx, auth: Auth) -> list[QueueStats]:
    """Every configured queue: contacts waiting and the longest wait (s). Poll every few seconds."""
    with ctx.db.read() as session:
        return core.queue_stats(session, ctx.settings)
