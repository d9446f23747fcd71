"""Work orders on the desk: the local copy, offline-first changes through the
outbox, crash-safe form drafts and version conflicts (issue #6, guide §2.4, §3.2).

The orders the agent sees sync into the local store (collection
``work_orders``, :class:`~csdesk.domain.work_order_schemas.WorkOrderDoc`
documents), so the lists work offline. Every change goes through the
outbox with an ``Idempotency-Key``:

- a new order is kept in ``work_orders_local`` under its local id (the
  ``client_ref`` it is sent with) and shown at once, without a number, until
  the backend's order (same ``client_ref``) arrives by sync; the same create
  retried never makes two orders (the backend answers the first);
- an edit, move, assignment or extension carries the version it was made
  on; a stale one comes back as a 409, the outbox keeps it as *failed*, and
  :meth:`WorkOrderService.conflicts` pairs it with the stored order so the
  form can show theirs and ours field by field and re-apply
  (:meth:`WorkOrderService.reapply`): nothing is overwritten silently;
- a form's draft is written to ``work_order_drafts`` as it is typed, so it
  survives a crash of csdesk (:meth:`save_draft` / :meth:`draft`).

No Textual here; store calls block (fsync), so they run in the sync
service's thread (:meth:`SyncService.io`).
"""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from pydantic import ValidationError

from csdesk.domain import sla
from csdesk.domain import work_order_schemas as ws
from csdesk.domain.work_order_views import Filters, View, Viewer, calendar_from_doc, select_orders
from csdesk.domain.work_orders import (
    ASSIGN_KIND,
    COMMENT_KIND,
    CREATE_KIND,
    EDIT_KIND,
    EXTEND_KIND,
    MOVE_KIND,
    WORK_ORDER_KINDS,
)

if TYPE_CHECKING:
    from csdesk.domain.contact_schemas import ContactView
    from csdesk.services.sync import SyncService
    from csdesk.store.outbox import OutboxItem

#: Synced orders (the backend's), local orders not yet numbered, form drafts.
WORK_ORDERS: Final = "work_orders"
LOCAL_ORDERS: Final = "work_orders_local"
DRAFTS: Final = "work_order_drafts"
#: Where each change goes (``{id}``: the order's id).
_PATHS: Final = {
    EDIT_KIND: ("PATCH", "/work-orders/{id}"),
    MOVE_KIND: ("POST", "/work-orders/{id}/status"),
    ASSIGN_KIND: ("POST", "/work-orders/{id}/assign"),
    COMMENT_KIND: ("POST", "/work-orders/{id}/comments"),
    EXTEND_KIND: ("POST", "/work-orders/{id}/extend"),
}
#: The catalogue's document in the local ``catalogues`` collection.
CATALOGUE_NAME: Final = "work_orders"
#: Transcript lines a prefilled form takes from the contact (the agent trims them).
EXCERPT_LINES: Final = 20


def new_local_id() -> str:
    """A local id for an order made here: ``local-<32 hex>`` (its ``client_ref``)."""
    return f"local-{uuid.uuid4().hex}"


def prefill_from_contact(contact: ContactView, *, callback: bool = False) -> dict[str, Any]:
    """Form fields for an order raised from ``contact`` (issue #6 "from a live
    contact it is prefilled"): its customer (the masked reference), contact
    id, channel, the business types of its operations as the category, and
    the last :data:`EXCERPT_LINES` transcript lines (notes left out; cleaned;
    at most the description limit). ``callback``: a callback order (the
    wrap-up's "callback needed")."""
    from csdesk.domain.text import clean_text, one_line
    from csdesk.domain.work_orders import DESCRIPTION_MAX

    lines = [
        f"{line.at.astimezone():%H:%M} {line.speaker}: {one_line(line.text)}"
        for line in contact.transcript[-EXCERPT_LINES:]
        if line.kind != "note"
    ]
    excerpt = clean_text("\n".join(lines))[-DESCRIPTION_MAX:]
    category = contact.operations[0].code.split(".")[0] if contact.operations else ""
    return {
        "type": "callback" if callback else "follow_up",
        "priority": "P2" if callback else "P3",
        "customer_ref": contact.customer.customer_ref if contact.customer else "",
        "contact_id": contact.id,
        "channel": str(contact.channel.value if hasattr(contact.channel, "value") else contact.channel),
        "category": category,
        "excerpt": excerpt,
    }


