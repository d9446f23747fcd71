"""The live session's contacts: queueing, offer answers, chat and call control, ACW, wrap-up.

Issue #4, operating guide §2.1-§2.3 and §3.3. The routing engine that makes
offers and times them out is :mod:`csdesk.server.routing`; this module holds
what happens to one contact. Each function that takes a ``session`` runs in
the caller's write transaction and publishes its events there (they reach
the streams after the commit); ``ctx``-taking functions open their own.

Contact life (``ContactStatus``): ``queued`` → ``offered`` → ``active`` →
``wrap_up`` → ``closed``; ``abandoned`` when the customer leaves before an
agent took the contact. Agent states follow (``AgentState``): Offered while
an offer rings, On Contact while active, ACW during wrap-up; a wrap-up with
a disposition code is the only way out of ACW besides signing out.

Events (``docs/protocol.md``, "Live session"):

- ``contact``: a :class:`ContactView` of the agent's contact after every
  change of its status or fields, *without* its transcript (``transcript``
  is ``[]``; the lines come as ``transcript`` events) and with the greeting
  in the agent's settings language;
- ``transcript``: ``{"contact_id", "line": TranscriptLine}`` for every new
  line (customer, agent, system; notes included, they go to the agent only);
- ``offer`` and ``acw_overdue``: from :mod:`csdesk.server.routing`.

Personal data: views carry the masked :class:`CustomerCard` only
(:func:`csdesk.server.customers.customer_card`); customer text is cleaned
with :func:`csdesk.domain.text.clean_text` before it is stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from csdesk.domain.agent_state import AGENT_REASONS, AgentState, NotReadyReason
from csdesk.domain.contact_schemas import (
    MAX_MESSAGE_CHARS,
    ContactView,
    OperationDone,
    QueueStats,
    SessionRecordView,
    TranscriptEvent,
    TranscriptLine,
    WrapUpRequest,
)
from csdesk.domain.contacts import (
    Channel,
    ContactStatus,
    Speaker,
    VerificationMethod,
    verification_level,
)
from csdesk.domain.contacts import MAX_FAILED_VERIFICATIONS
from csdesk.domain.text import clean_text
from csdesk.server.agents import move_agent
from csdesk.server.audit import audit
from csdesk.server.changes import record_change
from csdesk.server.config import ServerSettings
from csdesk.server.context import ServerContext
from csdesk.server.customers import customer_card, wait_for_customers
from csdesk.server.db import utcnow
from csdesk.server.dispositions import is_disposition
from csdesk.server.events import publish
from csdesk.server.models import (
    Agent,
    AgentSettingsRow,
    Contact,
    Customer,
    OperationRecord,
    SessionRecord,
    TranscriptEntry,
)
from csdesk.server.problems import ProblemError
from csdesk.server.texts import transferred_to

#: Languages of the greeting script and the system lines.
LANGUAGES = ("zh-CN", "en")

#: The standard greeting (operating guide §2.1.2: greet with the script and
#: the agent's ID). ``{employee_id}`` and ``{name}`` are filled in.
GREETINGS: dict[str, str] = {
    "zh-CN": "您好，很高兴为您服务，我是{employee_id}号客服{name}，请问有什么可以帮您？",
    "en": "Hello, thank you for contacting us. This is {name}, agent {employee_id}. "
    "How may I help you today?",
}

#: Sync collection of the agent's session records (``GET /sync/session_records``).
SESSION_RECORDS = "session_records"

#: Statuses in which a contact belongs to its agent (``GET /me/contact``).
LIVE_STATUSES = (ContactStatus.OFFERED, ContactStatus.ACTIVE, ContactStatus.WRAP_UP)

#: Called after a commit with (ctx, contact id, line) for every agent chat
#: message, so the training simulator can react; see :func:`on_agent_line`.
AgentLineListener = Callable[[ServerContext, str, TranscriptLine], None]
_agent_line_listeners: list[AgentLineListener] = []


def on_agent_line(listener: AgentLineListener) -> None:
    """Register ``listener(ctx, contact_id, line)`` for agent chat messages (not notes).

    Called in the request's thread after the message was committed; it must
    return quickly (hand work to a queue) and must not raise. Listeners are
    process-wide: filter on ``ctx`` when several backends share a process.
    """
    _agent_line_listeners.append(listener)


def off_agent_line(listener: AgentLineListener) -> None:
    """Remove a listener registered with :func:`on_agent_line` (absent: nothing happens)."""
    try:
        _agent_line_listeners.remove(listener)
    except ValueError:
        pass


def notify_agent_line(ctx: ServerContext, contact_id: str, line: TranscriptLine) -> None:
    """Call the :func:`on_agent_line` listeners (errors are swallowed)."""
    for listener in list(_agent_line_listeners):
        try:
            listener(ctx, contact_id, line)
        except Exception:  # a listener's bug must not fail the agent's request
            continue


# -- language --------------------------------------------------------------------


def pick_language(lang: str | None, accept_language: str | None = None) -> str:
    """``zh-CN`` or ``en``: from ``lang`` (``?lang=``), else ``Accept-Language`` (RFC 9110 §12.5.4).

    ``en``, ``en-GB``… → ``en``; ``zh``, ``zh-CN``… → ``zh-CN``. Accept-Language
    entries are taken by their ``q`` weight (highest first). Default ``zh-CN``.
    """
    return requested_language(lang, accept_language) or "zh-CN"


def requested_language(lang: str | None, accept_language: str | None = None) -> str | None:
    """As :func:`pick_language`, but None when the request names neither language
    (operation results are then bilingual)."""
    for candidate in [lang or "", *_accept_order(accept_language or "")]:
        tag = candidate.strip().lower()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh"):
            return "zh-CN"
    return None


def _accept_order(header: str) -> list[str]:
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        if tag.strip() and q > 0:
            weighted.append((-q, index, tag.strip()))
    return [tag for _q, _i, tag in sorted(weighted)]


def greeting(agent: Agent, language: str) -> str:
    """The greeting script in ``language`` with the agent's ID and name filled in."""
    template = GREETINGS.get(language, GREETINGS["zh-CN"])
    return template.format(employee_id=agent.employee_id, name=agent.name)


