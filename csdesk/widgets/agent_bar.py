"""The desk header: agent, state, time in state, sync status (one line).

Nothing here is told by colour alone: the state is a word, online/offline
a mark and a word, and their styles come from :func:`csdesk.themes.status_style`
(bold / underline / reverse instead of colours under the monochrome theme).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from csdesk.domain.text import clean_text
from csdesk.glyphs import glyph
from csdesk.i18n import t
from csdesk.themes import status_style

#: Agent state → status role of its label.
STATE_ROLES = {"ready": "ok", "not_ready": "warn", "offline": "error"}


def format_duration(seconds: float) -> str:
    """``3725.4`` → ``"1:02:05"``; under an hour ``"02:05"``. Negative counts as 0."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


@dataclass(frozen=True)
class BarState:
    """What the bar shows. ``since`` is epoch seconds on the local clock.

    ``stopped_at`` (local epoch seconds, or None): the time in state stopped
    counting then, and "wrap-up queued" follows the state — the agent's
    wrap-up waits in the outbox, and the desk does not know the backend's
    clock until it is back (the state stays the backend's).
    """

    employee_id: str = ""
    name: str = ""
    state: str = "offline"
    reason: str | None = None
    since: float = 0.0
    online: bool = True
    pending: int = 0
    failed: int = 0
    stopped_at: float | None = None


class AgentBar(Static):
    """One-line header, redrawn every second for the time in state."""

    DEFAULT_CSS = """
    AgentBar {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    """

    info: reactive[BarState] = reactive(BarState, always_update=True)

    def on_mount(self) -> None:
        self.set_interval(1.0, self.refresh)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.refresh())

    def watch_info(self, _value: BarState) -> None:
        self.refresh()

    def render(self) -> Text:
        info = self.info
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{info.employee_id} ", style="bold")
        text.append(clean_text(info.name, keep_newlines=False, max_chars=20))
        text.append(" │ ")
        label = t(f"state.{info.state}")
        if info.reason:
            label += f" ({t(f'reason.{info.reason}')})"
        text.append(label, style=status_style(self.app, STATE_ROLES.get(info.state, "info")))
        now = info.stopped_at if info.stopped_at is not None else time.time()
        text.append(f" {format_duration(now - info.since)}")
        if info.stopped_at is not None:
            text.append(" · " + t("timers.wrap_up_queued"), style=status_style(self.app, "warn"))
        text.append(" │ ")
        if info.online:
            text.append(glyph("●") + " " + t("sync.online"), style=status_style(self.app, "good"))
        else:
            text.append(glyph("○") + " " + t("sync.offline"), style=status_style(self.app, "error"))
        text.append(" " + t("sync.pending", count=info.pending))
        if info.failed:
            text.append(" " + t("sync.failed", count=info.failed), style=status_style(self.app, "error"))
        return text
