"""Business operations (issue #4, guide §2.3): the catalogue, risk disclosures, execution.

See :mod:`csdesk.server.operations` and :mod:`csdesk.server.disclosures`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from csdesk.domain.contact_schemas import (
    DisclosureRequest,
    DisclosureResult,
    OperationDone,
    OperationRequest,
    OperationSpec,
    WealthProduct,
)
from csdesk.server.contacts import requested_language
from csdesk.server.deps import (
    Auth,
    Ctx,
    IdempotencyKeyHeader,
    idempotent_answer,
    problems,
)
from csdesk.server.disclosures import get_disclosure, send_disclosure
from csdesk.server.idempotency import Outcome
from csdesk.server.operations import catalogue, execute, products
from csdesk.server.problems import ProblemError
from csdesk.server.routes.contacts import AcceptLanguage

router = APIRouter(tags=["operations"])

Lang = Annotated[
    str | None,
    Query(description="Language of the result's summary: zh-CN or en "
                      "(default: Accept-Language, else both: 中文 · English)."),
]


@router.get("/operations", response_model=list[OperationSpec], responses=problems(401))
def list_operations(_ctx: Ctx, _auth: Auth) -> list[OperationSpec]:
    """The business-operation catalogue (zh-CN and en texts), in catalogue order."""
    return list(catalogue().values())


@router.get("/operations/products", response_model=list[WealthProduct], responses=problems(401))
def list_products(_ctx: Ctx, _auth: Auth) -> list[WealthProduct]:
    """The wealth-management products on sale with their risk rating (R1–R5)."""
    return list(products().values())


@router.post(
    "/contacts/{contact_id}/disclosures",
    response_model=DisclosureResult,
    responses=problems(401, 404, 409, 422),
)
def post_disclosure(
    contact_id: str, body: DisclosureRequest, ctx: Ctx, auth: Auth
) -> DisclosureResult:
    """Send the operation's risk disclosure into the transcript; ``consent`` is None until
    the customer answers (then a ``disclosure`` event is sent)."""
    return send_disclosure(ctx, auth.agent_id, contact_id, body.operation, body.language)


@router.get(
    "/contacts/{contact_id}/disclosures/{disclosure_id}",
    response_model=DisclosureResult,
    responses=problems(401, 404),
)
def read_disclosure(
    contact_id: str, disclosure_id: str, ctx: Ctx, auth: Auth
) -> DisclosureResult:
    """One disclosure of the agent's contact, for polling its consent."""
    return get_disclosure(ctx, auth.agent_id, contact_id, disclosure_id)


@router.post(
    "/contacts/{contact_id}/operations/{code}",
    response_model=OperationDone,
    responses=problems(401, 403, 404, 409, 422, 423),
)
def post_operation(
    contact_id: str,
    code: str,
    body: OperationRequest,
    request: Request,
    ctx: Ctx,
    auth: Auth,
    key: IdempotencyKeyHeader,
    lang: Lang = None,
    accept_language: AcceptLanguage = None,
) -> JSONResponse:
    """Execute an operation of the catalogue; ``Idempotency-Key`` required.

    ``summary`` is in ``?lang=`` (else ``Accept-Language``; neither: both
    languages, ``中文 · English``). 403 ``verification-required`` (with
    ``required_level``/``current_level``), 409 ``disclosure-required``, 422
    ``validation-error`` with per-field ``errors``, 403
    ``risk-rating-exceeded``, 423 ``verification-locked``. The same key and
    body return the first answer and execute nothing.
    """
    language = requested_language(lang, accept_language)
    if key is None:
        raise ProblemError(
            "validation-error",
            "Operations need an Idempotency-Key.",
            errors=[{"field": "header.Idempotency-Key", "message": "required"}],
        )

    def apply(session: Session) -> Outcome:
        done = execute(session, auth.agent_id, contact_id, code, dict(body.fields),
                       body.disclosure_id, language)
        return Outcome(200, done.model_dump(mode="json"))

    return idempotent_answer(request, ctx, auth, key, body.model_dump(mode="json"), apply)
