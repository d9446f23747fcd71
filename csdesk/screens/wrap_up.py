"""F9 wrap-up modal (issue #4 "Wrap-up", guide §3.3).

:class:`WrapUpScreen` collects what leaves After-Contact Work: a disposition
code from the backend's two-level list (category → code) with type-ahead
(the filter matches codes and both languages' labels of codes and
categories; up/down move through the matches, Enter picks and moves the
focus to the notes, so the note is typed right after Enter), notes (at most
:data:`~csdesk.domain.contact_schemas.MAX_MESSAGE_CHARS`), the business
types handled (a toggle list of the catalogue's operation codes, prefilled
from the operations done in the contact), the procedure steps the desk saw
missed (listed with a warning and recorded), "callback needed" (prefilled
when the customer left) and the state after the wrap-up (Ready, or Not Ready
with a reason).

The title line shows the After-Contact Work time left ("ACW left mm:ss",
from the contact's ``acw_deadline`` by the server's clock, redrawn every
second), urgent near the end and a warning once the time is up: the form
covers the desk's own timer. The form fits 80×24 (labels in a column on the
left, the disposition list, notes and business types beside them); what
does not fit scrolls, the title, message and hint lines stay.

Submitting awaits the desk's ``submit`` function (it sends the request, or
queues it in the outbox when the backend is unreachable). A refusal keeps
the form and shows why. Esc closes without sending; what was filled in is
kept for this contact and comes back when the modal is opened again.

While the backend is unreachable (the desk tells the form: ``online``,
:meth:`WrapUpScreen.set_online`) the ACW line is marked "offline" and the
hint says that submitting saves the wrap-up in the outbox and that the
agent stays in After-Contact Work until the backend has it. A language
switch redraws every label, list and line in place; what was typed and
picked stays.

Offline, the disposition list and the business types come from the last
successful load (kept in the local store by the service: they survive a
restart too). When no list was ever loaded the form says so, and ctrl+r
saves nothing: only a code shown in the list and under "Chosen" is sent or
queued (a code picked earlier that the list does not show counts as none).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Checkbox, OptionList, Select, SelectionList, Static, TextArea
from textual.widgets.option_list import Option

from csdesk.api.errors import ApiError
from csdesk.domain.agent_state import AGENT_REASONS
from csdesk.domain.contact_schemas import (
    MAX_MESSAGE_CHARS,
    DispositionCategory,
    OperationSpec,
    SessionRecordView,
    WrapUpRequest,
)
from csdesk.domain.text import clean_text
from csdesk.glyphs import glyph
from csdesk.i18n import current_language, t
from csdesk.screens.errors import describe_error
from csdesk.screens.live_modal import LiveModal, localized
from csdesk.services.contact import ContactService
from csdesk.themes import status_style
from csdesk.widgets.bindings import key_hint
from csdesk.widgets.capped_text_area import CappedTextArea
from csdesk.widgets.contact_timers import ACW_URGENT_SECONDS
from csdesk.widgets.form_screen import FormInput
from csdesk.widgets.offer_banner import mmss
from csdesk.widgets.select_options import SafeSelect, replace_options

#: The "after wrap-up" choice meaning Ready (the others are Not Ready reasons).
READY = "ready"
#: Longest type-ahead filter, characters.
MAX_FILTER_CHARS = 64

Submit = Callable[[WrapUpRequest], Awaitable[SessionRecordView | None]]


@dataclass
class WrapUpDraft:
    """What was filled in before Esc, kept per contact until a wrap-up succeeds."""

    disposition: str | None = None
    filter: str = ""
    notes: str = ""
    business_types: list[str] = field(default_factory=list)
    callback_needed: bool = False
    after: str = READY


#: Contact id → its draft (only the last contact's is kept).
_DRAFTS: dict[str, WrapUpDraft] = {}


def _labels(texts: dict[str, str]) -> list[str]:
    return [texts.get("zh-CN", ""), texts.get("en", "")]


def matching_codes(
    categories: list[DispositionCategory], query: str
) -> list[tuple[DispositionCategory, list[dict[str, str]]]]:
    """The categories with their codes that match every word of ``query``
    (case-folded, in the code, either language's code label or category label),
    categories without a match left out; all of them for a blank query."""
    terms = query.casefold().split()
    found = []
    for category in categories:
        around = " ".join([category.code, *_labels(category.label)])
        codes = [
            entry for entry in category.codes
            if all(term in " ".join([entry.get("code", ""), *_labels(entry), around]).casefold() for term in terms)
        ]
        if codes:
            found.append((category, codes))
    return found


class CodeFilter(FormInput):
    """The type-ahead field of the disposition list: Up/Down move through the
    matching codes, Enter picks the highlighted one and moves on to Notes.

    Both run at once, in the field's key handler (:class:`FormInput` runs
    its bindings there): a message to the screen would be handled after the
    keys already queued behind it (a fast typist, a burst over a slow link),
    so "down, Enter" could pick the old code and the note typed right after
    Enter went into the filter. Keys that were queued here before Enter
    moved the focus are handed on to where the focus is now (the notes).
    """

    BINDINGS = [
        Binding("up", "move(-1)", "wrapup.code_up", id="wrapup.code_up", show=False),
        Binding("down", "move(1)", "wrapup.code_down", id="wrapup.code_down", show=False),
    ]

    def action_move(self, delta: int) -> None:
        """Move the highlighted code now."""
        screen = self.screen
        if isinstance(screen, WrapUpScreen):
            screen.move_highlight(delta)

    async def action_submit(self) -> None:
        """Enter: pick the highlighted code now (the focus goes to the notes)."""
        screen = self.screen
        if isinstance(screen, WrapUpScreen):
            screen.pick_highlighted()

    async def _on_key(self, event: events.Key) -> None:
        screen = self.screen
        if isinstance(screen, WrapUpScreen) and screen.focused is not None and screen.focused is not self:
            # Queued here before Enter moved the focus on: the key belongs to
            # the field that has the focus now (a note typed right after Enter).
            event.stop()
            event.prevent_default()
            self.app.post_message(events.Key(event.key, event.character))
        # Otherwise FormInput's and Input's handlers run next (Textual follows the MRO).


class WrapUpScreen(LiveModal[SessionRecordView | bool | None]):
    """The wrap-up form of the contact in ACW (see the module docstring).

    ``service`` gives the disposition list, the catalogue and the contact's
    operations; ``missed`` the procedure steps missed (``ChecklistStep``
    values, recorded as given); ``customer_left`` prefills "callback
    needed"; ``submit(request)`` sends or queues the request and returns the
    :class:`SessionRecordView`, or None when it was queued. Dismisses with
    the record, True when queued, None after Esc. ``submit``'s exceptions
    (``ProblemError`` refusals, any other) are shown and keep the form.
    ``clock`` (epoch seconds, local) drives the ACW countdown; the server's
    clock skew is added when the app has a session. ``online`` False: the
    backend is unreachable when the form opens (later: :meth:`set_online`).
    """

    CSS_PATH = "wrap_up.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "wrapup.cancel", id="wrapup.cancel"),
        Binding("ctrl+r", "submit", "wrapup.submit", id="wrapup.submit"),
        Binding("alt+x", "extend_acw", "wrapup.extend_acw", id="wrapup.extend_acw"),
    ]

    def __init__(
        self, service: ContactService, *, missed: list[str], customer_left: bool, submit: Submit,
        clock: Callable[[], float] = time.time, online: bool = True,
    ) -> None:
        super().__init__()
        self._clock = clock
        self._skew = 0.0
        self.service = service
        self.missed = list(missed)
        self.customer_left = customer_left
        self.submit = submit
        self.categories: list[DispositionCategory] = []
        #: The disposition code picked (None until one is).
        self.disposition: str | None = None
        self.contact_key = service.contact_id or ""
        self._busy = False
        #: False while the backend is unreachable (the desk says so: :meth:`set_online`).
        self.online = online
        #: The operation catalogue (for the business types).
        self._specs: list[OperationSpec] = []
        #: True once the first load answered (until then an empty list is "loading").
        self._loaded = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            with Horizontal(id="top"):
                yield Static(Text(t("wrapup.title"), style="bold"), id="title")
                yield Static("", id="acw")
            yield Static("", id="missed")
            yield from self._form()
            yield Static("", id="message")
            yield Static("", id="hint")

    def _form(self) -> ComposeResult:
        """The fields, each row a label on the left and its widget(s) beside it."""
        with VerticalScroll(id="body"):
            with Horizontal(classes="row"):
                yield Static(Text(t("wrapup.disposition")), classes="label", id="label-disposition")
                with Vertical(classes="cell"):
                    yield CodeFilter(id="filter", max_length=MAX_FILTER_CHARS, compact=True,
                                     placeholder=t("wrapup.filter_placeholder"))
                    yield OptionList(id="codes")
                    yield Static("", id="chosen")
            with Horizontal(classes="row"):
                yield Static(Text(t("wrapup.notes")), classes="label", id="label-notes")
                yield CappedTextArea(id="notes", compact=True, max_chars=MAX_MESSAGE_CHARS)
            with Horizontal(classes="row"):
                yield Static(Text(t("wrapup.business_types")), classes="label", id="label-types")
                yield SelectionList[str](id="types", compact=True)
            with Horizontal(classes="row", id="after-row"):
                yield Static("", classes="label")
                yield Checkbox(Text(t("wrapup.callback")), self.customer_left, id="callback", compact=True)
                yield Static(Text(t("wrapup.after")), id="after-label")
                yield SafeSelect(self._after_options(), allow_blank=False, value=READY, id="after", compact=True)

    @staticmethod
    def _after_options() -> list[tuple[Text, str]]:
        """The "state after the wrap-up" choices: Ready, or Not Ready with a reason."""
        return [(Text(t("wrapup.after_ready")), READY)] + [
            (Text(t("wrapup.after_not_ready", reason=t(f"reason.{r.value}"))), r.value) for r in AGENT_REASONS
        ]

    def on_mount(self) -> None:
        if not self.query("#filter"):
            return  # the app is closing while the form mounts: nothing to set up
        self._skew = self._clock_skew()
        self._draw_acw()
        self.set_interval(1.0, self._draw_acw)
        self._draw_missed()
        self._draw_hint()
        self.query_one("#filter", FormInput).focus()
        self.load()

    def _draw_hint(self) -> None:
        """The keys; while the backend is unreachable, also what submitting does then."""
        keys = {"submit": key_hint(self, "wrapup.submit"), "cancel": key_hint(self, "wrapup.cancel")}
        hint = Text(t("wrapup.hint", **keys), style="dim")
        if not self.online:
            hint = Text(t("wrapup.offline", **keys), style=status_style(self.app, "warn"))
        self.query_one("#hint", Static).update(hint)

    def set_online(self, online: bool) -> None:
        """The backend became reachable (``online``) or not: the ACW line and the
        hint say so (offline, submitting queues the wrap-up in the outbox)."""
        if online == self.online:
            return
        self.online = online
        if self.showing and self.query("#hint"):
            self._draw_acw()
            self._draw_hint()
            if online and self._loaded and not self.categories:
                self.load(restore=False)  # no list while offline: read it now (the draft stays)

    def _retranslate(self) -> None:
        """Every label, list, line and hint in the current language; the code
        picked and highlighted, the filter, notes, business types, callback,
        the state after and the focus stay."""
        self.query_one("#title", Static).update(Text(t("wrapup.title"), style="bold"))
        self._draw_acw()
        self._draw_missed()
        for selector, key in (("#label-disposition", "wrapup.disposition"), ("#label-notes", "wrapup.notes"),
                              ("#label-types", "wrapup.business_types"), ("#after-label", "wrapup.after")):
            self.query_one(selector, Static).update(Text(t(key)))
        self.query_one("#filter", FormInput).placeholder = t("wrapup.filter_placeholder")
        codes = self.query_one("#codes", OptionList)
        highlighted = codes.highlighted_option.id if codes.highlighted_option is not None else None
        self._draw_codes()
        ids = [codes.get_option_at_index(i).id for i in range(codes.option_count)]
        if highlighted in ids:
            codes.highlighted = ids.index(highlighted)
        self._draw_chosen()
        types = self.query_one("#types", SelectionList)
        self._fill_types(self._specs, selected=set(types.selected), highlighted=types.highlighted)
        self.query_one("#callback", Checkbox).label = Text(t("wrapup.callback"))
        replace_options(self.query_one("#after", Select), self._after_options)
        self._draw_hint()

    def _draw_missed(self) -> None:
        text = Text()
        if self.missed:
            steps = ", ".join(self._step_label(step) for step in self.missed)
            text.append(f"{glyph('⚠')} " + t("wrapup.missed", steps=steps), style=status_style(self.app, "warn"))
        if self.customer_left:
            text.append(("\n" if text else "") + t("wrapup.customer_left"), style=status_style(self.app, "info"))
        widget = self.query_one("#missed", Static)
        widget.update(text)
        widget.display = bool(text)

    def _clock_skew(self) -> float:
        """Server clock minus local clock from the app's session (0 without one,
        e.g. in a test host app)."""
        get_session = getattr(self.app, "get_session", None)
        if not callable(get_session):
            return 0.0
        try:
            return float(get_session().clock_skew)
        except Exception:  # no session yet, or no skew measured: the local clock
            return 0.0

    @work(group="wrapup-extend", exclusive=True)
    async def action_extend_acw(self) -> None:
        """alt+x: more after-contact time (once per contact; the backend refuses a second)."""
        try:
            await self.service.extend_acw()
        except (ApiError, RuntimeError) as exc:
            self._say(lambda exc=exc: describe_error(exc), "error")
            return
        self._say(lambda: t("wrapup.extended"), "info")
        self._draw_acw()

    def _draw_acw(self) -> None:
        """The ACW time left in the title line (overdue: how long since, as a
        warning; the backend keeps the agent in ACW until the wrap-up), marked
        "offline" while the backend is unreachable."""
        contact = self.service.contact
        deadline = contact.acw_deadline if contact is not None else None
        widget = self.query_one("#acw", Static)
        text = Text()
        if deadline is not None:
            left = deadline.timestamp() - (self._clock() + self._skew)
            if left > 0:
                role = "warn" if left <= ACW_URGENT_SECONDS else "info"
                text = Text(t("wrapup.acw_left", time=mmss(left)), style=status_style(self.app, role))
            else:
                text = Text(f"{glyph('⚠')} " + t("wrapup.acw_overdue", time=mmss(-left)),
                            style=status_style(self.app, "error"))
        if not self.online:
            text.append((" · " if text else "") + t("timers.offline"), style=status_style(self.app, "error"))
        widget.update(text)

    @staticmethod
    def _step_label(step: str) -> str:
        label = t(f"checklist.{step}")
        return clean_text(step) if label == f"checklist.{step}" else label

    # -- loading -----------------------------------------------------------------------

    @work(group="wrapup-load", exclusive=True)
    async def load(self, restore: bool = True) -> None:
        """Read the disposition list and the catalogue (while the backend is
        unreachable the service gives those of the last successful load, kept
        in the local store); then restore a draft (``restore``). Without a
        disposition list the form says so (and saves nothing)."""
        dispositions, catalogue = await asyncio.gather(
            self.service.dispositions(), self.service.operations(), return_exceptions=True
        )
        if not self.showing or not self.query("#codes"):
            return
        self._loaded = True
        if isinstance(dispositions, BaseException):
            failure = dispositions
            self._say(lambda: t("wrapup.no_list") + " (" + describe_error(failure) + ")", "error")
        else:
            self.categories = list(dispositions)
            if not restore:
                self._say("", "info")
        if not isinstance(catalogue, BaseException) or not self._specs:
            types = self.query_one("#types", SelectionList)
            selected = None if restore else set(types.selected)
            self._specs = [] if isinstance(catalogue, BaseException) else list(catalogue)
            self._fill_types(self._specs, selected=selected, highlighted=None if restore else types.highlighted)
        self._draw_codes()
        if restore:
            self._restore(_DRAFTS.get(self.contact_key))
        else:
            self._draw_chosen()

    def _fill_types(
        self, specs: list[OperationSpec], *, selected: set[str] | None = None, highlighted: int | None = None,
    ) -> None:
        """List the business types (names in the current language): ticked are
        ``selected`` when given, else the operations done in the contact."""
        contact = self.service.contact
        done = [op.code for op in contact.operations] if contact else []
        ticked = set(done) if selected is None else selected
        lang = current_language()
        items = [(Text(f"{localized(s.name, lang)} ({s.code})"), s.code, s.code in ticked) for s in specs]
        known = {s.code for s in specs}
        items += [(Text(clean_text(code, keep_newlines=False)), code, code in ticked)
                  for code in dict.fromkeys([*done, *sorted(ticked)]) if code not in known]
        types = self.query_one("#types", SelectionList)
        types.clear_options()
        types.add_options(items)
        if highlighted is not None and 0 <= highlighted < types.option_count:
            types.highlighted = highlighted

    def _draw_codes(self) -> None:
        codes = self.query_one("#codes", OptionList)
        lang = current_language()
        options: list[Option] = []
        for category, entries in matching_codes(self.categories, self.query_one("#filter", FormInput).value):
            options.append(Option(Text(localized(category.label, lang), style="bold"),
                                  id=f"category:{category.code}", disabled=True))
            for entry in entries:
                label = Text("  " + localized(entry, lang), no_wrap=True, overflow="ellipsis")
                label.append(f"  {clean_text(entry.get('code', ''), keep_newlines=False)}", style="dim")
                options.append(Option(label, id=entry.get("code", "")))
        if self.categories and not options:
            options.append(Option(Text(t("wrapup.no_match"), style="dim"), disabled=True))
        elif not self.categories and self._loaded:
            options.append(Option(Text(t("wrapup.no_list"), style="dim"), disabled=True))
        codes.set_options(options)
        ids = [option.id for option in options]
        if self.disposition in ids:
            codes.highlighted = ids.index(self.disposition)
        else:
            codes.highlighted = next((i for i, o in enumerate(options) if not o.disabled), None)

    # -- picking a disposition -----------------------------------------------------------

    def on_input_changed(self, event: FormInput.Changed) -> None:
        """Type-ahead: the list follows the filter."""
        event.stop()
        self._draw_codes()

    def move_highlight(self, delta: int) -> None:
        """Up/down in the filter move through the matching codes (``delta`` < 0: up)."""
        codes = self.query_one("#codes", OptionList)
        if delta < 0:
            codes.action_cursor_up()
        else:
            codes.action_cursor_down()

    def pick_highlighted(self) -> None:
        """Enter in the filter: pick the highlighted code (and go on to the notes),
        or say that a code must be picked (none in the list: that there is no list)."""
        codes = self.query_one("#codes", OptionList)
        if codes.highlighted is not None:
            option = codes.get_option_at_index(codes.highlighted)
            if not option.disabled and option.id:
                self.pick(option.id)
                return
        self._say(lambda: t("wrapup.no_list") if not self.categories else t("wrapup.need_code"), "bad")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id != "codes":
            return  # the "after wrap-up" Select's own list
        event.stop()
        if event.option.id and not event.option.disabled:
            self.pick(event.option.id)

    def pick(self, code: str) -> None:
        """Choose disposition ``code`` and go on to the notes (the focus moves
        at once, so the next key typed lands in the notes)."""
        self.disposition = code
        self._draw_chosen()
        self._say("", "info")
        self.set_focus(self.query_one("#notes", TextArea))

    def _chosen_entry(self) -> tuple[DispositionCategory, dict[str, str]] | None:
        """The category and entry of the code picked, when the list shows it
        (a code kept from before that the list does not have counts as none)."""
        for category in self.categories:
            for entry in category.codes:
                if self.disposition is not None and entry.get("code") == self.disposition:
                    return category, entry
        return None

    def _draw_chosen(self) -> None:
        text = Text(t("wrapup.chosen") + " ", style="bold")
        lang = current_language()
        found = self._chosen_entry()
        if found is not None:
            category, entry = found
            text.append(f"{localized(category.label, lang)} {glyph('→')} {localized(entry, lang)}")
            text.append(f"  {clean_text(self.disposition or '', keep_newlines=False)}", style="dim")
        else:
            text.append(t("wrapup.none_chosen"), style="dim")
        self.query_one("#chosen", Static).update(text)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        """Notes are capped at MAX_MESSAGE_CHARS (what is past it is dropped, and said)."""
        area = event.text_area
        if len(area.text) > MAX_MESSAGE_CHARS:
            area.load_text(area.text[:MAX_MESSAGE_CHARS])
            area.move_cursor(area.document.end)
            self._say(lambda: t("form.too_long"), "warn")

    # -- drafts, submit and cancel ---------------------------------------------------------

    def _draft(self) -> WrapUpDraft:
        return WrapUpDraft(
            disposition=self.disposition,
            filter=self.query_one("#filter", FormInput).value,
            notes=self.query_one("#notes", TextArea).text,
            business_types=list(self.query_one("#types", SelectionList).selected),
            callback_needed=self.query_one("#callback", Checkbox).value,
            after=str(self.query_one("#after", Select).value),
        )

    def _restore(self, draft: WrapUpDraft | None) -> None:
        if draft is None:
            self._draw_chosen()
            return
        self.disposition = draft.disposition
        self.query_one("#filter", FormInput).value = draft.filter
        self.query_one("#notes", TextArea).load_text(draft.notes)
        types = self.query_one("#types", SelectionList)
        types.deselect_all()
        for code in draft.business_types:
            types.select(code)
        self.query_one("#callback", Checkbox).value = draft.callback_needed
        self.query_one("#after", Select).value = draft.after
        self._draw_codes()
        self._draw_chosen()

    def request(self) -> WrapUpRequest | None:
        """The request the form makes now, or None (and a message) without a
        disposition the agent can see: picked from the list shown, and shown
        under "Chosen". Without a list (never loaded, backend unreachable)
        nothing is saved: a code the agent cannot see is never sent or queued."""
        if not self.disposition or self._chosen_entry() is None:
            self._say(lambda: t("wrapup.no_list") if not self.categories else t("wrapup.need_code"), "bad")
            self.query_one("#filter", FormInput).focus()
            return None
        draft = self._draft()
        return WrapUpRequest(
            disposition=self.disposition,
            notes=draft.notes.strip()[:MAX_MESSAGE_CHARS],
            business_types=draft.business_types,
            missed_steps=self.missed,
            callback_needed=draft.callback_needed,
            not_ready_reason=None if draft.after == READY else draft.after,
        )

    def action_submit(self) -> None:
        """Check and submit the wrap-up."""
        if self._busy:
            return
        request = self.request()
        if request is not None:
            self.send(request)

    @work(group="wrapup-send", exclusive=True)
    async def send(self, request: WrapUpRequest) -> None:
        """Await ``submit(request)``; dismiss with the record (True when queued)."""
        self._busy = True
        self._say(lambda: t("wrapup.sending"), "info")
        try:
            record = await self.submit(request)
        except Exception as exc:  # a refusal (ProblemError) or any fault keeps the form
            self._say(lambda exc=exc: t("wrapup.not_saved", error=describe_error(exc)), "error")
            return
        finally:
            self._busy = False
        _DRAFTS.pop(self.contact_key, None)
        if not self.showing:
            return
        self.dismiss(record if record is not None else True)

    def action_cancel(self) -> None:
        """Close without sending; the form is kept for this contact."""
        _DRAFTS.clear()
        _DRAFTS[self.contact_key] = self._draft()
        self.dismiss(None)
