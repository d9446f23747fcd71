"""Server-sent events: store, wake, replay.

An event is first a row of the ``events`` table (so ``Last-Event-ID`` resume
works and a restart loses nothing), then a wake-up of the streams waiting in
this process. Streams always read the events from the database; the wake-up
only tells them when to look.

Events written by another process (``csdesk admin announce`` on the
database file, or another replica sharing one PostgreSQL database, DESIGN
§9) cannot wake this process's streams directly. So while any stream is
open, the :class:`EventHub` polls the newest event id (``max(events.id)``,
a primary-key lookup) every :data:`POLL_INTERVAL` seconds in a background
thread and wakes the streams when it grew: such an event reaches the
agents within about that interval instead of the next heartbeat.

Wire format (WHATWG HTML §9.2, "Server-sent events"): ``id`` = the row id as a
string, ``event`` = the type (``state``, ``announcement``, ``settings``,
``work_order``, ``callback``),
``data`` = one JSON object on one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from csdesk.server.db import utcnow
from csdesk.server.models import EventRow

_log = logging.getLogger(__name__)

#: Event types sent on the stream.
EVENT_TYPES = frozenset({"state", "announcement", "settings", "work_order", "callback"})
#: Issue #4 additions: ``disclosure`` (a customer's answer to a risk disclosure).
EVENT_TYPES = EVENT_TYPES | {"disclosure"}
#: Issue #4 live session (``csdesk.server.contacts``, ``csdesk.server.routing``):
#: ``offer``, ``contact``, ``transcript``, ``acw_overdue``.
EVENT_TYPES = EVENT_TYPES | {"offer", "contact", "transcript", "acw_overdue"}
#: Issue #5: ``phrase`` (one of the agent's personal quick phrases changed: pull ``my_phrases``).
EVENT_TYPES = EVENT_TYPES | {"phrase"}

#: Events read from the database per query while replaying.
REPLAY_BATCH = 200

#: Seconds between two looks for events committed by other processes (while a stream is open).
POLL_INTERVAL = 2.0

_PUBLISHED = "csdesk_events_published"


def publish(session: Session, *, agent_id: str | None, type: str, data: dict[str, Any]) -> EventRow:
    """Add an event to ``session``'s transaction; streams wake after it commits.

    ``agent_id=None`` broadcasts to every agent. ``type`` must be one of
    :data:`EVENT_TYPES` (``ValueError`` otherwise); ``data`` is a JSON object
    (a ``schemas`` model dumped with ``mode="json"``).
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    row = EventRow(agent_id=agent_id, type=type, data=data, created_at=utcnow())
    session.add(row)
    session.info[_PUBLISHED] = True
    return row


class _Waiter:
    """One stream's wake-up flag, bound to the event loop that awaits it."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.flag = asyncio.Event()

    def wake(self) -> None:
        with contextlib.suppress(RuntimeError):  # loop closed: nobody waits any more
            self.loop.call_soon_threadsafe(self.flag.set)

    async def wait(self, timeout: float) -> None:
        """Wait until woken or ``timeout`` seconds pass, then re-arm."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.flag.wait(), timeout)
        self.flag.clear()


