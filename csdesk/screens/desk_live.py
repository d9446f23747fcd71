"""The live session on the desk: offers, the contact in hand, its keys (issue #4).

A mixin of :class:`csdesk.screens.desk.DeskScreen`, kept apart so the desk
file stays about the agent's state and to-dos. It listens to
:class:`csdesk.services.contact.ContactService` (``add_listener``; each
change arrives as a :class:`ContactChanged` message), polls the queue
depths in a worker while the desk is up, and turns keys into service calls
(in workers) and modal screens:

* an offer rings (guide §2.1): banner, bell / flash per the ``offer_alert``
  setting, a line on the lock screen; Enter accepts, ctrl+d declines with a
  reason;
* the contact in hand: transcript, composer (Enter sends; alt+n switches
  to private notes), customer card, checklist, counters; F5 verification,
  F7 business operations, F9 (or alt+e) ends the contact, then the wrap-up
  form opens (guide §2.3); phone calls: alt+h hold/resume, alt+m mute,
  alt+t transfer; alt+x extends ACW once;
* a wrap-up submitted while the backend is unreachable waits in the outbox:
  the live panels close, the agent is still shown in ACW (the backend
  decides), the ACW clock stops and the desk says what follows; a wrap-up
  the backend then refuses brings the contact and its form back, one it
  takes is said (a notice and an activity-log line, as an online one).

Every key has an id (remappable) and a palette entry (F-keys do not reach
every terminal). Keys that do not apply now are hidden from the footer.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import SystemCommand
from textual.binding import Binding
from textual.message import Message

from csdesk.domain.contacts import Channel, ContactStatus
from csdesk.i18n import current_language, t
from csdesk.widgets.bindings import key_hint

if TYPE_CHECKING:
    from csdesk.domain.contact_schemas import ContactView, OperationSpec
    from csdesk.domain.procedure import ChecklistResult
    from csdesk.services.contact import ContactChange, ContactService

#: Keys of the live session (binding ids ``desk.*``; descriptions ``key.desk.*``).
#: All have priority over the focused widget: the composer's TextArea binds
#: f6 / f7 (select line / all), and a terminal sends alt+h as ESC h, which
#: Textual hands to the focused TextArea as a printable "h".
LIVE_BINDINGS = [
    Binding("enter", "accept_offer", "desk.accept_offer", id="desk.accept_offer", priority=True),
    Binding("ctrl+d", "decline_offer", "desk.decline_offer", id="desk.decline_offer", priority=True),
    Binding("f5,alt+v", "verify", "desk.verify", id="desk.verify", priority=True),
    Binding("f7,alt+o", "operations", "desk.operations", id="desk.operations", priority=True),
    Binding("f9,alt+w", "wrap_up", "desk.wrap_up", id="desk.wrap_up", priority=True),
    Binding("alt+e", "end_contact", "desk.end_contact", id="desk.end_contact", show=False, priority=True),
    Binding("alt+h", "hold", "desk.hold", id="desk.hold", priority=True),
    Binding("alt+m", "mute", "desk.mute", id="desk.mute", show=False, priority=True),
    Binding("alt+t", "transfer", "desk.transfer", id="desk.transfer", show=False, priority=True),
    Binding("alt+n", "note_mode", "desk.note_mode", id="desk.note_mode", show=False, priority=True),
    Binding("alt+x", "extend_acw", "desk.extend_acw", id="desk.extend_acw", priority=True),
]

#: Messages waiting to be sent before Enter holds the text in the composer.
MAX_PENDING_SENDS = 3
#: Seconds between two flashes of the banner (``offer_alert`` flash / both).
FLASH_SECONDS = 0.4
#: Flashes per offer.
FLASHES = 6


class ContactChanged(Message):
    """The contact service changed (``change``: a ``ContactChange``)."""

    def __init__(self, change: ContactChange) -> None:
        super().__init__()
        self.change = change


class LiveDeskMixin:
    """Live-session behaviour of the desk screen (see the module docstring).

    The screen calls :meth:`init_live` in ``__init__``, :meth:`start_live`
    on mount, :meth:`stop_live` on unmount and :meth:`retranslate_live`
    when the language or keys change; its ``check_action`` comes from here.
    """

    app: Any

    def init_live(self) -> None:
        """Set the live-session fields (no I/O)."""
        self._remove_listener: Callable[[], None] | None = None
        self._catalogue: dict[str, OperationSpec] = {}
        #: Contacts whose wrap-up form was opened once by itself.
        self._wrap_opened: set[str] = set()
        self._shown_contact: str | None = None
        self._customer_left_seen: set[str] = set()
        self._ringing: str | None = None
        #: Messages typed and not yet answered by the backend, oldest first.
        self._outgoing: deque[tuple[str, str]] = deque()
        #: The open "why decline?" question (closed when the offer goes away).
        self._decline_question: Any = None
        #: The contact whose wrap-up was last seen queued in the outbox.
        self._queued_contact: str | None = None

    # -- wiring -------------------------------------------------------------

    @property
    def contacts(self) -> ContactService:
        """The signed-in agent's contact service."""
        return self.app.get_session().contact

    def start_live(self) -> None:
        """Listen to the contact service, poll the queues, load the operation
        catalogue (for the checklist) and show what is already known."""
        service = self.contacts
        service.language = current_language()
        post: Any = getattr(self, "post_message")
        self._remove_listener = service.add_listener(lambda change: post(ContactChanged(change)))
        run_worker: Any = getattr(self, "run_worker")
        run_worker(service.poll_queues(), group="queue-poll", exclusive=True)
        self._load_catalogue()
        self._apply_offer()
        self._apply_contact()
        self._resync_contact()

    @work(group="contact-resync", exclusive=True)
    async def _resync_contact(self) -> None:
        """Fetch the contact the backend holds for this agent: after a restart or
        a sign-out mid-contact the agent comes back On Contact or in ACW with it
        (its wrap-up is still due)."""
        from csdesk.api.errors import ApiError

        try:
            await self.contacts.resync()
        except ApiError:
            pass  # the event stream's reconnect resyncs again

    def stop_live(self) -> None:
        """Stop listening and polling (sign-out, the desk goes away)."""
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None
        try:
            self.contacts.stop()
        except Exception:
            pass  # the session is already gone

    def retranslate_live(self) -> None:
        """Redraw the live parts in the current language (greetings follow it)."""
        from csdesk.widgets.contact_timers import ContactTimers
        from csdesk.widgets.live_contact import LiveContact
        from csdesk.widgets.offer_banner import OfferBanner

        try:
            self.contacts.language = current_language()
        except Exception:
            pass
        query: Any = getattr(self, "query_one")
        query(OfferBanner).retranslate()
        query(ContactTimers).retranslate()
        query(LiveContact).retranslate()

    @work(group="catalogue")
    async def _load_catalogue(self) -> None:
        from csdesk.api.errors import ApiError

        try:
            # Loaded now so that it is kept (local store) for a wrap-up while the backend is down.
            await self.contacts.dispositions()
        except ApiError:
            pass  # the wrap-up form asks again
        try:
            specs = await self.contacts.operations()
        except ApiError:
            return  # the checklist counts verification without levels meanwhile
        self._catalogue = {spec.code: spec for spec in specs}
        self._update_checklist()

    def on_contact_changed(self, message: ContactChanged) -> None:
        change = message.change
        kind = change.kind
        if kind not in ("transcript", "queues"):
            self._apply_offer()  # accepting, a state change … may end the ringing too
        if kind == "offer":
            pass
        elif kind == "transcript" and change.line is not None:
            from csdesk.widgets.live_contact import LiveContact

            getattr(self, "query_one")(LiveContact).add_line(change.line)
            self._update_checklist()
        elif kind == "queues":
            from csdesk.widgets.contact_timers import ContactTimers

            getattr(self, "query_one")(ContactTimers).set_queues(self.contacts.queues)
        elif kind == "acw_overdue":
            self.notify(t("live.acw_overdue", key=key_hint(self, "desk.wrap_up")),  # type: ignore[arg-type]
                        severity="warning", markup=False)
        elif kind == "record":
            record = self.contacts.last_record
            if record is not None and record.contact_id == change.contact_id:
                self._log(t("live.log_record", disposition=self._disposition_text(record.disposition)))
        elif kind == "delivered":
            # A wrap-up queued offline reached the backend: said like an online one.
            delivered = self.contacts.delivered_record
            shown = self._disposition_text(delivered.disposition) if delivered is not None else ""
            self.notify(t("live.wrap_up_delivered", disposition=shown), markup=False)  # type: ignore[arg-type]
            self._log(t("live.log_record_delivered", disposition=shown))
            self._apply_contact()
        else:
            self._apply_contact()

    def _disposition_text(self, code: str) -> str:
        """A disposition for the activity log: ``Category → label (code)`` in the
        current language from the kept list, else the code."""
        from csdesk.glyphs import glyph

        labels = self.contacts.disposition_labels(code, current_language())
        if labels is None:
            return code
        return f"{labels[0]} {glyph('→')} {labels[1]} ({code})"

    # -- the offer ----------------------------------------------------------------

    def _apply_offer(self) -> None:
        from csdesk.widgets.offer_banner import OfferBanner

        offer = self.contacts.offer
        banner = getattr(self, "query_one")(OfferBanner)
        ringing = offer.contact_id if offer is not None else None
        if ringing != self._ringing:
            # The "why decline?" question was about the offer that rang before:
            # it must never decline another one that arrived meanwhile.
            asking, self._decline_question = self._decline_question, None
            if asking is not None and asking.is_attached and asking in self.app.screen_stack:
                asking.dismiss(None)
                self.notify(t("live.offer_gone"), severity="warning", markup=False)  # type: ignore[arg-type]
        if offer is not None and self._ringing != offer.contact_id:
            self._ringing = offer.contact_id
            banner.show_offer(offer, clock_skew=self.app.get_session().clock_skew)
            self._ring()
            self._log(t("live.log_offer", channel=t(f"offer.channel.{offer.channel}")))
            if self.app.screen is not self and not getattr(self.app, "locked", False):
                # Another screen (records, to-dos …) hides the banner: say it over it.
                self.notify(
                    t("live.offer_elsewhere", channel=t(f"offer.channel.{offer.channel}")),
                    severity="warning", timeout=10, markup=False,  # type: ignore[call-arg]
                )
        elif offer is None and self._ringing is not None:
            self._ringing = None
            banner.clear_offer()
        self.offer_to_lock_screen()
        self._refresh_live_keys()

    def offer_to_lock_screen(self) -> None:
        """Show the ringing offer (channel only: no customer data) on the lock
        screen, if it is up, or take the line away."""
        from csdesk.screens.lock import LockScreen

        offer = self.contacts.offer
        summary = f"({t(f'offer.channel.{offer.channel}')})" if offer else None
        for screen in self.app.screen_stack:
            if isinstance(screen, LockScreen):
                screen.show_offer_waiting(summary)

    def _ring(self) -> None:
        """Alert the agent per the ``offer_alert`` setting (bell, flash, both, none)."""
        alert = getattr(getattr(self.app, "desk_settings", None), "offer_alert", "both")
        if alert in ("bell", "both"):
            self.app.bell()
        if alert in ("flash", "both"):
            self._flash(FLASHES)

    def _flash(self, left: int) -> None:
        from csdesk.widgets.offer_banner import OfferBanner

        banner = getattr(self, "query_one")(OfferBanner)
        if banner.offer is None or left <= 0:
            banner.remove_class("-flash")
            return
        banner.toggle_class("-flash")
        getattr(self, "set_timer")(FLASH_SECONDS, lambda: self._flash(left - 1))

    # -- the contact in hand ------------------------------------------------------------

    def _apply_contact(self) -> None:
        from csdesk.widgets.activity_log import ActivityLog
        from csdesk.widgets.contact_timers import ContactTimers
        from csdesk.widgets.live_contact import LiveContact

        query: Any = getattr(self, "query_one")
        contact = self.contacts.contact
        live = query(LiveContact)
        timers = query(ContactTimers)
        skew = self.app.get_session().clock_skew
        if contact is None:
            if self._shown_contact is not None:
                self._shown_contact = None
                live.display = False
                query("#state-panel").display = True
                log = query(ActivityLog)
                log.display = True
                getattr(self, "call_after_refresh")(log.flush_waiting)  # lines logged during the contact
                timers.set_contact(None)
            # A wrap-up queued offline: its ACW time and the time in state stop
            # (the agent's part is done; the backend moves them when it arrives).
            queued = self.contacts.queued_wrap_up
            if queued is not None:
                self._queued_contact = queued.contact_id
            timers.set_queued_wrap_up(queued)
            bar = getattr(self, "_bar")
            if (queued is None) != (bar.stopped_at is None):
                setattr(self, "_bar", replace(bar, stopped_at=None if queued is None else time.time()))
            getattr(self, "_show")()
            self._refresh_live_keys()
            return
        new = self._shown_contact != contact.id
        live.display = True
        query("#state-panel").display = False
        query(ActivityLog).display = False
        live.show_contact(contact)
        timers.set_queued_wrap_up(None)
        timers.set_contact(contact, clock_skew=skew)
        self._update_checklist()
        if new and contact.id == self._queued_contact and contact.status is ContactStatus.WRAP_UP:
            # The backend refused the wrap-up queued offline: the form opens again.
            self._wrap_opened.discard(contact.id)
            self.notify(t("live.wrap_up_refused"), severity="error", markup=False)  # type: ignore[arg-type]
            self._log(t("live.wrap_up_refused"))
        if new:
            self._queued_contact = None
            # Only the contact in hand matters from now on (no growth over a shift).
            self._wrap_opened &= {contact.id}
            self._customer_left_seen &= {contact.id}
            self._shown_contact = contact.id
            self._log(t("live.log_contact", channel=t(f"offer.channel.{contact.channel}")))
            if contact.status is ContactStatus.ACTIVE:
                live.composer.focus_input()
        if contact.customer_left and contact.id not in self._customer_left_seen:
            self._customer_left_seen.add(contact.id)
            self.notify(t("live.customer_left_notice"), severity="warning", markup=False)  # type: ignore[arg-type]
        if (
            contact.status is ContactStatus.WRAP_UP
            and contact.id not in self._wrap_opened
            and self.app.screen is self
        ):
            self._open_wrap_up()
        self._refresh_live_keys()

    def _checklist_result(self, contact: ContactView, *, for_wrap_up: bool = False) -> ChecklistResult:
        from csdesk.domain.procedure import ProcedureFacts, evaluate_procedure

        consented = {d.operation for d in self.contacts.disclosures.values() if d.consent is True}
        facts = ProcedureFacts.from_contact(
            contact, self._catalogue, consented=consented,
            # Choosing the code is the wrap-up step itself: counted done in the form.
            disposition="(choosing)" if for_wrap_up else None,
        )
        return evaluate_procedure(facts)

    def _update_checklist(self) -> None:
        from csdesk.widgets.live_contact import LiveContact

        contact = self.contacts.contact
        if contact is None:
            return
        result = self._checklist_result(contact)
        getattr(self, "query_one")(LiveContact).show_checklist(
            result, missed=contact.status is ContactStatus.WRAP_UP, locked=contact.verification_locked
        )

    def _log(self, line: str) -> None:
        from csdesk.widgets.activity_log import ActivityLog

        getattr(self, "query_one")(ActivityLog).add(line)

    def _fail(self, exc: BaseException) -> None:
        from csdesk.screens.errors import describe_error

        message = describe_error(exc)
        self.notify(message, severity="error", markup=False)  # type: ignore[arg-type]
        self._log(t("live.log_failed", error=message))

    # -- keys: which apply now ---------------------------------------------------------

    def _refresh_live_keys(self) -> None:
        """Redraw the footer only when the set of keys that apply changed (each
        redraw rebuilds its widgets)."""
        actions = ("toggle_ready", "accept_offer", "verify", "wrap_up", "hold", "note_mode", "extend_acw")
        now = tuple(bool(self.check_action(action, ())) for action in actions)
        if now != getattr(self, "_live_keys_shown", None):
            self._live_keys_shown = now
            getattr(self, "refresh_bindings")()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Live keys only when they apply (otherwise hidden, and Enter / ctrl+d
        reach the focused widget)."""
        try:
            service = self.contacts
        except Exception:
            return True
        contact = service.contact
        active = contact is not None and contact.status is ContactStatus.ACTIVE
        phone = active and contact is not None and contact.channel is Channel.PHONE
        state = self.app.get_session().state
        rules = {
            # F2 only between contacts (the routing engine owns the other states).
            "toggle_ready": state is None or state.state.value in ("ready", "not_ready"),
            "accept_offer": service.offer is not None,
            "decline_offer": service.offer is not None,
            "verify": active,
            "operations": active,
            "wrap_up": contact is not None,
            "end_contact": active,
            "hold": phone,
            "mute": phone,
            "transfer": phone,
            "note_mode": contact is not None and contact.status is ContactStatus.ACTIVE,
            "extend_acw": (
                contact is not None and contact.status is ContactStatus.WRAP_UP and not contact.acw_extended
            ),
        }
        return rules.get(action, True)

    # -- actions -----------------------------------------------------------------------

    def action_accept_offer(self) -> None:
        """Enter: take the ringing contact."""
        self._accept()

    @work(exclusive=True, group="live-call")
    async def _accept(self) -> None:
        from csdesk.api.errors import ApiError

        try:
            await self.contacts.accept()
        except (ApiError, RuntimeError) as exc:
            self._fail(exc)

    def action_decline_offer(self) -> None:
        """ctrl+d: decline the ringing contact, saying why (the agent goes Not Ready)."""
        from csdesk.domain.agent_state import NotReadyReason
        from csdesk.screens.reason import ReasonScreen

        if self.contacts.offer is None:
            return

        def picked(reason: NotReadyReason | None) -> None:
            self._decline_question = None
            if reason is not None:
                self._decline(reason.value)

        self._decline_question = ReasonScreen(title=lambda: t("live.decline_title"))
        self.app.push_screen(self._decline_question, picked)

    @work(exclusive=True, group="live-call")
    async def _decline(self, reason: str) -> None:
        from csdesk.api.errors import ApiError

        try:
            await self.contacts.decline(reason)
        except RuntimeError:
            self.notify(t("live.offer_gone"), severity="warning", markup=False)  # type: ignore[arg-type]
        except ApiError as exc:
            self._fail(exc)

    def action_verify(self) -> None:
        """F5: identity verification (guide §2.1)."""
        from csdesk.screens.verification import VerificationScreen

        if self.contacts.contact is not None:
            self.app.push_screen(VerificationScreen(self.contacts), lambda _r: self._apply_contact())

    def action_operations(self) -> None:
        """F7: a business operation (guide §2.2)."""
        from csdesk.screens.operation import OperationScreen

        if self.contacts.contact is not None:
            self.app.push_screen(
                OperationScreen(self.contacts, language=current_language()), lambda _r: self._apply_contact()
            )

    def action_wrap_up(self) -> None:
        """F9: end the contact (asks first) or, in ACW, open the wrap-up form."""
        contact = self.contacts.contact
        if contact is None:
            return
        if contact.status is ContactStatus.WRAP_UP:
            self._open_wrap_up()
        else:
            self.action_end_contact()

    def action_end_contact(self) -> None:
        """alt+e: end the contact (asks first); ACW and the wrap-up form follow."""
        from csdesk.screens.confirm import ConfirmScreen

        if self.contacts.contact is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._call("end")

        self.app.push_screen(
            ConfirmScreen(lambda: t("live.end_confirm"), yes=lambda: t("live.end_yes")), answered
        )

    def action_hold(self) -> None:
        """alt+h: hold or resume the call."""
        contact = self.contacts.contact
        if contact is not None:
            self._call("resume" if contact.on_hold else "hold")

    def action_mute(self) -> None:
        """alt+m: mute or unmute the agent's microphone."""
        contact = self.contacts.contact
        if contact is not None:
            self._call("unmute" if contact.muted else "mute")

    def action_extend_acw(self) -> None:
        """alt+x: more time for the wrap-up (once per contact)."""
        self._call("extend_acw")

    @work(exclusive=True, group="live-call")
    async def _call(self, name: str) -> None:
        from csdesk.api.errors import ApiError

        try:
            await getattr(self.contacts, name)()
        except (ApiError, RuntimeError) as exc:
            self._fail(exc)

    def action_transfer(self) -> None:
        """alt+t: transfer the call to another phone queue."""
        from csdesk.screens.transfer import TransferScreen

        contact = self.contacts.contact
        if contact is None:
            return

        def picked(queue: str | None) -> None:
            if queue:
                self._transfer(queue)

        self.app.push_screen(TransferScreen(self.contacts.queues, contact.queue), picked)

    @work(exclusive=True, group="live-call")
    async def _transfer(self, queue: str) -> None:
        from csdesk.api.errors import ApiError

        try:
            await self.contacts.transfer(queue)
        except (ApiError, RuntimeError) as exc:
            self._fail(exc)

    def action_note_mode(self) -> None:
        """alt+n: the composer writes private notes / messages to the customer."""
        from csdesk.widgets.live_contact import LiveContact

        live = getattr(self, "query_one")(LiveContact)
        live.set_note_mode(not live.note_mode)

    def on_composer_send(self, message: Any) -> None:
        from csdesk.widgets.live_contact import LiveContact

        message.stop()
        live = getattr(self, "query_one")(LiveContact)
        self._outgoing.append((message.text, "note" if live.note_mode else "message"))
        self._hold_composer()
        if len(self._outgoing) == 1:
            self._send_outgoing()

    def _hold_composer(self) -> None:
        """Enter stops sending while :data:`MAX_PENDING_SENDS` messages wait (an
        agent pressing Enter faster than the backend answers; a plain paste is
        taken as text by the composer and never sends)."""
        from csdesk.widgets.live_contact import LiveContact

        composer = getattr(self, "query_one")(LiveContact).composer
        composer.hold_sends = len(self._outgoing) >= MAX_PENDING_SENDS

    @work(group="live-send")
    async def _send_outgoing(self) -> None:
        """Send the queued messages one at a time, in the order typed."""
        from csdesk.api.errors import ApiError
        from csdesk.widgets.live_contact import LiveContact

        while self._outgoing:
            text, kind = self._outgoing[0]
            try:
                await self.contacts.send(text, kind)
            except (ApiError, RuntimeError, ValueError) as exc:
                self._fail(exc)
                # Give back what was not sent, in order, before anything typed since.
                composer = getattr(self, "query_one")(LiveContact).composer
                unsent = "\n".join(item[0] for item in self._outgoing)
                self._outgoing.clear()
                composer.set_text(unsent + ("\n" + composer.text if composer.text.strip() else ""))
            else:
                self._outgoing.popleft()
                self._update_checklist()
            self._hold_composer()

    def _open_wrap_up(self) -> None:
        from csdesk.domain.procedure import missed_steps
        from csdesk.screens.wrap_up import WrapUpScreen

        contact = self.contacts.contact
        if contact is None or contact.status is not ContactStatus.WRAP_UP:
            return
        if any(isinstance(screen, WrapUpScreen) for screen in self.app.screen_stack):
            return
        self._wrap_opened.add(contact.id)
        missed = missed_steps(self._checklist_result(contact, for_wrap_up=True))
        session = self.app.get_session()
        submitted: list[Any] = []

        async def submit(request: Any) -> Any:
            submitted.append(request)
            return await session.wrap_up(request)

        def done(result: object) -> None:
            if result is True:
                self.notify(t("live.wrap_up_queued"), severity="warning", markup=False)  # type: ignore[arg-type]
                self._log(t("live.wrap_up_queued"))
            elif result is not None:
                self.notify(t("live.wrapped_up"), markup=False)  # type: ignore[arg-type]
            self._apply_contact()
            if result is not None and submitted and submitted[-1].callback_needed:
                self._callback_order(contact, submitted[-1].notes)

        online = getattr(self, "_bar").online
        self.app.push_screen(
            WrapUpScreen(self.contacts, missed=missed, customer_left=contact.customer_left,
                         submit=submit, online=online),
            done,
        )

    def _callback_order(self, contact: ContactView, notes: str = "") -> None:
        """Issue #4/#6: the wrap-up said "callback needed": the callback work-order
        form opens prefilled from the contact (its draft is kept per contact),
        assigned to this agent (who promised the call) with the wrap-up notes."""
        from csdesk.screens.work_order_form import WorkOrderFormScreen
        from csdesk.services.work_orders import prefill_from_contact

        service = self.app.get_session().work_orders
        if service is None:
            return
        prefill = prefill_from_contact(contact, callback=True)
        prefill["title"] = t("live.callback_title")
        prefill["assignee_id"] = service.agent_id
        prefill["description"] = notes
        self.app.push_screen(WorkOrderFormScreen(service, prefill=prefill, draft_key=f"callback-{contact.id}"))

    # -- sign-out and palette ------------------------------------------------------------

    def sign_out_warning(self) -> str | None:
        """What to say before signing out with live work in hand (None: nothing)."""
        service = self.contacts
        if service.contact is not None:
            return t("live.sign_out_contact")
        if service.offer is not None:
            return t("live.sign_out_offer")
        return None

    def live_palette_commands(self) -> Iterable[SystemCommand]:
        """Palette entries for the live keys that apply now."""
        for action, label in (
            ("accept_offer", "cmd.accept_offer"), ("decline_offer", "cmd.decline_offer"),
            ("verify", "cmd.verify"), ("operations", "cmd.operations"), ("wrap_up", "cmd.wrap_up"),
            ("hold", "cmd.hold"), ("mute", "cmd.mute"), ("transfer", "cmd.transfer"),
            ("note_mode", "cmd.note_mode"), ("extend_acw", "cmd.extend_acw"),
        ):
            if self.check_action(action, ()):
                yield SystemCommand(
                    t(label), t("cmd.live.help", key=key_hint(self, f"desk.{action}")),
                    getattr(self, f"action_{action}"),
                )
        if self.contacts.contact is not None:
            from csdesk.widgets.desk_panels import PANELS, DeskPanels

            panels = getattr(self, "query_one")(DeskPanels)
            for name in PANELS:
                yield SystemCommand(
                    t(f"panels.{name}"), t("cmd.live.help", key=key_hint(panels, f"desk.panel_{name}")),
                    lambda name=name: panels.show_panel(name),
                )

    if TYPE_CHECKING:  # provided by Screen
        def notify(self, message: str, *, severity: str = ..., markup: bool = ...) -> None: ...
