"""A yes/no modal: ``ConfirmScreen(question)`` dismisses with True or False.

The question and the button labels may be functions returning them in the
current language: a language switch while the question is up words them
again (:meth:`ConfirmScreen.retranslate`).
"""

from __future__ import annotations

from rich.text import Text
from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from csdesk.i18n import t
from csdesk.widgets.bindings import translate_bindings
from csdesk.widgets.texts import LiveText, live_text


class ConfirmScreen(ModalScreen[bool]):
    """Ask ``question``; Enter/y confirms, Esc/n cancels.

    ``question``, ``yes`` and ``no`` (button labels; default "Yes"/"No") are
    strings or functions returning them in the current language. ``default``
    is the answer whose button has the focus, so what a stray Enter does: pass
    False where confirming loses work (signing out with a customer in hand).
    :attr:`question` reads the question as shown now.
    """

    CSS_PATH = "confirm.tcss"
    BINDINGS = [
        Binding("escape,n", "answer(False)", "confirm.no", id="confirm.no"),
        Binding("y", "answer(True)", "confirm.yes", id="confirm.yes"),
    ]

    def __init__(
        self, question: str | Callable[[], str], *,
        yes: str | Callable[[], str] | None = None, no: str | Callable[[], str] | None = None,
        default: bool = True,
    ) -> None:
        super().__init__()
        self._default = default
        translate_bindings(self)
        self._question: LiveText = question
        self._yes: LiveText = yes or (lambda: t("confirm.yes"))
        self._no: LiveText = no or (lambda: t("confirm.no"))

    @property
    def question(self) -> str:
        """The question in the current language."""
        return live_text(self._question)

    @property
    def yes_label(self) -> str:
        """The confirming button's label in the current language."""
        return live_text(self._yes)

    @property
    def no_label(self) -> str:
        """The cancelling button's label in the current language."""
        return live_text(self._no)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.question), id="question")
            with Horizontal(id="buttons"):
                yield Button(self.yes_label, variant="error", id="yes")
                yield Button(self.no_label, variant="primary", id="no")

    def retranslate(self) -> None:
        """The question and the buttons in the current language (the focus stays)."""
        if not self.query("#question"):
            return  # not composed yet: it composes in the new language
        self.query_one("#question", Static).update(Text(self.question))
        self.query_one("#yes", Button).label = self.yes_label
        self.query_one("#no", Button).label = self.no_label

    def on_mount(self) -> None:
        self.query_one("#yes" if self._default else "#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        """Dismiss with ``value``."""
        self.dismiss(value)
