"""Ask for one key press: ``KeyCaptureScreen(prompt)`` dismisses with its name.

Used by settings to remap a binding or set the quick-phrase key. The result
is the Textual key name of the next key pressed (``"f11"``, ``"ctrl+t"``,
``"alt+x"``, ``"question_mark"``), or None for Esc. While it is up the app's
own keys (ctrl+l, ctrl+p, ctrl+q, F1, F10, ctrl+s) are switched off
(``CsdeskApp.check_action``), so they can be captured too.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from csdesk.i18n import t


class KeyCaptureScreen(ModalScreen[str | None]):
    """Shows ``prompt`` (plain text) and waits for a key; Esc cancels."""

    CSS_PATH = "key_capture.tcss"
    BINDINGS: list = []

    def __init__(self, prompt: str) -> None:
        super().__init__()
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.prompt), id="prompt")
            yield Static(t("capture.hint"), id="hint")

    async def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        self.dismiss(None if event.key == "escape" else event.key)
