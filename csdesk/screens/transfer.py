"""Phone transfer target picker (issue #4 "Channels": transfer to a queue).

:class:`TransferScreen` lists the phone queues other than the call's own
(from ``ContactService.queues``) with how many callers wait in each;
digits 1–9 or up/down + Enter pick one, Esc cancels. Dismisses with the
queue name or None. A language switch redraws it in place (:meth:`TransferScreen.retranslate`).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from csdesk.domain.contact_schemas import QueueStats
from csdesk.domain.contacts import Channel
from csdesk.i18n import queue_label, t
from csdesk.widgets.bindings import key_hint, translate_bindings

#: Queues that can be picked by a digit key.
MAX_DIGIT_PICKS = 9


class TransferScreen(ModalScreen[str | None]):
    """Pick the phone queue to transfer the call to.

    ``queues`` the last ``GET /queues`` answer; ``current_queue`` the call's
    queue (left out, as are chat queues).
    """

    CSS_PATH = "transfer.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "transfer.cancel", id="transfer.cancel"),
        *(
            Binding(str(i), f"pick({i - 1})", show=False, id=f"transfer.pick{i}")
            for i in range(1, MAX_DIGIT_PICKS + 1)
        ),
    ]

    def __init__(self, queues: list[QueueStats], current_queue: str) -> None:
        super().__init__()
        translate_bindings(self)
        self.targets = [q for q in queues if q.channel is Channel.PHONE and q.queue != current_queue]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._title(), id="title")
            yield OptionList(*self._options(), id="queues")
            yield Static(Text(t("transfer.none")), id="none")
            yield Static(self._hint(), id="hint")

    def _title(self) -> Text:
        return Text(t("transfer.title"), style="bold")

    def _hint(self) -> Text:
        return Text(t("transfer.hint", cancel=key_hint(self, "transfer.cancel")), style="dim")

    def _options(self) -> list[Option]:
        """One row per target queue: its number, name and callers waiting."""
        return [
            Option(Text(
                f"{i}. {queue_label(q.queue)}  " + t("transfer.waiting", count=q.waiting),
                no_wrap=True, overflow="ellipsis",
            ), id=q.queue)
            for i, q in enumerate(self.targets, start=1)
        ]

    def retranslate(self) -> None:
        """Title, queue names, hint in the current language; the highlight stays."""
        if not self.query("#queues"):
            return  # not composed yet: it composes in the new language
        self.query_one("#title", Static).update(self._title())
        queues = self.query_one("#queues", OptionList)
        highlighted = queues.highlighted
        queues.set_options(self._options())
        queues.highlighted = highlighted
        self.query_one("#none", Static).update(Text(t("transfer.none")))
        self.query_one("#hint", Static).update(self._hint())

    def on_mount(self) -> None:
        self.query_one("#queues", OptionList).display = bool(self.targets)
        self.query_one("#none", Static).display = not self.targets
        self.query_one("#queues", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_pick(self, index: int) -> None:
        """Pick queue number ``index`` (0-based) when there is one."""
        if 0 <= index < len(self.targets):
            self.dismiss(self.targets[index].queue)

    def action_cancel(self) -> None:
        """Close without a transfer."""
        self.dismiss(None)
