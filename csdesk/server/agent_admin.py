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
    sign-in, and TOTP is left for the agent to enrol then. The new account
    starts with a clear lockout record: failed sign-ins typed with this ID
    before it existed (unknown IDs lock like real ones, see
    :mod:`csdesk.server.lockout`) are forgotten; :func:`add_agent_report`
    says whether there were any. Raises ``ValueError`` for an invalid or
    duplicate ID or an empty name/team.
    """
    report = add_agent_report(ctx, employee_id, name=name, team=team, phone=phone, actor=actor)
    return report.employee_id, report.password


@dataclass(frozen=True)
class AddedAgent:
    """What :func:`add_agent_report` did.

    ``employee_id`` is the normalised ID; ``password`` the one-time temporary
    password (shown once, stored only hashed); ``cleared_lockout`` whether a
    lockout record of this ID (failed sign-ins before the account existed)
    was removed, and ``was_locked`` whether that record was an active lock.
    """

    employee_id: str
    password: str
    cleared_lockout: bool
    was_locked: bool


def add_agent_report(
    ctx: ServerContext,
    employee_id: str,
    *,
    name: str,
    team: str,
    phone: str | None = None,
    actor: str = "admin",
) -> AddedAgent:
    """:func:`add_agent`, returning an :class:`AddedAgent` with what happened to the lockout.

    Raises ``ValueError`` for an invalid or duplicate ID or an empty name/team.
    """
    agent_id = normalize_employee_id(employee_id)
    password = temporary_password(ctx.settings.password_policy, agent_id)
    create_agent(
        ctx, agent_id, name=name, team=team, password=password, temporary=True, phone=phone
    )
    now = utcnow()
    with ctx.db.write() as session:
        was_locked = lockout.locked_until(session, agent_id, now) is not None
        cleared = lockout.unlock(session, agent_id)
        detail = f"agent-add by {actor}" + ("; earlier lockout record cleared" if cleared else "")
        audit(session, agent_id=agent_id, type="admin", detail=detail)
    return AddedAgent(agent_id, password, cleared_lockout=cleared, was_locked=was_locked)


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


def reset_mfa(ctx: ServerContext, employee_id: str, *, actor: str = "admin") -> bool:
    """Forget the agent's TOTP secret: the next sign-in enrols a new authenticator.

    Every token the agent holds is revoked (the agent goes Offline), since a
    lost phone may be in other hands. Returns whether an authenticator was
    enrolled (False: there was none to remove). Raises
    :class:`AgentNotFoundError`.
    """
    agent_id = _agent_id(employee_id)
    now = utcnow()
    with ctx.db.write() as session:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise AgentNotFoundError(f"no agent {agent_id}")
        had_one = bool(agent.totp_secret)
        agent.totp_secret = ""
        agent.totp_last_step = None
        revoke_agent_tokens(session, agent, now)
        audit(session, agent_id=agent_id, type="admin", detail=f"reset-mfa by {actor}")
    return had_one


@dataclass(frozen=True)
class UnlockResult:
    """What :func:`unlock_agent_report` did.

    ``key`` is the lockout key that was cleared (the normalised employee ID,
    or the NFKC upper-case form of a malformed one: :func:`lockout.guard_key`);
    ``was_locked`` whether it was locked at that moment; ``had_failures``
    whether any counter (locked or not) was removed; ``known`` whether an
    agent has this employee ID.
    """

    key: str
    was_locked: bool
    had_failures: bool
    known: bool


def unlock_agent_report(
    ctx: ServerContext, employee_id: str, *, actor: str = "admin"
) -> UnlockResult:
    """Lift the lockout of ``employee_id`` and forget its failed passwords, agent or not.

    The lockout counter is kept per typed ID whether or not an agent has it
    (so unknown IDs are answered like real ones), hence this clears it for
    any ID: an unknown one (someone guessing, or an account about to be
    created) as well as a real agent's. Audited as an ``admin`` event (with
    ``agent_id=None`` for an unknown ID). Raises ``ValueError`` for an empty ID.
    """
    key = lockout.guard_key(employee_id)
    if not key:
        raise ValueError("the employee ID is empty")
    now = utcnow()
    with ctx.db.write() as session:
        known = session.get(Agent, key) is not None
        was_locked = lockout.locked_until(session, key, now) is not None
        had_failures = lockout.unlock(session, key)
        if known:
            audit(session, agent_id=key, type="admin", detail=f"unlock by {actor}")
        else:
            audit(session, agent_id=None, type="admin", detail=f"unlock {key} (no agent) by {actor}")
    return UnlockResult(key=key, was_locked=was_locked, had_failures=had_failures, known=known)


def unlock_agent(ctx: ServerContext, employee_id: str, *, actor: str = "admin") -> bool:
    """Lift a lockout and forget the failed passwords; return whether the ID was locked.

    Works for any employee ID, whether or not an agent has it (see
    :func:`unlock_agent_report`, which also says which). Raises
    ``ValueError`` for an empty ID.
    """
    return unlock_agent_report(ctx, employee_id, actor=actor).was_locked


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
