"""The knowledge screen (F3 on the desk; issue #5, operating guide §2.2/§3.1).

A search box over five views of the locally synced knowledge base (so it
works offline):

* **Results** — as-you-type search (Chinese, English, mixed; typos
  tolerated): each change of the box starts a search :data:`DEBOUNCE_SECONDS`
  later in a worker (the index runs in a thread); an answer to an older
  query is dropped. Each row: the Chinese title and the English title, the
  category path, and a snippet, with the matched words highlighted from the
  ``Hit`` spans.
* **Suggested** — what the desk suggests for the customer's latest messages
  (opened here when there are suggestions).
* **Categories** — the category tree; the articles under the highlighted
  category are listed beside it (wide) or below it (80×24).
* **Recently updated** — articles changed since the agent last looked
  (the mark moves when this view is shown; the list stays for this visit).
* **Favourites** — marked with ctrl+b here or f on an article.

Enter opens the highlighted article in :class:`ArticleScreen`; what it
returns for the composer (summary or link line) is this screen's result
too, so the desk receives it. Esc goes back.

Every text from an article or from the agent's query is appended to
``rich.text.Text`` and styled by offsets (``Text.stylize``), never written
as markup; tree labels are ``Text`` too (Textual would parse a ``str`` label).
Layout: stacked at 80×24; the tree beside the list from :data:`WIDE_COLUMNS`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static, Tree
from textual.widgets.option_list import Option

from csdesk.domain.text import clean_text
from csdesk.i18n import t
from csdesk.themes import status_style
from csdesk.widgets.bindings import key_hint, translate_bindings
from csdesk.widgets.footer import Footer
from csdesk.widgets.kb_text import article_titles, category_text

if TYPE_CHECKING:
    from csdesk.screens.kb_article import ArticleInsert
    from csdesk.search import CategoryNode, Hit
    from csdesk.services.knowledge import KnowledgeService

_log = logging.getLogger(__name__)

#: The views, in the order of the view bar.
VIEWS = ("results", "suggested", "categories", "recent", "favourites")
#: Seconds after the last change of the search box before searching.
DEBOUNCE_SECONDS = 0.1
#: From this width (columns) the category tree stands beside the list.
WIDE_COLUMNS = 120
#: Most results listed.
RESULT_LIMIT = 30


def styled(text: str, spans: Iterable[tuple[int, int]], style: str, base: str = "") -> Text:
    """``text`` as plain ``Text`` (style ``base``) with ``style`` over each
    ``(start, end)`` span; spans outside the text are clipped, never raise."""
    out = Text(text, style=base)
    size = len(text)
    for start, end in spans:
        start, end = max(0, int(start)), min(size, int(end))
        if start < end:
            out.stylize(style, start, end)
    return out


def match_style(app: Any) -> str:
    """The style of matched words: the theme's warning style, always underlined
    (so a match shows without colour too)."""
    style = status_style(app, "warn")
    return style if "underline" in style else f"{style} underline"


def hit_prompt(hit: Hit, *, favourite: bool, mark: str, star: str) -> Text:
    """A result row: ★, Chinese title + English title (matches marked), the
    category path, the snippet (matches marked). Three lines."""
    row = Text()
    if favourite:
        row.append("★ ", style=star)
    row.append_text(styled(hit.title, hit.title_spans, mark, "bold"))
    if hit.title_en:
        row.append("  ")
        row.append_text(styled(hit.title_en, hit.title_en_spans, mark, "italic"))
    row.append("\n  ")
    row.append(category_text(hit.category) or "—", style="dim")
    row.append("\n  ")
    row.append_text(styled(hit.snippet.text, hit.snippet.spans, mark))
    return row


def article_prompt(article: dict[str, Any], *, favourite: bool, star: str) -> Text:
    """A row for an article without a query (recent, favourites, a category):
    ★, titles, category and date, summary. Three lines."""
    row = article_titles(article, favourite=favourite, star_style=star, separator="  ")
    row.append("\n  ")
    category = category_text(article.get("category") or ())
    date = str(article.get("updated_at") or "")[:10]
    row.append(" · ".join(part for part in (category, date) if part) or "—", style="dim")
    row.append("\n  ")
    row.append(clean_text(str(article.get("summary") or ""), keep_newlines=False, max_chars=160), style="dim")
    return row


def subtree_ids(node: CategoryNode) -> list[str]:
    """Article ids of ``node`` and every category below it, depth first."""
    ids = list(node.article_ids)
    for child in node.children:
        ids.extend(subtree_ids(child))
    return ids


class KnowledgeScreen(Screen["ArticleInsert | None"]):
    """Search and browse the knowledge base; dismisses with the article
    screen's :class:`ArticleInsert` (text for the composer) or None.

    ``service``: the signed-in agent's :class:`KnowledgeService`;
    ``suggestions``: the desk's current suggestions (hits); ``can_send()``:
    True while a contact is in hand (passed to the article screen);
    ``view``: the view to open on (default: Suggested when there are
    suggestions, else Results). Down (from the desk): :meth:`suggestions_changed`,
    :meth:`knowledge_changed`, :meth:`contact_changed`, :meth:`retranslate`.
    Read: :attr:`view`, :attr:`query_text`, :attr:`hits`, :attr:`results_for`,
    :attr:`shown_ids`, :attr:`ready`.
    """

    CSS_PATH = "knowledge.tcss"
    BINDINGS = [
        Binding("escape", "close", "kb.close", id="kb.close"),
        Binding("ctrl+f", "focus_search", "kb.search", id="kb.search", show=False, priority=True),
        Binding("ctrl+b", "toggle_favourite", "kb.favourite", id="kb.favourite", priority=True),
        Binding("alt+s", "view('results')", "kb.view_results", id="kb.view_results", show=False, priority=True),
        Binding("alt+g", "view('suggested')", "kb.view_suggested", id="kb.view_suggested", show=False,
                priority=True),
        Binding("alt+c", "view('categories')", "kb.view_categories", id="kb.view_categories", show=False,
                priority=True),
        Binding("alt+r", "view('recent')", "kb.view_recent", id="kb.view_recent", show=False, priority=True),
        Binding("alt+a", "view('favourites')", "kb.view_favourites", id="kb.view_favourites", show=False,
                priority=True),
        Binding("down", "to_list", "kb.to_list", id="kb.to_list", show=False),
    ]

    def __init__(
        self,
        service: KnowledgeService,
        *,
        suggestions: Sequence[Hit] = (),
        can_send: Callable[[], bool] | None = None,
        view: str | None = None,
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.service = service
        self._can_send = can_send or (lambda: False)
        self._suggestions: list[Hit] = list(suggestions)
        self.view = view if view in VIEWS else ("suggested" if self._suggestions else "results")
        #: The text of the search box as last changed.
        self.query_text = ""
        #: Results of the latest search that was not dropped (see :attr:`results_for`).
        self.hits: list[Hit] = []
        self._searched = ""      # the query :attr:`hits` answer
        self._seq = 0
        self._debounce: Timer | None = None
        self._open_first = False
        self._favourites: set[str] = set()
        self._recent: list[dict[str, Any]] = []
        self._recent_since: str | None = "mark"
        self._recent_marked = False
        self._category_articles: list[dict[str, Any]] = []
        self._category: CategoryNode | None = None
        self._favourite_articles: list[dict[str, Any]] = []
        #: Ids listed now, in order (the options of the list).
        self.shown_ids: list[str] = []
        self._ready = False
        self._status_note = ""

    @property
    def results_for(self) -> str:
        """The query :attr:`hits` answer (equal to :attr:`query_text` once the search settled)."""
        return self._searched

    @property
    def ready(self) -> bool:
        """True once the index, favourites, recent list and categories are loaded."""
        return self._ready

    def compose(self) -> ComposeResult:
        yield Input(placeholder=t("kb.placeholder"), id="kb-query")
        yield Static("", id="kb-views")
        with Container(id="kb-body"):
            tree: Tree[CategoryNode | None] = Tree(Text(t("kb.categories_root")), id="kb-tree")
            tree.show_root = False
            yield tree
            yield OptionList(id="kb-list")
        yield Static("", id="kb-status")
        yield Footer()

    def on_mount(self) -> None:
        self._apply_width(self.app.size.width)
        self.set_class(self.view == "categories", "-categories")
        self.query_one("#kb-query", Input).focus()
        self._show_views()
        self._show_status()
        self._prepare()

    def on_resize(self, event: events.Resize) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        self.set_class(width >= WIDE_COLUMNS, "-wide")

    # -- down (from the desk) ---------------------------------------------------

    def retranslate(self) -> None:
        """Relabel in the current language."""
        translate_bindings(self)
        self.query_one("#kb-query", Input).placeholder = t("kb.placeholder")
        self._show_views()
        self._render_list()
        self._show_status()
        self.refresh_bindings()

    def suggestions_changed(self, hits: Sequence[Hit]) -> None:
        """The desk has new suggestions (the customer spoke)."""
        self._suggestions = list(hits)
        self._show_views()
        if self.view == "suggested":
            self._render_list()
            self._show_status()

    def knowledge_changed(self) -> None:
        """Sync changed the knowledge base: search again and reload the views."""
        self._prepare(refresh=True)

    def contact_changed(self) -> None:
        """A contact began or ended (nothing to redraw here; the article screen asks at each key)."""

    # -- loading ----------------------------------------------------------------

    @work(group="kb-prepare", exclusive=True)
    async def _prepare(self, refresh: bool = False) -> None:
        """Build the index if needed, then read favourites, recent and categories."""
        service = self.service
        try:
            if not service.ready:
                self._status_note = t("kb.loading")
                self._show_status()
            await service.index()
            self._favourites = set(await service.favourite_ids())
            recent = await service.recently_updated(since=self._recent_since)
            if self._recent_since == "mark":
                self._recent_since = recent.since  # this visit keeps the mark it opened with
            self._recent = recent.articles
            categories = await service.categories()
        except Exception as exc:
            from csdesk.screens.errors import describe_error

            self._status_note = t("kb.failed", error=describe_error(exc))
            self._show_status()
            return
        self._status_note = ""
        self._ready = True
        self._fill_tree(categories)
        if self.view == "categories" and self._category is None:
            self._highlight_first_category()
        self._show_views()
        if refresh and self.query_text.strip():
            self._start_search()
        await self._load_view()
        if self.view == "recent":
            self._mark_recent_looked()

    def _fill_tree(self, roots: list[CategoryNode]) -> None:
        tree = self.query_one("#kb-tree", Tree)
        path = self._category.path if self._category is not None else None
        tree.clear()

        def add(parent: Any, node: CategoryNode) -> None:
            label = Text(clean_text(node.name, keep_newlines=False))
            label.append(f" ({node.total})", style="dim")
            if node.children:
                branch = parent.add(label, data=node)
                for child in node.children:
                    add(branch, child)
            else:
                parent.add_leaf(label, data=node)

        for root in roots:
            add(tree.root, root)
        tree.root.expand()
        if path is not None:
            self._category = self._find_category(roots, path)

    @staticmethod
    def _find_category(roots: Iterable[CategoryNode], path: tuple[str, ...]) -> CategoryNode | None:
        for node in roots:
            if node.path == path:
                return node
            if path[: len(node.path)] == node.path:
                return KnowledgeScreen._find_category(node.children, path)
        return None

    async def _load_view(self, keep_highlight: bool = True) -> None:
        """Read what the current view lists (in threads) and show it."""
        try:
            if self.view == "favourites":
                self._favourite_articles = await self.service.favourites()
            elif self.view == "categories" and self._category is not None:
                self._category_articles = await self.service.articles(subtree_ids(self._category))
        except Exception:
            _log.debug("knowledge list not loaded", exc_info=True)
            return  # the store closed (signing out)
        self._render_list(keep_highlight=keep_highlight)
        self._show_status()

    # -- search -------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "kb-query":
            return
        event.stop()
        self.query_text = event.value
        if self.query_text.strip() and self.view != "results":
            self._set_view("results")
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, self._start_search)

    def _start_search(self) -> None:
        self._debounce = None
        self._seq += 1
        self._search(self._seq, self.query_text)

    @work(group="kb-search", exclusive=True)
    async def _search(self, seq: int, query: str) -> None:
        """Search ``query`` in a thread; an answer overtaken by a newer query is dropped."""
        try:
            hits = await self.service.search(query, RESULT_LIMIT) if query.strip() else []
        except Exception as exc:
            from csdesk.screens.errors import describe_error

            self._status_note = t("kb.failed", error=describe_error(exc))
            self._show_status()
            return
        if seq != self._seq or query != self.query_text:
            return  # stale: the agent typed on
        self.hits, self._searched = hits, query
        if self.view == "results":
            self._render_list(keep_highlight=False)
            self._show_status()
        if self._open_first:
            self._open_first = False
            if hits:
                self._open(hits[0].article_id)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the search box: open the highlighted (or first) article;
        when the search for what was typed is still to come, its first result."""
        event.stop()
        if self._debounce is not None or (self.view == "results" and self._searched != self.query_text):
            self._open_first = True
            if self._debounce is not None:
                self._debounce.stop()
                self._start_search()
            return
        article_id = self._highlighted_id()
        if article_id is None and self.shown_ids:
            article_id = self.shown_ids[0]
        if article_id is not None:
            self._open(article_id)

    # -- views ------------------------------------------------------------------

    def _set_view(self, view: str) -> None:
        changed = view != self.view
        self.view = view
        self.set_class(view == "categories", "-categories")
        self._show_views()
        self._render_list(keep_highlight=not changed)
        self._show_status()

    def action_view(self, view: str) -> None:
        """alt+s / alt+g / alt+c / alt+r / alt+a: show a view."""
        if view not in VIEWS:
            return
        self._set_view(view)
        if view == "categories":
            self.query_one("#kb-tree", Tree).focus()
            if self._category is None:
                self._highlight_first_category()
        elif view != "results":
            self.query_one("#kb-list", OptionList).focus()
        else:
            self.query_one("#kb-query", Input).focus()
        if self._ready:
            self._reload_view()
            if view == "recent":
                self._mark_recent_looked()

    @work(group="kb-view", exclusive=True)
    async def _reload_view(self, keep_highlight: bool = True) -> None:
        await self._load_view(keep_highlight)

    def _highlight_first_category(self) -> None:
        tree = self.query_one("#kb-tree", Tree)
        if tree.root.children:
            tree.move_cursor(tree.root.children[0])

    @work(group="kb-mark")
    async def _mark_recent_looked(self) -> None:
        """The agent looked at "recently updated": move the mark to the newest shown."""
        if self._recent_marked:
            return
        self._recent_marked = True
        try:
            await self.service.mark_looked()
        except Exception:
            _log.debug("recent articles not marked as looked at", exc_info=True)
            self._recent_marked = False

    def _view_label(self, view: str) -> str:
        counts = {"suggested": len(self._suggestions), "recent": len(self._recent) if self._ready else 0,
                  "favourites": len(self._favourites)}
        label = t(f"kb.view.{view}")
        count = counts.get(view)
        return f"{label} ({count})" if count else label

    def _show_views(self) -> None:
        """The view bar: the views, the current one reversed; their keys when they fit."""
        bar = self.query_one("#kb-views", Static)
        width = bar.content_size.width or self.app.size.width

        def line(with_keys: bool) -> Text:
            text = Text(no_wrap=True, overflow="ellipsis")
            for index, view in enumerate(VIEWS):
                if index:
                    text.append(" │ ", style="dim")
                label = self._view_label(view)
                if with_keys:
                    label += f" {key_hint(self, f'kb.view_{view}').split('/')[0]}"
                text.append(f" {label} ", style="reverse bold" if view == self.view else "")
            return text

        full = line(True)
        bar.update(full if cell_len(full.plain) <= width else line(False))

    def _items(self) -> list[tuple[str, Text]]:
        """(article id, row) of what the current view lists."""
        mark = match_style(self.app)
        star = status_style(self.app, "warn")
        favs = self._favourites
        if self.view == "results":
            # The last answer stays listed while the next one is on its way.
            hits = self.hits if self.query_text.strip() else []
            return [(h.article_id, hit_prompt(h, favourite=h.article_id in favs, mark=mark, star=star)) for h in hits]
        if self.view == "suggested":
            return [(h.article_id, hit_prompt(h, favourite=h.article_id in favs, mark=mark, star=star))
                    for h in self._suggestions]
        articles = {"recent": self._recent, "favourites": self._favourite_articles,
                    "categories": self._category_articles if self._category is not None else []}[self.view]
        return [(str(a["id"]), article_prompt(a, favourite=str(a["id"]) in favs, star=star)) for a in articles]

    def _render_list(self, *, keep_highlight: bool = True) -> None:
        """Show the current view's rows. The highlighted article stays highlighted
        when it is still listed and ``keep_highlight`` (a redraw of the same
        answer); otherwise the first row is (a new answer, another view)."""
        option_list = self.query_one("#kb-list", OptionList)
        keep = self._highlighted_id() if keep_highlight else None
        items = self._items()
        seen: set[str] = set()
        options = []
        for article_id, prompt in items:
            if article_id in seen:
                continue
            seen.add(article_id)
            options.append(Option(prompt, id=article_id))
        self.shown_ids = [option.id for option in options if option.id is not None]
        option_list.set_options(options)
        if self.shown_ids:
            option_list.highlighted = self.shown_ids.index(keep) if keep in self.shown_ids else 0

    def _show_status(self) -> None:
        status = self.query_one("#kb-status", Static)
        line = Text(no_wrap=True, overflow="ellipsis")
        if self._status_note:
            line.append(self._status_note, style=status_style(self.app, "warn"))
            status.update(line)
            return
        count = len(self.shown_ids)
        open_key = "Enter"
        fav_key = key_hint(self, "kb.favourite")
        if self.view == "results":
            if not self.query_text.strip():
                line.append(t("kb.type_to_search"), style="dim")
            elif self._searched == self.query_text and not count:
                line.append(t("kb.no_results"), style=status_style(self.app, "warn"))
            elif count:
                line.append(t("kb.results", count=count, open=open_key, fav=fav_key), style="dim")
        elif self.view == "suggested":
            key = "kb.suggested" if count else "kb.no_suggestions"
            line.append(t(key, count=count, open=open_key), style="dim")
        elif self.view == "recent":
            if not self._ready:
                pass
            elif count and self._recent_since:
                line.append(t("kb.recent", count=count, since=self._recent_since[:10]), style="dim")
            elif count:
                line.append(t("kb.recent_first", count=count), style="dim")
            else:
                line.append(t("kb.recent_none"), style="dim")
        elif self.view == "favourites":
            key = "kb.favourites" if count else "kb.favourites_none"
            line.append(t(key, count=count, fav=fav_key), style="dim")
        elif self.view == "categories":
            if self._category is None:
                line.append(t("kb.categories_hint"), style="dim")
            else:
                line.append(t("kb.category", name=category_text(self._category.path), count=count), style="dim")
        status.update(line)

    # -- categories ---------------------------------------------------------------

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        event.stop()
        node = event.node.data
        if node is None or self.view != "categories":
            return
        self._category = node
        self._reload_view(keep_highlight=False)

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        """Enter on a category without sub-categories: to its articles."""
        event.stop()
        node = event.node.data
        if node is not None and not node.children and self.shown_ids:
            self.query_one("#kb-list", OptionList).focus()

    # -- opening and favourites ------------------------------------------------------

    def _highlighted_id(self) -> str | None:
        option_list = self.query_one("#kb-list", OptionList)
        index = option_list.highlighted
        if index is None or not (0 <= index < option_list.option_count):
            return None
        return option_list.get_option_at_index(index).id

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self._open(event.option.id)

    def _open(self, article_id: str) -> None:
        from csdesk.screens.kb_article import ArticleScreen

        self.app.push_screen(ArticleScreen(self.service, article_id, can_send=self._can_send), self._article_closed)

    def _article_closed(self, result: ArticleInsert | None) -> None:
        if result is not None:
            self.dismiss(result)  # the desk puts it into the composer
            return
        self._refresh_favourites()

    @work(group="kb-favourites", exclusive=True)
    async def _refresh_favourites(self) -> None:
        try:
            self._favourites = set(await self.service.favourite_ids())
        except Exception:
            _log.debug("favourites not loaded", exc_info=True)
            return
        self._show_views()
        await self._load_view()

    @work(group="kb-favourite")
    async def action_toggle_favourite(self) -> None:
        """ctrl+b: mark / unmark the highlighted article as a favourite."""
        from csdesk.screens.kb_article import toggle_favourite

        article_id = self._highlighted_id()
        if article_id is None:
            return
        on = await toggle_favourite(self, self.service, article_id)
        if on is None:
            return
        (self._favourites.add if on else self._favourites.discard)(article_id)
        self._show_views()
        if self.view != "favourites":
            self._render_list()  # the star; the favourites view keeps the row until reloaded
        self._show_status()

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Palette entries: each view, the search box, the favourite mark."""
        for view in VIEWS:
            yield SystemCommand(
                t("cmd.kb_view", view=t(f"kb.view.{view}")), t("cmd.kb_key", key=key_hint(self, f"kb.view_{view}")),
                lambda view=view: self.action_view(view),
            )
        yield SystemCommand(t("key.kb.search"), t("cmd.kb_key", key=key_hint(self, "kb.search")),
                            self.action_focus_search)
        yield SystemCommand(t("cmd.kb_favourite"), t("cmd.kb_key", key=key_hint(self, "kb.favourite")),
                            self.action_toggle_favourite)

    def action_focus_search(self) -> None:
        """ctrl+f: back to the search box."""
        self.query_one("#kb-query", Input).focus()

    def action_to_list(self) -> None:
        """Down in the search box: to the list."""
        option_list = self.query_one("#kb-list", OptionList)
        if option_list.option_count:
            option_list.focus()

    def action_close(self) -> None:
        """Esc: back to the desk."""
        self.dismiss(None)
