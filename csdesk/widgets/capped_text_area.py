"""A multi-line field that holds at most a set number of characters.

Text reaches a ``TextArea`` two ways: a bracketed paste (one ``Paste``
event), or, from a terminal without bracketed paste, as one key per
character. Textual's ``TextArea`` has no cap for either, so a long paste typed
in as keys grew the document without end while every key paid for the whole
text (QA round 8: 22,000 characters froze the desk for minutes). This field
cuts both ways at :attr:`CappedTextArea.max_chars` characters: a paste is
cleaned (:func:`csdesk.domain.text.fit_text`) and cut, keys past the cap are
dropped before the document changes, and :class:`CappedTextArea.TooLong` is
posted once until the text is short enough again, so a screen can say so
once (as :class:`csdesk.widgets.form_screen.FormInput` does for one line).
"""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import TextArea
from textual.widgets.text_area import EditResult, Location

from csdesk.domain.text import fit_text


class CappedTextArea(TextArea):
    """A ``TextArea`` of at most ``max_chars`` characters (see the module docstring).

    ``max_chars``: the cap in characters (line breaks count as one). Every
    other argument is ``TextArea``'s.
    """

    class TooLong(Message):
        """Text past the cap was left out (posted once until the text shrinks)."""

        def __init__(self, area: CappedTextArea, dropped: int) -> None:
            super().__init__()
            self.area = area
            #: Characters left out by the edit that overflowed (a paste's whole excess).
            self.dropped = dropped

        @property
        def control(self) -> CappedTextArea:
            return self.area

    def __init__(self, *args: object, max_chars: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.max_chars = max_chars
        self._told_too_long = False

    def room_for(self, start: Location, end: Location) -> int:
        """Characters that may replace the range ``start``–``end`` (≥ 0)."""
        replaced = len(self.get_text_range(start, end)) if start != end else 0
        return max(0, self.max_chars - (len(self.text) - replaced))

    def _too_long(self, dropped: int) -> None:
        if not self._told_too_long:
            self._told_too_long = True
            self.post_message(self.TooLong(self, dropped))

    async def _on_paste(self, event: events.Paste) -> None:
        # Cleaned and cut before it reaches the document (a 100 KB paste never does).
        event.stop()
        event.prevent_default()
        if self.read_only:
            return
        start, end = sorted(self.selection)
        text, dropped = fit_text(event.text, self.room_for(start, end), self.max_chars)
        if dropped:
            self._too_long(dropped)
        if text and (result := self.replace(text, start, end, maintain_selection_offset=False)):
            self.move_cursor(result.end_location)

    def _replace_via_keyboard(self, insert: str, start: Location, end: Location) -> EditResult | None:
        if self.read_only:
            return None
        room = self.room_for(*sorted((start, end)))
        if len(insert) > room:
            self._too_long(len(insert) - room)
            insert = insert[:room]
            if not insert and start == end:
                return None
        else:
            self._told_too_long = False
        return super()._replace_via_keyboard(insert, start, end)
