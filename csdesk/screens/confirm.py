"""A yes/no modal: ``ConfirmScreen(question)`` dismisses with True or False.

The question and the button labels may be functions returning them in the
current language: a language switch while the question is up words them
again (:meth:`ConfirmScreen.retranslate`). Left / Right move the focus
between the two buttons (:class:`AnswerButton`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from csdesk.i18n import t
from csdesk.widgets.bindings import translate_bindings
from csdesk.widgets.texts import LiveText, live_text


class AnswerButton(Button):
    """A button of a row of answers: Left / Right focus the one beside it
    (at either end the focus stays). The keys are the button's own bindings,
    so they act whichever screen the row is on."""

    BINDINGS = [
        Binding("left", "beside(-1)", "confirm.left", id="confirm.left", show=False),
        Binding("right", "beside(1)", "confirm.right", id="confirm.right", show=False),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)

    def action_beside(self, delta: int) -> None:
        """Focus the answer ``delta`` places away (-1: left, 1: right), if there is one."""
        parent = self.parent
        if parent is None:
            return
        row = [child for child in parent.children if isinstance(child, AnswerButton) and child.focusable]
        if self not in row:
            return
        index = row.index(self) + delta
        if 0 <= index < len(row):
            row[index].focus()


class ConfirmScreen(ModalScreen["bool | None"]):
    """Ask ``question``; Enter/y confirms, Esc/n cancels, Left / Right move
    between the Yes and No buttons.

    ``escape_means_neither``: for a choice between two actions (reopen or
    close anyway), Esc dismisses with None, doing neither; n still answers
    False. Otherwise Esc answers False.

    ``question``, ``yes`` and ``no`` (button labels; default "Yes"/"No") are
    strings or functions returning them in the current language. ``default``
    is the answer whose button has the focus, so what a stray Enter does: pass
    False where confirming loses work (signing out with a customer in hand).
    :attr:`question` reads the question as shown now.
    """

    CSS_PATH = "confirm.tcss"
    BINDINGS = [
        Binding("escape", "escape", "confirm.no", id="confirm.escape", show=False),
        Binding("n", "answer(False)", "confirm.no", id="confirm.no"),
        Binding("y", "answer(True)", "confirm.yes", id="confirm.yes"),
    ]

    def __init__(
        self, question: str | Callable[[], str], *,
        yes: str | Callable[[], str] | None = None, no: str | Callable[[], str] | None = None,
        default: bool = True, escape_means_neither: bool = False,
    ) -> None:
        super().__init__()
        self._default = default
        self._escape_means_neither = escape_means_neither
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
                yield AnswerButton(self.yes_label, variant="error", id="yes")
                yield AnswerButton(self.no_label, variant="primary", id="no")

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

    def action_escape(self) -> None:
        """Esc: no (None, neither, with ``escape_means_neither``)."""
        self.dismiss(None if self._escape_means_neither else False)
