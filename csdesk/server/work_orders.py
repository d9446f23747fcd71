"""Work orders and complaints on the backend: create, route, move, assign, comment,
extend, escalate and serve them (issue #6, operating guide §2.4, §3.2).

Every function here runs inside the caller's write transaction (``session``)
and takes ``now`` (aware UTC) from the caller, so the route handlers can wrap
them in the idempotency machinery and tests can inject the clock. The rules:

- the status flow and field limits are :mod:`csdesk.domain.work_orders`, the
  SLA policies and clocks :mod:`csdesk.domain.sla`;
- every change bumps ``version``, appends one immutable
  :class:`~csdesk.server.models.WorkOrderEvent` and records a ``work_orders``
  change for every agent who sees the order before or after it (its creator,
  its assignee, the team working its queue, and supervisors once it is
  escalated; one who no longer sees it gets a deletion) plus a
  ``work_order`` event on their streams;
- a change based on a stale version is a 409 ``version-conflict`` whose
  problem carries the stored order (``current``), never an overwrite;
- a breach of the resolution clock, or a complaint graded ``major``, moves the
  order to the escalation queue and says so in the history.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from csdesk.domain import sla
from csdesk.domain import work_order_schemas as ws
from csdesk.domain import work_orders as wo
from csdesk.domain.text import clean_text, one_line
from csdesk.domain.work_order_views import first_response_clock_of, resolution_clock_of
from csdesk.server.changes import record_change
from csdesk.server.events import publish
from csdesk.server.models import Agent, WorkOrder, WorkOrderEvent
from csdesk.server.problems import ProblemError
from csdesk.server.work_order_config import WorkOrderConfig

#: Sync collection and event type.
WORK_ORDERS = "work_orders"
#: Roles that may take and assign any order of their team's queues.
LEAD_ROLES = frozenset({"lead", "supervisor"})


# -- problems --------------------------------------------------------------------------


def _invalid(problems: list[wo.FieldProblem]) -> ProblemError:
    """A 422 ``validation-error`` listing ``problems`` as ``body.<field>`` errors."""
    words = {
        "required": "required",
        "too-long": "too long (at most {limit} characters)",
        "unknown": "unknown",
        "in-past": "must be in the future",
        "not-allowed": "not allowed here",
        "invalid": "invalid",
        "after-limit": "after the complaint's time limit ({limit} days from receipt)",
        "in-future": "must not be in the future",
        "before-receipt": "before the order was received",
        "after-policy": "later than the deadline its service level gives (a deadline can only be brought forward)",
    }
    errors = [
        {"field": f"body.{p.field}", "code": p.code, "message": words[p.code].format(limit=p.limit)}
        for p in problems
    ]
    detail = "; ".join(f"{e['field'][5:]}: {e['message']}" for e in errors)
    return ProblemError("validation-error", f"The work order cannot be saved: {detail}.", errors=errors)


def _conflict(session: Session, row: WorkOrder) -> ProblemError:
    current = work_order_doc(session, row).model_dump(mode="json")
    return ProblemError(
        "version-conflict",
        f"Work order {row.number} changed meanwhile (now version {row.version}); compare and apply again.",
        extensions={"current_version": row.version, "current": current},
    )


def find_row(session: Session, work_order_id: str) -> WorkOrder:
    """The order with id or number ``work_order_id``; :class:`ProblemError` ``not-found`` if none."""
    row = session.get(WorkOrder, work_order_id)
    if row is None:
        row = session.scalar(select(WorkOrder).where(WorkOrder.number == work_order_id))
    if row is None:
        raise ProblemError("not-found", "No such work order.")
    return row


def _check_version(session: Session, row: WorkOrder, base_version: int) -> None:
    if row.version != base_version:
        raise _conflict(session, row)


# -- documents -------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _pauses(row: WorkOrder) -> list[tuple[datetime, datetime | None]]:
    return [
        (datetime.fromisoformat(start), datetime.fromisoformat(end) if end else None)
        for start, end in (row.pauses or [])
        if start
    ]


def sla_facts(row: WorkOrder) -> ws.SlaFacts:
    """The SLA facts of ``row`` (policy, start, first response, pauses, stop)."""
    policy = row.sla or {}
    return ws.SlaFacts(
        basis=policy.get("basis", "calendar"),
        first_response_s=float(policy.get("first_response_s", 0) or 0) or 1.0,
        resolution_s=float(policy.get("resolution_s", 0) or 0) or 1.0,
        started_at=row.created_at,
        first_response_at=row.first_response_at,
        pauses=_pauses(row),
        stopped_at=row.resolved_at,
    )


def _histories(session: Session, ids: list[str]) -> dict[str, list[WorkOrderEvent]]:
    """The history entries of the orders ``ids`` in one query, by order, oldest first."""
    found: dict[str, list[WorkOrderEvent]] = {ident: [] for ident in ids}
    rows = session.scalars(
        select(WorkOrderEvent).where(WorkOrderEvent.work_order_id.in_(ids))
        .order_by(WorkOrderEvent.work_order_id, WorkOrderEvent.seq)
    )
    for event in rows:
        found[event.work_order_id].append(event)
    return found


def work_order_doc(session: Session, row: WorkOrder, events: list[WorkOrderEvent] | None = None) -> ws.WorkOrderDoc:
    """``row`` with its history (``events``, read here when not given) as sent on the wire."""
    if events is None:
        events = _histories(session, [row.id])[row.id]
    return ws.WorkOrderDoc(
        id=row.id,
        number=row.number,
        client_ref=row.client_ref,
        type=row.type,  # type: ignore[arg-type]
        title=row.title,
        description=row.description,
        category=row.category,
        tags=list(row.tags or []),
        customer_ref=row.customer_ref,
        contact_id=row.contact_id,
        channel=row.channel,
        excerpt=row.excerpt,
        priority=row.priority,  # type: ignore[arg-type]
        grade=row.grade,  # type: ignore[arg-type]
        status=row.status,  # type: ignore[arg-type]
        queue=row.queue,
        assignee_id=row.assignee_id,
        created_by=row.created_by,
        scheduled_at=row.scheduled_at,
        due_at=row.resolution_due_at,
        first_response_due_at=row.first_response_due_at,
        escalated=row.escalated,
        breached=row.breached,
        sla=sla_facts(row),
        complaint=ws.ComplaintRecord.model_validate(row.complaint) if row.complaint else None,
        closing=ws.ClosingRecord.model_validate(row.closing) if row.closing else None,
        resolved_at=row.resolved_at,
        closed_at=row.closed_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
        history=[
            ws.HistoryEntry(
                seq=e.seq, at=e.at, actor_id=e.actor_id, kind=e.kind, from_status=e.from_status,
                to_status=e.to_status, comment=e.comment, visibility=e.visibility,  # type: ignore[arg-type]
                changes=dict(e.changes or {}),
            )
            for e in events
        ],
    )


def _supervisors(session: Session) -> set[str]:
    return set(session.scalars(select(Agent.employee_id).where(Agent.role == "supervisor")))


def viewers(session: Session, row: WorkOrder) -> set[str]:
    """Employee ids of the agents who see ``row``: creator, assignee, the team
    working its queue, and the supervisors once it is escalated."""
    ids = {row.created_by}
    if row.assignee_id:
        ids.add(row.assignee_id)
    if row.team:
        ids |= set(session.scalars(select(Agent.employee_id).where(Agent.team == row.team)))
    if row.escalated:
        ids |= _supervisors(session)
    return ids


def _sees(session: Session, agent_id: str, row: WorkOrder) -> bool:
    """Whether ``agent_id`` is among :func:`viewers` of ``row``, without listing the team."""
    if agent_id in (row.created_by, row.assignee_id):
        return True
    agent = session.get(Agent, agent_id)  # identity map: one read per sync page
    if agent is None:
        return False
    return (bool(row.team) and agent.team == row.team) or (row.escalated and agent.role == "supervisor")


def work_order_docs(session: Session, agent_id: str, ids: list[str]) -> dict[str, ws.WorkOrderDoc]:
    """The documents among ``ids`` that ``agent_id`` sees (others left out: reported deleted), for sync.

    Two queries for a whole page: the orders, then the history of those seen."""
    if not ids:
        return {}
    rows = session.scalars(select(WorkOrder).where(WorkOrder.id.in_(ids))).all()
    seen = [row for row in rows if _sees(session, agent_id, row)]
    histories = _histories(session, [row.id for row in seen])
    return {row.id: work_order_doc(session, row, histories[row.id]) for row in seen}


def _announce(session: Session, row: WorkOrder, before: set[str]) -> ws.WorkOrderDoc:
    """Record the change for everyone who saw ``row`` (``before``) or sees it now."""
    session.flush()
    after = viewers(session, row)
    doc = work_order_doc(session, row)
    for agent_id in sorted(before - after):
        record_change(session, WORK_ORDERS, row.id, agent_id=agent_id, deleted=True)
    data = {"id": row.id, "number": row.number, "version": row.version, "status": row.status}
    for agent_id in sorted(after):
        record_change(session, WORK_ORDERS, row.id, agent_id=agent_id)
        publish(session, agent_id=agent_id, type="work_order", data=data)
    return doc


def _event(
    session: Session, row: WorkOrder, actor_id: str, kind: str, now: datetime, *,
    from_status: str | None = None, to_status: str | None = None, comment: str = "",
    visibility: str = "internal", changes: dict[str, Any] | None = None,
) -> None:
    last = session.scalar(select(func.max(WorkOrderEvent.seq)).where(WorkOrderEvent.work_order_id == row.id))
    session.add(WorkOrderEvent(
        work_order_id=row.id, seq=(last or 0) + 1, at=now, actor_id=actor_id, kind=kind,
        from_status=from_status, to_status=to_status, comment=comment, visibility=visibility,
        changes=changes or {},
    ))


# -- numbering, routing, SLA -------------------------------------------------------------


def next_number(session: Session, now: datetime) -> str:
    """``WO-YYYYMMDD-NNNN``: the UTC day, then one more than that day's highest
    (4 digits or more). Runs inside a write transaction (``BEGIN IMMEDIATE``),
    so two creations cannot take the same number."""
    prefix = f"WO-{now.astimezone(UTC):%Y%m%d}-"
    last = session.scalar(
        select(WorkOrder.number)
        .where(WorkOrder.number.like(prefix + "%"))
        .order_by(func.length(WorkOrder.number).desc(), WorkOrder.number.desc())
        .limit(1)
    )
    sequence = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{sequence:04d}"


def _policy(row: WorkOrder) -> sla.SlaPolicy:
    if row.type == "complaint":
        base = sla.policy_for("complaint", None, row.grade)
        total = int((row.complaint or {}).get("total_days", sla.COMPLAINT_DECISION_DAYS))
        return sla.SlaPolicy(base.first_response_seconds, sla.complaint_target_seconds(
            total - sla.COMPLAINT_DECISION_DAYS), "calendar")
    return sla.policy_for(row.type, row.priority, None)


def _due_problem(row: WorkOrder, config: WorkOrderConfig, due_at: datetime | None,
                 now: datetime) -> wo.FieldProblem | None:
    """``due_at`` may only bring the deadline forward: a time after the one the
    order's service level gives (a minute's grace, times are typed to the
    minute) is ``after-policy`` (it was taken, logged, and had no effect)."""
    if due_at is None:
        return None
    policy = _policy(row)
    try:
        latest = sla.clock(basis=policy.basis, calendar=config.calendar, started_at=row.created_at or now,
                           target_seconds=policy.resolution_seconds, now=now,
                           pauses=_pauses(row)).due_at
    except ValueError:
        return None
    if latest is not None and due_at > latest + timedelta(minutes=1):
        return wo.FieldProblem("due_at", "after-policy")
    return None


def _apply_policy(row: WorkOrder, config: WorkOrderConfig, due_at: datetime | None = None) -> None:
    """Set ``row.sla`` from its type/priority/grade (``due_at`` earlier than the
    policy's deadline shortens the resolution target to meet it)."""
    policy = _policy(row)
    resolution = policy.resolution_seconds
    if due_at is not None:
        if policy.basis == "business":
            wanted = config.calendar.business_seconds(row.created_at, due_at)
        else:
            wanted = (due_at - row.created_at).total_seconds()
        resolution = max(1.0, min(resolution, wanted))
    row.sla = {"basis": policy.basis, "first_response_s": policy.first_response_seconds, "resolution_s": resolution}


def clocks(row: WorkOrder, config: WorkOrderConfig, now: datetime) -> tuple[sla.SlaClock, sla.SlaClock]:
    """(first-response clock, resolution clock) of ``row`` at ``now``."""
    facts = sla_facts(row)
    return first_response_clock_of(facts, config.calendar, now), resolution_clock_of(facts, config.calendar, now)


def _project(row: WorkOrder, config: WorkOrderConfig, now: datetime) -> None:
    first, resolution = clocks(row, config, now)
    row.first_response_due_at = first.due_at
    row.resolution_due_at = resolution.due_at


def _escalate(session: Session, row: WorkOrder, config: WorkOrderConfig, actor_id: str, now: datetime,
              why: str) -> None:
    if row.escalated and row.queue == config.escalation_queue:
        return
    before_queue = row.queue
    row.escalated = True
    row.queue = config.escalation_queue
    row.team = config.queues[config.escalation_queue].team
    _event(session, row, actor_id, "escalated", now, comment=why,
           changes={"queue": [before_queue, row.queue]})


# -- checks ------------------------------------------------------------------------------


def _text_problems(values: Iterable[tuple[str, str | None, int, bool]]) -> list[wo.FieldProblem]:
    found = []
    for name, value, limit, required in values:
        problem = wo.check_text(name, value, limit, required=required)
        if problem is not None:
            found.append(problem)
    return found


def _tag_problems(tags: list[str] | None) -> list[wo.FieldProblem]:
    if tags is None:
        return []
    if len(tags) > wo.TAGS_MAX:
        return [wo.FieldProblem("tags", "too-long", wo.TAGS_MAX)]
    if any(len(tag) > wo.TAG_MAX or not tag.strip() for tag in tags):
        return [wo.FieldProblem("tags", "invalid", wo.TAG_MAX)]
    return []


def _agent(session: Session, agent_id: str) -> Agent | None:
    return session.get(Agent, agent_id)


def _complaint_problems(record: ws.ComplaintRecord | None, received_at: datetime, now: datetime,
                        total_days: int = sla.COMPLAINT_DECISION_DAYS, prefix: str = "complaint") -> list[wo.FieldProblem]:
    """The §2.4 record's problems; ``total_days`` is the limit allowed so far."""
    if record is None:
        return [wo.FieldProblem(prefix, "required")]
    found = _text_problems([
        (f"{prefix}.reason", record.reason, wo.NOTE_MAX, True),
        (f"{prefix}.demand", record.demand, wo.NOTE_MAX, True),
    ])
    if record.promised_at <= now:
        found.append(wo.FieldProblem(f"{prefix}.promised_at", "in-past"))
    elif record.promised_at > sla.complaint_deadline(received_at, total_days - sla.COMPLAINT_DECISION_DAYS):
        found.append(wo.FieldProblem(f"{prefix}.promised_at", "after-limit", total_days))
    if record.told_at > now + timedelta(minutes=5):
        found.append(wo.FieldProblem(f"{prefix}.told_at", "in-future"))
    return found


def _clean_tags(tags: list[str]) -> list[str]:
    seen: list[str] = []
    for tag in tags:
        tag = one_line(tag).strip()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


# -- create ------------------------------------------------------------------------------


def _new_complaint(record: ws.ComplaintRecord | None) -> dict[str, Any] | None:
    """The §2.4 record as stored at creation: cleaned, at the 15-day limit
    (extensions come only through :func:`extend_complaint`)."""
    if record is None:
        return None
    doc = record.model_dump(mode="json")
    doc.update(reason=clean_text(record.reason).strip(), demand=clean_text(record.demand).strip(),
               contact_detail=one_line(record.contact_detail).strip(), total_days=sla.COMPLAINT_DECISION_DAYS,
               complex_case=False, extension_reason="", approved_by=None)
    return doc


def create_work_order(
    session: Session, config: WorkOrderConfig, actor_id: str, request: ws.WorkOrderCreate, now: datetime
) -> ws.WorkOrderDoc:
    """Create the order of ``request`` for ``actor_id`` and tell who sees it.

    A ``client_ref`` already used by this agent answers the order made then
    (the same create retried never makes two orders). Text is cleaned of
    control characters and escape sequences. Raises :class:`ProblemError`:
    ``validation-error`` (422) with field errors (missing or too-long text,
    priority/grade/complaint record/``scheduled_at`` missing or not allowed
    for the type, a due or scheduled time in the past, an unknown queue or
    assignee, a promised time past the complaint's deadline).
    """
    if request.client_ref:
        existing = session.scalar(select(WorkOrder).where(WorkOrder.client_ref == request.client_ref))
        if existing is not None:
            if existing.created_by != actor_id:
                raise _invalid([wo.FieldProblem("client_ref", "not-allowed")])
            return work_order_doc(session, existing)
    title = one_line(request.title).strip()
    description = clean_text(request.description)
    excerpt = clean_text(request.excerpt)
    problems = _text_problems([
        ("title", title, wo.TITLE_MAX, True),
        ("description", description, wo.DESCRIPTION_MAX, False),
        ("excerpt", excerpt, wo.DESCRIPTION_MAX, False),
    ]) + _tag_problems(request.tags)
    if request.type == "complaint":
        if request.grade is None:
            problems.append(wo.FieldProblem("grade", "required"))
        if request.priority is not None:
            problems.append(wo.FieldProblem("priority", "not-allowed"))
        problems += _complaint_problems(request.complaint, now, now)
    else:
        if request.priority is None:
            problems.append(wo.FieldProblem("priority", "required"))
        if request.grade is not None:
            problems.append(wo.FieldProblem("grade", "not-allowed"))
        if request.complaint is not None:
            problems.append(wo.FieldProblem("complaint", "not-allowed"))
    if request.type == "callback" and request.scheduled_at is None:
        problems.append(wo.FieldProblem("scheduled_at", "required"))
    if request.scheduled_at is not None and request.scheduled_at <= now:
        problems.append(wo.FieldProblem("scheduled_at", "in-past"))
    if request.due_at is not None and request.due_at <= now:
        problems.append(wo.FieldProblem("due_at", "in-past"))
    category = one_line(request.category).strip()
    queue = request.queue or config.route(request.type, category)
    if queue not in config.queues:
        problems.append(wo.FieldProblem("queue", "unknown"))
    if request.assignee_id and _agent(session, request.assignee_id) is None:
        problems.append(wo.FieldProblem("assignee_id", "unknown"))
    if problems:
        raise _invalid(problems)
    row = WorkOrder(
        id=f"wo-{secrets.token_hex(8)}",
        number=next_number(session, now),
        client_ref=request.client_ref,
        type=request.type,
        title=title,
        description=description,
        category=category,
        tags=_clean_tags(request.tags),
        customer_ref=one_line(request.customer_ref).strip(),
        contact_id=request.contact_id,
        channel=request.channel,
        excerpt=excerpt,
        priority=request.priority,
        grade=request.grade,
        status="new",
        queue=queue,
        team=config.queues[queue].team,
        assignee_id=request.assignee_id or None,
        created_by=actor_id,
        scheduled_at=request.scheduled_at,
        pauses=[],
        complaint=_new_complaint(request.complaint),
        created_at=now,
        updated_at=now,
        version=1,
    )
    if (problem := _due_problem(row, config, request.due_at, now)) is not None:
        raise _invalid([problem])
    _apply_policy(row, config, request.due_at)
    _project(row, config, now)
    session.add(row)
    session.flush()
    _event(session, row, actor_id, "created", now, to_status="new",
           changes={"queue": [None, queue], "assignee_id": [None, row.assignee_id]})
    if row.type == "complaint" and row.grade == "major":
        _escalate(session, row, config, actor_id, now, "graded major")
    return _announce(session, row, set())


# -- edit --------------------------------------------------------------------------------


_EDITABLE = ("title", "description", "category", "tags", "priority", "grade", "scheduled_at")


def edit_work_order(
    session: Session, config: WorkOrderConfig, actor_id: str, work_order_id: str,
    request: ws.WorkOrderEdit, now: datetime,
) -> ws.WorkOrderDoc:
    """Change the fields ``request`` gives; one ``edited`` history entry lists them.

    Raises :class:`ProblemError`: ``not-found``; ``version-conflict`` (409,
    the stored order in ``current``); ``validation-error`` (422) for the
    checks of :func:`create_work_order` that apply to the changed fields.
    A grade raised to ``major`` escalates the complaint.
    """
    row = find_row(session, work_order_id)
    _check_version(session, row, request.base_version)
    before = viewers(session, row)
    new: dict[str, Any] = {}
    if request.title is not None:
        new["title"] = one_line(request.title).strip()
    if request.description is not None:
        new["description"] = clean_text(request.description)
    if request.category is not None:
        new["category"] = one_line(request.category).strip()
    if request.tags is not None:
        new["tags"] = _clean_tags(request.tags)
    if request.priority is not None:
        new["priority"] = request.priority
    if request.grade is not None:
        new["grade"] = request.grade
    if request.scheduled_at is not None:
        new["scheduled_at"] = request.scheduled_at
    problems = _text_problems([
        ("title", new.get("title"), wo.TITLE_MAX, "title" in new),
        ("description", new.get("description"), wo.DESCRIPTION_MAX, False),
    ]) + _tag_problems(request.tags)
    if row.type == "complaint" and request.priority is not None:
        problems.append(wo.FieldProblem("priority", "not-allowed"))
    if row.type != "complaint" and request.grade is not None:
        problems.append(wo.FieldProblem("grade", "not-allowed"))
    if request.scheduled_at is not None and request.scheduled_at <= now:
        problems.append(wo.FieldProblem("scheduled_at", "in-past"))
    if request.due_at is not None and request.due_at <= now:
        problems.append(wo.FieldProblem("due_at", "in-past"))
    elif (problem := _due_problem(row, config, request.due_at, now)) is not None:
        problems.append(problem)
    if request.complaint is not None:
        if row.type != "complaint":
            problems.append(wo.FieldProblem("complaint", "not-allowed"))
        else:
            allowed = int((row.complaint or {}).get("total_days", sla.COMPLAINT_DECISION_DAYS))
            problems += _complaint_problems(request.complaint, row.created_at, now, allowed)
    if problems:
        raise _invalid(problems)
    changes: dict[str, list[Any]] = {}
    for name in _EDITABLE:
        if name in new and new[name] != getattr(row, name):
            old = getattr(row, name)
            changes[name] = [_iso(old) if isinstance(old, datetime) else old,
                             _iso(new[name]) if isinstance(new[name], datetime) else new[name]]
            setattr(row, name, new[name])
    if request.complaint is not None and request.complaint.model_dump(mode="json") != row.complaint:
        kept = {k: (row.complaint or {}).get(k) for k in ("total_days", "complex_case", "extension_reason", "approved_by")}
        record = {**request.complaint.model_dump(mode="json"), **{k: v for k, v in kept.items() if v is not None}}
        changes["complaint"] = [row.complaint, record]
        row.complaint = record
    if request.due_at is not None:
        changes["due_at"] = [_iso(row.resolution_due_at), _iso(request.due_at)]
    if not changes:
        return work_order_doc(session, row)
    if {"priority", "grade"} & changes.keys() or request.due_at is not None:
        _apply_policy(row, config, request.due_at)
    grade_change = changes.pop("grade", None)
    if changes:
        _event(session, row, actor_id, "edited", now, changes=changes)
    if grade_change is not None:
        _event(session, row, actor_id, "grade", now, changes={"grade": grade_change})
        if row.grade == "major":
            _escalate(session, row, config, actor_id, now, "graded major")
    return _save(session, row, config, before, now)


def _touch(row: WorkOrder, config: WorkOrderConfig, now: datetime) -> None:
    row.version += 1
    row.updated_at = now
    _project(row, config, now)


def _save(session: Session, row: WorkOrder, config: WorkOrderConfig, before: set[str], now: datetime
          ) -> ws.WorkOrderDoc:
    """A change made: bump the version, re-project the deadlines, tell ``before`` and who sees it now."""
    _touch(row, config, now)
    return _announce(session, row, before)


# -- status ------------------------------------------------------------------------------


def _closing_problems(row: WorkOrder, request: ws.WorkOrderMove, now: datetime) -> list[wo.FieldProblem]:
    closing = request.closing
    found: list[wo.FieldProblem] = []
    if request.to == "resolved":
        if closing is None or not clean_text(closing.resolution).strip():
            found.append(wo.FieldProblem("closing.resolution", "required"))
    if request.to == "closed" and row.type == "complaint":
        merged = {**(row.closing or {}), **(closing.model_dump(mode="json", exclude_none=True) if closing else {})}
        if not merged.get("resolution"):
            found.append(wo.FieldProblem("closing.resolution", "required"))
        if not merged.get("feedback_via"):
            found.append(wo.FieldProblem("closing.feedback_via", "required"))
        feedback_at = merged.get("feedback_at")
        if not feedback_at:
            found.append(wo.FieldProblem("closing.feedback_at", "required"))
        elif datetime.fromisoformat(str(feedback_at)) > now + timedelta(minutes=5):
            found.append(wo.FieldProblem("closing.feedback_at", "in-future"))
        elif datetime.fromisoformat(str(feedback_at)) < row.created_at - timedelta(minutes=1):  # typed to the minute
            found.append(wo.FieldProblem("closing.feedback_at", "before-receipt"))
        satisfaction = merged.get("satisfaction")
        if not satisfaction:
            found.append(wo.FieldProblem("closing.satisfaction", "required"))
        elif satisfaction == "unreachable" and int(merged.get("tries", 1)) < wo.UNREACHABLE_AFTER_TRIES:
            found.append(wo.FieldProblem("closing.tries", "not-allowed"))
    return found


def move_work_order(
    session: Session, config: WorkOrderConfig, actor_id: str, work_order_id: str,
    request: ws.WorkOrderMove, now: datetime,
) -> ws.WorkOrderDoc:
    """Move the order to ``request.to`` along the flow, recording it.

    ``pending_customer`` pauses the resolution clock until the order leaves
    it; ``resolved`` stops it (and records the resolution note); a reopen
    (from resolved or closed, within the configured days) restarts it, the
    time it stood resolved not counted. The first move out of ``new`` is the
    first response. Raises :class:`ProblemError`: ``not-found``,
    ``version-conflict`` (409), ``illegal-transition`` (409: no such move,
    or past the reopen window), ``validation-error`` (422: the closing facts
    a resolve or a complaint's close needs — resolution note, feedback given
    and when, satisfaction, 3 tries before "unreachable").
    """
    row = find_row(session, work_order_id)
    _check_version(session, row, request.base_version)
    try:
        wo.check_transition(row.status, request.to, resolved_at=row.resolved_at, now=now,
                            reopen_days=config.reopen_days)
    except wo.TransitionRefused as exc:
        raise ProblemError("illegal-transition", exc.detail) from exc
    problems = _closing_problems(row, request, now)
    comment = clean_text(request.comment)
    problems += _text_problems([("comment", comment, wo.COMMENT_MAX, False)])
    if problems:
        raise _invalid(problems)
    before = viewers(session, row)
    old = row.status
    pauses = [list(p) for p in (row.pauses or [])]
    if old in wo.PAUSED_STATUSES and pauses and pauses[-1][1] is None:
        pauses[-1][1] = _iso(now)
    if request.to in wo.PAUSED_STATUSES:
        pauses.append([_iso(now), None])
    if wo.is_reopen(old, request.to) and row.resolved_at is not None:
        pauses.append([_iso(row.resolved_at), _iso(now)])  # the time it stood resolved does not count
        row.resolved_at = None
        row.closed_at = None
    row.pauses = pauses
    if request.closing is not None:
        merged = {**(row.closing or {}), **request.closing.model_dump(mode="json", exclude_none=True)}
        merged["resolution"] = clean_text(str(merged.get("resolution", "")))
        row.closing = merged
    if request.to == "resolved":
        row.resolved_at = now
    if request.to == "closed":
        row.closed_at = now
    if old == "new" and row.first_response_at is None:
        row.first_response_at = now
    row.status = request.to
    if request.to == "accepted" and row.assignee_id is None:
        row.assignee_id = actor_id  # accepting an order from the queue takes it
    _event(session, row, actor_id, "status", now, from_status=old, to_status=request.to, comment=comment)
    return _save(session, row, config, before, now)


# -- assignment, comments, extension ----------------------------------------------------------


def _may_assign(actor: Agent, row: WorkOrder) -> bool:
    return (
        actor.employee_id in (row.assignee_id, row.created_by)
        or (actor.role in LEAD_ROLES and actor.team == row.team)
        or actor.role == "supervisor"
        or (row.assignee_id is None and actor.team == row.team)
    )


def assign_work_order(
    session: Session, config: WorkOrderConfig, actor_id: str, work_order_id: str,
    request: ws.WorkOrderAssign, now: datetime,
) -> ws.WorkOrderDoc:
    """Move the order to another queue and/or give it to an agent (``None``: back to the queue).

    Allowed for the order's assignee or creator, a lead of the team working
    its queue, a supervisor, and any agent of that team for an order nobody
    holds (taking it from the queue). Raises :class:`ProblemError`:
    ``not-found``, ``version-conflict``, ``forbidden`` (403),
    ``validation-error`` (422: unknown queue or assignee).
    """
    row = find_row(session, work_order_id)
    _check_version(session, row, request.base_version)
    actor = _agent(session, actor_id)
    if actor is None or not _may_assign(actor, row):
        raise ProblemError("forbidden", "Only the order's holder or creator, or a lead of its team, may assign it.")
    problems = []
    if request.queue is not None and request.queue not in config.queues:
        problems.append(wo.FieldProblem("queue", "unknown"))
    if request.assignee_id is not None and _agent(session, request.assignee_id) is None:
        problems.append(wo.FieldProblem("assignee_id", "unknown"))
    comment = clean_text(request.comment)
    problems += _text_problems([("comment", comment, wo.COMMENT_MAX, False)])
    if problems:
        raise _invalid(problems)
    before = viewers(session, row)
    changes: dict[str, list[Any]] = {}
    if request.queue is not None and request.queue != row.queue:
        changes["queue"] = [row.queue, request.queue]
        row.queue = request.queue
        row.team = config.queues[request.queue].team
    if request.assignee_id != row.assignee_id:
        changes["assignee_id"] = [row.assignee_id, request.assignee_id]
        row.assignee_id = request.assignee_id
    if not changes:
        return work_order_doc(session, row)
    _event(session, row, actor_id, "assigned", now, comment=comment, changes=changes)
    return _save(session, row, config, before, now)


def comment_work_order(
    session: Session, config: WorkOrderConfig, actor_id: str, work_order_id: str,
    request: ws.WorkOrderComment, now: datetime,
) -> ws.WorkOrderDoc:
    """Add a comment (``internal``, or said ``customer``-side, which counts as the
    first response). Raises :class:`ProblemError`: ``not-found``,
    ``validation-error`` (blank or too long)."""
    row = find_row(session, work_order_id)
    text = clean_text(request.text).strip()
    problems = _text_problems([("text", text, wo.COMMENT_MAX, True)])
    if problems:
        raise _invalid(problems)
    before = viewers(session, row)
    if request.visibility == "customer" and row.first_response_at is None:
        row.first_response_at = now
    _event(session, row, actor_id, "comment", now, comment=text, visibility=request.visibility)
    return _save(session, row, config, before, now)


def extend_complaint(
    session: Session, config: WorkOrderConfig, actor_id: str, work_order_id: str,
    request: ws.ComplaintExtend, now: datetime,
) -> ws.WorkOrderDoc:
    """Allow a complaint ``request.total_days`` from receipt (the regulator's
    rule, :func:`csdesk.domain.sla.check_extension`): up to 30 days for a
    complex case, up to 60 with a supervisor's approval recorded on the order;
    the new promised time and how the customer was told are recorded.

    Raises :class:`ProblemError`: ``not-found``, ``version-conflict``,
    ``validation-error`` (422: not a complaint, not longer, not complex,
    past 60 days, no or unknown supervisor, a promised time in the past or
    past the new deadline).
    """
    row = find_row(session, work_order_id)
    _check_version(session, row, request.base_version)
    if row.type != "complaint" or row.complaint is None:
        raise _invalid([wo.FieldProblem("type", "not-allowed")])
    record = dict(row.complaint)
    current = int(record.get("total_days", sla.COMPLAINT_DECISION_DAYS))
    supervisor = (request.supervisor_id or "").strip() or None
    try:
        sla.check_extension(current, request.total_days, complex_case=request.complex_case,
                            supervisor_id=supervisor)
    except sla.ExtensionRefused as exc:
        field = "supervisor_id" if exc.code == "needs-supervisor" else (
            "complex_case" if exc.code == "not-complex" else "total_days")
        raise ProblemError("validation-error", exc.detail,
                           errors=[{"field": f"body.{field}", "code": exc.code, "message": exc.detail}]) from exc
    problems = []
    if supervisor is not None:
        approver = _agent(session, supervisor)
        if approver is None or approver.role != "supervisor":
            problems.append(wo.FieldProblem("supervisor_id", "unknown"))
    reason = clean_text(request.reason).strip()
    problems += _text_problems([("reason", reason, wo.NOTE_MAX, True)])
    deadline = sla.complaint_deadline(row.created_at, request.total_days - sla.COMPLAINT_DECISION_DAYS)
    if request.promised_at <= now:
        problems.append(wo.FieldProblem("promised_at", "in-past"))
    elif request.promised_at > deadline:
        problems.append(wo.FieldProblem("promised_at", "after-limit", request.total_days))
    if problems:
        raise _invalid(problems)
    before = viewers(session, row)
    record.update(
        total_days=request.total_days, complex_case=request.complex_case or bool(record.get("complex_case")),
        extension_reason=reason, approved_by=supervisor or record.get("approved_by"),
        promised_at=_iso(request.promised_at), told_via=request.told_via, told_at=_iso(request.told_at),
    )
    _event(session, row, actor_id, "extended", now, comment=reason,
           changes={"total_days": [current, request.total_days], "approved_by": [None, supervisor]})
    row.complaint = record
    _apply_policy(row, config)
    return _save(session, row, config, before, now)


# -- the sweep ---------------------------------------------------------------------------


def sweep(session: Session, config: WorkOrderConfig, now: datetime) -> list[str]:
    """Escalate the open orders whose resolution clock is breached at ``now``
    (once each: ``breached`` is set, the order moves to the escalation queue,
    the history says why); return their numbers. Called by the routing
    engine's loop, or by tests with an injected ``now``."""
    rows = session.scalars(
        select(WorkOrder).where(
            WorkOrder.status.in_(sorted(wo.OPEN_STATUSES)),
            WorkOrder.breached.is_(False),
            or_(WorkOrder.resolution_due_at.is_(None), WorkOrder.resolution_due_at <= now),
        )
    ).all()
    escalated = []
    for row in rows:
        _first, resolution = clocks(row, config, now)
        if resolution.state != "breached":
            _project(row, config, now)  # paused meanwhile: the deadline moved on
            continue
        before = viewers(session, row)
        row.breached = True
        _escalate(session, row, config, "system", now, "resolution SLA breached")
        _save(session, row, config, before, now)
        escalated.append(row.number)
    return escalated


def catalogue(session: Session, config: WorkOrderConfig) -> ws.WorkOrderCatalogue:
    """What the desk's work-order form and clocks need (see :class:`~ws.WorkOrderCatalogue`)."""
    agents = session.scalars(select(Agent).order_by(Agent.employee_id)).all()
    return ws.WorkOrderCatalogue(
        queues=[ws.QueueInfo(id=q.id, name=q.name, name_en=q.name_en, team=q.team) for q in config.queues.values()],
        rules=list(config.rules),
        escalation_queue=config.escalation_queue,
        calendar=config.calendar_doc(),
        reopen_days=config.reopen_days,
        agents=[{"id": a.employee_id, "name": a.name, "team": a.team, "role": a.role} for a in agents],
    )
