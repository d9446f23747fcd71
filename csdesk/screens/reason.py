"""Not Ready reason picker: dismisses with a ``NotReadyReason`` or None."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from csdesk.domain.agent_state import AGENT_REASONS, NotReadyReason
from csdesk.i18n import t
from csdesk.widgets.bindings import translate_bindings
from csdesk.widgets.texts import LiveText, live_text


class ReasonScreen(ModalScreen[NotReadyReason | None]):
    """Pick why the agent goes Not Ready (break, meal, training, meeting, other).

    Digits 1–5 pick directly; Enter picks the highlighted one; Esc cancels.
    ``title``: the question shown (default "Not Ready: why?"; declining an
    offer asks why it was declined), a string or a function returning it in
    the current language (worded again by :meth:`retranslate`).
    """

    CSS_PATH = "reason.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "reason.cancel", id="reason.cancel"),
        *(
            Binding(str(i), f"pick({i - 1})", show=False, id=f"reason.pick{i}")
            for i in range(1, len(AGENT_REASONS) + 1)
        ),
    ]

    def __init__(self, title: str | Callable[[], str] | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self._title: LiveText = title or (lambda: t("reason.title"))

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(live_text(self._title)), id="title")
            yield OptionList(*self._options(), id="reasons")

    @staticmethod
    def _options() -> list[Option]:
        return [Option(f"{i}. {t(f'reason.{r.value}')}", id=r.value) for i, r in enumerate(AGENT_REASONS, start=1)]

    def retranslate(self) -> None:
        """The question and the reasons in the current language; the highlight stays."""
        if not self.query("#reasons"):
            return  # not composed yet: it composes in the new language
        self.query_one("#title", Static).update(Text(live_text(self._title)))
        reasons = self.query_one("#reasons", OptionList)
        highlighted = reasons.highlighted
        reasons.set_options(self._options())
        reasons.highlighted = highlighted

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
