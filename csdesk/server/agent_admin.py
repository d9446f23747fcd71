"""Administration of agent accounts: what ``csdesk admin agent …`` does, in-process.

Operating guide §1.1: an administrator issues each agent an account with a
temporary password; §1.3: the agent changes it at the first sign-in. These
functions work on the backend's database through a :class:`ServerContext`
(the CLI opens one on the database file; tests use the running backend's).
Each act is an ``admin`` audit event naming the operator. Temporary
passwords are returned to the caller once and stored only as Argon2id hashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from csdesk.domain.identity import normalize_employee_id
from csdesk.server import lockout
from csdesk.server.agents import create_agent
from csdesk.server.audit import audit
from csdesk.server.auth import revoke_agent_tokens
from csdesk.server.context import ServerContext
from csdesk.server.db import utcnow
from csdesk.server.models import Agent, SignInGuard
from csdesk.server.passwords import change_required, set_password, temporary_password


class AgentNotFoundError(LookupError):
    """No agent has this employee ID; ``str()`` says which."""


@dataclass(frozen=True)
class AgentSummary:
    """One line of ``csdesk admin agent list``.

    ``state`` is the agent state value (``offline``, ``ready``, …);
    ``locked_until`` the end of a current lockout; ``must_change_password``
    whether the next sign-in starts with a password change (temporary or
    expired password); ``totp_enrolled`` whether an authenticator is set up.
    """

    employee_id: str
    name: str
    team: str
    state: str
    locked_until: datetime | None
    must_change_password: bool
    totp_enrolled: bool


def _agent_id(employee_id: str) -> str:
    try:
        return normalize_employee_id(employee_id)
    except ValueError as exc:
        raise AgentNotFoundError(f"{employee_id!r} is not a valid employee ID") from exc


def add_agent(
    ctx: ServerContext,
    employee_id: str,
    *,
    name: str,
    team: str,
    phone: str | None = None,
    actor: str = "admin",
) -> tuple[str, str]:
    """Create an agent with a generated temporary password; return ``(employee_id, password)``.

    The password meets the server's policy, must be changed at the first
    sign-in, and TOTP is left for the agent to enrol then. Raises
    ``ValueError`` for an invalid or duplicate ID or an empty name/team.
    """
    agent_id = normalize_employee_id(employee_id)
    password = temporary_password(ctx.settings.password_policy, agent_id)
    create_agent(
        ctx, agent_id, name=name, team=team, password=password, temporary=True, phone=phone
    )
    with ctx.db.write() as session:
        audit(session, agent_id=agent_id, type="admin", detail=f"agent-add by {actor}")
    return agent_id, password


def reset_password(ctx: ServerContext, employee_id: str, *, actor: str = "admin") -> str:
    """Give the agent a new temporary password and return it.

    The agent must change it at the next sign-in; the lockout is cleared;
    every token the agent holds is revoked (the agent goes Offline).
    Raises :class:`AgentNotFoundError`.
    """
    agent_id = _agent_id(employee_id)
    password = temporary_password(ctx.settings.password_policy, agent_id)
    password_hash = ctx.passwords.hash(password)
    now = utcnow()
    with ctx.db.write() as session:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise AgentNotFoundError(f"no agent {agent_id}")
        set_password(
            session, agent, password_hash, ctx.settings.password_policy, now, temporary=True
        )
        lockout.unlock(session, agent_id)
        revoke_agent_tokens(session, agent, now)
        audit(session, agent_id=agent_id, type="admin", detail=f"reset-password by {actor}")
    return password


def reset_mfa(ctx: ServerContext, employee_id: str, *, actor: str = "admin") -> None:
    """Forget the agent's TOTP secret: the next sign-in enrols a new authenticator.

    Every token the agent holds is revoked (the agent goes Offline), since a
    lost phone may be in other hands. Raises :class:`AgentNotFoundError`.
    """
    agent_id = _agent_id(employee_id)
    now = utcnow()
    with ctx.db.write() as session:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise AgentNotFoundError(f"no agent {agent_id}")
        agent.totp_secret = ""
        agent.totp_last_step = None
        revoke_agent_tokens(session, agent, now)
        audit(session, agent_id=agent_id, type="admin", detail=f"reset-mfa by {actor}")


def unlock_agent(ctx: ServerContext, employee_id: str, *, actor: str = "admin") -> bool:
    """Lift a lockout and forget the failed passwords; return whether the agent was locked.

    Raises :class:`AgentNotFoundError`.
    """
    agent_id = _agent_id(employee_id)
    now = utcnow()
    with ctx.db.write() as session:
        if session.get(Agent, agent_id) is None:
            raise AgentNotFoundError(f"no agent {agent_id}")
        was_locked = lockout.locked_until(session, agent_id, now) is not None
        lockout.unlock(session, agent_id)
        audit(session, agent_id=agent_id, type="admin", detail=f"unlock by {actor}")
    return was_locked


def list_agents(ctx: ServerContext) -> list[AgentSummary]:
    """Every agent, by employee ID, with state, lockout, password and TOTP status."""
    now = utcnow()
    policy = ctx.settings.password_policy
    with ctx.db.read() as session:
        guards = {
            guard.key: guard.locked_until
            for guard in session.scalars(
                select(SignInGuard).where(SignInGuard.locked_until > now)
            )
        }
        return [
            AgentSummary(
                employee_id=agent.employee_id,
                name=agent.name,
                team=agent.team,
                state=agent.state,
                locked_until=guards.get(agent.employee_id),
                must_change_password=change_required(agent, policy, now),
                totp_enrolled=agent.totp_enrolled,
            )
            for agent in session.scalars(select(Agent).order_by(Agent.employee_id))
        ]
