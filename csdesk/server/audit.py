"""The audit trail (design §8): who did what, when, by the server clock."""

from __future__ import annotations

from sqlalchemy.orm import Session

from csdesk.server.db import utcnow
from csdesk.server.models import AuditEvent

#: Audit event types written by this backend. Sign-in security (issue #3):
#: ``account-locked`` (the threshold was reached), ``password-changed``,
#: ``totp-enrolled``, ``sms-sent``, ``reauth`` / ``reauth-failed`` (idle
#: lock), and ``admin`` for ``csdesk admin`` acts (detail says which).
AUDIT_TYPES = frozenset(
    {
        "sign-in",
        "sign-in-failed",
        "sign-out",
        "refresh-reuse",
        "ack",
        "state",
        "account-locked",
        "password-changed",
        "totp-enrolled",
        "sms-sent",
        "reauth",
        "reauth-failed",
        "admin",
        # issue #4: ID&V attempts, lock, risk disclosures, business operations
        "verification",
        "verification-locked",
        "disclosure",
        "operation",
        # issue #4: live session (offers, transfers, wrap-up, hang-ups)
        "offer-accepted",
        "offer-declined",
        "offer-missed",
        "transfer",
        "wrap-up",
        "customer-left",
        # issue #4: contacts of an agent who signs out (csdesk.server.presence)
        "offer-returned",
        "contact-ended-sign-out",
        # issue #4: a simulated customer whose simulator is gone (csdesk.server.orphans)
        "simulated-contact-closed",
    }
)


def audit(session: Session, *, agent_id: str | None, type: str, detail: str | None = None) -> None:
    """Add an audit event to ``session``'s transaction.

    ``agent_id`` is ``None`` when the actor is unknown (a sign-in with an
    unknown employee ID). ``detail`` is a short reason such as
    ``"bad-password"``; never a password, code, token or customer PII.
    Raises ``ValueError`` for a type outside :data:`AUDIT_TYPES`.
    """
    if type not in AUDIT_TYPES:
        raise ValueError(f"unknown audit type {type!r}")
    session.add(AuditEvent(agent_id=agent_id, type=type, detail=detail, at=utcnow()))
