"""The knowledge screen (F3), the article viewer and the desk's suggestions,
driven with Pilot against the real backend (issue #5, guide §2.2/§3.1).

The backend fixture seeds the demo articles; the desk syncs them into the
local store at sign-in. Search as you type (Chinese, English, mixed, a
typo) with highlighted matches; open an article, favourite it, browse the
categories; during a chat the customer's "I lost my card" suggests the
card-loss article, which opens with F3 and whose summary and link line go
into the composer and out with Enter; hostile queries; offline search from
the local store; sync updates and "recently updated"; the wide layout and
an article with raw HTML and escape codes. No timing asserts.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import App
from textual.screen import Screen
from textual.widgets import Input, Markdown, OptionList, Tree

from csdesk.screens.kb_article import ArticleScreen
from csdesk.screens.knowledge import KnowledgeScreen
from csdesk.search import load_articles
from csdesk.server.contacts import customer_says
from csdesk.server.knowledge import KnowledgeStatus, article_fields, set_status, update_article
from csdesk.server.seed import DEMO_AGENTS
from csdesk.services.knowledge import KnowledgeService, knowledge_service, link_line
from csdesk.services.sync import KNOWLEDGE_COLLECTION
from csdesk.store.local import LocalStore
from tests.tui.helpers import make_app, sign_in_to_desk, wait_for
from tests.tui.test_desk_live import live, take_contact

AGENT = DEMO_AGENTS[0]
CARD_LOSS = "KB-CARD-006"  # 银行卡挂失与补办 · Reporting a lost or stolen card …


def screen_plain(app) -> str:
    """What the terminal shows now, as text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def name(app) -> str:
    return app.screen.__class__.__name__


def desk_of(app) -> Any:
    return next(s for s in app.screen_stack if s.__class__.__name__ == "DeskScreen")


async def open_kb(pilot, key: str = "f3") -> Any:
    app = pilot.app
    await pilot.press(key)
    await wait_for(pilot, lambda: name(app) == "KnowledgeScreen" and app.screen.ready)
    return app.screen


async def type_query(pilot, text: str, *, keys: bool = True) -> list[str]:
    """Replace the search box's text (typed key by key, or set at once) and
    wait for the search to settle; the article ids listed."""
    screen = pilot.app.screen
    box = screen.query_one("#kb-query", Input)
    box.focus()
    if keys:
        box.value = ""
        await pilot.press(*text)
    else:
        box.value = text
    await wait_for(pilot, lambda: screen.query_text == text and screen.results_for == text)
    await pilot.pause()
    return list(screen.shown_ids)


def marked(prompt: Text) -> list[str]:
    """The stretches of a row that carry the match style (underlined)."""
    return [prompt.plain[span.start:span.end] for span in prompt.spans if "underline" in str(span.style)]


def row(screen, index: int = 0) -> Text:
    return screen.query_one("#kb-list", OptionList).get_option_at_index(index).prompt


