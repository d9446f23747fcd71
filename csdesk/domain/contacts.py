"""Contacts, identity verification levels and the procedure checklist (guide §2.1–2.3).

Pure rules shared by the desk and the backend; no I/O, no Textual.

- A *contact* is one customer interaction on one channel (chat or phone),
  from queueing to wrap-up.
- *Identity verification* (ID&V) reaches a level from the factors that
  passed (:func:`verification_level`).
- The *procedure checklist* ticks from what the agent actually did
  (:class:`ChecklistStep`).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum, StrEnum


class Channel(StrEnum):
    """How the customer reached the bank."""

    CHAT = "chat"
    PHONE = "phone"


class ContactStatus(StrEnum):
    """Where a contact is in its life, as sent on the wire.

    ``queued`` → ``offered`` → ``active`` → ``wrap_up`` (the agent is in ACW)
    → ``closed``. ``abandoned``: the customer left before an agent took it.
    An offer that is declined or times out puts the contact back to
    ``queued`` at the head of its queue.
    """

    QUEUED = "queued"
    OFFERED = "offered"
    ACTIVE = "active"
    WRAP_UP = "wrap_up"
    CLOSED = "closed"
    ABANDONED = "abandoned"


class Speaker(StrEnum):
    """Who a transcript line is from. Customer lines are untrusted text."""

    CUSTOMER = "customer"
    AGENT = "agent"
    SYSTEM = "system"


class VerificationMethod(StrEnum):
    """Ways to verify a customer's identity (guide §2.1.3).

    ``transaction_password`` is keyed by the customer on the phone keypad;
    the backend asks the customer itself and the agent never sees it.
    """

    RESERVED_PHONE = "reserved_phone"
    ID_LAST6 = "id_last6"
    CARD_LAST4 = "card_last4"
    SECURITY_QUESTION = "security_question"
    TRANSACTION_PASSWORD = "transaction_password"


class VerificationLevel(IntEnum):
    """ID&V levels: L0 none; L1 one factor; L2 two factors, one of them ID or
    card digits; L3 L2 plus the transaction password or the security question."""

    L0 = 0
    L1 = 1
    L2 = 2
    L3 = 3


#: Factors that count as "ID or card digits" for L2.
DOCUMENT_FACTORS = frozenset({VerificationMethod.ID_LAST6, VerificationMethod.CARD_LAST4})
#: Factors that lift L2 to L3.
STRONG_FACTORS = frozenset({VerificationMethod.TRANSACTION_PASSWORD, VerificationMethod.SECURITY_QUESTION})

#: Failed verification attempts in one contact that lock verification for it
#: and flag the contact "possible fraud" (issue #4).
MAX_FAILED_VERIFICATIONS = 3


def _is_l2(factors: set[VerificationMethod]) -> bool:
    """Two factors or more, at least one of them ID or card digits."""
    return len(factors) >= 2 and bool(factors & DOCUMENT_FACTORS)


def verification_level(passed: Iterable[VerificationMethod]) -> VerificationLevel:
    """The level reached by the methods that ``passed`` in one contact.

    L3 is L2 *plus* a strong factor: some strong factor must remain after
    the L2 test is met without it. Examples: {ID} → L1; {phone, security
    question} → L1 (no document factor); {ID, security question} → L2;
    {ID, phone, transaction password} → L3.
    """
    factors = set(passed)
    if not factors:
        return VerificationLevel.L0
    if not _is_l2(factors):
        return VerificationLevel.L1
    if any(_is_l2(factors - {strong}) for strong in factors & STRONG_FACTORS):
        return VerificationLevel.L3
    return VerificationLevel.L2


class ChecklistStep(StrEnum):
    """The operating procedure of a contact, in order (guide §2.1–2.3, §3)."""

    GREET = "greet"
    LEARN_NEED = "learn_need"
    VERIFY = "verify"
    HANDLE = "handle"
    RISK_DISCLOSURE = "risk_disclosure"
    CONFIRM = "confirm"
    WRAP_UP = "wrap_up"


#: Steps that apply only when the contact needed them (an operation with a
#: verification level above L0, or one with a risk disclosure).
CONDITIONAL_STEPS = frozenset({ChecklistStep.VERIFY, ChecklistStep.RISK_DISCLOSURE})
