"""Identity verification (ID&V) over the real backend (issue #4, guide §2.1.3)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from csdesk.server.models import AuditEvent, Customer, TranscriptEntry
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS
from csdesk.server.verification import normalise, register_keypad, set_simulated_keypad
from tests.server.idv_helpers import (
    ANSWER,
    PIN,
    QUESTION,
    SECRETS,
    Live,
    make_contact,
    make_customer,
    start_live,
)

A = DEMO_AGENTS[0]
B = DEMO_AGENTS[2]


@pytest.fixture
def live(api: httpx.Client, sign_in: Any, backend: BackgroundServer) -> Live:
    return start_live(api, sign_in, backend.context, A)


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_verification_info_gives_the_question_and_the_methods(live: Live) -> None:
    info = _ok(live.call("GET", f"/contacts/{live.contact_id}/verification"))
    assert info["security_question"] == QUESTION
    assert "card_last4" in info["methods"] and len(info["methods"]) == 5
    assert info["keypad_available"] is False
    assert (info["level"], info["failed_attempts"], info["locked"]) == (0, 0, False)

    no_cards = make_customer(live.ctx, cards=False)
    other = make_contact(live.ctx, live.agent_id, no_cards)
    info = _ok(live.call("GET", f"/contacts/{other}/verification"))
    assert "card_last4" not in info["methods"]
    refused = live.verify("card_last4", "0123")
    assert refused.status_code == 200  # the first contact still has cards
    live.contact_id = other
    assert live.verify("card_last4", "0123").status_code == 422
    live.assert_no_secrets()


@pytest.mark.parametrize(
    ("method", "right", "wrong"),
    [
        ("reserved_phone", "13812345678", "13812345679"),
        ("id_last6", "07123X", "07124X"),
        ("card_last4", "4567", "4568"),  # the second card counts too
        ("security_question", ANSWER, "Wang Fang"),
    ],
)
def test_each_method_passes_with_the_right_answer_and_fails_with_a_wrong_one(
    live: Live, method: str, right: str, wrong: str
) -> None:
    failed = _ok(live.verify(method, wrong))
    assert failed == {"passed": False, "level": 0, "failed_attempts": 1, "locked": False}
    passed = _ok(live.verify(method, right))
    assert passed == {"passed": True, "level": 1, "failed_attempts": 1, "locked": False}
    live.assert_no_secrets()


def test_transaction_password_comes_from_the_customer_keypad(live: Live) -> None:
    refused = live.verify("transaction_password")
    assert refused.status_code == 409 and refused.json()["code"] == "keypad-unavailable"
    typed = live.verify("transaction_password", PIN)
    assert typed.status_code == 422  # the agent never types it
    keyed: list[str] = []
    register_keypad(live.contact_id, lambda cid: keyed.pop())
    try:
        info = _ok(live.call("GET", f"/contacts/{live.contact_id}/verification"))
        assert info["keypad_available"] is True
        keyed.append("000000")
        assert _ok(live.verify("transaction_password"))["passed"] is False
        keyed.append("１３５ ７９０")  # full-width, with a space: normalised
        assert _ok(live.verify("transaction_password"))["passed"] is True
    finally:
        register_keypad(live.contact_id, None)
    live.assert_no_secrets()


def test_simulated_contacts_use_the_simulator_keypad(
    api: httpx.Client, sign_in: Any, backend: BackgroundServer
) -> None:
    live = start_live(api, sign_in, backend.context, A)
    live.contact_id = make_contact(live.ctx, live.agent_id, live.customer_ref, simulated=True)
    asked: list[str] = []

    def keypad(contact_id: str) -> str:
        asked.append(contact_id)
        return PIN

    set_simulated_keypad(keypad)
    try:
        assert _ok(live.verify("transaction_password"))["passed"] is True
    finally:
        set_simulated_keypad(None)
    assert asked == [live.contact_id]


@pytest.mark.parametrize(
    ("method", "said"),
    [
        ("reserved_phone", "138 1234-5678"),
        ("reserved_phone", "１３８１２３４５６７８"),
        ("reserved_phone", "+86 138-1234-5678"),
        ("id_last6", "07123x"),
        ("id_last6", "０７ １２３ｘ"),
        ("card_last4", "0 1 2 3"),
        ("card_last4", "４５６７"),
        ("security_question", "  li   XIULAN "),
        ("security_question", "ＬＩ ＸＩＵＬＡＮ"),
    ],
)
def test_answers_are_normalised(live: Live, method: str, said: str) -> None:
    assert _ok(live.verify(method, said))["passed"] is True


def test_normalise_removes_spaces_hyphens_and_folds_full_width() -> None:
    assert normalise(" １３８－1234\u30005678 ") == "13812345678"
    assert normalise("07-12 3x") == "07123x"


def test_an_answer_of_the_wrong_shape_is_refused_and_not_counted(live: Live) -> None:
    for method, said in [("reserved_phone", "1381234"), ("id_last6", "12345"),
                         ("card_last4", "12a4"), ("security_question", "  ")]:
        refused = live.verify(method, said)
        assert refused.status_code == 422, (method, refused.text)
        assert refused.json()["errors"][0]["field"] == "body.answer"
    info = _ok(live.call("GET", f"/contacts/{live.contact_id}/verification"))
    assert info["failed_attempts"] == 0


@pytest.mark.parametrize(
    ("steps", "level"),
    [
        ([("reserved_phone", "13812345678")], 1),
        ([("reserved_phone", "13812345678"), ("security_question", ANSWER)], 1),
        ([("id_last6", "07123X"), ("card_last4", "0123")], 2),
        ([("id_last6", "07123X"), ("security_question", ANSWER)], 2),
        ([("id_last6", "07123X"), ("reserved_phone", "13812345678"),
          ("security_question", ANSWER)], 3),
        ([("card_last4", "0123"), ("id_last6", "07123X"), ("security_question", ANSWER)], 3),
    ],
)
def test_levels_follow_the_rule(live: Live, steps: list[tuple[str, str]], level: int) -> None:
    result: dict[str, Any] = {}
    for method, said in steps:
        result = _ok(live.verify(method, said))
        assert result["passed"] is True
    assert result["level"] == level
    info = _ok(live.call("GET", f"/contacts/{live.contact_id}/verification"))
    assert info["level"] == level
    assert sorted(info["verified_methods"]) == sorted({m for m, _ in steps})


def test_three_failures_lock_flag_fraud_and_audit_without_the_answer(live: Live) -> None:
    assert _ok(live.verify("reserved_phone", "13812345678"))["level"] == 1
    results = [_ok(live.verify("id_last6", wrong)) for wrong in ("111111", "222222", "33333X")]
    assert [r["failed_attempts"] for r in results] == [1, 2, 3]
    assert [r["locked"] for r in results] == [False, False, True]
    locked = live.verify("id_last6", "07123X")  # even the right answer
    assert locked.status_code == 423 and locked.json()["code"] == "verification-locked"
    info = _ok(live.call("GET", f"/contacts/{live.contact_id}/verification"))
    assert info["locked"] is True and info["failed_attempts"] == 3
    with live.ctx.db.read() as session:
        customer = session.get(Customer, live.customer_ref)
        assert customer is not None and customer.possible_fraud is True
        events = list(session.scalars(
            select(AuditEvent).where(AuditEvent.type.in_(["verification", "verification-locked"]))
        ))
        lines = list(session.scalars(
            select(TranscriptEntry).where(TranscriptEntry.contact_id == live.contact_id)
            .order_by(TranscriptEntry.seq)
        ))
    assert [e.type for e in events] == ["verification"] * 4 + ["verification-locked"]
    assert all(e.agent_id == live.agent_id for e in events)
    assert all(live.contact_id in (e.detail or "") for e in events)
    assert "method=id_last6 result=failed" in (events[1].detail or "")
    texts = [line.text for line in lines]
    assert texts[0] == "身份核验：预留手机号 通过 · Identity check: reserved phone passed"
    assert texts[1:4] == ["身份核验：证件号后 6 位 未通过 · Identity check: ID number last 6 failed"] * 3
    assert texts[4] == ("身份核验已锁定：3 次失败，疑似欺诈 · "
                        "Identity verification locked after 3 failed attempts: possible fraud")
    stored = " ".join([*(e.detail or "" for e in events), *texts])
    for secret in [*SECRETS, "111111", "222222", "33333X"]:
        assert secret not in stored


def test_only_the_agent_own_active_contact(
    live: Live, api: httpx.Client, sign_in: Any
) -> None:
    other = start_live(api, sign_in, live.ctx, B)
    theirs = live.call("POST", f"/contacts/{other.contact_id}/verify",
                       json={"method": "reserved_phone", "answer": "13812345678"})
    assert theirs.status_code == 404
    assert live.call("GET", f"/contacts/{other.contact_id}/verification").status_code == 404
    ended = make_contact(live.ctx, live.agent_id, live.customer_ref, status="wrap_up")
    late = live.call("POST", f"/contacts/{ended}/verify",
                     json={"method": "reserved_phone", "answer": "13812345678"})
    assert late.status_code == 409 and late.json()["code"] == "contact-not-active"
    assert api.post(f"/contacts/{live.contact_id}/verify",
                    json={"method": "reserved_phone", "answer": "1"}).status_code == 401
