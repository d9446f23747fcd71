"""Identity verification (ID&V) of a contact's customer (guide §2.1.3, issue #4).

The agent types what the customer said; this module normalises it and checks
it against the :class:`~csdesk.server.models.Customer` row, server-side. The
answer is pass/fail only (DESIGN §8): never which digit was wrong, never the
stored value, and the answer is never logged, audited or put in the
transcript.

Methods (:class:`csdesk.domain.contacts.VerificationMethod`):

- ``reserved_phone``: the full 11-digit reserved mobile number (a leading
  ``+86``/``0086`` is ignored);
- ``id_last6``: the last 6 characters of the ID number (the last may be
  ``X``/``x``);
- ``card_last4``: the last 4 digits of any of the customer's cards (PCI DSS
  3.4: the agent never sees more than first 6 + last 4);
- ``security_question``: the answer to the customer's security question,
  checked against an Argon2 hash, case- and space-insensitive;
- ``transaction_password``: keyed by the customer on the phone keypad. The
  agent sends an empty answer; the backend asks the customer's *keypad*
  (:func:`register_keypad`; the training simulator registers one per
  simulated contact, or :func:`set_simulated_keypad` once for all of them).

Normalisation (:func:`normalise`): Unicode NFKC (full-width digits become
ASCII), then every space and hyphen/dash is removed. An answer of the wrong
shape (e.g. 5 digits for ``id_last6``) is refused with ``validation-error``
and not counted as an attempt: it is a typing slip, not the customer's answer.

Levels come from :func:`csdesk.domain.contacts.verification_level`. After
:data:`~csdesk.domain.contacts.MAX_FAILED_VERIFICATIONS` (3) failures in a
contact, verification is locked for it (``verification-locked``, 423), the
customer is flagged ``possible_fraud`` and an audit event is written. Every
attempt is an audit event ``verification`` (agent, contact, method, result)
and a bilingual system transcript line (:func:`check_line`:
``身份核验：预留手机号 通过 · Identity check: reserved phone passed``).
"""

from __future__ import annotations

import hmac
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from csdesk.domain.contact_schemas import TranscriptLine, VerificationInfo, VerifyResult
from csdesk.domain.operation_fields import normalise, normalise_phone
from csdesk.domain.contacts import (
    MAX_FAILED_VERIFICATIONS,
    ContactStatus,
    Speaker,
    VerificationLevel,
    VerificationMethod,
    verification_level,
)
from csdesk.server.audit import audit
from csdesk.server.context import ServerContext
from csdesk.server.models import Contact, Customer
from csdesk.server.problems import ProblemError
from csdesk.server.security import Passwords
from csdesk.server.texts import Text, bilingual

#: A customer's keypad: called with the contact id, returns the digits the
#: customer keyed (any string; it is normalised), or None when nothing was
#: keyed (hung up, timed out).
Keypad = Callable[[str], str | None]

#: Method → how it is named in the transcript line.
METHOD_LABELS: dict[VerificationMethod, Text] = {
    VerificationMethod.RESERVED_PHONE: Text("预留手机号", "reserved phone"),
    VerificationMethod.ID_LAST6: Text("证件号后 6 位", "ID number last 6"),
    VerificationMethod.CARD_LAST4: Text("卡号后 4 位", "card last 4"),
    VerificationMethod.SECURITY_QUESTION: Text("密保问题", "security question"),
    VerificationMethod.TRANSACTION_PASSWORD: Text("交易密码", "transaction password"),
}

#: The system line of the attempt that locks verification in a contact.
LOCKED_LINE = bilingual("身份核验已锁定：3 次失败，疑似欺诈",
                        "Identity verification locked after 3 failed attempts: possible fraud")


def check_line(method: VerificationMethod, passed: bool) -> str:
    """The system line of one attempt: ``身份核验：<方式> 通过|未通过 · Identity check: <method> passed|failed``."""
    label = METHOD_LABELS[method]
    return bilingual(f"身份核验：{label.zh} {'通过' if passed else '未通过'}",
                     f"Identity check: {label.en} {'passed' if passed else 'failed'}")

_PHONE = re.compile(r"^1[0-9]{10}$")
_ID6 = re.compile(r"^[0-9]{5}[0-9X]$")
_LAST4 = re.compile(r"^[0-9]{4}$")
_PIN = re.compile(r"^[0-9]{4,12}$")

_keypads: dict[str, Keypad] = {}
_simulated_keypad: Keypad | None = None
_keypad_lock = threading.Lock()


# -- keypad hooks ---------------------------------------------------------------


def register_keypad(contact_id: str, keypad: Keypad | None) -> None:
    """Route transaction-password requests of ``contact_id`` to ``keypad``.

    ``keypad(contact_id)`` runs in the request's worker thread and should
    return within a few seconds: the digits the customer keyed, or None.
    ``keypad=None`` removes the registration. Process-wide and thread-safe.
    """
    with _keypad_lock:
        if keypad is None:
            _keypads.pop(contact_id, None)
        else:
            _keypads[contact_id] = keypad


