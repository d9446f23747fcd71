"""The contact in hand on the desk: conversation, customer card, checklist (issue #4).

:class:`LiveContact` puts the parts together inside :class:`DeskPanels`
(side by side from 120 columns, tabs below): a call bar (phone: hold /
mute state and the call keys; chat: the end key; then the composer mode;
fitted to its width in terminal cells, :class:`CallBar`), the
:class:`Transcript`, the :class:`Composer`, the :class:`CustomerCardView`
and the :class:`ProcedureChecklist`. It only draws what the screen hands
down; the screen owns the keys, the calls and the decisions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget

from csdesk.domain.contacts import Channel, ContactStatus
from csdesk.i18n import t
from csdesk.themes import status_style
from csdesk.widgets.bindings import key_hint
from csdesk.widgets.composer import Composer
from csdesk.widgets.customer_card import CustomerCardView
from csdesk.widgets.desk_panels import DeskPanels
from csdesk.widgets.kb_suggestions import KbSuggestionBar
from csdesk.widgets.procedure_checklist import ProcedureChecklist
from csdesk.widgets.transcript import Transcript

if TYPE_CHECKING:
    from csdesk.domain.contact_schemas import ContactView, TranscriptLine
    from csdesk.domain.procedure import ChecklistResult

#: Call keys the call bar leaves out, in this order, when it is too narrow
#: (transfer is the rarest; F9 also ends; the footer shows hold; mute last).
CALL_KEYS_DROPPED = ("transfer", "end", "hold", "mute")


class LiveContact(Widget):
    """The panels of one live contact.

    Down: :meth:`show_contact` (a ``ContactView``: a new id clears the
    transcript and prefills the composer with the greeting script),
    :meth:`add_line`, :meth:`show_checklist`, :meth:`set_note_mode`,
    :meth:`retranslate`. Read: :attr:`contact_id`, :attr:`note_mode`,
    :attr:`composer`, :attr:`transcript`, :attr:`panels`, :attr:`call_bar`
    (its line: :meth:`call_bar_text`), :attr:`suggestions` (the knowledge
    suggestion line over the composer; the screen fills it).
    The screen's key hints are read from ``hints_from`` (the screen, whose
    binding ids are ``desk.*``).
    """

    DEFAULT_CSS = """
    LiveContact { height: 1fr; width: 1fr; }
    LiveContact Composer.-note ComposerInput { border: tall $warning; }
    """

    def __init__(self, hints_from: Widget, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._hints_from = hints_from
        self.transcript = Transcript(id="transcript")
        self.composer = Composer(id="composer")
        self.card = CustomerCardView(id="customer-card")
        self.checklist = ProcedureChecklist(id="checklist")
        self.call_bar = CallBar(self, id="call-bar")
        #: Suggested knowledge articles, one line over the composer (issue #5).
        self.suggestions = KbSuggestionBar(hints_from, id="kb-suggestions")
        self.contact: ContactView | None = None
        self.note_mode = False

    def compose(self) -> ComposeResult:
        conversation = Vertical(self.call_bar, self.transcript, self.suggestions, self.composer, id="conversation")
        yield DeskPanels(conversation, self.card, self.checklist, id="panels")

    @property
    def panels(self) -> DeskPanels:
        """The panel container (tabs at 80×24)."""
        return self.query_one(DeskPanels)

    @property
    def contact_id(self) -> str | None:
        """The id of the contact shown (None before the first)."""
        return self.contact.id if self.contact else None

    # -- down ---------------------------------------------------------------

    def show_contact(self, contact: ContactView) -> None:
        """Show ``contact``; a different contact than before starts afresh."""
        new = self.contact is None or self.contact.id != contact.id
        self.contact = contact
        if new:
            self.transcript.clear()
            self.note_mode = False
            self.composer.remove_class("-note")
            self.composer.clear()
            agent_spoke = any(line.speaker == "agent" and line.kind == "message" for line in contact.transcript)
            if contact.greeting and not agent_spoke and contact.status is ContactStatus.ACTIVE:
                self.composer.set_text(contact.greeting)
            self.panels.show_panel("conversation", focus=False)
        self.transcript.add_lines(contact.transcript)
        self.card.show_card(contact.customer)
        self.card.set_verification(contact.verification_level, locked=contact.verification_locked)
        if contact.status is ContactStatus.WRAP_UP and not self.note_mode:
            self.set_note_mode(True)  # only private notes can still be written
        self._show_bar()

    def add_line(self, line: TranscriptLine) -> None:
        """Append one transcript line (duplicates by ``seq`` are skipped)."""
        self.transcript.add_line(line)

    def show_checklist(self, result: ChecklistResult, *, missed: bool = False, locked: bool = False) -> None:
        """Draw the procedure checklist (``missed``: at wrap-up, mark open steps
        missed; ``locked``: the contact's identity verification is locked)."""
        self.checklist.show_result(result, verification_locked=locked)
        self.checklist.show_missed(missed)

    def set_note_mode(self, on: bool) -> None:
        """Composer writes private notes (``on``) or messages to the customer."""
        self.note_mode = on
        self.composer.set_class(on, "-note")
        self._show_bar()

    def retranslate(self) -> None:
        """Redraw every part in the current language."""
        self.panels.retranslate()
        self.transcript.retranslate()
        self.composer.retranslate()
        self.card.retranslate()
        self.checklist.retranslate()
        self.suggestions.retranslate()
        self._show_bar()

    # -- internals ----------------------------------------------------------

    def _hint(self, binding_id: str) -> str:
        return key_hint(self._hints_from, binding_id)

    def _show_bar(self) -> None:
        self.call_bar.refresh()

    def call_bar_text(self, width: int | None = None) -> Text:
        """The call bar's line for ``width`` terminal cells (None: no limit).

        The states (ON HOLD, MUTED, customer left, the wrap-up line) and the
        composer's mode always show; when the line is wider than ``width``
        (measured in cells: a Chinese character takes two) the call keys go
        first, in the order of :data:`CALL_KEYS_DROPPED`, then the mode's
        key. Only a bar narrower than its states is still cut (with "…").
        """
        contact = self.contact
        if contact is None:
            return Text()
        app = self.app
        warn = status_style(app, "warn")
        states: list[tuple[str, str]] = []
        keys: list[tuple[str, str]] = []
        if contact.status is ContactStatus.WRAP_UP:
            states.append((t("live.wrap_up_bar", key=self._hint("desk.wrap_up")), warn))
        elif contact.channel is Channel.PHONE:
            if contact.on_hold:
                states.append((t("live.on_hold"), warn + " reverse"))
            if contact.muted:
                states.append((t("live.muted"), warn + " reverse"))
            keys = [
                ("hold", t("live.key_resume" if contact.on_hold else "live.key_hold", key=self._hint("desk.hold"))),
                ("mute", t("live.key_unmute" if contact.muted else "live.key_mute", key=self._hint("desk.mute"))),
                ("transfer", t("live.key_transfer", key=self._hint("desk.transfer"))),
                ("end", t("live.key_end", key=self._hint("desk.end_contact"))),
            ]
        else:
            keys = [("end", t("live.chat_keys", end=self._hint("desk.end_contact")))]
        if contact.customer_left and contact.status is not ContactStatus.WRAP_UP:
            states.append((t("live.customer_left"), status_style(app, "error")))
        mode = t("live.mode_note") if self.note_mode else t("live.mode_message")
        mode_style = "bold" if self.note_mode else ""
        mode_key = f" ({self._hint('desk.note_mode')})"

        def line(dropped: frozenset[str], with_mode_key: bool) -> Text:
            text = Text(no_wrap=True, overflow="ellipsis")
            for index, (label, style) in enumerate(states):
                if index:
                    text.append(" ")
                text.append(label, style=style)
            shown = [label for name, label in keys if name not in dropped]
            if shown:
                text.append(" " if states else "")
                text.append(" · ".join(shown), style="dim")
            text.append(" │ " + mode + (mode_key if with_mode_key else ""), style=mode_style)
            return text

        tries = [line(frozenset(CALL_KEYS_DROPPED[:count]), True) for count in range(len(CALL_KEYS_DROPPED) + 1)]
        tries.append(line(frozenset(CALL_KEYS_DROPPED), False))
        if width is None:
            return tries[0]
        return next((text for text in tries if cell_len(text.plain) <= width), tries[-1])


class CallBar(Widget):
    """The one line over the transcript (phone: hold / mute states and the call
    keys; chat: the end key; wrap-up: the F9 line; then the composer's mode).

    The text comes from :meth:`LiveContact.call_bar_text` at every render,
    for the bar's own width, so a resize or a language switch redraws it to
    fit. ``str(render())`` is the line shown.
    """

    DEFAULT_CSS = """
    CallBar {
        height: 1;
        width: 1fr;
        padding: 0 1;
        background: $boost;
    }
    """

    def __init__(self, owner: LiveContact, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._owner = owner

    def render(self) -> Text:
        """The bar's line, fitted to its content width."""
        width = self.content_size.width
        return self._owner.call_bar_text(width if width > 0 else None)
