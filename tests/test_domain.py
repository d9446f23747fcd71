"""Pure rules: employee IDs, one-time codes, untrusted text, agent states."""

from __future__ import annotations

import pytest

from csdesk.domain.agent_state import AgentState, can_move, toggle_target
from csdesk.domain.identity import normalize_employee_id, normalize_otp
from csdesk.domain.text import clean_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("123456", "123456"), ("123 456", "123456"), (" 012-345 ", "012345"),
     ("００１２３４", "001234"), ("000000", "000000"), ("12\u3000 34\u00a056", "123456")],
)
def test_codes_are_strings_with_separators_dropped(raw: str, expected: str) -> None:
    assert normalize_otp(raw) == expected


@pytest.mark.parametrize("raw", ["", "12345", "1234567", "12a456", "１２３４５", "١٢٣٤٥٦"])
def test_bad_codes_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_otp(raw)


def test_employee_id_is_trimmed_and_upper_cased() -> None:
    assert normalize_employee_id("  a1001 ") == "A1001"
    assert normalize_employee_id("Ａ１００１") == "A1001"  # full-width, as an IME types it


@pytest.mark.parametrize("raw", ["", "   ", "A 1001", "../etc", "A1001\x00", "张伟", "x" * 40])
def test_bad_employee_ids_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_employee_id(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hello\x1b[31mred\x1b[0m", "hellored"),
        ("title\x1b]0;pwned\x07!", "title!"),
        ("a\x1bPq#0;2;0;0;0\x1b\\b", "ab"),
        ("bell\x07 nul\x00 del\x7f", "bell nul del"),
        ("line1\r\nline2\rline3", "line1\nline2\nline3"),
        ("[bold]not markup[/bold]", "[bold]not markup[/bold]"),
        ("rtl\u202eevil", "rtlevil"),
        ("csi8\x9b31mx", "csi8x"),
        ("中文\t保留", "中文\t保留"),
    ],
)
def test_clean_text_strips_escapes_and_controls(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_clean_text_one_line_and_cut() -> None:
    assert clean_text("a\nb", keep_newlines=False) == "a b"
    assert clean_text("abcdef", max_chars=4) == "abc…"


def test_manual_state_moves() -> None:
    assert can_move(AgentState.NOT_READY, AgentState.READY)
    assert can_move(AgentState.READY, AgentState.NOT_READY)
    assert not can_move(AgentState.ON_CONTACT, AgentState.READY)
    assert not can_move(AgentState.OFFLINE, AgentState.READY)
    assert toggle_target(AgentState.READY) is AgentState.NOT_READY
    assert toggle_target(AgentState.NOT_READY) is AgentState.READY
    with pytest.raises(ValueError):
        toggle_target(AgentState.ACW)
