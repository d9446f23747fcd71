"""The transcript of a live contact: customer, agent, system lines and notes.

Each line shows its local time (``HH:MM:SS``), who spoke (translated) and
the text. Text is untrusted (customer words reach the screen from outside):
it goes through :func:`csdesk.domain.text.clean_text` and is drawn as plain
:class:`rich.text.Text`, never parsed as markup (DESIGN §7).

Virtualised: the widget is a line-API :class:`~textual.scroll_view.ScrollView`.
Each transcript line is wrapped once, when it arrives, into strips of the
current width; only the rows in view are drawn. Appending one line wraps
that line only and redraws what is visible (no re-render of the other 500).
A width change re-wraps everything once (rare: resize, panel switch).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.text import Text
from textual.events import Resize
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from csdesk.domain.text import clean_text
from csdesk.i18n import t
from csdesk.themes import status_style

if TYPE_CHECKING:
    from csdesk.domain.contact_schemas import TranscriptLine

#: Speaker (or ``note``) → status role of its label.
SPEAKER_ROLES = {"customer": "info", "agent": "ok", "system": "warn", "note": "warn"}


def speaker_key(line: TranscriptLine) -> str:
    """``customer``/``agent``/``system``, or ``note`` for an agent's private note."""
    return "note" if line.kind == "note" else str(line.speaker)


def local_time(line: TranscriptLine) -> str:
    """The line's time on the local clock, ``HH:MM:SS``."""
    at = line.at
    try:
        at = at.astimezone()
    except (ValueError, OSError):
        pass
    return at.strftime("%H:%M:%S")


class Transcript(ScrollView, can_focus=True):
    """A scrolling, wrapped, plain-text transcript (virtualised, see module doc).

    Down: :meth:`add_line`, :meth:`add_lines` (lines already shown, by
    ``seq``, are skipped, so a full ``ContactView.transcript`` may be passed
    again after a refresh), :meth:`clear`, :meth:`retranslate`.
    Up: :class:`Transcript.Appended` after new lines were added.

    It follows the end while the agent is at the bottom; once they scroll
    up it stays where they are until they scroll back down (or press End).
    ``wraps`` counts the transcript lines wrapped so far (tests: an append
    wraps one line).
    """

    DEFAULT_CSS = """
    Transcript {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        /* The wrap width is the width left of the scrollbar: keep its place
           reserved, or lines wrapped before it appeared lose their last cells. */
        scrollbar-gutter: stable;
        height: 1fr;
        &:focus {
            background-tint: $foreground 5%;
        }
    }
    """

    BINDINGS = [
        ("home", "scroll_home", ""),
        ("end", "scroll_end", ""),
        ("pageup", "page_up", ""),
        ("pagedown", "page_down", ""),
        ("up", "scroll_up", ""),
        ("down", "scroll_down", ""),
    ]

    class Appended(Message):
        """``count`` new lines were added; ``following`` whether the view follows the end."""

        def __init__(self, transcript: Transcript, count: int, following: bool) -> None:
            super().__init__()
            self.transcript = transcript
            self.count = count
            self.following = following

        @property
        def control(self) -> Transcript:
            return self.transcript

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        #: The transcript lines, in arrival order.
        self.items: list[TranscriptLine] = []
        self._seqs: set[int] = set()
        #: Strips of all items wrapped at ``_wrap_width``.
        self._strips: list[Strip] = []
        self._wrap_width = 0
        #: Transcript lines wrapped so far (one per append, all on a width change).
        self.wraps = 0
        #: Rows drawn so far (``render_line`` calls).
        self.rows_drawn = 0
        self._follow = True

    # -- down: data in ---------------------------------------------------------

    def add_line(self, line: TranscriptLine) -> bool:
        """Append one line (skipped when its ``seq`` is already shown). True if added."""
        return self.add_lines([line]) == 1

    def add_lines(self, lines: Iterable[TranscriptLine]) -> int:
        """Append the lines not shown yet (by ``seq``); returns how many were added."""
        new = []
        for line in lines:
            if line.seq in self._seqs:
                continue
            self._seqs.add(line.seq)
            new.append(line)
        if not new:
            return 0
        following = self._follow
        self.items.extend(new)
        if self._wrap_width:
            for line in new:
                self._strips.extend(self._wrap(line, self._wrap_width))
            self._update_virtual_size()
        if following:
            self._follow = True
            self.scroll_end(animate=False, immediate=False, x_axis=False)
        self.refresh()
        self.post_message(self.Appended(self, len(new), following))
        return len(new)

    def clear(self) -> None:
        """Remove every line (a new contact)."""
        self.items.clear()
        self._seqs.clear()
        self._strips.clear()
        self._follow = True
        self._update_virtual_size()
        self.scroll_to(0, 0, animate=False)
        self.refresh()

    def retranslate(self) -> None:
        """Redraw the speaker labels in the current language."""
        self._rewrap()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self._wrap_width:
            self._rewrap()

    @property
    def line_count(self) -> int:
        """Transcript lines held (not screen rows)."""
        return len(self.items)

    @property
    def plain_text(self) -> str:
        """Everything shown, as plain text (one transcript line per row, unwrapped)."""
        return "\n".join(self.render_item(line).plain for line in self.items)

    # -- rendering -------------------------------------------------------------

    def render_item(self, line: TranscriptLine) -> Text:
        """One transcript line as plain rich Text: time, speaker label, cleaned text."""
        key = speaker_key(line)
        text = Text(no_wrap=False, overflow="fold", end="")
        text.append(local_time(line), style="dim")
        text.append(" ")
        text.append(t(f"transcript.{key}"), style=status_style(self.app, SPEAKER_ROLES.get(key, "info")))
        text.append(": ")
        body = Text(clean_text(line.text), style="italic" if key == "note" else "")
        body.expand_tabs(4)
        text.append_text(body)
        return text

    def _wrap(self, line: TranscriptLine, width: int) -> list[Strip]:
        self.wraps += 1
        console = self.app.console
        options = console.options.update(width=width, no_wrap=False, overflow="fold", highlight=False)
        rows = console.render_lines(self.render_item(line), options, pad=False)
        return [Strip(row).adjust_cell_length(width) for row in rows] or [Strip.blank(width)]

    def _rewrap(self) -> None:
        width = self._wrap_width
        if not width:
            return
        strips: list[Strip] = []
        for line in self.items:
            strips.extend(self._wrap(line, width))
        self._strips = strips
        self._update_virtual_size()
        if self._follow:
            self.scroll_end(animate=False, immediate=False, x_axis=False)
        self.refresh()

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self._wrap_width, len(self._strips))

    def _on_resize(self, event: Resize) -> None:
        width = self.scrollable_content_region.width
        if width > 0 and width != self._wrap_width:
            self._wrap_width = width
            self._rewrap()

    def _at_end(self) -> bool:
        return self.scroll_y >= self.max_scroll_y - 0.5

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        # Scrolled up by the agent: stop following; back at the end: follow again.
        self._follow = self._at_end()

    def render_line(self, y: int) -> Strip:
        self.rows_drawn += 1
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        if 0 <= index < len(self._strips):
            strip = self._strips[index].crop_extend(0, width, self.rich_style)
        else:
            strip = Strip([Segment(" " * width, self.rich_style)], width)
        return strip.apply_style(self.rich_style)
