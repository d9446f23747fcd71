"""Not Ready reason picker: dismisses with a ``NotReadyReason`` or None."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from csdesk.domain.agent_state import AGENT_REASONS, NotReadyReason
from csdesk.i18n import t
from csdesk.widgets.bindings import translate_bindings


class ReasonScreen(ModalScreen[NotReadyReason | None]):
    """Pick why the agent goes Not Ready (break, meal, training, meeting, other).

    Digits 1–5 pick directly; Enter picks the highlighted one; Esc cancels.
    ``title``: the question shown (default "Not Ready: why?"; declining an
    offer asks why it was declined).
    """

    CSS_PATH = "reason.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "reason.cancel", id="reason.cancel"),
        *(
            Binding(str(i), f"pick({i - 1})", show=False, id=f"reason.pick{i}")
            for i in range(1, len(AGENT_REASONS) + 1)
        ),
    ]

    def __init__(self, title: str | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self._title = title

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._title or t("reason.title"), id="title", markup=False)
            yield OptionList(
                *(
                    Option(f"{i}. {t(f'reason.{r.value}')}", id=r.value)
                    for i, r in enumerate(AGENT_REASONS, start=1)
                ),
                id="reasons",
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(NotReadyReason(event.option.id))

    def action_pick(self, index: int) -> None:
        """Pick reason number ``index`` (0-based)."""
        self.dismiss(AGENT_REASONS[index])

    def action_cancel(self) -> None:
        """Close without a choice."""
        self.dismiss(None)