def set_simulated_keypad(keypad: Keypad | None) -> None:
    """The keypad of every *simulated* contact without its own (:func:`register_keypad`).

    The training simulator sets it once; ``None`` removes it.
    """
    global _simulated_keypad
    with _keypad_lock:
        _simulated_keypad = keypad


def keypad_for(contact_id: str, simulated: bool) -> Keypad | None:
    """The keypad that answers for ``contact_id``: its own, else the simulator's when
    ``simulated``, else None (a real phone line has no keypad hook in this backend)."""
    with _keypad_lock:
        own = _keypads.get(contact_id)
        if own is not None:
            return own
        return _simulated_keypad if simulated else None


# -- normalisation ----------------------------------------------------------------


def normalise_answer(text: str) -> str:
    """A security answer as hashed and checked: NFKC, case-folded, without whitespace.

    Seed and admin code must hash ``normalise_answer(answer)`` (see
    :func:`hash_security_answer`).
    """
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def hash_security_answer(passwords: Passwords, answer: str) -> str:
    """The Argon2id hash to store in ``Customer.security_answer_hash`` for ``answer``."""
    return passwords.hash(normalise_answer(answer))


def hash_transaction_password(passwords: Passwords, digits: str) -> str:
    """The Argon2id hash to store in ``Customer.transaction_password_hash`` (digits normalised)."""
    return passwords.hash(normalise(digits))


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


# -- contacts and transcript --------------------------------------------------------


def active_contact(session: Session, contact_id: str, agent_id: str) -> Contact:
    """The contact ``contact_id`` if it is ``agent_id``'s and active.

    Raises ``not-found`` (404) when it does not exist or belongs to another
    agent (so ids of other agents' contacts are not confirmed), and
    ``contact-not-active`` (409) when it is not in the ``active`` status.
    """
    contact = session.get(Contact, contact_id)
    if contact is None or contact.agent_id != agent_id:
        raise ProblemError("not-found", "No such contact of yours.")
    if contact.status != ContactStatus.ACTIVE:
        raise ProblemError("contact-not-active", f"The contact is {contact.status}, not active.")
    return contact


def add_transcript_line(
    session: Session, contact_id: str, text: str, *, speaker: Speaker = Speaker.SYSTEM,
    kind: str = "event",
) -> TranscriptLine:
    """Append a line to the contact's transcript in ``session``'s transaction.

    Delegates to :func:`csdesk.server.contacts.add_line` (next ``seq``, and a
    ``transcript`` event to the contact's agent). Used for the system lines
    of verification and operations and the agent's disclosure text.
    Raises ``not-found`` for an unknown contact.
    """
    from csdesk.server.contacts import add_line

    contact = session.get(Contact, contact_id)
    if contact is None:
        raise ProblemError("not-found", "No such contact.")
    return add_line(session, contact, text, speaker=speaker, kind=kind)


def contact_changed(session: Session, contact: Contact) -> None:
    """Send the contact's new view (level, lock, operations) as a ``contact`` event to its agent."""
    from csdesk.server.contacts import publish_contact

    publish_contact(session, contact)


def contact_level(contact: Contact) -> VerificationLevel:
    """The verification level the contact has reached so far."""
    return verification_level(_methods(contact))


def is_locked(contact: Contact) -> bool:
    """Whether verification is locked for the contact (3 failures)."""
    return contact.failed_verifications >= MAX_FAILED_VERIFICATIONS


def _methods(contact: Contact) -> list[VerificationMethod]:
    known = {m.value for m in VerificationMethod}
    return [VerificationMethod(m) for m in contact.verified_methods or [] if m in known]


def available_methods(customer: Customer) -> list[VerificationMethod]:
    """The methods that can verify ``customer``: all but ``card_last4`` when they have no card."""
    return [
        m for m in VerificationMethod
        if m is not VerificationMethod.CARD_LAST4 or customer.cards
    ]


# -- the check -------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    phone: str
    id_number: str
    cards: tuple[str, ...]
    answer_hash: str
    pin_hash: str
    simulated: bool


def verification_info(ctx: ServerContext, agent_id: str, contact_id: str) -> VerificationInfo:
    """``GET /contacts/{id}/verification``: the security question, methods and state.

    Errors as :func:`active_contact`.
    """
    with ctx.db.read() as session:
        contact = active_contact(session, contact_id, agent_id)
        customer = session.get(Customer, contact.customer_ref)
        if customer is None:
            raise ProblemError("not-found", "The contact has no customer.")
        return VerificationInfo(
            security_question=customer.security_question,
            methods=available_methods(customer),
            keypad_available=keypad_for(contact_id, contact.simulated) is not None,
            level=int(contact_level(contact)),
            verified_methods=_methods(contact),
            failed_attempts=contact.failed_verifications,
            locked=is_locked(contact),
        )


def _bad_answer(message: str) -> ProblemError:
    return ProblemError(
        "validation-error", message, errors=[{"field": "body.answer", "message": message}]
    )


