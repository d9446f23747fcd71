"""Agents: creation (for seeding and ``csdesk admin``) and state changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from csdesk.domain.agent_state import AGENT_REASONS, AgentState, NotReadyReason, can_move
from csdesk.domain.identity import normalize_employee_id
from csdesk.domain.schemas import AgentStateView
from csdesk.domain.text import clean_text
from csdesk.server.audit import audit
from csdesk.server.context import ServerContext
from csdesk.server.db import utcnow
from csdesk.server.events import publish
from csdesk.server.models import Agent
from csdesk.server.passwords import set_password
from csdesk.server.problems import ProblemError
from csdesk.server.views import state_view


def create_agent(
    ctx: ServerContext,
    employee_id: str,
    *,
    name: str,
    team: str,
    password: str,
    temporary: bool = True,
    totp_secret: str | None = None,
    phone: str | None = None,
) -> str:
    """Create an Offline agent and return the normalised employee ID.

    ``employee_id`` is normalised (``" a1001 "`` → ``"A1001"``,
    :func:`csdesk.domain.identity.normalize_employee_id`); the password is
    stored as an Argon2id hash and starts the password history.
    ``temporary=True`` (an administrator's one-time password, operating
    guide §1.1/§1.3) means it must be changed at the first sign-in.
    ``totp_secret=None`` leaves TOTP unenrolled (the agent enrols at the
    first sign-in); ``phone`` is where SMS codes go. Raises ``ValueError``
    for an invalid or already used employee ID, an empty name or team, or
    one with control characters or escape sequences (a name is printed on
    agents' and admins' terminals). Password policy is the caller's business.
    """
    agent_id = normalize_employee_id(employee_id)
    name, team = name.strip(), team.strip()
    if not name or not team:
        raise ValueError("name and team must not be empty")
    for label, value in (("name", name), ("team", team)):
        if clean_text(value, keep_newlines=False) != value or len(value) > 128:
            raise ValueError(f"{label} must be one line of at most 128 characters, without control characters")
    password_hash = ctx.passwords.hash(password)
    now = utcnow()
    with ctx.db.write() as session:
        if session.get(Agent, agent_id) is not None:
            raise ValueError(f"employee ID {agent_id} already exists")
        agent = Agent(
            employee_id=agent_id,
            name=name,
            team=team,
            password_hash=password_hash,
            totp_secret=totp_secret or "",
            totp_last_step=None,
            state=AgentState.OFFLINE.value,
            state_reason=None,
            state_since=now,
            created_at=now,
            phone=phone or None,
        )
        session.add(agent)
        session.flush()
        set_password(
            session, agent, password_hash, ctx.settings.password_policy, now, temporary=temporary
        )
    return agent_id


def move_agent(
    session: Session,
    agent: Agent,
    state: AgentState,
    reason: NotReadyReason | None,
    now: datetime | None = None,
) -> AgentStateView:
    """Put ``agent`` into ``state`` (no rule check) and publish a ``state`` event.

    Used by the server's own moves (sign-in → Not Ready ``sign_in``,
    sign-out → Offline) and, after :func:`change_state_by_hand` checked the
    rules, by the agent's. Entering the same state with the same reason
    changes nothing and publishes nothing.
    """
    reason_value = reason.value if reason is not None else None
    if agent.state == state.value and agent.state_reason == reason_value:
        return state_view(agent)
    agent.state = state.value
    agent.state_reason = reason_value
    agent.state_since = now or utcnow()
    view = state_view(agent)
    publish(session, agent_id=agent.employee_id, type="state", data=view.model_dump(mode="json"))
    return view


def change_state_by_hand(
    session: Session, agent: Agent, state: AgentState, reason: NotReadyReason | None
) -> AgentStateView:
    """Apply ``PUT /me/state``: the moves of ``csdesk.domain.agent_state.can_move``.

    Not Ready needs a reason from ``AGENT_REASONS`` (``sign_in`` is the
    server's); other states take none. Raises :class:`ProblemError`
    ``validation-error`` (422) for a missing/extra/reserved reason and
    ``illegal-transition`` (409) for a move the state machine forbids —
    Offline while On Contact included: a state change never drops a contact
    (sign-out ends it into wrap-up instead, :mod:`csdesk.server.presence`).
    Offline from Offered or ACW is allowed; the caller then releases the
    agent's contacts (``presence.release_contacts``).
    """
    if state is AgentState.NOT_READY:
        if reason is None or reason not in AGENT_REASONS:
            raise ProblemError(
                "validation-error",
                "Not Ready needs a reason.",
                errors=[
                    {
                        "field": "body.reason",
                        "message": "choose one of: " + ", ".join(AGENT_REASONS),
                    }
                ],
            )
    elif reason is not None:
        raise ProblemError(
            "validation-error",
            "Only Not Ready takes a reason.",
            errors=[{"field": "body.reason", "message": "must be null unless state is not_ready"}],
        )
    current = AgentState(agent.state)
    if current is AgentState.ON_CONTACT and state is AgentState.OFFLINE:
        raise ProblemError(
            "illegal-transition",
            "Cannot go Offline on a contact: end it first (POST /contacts/{id}/end), "
            "or sign out (POST /auth/logout), which ends it into wrap-up for you.",
        )
    if not can_move(current, state):
        raise ProblemError(
            "illegal-transition", f"Cannot move from {current.value} to {state.value} by hand."
        )
    view = move_agent(session, agent, state, reason)
    detail = state.value if reason is None else f"{state.value}:{reason.value}"
    audit(session, agent_id=agent.employee_id, type="state", detail=detail)
    return view
