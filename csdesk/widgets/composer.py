"""The chat composer: a multi-line input where Enter sends.

Enter posts :class:`Composer.Send`; shift+enter or ctrl+j inserts a new
line (many terminals send the same code for shift+enter as for Enter, so
ctrl+j — the line-feed byte — always works); ctrl+\\ clears the text (an
edit: ctrl+z brings it back). Text is capped at ``MAX_MESSAGE_CHARS``
(``contact_schemas``): typing stops at the cap, a paste or a prefill is cut
to what fits with a notice that counts every character left out (only
about twice the cap is cleaned: a 250,000-character paste never reaches the
editor whole, so it cannot freeze the desk; the rest is counted as it came),
and a count shows near the limit. Empty or whitespace-only text is never
sent.

A paste in a terminal without bracketed paste arrives as keys: the pasted
characters, with an Enter (CR) for each line break and a tab key for each
tab, the keys of each read of the terminal all queued at once. Such a
*burst* is taken as a paste, never as keystrokes: a key is part of one when
another key is already queued behind it, or when it was stamped (by the
driver, as it read the terminal) within :data:`BURST_GAP` of the burst's
last key — a read may end anywhere, and the next one reach the composer
alone. The text keys of a burst (printable characters, Enter, ctrl+j, tab)
are taken from the queue together and go in as one paste, in order:
cleaned, cut to the cap, an Enter a line break (never a send), a tab a tab
(never a focus move). Other keys in a burst act in their place. The notice
counts everything the burst left out, across its reads (with its first
keys, if the app got to them before the rest came and they were handled
alone); :class:`Composer.Truncated` says each cut.

While :attr:`Composer.hold_sends` is True (the desk sets it while earlier
messages are still being sent) Enter sends nothing and clears nothing: the
text stays and a notice says to wait. So that the agent's lines are not run
together, a held Enter becomes a line break when more text follows it
(nothing is added when the agent sends or moves the cursor next). The
new-line key works as always.

The clear key is named in the hint once the text is long (or whenever the
whole hint fits the line).

Quick phrases (issue #5, guide §3.4): ``/code`` then Tab puts the phrase
with that code in place of ``/code`` (:attr:`Composer.expander`, set by the
desk, gives its text with the known placeholders filled; an unknown code is
said and changes nothing). Placeholders left in the text (``{?label}`` to
type, a known one without a value, an unknown one) are highlighted; Tab and
shift+Tab select the next / previous one, so typing replaces it (without
placeholders Tab moves the focus as before). Enter is refused while any is
left: the notice names them, the first is selected, and
:class:`Composer.Blocked` goes up. A phrase picked in the F6 list goes in at
the cursor through :meth:`Composer.insert_phrase`, the same way.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.message_pump import MessagePumpClosed
from textual.widget import Widget
from textual.widgets import Static, TextArea
from textual.widgets.text_area import EditResult, Location, Selection

from csdesk.domain.phrases import Placeholder, parse_shortcut, placeholders_left, tokens_of
from csdesk.domain.text import fit_text
from csdesk.i18n import t
from csdesk.themes import status_style
from csdesk.widgets.bindings import current_keys, key_hint, translate_bindings
from csdesk.widgets.placeholders import PlaceholderHighlight

#: The count shows once the text is this close to the cap (characters).
COUNT_MARGIN = 400
#: From this many characters the clear key is named even when the hint is cut for it.
LONG_TEXT_CHARS = 200
#: Seconds between the time stamps of two keys (Textual's monotonic clock,
#: set by the driver when it read them) within which the second continues a
#: burst already begun (a paste typed by the terminal; see the module
#: docstring). The reads of one paste are milliseconds apart; a person's
#: Enter comes well after the key before it. Too short, a paste could be
#: sent half-way; too long, an Enter pressed right after a paste adds a line
#: break instead of sending (pressed again, it sends).
BURST_GAP = 0.1
#: What the non-printable keys of a burst put in the text (CR as the
#: terminal sent it: cleaning makes CR LF and a lone CR one line break).
_BURST_KEYS = {"enter": "\r", "ctrl+j": "\n", "newline": "\n", "tab": "\t"}


def _burst_text(event: events.Key) -> str | None:
    """What ``event`` puts in the text as a key of a burst (one character), or
    None for a key that is not text (it acts as a key)."""
    if event.is_printable:
        return event.character
    return _BURST_KEYS.get(event.key)


def _max_message_chars() -> int:
    # Imported here: contact_schemas pulls in pydantic (kept off the start path).
    from csdesk.domain.contact_schemas import MAX_MESSAGE_CHARS

    return MAX_MESSAGE_CHARS


class ComposerInput(PlaceholderHighlight, TextArea):
    """The editor inside :class:`Composer` (a TextArea that sends on Enter;
    placeholders highlighted, Tab expands ``/code`` and moves between them)."""

    DEFAULT_CSS = """
    ComposerInput {
        height: 1fr;
        min-height: 2;
        border: tall $border-blurred;
        padding: 0 1;
        &:focus { border: tall $border; }
    }
    """

    BINDINGS = [
        Binding("enter", "send", "composer.send", id="composer.send", show=False),
        Binding("ctrl+j,shift+enter", "newline", "composer.newline", id="composer.newline", show=False),
        # ctrl+\ (byte 0x1c; Textual turns off ISIG, so it is a key, not SIGQUIT):
        # free in TextArea and on the desk, unlike ctrl+u/ctrl+k/ctrl+shift+k.
        Binding("ctrl+backslash", "clear_text", "composer.clear", id="composer.clear", show=False),
    ]

    def __init__(self, composer: Composer, *, id: str | None = None) -> None:
        super().__init__(soft_wrap=True, tab_behavior="focus", show_line_numbers=False, id=id)
        self._composer = composer
        #: Time stamp of the last key taken as part of a burst (None: none yet).
        self._burst_at: float | None = None
        #: The keys handled alone lately, each stamped within BURST_GAP of the
        #: one before: the last one's time stamp, and Composer.cut_chars before the first.
        self._lone_keys: tuple[float, int] | None = None
        #: The burst's text so far ended with CR (an LF opening the next part is its pair).
        self._burst_cr = False
        translate_bindings(self)

    async def _on_key(self, event: events.Key) -> None:
        # A burst of queued keys (a paste typed by the terminal) goes in as a
        # paste. Otherwise Enter and the new-line keys are handled here, before
        # TextArea turns Enter into a line break; the keys come from the
        # bindings (remappable).
        key = event.key
        if not self.read_only:
            if self._in_burst(event):
                self._burst_at = event.time
                if (text := _burst_text(event)) is not None:
                    event.stop()
                    event.prevent_default()
                    await self._take_burst(text)
                    return
                if await self._act_now(event):
                    self._composer.held_break = False  # the agent moved on: no line break owed
                    event.stop()
                    event.prevent_default()
                    return
            elif self._lone_keys is not None and abs(event.time - self._lone_keys[0]) <= BURST_GAP:
                self._lone_keys = (event.time, self._lone_keys[1])
            else:
                self._lone_keys = (event.time, self._composer.cut_chars)
        if not event.is_printable:
            if key in ("tab", "shift+tab") and not self.read_only and self._composer.handle_tab(
                backward=key == "shift+tab"
            ):
                event.stop()
                event.prevent_default()
                return
            if key in current_keys(self, "composer.send"):
                event.stop()
                event.prevent_default()
                self.action_send()
                return
            self._composer.held_break = False  # the agent moved on: no line break owed
            if key in current_keys(self, "composer.newline") or key in ("ctrl+j", "newline"):
                event.stop()
                event.prevent_default()
                self.action_newline()
        elif self._composer.held_break:
            self._insert_held_break()
        # Anything else: TextArea._on_key runs next (Textual dispatches along the MRO).

    def _in_burst(self, event: events.Key) -> bool:
        """True if ``event`` is a key of a burst (see the module docstring); a
        new burst starts its count of characters left out here."""
        if self._burst_at is not None and abs(event.time - self._burst_at) <= BURST_GAP:
            return True
        if not isinstance(self._queued(), events.Key):
            return False
        carried = 0  # the keys just before, handled alone, may have opened this burst
        if self._lone_keys is not None and abs(event.time - self._lone_keys[0]) <= BURST_GAP:
            carried = self._composer.cut_chars - self._lone_keys[1]
        self._composer.start_burst(carried)
        self._burst_cr = False
        return True

    async def _act_now(self, event: events.Key) -> bool:
        """Run the editor's own binding for ``event`` (backspace, the arrows,
        ctrl+z …) now, before the keys queued behind it; True if one ran.

        Textual runs a key's binding only once the key has bubbled up to the
        app, after this editor has handled the keys queued behind it: in a
        burst, backspace would delete what came after it."""
        bindings = self._bindings.copy()
        if keymap := getattr(self.app, "_keymap", None):
            bindings.apply_keymap(keymap)
        for binding in bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority and await self.app.run_action(binding.action, self):
                return True
        return False

    def _queued(self) -> object:
        """The message waiting at the head of this editor's queue (None: none)."""
        try:
            return self._peek_message()
        except MessagePumpClosed:
            return None

    async def _take_burst(self, text: str) -> None:
        """Insert ``text`` (the key being handled) and the text keys queued right
        behind it, taken off the queue, as one paste of the burst."""
        parts = [text]
        while isinstance(key := self._queued(), events.Key) and (more := _burst_text(key)) is not None:
            await self._get_message()  # the key peeked at
            self._message_queue.task_done()
            parts.append(more)
            self._burst_at = key.time
        raw = "".join(parts)
        if self._burst_cr and raw.startswith("\n"):
            raw = raw[1:]  # the LF of a CR LF split between two reads
        self._burst_cr = raw.endswith("\r")
        self._restart_blink()
        # "/code" and Tab typed ahead arrive as one burst: a last Tab with no
        # key behind it is the agent's Tab (expand, next placeholder), not
        # pasted text, when it has a use there.
        typed_tab = raw.endswith("\t") and not isinstance(self._queued(), events.Key)
        if typed_tab:
            raw = raw[:-1]
        if raw:
            self._insert_pasted(raw, burst=True)
        if typed_tab and not (not self.read_only and self._composer.handle_tab()):
            self._insert_pasted("\t", burst=True)

    def _insert_pasted(self, raw: str, *, burst: bool) -> None:
        """Put pasted text ``raw`` in place of the selection: cleaned and cut
        to the cap (the cut said, with the burst's whole count when ``burst``)."""
        if self._composer.held_break:
            self._insert_held_break()
        start, end = sorted(self.selection)
        text, dropped = self._composer.fitted(raw, self._composer.room_for(self.get_text_range(start, end)))
        if dropped:
            self._composer.say_cut(dropped, burst=burst)
        if not text:
            return  # nothing fits (said above)
        if result := self._replace_via_keyboard(text, start, end):
            self.move_cursor(result.end_location)
            if not burst:
                self.focus()  # as TextArea does for a paste (a burst's keys came to the focus)

    def _insert_held_break(self) -> None:
        """The line break of an Enter held while sends waited, before more text."""
        self._composer.held_break = False
        if result := self._replace_via_keyboard("\n", *self.selection):
            self.move_cursor(result.end_location)

    def action_send(self) -> None:
        """Send the text (Enter)."""
        self._composer.send()

    def action_clear_text(self) -> None:
        """Clear the text (ctrl+\\): an edit, so ctrl+z brings it back."""
        self._composer.clear_text()

    def action_newline(self) -> None:
        """Insert a line break (shift+enter, ctrl+j)."""
        if self.read_only:
            return
        start, end = self.selection
        self._replace_via_keyboard("\n", start, end)

    async def _on_paste(self, event: events.Paste) -> None:
        # Cleaned and cut before it reaches the document (a 100 KB paste never does).
        event.stop()
        event.prevent_default()
        if self.read_only:
            return
        self._insert_pasted(event.text, burst=False)

    def _replace_via_keyboard(self, insert: str, start: Location, end: Location) -> EditResult | None:
        if self.read_only:
            return None
        room = self._composer.room_for(self.get_text_range(*sorted((start, end))))
        if len(insert) > room:
            self._composer.say_cut(len(insert) - room)
            insert = insert[: max(0, room)]
            if not insert:
                return None
        return super()._replace_via_keyboard(insert, start, end)