def agent_language(session: Session, agent_id: str) -> str:
    """The language of the agent's settings (``zh-CN`` when unset)."""
    row = session.get(AgentSettingsRow, agent_id)
    value = row.data.get("language") if row is not None else None
    return value if value in LANGUAGES else "zh-CN"


# -- views and events ----------------------------------------------------------------


def _line(entry: TranscriptEntry) -> TranscriptLine:
    return TranscriptLine(
        seq=entry.seq,
        at=entry.at,
        speaker=Speaker(entry.speaker),
        kind=entry.kind,  # type: ignore[arg-type]
        text=entry.text,
    )


def transcript(session: Session, contact_id: str) -> list[TranscriptLine]:
    """The contact's transcript, oldest line first."""
    rows = session.scalars(
        select(TranscriptEntry)
        .where(TranscriptEntry.contact_id == contact_id)
        .order_by(TranscriptEntry.seq)
    )
    return [_line(row) for row in rows]


def operations_done(session: Session, contact_id: str) -> list[OperationDone]:
    """Business operations carried out in the contact (``operation_records``), oldest first."""
    rows = session.scalars(
        select(OperationRecord)
        .where(OperationRecord.contact_id == contact_id)
        .order_by(OperationRecord.at, OperationRecord.id)
    )
    return [OperationDone(code=r.code, reference=r.reference, at=r.at, summary=r.summary) for r in rows]


def _methods(contact: Contact) -> list[VerificationMethod]:
    known = {m.value for m in VerificationMethod}
    return [VerificationMethod(m) for m in contact.verified_methods or [] if m in known]


def contact_view(
    session: Session,
    contact: Contact,
    *,
    language: str | None = None,
    with_transcript: bool = True,
) -> ContactView:
    """The agent's view of ``contact``: masked customer card, transcript, greeting.

    ``language`` picks the greeting (default: the agent's settings language);
    ``with_transcript=False`` leaves ``transcript`` empty (for events).
    """
    customer = session.get(Customer, contact.customer_ref)
    agent = session.get(Agent, contact.agent_id) if contact.agent_id else None
    methods = _methods(contact)
    if agent is not None:
        lang = language or agent_language(session, agent.employee_id)
        script = greeting(agent, lang)
    else:
        script = ""
    return ContactView(
        id=contact.id,
        channel=Channel(contact.channel),
        queue=contact.queue,
        status=ContactStatus(contact.status),
        agent_id=contact.agent_id,
        customer=customer_card(session, customer) if customer is not None else None,
        first_words=contact.first_words,
        queued_at=contact.queued_at,
        offered_at=contact.offered_at,
        accepted_at=contact.accepted_at,
        ended_at=contact.ended_at,
        on_hold=contact.on_hold,
        muted=contact.muted,
        hold_seconds=round(contact.hold_seconds, 3),
        verification_level=int(verification_level(methods)),
        verified_methods=methods,
        failed_verifications=contact.failed_verifications,
        verification_locked=contact.failed_verifications >= MAX_FAILED_VERIFICATIONS,
        customer_left=contact.customer_left,
        operations=operations_done(session, contact.id),
        transcript=transcript(session, contact.id) if with_transcript else [],
        acw_deadline=contact.acw_deadline,
        acw_extended=contact.acw_extended,
        greeting=script,
    )