class EventHub:
    """Wakes the event streams of this process when events are committed.

    Thread-safe: :meth:`notify` and :meth:`close` may be called from any
    thread (sync endpoints run in a thread pool). Waiters are held weakly, so
    a stream that never started leaves nothing behind.

    Events committed by other processes: once :meth:`watch` has given the hub
    the database's sessions, the first :meth:`subscribe` starts a daemon
    thread that reads the newest event id every ``poll_interval`` seconds
    (default :data:`POLL_INTERVAL`; set it before the first stream opens)
    and calls :meth:`notify` when it grew. Processes that never serve a
    stream (``csdesk admin``) never start it; :meth:`close` stops it.
    """

    def __init__(self, poll_interval: float = POLL_INTERVAL) -> None:
        self._lock = threading.Lock()
        self._waiters: weakref.WeakSet[_Waiter] = weakref.WeakSet()
        self.closed = False
        #: Seconds between two polls for events written by other processes.
        self.poll_interval = poll_interval
        self._sessions: sessionmaker[Session] | None = None
        #: ``(event name, listener)`` pairs :meth:`watch` put on the sessions.
        self._listeners: list[tuple[str, Callable[..., None]]] = []
        self._poller: threading.Thread | None = None
        self._stop_polling = threading.Event()
        #: Newest event id seen by the poller (``None`` before its first look).
        self.seen_event_id: int | None = None

    def subscribe(self) -> _Waiter:
        """A new waiter on the running event loop; it is woken by :meth:`notify`.

        Starts the poller for other processes' events on first use (see the
        class docstring).
        """
        waiter = _Waiter()
        with self._lock:
            self._waiters.add(waiter)
        self._start_polling()
        if self.closed:
            waiter.wake()
        return waiter

    def notify(self) -> None:
        """Wake every waiting stream (call after a commit that published events)."""
        with self._lock:
            waiters = list(self._waiters)
        for waiter in waiters:
            waiter.wake()

    def close(self) -> None:
        """End every stream (server shutdown) and stop the poller; later streams end at once."""
        self.closed = True
        self._stop_polling.set()
        self.notify()
        with self._lock:  # the poller is made and started under this lock
            poller = self._poller
        if poller is not None and poller.ident is not None and poller is not threading.current_thread():
            poller.join(timeout=max(1.0, self.poll_interval))
        self._unwatch()

    def _unwatch(self) -> None:
        # SQLAlchemy keeps class-level listeners in a WeakKeyDictionary keyed
        # by the sessionmaker's Session class; the listener (through this hub)
        # holds that class, so without removal the whole database (engine,
        # statement cache) would live as long as the process.
        if self._sessions is not None:
            for name, listener in self._listeners:
                if sa_event.contains(self._sessions, name, listener):
                    sa_event.remove(self._sessions, name, listener)
        self._listeners.clear()

    def watch(self, sessions: sessionmaker[Session]) -> None:
        """Call :meth:`notify` after each commit of a session from ``sessions`` that published.

        ``sessions`` is also what the poller reads the newest event id with.
        """
        self._sessions = sessions

        def after_commit(session: Session) -> None:
            if session.info.pop(_PUBLISHED, False):
                self.notify()

        def after_rollback(session: Session) -> None:
            session.info.pop(_PUBLISHED, None)

        def after_soft_rollback(session: Session, _transaction: object) -> None:
            after_rollback(session)

        self._unwatch()
        self._listeners = [("after_commit", after_commit), ("after_soft_rollback", after_soft_rollback)]
        for name, listener in self._listeners:
            sa_event.listen(sessions, name, listener)

    # -- events committed by other processes ---------------------------------

    def _start_polling(self) -> None:
        with self._lock:
            if self._poller is not None or self._sessions is None or self.closed:
                return
            self._poller = threading.Thread(
                target=self._poll_loop, name="csdesk-event-poller", daemon=True
            )
            # Started under the lock: a close() racing this never finds a thread
            # made but not started (joining one raises).
            self._poller.start()

    def poll_once(self) -> bool:
        """Look at the newest event id once; wake the streams and return True when it changed.

        The first look also wakes them (an event may have landed between a
        stream's start and this look; a needless wake-up costs one query). A
        smaller id than before (the database was replaced) also wakes.
        Raises what the database raises; without :meth:`watch` returns False.
        """
        if self._sessions is None:
            return False
        with self._sessions() as session:
            newest = last_event_id(session)
        previous, self.seen_event_id = self.seen_event_id, newest
        if previous == newest:
            return False
        self.notify()
        return True

    def _poll_loop(self) -> None:
        while not self._stop_polling.is_set():
            try:
                self.poll_once()
            except Exception:  # database busy, closing, or briefly unreachable: look again later
                _log.debug("event poll failed", exc_info=True)
            self._stop_polling.wait(self.poll_interval)


def _visible_to(agent_id: str) -> Any:
    return or_(EventRow.agent_id == agent_id, EventRow.agent_id.is_(None))


def last_event_id(session: Session) -> int:
    """The id of the newest stored event, 0 when there is none."""
    return session.scalar(select(func.max(EventRow.id))) or 0


def events_after(
    session: Session, agent_id: str, after: int, limit: int = REPLAY_BATCH
) -> list[EventRow]:
    """Events with ``id > after`` for ``agent_id`` or broadcast, oldest first (``limit`` max)."""
    query = (
        select(EventRow)
        .where(EventRow.id > after, _visible_to(agent_id))
        .order_by(EventRow.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def parse_last_event_id(raw: str | None) -> int | None:
    """The ``Last-Event-ID`` header as a non-negative int; ``None`` when absent or not one."""
    if raw is None:
        return None
    text = raw.strip()
    if not text.isascii() or not text.isdigit():
        return None
    return int(text)


def encode(row: EventRow) -> dict[str, str]:
    """The SSE fields of an event row: ``{"id", "event", "data"}`` (data is one-line JSON)."""
    return {
        "id": str(row.id),
        "event": row.type,
        "data": json.dumps(row.data, ensure_ascii=False, separators=(",", ":")),
    }


async def stream(
    *,
    hub: EventHub,
    waiter: _Waiter,
    agent_id: str,
    after: int,
    load: Callable[[str, int], Awaitable[list[dict[str, str]]]],
    still_valid: Callable[[], Awaitable[bool]],
    heartbeat: float,
    expires_at: datetime,
) -> AsyncIterator[dict[str, str]]:
    """Yield the SSE events of ``agent_id`` with id > ``after``, then follow live.

    ``load(agent_id, after)`` returns the next batch (at most
    :data:`REPLAY_BATCH`) of :func:`encode`-d events; ``still_valid()``
    returns whether the stream's access token is still usable. The loop
    re-reads the database whenever the hub wakes it and at least every
    ``heartbeat`` seconds. The stream ends when the hub closes, the token is
    revoked, or the token reaches ``expires_at`` (the client then refreshes
    and resumes with ``Last-Event-ID``). Pings are sent by the response.
    """
    cursor = after
    while not hub.closed:
        batch = await load(agent_id, cursor)
        for item in batch:
            cursor = int(item["id"])
            yield item
        if len(batch) >= REPLAY_BATCH:
            continue
        remaining = (expires_at - utcnow()).total_seconds()
        if remaining <= 0 or not await still_valid():
            # The sign-out that revoked the token may have committed its last
            # events (e.g. the Offline state) after the load above: send them.
            for item in await load(agent_id, cursor):
                cursor = int(item["id"])
                yield item
            return
        await waiter.wait(min(heartbeat, remaining))