def order_id_of(item: OutboxItem) -> str | None:
    """The order id a queued change is for (``None`` for a create)."""
    parts = item.path.split("/")
    return parts[2] if len(parts) > 2 and parts[1] == "work-orders" else None


@dataclass(frozen=True)
class Conflict:
    """A change refused as stale: the outbox ``item`` (ours: ``ours`` field →
    value) and the order as stored now (``theirs``), and the fields on which
    they differ (``fields``, in the order of ``ours``)."""

    item_key: str
    kind: str
    order_id: str
    ours: dict[str, Any]
    theirs: ws.WorkOrderDoc
    fields: tuple[str, ...]


@dataclass(frozen=True)
class QueuedChange:
    """A change of an order still in the outbox: its ``item_key``, ``kind``
    (:data:`WORK_ORDER_KINDS`), JSON ``body``, ``state`` (``pending``: waiting
    to be sent; ``failed``: refused by the backend), the refusal's text
    ``error`` (``"<status> <detail>"``, None while pending) and when it was
    made (``made_at``, aware UTC)."""

    item_key: str
    kind: str
    body: dict[str, Any]
    state: str
    error: str | None
    made_at: datetime


@dataclass(frozen=True)
class OrderChanges:
    """What the outbox holds for one order (:meth:`WorkOrderService.changes_of`):
    the ``order`` as stored now, its version ``conflicts``, the changes
    ``waiting`` to be sent and those ``refused`` for another reason, each in
    the order they were made."""

    order: ws.WorkOrderDoc
    conflicts: tuple[Conflict, ...]
    waiting: tuple[QueuedChange, ...]
    refused: tuple[QueuedChange, ...]


#: Parsing more documents than this at once pauses the garbage collector meanwhile.
PAUSE_GC_ABOVE: Final = 200


@contextmanager
def _collector_paused(pause: bool) -> Iterator[None]:
    """Pause Python's cyclic garbage collector while many documents are parsed:
    each parse allocates many small objects, and with a large heap (the
    knowledge base) the collector's repeated full passes cost twice the
    parsing itself. Restored on exit; nested use is safe."""
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _parse(doc: Any) -> ws.WorkOrderDoc | None:
    try:
        return ws.WorkOrderDoc.model_validate(doc)
    except (ValidationError, TypeError, ValueError):
        return None


