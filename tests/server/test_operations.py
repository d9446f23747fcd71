"""Business operations, risk disclosures and the catalogue over the real backend (issue #4, guide §2.3)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from csdesk.server.disclosures import (
    add_disclosure_listener,
    record_consent,
    remove_disclosure_listener,
)
from csdesk.server.models import (
    AuditEvent,
    Customer,
    EventRow,
    OperationRecord,
    TranscriptEntry,
)
from csdesk.server.operations import operations_of
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS
from tests.server.idv_helpers import ANSWER, Live, start_live

A = DEMO_AGENTS[0]
REFERENCE = re.compile(r"^OP-\d{8}-[A-Z0-9]{6}$")
CARD1 = "622202*********0123"
CARD2 = "621700*********4567"
FROZEN = "625807******2233"


@pytest.fixture
def live(api: httpx.Client, sign_in: Any, backend: BackgroundServer) -> Live:
    return start_live(api, sign_in, backend.context, A)


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(response.json())


def _to_level(live: Live, level: int) -> None:
    """Verify the contact up to ``level``: phone (L1); ID + card (L2); + security question (L3)."""
    if level == 1:
        steps = [("reserved_phone", "13812345678")]
    else:
        steps = [("id_last6", "07123X"), ("card_last4", "0123"), ("security_question", ANSWER)]
        steps = steps[:level]
    for method, said in steps:
        assert _ok(live.verify(method, said))["passed"]
    info = _ok(live.call("GET", f"/contacts/{live.contact_id}/verification"))
    assert info["level"] == level


def _disclose(live: Live, operation: str, consent: bool | None) -> str:
    sent = _ok(live.call("POST", f"/contacts/{live.contact_id}/disclosures",
                         json={"operation": operation}))
    assert sent["consent"] is None and sent["operation"] == operation
    if consent is not None:
        answered = record_consent(live.ctx, live.contact_id, sent["id"], consent)
        assert answered.consent is consent
    return str(sent["id"])


def _balance(live: Live, account: str) -> str:
    summary = _ok(live.operate("balance_inquiry", {"account": account}))["summary"]
    return str(summary.rsplit("CNY ", 1)[1])


def test_catalogue_lists_the_demo_operations_bilingually(live: Live) -> None:
    ops = {op["code"]: op for op in _ok_list(live.call("GET", "/operations"))}
    levels = {code: op["level"] for code, op in ops.items()}
    assert levels == {
        "balance_inquiry": 1, "recent_transactions": 1, "freeze_card": 2, "unfreeze_card": 3,
        "change_phone": 3, "transfer_own": 3, "buy_wealth": 2, "sms_alerts": 1,
        "self_service_guide": 0,
    }
    for op in ops.values():
        assert set(op["name"]) == {"zh-CN", "en"} and set(op["tell_customer"]) == {"zh-CN", "en"}
        assert op["fields"], op["code"]
    assert {c for c, op in ops.items() if op["disclosure"]} == {"transfer_own", "buy_wealth"}
    amount = next(f for f in ops["transfer_own"]["fields"] if f["name"] == "amount")
    assert amount["kind"] == "amount" and amount["maximum"] == 50000.0
    products = _ok_list(live.call("GET", "/operations/products"))
    assert sorted(p["risk"] for p in products) == [1, 2, 3, 4, 5]
    assert live.api.get("/operations").status_code == 401


def _ok_list(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return list(response.json())


def test_an_operation_below_its_level_names_the_missing_level(live: Live) -> None:
    refused = live.operate("balance_inquiry", {"account": CARD1})
    assert refused.status_code == 403
    problem = refused.json()
    assert problem["code"] == "verification-required"
    assert (problem["required_level"], problem["current_level"]) == (1, 0)
    _to_level(live, 2)
    refused = live.operate("unfreeze_card", {"card": FROZEN})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "needs L3, contact is at L2"
    assert live.operate("balance_inquiry", {"account": CARD1}).status_code == 200
    live.assert_no_secrets()


def test_transfer_needs_the_customer_consent_to_its_disclosure(live: Live) -> None:
    _to_level(live, 3)
    fields = {"from_account": CARD1, "to_account": CARD2, "amount": "1000.50"}
    before = (_balance(live, CARD1), _balance(live, CARD2))

    none = live.operate("transfer_own", fields)
    assert none.status_code == 409 and none.json()["code"] == "disclosure-required"
    pending = live.operate("transfer_own", fields, _disclose(live, "transfer_own", None))
    assert pending.status_code == 409
    declined = live.operate("transfer_own", fields, _disclose(live, "transfer_own", False))
    assert declined.status_code == 409 and "declined" in declined.json()["detail"]
    wrong_op = live.operate("transfer_own", fields, _disclose(live, "buy_wealth", True))
    assert wrong_op.status_code == 409
    assert (_balance(live, CARD1), _balance(live, CARD2)) == before

    consent = _disclose(live, "transfer_own", True)
    done = _ok(live.operate("transfer_own", fields, consent))
    assert REFERENCE.match(done["reference"]) and done["code"] == "transfer_own"
    assert "1,000.50" in done["summary"] and CARD1 in done["summary"]
    after = (_balance(live, CARD1), _balance(live, CARD2))
    assert _cents(after[0]) == _cents(before[0]) - 100050
    assert _cents(after[1]) == _cents(before[1]) + 100050
    again = live.operate("transfer_own", fields, consent)  # one consent, one execution
    assert again.status_code == 409

    polled = _ok(live.call("GET", f"/contacts/{live.contact_id}/disclosures/{consent}"))
    assert polled["consent"] is True
    with live.ctx.db.read() as session:
        events = list(session.scalars(select(EventRow).where(EventRow.type == "disclosure")))
        lines = [e.text for e in session.scalars(
            select(TranscriptEntry).where(TranscriptEntry.contact_id == live.contact_id))]
    assert len(events) == 3 and {e.agent_id for e in events} == {live.agent_id}
    assert events[-1].data == {"contact_id": live.contact_id, "id": consent,
                               "operation": "transfer_own", "consent": True}
    assert any(line.startswith("风险提示：转账") for line in lines)
    assert (f"业务办理完成：本人账户间转账，业务编号 {done['reference']} · "
            f"Operation Transfer between own accounts done, reference {done['reference']}") in lines
    assert "风险提示（本人账户间转账）：客户同意 · Risk disclosure (Transfer between own accounts): " \
           "customer consented" in lines
    live.assert_no_secrets()


def _cents(text: str) -> int:
    return int(text.replace(",", "").replace(".", ""))


def test_disclosure_listener_lets_a_simulated_customer_answer(live: Live) -> None:
    heard: list[tuple[str, str]] = []

    def customer(ctx: Any, contact_id: str, result: Any, text: str) -> None:
        heard.append((result.operation, text))
        record_consent(ctx, contact_id, result.id, True)

    add_disclosure_listener(customer)
    try:
        sent = _ok(live.call("POST", f"/contacts/{live.contact_id}/disclosures",
                             json={"operation": "buy_wealth", "language": "en"}))
    finally:
        remove_disclosure_listener(customer)
    assert heard and heard[0][0] == "buy_wealth" and heard[0][1].startswith("Risk disclosure")
    polled = _ok(live.call("GET", f"/contacts/{live.contact_id}/disclosures/{sent['id']}"))
    assert polled["consent"] is True
    no_text = live.call("POST", f"/contacts/{live.contact_id}/disclosures",
                        json={"operation": "balance_inquiry"})
    assert no_text.status_code == 422


def test_wealth_product_above_the_customer_rating_is_refused(live: Live) -> None:
    _to_level(live, 2)  # the customer's rating is R2
    above = live.operate("buy_wealth", {"product": "WM-R3-MIX", "from_account": CARD1,
                                        "amount": 20000}, _disclose(live, "buy_wealth", True))
    assert above.status_code == 403 and above.json()["code"] == "risk-rating-exceeded"
    consent = _disclose(live, "buy_wealth", True)
    small = live.operate("buy_wealth", {"product": "WM-R2-BOND", "from_account": CARD1,
                                        "amount": 500}, consent)
    assert small.status_code == 422
    assert small.json()["errors"][0]["field"] == "fields.amount"
    done = _ok(live.operate("buy_wealth", {"product": "WM-R2-BOND", "from_account": CARD1,
                                           "amount": 10000}, consent))
    assert "R2" in done["summary"]


def test_fields_are_validated_per_their_spec(live: Live) -> None:
    _to_level(live, 3)
    consent = _disclose(live, "transfer_own", True)
    bad = live.operate("transfer_own", {"from_account": "622202*********9999",
                                        "amount": "12.345", "extra": 1}, consent)
    assert bad.status_code == 422 and bad.json()["code"] == "validation-error"
    errors = {e["field"]: e["message"] for e in bad.json()["errors"]}
    assert set(errors) == {"fields.extra", "fields.from_account", "fields.to_account",
                           "fields.amount"}
    assert errors["fields.to_account"] == "required"
    too_much = live.operate("transfer_own", {"from_account": CARD1, "to_account": CARD2,
                                             "amount": 50000.01}, consent)
    assert too_much.json()["errors"] == [{"field": "fields.amount", "message": "at most 50000.00"}]
    same = live.operate("transfer_own", {"from_account": CARD1, "to_account": CARD1,
                                         "amount": 1}, consent)
    assert same.status_code == 422 and same.json()["code"] == "validation-error"
    assert same.json()["errors"] == [
        {"field": "fields.from_account", "message": "must differ from to_account"},
        {"field": "fields.to_account", "message": "must differ from from_account"},
    ]
    broke = live.operate("transfer_own", {"from_account": CARD1, "to_account": CARD2,
                                          "amount": 49999}, consent)
    if broke.status_code == 422:  # demo balances are 5,000–200,000: maybe not enough
        assert broke.json()["errors"][0]["field"] == "fields.amount"
    phone = live.operate("change_phone", {"new_phone": "12345"})
    assert phone.json()["errors"][0]["field"] == "fields.new_phone"
    flag = live.operate("sms_alerts", {"enabled": "maybe"})
    assert flag.json()["errors"][0]["field"] == "fields.enabled"
    choice = live.operate("freeze_card", {"card": CARD1, "reason": "bored"})
    assert choice.json()["errors"][0]["field"] == "fields.reason"
    keyless = live.call("POST", f"/contacts/{live.contact_id}/operations/sms_alerts",
                        json={"fields": {"enabled": True}})
    assert keyless.status_code == 422
    assert keyless.json()["errors"][0]["field"] == "header.Idempotency-Key"
    assert live.operate("no_such_op", {}).status_code == 404


def test_freeze_unfreeze_phone_and_sms_change_the_demo_data(live: Live) -> None:
    _to_level(live, 3)
    frozen = _ok(live.operate("freeze_card", {"card": CARD1, "reason": "lost"}))
    assert frozen["summary"] == f"银行卡 {CARD1} 已冻结（挂失） · Card {CARD1} frozen (lost)"
    again = live.operate("freeze_card", {"card": "0123", "reason": "lost"})
    assert again.status_code == 422 and "frozen" in again.json()["errors"][0]["message"]
    _ok(live.operate("unfreeze_card", {"card": FROZEN}))
    phone = _ok(live.operate("change_phone", {"new_phone": "139-0000-1111"}, lang="en"))
    assert phone["summary"] == "Reserved phone changed to 139****1111"
    sms = _ok(live.operate("sms_alerts", {"enabled": False}, lang="zh-CN"))
    assert sms["summary"] == "动账短信通知已关闭"
    with live.ctx.db.read() as session:
        customer = session.get(Customer, live.customer_ref)
        assert customer is not None
        assert [c["status"] for c in customer.cards] == ["frozen", "active", "active"]
        assert customer.phone == "13900001111" and customer.sms_alerts is False
        records = list(session.scalars(select(OperationRecord)))
        done = operations_of(session, live.contact_id)
    assert [d.code for d in done] == ["freeze_card", "unfreeze_card", "change_phone", "sms_alerts"]
    assert records[2].fields == {"new_phone": "139****1111"}
    assert records[0].fields == {"card": CARD1, "reason": "lost"}
    assert len({d.reference for d in done}) == 4
    old = live.verify("reserved_phone", "13812345678")
    assert old.json()["passed"] is False  # the new number is the reserved one now
    live.assert_no_secrets()


def test_a_replayed_request_never_executes_twice(live: Live) -> None:
    _to_level(live, 3)
    key = str(uuid.uuid4())
    fields = {"from_account": CARD1, "to_account": CARD2, "amount": 10}
    consent = _disclose(live, "transfer_own", True)
    first = live.operate("transfer_own", fields, consent, key=key)
    second = live.operate("transfer_own", fields, consent, key=key)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    with live.ctx.db.read() as session:
        assert len(operations_of(session, live.contact_id)) == 1
        audits = list(session.scalars(select(AuditEvent).where(AuditEvent.type == "operation")))
    assert len(audits) == 1 and first.json()["reference"] in (audits[0].detail or "")
    other = live.operate("transfer_own", {**fields, "amount": 11}, consent, key=key)
    assert other.status_code == 422 and other.json()["code"] == "idempotency-key-reused"


def test_inquiries_and_self_service_guidance(live: Live) -> None:
    guide = _ok(live.operate("self_service_guide", {"topic": "transfer", "language": "en"}))
    assert REFERENCE.match(guide["reference"])
    _to_level(live, 1)
    recent = _ok(live.operate("recent_transactions", {"account": CARD2}))
    assert recent["summary"].startswith(f"{CARD2} 近期交易（元） · Recent transactions of {CARD2} (CNY): ")
    with live.ctx.db.read() as session:
        lines = list(session.scalars(
            select(TranscriptEntry).where(TranscriptEntry.contact_id == live.contact_id)
            .order_by(TranscriptEntry.seq)))
    assert lines[0].speaker == "agent" and lines[0].text.startswith("Transfer in mobile banking")
    assert lines[1].speaker == "system" and guide["reference"] in lines[1].text
    live.assert_no_secrets()


def test_locked_verification_refuses_verified_operations(live: Live) -> None:
    _to_level(live, 1)
    for wrong in ("111111", "222222", "333333"):
        live.verify("id_last6", wrong)
    locked = live.operate("balance_inquiry", {"account": CARD1})
    assert locked.status_code == 423 and locked.json()["code"] == "verification-locked"
    assert live.operate("self_service_guide", {"topic": "balance"}).status_code == 200


def test_a_transfer_to_the_same_account_is_refused_however_the_card_is_typed(live: Live) -> None:
    """The tester's input: From and To the same account. Refused as a field error on both
    fields (masked number vs last 4 digits too), before any money moves or the consent is used."""
    _to_level(live, 3)
    consent = _disclose(live, "transfer_own", True)
    before = _balance(live, CARD1)
    for to in (CARD1, "0123"):
        same = live.operate("transfer_own", {"from_account": CARD1, "to_account": to,
                                             "amount": "100"}, consent)
        assert same.status_code == 422, same.text
        fields = [e["field"] for e in same.json()["errors"]]
        assert fields == ["fields.from_account", "fields.to_account"]
    assert _balance(live, CARD1) == before
    done = live.operate("transfer_own", {"from_account": CARD1, "to_account": CARD2,
                                         "amount": "100"}, consent)
    assert done.status_code == 200, done.text  # the consent was not used by the refusals


def test_every_operation_with_two_accounts_declares_them_distinct() -> None:
    """The rule is data (``distinct`` in operations.toml): a new operation moving money
    between two accounts must not forget it, and a group names only declared fields."""
    from csdesk.server.operations import catalogue, distinct_groups

    for code, spec in catalogue().items():
        names = {f.name for f in spec.fields}
        groups = distinct_groups()[code]
        assert all(set(group) <= names and len(group) >= 2 for group in groups), code
        accounts = [f.name for f in spec.fields if f.kind == "account"]
        if len(accounts) >= 2:
            assert any(set(accounts) <= set(group) for group in groups), code


@pytest.mark.parametrize(
    ("lang", "headers", "summary"),
    [
        (None, {}, f"银行卡 {CARD1} 已冻结（疑似盗刷） · Card {CARD1} frozen (suspected fraud)"),
        ("zh-CN", {}, f"银行卡 {CARD1} 已冻结（疑似盗刷）"),
        ("en", {"Accept-Language": "zh-CN"}, f"Card {CARD1} frozen (suspected fraud)"),  # ?lang= wins
        (None, {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}, f"银行卡 {CARD1} 已冻结（疑似盗刷）"),
    ],
)
def test_operation_results_are_in_the_requested_language_else_bilingual(
    live: Live, lang: str | None, headers: dict[str, str], summary: str
) -> None:
    """The tester's input: a zh-CN session got ``Card 6217… frozen (lost)`` in English only."""
    _to_level(live, 2)
    path = f"/contacts/{live.contact_id}/operations/freeze_card"
    done = live.call("POST", path, json={"fields": {"card": CARD1, "reason": "suspected_fraud"}},
                     params={"lang": lang} if lang else None,
                     headers={"Idempotency-Key": str(uuid.uuid4()), **headers})
    assert done.status_code == 200, done.text
    assert done.json()["summary"] == summary
    view = _ok(live.call("GET", f"/contacts/{live.contact_id}"))
    assert view["operations"][-1]["summary"] == summary  # stored as answered
    line = view["transcript"][-1]["text"]  # the transcript line is bilingual whatever the request
    assert line == (f"业务办理完成：挂失 / 冻结银行卡，业务编号 {done.json()['reference']} · "
                    f"Operation Report lost card / freeze done, reference {done.json()['reference']}")


