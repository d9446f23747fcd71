"""The desk's live session without widgets: offer, contact, transcript, queues (issue #4).

:class:`ContactService` keeps what the desk shows about the agent's live
work and wraps the backend calls that change it (docs/protocol.md, "Live
session"). It is fed by the event stream through :meth:`ContactService.handle_event`
(``offer``, ``contact``, ``transcript``, ``acw_overdue``, ``disclosure``,
``state``; :class:`csdesk.services.session.DeskSession` forwards them) and
catches up after a reconnect with :meth:`ContactService.resync`. Listeners
(plain callables, run in the event loop) hear a :class:`ContactChange` after
every change.

Idempotency: each mutation of one *logical action* (accept this offer, send
this text, run this operation with these fields …) keeps its
``Idempotency-Key`` until the backend answered it, so a retry after a lost
answer (``OfflineError``, a 5xx) reuses the key and the backend never applies
it twice; after an answer (success or a 4xx refusal) the next identical
action is a new one with a new key.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from csdesk.api.client import ApiClient, new_idempotency_key
from csdesk.api.errors import ApiError, BadResponseError, OfflineError, ProblemError
from csdesk.domain import contact_schemas as cs
from csdesk.domain import schemas
from csdesk.domain.agent_state import AgentState
from csdesk.domain.contacts import ContactStatus, VerificationMethod
from csdesk.services.listeners import tell

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

#: Seconds between ``GET /queues`` polls while signed in (there is no queue event).
QUEUE_POLL_SECONDS = 3.0

#: Change kinds given to listeners (:attr:`ContactChange.kind`).
#: ``delivered``: a wrap-up queued in the outbox reached the backend
#: (:attr:`ContactService.delivered_record`).
CHANGE_KINDS = frozenset(
    {"offer", "contact", "transcript", "queues", "acw_overdue", "verification", "disclosure", "record",
     "delivered"}
)

#: Statuses in which a contact is still the agent's live work.
_LIVE = frozenset({ContactStatus.OFFERED, ContactStatus.ACTIVE, ContactStatus.WRAP_UP})


#: Catalogue names in :class:`CatalogueCache`.
DISPOSITIONS = "dispositions"
OPERATIONS = "operations"


class CatalogueCache:
    """The catalogues of the last successful load (``dispositions``: the
    wrap-up list, categories → codes with their labels in both languages;
    ``operations``: the business-operation catalogue, the business types'
    names), as JSON-able lists, for use while the backend is unreachable.

    This base keeps them in memory for the process; a subclass may also keep
    them on disk (``csdesk.services.catalogues.StoreCatalogues``: the local
    store, so they survive a restart). Neither method raises.
    """

    def __init__(self) -> None:
        self._kept: dict[str, list[Any]] = {}

    async def load(self, name: str) -> list[Any] | None:
        """Catalogue ``name`` as last saved, or None when none was."""
        return self._kept.get(name)

    async def save(self, name: str, items: list[Any]) -> None:
        """Keep ``items`` as catalogue ``name``."""
        self._kept[name] = items

    def peek(self, name: str) -> list[Any] | None:
        """Catalogue ``name`` as kept in memory now (no disk read), or None."""
        return self._kept.get(name)

    def forget(self, name: str) -> None:
        """Drop what is kept in memory of catalogue ``name``."""
        self._kept.pop(name, None)


def _parse_list(items: list[Any] | None, model: type[M]) -> list[M] | None:
    """``items`` read as ``model`` instances; None when absent or unreadable."""
    if not isinstance(items, list):
        return None
    try:
        return [model.model_validate(item) for item in items]
    except ValidationError:
        return None


@dataclass(frozen=True)
class ContactChange:
    """What changed: ``kind`` one of :data:`CHANGE_KINDS`; ``contact_id`` the contact
    concerned (None for ``queues``); ``line`` the new line for ``transcript``."""

    kind: str
    contact_id: str | None = None
    line: cs.TranscriptLine | None = None


Listener = Callable[[ContactChange], None]


@dataclass(frozen=True)
class QueuedWrapUp:
    """A wrap-up the agent submitted while the backend was unreachable, waiting
    in the outbox (:meth:`ContactService.wrap_up_queued`).

    ``contact_id`` the contact; ``acw_seconds`` the after-contact time used up
    to the submit (seconds by the server's clock, ≥ 0; None when the contact
    carried no end time); ``after`` the state asked for after it: ``"ready"``
    or a Not Ready reason code. The backend still holds the agent in ACW
    until the item reaches it; then it closes the contact and moves the agent.
    """

    contact_id: str
    acw_seconds: float | None
    after: str


class ContactService:
    """Live-session state of one signed-in agent and the calls that change it.

    Attributes (read them; change them only through the methods):
    ``offer`` the ringing :class:`OfferView` or None; ``contact`` the
    agent's active / wrap-up :class:`ContactView` (``transcript`` in ``seq``
    order, one line per ``seq``) or None; ``queues`` the last
    ``GET /queues`` answer; ``acw_overdue`` True once the ACW timer of
    the current contact ran out (until an extension or the wrap-up);
    ``verification`` the last :class:`VerifyResult` of this contact;
    ``disclosures`` disclosure id → :class:`DisclosureResult` of this
    contact (``consent`` None while awaited); ``last_record`` the
    :class:`SessionRecordView` of the last wrap-up; ``queued_wrap_up`` the
    :class:`QueuedWrapUp` waiting in the outbox (None once the backend
    applied it: the contact closed, or the agent left ACW).
    """

    def __init__(self, api: ApiClient, *, language: str | None = None) -> None:
        self.api = api
        #: Greeting language asked of the backend (``zh-CN``/``en``; None: its default).
        self.language = language
        self.offer: cs.OfferView | None = None
        self.contact: cs.ContactView | None = None
        self.queues: list[cs.QueueStats] = []
        self.acw_overdue = False
        self.verification: cs.VerifyResult | None = None
        self.disclosures: dict[str, cs.DisclosureResult] = {}
        self.last_record: cs.SessionRecordView | None = None
        self.queued_wrap_up: QueuedWrapUp | None = None
        #: The record of the last wrap-up delivered from the outbox (:meth:`wrap_up_delivered`).
        self.delivered_record: cs.SessionRecordView | None = None
        #: Where the catalogues (dispositions, operations) of the last
        #: successful load are kept for use while the backend is unreachable
        #: (in memory by default; the session gives one on the local store).
        self.catalogues: CatalogueCache = CatalogueCache()
        self._lines: dict[str, dict[int, cs.TranscriptLine]] = {}
        self._listeners: list[Listener] = []
        #: Logical action → (contact id, idempotency key) while its outcome is unknown.
        self._keys: dict[str, tuple[str, str]] = {}
        self._used_disclosures: set[str] = set()
        #: Contacts whose wrap-up waits in the outbox (the backend still shows them in wrap-up).
        self._queued_wrap_ups: set[str] = set()
        self._stop = asyncio.Event()

    # -- listeners -----------------------------------------------------------

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(ContactChange)`` (in the event loop) after every change.

        Returns a function that removes it. A listener's exception is
        logged and does not stop the others (:func:`csdesk.services.listeners.tell`).
        """
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def _notify(self, kind: str, contact_id: str | None = None, line: cs.TranscriptLine | None = None) -> None:
        change = ContactChange(kind, contact_id, line)
        for listener in list(self._listeners):
            tell(listener, change)

    # -- derived views ---------------------------------------------------------

    @property
    def contact_id(self) -> str | None:
        """Id of the current contact (active or wrap-up), else None."""
        return self.contact.id if self.contact else None

    @property
    def verification_level(self) -> int:
        """The current contact's verification level 0–3 (0 without a contact)."""
        return self.contact.verification_level if self.contact else 0

    def consent(self, disclosure_id: str) -> bool | None:
        """The customer's answer to a disclosure of this contact (None: awaited/unknown)."""
        found = self.disclosures.get(disclosure_id)
        return found.consent if found else None

    def consented_disclosure(self, operation: str) -> str | None:
        """Id of a disclosure for ``operation`` the customer consented to that no
        operation used yet (one consent covers one execution), else None."""
        for did, result in reversed(self.disclosures.items()):
            if result.operation == operation and result.consent is True and did not in self._used_disclosures:
                return did
        return None

    # -- applying server state -------------------------------------------------

    def _set_contact(self, view: cs.ContactView) -> None:
        """Adopt ``view``; lines already known (events) are merged by ``seq``."""
        if self.contact is not None and self.contact.id != view.id:
            self._forget(self.contact.id)
        lines = self._lines.setdefault(view.id, {})
        for line in view.transcript:
            lines[line.seq] = line
        deadline_moved = (
            self.contact is not None and self.contact.id == view.id
            and view.acw_deadline != self.contact.acw_deadline
        )
        if deadline_moved or view.status is not ContactStatus.WRAP_UP:
            self.acw_overdue = False
        self.contact = view.model_copy(update={"transcript": [lines[s] for s in sorted(lines)]})
        if self.offer is not None and self.offer.contact_id == view.id:
            self.offer = None

    def _forget(self, contact_id: str) -> None:
        self._lines.pop(contact_id, None)
        for name in [n for n, (cid, _key) in self._keys.items() if cid == contact_id]:
            del self._keys[name]
        if self.contact is not None and self.contact.id == contact_id:
            self.contact = None
            self.acw_overdue = False
            self.verification = None
            self.disclosures.clear()
            self._used_disclosures.clear()

    def _add_line(self, contact_id: str, line: cs.TranscriptLine) -> bool:
        """Keep ``line``; False when its ``seq`` was already there (duplicate) or the
        contact is neither the current one nor the ringing offer's."""
        if contact_id != self.contact_id and (self.offer is None or self.offer.contact_id != contact_id):
            return False
        lines = self._lines.setdefault(contact_id, {})
        if line.seq in lines:
            return False
        lines[line.seq] = line
        if self.contact is not None and self.contact.id == contact_id:
            self.contact = self.contact.model_copy(update={"transcript": [lines[s] for s in sorted(lines)]})
        return True

    def _contact_changed(self, view: cs.ContactView) -> None:
        """A ``contact`` event or answer without transcript: merge into what is known."""
        if view.status in (ContactStatus.QUEUED, ContactStatus.ABANDONED):
            # Declined, missed, or the customer left before it was taken.
            changed = False
            if self.offer is not None and self.offer.contact_id == view.id:
                self.offer = None
                changed = True
            if self.contact is not None and self.contact.id == view.id:
                self._forget(view.id)
                changed = True
            self._lines.pop(view.id, None)
            if changed:
                self._notify("contact", view.id)
            return
        if view.status is ContactStatus.CLOSED:
            self._wrap_up_settled(view.id)
            if self.contact is not None and self.contact.id == view.id:
                self._forget(view.id)
                self._notify("contact", view.id)
            return
        if view.status is ContactStatus.OFFERED or self._wrap_up_pending(view):
            return  # the ``offer`` event carries what the desk shows
        keep_customer = self.contact.customer if self.contact and self.contact.id == view.id else None
        update: dict[str, Any] = {}
        if view.customer is None and keep_customer is not None:
            update["customer"] = keep_customer
        if not view.greeting and self.contact is not None and self.contact.id == view.id:
            update["greeting"] = self.contact.greeting
        self._set_contact(view.model_copy(update=update) if update else view)
        self._notify("contact", view.id)

    # -- events ----------------------------------------------------------------

    async def handle_event(self, event: schemas.Event) -> bool:
        """Apply one event of the stream; True when it was a live-session event.

        Types: ``offer`` (:class:`OfferView`), ``contact`` (:class:`ContactView`
        without transcript), ``transcript`` (:class:`TranscriptEvent`),
        ``acw_overdue``, ``disclosure``; ``state`` is only observed (an
        agent back in Ready/Not Ready/Offline has no offer ringing; an
        agent On Contact/ACW whose contact is unknown here refetches it).
        Malformed data is ignored. Never raises for backend faults.
        """
        try:
            if event.type == "offer":
                offer = cs.OfferView.model_validate(event.data)
                self.offer = offer
                self._notify("offer", offer.contact_id)
            elif event.type == "contact":
                self._contact_changed(cs.ContactView.model_validate(event.data))
            elif event.type == "transcript":
                data = cs.TranscriptEvent.model_validate(event.data)
                if self._add_line(data.contact_id, data.line):
                    self._notify("transcript", data.contact_id, data.line)
            elif event.type == "acw_overdue":
                overdue = cs.AcwOverdueEvent.model_validate(event.data)
                if self.contact is not None and self.contact.id == overdue.contact_id:
                    self.acw_overdue = True
                    self._notify("acw_overdue", overdue.contact_id)
            elif event.type == "disclosure":
                contact_id = str(event.data.get("contact_id", ""))
                result = cs.DisclosureResult.model_validate(event.data)
                if self.contact is not None and self.contact.id == contact_id:
                    self.disclosures[result.id] = result
                    self._notify("disclosure", contact_id)
            elif event.type == "state":
                await self._observe_state(schemas.AgentStateView.model_validate(event.data))
                return False
            else:
                return False
        except ValidationError:
            return event.type != "state"
        return True

    async def _observe_state(self, view: schemas.AgentStateView) -> None:
        if view.state in (AgentState.READY, AgentState.NOT_READY) and self.queued_wrap_up is not None:
            # Only a wrap-up takes an agent out of ACW: the queued one arrived.
            self._wrap_up_settled(self.queued_wrap_up.contact_id)
        if view.state in (AgentState.READY, AgentState.NOT_READY, AgentState.OFFLINE):
            if self.offer is not None:
                self.offer = None
                self._notify("offer", None)
            if view.state is AgentState.OFFLINE and self.contact is not None:
                contact_id = self.contact.id
                self._forget(contact_id)
                self._notify("contact", contact_id)
        elif view.state in (AgentState.ON_CONTACT, AgentState.ACW) and self.contact is None:
            try:
                await self.resync()
            except ApiError:
                pass

    async def resync(self) -> cs.ContactView | None:
        """Refetch the agent's contact (``GET /me/contact``) after a reconnect or a
        restart, so lines and changes missed meanwhile are not lost.

        Returns the contact now known (None when there is none, or only an
        offer). Raises ``OfflineError``/``ProblemError``/``BadResponseError``.
        """
        view = await self.api.current_contact(self.language)
        if view is None:
            if self.queued_wrap_up is not None:
                self._wrap_up_settled(self.queued_wrap_up.contact_id)  # no contact left to wrap up
            had = self.contact.id if self.contact else None
            if had is not None:
                self._forget(had)
                self._notify("contact", had)
            if self.offer is not None:
                self.offer = None
                self._notify("offer", None)
            return None
        if view.status is ContactStatus.OFFERED:
            return None  # the replayed ``offer`` event brings the offer itself
        if self._wrap_up_pending(view):
            return None  # our wrap-up is in the outbox
        self._set_contact(view)
        self._notify("contact", view.id)
        return self.contact

    # -- queues ----------------------------------------------------------------

    async def refresh_queues(self) -> list[cs.QueueStats]:
        """``GET /queues`` once into :attr:`queues` (listeners hear ``queues``).
        Raises ``ApiError``."""
        self.queues = await self.api.queues()
        self._notify("queues")
        return self.queues

    @property
    def queue_depth(self) -> int:
        """Contacts waiting over all queues (from the last poll)."""
        return sum(q.waiting for q in self.queues)

    async def poll_queues(self, interval: float = QUEUE_POLL_SECONDS) -> None:
        """Refresh :attr:`queues` every ``interval`` seconds until :meth:`stop`
        (or cancellation). The desk runs it as a worker while signed in;
        backend faults are skipped (the next poll tries again)."""
        self._stop.clear()
        while not self._stop.is_set():
            try:
                await self.refresh_queues()
            except ApiError:
                pass
            try:
                await asyncio.wait_for(self._stop.wait(), interval)
            except asyncio.TimeoutError:
                pass

    def stop(self) -> None:
        """End :meth:`poll_queues` at its next wait."""
        self._stop.set()

    # -- actions ---------------------------------------------------------------

    @staticmethod
    def _action_name(action: tuple[Any, ...]) -> str:
        return json.dumps(action, sort_keys=True, default=str)

    async def _keyed(self, action: tuple[Any, ...], call: Callable[[str], Awaitable[T]]) -> T:
        """Run ``call(key)`` with the idempotency key of the logical ``action``.

        The key is kept while the outcome is unknown (``OfflineError``,
        ``BadResponseError``, a 5xx), so retrying the same action reuses it.
        """
        name = self._action_name(action)
        key = self._keys.setdefault(name, (str(action[1]), new_idempotency_key()))[1]
        try:
            result = await call(key)
        except ProblemError as exc:
            if exc.status < 500:
                self._keys.pop(name, None)
            raise
        except (OfflineError, BadResponseError):
            raise  # outcome unknown: a retry must reuse the key
        except BaseException:
            self._keys.pop(name, None)
            raise
        self._keys.pop(name, None)
        return result

    def _require_contact(self) -> cs.ContactView:
        if self.contact is None:
            raise RuntimeError("no current contact")
        return self.contact

    async def accept(self) -> cs.ContactView:
        """Accept the ringing offer: the contact, ``active``, with transcript and greeting.

        Raises ``RuntimeError`` without an offer, ``ProblemError``
        ``illegal-transition`` (the offer timed out or went elsewhere; the
        offer is then dropped), ``OfflineError``, ``BadResponseError``.
        """
        if self.offer is None:
            raise RuntimeError("no offer to accept")
        contact_id = self.offer.contact_id
        try:
            view = await self._keyed(
                ("accept", contact_id),
                lambda key: self.api.accept_contact(contact_id, lang=self.language, idempotency_key=key),
            )
        except ProblemError as exc:
            if exc.code in ("illegal-transition", "not-found") and self.offer and self.offer.contact_id == contact_id:
                self.offer = None
                self._notify("offer", None)
            raise
        self._set_contact(view)
        self._notify("contact", view.id)
        return self.contact  # type: ignore[return-value]

    async def decline(self, reason: str) -> None:
        """Decline the ringing offer with ``reason`` (an agent reason code or free
        text, 1–64 characters). Raises ``RuntimeError`` without an offer, ``ApiError``."""
        if self.offer is None:
            raise RuntimeError("no offer to decline")
        contact_id = self.offer.contact_id
        await self._keyed(
            ("decline", contact_id, reason),
            lambda key: self.api.decline_contact(contact_id, reason, idempotency_key=key),
        )
        if self.offer is not None and self.offer.contact_id == contact_id:
            self.offer = None
            self._notify("offer", contact_id)

    async def send(self, text: str, kind: str = "message") -> cs.TranscriptLine:
        """Send a chat message (``kind='message'``) or a private note (``'note'``) in
        the current contact; the new line, already in the transcript.

        Raises ``RuntimeError`` without a contact, ``ValueError`` for empty or
        over-long text, ``ApiError`` (``contact-not-active`` …).
        """
        contact_id = self._require_contact().id
        line = await self._keyed(
            ("send", contact_id, kind, text),
            lambda key: self.api.send_message(contact_id, text, kind, idempotency_key=key),
        )
        if self._add_line(contact_id, line):
            self._notify("transcript", contact_id, line)
        return line

    async def _action(self, action: str) -> cs.ContactView:
        contact_id = self._require_contact().id
        view = await self._keyed(
            (action, contact_id),
            lambda key: self.api.contact_action(contact_id, action, idempotency_key=key),
        )
        self._contact_changed(view)
        return self.contact or view

    async def hold(self) -> cs.ContactView:
        """Put the phone contact on hold. Raises ``ProblemError`` ``illegal-transition``
        (chat, or already held), ``RuntimeError`` without a contact."""
        return await self._action("hold")

    async def resume(self) -> cs.ContactView:
        """Take the phone contact off hold (``hold_seconds`` grows by the held time)."""
        return await self._action("resume")

    async def mute(self) -> cs.ContactView:
        """Mute the agent on the phone contact."""
        return await self._action("mute")

    async def unmute(self) -> cs.ContactView:
        """Unmute the agent on the phone contact."""
        return await self._action("unmute")

    async def end(self) -> cs.ContactView:
        """End the contact: ``wrap_up``, the agent in ACW with ``acw_deadline`` set."""
        return await self._action("end")

    async def extend_acw(self) -> cs.ContactView:
        """Extend the ACW timer once (a second time: ``ProblemError`` ``illegal-transition``)."""
        return await self._action("acw/extend")

    async def transfer(self, queue: str) -> cs.ContactView:
        """Transfer the phone contact to phone ``queue``; this contact goes to wrap-up.
        Raises ``ProblemError`` ``validation-error`` (unknown, non-phone, same queue)."""
        contact_id = self._require_contact().id
        view = await self._keyed(
            ("transfer", contact_id, queue),
            lambda key: self.api.transfer_contact(contact_id, queue, idempotency_key=key),
        )
        self._contact_changed(view)
        return self.contact or view

    async def wrap_up(self, request: cs.WrapUpRequest) -> cs.SessionRecordView:
        """Leave ACW with a disposition: the session record (also :attr:`last_record`);
        the contact is closed and forgotten here. Raises ``ProblemError``
        ``validation-error`` (unknown disposition), ``contact-not-active``."""
        contact_id = self._require_contact().id
        record = await self._keyed(
            ("wrap-up", contact_id, request.model_dump(mode="json")),
            lambda key: self.api.wrap_up(contact_id, request, idempotency_key=key),
        )
        self.last_record = record
        self._forget(contact_id)
        self._notify("record", contact_id)
        self._notify("contact", contact_id)
        return record

    def wrap_up_queued(
        self, request: cs.WrapUpRequest, *, server_now: datetime | None = None
    ) -> tuple[str, str, dict[str, Any]]:
        """The wrap-up of the current contact could not reach the backend and is
        being queued in the outbox: return ``(contact_id, idempotency key,
        body)`` for the outbox item (the key the failed call used, so the
        backend applies it once whichever copy arrives) and forget the contact
        here. Until the backend closes it, events and resyncs that still show
        it in wrap-up are ignored; :attr:`queued_wrap_up` says what waits (the
        ACW time used up to ``server_now``, the server's time of the submit;
        default: the local clock). The body carries ``submitted_at`` =
        ``server_now`` (unless the request has one), so the backend counts the
        ACW time up to the submit, not up to the item's late arrival.
        Raises ``RuntimeError`` without a contact.
        """
        contact = self._require_contact()
        contact_id = contact.id
        body = request.model_dump(mode="json")
        name = self._action_name(("wrap-up", contact_id, body))
        key = self._keys.get(name, (contact_id, new_idempotency_key()))[1]
        now = server_now or datetime.now(timezone.utc)
        if request.submitted_at is None:
            # Not part of the key's request (the backend leaves it out of the fingerprint).
            body["submitted_at"] = now.astimezone(timezone.utc).isoformat()
        used = max(0.0, (now - contact.ended_at).total_seconds()) if contact.ended_at is not None else None
        self.queued_wrap_up = QueuedWrapUp(contact_id, used, request.not_ready_reason or "ready")
        self._queued_wrap_ups.add(contact_id)
        self._forget(contact_id)
        self._notify("record", contact_id)
        self._notify("contact", contact_id)
        return contact_id, key, body

    def _wrap_up_pending(self, view: cs.ContactView) -> bool:
        """True for a contact whose queued wrap-up the backend has not applied yet."""
        if view.id not in self._queued_wrap_ups:
            return False
        if view.status is ContactStatus.WRAP_UP:
            return True
        self._wrap_up_settled(view.id)
        return False

    def wrap_up_delivered(self, contact_id: str, answer: Any) -> cs.SessionRecordView | None:
        """The wrap-up of ``contact_id`` queued in the outbox reached the backend
        (``answer``: its JSON answer, a session record): keep the record in
        :attr:`delivered_record` (None when the answer is not one), stop
        waiting for it (as :meth:`_wrap_up_settled`), and tell listeners
        ``delivered``. Works for an item queued before a restart too."""
        try:
            record: cs.SessionRecordView | None = cs.SessionRecordView.model_validate(answer)
        except ValidationError:
            record = None
        self.delivered_record = record
        self._wrap_up_settled(contact_id)
        self._notify("delivered", contact_id)
        return record

    def wrap_up_refused(self, contact_id: str) -> None:
        """The backend refused the queued wrap-up of ``contact_id`` (its outbox item
        failed for good): stop ignoring the contact, so the next :meth:`resync`
        brings it back in wrap-up for the agent to wrap up again."""
        self._wrap_up_settled(contact_id)

    def _wrap_up_settled(self, contact_id: str) -> None:
        """The backend no longer holds ``contact_id`` in wrap-up (its queued
        wrap-up arrived): stop ignoring it, and clear :attr:`queued_wrap_up`
        (listeners hear ``contact``)."""
        self._queued_wrap_ups.discard(contact_id)
        if self.queued_wrap_up is not None and self.queued_wrap_up.contact_id == contact_id:
            self.queued_wrap_up = None
            self._notify("contact", contact_id)

    async def dispositions(self) -> list[cs.DispositionCategory]:
        """The two-level wrap-up list (``GET /dispositions``), kept in
        :attr:`catalogues`; while the backend cannot answer, the list of the
        last successful load. Raises ``ApiError`` when there is none."""
        return await self._catalogue(DISPOSITIONS, self.api.dispositions, cs.DispositionCategory)

    def disposition_labels(self, code: str, language: str) -> tuple[str, str] | None:
        """(category label, code label) of disposition ``code`` in ``language``
        (``zh-CN``/``en``) from the list kept in memory (as sent: clean them
        before display); None when the list is not loaded or lacks the code."""
        for category in _parse_list(self.catalogues.peek(DISPOSITIONS), cs.DispositionCategory) or []:
            for entry in category.codes:
                if entry.get("code") == code:
                    head = category.label.get(language) or category.label.get("en") or category.code
                    return head, entry.get(language) or entry.get("en") or code
        return None

    async def _catalogue(
        self, name: str, fetch: Callable[[], Awaitable[list[M]]], model: type[M]
    ) -> list[M]:
        """``fetch()`` and keep the answer as catalogue ``name``; on an
        ``ApiError`` the kept copy (its error raised when there is none, or
        the copy no longer reads as ``model``)."""
        try:
            items = await fetch()
        except ApiError:
            kept = _parse_list(await self.catalogues.load(name), model)
            if kept is None:
                raise
            return kept
        await self.catalogues.save(name, [item.model_dump(mode="json") for item in items])
        return items

    # -- verification and operations --------------------------------------------

    async def verification_info(self) -> cs.VerificationInfo:
        """What the verification modal needs for the current contact. Raises ``ApiError``."""
        return await self.api.verification_info(self._require_contact().id)

    async def verify(self, method: VerificationMethod | str, answer: str = "") -> cs.VerifyResult:
        """Check what the customer said for ``method`` (``answer`` empty for the
        transaction password): pass/fail and the level, also applied to
        :attr:`contact`. Raises ``ProblemError`` ``validation-error`` (not
        counted), ``verification-locked``, ``keypad-unavailable``; ``OfflineError``."""
        contact = self._require_contact()
        result = await self.api.verify(contact.id, str(method), answer)
        self.verification = result
        if self.contact is not None and self.contact.id == contact.id:
            methods = list(self.contact.verified_methods)
            if result.passed and VerificationMethod(str(method)) not in methods:
                methods.append(VerificationMethod(str(method)))
            self.contact = self.contact.model_copy(update={
                "verification_level": result.level,
                "verified_methods": methods,
                "failed_verifications": result.failed_attempts,
                "verification_locked": result.locked,
            })
        self._notify("verification", contact.id)
        return result

    async def operations(self) -> list[cs.OperationSpec]:
        """The business-operation catalogue (``GET /operations``), kept in
        :attr:`catalogues` like :meth:`dispositions`; while the backend cannot
        answer, the last one loaded. Raises ``ApiError`` when there is none."""
        return await self._catalogue(OPERATIONS, self.api.operations, cs.OperationSpec)

    async def products(self) -> list[cs.WealthProduct]:
        """Wealth products on sale. Raises ``ApiError``."""
        return await self.api.products()

    async def send_disclosure(self, operation: str, language: str = "zh-CN") -> cs.DisclosureResult:
        """Send ``operation``'s risk disclosure to the customer; kept in
        :attr:`disclosures` until the ``disclosure`` event brings the consent.
        Raises ``ApiError``."""
        contact_id = self._require_contact().id
        result = await self.api.send_disclosure(contact_id, operation, language)
        if self.contact is not None and self.contact.id == contact_id:
            known = self.disclosures.get(result.id)
            if known is None or known.consent is None:
                self.disclosures[result.id] = result
            self._notify("disclosure", contact_id)
        return result

    async def refresh_disclosure(self, disclosure_id: str) -> cs.DisclosureResult:
        """Poll one disclosure's consent (when the event may have been missed)."""
        contact_id = self._require_contact().id
        result = await self.api.get_disclosure(contact_id, disclosure_id)
        if self.contact is not None and self.contact.id == contact_id:
            self.disclosures[result.id] = result
            self._notify("disclosure", contact_id)
        return result

    async def execute(
        self, code: str, fields: dict[str, str | float | bool], disclosure_id: str | None = None
    ) -> cs.OperationDone:
        """Run operation ``code`` with ``fields`` (and the consented disclosure when it
        needs one); the result is added to :attr:`contact` ``operations``, and
        the masked customer card is read again (:meth:`refresh_customer`:
        a freeze, a new phone … show at once; a failed read is skipped).

        A retry of the same call after a lost answer reuses the idempotency
        key: the backend executes once. Raises ``ProblemError``
        ``verification-required``, ``disclosure-required``, ``validation-error``,
        ``risk-rating-exceeded``, ``verification-locked``; ``OfflineError``.
        """
        contact_id = self._require_contact().id
        request = cs.OperationRequest(fields=fields, disclosure_id=disclosure_id)
        done = await self._keyed(
            ("operation", contact_id, code, request.model_dump(mode="json")),
            lambda key: self.api.execute_operation(
                contact_id, code, request, idempotency_key=key, lang=self.language
            ),
        )
        if disclosure_id:
            self._used_disclosures.add(disclosure_id)
        if self.contact is not None and self.contact.id == contact_id:
            if all(op.reference != done.reference for op in self.contact.operations):
                self.contact = self.contact.model_copy(
                    update={"operations": [*self.contact.operations, done]}
                )
            self._notify("contact", contact_id)
        try:
            # The operation may have changed the customer's data (a card frozen,
            # a new reserved phone …): read the masked card again rather than
            # wait for a ``contact`` event that may be missed.
            await self.refresh_customer()
        except (ApiError, RuntimeError):
            pass  # done all the same; the next event or resync brings the card
        return done

    async def refresh_customer(self) -> cs.CustomerCard | None:
        """Read the current contact's masked customer card from the backend
        again (``GET /contacts/{id}``) and keep it in :attr:`contact`;
        listeners hear ``contact`` when it changed. Returns the card (None:
        the contact has no customer). Only the card is taken from the answer.

        Raises ``RuntimeError`` without a contact, ``OfflineError``,
        ``ProblemError``, ``BadResponseError``.
        """
        contact_id = self._require_contact().id
        view = await self.api.get_contact(contact_id, self.language)
        if self.contact is None or self.contact.id != contact_id:
            return view.customer  # the contact went meanwhile
        if view.customer is not None and view.customer != self.contact.customer:
            self.contact = self.contact.model_copy(update={"customer": view.customer})
            self._notify("contact", contact_id)
        return self.contact.customer
