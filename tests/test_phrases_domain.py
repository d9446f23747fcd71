"""Quick-phrase rules (issue #5, guide §3.4): placeholders, filling, the customer's
title, the /code shortcut, phrase checks — pure functions of csdesk.domain.phrases."""

from __future__ import annotations

from datetime import date

import pytest

from csdesk.domain.phrases import (
    BODY_MAX,
    Phrase,
    PhraseFields,
    PlaceholderContext,
    check_phrase,
    customer_title,
    fill_placeholders,
    find_placeholders,
    parse_shortcut,
    phrase_id_from_path,
    phrase_path,
    placeholders_left,
    sex_from_masked_id,
    tokens_of,
)

MALE_ID = "110***********1234"  # 17th character 3: odd
FEMALE_ID = "310***********2468"  # 17th character 6: even
CONTEXT = PlaceholderContext(
    agent_id="A1001", agent_name="张伟", customer_name="王建国", customer_id_masked=MALE_ID,
    today=date(2026, 3, 5), reference="OP-20260305-AB12CD",
)


def test_placeholders_are_found_with_their_spans_and_kinds() -> None:
    text = "{customer_title}您好 {?金额} {agent_nmae} {?} { a } {} {1} {?x{y}"
    found = find_placeholders(text)
    assert [(p.token, p.kind) for p in found] == [
        ("{customer_title}", "known"), ("{?金额}", "input"), ("{agent_nmae}", "unknown"), ("{?}", "unknown"),
        ("{y}", "unknown"),
    ]
    for p in found:
        assert text[p.start:p.end] == p.token
    assert found[1].label == "金额"
    # a label is at most 40 characters and never crosses a line
    assert find_placeholders("{?" + "x" * 41 + "}") == []
    assert find_placeholders("{?a\nb}") == []


def test_known_placeholders_are_filled_in_the_phrase_language() -> None:
    chinese = fill_placeholders("{customer_title}您好，我是{agent_name}（{agent_id}），{today}，参考号{reference}", CONTEXT)
    assert chinese == "王先生您好，我是张伟（A1001），2026年3月5日，参考号OP-20260305-AB12CD"
    english = fill_placeholders("Hello {customer_title}, today is {today}.", CONTEXT)
    assert english == "Hello Mr Wang, today is 2026-03-05."


def test_unfilled_unknown_and_input_placeholders_stay_and_block() -> None:
    bare = PlaceholderContext(agent_id="A1001", today=date(2026, 3, 5))
    text = fill_placeholders("{agent_id} {reference} {?金额} {oops} {customer_title}", bare)
    assert text == "A1001 {reference} {?金额} {oops} {customer_title}"
    assert tokens_of(placeholders_left(text)) == ["{reference}", "{?金额}", "{oops}", "{customer_title}"]
    assert placeholders_left("all filled in: 5000 元") == []


def test_a_value_never_makes_a_new_placeholder_or_a_control_character() -> None:
    sneaky = PlaceholderContext(agent_name="{?x}\x1b[31m[b]a[/b]\nB")
    text = fill_placeholders("{agent_name}", sneaky)
    assert placeholders_left(text) == []
    assert "\x1b" not in text and "\n" not in text and "[b]a[/b]" in text


@pytest.mark.parametrize(
    ("name", "masked", "chinese", "expected"),
    [
        ("王建国", MALE_ID, True, "王先生"),
        ("李秀英", FEMALE_ID, True, "李女士"),
        ("李秀英", FEMALE_ID, False, "Ms Li"),
        ("欧阳娜娜", FEMALE_ID, True, "欧阳女士"),
        ("欧阳娜娜", FEMALE_ID, False, "Ms Ouyang"),
        ("John Smith", MALE_ID, True, "Smith先生"),
        ("John Smith", MALE_ID, False, "Mr Smith"),
        ("王建国", "110******1234", True, None),  # not an 18-character resident ID
        ("王建国", "110***********12*4", True, None),
        ("王建国", None, True, None),
        ("", MALE_ID, True, None),
        ("䶮明", MALE_ID, False, None),  # surname without pinyin in the table: the agent writes it
    ],
)
def test_customer_title(name: str, masked: str | None, chinese: bool, expected: str | None) -> None:
    assert customer_title(name, masked, chinese=chinese) == expected


def test_sex_digit_of_a_masked_resident_id() -> None:
    assert sex_from_masked_id(MALE_ID) == "m"
    assert sex_from_masked_id(FEMALE_ID) == "f"
    assert sex_from_masked_id("11010119900307123X") == "m"  # X is the check character, not the 17th
    assert sex_from_masked_id("") is None


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        ("/greet", (0, "greet")),
        ("您好 /Lost1", (3, "lost1")),
        ("您好/greet", (2, "greet")),
        ("see http://x.com/greet", None),
        ("a/b", None),
        ("/greet ", None),
        ("/", None),
        ("/" + "a" * 17, None),
    ],
)
def test_shortcut_before_the_cursor(before: str, expected: tuple[int, str] | None) -> None:
    assert parse_shortcut(before) == expected


def test_phrase_checks() -> None:
    fine = PhraseFields.clean(code=" Lost1 ", title=" 挂失 \n 受理 ", body="已办理 {?卡号后四位}\r\n", category="业务")
    assert fine == PhraseFields("lost1", "挂失 受理", "已办理 {?卡号后四位}", "业务")
    assert check_phrase(fine) == []
    taken = check_phrase(fine, taken_codes={"lost1": "旧的挂失"})
    assert [(p.field, p.code, p.detail) for p in taken] == [("code", "code-taken", "旧的挂失")]
    bad = PhraseFields.clean(code="bad code!", title="", body="{agent_nmae} " + "x" * BODY_MAX, category="c" * 33)
    codes = {(p.field, p.code) for p in check_phrase(bad)}
    assert codes == {("code", "code-format"), ("title", "required"), ("body", "too-long"),
                     ("category", "too-long"), ("body", "unknown-placeholder")}
    assert "unknown placeholder" in next(p for p in check_phrase(bad) if p.code == "unknown-placeholder").english()


def test_stored_documents_are_not_trusted() -> None:
    doc = {"id": "p-1", "code": "X1", "title": "t\x1b[2J", "body": "b\x07ody", "version": "7", "scope": "team"}
    phrase = Phrase.from_doc(doc, "personal")
    assert phrase is not None
    assert (phrase.code, phrase.title, phrase.body, phrase.scope, phrase.version) == ("x1", "t", "body", "personal", 0)
    assert Phrase.from_doc({**doc, "id": "../etc"}, "personal") is None
    assert Phrase.from_doc({**doc, "body": None}, "personal") is None
    assert Phrase.from_doc({**doc, "code": "no spaces"}, "personal") is None


def test_outbox_paths() -> None:
    assert phrase_id_from_path(phrase_path("p-abc")) == "p-abc"
    assert phrase_id_from_path("/contacts/x/wrap-up") is None
    assert phrase_id_from_path("/me/phrases/../x") is None
