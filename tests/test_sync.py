"""The sync core against a real backend: outbox push, idempotency, pull, events.

Issue #2 "Sync core": an outbox of mutations with idempotency keys, a push
that retries with backoff and never drops an item, the server applying a
retried mutation once, cursor pulls, and an SSE stream followed with
reconnects and ``Last-Event-ID``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from csdesk.api.client import ApiClient
from csdesk.api.events import EventFollower
from csdesk.demo import free_port
from csdesk.domain.agent_state import AgentState, NotReadyReason
from csdesk.server.announcements import publish_announcement, withdraw_announcement
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS
from csdesk.services.session import DeskSession
from tests.conftest import make_settings
from tests.tui.helpers import fresh_code

AGENT = DEMO_AGENTS[0]


async def signed_in(url: str, data_dir: Path, agent: dict = AGENT) -> DeskSession:
    session = DeskSession(url, data_dir)
    await session.login(agent["employee_id"], agent["password"])
    await session.verify_code(fresh_code(agent["totp_secret"], url))
    await session.open_store()
    return session


def count(db: Path, sql: str, *args: object) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchone()[0]


async def test_ack_goes_through_outbox_once_even_when_resent(backend, tmp_path: Path) -> None:
    session = await signed_in(backend.url, tmp_path)
    try:
        await session.initial_sync()
        anns = await session.unread_announcements()
        assert len(anns) == 3
        await session.acknowledge(anns[0])
        item = session.sync.outbox.items()[0]
        # The first send reaches the server, but the answer is "lost" (we never
        # mark it sent): the push loop sends it again with the same key.
        first = await session.api.send_mutation(item.method, item.path, item.body, item.key)
        assert await session.sync.push_once() is True
        assert session.sync.outbox.pending_count() == 0
        db = backend.context.settings.db_path
        assert count(db, "select count(*) from announcement_acks where announcement_id=?", anns[0].id) == 1
        again = await session.api.send_mutation(item.method, item.path, item.body, item.key)
        assert again == first
        # A different body under the same key is refused, never applied.
        from csdesk.api.errors import ProblemError

        with pytest.raises(ProblemError) as err:
            await session.api.send_mutation(item.method, item.path, {"version": 2}, item.key)
        assert err.value.code == "idempotency-key-reused"
        # The local view shows it acknowledged; the unread list shrinks.
        assert [a.id for a in await session.unread_announcements()] == [a.id for a in anns[1:]]
    finally:
        await session.close()


async def test_offline_push_keeps_item_and_backs_off(tmp_path: Path) -> None:
    port = free_port()
    settings = make_settings(tmp_path / "db" / "csdesk.db")
    server = BackgroundServer(settings, port=port).start()
    session = await signed_in(server.url, tmp_path / "data")
    try:
        await session.initial_sync()
        server.stop()
        await session.save_settings({"alert": "flash"})
        before = time.time()
        assert await session.sync.push_once() is False
        [item] = session.sync.outbox.items()
        assert item.attempts == 1 and item.status == "pending"
        assert item.next_attempt_at >= before + 0.8 * 1
        status = await session.sync.refresh_status()
        assert (status.online, status.pending) == (False, 1)
        # Not due yet: nothing is sent, nothing is lost.
        assert await session.sync.push_once() is False
        assert session.sync.outbox.items()[0].attempts == 1
        # Back on the same port: the item goes once it is due.
        server = BackgroundServer(settings, port=port).start()
        deadline = time.monotonic() + 10
        while session.sync.outbox.pending_count() and time.monotonic() < deadline:
            await session.sync.push_once()
            await asyncio.sleep(0.2)
        assert session.sync.outbox.pending_count() == 0
        answer = await session.api.request("GET", "/me/settings")
        assert answer.json()["data"] == {"alert": "flash"}
        assert (await session.sync.refresh_status()).online is True
    finally:
        await session.close()
        server.stop()


async def test_permanent_refusal_is_kept_as_failed(backend, tmp_path: Path) -> None:
    session = await signed_in(backend.url, tmp_path)
    try:
        publish_announcement(backend.context, title="t", body="b", mandatory=False, announcement_id="ann-v1")
        # A version the announcement never had: refused for good (409).
        await session.sync.enqueue("announcement.ack", "POST", "/announcements/ann-v1/ack", {"version": 99})
        assert await session.sync.push_once() is True
        [item] = session.sync.outbox.items()
        assert item.status == "failed" and "409" in item.last_error
        status = await session.sync.refresh_status()
        assert (status.pending, status.failed) == (0, 1)
        assert await session.retry_failed() == 1
        assert session.sync.outbox.items()[0].status == "pending"
    finally:
        await session.close()


async def test_ack_of_a_withdrawn_announcement_is_settled_not_refused(backend, tmp_path: Path) -> None:
    """QA: a mandatory announcement that expired while on screen left "refused 1" for good."""
    session = await signed_in(backend.url, tmp_path)
    try:
        publish_announcement(backend.context, title="短期", body="b", mandatory=True, announcement_id="ann-short")
        withdraw_announcement(backend.context, "ann-short")
        await session.sync.enqueue("announcement.ack", "POST", "/announcements/ann-short/ack", {"version": 1})
        assert await session.sync.push_once() is True
        assert session.sync.outbox.items() == []
        status = await session.sync.refresh_status()
        assert (status.pending, status.failed) == (0, 0)
    finally:
        await session.close()


async def test_settings_conflict_is_rebased_not_overwritten(backend, tmp_path: Path) -> None:
    one = await signed_in(backend.url, tmp_path / "one", DEMO_AGENTS[0])
    two = await signed_in(backend.url, tmp_path / "two", DEMO_AGENTS[0])
    try:
        await one.initial_sync()
        await two.initial_sync()
        await one.save_settings({"alert": "bell"})
        await two.save_settings({"language": "zh-CN"})
        assert await one.sync.push_once()
        # two's save was based on version 0: a conflict, rebased on the server's copy.
        for _ in range(3):
            await two.sync.push_once()
        assert two.sync.outbox.pending_count() == 0
        answer = (await two.api.request("GET", "/me/settings")).json()
        assert answer["data"] == {"alert": "bell", "language": "zh-CN"}
        assert answer["version"] == 2
    finally:
        await one.close()
        await two.close()


async def test_pull_follows_the_cursor(backend, tmp_path: Path) -> None:
    session = await signed_in(backend.url, tmp_path)
    try:
        assert await session.sync.pull("announcements") == 3
        assert await session.sync.pull("announcements") == 0
        publish_announcement(backend.context, title="新公告", body="正文", mandatory=True, announcement_id="ann-new")
        assert await session.sync.pull("announcements") == 1
        assert "ann-new" in session.store.all("announcements")
        withdraw_announcement(backend.context, "ann-new")
        assert await session.sync.pull("announcements") == 1
        assert "ann-new" not in session.store.all("announcements")
        # The cursor survives a restart of the desk (it is in the store).
        cursor = session.store.get_meta("cursor:announcements")
        assert cursor
    finally:
        await session.close()


@pytest.mark.backend_settings(heartbeat=0.3)
async def test_quiet_stream_stays_open_and_resumes_with_last_event_id(backend, tmp_path: Path) -> None:
    session = await signed_in(backend.url, tmp_path)
    events: list = []
    statuses: list[bool] = []
    follower = EventFollower(session.api, events.append, statuses.append, read_timeout=1.5)
    task = asyncio.create_task(follower.run())
    try:
        deadline = time.monotonic() + 5
        while not statuses and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        # Quiet for longer than the read timeout: the pings keep it alive.
        await asyncio.sleep(3.5)
        assert statuses == [True]
        await session.set_state(AgentState.READY)
        deadline = time.monotonic() + 5
        while not events and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert events[-1].type == "state" and events[-1].data["state"] == "ready"
        resume_from = events[-1].id
    finally:
        task.cancel()
    # Events while this follower was away are replayed from Last-Event-ID.
    await session.set_state(AgentState.NOT_READY, NotReadyReason.MEETING)
    publish_announcement(backend.context, title="t", body="b", mandatory=False)
    replayed: list = []
    follower2 = EventFollower(session.api, replayed.append, last_event_id=resume_from)
    task2 = asyncio.create_task(follower2.run())
    try:
        deadline = time.monotonic() + 5
        while len(replayed) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert [e.type for e in replayed[:2]] == ["state", "announcement"]
        assert int(replayed[0].id) > int(resume_from)
    finally:
        task2.cancel()
        await session.close()


async def test_follower_reconnects_after_backend_restart(tmp_path: Path) -> None:
    port = free_port()
    settings = make_settings(tmp_path / "db" / "csdesk.db", heartbeat=0.3)
    server = BackgroundServer(settings, port=port).start()
    session = await signed_in(server.url, tmp_path / "data")
    statuses: list[bool] = []
    events: list = []
    follower = EventFollower(session.api, events.append, statuses.append, backoff_min=0.2, backoff_max=0.5)
    task = asyncio.create_task(follower.run())
    try:
        deadline = time.monotonic() + 5
        while statuses != [True] and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        server.stop()
        deadline = time.monotonic() + 5
        while statuses[-1] is not False and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert statuses[-1] is False
        server = BackgroundServer(settings, port=port).start()
        deadline = time.monotonic() + 10
        while statuses[-1] is not True and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert statuses == [True, False, True]
        await session.set_state(AgentState.READY)
        deadline = time.monotonic() + 5
        while not events and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert events and events[-1].data["state"] == "ready"
    finally:
        task.cancel()
        await session.close()
        server.stop()


async def test_client_maps_transport_faults(tmp_path: Path) -> None:
    from csdesk.api.errors import OfflineError

    api = ApiClient(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(OfflineError):
        await api.health()
    await api.aclose()


async def test_client_times_out_on_a_silent_backend() -> None:
    """A backend that accepts the connection and never answers: a timeout, not a hang."""
    import socket

    from csdesk.api.errors import OfflineError

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        api = ApiClient(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=0.5)
        started = time.monotonic()
        with pytest.raises(OfflineError, match="in time"):
            await api.health()
        assert time.monotonic() - started < 5
        await api.aclose()


@pytest.mark.backend_settings(access_ttl=2, heartbeat=0.3)
async def test_stream_survives_access_token_expiry(backend, tmp_path: Path) -> None:
    """A shift outlives the access token: the stream refreshes it and goes on."""
    session = await signed_in(backend.url, tmp_path)
    first_token = session.api.access_token
    events: list = []
    statuses: list[bool] = []
    unauthorized: list[bool] = []
    follower = EventFollower(
        session.api, events.append, statuses.append,
        on_unauthorized=lambda: unauthorized.append(True), backoff_min=0.1, backoff_max=0.2,
    )
    task = asyncio.create_task(follower.run())
    try:
        await asyncio.sleep(3.5)  # the server closed the stream at expiry; it resumed
        assert session.api.access_token != first_token
        await session.set_state(AgentState.READY)
        deadline = time.monotonic() + 5
        while not any(e.type == "state" for e in events) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert any(e.type == "state" and e.data["state"] == "ready" for e in events)
        assert not unauthorized and statuses[-1] is True
    finally:
        task.cancel()
        await session.close()


@pytest.mark.backend_settings(access_ttl=1)
async def test_concurrent_calls_refresh_once(backend, tmp_path: Path) -> None:
    """Two calls meet the expired token together; a second refresh with the
    rotated refresh token would make the server revoke the whole sign-in."""
    session = await signed_in(backend.url, tmp_path)
    try:
        await asyncio.sleep(1.5)
        first, second = await asyncio.gather(session.api.me(), session.api.me())
        assert first.employee_id == second.employee_id == AGENT["employee_id"]
        assert (await session.api.me()).employee_id == AGENT["employee_id"]
    finally:
        await session.close()


async def test_a_failing_listener_never_stops_the_outbox_push(backend, tmp_path: Path, caplog) -> None:
    """A bug in a desk callback (``on_sent``, ``on_status`` …) is logged; the
    push loop carries on and every queued item is still delivered once."""
    session = await signed_in(backend.url, tmp_path)
    seen: list[str] = []

    def broken(*_: object) -> None:
        seen.append("called")
        raise RuntimeError("listener bug")

    try:
        await session.initial_sync()
        anns = await session.unread_announcements()
        session.sync.on_sent = broken
        session.sync.on_status = broken
        session.sync.on_change = broken
        for ann in anns[:2]:
            await session.acknowledge(ann)
        assert await session.sync.push_once() is True
        assert await session.sync.push_once() is True
        assert session.sync.outbox.pending_count() == 0
        db = backend.context.settings.db_path
        assert count(db, "select count(*) from announcement_acks") == 2
        assert seen and "listener bug" in caplog.text
    finally:
        await session.close()


def test_a_failing_contact_listener_does_not_stop_the_next_one(caplog) -> None:
    from csdesk.services.contact import ContactService

    service = ContactService.__new__(ContactService)
    service._listeners = []
    heard: list[str] = []

    def broken(change: object) -> None:
        raise RuntimeError("listener bug")

    service.add_listener(broken)
    service.add_listener(lambda change: heard.append(change.kind))
    service._notify("state")
    assert heard == ["state"] and "listener bug" in caplog.text
