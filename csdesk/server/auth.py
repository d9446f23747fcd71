"""Sign-in, second factor, token refresh, sign-out and bearer checks.

Flow (``docs/protocol.md``): ``login`` (password) → MFA ticket → ``complete_mfa``
(TOTP, RFC 6238) → access + refresh tokens → ``refresh`` (rotation) →
``logout``. Tokens are opaque and stored as SHA-256 digests; the tokens of one
sign-in share a ``sign_in`` id so that sign-out revokes them together.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from csdesk.domain.agent_state import AgentState, NotReadyReason
from csdesk.domain.identity import normalize_employee_id
from csdesk.domain.schemas import MfaChallenge, TokenPair
from csdesk.server.agents import move_agent
from csdesk.server.audit import audit
from csdesk.server.context import ServerContext
from csdesk.server.db import utcnow
from csdesk.server.models import Agent, MfaTicket, Token
from csdesk.server.problems import ProblemError
from csdesk.server.security import new_token, token_digest, verify_totp
from csdesk.server.views import profile

#: Second factors offered in :class:`MfaChallenge`.
MFA_METHODS = ["totp"]

_BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="csdesk"'}
_INVALID_TOKEN = {"WWW-Authenticate": 'Bearer realm="csdesk", error="invalid_token"'}


@dataclass(frozen=True)
class AuthContext:
    """Who is calling: the agent, the access token's row id, its sign-in and expiry."""

    agent_id: str
    token_id: int
    sign_in: str
    expires_at: datetime


def _seconds(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds()))


def login(ctx: ServerContext, employee_id: str, password: str) -> MfaChallenge:
    """Check the password and return an MFA ticket (lives ``mfa_ticket_ttl`` s).

    The employee ID is normalised first. An unknown (or malformed) ID costs
    the same Argon2 work as a wrong password and raises the same
    :class:`ProblemError` ``invalid-credentials`` (401), so the answer does
    not reveal which IDs exist. Failures are audited; the password never is.
    """
    try:
        agent_id: str | None = normalize_employee_id(employee_id)
    except ValueError:
        agent_id = None
    password_hash: str | None = None
    if agent_id is not None:
        with ctx.db.read() as session:
            agent = session.get(Agent, agent_id)
            password_hash = agent.password_hash if agent else None
    ok = ctx.passwords.verify(password_hash, password)
    now = utcnow()
    with ctx.db.write() as session:
        if not ok:
            known = password_hash is not None
            audit(
                session,
                agent_id=agent_id if known else None,
                type="sign-in-failed",
                detail="bad-password" if known else "unknown-id",
            )
        else:
            assert agent_id is not None and password_hash is not None
            if ctx.passwords.needs_rehash(password_hash):
                agent = session.get(Agent, agent_id)
                if agent is not None:
                    agent.password_hash = ctx.passwords.hash(password)
            ticket = new_token()
            session.add(
                MfaTicket(
                    ticket_hash=token_digest(ticket),
                    agent_id=agent_id,
                    created_at=now,
                    expires_at=now + timedelta(seconds=ctx.settings.mfa_ticket_ttl),
                )
            )
    if not ok:
        raise ProblemError(
            "invalid-credentials", "Employee ID or password is wrong.", headers=_BEARER_CHALLENGE
        )
    return MfaChallenge(
        mfa_ticket=ticket, methods=list(MFA_METHODS), expires_in=ctx.settings.mfa_ticket_ttl
    )


def complete_mfa(ctx: ServerContext, mfa_ticket: str, code: str) -> TokenPair:
    """Check the one-time code for a ticket; on success sign the agent in.

    TOTP per :func:`csdesk.server.security.verify_totp` (±``totp_window``
    steps, replay refused). Success uses the ticket up, stores the accepted
    step, puts the agent in Not Ready (``sign_in``) with a ``state`` event,
    and returns a new token pair. Raises :class:`ProblemError`
    ``mfa-ticket-invalid`` (unknown, used, expired, or killed after
    ``mfa_max_attempts`` wrong codes) or ``invalid-code`` (401).
    """
    now = utcnow()
    failure: str | None = None
    with ctx.db.write() as session:
        ticket = session.get(MfaTicket, token_digest(mfa_ticket))
        if ticket is None or ticket.used_at is not None or ticket.expires_at <= now:
            failure = "mfa-ticket-invalid"
        else:
            agent = session.get(Agent, ticket.agent_id)
            assert agent is not None
            step = verify_totp(
                agent.totp_secret,
                code,
                last_step=agent.totp_last_step,
                window=ctx.settings.totp_window,
            )
            if step is None:
                failure = "invalid-code"
                ticket.failed_attempts += 1
                if ticket.failed_attempts >= ctx.settings.mfa_max_attempts:
                    ticket.used_at = now
                audit(session, agent_id=agent.employee_id, type="sign-in-failed", detail="bad-code")
            else:
                ticket.used_at = now
                agent.totp_last_step = step
                move_agent(session, agent, AgentState.NOT_READY, NotReadyReason.SIGN_IN, now)
                audit(session, agent_id=agent.employee_id, type="sign-in", detail="totp")
                sign_in = secrets.token_hex(16)
                return _issue(
                    ctx,
                    session,
                    agent,
                    sign_in,
                    now,
                    now + timedelta(seconds=ctx.settings.refresh_ttl),
                )
    if failure == "mfa-ticket-invalid":
        raise ProblemError(
            "mfa-ticket-invalid", "Start the sign-in again.", headers=_BEARER_CHALLENGE
        )
    raise ProblemError(
        "invalid-code", "The code is wrong, expired or already used.", headers=_BEARER_CHALLENGE
    )


