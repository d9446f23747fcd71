"""One knowledge article in a Markdown viewer (F3 → Enter; issue #5, guide §2.2/§3.1).

Header: the Chinese and English titles, the category path, the version and
the date of the last change, and a star when it is one of the agent's
favourites; below it the body as Markdown, scrollable. Esc goes back;
f (or ctrl+b) marks / unmarks it as a favourite.

With a contact in hand, s puts the article's summary and l a link line
(``[KB-CARD-006] 银行卡挂失与补办 / Lost card``) into the desk's composer: the
screen is dismissed with an :class:`ArticleInsert` and the desk puts its
text into the composer, where the agent reads it (and may adapt it to the
customer) and sends it with Enter. So it travels the desk's normal send
path: the transcript and the procedure checklist record it, a failed send
is given back, sends stay in order, and nothing reaches a customer that the
agent has not seen.

Untrusted text (titles, categories, body): the header is built as
``rich.text.Text``; the body is cleaned of control characters and escape
sequences and parsed with raw HTML off (HTML shows as text, never as
markup); links are not followed from the desk; a very long body is shown
up to :data:`DISPLAY_MAX_CHARS` characters with a line saying so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Markdown, Static

from csdesk.domain.text import clean_text
from csdesk.i18n import t
from csdesk.themes import status_style
from csdesk.widgets.bindings import key_hint, translate_bindings
from csdesk.widgets.footer import Footer
from csdesk.widgets.kb_text import article_titles, category_text

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

    from csdesk.services.knowledge import KnowledgeService

_log = logging.getLogger(__name__)

#: Most characters of a body rendered (BODY_MAX is 200,000; a chapter of a
#: manual fits; past this the viewer says how much is not shown).
DISPLAY_MAX_CHARS = 60_000


@dataclass(frozen=True)
class ArticleInsert:
    """Text for the desk's composer, chosen on an article.

    ``kind``: ``"summary"`` or ``"link"``; ``text``: what goes into the
    composer (cleaned, one message); ``article_id``: the article it came from.
    """

    kind: Literal["summary", "link"]
    text: str
    article_id: str


def safe_markdown_parser() -> MarkdownIt:
    """A Markdown parser for untrusted bodies: GitHub-like, with raw HTML off
    (``<b>x</b>`` is shown as those characters, not interpreted)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("gfm-like", options_update={"html": False})


