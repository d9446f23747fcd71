"""Simulated customers whose simulator is gone are closed out honestly (issue #4).

A training-simulator customer lives in the memory of the simulator that
plays it. When that simulator is gone — the backend was restarted, killed
or crashed, or the simulator stopped — its contacts still ``queued``,
``offered`` or ``active`` have nobody behind them: nobody answers the
agent, consents to a disclosure or hangs up. A real customer whose line
drops leaves, so these customers leave too
(:func:`csdesk.server.contacts.customer_gone`):

- queued or offered: ``abandoned`` (the customer gave up; a ringing agent
  goes back to Ready);
- active: the system line :data:`ORPHAN_LINE`, ``customer_left``,
  ``wrap_up`` and the agent to ACW; the contact stays the agent's, who
  wraps it up with "callback needed" offered;
- their risk disclosures still awaiting an answer lapse as "no answer"
  (no consent);
- audit ``simulated-contact-closed`` (detail: contact id and run).

Contacts of real customers (``Contact.simulated`` false) are never touched.

Runs: a simulator records itself as a :class:`SimulatorRun` (:func:`begin_run`),
stamps its contacts with the run id (``Contact.simulator_run``), renews
``seen_at`` every :data:`HEARTBEAT_SECONDS` (:func:`heartbeat`) and, when it
stops cleanly, closes its own contacts (:func:`end_run`). A run is gone
(:func:`run_is_gone`) once stopped, when it ran on this machine and its
process is no longer running, or when it was not seen for
:data:`LEASE_SECONDS` (another machine, or a reused process id). Replicas
sharing one database therefore leave each other's live customers alone.

When: :func:`close_orphans_at_start` in the backend's lifespan start, before
routing and the simulator start — there, a simulated contact without a run
(made before runs were recorded) counts as orphaned too; and every
:data:`CHECK_SECONDS` the routing engine calls :func:`close_orphans` for runs
that died while this backend kept running (another replica's crash).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.contacts import ContactStatus
from csdesk.server.audit import audit
from csdesk.server.config import ServerSettings
from csdesk.server.context import ServerContext
from csdesk.server.db import utcnow
from csdesk.server.models import Contact, SimulatorRun
from csdesk.server.texts import bilingual

_log = logging.getLogger(__name__)

#: Seconds between two heartbeats of a running simulator.
HEARTBEAT_SECONDS = 5.0
#: A run not seen for this many seconds is gone.
LEASE_SECONDS = 60.0
#: How often the routing engine looks for contacts of runs that died, s.
CHECK_SECONDS = 5.0

#: The system line of an active contact whose simulated customer is gone.
ORPHAN_LINE = bilingual("模拟客户已离开：模拟器已停止", "Simulated customer left: the simulator stopped")

#: Contact statuses in which a customer is still expected to act.
_WAITING = (ContactStatus.QUEUED.value, ContactStatus.OFFERED.value, ContactStatus.ACTIVE.value)


def _host() -> str:
    return socket.gethostname()[:255]


def begin_run(ctx: ServerContext) -> str:
    """Record a new simulator run of this process (host, pid, now); return its id."""
    now = utcnow()
    run_id = uuid.uuid4().hex
    with ctx.db.write() as session:
        session.add(SimulatorRun(id=run_id, host=_host(), pid=os.getpid(), started_at=now, seen_at=now))
    return run_id


def heartbeat(ctx: ServerContext, run_id: str) -> None:
    """Renew the run's ``seen_at`` (call every :data:`HEARTBEAT_SECONDS`)."""
    with ctx.db.write() as session:
        run = session.get(SimulatorRun, run_id)
        if run is not None:
            run.seen_at = utcnow()


def end_run(ctx: ServerContext, run_id: str) -> list[str]:
    """The run stopped cleanly: mark it stopped and close out its contacts now.

    Returns the ids of the contacts closed out (see the module docstring).
    """
    now = utcnow()
    with ctx.db.write() as session:
        run = session.get(SimulatorRun, run_id)
        if run is not None:
            run.stopped_at = now
        contacts = session.scalars(
            select(Contact).where(
                Contact.simulated.is_(True), Contact.simulator_run == run_id, Contact.status.in_(_WAITING)
            )
        ).all()
        closed = [_close_out(session, ctx.settings, contact, now) for contact in contacts]
    ctx.routing_wake.set()
    return closed


def _process_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it runs
        return True
    except OSError:
        return True  # cannot tell (another platform): the lease decides
    return True


def run_is_gone(run: SimulatorRun | None, now: datetime) -> bool:
    """Whether the simulator of ``run`` is gone: no such run, stopped, its process on this
    machine not running, or not seen for :data:`LEASE_SECONDS`."""
    if run is None or run.stopped_at is not None:
        return True
    if run.seen_at <= now - timedelta(seconds=LEASE_SECONDS):
        return True
    return run.host == _host() and not _process_running(run.pid)


def _close_out(session: Session, settings: ServerSettings, contact: Contact, now: datetime) -> str:
    from csdesk.server.contacts import customer_gone

    customer_gone(session, settings, contact, now, line=ORPHAN_LINE)
    audit(session, agent_id=contact.agent_id, type="simulated-contact-closed",
          detail=f"{contact.id} run={contact.simulator_run or '-'}")
    return contact.id


def close_orphans(
    session: Session, settings: ServerSettings, now: datetime, *, runless: bool = False
) -> list[str]:
    """Close out the waiting simulated contacts whose run is gone (in ``session``'s
    write transaction); ``runless`` also those without a run (only at backend start:
    nothing of this process made them). Returns the contact ids, oldest first.
    Wake the routing engine after the commit."""
    contacts = session.scalars(
        select(Contact)
        .where(Contact.simulated.is_(True), Contact.status.in_(_WAITING))
        .order_by(Contact.queued_at)
    ).all()
    runs: dict[str, bool] = {}
    closed = []
    for contact in contacts:
        run_id = contact.simulator_run
        if run_id is None:
            gone = runless
        else:
            if run_id not in runs:
                runs[run_id] = run_is_gone(session.get(SimulatorRun, run_id), now)
            gone = runs[run_id]
        if gone:
            closed.append(_close_out(session, settings, contact, now))
    return closed


def close_orphans_at_start(ctx: ServerContext) -> list[str]:
    """:func:`close_orphans` with ``runless=True`` in its own transaction (the lifespan start)."""
    with ctx.db.write() as session:
        closed = close_orphans(session, ctx.settings, utcnow(), runless=True)
    if closed:
        _log.info("closed out %d simulated contact(s) left by a simulator that is gone", len(closed))
        ctx.routing_wake.set()
    return closed
