"""Signing in and out with a contact in hand: nothing is lost (issue #4, operating guide §2.1, §4).

The rules, applied in the transaction that signs the agent in or out:

Signing out — ``POST /auth/logout``, a sign-in ended by the lockout or by
revoked tokens (``csdesk admin``), ``PUT /me/state`` Offline, or a sign-in
whose refresh tokens all expired (:func:`expire_sign_ins`, run by the
routing engine) — with :func:`release_contacts`:

- an offer ringing at the agent goes back to the *head* of its queue (no
  "missed offer": the agent did not let it ring out); audit ``offer-returned``;
- an active contact is ended by the backend: a system line "agent signed
  out" (the customer sees the chat close; a simulated customer stops
  talking), ``wrap_up``, and it stays the agent's, awaiting wrap-up; audit
  ``contact-ended-sign-out``;
- a contact in wrap-up stays the agent's.

Either way the ACW timer stops (``acw_deadline`` cleared): nobody is
overdue while signed out. An agent who went Offline by hand and, still
signed in, asks for Ready or Not Ready while a contact awaits wrap-up is
put back in ACW instead (:func:`resume_from_offline`). ``PUT /me/state`` Offline while On Contact stays
refused (409 ``illegal-transition``): a state change is not a sign-out, and
the desk must end or hand over the contact first.

Signing in (MFA passed), with :func:`state_at_sign_in`:

- a contact awaiting wrap-up: the agent comes back in ACW, with a new ACW
  timer from now (``acw_seconds``), so ``GET /me/contact`` returns it and
  ``POST /contacts/{id}/wrap-up`` works;
- an active contact (the desk died without signing out, the agent signs in
  again): the agent comes back On Contact with it;
- an offer still ringing (same case): it goes back to the queue head;
- otherwise Not Ready ``sign_in``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from csdesk.domain.agent_state import AgentState, NotReadyReason
from csdesk.domain.contacts import ContactStatus
from csdesk.server.agents import move_agent
from csdesk.server.audit import audit
from csdesk.server.config import ServerSettings
from csdesk.server.contacts import LIVE_STATUSES, add_line, publish_contact, requeue_at_head, stop_call
from csdesk.server.models import Agent, Contact, Token

#: The system line an active contact gets when its agent signs out.
SIGNED_OUT_LINE = "坐席已签出，会话结束 · Agent signed out; the contact ended"


def _live_contacts(session: Session, agent_id: str) -> list[Contact]:
    return list(
        session.scalars(
            select(Contact)
            .where(Contact.agent_id == agent_id, Contact.status.in_([s.value for s in LIVE_STATUSES]))
            .order_by(Contact.queued_at)
        )
    )


def _return_offer(session: Session, agent: Agent, contact: Contact, now: datetime) -> None:
    """An offer ringing at ``agent`` goes back to its queue head (audit ``offer-returned``)."""
    requeue_at_head(session, contact, now)
    audit(session, agent_id=agent.employee_id, type="offer-returned", detail=contact.id)
    publish_contact(session, contact, agent.employee_id)


def release_contacts(session: Session, agent: Agent, now: datetime) -> None:
    """Apply the sign-out rules of this module to the agent's live contacts.

    Does not move the agent (the caller puts it Offline). Publishes a
    ``contact`` event per contact touched (and ``transcript`` for the
    system line). Wake the routing engine after the commit: a returned offer
    can go to another agent at once.
    """
    for contact in _live_contacts(session, agent.employee_id):
        status = ContactStatus(contact.status)
        if status is ContactStatus.OFFERED:
            _return_offer(session, agent, contact, now)
            continue
        if status is ContactStatus.ACTIVE:
            add_line(session, contact, SIGNED_OUT_LINE, at=now)
            stop_call(contact, now)
            audit(session, agent_id=agent.employee_id, type="contact-ended-sign-out", detail=contact.id)
        contact.acw_deadline = None  # the ACW timer restarts at the next sign-in
        publish_contact(session, contact)


def sign_out(session: Session, agent: Agent, now: datetime) -> None:
    """Release the agent's contacts (:func:`release_contacts`) and put the agent Offline."""
    release_contacts(session, agent, now)
    move_agent(session, agent, AgentState.OFFLINE, None, now)


def _resume(session: Session, settings: ServerSettings, agent: Agent, now: datetime) -> AgentState | None:
    """The state the agent's live contacts call for: On Contact (active), ACW (wrap-up,
    timer restarted), or None. A ringing offer goes back to the queue head."""
    target: AgentState | None = None
    for contact in _live_contacts(session, agent.employee_id):
        status = ContactStatus(contact.status)
        if status is ContactStatus.OFFERED:
            _return_offer(session, agent, contact, now)
        elif status is ContactStatus.ACTIVE:
            target = AgentState.ON_CONTACT
        elif target is not AgentState.ON_CONTACT:
            contact.acw_deadline = now + timedelta(seconds=settings.acw_seconds)
            publish_contact(session, contact)
            target = AgentState.ACW
    return target


def state_at_sign_in(session: Session, settings: ServerSettings, agent: Agent, now: datetime) -> None:
    """Put a signing-in agent where its contacts say (see the module docstring).

    ACW with a contact awaiting wrap-up (``acw_deadline`` = now +
    ``settings.acw_seconds``), On Contact with an active contact, else Not
    Ready ``sign_in`` (a ringing offer goes back to the queue head first).
    Publishes the ``state`` event and a ``contact`` event for a contact
    whose timer restarted.
    """
    target = _resume(session, settings, agent, now)
    if target is None:
        move_agent(session, agent, AgentState.NOT_READY, NotReadyReason.SIGN_IN, now)
    else:
        move_agent(session, agent, target, None, now)


def resume_from_offline(session: Session, settings: ServerSettings, agent: Agent, now: datetime) -> bool:
    """An Offline (but signed-in) agent asks for another state by hand: when a contact
    awaits its wrap-up, put the agent back in ACW with a new timer instead and
    return True (the caller answers with that state); else change nothing, False.

    So Offline by hand never lets an agent take new contacts past a wrap-up due.
    """
    if agent.state != AgentState.OFFLINE.value:
        return False
    target = _resume(session, settings, agent, now)
    if target is None:
        return False
    move_agent(session, agent, target, None, now)
    return True


def expire_sign_ins(session: Session, now: datetime) -> list[str]:
    """Sign out every agent who is not Offline but has no live refresh token left.

    A sign-in ends at its refresh tokens' absolute end (``refresh_ttl``) or
    when they are revoked; the desk can no longer act, so its contacts are
    released by the sign-out rules. Audit ``sign-out`` with detail
    ``expired``. Returns the employee IDs signed out.
    """
    live_token = exists().where(
        Token.agent_id == Agent.employee_id,
        Token.kind == "refresh",
        Token.revoked_at.is_(None),
        Token.expires_at > now,
    )
    agents = session.scalars(
        select(Agent).where(Agent.state != AgentState.OFFLINE.value, ~live_token)
    ).all()
    for agent in agents:
        sign_out(session, agent, now)
        audit(session, agent_id=agent.employee_id, type="sign-out", detail="expired")
    return [agent.employee_id for agent in agents]
