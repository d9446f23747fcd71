"""Server-sent events: store, wake, replay.

An event is first a row of the ``events`` table (so ``Last-Event-ID`` resume
works and a restart loses nothing), then a wake-up of the streams waiting in
this process. Streams always read the events from the database; the wake-up
only tells them when to look. Other processes (replicas) are not woken: their
streams find new rows at the next heartbeat at the latest.

Wire format (WHATWG HTML §9.2, "Server-sent events"): ``id`` = the row id as a
string, ``event`` = the type (``state``, ``announcement``, ``settings``),
``data`` = one JSON object on one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
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

#: Event types sent on the stream.
EVENT_TYPES = frozenset({"state", "announcement", "settings"})

#: Events read from the database per query while replaying.
REPLAY_BATCH = 200

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
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: weakref.WeakSet[_Waiter] = weakref.WeakSet()
        self.closed = False

    def subscribe(self) -> _Waiter:
        """A new waiter on the running event loop; it is woken by :meth:`notify`."""
        waiter = _Waiter()
        with self._lock:
            self._waiters.add(waiter)
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
        """End every stream (server shutdown); later streams end at once."""
        self.closed = True
        self.notify()

    def watch(self, sessions: sessionmaker[Session]) -> None:
        """Call :meth:`notify` after each commit of a session from ``sessions`` that published."""

        def after_commit(session: Session) -> None:
            if session.info.pop(_PUBLISHED, False):
                self.notify()

        def after_rollback(session: Session) -> None:
            session.info.pop(_PUBLISHED, None)

        sa_event.listen(sessions, "after_commit", after_commit)
        sa_event.listen(sessions, "after_soft_rollback", lambda s, _t: after_rollback(s))


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
