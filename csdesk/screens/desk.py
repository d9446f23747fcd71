"""The desk: the agent's home screen after sign-in (operating guide §2).

Header: agent, state, time in state, sync status; the counters (time in
state, handle, hold, ACW left, queue depth). F2 toggles Ready / Not Ready
(Not Ready asks for a reason code); the change is made on the server.

Between contacts: what the agent can do next, the count of to-dos (guide
§1.2; ctrl+t opens them), the callbacks due now or within 15 minutes
(issue #6; a toast when one reaches its time) and a log of what happened
this session. An offer rings in a banner (bell / flash per the agent's
settings, also through the lock screen): Enter accepts, ctrl+d declines
with a reason. With a contact in hand the live panels replace the log
(:class:`LiveContact`): transcript, composer with the greeting script,
customer card, checklist; F5 verifies
the customer, F7 runs a business operation, F9 ends the contact and wraps
up; phone calls add hold, mute and transfer. The live-session logic lives
in :mod:`csdesk.screens.desk_live` (a mixin of this screen).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from csdesk.domain.agent_state import AgentState, NotReadyReason
from csdesk.domain.text import clean_text
from csdesk.domain.todos import DUE_CALLBACK_WINDOW, DueCallback, DueCallbackAlerts
from csdesk.i18n import t
from csdesk.screens.desk_live import LIVE_BINDINGS, LiveDeskMixin
from csdesk.screens.desk_knowledge import KNOWLEDGE_BINDINGS, KnowledgeDeskMixin
from csdesk.screens.desk_phrases import PHRASE_BINDINGS, PhraseDeskMixin
from csdesk.screens.desk_work_orders import WORK_ORDER_BINDINGS, WorkOrderDeskMixin
from csdesk.screens.stack import tell_screens
from csdesk.widgets.activity_log import ActivityLog
from csdesk.widgets.agent_bar import AgentBar, BarState
from csdesk.themes import status_style
from csdesk.widgets.bindings import key_hint, translate_bindings
from csdesk.widgets.contact_timers import ContactTimers
from csdesk.widgets.live_contact import LiveContact
from csdesk.widgets.offer_banner import OfferBanner
from csdesk.widgets.footer import Footer

if TYPE_CHECKING:
    from textual.timer import Timer

    from csdesk.domain.schemas import AgentStateView, Announcement
    from csdesk.services.sync import SyncStatus

#: Due callbacks listed in the state panel at 24 rows or fewer (the rest: "+N more").
DUE_LINES_SMALL: Final = 2
#: Most due callbacks listed on a taller terminal (one more per 2 rows above 24).
DUE_LINES_MAX: Final = 5
#: Characters of a customer reference / title shown on a due-callback line.
DUE_CUSTOMER_CHARS: Final = 24
DUE_TITLE_CHARS: Final = 20


def due_lines_for(rows: int) -> int:
    """How many due callbacks the state panel lists on a terminal ``rows`` high:
    :data:`DUE_LINES_SMALL` up to 24 rows, one more per 2 rows above, at most
    :data:`DUE_LINES_MAX`."""
    return max(DUE_LINES_SMALL, min(DUE_LINES_MAX, DUE_LINES_SMALL + (rows - 24) // 2))


def due_time(item: DueCallback) -> str:
    """The callback's scheduled time as the agent's terminal shows it, ``HH:MM`` (local)."""
    return item.scheduled_at.astimezone().strftime("%H:%M")


def due_reference(item: DueCallback) -> str:
    """The order number (cleaned), "not sent yet" for a local order without one,
    "callback" for a legacy callback."""
    if item.number:
        return clean_text(item.number, keep_newlines=False, max_chars=DUE_CUSTOMER_CHARS)
    return t("desk.due_not_sent") if item.kind == "work_order" else t("todos.kind.callback")


def due_customer(item: DueCallback) -> str:
    """The masked customer reference, else the order's title, cleaned to one short line."""
    if item.customer.strip():
        return clean_text(item.customer, keep_newlines=False, max_chars=DUE_CUSTOMER_CHARS).strip()
    return clean_text(item.title, keep_newlines=False, max_chars=DUE_TITLE_CHARS).strip()