def _issue(
    ctx: ServerContext,
    session: Session,
    agent: Agent,
    sign_in: str,
    now: datetime,
    refresh_expires_at: datetime,
) -> TokenPair:
    access = new_token()
    refresh = new_token()
    access_expires_at = min(now + timedelta(seconds=ctx.settings.access_ttl), refresh_expires_at)
    for kind, token, expires_at in (
        ("access", access, access_expires_at),
        ("refresh", refresh, refresh_expires_at),
    ):
        session.add(
            Token(
                token_hash=token_digest(token),
                kind=kind,
                agent_id=agent.employee_id,
                sign_in=sign_in,
                created_at=now,
                expires_at=expires_at,
            )
        )
    return TokenPair(
        access_token=access,
        refresh_token=refresh,
        expires_in=_seconds(access_expires_at - now),
        refresh_expires_in=_seconds(refresh_expires_at - now),
        agent=profile(agent, now),
    )


def refresh(ctx: ServerContext, refresh_token: str) -> TokenPair:
    """Exchange a refresh token for a new pair; the old refresh token is revoked.

    The new refresh token keeps the sign-in's absolute end (``refresh_ttl``
    after sign-in). Presenting an already revoked refresh token is treated
    as theft: every token of that sign-in is revoked (RFC 9700 §4.14.2).
    Raises :class:`ProblemError` ``unauthorized`` (401) for an unknown,
    revoked or expired refresh token.
    """
    now = utcnow()
    with ctx.db.write() as session:
        row = session.scalar(
            select(Token).where(
                Token.token_hash == token_digest(refresh_token), Token.kind == "refresh"
            )
        )
        if row is not None and row.revoked_at is None and row.expires_at > now:
            agent = session.get(Agent, row.agent_id)
            assert agent is not None
            row.revoked_at = now
            return _issue(ctx, session, agent, row.sign_in, now, row.expires_at)
        reused = row is not None and row.revoked_at is not None
        if reused and row is not None and _revoke_sign_in(session, row.sign_in, now):
            audit(session, agent_id=row.agent_id, type="refresh-reuse", detail="sign-in revoked")
    raise ProblemError("unauthorized", "Sign in again.", headers=_INVALID_TOKEN)


def _revoke_sign_in(session: Session, sign_in: str, now: datetime) -> int:
    result = session.execute(
        update(Token)
        .where(Token.sign_in == sign_in, Token.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def logout(ctx: ServerContext, auth: AuthContext) -> None:
    """Sign out: revoke every token of this sign-in and put the agent Offline (``state`` event)."""
    now = utcnow()
    with ctx.db.write() as session:
        _revoke_sign_in(session, auth.sign_in, now)
        agent = session.get(Agent, auth.agent_id)
        if agent is not None:
            move_agent(session, agent, AgentState.OFFLINE, None, now)
        audit(session, agent_id=auth.agent_id, type="sign-out")


def authenticate(ctx: ServerContext, access_token: str | None) -> AuthContext:
    """Resolve a bearer access token to the calling agent.

    Raises :class:`ProblemError` ``unauthorized`` (401) when the token is
    missing, unknown or revoked, and ``token-expired`` (401) when it is past
    its lifetime (the client then refreshes). Both carry a
    ``WWW-Authenticate: Bearer`` header (RFC 6750 §3).
    """
    if not access_token:
        raise ProblemError("unauthorized", "Send a bearer access token.", headers=_BEARER_CHALLENGE)
    now = utcnow()
    with ctx.db.read() as session:
        row = session.scalar(
            select(Token).where(
                Token.token_hash == token_digest(access_token), Token.kind == "access"
            )
        )
        if row is None or row.revoked_at is not None:
            raise ProblemError(
                "unauthorized", "The access token is not valid.", headers=_INVALID_TOKEN
            )
        if row.expires_at <= now:
            raise ProblemError("token-expired", "Refresh the access token.", headers=_INVALID_TOKEN)
        return AuthContext(
            agent_id=row.agent_id, token_id=row.id, sign_in=row.sign_in, expires_at=row.expires_at
        )


def token_usable(ctx: ServerContext, token_id: int) -> bool:
    """Whether the token with row id ``token_id`` is neither revoked nor expired."""
    with ctx.db.read() as session:
        row = session.get(Token, token_id)
        return row is not None and row.revoked_at is None and row.expires_at > utcnow()
