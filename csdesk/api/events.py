"""Follow the backend's Server-Sent Events stream, reconnecting with backoff.

The stream (``GET /api/v1/events``) sends a ``: ping`` comment every 15 s, so
the read timeout here (45 s) only fires when the server is really gone; plain
httpx's 5 s default would kill a quiet stream. On reconnect the last event id
is sent as ``Last-Event-ID`` and the server replays what was missed (WHATWG
HTML §9.2, Server-sent events).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx
from httpx_sse import aconnect_sse
from httpx_sse import SSEError

from csdesk.api.client import ApiClient, problem_of
from csdesk.api.errors import ApiError, ProblemError
from csdesk.domain.schemas import Event

#: Seconds without a byte (not even a ping) before the stream counts as dead.
READ_TIMEOUT = 45.0
#: Backoff between reconnects, seconds: doubles from ``BACKOFF_MIN`` to ``BACKOFF_MAX``.
BACKOFF_MIN = 1.0
BACKOFF_MAX = 30.0


def backoff_delays(
    minimum: float = BACKOFF_MIN, maximum: float = BACKOFF_MAX, rng: random.Random | None = None
) -> Iterator[float]:
    """Yield reconnect delays in seconds: 1, 2, 4 … capped at ``maximum``, ±20% jitter."""
    rnd = rng or random.Random()
    delay = minimum
    while True:
        yield delay * rnd.uniform(0.8, 1.2)
        delay = min(maximum, delay * 2)


class EventFollower:
    """Reads events for the signed-in agent and hands them to ``on_event``.

    ``on_status(connected: bool)`` is called on each connect and loss.
    ``last_event_id`` is kept across reconnects (and can be seeded from the
    store). Stops when :meth:`stop` is called (or its task is cancelled,
    which is immediate) or when the server refuses the token (401) and a
    refresh does not help, after calling ``on_status(False)`` and
    ``on_unauthorized()``. An expired access token is refreshed and the
    stream resumes.
    """

    def __init__(
        self,
        api: ApiClient,
        on_event: Callable[[Event], Awaitable[None] | None],
        on_status: Callable[[bool], Awaitable[None] | None] | None = None,
        *,
        on_unauthorized: Callable[[], Awaitable[None] | None] | None = None,
        last_event_id: str | None = None,
        read_timeout: float = READ_TIMEOUT,
        backoff_min: float = BACKOFF_MIN,
        backoff_max: float = BACKOFF_MAX,
    ) -> None:
        self.api = api
        self.on_event = on_event
        self.on_status = on_status
        self.on_unauthorized = on_unauthorized
        self.last_event_id = last_event_id
        self.read_timeout = read_timeout
        self.backoff_min = backoff_min
        self.backoff_max = backoff_max
        self.connected = False
        self._stopping = asyncio.Event()
        self._kick = asyncio.Event()
        self._delays = backoff_delays(backoff_min, backoff_max)

    def kick(self) -> None:
        """Reconnect now instead of at the end of the current backoff wait."""
        self._kick.set()

    def stop(self) -> None:
        """Ask the follow loop to end (it returns at its next wait)."""
        self._stopping.set()

    async def _call(self, fn: Callable[..., Awaitable[None] | None] | None, *args: object) -> None:
        if fn is None:
            return
        result = fn(*args)
        if asyncio.iscoroutine(result):
            await result

    async def _set_connected(self, value: bool) -> None:
        if value:
            # A good connection starts the backoff over.
            self._delays = backoff_delays(self.backoff_min, self.backoff_max)
        if value != self.connected:
            self.connected = value
            await self._call(self.on_status, value)

    async def run(self) -> None:
        """Follow the stream until stopped. Never raises for network faults."""
        self._delays = backoff_delays(self.backoff_min, self.backoff_max)
        while not self._stopping.is_set():
            expired_token = self.api.access_token
            try:
                async for event in self._stream():
                    await self._set_connected(True)
                    self.last_event_id = event.id
                    await self._call(self.on_event, event)
            except ProblemError as exc:
                if exc.status == 401:
                    if exc.code == "token-expired" and self.api.refresh_token:
                        try:
                            await self.api.refresh_once(expired_token)
                            continue
                        except ApiError:
                            pass
                    await self._set_connected(False)
                    await self._call(self.on_unauthorized)
                    return
            except ApiError:
                pass
            except (httpx.HTTPError, SSEError, OSError, ValueError):
                pass
            # Reported on every failed attempt, not only on a change: another
            # part (a successful push) may have said "online" meanwhile.
            self.connected = False
            await self._call(self.on_status, False)
            delay = next(self._delays)
            self._kick.clear()
            waits = [asyncio.ensure_future(self._stopping.wait()), asyncio.ensure_future(self._kick.wait())]
            try:
                await asyncio.wait(waits, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waits:
                    waiter.cancel()

    async def _stream(self) -> AsyncIterator[Event]:
        headers = {"Accept": "text/event-stream", **self.api.auth_headers()}
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        timeout = httpx.Timeout(10.0, read=self.read_timeout)
        async with aconnect_sse(
            self.api.http, "GET", "/events", headers=headers, timeout=timeout
        ) as source:
            response = source.response
            if response.status_code == 401:
                await response.aread()
                raise ProblemError(problem_of(response))
            response.raise_for_status()
            await self._set_connected(True)
            async for sse in source.aiter_sse():
                if self._stopping.is_set():
                    return
                if not sse.data:
                    continue
                try:
                    data = json.loads(sse.data)
                except json.JSONDecodeError:
                    continue
                if isinstance(data, dict):
                    yield Event(id=sse.id or "", type=sse.event or "message", data=data)
