"""Sync between the local store and the backend: outbox push and cursor pull.

Design §4–5. Mutations the agent makes offline-first (announcement
acknowledgements, settings, and later collections) are written to the local
store and queued in the outbox with an idempotency key; :meth:`SyncService.run_push`
sends them in FIFO order, retrying transient failures with backoff and keeping
permanent refusals as *failed* items the agent can see: nothing is dropped.
:meth:`SyncService.pull` fetches each collection's changes after its stored
cursor. Store calls are blocking file I/O (fsync), so they run in a thread.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from csdesk.api.client import ApiClient
from csdesk.api.errors import ApiError, OfflineError, ProblemError
from csdesk.domain.knowledge import KNOWLEDGE_COLLECTION
from csdesk.domain.phrases import MY_PHRASES, PHRASE_KINDS, TEAM_PHRASES, phrase_id_from_path
from csdesk.domain.work_orders import WORK_ORDER_KINDS
from csdesk.services.listeners import tell
from csdesk.store.local import LocalStore
from csdesk.store.outbox import Outbox, OutboxItem

#: Outbox kind of an announcement acknowledgement.
ACK_KIND = "announcement.ack"
#: Collections pulled from ``GET /api/v1/sync/{collection}``.
#: ``session_records``: the agent's own wrapped-up contacts with their transcripts
#: (issue #4, guide §3.3), for the records screen and replay.
#: ``knowledge``: published knowledge articles (issue #5, guide §2.2/§3.1), readable offline.
PULLED_COLLECTIONS: tuple[str, ...] = (
    "announcements", "settings", "work_orders", "callbacks", "session_records", KNOWLEDGE_COLLECTION,
    # issue #5 quick phrases (csdesk.domain.phrases): the team's, and the agent's own
    # (edited here offline-first through the outbox, kinds PHRASE_KINDS)
    TEAM_PHRASES, MY_PHRASES,
)
#: Outbox kind of a wrap-up that could not reach the backend (guide §2.3).
WRAP_UP_KIND = "contact.wrap_up"
#: Sync collection of the agent's session records (F8).
RECORDS_COLLECTION = "session_records"
#: Outbox kinds whose delivery creates a document of a pulled collection.
PULL_AFTER_PUSH: dict[str, str] = {WRAP_UP_KIND: RECORDS_COLLECTION}
#: A personal phrase saved or deleted: the server's copy (its version) comes back by a pull.
PULL_AFTER_PUSH.update({kind: MY_PHRASES for kind in PHRASE_KINDS})
#: Work-order changes (issue #6): the backend's copy comes back by a pull.
PULL_AFTER_PUSH.update({kind: "work_orders" for kind in WORK_ORDER_KINDS})
#: Local collection of acknowledgements made here (kept until the server shows them).
LOCAL_ACKS = "acks"
SETTINGS_COLLECTION = "settings"
SETTINGS_ID = "settings"


@dataclass(frozen=True)
class SyncStatus:
    """What the header shows: reachability and outbox counts."""

    online: bool
    pending: int
    failed: int
    last_error: str | None = None


class SyncService:
    """Pushes the outbox and pulls collections for one signed-in agent.

    ``on_status(SyncStatus)`` is called (in the event loop) whenever the status
    changes; ``on_back_online()`` when a push succeeds after a failure;
    ``on_sent(item, answer)`` after an item was delivered and taken out of
    the outbox (``answer``: the backend's JSON answer, None without a body).
    ``clock()`` returns epoch seconds.
    """

    def __init__(
        self,
        api: ApiClient,
        store: LocalStore,
        *,
        on_status: Callable[[SyncStatus], None] | None = None,
        on_change: Callable[[str], None] | None = None,
        on_back_online: Callable[[], None] | None = None,
        on_sent: Callable[[OutboxItem, Any], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api = api
        self.store = store
        self.outbox = Outbox(store)
        self.on_status = on_status
        self.on_change = on_change
        self.on_back_online = on_back_online
        self.on_sent = on_sent
        self.clock = clock
        self._lock = threading.Lock()
        self._wake = asyncio.Event()
        self._online = True
        self._last_error: str | None = None
        self._status: SyncStatus | None = None

    # -- store access in a worker thread, one at a time -------------------

    async def io(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a blocking store call in a thread, serialised with the others."""

        def locked() -> Any:
            with self._lock:
                return fn(*args, **kwargs)

        return await asyncio.to_thread(locked)

    # -- status -----------------------------------------------------------

    async def refresh_status(self) -> SyncStatus:
        """Recount the outbox and report the status if it changed.

        After the store is closed (sign-out) the last status is returned as is.
        """
        if self.store.closed:
            return self._status or SyncStatus(self._online, 0, 0, self._last_error)
        pending, failed = await self.io(
            lambda: (self.outbox.pending_count(), self.outbox.failed_count())
        )
        status = SyncStatus(self._online, pending, failed, self._last_error)
        if status != self._status:
            self._status = status
            tell(self.on_status, status)
        return status

    async def set_online(self, online: bool, error: str | None = None) -> None:
        """Record reachability (also fed by the event stream) and report it."""
        self._online = online
        self._last_error = None if online else error
        await self.refresh_status()
        if online:
            self.wake()

    # -- outbox -----------------------------------------------------------

    def wake(self) -> None:
        """Make the push loop look at the outbox now (e.g. after an enqueue)."""
        self._wake.set()

    async def enqueue(
        self, kind: str, method: str, path: str, body: Any, *, key: str | None = None
    ) -> OutboxItem:
        """Queue a mutation durably, wake the push loop and return the item
        (``key``: an idempotency key already used for this action, else new)."""
        item = await self.io(self.outbox.enqueue, kind, method, path, body, now=self.clock(), key=key)
        await self.refresh_status()
        self.wake()
        return item

    async def push_once(self) -> bool:
        """Send the oldest due item. Returns True if one was sent or settled."""
        item: OutboxItem | None = await self.io(self.outbox.peek_due, self.clock())
        if item is None:
            return False
        try:
            result = await self.api.send_mutation(item.method, item.path, item.body, item.key)
        except OfflineError as exc:
            await self.io(self.outbox.mark_retry, item.key, str(exc), self.clock())
            await self.set_online(False, str(exc))
            return False
        except ProblemError as exc:
            if exc.code == "version-conflict" and item.kind == "settings.update":
                await self._rebase_settings(item)
            elif exc.code == "version-conflict" and item.kind in PHRASE_KINDS and self._can_rebase_phrase(item, exc):
                # Issue #5: the agent's own phrase changed elsewhere (another desk of
                # theirs). Nothing was applied; this desk's queued change is the
                # agent's latest: it goes again, in its place, on the stored version.
                current = exc.problem.current_version
                body = {**item.body, "base_version": current}
                await self.io(self.outbox.rebase, item.key, body, now=self.clock())
            elif exc.code == "version-conflict" and item.kind in WORK_ORDER_KINDS:
                # Issue #6: another agent changed the order first. Kept as failed
                # (never overwritten); the stored order is pulled so the desk can
                # show theirs and ours (WorkOrderService.conflicts).
                await self.io(self.outbox.mark_failed, item.key, f"{exc.status} {exc}")
                try:
                    await self.pull("work_orders")
                except ApiError:
                    pass
            elif exc.code == "not-found" and item.kind == ACK_KIND:
                # The announcement was withdrawn: there is nothing left to
                # acknowledge, so the item is settled, not kept as refused.
                await self.io(self.outbox.mark_sent, item.key)
            elif exc.permanent:
                await self.io(self.outbox.mark_failed, item.key, f"{exc.status} {exc}")
            else:
                await self.io(self.outbox.mark_retry, item.key, str(exc), self.clock())
                await self.refresh_status()
                return False
        except ApiError as exc:  # malformed reply: the server may have a fault; retry
            await self.io(self.outbox.mark_retry, item.key, str(exc), self.clock())
            await self.refresh_status()
            return False
        else:
            await self.io(self._settle, item, result)
            tell(self.on_sent, item, result)
            if item.kind in PULL_AFTER_PUSH:
                try:  # the server made a record of it: fetch the local copy now
                    await self.pull(PULL_AFTER_PUSH[item.kind])
                except ApiError:
                    pass
        if not self._online:
            self._online = True
            self._last_error = None
            tell(self.on_back_online)  # e.g. reconnect the event stream now
        await self.refresh_status()
        return True

    def _settle(self, item: OutboxItem, result: Any) -> None:
        """Apply the server's answer for a sent item and remove it (runs in a thread)."""
        if item.kind == "settings.update" and isinstance(result, dict):
            local = self.store.get(SETTINGS_COLLECTION, SETTINGS_ID) or {"id": SETTINGS_ID}
            merged = {**local, "version": result.get("version", 0)}
            if "updated_at" in result:
                merged["updated_at"] = result["updated_at"]
            self.store.upsert(SETTINGS_COLLECTION, SETTINGS_ID, merged)
        self.outbox.mark_sent(item.key)

    async def _rebase_settings(self, item: OutboxItem) -> None:
        """A stale settings save: re-apply our changed keys on the server's copy.

        The old item is replaced by one based on the server's current version;
        our keys win for the keys we changed (the agent's latest choice).
        """
        response = await self.api.request("GET", "/me/settings")
        server = response.json()
        patch = item.body.get("changed", item.body.get("data", {}))
        data = {**server.get("data", {}), **patch}
        body = {"data": data, "base_version": server.get("version", 0), "changed": patch}

        def swap() -> None:
            self.outbox.enqueue(item.kind, item.method, item.path, body, now=self.clock())
            self.outbox.mark_sent(item.key)

        await self.io(swap)

    def has_pending(self, kind: str) -> bool:
        """True when an item of ``kind`` is queued (pending or failed). Blocking."""
        return any(item.kind == kind for item in self.outbox.items())

    def queued_phrase_ids(self) -> set[str]:
        """Ids of personal phrases with a change in the outbox (pending or failed). Blocking."""
        ids = (phrase_id_from_path(item.path) for item in self.outbox.items() if item.kind in PHRASE_KINDS)
        return {ident for ident in ids if ident}

    @staticmethod
    def _can_rebase_phrase(item: OutboxItem, exc: ProblemError) -> bool:
        """A phrase change refused as stale can go again on the stored version the
        problem names (a problem without one, or naming the version sent, cannot)."""
        current = exc.problem.current_version
        return current is not None and current >= 0 and current != item.body.get("base_version")

    async def run_push(self) -> None:
        """Push the outbox forever: send what is due, sleep until the next due time."""
        while True:
            sent = await self.push_once()
            if sent:
                continue
            due_at = await self.io(self.outbox.next_due_at)
            timeout = None if due_at is None else max(0.05, due_at - self.clock())
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=timeout)
            except asyncio.TimeoutError:
                pass

    # -- pull ---------------------------------------------------------------

    async def pull(self, collection: str) -> int:
        """Fetch the changes of ``collection`` after its cursor; return how many.

        Raises ``ApiError`` (offline, refused, malformed); the cursor only
        moves after a page is stored, so a failure repeats no more than a page.
        """
        count = 0
        while True:
            since = await self.io(self.store.get_meta, f"cursor:{collection}", None)
            page = await self.api.sync_page(collection, since)
            await self.io(self._apply_page, collection, page.items, page.deleted, page.cursor)
            count += len(page.items) + len(page.deleted)
            if not page.has_more:
                break
        if count:
            tell(self.on_change, collection)
        return count

    def _apply_page(
        self, collection: str, items: list[dict[str, Any]], deleted: list[str], cursor: str
    ) -> None:
        upserts = {str(doc["id"]): doc for doc in items if doc.get("id")}
        if collection == SETTINGS_COLLECTION and self.has_pending("settings.update"):
            # A local edit is on its way; the push result brings the new version.
            upserts.pop(SETTINGS_ID, None)
        if collection == MY_PHRASES:
            # Issue #5: a phrase with a change still queued here keeps its local copy
            # (the push's own change row brings the server's copy afterwards).
            held = self.queued_phrase_ids()
            upserts = {ident: doc for ident, doc in upserts.items() if ident not in held}
            deleted = [ident for ident in deleted if ident not in held]
        self.store.apply_changes(collection, upserts, deleted)
        self.store.set_meta(f"cursor:{collection}", cursor)

    async def pull_all(self) -> None:
        """Pull every collection; an offline backend marks the status offline."""
        try:
            for name in PULLED_COLLECTIONS:
                await self.pull(name)
        except OfflineError as exc:
            await self.set_online(False, str(exc))
            raise
        await self.set_online(True)

