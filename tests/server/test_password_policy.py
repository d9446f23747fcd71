"""The password policy (operating guide §1.3) as pure rules; the server's temporary passwords."""

from __future__ import annotations

import pytest

from csdesk.domain.password_policy import (
    DEFAULT_POLICY,
    RULE_IDS,
    PasswordPolicy,
    check,
)
from csdesk.server.passwords import temporary_password

GOOD = "Spring#2026x"


def _failed(
    password: str, employee_id: str = "A1001", policy: PasswordPolicy = DEFAULT_POLICY
) -> list[str]:
    return [r.rule for r in policy.check(password, employee_id) if not r.passed]


def test_defaults_follow_the_issue() -> None:
    policy = PasswordPolicy()
    numbers = (policy.min_length, policy.history, policy.max_age_days, policy.warn_days)
    assert numbers == (10, 5, 90, 7)
    assert policy.rule_ids() == list(RULE_IDS)


def test_a_good_password_passes_every_rule_and_the_checklist_is_complete() -> None:
    results = check(GOOD, "A1001")
    rules = [r.rule for r in results]
    assert rules == ["length", "upper", "lower", "digit", "symbol", "employee_id"]
    assert all(r.passed for r in results)
    assert results[0].message_key == "password.rule.length"
    assert results[0].params == {"min": 10}
    assert results[0].message == "At least 10 characters."


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("Sprin#26x", "length"),  # 9 characters
        ("spring#2026x", "upper"),
        ("SPRING#2026X", "lower"),
        ("Spring#abcdx", "digit"),
        ("Spring02026x", "symbol"),
        ("Xa1001#Spring", "employee_id"),  # lower-case ID inside
        ("Ａ１００１#Springx", "employee_id"),  # full-width ID inside
    ],
)
def test_each_rule_on_its_own(password: str, rule: str) -> None:
    assert _failed(password) == [rule]


def test_symbols_are_punctuation_or_symbols_not_spaces() -> None:
    assert _failed("Spring 2026x") == ["symbol"]
    assert _failed("Spring￥2026x") == []
    assert _failed("Spring。2026x") == []


def test_unknown_employee_id_passes_that_rule() -> None:
    assert "employee_id" not in _failed("A1001#Springx", employee_id="")


def test_rules_can_be_switched_off_and_history_is_listed_only_when_on() -> None:
    lax = PasswordPolicy(
        min_length=4,
        require_upper=False,
        require_lower=False,
        require_digit=False,
        require_symbol=False,
        forbid_employee_id=False,
        history=0,
    )
    assert lax.rule_ids() == ["length"]
    assert lax.failures("a1001", "A1001") == []
    assert PasswordPolicy(history=3).history_result(True).message == (
        "Must differ from your last 3 passwords."
    )


def test_from_mapping_ignores_unknown_keys() -> None:
    policy = PasswordPolicy.from_mapping({"min_length": 12, "rules": [], "future": 1})
    assert policy == PasswordPolicy(min_length=12)


def test_nonsense_numbers_are_refused() -> None:
    with pytest.raises(ValueError):
        PasswordPolicy(min_length=0)
    with pytest.raises(ValueError):
        PasswordPolicy(history=-1)


def test_expiry_arithmetic() -> None:
    policy = PasswordPolicy(max_age_days=90)
    assert policy.expires_in_days(0) == 90
    assert policy.expires_in_days(90 * 86400) == 0
    assert PasswordPolicy(max_age_days=0).expires_in_days(10**9) is None


@pytest.mark.parametrize("policy", [DEFAULT_POLICY, PasswordPolicy(min_length=24, history=0)])
def test_temporary_passwords_meet_the_policy(policy: PasswordPolicy) -> None:
    seen = set()
    for _ in range(200):
        password = temporary_password(policy, "A1")
        assert policy.failures(password, "A1") == [], password
        assert len(password) >= max(16, policy.min_length)
        seen.add(password)
    assert len(seen) == 200
