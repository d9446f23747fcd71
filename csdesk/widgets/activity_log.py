"""Timestamped one-line entries of what happened on the desk (plain text only)."""

from __future__ import annotations

import time
from collections import deque

from rich.text import Text
from textual.widgets import RichLog

from csdesk.domain.text import clean_text


#: Narrowest width (cells) the log wraps at; narrower, lines wait (hidden).
MIN_WRAP_CELLS = 10

#: Lines kept (about 30 contacts' worth). Each kept line is a Textual Strip
#: with seven render caches, and the log's own line cache holds cropped copies:
#: at 500 lines a shift's desk grew by ~10 MiB before the cap was reached
#: (``benchmarks/shift.py``). Older contacts are in the session records (F8).
MAX_LINES = 200


class ActivityLog(RichLog):
    """Newest at the bottom; keeps ``max_lines`` lines. Text is never markup."""

    DEFAULT_CSS = """
    ActivityLog {
        height: 1fr;
        border: round $secondary;
        padding: 0 1;
        /* Wrap width must not change when the scrollbar appears (it would
           crop the last cells of already wrapped lines). */
        scrollbar-gutter: stable;
    }
    """

    def __init__(self, *, id: str | None = None, max_lines: int = MAX_LINES) -> None:
        # min_width=1: RichLog renders at least 78 cells wide by default, so on a
        # narrower log (80×24 with a border and padding) the line ends were cut.
        super().__init__(id=id, max_lines=max_lines, wrap=True, markup=False, highlight=False, min_width=1)
        #: Lines added while hidden, written when the log shows again (at most max_lines).
        self._waiting: deque[Text] = deque(maxlen=max_lines)

    def add(self, message: str, style: str = "") -> None:
        """Append ``message`` (cleaned of control characters) with the local time.

        While the log is hidden (the desk shows a contact instead) it has no
        width to wrap at: lines wait and are written when it shows again
        (they came out one character a line)."""
        line = Text()
        line.append(time.strftime("%H:%M:%S "), style="dim")
        line.append(clean_text(message, keep_newlines=False), style=style)
        if not self._can_wrap():
            self._waiting.append(line)
            return
        self.write(line)

    def _can_wrap(self) -> bool:
        return self.display and self.scrollable_content_region.width >= MIN_WRAP_CELLS

    def flush_waiting(self) -> None:
        """Write the lines added while hidden (called on resize and when shown)."""
        if not self._waiting or not self._can_wrap():
            return
        waiting, self._waiting = self._waiting, deque(maxlen=self._waiting.maxlen)
        for line in waiting:
            self.write(line)

    def on_resize(self) -> None:
        self.flush_waiting()
