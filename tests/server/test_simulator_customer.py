"""Training simulator: the pure customer model and the arrival process."""

from __future__ import annotations

import random
import statistics

import pytest

from csdesk.domain.contacts import VerificationMethod as M
from csdesk.server.customers import DEMO_CUSTOMERS
from csdesk.server.simulator.customer import (
    ArrivalSchedule,
    Cue,
    SimulatedCustomer,
    read_agent_text,
)
from csdesk.server.simulator.driver import secrets_of
from csdesk.server.simulator.openings import Opening
from csdesk.server.simulator.scenarios import load_scenarios

SECRETS = secrets_of(DEMO_CUSTOMERS[1])  # 李秀英: two cards


@pytest.fixture(scope="module")
def by_id():
    return {s.id: s for s in load_scenarios()}


def customer(by_id, sid, lang="en", opening=None, seed=1):
    return SimulatedCustomer(by_id[sid], SECRETS, opening, random.Random(seed), lang)


def test_greeting_states_the_need_after_the_real_opening(by_id):
    c = customer(by_id, "lost_card_freeze", opening=Opening("I lost my card yesterday", "lost_or_stolen_card"))
    assert c.first_words == "I lost my card yesterday"
    reply = c.on_agent_message("Hello, this is agent 1001, how can I help you?")
    assert reply.text.startswith("Hi.")
    assert any(w in reply.text.lower() for w in ("freeze", "block"))
    assert c.need_stated
    zh = customer(by_id, "lost_card_freeze", lang="zh")
    assert zh.first_words in by_id["lost_card_freeze"].first_words["zh"]
    assert zh.on_greeting("您好，工号1001，请问有什么可以帮您？").text.startswith("你好，")


def test_right_answers_come_from_the_secrets(by_id):
    c = customer(by_id, "balance_inquiry")
    c.on_greeting()
    reply = c.on_agent_message("Could you tell me your reserved phone number and the last 6 digits of your ID number?")
    assert reply.answers == {M.RESERVED_PHONE: SECRETS.phone, M.ID_LAST6: SECRETS.id_number[-6:]}
    assert SECRETS.phone in reply.text and SECRETS.id_number[-6:] in reply.text
    assert c.on_verification_asked(M.CARD_LAST4).answers[M.CARD_LAST4] == SECRETS.cards[0][-4:]
    assert c.on_agent_message(SECRETS.security_question).answers[M.SECURITY_QUESTION] == SECRETS.security_answer
    assert c.on_agent_message("请说一下您的安全问题答案").answers[M.SECURITY_QUESTION] == SECRETS.security_answer
    tp = c.on_agent_message("Please key your transaction password on the keypad.")
    assert tp.answers == {} and "keypad" in tp.text.lower()
    assert c.keypad() == SECRETS.transaction_password


def test_fraudster_is_wrong_every_time_and_consistently(by_id):
    c = customer(by_id, "verification_fraud")
    c.on_greeting()
    answers = [c.on_verification_asked(M.ID_LAST6).answers[M.ID_LAST6] for _ in range(3)]
    assert all(a != SECRETS.id_number[-6:] and len(a) == 6 and a.isdigit() for a in answers)
    phone = c.on_verification_asked(M.RESERVED_PHONE).answers[M.RESERVED_PHONE]
    assert phone != SECRETS.phone and len(phone) == 11 and phone.startswith("1")
    assert c.keypad() != SECRETS.transaction_password
    sec = c.on_verification_asked(M.SECURITY_QUESTION).answers[M.SECURITY_QUESTION]
    assert sec != SECRETS.security_answer
    assert c.on_verification_result(False).text in by_id["verification_fraud"].reactions["verification_failed"]["en"]


def test_wrong_methods_and_wrong_times(by_id):
    from dataclasses import replace

    from csdesk.server.simulator.scenarios import IdentityBehaviour

    base = by_id["balance_inquiry"]
    by_method = replace(base, identity=IdentityBehaviour(wrong_methods=frozenset({M.CARD_LAST4})))
    c = SimulatedCustomer(by_method, SECRETS, None, random.Random(2), "en")
    assert c.on_verification_asked(M.CARD_LAST4).answers[M.CARD_LAST4] != SECRETS.cards[0][-4:]
    assert c.on_verification_asked(M.ID_LAST6).answers[M.ID_LAST6] == SECRETS.id_number[-6:]
    twice = replace(base, identity=IdentityBehaviour(wrong_times=2))
    c = SimulatedCustomer(twice, SECRETS, None, random.Random(2), "en")
    got = [c.on_verification_asked(M.RESERVED_PHONE).answers[M.RESERVED_PHONE] for _ in range(3)]
    assert got[0] != SECRETS.phone and got[1] != SECRETS.phone and got[2] == SECRETS.phone


def test_disclosure_consent_and_refusal(by_id):
    yes = customer(by_id, "transfer_consent").on_disclosure("Transfers cannot be recalled…")
    assert yes.consent is True and yes.text
    no = customer(by_id, "transfer_refuse", lang="zh").on_disclosure("转账风险提示")
    assert no.consent is False and "不同意" in no.text


