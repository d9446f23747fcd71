"""Timestamped one-line entries of what happened on the desk (plain text only)."""

from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import RichLog

from csdesk.domain.text import clean_text


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

    def __init__(self, *, id: str | None = None, max_lines: int = 500) -> None:
        # min_width=1: RichLog renders at least 78 cells wide by default, so on a
        # narrower log (80×24 with a border and padding) the line ends were cut.
        super().__init__(id=id, max_lines=max_lines, wrap=True, markup=False, highlight=False, min_width=1)

    def add(self, message: str, style: str = "") -> None:
        """Append ``message`` (cleaned of control characters) with the local time."""
        line = Text()
        line.append(time.strftime("%H:%M:%S "), style="dim")
        line.append(clean_text(message, keep_newlines=False), style=style)
        self.write(line)
