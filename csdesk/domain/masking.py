"""Masking of personal data before it leaves the backend (DESIGN §8).

- phone: first 3 + ``****`` + last 4 (``138****5678``);
- ID number: first 3 + ``*`` for each hidden character + last 4;
- card number: first 6 + ``*`` for each hidden digit + last 4 (PCI DSS
  requirement 3.4: at most the first six and last four digits shown).

Each function takes the clear value as stored and returns the masked one;
spaces and hyphens in the input are ignored. A value too short to mask
safely is masked completely (``*`` for every character) rather than shown.
"""

from __future__ import annotations


def _compact(value: str) -> str:
    return "".join(ch for ch in value if ch not in " -")


def _mask(value: str, head: int, tail: int, fixed_stars: int | None = None) -> str:
    clear = _compact(value)
    if len(clear) <= head + tail:
        return "*" * len(clear)
    stars = fixed_stars if fixed_stars is not None else len(clear) - head - tail
    return clear[:head] + "*" * stars + clear[len(clear) - tail :]


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678`` (always four stars)."""
    return _mask(phone, 3, 4, fixed_stars=4)


def mask_id_number(id_number: str) -> str:
    """``110101199003071234`` → ``110***********1234`` (first 3 + last 4)."""
    return _mask(id_number, 3, 4)


def mask_card(number: str) -> str:
    """``6222021234567890123`` → ``622202*********0123`` (first 6 + last 4, PCI DSS 3.4)."""
    return _mask(number, 6, 4)


def is_masked_phone(value: str) -> bool:
    """True for a value shaped like :func:`mask_phone`'s output (3 digits, ``****``, 4 digits)."""
    return (
        len(value) == 11
        and value[:3].isdigit()
        and value[3:7] == "****"
        and value[7:].isdigit()
    )
