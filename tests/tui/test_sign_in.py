"""Sign-in to the desk and out again, driving the real TUI against a real backend.

Issue #2, "what a user must be able to do": employee ID + password, TOTP,
announcements (mandatory one acknowledged and recorded on the server), the
desk header, F2 Ready / Not Ready with a reason, F10 sign-out.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from csdesk.server.seed import DEMO_AGENTS
from tests.tui.helpers import (
    reach_desk,
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


def db_row(db_path: Path, sql: str, *args: object) -> tuple | None:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql, args).fetchone()


async def test_full_shift_sign_in_ready_not_ready_sign_out(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "backend reachable" in screen_text(app))
        await submit_login(pilot, AGENT["employee_id"].lower(), AGENT["password"])
        await submit_code(pilot, fresh_code(AGENT["totp_secret"], backend.url))
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "AnnouncementsScreen")
        screen = app.screen
        mandatory = [a for a in screen.items if a.mandatory]
        assert mandatory, "demo data has a mandatory announcement"
        # Newest first.
        dates = [a.published_at for a in screen.items]
        assert dates == sorted(dates, reverse=True)
        # Cannot continue before acknowledging.
        await pilot.press("c")
        await pilot.pause(0.2)
        assert app.screen is screen
        for index, ann in enumerate(screen.items):
            if ann.mandatory:
                screen.query_one("OptionList").highlighted = index
                await pilot.press("a")
        await wait_for(pilot, lambda: all(a.id in screen.acked for a in mandatory))
        await pilot.press("c")
        await reach_desk(pilot)

        # Header: ID, name, Not Ready at sign-in, sync status.
        bar = str(app.screen.query_one("AgentBar").render())
        assert AGENT["employee_id"] in bar and AGENT["name"] in bar
        assert "Not Ready" in bar and "online" in bar

        # The acknowledgement reaches the server through the outbox.
        session = app.session
        await wait_for(pilot, lambda: session.sync._status and session.sync._status.pending == 0)
        for ann in mandatory:
            row = db_row(
                backend.context.settings.db_path,
                "select count(*) from announcement_acks where announcement_id=? and agent_id=?",
                ann.id, AGENT["employee_id"],
            )
            assert row and row[0] == 1

        # F2: Ready on the server.
        await pilot.press("f2")
        await wait_for(pilot, lambda: "Ready" in str(app.screen.query_one("AgentBar").render())
                       and "Not Ready" not in str(app.screen.query_one("AgentBar").render()))
        me = await session.api.me()
        assert me.state.state.value == "ready"

        # F2 again: asks a reason; 2 = meal.
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ReasonScreen")
        await pilot.press("2")
        await wait_for(pilot, lambda: "meal" in str(app.screen.query_one("AgentBar").render()))
        me = await session.api.me()
        assert (me.state.state.value, me.state.reason.value) == ("not_ready", "meal")
        token = session.api.access_token

        # F10: confirm, then Offline on the server and the token revoked.
        await pilot.press("f10")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: app._exit_renderables is not None or not app.is_running, timeout=10)
    state = db_row(backend.context.settings.db_path, "select state from agents where employee_id=?", AGENT["employee_id"])
    assert state == ("offline",)
    async with httpx.AsyncClient(base_url=backend.url) as http:
        answer = await http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_wrong_password_and_unknown_id_say_the_same(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await submit_login(pilot, AGENT["employee_id"], "wrong-password")
        await wait_for(pilot, lambda: "wrong" in error_text(app))
        first = error_text(app)
        await submit_login(pilot, "Z9999", "wrong-password")
        await pilot.pause(0.3)
        await wait_for(pilot, lambda: "wrong" in error_text(app))
        assert error_text(app) == first == "Employee ID or password is wrong."
        assert app.screen.__class__.__name__ == "LoginScreen"


async def test_bad_codes_are_refused_with_a_clear_message(backend, tmp_path: Path) -> None:
    import pyotp
    import time

    app = make_app(backend.url, tmp_path / "data")
    secret = AGENT["totp_secret"]
    async with app.run_test(size=(80, 24)) as pilot:
        await submit_login(pilot, AGENT["employee_id"], AGENT["password"])
        # Not six digits: refused on the form, nothing sent.
        await submit_code(pilot, "12345")
        await wait_for(pilot, lambda: "6 digits" in error_text(app))
        # An old code (3 steps ago) is refused by the server.
        old = pyotp.TOTP(secret).at(time.time() - 90)
        await submit_code(pilot, old)
        await wait_for(pilot, lambda: "Wrong or already used code" in error_text(app))
        # A good code typed with a space in the middle works.
        code = fresh_code(secret, backend.url)
        await submit_code(pilot, f"{code[:3]} {code[3:]}")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ in ("AnnouncementsScreen", "DeskScreen"))
    # The same code again, on a second sign-in, is a replay.
    app2 = make_app(backend.url, tmp_path / "data2")
    async with app2.run_test(size=(80, 24)) as pilot:
        await submit_login(pilot, AGENT["employee_id"], AGENT["password"])
        await submit_code(pilot, code)
        await wait_for(pilot, lambda: "Wrong or already used code" in error_text(app2))


async def test_chinese_ui_from_lang(backend, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    from csdesk.app import CsdeskApp

    app = CsdeskApp(backend.url, tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "坐席登录" in screen_text(app))
        await submit_login(pilot, AGENT["employee_id"], "nope")
        await wait_for(pilot, lambda: "工号或密码错误" in error_text(app))
