"""Knowledge suggestions on the desk: one line over the composer (issue #5, guide §2.2).

During a contact the desk asks the knowledge index which articles answer the
customer's latest messages and hands up to three hits down to
:class:`KbSuggestionBar`. The bar draws them on one line, fitted to its
width in terminal cells (a Chinese character takes two) so it fits the
80×24 desk: the key that opens them, then each article's number and
Chinese title, with the English title when there is room. It is hidden
while there is nothing to suggest. Titles are untrusted text: appended to
``rich.text.Text`` as they are, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widget import Widget

from csdesk.domain.text import clean_text
from csdesk.i18n import t
from csdesk.widgets.bindings import key_hint

if TYPE_CHECKING:
    from csdesk.search import Hit

#: Binding id of the key that opens the suggestions (named in the bar).
OPEN_BINDING = "desk.knowledge"


def _cut_cells(text: str, cells: int) -> str:
    """``text`` cut to at most ``cells`` terminal cells, ending with "…" when cut."""
    if cell_len(text) <= cells:
        return text
    if cells <= 1:
        return "…"[:max(cells, 0)]
    out = ""
    for ch in text:
        if cell_len(out + ch) > cells - 1:
            break
        out += ch
    return out + "…"


class KbSuggestionBar(Widget):
    """One line: up to three suggested articles and the key that opens them.

    Down: :meth:`show_hits` (a sequence of ``csdesk.search.Hit``; empty
    hides the bar), :meth:`retranslate`. Read: :attr:`hits`,
    :meth:`line` (the text for a width). Up: :class:`KbSuggestionBar.Chosen`
    when the bar is clicked. ``hints_from``: the widget whose bindings name
    the open key (the desk screen).
    """

    DEFAULT_CSS = """
    KbSuggestionBar {
        height: 1;
        width: 1fr;
        padding: 0 1;
        display: none;
    }
    KbSuggestionBar.-shown { display: block; }
    """

    class Chosen(Message):
        """The agent clicked the bar: open the suggestions."""

        def __init__(self, bar: KbSuggestionBar) -> None:
            super().__init__()
            self.bar = bar

        @property
        def control(self) -> KbSuggestionBar:
            return self.bar

    def __init__(self, hints_from: Widget | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._hints_from = hints_from
        self._hits: tuple[Hit, ...] = ()

    @property
    def hits(self) -> tuple[Hit, ...]:
        """The hits shown (best first)."""
        return self._hits

    def show_hits(self, hits: Sequence[Hit]) -> None:
        """Show ``hits`` (at most 3 are drawn); none hides the bar."""
        self._hits = tuple(hits)
        self.set_class(bool(self._hits), "-shown")
        self.refresh()

    def retranslate(self) -> None:
        """Redraw in the current language (and with the key bound now)."""
        self.refresh()

    def _key(self) -> str:
        if self._hints_from is None:
            return "F3"
        try:
            return key_hint(self._hints_from, OPEN_BINDING).split("/")[0]
        except Exception:
            return "F3"

    def line(self, width: int | None = None) -> Text:
        """The bar's text for ``width`` cells (None: no limit).

        Tries, in order: Chinese and English titles of every hit; Chinese
        titles only; Chinese titles cut to an equal share of the room each.
        """
        if not self._hits:
            return Text()
        lead = t("kbbar.lead", key=self._key()) + " "
        items = self._hits[:3]
        titles = [clean_text(h.title, keep_newlines=False) for h in items]
        english = [clean_text(h.title_en, keep_newlines=False) for h in items]

        def build(parts: list[tuple[str, str]]) -> Text:
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(lead, style="bold")
            for number, (title, title_en) in enumerate(parts, start=1):
                if number > 1:
                    line.append(" · ", style="dim")
                line.append(f"{number} ", style="bold")
                line.append(title)
                if title_en:
                    line.append(" " + title_en, style="dim")
            return line

        full = build(list(zip(titles, english)))
        if width is None or cell_len(full.plain) <= width:
            return full
        short = build([(title, "") for title in titles])
        if cell_len(short.plain) <= width:
            return short
        # Each title gets an equal share of what is left after the fixed parts.
        fixed = cell_len(lead) + sum(cell_len(f"{n} ") for n in range(1, len(items) + 1)) + 3 * (len(items) - 1)
        share = max(2, (width - fixed) // len(items))
        return build([(_cut_cells(title, share), "") for title in titles])

    def render(self) -> Text:
        """The line, fitted to the content width."""
        width = self.content_size.width
        return self.line(width if width > 0 else None)

    def on_click(self, event: events.Click) -> None:
        event.stop()
        if self._hits:
            self.post_message(self.Chosen(self))
