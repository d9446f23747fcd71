"""Bad input and broken parts: the desk says what is wrong and loses nothing.

Issue #2 "Bad input": backend down at start and during the session,
malformed replies, a corrupt store file, a second csdesk for the same agent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from csdesk.server.config import ServerSettings
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS
from csdesk.store.local import store_folder
from tests.garbage_server import GarbageServer
from tests.tui.helpers import (
    error_text,
    fresh_code,
    make_app,
    screen_text,
    sign_in_to_desk,
    submit_code,
    submit_login,
    wait_for,
)

AGENT = DEMO_AGENTS[0]


async def test_backend_down_at_start(tmp_path: Path) -> None:
    from csdesk.demo import free_port

    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    app = make_app(url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "backend unreachable" in screen_text(app))
        await submit_login(pilot, AGENT["employee_id"], AGENT["password"])
        await wait_for(pilot, lambda: "cannot be reached" in error_text(app))
        assert app.is_running and app.screen.__class__.__name__ == "LoginScreen"


async def test_backend_lost_during_session_keeps_outbox(tmp_path: Path) -> None:
    from csdesk.demo import free_port

    port = free_port()
    db = tmp_path / "server.db"
    settings = ServerSettings(db_path=db, heartbeat=0.5, **ServerSettings.fast_hashing())
    server = BackgroundServer(settings, port=port)
    server.__enter__()
    app = make_app(server.url, tmp_path / "data")
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in_to_desk(pilot, AGENT)
            session = app.session
            await wait_for(pilot, lambda: session.sync._status and session.sync._status.pending == 0)
            server.__exit__(None, None, None)
            # The stream notices; the header says offline.
            await wait_for(pilot, lambda: "○ offline" in str(app.screen.query_one("AgentBar").render()), timeout=20)
            # A settings change is queued and kept.
            await session.save_settings({"alert": "bell"})
            await wait_for(pilot, lambda: "pending 1" in str(app.screen.query_one("AgentBar").render()))
            # Going Ready needs the server: a clear message, state unchanged.
            await pilot.press("f2")
            await wait_for(pilot, lambda: "cannot be reached" in "".join(n for n in app.notices))
            assert "Not Ready" in str(app.screen.query_one("AgentBar").render())
            outbox_file = store_folder(tmp_path / "data", server.url, AGENT["employee_id"]) / "outbox.json"
            assert "bell" in outbox_file.read_text("utf-8")
            # Backend back on the same port: the queue drains, header online.
            server = BackgroundServer(settings, port=port)
            server.__enter__()
            await wait_for(pilot, lambda: "pending 0" in str(app.screen.query_one("AgentBar").render()), timeout=40)
            assert "online" in str(app.screen.query_one("AgentBar").render())
            settings_now = await session.api.request("GET", "/me/settings")
            assert settings_now.json()["data"]["alert"] == "bell"
    finally:
        server.__exit__(None, None, None)


async def test_reply_that_is_not_json(tmp_path: Path) -> None:
    routes = {
        "/api/v1/health": (200, "text/html", b"<html>proxy login</html>"),
        "/api/v1/auth/login": (502, "text/html", b"<html>Bad gateway</html>"),
    }
    with GarbageServer(routes) as fake:
        app = make_app(fake.url, tmp_path / "data")
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: "backend unreachable" in screen_text(app))
            await submit_login(pilot, AGENT["employee_id"], AGENT["password"])
            await wait_for(pilot, lambda: "unexpected reply" in error_text(app))
            assert "502" in error_text(app)
            assert app.is_running


async def test_reply_with_wrong_fields(tmp_path: Path) -> None:
    routes = {
        "/api/v1/health": (200, "application/json", json.dumps({"status": "ok", "version": "9", "time": "2026-11-29T00:00:00Z"}).encode()),
        "/api/v1/auth/login": (200, "application/json", json.dumps({"ticket": 5}).encode()),
    }
    with GarbageServer(routes) as fake:
        app = make_app(fake.url, tmp_path / "data")
        async with app.run_test(size=(80, 24)) as pilot:
            await submit_login(pilot, AGENT["employee_id"], AGENT["password"])
            await wait_for(pilot, lambda: "unexpected reply" in error_text(app))
            assert "mfa_ticket" in error_text(app)
            assert AGENT["password"] not in error_text(app)


async def test_corrupt_store_file_is_named_and_kept(backend, tmp_path: Path) -> None:
    data = tmp_path / "data"
    folder = store_folder(data, backend.url, AGENT["employee_id"])
    folder.mkdir(parents=True)
    bad = folder / "announcements.json"
    bad.write_bytes(b'{"announcements": {"1": {"id": "x", ')
    before = bad.read_bytes()
    app = make_app(backend.url, data)
    async with app.run_test(size=(80, 24)) as pilot:
        await submit_login(pilot, AGENT["employee_id"], AGENT["password"])
        await submit_code(pilot, fresh_code(AGENT["totp_secret"], backend.url))
        await wait_for(pilot, lambda: "announcements.json" in error_text(app) or "announcements.json" in screen_text(app), timeout=15)
        assert app.is_running
    assert bad.read_bytes() == before


async def test_second_csdesk_for_same_agent_is_refused(backend, tmp_path: Path) -> None:
    data = tmp_path / "data"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from pathlib import Path; from csdesk.store.local import LocalStore;"
         "s = LocalStore.open(Path(sys.argv[1]), sys.argv[2], sys.argv[3]);"
         "print('locked', flush=True); sys.stdin.read()",
         str(data), backend.url, AGENT["employee_id"]],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        app = make_app(backend.url, data)
        async with app.run_test(size=(80, 24)) as pilot:
            await submit_login(pilot, AGENT["employee_id"], AGENT["password"])
            await wait_for(pilot, lambda: "already open" in error_text(app))
            assert app.screen.__class__.__name__ == "LoginScreen"
    finally:
        holder.stdin.close()
        holder.wait(10)