def publish_contact(session: Session, contact: Contact, agent_id: str | None = None) -> None:
    """Send a ``contact`` event (view without transcript) to ``agent_id`` or the contact's agent.

    Nothing is sent when the contact has no agent and none is named.
    """
    target = agent_id or contact.agent_id
    if target is None:
        return
    session.flush()
    view = contact_view(session, contact, with_transcript=False)
    publish(session, agent_id=target, type="contact", data=view.model_dump(mode="json"))


def add_line(
    session: Session,
    contact: Contact,
    text: str,
    *,
    speaker: Speaker = Speaker.SYSTEM,
    kind: str = "event",
    at: datetime | None = None,
) -> TranscriptLine:
    """Append a transcript line and send it as a ``transcript`` event to the contact's agent.

    ``text`` is stored as given (clean customer text first); ``seq`` is the
    next number within the contact. Other modules (verification, operations)
    may use this for their system lines so the desk sees them live.
    """
    last = session.scalar(
        select(func.max(TranscriptEntry.seq)).where(TranscriptEntry.contact_id == contact.id)
    )
    entry = TranscriptEntry(
        contact_id=contact.id,
        seq=(last or 0) + 1,
        at=at or utcnow(),
        speaker=speaker.value,
        kind=kind,
        text=text,
    )
    session.add(entry)
    session.flush()
    line = _line(entry)
    if contact.agent_id:
        event = TranscriptEvent(contact_id=contact.id, line=line)
        publish(session, agent_id=contact.agent_id, type="transcript", data=event.model_dump(mode="json"))
    return line


# -- queueing ------------------------------------------------------------------------


def queue_channel(settings: ServerSettings, queue: str) -> Channel | None:
    """The channel of configured queue ``queue``, or ``None`` when there is no such queue."""
    for name, channel in settings.queues:
        if name == queue:
            return Channel(channel)
    return None


def _rank(at: datetime) -> float:
    return at.timestamp()


def head_rank(session: Session, queue: str, now: datetime) -> float:
    """A ``queue_rank`` below every contact waiting in ``queue`` (the head of the queue)."""
    lowest = session.scalar(
        select(func.min(Contact.queue_rank)).where(
            Contact.status == ContactStatus.QUEUED.value, Contact.queue == queue
        )
    )
    base = _rank(now) if lowest is None else min(lowest, _rank(now))
    return base - 1.0


def enqueue_contact(
    ctx: ServerContext,
    channel: Channel | str,
    queue: str,
    customer_ref: str,
    first_words: str,
    simulated: bool = False,
    scenario: str | None = None,
    simulator_run: str | None = None,
) -> str:
    """Put a new contact at the tail of ``queue`` and return its id (for the simulator and tests).

    ``first_words`` is the customer's opening (untrusted: cleaned with
    ``clean_text`` and cut to 4000 characters). ``simulated``, ``scenario``
    and ``simulator_run`` (the :class:`~csdesk.server.models.SimulatorRun`
    playing the customer) mark a training-simulator customer. Raises
    ``ValueError`` for an unknown queue, a queue of another channel, or an
    unknown customer. The routing engine is woken to offer it at once if an
    agent is Ready.
    """
    channel = Channel(channel)
    if queue_channel(ctx.settings, queue) is not channel:
        raise ValueError(f"no {channel.value} queue named {queue!r}")
    wait_for_customers(ctx)
    now = utcnow()
    contact_id = uuid.uuid4().hex
    with ctx.db.write() as session:
        if session.get(Customer, customer_ref) is None:
            raise ValueError(f"unknown customer {customer_ref!r}")
        session.add(
            Contact(
                id=contact_id,
                channel=channel.value,
                queue=queue,
                queue_rank=_rank(now),
                status=ContactStatus.QUEUED.value,
                customer_ref=customer_ref,
                agent_id=None,
                first_words=clean_text(first_words, max_chars=MAX_MESSAGE_CHARS),
                queued_at=now,
                simulated=simulated,
                scenario=scenario,
                simulator_run=simulator_run,
            )
        )
    ctx.routing_wake.set()
    return contact_id


def queue_stats(session: Session, settings: ServerSettings, now: datetime | None = None) -> list[QueueStats]:
    """Depth of every configured queue: contacts ``queued`` and the longest wait (s) since queued."""
    now = now or utcnow()
    rows = session.execute(
        select(Contact.queue, func.count(), func.min(Contact.queued_at))
        .where(Contact.status == ContactStatus.QUEUED.value)
        .group_by(Contact.queue)
    ).all()
    depth = {queue: (count, oldest) for queue, count, oldest in rows}
    stats = []
    for name, channel in settings.queues:
        count, oldest = depth.get(name, (0, None))
        if isinstance(oldest, str):  # SQLite may hand an aggregate back as text
            oldest = datetime.fromisoformat(oldest)
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        wait = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
        stats.append(
            QueueStats(queue=name, channel=Channel(channel), waiting=count, longest_wait_seconds=round(wait, 3))
        )
    return stats


