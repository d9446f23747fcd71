"""``/contacts/{id}/verification`` and ``/contacts/{id}/verify``: identity checks (issue #4).

See :mod:`csdesk.server.verification` for the rules (guide §2.1.3).
"""

from __future__ import annotations

from fastapi import APIRouter

from csdesk.domain.contact_schemas import VerificationInfo, VerifyRequest, VerifyResult
from csdesk.server.deps import Auth, Ctx, problems
from csdesk.server.verification import verification_info, verify

router = APIRouter(prefix="/contacts", tags=["verification"])


@router.get(
    "/{contact_id}/verification", response_model=VerificationInfo, responses=problems(401, 404, 409)
)
def get_verification(contact_id: str, ctx: Ctx, auth: Auth) -> VerificationInfo:
    """The security question to read, the methods available and the state so far.

    404 ``not-found`` for a contact that is not the agent's; 409
    ``contact-not-active`` outside the active status.
    """
    return verification_info(ctx, auth.agent_id, contact_id)


@router.post(
    "/{contact_id}/verify",
    response_model=VerifyResult,
    responses=problems(401, 404, 409, 422, 423),
)
def post_verify(contact_id: str, body: VerifyRequest, ctx: Ctx, auth: Auth) -> VerifyResult:
    """Check what the customer said for one method: pass/fail only, the level now.

    A live call (never queued in the outbox). 423 ``verification-locked``
    after 3 failures in the contact; 422 ``validation-error`` for an answer
    of the wrong shape (not counted); 409 ``keypad-unavailable`` for the
    transaction password when the customer's keypad cannot be asked.
    """
    return verify(ctx, auth.agent_id, contact_id, body.method, body.answer)
