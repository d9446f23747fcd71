"""The desk's phrase service (issue #5): the merged book and its fuzzy filter, and
personal phrases through the outbox against a real backend (push, pull, a stale
change re-sent on the stored version, a queued change never overwritten by a pull)."""

from __future__ import annotations

from pathlib import Path

import httpx

from csdesk.domain.phrases import MY_PHRASES, Phrase, PhraseFields, PlaceholderContext
from csdesk.server.phrases import load_team_phrases
from csdesk.services.phrases import PhraseBook, PhraseRejected, PhraseService, expand
from tests.test_sync import signed_in


def team_book(*personal: Phrase) -> PhraseBook:
    team = [
        Phrase(ident, f.code, f.title, f.body, f.category, "team", 1, "")
        for ident, f in load_team_phrases()
    ]
    return PhraseBook(personal, team)


def mine(code: str, title: str, body: str = "内容", category: str = "") -> Phrase:
    return Phrase(f"p-{code}", code, title, body, category, "personal", 1, "")


def codes(book: PhraseBook, query: str) -> list[str]:
    return [m.phrase.code for m in book.search(query)]


def test_filter_finds_chinese_english_typos_and_codes() -> None:
    book = team_book()
    assert codes(book, "")[: len(book)] == [p.code for p in book.phrases]
    assert codes(book, "挂失")[0] == "lost1"
    assert "risk" in codes(book, "风险")[:3] and "riskw" in codes(book, "风险")[:3]
    assert codes(book, "greet")[0] == "greet"  # the exact code first
    assert "hello" in codes(book, "gretting")  # a typo of "greeting" in the English title
    assert codes(book, "xfer")[:2] == ["xfer", "xferen"]  # code, then code prefix
    assert "xferen" in codes(book, "transfer team")  # every word must match
    assert codes(book, "transfer 挂失") == []
    assert "cmp1" in codes(book, "投诉 诉求")
    assert codes(book, "ＧＲＥＥＴ")[0] == "greet"  # full-width letters fold
    match = book.search("问候")[0]
    assert match.phrase.code == "greet" and match.title_spans == ((2, 4),)
    for nasty in ("[bold]", ".*", "(", "\\", "{?", "x" * 2000, "挂" * 2000):
        book.search(nasty)  # no crash, whatever it finds


def test_personal_phrases_come_first_and_win_their_code() -> None:
    own = mine("greet", "我的问候", "{agent_name}为您服务")
    book = team_book(own)
    assert book.phrases[0] == own
    assert book.by_code("GREET") == own
    assert [m.phrase.scope for m in book.search("greet")][:2] == ["personal", "team"]
    assert book.taken_codes() == {"greet": "我的问候"} and book.taken_codes(own.id) == {}
    context = PlaceholderContext(agent_name="张伟")
    assert expand(own, context) == "张伟为您服务"


async def test_personal_phrases_go_through_the_outbox(backend, tmp_path: Path) -> None:
    session = await signed_in(backend.url, tmp_path)
    try:
        await session.initial_sync()
        service = PhraseService(session.sync)
        book = await service.reload()
        assert len(book.team) >= 20 and book.personal == ()
        # a bad phrase is refused here, with the problems
        try:
            await service.save(PhraseFields("greet me", "", "{oops}"))
        except PhraseRejected as exc:
            assert {p.code for p in exc.problems} == {"code-format", "required", "unknown-placeholder"}
        else:
            raise AssertionError("not refused")
        saved = await service.save(PhraseFields("Card9", "卡片提醒", "尾号{?卡号后四位}"))
        assert saved.pending and saved.version == 1 and saved.code == "card9"
        assert service.book.by_code("card9") == saved
        items = session.sync.outbox.items()
        assert [(i.kind, i.method, i.path, i.body["base_version"]) for i in items] == [
            ("phrase.save", "PUT", f"/me/phrases/{saved.id}", 0)
        ]
        assert await session.sync.push_once()
        assert session.sync.outbox.pending_count() == 0
        local = Phrase.from_doc(session.store.get(MY_PHRASES, saved.id), "personal")
        assert local is not None and not local.pending and local.version == 1
        # another desk of the same agent changes it: ours is stale (base 1, stored 2)
        with httpx.Client(base_url=f"{backend.url}/api/v1") as api:
            other = session.api.auth_headers()  # the agent's other desk, as far as the backend can tell
            body = {"code": "card9", "title": "别处改的", "body": "别处", "base_version": 1}
            assert api.put(f"/me/phrases/{saved.id}", json=body, headers=other).status_code == 200
            changed = await service.save(PhraseFields("card9", "这台改的", "尾号{?卡号后四位}"), saved.id)
            assert changed.version == 2 and changed.pending
            # a pull meanwhile does not overwrite the change still queued here
            await session.sync.pull(MY_PHRASES)
            assert service.book.get(saved.id) is not None
            assert Phrase.from_doc(session.store.get(MY_PHRASES, saved.id), "personal").title == "这台改的"
            # the push meets 409, goes again on version 2 and wins
            assert await session.sync.push_once()
            assert await session.sync.push_once()
            assert session.sync.outbox.items() == []
            served = api.get("/me/phrases", headers=other).json()
            assert [(p["title"], p["version"]) for p in served] == [("这台改的", 3)]
            local = Phrase.from_doc(session.store.get(MY_PHRASES, saved.id), "personal")
            assert (local.title, local.version, local.pending) == ("这台改的", 3, False)
            # deleted here: gone locally at once, then on the server
            assert await service.delete(saved.id)
            assert service.book.get(saved.id) is None
            assert await session.sync.push_once()
            assert api.get("/me/phrases", headers=other).json() == []
    finally:
        await session.close()


def test_outbox_rebase_keeps_the_place_and_key(tmp_path: Path) -> None:
    import pytest

    from csdesk.store.local import LocalStore
    from csdesk.store.outbox import Outbox

    with LocalStore.open(tmp_path, "http://127.0.0.1:1", "A1001") as store:
        outbox = Outbox(store)
        first = outbox.enqueue("phrase.save", "PUT", "/me/phrases/p-1", {"code": "a", "base_version": 1}, now=10.0)
        second = outbox.enqueue("phrase.save", "PUT", "/me/phrases/p-2", {"code": "b", "base_version": 0}, now=11.0)
        outbox.mark_retry(first.key, "409", now=12.0)
        rebased = outbox.rebase(first.key, {"code": "a", "base_version": 5}, now=13.0)
        assert (rebased.key, rebased.seq, rebased.attempts, rebased.next_attempt_at) == (first.key, first.seq, 0, 13.0)
        assert [i.key for i in Outbox(store).items()] == [first.key, second.key]
        assert Outbox(store).get(first.key).body["base_version"] == 5
        with pytest.raises(KeyError):
            outbox.rebase("nope", {}, now=1.0)
        with pytest.raises(TypeError):
            outbox.rebase(first.key, [], now=1.0)  # type: ignore[arg-type]
