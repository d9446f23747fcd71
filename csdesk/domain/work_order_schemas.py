"""Wire schemas of work orders and complaints (issue #6, operating guide §2.4, §3.2).

Shared by the desk and the backend. The vocabulary and the status flow are in
:mod:`csdesk.domain.work_orders`, the SLA rules in :mod:`csdesk.domain.sla`.
Sizes here are the limits the backend enforces (422 ``validation-error``
with field errors ``body.<field>``); text is typed by people and rendered as
plain text. Times are aware; the backend stores and sends UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from csdesk.domain import work_orders as wo
from csdesk.domain.schemas import WireModel
from csdesk.domain.sla import Basis


class HistoryEntry(WireModel):
    """One immutable history entry: ``seq`` from 1, ``at``, ``actor_id``,
    ``kind`` (``created``, ``status``, ``assigned``, ``edited``, ``comment``,
    ``escalated``, ``extended``, ``grade``), the status move
    (``from_status`` → ``to_status``), ``comment`` and its ``visibility``,
    and ``changes`` (field → ``[before, after]``)."""

    seq: int
    at: datetime
    actor_id: str
    kind: str
    from_status: str | None = None
    to_status: str | None = None
    comment: str = ""
    visibility: wo.CommentVisibility = "internal"
    changes: dict[str, Any] = Field(default_factory=dict)


class SlaFacts(WireModel):
    """What the SLA clocks are computed from (the desk computes them at any
    ``now`` with :func:`csdesk.domain.sla.clock`): the policy's ``basis`` and
    targets (seconds), when the clocks ``started_at``, the first response,
    the pending-customer ``pauses`` ``[[start, end|None], …]`` and when the
    resolution clock stopped (``resolved_at``)."""

    basis: Basis
    first_response_s: float
    resolution_s: float
    started_at: datetime
    first_response_at: datetime | None = None
    pauses: list[tuple[datetime, datetime | None]] = Field(default_factory=list)
    stopped_at: datetime | None = None


class ComplaintRecord(WireModel):
    """Guide §2.4 "record the key points": the complaint's ``reason``, the
    customer's ``demand``, how to reach them (``contact_method``, and the
    masked ``contact_detail``), the ``promised_at`` feedback time and how and
    when the customer was told it (``told_via``/``told_at``); the extension
    (total days allowed from receipt: 15, up to 30 for a complex case, up to
    60 with a supervisor's approval) with its reason and approver."""

    reason: str = Field(min_length=1, max_length=wo.NOTE_MAX)
    demand: str = Field(min_length=1, max_length=wo.NOTE_MAX)
    contact_method: wo.ContactMethod
    contact_detail: str = Field(default="", max_length=64)
    promised_at: datetime
    told_via: wo.ContactMethod
    told_at: datetime
    complex_case: bool = False
    total_days: int = 15
    extension_reason: str = ""
    approved_by: str | None = None


class ClosingRecord(WireModel):
    """Closing the loop (guide §2.4): the ``resolution`` note, the feedback given
    to the customer (``feedback_via``, ``feedback_at``), the satisfaction visit's
    result and how many tries it took (``unreachable`` needs 3)."""

    resolution: str = Field(min_length=1, max_length=wo.NOTE_MAX)
    feedback_via: wo.ContactMethod | None = None
    feedback_at: datetime | None = None
    satisfaction: wo.Satisfaction | None = None
    tries: int = Field(default=1, ge=1, le=20)


class WorkOrderDoc(WireModel):
    """A work order as ``GET /work-orders/{id}`` and ``/sync/work_orders`` send it.

    ``number`` is read to the customer (``WO-20261130-0001``); ``queue`` the
    department queue, ``assignee_id`` the agent working it (``None``: waiting in
    the queue); ``customer_ref`` masked. ``priority`` for every type but
    complaints, ``grade`` for complaints. ``due_at`` is the resolution deadline
    as last projected (``sla`` gives the live clocks), ``scheduled_at`` a
    callback's time. ``history`` oldest first. ``version`` goes up with every
    change: send it back as ``base_version``.
    """

    id: str
    number: str
    client_ref: str | None = None
    type: wo.WorkOrderType
    title: str
    description: str = ""
    category: str = ""
    tags: list[str] = Field(default_factory=list)
    customer_ref: str = ""
    contact_id: str | None = None
    channel: str | None = None
    excerpt: str = ""
    priority: wo.Priority | None = None
    grade: wo.ComplaintGrade | None = None
    status: wo.WorkOrderStatus
    queue: str
    assignee_id: str | None = None
    created_by: str
    scheduled_at: datetime | None = None
    due_at: datetime | None = None
    first_response_due_at: datetime | None = None
    escalated: bool = False
    breached: bool = False
    sla: SlaFacts
    complaint: ComplaintRecord | None = None
    closing: ClosingRecord | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    version: int = Field(ge=1)
    history: list[HistoryEntry] = Field(default_factory=list)


class WorkOrderCreate(WireModel):
    """``POST /work-orders``: a new order (sent from the outbox with an
    ``Idempotency-Key``; ``client_ref`` is the desk's local id, and a create
    whose ``client_ref`` is taken answers the order already made).

    ``queue`` empty: the routing rules choose it; ``assignee_id`` empty: it
    waits in the queue. ``due_at`` (optional) brings the deadline forward of
    the policy's and must be in the future. Complaints need ``grade`` and
    ``complaint``; the others ``priority``; callbacks ``scheduled_at``.
    """

    client_ref: str | None = Field(default=None, max_length=64)
    type: wo.WorkOrderType
    title: str = Field(max_length=wo.TITLE_MAX * 2)
    description: str = Field(default="", max_length=wo.DESCRIPTION_MAX * 2)
    category: str = Field(default="", max_length=64)
    tags: list[str] = Field(default_factory=list, max_length=wo.TAGS_MAX * 2)
    customer_ref: str = Field(default="", max_length=64)
    contact_id: str | None = Field(default=None, max_length=64)
    channel: str | None = Field(default=None, max_length=16)
    excerpt: str = Field(default="", max_length=wo.DESCRIPTION_MAX * 2)
    priority: wo.Priority | None = None
    grade: wo.ComplaintGrade | None = None
    queue: str | None = Field(default=None, max_length=32)
    assignee_id: str | None = Field(default=None, max_length=32)
    scheduled_at: datetime | None = None
    due_at: datetime | None = None
    complaint: ComplaintRecord | None = None


class WorkOrderEdit(WireModel):
    """``PATCH /work-orders/{id}``: change the fields given (``None``: keep).

    ``base_version`` is the version the edit was made on; another stored
    version is a 409 ``version-conflict`` whose problem carries ``current``
    (the stored order), so the desk can show theirs and ours field by field.
    Raising a complaint's grade to ``major`` escalates it.
    """

    base_version: int = Field(ge=1)
    title: str | None = Field(default=None, max_length=wo.TITLE_MAX * 2)
    description: str | None = Field(default=None, max_length=wo.DESCRIPTION_MAX * 2)
    category: str | None = Field(default=None, max_length=64)
    tags: list[str] | None = Field(default=None, max_length=wo.TAGS_MAX * 2)
    priority: wo.Priority | None = None
    grade: wo.ComplaintGrade | None = None
    scheduled_at: datetime | None = None
    due_at: datetime | None = None
    complaint: ComplaintRecord | None = None


class WorkOrderMove(WireModel):
    """``POST /work-orders/{id}/status``: move to ``to`` (see the flow in
    :mod:`csdesk.domain.work_orders`) with an optional ``comment``.

    ``resolved`` needs ``closing.resolution``; closing a complaint also needs
    the feedback (``feedback_via``, ``feedback_at``) and the satisfaction result
    (``unreachable`` only after 3 tries). Refused moves: 409
    ``illegal-transition``; missing closing facts: 422 with field errors.
    """

    base_version: int = Field(ge=1)
    to: wo.WorkOrderStatus
    comment: str = Field(default="", max_length=wo.COMMENT_MAX * 2)
    closing: ClosingRecord | None = None


class WorkOrderAssign(WireModel):
    """``POST /work-orders/{id}/assign``: put the order in ``queue`` (``None``: keep)
    and give it to ``assignee_id`` (``None``: leave it in the queue)."""

    base_version: int = Field(ge=1)
    queue: str | None = Field(default=None, max_length=32)
    assignee_id: str | None = Field(default=None, max_length=32)
    comment: str = Field(default="", max_length=wo.COMMENT_MAX * 2)


class WorkOrderComment(WireModel):
    """``POST /work-orders/{id}/comments``: a comment, ``internal`` or to the
    ``customer`` (recorded as said to them). Needs no base version: comments
    only add to the history."""

    text: str = Field(min_length=1, max_length=wo.COMMENT_MAX * 2)
    visibility: wo.CommentVisibility = "internal"


class ComplaintExtend(WireModel):
    """``POST /work-orders/{id}/extend``: allow the complaint ``total_days`` from
    receipt (30 for a ``complex_case``; up to 60 with ``supervisor_id``, an
    agent with the supervisor role), with the ``reason``; the customer must be
    told the new promised time (``promised_at``, ``told_via``, ``told_at``)."""

    base_version: int = Field(ge=1)
    total_days: int = Field(ge=1, le=365)
    complex_case: bool = False
    reason: str = Field(min_length=1, max_length=wo.NOTE_MAX)
    supervisor_id: str | None = Field(default=None, max_length=32)
    promised_at: datetime
    told_via: wo.ContactMethod
    told_at: datetime


class QueueInfo(WireModel):
    """A department queue: ``id``, names in both languages, and the team working it."""

    id: str
    name: str
    name_en: str
    team: str


class WorkOrderCatalogue(WireModel):
    """``GET /work-orders/catalogue``: what the desk's form and clocks need —
    the queues, the routing rules (``[type, category, queue]``, ``*`` any),
    the escalation queue, the business calendar, the reopen window (days) and
    the agents who may be assigned (id, name, team, role)."""

    queues: list[QueueInfo]
    rules: list[tuple[str, str, str]]
    escalation_queue: str
    calendar: dict[str, Any]
    reopen_days: int
    agents: list[dict[str, str]]