class WorkOrderService:
    """The signed-in agent's work orders over the local store and the outbox.

    ``sync``: the session's :class:`~csdesk.services.sync.SyncService`;
    ``agent_id``/``team``: who is signed in; ``clock()``: epoch seconds.
    :attr:`orders` is the last snapshot read (:meth:`reload`): the synced
    orders and the local ones not yet numbered (``number`` empty);
    :attr:`refused_refs` the local ones the backend refused. Store
    errors (``StoreError`` after sign-out, ``OSError``) propagate.
    """

    def __init__(self, sync: SyncService, agent_id: str, team: str, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.sync = sync
        self.agent_id = agent_id
        self.team = team
        self.clock = clock
        self.orders: list[ws.WorkOrderDoc] = []
        self.catalogue: ws.WorkOrderCatalogue | None = None
        #: Local ids of the new orders the backend refused (their create is a failed outbox item).
        self.refused_refs: frozenset[str] = frozenset()
        #: Stored order id → ((version, updated_at), parsed order or None if invalid).
        self._parsed: dict[str, tuple[Any, ws.WorkOrderDoc | None]] = {}

    # -- reading --------------------------------------------------------------------------

    def _read(self) -> list[ws.WorkOrderDoc]:
        """Synced and local orders (blocking); a local one whose order arrived is dropped.

        Only documents changed since the last read (another ``version`` or
        ``updated_at``) are copied and parsed again; the others keep their
        parsed order. 5,000 orders parse in a few hundred milliseconds the
        first time (the collector paused meanwhile: ``benchmarks/work_orders.py``)
        and in milliseconds after a sync changed a few.
        """
        store = self.sync.store
        parsed: dict[str, tuple[Any, ws.WorkOrderDoc | None]] = {}
        pending: list[tuple[str, Any, Any]] = []
        for doc in store.collection(WORK_ORDERS):
            ident = str(doc.doc_id)
            stamp = (doc.get("version"), doc.get("updated_at"))
            kept = self._parsed.get(ident)
            if kept is not None and kept[0] == stamp:
                parsed[ident] = kept
            else:
                # Parsed straight from the store's cached document (a copy of every
                # document cost more than the parse): pydantic builds new models, and
                # the few untyped values it shares (HistoryEntry.changes) are never changed.
                pending.append((ident, stamp, doc))
        with _collector_paused(len(pending) > PAUSE_GC_ABOVE):
            for ident, stamp, raw in pending:
                parsed[ident] = (stamp, _parse(raw))
        self._parsed = parsed
        synced = [order for _stamp, order in parsed.values() if order is not None]
        arrived = {order.client_ref for order in synced if order.client_ref}
        local = []
        gone = []
        for ident, doc in store.all(LOCAL_ORDERS).items():
            order = _parse(doc)
            if order is None or ident in arrived:
                gone.append(ident)
            else:
                local.append(order)
        if gone:
            store.remove(LOCAL_ORDERS, gone)
        self.refused_refs = frozenset(
            str(item.body.get("client_ref")) for item in self.sync.outbox.items("failed")
            if item.kind == CREATE_KIND and item.body.get("client_ref"))
        return synced + local

    async def reload(self) -> list[ws.WorkOrderDoc]:
        """Read the orders from the local store again; returns (and keeps) them."""
        self.orders = await self.sync.io(self._read)
        return self.orders

    def get(self, order_id: str) -> ws.WorkOrderDoc | None:
        """The order ``order_id`` (or number) of the last snapshot, or None."""
        return next((o for o in self.orders if order_id in (o.id, o.number, o.client_ref)), None)

    async def load_catalogue(self) -> ws.WorkOrderCatalogue | None:
        """Queues, rules, calendar and agents: from the backend, kept in the store
        for offline use; the kept copy when the backend cannot answer (None: never loaded)."""
        from csdesk.api.errors import ApiError
        from csdesk.services.catalogues import StoreCatalogues

        kept = StoreCatalogues(self.sync)
        try:
            response = await self.sync.api.request("GET", "/work-orders/catalogue")
            catalogue = ws.WorkOrderCatalogue.model_validate(response.json())
            await kept.save(CATALOGUE_NAME, [catalogue.model_dump(mode="json")])
        except (ApiError, ValidationError, ValueError):
            items = await kept.load(CATALOGUE_NAME)
            catalogue = ws.WorkOrderCatalogue.model_validate(items[0]) if items else None
        self.catalogue = catalogue
        return catalogue

    def calendar(self) -> sla.BusinessCalendar:
        """The backend's business calendar (the default one before the catalogue is loaded)."""
        return calendar_from_doc(self.catalogue.calendar) if self.catalogue else sla.BusinessCalendar()

    def viewer(self, tz: Any = None) -> Viewer:
        """The signed-in agent as :func:`select_orders` needs them (``tz``: local zone)."""
        queues = frozenset(q.id for q in self.catalogue.queues if q.team == self.team) if self.catalogue else frozenset()
        return Viewer(self.agent_id, self.team, queues, tz or datetime.now().astimezone().tzinfo)

    def view(self, view: View, *, filters: Filters = Filters(), now: datetime | None = None,
             tz: Any = None) -> list[ws.WorkOrderDoc]:
        """The orders of ``view`` in the last snapshot (no I/O; see :func:`select_orders`)."""
        return select_orders(self.orders, view, self.viewer(tz), now=now or datetime.now(UTC),
                             calendar=self.calendar(), filters=filters)

    # -- changes --------------------------------------------------------------------------

    def _local_order(self, request: ws.WorkOrderCreate, local_id: str, now: datetime) -> ws.WorkOrderDoc:
        """How a new order looks here until the backend numbers it (its policy's clocks included)."""
        try:
            policy = sla.policy_for(request.type, request.priority, request.grade)
        except KeyError:
            policy = sla.SlaPolicy(86400.0, 5 * 86400.0, "calendar")
        resolution = sla.complaint_target_seconds() if request.type == "complaint" else policy.resolution_seconds
        queue = request.queue or ""
        if not queue and self.catalogue:
            for rule_type, rule_category, rule_queue in self.catalogue.rules:
                if rule_type in ("*", request.type) and rule_category in ("*", request.category):
                    queue = rule_queue
                    break
        due_at = request.due_at
        if due_at is None:
            # The deadline the backend will set, so the order sorts among the others meanwhile.
            try:
                due_at = sla.clock(basis=policy.basis, calendar=self.calendar(), started_at=now,
                                   target_seconds=resolution, now=now).due_at
            except ValueError:
                due_at = None
        return ws.WorkOrderDoc(
            id=local_id, number="", client_ref=local_id, type=request.type, title=request.title,
            description=request.description, category=request.category, tags=request.tags,
            customer_ref=request.customer_ref, contact_id=request.contact_id, channel=request.channel,
            excerpt=request.excerpt, priority=request.priority, grade=request.grade, status="new",
            queue=queue, assignee_id=request.assignee_id, created_by=self.agent_id,
            scheduled_at=request.scheduled_at, due_at=due_at,
            sla=ws.SlaFacts(basis=policy.basis, first_response_s=policy.first_response_seconds,
                            resolution_s=resolution, started_at=now),
            complaint=request.complaint, created_at=now, updated_at=now, version=1,
        )

    async def create(self, request: ws.WorkOrderCreate, *, replaces: str | None = None) -> ws.WorkOrderDoc:
        """Queue a new order (``POST /work-orders``) and show it at once without a
        number; its ``client_ref`` (set here when empty) finds it again when the
        backend's copy arrives. Returns the local order.

        ``replaces``: the outbox key of a create the backend refused (422), which
        this corrected one takes the place of, in the same write (keep its
        ``client_ref`` in ``request``: the refused one made no order)."""
        local_id = request.client_ref or new_local_id()
        request = request.model_copy(update={"client_ref": local_id})
        now = datetime.fromtimestamp(self.clock(), UTC)
        local = self._local_order(request, local_id, now)

        def apply() -> None:
            if replaces is not None:
                self.sync.outbox.mark_sent(replaces)
            self.sync.store.upsert(LOCAL_ORDERS, local_id, local.model_dump(mode="json"))
            self.sync.outbox.enqueue(CREATE_KIND, "POST", "/work-orders",
                                     request.model_dump(mode="json", exclude_none=True), now=self.clock())

        await self.sync.io(apply)
        await self._queued()
        return local

    async def change(self, kind: str, order_id: str, body: dict[str, Any]) -> None:
        """Queue a change of kind ``kind`` (:data:`WORK_ORDER_KINDS` but create)
        for order ``order_id`` with JSON ``body`` (with its ``base_version``,
        but for comments: the stored order's version, moved past this desk's
        own changes of the order still waiting in the outbox). Raises ``ValueError`` for a create, an unknown kind
        or an order not numbered yet (it must reach the backend first)."""
        if kind not in _PATHS:
            raise ValueError(f"not a change of an existing order: {kind!r}")
        if order_id.startswith("local-"):
            raise ValueError("this order has not reached the backend yet: change it once it has a number")
        method, path = _PATHS[kind]
        stored = self.get(order_id)

        def enqueue() -> None:
            nonlocal body
            if stored is not None and body.get("base_version") == stored.version:
                # Made on top of this desk's own changes still waiting to be sent
                # (a comment, then a move, offline): each one the backend accepts
                # makes the next version, so this one is based on the version they
                # will have made, not refused as stale because of them.
                ahead = sum(1 for item in self.sync.outbox.items("pending")
                            if item.kind in WORK_ORDER_KINDS and order_id_of(item) == order_id)
                body = {**body, "base_version": stored.version + ahead}
            self.sync.outbox.enqueue(kind, method, path.format(id=order_id), body, now=self.clock())

        await self.sync.io(enqueue)
        await self._queued()

    async def _queued(self) -> None:
        await self.reload()
        await self.sync.refresh_status()
        self.sync.wake()

    # -- drafts ---------------------------------------------------------------------------

    async def save_draft(self, key: str, fields: dict[str, Any]) -> None:
        """Keep the form ``key``'s fields (JSON-able) on disk now: a crash loses none of it."""
        stamp = self.clock()
        await self.sync.io(self.sync.store.upsert, DRAFTS, key, {"fields": fields, "saved_at": stamp})

    async def draft(self, key: str) -> dict[str, Any] | None:
        """The fields kept for form ``key``, or None."""
        doc = await self.sync.io(self.sync.store.get, DRAFTS, key)
        fields = doc.get("fields") if isinstance(doc, dict) else None
        return fields if isinstance(fields, dict) else None

    async def drop_draft(self, key: str) -> None:
        """Forget form ``key``'s draft (saved or abandoned on purpose)."""
        await self.sync.io(self.sync.store.remove, DRAFTS, [key])

    # -- conflicts ------------------------------------------------------------------------

    async def conflicts(self) -> list[Conflict]:
        """Changes the backend refused as stale, each with the order as stored now."""
        items = await self.sync.io(self.sync.outbox.items, "failed")
        await self.reload()
        return [c for item in items if (c := self._conflict(item)) is not None]

    def _conflict(self, item: OutboxItem) -> Conflict | None:
        """``item`` as a version conflict: a work-order change refused with a 409
        whose ``base_version`` is no longer the stored order's (another change
        came first). A 409 on the current version (an illegal status move) is
        a plain refusal, not a conflict."""
        order_id = order_id_of(item)
        if (item.status != "failed" or item.kind not in WORK_ORDER_KINDS or order_id is None
                or not (item.last_error or "").startswith("409")):
            return None
        theirs = self.get(order_id)
        if theirs is None or item.body.get("base_version") in (None, theirs.version):
            return None
        ours = {k: v for k, v in item.body.items() if k != "base_version"}
        current = theirs.model_dump(mode="json")
        fields = tuple(k for k, v in ours.items() if current.get(k) != v)
        return Conflict(item.key, item.kind, order_id, ours, theirs, fields)

    async def changes_of(self, order: ws.WorkOrderDoc) -> OrderChanges:
        """What the outbox holds for ``order`` (one read): its version conflicts,
        the changes still waiting to be sent and those the backend refused for
        another reason (a local order's refused create among them)."""
        items = await self.sync.io(self.sync.outbox.items)
        await self.reload()
        fresh = self.get(order.id) or (self.get(order.client_ref) if order.client_ref else None) or order
        conflicts: list[Conflict] = []
        waiting: list[QueuedChange] = []
        refused: list[QueuedChange] = []
        for item in items:
            if item.kind not in WORK_ORDER_KINDS:
                continue
            if item.kind == CREATE_KIND:
                mine = bool(fresh.client_ref) and item.body.get("client_ref") == fresh.client_ref and not fresh.number
            else:
                mine = order_id_of(item) == fresh.id
            if not mine:
                continue
            conflict = self._conflict(item)
            if conflict is not None:
                conflicts.append(conflict)
                continue
            change = QueuedChange(item.key, item.kind, dict(item.body), item.status, item.last_error,
                                  datetime.fromtimestamp(item.created_at, UTC))
            (refused if item.status == "failed" else waiting).append(change)
        return OrderChanges(fresh, tuple(conflicts), tuple(waiting), tuple(refused))

    async def reapply(self, conflict: Conflict, ours: dict[str, Any] | None = None) -> None:
        """Send ``ours`` (default: the refused change as it was) again, based on the
        stored version; the refused item leaves the outbox."""
        body = {**(conflict.ours if ours is None else ours), "base_version": conflict.theirs.version}

        def swap() -> None:
            method, path = _PATHS[conflict.kind]
            self.sync.outbox.enqueue(conflict.kind, method, path.format(id=conflict.order_id), body,
                                     now=self.clock())
            self.sync.outbox.mark_sent(conflict.item_key)

        await self.sync.io(swap)
        await self._queued()

    async def drop(self, conflict: Conflict | QueuedChange) -> None:
        """Keep theirs (a conflict) or discard a refused change: it leaves the
        outbox. A refused create takes its local order with it."""

        def discard() -> None:
            self.sync.outbox.mark_sent(conflict.item_key)
            if isinstance(conflict, QueuedChange) and conflict.kind == CREATE_KIND:
                local_id = str(conflict.body.get("client_ref") or "")
                if local_id:
                    self.sync.store.remove(LOCAL_ORDERS, [local_id])

        await self.sync.io(discard)
        await self.reload()
        await self.sync.refresh_status()
