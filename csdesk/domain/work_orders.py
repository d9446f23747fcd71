"""Work orders and complaints: the vocabulary and the status flow (guide §2.4, §3.2; issue #6).

Operating guide §3.2: what cannot be solved on the spot, or needs another
department, becomes a work order that is recorded, routed and tracked.
§2.4: a complaint is recorded (reason, the customer's demand, how to reach
them), graded, handled or passed on or escalated, a handling time is
promised, and the loop is closed with feedback to the customer and a
satisfaction visit.

The status flow is owned by the backend; the desk uses the same table to
offer only the moves that exist::

    new → accepted → in_progress ⇄ pending_customer / pending_department
                          ↓                     ↓
                       resolved  →  closed
    resolved / closed → in_progress   (reopen, within REOPEN_DAYS of resolving)

Pure rules, no I/O: shared by the backend (which refuses an illegal move
with a problem+json) and the desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal, get_args

#: Work-order types (issue #6). ``complaint`` carries a grade instead of a priority.
WorkOrderType = Literal["complaint", "callback", "follow_up", "technical_fault", "business_exception", "suggestion"]
#: Priorities, P1 urgent … P4 low (every type but complaints).
Priority = Literal["P1", "P2", "P3", "P4"]
#: Complaint grades (guide §2.4 "grade and handle"): a grade raised to major escalates.
ComplaintGrade = Literal["general", "serious", "major"]
#: Statuses, in flow order.
WorkOrderStatus = Literal[
    "new", "accepted", "in_progress", "pending_customer", "pending_department", "resolved", "closed"
]
#: How the customer was told something (the promised time, the outcome).
ContactMethod = Literal["phone", "sms", "chat", "email", "letter", "in_person"]
#: The satisfaction visit's result; ``unreachable`` only after 3 tries.
Satisfaction = Literal["satisfied", "neutral", "unsatisfied", "unreachable"]
#: Who may read a comment: the team only, or the customer too.
CommentVisibility = Literal["internal", "customer"]

TYPES: Final[tuple[str, ...]] = get_args(WorkOrderType)
PRIORITIES: Final[tuple[str, ...]] = get_args(Priority)
GRADES: Final[tuple[str, ...]] = get_args(ComplaintGrade)
STATUSES: Final[tuple[str, ...]] = get_args(WorkOrderStatus)
CONTACT_METHODS: Final[tuple[str, ...]] = get_args(ContactMethod)
SATISFACTION: Final[tuple[str, ...]] = get_args(Satisfaction)

#: Statuses still to be worked on (the "open orders" views).
OPEN_STATUSES: Final = frozenset({"new", "accepted", "in_progress", "pending_customer", "pending_department"})
#: Statuses in which the resolution clock stands still (issue #6: pending customer pauses it).
PAUSED_STATUSES: Final = frozenset({"pending_customer"})
#: Statuses that end the resolution clock.
DONE_STATUSES: Final = frozenset({"resolved", "closed"})

#: Allowed moves (from → to). Reopening is resolved/closed → in_progress.
TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    "new": frozenset({"accepted"}),
    "accepted": frozenset({"in_progress"}),
    "in_progress": frozenset({"pending_customer", "pending_department", "resolved"}),
    "pending_customer": frozenset({"in_progress", "resolved"}),
    "pending_department": frozenset({"in_progress", "resolved"}),
    "resolved": frozenset({"closed", "in_progress"}),
    "closed": frozenset({"in_progress"}),
}
#: The moves that reopen an order.
REOPEN_FROM: Final = frozenset({"resolved", "closed"})
#: Default days after resolving within which an order may be reopened (backend setting).
REOPEN_DAYS: Final = 30
#: Satisfaction visits before a customer counts as unreachable (issue #6).
UNREACHABLE_AFTER_TRIES: Final = 3

#: Field limits, characters.
TITLE_MAX: Final = 200
DESCRIPTION_MAX: Final = 10_000
COMMENT_MAX: Final = 4_000
NOTE_MAX: Final = 4_000
TAG_MAX: Final = 32
TAGS_MAX: Final = 10

#: Outbox kinds of the desk's work-order changes (``csdesk.services.work_orders``).
CREATE_KIND: Final = "work_order.create"
EDIT_KIND: Final = "work_order.edit"
MOVE_KIND: Final = "work_order.move"
ASSIGN_KIND: Final = "work_order.assign"
COMMENT_KIND: Final = "work_order.comment"
EXTEND_KIND: Final = "work_order.extend"
WORK_ORDER_KINDS: Final = frozenset({CREATE_KIND, EDIT_KIND, MOVE_KIND, ASSIGN_KIND, COMMENT_KIND, EXTEND_KIND})


class TransitionRefused(ValueError):
    """A status move the flow does not allow.

    ``code``: ``illegal-transition`` (no such move), ``reopen-expired`` (past
    the reopen window) or ``same-status``; ``detail``: an English sentence
    for logs and the problem+json ``detail``.
    """

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def allowed_moves(status: str) -> frozenset[str]:
    """The statuses an order in ``status`` may move to (empty for an unknown status)."""
    return TRANSITIONS.get(status, frozenset())


def check_transition(
    current: str, target: str, *, resolved_at: datetime | None, now: datetime, reopen_days: int = REOPEN_DAYS
) -> None:
    """Raise :class:`TransitionRefused` unless ``current → target`` is a move of
    :data:`TRANSITIONS`; a reopen (from resolved or closed) must come within
    ``reopen_days`` days of ``resolved_at`` (aware datetimes; ``None``: no limit
    can be counted, so the reopen is allowed)."""
    if current == target:
        raise TransitionRefused("same-status", f"the order is already {current}")
    if target not in allowed_moves(current):
        raise TransitionRefused("illegal-transition", f"an order cannot go from {current} to {target}")
    if is_reopen(current, target) and resolved_at is not None:
        if now - resolved_at > timedelta(days=reopen_days):
            raise TransitionRefused(
                "reopen-expired", f"an order can be reopened within {reopen_days} days of being resolved"
            )


def is_reopen(current: str, target: str) -> bool:
    """True for the moves that reopen an order."""
    return current in REOPEN_FROM and target == "in_progress"


@dataclass(frozen=True)
class FieldProblem:
    """One field-level problem of a form: ``field`` (wire name), ``code``
    (``required``, ``too-long``, ``unknown``, ``in-past``, ``in-future``,
    ``before-receipt``, ``after-limit``, ``not-allowed``) and ``limit`` (the
    cap in characters for ``too-long``, the time limit in days for
    ``after-limit``, else 0)."""

    field: str
    code: str
    limit: int = 0


def check_text(field: str, value: str | None, limit: int, *, required: bool = False) -> FieldProblem | None:
    """``required`` (blank) or ``too-long`` for ``value`` (characters), else None."""
    text = (value or "").strip()
    if required and not text:
        return FieldProblem(field, "required")
    if len(value or "") > limit:
        return FieldProblem(field, "too-long", limit)
    return None
