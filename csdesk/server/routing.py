"""The routing engine: offers, offer timeouts and ACW deadlines (issue #4, operating guide §2.1).

Rules, applied by :meth:`RoutingEngine.run_once` in one write transaction:

0. *Expired sign-ins*: an agent who is not Offline but whose sign-in has
   no live refresh token left (absolute end reached, or revoked) is signed
   out by the rules of :mod:`csdesk.server.presence` (offer back to the
   queue head, an active contact ended into wrap-up and kept).
1. *Offer timeout*: an offer not answered by its ``offer_expires_at``
   (``ServerSettings.offer_timeout`` after it rang) is missed: the agent goes
   Not Ready ``missed_offer`` (``state`` event), the contact goes back to the
   head of its queue (a ``queue_rank`` below every waiting one) and a
   ``contact`` event tells the agent; audit ``offer-missed``. An offer whose
   agent is no longer Offered (signed out) goes back to the head too.
2. *Offers*: while some agent is Ready, the contact at the head of the
   queues (lowest ``queue_rank`` over all queues: put-back contacts first,
   then the longest waiting) is offered to the *longest-idle* Ready agent —
   the one Ready for longest (``Agent.state_since`` while Ready is its
   ready-since time; ties by employee ID) — except that a transferred
   contact is never offered to the agent who transferred it (it waits for
   another agent; see :meth:`RoutingEngine._agent_for`). The contact becomes ``offered``,
   the agent Offered (``state`` event) and the agent gets an ``offer``
   event with an :class:`OfferView`.
3. *ACW overdue*: a contact in wrap-up past its ``acw_deadline`` sends one
   ``acw_overdue`` event per deadline to its agent, who stays in ACW (only a
   wrap-up code leaves it). Remembered in memory: a restarted backend sends
   it again.
4. *Disclosure expiry*: a risk disclosure still unanswered
   ``ServerSettings.disclosure_timeout`` after it was sent lapses as "no
   answer" (no consent; :func:`csdesk.server.disclosures.expire_disclosures`).
5. *Orphaned simulated customers*: every
   :data:`~csdesk.server.orphans.CHECK_SECONDS`, waiting contacts of a
   training-simulator run that is gone are closed out
   (:func:`csdesk.server.orphans.close_orphans`).

The engine runs in a daemon thread started with the app (its lifespan); it
wakes every ``ServerSettings.routing_tick`` seconds and at once when
``ctx.routing_wake`` is set (new contact, agent Ready, decline, wrap-up…).
Several engines on one database (replicas) are safe: every decision is
re-checked inside the ``BEGIN IMMEDIATE`` transaction that applies it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.agent_state import AgentState, NotReadyReason
from csdesk.domain.contact_schemas import AcwOverdueEvent, OfferView
from csdesk.domain.contacts import Channel, ContactStatus
from csdesk.server.agents import move_agent
from csdesk.server.audit import audit
from csdesk.server.contacts import publish_contact, requeue_at_head
from csdesk.server.context import ServerContext
from csdesk.server.db import utcnow
from csdesk.server.disclosures import expire_disclosures
from csdesk.server.events import publish
from csdesk.server.models import Agent, Contact
from csdesk.server.orphans import CHECK_SECONDS, close_orphans
from csdesk.server.presence import expire_sign_ins

_log = logging.getLogger(__name__)


def offer_view(contact: Contact, now: datetime) -> OfferView:
    """The ``offer`` event's data for an offered ``contact``."""
    assert contact.offered_at is not None and contact.offer_expires_at is not None
    return OfferView(
        contact_id=contact.id,
        channel=Channel(contact.channel),
        queue=contact.queue,
        waited_seconds=round(max(0.0, (now - contact.queued_at).total_seconds()), 3),
        first_words=contact.first_words,
        offered_at=contact.offered_at,
        expires_at=contact.offer_expires_at,
    )