def body_for_display(body: str, limit: int = DISPLAY_MAX_CHARS) -> tuple[str, int]:
    """``(body cleaned and cut to limit characters, characters not shown)``.

    Control characters and terminal escape sequences are removed; a cut is
    made at the last line break before the limit when there is one.
    """
    cleaned = clean_text(body or "")
    if len(cleaned) <= limit:
        return cleaned, 0
    cut = cleaned[:limit]
    newline = cut.rfind("\n", limit // 2)
    if newline > 0:
        cut = cut[:newline]
    return cut, len(cleaned) - len(cut)


def article_header(article: dict[str, Any], *, favourite: bool, star_style: str = "bold") -> Text:
    """The header lines of an article as plain text: titles, category, version and date."""
    header = article_titles(article, favourite=favourite, star_style=star_style, separator="\n")
    category = category_text(article.get("category") or ())
    meta = t("kbart.meta", id=clean_text(str(article.get("id") or ""), keep_newlines=False),
             version=article.get("version") or "?", date=str(article.get("updated_at") or "")[:10])
    header.append("\n" + (f"{category} · " if category else "") + meta, style="dim")
    return header


async def toggle_favourite(screen: Screen[Any], service: KnowledgeService, article_id: str) -> bool | None:
    """Flip ``article_id``'s favourite mark and say so on ``screen`` (a toast):
    True when it is a favourite now, False when no longer, None when the
    change failed (the error is said instead; nothing changed)."""
    try:
        on = await service.toggle_favourite(article_id)
    except Exception as exc:
        from csdesk.screens.errors import describe_error

        screen.notify(describe_error(exc), severity="error", markup=False)
        return None
    screen.notify(t("kb.favourite_added" if on else "kb.favourite_removed"), markup=False)
    return on


class ArticleScreen(Screen["ArticleInsert | None"]):
    """The article ``article_id`` from ``service``; dismisses with an
    :class:`ArticleInsert` (s / l, with a contact in hand) or None (Esc).

    ``can_send()``: True while a contact is in hand whose composer may take
    the text (asked at each key press; the keys are hidden otherwise).
    """

    CSS_PATH = "kb_article.tcss"
    BINDINGS = [
        Binding("escape", "close", "kb_article.close", id="kb_article.close"),
        Binding("f,ctrl+b", "toggle_favourite", "kb_article.favourite", id="kb_article.favourite"),
        Binding("s", "send_summary", "kb_article.summary", id="kb_article.summary"),
        Binding("l", "send_link", "kb_article.link", id="kb_article.link"),
    ]

    def __init__(self, service: KnowledgeService, article_id: str, *,
                 can_send: Callable[[], bool] | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self.service = service
        self.article_id = article_id
        self._can_send = can_send or (lambda: False)
        #: The article shown (None until loaded, or when it is gone).
        self.article: dict[str, Any] | None = None
        self.favourite = False
        #: Characters of the body not shown (over DISPLAY_MAX_CHARS).
        self.cut_chars = 0

    def compose(self) -> ComposeResult:
        yield Static(Text(t("kbart.loading")), id="art-header")
        with VerticalScroll(id="art-scroll"):
            yield Markdown("", id="art-body", parser_factory=safe_markdown_parser, open_links=False)
            yield Static("", id="art-cut")
        yield Static("", id="art-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#art-scroll").focus()
        self.load()

    def retranslate(self) -> None:
        """Relabel in the current language."""
        translate_bindings(self)
        self._show_header()
        self._show_status()
        self.refresh_bindings()

    def knowledge_changed(self) -> None:
        """Sync changed the knowledge base (called by the desk): show the
        article's new version, or say it was withdrawn."""
        self.load(quiet=True)

    def contact_changed(self) -> None:
        """A contact began or ended (called by the desk): the send keys follow."""
        self._show_status()
        self.refresh_bindings()

    # -- loading ------------------------------------------------------------

    @work(group="kb-article", exclusive=True)
    async def load(self, quiet: bool = False) -> None:
        """Read the article and its favourite mark (in threads) and show them."""
        try:
            article = await self.service.article(self.article_id)
            favourite = await self.service.is_favourite(self.article_id)
        except Exception:
            _log.debug("article %s not loaded", self.article_id, exc_info=True)
            return  # the store closed (signing out)
        if article is None:
            if self.article is not None or not quiet:
                self.notify(t("kbart.gone"), severity="warning", markup=False)
            self.article = None
            self.query_one("#art-header", Static).update(Text(t("kbart.gone"), style=status_style(self.app, "warn")))
            self.refresh_bindings()
            return
        same = self.article is not None and self.article.get("version") == article.get("version")
        self.article, self.favourite = article, favourite
        self._show_header()
        self._show_status()
        self.refresh_bindings()
        if same:
            return
        body, self.cut_chars = body_for_display(str(article.get("body") or ""))
        await self.query_one(Markdown).update(body)
        cut = self.query_one("#art-cut", Static)
        cut.update(Text(t("kbart.cut", count=self.cut_chars), style="dim") if self.cut_chars else Text())

    def _show_header(self) -> None:
        if self.article is None:
            return
        header = article_header(self.article, favourite=self.favourite, star_style=status_style(self.app, "warn"))
        self.query_one("#art-header", Static).update(header)

    def _show_status(self) -> None:
        if self.article is None:
            return
        line = Text(no_wrap=True, overflow="ellipsis")
        if self._can_send():
            line.append(t("kbart.send_hint", summary=key_hint(self, "kb_article.summary"),
                          link=key_hint(self, "kb_article.link")), style="dim")
        else:
            line.append(t("kbart.no_contact"), style="dim")
        self.query_one("#art-status", Static).update(line)

    # -- keys -----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The send keys only with an article and a contact in hand; favourite with an article."""
        if action in ("send_summary", "send_link"):
            return self.article is not None and self._can_send()
        if action == "toggle_favourite":
            return self.article is not None
        return True

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Palette entries for the keys that apply now."""
        for action, binding in (("toggle_favourite", "favourite"), ("send_summary", "summary"), ("send_link", "link")):
            if self.check_action(action, ()):
                yield SystemCommand(t(f"key.kb_article.{binding}"),
                                    t("cmd.kb_key", key=key_hint(self, f"kb_article.{binding}")),
                                    getattr(self, f"action_{action}"))

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        """Links in articles are not followed from the desk (untrusted targets)."""
        event.stop()
        target = clean_text(str(event.href), keep_newlines=False, max_chars=120)
        self.notify(t("kbart.link_not_opened", target=target), markup=False)

    def action_close(self) -> None:
        """Esc: back."""
        self.dismiss(None)

    @work(group="kb-favourite")
    async def action_toggle_favourite(self) -> None:
        """f: add to / remove from the favourites."""
        if self.article is None:
            return
        on = await toggle_favourite(self, self.service, self.article_id)
        if on is None:
            return
        self.favourite = on
        self._show_header()

    def action_send_summary(self) -> None:
        """s: the summary into the composer (the desk puts it there)."""
        from csdesk.services.knowledge import summary_text

        if self.article is None or not self._can_send():
            return
        text = summary_text(self.article)
        if not text:
            self.notify(t("kbart.no_summary"), severity="warning", markup=False)
            return
        self.dismiss(ArticleInsert("summary", text, self.article_id))

    def action_send_link(self) -> None:
        """l: the link line into the composer."""
        from csdesk.services.knowledge import link_line

        if self.article is None or not self._can_send():
            return
        self.dismiss(ArticleInsert("link", link_line(self.article), self.article_id))
