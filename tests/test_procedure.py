"""The operating-procedure checklist rule (csdesk.domain.procedure, guide §2.1–2.3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from csdesk.domain.contact_schemas import ContactView, OperationDone, OperationSpec, TranscriptLine
from csdesk.domain.contacts import ChecklistStep, Channel, ContactStatus, Speaker
from csdesk.domain.procedure import (
    ChecklistResult,
    OperationNeeds,
    ProcedureFacts,
    StepState,
    asks_anything_else,
    evaluate_procedure,
    missed_steps,
)
from csdesk.domain.text import clean_text

S = ChecklistStep
C, A, SYS = "customer", "agent", "system"


def facts(*lines: tuple[str, str] | tuple[str, str, str], **kw: object) -> ProcedureFacts:
    """Facts from ``(speaker, text[, kind])`` lines numbered 1, 2, 3…"""
    rows = []
    for seq, line in enumerate(lines, start=1):
        speaker, text, *kind = line
        rows.append((seq, speaker, kind[0] if kind else "message", text))
    return ProcedureFacts(lines=tuple(rows), **kw)  # type: ignore[arg-type]


def states(result: ChecklistResult) -> dict[str, str]:
    return {step.value: result.state(step).value for step in ChecklistStep}


def test_nothing_happened_everything_required_is_open() -> None:
    result = evaluate_procedure(ProcedureFacts())
    assert states(result) == {
        "greet": "open", "learn_need": "open", "verify": "not_needed", "handle": "open",
        "risk_disclosure": "not_needed", "confirm": "open", "wrap_up": "open",
    }
    assert result.current is S.GREET
    assert missed_steps(result) == ["greet", "learn_need", "handle", "confirm", "wrap_up"]


def test_full_knowledge_answer_contact_misses_nothing() -> None:
    f = facts(
        (C, "How do I activate my card?"),
        (A, "Hello, agent 1001 Li Na here. How can I help?"),
        (C, "I got a new card, how to activate it"),
        (A, "You can activate it in the app under Cards > Activate."),
        (A, "Is there anything else I can help you with?"),
        (C, "no that's all"),
        disposition="info.card",
    )
    result = evaluate_procedure(f)
    assert result.missed == []
    assert result.current is None
    assert result.state(S.VERIFY) is StepState.NOT_NEEDED
    assert result.state(S.RISK_DISCLOSURE) is StepState.NOT_NEEDED


def test_greeting_is_the_first_agent_message_notes_and_system_lines_do_not_count() -> None:
    result = evaluate_procedure(facts((C, "hi"), (A, "private", "note"), (SYS, "Call on hold", "event")))
    assert result.state(S.GREET) is StepState.OPEN
    assert evaluate_procedure(facts((C, "hi"), (A, "Hello"))).done(S.GREET)


def test_greeted_outside_transcript_phone_script() -> None:
    # Phone: the opening caption, the agent reads the script (no line), then the need.
    only_opening = evaluate_procedure(facts((C, "my card is lost", "caption"), greeted=True))
    assert only_opening.done(S.GREET)
    assert not only_opening.done(S.LEARN_NEED)
    with_need = evaluate_procedure(facts((C, "hello", "caption"), (C, "I lost my card", "caption"), greeted=True))
    assert with_need.done(S.LEARN_NEED)


def test_need_is_learned_only_after_the_greeting() -> None:
    before_only = evaluate_procedure(facts((C, "I lost my card"), (A, "Hello, how can I help?")))
    assert before_only.done(S.GREET)
    assert not before_only.done(S.LEARN_NEED)
    after = evaluate_procedure(facts((C, "I lost my card"), (A, "Hello"), (C, "my debit card")))
    assert after.done(S.LEARN_NEED)


def test_a_need_in_the_opening_words_is_learned_when_the_agent_acts_on_it() -> None:
    # Found by a tester: "我的卡丢了" → greeting → freeze done was recorded as
    # "learn the need" missed.
    answered = evaluate_procedure(facts((C, "我的卡丢了，怎么办？"), (A, "您好"), (A, "已为您冻结。还有其他问题吗？")))
    assert answered.done(S.LEARN_NEED) and answered.done(S.HANDLE) and answered.done(S.CONFIRM)
    operated = evaluate_procedure(
        ProcedureFacts(lines=((1, C, "message", "我的卡丢了"), (2, A, "message", "您好")),
                       operations=(OperationNeeds("freeze_card", 2, False),), verification_level=2)
    )
    assert operated.done(S.LEARN_NEED) and operated.done(S.HANDLE)


def test_lines_are_ordered_by_seq_not_list_order() -> None:
    f = ProcedureFacts(lines=((3, C, "message", "the need"), (1, C, "message", "hi"), (2, A, "message", "Hello")))
    assert evaluate_procedure(f).done(S.LEARN_NEED)


def test_handle_by_answer_after_need_or_by_operation() -> None:
    greeting_only = evaluate_procedure(facts((C, "hi"), (A, "Hello"), (C, "balance?")))
    assert not greeting_only.done(S.HANDLE)
    answered = evaluate_procedure(facts((C, "hi"), (A, "Hello"), (C, "balance?"), (A, "Let me check.")))
    assert answered.done(S.HANDLE)
    by_operation = evaluate_procedure(facts((C, "hi"), operations=(OperationNeeds("balance_inquiry", 1),)))
    assert by_operation.done(S.HANDLE)


@pytest.mark.parametrize(
    ("level_reached", "required", "expected"),
    [
        (0, 0, StepState.NOT_NEEDED),
        (1, 0, StepState.DONE),  # verified without needing to: shown done
        (0, 1, StepState.OPEN),
        (1, 1, StepState.DONE),
        (1, 2, StepState.OPEN),
        (2, 2, StepState.DONE),
        (2, 3, StepState.OPEN),
        (3, 2, StepState.DONE),
    ],
)
def test_verify_against_highest_level_of_operations(level_reached: int, required: int, expected: StepState) -> None:
    ops = (OperationNeeds("self_service", 0), OperationNeeds("op", required)) if required else ()
    result = evaluate_procedure(ProcedureFacts(verification_level=level_reached, operations=ops))
    assert result.state(S.VERIFY) is expected


def test_verify_uses_the_most_demanding_operation() -> None:
    ops = (OperationNeeds("balance", 1), OperationNeeds("unfreeze", 3), OperationNeeds("freeze", 2))
    assert evaluate_procedure(ProcedureFacts(verification_level=2, operations=ops)).state(S.VERIFY) is StepState.OPEN
    assert evaluate_procedure(ProcedureFacts(verification_level=3, operations=ops)).done(S.VERIFY)


def test_disclosure_needs_consent_for_each_operation_that_had_one() -> None:
    ops = (
        OperationNeeds("transfer_own", 3, disclosure=True),
        OperationNeeds("buy_wealth", 2, disclosure=True),
        OperationNeeds("balance", 1),
    )
    none = evaluate_procedure(ProcedureFacts(verification_level=3, operations=ops))
    assert none.state(S.RISK_DISCLOSURE) is StepState.OPEN
    one = evaluate_procedure(ProcedureFacts(verification_level=3, operations=ops, consented=frozenset({"buy_wealth"})))
    assert one.state(S.RISK_DISCLOSURE) is StepState.OPEN
    both = evaluate_procedure(
        ProcedureFacts(verification_level=3, operations=ops, consented=frozenset({"buy_wealth", "transfer_own"}))
    )
    assert both.done(S.RISK_DISCLOSURE)
    no_need = evaluate_procedure(ProcedureFacts(operations=(OperationNeeds("balance", 1),)))
    assert no_need.state(S.RISK_DISCLOSURE) is StepState.NOT_NEEDED


@pytest.mark.parametrize(
    "text",
    [
        "Is there anything else I can help you with?",
        "ANYTHING   ELSE?",
        "Do you have any other questions?",
        "Does that answer your question?",
        "请问还有其他可以帮您的吗？",
        "还有什么需要办理的吗",
        "请问您还有别的问题吗？",
        "以上内容您清楚了吗？",
        "请问还有其他问题吗",
        "ａｎｙｔｈｉｎｇ ｅｌｓｅ",  # full-width letters
    ],
)
def test_confirm_phrases_both_languages(text: str) -> None:
    assert asks_anything_else(text)


@pytest.mark.parametrize("text", ["Your balance is 100 yuan.", "请稍等，我帮您查询。", "Is there a problem with the card?", ""])
def test_not_confirm_phrases(text: str) -> None:
    assert not asks_anything_else(text)


def test_confirm_counts_only_agent_messages_after_the_need() -> None:
    customer_says_it = evaluate_procedure(facts((C, "hi"), (A, "Hello"), (C, "anything else you sell?")))
    assert not customer_says_it.done(S.CONFIRM)
    in_a_note = evaluate_procedure(facts((C, "hi"), (A, "Hello"), (C, "x"), (A, "ask anything else", "note")))
    assert not in_a_note.done(S.CONFIRM)
    in_greeting = evaluate_procedure(facts((C, "hi"), (A, "Hello! Anything else?")))
    assert not in_greeting.done(S.CONFIRM)
    asked = evaluate_procedure(facts((C, "hi"), (A, "Hello"), (C, "x"), (A, "还有其他问题吗？")))
    assert asked.done(S.CONFIRM)


def test_confirm_by_quick_phrase_id() -> None:
    result = evaluate_procedure(facts((C, "hi"), (A, "Hello"), quick_phrases=frozenset({"anything_else"})))
    assert result.done(S.CONFIRM)
    other = evaluate_procedure(facts((C, "hi"), (A, "Hello"), quick_phrases=frozenset({"greeting"})))
    assert not other.done(S.CONFIRM)


def test_wrap_up_needs_a_disposition() -> None:
    assert not evaluate_procedure(ProcedureFacts(disposition="  ")).done(S.WRAP_UP)
    assert evaluate_procedure(ProcedureFacts(disposition="card.lost")).done(S.WRAP_UP)


def test_missed_steps_lists_skipped_verification_and_disclosure_in_order() -> None:
    f = facts(
        (C, "move money to savings"),
        (A, "Hello"),
        (C, "transfer 500 to my savings"),
        operations=(OperationNeeds("transfer_own", 3, disclosure=True),),
        verification_level=1,
        disposition="transfer",
    )
    assert missed_steps(f) == ["verify", "risk_disclosure", "confirm"]


def _contact(transcript: list[tuple[Speaker, str]], ops: list[str], level: int) -> ContactView:
    t0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    return ContactView(
        id="c1",
        channel=Channel.CHAT,
        queue="cards",
        status=ContactStatus.ACTIVE,
        queued_at=t0,
        accepted_at=t0,
        verification_level=level,
        operations=[OperationDone(code=c, reference=f"R{i}", at=t0, summary=c) for i, c in enumerate(ops)],
        transcript=[
            TranscriptLine(seq=i, at=t0 + timedelta(seconds=i), speaker=sp, text=text)
            for i, (sp, text) in enumerate(transcript, start=1)
        ],
    )


def test_from_contact_with_catalogue() -> None:
    catalogue = {
        "card_freeze": OperationSpec(code="card_freeze", name={"en": "Freeze"}, level=2),
        "transfer_own": OperationSpec(
            code="transfer_own", name={"en": "Transfer"}, level=3, disclosure={"en": "Risk…", "zh-CN": "风险…"}
        ),
    }
    contact = _contact(
        [(Speaker.CUSTOMER, "lost card"), (Speaker.AGENT, "Hello"), (Speaker.CUSTOMER, "freeze it please"),
         (Speaker.AGENT, "Done. Anything else?")],
        ["card_freeze"],
        level=2,
    )
    result = evaluate_procedure(ProcedureFacts.from_contact(contact, catalogue, disposition="card.lost"))
    assert result.missed == []
    contact2 = _contact([(Speaker.CUSTOMER, "x"), (Speaker.AGENT, "Hello")], ["transfer_own", "unknown_op"], level=2)
    facts2 = ProcedureFacts.from_contact(contact2, catalogue)
    assert {op.code: (op.level, op.disclosure) for op in facts2.operations} == {
        "transfer_own": (3, True), "unknown_op": (0, False),
    }
    assert missed_steps(facts2) == ["verify", "risk_disclosure", "confirm", "wrap_up"]  # the need was in "x"
    assert missed_steps(ProcedureFacts.from_contact(contact2, catalogue, consented=["transfer_own"])).count(
        "risk_disclosure"
    ) == 0


def test_domain_procedure_has_no_textual() -> None:
    import subprocess
    import sys

    code = "import sys, csdesk.domain.procedure; print(any(m.startswith('textual') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\u200fb\u200ec\u061cd", "abcd"),  # bidi marks
        ("line\u2028next\u2029end", "line\nnext\nend"),
        ("x\x9d0;title\x9cy", "xy"),  # 8-bit OSC
        ("x\x90q#0\x9cy", "xy"),  # 8-bit DCS
        ("a\x98 rest", "a rest"),  # a lone C1 byte does not swallow the rest
        ("\ufeffbom", "bom"),
        ("\x1b[1;31m[bold red]x[/]\x1b[0m", "[bold red]x[/]"),
    ],
)
def test_clean_text_more_untrusted_cases(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected
