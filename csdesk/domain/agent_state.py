"""Agent states and the manual transitions an agent may ask for.

The backend owns the state machine (operating guide §2.1: an agent takes
contacts only while Ready). The desk only asks for Ready, Not Ready (with a
reason code) and, at sign-out, Offline.
"""

from __future__ import annotations

from enum import StrEnum


class AgentState(StrEnum):
    """Contact-centre agent states, as sent on the wire."""

    OFFLINE = "offline"
    READY = "ready"
    NOT_READY = "not_ready"
    OFFERED = "offered"
    ON_CONTACT = "on_contact"
    ACW = "acw"


class NotReadyReason(StrEnum):
    """Reason codes for Not Ready. ``SIGN_IN`` is set by the server at sign-in."""

    SIGN_IN = "sign_in"
    BREAK = "break"
    MEAL = "meal"
    TRAINING = "training"
    MEETING = "meeting"
    OTHER = "other"
    #: Set by the server when an offer rang out unanswered (issue #4, guide §2.1).
    MISSED_OFFER = "missed_offer"
    #: Set by the server when the agent declined an offer with a reason that
    #: is not one of :data:`AGENT_REASONS` (the free text goes to the audit trail).
    DECLINED = "declined"


#: Reasons an agent may pick by hand (the Not Ready dialog offers these).
AGENT_REASONS: tuple[NotReadyReason, ...] = (
    NotReadyReason.BREAK,
    NotReadyReason.MEAL,
    NotReadyReason.TRAINING,
    NotReadyReason.MEETING,
    NotReadyReason.OTHER,
)

#: Manual moves the backend accepts from each state. Offered/On Contact/ACW
#: belong to the routing engine and are left only through it: Offered by
#: accept/decline/timeout, On Contact by end/transfer/customer hang-up, ACW
#: only by a wrap-up with a disposition code (``POST /contacts/{id}/wrap-up``),
#: which moves the agent to Ready (or Not Ready when asked).
MANUAL_TRANSITIONS: dict[AgentState, frozenset[AgentState]] = {
    AgentState.OFFLINE: frozenset({AgentState.NOT_READY}),
    AgentState.READY: frozenset({AgentState.NOT_READY, AgentState.OFFLINE}),
    AgentState.NOT_READY: frozenset({AgentState.READY, AgentState.NOT_READY, AgentState.OFFLINE}),
    AgentState.OFFERED: frozenset({AgentState.OFFLINE}),
    AgentState.ON_CONTACT: frozenset(),
    AgentState.ACW: frozenset({AgentState.OFFLINE}),
}


def can_move(current: AgentState, target: AgentState) -> bool:
    """Return whether an agent may move by hand from ``current`` to ``target``."""
    return target in MANUAL_TRANSITIONS.get(current, frozenset())


def toggle_target(current: AgentState) -> AgentState:
    """What F2 asks for from ``current``: Ready ⇄ Not Ready.

    Raises ``ValueError`` when the state cannot be toggled by hand (Offered,
    On Contact, ACW, Offline).
    """
    if current is AgentState.READY:
        return AgentState.NOT_READY
    if current is AgentState.NOT_READY:
        return AgentState.READY
    raise ValueError(f"state {current.value!r} cannot be toggled by hand")
