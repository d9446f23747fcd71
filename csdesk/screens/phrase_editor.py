"""The agent's own quick phrases: list, new, edit, delete (issue #5, guide §1.3/§3.4).

Reached from the phrase list (F6, then ctrl+o) and the command palette. The
list shows the agent's personal phrases (code, title, category; "not synced
yet" while a change waits in the outbox). Enter on one loads it into the
form below; ctrl+n starts a new one; ctrl+r saves; Delete on the list
deletes the highlighted one (asks first); Esc goes back (asks before
dropping unsaved changes). A save is checked first
(:func:`csdesk.domain.phrases.check_phrase`): code format and unique among
the agent's phrases, title and body required, lengths, and no unknown
placeholder (unknown ones are also highlighted in the body as it is typed).
Saving and deleting work offline: the local copy changes at once and the
change waits in the outbox (:class:`csdesk.services.phrases.PhraseService`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from csdesk.domain import phrases as ph
from csdesk.domain.phrases import Phrase, PhraseFields, PhraseProblem, check_phrase
from csdesk.i18n import t
from csdesk.themes import status_style
from csdesk.widgets.bindings import key_hint, translate_bindings
from csdesk.widgets.capped_text_area import CappedTextArea
from csdesk.widgets.form_screen import FormInput
from csdesk.widgets.footer import Footer
from csdesk.widgets.placeholders import PlaceholderHighlight

if TYPE_CHECKING:
    from csdesk.services.phrases import PhraseService

#: Problems shown before the first save attempt (the rest would nag while typing).
LIVE_PROBLEMS = frozenset({"unknown-placeholder", "code-format", "code-taken", "too-long"})

#: Seconds of no typing before the form is checked again (one check per pause).
CHECK_DELAY = 0.15


class PhraseBodyArea(PlaceholderHighlight, CappedTextArea):
    """The body field: placeholders highlighted (known ones calmly: they fill
    themselves); at most :data:`csdesk.domain.phrases.BODY_MAX` characters,
    typed or pasted (:class:`CappedTextArea`; the screen says when text was
    left out)."""

    known_placeholders_fill = True

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, max_chars=ph.BODY_MAX, **kwargs)  # type: ignore[arg-type]


def editor_row(phrase: Phrase) -> Text:
    """One list row: ``/code``, title, category, and whether it waits to sync (plain text)."""
    row = Text(no_wrap=True, overflow="ellipsis")
    code = "/" + phrase.code
    row.append(code + " " * max(1, 9 - cell_len(code)), style="bold")
    row.append(phrase.title)
    if phrase.category:
        row.append("  " + phrase.category, style="dim")
    if phrase.pending:
        row.append("  " + t("phrase_editor.pending"), style="italic dim")
    return row


def problem_text(problem: PhraseProblem) -> str:
    """``problem`` in the agent's language."""
    field = t(f"phrase_editor.field.{problem.field}")
    values = {"field": field, "detail": problem.detail, "max": problem.detail,
              "code_max": ph.CODE_MAX, "most": ph.PERSONAL_MAX}
    return t(f"phrase_editor.problem.{problem.code}", **values)


