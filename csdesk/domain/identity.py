"""Normalisation of what the agent types at sign-in."""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-\u00a0\u3000]+")
_EMPLOYEE_ID = re.compile(r"^[A-Z0-9][A-Z0-9_.]{0,31}$")


def normalize_employee_id(raw: str) -> str:
    """Return the canonical employee ID: trimmed, upper-case.

    ``" a1001 "`` and full-width ``"Ａ１００１"`` → ``"A1001"``. Raises ``ValueError`` when it is empty or holds
    characters other than ASCII letters, digits, ``_`` and ``.`` (max 32).
    """
    value = unicodedata.normalize("NFKC", raw).strip().upper()
    if not _EMPLOYEE_ID.match(value):
        raise ValueError("invalid employee ID")
    return value


def normalize_otp(raw: str, digits: int = 6) -> str:
    """Return a one-time code as a string of ``digits`` digits.

    Spaces (ASCII, no-break, ideographic) and hyphens typed or pasted between
    digits are dropped; full-width digits are folded to ASCII; leading zeros are
    kept (RFC 6238 codes are strings, not numbers). Raises ``ValueError`` when
    what is left is not exactly ``digits`` digits.
    """
    folded = raw.translate(_FULLWIDTH_DIGITS)
    value = _SEPARATORS.sub("", folded)
    if len(value) != digits or not value.isascii() or not value.isdigit():
        raise ValueError(f"a code is {digits} digits")
    return value


_FULLWIDTH_DIGITS = {0xFF10 + i: ord("0") + i for i in range(10)}
