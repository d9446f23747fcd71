"""Risk disclosures and the customer's consent (guide §2.3.3, issue #4).

Before a transfer or an investment the agent reads/sends the operation's
risk disclosure (:func:`send_disclosure`: the text goes into the transcript
as an agent line); the customer answers yes or no, which reaches the backend
through :func:`record_consent` (called by the training simulator for its
customers, and by tests). No consent, no execution:
:func:`consume_consent` is what ``POST /contacts/{id}/operations/{code}``
calls, and one consent covers one execution.

No answer is no consent, and nothing waits forever: a disclosure still
unanswered ``ServerSettings.disclosure_timeout`` seconds (120) after it was
sent *lapses* (:func:`expire_disclosures`, run by the routing engine), and
so do the pending disclosures of a contact whose customer left
(:func:`lapse_pending`). A lapsed disclosure reads ``consent: false``, like a
refusal; its system line says "no answer". The agent may send it again.
Every answer line is bilingual (``中文 · English``).

Hooks for the simulator:

- :func:`add_disclosure_listener` ``(fn)``: ``fn(ctx, contact_id, result,
  text)`` is called after a disclosure was committed, so a simulated customer
  can answer (by calling :func:`record_consent`, possibly later).
- :func:`record_consent` ``(ctx, contact_id, disclosure_id, consent)``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.contact_schemas import DisclosureResult
from csdesk.domain.contacts import Speaker
from csdesk.server.audit import audit
from csdesk.server.context import ServerContext
from csdesk.server.db import utcnow
from csdesk.server.events import publish
from csdesk.server.models import Contact, DisclosureRecord
from csdesk.server.problems import ProblemError
from csdesk.server.texts import bilingual
from csdesk.server.verification import active_contact, add_transcript_line

_log = logging.getLogger(__name__)

#: ``fn(ctx, contact_id, result, text)`` called after a disclosure is sent.
DisclosureListener = Callable[[ServerContext, str, DisclosureResult, str], None]

_listeners: list[DisclosureListener] = []
_listeners_lock = threading.Lock()


def add_disclosure_listener(listener: DisclosureListener) -> None:
    """Call ``listener(ctx, contact_id, result, text)`` after every disclosure sent.

    Runs in the request's worker thread after the commit; exceptions are
    logged and ignored. Process-wide.
    """
    with _listeners_lock:
        _listeners.append(listener)


def remove_disclosure_listener(listener: DisclosureListener) -> None:
    """Stop calling ``listener`` (no error when it was not added)."""
    with _listeners_lock:
        if listener in _listeners:
            _listeners.remove(listener)


def _view(row: DisclosureRecord) -> DisclosureResult:
    return DisclosureResult(id=row.id, operation=row.operation, consent=row.consent)


def send_disclosure(
    ctx: ServerContext, agent_id: str, contact_id: str, operation: str, language: str = "zh-CN"
) -> DisclosureResult:
    """Send ``operation``'s risk disclosure in the agent's active contact.

    The text (``language`` ``zh-CN`` or ``en``) is added to the transcript
    as an agent message; the answer has ``consent=None`` until the customer
    answers. Raises ``not-found`` / ``contact-not-active`` as
    :func:`~csdesk.server.verification.active_contact`, ``validation-error``
    (422) for an unknown operation or one without a disclosure. Audited.
    """
    from csdesk.server.operations import catalogue

    spec = catalogue().get(operation)
    if spec is None or not spec.disclosure:
        raise ProblemError(
            "validation-error", "No risk disclosure for this operation.",
            errors=[{"field": "body.operation", "message": "unknown or without disclosure"}],
        )
    text = spec.disclosure.get(language) or spec.disclosure.get("zh-CN") or ""
    with ctx.db.write() as session:
        active_contact(session, contact_id, agent_id)
        row = DisclosureRecord(
            id=str(uuid.uuid4()), contact_id=contact_id, operation=operation, sent_at=utcnow()
        )
        session.add(row)
        add_transcript_line(session, contact_id, text, speaker=Speaker.AGENT, kind="message")
        audit(
            session, agent_id=agent_id, type="disclosure",
            detail=f"contact={contact_id} operation={operation} disclosure={row.id} sent",
        )
        result = _view(row)
    with _listeners_lock:
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener(ctx, contact_id, result, text)
        except Exception:
            _log.exception("disclosure listener failed")
    return result


def record_consent(
    ctx: ServerContext, contact_id: str, disclosure_id: str, consent: bool
) -> DisclosureResult:
    """Record the customer's answer to a disclosure (the simulator's hook; tests).

    Sets ``consent``, adds a system transcript line (``风险提示（<业务>）：客户同意
    · Risk disclosure (<operation>): customer consented``, or 不同意 /
    declined), writes an audit event and sends a ``disclosure`` SSE event
    (:class:`DisclosureResult`) to the contact's agent. The first answer
    stands: a second call (or one after the disclosure lapsed) returns it
    unchanged. Raises ``not-found`` for an unknown disclosure of this contact.
    """
    with ctx.db.write() as session:
        row = session.get(DisclosureRecord, disclosure_id)
        if row is None or row.contact_id != contact_id:
            raise ProblemError("not-found", "No such disclosure in this contact.")
        if row.consent is not None:
            return _view(row)
        return _answer(session, row, "consented" if consent else "declined", utcnow())


#: Answer word (audit detail) → the bilingual end of the system line.
_ANSWER_LINES = {
    "consented": ("客户同意", "customer consented"),
    "declined": ("客户不同意", "customer declined"),
    "no-answer": ("客户未应答，视为不同意", "no answer, not consented"),
}


def _answer(session: Session, row: DisclosureRecord, word: str, now: datetime) -> DisclosureResult:
    """Record answer ``word`` (a key of ``_ANSWER_LINES``) to the unanswered ``row``: consent,
    system line, audit, ``disclosure`` event to the contact's agent."""
    from csdesk.server.operations import catalogue

    row.consent = word == "consented"
    row.answered_at = now
    contact = session.get(Contact, row.contact_id)
    agent_id = contact.agent_id if contact is not None else None
    spec = catalogue().get(row.operation)
    names = spec.name if spec is not None else {}
    zh, en = _ANSWER_LINES[word]
    add_transcript_line(session, row.contact_id, bilingual(
        f"风险提示（{names.get('zh-CN', row.operation)}）：{zh}",
        f"Risk disclosure ({names.get('en', row.operation)}): {en}",
    ))
    audit(
        session, agent_id=agent_id, type="disclosure",
        detail=f"contact={row.contact_id} operation={row.operation} disclosure={row.id} {word}",
    )
    result = _view(row)
    if agent_id is not None:
        publish(session, agent_id=agent_id, type="disclosure",
                data={"contact_id": row.contact_id, **result.model_dump(mode="json")})
    return result