def requeue_at_head(session: Session, contact: Contact, now: datetime) -> None:
    """Put an offered contact back at the head of its queue (no agent, offer cleared)."""
    contact.queue_rank = head_rank(session, contact.queue, now)
    contact.status = ContactStatus.QUEUED.value
    contact.agent_id = None
    contact.offered_at = None
    contact.offer_expires_at = None


# -- the agent's contact -------------------------------------------------------------


def _agent(session: Session, agent_id: str) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise ProblemError("unauthorized", "The agent no longer exists.")
    return agent


def own_contact(session: Session, agent_id: str, contact_id: str) -> Contact:
    """The contact ``contact_id`` if it is this agent's; 404 ``not-found`` otherwise.

    Another agent's contact answers the same 404 as an unknown id.
    """
    contact = session.get(Contact, contact_id)
    if contact is None or contact.agent_id != agent_id:
        raise ProblemError("not-found", "No such contact of yours.")
    return contact


def current_contact(session: Session, agent_id: str) -> Contact | None:
    """The agent's live contact (offered, active or in wrap-up), newest first; ``None`` if none."""
    return session.scalar(
        select(Contact)
        .where(
            Contact.agent_id == agent_id,
            Contact.status.in_([s.value for s in LIVE_STATUSES]),
        )
        .order_by(Contact.queued_at.desc())
        .limit(1)
    )


def _not_active(contact: Contact, what: str) -> ProblemError:
    return ProblemError("contact-not-active", f"{what}: the contact is {contact.status}.")


def _require_active(contact: Contact, what: str) -> None:
    if contact.status != ContactStatus.ACTIVE.value:
        raise _not_active(contact, what)


def _require_phone(contact: Contact, what: str) -> None:
    if contact.channel != Channel.PHONE.value:
        raise ProblemError("illegal-transition", f"{what} is for phone contacts only.")


def _open_offer(session: Session, agent_id: str, contact_id: str) -> tuple[Contact, Agent]:
    """The contact offered to ``agent_id`` and that agent, while the offer rings.

    Raises :class:`ProblemError` ``not-found`` for an unknown contact and
    ``illegal-transition`` when the offer is not (or no longer) this agent's.
    """
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise ProblemError("not-found", "No such contact.")
    agent = _agent(session, agent_id)
    if (
        contact.status != ContactStatus.OFFERED.value
        or contact.agent_id != agent_id
        or agent.state != AgentState.OFFERED.value
    ):
        raise ProblemError("illegal-transition", "This offer is no longer open.")
    return contact, agent


def accept_offer(session: Session, agent_id: str, contact_id: str, now: datetime | None = None) -> Contact:
    """Accept the offer ringing at the agent: contact ``active``, agent On Contact.

    The transcript starts with a system line, then the customer's first
    words (``message`` on chat, ``caption`` on phone). 404 for an unknown
    contact; 409 ``illegal-transition`` when the offer is not (or no longer)
    this agent's. Audit ``offer-accepted``.
    """
    now = now or utcnow()
    contact, agent = _open_offer(session, agent_id, contact_id)
    contact.status = ContactStatus.ACTIVE.value
    contact.accepted_at = now
    contact.offer_expires_at = None
    move_agent(session, agent, AgentState.ON_CONTACT, None, now)
    add_line(session, contact, f"坐席 {agent.employee_id} 已接入 · Agent {agent.employee_id} joined", at=now)
    if contact.first_words:
        kind = "caption" if contact.channel == Channel.PHONE.value else "message"
        add_line(session, contact, contact.first_words, speaker=Speaker.CUSTOMER, kind=kind, at=now)
    audit(session, agent_id=agent_id, type="offer-accepted", detail=contact.id)
    publish_contact(session, contact)
    return contact


def decline_offer(
    session: Session, agent_id: str, contact_id: str, reason: str, now: datetime | None = None
) -> Contact:
    """Decline the offer: contact back to the head of its queue, agent Not Ready.

    The Not Ready reason is ``reason`` when it is one of ``AGENT_REASONS``
    (``break``…), else ``declined``; the reason text (cleaned, 64 characters
    at most) goes to the audit event ``offer-declined``. Errors as
    :func:`accept_offer`.
    """
    now = now or utcnow()
    contact, agent = _open_offer(session, agent_id, contact_id)
    requeue_at_head(session, contact, now)
    state_reason = (
        NotReadyReason(reason) if reason in {r.value for r in AGENT_REASONS} else NotReadyReason.DECLINED
    )
    move_agent(session, agent, AgentState.NOT_READY, state_reason, now)
    text = clean_text(reason, keep_newlines=False, max_chars=64)
    audit(session, agent_id=agent_id, type="offer-declined", detail=f"{contact.id}:{text}")
    publish_contact(session, contact, agent_id)
    return contact


