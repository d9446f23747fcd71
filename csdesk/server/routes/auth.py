"""``/auth``: sign-in (password, then TOTP or SMS), first sign-in, refresh, sign-out, idle lock.

See ``docs/protocol.md`` ("Issue #3 additions") and :mod:`csdesk.server.auth`.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from csdesk.domain.schemas import (
    DeskPolicyView,
    LoginRequest,
    MfaChallenge,
    MfaRequest,
    PasswordChangeRequest,
    PasswordPolicyView,
    ReauthRequest,
    RefreshRequest,
    SmsChallenge,
    TicketRequest,
    TokenPair,
    TotpConfirmRequest,
    TotpEnrolment,
)
from csdesk.server import auth as service
from csdesk.server.deps import Auth, Ctx, problems
from csdesk.server.views import policy_view

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=MfaChallenge, responses=problems(401, 422, 423))
def login(body: LoginRequest, ctx: Ctx) -> MfaChallenge:
    """Step 1: employee ID + password → an MFA ticket and what the next steps are.

    401 ``invalid-credentials`` for a wrong password or unknown ID (same
    answer); 423 ``account-locked`` (with ``locked_until``) after
    ``lockout_threshold`` failures in a row.
    """
    return service.login(ctx, body.employee_id, body.password)


@router.get("/password-policy", response_model=PasswordPolicyView)
def password_policy(ctx: Ctx) -> PasswordPolicyView:
    """The password rules in force (no auth), for the live checklist (operating guide §1.3)."""
    return policy_view(ctx.settings.password_policy)


@router.get("/desk-policy", response_model=DeskPolicyView)
def desk_policy(ctx: Ctx) -> DeskPolicyView:
    """The bank's limits on personal settings (no auth): ``max_idle_lock_minutes``.

    ``ServerSettings.max_idle_lock_minutes`` (15 by default). ``PUT
    /me/settings`` stores a longer ``idle_lock_minutes`` as this maximum.
    """
    return DeskPolicyView(max_idle_lock_minutes=ctx.settings.max_idle_lock_minutes)


@router.post(
    "/password", status_code=204, response_class=Response, responses=problems(401, 409, 422)
)
def change_password(body: PasswordChangeRequest, ctx: Ctx) -> Response:
    """Set a new password when the temporary or expired one must be changed (204).

    422 ``password-policy`` with ``errors: [{"rule", "message"}]``; 409
    ``password-change-not-required``; 401 ``mfa-ticket-invalid``.
    """
    service.change_password_with_ticket(ctx, body.mfa_ticket, body.new_password)
    return Response(status_code=204)


@router.post("/mfa", response_model=TokenPair, responses=problems(401, 403, 409, 422))
def mfa(body: MfaRequest, ctx: Ctx) -> TokenPair:
    """Step 2: ticket + TOTP or SMS code → tokens; the agent becomes Not Ready (``sign_in``).

    401 ``invalid-code`` or ``mfa-ticket-invalid``; 403
    ``password-change-required`` or ``totp-enrolment-required``; 409
    ``sms-unavailable``.
    """
    return service.complete_mfa(ctx, body.mfa_ticket, body.code, body.method)


@router.post("/totp/enrol", response_model=TotpEnrolment, responses=problems(401, 403, 409, 422))
def totp_enrol(body: TicketRequest, ctx: Ctx) -> TotpEnrolment:
    """A new TOTP secret and its ``otpauth://`` URI, while the agent has none (RFC 6238).

    A new call on the same ticket replaces the secret. 409
    ``totp-already-enrolled``; 403 ``password-change-required``.
    """
    return service.enrol_totp(ctx, body.mfa_ticket)


@router.post("/totp/confirm", response_model=TokenPair, responses=problems(401, 403, 409, 422))
def totp_confirm(body: TotpConfirmRequest, ctx: Ctx) -> TokenPair:
    """The first code of the new secret: enables it and signs in (like ``/auth/mfa``).

    401 ``invalid-code``; 403 ``totp-enrolment-required`` (no secret asked
    for on this ticket) or ``password-change-required``.
    """
    return service.confirm_totp(ctx, body.mfa_ticket, body.code)


@router.post("/sms", response_model=SmsChallenge, responses=problems(401, 403, 409, 422, 429))
def sms(body: TicketRequest, ctx: Ctx) -> SmsChallenge:
    """Send a 6-digit code by SMS (expires in 300 s); then ``/auth/mfa`` with ``method: "sms"``.

    409 ``sms-unavailable``; 429 ``too-many-requests`` after
    ``sms_max_sends`` codes on one ticket.
    """
    return service.send_sms_code(ctx, body.mfa_ticket)


@router.post("/refresh", response_model=TokenPair, responses=problems(401, 422))
def refresh(body: RefreshRequest, ctx: Ctx) -> TokenPair:
    """Rotate: a refresh token → a new pair; the old refresh token stops working."""
    return service.refresh(ctx, body.refresh_token)


@router.post(
    "/reauth", status_code=204, response_class=Response, responses=problems(401, 422, 423)
)
def reauth(body: ReauthRequest, ctx: Ctx, auth: Auth) -> Response:
    """The password again, to open the idle lock (204).

    401 ``invalid-credentials`` (counts toward the lockout); 423
    ``account-locked``: the account is locked and this sign-in has ended.
    """
    service.reauth(ctx, auth, body.password)
    return Response(status_code=204)


@router.post("/logout", status_code=204, response_class=Response, responses=problems(401))
def logout(ctx: Ctx, auth: Auth) -> Response:
    """Sign out: the agent goes Offline and this sign-in's tokens are revoked."""
    service.logout(ctx, auth)
    return Response(status_code=204)
