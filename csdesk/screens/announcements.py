"""Unread announcements after sign-in (operating guide §1.2).

Listed newest first; a mandatory one must be acknowledged (``a``) before the
desk opens. Continuing records as read the non-mandatory ones the agent
opened (highlighted); the others stay unread for next time. Both go to the
server through the outbox, so they are kept even when the backend is down.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from collections.abc import Iterable

from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from csdesk.domain.text import clean_text
from csdesk.glyphs import glyph
from csdesk.i18n import t
from csdesk.widgets.bindings import translate_bindings
from csdesk.widgets.footer import Footer

if TYPE_CHECKING:
    from csdesk.domain.schemas import Announcement


class AnnouncementsScreen(Screen[None]):
    """Shows ``items`` (unread announcements); pops itself when done.

    ``start_id``: the announcement highlighted first (default: the newest),
    e.g. the one picked in the to-do list. ``close_if_read``: opened because
    an announcement arrived; if every item turns out acknowledged by the time
    the screen shows (an ack landed while the list was being read), it closes
    itself instead of showing a stale list.
    """

    CSS_PATH = "announcements.tcss"
    BINDINGS = [
        Binding("a", "acknowledge", "announcements.ack", id="announcements.ack"),
        Binding("c", "continue", "announcements.continue", id="announcements.continue"),
        Binding("escape", "continue", "announcements.close", id="announcements.close"),
    ]

    def __init__(
        self, items: list[Announcement], start_id: str | None = None, *, close_if_read: bool = False
    ) -> None:
        super().__init__()
        self.start_id = start_id
        self.close_if_read = close_if_read
        translate_bindings(self)
        from csdesk.services.session import is_unread

        self.items = list(items)
        #: Acknowledged at their current version (before or on this screen).
        self.acked: set[str] = {a.id for a in self.items if not is_unread(a)}
        #: Opened (highlighted) on this screen: read, for non-mandatory ones.
        self.viewed: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Static("", id="heading")
        yield OptionList(*self._options(), id="list")
        with VerticalScroll(id="body-scroll"):
            yield Static("", id="body")
        yield Static("", id="status")
        yield Footer()

    def _options(self) -> list[Option]:
        options = []
        for ann in self.items:
            label = Text(no_wrap=True, overflow="ellipsis")
            if ann.id in self.acked:
                label.append(glyph("✓") + " ", style="green")
            elif ann.mandatory:
                label.append("! ", style="bold red")
            else:
                label.append("  ")
            label.append(ann.published_at.astimezone().strftime("%m-%d %H:%M "), style="dim")
            label.append(clean_text(ann.title, keep_newlines=False, max_chars=120))
            options.append(Option(label, id=ann.id))
        return options

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        option_list.focus()
        if self.items:
            ids = [ann.id for ann in self.items]
            option_list.highlighted = ids.index(self.start_id) if self.start_id in ids else 0
        self._render_status()
        self._catch_up()

    @work(group="ack")
    async def _catch_up(self) -> None:
        """Mark items acknowledged since the list was read (on this or
        another screen), so no announcement asks for a second ack."""
        from csdesk.services.session import is_unread
        from csdesk.store.errors import StoreError

        session = self.app.get_session()
        try:
            fresh = {a.id: a for a in await session.announcements()}
        except (StoreError, AssertionError):  # signed out meanwhile: nothing to catch up
            return
        done = {a.id for a in self.items if a.id in fresh and not is_unread(fresh[a.id])}
        if not done - self.acked:
            return
        self.acked |= done
        if self.close_if_read and len(self.acked) == len(self.items):
            self.dismiss()
            return
        self._refresh_list()

    def retranslate(self) -> None:
        """Relabel in the current language; the highlighted item stays."""
        self._render_status()
        self._show_current()

    def _current(self) -> Announcement | None:
        index = self.query_one(OptionList).highlighted
        return self.items[index] if index is not None and 0 <= index < len(self.items) else None

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_current()

    def _show_current(self) -> None:
        ann = self._current()
        body = self.query_one("#body", Static)
        if ann is None:
            body.update("")
            return
        self.viewed.add(ann.id)
        text = Text()
        text.append(clean_text(ann.title, keep_newlines=False) + "\n", style="bold")
        if ann.id in self.acked:
            text.append(t("announcements.acknowledged") + "\n", style="green")
        elif ann.mandatory:
            text.append(t("announcements.mandatory") + "\n", style="bold red")
        text.append("\n")
        text.append(clean_text(ann.body))
        body.update(text)
        self.query_one("#body-scroll", VerticalScroll).scroll_home(animate=False)

    def _missing(self) -> list[Announcement]:
        return [a for a in self.items if a.mandatory and a.id not in self.acked]

    def _render_status(self) -> None:
        missing = len(self._missing())
        heading = self.query_one("#heading", Static)
        heading.update(Text(t("announcements.title", count=len(self.items)), style="bold"))
        status = self.query_one("#status", Static)
        if missing:
            status.update(Text(t("announcements.must_ack", count=missing), style="bold yellow"))
        else:
            status.update(Text(t("announcements.all_done"), style="green"))

    def action_acknowledge(self) -> None:
        """Acknowledge the highlighted announcement (recorded through the outbox)."""
        ann = self._current()
        if ann is None or ann.id in self.acked:
            return
        self._ack([ann])

    @work(group="ack")
    async def _ack(self, anns: list[Announcement], then_close: bool = False) -> None:
        from csdesk.screens.errors import describe_error

        session = self.app.get_session()
        for ann in anns:
            try:
                await session.acknowledge(ann)
            except Exception as exc:
                self.notify(describe_error(exc), severity="error", markup=False)
                return
            self.acked.add(ann.id)
        self._refresh_list()
        if then_close:
            self.dismiss()

    def _refresh_list(self) -> None:
        option_list = self.query_one(OptionList)
        highlighted = option_list.highlighted
        option_list.set_options(self._options())
        option_list.highlighted = highlighted
        self._render_status()
        self._show_current()

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Announcement entries of the command palette."""
        yield SystemCommand(t("cmd.ack"), t("cmd.ack.help"), self.action_acknowledge)
        yield SystemCommand(t("cmd.continue"), t("cmd.continue.help"), self.action_continue)

    def action_continue(self) -> None:
        """Go to the desk once every mandatory announcement is acknowledged."""
        missing = self._missing()
        if missing:
            self.notify(t("announcements.must_ack", count=len(missing)), severity="warning", markup=False)
            option_list = self.query_one(OptionList)
            option_list.highlighted = self.items.index(missing[0])
            return
        read = [a for a in self.items if a.id in self.viewed and a.id not in self.acked]
        self._ack(read, then_close=True)