def agent_message(
    session: Session, agent_id: str, contact_id: str, text: str, kind: str
) -> TranscriptLine:
    """The agent's chat message (``kind='message'``, active contact) or private note
    (``kind='note'``, active or in wrap-up). Text is cleaned like customer text.

    404 for another agent's contact; 409 ``contact-not-active`` otherwise.
    """
    contact = own_contact(session, agent_id, contact_id)
    allowed = {ContactStatus.ACTIVE.value}
    if kind == "note":
        allowed.add(ContactStatus.WRAP_UP.value)
    if contact.status not in allowed:
        raise _not_active(contact, "Cannot write")
    clean = clean_text(text, max_chars=MAX_MESSAGE_CHARS)
    if not clean.strip():
        raise ProblemError(
            "validation-error", "The message is empty.",
            errors=[{"field": "body.text", "message": "empty after removing control characters"}],
        )
    return add_line(session, contact, clean, speaker=Speaker.AGENT, kind=kind)


def set_hold(session: Session, agent_id: str, contact_id: str, on: bool, now: datetime | None = None) -> Contact:
    """Hold (``on=True``) or resume a phone contact; resuming adds the held time to ``hold_seconds``.

    409 ``illegal-transition`` on chat, or hold while held / resume while not
    held; 409 ``contact-not-active`` when the contact is not active.
    """
    now = now or utcnow()
    contact = own_contact(session, agent_id, contact_id)
    _require_phone(contact, "Hold")
    _require_active(contact, "Hold")
    if contact.on_hold == on:
        raise ProblemError("illegal-transition", "Already on hold." if on else "Not on hold.")
    if on:
        contact.on_hold = True
        contact.hold_started_at = now
        add_line(session, contact, "通话保持 · Call on hold", at=now)
    else:
        _stop_hold(contact, now)
        add_line(session, contact, "通话恢复 · Call resumed", at=now)
    publish_contact(session, contact)
    return contact


def _stop_hold(contact: Contact, now: datetime) -> None:
    if contact.on_hold and contact.hold_started_at is not None:
        contact.hold_seconds += max(0.0, (now - contact.hold_started_at).total_seconds())
    contact.on_hold = False
    contact.hold_started_at = None


def set_mute(session: Session, agent_id: str, contact_id: str, on: bool) -> Contact:
    """Mute (``on=True``) or unmute the agent's microphone on a phone contact.

    Errors as :func:`set_hold`.
    """
    contact = own_contact(session, agent_id, contact_id)
    _require_phone(contact, "Mute")
    _require_active(contact, "Mute")
    if contact.muted == on:
        raise ProblemError("illegal-transition", "Already muted." if on else "Not muted.")
    contact.muted = on
    publish_contact(session, contact)
    return contact


def stop_call(contact: Contact, now: datetime) -> None:
    """End an active contact's conversation at ``now``: status ``wrap_up``, ``ended_at``,
    a running hold added to ``hold_seconds``, unmuted. The ACW timer and the
    agent's state are the caller's."""
    _stop_hold(contact, now)
    contact.muted = False
    contact.status = ContactStatus.WRAP_UP.value
    contact.ended_at = now


def _to_acw(session: Session, settings: ServerSettings, contact: Contact, agent: Agent | None, now: datetime) -> None:
    stop_call(contact, now)
    contact.acw_deadline = now + timedelta(seconds=settings.acw_seconds)
    if agent is not None and agent.state == AgentState.ON_CONTACT.value:
        move_agent(session, agent, AgentState.ACW, None, now)


def end_contact(
    session: Session, settings: ServerSettings, agent_id: str, contact_id: str, now: datetime | None = None
) -> Contact:
    """The agent ends the contact: ``wrap_up``, agent ACW, ``acw_deadline = now + acw_seconds``.

    A hold still running is added to ``hold_seconds``. 409 ``contact-not-active``
    unless active.
    """
    now = now or utcnow()
    contact = own_contact(session, agent_id, contact_id)
    _require_active(contact, "Cannot end")
    add_line(session, contact, "坐席结束会话 · Agent ended the contact", at=now)
    _to_acw(session, settings, contact, _agent(session, agent_id), now)
    publish_contact(session, contact)
    return contact