def lapse_pending(session: Session, contact_id: str, now: datetime) -> list[DisclosureResult]:
    """Every unanswered disclosure of the contact lapses now, as "no answer" (the customer
    left: nobody will answer). Returns them (``consent`` False), oldest first."""
    rows = session.scalars(
        select(DisclosureRecord)
        .where(DisclosureRecord.contact_id == contact_id, DisclosureRecord.consent.is_(None))
        .order_by(DisclosureRecord.sent_at)
    ).all()
    return [_answer(session, row, "no-answer", now) for row in rows]


def expire_disclosures(session: Session, now: datetime, timeout: float) -> list[DisclosureResult]:
    """Unanswered disclosures sent ``timeout`` seconds ago or earlier lapse as "no answer"
    (in ``session``'s write transaction; the routing engine calls it every tick).
    Returns them (``consent`` False), oldest first."""
    rows = session.scalars(
        select(DisclosureRecord)
        .where(
            DisclosureRecord.consent.is_(None),
            DisclosureRecord.sent_at <= now - timedelta(seconds=timeout),
        )
        .order_by(DisclosureRecord.sent_at)
    ).all()
    return [_answer(session, row, "no-answer", now) for row in rows]


def get_disclosure(
    ctx: ServerContext, agent_id: str, contact_id: str, disclosure_id: str
) -> DisclosureResult:
    """A disclosure of the agent's contact (polling for the consent); ``not-found`` otherwise.

    Works in any status of the contact, so the desk can still read it in ACW.
    """
    with ctx.db.read() as session:
        contact = session.get(Contact, contact_id)
        row = session.get(DisclosureRecord, disclosure_id)
        if (
            contact is None or contact.agent_id != agent_id
            or row is None or row.contact_id != contact_id
        ):
            raise ProblemError("not-found", "No such disclosure in your contact.")
        return _view(row)


def consume_consent(
    session: Session, contact_id: str, operation: str, disclosure_id: str | None, reference: str
) -> None:
    """Use the customer's consent for one execution of ``operation`` (in ``session``'s transaction).

    Raises ``disclosure-required`` (409) when ``disclosure_id`` is missing,
    unknown, for another operation or contact, still unanswered, declined or
    lapsed, or already used by an earlier execution. Otherwise marks it used by ``reference``.
    """
    if not disclosure_id:
        raise ProblemError("disclosure-required", "Send the risk disclosure and get consent first.")
    row = session.scalar(
        select(DisclosureRecord).where(
            DisclosureRecord.id == disclosure_id, DisclosureRecord.contact_id == contact_id
        )
    )
    if row is None or row.operation != operation:
        raise ProblemError("disclosure-required", "No risk disclosure of this operation here.")
    if row.consent is None:
        raise ProblemError("disclosure-required", "The customer has not answered the disclosure.")
    if not row.consent:
        raise ProblemError(
            "disclosure-required", "The customer declined (or did not answer) the risk disclosure."
        )
    if row.used_by is not None:
        raise ProblemError("disclosure-required", "This consent was used already; disclose again.")
    row.used_by = reference
