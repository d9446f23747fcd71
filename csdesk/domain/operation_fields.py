"""Checking a business operation's form fields (issue #4, guide §2.2).

One rule for both sides: the backend (``csdesk.server.operations.validate_fields``)
refuses with it and the desk's F7 form warns with it before sending, so the
desk never accepts what the backend then refuses. Pure: no I/O, no UI text;
a problem is a code the caller words (the desk translates it, the backend
puts English in its problem+json).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from csdesk.domain.contact_schemas import FieldSpec

#: Longest value of a ``text`` field, characters.
MAX_TEXT_CHARS = 256
#: Hyphens and dashes dropped from numbers the agent types (ASCII, Unicode, full-width).
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff0d"


def normalise(text: str) -> str:
    """NFKC, then without any whitespace or hyphen/dash: ``"１３８ 1234-5678"`` → ``"13812345678"``."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if not ch.isspace() and ch not in DASHES)


def normalise_phone(text: str) -> str:
    """:func:`normalise` without a leading ``+86``/``0086`` country code."""
    value = normalise(text)
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            return value[len(prefix):]
    return value


def is_mobile(digits: str) -> bool:
    """An 11-digit mainland mobile number (``1`` then 10 ASCII digits)."""
    return len(digits) == 11 and digits.isascii() and digits.isdigit() and digits.startswith("1")


def to_cents(value: Any) -> int | None:
    """An amount in yuan (``"1,234.5"``, ``12``) as int fen (0.01 yuan); None when
    not a finite number with at most 2 decimals (booleans are not amounts)."""
    if isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        return None
    return int(amount * 100)


def parse_flag(raw: Any) -> bool | None:
    """``True``/``"yes"``/``"on"``/``"1"`` … → bool; None when not a yes/no value."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        lowered = raw.strip().lower()
        if lowered in {"true", "on", "yes", "1"}:
            return True
        if lowered in {"false", "off", "no", "0"}:
            return False
    return None


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with a field value: ``code`` one of ``required``, ``amount``
    (not an amount with 2 decimals), ``minimum``/``maximum`` (``limit`` in
    yuan), ``phone`` (not a mobile number), ``flag`` (not yes/no),
    ``choice`` (not one of the choices), ``too_long`` (``limit`` characters),
    ``format`` (the spec's pattern does not match)."""

    code: str
    limit: float | None = None


def is_empty(raw: Any) -> bool:
    """No value given: None, or a string of whitespace only."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


def check_field(spec: FieldSpec, raw: Any) -> tuple[Any, FieldProblem | None]:
    """Check ``raw`` for field ``spec``; return (clean value, problem or None).

    Clean values: ``amount`` → int fen; ``phone`` → 11 digits; ``bool`` →
    bool; ``choice``, ``text`` and ``account`` → str (an account is
    resolved against the customer's cards by the backend). An empty optional
    field is ``(None, None)``.
    """
    if is_empty(raw):
        return None, (FieldProblem("required") if spec.required else None)
    if spec.kind == "amount":
        cents = to_cents(raw)
        if cents is None:
            return None, FieldProblem("amount")
        if spec.minimum is not None and cents < round(spec.minimum * 100):
            return None, FieldProblem("minimum", spec.minimum)
        if spec.maximum is not None and cents > round(spec.maximum * 100):
            return None, FieldProblem("maximum", spec.maximum)
        return cents, None
    if spec.kind == "bool":
        flag = parse_flag(raw)
        return (flag, None) if flag is not None else (None, FieldProblem("flag"))
    if not isinstance(raw, str):
        return None, FieldProblem("format")
    if spec.kind == "account":
        return raw, None
    if spec.kind == "choice":
        return (raw, None) if raw in spec.choices else (None, FieldProblem("choice"))
    if spec.kind == "phone":
        phone = normalise_phone(raw)
        if not is_mobile(phone):
            return None, FieldProblem("phone")
        if spec.pattern and re.fullmatch(spec.pattern, phone) is None:
            return None, FieldProblem("format")
        return phone, None
    if len(raw) > MAX_TEXT_CHARS:
        return None, FieldProblem("too_long", MAX_TEXT_CHARS)
    if spec.pattern and re.fullmatch(spec.pattern, raw) is None:
        return None, FieldProblem("format")
    return raw, None