def transfer_contact(
    session: Session, settings: ServerSettings, agent_id: str, contact_id: str, queue: str,
    now: datetime | None = None,
) -> tuple[Contact, str]:
    """Transfer a phone contact to another phone ``queue``; return (this contact, the new id).

    This contact goes to ``wrap_up`` (agent ACW, as :func:`end_contact`); the
    customer continues as a *new* contact at the head of ``queue`` (they
    waited already), with ``transferred_from`` set, the transcript copied
    and verification starting again at L0 (the next agent verifies anew).
    422 ``validation-error`` for an unknown, non-phone or the same queue;
    409 as :func:`set_hold`. Audit ``transfer``.
    """
    now = now or utcnow()
    contact = own_contact(session, agent_id, contact_id)
    _require_phone(contact, "Transfer")
    _require_active(contact, "Cannot transfer")
    if queue_channel(settings, queue) is not Channel.PHONE or queue == contact.queue:
        raise ProblemError(
            "validation-error", "Choose another phone queue.",
            errors=[{"field": "body.queue", "message": "an other configured phone queue"}],
        )
    new_id = uuid.uuid4().hex
    add_line(session, contact, transferred_to(queue), at=now)
    successor = Contact(
        id=new_id,
        channel=contact.channel,
        queue=queue,
        queue_rank=head_rank(session, queue, now),
        status=ContactStatus.QUEUED.value,
        customer_ref=contact.customer_ref,
        agent_id=None,
        first_words=contact.first_words,
        queued_at=now,
        simulated=contact.simulated,
        scenario=contact.scenario,
        simulator_run=contact.simulator_run,
        transferred_from=contact.id,
    )
    session.add(successor)
    session.flush()
    for line in transcript(session, contact.id):
        session.add(
            TranscriptEntry(
                contact_id=new_id, seq=line.seq, at=line.at, speaker=line.speaker.value,
                kind=line.kind, text=line.text,
            )
        )
    _to_acw(session, settings, contact, _agent(session, agent_id), now)
    audit(session, agent_id=agent_id, type="transfer", detail=f"{contact.id}->{queue}:{new_id}")
    publish_contact(session, contact)
    return contact, new_id


def extend_acw(
    session: Session, settings: ServerSettings, agent_id: str, contact_id: str, now: datetime | None = None
) -> Contact:
    """Extend the ACW timer once: ``acw_deadline = max(deadline, now) + acw_seconds``.

    409 ``illegal-transition`` when already extended; 409
    ``contact-not-active`` outside wrap-up.
    """
    now = now or utcnow()
    contact = own_contact(session, agent_id, contact_id)
    if contact.status != ContactStatus.WRAP_UP.value:
        raise _not_active(contact, "No ACW to extend")
    if contact.acw_extended:
        raise ProblemError("illegal-transition", "ACW can be extended once only.")
    deadline = contact.acw_deadline or now
    contact.acw_deadline = max(deadline, now) + timedelta(seconds=settings.acw_seconds)
    contact.acw_extended = True
    publish_contact(session, contact)
    return contact


def _seconds(start: datetime | None, end: datetime | None) -> float:
    if start is None or end is None:
        return 0.0
    return round(max(0.0, (end - start).total_seconds()), 3)


def record_view(row: SessionRecord) -> SessionRecordView:
    """A session record as sent on the wire."""
    return SessionRecordView(
        id=row.id,
        contact_id=row.contact_id,
        agent_id=row.agent_id,
        channel=Channel(row.channel),
        queue=row.queue,
        customer_ref=row.customer_ref,
        started_at=row.started_at,
        ended_at=row.ended_at,
        wrapped_up_at=row.wrapped_up_at,
        wait_seconds=row.wait_seconds,
        ring_seconds=row.ring_seconds,
        talk_seconds=row.talk_seconds,
        hold_seconds=row.hold_seconds,
        acw_seconds=row.acw_seconds,
        verification_level=row.verification_level,
        operations=[OperationDone.model_validate(op) for op in row.operations or []],
        disposition=row.disposition,
        notes=row.notes,
        business_types=list(row.business_types or []),
        missed_steps=list(row.missed_steps or []),
        callback_needed=row.callback_needed,
        customer_left=row.customer_left,
        transferred_to=row.transferred_to,
    )


