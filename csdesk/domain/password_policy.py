"""The agents' password policy (operating guide §1.3), shared by client and server.

Operating guide §1.3 ("首次登录与个人设置"): change the initial password at
once; the new password must meet the complexity rules — upper and lower case
letters, digits and special symbols — and be changed periodically. This
module turns that into numbers (:class:`PasswordPolicy`) and checks
(:meth:`PasswordPolicy.check`). It is pure: no I/O, no clock, no hashing.

- The backend enforces every rule, including the one that needs stored
  hashes (``history``: must differ from the last N passwords), and answers
  ``422 password-policy`` with the failing rule ids (``docs/protocol.md``).
- The client shows the rules as a live checklist while the agent types: it
  calls :meth:`PasswordPolicy.check` on each key with the policy the server
  announces (``GET /auth/password-policy`` → ``PasswordPolicyView``, turned
  back into a policy with :meth:`PasswordPolicy.from_mapping`).

Each :class:`RuleResult` carries a ``message_key`` for the client's message
catalogue (``password.rule.<id>``) and ``params`` for its placeholders, plus
an English ``message`` the server puts into problem answers.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

#: Rule ids, in the order a checklist shows them. ``history`` needs the
#: stored hashes, so only the server checks it.
RULE_LENGTH = "length"
RULE_UPPER = "upper"
RULE_LOWER = "lower"
RULE_DIGIT = "digit"
RULE_SYMBOL = "symbol"
RULE_EMPLOYEE_ID = "employee_id"
RULE_HISTORY = "history"
#: Guard rule: at most ``max_length`` characters. Not one of :data:`RULE_IDS`
#: (a checklist line "at most 256 characters" would be noise): :meth:`PasswordPolicy.check`
#: adds it only when a password breaks it, so client and server refuse the same.
RULE_MAX_LENGTH = "max_length"

RULE_IDS: tuple[str, ...] = (
    RULE_LENGTH,
    RULE_UPPER,
    RULE_LOWER,
    RULE_DIGIT,
    RULE_SYMBOL,
    RULE_EMPLOYEE_ID,
    RULE_HISTORY,
)

#: English text of each rule (placeholders from :attr:`RuleResult.params`).
#: The client translates ``message_key`` with its own catalogue instead.
MESSAGES_EN: dict[str, str] = {
    RULE_LENGTH: "At least {min} characters.",
    RULE_UPPER: "At least one upper-case letter (A-Z).",
    RULE_LOWER: "At least one lower-case letter (a-z).",
    RULE_DIGIT: "At least one digit (0-9).",
    RULE_SYMBOL: "At least one symbol, such as # ! @ % -.",
    RULE_EMPLOYEE_ID: "Must not contain your employee ID.",
    RULE_HISTORY: "Must differ from your last {count} passwords.",
    RULE_MAX_LENGTH: "At most {max} characters.",
}


@dataclass(frozen=True)
class RuleResult:
    """The outcome of one rule for one candidate password.

    ``rule`` is one of :data:`RULE_IDS`; ``passed`` whether the password
    meets it; ``message_key`` the catalogue id (``password.rule.<rule>``);
    ``params`` the values for its placeholders (``{"min": 10}``).
    """

    rule: str
    passed: bool
    message_key: str
    params: Mapping[str, int] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The rule in English, e.g. ``"At least 10 characters."``."""
        return MESSAGES_EN[self.rule].format(**self.params)


def _is_symbol(ch: str) -> bool:
    # Unicode punctuation (P*) and symbols (S*): ``#``, ``!``, ``@``, ``￥``, ``。``.
    # Spaces and control characters are not symbols.
    return unicodedata.category(ch)[0] in ("P", "S")


