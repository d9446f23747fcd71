"""Password lifecycle on the server: policy, history, expiry, temporary passwords.

Operating guide §1.3: an administrator issues a temporary password; the
agent changes it at the first sign-in, to one that meets the complexity
rules, and changes it again periodically. The rules themselves are
:class:`csdesk.domain.password_policy.PasswordPolicy` (pure, shared with the
client); this module adds what needs the database and the clock:

- the ``history`` rule (the new password must differ from the last N, the
  current one included), checked against stored Argon2id hashes (RFC 9106);
- expiry after ``max_age_days`` and the warning ``warn_days`` before;
- setting a password (hash, history, ``password_changed_at``);
- generating temporary passwords that meet the policy.
"""

from __future__ import annotations

import math
import secrets
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from csdesk.domain.password_policy import PasswordPolicy, RuleResult
from csdesk.server.models import Agent, PasswordHistory
from csdesk.server.problems import ProblemError
from csdesk.server.security import Passwords

#: Length of generated temporary passwords, characters (≈ 90 bits from a 57-symbol alphabet).
TEMPORARY_LENGTH = 16

# Easy to read aloud and to type from a slip of paper: no 0/O, 1/l/I.
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_LOWER = "abcdefghijkmnopqrstuvwxyz"
_DIGITS = "23456789"
_SYMBOLS = "#%+=@!?-"


def password_age_start(agent: Agent) -> datetime:
    """When the current password was set (``created_at`` for rows older than the column)."""
    return agent.password_changed_at or agent.created_at


def is_expired(agent: Agent, policy: PasswordPolicy, now: datetime) -> bool:
    """Whether the password is older than ``policy.max_age_days`` (0: never expires)."""
    left = policy.expires_in_days((now - password_age_start(agent)).total_seconds())
    return left is not None and left <= 0


def change_required(agent: Agent, policy: PasswordPolicy, now: datetime) -> bool:
    """Whether the agent must change the password before anything else: temporary or expired."""
    return agent.must_change_password or is_expired(agent, policy, now)


def expiry_warning(agent: Agent, policy: PasswordPolicy, now: datetime) -> int | None:
    """Whole days left (rounded up, ≥ 1) when expiry is within ``warn_days``, else ``None``."""
    if change_required(agent, policy, now):
        return None
    left = policy.expires_in_days((now - password_age_start(agent)).total_seconds())
    if left is None or left > policy.warn_days:
        return None
    return max(1, math.ceil(left))


def recent_hashes(session: Session, agent: Agent, policy: PasswordPolicy) -> list[str]:
    """The hashes the ``history`` rule compares with: the current one and the newest stored ones.

    At most ``policy.history`` hashes (none when the rule is off).
    """
    if policy.history == 0:
        return []
    rows = session.scalars(
        select(PasswordHistory.password_hash)
        .where(PasswordHistory.agent_id == agent.employee_id)
        .order_by(PasswordHistory.set_at.desc(), PasswordHistory.id.desc())
        .limit(policy.history)
    )
    hashes = list(rows)
    if agent.password_hash not in hashes:
        hashes = [agent.password_hash, *hashes][: policy.history]
    return hashes


def policy_failures(
    passwords: Passwords,
    policy: PasswordPolicy,
    employee_id: str,
    new_password: str,
    recent: list[str],
) -> list[RuleResult]:
    """Every rule ``new_password`` breaks, ``history`` included (empty: acceptable).

    The history (Argon2 checks against ``recent``) is only checked once the
    other rules pass, so a weak password costs no hashing.
    """
    failures = policy.failures(new_password, employee_id)
    if failures or policy.history == 0:
        return failures
    reused = any(passwords.verify(old, new_password) for old in recent)
    return [policy.history_result(reused)] if reused else []


def enforce_policy(
    passwords: Passwords,
    policy: PasswordPolicy,
    employee_id: str,
    new_password: str,
    recent: list[str],
) -> None:
    """Raise :class:`ProblemError` ``password-policy`` (422) listing every broken rule.

    ``errors`` is ``[{"rule": id, "message": English text}]`` (docs/protocol.md).
    """
    failures = policy_failures(passwords, policy, employee_id, new_password, recent)
    if failures:
        raise ProblemError(
            "password-policy",
            "The new password does not meet the password policy.",
            errors=[{"rule": f.rule, "message": f.message} for f in failures],
        )


def set_password(
    session: Session,
    agent: Agent,
    password_hash: str,
    policy: PasswordPolicy,
    now: datetime,
    *,
    temporary: bool,
) -> None:
    """Make ``password_hash`` the agent's password as of ``now``.

    ``temporary=True`` (issued by an administrator) means it must be changed
    at the next sign-in. The hash joins the history, which keeps the newest
    ``policy.history`` entries (at least one).
    """
    agent.password_hash = password_hash
    agent.must_change_password = temporary
    agent.password_changed_at = now
    session.add(
        PasswordHistory(agent_id=agent.employee_id, password_hash=password_hash, set_at=now)
    )
    session.flush()
    keep = list(
        session.scalars(
            select(PasswordHistory.id)
            .where(PasswordHistory.agent_id == agent.employee_id)
            .order_by(PasswordHistory.set_at.desc(), PasswordHistory.id.desc())
            .limit(max(1, policy.history))
        )
    )
    session.execute(
        delete(PasswordHistory).where(
            PasswordHistory.agent_id == agent.employee_id, PasswordHistory.id.not_in(keep)
        )
    )


def temporary_password(policy: PasswordPolicy, employee_id: str) -> str:
    """A random one-time password that meets ``policy``.

    At least :data:`TEMPORARY_LENGTH` characters (or ``policy.min_length``).

    Drawn with :mod:`secrets` from unambiguous letters, digits and symbols,
    with at least one of each class, and never containing ``employee_id``.
    """
    length = max(TEMPORARY_LENGTH, policy.min_length)
    alphabet = _UPPER + _LOWER + _DIGITS + _SYMBOLS
    while True:
        chars = [secrets.choice(group) for group in (_UPPER, _LOWER, _DIGITS, _SYMBOLS)]
        chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
        for i in range(len(chars) - 1, 0, -1):  # Fisher-Yates with a CSPRNG
            j = secrets.randbelow(i + 1)
            chars[i], chars[j] = chars[j], chars[i]
        candidate = "".join(chars)
        if not policy.failures(candidate, employee_id):
            return candidate