async def test_search_as_you_type_open_favourite_and_browse(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        screen = await open_kb(pilot)
        assert screen.view == "results" and isinstance(app.focused, Input)
        # Chinese, typed key by key: the card-loss article, 挂失 marked in its title.
        assert CARD_LOSS in (await type_query(pilot, "挂失"))[:3]
        first = row(screen, screen.shown_ids.index(CARD_LOSS))
        assert "挂失" in marked(first)
        # English, mixed, a typo.
        assert CARD_LOSS in (await type_query(pilot, "lost card"))[:3]
        assert any(m.lower() in ("lost", "card") for m in marked(row(screen, screen.shown_ids.index(CARD_LOSS))))
        assert CARD_LOSS in (await type_query(pilot, "挂失 card"))[:3]
        assert CARD_LOSS in (await type_query(pilot, "lsot card"))[:3]
        assert screen.query_one("#kb-list", OptionList).highlighted == 0  # each new answer: from the top
        assert screen.hits[0].title and "articles" in screen_plain(app)
        # Hostile queries: markup, regex characters, 2,000 characters. Nothing breaks.
        hostile = "[bold red]x[/] (.*)+\\ $^ [link=http://evil]y[/link] \x1b[31m"
        await type_query(pilot, hostile, keys=False)
        await type_query(pilot, ("挂失 lost card " * 200)[:2000], keys=False)
        assert name(app) == "KnowledgeScreen"
        assert CARD_LOSS in (await type_query(pilot, "挂失"))[:3]
        # Enter in the box opens the highlighted article; without a contact nothing is sent.
        screen.query_one("#kb-list", OptionList).highlighted = screen.shown_ids.index(CARD_LOSS)
        await pilot.press("enter")
        await wait_for(pilot, lambda: name(app) == "ArticleScreen" and app.screen.article is not None)
        article = app.screen
        assert article.article_id == CARD_LOSS
        await wait_for(pilot, lambda: "适用情形" in screen_plain(app))
        assert "银行卡挂失与补办" in screen_plain(app) and "No contact in hand" in screen_plain(app)
        await pilot.press("s")
        await pilot.pause(0.2)
        assert name(app) == "ArticleScreen"  # no contact: the send keys do nothing
        await pilot.press("f")
        await wait_for(pilot, lambda: article.favourite)
        assert "★" in screen_plain(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: name(app) == "KnowledgeScreen")
        # The favourites view lists it; ctrl+b on the list removes it again.
        await pilot.press("alt+a")
        await wait_for(pilot, lambda: screen.view == "favourites" and screen.shown_ids == [CARD_LOSS])
        assert "★" in row(screen).plain
        await pilot.press("ctrl+b")
        service = knowledge_service(app.get_session())
        await wait_for(pilot, lambda: CARD_LOSS not in screen._favourites)
        assert await service.favourite_ids() == []
        # Categories: the tree, and the articles of the highlighted category below it.
        await pilot.press("alt+c")
        tree = screen.query_one("#kb-tree", Tree)
        await wait_for(pilot, lambda: screen.view == "categories" and tree.has_focus and screen.shown_ids)
        category = tree.cursor_node.data
        listed = await service.articles(screen.shown_ids)
        assert all(tuple(a["category"][: len(category.path)]) == category.path for a in listed)
        assert len(listed) == category.total
        before = list(screen.shown_ids)
        await pilot.press("down")
        await wait_for(pilot, lambda: screen.shown_ids and screen.shown_ids != before)
        screen.query_one("#kb-list", OptionList).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: name(app) == "ArticleScreen" and app.screen.article is not None)
        assert app.screen.article_id == screen.shown_ids[0]
        await pilot.press("escape")
        await wait_for(pilot, lambda: name(app) == "KnowledgeScreen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: name(app) == "DeskScreen")


async def test_suggestions_during_a_chat_open_with_f3_and_go_into_the_chat(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        desk = desk_of(app)
        service = app.get_session().contact
        await take_contact(pilot, backend, words="I lost my card")
        await wait_for(pilot, lambda: desk.kb_suggestions)
        assert [h.article_id for h in desk.kb_suggestions][0] == CARD_LOSS
        bar = live(app).suggestions
        assert bar.display and bar.hits[0].article_id == CARD_LOSS
        shown = screen_plain(app)
        assert "Articles (F3): 1 银行卡挂失" in shown and "Enter send" in shown  # fits 80×24 with the composer
        panels = live(app)  # the desk's, also while another screen is on top
        await wait_for(pilot, lambda: AGENT["employee_id"] in panels.composer.text)
        await pilot.press("enter")  # the greeting goes first
        await wait_for(pilot, lambda: any(line.speaker == "agent" for line in service.contact.transcript))
        # The customer speaks again: the suggestions follow the latest lines.
        customer_says(backend.context, service.contact.id, "and how do I transfer money to another bank?")
        await wait_for(pilot, lambda: any(h.article_id.startswith("KB-XFER") for h in desk.kb_suggestions))
        assert len(desk.kb_suggestions) <= 3
        customer_says(backend.context, service.contact.id, "sorry, the card: I lost my card, please block it")
        await wait_for(pilot, lambda: desk.kb_suggestions and desk.kb_suggestions[0].article_id == CARD_LOSS)
        # F3 opens the knowledge screen on the suggestions; Enter opens the first.
        screen = await open_kb(pilot)
        assert screen.view == "suggested" and screen.shown_ids[0] == CARD_LOSS
        await wait_for(pilot, lambda: isinstance(app.focused, Input))
        await pilot.press("enter")
        await wait_for(pilot, lambda: name(app) == "ArticleScreen" and app.screen.article is not None)
        summary = app.screen.article["summary"]
        assert summary and "s Summary to chat" in screen_plain(app)
        # s: the summary goes into the composer (not sent yet).
        composer = panels.composer
        await pilot.press("s")
        await wait_for(pilot, lambda: name(app) == "DeskScreen" and summary in composer.text)
        assert composer.text == summary and composer.input.has_focus
        await pilot.press("enter")  # the agent sends it: the normal send path
        await wait_for(pilot, lambda: any(
            line.speaker == "agent" and summary in line.text for line in service.contact.transcript))
        await wait_for(pilot, lambda: summary in panels.transcript.plain_text)
        assert panels.checklist.result.state("handle").value == "done"
        # l: the link line, after what the agent had begun to type.
        await pilot.press(*"See:")
        await open_kb(pilot, "alt+i")
        await pilot.press("enter")
        await wait_for(pilot, lambda: name(app) == "ArticleScreen" and app.screen.article is not None)
        line = link_line(app.screen.article)
        await pilot.press("l")
        await wait_for(pilot, lambda: name(app) == "DeskScreen" and composer.text == f"See:\n{line}")
        assert line.startswith(f"[{CARD_LOSS}] 银行卡挂失与补办 / ")
        # The contact ends: the suggestions go with it.
        await pilot.press("alt+e")
        await wait_for(pilot, lambda: name(app) == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: name(app) == "WrapUpScreen")
        await wait_for(pilot, lambda: not desk._kb_can_send())


async def test_search_works_offline_from_the_local_store(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        session = app.get_session()
        assert len(await session.sync.io(session.store.all, KNOWLEDGE_COLLECTION)) >= 60
        await asyncio.to_thread(backend.stop)
        await open_kb(pilot)
        assert "KB-XFER" in "".join((await type_query(pilot, "转账"))[:3])
        assert CARD_LOSS in (await type_query(pilot, "lost card"))[:3]
        await pilot.press("escape")
        await wait_for(pilot, lambda: name(app) == "DeskScreen")


async def test_sync_updates_the_index_and_recently_updated(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        session = app.get_session()
        service = knowledge_service(session)
        await wait_for(pilot, lambda: service.ready)
        # First visit of "recent": everything counts; looking moves the mark.
        screen = await open_kb(pilot)
        await pilot.press("alt+r")
        await wait_for(pilot, lambda: screen.view == "recent" and len(screen.shown_ids) >= 50)
        await wait_for(pilot, lambda: screen._recent_marked)
        await pilot.press("escape")
        await wait_for(pilot, lambda: name(app) == "DeskScreen")
        for _ in range(200):  # the mark is written by a worker
            if await service.last_looked():
                break
            await pilot.pause(0.05)
        assert await service.last_looked()
        # The backend changes one article and retires another; sync pulls.
        with backend.context.db.write() as db:
            update_article(db, CARD_LOSS, article_fields(
                title="银行卡挂失与补办（新版）", title_en="Lost card (new rules)",
                body="## 新规\n\n挂失后 3 日内补办。", category=["银行卡", "挂失与补卡"],
                summary="挂失后 3 日内补办。"))
            set_status(db, "KB-FX-001", KnowledgeStatus.RETIRED)
        await session.sync.pull(KNOWLEDGE_COLLECTION)
        await wait_for(pilot, lambda: any("updated" in n for n in app.notices))
        article = await service.article(CARD_LOSS)
        assert article["version"] == 2 and article["title"].endswith("（新版）")
        assert await service.article("KB-FX-001") is None
        # Recently updated: only what changed since the agent last looked.
        screen = await open_kb(pilot)
        await pilot.press("alt+r")
        await wait_for(pilot, lambda: screen.view == "recent" and screen.shown_ids == [CARD_LOSS])
        assert "updated since you last looked" in screen_plain(app)
        ids = await type_query(pilot, "新规 3 日内补办")
        assert ids[:1] == [CARD_LOSS]
        assert "KB-FX-001" not in await type_query(pilot, "汇率")


async def test_wide_layout_and_untrusted_article_text(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        session = app.get_session()
        service = knowledge_service(session)
        await wait_for(pilot, lambda: service.ready)
        # An article as a broken or hostile backend could send it (the real one cleans bodies).
        evil = {
            "id": "KB-EVIL-001", "title": "恶意[bold red]标题[/] \x1b[31m", "title_en": "Evil [link=x]y[/link]",
            "body": "## 标题\n\n<b>粗体</b> <script>alert(1)</script> \x1b]8;;http://evil\x07点我\x1b]8;;\x07 "
                    "[官网](javascript:alert(1))\n\n\x1b[2J清屏",
            "category": ["测试[b]", "子类"], "tags": [], "questions": [], "intents": [], "summary": "摘要",
            "version": 1, "updated_at": "2030-01-01T00:00:00+00:00", "status": "published",
        }
        await session.sync.io(session.store.upsert, KNOWLEDGE_COLLECTION, "KB-EVIL-001", evil)
        session.on_collection_changed(KNOWLEDGE_COLLECTION)
        await wait_for(pilot, lambda: "KB-EVIL-001" in service._seen)
        screen = await open_kb(pilot)
        assert screen.has_class("-wide")
        assert (await type_query(pilot, "恶意"))[:1] == ["KB-EVIL-001"]
        assert "恶意[bold red]标题[/]" in row(screen).plain and "\x1b" not in row(screen).plain
        await pilot.press("enter")
        await wait_for(pilot, lambda: name(app) == "ArticleScreen" and app.screen.article is not None)
        await wait_for(pilot, lambda: "粗体" in screen_plain(app))
        shown = screen_plain(app)
        assert "<b>粗体</b>" in shown and "<script>alert(1)</script>" in shown  # shown as text
        assert "恶意[bold red]标题[/]" in shown and "测试[b] / 子类" in shown
        assert "\x1b" not in shown and "清屏" in shown
        source = app.screen.query_one(Markdown).source
        assert "\x1b" not in source and "\x07" not in source
        await pilot.press("escape")
        # Wide: the category tree stands beside the list.
        await pilot.press("alt+c")
        tree, listing = screen.query_one("#kb-tree", Tree), screen.query_one("#kb-list", OptionList)
        await wait_for(pilot, lambda: screen.view == "categories" and screen.shown_ids)
        assert tree.region.right <= listing.region.x and tree.region.y == listing.region.y


# -- the screen alone, over a local store (no backend) ------------------------------------


class Gated(KnowledgeService):
    """A service whose search for ``slow`` waits until ``gate`` opens."""

    def __init__(self, store: LocalStore, slow: str) -> None:
        super().__init__(store)
        self.slow = slow
        self.gate = asyncio.Event()
        self.asked: list[str] = []

    async def search(self, query: str, limit: int = 30):
        self.asked.append(query)
        if query == self.slow:
            await self.gate.wait()
        return await super().search(query, limit)


class Host(App[None]):
    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self._first = screen

    def on_mount(self) -> None:
        self.push_screen(self._first)


async def test_stale_answers_are_dropped_and_enter_opens_the_newest(tmp_path: Path) -> None:
    store = LocalStore.open(tmp_path / "data", "http://127.0.0.1:9", "A1001")
    try:
        store.apply_changes(KNOWLEDGE_COLLECTION, {a["id"]: a for a in load_articles()})
        service = Gated(store, slow="挂")
        screen = KnowledgeScreen(service)
        async with Host(screen).run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: screen.ready)
            box = screen.query_one("#kb-query", Input)
            box.value = "挂"
            await wait_for(pilot, lambda: "挂" in service.asked)  # its search is under way, held
            box.value = "转账"
            await wait_for(pilot, lambda: screen.results_for == "转账")
            service.gate.set()  # the old answer arrives late: dropped
            await pilot.pause(0.2)
            assert screen.results_for == "转账" and screen.hits[0].article_id.startswith("KB-XFER")
            # Enter right after typing (before the search ran) opens that query's first result.
            box.value = "lost card"
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(pilot.app.screen, ArticleScreen))
            assert pilot.app.screen.article_id == CARD_LOSS
    finally:
        store.close()