class PhraseEditorScreen(Screen[None]):
    """Edit the agent's personal phrases through ``service`` (see the module docstring)."""

    CSS_PATH = "phrase_editor.tcss"
    BINDINGS = [
        Binding("escape", "close", "phrase_editor.close", id="phrase_editor.close"),
        Binding("ctrl+n", "new", "phrase_editor.new", id="phrase_editor.new"),
        Binding("ctrl+r", "save", "phrase_editor.save", id="phrase_editor.save"),
        Binding("delete", "delete", "phrase_editor.delete", id="phrase_editor.delete"),
    ]

    TEXTS = {
        "#label-code": "phrase_editor.field.code",
        "#label-category": "phrase_editor.field.category",
        "#label-title": "phrase_editor.field.title",
    }

    def __init__(self, service: PhraseService) -> None:
        super().__init__()
        translate_bindings(self)
        self.service = service
        self.phrases: list[Phrase] = list(service.book.personal)
        #: Id of the phrase in the form (None: a new one).
        self.editing: str | None = None
        #: The form as loaded or last saved (to tell unsaved changes).
        self._loaded = PhraseFields("", "", "", "")
        #: A save was tried: every problem shows, live.
        self._tried = False
        self._status_line: Text = Text()
        #: The pending check of what was typed (see _typed).
        self._check_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="heading")
        yield OptionList(id="list")
        yield Static("", id="form-title")
        with Horizontal(id="row-code"):
            yield Label("", id="label-code", classes="label")
            yield FormInput(id="code", max_length=ph.CODE_MAX, compact=True, select_on_focus=False)
            yield Label("", id="label-category", classes="label")
            yield FormInput(id="category", max_length=ph.CATEGORY_MAX, compact=True, select_on_focus=False)
        with Horizontal(id="row-title"):
            yield Label("", id="label-title", classes="label")
            yield FormInput(id="title", max_length=ph.TITLE_MAX, compact=True, select_on_focus=False)
        yield Static("", id="body-help")
        yield PhraseBodyArea(id="body", soft_wrap=True, tab_behavior="focus", show_line_numbers=False)
        yield Static("", id="problems")
        yield Footer()

    def on_mount(self) -> None:
        self._texts()
        self._show_list()
        self._new_form(focus=False)
        if self.phrases:
            self.query_one("#list", OptionList).focus()
        else:
            self.query_one("#code", Input).focus()
        self.reload()

    # -- texts ----------------------------------------------------------------

    def _texts(self) -> None:
        for selector, key in self.TEXTS.items():
            self.query_one(selector, Label).update(t(key))
        self.query_one("#body-help", Static).update(Text(t("phrase_editor.body_help"), style="dim"))
        self.query_one("#code", Input).placeholder = t("phrase_editor.code_placeholder")
        self._form_title()

    def _form_title(self) -> None:
        keys = {"save": key_hint(self, "phrase_editor.save"), "new": key_hint(self, "phrase_editor.new")}
        if self.editing is None:
            text = t("phrase_editor.new_title", **keys)
        else:
            text = t("phrase_editor.edit_title", code=self._loaded.code, **keys)
        self.query_one("#form-title", Static).update(Text(text, style="bold", no_wrap=True, overflow="ellipsis"))

    def retranslate(self) -> None:
        """Labels, list and problems in the current language (the form keeps what is typed)."""
        if not self.query("#list"):
            return
        translate_bindings(self)
        self._texts()
        self._show_list()
        self._show_problems()

    def palette_commands(self) -> list[SystemCommand]:
        """Editor entries of the command palette."""
        return [
            SystemCommand(t("cmd.phrase_new"), t("cmd.live.help", key=key_hint(self, "phrase_editor.new")),
                          self.action_new),
            SystemCommand(t("cmd.phrase_save"), t("cmd.live.help", key=key_hint(self, "phrase_editor.save")),
                          self.action_save),
        ]

    # -- the list ------------------------------------------------------------------

    def phrases_changed(self) -> None:
        """Sync pulled phrases (called by the desk): read the list again."""
        self.reload()

    @work(group="phrase-editor-load", exclusive=True)
    async def reload(self) -> None:
        """Read the phrases from the local store (in a thread) and show the list."""
        try:
            book = await self.service.reload()
        except Exception:
            return  # the store closed (signing out): keep what is shown
        self.phrases = list(book.personal)
        self._show_list()

    def _show_list(self) -> None:
        option_list = self.query_one("#list", OptionList)
        highlighted = self._highlighted()
        option_list.set_options([Option(editor_row(p), id=p.id) for p in self.phrases])
        ids = [p.id for p in self.phrases]
        if ids:
            keep = highlighted.id if highlighted is not None else self.editing
            option_list.highlighted = ids.index(keep) if keep in ids else 0
        keys = {"edit": "Enter", "delete": key_hint(self, "phrase_editor.delete")}
        heading = Text(t("phrase_editor.title", count=len(ids)), style="bold")
        heading.append("  " + (t("phrase_editor.list_hint", **keys) if ids else t("phrase_editor.empty")),
                       style="dim")
        heading.no_wrap, heading.overflow = True, "ellipsis"
        self.query_one("#heading", Static).update(heading)

    def _highlighted(self) -> Phrase | None:
        index = self.query_one("#list", OptionList).highlighted
        if index is None or not 0 <= index < len(self.phrases):
            return None
        return self.phrases[index]

    @on(OptionList.OptionSelected, "#list")
    def _open(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        phrase = self._highlighted()
        if phrase is None:
            return
        if self._dirty() and phrase.id != self.editing:
            self._ask(lambda: t("phrase_editor.discard_question"), lambda: self._load(phrase))
        else:
            self._load(phrase)

    def _load(self, phrase: Phrase) -> None:
        self.editing = phrase.id
        self._set_form(phrase.fields)
        code = self.query_one("#code", Input)
        code.focus()
        code.cursor_position = len(code.value)  # typing goes on from the end, not before the code

    # -- the form -------------------------------------------------------------------

    def _set_form(self, fields: PhraseFields) -> None:
        self._loaded = fields
        self._tried = False
        self.query_one("#code", Input).value = fields.code
        self.query_one("#category", Input).value = fields.category
        self.query_one("#title", Input).value = fields.title
        self.query_one("#body", PhraseBodyArea).load_text(fields.body)
        self._status_line = Text()
        self._form_title()
        self._show_problems()

    def _new_form(self, *, focus: bool = True) -> None:
        self.editing = None
        self._set_form(PhraseFields("", "", "", ""))
        if focus:
            self.query_one("#code", Input).focus()

    def _form(self) -> PhraseFields:
        """The form's content as it would be stored (cleaned)."""
        return PhraseFields.clean(
            code=self.query_one("#code", Input).value,
            title=self.query_one("#title", Input).value,
            body=self.query_one("#body", PhraseBodyArea).text,
            category=self.query_one("#category", Input).value,
        )

    def _dirty(self) -> bool:
        return self._form() != PhraseFields.clean(
            code=self._loaded.code, title=self._loaded.title, body=self._loaded.body,
            category=self._loaded.category,
        )

    def _problems(self) -> list[PhraseProblem]:
        taken = {p.code: p.title for p in self.phrases if p.id != self.editing}
        problems = check_phrase(self._form(), taken_codes=taken)
        if self.editing is None and len(self.phrases) >= ph.PERSONAL_MAX:
            problems.append(PhraseProblem("code", "too-many"))
        return problems

    def _show_problems(self) -> None:
        problems = self._problems()
        if not self._tried:
            problems = [p for p in problems if p.code in LIVE_PROBLEMS]
        text = Text(overflow="ellipsis")
        if problems:
            text.append("\n".join(problem_text(p) for p in problems), style=status_style(self.app, "error"))
        elif self._status_line.plain:
            text.append_text(self._status_line)
        self.query_one("#problems", Static).update(text)

    @on(Input.Changed)
    @on(TextArea.Changed, "#body")
    def _typed(self, event: Input.Changed | TextArea.Changed) -> None:
        # The checks read the whole form: run them once the keys pause
        # (CHECK_DELAY), not once per key of a long text typed in as keys.
        event.stop()
        if self._check_timer is not None:
            self._check_timer.stop()
        self._check_timer = self.set_timer(CHECK_DELAY, self._check_typed)

    def _check_typed(self) -> None:
        self._check_timer = None
        if not self.is_attached:
            return
        if self._dirty():  # typed (not the form being filled): the last status is stale
            self._status_line = Text()
        self._show_problems()

    @on(CappedTextArea.TooLong, "#body")
    def _body_cut(self, event: CappedTextArea.TooLong) -> None:
        event.stop()
        self.notify(t("phrase_editor.paste_cut", max=ph.BODY_MAX), severity="warning", markup=False)

    @on(FormInput.TooLong)
    def _field_cut(self, event: FormInput.TooLong) -> None:
        event.stop()
        self.notify(t("form.too_long"), severity="warning", markup=False)

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    # -- actions ---------------------------------------------------------------------

    def action_new(self) -> None:
        """ctrl+n: an empty form for a new phrase (asks before dropping unsaved changes)."""
        if self._dirty():
            self._ask(lambda: t("phrase_editor.discard_question"), self._new_form)
        else:
            self._new_form()

    def action_save(self) -> None:
        """ctrl+r: check the form and save it (offline-first)."""
        self._tried = True
        if self._problems():
            self._show_problems()
            return
        self._save(self._form(), self.editing)

    @work(group="phrase-editor-save", exclusive=True)
    async def _save(self, fields: PhraseFields, phrase_id: str | None) -> None:
        from csdesk.screens.errors import describe_error
        from csdesk.services.phrases import PhraseRejected

        try:
            phrase = await self.service.save(fields, phrase_id)
        except PhraseRejected as exc:
            self.query_one("#problems", Static).update(Text(
                "\n".join(problem_text(p) for p in exc.problems), style=status_style(self.app, "error")
            ))
            return
        except Exception as exc:  # the store could not be written
            self.notify(t("phrase_editor.save_failed", error=describe_error(exc)), severity="error", markup=False)
            return
        self.phrases = list(self.service.book.personal)
        self.editing = phrase.id
        self._set_form(phrase.fields)
        self._status_line = Text(t("phrase_editor.saved", code=phrase.code), style=status_style(self.app, "ok"))
        self._show_problems()
        self._show_list()

    def action_delete(self) -> None:
        """Delete (list focused): delete the highlighted phrase, after asking."""
        phrase = self._highlighted()
        if phrase is None or self.focused is not self.query_one("#list", OptionList):
            return
        self._ask(lambda: t("phrase_editor.delete_question", code=phrase.code, title=phrase.title),
                  lambda: self._delete(phrase))

    @work(group="phrase-editor-save", exclusive=True)
    async def _delete(self, phrase: Phrase) -> None:
        from csdesk.screens.errors import describe_error

        try:
            await self.service.delete(phrase.id)
        except Exception as exc:
            self.notify(t("phrase_editor.save_failed", error=describe_error(exc)), severity="error", markup=False)
            return
        self.phrases = list(self.service.book.personal)
        if self.editing == phrase.id:
            self._new_form(focus=False)
        self._status_line = Text(t("phrase_editor.deleted", code=phrase.code), style=status_style(self.app, "ok"))
        self._show_problems()
        self._show_list()
        self.query_one("#list", OptionList).focus()

    def action_close(self) -> None:
        """Esc: back (asks before dropping unsaved changes)."""
        if self._dirty():
            self._ask(lambda: t("phrase_editor.discard_question"), lambda: self.dismiss(None))
        else:
            self.dismiss(None)

    def _ask(self, question: Callable[[], str], then: Callable[[], object]) -> None:
        """Ask ``question()`` (worded again after a language switch); ``then()`` on yes.

        Every question here is about losing something (a phrase, unsaved
        changes): the focus starts on "No", so a stray Enter loses nothing."""
        from csdesk.screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(ConfirmScreen(question, default=False), answered)
