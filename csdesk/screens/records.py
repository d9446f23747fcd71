"""Session records and replay (F8; guide §3.3, issue #4).

The agent's own records, newest first, from the local copy that sync keeps
(readable offline): time, channel, customer reference, disposition, the
operations' reference numbers. The highlighted record shows below: the
counters (talk, hold, ACW seconds), the verification level reached, missed
procedure steps, notes, and its transcript replayed line by line in the
desk's transcript widget (plain text: nothing in it is markup). Esc goes back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from csdesk.domain.text import clean_text
from csdesk.i18n import queue_label, t
from csdesk.themes import status_style
from csdesk.widgets.bindings import translate_bindings
from csdesk.widgets.transcript import Transcript
from csdesk.widgets.footer import Footer

if TYPE_CHECKING:
    from csdesk.domain.contact_schemas import SessionRecordDoc


def record_label(record: SessionRecordDoc) -> Text:
    """One list row: local time, channel, customer, disposition, references (plain text)."""
    row = Text(no_wrap=True, overflow="ellipsis")
    row.append(record.wrapped_up_at.astimezone().strftime("%m-%d %H:%M "), style="dim")
    row.append(t(f"offer.channel.{record.channel}") + " ", style="bold")
    row.append(clean_text(record.customer_ref, keep_newlines=False, max_chars=16) + " ")
    row.append(clean_text(record.disposition, keep_newlines=False, max_chars=40))
    refs = [clean_text(op.reference, keep_newlines=False, max_chars=32) for op in record.operations]
    if refs:
        row.append(" " + ", ".join(refs), style="cyan")
    return row


class RecordsScreen(Screen[None]):
    """The list of session records above the highlighted one's detail and
    transcript; ``contact_id``: start on that contact's record (a work order's
    linked contact)."""

    CSS_PATH = "records.tcss"
    BINDINGS = [
        Binding("escape", "close", "records.close", id="records.close"),
        Binding("tab", "app.focus_next", "records.switch", id="records.switch", show=False),
    ]

    def __init__(self, *, contact_id: str | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self.records: list[SessionRecordDoc] = []
        self._shown: str | None = None
        #: Highlight the record of this contact when the list first shows (from a work order).
        self._wanted_contact = contact_id

    def compose(self) -> ComposeResult:
        yield Static("", id="heading")
        yield OptionList(id="list")
        yield Static("", id="detail", markup=False)
        yield Transcript(id="replay")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.reload()

    def retranslate(self) -> None:
        """Relabel in the current language."""
        translate_bindings(self)
        self.show(self.records)

    def records_changed(self) -> None:
        """Sync pulled new records (called by the desk)."""
        self.reload()

    @work(group="records-load", exclusive=True)
    async def reload(self) -> None:
        """Read the records from the local store (in a thread) and show them."""
        from csdesk.services.records import load_records

        session: Any = getattr(self.app, "session", None)
        if session is None or session.sync is None or session.store is None:
            return
        try:
            records = await load_records(session)
        except Exception:
            return  # the store closed (signing out): keep what is shown
        self.show(records)

    def show(self, records: list[SessionRecordDoc]) -> None:
        """Show ``records`` (newest first), keeping the highlighted one."""
        option_list = self.query_one(OptionList)
        current = self._shown
        if self._wanted_contact is not None:
            current = next((r.id for r in records if r.contact_id == self._wanted_contact), current)
            self._wanted_contact = None
        self.records = list(records)
        option_list.set_options([Option(record_label(r), id=r.id) for r in self.records])
        ids = [r.id for r in self.records]
        self.query_one("#heading", Static).update(Text(t("records.title", count=len(ids)), style="bold"))
        if ids:
            option_list.highlighted = ids.index(current) if current in ids else 0
            self._show_detail(self.records[option_list.highlighted or 0], force=True)
        else:
            self._shown = None
            self.query_one("#detail", Static).update(Text(t("records.none")))
            self.query_one(Transcript).clear()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        index = event.option_index
        if 0 <= index < len(self.records):
            self._show_detail(self.records[index])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one(Transcript).focus()

    def _show_detail(self, record: SessionRecordDoc, *, force: bool = False) -> None:
        if record.id == self._shown and not force:
            return
        self._shown = record.id
        detail = Text(overflow="ellipsis")
        detail.append(t(
            "records.times", talk=round(record.talk_seconds), hold=round(record.hold_seconds),
            acw=round(record.acw_seconds), level=record.verification_level,
        ))
        if record.operations:
            ops = ", ".join(
                f"{clean_text(op.code, keep_newlines=False, max_chars=32)} {clean_text(op.reference, keep_newlines=False, max_chars=32)}"
                for op in record.operations
            )
            detail.append("\n" + t("records.operations", operations=ops))
        flags = []
        if record.missed_steps:
            flags.append(t("records.missed", steps=", ".join(t(f"checklist.{s}") for s in record.missed_steps)))
        if record.callback_needed:
            flags.append(t("records.callback"))
        if record.transferred_to:
            flags.append(t("records.transferred", queue=queue_label(record.transferred_to)))
        if flags:
            detail.append("\n" + " · ".join(flags), style=status_style(self.app, "warn"))
        if record.notes:
            detail.append("\n" + t("records.notes") + " " + clean_text(record.notes, keep_newlines=False, max_chars=200))
        self.query_one("#detail", Static).update(detail)
        replay = self.query_one(Transcript)
        replay.clear()
        replay.add_lines(record.transcript)
        replay.scroll_home(animate=False)

    def action_close(self) -> None:
        """Back to the desk."""
        self.dismiss(None)
