"""Sign-in, second factor, password changes, token refresh, sign-out and bearer checks.

Flow (``docs/protocol.md``): ``login`` (password) → MFA ticket → (when the
password is temporary or expired: ``change_password_with_ticket``) → (when
the agent has no authenticator yet: ``enrol_totp`` + ``confirm_totp``) or
``complete_mfa`` (TOTP, RFC 6238, or an SMS code from ``send_sms_code``) →
access + refresh tokens → ``refresh`` (rotation) → ``logout``. Tokens are
opaque and stored as SHA-256 digests; the tokens of one sign-in share a
``sign_in`` id so that sign-out revokes them together.

Passwords are checked by :func:`_check_password`, which counts every attempt
toward the lockout (:mod:`csdesk.server.lockout`): sign-in, the idle lock
(``reauth``) and ``change_my_password``. Errors are RFC 9457 problems
(:class:`ProblemError`); operating guide §1.2-§1.3 is the source of the rules.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from csdesk.domain.identity import normalize_employee_id, normalize_otp
from csdesk.domain.schemas import MfaChallenge, SmsChallenge, TokenPair, TotpEnrolment
from csdesk.server import lockout
from csdesk.server.audit import audit
from csdesk.server.context import ServerContext
from csdesk.server.db import utcnow
from csdesk.server.models import Agent, MfaTicket, PendingTotp, SmsCode, Token
from csdesk.server.passwords import (
    change_required,
    enforce_policy,
    expiry_warning,
    recent_hashes,
    set_password,
)
from csdesk.server.presence import sign_out, state_at_sign_in
from csdesk.server.problems import ProblemError
from csdesk.server.security import new_token, new_totp_secret, token_digest, verify_totp
from csdesk.server.sms import mask_phone, sms_text
from csdesk.server.views import profile

#: Second factors every backend offers in :class:`MfaChallenge`.
MFA_METHODS = ["totp"]

#: Issuer shown by authenticator apps (``otpauth://totp/csdesk:<ID>?…&issuer=csdesk``).
TOTP_ISSUER = "csdesk"

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


def _invalid_credentials() -> ProblemError:
    return ProblemError(
        "invalid-credentials", "Employee ID or password is wrong.", headers=_BEARER_CHALLENGE
    )


def _account_locked(until: datetime) -> ProblemError:
    return ProblemError(
        "account-locked",
        "Too many wrong passwords: the account is locked until "
        f"{until.isoformat(timespec='seconds')}.",
        extensions={"locked_until": until},
    )


def _ticket_invalid() -> ProblemError:
    return ProblemError("mfa-ticket-invalid", "Start the sign-in again.", headers=_BEARER_CHALLENGE)


def _invalid_code() -> ProblemError:
    return ProblemError(
        "invalid-code", "The code is wrong, expired or already used.", headers=_BEARER_CHALLENGE
    )


def _change_first() -> ProblemError:
    return ProblemError(
        "password-change-required", "Change the temporary or expired password first."
    )


# -- passwords and lockout -----------------------------------------------------


def _check_password(
    ctx: ServerContext,
    key: str,
    agent_id: str | None,
    password: str,
    *,
    on_result: Callable[[Session, str, datetime | None], None],
) -> tuple[bool, datetime | None]:
    """Check ``password`` for the agent ``agent_id`` (``None``: unknown) under lockout ``key``.

    Returns ``(ok, locked_until)``: ``locked_until`` is set when the account
    was already locked (``ok`` is then False whatever the password) or this
    failure locked it. Unknown and known IDs cost the same Argon2 work and
    the same database writes. ``on_result(session, outcome, locked_until)``
    runs in the transaction that records the outcome (audit, tickets,
    sign-out); ``outcome`` is ``"ok"``, ``"wrong"`` (wrong password or
    unknown ID; ``locked_until`` set if it locked the account) or
    ``"refused"`` (already locked, password not checked).
    """
    settings = ctx.settings
    now = utcnow()
    with ctx.db.write() as session:
        agent = session.get(Agent, agent_id) if agent_id is not None else None
        password_hash = agent.password_hash if agent is not None else None
        locked = lockout.begin_attempt(session, settings, key, now)
        if locked is not None:
            on_result(session, "refused", locked)
    if locked is not None:
        ctx.passwords.verify(None, password)  # same work as any other attempt
        return False, locked
    ok = ctx.passwords.verify(password_hash, password)
    now = utcnow()
    with ctx.db.write() as session:
        if ok:
            lockout.attempt_succeeded(session, key)
            locked = None
        else:
            locked = lockout.attempt_failed(session, key, now)
        on_result(session, "ok" if ok else "wrong", locked)
        if locked is not None:
            audit(
                session,
                agent_id=agent_id if password_hash is not None else None,
                type="account-locked",
                detail=f"{settings.lockout_threshold} failed passwords",
            )
    return ok, locked


def login(ctx: ServerContext, employee_id: str, password: str) -> MfaChallenge:
    """Check the password and return an MFA ticket (lives ``mfa_ticket_ttl`` s).

    The employee ID is normalised first. An unknown (or malformed) ID costs
    the same Argon2 work as a wrong password and raises the same
    :class:`ProblemError` ``invalid-credentials`` (401), so the answer does
    not reveal which IDs exist; it locks the same way too: the attempt that
    makes ``lockout_threshold`` failures in a row, and every attempt during
    the next ``lockout_duration`` seconds, get ``account-locked`` (423,
    ``locked_until``). Failures are audited; the password never is.

    The challenge says whether the password must be changed first
    (temporary, or older than the policy's ``max_age_days``), how many days
    are left within the warning window, whether TOTP is enrolled, and the
    methods on offer (``sms`` when ``sms_enabled`` and the agent has a phone).
    """
    key = lockout.guard_key(employee_id)
    try:
        agent_id: str | None = normalize_employee_id(employee_id)
    except ValueError:
        agent_id = None
    challenge: list[MfaChallenge] = []

    def record(session: Session, outcome: str, locked: datetime | None) -> None:
        agent = session.get(Agent, agent_id) if agent_id is not None else None
        if outcome != "ok":
            if outcome == "refused":
                detail = "locked"
            else:
                detail = "bad-password" if agent is not None else "unknown-id"
            audit(
                session,
                agent_id=agent.employee_id if agent is not None else None,
                type="sign-in-failed",
                detail=detail,
            )
            return
        assert agent is not None
        if ctx.passwords.needs_rehash(agent.password_hash):
            agent.password_hash = ctx.passwords.hash(password)
        challenge.append(_new_challenge(ctx, session, agent, utcnow()))

    ok, locked = _check_password(ctx, key, agent_id, password, on_result=record)
    if locked is not None:
        raise _account_locked(locked)
    if not ok:
        raise _invalid_credentials()
    return challenge[0]


def _new_challenge(
    ctx: ServerContext, session: Session, agent: Agent, now: datetime
) -> MfaChallenge:
    settings = ctx.settings
    ticket = new_token()
    session.add(
        MfaTicket(
            ticket_hash=token_digest(ticket),
            agent_id=agent.employee_id,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.mfa_ticket_ttl),
        )
    )
    policy = settings.password_policy
    required = change_required(agent, policy, now)
    return MfaChallenge(
        mfa_ticket=ticket,
        methods=_methods(ctx, agent),
        expires_in=settings.mfa_ticket_ttl,
        password_change_required=required,
        password_expires_in_days=expiry_warning(agent, policy, now),
        totp_enrolled=agent.totp_enrolled,
    )


def _methods(ctx: ServerContext, agent: Agent) -> list[str]:
    return list(MFA_METHODS) + (["sms"] if _sms_available(ctx, agent) else [])


def _sms_available(ctx: ServerContext, agent: Agent) -> bool:
    return ctx.settings.sms_enabled and bool(agent.phone)


# -- the MFA ticket and its steps ----------------------------------------------


def _live_ticket(session: Session, mfa_ticket: str, now: datetime) -> MfaTicket | None:
    ticket = session.get(MfaTicket, token_digest(mfa_ticket))
    if ticket is None or ticket.used_at is not None or ticket.expires_at <= now:
        return None
    return ticket


def _renew(ctx: ServerContext, ticket: MfaTicket, now: datetime, seconds: int) -> None:
    """Keep ``ticket`` alive ``seconds`` more, never past ``mfa_ticket_max_age`` after login."""
    limit = ticket.created_at + timedelta(seconds=ctx.settings.mfa_ticket_max_age)
    ticket.expires_at = min(max(ticket.expires_at, now + timedelta(seconds=seconds)), limit)


def _ticket_agent(
    ctx: ServerContext, session: Session, mfa_ticket: str, now: datetime
) -> tuple[MfaTicket, Agent]:
    """The live ticket and its agent; ``mfa-ticket-invalid`` or ``password-change-required``."""
    ticket = _live_ticket(session, mfa_ticket, now)
    if ticket is None:
        raise _ticket_invalid()
    agent = session.get(Agent, ticket.agent_id)
    assert agent is not None
    if change_required(agent, ctx.settings.password_policy, now):
        raise _change_first()
    return ticket, agent


def _wrong_code(ctx: ServerContext, session: Session, ticket: MfaTicket, now: datetime) -> None:
    ticket.failed_attempts += 1
    if ticket.failed_attempts >= ctx.settings.mfa_max_attempts:
        ticket.used_at = now
    audit(session, agent_id=ticket.agent_id, type="sign-in-failed", detail="bad-code")


def _sign_in(
    ctx: ServerContext, session: Session, agent: Agent, ticket: MfaTicket, now: datetime, how: str
) -> TokenPair:
    """The second factor passed: use the ticket up, the agent's state, audit, tokens.

    The state is Not Ready (``sign_in``), or ACW / On Contact when a contact
    awaits the agent (:func:`csdesk.server.presence.state_at_sign_in`).
    """
    ticket.used_at = now
    session.execute(delete(PendingTotp).where(PendingTotp.ticket_hash == ticket.ticket_hash))
    state_at_sign_in(session, ctx.settings, agent, now)
    audit(session, agent_id=agent.employee_id, type="sign-in", detail=how)
    return _issue(
        ctx,
        session,
        agent,
        secrets.token_hex(16),
        now,
        now + timedelta(seconds=ctx.settings.refresh_ttl),
    )


def complete_mfa(
    ctx: ServerContext, mfa_ticket: str, code: str, method: str = "totp"
) -> TokenPair:
    """Check the one-time code for a ticket; on success sign the agent in.

    ``method="totp"``: per :func:`csdesk.server.security.verify_totp`
    (±``totp_window`` steps, replay refused, RFC 6238 §5.2).
    ``method="sms"``: the code last sent by :func:`send_sms_code` for this
    ticket, within ``sms_code_ttl`` seconds. Success uses the ticket up,
    puts the agent in Not Ready (``sign_in``) with a ``state`` event, and
    returns a new token pair (an agent with a contact awaiting wrap-up
    comes back in ACW instead, see :mod:`csdesk.server.presence`). Raises :class:`ProblemError`
    ``mfa-ticket-invalid`` (unknown, used, expired, or killed after
    ``mfa_max_attempts`` wrong codes), ``invalid-code`` (401),
    ``password-change-required`` (403) while the password must be changed,
    ``totp-enrolment-required`` (403) for TOTP without an enrolled
    authenticator, ``sms-unavailable`` (409) for SMS when it is off.
    """
    if method == "sms":
        return _complete_sms(ctx, mfa_ticket, code)
    now = utcnow()
    wrong = False
    with ctx.db.write() as session:
        ticket, agent = _ticket_agent(ctx, session, mfa_ticket, now)
        if not agent.totp_enrolled:
            raise ProblemError(
                "totp-enrolment-required", "Enrol an authenticator app first (/auth/totp/enrol)."
            )
        step = verify_totp(
            agent.totp_secret,
            code,
            last_step=agent.totp_last_step,
            window=ctx.settings.totp_window,
        )
        if step is None:
            _wrong_code(ctx, session, ticket, now)
            wrong = True
        else:
            agent.totp_last_step = step
            return _sign_in(ctx, session, agent, ticket, now, "totp")
    assert wrong
    raise _invalid_code()


def _complete_sms(ctx: ServerContext, mfa_ticket: str, code: str) -> TokenPair:
    now = utcnow()
    with ctx.db.read() as session:
        ticket, agent = _ticket_agent(ctx, session, mfa_ticket, now)
        if not _sms_available(ctx, agent):
            raise ProblemError("sms-unavailable", "SMS codes are not available for this account.")
        row = session.get(SmsCode, ticket.ticket_hash)
        usable = row is not None and row.used_at is None and row.expires_at > now
        code_hash = row.code_hash if row is not None and usable else None
    try:
        typed = normalize_otp(code)
    except ValueError:
        typed = ""
    # Argon2 outside the write lock; the same work when there is no code.
    ok = ctx.passwords.verify(code_hash, typed) and bool(typed)
    now = utcnow()
    with ctx.db.write() as session:
        ticket_row = _live_ticket(session, mfa_ticket, now)
        if ticket_row is None:
            raise _ticket_invalid()
        row = session.get(SmsCode, ticket_row.ticket_hash)
        still = row is not None and row.used_at is None and row.code_hash == code_hash
        if ok and still and row is not None:
            row.used_at = now
            agent = session.get(Agent, ticket_row.agent_id)
            assert agent is not None
            return _sign_in(ctx, session, agent, ticket_row, now, "sms")
        _wrong_code(ctx, session, ticket_row, now)
    raise _invalid_code()


def change_password_with_ticket(ctx: ServerContext, mfa_ticket: str, new_password: str) -> None:
    """``POST /auth/password``: the change a temporary or expired password requires.

    Only while a change is required (else ``password-change-not-required``,
    409). The new password must meet the policy, history included (else
    ``password-policy``, 422, listing every broken rule). On success the
    ticket lives ``mfa_ticket_ttl`` more seconds for the next step, every
    token the agent still holds elsewhere is revoked (Offline), and the
    change is audited. ``mfa-ticket-invalid`` (401) as for ``/auth/mfa``.
    """
    policy = ctx.settings.password_policy
    now = utcnow()
    with ctx.db.read() as session:
        ticket = _live_ticket(session, mfa_ticket, now)
        if ticket is None:
            raise _ticket_invalid()
        agent = session.get(Agent, ticket.agent_id)
        assert agent is not None
        if not change_required(agent, policy, now):
            raise ProblemError(
                "password-change-not-required",
                "No password change is due; change it from the desk (PUT /me/password).",
            )
        employee_id = agent.employee_id
        reason = "temporary" if agent.must_change_password else "expired"
        recent = recent_hashes(session, agent, policy)
    enforce_policy(ctx.passwords, policy, employee_id, new_password, recent)
    new_hash = ctx.passwords.hash(new_password)
    now = utcnow()
    with ctx.db.write() as session:
        ticket = _live_ticket(session, mfa_ticket, now)
        if ticket is None:
            raise _ticket_invalid()
        agent = session.get(Agent, ticket.agent_id)
        assert agent is not None
        set_password(session, agent, new_hash, policy, now, temporary=False)
        revoke_agent_tokens(session, agent, now)
        _renew(ctx, ticket, now, ctx.settings.mfa_ticket_ttl)
        audit(session, agent_id=employee_id, type="password-changed", detail=reason)


def enrol_totp(ctx: ServerContext, mfa_ticket: str) -> TotpEnrolment:
    """``POST /auth/totp/enrol``: a new TOTP secret for an agent without one.

    The secret (base32, 32 characters = 160 bits, RFC 4226 §4 R6) is kept
    for this ticket until confirmed; a new call replaces it. The answer has
    the ``otpauth://totp/csdesk:<ID>?secret=…&issuer=csdesk`` URI for a QR
    code (Google Authenticator key URI format). Renews the ticket. Raises
    ``totp-already-enrolled`` (409), ``password-change-required`` (403),
    ``mfa-ticket-invalid`` (401).
    """
    now = utcnow()
    with ctx.db.write() as session:
        ticket, agent = _ticket_agent(ctx, session, mfa_ticket, now)
        if agent.totp_enrolled:
            raise ProblemError("totp-already-enrolled", "An authenticator is already enrolled.")
        secret = new_totp_secret()
        pending = session.get(PendingTotp, ticket.ticket_hash)
        if pending is None:
            session.add(
                PendingTotp(
                    ticket_hash=ticket.ticket_hash,
                    agent_id=agent.employee_id,
                    secret=secret,
                    created_at=now,
                )
            )
        else:
            pending.secret = secret
            pending.created_at = now
        _renew(ctx, ticket, now, ctx.settings.mfa_ticket_ttl)
        uri = pyotp.TOTP(secret).provisioning_uri(name=agent.employee_id, issuer_name=TOTP_ISSUER)
        return TotpEnrolment(secret=secret, otpauth_uri=uri)


def confirm_totp(ctx: ServerContext, mfa_ticket: str, code: str) -> TokenPair:
    """``POST /auth/totp/confirm``: the first code of the new secret enables it and signs in.

    The code is checked like any TOTP code (±``totp_window`` steps, RFC 6238
    §5.2); its step becomes the replay guard. A wrong code counts on the
    ticket like one at ``/auth/mfa``. Raises ``invalid-code`` (401),
    ``totp-enrolment-required`` (403, no ``enrol`` on this ticket),
    ``totp-already-enrolled`` (409), ``password-change-required`` (403),
    ``mfa-ticket-invalid`` (401).
    """
    now = utcnow()
    with ctx.db.write() as session:
        ticket, agent = _ticket_agent(ctx, session, mfa_ticket, now)
        if agent.totp_enrolled:
            raise ProblemError("totp-already-enrolled", "An authenticator is already enrolled.")
        pending = session.get(PendingTotp, ticket.ticket_hash)
        if pending is None:
            raise ProblemError(
                "totp-enrolment-required", "Ask for a secret first (/auth/totp/enrol)."
            )
        step = verify_totp(pending.secret, code, last_step=None, window=ctx.settings.totp_window)
        if step is not None:
            agent.totp_secret = pending.secret
            agent.totp_last_step = step
            audit(session, agent_id=agent.employee_id, type="totp-enrolled")
            return _sign_in(ctx, session, agent, ticket, now, "totp-enrol")
        _wrong_code(ctx, session, ticket, now)
    raise _invalid_code()


def send_sms_code(ctx: ServerContext, mfa_ticket: str) -> SmsChallenge:
    """``POST /auth/sms``: send a new 6-digit code for this ticket through ``ctx.sms_sender``.

    The code replaces any earlier one of the ticket, is stored as an
    Argon2id hash and expires after ``sms_code_ttl`` seconds; the ticket is
    kept alive at least as long (within ``mfa_ticket_max_age``). At most
    ``sms_max_sends`` codes per ticket (then ``too-many-requests``, 429).
    Raises ``sms-unavailable`` (409) when SMS is off or the agent has no
    phone, ``password-change-required`` (403), ``mfa-ticket-invalid`` (401).
    """
    settings = ctx.settings
    now = utcnow()
    with ctx.db.read() as session:
        ticket, agent = _ticket_agent(ctx, session, mfa_ticket, now)
        if not _sms_available(ctx, agent):
            raise ProblemError("sms-unavailable", "SMS codes are not available for this account.")
        row = session.get(SmsCode, ticket.ticket_hash)
        if row is not None and row.sends >= settings.sms_max_sends:
            raise ProblemError(
                "too-many-requests", "No more codes for this sign-in; start the sign-in again."
            )
        agent_id = agent.employee_id
        assert agent.phone is not None
        masked = mask_phone(agent.phone)
    code = f"{secrets.randbelow(10**6):06d}"
    code_hash = ctx.passwords.hash(code)
    now = utcnow()
    with ctx.db.write() as session:
        ticket_row = _live_ticket(session, mfa_ticket, now)
        if ticket_row is None:
            raise _ticket_invalid()
        row = session.get(SmsCode, ticket_row.ticket_hash)
        if row is not None and row.sends >= settings.sms_max_sends:
            raise ProblemError(
                "too-many-requests", "No more codes for this sign-in; start the sign-in again."
            )
        expires = now + timedelta(seconds=settings.sms_code_ttl)
        if row is None:
            session.add(
                SmsCode(
                    ticket_hash=ticket_row.ticket_hash,
                    agent_id=agent_id,
                    code_hash=code_hash,
                    sends=1,
                    created_at=now,
                    expires_at=expires,
                )
            )
        else:
            row.code_hash = code_hash
            row.sends += 1
            row.created_at = now
            row.expires_at = expires
            row.used_at = None
        _renew(ctx, ticket_row, now, settings.sms_code_ttl)
        audit(session, agent_id=agent_id, type="sms-sent")
    ctx.sms_sender.send(agent_id, masked, sms_text(code, settings.sms_code_ttl))
    return SmsChallenge(expires_in=settings.sms_code_ttl, sent_to=masked)


# -- a signed-in agent's password ----------------------------------------------


def _end_sign_in(session: Session, auth: AuthContext, now: datetime, detail: str) -> None:
    _revoke_sign_in(session, auth.sign_in, now)
    agent = session.get(Agent, auth.agent_id)
    if agent is not None:
        sign_out(session, agent, now)
    audit(session, agent_id=auth.agent_id, type="sign-out", detail=detail)


def _session_password(ctx: ServerContext, auth: AuthContext, password: str, purpose: str) -> None:
    """Check a signed-in agent's password (counts toward lockout).

    Wrong → ``invalid-credentials`` (401). When the account is (or just
    became) locked, this sign-in ends — tokens revoked, agent Offline — and
    the answer is ``account-locked`` (423): someone at an unlocked terminal
    who cannot give the password must not keep the session.
    """

    def record(session: Session, outcome: str, locked: datetime | None) -> None:
        now = utcnow()
        if outcome == "ok":
            if purpose == "idle-lock":
                audit(session, agent_id=auth.agent_id, type="reauth", detail=purpose)
            return
        detail = f"{purpose}:{'locked' if outcome == 'refused' else 'bad-password'}"
        audit(session, agent_id=auth.agent_id, type="reauth-failed", detail=detail)
        if locked is not None:
            _end_sign_in(session, auth, now, "locked")

    ok, locked = _check_password(ctx, auth.agent_id, auth.agent_id, password, on_result=record)
    if locked is not None:
        raise _account_locked(locked)
    if not ok:
        raise _invalid_credentials()


def reauth(ctx: ServerContext, auth: AuthContext, password: str) -> None:
    """``POST /auth/reauth``: the agent's password opens the idle lock.

    Returns on success (204). Raises ``invalid-credentials`` (401) for a
    wrong password, which counts toward the lockout, and ``account-locked``
    (423, ``locked_until``) when the account is locked — the sign-in is then
    ended (see :func:`_session_password`).
    """
    _session_password(ctx, auth, password, "idle-lock")


def change_my_password(
    ctx: ServerContext, auth: AuthContext, current_password: str, new_password: str
) -> None:
    """``PUT /me/password``: a signed-in agent changes the password.

    The current password is checked first, like :func:`reauth`
    (``invalid-credentials``/``account-locked``); then the policy, history
    included (``password-policy``, 422). On success the agent's other
    sign-ins are revoked (this one stays) and the change is audited.
    """
    _session_password(ctx, auth, current_password, "password-change")
    policy = ctx.settings.password_policy
    with ctx.db.read() as session:
        agent = session.get(Agent, auth.agent_id)
        if agent is None:
            raise ProblemError("unauthorized", "The agent no longer exists.")
        recent = recent_hashes(session, agent, policy)
    enforce_policy(ctx.passwords, policy, auth.agent_id, new_password, recent)
    new_hash = ctx.passwords.hash(new_password)
    now = utcnow()
    with ctx.db.write() as session:
        agent = session.get(Agent, auth.agent_id)
        if agent is None:
            raise ProblemError("unauthorized", "The agent no longer exists.")
        set_password(session, agent, new_hash, policy, now, temporary=False)
        revoke_agent_tokens(session, agent, now, keep_sign_in=auth.sign_in)
        audit(session, agent_id=auth.agent_id, type="password-changed", detail="self")


def revoke_agent_tokens(
    session: Session, agent: Agent, now: datetime, *, keep_sign_in: str | None = None
) -> int:
    """Revoke the agent's live tokens (except those of ``keep_sign_in``); return how many.

    Without a sign-in to keep, an agent whose tokens were revoked is signed
    out (Offline with a ``state`` event, contacts released by the rules of
    :mod:`csdesk.server.presence`), so routing never offers contacts to a
    desk that can no longer answer.
    """
    query = update(Token).where(
        Token.agent_id == agent.employee_id, Token.revoked_at.is_(None), Token.expires_at > now
    )
    if keep_sign_in is not None:
        query = query.where(Token.sign_in != keep_sign_in)
    result = session.execute(query.values(revoked_at=now))
    count = int(getattr(result, "rowcount", 0) or 0)
    if keep_sign_in is None and count:
        sign_out(session, agent, now)
    return count


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
    """Sign out: revoke every token of this sign-in and put the agent Offline (``state`` event).

    The agent's contacts follow the sign-out rules of :mod:`csdesk.server.presence`
    (a ringing offer back to the queue head, an active contact ended into
    wrap-up and kept for the agent, a wrap-up kept).
    """
    now = utcnow()
    with ctx.db.write() as session:
        _revoke_sign_in(session, auth.sign_in, now)
        agent = session.get(Agent, auth.agent_id)
        if agent is not None:
            sign_out(session, agent, now)
        audit(session, agent_id=auth.agent_id, type="sign-out")
    ctx.routing_wake.set()  # a returned offer may go to another agent now


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
