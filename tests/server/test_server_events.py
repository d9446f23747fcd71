"""``GET /events``: live events, ``Last-Event-ID`` replay, heartbeat, end on sign-out."""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from csdesk.server.announcements import publish_announcement
from csdesk.server.config import ServerSettings
from csdesk.server.runner import BackgroundServer


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Sse:
    """One parsed SSE block: an event (``id``, ``event``, ``data``) or a comment."""

    id: str | None = None
    event: str | None = None
    data: Any = None
    comment: str | None = None


@dataclass
class Reader:
    """Reads an SSE stream in a thread (WHATWG HTML §9.2.6 parsing, simplified).

    ``connected`` is set once the response headers arrived; ``items`` gets
    :class:`Sse` blocks and finally ``None`` when the stream ends.
    """

    url: str
    headers: dict[str, str]
    status: int | None = None
    connected: threading.Event = field(default_factory=threading.Event)
    items: queue.Queue[Sse | None] = field(default_factory=queue.Queue)
    stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Reader:
        threading.Thread(target=self._run, daemon=True).start()
        assert self.connected.wait(5), "no response headers"
        return self

    def _run(self) -> None:
        try:
            timeout = httpx.Timeout(10.0, read=5.0)
            with (
                httpx.Client(timeout=timeout) as client,
                client.stream("GET", self.url, headers=self.headers) as response,
            ):
                self.status = response.status_code
                self.connected.set()
                block = Sse()
                data: list[str] = []
                for line in response.iter_lines():
                    if self.stop.is_set():
                        break
                    if line == "":
                        if data or block.event or block.id:
                            block.data = json.loads("\n".join(data)) if data else None
                            self.items.put(block)
                        block, data = Sse(), []
                    elif line.startswith(":"):
                        self.items.put(Sse(comment=line[1:].strip()))
                    else:
                        name, _, value = line.partition(":")
                        value = value[1:] if value.startswith(" ") else value
                        if name == "data":
                            data.append(value)
                        elif name == "id":
                            block.id = value
                        elif name == "event":
                            block.event = value
        except httpx.HTTPError:
            pass
        finally:
            self.connected.set()
            self.items.put(None)

    def next_event(self, timeout: float = 5.0) -> Sse:
        """The next non-comment block; fails on timeout or end of stream."""
        deadline = time.monotonic() + timeout
        while True:
            item = self.items.get(timeout=max(0.01, deadline - time.monotonic()))
            assert item is not None, "stream ended"
            if item.comment is None:
                return item

    def wait_end(self, timeout: float = 5.0) -> list[Sse]:
        """Collect blocks until the stream ends; fails on timeout."""
        deadline = time.monotonic() + timeout
        seen: list[Sse] = []
        while True:
            item = self.items.get(timeout=max(0.01, deadline - time.monotonic()))
            if item is None:
                return seen
            seen.append(item)


@pytest.fixture
def session(api: httpx.Client, sign_in: Any) -> dict[str, Any]:
    return dict(sign_in(api))


def _reader(backend: BackgroundServer, token: str, last_event_id: str | None = None) -> Reader:
    headers = bearer(token)
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    return Reader(f"{backend.url}/api/v1/events", headers).start()


def test_live_state_event(
    backend: BackgroundServer, api: httpx.Client, session: dict[str, Any]
) -> None:
    reader = _reader(backend, session["access_token"])
    assert reader.status == 200
    changed = api.put(
        "/me/state", headers=bearer(session["access_token"]), json={"state": "ready"}
    ).json()
    event = reader.next_event()
    assert event.event == "state"
    assert event.data == changed
    assert event.id is not None and int(event.id) > 0
    reader.stop.set()


def test_resume_with_last_event_id_replays(
    backend: BackgroundServer, api: httpx.Client, session: dict[str, Any]
) -> None:
    auth = bearer(session["access_token"])
    first = _reader(backend, session["access_token"])
    api.put("/me/state", headers=auth, json={"state": "ready"})
    seen = first.next_event()
    first.stop.set()
    # While disconnected: two more changes.
    api.put("/me/state", headers=auth, json={"state": "not_ready", "reason": "break"})
    api.put("/me/state", headers=auth, json={"state": "ready"})

    resumed = _reader(backend, session["access_token"], last_event_id=seen.id)
    replayed = [resumed.next_event(), resumed.next_event()]
    assert [(e.data["state"], e.data["reason"]) for e in replayed] == [
        ("not_ready", "break"),
        ("ready", None),
    ]
    assert int(replayed[0].id or 0) > int(seen.id or 0)
    assert int(replayed[1].id or 0) > int(replayed[0].id or 0)

    # From 0: everything for this agent, starting with the sign-in.
    everything = _reader(backend, session["access_token"], last_event_id="0")
    assert everything.next_event().data["reason"] == "sign_in"
    resumed.stop.set()
    everything.stop.set()


