"""The offer banner: a contact ringing at the agent (guide §2.1, issue #4).

Shows the channel, queue, how long the customer has waited (counting up),
the customer's first words (untrusted: cleaned, one line, cut with "…")
and the seconds left before the offer expires (counting down), with the
keys to accept / decline. The screen owns those keys and the decision:
the banner posts nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from csdesk.domain.text import clean_text
from csdesk.glyphs import glyph
from csdesk.i18n import queue_label, t
from csdesk.themes import status_style
from csdesk.widgets.bindings import key_hint

if TYPE_CHECKING:
    from csdesk.domain.contact_schemas import OfferView

#: Binding ids of the screen's accept / decline keys, with the key shown
#: when the screen has no such binding (yet).
ACCEPT_ID, DECLINE_ID = "desk.accept_offer", "desk.decline_offer"
DEFAULT_HINTS = {ACCEPT_ID: "Enter", DECLINE_ID: "ctrl+d"}

#: The countdown turns urgent at this many seconds left.
URGENT_SECONDS = 5


def mmss(seconds: float) -> str:
    """``83.4`` → ``"01:23"``; minutes go past 59 (``"75:00"``); negative counts as 0."""
    total = max(0, int(seconds))
    return f"{total // 60:02d}:{total % 60:02d}"


class OfferBanner(Static):
    """Three lines: what rings, the customer's first words, the keys.

    Down: :meth:`show_offer` (an ``OfferView``; ``clock_skew`` = server
    clock − local clock, seconds), :meth:`clear_offer`, :meth:`tick`
    (called each second by its own timer), :meth:`retranslate`.
    Read: :attr:`seconds_left`, :attr:`waited` (seconds, floats).
    ``clock`` (epoch seconds, default ``time.time``) may be replaced in tests.
    Hidden (``display: none``) while there is no offer.
    """

    DEFAULT_CSS = """
    OfferBanner {
        text-wrap: nowrap;
        text-overflow: ellipsis;
        height: auto;
        max-height: 3;
        width: 1fr;
        padding: 0 1;
        background: $warning 20%;
        border-left: thick $warning;
        display: none;
    }
    OfferBanner.-ringing { display: block; }
    OfferBanner.-flash { background: $warning 70%; }
    """

    def __init__(self, *, clock: Callable[[], float] = time.time, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", name=name, id=id, classes=classes, markup=False)
        self.clock = clock
        self.offer: OfferView | None = None
        self._skew = 0.0
        self._shown_at = 0.0

    def on_mount(self) -> None:
        self.set_interval(1.0, self.tick, name="offer-tick")

    # -- down ---------------------------------------------------------------

    def show_offer(self, offer: OfferView, *, clock_skew: float = 0.0) -> None:
        """Show ``offer`` and start counting."""
        self.offer = offer
        self._skew = clock_skew
        self._shown_at = self.clock()
        self.add_class("-ringing")
        self.update(self.render_offer())

    def clear_offer(self) -> None:
        """Hide the banner (accepted, declined, expired or withdrawn)."""
        self.offer = None
        self.remove_class("-ringing")
        self.update("")

    def retranslate(self) -> None:
        """Redraw in the current language."""
        self.tick()

    @property
    def seconds_left(self) -> float:
        """Seconds before the offer expires (0 when expired or no offer)."""
        if self.offer is None:
            return 0.0
        now = self.clock() + self._skew
        return max(0.0, self.offer.expires_at.timestamp() - now)

    @property
    def waited(self) -> float:
        """Seconds the customer has waited: their queue wait plus the time since shown."""
        if self.offer is None:
            return 0.0
        return self.offer.waited_seconds + max(0.0, self.clock() - self._shown_at)

    def tick(self) -> None:
        """Redraw the counters (once a second)."""
        if self.offer is None:
            return
        # Same three rows every second: no layout pass.
        self.update(self.render_offer(), layout=False)

    def render_offer(self) -> Text:
        """The banner text (plain Text; the first words are never markup)."""
        offer = self.offer
        text = Text(no_wrap=True, overflow="ellipsis")
        if offer is None:
            return text
        left = self.seconds_left
        text.append(glyph("⚠") + " ", style=status_style(self.app, "warn"))
        text.append(t(f"offer.channel.{offer.channel}"), style="bold")
        text.append(" · " + t("offer.queue", queue=queue_label(offer.queue)))
        text.append(" · " + t("offer.waited", time=mmss(self.waited)))
        text.append(" · ")
        role = "error" if left <= URGENT_SECONDS else "warn"
        text.append(t("offer.expires", seconds=int(left + 0.999)), style=status_style(self.app, role))
        text.append("\n")
        text.append('"' + clean_text(offer.first_words, keep_newlines=False, max_chars=200).strip() + '"')
        text.append("\n")
        text.append(
            t("offer.keys", accept=self._hint(ACCEPT_ID), decline=self._hint(DECLINE_ID)), style="dim"
        )
        return text

    def _hint(self, binding_id: str) -> str:
        hint = key_hint(self, binding_id)
        return DEFAULT_HINTS[binding_id] if hint == "?" else hint