def _check(ctx: ServerContext, facts: _Facts, contact_id: str, method: VerificationMethod,
           answer: str) -> bool:
    if method is VerificationMethod.TRANSACTION_PASSWORD:
        if answer.strip():
            raise _bad_answer("Leave the answer empty: the customer keys the password.")
        keypad = keypad_for(contact_id, facts.simulated)
        if keypad is None:
            raise ProblemError(
                "keypad-unavailable", "No keypad is available for this contact's customer."
            )
        keyed = keypad(contact_id)
        if keyed is None:
            raise ProblemError("keypad-unavailable", "The customer did not key a password.")
        digits = normalise(keyed)
        if not _PIN.match(digits):
            return False
        return ctx.passwords.verify(facts.pin_hash, digits)
    if not answer.strip():
        raise _bad_answer("Type what the customer said.")
    if method is VerificationMethod.RESERVED_PHONE:
        value = normalise_phone(answer)
        if not _PHONE.match(value):
            raise _bad_answer("A reserved phone number has 11 digits.")
        return _same(value, normalise_phone(facts.phone))
    if method is VerificationMethod.ID_LAST6:
        value = normalise(answer).upper()
        if not _ID6.match(value):
            raise _bad_answer("Six characters: digits, the last may be X.")
        return _same(value, normalise(facts.id_number).upper()[-6:])
    if method is VerificationMethod.CARD_LAST4:
        value = normalise(answer)
        if not _LAST4.match(value):
            raise _bad_answer("Four digits.")
        results = [_same(value, normalise(card)[-4:]) for card in facts.cards]
        return any(results)
    # security question: the normalised form first, then the answer as given
    # (a hash made without normalisation still matches an exact answer).
    candidates = dict.fromkeys([normalise_answer(answer), answer.strip()])
    return any(ctx.passwords.verify(facts.answer_hash, c) for c in candidates if c)


def verify(
    ctx: ServerContext, agent_id: str, contact_id: str, method: VerificationMethod, answer: str
) -> VerifyResult:
    """Check one answer for the agent's active contact and record the attempt.

    ``answer`` is what the customer said (empty for the transaction password,
    which the customer's keypad gives). Returns :class:`VerifyResult`:
    ``passed``, ``level`` (0–3) now, ``failed_attempts`` in this contact and
    ``locked``. Raises :class:`ProblemError`: ``not-found`` /
    ``contact-not-active`` (:func:`active_contact`), ``verification-locked``
    (423) once 3 attempts failed, ``validation-error`` (422) for an answer of
    the wrong shape or a method the customer lacks (not counted),
    ``keypad-unavailable`` (409) for the transaction password without a keypad.

    The answer is checked outside the write transaction (the keypad and
    Argon2 take time); the result is recorded in one write transaction that
    re-checks the lock, so concurrent attempts never exceed the limit.
    """
    with ctx.db.read() as session:
        contact = active_contact(session, contact_id, agent_id)
        if is_locked(contact):
            raise ProblemError("verification-locked", "Too many failed attempts in this contact.")
        customer = session.get(Customer, contact.customer_ref)
        if customer is None:
            raise ProblemError("not-found", "The contact has no customer.")
        if method not in available_methods(customer):
            raise ProblemError(
                "validation-error", "This customer has no card to verify with.",
                errors=[{"field": "body.method", "message": "not available for this customer"}],
            )
        facts = _Facts(
            phone=customer.phone,
            id_number=customer.id_number,
            cards=tuple(str(card.get("number", "")) for card in customer.cards or []),
            answer_hash=customer.security_answer_hash,
            pin_hash=customer.transaction_password_hash,
            simulated=contact.simulated,
        )
    passed = _check(ctx, facts, contact_id, method, answer)
    with ctx.db.write() as session:
        contact = active_contact(session, contact_id, agent_id)
        if is_locked(contact):
            raise ProblemError("verification-locked", "Too many failed attempts in this contact.")
        result = "passed" if passed else "failed"
        if passed:
            if method.value not in (contact.verified_methods or []):
                contact.verified_methods = [*(contact.verified_methods or []), method.value]
        else:
            contact.failed_verifications += 1
        audit(
            session, agent_id=agent_id, type="verification",
            detail=f"contact={contact_id} method={method.value} result={result}",
        )
        add_transcript_line(session, contact_id, check_line(method, passed))
        locked = is_locked(contact)
        if locked:
            customer = session.get(Customer, contact.customer_ref)
            if customer is not None:
                customer.possible_fraud = True
            audit(
                session, agent_id=agent_id, type="verification-locked",
                detail=f"contact={contact_id} customer={contact.customer_ref} "
                f"failed={contact.failed_verifications}",
            )
            add_transcript_line(session, contact_id, LOCKED_LINE)
        contact_changed(session, contact)
        return VerifyResult(
            passed=passed,
            level=int(contact_level(contact)),
            failed_attempts=contact.failed_verifications,
            locked=locked,
        )
