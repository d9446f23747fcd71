"""Account lockout: N failed passwords in a row lock an employee ID for a while.

Operating guide §1.2 / issue #3: 5 failed passwords in a row lock the account
for 15 minutes (``ServerSettings.lockout_threshold`` and
``lockout_duration``, seconds). Every password check counts: sign-in
(``/auth/login``), the idle lock (``/auth/reauth``) and the current password
of ``PUT /me/password``.

The counter is kept per *typed* employee ID (normalised), whether or not an
agent has it, so an unknown ID is answered exactly like a known one, before
and after it locks (OWASP Authentication Cheat Sheet, "account lockout" and
"authentication responses"). An attempt is counted when it starts, in its own
write transaction (SQLite ``BEGIN IMMEDIATE`` serialises them), and forgiven
when the password turns out right; the attempt that reaches the threshold
locks at once. So many parallel guesses cannot slip past the threshold
while their Argon2 checks run. When a lock has run out, the count starts
again from zero.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from csdesk.domain.identity import normalize_employee_id
from csdesk.server.config import ServerSettings
from csdesk.server.models import Agent, SignInGuard

#: Seconds after its last failure that the counter of an ID nobody has is forgotten.
UNKNOWN_ID_RETENTION = 86400


def guard_key(raw_employee_id: str) -> str:
    """The counter key for what was typed as the employee ID.

    A valid ID gives its canonical form (:func:`normalize_employee_id`); a
    malformed one its NFKC, trimmed, upper-case form (at most 64 characters),
    so it locks like any other.
    """
    try:
        return normalize_employee_id(raw_employee_id)
    except ValueError:
        return unicodedata.normalize("NFKC", raw_employee_id).strip().upper()[:64]


def begin_attempt(
    session: Session, settings: ServerSettings, key: str, now: datetime
) -> datetime | None:
    """Count a password attempt for ``key`` before the password is checked.

    Returns the end of the lock when ``key`` is locked (the attempt is
    refused and not counted), else ``None``. The attempt that reaches
    ``lockout_threshold`` sets the lock at once; :func:`attempt_succeeded`
    lifts it again if that password was right.
    """
    guard = session.get(SignInGuard, key)
    if guard is None:
        guard = SignInGuard(key=key, failed_count=0)
        session.add(guard)
    if guard.locked_until is not None:
        if guard.locked_until > now:
            return guard.locked_until
        guard.locked_until = None
        guard.failed_count = 0
    guard.failed_count += 1
    guard.last_failed_at = now
    if guard.failed_count >= settings.lockout_threshold:
        guard.locked_until = now + timedelta(seconds=settings.lockout_duration)
    return None


def attempt_failed(session: Session, key: str, now: datetime) -> datetime | None:
    """The password of an attempt begun with :func:`begin_attempt` was wrong.

    Returns the end of the lock when this attempt locked ``key`` (the caller
    answers ``account-locked`` and audits it), else ``None``. Also forgets
    counters of unknown IDs idle for :data:`UNKNOWN_ID_RETENTION` seconds.
    """
    guard = session.get(SignInGuard, key)
    _prune(session, now)
    if guard is None or guard.locked_until is None or guard.locked_until <= now:
        return None
    return guard.locked_until


def attempt_succeeded(session: Session, key: str) -> None:
    """The password was right: the failures in a row (and a lock this attempt set) are forgiven."""
    session.execute(delete(SignInGuard).where(SignInGuard.key == key))


def unlock(session: Session, key: str) -> bool:
    """Clear the counter and lock of ``key``; return whether there was one.

    Used by ``csdesk admin agent unlock`` and ``reset-password``.
    """
    guard = session.get(SignInGuard, key)
    if guard is None:
        return False
    session.delete(guard)
    return True


def locked_until(session: Session, key: str, now: datetime) -> datetime | None:
    """When the lock of ``key`` ends, or ``None`` when it is not locked at ``now``."""
    guard = session.get(SignInGuard, key)
    if guard is None or guard.locked_until is None or guard.locked_until <= now:
        return None
    return guard.locked_until


def _prune(session: Session, now: datetime) -> None:
    cutoff = now - timedelta(seconds=UNKNOWN_ID_RETENTION)
    session.execute(
        delete(SignInGuard).where(
            SignInGuard.last_failed_at < cutoff,
            or_(SignInGuard.locked_until.is_(None), SignInGuard.locked_until <= now),
            SignInGuard.key.not_in(select(Agent.employee_id)),
        )
    )
