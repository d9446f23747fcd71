"""Ask for one key press: ``KeyCaptureScreen(prompt)`` dismisses with its name.

Used by settings to remap a binding or set the quick-phrase key. The result
is the Textual key name of the next key pressed (``"f11"``, ``"ctrl+t"``,
``"alt+x"``, ``"question_mark"``), or None for Esc. While it is up the app's
own keys (ctrl+l, ctrl+p, ctrl+q, F1, F10, ctrl+s) are switched off
(``CsdeskApp.check_action``), so they can be captured too.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from csdesk.i18n import t
from csdesk.widgets.texts import LiveText, live_text


class KeyCaptureScreen(ModalScreen[str | None]):
    """Shows ``prompt`` (plain text, or a function returning it in the current
    language) and waits for a key; Esc cancels. A language switch (the agent's
    settings changed elsewhere) words the prompt and hint again."""

    CSS_PATH = "key_capture.tcss"
    BINDINGS: list = []

    def __init__(self, prompt: str | Callable[[], str]) -> None:
        super().__init__()
        self._prompt: LiveText = prompt

    @property
    def prompt(self) -> str:
        """The prompt in the current language."""
        return live_text(self._prompt)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.prompt), id="prompt")
            yield Static(Text(t("capture.hint")), id="hint")

    def retranslate(self) -> None:
        """The prompt and the hint in the current language."""
        if self.query("#prompt"):
            self.query_one("#prompt", Static).update(Text(self.prompt))
            self.query_one("#hint", Static).update(Text(t("capture.hint")))

    async def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        self.dismiss(None if event.key == "escape" else event.key)