def test_events_are_per_agent_and_broadcasts_reach_everyone(
    backend: BackgroundServer, api: httpx.Client, session: dict[str, Any], sign_in: Any
) -> None:
    from csdesk.server.seed import DEMO_AGENTS

    other = sign_in(api, dict(DEMO_AGENTS[1]))
    mine = _reader(backend, session["access_token"])
    theirs = _reader(backend, other["access_token"])
    api.put("/me/state", headers=bearer(other["access_token"]), json={"state": "ready"})
    published = publish_announcement(
        backend.context, title="临时通知", body="今晚系统升级。", mandatory=False
    )
    assert theirs.next_event().event == "state"
    for reader in (mine, theirs):
        event = reader.next_event()
        assert event.event == "announcement"
        assert event.data["id"] == published.id
        assert event.data["title"] == "临时通知"
        reader.stop.set()


@pytest.mark.backend_settings(heartbeat=0.3)
def test_quiet_stream_stays_open_with_pings(
    backend: BackgroundServer, session: dict[str, Any]
) -> None:
    reader = _reader(backend, session["access_token"])
    time.sleep(1.0)  # more than three heartbeats
    comments: list[str] = []
    while not reader.items.empty():
        item = reader.items.get_nowait()
        assert item is not None, "stream closed while quiet"
        assert item.comment is not None
        comments.append(item.comment)
    assert comments and set(comments) == {"ping"}
    reader.stop.set()


def test_stream_ends_at_sign_out_after_the_offline_event(
    backend: BackgroundServer, api: httpx.Client, session: dict[str, Any]
) -> None:
    reader = _reader(backend, session["access_token"])
    assert api.post("/auth/logout", headers=bearer(session["access_token"])).status_code == 204
    rest = [item for item in reader.wait_end() if item.comment is None]
    assert [(e.event, e.data["state"]) for e in rest] == [("state", "offline")]


@pytest.mark.backend_settings(access_ttl=1, heartbeat=0.2)
def test_stream_ends_when_the_token_expires(
    backend: BackgroundServer, session: dict[str, Any]
) -> None:
    reader = _reader(backend, session["access_token"])
    started = time.monotonic()
    reader.wait_end(timeout=5)
    assert time.monotonic() - started < 3


def test_stream_needs_a_token(backend: BackgroundServer) -> None:
    response = httpx.get(f"{backend.url}/api/v1/events")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unauthorized"


def test_server_stops_promptly_with_an_open_stream(tmp_path: Path, totp: Any) -> None:
    from csdesk.server.seed import DEMO_AGENTS

    settings = ServerSettings(
        db_path=tmp_path / "s.db", heartbeat=15.0, **ServerSettings.fast_hashing()
    )
    server = BackgroundServer(settings).start()
    try:
        with httpx.Client(base_url=f"{server.url}/api/v1") as client:
            agent = DEMO_AGENTS[0]
            ticket = client.post(
                "/auth/login",
                json={"employee_id": agent["employee_id"], "password": agent["password"]},
            ).json()["mfa_ticket"]
            token = client.post(
                "/auth/mfa", json={"mfa_ticket": ticket, "code": totp(agent["totp_secret"])}
            ).json()["access_token"]
        reader = _reader(server, token)
    finally:
        started = time.monotonic()
        server.stop()
    assert time.monotonic() - started < 2
    reader.wait_end(timeout=2)


def test_a_closed_context_frees_its_database(tmp_path: Path) -> None:
    """Closing a server context lets its engine go: the hub's commit listeners
    sat in SQLAlchemy's class-level registry and kept every database a
    process ever opened alive (the test suite grew by ~1 M objects)."""
    import gc
    import weakref

    from csdesk.server.context import ServerContext

    refs = []
    for n in range(3):
        ctx = ServerContext.open(ServerSettings(db_path=tmp_path / f"db{n}" / "csdesk.db",
                                                **ServerSettings.fast_hashing()))
        with ctx.db.write() as session:  # the hub's listeners run on commit
            session.info["x"] = 1
        refs.append(weakref.ref(ctx.db.engine))
        ctx.close()
        del ctx, session
    gc.collect()
    assert [ref() for ref in refs] == [None, None, None]


def test_closing_the_hub_while_its_poller_is_being_made_never_raises(tmp_path: Path) -> None:
    """Found by the parallel suite: a server stopped just as its event poller
    was being made joined a thread not started yet (RuntimeError at shutdown)."""
    from csdesk.server.context import ServerContext
    from tests.conftest import make_settings

    ctx = ServerContext.open(make_settings(tmp_path / "db.sqlite"))
    hub = ctx.hub
    hub._poller = threading.Thread(target=lambda: None, name="csdesk-event-poller", daemon=True)  # made, not started
    ctx.close()  # must not raise
    assert hub.closed
