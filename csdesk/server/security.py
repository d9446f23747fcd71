"""Passwords, opaque tokens and one-time codes.

- Passwords: Argon2id (RFC 9106) through argon2-cffi.
- Tokens: 256 random bits, URL-safe base64; only their SHA-256 is stored.
- One-time codes: TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30 s steps).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from csdesk.domain.identity import normalize_otp
from csdesk.server.config import ServerSettings

#: RFC 6238 time step, seconds.
TOTP_STEP = 30


class Passwords:
    """Argon2id hashing with the cost from :class:`ServerSettings`.

    :meth:`verify` does the same work whether or not the agent exists: for an
    unknown employee ID pass ``None`` and a dummy hash is checked instead, so
    timing does not tell which IDs exist (OWASP Authentication Cheat Sheet).
    """

    def __init__(self, settings: ServerSettings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_cost,
            parallelism=settings.argon2_parallelism,
        )
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        """Return the encoded Argon2id hash (``$argon2id$v=19$...``) of ``password``."""
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Return whether ``password`` matches ``password_hash``.

        ``password_hash=None`` (unknown agent) checks a dummy hash and returns
        ``False``. A malformed stored hash also returns ``False``.
        """
        target = self._dummy if password_hash is None else password_hash
        try:
            ok = self._hasher.verify(target, password)
        except (VerificationError, InvalidHashError):
            return False
        return ok and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether ``password_hash`` was made with other parameters than the current ones."""
        return self._hasher.check_needs_rehash(password_hash)


def new_token() -> str:
    """A new opaque token: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The SHA-256 hex digest under which ``token`` is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_totp_secret() -> str:
    """A new base32 TOTP secret (32 characters = 160 bits, RFC 4226 §4 R6)."""
    return pyotp.random_base32(32)


def current_step(now: float | None = None) -> int:
    """The RFC 6238 time step ``T = floor(unix_time / 30)`` for ``now`` (default: the clock)."""
    return int((time.time() if now is None else now) // TOTP_STEP)


def verify_totp(
    secret: str,
    code: str,
    *,
    last_step: int | None,
    window: int,
    now: float | None = None,
) -> int | None:
    """Check a TOTP code and return the time step it matched, or ``None``.

    ``code`` is what the agent typed: it is normalised with
    :func:`csdesk.domain.identity.normalize_otp` (spaces and hyphens dropped,
    full-width digits folded, leading zeros kept); anything that is not six
    digits fails. Steps from ``T - window`` to ``T + window`` are tried, to
    allow for clock drift (RFC 6238 §5.2), but a step at or before
    ``last_step`` is refused so that an accepted code cannot be replayed
    (RFC 6238 §5.2, "MUST NOT accept the second attempt"). The caller stores
    the returned step as the new ``last_step``.
    """
    try:
        typed = normalize_otp(code)
    except ValueError:
        return None
    totp = pyotp.TOTP(secret, digits=6, interval=TOTP_STEP)
    now_step = current_step(now)
    for step in range(now_step - window, now_step + window + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), typed):
            return step
    return None