def session_record_docs(session: Session, agent_id: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Sync documents of the session records ``ids`` that ``agent_id`` handled (others left out).

    Each is the :class:`SessionRecordView` fields (JSON) plus ``transcript``
    (the contact's lines as the agent saw them, cleaned: ``seq``, ``at``,
    ``speaker``, ``kind``, ``text``; notes and system lines included) and
    ``customer_name`` (``""`` when the customer is gone).
    """
    if not ids:
        return {}
    rows = list(session.scalars(select(SessionRecord).where(
        SessionRecord.id.in_(ids), SessionRecord.agent_id == agent_id)))
    refs = {row.customer_ref for row in rows}
    names = dict(session.execute(
        select(Customer.customer_ref, Customer.name).where(Customer.customer_ref.in_(refs))).all())
    lines: dict[str, list[dict[str, Any]]] = {row.contact_id: [] for row in rows}
    for entry in session.scalars(
        select(TranscriptEntry)
        .where(TranscriptEntry.contact_id.in_(list(lines)))
        .order_by(TranscriptEntry.contact_id, TranscriptEntry.seq)
    ):
        lines[entry.contact_id].append(_line(entry).model_dump(mode="json"))
    return {
        row.id: {
            **record_view(row).model_dump(mode="json"),
            "transcript": lines[row.contact_id],
            "customer_name": names.get(row.customer_ref, ""),
        }
        for row in rows
    }


def acw_end(submitted_at: datetime | None, acw_start: datetime, now: datetime) -> datetime:
    """Where a wrap-up's ACW time ends: ``now`` (its arrival), or the desk's
    ``submitted_at`` (a wrap-up queued while the backend was unreachable)
    clamped to [``acw_start``, ``now``]: an outage does not inflate the
    record's ACW, and a client clock is never trusted beyond that range.
    A ``submitted_at`` without a time zone is taken as UTC."""
    if submitted_at is None:
        return now
    if submitted_at.tzinfo is None:
        submitted_at = submitted_at.replace(tzinfo=UTC)
    return min(max(submitted_at, acw_start), now)


def wrap_up(
    session: Session, agent_id: str, contact_id: str, body: WrapUpRequest, now: datetime | None = None
) -> SessionRecordView:
    """Leave ACW with a disposition code: write the session record, close the contact.

    The agent goes Ready, or Not Ready with ``body.not_ready_reason`` (one of
    ``AGENT_REASONS``). 422 ``validation-error`` for a code outside
    ``GET /dispositions`` or a bad reason; 409 ``contact-not-active``
    outside wrap-up; 409 ``illegal-transition`` when the agent is not in ACW
    (e.g. signed out meanwhile). Audit ``wrap-up``. The record is recorded
    in the change log of sync collection ``session_records`` for the agent
    (:func:`session_record_docs`). A retry with the same ``Idempotency-Key``
    replays the answer (``csdesk.server.idempotency``); without one, a
    second wrap-up finds the contact closed (409): one record per contact.
    """
    now = now or utcnow()
    contact = own_contact(session, agent_id, contact_id)
    if not is_disposition(body.disposition):
        raise ProblemError(
            "validation-error", "Choose a disposition code from the list.",
            errors=[{"field": "body.disposition", "message": "not a code of GET /dispositions"}],
        )
    next_reason: NotReadyReason | None = None
    if body.not_ready_reason is not None:
        if body.not_ready_reason not in {r.value for r in AGENT_REASONS}:
            raise ProblemError(
                "validation-error", "Not Ready needs a reason.",
                errors=[{"field": "body.not_ready_reason", "message": "choose one of: " + ", ".join(AGENT_REASONS)}],
            )
        next_reason = NotReadyReason(body.not_ready_reason)
    if contact.status != ContactStatus.WRAP_UP.value:
        raise _not_active(contact, "No wrap-up due")
    agent = _agent(session, agent_id)
    if agent.state != AgentState.ACW.value:
        raise ProblemError("illegal-transition", f"Wrap-up needs ACW; the agent is {agent.state}.")
    successor = session.scalar(select(Contact).where(Contact.transferred_from == contact.id))
    ops = operations_done(session, contact.id)
    ended = contact.ended_at or now
    row = SessionRecord(
        id=uuid.uuid4().hex,
        contact_id=contact.id,
        agent_id=agent_id,
        channel=contact.channel,
        queue=contact.queue,
        customer_ref=contact.customer_ref,
        started_at=contact.accepted_at or ended,
        ended_at=ended,
        wrapped_up_at=now,
        wait_seconds=_seconds(contact.queued_at, contact.accepted_at),
        ring_seconds=_seconds(contact.offered_at, contact.accepted_at),
        talk_seconds=round(max(0.0, _seconds(contact.accepted_at, ended) - contact.hold_seconds), 3),
        hold_seconds=round(contact.hold_seconds, 3),
        acw_seconds=_seconds(ended, acw_end(body.submitted_at, ended, now)),
        verification_level=int(verification_level(_methods(contact))),
        operations=[op.model_dump(mode="json") for op in ops],
        disposition=body.disposition,
        notes=clean_text(body.notes, max_chars=MAX_MESSAGE_CHARS),
        business_types=[clean_text(b, keep_newlines=False, max_chars=64) for b in body.business_types][:32],
        missed_steps=[clean_text(s, keep_newlines=False, max_chars=64) for s in body.missed_steps][:32],
        callback_needed=body.callback_needed,
        customer_left=contact.customer_left,
        transferred_to=successor.queue if successor is not None else None,
    )
    session.add(row)
    record_change(session, SESSION_RECORDS, row.id, agent_id=agent_id)  # sync: the agent's records
    contact.status = ContactStatus.CLOSED.value
    contact.closed_at = now
    contact.acw_deadline = None
    if next_reason is None:
        move_agent(session, agent, AgentState.READY, None, now)
    else:
        move_agent(session, agent, AgentState.NOT_READY, next_reason, now)
    audit(session, agent_id=agent_id, type="wrap-up", detail=f"{contact.id}:{body.disposition}")
    publish_contact(session, contact)
    session.flush()
    return record_view(row)


# -- the customer's side (simulator, tests) ----------------------------------------------


def customer_says(ctx: ServerContext, contact_id: str, text: str, kind: str = "message") -> TranscriptLine:
    """The customer of an active contact says ``text`` (chat ``message`` or phone ``caption``).

    The text is untrusted: cleaned with ``clean_text`` (4000 characters at
    most) before it is stored; the agent gets a ``transcript`` event.
    Raises ``LookupError`` for an unknown contact, ``ValueError`` when it is
    not active, the cleaned text is empty or ``kind`` is not
    ``message``/``caption``.
    """
    if kind not in ("message", "caption"):
        raise ValueError(f"kind must be message or caption, not {kind!r}")
    clean = clean_text(text, max_chars=MAX_MESSAGE_CHARS)
    if not clean.strip():
        raise ValueError("empty message")
    with ctx.db.write() as session:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise LookupError(contact_id)
        if contact.status != ContactStatus.ACTIVE.value:
            raise ValueError(f"contact is {contact.status}")
        return add_line(session, contact, clean, speaker=Speaker.CUSTOMER, kind=kind)


#: The system line of an active contact whose customer hung up / closed the chat.
CUSTOMER_LEFT_LINE = "客户已挂断 · Customer left"


def customer_leaves(ctx: ServerContext, contact_id: str) -> ContactStatus:
    """The customer hangs up / closes the chat; return the contact's status afterwards.

    :func:`customer_gone` in its own write transaction, then the routing
    engine is woken. Raises ``LookupError`` for an unknown contact.
    """
    with ctx.db.write() as session:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise LookupError(contact_id)
        result = customer_gone(session, ctx.settings, contact, utcnow())
    ctx.routing_wake.set()
    return result


def customer_gone(
    session: Session, settings: ServerSettings, contact: Contact, now: datetime,
    line: str = CUSTOMER_LEFT_LINE,
) -> ContactStatus:
    """The contact's customer is gone (in ``session``'s transaction); return the status afterwards.

    - queued or offered: ``abandoned`` (an agent it rang at goes back to
      Ready, with a ``contact`` event);
    - active: ``customer_left``, system ``line``, ``wrap_up`` and the agent to
      ACW with the ACW timer (audit ``customer-left``); it stays the agent's
      and the desk offers a callback at wrap-up;
    - in wrap-up: only ``customer_left`` is set; closed/abandoned: nothing.

    Risk disclosures still awaiting the customer's answer lapse as "no
    answer" (:func:`csdesk.server.disclosures.lapse_pending`). Wake the
    routing engine after the commit.
    """
    from csdesk.server.disclosures import lapse_pending

    status = ContactStatus(contact.status)
    if status in (ContactStatus.CLOSED, ContactStatus.ABANDONED):
        return status
    contact.customer_left = True
    if status in (ContactStatus.QUEUED, ContactStatus.OFFERED):
        agent = session.get(Agent, contact.agent_id) if contact.agent_id else None
        contact.status = ContactStatus.ABANDONED.value
        contact.closed_at = now
        contact.offer_expires_at = None
        if agent is not None:
            if agent.state == AgentState.OFFERED.value:
                move_agent(session, agent, AgentState.READY, None, now)
            publish_contact(session, contact)
    elif status is ContactStatus.ACTIVE:
        add_line(session, contact, line, at=now)
        lapse_pending(session, contact.id, now)
        agent = session.get(Agent, contact.agent_id) if contact.agent_id else None
        _to_acw(session, settings, contact, agent, now)
        audit(session, agent_id=contact.agent_id, type="customer-left", detail=contact.id)
        publish_contact(session, contact)
    else:
        lapse_pending(session, contact.id, now)
        publish_contact(session, contact)
    return ContactStatus(contact.status)


def successor_of(ctx: ServerContext, contact_id: str) -> str | None:
    """The id of the contact that continues ``contact_id`` after a transfer, if any."""
    with ctx.db.read() as session:
        return session.scalar(select(Contact.id).where(Contact.transferred_from == contact_id))
