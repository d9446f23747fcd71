"""FastAPI dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from csdesk.domain.schemas import Problem
from csdesk.server.auth import AuthContext, authenticate
from csdesk.server.context import ServerContext
from csdesk.server.idempotency import Outcome, check_key, run_idempotent
from csdesk.server.problems import PROBLEM_MEDIA_TYPE

_bearer = HTTPBearer(
    auto_error=False, description="Opaque access token from /auth/mfa or /auth/refresh."
)


def get_ctx(request: Request) -> ServerContext:
    """The :class:`ServerContext` of the app serving ``request``."""
    ctx: ServerContext = request.app.state.ctx
    return ctx


def get_auth(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AuthContext:
    """The calling agent, from ``Authorization: Bearer``; 401 problem otherwise."""
    return authenticate(get_ctx(request), credentials.credentials if credentials else None)


def get_idempotency_key(
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="A UUID from the client outbox (1-255 visible ASCII).",
        ),
    ] = None,
) -> str | None:
    """The validated ``Idempotency-Key`` header, or ``None``."""
    return check_key(idempotency_key)


Ctx = Annotated[ServerContext, Depends(get_ctx)]
Auth = Annotated[AuthContext, Depends(get_auth)]
IdempotencyKeyHeader = Annotated[str | None, Depends(get_idempotency_key)]


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem answers for ``statuses``."""
    return {
        status: {
            "model": Problem,
            "description": "RFC 9457 problem details",
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def outcome_response(outcome: Outcome) -> JSONResponse:
    """The JSON answer of an idempotent mutation.

    A replayed answer carries ``Idempotent-Replayed: true``.
    """
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)


def idempotent_answer(
    request: Request,
    ctx: ServerContext,
    auth: AuthContext,
    key: str | None,
    body: Any,
    apply: Callable[[Session], Outcome],
) -> JSONResponse:
    """Run the mutation ``apply`` once per ``Idempotency-Key`` and answer it.

    ``body`` is the request's JSON-able body (a different body under a used
    key is refused, see :func:`csdesk.server.idempotency.run_idempotent`);
    the answer is :func:`outcome_response` of the first or replayed outcome.
    """
    outcome = run_idempotent(
        ctx,
        agent_id=auth.agent_id,
        key=key,
        method=request.method,
        path=request.url.path,
        body=body,
        apply=apply,
    )
    return outcome_response(outcome)
