"""Knowledge search index (csdesk/search): mixed Chinese/English search, typos,
ranking, suggestions, incremental updates, bad input, thread safety.

Runs over the demo knowledge base (csdesk/server/data/knowledge) and small
articles made here. No timing asserts: latency is measured by
benchmarks/kb_search.py, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import datetime, timezone

import pytest

from csdesk.search import CategoryNode, Hit, KnowledgeIndex, load_articles
from csdesk.search.snippet import plain_text
from csdesk.search.synonyms import SYNONYMS
from csdesk.search.text import ANALYZER, fold


@pytest.fixture(scope="module")
def demo() -> list[dict]:
    return load_articles()


@pytest.fixture(scope="module")
def index(demo: list[dict]) -> KnowledgeIndex:
    return KnowledgeIndex.build(demo)


def ids(hits: list[Hit]) -> list[str]:
    return [h.article_id for h in hits]


def article(article_id: str, **fields) -> dict:
    base = {"id": article_id, "title": "", "title_en": "", "body": "", "category": [], "tags": [],
            "questions": [], "intents": [], "summary": "", "version": 1,
            "updated_at": "2025-03-01T00:00:00+00:00", "status": "published"}
    base.update(fields)
    return base


# ---------------------------------------------------------------- loader
def test_demo_loader_gives_the_synced_shape(demo: list[dict]) -> None:
    keys = {"id", "title", "title_en", "body", "category", "tags", "questions", "intents", "summary",
            "version", "updated_at", "status"}
    assert len(demo) >= 60
    assert all(set(a) == keys for a in demo)
    assert len({a["id"] for a in demo}) == len(demo)


# ---------------------------------------------------------------- search
@pytest.mark.parametrize(("query", "expected"), [
    ("挂失 card", "KB-CARD-006"),        # Chinese word + English word
    ("ATM 吞卡", "KB-CASH-007"),
    ("转账手续费 fee", "KB-XFER-010"),    # Chinese without spaces, segmented
    ("密码 locked", "KB-CARD-007"),
    ("e账户 top up", "KB-TOPUP-001"),    # mixed inside one token, phrase synonym
    ("吞卡", "KB-CASH-007"),
])
def test_mixed_queries_find_the_article(index: KnowledgeIndex, query: str, expected: str) -> None:
    assert ids(index.search(query, limit=3))[:3].count(expected) == 1, ids(index.search(query, limit=5))


@pytest.mark.parametrize(("query", "expected"), [
    # QA: a bare verb (用, 办 …) matched inside 费用/办理 and outranked the subject.
    ("手机银行怎么用？", "KB-MOB-001"),
    ("手机银行要怎么办", "KB-MOB-001"),
    ("帮我问一下手机银行", "KB-MOB-001"),
    # QA: 帐 is how many customers write 账.
    ("转帐限额", "KB-XFER-007"),
    ("转帐被拒绝", "KB-XFER-007"),
])
def test_everyday_chinese_questions_rank_the_subject_first(index: KnowledgeIndex, query: str, expected: str) -> None:
    assert ids(index.search(query, limit=1)) == [expected], ids(index.search(query, limit=5))


def test_short_chinese_word_matches_inside_longer_words(index: KnowledgeIndex) -> None:
    hits = index.search("密码", limit=10)
    assert len(hits) >= 3
    # every hit really contains the word, and the spans point at it
    for hit in hits:
        text = hit.snippet.text
        assert any(text[s:e] == "密码" for s, e in hit.snippet.spans) or "密码" in hit.title


@pytest.mark.parametrize(("query", "expected"), [
    ("tranfser fee", "KB-XFER-010"),      # transposition
    ("contactles", "KB-CARD-009"),        # deletion
    ("disposible card", "KB-CARD-014"),   # substitution
    ("exchnage rate", "KB-FX-001"),
])
def test_english_typos_are_tolerated(index: KnowledgeIndex, query: str, expected: str) -> None:
    assert expected in ids(index.search(query, limit=3))


def test_typo_hit_highlights_the_corrected_word(index: KnowledgeIndex) -> None:
    hit = index.search("tranfser fee", limit=1)[0]
    marked = [hit.title_en[s:e].lower() for s, e in hit.title_en_spans]
    assert "transfer" in marked and "fees" in marked


def test_prefix_of_the_word_being_typed(index: KnowledgeIndex) -> None:
    hit = index.search("contactl", limit=1)[0]
    assert hit.article_id == "KB-CARD-009"
    assert "contactless" in [hit.title_en[s:e].lower() for s, e in hit.title_en_spans]
    assert ids(index.search("top up lim", limit=1)) == ["KB-TOPUP-006"]


def test_title_match_outranks_body_only_match() -> None:
    idx = KnowledgeIndex.build([
        article("BODY", title="账户年费说明", title_en="Annual account fee",
                body="这里也提到 overdraft 一次，以及透支保护。" + "其他内容。" * 20),
        article("TITLE", title="透支保护", title_en="Overdraft protection", body="说明文字。" * 20),
        article("NONE", title="无关", title_en="Unrelated", body="完全无关的内容。"),
    ])
    assert ids(idx.search("overdraft"))[:2] == ["TITLE", "BODY"]
    assert ids(idx.search("透支保护"))[:2] == ["TITLE", "BODY"]


def test_sample_question_match_ranks_up() -> None:
    idx = KnowledgeIndex.build([
        article("Q", title="卡片设置", title_en="Card settings", questions=["How do I freeze my card?"]),
        article("B", title="卡片说明", title_en="Card notes", body="You may freeze it in the app. " + "text " * 40),
    ])
    assert ids(idx.search("freeze card"))[0] == "Q"


def test_all_words_matched_come_first(index: KnowledgeIndex) -> None:
    hits = index.search("contactless 汇率", limit=20)
    matched = [h.matched for h in hits]
    assert matched == sorted(matched, reverse=True)
    assert all(h.units == 2 for h in hits)


def test_hits_carry_plain_text_and_valid_spans(index: KnowledgeIndex) -> None:
    for query in ("挂失 card", "top up limit", "汇率", "charged twice"):
        for hit in index.search(query, limit=10):
            for text, spans in ((hit.title, hit.title_spans), (hit.title_en, hit.title_en_spans),
                                (hit.snippet.text, hit.snippet.spans)):
                assert "\n" not in text and "\x1b" not in text
                last = 0
                for start, end in spans:
                    assert last <= start < end <= len(text)
                    last = end
            assert hit.snippet.field in {"summary", "body", "question", "title"}
            assert not hit.snippet.text.startswith("#")


# ---------------------------------------------------------------- suggestions
@pytest.mark.parametrize(("messages", "expected"), [
    (["I lost my card yesterday, please block it"], "KB-CARD-006"),
    (["why was I charged twice for the same coffee"], "KB-CPAY-006"),
    (["How long does a transfer to another bank take?"], "KB-XFER-003"),
    (["我的卡被ATM吞了"], "KB-CASH-007"),
    (["I forgot the passcode for the app"], "KB-MOB-002"),
    (["hello", "good morning", "my top-up didn't go through, it failed twice"], "KB-TOPUP-008"),
])
def test_suggestions_for_customer_messages(index: KnowledgeIndex, messages: list[str], expected: str) -> None:
    hits = index.suggest(messages, k=3)
    assert len(hits) <= 3
    assert expected in ids(hits)


def test_suggestion_snippet_is_the_matching_sample_question(index: KnowledgeIndex) -> None:
    hit = index.suggest(["my card was swallowed by the cash machine"], k=1)[0]
    assert hit.article_id == "KB-CASH-007"
    assert hit.snippet.field == "question" and hit.snippet.spans
    assert 0 < hit.score <= 1.0 + 1e-9


def test_latest_message_weighs_most(index: KnowledgeIndex) -> None:
    first = ids(index.suggest(["I forgot the passcode for the app", "my card was swallowed by the ATM"], k=1))
    assert first == ["KB-CASH-007"]


def test_suggest_with_nothing_to_match(index: KnowledgeIndex) -> None:
    assert index.suggest([]) == []
    assert index.suggest(["", "   "]) == []
    assert index.suggest(["ok thanks"]) == []


# ---------------------------------------------------------------- incremental sync
def test_upsert_update_and_remove(demo: list[dict]) -> None:
    idx = KnowledgeIndex.build(demo)
    before = [(h.article_id, h.score) for h in idx.search("contactless", limit=5)]
    assert idx.search("zorbifex") == []

    idx.upsert(article("NEW-1", title="新业务说明", title_en="Zorbifex savings plan", body="zorbifex 计划。"))
    assert "NEW-1" in idx and len(idx) == len(demo) + 1
    assert ids(idx.search("zorbifex")) == ["NEW-1"]
    assert ids(idx.search("zorbifx")) == ["NEW-1"]        # typo against the new word

    idx.upsert(article("NEW-1", title="新业务说明", title_en="Quintaro savings plan", body="计划。",
                       version=2))
    assert idx.search("zorbifex") == []
    assert ids(idx.search("quintaro")) == ["NEW-1"]
    assert idx.get("NEW-1")["version"] == 2

    assert idx.remove("NEW-1") is True
    assert idx.remove("NEW-1") is False
    assert idx.remove("no-such-id") is False
    assert idx.search("quintaro") == [] and "NEW-1" not in idx
    # document frequencies went back: the same scores as before
    assert [(h.article_id, h.score) for h in idx.search("contactless", limit=5)] == before


def test_retired_or_draft_article_leaves_the_index(demo: list[dict]) -> None:
    idx = KnowledgeIndex.build(demo[:5])
    target = dict(demo[0])
    idx.upsert({**target, "status": "retired"})
    assert target["id"] not in idx
    idx.upsert({**target, "status": "draft"})
    assert target["id"] not in idx
    idx.upsert(target)
    assert target["id"] in idx


def test_many_single_upserts_then_removals_stay_consistent(demo: list[dict]) -> None:
    idx = KnowledgeIndex()
    assert idx.search("card") == [] and idx.suggest(["card"]) == []
    for a in demo:                      # one by one, as a slow sync would (crosses rebuilds)
        idx.upsert(a)
    fresh = KnowledgeIndex.build(demo)
    assert ids(idx.search("ATM 吞卡", limit=3)) == ids(fresh.search("ATM 吞卡", limit=3))
    for a in demo[10:]:
        idx.remove(a["id"])
    assert len(idx) == 10
    assert set(ids(idx.search("card", limit=50))) <= {a["id"] for a in demo[:10]}


def test_bad_articles_are_rejected_without_changing_the_index(demo: list[dict]) -> None:
    idx = KnowledgeIndex.build(demo[:3])
    with pytest.raises(ValueError):
        idx.upsert({"title": "no id"})
    with pytest.raises(TypeError):
        idx.upsert_many([demo[3], "not a dict"])  # type: ignore[list-item]
    assert len(idx) == 3 and demo[3]["id"] not in idx
    # the domain model is accepted as well as its dict
    from csdesk.domain.knowledge import KnowledgeArticleDoc
    idx.upsert(KnowledgeArticleDoc.model_validate({**demo[3], "id": "MODEL-1"}))
    assert "MODEL-1" in idx and idx.get("MODEL-1")["updated_at"].startswith("2025-01-01")
    # odd but harmless field values are tolerated
    idx.upsert({"id": "ODD", "title": None, "tags": "single tag", "questions": None, "body": 42})
    assert "ODD" in idx


# ---------------------------------------------------------------- bad input
BAD_QUERIES = [
    "", "   ", "\n\t", "x" * 2000, ("转账 transfer " * 200)[:2000], '"', '"unbalanced', "*", "card*", "NEAR",
    "NEAR(card pin, 2)", "(card", "card)", "^card", "-card", "card:pin", "title:card", "a AND OR NOT b",
    "[bold]card[/bold]", "[red]挂失[/]", "\x1b[31mcard\x1b[0m", "\x00\x01\x07card\x7f", "\u202ecard\u202c",
    ".*", "(?:x)+", "\\", "'; DROP TABLE kb; --", "ＡＴＭ　吞卡", "🙂💳", "İstanbul card", "\ufeff",
]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_bad_queries_never_raise(index: KnowledgeIndex, query: str) -> None:
    hits = index.search(query)
    assert isinstance(hits, list) and len(hits) <= 20
    for hit in hits:
        for text in (hit.title, hit.title_en, hit.snippet.text):
            assert "\x1b" not in text and "\x00" not in text
    assert isinstance(index.suggest([query, query]), list)


def test_empty_query_returns_nothing(index: KnowledgeIndex) -> None:
    assert index.search("") == [] and index.search("   ") == []
    assert index.search(None) == []  # type: ignore[arg-type]
    assert index.search("card", limit=0) == []
    assert index.search("card", limit="junk") != []  # type: ignore[arg-type]


def test_syntax_characters_mean_nothing(index: KnowledgeIndex) -> None:
    plain = ids(index.search("card pin"))
    assert ids(index.search('"card" (pin*)')) == plain
    assert ids(index.search("card NEAR pin")) != [] and ids(index.search("[bold]card[/bold] pin")) != []
    assert ids(index.search("ＡＴＭ　吞卡", limit=1)) == ["KB-CASH-007"]  # full-width forms fold


def test_markup_in_articles_stays_text() -> None:
    idx = KnowledgeIndex.build([article(
        "M", title="[bold]标题[/bold]", title_en="Markup [red]test[/red]",
        summary="\x1b[31mred\x1b[0m summary [link=x]click[/link]",
        body="## Heading\n\n* item **bold** <b>html</b> [text](http://example.com) `code`\n")])
    hit = idx.search("test")[0]
    assert hit.title == "[bold]标题[/bold]" and "[red]" in hit.title_en
    assert "\x1b" not in hit.snippet.text
    assert plain_text("## Heading\n\n* item **bold** <b>html</b> [text](http://x) `code`") == \
        "Heading item bold html text code"


def test_huge_article_is_indexed_and_searchable() -> None:
    body = ("普通内容 filler text. " * 20_000) + "独特词语 uniqueword"
    idx = KnowledgeIndex.build([article("HUGE", title="大文章", title_en="Huge", body=body),
                                article("SMALL", title="小文章", title_en="Small", body="内容")])
    assert ids(idx.search("filler", limit=5)) == ["HUGE"]
    hit = idx.search("filler")[0]
    assert len(hit.snippet.text) < 200


# ---------------------------------------------------------------- categories, recent
def test_category_tree(index: KnowledgeIndex, demo: list[dict]) -> None:
    roots = index.categories()
    assert roots and all(isinstance(n, CategoryNode) for n in roots)
    assert [n.name for n in roots] == sorted(n.name for n in roots)
    assert sum(n.total for n in roots) == sum(1 for a in demo if a["category"])

    def walk(node: CategoryNode) -> None:
        assert node.total == len(node.article_ids) + sum(c.total for c in node.children)
        for child in node.children:
            assert child.path[:-1] == node.path
            walk(child)

    for root in roots:
        walk(root)
    card = next(a for a in demo if a["id"] == "KB-CARD-006")
    node = next(n for n in roots if n.name == card["category"][0])
    for part in card["category"][1:]:
        node = next(c for c in node.children if c.name == part)
    assert "KB-CARD-006" in node.article_ids


def test_recently_updated(demo: list[dict]) -> None:
    idx = KnowledgeIndex.build(demo)
    idx.upsert({**demo[5], "updated_at": "2030-01-02T03:04:05Z"})
    idx.upsert({**demo[6], "updated_at": "2030-01-01T00:00:00+08:00"})
    recent = idx.recently_updated("2029-12-31T00:00:00+00:00")
    assert [a["id"] for a in recent] == [demo[5]["id"], demo[6]["id"]]
    assert [a["id"] for a in idx.recently_updated(datetime(2029, 12, 31))] == [demo[5]["id"], demo[6]["id"]]
    assert idx.recently_updated(datetime(2031, 1, 1, tzinfo=timezone.utc)) == []
    assert len(idx.recently_updated(None, limit=10)) == 10
    assert len(idx.recently_updated("not a date", limit=500)) == len(demo)


# ---------------------------------------------------------------- analysis
def test_fold_keeps_offsets() -> None:
    for text in ("ＡＢＣ　ｄｅｆ", "İstanbul", "Straße", "信用卡 CARD"):
        assert len(fold(text)) == len(text)
    assert fold("ＡＴＭ") == "atm"
    assert fold("转帐 帐户") == "转账 账户"


def test_phrase_synonyms_fold_variants() -> None:
    variants = ["top up", "top-up", "topup", "topped up", "topping up", "add money"]
    assert {tuple(ANALYZER.terms(v)) for v in variants} == {("topup",)}
    assert ANALYZER.terms("the card is not working") == ["card", "broken"]
    for canonical in SYNONYMS:
        assert canonical.isascii() and canonical.isalpha() and canonical == canonical.lower()


# ---------------------------------------------------------------- threads, layering
def test_concurrent_search_and_updates(demo: list[dict]) -> None:
    idx = KnowledgeIndex.build(demo)
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                idx.search("card 密码")
                idx.suggest(["my card was declined"])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for t in readers:
        t.start()
    try:
        for round_ in range(20):
            idx.upsert(article(f"T-{round_}", title="线程测试", title_en=f"Thread test {round_}", body="card"))
            if round_ % 2:
                idx.remove(f"T-{round_ - 1}")
    finally:
        stop.set()
        for t in readers:
            t.join(10)
    assert not errors
    assert len(idx) == len(demo) + 10


def test_search_package_does_not_import_textual() -> None:
    code = "import sys, json, csdesk.search; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    loaded = set(json.loads(out.stdout))
    bad = sorted(m for m in loaded for f in ("textual", "httpx", "fastapi", "sqlalchemy", "csdesk.server",
                                             "csdesk.screens", "csdesk.widgets")
                 if m == f or m.startswith(f + "."))
    assert not bad
