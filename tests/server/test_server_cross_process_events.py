"""Events written by another process reach open SSE streams within seconds.

``csdesk admin announce`` writes straight to the database file from its own
process, and several replicas may share one database (DESIGN §9): neither
can wake this backend's in-process event hub. The hub polls the newest
event id (``csdesk.server.events.POLL_INTERVAL``, 2 s) while streams are
open. The SSE heartbeat is set to 60 s here, so only that poll can deliver
an event within the few seconds these tests allow.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from csdesk.admin import admin
from csdesk.server.agent_settings import save_settings
from csdesk.server.config import ServerSettings
from csdesk.server.context import ServerContext
from csdesk.server.events import POLL_INTERVAL
from csdesk.server.runner import BackgroundServer
from tests.conftest import bearer, make_settings

#: Seconds an event written elsewhere may take to reach a stream (poll interval + slack).
DEADLINE = 5.0

QUIET = pytest.mark.backend_settings(heartbeat=60.0)


class EventReader:
    """Reads ``GET /events`` in a thread; ``events`` gets ``(type, data)`` per event."""

    def __init__(self, url: str, token: str) -> None:
        self.url = f"{url}/api/v1/events"
        self.token = token
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.connected = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> EventReader:
        self.thread.start()
        assert self.connected.wait(5), "no response headers from /events"
        time.sleep(0.3)  # the stream has read its start position
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()

    def _run(self) -> None:
        timeout = httpx.Timeout(10.0, read=90.0)
        with (
            httpx.Client(timeout=timeout) as client,
            client.stream("GET", self.url, headers=bearer(self.token)) as response,
        ):
            assert response.status_code == 200
            self.connected.set()
            kind, data = None, []
            for line in response.iter_lines():
                if self.stop.is_set():
                    return
                if line.startswith("event:"):
                    kind = line.partition(":")[2].strip()
                elif line.startswith("data:"):
                    data.append(line.partition(":")[2].strip())
                elif line == "" and kind:
                    self.events.put((kind, json.loads("".join(data))))
                    kind, data = None, []

    def wait_for(self, kind: str, match: Callable[[Any], bool], timeout: float) -> float:
        """Seconds until an event of ``kind`` whose data passes ``match`` arrives; fails after ``timeout``."""
        start = time.monotonic()
        while True:
            left = timeout - (time.monotonic() - start)
            try:
                got, data = self.events.get(timeout=max(0.01, left))
            except queue.Empty:
                raise AssertionError(f"no {kind} event within {timeout} s") from None
            if got == kind and match(data):
                return time.monotonic() - start


def _token(server: BackgroundServer, sign_in: Callable[..., dict[str, Any]]) -> str:
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=10.0) as client:
        return str(sign_in(client)["access_token"])


@pytest.fixture
def reader(backend: BackgroundServer, sign_in: Callable[..., dict[str, Any]]) -> Iterator[EventReader]:
    with EventReader(backend.url, _token(backend, sign_in)) as stream:
        yield stream


@QUIET
def test_admin_announce_reaches_an_open_stream_within_seconds(
    backend: BackgroundServer, reader: EventReader, tmp_path: Path
) -> None:
    """The admin command's own database connection (its own hub), not the server's."""
    body = tmp_path / "notice.txt"
    body.write_text("今晚 22:00 系统升级。", encoding="utf-8")
    db = backend.settings.db_path
    result = CliRunner().invoke(
        admin, ["--db", str(db), "announce", "--title", "升级通知", "--body-file", str(body),
                "--no-mandatory"],
    )
    assert result.exit_code == 0, result.output
    elapsed = reader.wait_for("announcement", lambda d: d["title"] == "升级通知", DEADLINE)
    assert elapsed < DEADLINE


@QUIET
def test_admin_announce_from_another_process(
    backend: BackgroundServer, reader: EventReader, tmp_path: Path
) -> None:
    """The real thing: ``python -m csdesk admin announce`` as a separate OS process."""
    body = tmp_path / "notice.txt"
    body.write_text("Branch systems restart at 22:00.", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run(
        [sys.executable, "-m", "csdesk", "admin", "--db", str(backend.settings.db_path),
         "announce", "--title", "Restart tonight", "--body-file", str(body), "--mandatory"],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    reader.wait_for("announcement", lambda d: d["title"] == "Restart tonight", DEADLINE)


def test_two_replicas_on_one_database(
    tmp_path: Path, sign_in: Callable[..., dict[str, Any]]
) -> None:
    """A settings save through replica A reaches a stream on replica B (DESIGN §9)."""
    settings = make_settings(tmp_path / "shared" / "csdesk.db", heartbeat=60.0)
    with BackgroundServer(settings) as first, BackgroundServer(settings) as second:
        with httpx.Client(base_url=f"{first.url}/api/v1", timeout=10.0) as client:
            pair = sign_in(client)
        with EventReader(second.url, pair["access_token"]) as stream:
            saved = httpx.put(
                f"{first.url}/api/v1/me/settings",
                json={"data": {"theme": "light"}, "base_version": 0},
                headers=bearer(pair["access_token"]),
            )
            assert saved.status_code == 200, saved.text
            stream.wait_for("settings", lambda d: d["data"] == {"theme": "light"}, DEADLINE)


def test_hub_polls_only_while_streams_are_open(tmp_path: Path) -> None:
    """``csdesk admin`` opens a context too: no poller thread unless a stream subscribes."""
    ctx = ServerContext.open(make_settings(tmp_path / "csdesk.db"))
    try:
        assert ctx.hub._poller is None
        assert ctx.hub.poll_interval == POLL_INTERVAL
        # One look records the newest id (and wakes, in case something landed meanwhile) …
        assert ctx.hub.poll_once() is True and ctx.hub.seen_event_id == 0
        assert ctx.hub.poll_once() is False
        # … an event committed through another connection is noticed at the next look.
        other = ServerContext.open(ServerSettings(db_path=ctx.settings.db_path, seed_demo=False))
        try:
            from csdesk.server.agents import create_agent

            create_agent(other, "B1001", name="测试", team="测试组", password="Abcdef-12345")
            with other.db.write() as session:
                save_settings(session, "B1001", {"theme": "dark"}, 0)
        finally:
            other.close()
        assert ctx.hub.poll_once() is True and ctx.hub.seen_event_id == 1
    finally:
        ctx.close()
    assert ctx.hub._poller is None


def test_server_close_stops_the_poller(
    backend: BackgroundServer, reader: EventReader
) -> None:
    poller = backend.context.hub._poller
    assert poller is not None and poller.is_alive()
    backend.stop()
    assert not poller.is_alive()
