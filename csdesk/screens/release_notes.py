"""Release notes of a new csdesk version, shown once (modal; Enter or Esc closes)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from csdesk.i18n import current_language, t
from csdesk.widgets.bindings import key_hint, translate_bindings


class ReleaseNotesScreen(ModalScreen[None]):
    """``entries``: ``[(version, {language: text})]`` from ``release_notes.notes_to_show``."""

    DEFAULT_CSS = """
    ReleaseNotesScreen { align: center middle; }
    ReleaseNotesScreen #dialog {
        width: 76; max-width: 100%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    ReleaseNotesScreen #notes { height: auto; max-height: 18; }
    """
    BINDINGS = [Binding("escape,enter", "close", "release_notes.close", id="release_notes.close")]

    def __init__(self, entries: list[tuple[str, dict[str, str]]]) -> None:
        super().__init__()
        translate_bindings(self)
        self.entries = entries

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._title(), id="title")
            with VerticalScroll(id="notes"):
                yield Static(self._notes(), id="notes-text")
            yield Static(self._hint(), id="hint")

    @staticmethod
    def _title() -> Text:
        return Text(t("release_notes.title"), style="bold")

    def _notes(self) -> Text:
        text = Text()
        for version, notes in self.entries:
            text.append(t("release_notes.version", version=version) + "\n", style="bold")
            text.append((notes.get(current_language()) or notes.get("en", "")) + "\n\n")
        return text

    def _hint(self) -> Text:
        return Text(t("release_notes.close_hint", keys=key_hint(self, "release_notes.close")), style="dim")

    def retranslate(self) -> None:
        """Title, notes and hint in the current language (the scroll position stays)."""
        if self.query("#notes-text"):
            self.query_one("#title", Static).update(self._title())
            self.query_one("#notes-text", Static).update(self._notes())
            self.query_one("#hint", Static).update(self._hint())

    def action_close(self) -> None:
        """Close the notes."""
        self.dismiss(None)
