"""The desk's knowledge service (issue #5): the index follows the local store,
queries run off the event loop, favourites, "recently updated since the agent
last looked", the texts sent into a chat; and the issue's import check (the
operations guide imported and indexed: 身份核实 → 2.1, 工单 → 3.2, 密码 → 1.3).

No backend here: documents are written into a real local store the way sync
writes them (``LocalStore.apply_changes``). No timing asserts.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from csdesk.search import KnowledgeIndex
from csdesk.services.knowledge import (
    FAVOURITES,
    KNOWLEDGE,
    LAST_LOOKED_META,
    KnowledgeService,
    article_for_index,
    knowledge_service,
    link_line,
    summary_text,
)
from csdesk.store.local import LocalStore
from tests.test_layers import loaded_after_import

BACKEND = "http://127.0.0.1:8765"
AGENT = "A1001"


def doc(article_id: str, title: str, *, version: int = 1, updated: str = "2025-03-01T00:00:00+00:00",
        **fields: Any) -> dict[str, Any]:
    """A synced article document (KnowledgeArticleDoc's JSON)."""
    base: dict[str, Any] = {
        "id": article_id, "title": title, "title_en": "", "body": f"{title}的办理说明。",
        "category": ["测试"], "tags": [], "questions": [], "intents": [], "summary": "",
        "version": version, "updated_at": updated, "status": "published",
    }
    base.update(fields)
    return base


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    s = LocalStore.open(tmp_path / "data", BACKEND, AGENT)
    try:
        yield s
    finally:
        s.close()


def put(store: LocalStore, *docs: dict[str, Any], deleted: tuple[str, ...] = ()) -> None:
    store.apply_changes(KNOWLEDGE, {d["id"]: d for d in docs}, list(deleted))


def top(hits) -> list[str]:
    return [h.article_id for h in hits]


# ---------------------------------------------------------------- following the store


async def test_index_follows_upserts_and_deletes(store: LocalStore) -> None:
    put(store,
        doc("KB-T-1", "信用卡挂失", title_en="Report a lost credit card", questions=["I lost my card"]),
        doc("KB-T-2", "跨行转账手续费", title_en="Transfer fees"),
        doc("KB-T-3", "外币兑换", title_en="Currency exchange"))
    service = KnowledgeService(store)
    first = await service.load()
    assert first.built and first.total == 3 and set(first.upserted) == {"KB-T-1", "KB-T-2", "KB-T-3"}
    assert top(await service.search("挂失"))[:1] == ["KB-T-1"]
    assert top(await service.search("exchange")) == ["KB-T-3"]

    # Nothing changed: nothing re-indexed.
    again = await service.load()
    assert not again.built and not again.changed and again.total == 3

    # A new version of one article, a new article, a deletion (a retired article).
    put(store,
        doc("KB-T-2", "跨行转账限额", title_en="Transfer limits", version=2, updated="2025-04-01T00:00:00+00:00"),
        doc("KB-T-4", "重置密码", title_en="Resetting a password"),
        deleted=("KB-T-3",))
    change = await service.load()
    assert set(change.upserted) == {"KB-T-2", "KB-T-4"} and change.removed == ("KB-T-3",)
    assert change.total == 3
    assert await service.search("exchange") == []
    assert top(await service.search("限额"))[:1] == ["KB-T-2"]
    assert await service.search("手续费") == []
    assert top(await service.search("password"))[:1] == ["KB-T-4"]
    assert (await service.article("KB-T-2"))["version"] == 2
    assert await service.article("KB-T-3") is None


async def test_invalid_or_unpublished_documents_stay_out(store: LocalStore) -> None:
    put(store, doc("KB-T-1", "挂失"), doc("KB-T-2", "转账"))
    store.upsert(KNOWLEDGE, "KB-BAD", {"id": "KB-BAD", "title": ""})  # a broken backend
    service = KnowledgeService(store)
    change = await service.load()
    assert change.total == 2 and change.skipped == 1
    # An article that turns invalid or unpublished leaves the index.
    put(store, doc("KB-T-1", "挂失", version=2, status="retired"))
    change = await service.load()
    assert change.removed == ("KB-T-1",) and change.total == 1
    assert article_for_index({"id": "x"}) is None


async def test_search_and_suggest_run_off_the_event_loop(store: LocalStore, monkeypatch) -> None:
    put(store, doc("KB-T-1", "银行卡挂失", title_en="Lost card", questions=["I lost my card"]))
    service = KnowledgeService(store)
    await service.load()
    loop_thread = threading.get_ident()
    seen: list[int] = []
    real_search, real_suggest = KnowledgeIndex.search, KnowledgeIndex.suggest

    def search(self, *args, **kwargs):
        seen.append(threading.get_ident())
        return real_search(self, *args, **kwargs)

    def suggest(self, *args, **kwargs):
        seen.append(threading.get_ident())
        return real_suggest(self, *args, **kwargs)

    monkeypatch.setattr(KnowledgeIndex, "search", search)
    monkeypatch.setattr(KnowledgeIndex, "suggest", suggest)
    assert top(await service.search("lost card")) == ["KB-T-1"]
    assert top(await service.suggest(["hello", "I lost my card"])) == ["KB-T-1"]
    assert len(seen) == 2 and loop_thread not in seen


async def test_first_query_builds_the_index_and_concurrent_loads_are_one(store: LocalStore) -> None:
    put(store, doc("KB-T-1", "银行卡挂失"))
    service = KnowledgeService(store)
    assert not service.ready
    results = await asyncio.gather(service.search("挂失"), service.load(), service.load())
    assert top(results[0]) == ["KB-T-1"]
    assert sum(change.built for change in results[1:]) <= 1 and service.ready and service.count == 1


async def test_bad_queries_never_raise(store: LocalStore) -> None:
    put(store, doc("KB-T-1", "银行卡挂失", title_en="Lost [bold]card[/bold]"))
    service = KnowledgeService(store)
    for query in ("", "   ", "[bold red]x[/]", "(.*)+\\", "\x1b[31m挂失", "挂" * 2000, "a b " * 1000):
        await service.search(query)
    assert top(await service.search("[bold]card")) == ["KB-T-1"]


# ---------------------------------------------------------------- favourites


async def test_favourites_toggle_persist_and_follow_the_index(tmp_path: Path) -> None:
    store = LocalStore.open(tmp_path / "data", BACKEND, AGENT)
    ticks = iter(range(1_700_000_000, 1_700_001_000, 10))
    service = KnowledgeService(store, clock=lambda: float(next(ticks)))
    put(store, doc("KB-T-1", "挂失"), doc("KB-T-2", "转账"), doc("KB-T-3", "理财"))
    assert await service.toggle_favourite("KB-T-1") is True
    assert await service.toggle_favourite("KB-T-3") is True
    assert await service.is_favourite("KB-T-1") and not await service.is_favourite("KB-T-2")
    assert await service.favourite_ids() == ["KB-T-3", "KB-T-1"]  # most recently added first
    assert await service.toggle_favourite("KB-T-1") is False
    await service.set_favourite("KB-T-2", True)
    await service.set_favourite("KB-T-2", True)  # twice: still once, the first time kept
    assert await service.favourite_ids() == ["KB-T-2", "KB-T-3"]
    with pytest.raises(ValueError):
        await service.set_favourite("", True)
    # A retired article stays a favourite but is not listed.
    put(store, deleted=("KB-T-3",))
    await service.load()
    assert [a["id"] for a in await service.favourites()] == ["KB-T-2"]
    store.close()
    # Kept in the agent's store (a local collection).
    again = LocalStore.open(tmp_path / "data", BACKEND, AGENT)
    try:
        assert set(again.all(FAVOURITES)) == {"KB-T-2", "KB-T-3"}
    finally:
        again.close()


# ---------------------------------------------------------------- recently updated


async def test_recently_updated_since_the_agent_last_looked(store: LocalStore) -> None:
    put(store, doc("KB-T-1", "挂失", updated="2025-01-01T00:00:00+00:00"),
        doc("KB-T-2", "转账", updated="2025-02-01T00:00:00Z"))
    service = KnowledgeService(store)
    first = await service.recently_updated()
    assert first.since is None and [a["id"] for a in first.articles] == ["KB-T-2", "KB-T-1"]
    assert first.newest and first.newest.startswith("2025-02-01")
    assert (await service.mark_looked()).startswith("2025-02-01")
    assert store.get_meta(LAST_LOOKED_META).startswith("2025-02-01")
    assert (await service.recently_updated()).articles == []
    # An update (server time later than the mark) shows; the mark never moves back.
    put(store, doc("KB-T-1", "挂失与补办", version=2, updated="2025-03-05T08:00:00+00:00"))
    await service.load()
    fresh = await service.recently_updated()
    assert [a["id"] for a in fresh.articles] == ["KB-T-1"] and fresh.since.startswith("2025-02-01")
    assert (await service.mark_looked("2024-12-31T00:00:00+00:00")).startswith("2025-02-01")
    assert [a["id"] for a in (await service.recently_updated(since=None)).articles] == ["KB-T-1", "KB-T-2"]
    # A screen keeps the mark it opened with after marking.
    await service.mark_looked()
    assert (await service.recently_updated()).articles == []
    kept = await service.recently_updated(since=fresh.since)
    assert [a["id"] for a in kept.articles] == ["KB-T-1"]
    # A junk mark in the store counts as never looked.
    store.set_meta(LAST_LOOKED_META, "not a time")
    assert await service.last_looked() is None


# ---------------------------------------------------------------- texts for the chat


def test_summary_and_link_line() -> None:
    article = doc("KB-CARD-006", "银行卡挂失与补办", title_en="Lost card", summary="先挂失\x1b[31m，再补办。")
    assert summary_text(article) == "先挂失，再补办。"
    assert link_line(article) == "[KB-CARD-006] 银行卡挂失与补办 / Lost card"
    no_summary = doc("KB-X", "标题\n二行", body="## 步骤\n\n1. **带上**身份证\n2. 到网点\n" + "很长" * 400)
    text = summary_text(no_summary)
    assert text.startswith("步骤 带上身份证") and "#" not in text and "**" not in text
    assert len(text) <= 300 and text.endswith("…")
    assert link_line(no_summary) == "[KB-X] 标题 二行"
    assert summary_text(doc("KB-E", "空", body="")) == ""


# ---------------------------------------------------------------- wiring and layers


async def test_one_service_per_open_store(store: LocalStore) -> None:
    calls: list[str] = []

    async def io(fn, *args):
        calls.append(getattr(fn, "__name__", "fn"))
        return await asyncio.to_thread(fn, *args)

    session = SimpleNamespace(store=store, sync=SimpleNamespace(io=io))
    service = knowledge_service(session)
    assert knowledge_service(session) is service
    put(store, doc("KB-T-1", "挂失"))
    await service.load()
    assert calls  # store reads went through the sync service's io
    with pytest.raises(RuntimeError):
        knowledge_service(SimpleNamespace(store=None, sync=None))


def test_the_service_loads_no_textual_and_no_index_until_used() -> None:
    loaded = loaded_after_import(["csdesk.services.knowledge"])
    assert not [m for m in loaded if m == "textual" or m.startswith("textual.")]
    assert "csdesk.search" not in loaded and "rjieba" not in loaded


# ---------------------------------------------------------------- the import check


def test_imported_operations_guide_is_found_by_its_words() -> None:
    """``csdesk kb import`` of the operations guide, indexed: 身份核实 finds 2.1,
    工单 3.2, 密码 1.3 as the top result. Among the 94 demo articles as well,
    each is the guide's first article in the results and in the top 10 (密码
    also names the card PIN articles, which rightly come first there)."""
    from csdesk.kb_import import article_id, read_document
    from csdesk.search import load_articles
    from tests.shared_seeds import operations_guide

    guide = operations_guide()
    articles = [
        doc(article_id(guide.name, s.key), s.title, body=s.body, summary=s.summary, category=list(s.category))
        for s in read_document(guide).sections
    ]
    assert all(article_for_index(a) is not None for a in articles)  # valid synced documents
    guide_ids = {a["id"] for a in articles}
    alone, mixed = KnowledgeIndex.build(articles), KnowledgeIndex.build(articles + load_articles())
    for query, section in (("身份核实", "2.1"), ("工单", "3.2"), ("密码", "1.3")):
        hits = alone.search(query)
        assert hits and hits[0].title.startswith(section + " "), (query, [h.title for h in hits[:3]])
        hits = mixed.search(query, limit=10)
        first = next(h for h in hits if h.article_id in guide_ids)
        assert first.title.startswith(section + " "), (query, [h.title for h in hits])
