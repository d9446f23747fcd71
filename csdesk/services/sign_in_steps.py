"""The extra steps of sign-in (operating guide §1.2–1.3): first or expired
password, TOTP enrolment, SMS codes, and a signed-in password change.

Each function works on a :class:`~csdesk.services.session.DeskSession` after
:meth:`~csdesk.services.session.DeskSession.login` and raises what the
backend client raises (``ProblemError`` with ``password-policy``,
``invalid-code``, ``mfa-ticket-invalid`` …, ``OfflineError``,
``BadResponseError``). Endpoints: docs/protocol.md, "Issue #3 additions".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from csdesk.api.client import parse_model
from csdesk.domain import schemas
from csdesk.domain.identity import normalize_otp
from csdesk.domain.password_policy import PasswordPolicy

if TYPE_CHECKING:
    from csdesk.services.session import DeskSession


def _ticket(session: DeskSession) -> str:
    if not session.ticket:
        raise RuntimeError("no sign-in in progress")
    return session.ticket


async def password_policy(session: DeskSession) -> PasswordPolicy:
    """The policy the backend enforces (``GET /auth/password-policy``)."""
    response = await session.api.request("GET", "/auth/password-policy", auth=False)
    view = parse_model(schemas.PasswordPolicyView, response)
    return PasswordPolicy.from_mapping(view.model_dump())


async def change_initial_password(session: DeskSession, new_password: str) -> None:
    """Set the new password a temporary or expired one requires (``POST /auth/password``)."""
    body = schemas.PasswordChangeRequest(mfa_ticket=_ticket(session), new_password=new_password)
    await session.api.request("POST", "/auth/password", json_body=body.model_dump(), auth=False)
    if session.challenge is not None:
        session.challenge = session.challenge.model_copy(
            update={"password_change_required": False, "password_expires_in_days": None}
        )


async def start_enrolment(session: DeskSession) -> schemas.TotpEnrolment:
    """A new TOTP secret and its ``otpauth://`` URI (``POST /auth/totp/enrol``)."""
    body = schemas.TicketRequest(mfa_ticket=_ticket(session))
    response = await session.api.request("POST", "/auth/totp/enrol", json_body=body.model_dump(), auth=False)
    return parse_model(schemas.TotpEnrolment, response)


async def confirm_enrolment(session: DeskSession, code: str) -> schemas.AgentProfile:
    """Enable TOTP with the authenticator's first code and finish signing in.

    Raises ``ValueError`` when ``code`` is not 6 digits (spaces allowed).
    """
    tokens = await session.api.confirm_totp(_ticket(session), normalize_otp(code))
    session.signed_in(tokens)
    return tokens.agent


async def send_sms(session: DeskSession) -> schemas.SmsChallenge:
    """Ask the backend to text a code (``POST /auth/sms``); valid ``expires_in`` seconds."""
    body = schemas.TicketRequest(mfa_ticket=_ticket(session))
    response = await session.api.request("POST", "/auth/sms", json_body=body.model_dump(), auth=False)
    return parse_model(schemas.SmsChallenge, response)


async def change_password(session: DeskSession, current: str, new: str) -> None:
    """A signed-in agent changes the password (``PUT /me/password``)."""
    body = schemas.MyPasswordChange(current_password=current, new_password=new)
    await session.api.request("PUT", "/me/password", json_body=body.model_dump())