class Composer(Widget):
    """Multi-line chat input; Enter sends, shift+enter / ctrl+j new line.

    Down: :meth:`set_text` (prefill, e.g. the greeting script on accept;
    cut to the cap), :meth:`clear`, :attr:`text`, :meth:`focus_input`,
    :meth:`retranslate`, :attr:`hold_sends` (True: Enter keeps the text and
    says to wait; see the module docstring), :attr:`expander` and
    :meth:`insert_phrase` (quick phrases). Up: :class:`Composer.Send` with
    the text (the composer clears itself; a failed send can be put back with
    :meth:`set_text`), :class:`Composer.Refused` when Enter was pressed on
    empty text, :class:`Composer.Blocked` when Enter was refused for the
    placeholders left in it, :class:`Composer.Truncated` when input was cut
    to the cap.
    ``max_chars``: the cap (default ``MAX_MESSAGE_CHARS``, characters).
    A paste typed as keys by the terminal is taken as a paste (see the
    module docstring).
    """

    DEFAULT_CSS = """
    Composer {
        height: 6;
        layout: vertical;
    }
    Composer > #composer-status {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    """

    class Send(Message):
        """The agent pressed Enter on ``text`` (stripped, never empty, ≤ the cap)."""

        def __init__(self, composer: Composer, text: str) -> None:
            super().__init__()
            self.composer = composer
            self.text = text

        @property
        def control(self) -> Composer:
            return self.composer

    class Refused(Message):
        """Enter on empty or whitespace-only text: nothing was sent."""

        def __init__(self, composer: Composer) -> None:
            super().__init__()
            self.composer = composer

        @property
        def control(self) -> Composer:
            return self.composer

    class Blocked(Message):
        """Enter was refused: placeholders are left in the text. ``tokens`` are
        the distinct ones, in order (``["{?金额}", "{reference}"]``)."""

        def __init__(self, composer: Composer, tokens: list[str]) -> None:
            super().__init__()
            self.composer = composer
            self.tokens = tokens

        @property
        def control(self) -> Composer:
            return self.composer

    class Truncated(Message):
        """Input was cut to the cap: ``dropped`` characters did not fit in this
        cut; ``total`` (≥ ``dropped``) counts the whole paste so far, the number
        the notice gives (a paste typed as keys may be cut in several parts, one
        message each; otherwise ``total == dropped``)."""

        def __init__(self, composer: Composer, dropped: int, total: int | None = None) -> None:
            super().__init__()
            self.composer = composer
            self.dropped = dropped
            self.total = dropped if total is None else total

        @property
        def control(self) -> Composer:
            return self.composer

    def __init__(
        self,
        *,
        max_chars: int | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.max_chars = max_chars if max_chars is not None else _max_message_chars()
        self._notice = ""
        self._notice_role = "warn"
        self._hold_sends = False
        #: Characters every cut so far left out (only grows; see :attr:`cut_chars`).
        self._cut_chars = 0
        #: Characters left out by the burst of keys in progress.
        self._burst_dropped = 0
        #: An Enter was held while sends waited: a line break goes in before
        #: the next text typed or pasted (see the module docstring).
        self.held_break = False
        #: Quick phrases (issue #5): ``expander(code)`` gives the text ``/code``
        #: + Tab puts in (known placeholders filled), or None for an unknown
        #: code; None here: Tab never expands. Set by the desk; no I/O.
        self.expander: Callable[[str], str | None] | None = None
        self.input = ComposerInput(self, id="composer-input")

    def compose(self) -> ComposeResult:
        yield self.input
        yield Static("", id="composer-status", markup=False)

    def on_mount(self) -> None:
        self._show_status()

    # -- down ---------------------------------------------------------------

    @property
    def text(self) -> str:
        """The text as typed."""
        return self.input.text

    @property
    def hold_sends(self) -> bool:
        """True while Enter must not send (earlier messages are still being sent):
        the text is kept and a notice says to wait. Set by the desk."""
        return self._hold_sends

    @hold_sends.setter
    def hold_sends(self, hold: bool) -> None:
        hold = bool(hold)
        if hold == self._hold_sends:
            return
        self._hold_sends = hold
        if not hold and self._notice_role == "wait":
            self._notice = ""
            self._show_status()

    def set_text(self, text: str) -> None:
        """Replace the text (the greeting script on accept), cursor at the end; cut to the cap."""
        self._notice = ""
        self.held_break = False
        text = self.fit(text, self.max_chars)
        self.input.load_text(text)
        self.input.move_cursor(self.input.document.end)
        self._show_status()

    def clear(self) -> None:
        """Empty the composer (after a send; the undo history goes too)."""
        self._notice = ""
        self.held_break = False
        self.input.load_text("")
        self._show_status()

    def clear_text(self) -> None:
        """Empty the composer as an edit the agent made (ctrl+z brings it back)."""
        self._notice = ""
        self.held_break = False
        if self.input.text and not self.input.read_only:
            self.input.clear()
        self._show_status()

    def focus_input(self) -> None:
        """Put the cursor in the composer."""
        self.input.focus()

    def retranslate(self) -> None:
        """Redraw the status line in the current language."""
        translate_bindings(self.input)
        self.input.redraw_placeholders()  # their styles follow the theme
        self._show_status()

    @property
    def cut_chars(self) -> int:
        """Characters left out by every cut so far (a count that only grows)."""
        return self._cut_chars

    def start_burst(self, carried: int = 0) -> None:
        """A burst of keys (a paste typed by the terminal) begins: its count of
        characters left out starts at ``carried`` (what its first keys, handled
        alone, left out)."""
        self._burst_dropped = max(0, carried)

    def room_for(self, replaced: str) -> int:
        """Characters that may still be inserted when ``replaced`` is replaced."""
        return self.max_chars - (len(self.input.document.text) - len(replaced))

    def fit(self, text: str, room: int) -> str:
        """``text`` cleaned (:func:`clean_text`) and cut to ``room`` characters.
        A cut is said (the notice and :class:`Truncated`) with the number of
        characters left out: those of the cleaned text past ``room``, plus all
        past the part cleaned (:data:`~csdesk.domain.text.CLEAN_WINDOW_CAPS` × the cap), counted as
        they came."""
        fitted, dropped = self.fitted(text, room)
        if dropped:
            self.say_cut(dropped)
        return fitted

    def fitted(self, text: str, room: int) -> tuple[str, int]:
        """What :meth:`fit` does, unsaid: ``(text cleaned and cut to room
        characters, characters left out)`` (a ``room`` below 0 counts as 0;
        :func:`csdesk.domain.text.fit_text` with the composer's cap)."""
        return fit_text(text, room, self.max_chars)

    def say_cut(self, dropped: int, *, burst: bool = False) -> None:
        """Say that ``dropped`` characters did not fit (notice and :class:`Truncated`).
        ``burst``: a part of the burst of keys in progress; the notice counts
        the whole burst (see :meth:`start_burst`)."""
        self._cut_chars += dropped
        total = dropped
        if burst:
            self._burst_dropped += dropped
            total = self._burst_dropped
        self._notice = t("composer.truncated", max=self.max_chars, dropped=total)
        self._notice_role = "error"
        self.post_message(self.Truncated(self, dropped, total))
        self._show_status()

    def send(self) -> bool:
        """Send the text if there is any (what Enter does). True if sent.
        While :attr:`hold_sends` nothing is sent or cleared: a notice says to wait."""
        text = self.input.text.strip()
        if not text:
            self._notice = t("composer.empty")
            self._notice_role = "warn"
            self._show_status()
            self.post_message(self.Refused(self))
            return False
        left = placeholders_left(self.input.text)  # offsets in the editor's text
        if left:
            tokens = tokens_of(left)
            self._notice = t("composer.placeholders_left", tokens=", ".join(tokens))
            self._notice_role = "blocked"
            self._select(left[0])
            self._show_status()
            self.post_message(self.Blocked(self, tokens))
            return False
        if self._hold_sends:
            self._notice = t("composer.wait")
            self._notice_role = "wait"
            self.held_break = True
            self._show_status()
            return False
        text = text[: self.max_chars]
        self.clear()
        self.post_message(self.Send(self, text))
        return True

    # -- quick phrases (issue #5) ---------------------------------------------

    def handle_tab(self, *, backward: bool = False) -> bool:
        """Tab (``backward``: shift+Tab) in the editor; True if it was used here.

        Tab right after ``/code`` (nothing selected) expands it through
        :attr:`expander` (an unknown code: a notice, nothing changes; still
        True). Otherwise, with placeholders in the text, the next one after
        the cursor (previous one before it) is selected, wrapping around.
        False when neither applies: the focus moves as usual.
        """
        editor = self.input
        start, end = editor.selection
        if not backward and self.expander is not None and start == end:
            row, column = end
            shortcut = parse_shortcut(editor.document.get_line(row)[:column])
            if shortcut is not None:
                at, code = shortcut
                text = self.expander(code)
                if text is None:
                    self._notice = t("composer.no_phrase", code=code)
                    self._notice_role = "warn"
                    self._show_status()
                    return True
                self._put_phrase(text, (row, at), end)
                return True
        placeholders = placeholders_left(editor.text)
        if not placeholders:
            return False
        document = editor.document
        first, last = sorted(editor.selection)
        if backward:
            before = document.get_index_from_location(first)
            earlier = [p for p in placeholders if p.end <= before and p.start < before]
            self._select(earlier[-1] if earlier else placeholders[-1])
        else:
            after = document.get_index_from_location(last)
            later = [p for p in placeholders if p.start >= after]
            self._select(later[0] if later else placeholders[0])
        return True

    def insert_phrase(self, text: str) -> None:
        """Put phrase ``text`` (placeholders filled where known) in place of the
        selection, cleaned and cut to the cap; its first placeholder is selected."""
        if self.input.read_only:
            return
        start, end = sorted(self.input.selection)
        self._put_phrase(text, start, end)
        self.input.focus()

    def _put_phrase(self, text: str, start: Location, end: Location) -> None:
        """Replace ``start``..``end`` by ``text`` (cleaned, capped, one undo step), then
        select the first placeholder it brought in, or put the cursor after it."""
        editor = self.input
        document = editor.document
        self._notice = ""
        self.held_break = False
        begin = document.get_index_from_location(start)
        text, dropped = self.fitted(text, self.room_for(editor.get_text_range(start, end)))
        if dropped:
            self.say_cut(dropped)
        result = editor._replace_via_keyboard(text, start, end)
        if result is None:
            return
        editor.move_cursor(result.end_location)
        inserted_end = document.get_index_from_location(result.end_location)
        mine = [p for p in placeholders_left(editor.text) if begin <= p.start and p.end <= inserted_end]
        if mine:
            self._select(mine[0])
        self._show_status()

    def _select(self, placeholder: Placeholder) -> None:
        """Select ``placeholder`` (typing then replaces it) and show it."""
        document = self.input.document
        self.input.selection = Selection(
            document.get_location_from_index(placeholder.start),
            document.get_location_from_index(placeholder.end),
        )
        self.input.scroll_cursor_visible()

    # -- internals ----------------------------------------------------------

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        if self._notice and self._notice_role == "warn":
            self._notice = ""  # "nothing to send" goes once the agent types
        elif self._notice and self._notice_role == "blocked":
            # "fill in …" follows the text: it names what is still left, or goes.
            tokens = tokens_of(placeholders_left(self.input.text)) if "{" in self.input.text else []
            self._notice = t("composer.placeholders_left", tokens=", ".join(tokens)) if tokens else ""
        self._show_status()

    def _show_status(self) -> None:
        try:
            status = self.query_one("#composer-status", Static)
        except Exception:
            return
        length = len(self.input.document.text)
        line = Text(no_wrap=True, overflow="ellipsis")
        clear = t("composer.clear_hint", key=key_hint(self.input, "composer.clear"))
        if self._notice:
            role = {"wait": "info", "blocked": "error"}.get(self._notice_role, self._notice_role)
            line.append(self._notice, style=status_style(self.app, role))
            line.append("  ")
        if length >= self.max_chars - COUNT_MARGIN:
            role = "error" if length >= self.max_chars else "warn"
            line.append(t("composer.count", count=length, max=self.max_chars), style=status_style(self.app, role))
            line.append("  " + clear, style="dim")
        elif not self._notice and "{" in self.input.document.text and (
            left := placeholders_left(self.input.document.text)
        ):
            # Issue #5: placeholders to fill before sending (highlighted in the text).
            line.append(t("composer.fill_hint", count=len(left)), style=status_style(self.app, "warn"))
        elif not self._notice:
            hint = t("composer.hint", send=key_hint(self.input, "composer.send"),
                     newline=key_hint(self.input, "composer.newline"))
            if length and cell_len(f"{hint} · {clear}") <= status.content_size.width:
                hint = f"{hint} · {clear}"  # it fits: always named
            elif not length and self.expander is not None:
                # Quick phrases (issue #5): named on an empty composer when it fits.
                phrases = t("composer.phrases_hint", key=key_hint(self.input, "desk.phrases"))
                if cell_len(f"{hint} · {phrases}") <= status.content_size.width:
                    hint = f"{hint} · {phrases}"
            elif length >= LONG_TEXT_CHARS:
                hint = f"{clear} · {hint}"  # long text: named first, the rest may be cut
            line.append(hint, style="dim")
        # One row, always: no layout pass (keeps each keystroke cheap).
        status.update(line, layout=False)
