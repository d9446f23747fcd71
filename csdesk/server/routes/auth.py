"""``/auth``: sign-in with password then TOTP, token refresh, sign-out."""

from __future__ import annotations

from fastapi import APIRouter, Response

from csdesk.domain.schemas import LoginRequest, MfaChallenge, MfaRequest, RefreshRequest, TokenPair
from csdesk.server import auth as service
from csdesk.server.deps import Auth, Ctx, problems

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=MfaChallenge, responses=problems(401, 422))
def login(body: LoginRequest, ctx: Ctx) -> MfaChallenge:
    """Step 1: employee ID + password → an MFA ticket.

    401 ``invalid-credentials`` for a wrong password or unknown ID (same answer).
    """
    return service.login(ctx, body.employee_id, body.password)


@router.post("/mfa", response_model=TokenPair, responses=problems(401, 422))
def mfa(body: MfaRequest, ctx: Ctx) -> TokenPair:
    """Step 2: ticket + TOTP code → tokens; the agent becomes Not Ready (``sign_in``).

    401 ``invalid-code`` or ``mfa-ticket-invalid``.
    """
    return service.complete_mfa(ctx, body.mfa_ticket, body.code)


@router.post("/refresh", response_model=TokenPair, responses=problems(401, 422))
def refresh(body: RefreshRequest, ctx: Ctx) -> TokenPair:
    """Rotate: a refresh token → a new pair; the old refresh token stops working."""
    return service.refresh(ctx, body.refresh_token)


@router.post("/logout", status_code=204, response_class=Response, responses=problems(401))
def logout(ctx: Ctx, auth: Auth) -> Response:
    """Sign out: the agent goes Offline and this sign-in's tokens are revoked."""
    service.logout(ctx, auth)
    return Response(status_code=204)
