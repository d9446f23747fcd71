"""The contact timers of the desk: time in state, handle, hold, ACW, queue depth.

Guide §2.1: the agent sees how long they have been in the current state,
the handle time of the contact (from accept), the hold time (closed holds
plus the running one), the ACW countdown, and how many customers wait.
One ``set_interval`` redraws it every second. Times are ``mm:ss``.
Statuses are words styled by :func:`csdesk.themes.status_style` (bold /
underline without colour) and marks go through :func:`csdesk.glyphs.glyph`
(plain stand-ins under ``TERM=linux``).

ACW is the backend's: it keeps the agent in After-Contact Work until a
wrap-up arrives, deadline or not. So past the deadline the counter says how
long over ("ACW over 00:07"), never a frozen "00:00 left"; while the backend
is unreachable it is marked "offline" (the deadline is still the backend's,
nothing on the desk ends ACW); and once the wrap-up is queued in the outbox
the ACW time stops at the submit ("ACW 00:42 · wrap-up queued", and the
time in state is no longer counted on) until the backend applies it and
moves the agent on.
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
    from csdesk.services.contact import QueuedWrapUp

#: The ACW countdown turns urgent at this many seconds left.
ACW_URGENT_SECONDS = 10


class ContactTimers(Static):
    """One or two lines of counters, redrawn every second.

    Down: :meth:`set_state_since` (epoch seconds on the local clock),
    :meth:`set_contact` (a ``ContactView`` or None; ``clock_skew`` = server
    clock − local clock, seconds), :meth:`set_queues` (``list[QueueStats]``),
    :meth:`set_online` (the backend reachable or not),
    :meth:`set_queued_wrap_up` (a ``QueuedWrapUp`` or None), :meth:`tick`,
    :meth:`retranslate`. Posts nothing.
    Read: :meth:`values` (seconds: ``state``, ``handle``, ``hold``, ``acw``
    left (0 once over), ``acw_over`` past the deadline, ``acw_queued`` the
    ACW time of a queued wrap-up; ``waiting`` customers). ``clock`` may be
    replaced in tests.

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
        self._online = True
        self._queued: QueuedWrapUp | None = None
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

    def set_online(self, online: bool) -> None:
        """The backend is reachable (``online``) or not: the ACW counter says so."""
        self._online = online
        self.tick()

    def set_queued_wrap_up(self, queued: QueuedWrapUp | None) -> None:
        """The wrap-up waiting in the outbox (None: none): its ACW time, stopped."""
        self._queued = queued
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
        handle = hold = acw = acw_over = acw_queued = None
        if contact is not None:
            if contact.accepted_at is not None:
                end = contact.ended_at.timestamp() if contact.ended_at is not None else server_now
                handle = max(0.0, end - contact.accepted_at.timestamp())
            hold = self._hold_base
            if contact.on_hold and self._hold_seen_at is not None:
                hold += max(0.0, now - self._hold_seen_at)
            if contact.acw_deadline is not None:
                left = contact.acw_deadline.timestamp() - server_now
                acw = max(0.0, left)
                acw_over = max(0.0, -left) if left <= 0 else None
        elif self._queued is not None:
            acw_queued = self._queued.acw_seconds
        state = max(0.0, now - self._state_since) if self._state_since is not None else None
        waiting = sum(q.waiting for q in self._queues)
        return {"state": state, "handle": handle, "hold": hold, "acw": acw, "acw_over": acw_over,
                "acw_queued": acw_queued, "waiting": waiting}

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
        contact = self._contact
        if v["state"] is not None and (contact is not None or self._queued is None):
            # A queued wrap-up stops the ACW clock: no time in ACW runs on here.
            parts.append((t("timers.state", time=mmss(v["state"] or 0)), ""))
        if v["handle"] is not None:
            parts.append((t("timers.handle", time=mmss(v["handle"] or 0)), ""))
        if v["hold"] is not None and (contact is not None and (contact.on_hold or v["hold"])):
            label = t("timers.hold", time=mmss(v["hold"] or 0))
            if contact.on_hold:
                label = glyph("●") + " " + t("timers.on_hold") + " " + label
            parts.append((label, status_style(self.app, "warn") if contact.on_hold else ""))
        offline = f" · {t('timers.offline')}" if not self._online else ""
        if v["acw_over"] is not None:
            label = t("timers.acw_over", time=mmss(v["acw_over"] or 0))
            parts.append((label + offline, status_style(self.app, "error")))
        elif v["acw"] is not None:
            left = v["acw"] or 0
            role = "error" if left <= ACW_URGENT_SECONDS else "warn"
            parts.append((t("timers.acw", time=mmss(left)) + offline, status_style(self.app, role)))
        elif contact is None and self._queued is not None:
            used = v["acw_queued"]
            label = t("timers.wrap_up_queued") if used is None else t("timers.acw_queued", time=mmss(used))
            parts.append((label + offline, status_style(self.app, "info")))
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