def test_every_operation_result_speaks_chinese_in_a_chinese_session(live: Live) -> None:
    """Each handler of the catalogue, asked with ``?lang=zh-CN``: no English words left
    (card numbers, references, R-ratings and product codes aside)."""
    _to_level(live, 3)
    calls: list[tuple[str, dict[str, Any], str | None]] = [
        ("balance_inquiry", {"account": CARD1}, None),
        ("recent_transactions", {"account": CARD1}, None),
        ("freeze_card", {"card": CARD2, "reason": "stolen"}, None),
        ("unfreeze_card", {"card": CARD2}, None),
        ("change_phone", {"new_phone": "13900001111"}, None),
        ("transfer_own", {"from_account": CARD1, "to_account": CARD2, "amount": 10},
         _disclose(live, "transfer_own", True)),
        ("buy_wealth", {"product": "WM-R2-BOND", "from_account": CARD1, "amount": 10000},
         _disclose(live, "buy_wealth", True)),
        ("sms_alerts", {"enabled": True}, None),
        ("self_service_guide", {"topic": "reset_password"}, None),
    ]
    from csdesk.server.operations import catalogue

    assert {code for code, _f, _d in calls} == set(catalogue())
    for code, fields, disclosure in calls:
        summary = _ok(live.operate(code, fields, disclosure, lang="zh-CN"))["summary"]
        words = re.sub(r"622202\*+0123|621700\*+4567|WM-R2-BOND|R2|ATM", "", summary)
        assert not re.search(r"[A-Za-z]{2,}", words), (code, summary)
    english = _ok(live.operate("recent_transactions", {"account": CARD1}, lang="en"))["summary"]
    assert not re.search(r"[\u4e00-\u9fff]", english), english
    with live.ctx.db.read() as session:
        lines = [e.text for e in session.scalars(
            select(TranscriptEntry).where(TranscriptEntry.contact_id == live.contact_id,
                                          TranscriptEntry.speaker == "system"))]
    assert lines and all(" · " in line and re.search(r"[\u4e00-\u9fff]", line.split(" · ")[0])
                         for line in lines), lines