class DeskScreen(LiveDeskMixin, KnowledgeDeskMixin, PhraseDeskMixin, WorkOrderDeskMixin, Screen[None]):
    """Home screen of a signed-in agent."""

    CSS_PATH = "desk.tcss"
    BINDINGS = [
        Binding("f2", "toggle_ready", "desk.toggle_ready", id="desk.toggle_ready", priority=True),
        Binding("ctrl+r", "toggle_ready", "desk.toggle_ready_alt", id="desk.toggle_ready_alt", show=False,
                priority=True),
        Binding("ctrl+n", "announcements", "desk.announcements", id="desk.announcements", show=False),
        Binding("ctrl+t", "app.todos", "desk.todos", id="desk.todos", show=False),
        Binding("f8,alt+r", "records", "desk.records", id="desk.records", show=False, priority=True),
        *LIVE_BINDINGS,
        *KNOWLEDGE_BINDINGS,
        *PHRASE_BINDINGS,
        *WORK_ORDER_BINDINGS,
    ]

    #: Seconds between two recounts of the to-dos (the day and "overdue" move on).
    TODO_RECOUNT_SECONDS = 60.0

    class StateChanged(Message):
        """The server reports a new agent state."""

        def __init__(self, view: AgentStateView) -> None:
            super().__init__()
            self.view = view

    class SyncChanged(Message):
        """Reachability or outbox counts changed."""

        def __init__(self, status: SyncStatus) -> None:
            super().__init__()
            self.status = status

    class CollectionChanged(Message):
        """A sync pull changed a local collection (``name``)."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    class AnnouncementArrived(Message):
        """A new or updated announcement came over the event stream."""

        def __init__(self, ann: Announcement) -> None:
            super().__init__()
            self.ann = ann

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self._bar = BarState()
        self._busy = False
        #: To-dos counted from the local store (None until the first count).
        self._todo_count: int | None = None
        #: Callbacks due now or soon at the last count, soonest first (issue #6).
        self.due_callbacks: list[DueCallback] = []
        #: Which due callbacks were already announced (a toast once each).
        self._due_alerts = DueCallbackAlerts()
        #: A recount at the next due callback's time (so its toast is on time).
        self._due_timer: Timer | None = None
        #: Now (aware) for the to-do counts; None: the server's clock
        #: (``services.todos.session_now``). Tests set a clock here.
        self.todo_clock: Callable[[], datetime] | None = None
        self.init_live()
        self.init_knowledge()
        self.init_phrases()
        self.init_work_orders()

    def compose(self) -> ComposeResult:
        yield AgentBar(id="agent-bar")
        yield OfferBanner(id="offer")
        yield ContactTimers(id="timers")
        yield Static("", id="state-panel")
        yield ActivityLog(id="activity")
        yield LiveContact(self, id="live")
        yield Footer()

    def on_mount(self) -> None:
        session = self.app.get_session()
        session.on_state = lambda view: self.post_message(self.StateChanged(view))
        session.on_sync = lambda status: self.post_message(self.SyncChanged(status))
        session.on_announcement = lambda ann: self.post_message(self.AnnouncementArrived(ann))
        session.on_collection_changed = lambda name: self.post_message(self.CollectionChanged(name))
        self.set_interval(self.TODO_RECOUNT_SECONDS, self.recount_todos, name="todo-recount")
        profile = session.profile
        if profile is not None:
            self._bar = BarState(
                employee_id=profile.employee_id,
                name=profile.name,
                state=profile.state.state.value,
                reason=profile.state.reason.value if profile.state.reason else None,
                since=profile.state.since.timestamp() - session.clock_skew,
            )
            self.query_one(ActivityLog).add(
                t("desk.signed_in", name=profile.name, eid=profile.employee_id)
            )
        self.query_one(ContactTimers).set_state_since(self._bar.since if profile else None)
        self.start_live()
        self.start_knowledge()
        self.start_phrases()
        self._show()

    def on_unmount(self) -> None:
        self.stop_live()

    def retranslate(self) -> None:
        """Redraw labels in the current language (the log keeps its lines).

        A desk not composed yet (it composes in the current language) or being
        taken down is left alone: its widgets are not there to redraw (a
        settings sync landing then failed the worker with ``NoMatches``)."""
        translate_bindings(self)
        if self._composed():
            self.retranslate_live()
            self._show()

    def settings_changed(self) -> None:
        """Theme or keys changed: redraw (the hints name the keys bound now);
        nothing to redraw on a desk not composed yet or being taken down."""
        if self._composed():
            self.retranslate_live()
            self._show()

    def _composed(self) -> bool:
        return self.is_mounted and bool(self.query("#offer"))

    # -- rendering ---------------------------------------------------------

    def _show(self) -> None:
        self.query_one(AgentBar).info = self._bar
        panel = Text()
        state = self._bar.state
        panel.append(t("desk.state_now") + " ", style="bold")
        label = t(f"state.{state}")
        if self._bar.reason:
            label += f" ({t(f'reason.{self._bar.reason}')})"
        panel.append(label + "\n", style="bold")
        # The keys bound now (the agent may have remapped them in settings).
        keys = {"key": key_hint(self, "desk.toggle_ready"), "alt": key_hint(self, "desk.toggle_ready_alt")}
        if state == AgentState.NOT_READY:
            panel.append(t("desk.hint_not_ready", **keys))
        elif state == AgentState.READY:
            panel.append(t("desk.hint_ready", **keys))
        elif state == AgentState.ACW and self.contacts.queued_wrap_up is not None:
            # The wrap-up waits in the outbox: the backend still holds the agent
            # in ACW until it arrives, then moves them as the wrap-up asked.
            after = self.contacts.queued_wrap_up.after
            then = t("state.ready") if after == "ready" else f"{t('state.not_ready')} ({t(f'reason.{after}')})"
            panel.append(t("desk.hint_wrap_up_queued", after=then), style=status_style(self.app, "warn"))
        else:
            panel.append(t("desk.hint_other"))
        if self._todo_count is not None:
            key = key_hint(self, "desk.todos")
            if self._todo_count:
                line = t("desk.todos", count=self._todo_count, key=key)
                panel.append("\n" + line, style=status_style(self.app, "warn"))
            else:
                panel.append("\n" + t("desk.todos_none", key=key), style="dim")
            self._show_due(panel)
        if not self._bar.online:
            panel.append("\n" + t("desk.offline_hint"), style=status_style(self.app, "error"))
        self.query_one("#state-panel", Static).update(panel)

    def _show_due(self, panel: Text) -> None:
        """Append the due callbacks to ``panel``: a heading, the soonest few
        (time, overdue mark, number, masked customer; plain text) and "+N more"."""
        due = self.due_callbacks
        if not due:
            return
        minutes = int(DUE_CALLBACK_WINDOW.total_seconds() // 60)
        panel.append("\n" + t("desk.due_heading", count=len(due), minutes=minutes), style="bold")
        shown = due_lines_for(self.app.size.height)
        for item in due[:shown]:
            panel.append("\n  ")
            panel.append(due_time(item) + " ", style=status_style(self.app, "error") if item.overdue else "bold")
            if item.overdue:
                panel.append(t("desk.due_overdue") + " ", style=status_style(self.app, "error"))
            panel.append(due_reference(item), style="dim" if not item.number else "")
            customer = due_customer(item)
            if customer:
                panel.append("  " + customer)
        if len(due) > shown:
            panel.append("\n  " + t("desk.due_more", count=len(due) - shown, key=key_hint(self, "desk.todos")),
                         style="dim")

    def on_resize(self) -> None:
        """A taller or shorter terminal lists more or fewer due callbacks."""
        if self.due_callbacks and self._composed():
            self._show()

    # -- to-dos (operating guide §1.2) --------------------------------------

    def on_screen_resume(self) -> None:
        """Back on top (announcements acknowledged, a to-do closed): count again,
        and open a wrap-up that became due while another screen was up."""
        self.recount_todos()
        self._apply_contact()

    @work(exclusive=True, group="todo-count")
    async def recount_todos(self) -> None:
        """Count the to-dos and pick the due callbacks from one read of the local
        store (in a thread), show them, and announce the callbacks whose time
        came since the last count (a toast, once per order and time)."""
        from csdesk.services.todos import load_desk_todos

        app: Any = self.app
        session = app.session
        if session is None or session.sync is None or session.store is None:
            return
        try:
            todos = await load_desk_todos(session, now=self.todo_clock() if self.todo_clock else None)
        except Exception:
            return  # the store closed (signing out): nothing to count
        count = len(todos.items)
        app.todo_count = count
        for item in self._due_alerts.update(todos.due, todos.now):
            self._announce_due(item)
        self._time_next_due(todos.due, todos.now)
        if count != self._todo_count or todos.due != self.due_callbacks:
            self._todo_count = count
            self.due_callbacks = todos.due
            if self._composed():
                self._show()

    def _announce_due(self, item: DueCallback) -> None:
        """Tell the agent ``item`` has reached its time: a toast (plain text) and a log line."""
        message = t("desk.due_notice", ref=due_reference(item), time=due_time(item),
                    customer=due_customer(item)).strip()
        self.notify(message, title=t("desk.due_notice_title"), severity="warning", markup=False)
        if self._composed():
            self.query_one(ActivityLog).add(message, style=status_style(self.app, "warn"))

    def _time_next_due(self, due: list[DueCallback], now: datetime) -> None:
        """Count again just after the next not-yet-due callback's time (when it
        comes before the regular recount), so it is announced on time."""
        if self._due_timer is not None:
            self._due_timer.stop()
            self._due_timer = None
        upcoming = [item.scheduled_at for item in due if item.scheduled_at > now]
        if not upcoming:
            return
        delay = (min(upcoming) - now).total_seconds() + 1.0
        if delay < self.TODO_RECOUNT_SECONDS:
            self._due_timer = self.set_timer(delay, self.recount_todos, name="due-callback")

    def on_desk_screen_collection_changed(self, message: CollectionChanged) -> None:
        from csdesk.services.records import RECORDS
        from csdesk.services.todos import TODO_COLLECTIONS

        if message.name == RECORDS:
            tell_screens(self.app, "records_changed")
            return
        if message.name not in TODO_COLLECTIONS:
            return
        self.recount_todos()
        tell_screens(self.app, "todos_changed")

    # -- events from the session -------------------------------------------

    def on_desk_screen_state_changed(self, message: StateChanged) -> None:
        view = message.view
        reason = view.reason.value if view.reason else None
        if view.state.value == self._bar.state and reason == self._bar.reason:
            return
        session = self.app.get_session()
        self._bar = replace(
            self._bar,
            state=view.state.value,
            reason=reason,
            since=view.since.timestamp() - session.clock_skew,
            # A new state: the backend applied what was queued (or moved on).
            stopped_at=self._bar.stopped_at if view.state is AgentState.ACW else None,
        )
        label = t(f"state.{view.state.value}")
        if reason:
            label += f" ({t(f'reason.{reason}')})"
        self.query_one(ActivityLog).add(t("desk.log_state", state=label))
        self.query_one(ContactTimers).set_state_since(self._bar.since)
        self._refresh_live_keys()
        self._show()

    def on_desk_screen_sync_changed(self, message: SyncChanged) -> None:
        status = message.status
        if status.online != self._bar.online:
            self.query_one(ActivityLog).add(
                t("desk.log_online") if status.online else t("desk.log_offline"),
                style="" if status.online else status_style(self.app, "error"),
            )
        self._bar = replace(
            self._bar, online=status.online, pending=status.pending, failed=status.failed
        )
        # The ACW counters (here and in an open wrap-up form) say when the backend is unreachable.
        self.query_one(ContactTimers).set_online(status.online)
        tell_screens(self.app, "set_online", status.online, skip=self)
        self._show()

    def on_desk_screen_announcement_arrived(self, message: AnnouncementArrived) -> None:
        # A version above 1 is a changed text (guide §1.2: read it again).
        key = "desk.log_announcement_updated" if message.ann.version > 1 else "desk.log_announcement"
        self.query_one(ActivityLog).add(t(key, title=message.ann.title))
        if message.ann.mandatory:
            self.action_announcements(unread_only=True)

    # -- actions -----------------------------------------------------------------

    def action_toggle_ready(self) -> None:
        """F2: Ready → Not Ready (asks a reason), Not Ready → Ready."""
        if self._busy:
            return
        state = AgentState(self._bar.state)
        if state is AgentState.NOT_READY:
            self._change(AgentState.READY, None)
        elif state is AgentState.READY:
            from csdesk.screens.reason import ReasonScreen

            def picked(reason: NotReadyReason | None) -> None:
                if reason is not None:
                    self._change(AgentState.NOT_READY, reason)

            self.app.push_screen(ReasonScreen(), picked)
        else:
            self.notify(t("desk.cannot_toggle", state=t(f"state.{state.value}")), severity="warning", markup=False)

    @work(exclusive=True, group="state")
    async def _change(self, state: AgentState, reason: NotReadyReason | None) -> None:
        from csdesk.screens.errors import describe_error

        self._busy = True
        try:
            await self.app.get_session().set_state(state, reason)
        except Exception as exc:
            message = describe_error(exc)
            self.notify(t("desk.state_failed", error=message), severity="error", markup=False)
            self.query_one(ActivityLog).add(t("desk.state_failed", error=message), style=status_style(self.app, "error"))
        finally:
            self._busy = False

    @work(exclusive=True, group="announcements")
    async def action_announcements(self, unread_only: bool = False) -> None:
        """Show current announcements (ctrl+n or palette)."""
        from csdesk.screens.announcements import AnnouncementsScreen

        session = self.app.get_session()
        items = await (session.unread_announcements() if unread_only else session.announcements())
        if not items:
            self.notify(t("desk.no_announcements"), markup=False)
            return
        if any(isinstance(screen, AnnouncementsScreen) for screen in self.app.screen_stack):
            return  # one list at a time (the sign-in one may be opening under us)
        await self.app.push_screen(AnnouncementsScreen(items, close_if_read=unread_only))

    @work(group="sync")
    async def action_retry_failed(self) -> None:
        """Put refused outbox items back in the queue (palette)."""
        count = await self.app.get_session().retry_failed()
        self.notify(t("desk.retried", count=count), markup=False)

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Desk entries of the command palette."""
        yield SystemCommand(
            t("cmd.toggle_ready"), t("cmd.toggle_ready.help", key=key_hint(self, "desk.toggle_ready")),
            self.action_toggle_ready,
        )
        yield SystemCommand(
            t("cmd.announcements"), t("cmd.announcements.help", key=key_hint(self, "desk.announcements")),
            self.action_announcements,
        )
        yield from self.live_palette_commands()
        yield from self.knowledge_palette_commands()
        yield from self.phrase_palette_commands()
        yield from self.work_order_palette_commands()
        yield SystemCommand(t("cmd.records"), t("cmd.records.help", key=key_hint(self, "desk.records")),
                            self.action_records)
        yield SystemCommand(t("cmd.change_password"), t("cmd.change_password.help"), self.action_change_password)
        if self._bar.failed:
            yield SystemCommand(t("cmd.retry_failed"), t("cmd.retry_failed.help"), self.action_retry_failed)

    def action_records(self) -> None:
        """F8: the agent's session records, with transcripts (guide §3.3)."""
        from csdesk.screens.records import RecordsScreen

        if not any(isinstance(screen, RecordsScreen) for screen in self.app.screen_stack):
            self.app.push_screen(RecordsScreen())

    def action_change_password(self) -> None:
        """Choose a new password (guide §1.3: change it periodically)."""
        from csdesk.screens.password_change import PasswordChangeScreen

        self.app.push_screen(PasswordChangeScreen(signed_in=True, reason="password.reason_chosen"))

