"""The quick-phrase list (F6, the agent's phrase key; issue #5, guide §3.4).

A modal over the desk: type to filter the team's and the agent's own
phrases (Chinese, English, typos; :meth:`csdesk.services.phrases.PhraseBook.search`
over code, title, category and body), up/down (page up/down) move in the
list, Enter puts the highlighted phrase into the composer at the cursor
(its known placeholders filled from the contact; the preview shows what
goes in, placeholders still to fill highlighted), ctrl+o opens the editor
of the agent's own phrases, Esc closes. Every text is plain (a phrase is
never read as markup). Dismisses with a :class:`PhrasePick` or None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from csdesk.domain.phrases import Phrase, PlaceholderContext
from csdesk.i18n import t
from csdesk.services.phrases import PhraseBook, PhraseMatch, expand
from csdesk.themes import status_style
from csdesk.widgets.bindings import key_hint, translate_bindings
from csdesk.widgets.placeholders import plain_with_placeholders

#: Longest query typed or pasted, characters (a huge paste is cut).
QUERY_MAX = 200
#: Terminal cells the code column takes in a row.
CODE_CELLS = 9
#: Rows page up / page down move.
PAGE_ROWS = 8


@dataclass(frozen=True)
class PhrasePick:
    """What the picker ended with: ``insert`` ``phrase``, or ``edit`` (open the editor)."""

    action: Literal["insert", "edit"]
    phrase: Phrase | None = None


def phrase_row(match: PhraseMatch, *, hit_style: str = "bold underline") -> Text:
    """One list row: code, title (matched parts marked), category and scope, plain text."""
    phrase = match.phrase
    row = Text(no_wrap=True, overflow="ellipsis")
    code = "/" + phrase.code
    row.append(code + " " * max(1, CODE_CELLS - cell_len(code)), style="bold")
    title = Text(phrase.title)
    for start, end in match.title_spans:
        title.stylize(hit_style, start, end)
    row.append_text(title)
    scope = t("phrases.scope_personal") if phrase.scope == "personal" else t("phrases.scope_team")
    extra = f"  {phrase.category} · {scope}" if phrase.category else f"  {scope}"
    row.append(extra, style="dim")
    return row


class PhrasePickerScreen(ModalScreen[PhrasePick | None]):
    """Pick a quick phrase. ``book`` the phrases (a snapshot), ``context`` the
    values of the known placeholders now; ``can_insert`` False when there is
    no composer to insert into (the list is for reading, Enter says so)."""

    CSS_PATH = "phrase_picker.tcss"
    BINDINGS = [
        Binding("escape", "close", "phrases.close", id="phrases.close"),
        Binding("ctrl+o", "edit", "phrases.edit", id="phrases.edit"),
        Binding("down", "move(1)", "phrases.down", id="phrases.down", show=False),
        Binding("up", "move(-1)", "phrases.up", id="phrases.up", show=False),
        Binding("pagedown", f"move({PAGE_ROWS})", "phrases.page_down", id="phrases.page_down", show=False),
        Binding("pageup", f"move(-{PAGE_ROWS})", "phrases.page_up", id="phrases.page_up", show=False),
    ]

    def __init__(self, book: PhraseBook, context: PlaceholderContext, *, can_insert: bool = True) -> None:
        super().__init__()
        translate_bindings(self)
        self.book = book
        self.context = context
        self.can_insert = can_insert
        self.matches: list[PhraseMatch] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("", id="title")
            yield Input(id="query", max_length=QUERY_MAX, compact=True, select_on_focus=False)
            yield OptionList(id="phrases")
            yield Static("", id="preview")
            yield Static("", id="hint")

    def on_mount(self) -> None:
        self._texts()
        self._filter("")
        self.query_one("#query", Input).focus()

    # -- texts --------------------------------------------------------------

    def _texts(self) -> None:
        self.query_one("#title", Static).update(
            Text(t("phrases.title", count=len(self.book)), style="bold", no_wrap=True, overflow="ellipsis")
        )
        self.query_one("#query", Input).placeholder = t("phrases.search_placeholder")
        keys = {"insert": "Enter", "edit": key_hint(self, "phrases.edit"), "close": key_hint(self, "phrases.close")}
        hint = t("phrases.hint" if self.can_insert else "phrases.hint_no_contact", **keys)
        self.query_one("#hint", Static).update(Text(hint, style="dim", no_wrap=True, overflow="ellipsis"))

    def retranslate(self) -> None:
        """Title, hint and rows in the current language (the query and highlight stay)."""
        if not self.query("#query"):
            return
        translate_bindings(self)
        self._texts()
        self._filter(self.query_one("#query", Input).value, keep=True)

    # -- the list -----------------------------------------------------------

    @on(Input.Changed, "#query")
    def _query_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._filter(event.value)

    def _filter(self, query: str, *, keep: bool = False) -> None:
        """Show the phrases matching ``query`` (best first) and preview the first
        (``keep``: the highlighted one stays when it still matches)."""
        option_list = self.query_one("#phrases", OptionList)
        before = self._highlighted()
        self.matches = self.book.search(query)
        hit = status_style(self.app, "info") + " underline"
        option_list.set_options([
            Option(phrase_row(m, hit_style=hit), id=f"{m.phrase.scope}:{m.phrase.id}")
            for m in self.matches
        ])
        if self.matches:
            index = 0
            if keep and before is not None:
                index = next((i for i, m in enumerate(self.matches) if m.phrase == before), 0)
            option_list.highlighted = index
        self._preview()

    def _highlighted(self) -> Phrase | None:
        index = self.query_one("#phrases", OptionList).highlighted
        if index is None or not 0 <= index < len(self.matches):
            return None
        return self.matches[index].phrase

    def _preview(self) -> None:
        phrase = self._highlighted()
        preview = self.query_one("#preview", Static)
        if phrase is None:
            preview.update(Text(t("phrases.none"), style="dim"))
            return
        preview.update(plain_with_placeholders(expand(phrase, self.context), self.app))

    @on(OptionList.OptionHighlighted, "#phrases")
    def _moved(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._preview()

    def action_move(self, rows: int) -> None:
        """Move the highlight ``rows`` rows (negative: up), within the list."""
        option_list = self.query_one("#phrases", OptionList)
        if not self.matches:
            return
        current = option_list.highlighted or 0
        option_list.highlighted = max(0, min(len(self.matches) - 1, current + rows))

    # -- choosing -----------------------------------------------------------

    @on(Input.Submitted, "#query")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._insert()

    @on(OptionList.OptionSelected, "#phrases")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._insert()

    def _insert(self) -> None:
        phrase = self._highlighted()
        if phrase is None:
            return
        if not self.can_insert:
            self.notify(t("phrases.no_composer"), severity="warning", markup=False)
            return
        self.dismiss(PhrasePick("insert", phrase))

    def action_edit(self) -> None:
        """Close and open the editor of the agent's own phrases."""
        self.dismiss(PhrasePick("edit"))

    def action_close(self) -> None:
        """Close without inserting."""
        self.dismiss(None)