class RoutingEngine:
    """Applies the routing rules of this module for one :class:`ServerContext`.

    :meth:`start` runs :meth:`run_once` in a daemon thread until :meth:`stop`;
    tests may call :meth:`run_once` directly.
    """

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._overdue_sent: set[tuple[str, datetime]] = set()
        self._orphans_checked: datetime | None = None
        self._sla_swept: datetime | None = None

    def start(self) -> None:
        """Start the engine's thread (once)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="csdesk-routing", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it (at most a few seconds)."""
        self._stop.set()
        self.ctx.routing_wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        wake = self.ctx.routing_wake
        while not self._stop.is_set():
            wake.clear()
            try:
                self.run_once()
            except Exception:  # database busy or closing: try again at the next tick
                _log.debug("routing pass failed", exc_info=True)
            wake.wait(self.ctx.settings.routing_tick)

    def run_once(self, now: datetime | None = None) -> int:
        """One pass of the rules; return how many offers it made."""
        now = now or utcnow()
        with self.ctx.db.write() as session:
            expire_sign_ins(session, now)
            self._expire_offers(session, now)
            offers = self._offer(session, now)
            self._acw_overdue(session, now)
            expire_disclosures(session, now, self.ctx.settings.disclosure_timeout)
            orphans = self._orphans(session, now)
            self._sweep_work_orders(session, now)
        if orphans:
            self.ctx.routing_wake.set()  # an agent a closed-out offer rang at is Ready again
        return offers

    def _sweep_work_orders(self, session: Session, now: datetime) -> list[str]:
        """Escalate breached work orders (issue #6), at most every ``sla_sweep_seconds``."""
        from csdesk.server.work_orders import sweep

        last = self._sla_swept
        if last is not None and now - last < timedelta(seconds=self.ctx.settings.sla_sweep_seconds):
            return []
        self._sla_swept = now
        return sweep(session, self.ctx.work_orders, now)

    def _orphans(self, session: Session, now: datetime) -> list[str]:
        last = self._orphans_checked
        if last is not None and now - last < timedelta(seconds=CHECK_SECONDS):
            return []
        self._orphans_checked = now
        return close_orphans(session, self.ctx.settings, now)

    def _expire_offers(self, session: Session, now: datetime) -> None:
        offered = session.scalars(
            select(Contact).where(Contact.status == ContactStatus.OFFERED.value)
        ).all()
        for contact in offered:
            agent = session.get(Agent, contact.agent_id) if contact.agent_id else None
            ringing = agent is not None and agent.state == AgentState.OFFERED.value
            expired = contact.offer_expires_at is not None and contact.offer_expires_at <= now
            if ringing and not expired:
                continue
            agent_id = contact.agent_id
            requeue_at_head(session, contact, now)
            if ringing and agent is not None:
                move_agent(session, agent, AgentState.NOT_READY, NotReadyReason.MISSED_OFFER, now)
                audit(session, agent_id=agent.employee_id, type="offer-missed", detail=contact.id)
            if agent_id is not None:
                publish_contact(session, contact, agent_id)

    def _offer(self, session: Session, now: datetime) -> int:
        queues = [name for name, _channel in self.ctx.settings.queues]
        made = 0
        while True:
            ready = session.scalars(
                select(Agent)
                .where(Agent.state == AgentState.READY.value)
                .order_by(Agent.state_since, Agent.employee_id)
            ).all()
            if not ready:
                return made
            waiting = session.scalars(
                select(Contact)
                .where(Contact.status == ContactStatus.QUEUED.value, Contact.queue.in_(queues))
                .order_by(Contact.queue_rank, Contact.queued_at)
            ).all()
            transferred_by = self._transferring_agents(session, waiting)
            pair = next(
                ((contact, agent) for contact in waiting
                 if (agent := self._agent_for(contact, ready, transferred_by)) is not None),
                None,
            )
            if pair is None:
                return made
            contact, agent = pair
            contact.status = ContactStatus.OFFERED.value
            contact.agent_id = agent.employee_id
            contact.offered_at = now
            contact.offer_expires_at = now + timedelta(seconds=self.ctx.settings.offer_timeout)
            move_agent(session, agent, AgentState.OFFERED, None, now)
            publish(
                session,
                agent_id=agent.employee_id,
                type="offer",
                data=offer_view(contact, now).model_dump(mode="json"),
            )
            session.flush()
            made += 1

    @staticmethod
    def _transferring_agents(session: Session, waiting: Sequence[Contact]) -> dict[str, str | None]:
        """Contact id → agent id of the contacts that ``waiting`` were transferred
        from (one query for the whole queue, none when nothing was transferred)."""
        sources = {contact.transferred_from for contact in waiting if contact.transferred_from is not None}
        if not sources:
            return {}
        rows = session.execute(select(Contact.id, Contact.agent_id).where(Contact.id.in_(sources)))
        return {contact_id: agent_id for contact_id, agent_id in rows}

    @staticmethod
    def _agent_for(
        contact: Contact, ready: Sequence[Agent], transferred_by: dict[str, str | None]
    ) -> Agent | None:
        """The longest-idle agent of ``ready`` who may be offered ``contact``, or None.

        A transferred contact is never offered to the agent who transferred it
        (the agent of its ``transferred_from`` contact): the transfer said this
        customer needs another line, so ringing the same agent again would undo
        it and bounce the customer back (the agent, just Ready after the
        transfer's wrap-up, is often the longest idle). It waits for another
        agent; contacts behind it may meanwhile go to that agent.
        ``transferred_by``: :meth:`_transferring_agents` of the queue.
        """
        excluded = transferred_by.get(contact.transferred_from) if contact.transferred_from else None
        return next((agent for agent in ready if agent.employee_id != excluded), None)

    def _acw_overdue(self, session: Session, now: datetime) -> None:
        overdue = session.scalars(
            select(Contact).where(
                Contact.status == ContactStatus.WRAP_UP.value,
                Contact.acw_deadline.is_not(None),
                Contact.acw_deadline <= now,
            )
        ).all()
        still_overdue: set[tuple[str, datetime]] = set()
        for contact in overdue:
            assert contact.acw_deadline is not None
            key = (contact.id, contact.acw_deadline)
            still_overdue.add(key)
            if key in self._overdue_sent or contact.agent_id is None:
                continue
            event = AcwOverdueEvent(contact_id=contact.id, acw_deadline=contact.acw_deadline)
            publish(session, agent_id=contact.agent_id, type="acw_overdue", data=event.model_dump(mode="json"))
        # Forget contacts that left wrap-up or got a new deadline (bounded memory).
        self._overdue_sent = still_overdue