def _fold(text: str) -> str:
    # Full-width ``Ａ１００１`` contains ``A1001`` as far as the agent can see.
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True)
class PasswordPolicy:
    """The password rules in force (operating guide §1.3). Numbers, not text.

    - ``min_length``: fewest characters (Unicode code points), 10.
    - ``max_length``: most characters, 256 (the wire limit
      ``schemas.PASSWORD_MAX_LENGTH``); checked as :data:`RULE_MAX_LENGTH`.
    - ``require_upper`` / ``require_lower``: a cased letter of each case
      (any script that has case; ``str.isupper``/``str.islower``).
    - ``require_digit``: a decimal digit (``str.isdecimal``).
    - ``require_symbol``: a punctuation or symbol character (Unicode
      categories P* and S*).
    - ``forbid_employee_id``: the employee ID must not appear in the
      password, ignoring case and full-width forms.
    - ``history``: the new password must differ from the last ``history``
      passwords, the current one included (0 = no check). Server-side only.
    - ``max_age_days``: a password older than this must be changed before
      the next sign-in completes, days (0 = never expires).
    - ``warn_days``: from this many days before expiry, sign-in tells the
      agent how many days are left.
    """

    min_length: int = 10
    max_length: int = 256
    require_upper: bool = True
    require_lower: bool = True
    require_digit: bool = True
    require_symbol: bool = True
    forbid_employee_id: bool = True
    history: int = 5
    max_age_days: int = 90
    warn_days: int = 7

    def __post_init__(self) -> None:
        """Refuse numbers that make no sense (``ValueError``)."""
        if self.min_length < 1:
            raise ValueError("min_length must be at least 1")
        if self.max_length < self.min_length:
            raise ValueError("max_length must not be below min_length")
        if self.history < 0 or self.max_age_days < 0 or self.warn_days < 0:
            raise ValueError("history, max_age_days and warn_days must not be negative")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PasswordPolicy:
        """Build a policy from a mapping such as ``PasswordPolicyView.model_dump()``.

        Keys that are not fields of this class are ignored (a newer server
        may announce more), missing ones take the defaults.
        """
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def rule_ids(self) -> list[str]:
        """The ids of the rules in force, in checklist order (``history`` included)."""
        active = {
            RULE_LENGTH: True,
            RULE_UPPER: self.require_upper,
            RULE_LOWER: self.require_lower,
            RULE_DIGIT: self.require_digit,
            RULE_SYMBOL: self.require_symbol,
            RULE_EMPLOYEE_ID: self.forbid_employee_id,
            RULE_HISTORY: self.history > 0,
        }
        return [rule for rule in RULE_IDS if active[rule]]

    def params(self, rule: str) -> dict[str, int]:
        """The placeholder values of ``rule``'s message."""
        if rule == RULE_LENGTH:
            return {"min": self.min_length}
        if rule == RULE_HISTORY:
            return {"count": self.history}
        if rule == RULE_MAX_LENGTH:
            return {"max": self.max_length}
        return {}

    def describe(self, rule: str) -> RuleResult:
        """``rule`` as a checklist line that has not passed yet (for listing the rules)."""
        return RuleResult(rule, False, f"password.rule.{rule}", self.params(rule))

    def check(self, password: str, employee_id: str = "") -> list[RuleResult]:
        """Check ``password`` against every rule in force except ``history``.

        Returns one :class:`RuleResult` per rule, in checklist order, passed
        or not, so the client can draw the whole checklist on each key press.
        ``employee_id`` empty means the ID is not known yet: that rule passes.
        A password longer than ``max_length`` also gets a failed
        :data:`RULE_MAX_LENGTH` result, right after ``length``.
        """
        results: list[RuleResult] = []
        for rule in self.rule_ids():
            if rule == RULE_HISTORY:
                continue
            results.append(
                RuleResult(
                    rule,
                    self._passes(rule, password, employee_id),
                    f"password.rule.{rule}",
                    self.params(rule),
                )
            )
            if rule == RULE_LENGTH and len(password) > self.max_length:
                results.append(
                    RuleResult(
                        RULE_MAX_LENGTH, False, f"password.rule.{RULE_MAX_LENGTH}", self.params(RULE_MAX_LENGTH)
                    )
                )
        return results

    def failures(self, password: str, employee_id: str = "") -> list[RuleResult]:
        """The rules of :meth:`check` that ``password`` does not meet (empty = acceptable)."""
        return [result for result in self.check(password, employee_id) if not result.passed]

    def history_result(self, reused: bool) -> RuleResult:
        """The ``history`` rule's result, once the server knows whether the password was reused."""
        return RuleResult(
            RULE_HISTORY, not reused, f"password.rule.{RULE_HISTORY}", self.params(RULE_HISTORY)
        )

    def _passes(self, rule: str, password: str, employee_id: str) -> bool:
        if rule == RULE_LENGTH:
            return len(password) >= self.min_length
        if rule == RULE_UPPER:
            return any(ch.isupper() for ch in password)
        if rule == RULE_LOWER:
            return any(ch.islower() for ch in password)
        if rule == RULE_DIGIT:
            return any(ch.isdecimal() for ch in password)
        if rule == RULE_SYMBOL:
            return any(_is_symbol(ch) for ch in password)
        if rule == RULE_EMPLOYEE_ID:
            ident = _fold(employee_id.strip())
            return not ident or ident not in _fold(password)
        raise ValueError(f"unknown rule {rule!r}")

    def expires_in_days(self, age_seconds: float) -> float | None:
        """Days left before a password of this age (seconds) expires; ``None`` if it never does.

        Zero or negative means expired.
        """
        if self.max_age_days == 0:
            return None
        return self.max_age_days - age_seconds / 86400


#: The default policy (operating guide §1.3 with the bank's usual numbers).
DEFAULT_POLICY = PasswordPolicy()


def check(
    password: str, employee_id: str = "", policy: PasswordPolicy | None = None
) -> list[RuleResult]:
    """Check ``password`` for ``employee_id`` against ``policy`` (default: :data:`DEFAULT_POLICY`).

    Same as :meth:`PasswordPolicy.check`: every rule that needs no history,
    passed or not, in checklist order.
    """
    return (policy or DEFAULT_POLICY).check(password, employee_id)