def test_operation_done_anything_else_and_thats_all(by_id):
    c = customer(by_id, "lost_card_freeze")
    c.on_greeting()
    assert "OP-123" in c.on_operation_done("OP-123").text
    first = c.on_agent_message("Is there anything else I can help you with?")
    assert first.text in by_id["lost_card_freeze"].follow_up["en"] and not first.done
    second = c.on_anything_else()
    assert second.done and "that's all" in second.text.lower()
    assert c.on_agent_message("Hello?").text == ""  # done: says nothing more
    plain = customer(by_id, "balance_inquiry", lang="zh")
    assert plain.on_agent_message("请问还有其他可以帮您的吗？").done


def test_hang_up_at_the_scenario_point(by_id):
    c = customer(by_id, "hang_up_midway")
    assert not c.should_hang_up(2) and c.should_hang_up(3)
    assert not c.on_greeting("Hello").hang_up
    assert not c.on_verification_asked(M.RESERVED_PHONE).hang_up
    third = c.on_agent_message("Thank you, let me check.")
    assert third.hang_up and third.text and c.gone
    assert c.on_agent_message("Are you there?").text == ""
    assert c.keypad() is not None  # pure model; the driver refuses keypad after hang-up
    never = customer(by_id, "balance_inquiry")
    assert not any(never.should_hang_up(n) for n in range(1, 50))


def test_hold_and_resume(by_id):
    c = customer(by_id, "phone_hold_transactions")
    c.on_greeting()
    assert "line" in c.on_agent_message("Could you please hold for a moment while I check?").text
    assert c.holding and not c.hold_exceeded(100) and c.hold_exceeded(181)
    assert "here" in c.on_agent_message("Thank you for waiting.").text.lower()
    assert not c.holding
    assert c.on_resume().text == ""  # not on hold: nothing to say


def test_new_phone_for_the_change_form(by_id):
    c = customer(by_id, "change_reserved_phone", lang="zh")
    c.on_greeting()
    reply = c.on_agent_message("请告诉我您的新手机号码")
    new = c.new_phone_number()
    assert new in reply.text and new != SECRETS.phone and len(new) == 11


@pytest.mark.parametrize(
    ("text", "cue", "methods"),
    [
        ("您好，工号1001，很高兴为您服务", Cue.GREETING, ()),
        ("请提供您的预留手机号和身份证后六位", Cue.VERIFY, (M.RESERVED_PHONE, M.ID_LAST6)),
        ("请问卡号后四位是多少？", Cue.VERIFY, (M.CARD_LAST4,)),
        ("Please enter your transaction password on the keypad", Cue.VERIFY, (M.TRANSACTION_PASSWORD,)),
        ("请问还有什么可以帮您？", Cue.ANYTHING_ELSE, ()),
        ("Please hold, I'll check that.", Cue.HOLD, ()),
        ("Thanks for holding.", Cue.RESUME, ()),
        ("Do you understand the steps?", Cue.UNDERSTOOD, ()),
        ("Would you like a replacement card?", Cue.QUESTION, ()),
        ("Your card is now frozen.", Cue.STATEMENT, ()),
        ("抱歉，您提供的手机号不正确", Cue.VERIFIED_FAIL, ()),
        ("Thank you, verification passed.", Cue.VERIFIED_OK, ()),
    ],
)
def test_read_agent_text(text, cue, methods):
    assert read_agent_text(text) == (cue, methods)


def test_same_seed_same_conversation(by_id):
    def talk(seed):
        c = customer(by_id, "verification_fraud", seed=seed)
        return [c.on_greeting().text, c.on_verification_asked(M.RESERVED_PHONE).text,
                c.on_verification_result(False).text, c.keypad()]

    assert talk(9) == talk(9)


def test_arrival_schedule_mean_rate():
    schedule = ArrivalSchedule(6.0, random.Random(2024))  # 6 per minute: mean gap 10 s
    gaps = [schedule.next_delay() for _ in range(20_000)]
    assert all(g >= 0 for g in gaps)
    assert statistics.fmean(gaps) == pytest.approx(10.0, rel=0.03)
    assert statistics.pstdev(gaps) == pytest.approx(10.0, rel=0.05)  # exponential: sd = mean
    one, two = ArrivalSchedule(6.0, random.Random(1)), ArrivalSchedule(6.0, random.Random(1))
    assert _take(one, 5) == [two.next_delay() for _ in range(5)]  # seeded: reproducible
    schedule.rate_per_minute = 60
    assert statistics.fmean(schedule.next_delay() for _ in range(20_000)) == pytest.approx(1.0, rel=0.03)
    with pytest.raises(ValueError):
        ArrivalSchedule(0, random.Random(1))


def _take(schedule, n):
    it = iter(schedule)
    return [next(it) for _ in range(n)]
