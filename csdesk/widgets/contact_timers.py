"""The contact timers of the desk: time in state, handle, hold, ACW, queue depth.

Guide §2.1: the agent sees how long they have been in the current state,
the handle time of the contact (from accept), the hold time (closed holds
plus the running one), the ACW countdown, and how many customers wait.
One ``set_interval`` redraws it every second. Times are ``mm:ss``.
Statuses are words styled by :func:`csdesk.themes.status_style` (bold /
underline without colour) and marks go through :func:`csdesk.glyphs.glyph`
(plain stand-ins under ``TERM=linux``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from csdesk.glyphs import glyph
from csdesk.i18n import queue_label, t
from csdesk.themes import status_style
from csdesk.widgets.offer_banner import mmss

if TYPE_CHECKING:
    from csdesk.domain.contact_schemas import ContactView, QueueStats

#: The ACW countdown turns urgent at this many seconds left.
ACW_URGENT_SECONDS = 10


class ContactTimers(Static):
    """One or two lines of counters, redrawn every second.

    Down: :meth:`set_state_since` (epoch seconds on the local clock),
    :meth:`set_contact` (a ``ContactView`` or None; ``clock_skew`` = server
    clock − local clock, seconds), :meth:`set_queues` (``list[QueueStats]``),
    :meth:`tick`, :meth:`retranslate`. Posts nothing.
    Read: :meth:`values` (seconds: ``state``, ``handle``, ``hold``, ``acw``
    left, ``waiting`` customers). ``clock`` may be replaced in tests.

    Hold: ``ContactView.hold_seconds`` counts the holds already closed; while
    ``on_hold`` the running hold is counted from when the desk first saw it
    (the wire carries no start time for it).
    """

    DEFAULT_CSS = """
    ContactTimers {
        text-wrap: nowrap;
        text-overflow: ellipsis;
        height: auto;
        max-height: 2;
        width: 1fr;
        padding: 0 1;
    }
    """

    def __init__(self, *, clock: Callable[[], float] = time.time, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", name=name, id=id, classes=classes, markup=False)
        self.clock = clock
        self._state_since: float | None = None
        self._contact: ContactView | None = None
        self._skew = 0.0
        self._hold_seen_at: float | None = None
        self._hold_base = 0.0
        self._queues: list[QueueStats] = []
        self._rows = 0

    def on_mount(self) -> None:
        self.set_interval(1.0, self.tick, name="contact-timers")
        self.tick()

    # -- down ---------------------------------------------------------------

    def set_state_since(self, since: float | None) -> None:
        """The agent entered the current state at ``since`` (local epoch seconds)."""
        self._state_since = since
        self.tick()

    def set_contact(self, contact: ContactView | None, *, clock_skew: float = 0.0) -> None:
        """The contact in hand (None between contacts)."""
        previous = self._contact
        self._contact = contact
        self._skew = clock_skew
        if contact is None or not contact.on_hold:
            self._hold_seen_at = None
        elif (
            self._hold_seen_at is None
            or previous is None
            or previous.id != contact.id
            or previous.hold_seconds != contact.hold_seconds
        ):
            self._hold_seen_at = self.clock()
        self._hold_base = contact.hold_seconds if contact is not None else 0.0
        self.tick()

    def set_queues(self, queues: Sequence[QueueStats]) -> None:
        """Queue depths (``GET /queues``)."""
        self._queues = list(queues)
        self.tick()

    def retranslate(self) -> None:
        """Redraw in the current language."""
        self.tick()

    # -- values ---------------------------------------------------------------

    def values(self) -> dict[str, float | int | None]:
        """Current counters in seconds (None when not applicable) and waiting customers."""
        now = self.clock()
        server_now = now + self._skew
        contact = self._contact
        handle = hold = acw = None
        if contact is not None:
            if contact.accepted_at is not None:
                end = contact.ended_at.timestamp() if contact.ended_at is not None else server_now
                handle = max(0.0, end - contact.accepted_at.timestamp())
            hold = self._hold_base
            if contact.on_hold and self._hold_seen_at is not None:
                hold += max(0.0, now - self._hold_seen_at)
            if contact.acw_deadline is not None:
                acw = max(0.0, contact.acw_deadline.timestamp() - server_now)
        state = max(0.0, now - self._state_since) if self._state_since is not None else None
        waiting = sum(q.waiting for q in self._queues)
        return {"state": state, "handle": handle, "hold": hold, "acw": acw, "waiting": waiting}

    # -- rendering --------------------------------------------------------------

    def tick(self) -> None:
        """Redraw (once a second)."""
        if self.is_attached:
            text = self.render_timers()
            rows = text.plain.count("\n") + 1
            # A layout pass only when the number of rows changes.
            self.update(text, layout=rows != self._rows)
            self._rows = rows

    def render_timers(self) -> Text:
        """The counters as plain Text."""
        v = self.values()
        text = Text(no_wrap=True, overflow="ellipsis")
        parts: list[tuple[str, str]] = []
        if v["state"] is not None:
            parts.append((t("timers.state", time=mmss(v["state"] or 0)), ""))
        if v["handle"] is not None:
            parts.append((t("timers.handle", time=mmss(v["handle"] or 0)), ""))
        contact = self._contact
        if v["hold"] is not None and (contact is not None and (contact.on_hold or v["hold"])):
            label = t("timers.hold", time=mmss(v["hold"] or 0))
            if contact.on_hold:
                label = glyph("●") + " " + t("timers.on_hold") + " " + label
            parts.append((label, status_style(self.app, "warn") if contact.on_hold else ""))
        if v["acw"] is not None:
            left = v["acw"] or 0
            role = "error" if left <= ACW_URGENT_SECONDS else "warn"
            parts.append((t("timers.acw", time=mmss(left)), status_style(self.app, role)))
        for index, (label, style) in enumerate(parts):
            if index:
                text.append(" · ")
            text.append(label, style=style)
        waiting = int(v["waiting"] or 0)
        text.append("\n" if parts else "")
        longest = max((q.longest_wait_seconds for q in self._queues), default=0.0)
        queue_line = t("timers.queue", count=waiting)
        if waiting:
            queue_line += " " + t("timers.longest", time=mmss(longest))
            detail = ", ".join(f"{queue_label(q.queue)} {q.waiting}" for q in self._queues if q.waiting)
            if detail:
                queue_line += f" ({detail})"
        text.append(queue_line, style=status_style(self.app, "warn") if waiting else "dim")
        return text
