"""Lockout, the idle-lock re-authentication and a signed-in password change, over real HTTP.

Operating guide §1.2 / issue #3: 5 failed passwords in a row lock the account
for 15 minutes; a wrong password and an unknown employee ID get the same
answer; failed and successful sign-ins are audit events.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from csdesk.server.agent_admin import unlock_agent
from csdesk.server.db import utcnow
from csdesk.server.models import Agent, AuditEvent
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS
from tests.conftest import bearer

DEMO = dict(DEMO_AGENTS[0])
ID = DEMO["employee_id"]


def _login(api: httpx.Client, employee_id: str, password: str) -> httpx.Response:
    return api.post("/auth/login", json={"employee_id": employee_id, "password": password})


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def _fail(api: httpx.Client, employee_id: str, times: int) -> list[httpx.Response]:
    return [_login(api, employee_id, f"Wrong#{i}pass") for i in range(times)]


def _audits(backend: BackgroundServer, *types: str) -> list[tuple[str | None, str, str | None]]:
    with backend.context.db.read() as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.type.in_(types)).order_by(AuditEvent.id)
        )
        return [(r.agent_id, r.type, r.detail) for r in rows]


def test_five_failures_lock_the_account_for_fifteen_minutes(
    api: httpx.Client, backend: BackgroundServer
) -> None:
    before = utcnow()
    answers = _fail(api, ID, 5)
    for response in answers[:4]:
        _problem(response, 401, "invalid-credentials")
    locked = _problem(answers[4], 423, "account-locked")
    until = datetime.fromisoformat(locked["locked_until"])
    assert before + timedelta(minutes=15) <= until <= utcnow() + timedelta(minutes=15)
    assert locked["status"] == 423
    assert locked["type"] == "https://csdesk.dev/problems/account-locked"
    assert until.isoformat(timespec="seconds") in locked["detail"]

    # Locked: even the right password is refused, and the lock is not extended.
    again = _problem(_login(api, ID, DEMO["password"]), 423, "account-locked")
    assert again["locked_until"] == locked["locked_until"]
    # Other agents are not affected.
    other = DEMO_AGENTS[1]
    assert _login(api, other["employee_id"], other["password"]).status_code == 200

    assert _audits(backend, "sign-in-failed", "account-locked") == [
        *[(ID, "sign-in-failed", "bad-password")] * 4,
        (ID, "sign-in-failed", "bad-password"),
        (ID, "account-locked", "5 failed passwords"),
        (ID, "sign-in-failed", "locked"),
    ]


def test_unknown_id_locks_exactly_like_a_known_one(api: httpx.Client) -> None:
    known = _fail(api, ID, 5)
    unknown = _fail(api, "Z9999", 5)
    for a, b in zip(known[:4], unknown[:4], strict=True):
        assert a.status_code == b.status_code == 401
        assert a.json() == b.json()
        assert a.headers["www-authenticate"] == b.headers["www-authenticate"]
    locked_known = _problem(known[4], 423, "account-locked")
    locked_unknown = _problem(unknown[4], 423, "account-locked")
    assert set(locked_known) == set(locked_unknown)
    assert locked_known["title"] == locked_unknown["title"]
    # Same shape and words; only the time differs.
    assert locked_known["detail"].rsplit(" ", 1)[0] == locked_unknown["detail"].rsplit(" ", 1)[0]


def test_unknown_id_and_wrong_password_take_the_same_time(api: httpx.Client) -> None:
    def timed(employee_id: str) -> float:
        started = time.perf_counter()
        assert _login(api, employee_id, "Wrong#pass1").status_code == 401
        return time.perf_counter() - started

    # Alternate, 4 of each (under the threshold), and compare medians generously:
    # both run one Argon2 check and the same two write transactions.
    known, unknown = [], []
    for i in range(4):
        known.append(timed(ID))
        unknown.append(timed(f"Z{9000 + i}"))
    known.sort()
    unknown.sort()
    assert abs(known[2] - unknown[2]) < 0.05


def test_a_success_forgives_the_failures_in_a_row(api: httpx.Client) -> None:
    for response in _fail(api, ID, 4):
        _problem(response, 401, "invalid-credentials")
    assert _login(api, ID, DEMO["password"]).status_code == 200
    for response in _fail(api, ID, 4):
        _problem(response, 401, "invalid-credentials")
    assert _login(api, ID, DEMO["password"]).status_code == 200


@pytest.mark.backend_settings(lockout_duration=1.0, lockout_threshold=3)
def test_the_lock_ends_by_itself(api: httpx.Client) -> None:
    answers = _fail(api, ID, 3)
    _problem(answers[2], 423, "account-locked")
    _problem(_login(api, ID, DEMO["password"]), 423, "account-locked")
    time.sleep(1.05)
    assert _login(api, ID, DEMO["password"]).status_code == 200
    # The count started again from zero.
    for response in _fail(api, ID, 2):
        _problem(response, 401, "invalid-credentials")


def test_an_administrator_can_unlock(api: httpx.Client, backend: BackgroundServer) -> None:
    _fail(api, ID, 5)
    _problem(_login(api, ID, DEMO["password"]), 423, "account-locked")
    assert unlock_agent(backend.context, ID, actor="tester") is True
    assert _login(api, ID, DEMO["password"]).status_code == 200
    assert unlock_agent(backend.context, ID) is False
    assert (ID, "admin", "unlock by tester") in _audits(backend, "admin")


def test_sign_ins_are_audited(
    api: httpx.Client, backend: BackgroundServer, sign_in: Any
) -> None:
    _fail(api, ID, 1)
    sign_in(api)
    assert _audits(backend, "sign-in", "sign-in-failed") == [
        (ID, "sign-in-failed", "bad-password"),
        (ID, "sign-in", "totp"),
    ]


# -- the idle lock --------------------------------------------------------------


def _reauth(api: httpx.Client, token: str, password: str) -> httpx.Response:
    return api.post("/auth/reauth", json={"password": password}, headers=bearer(token))


def test_reauth_unlocks_with_the_password_only(
    api: httpx.Client, backend: BackgroundServer, sign_in: Any
) -> None:
    token = sign_in(api)["access_token"]
    ok = _reauth(api, token, DEMO["password"])
    assert ok.status_code == 204 and ok.content == b""
    wrong = _problem(_reauth(api, token, "Wrong#pass1"), 401, "invalid-credentials")
    assert wrong["detail"] == _login(api, ID, "Wrong#pass2").json()["detail"]
    _problem(api.post("/auth/reauth", json={"password": DEMO["password"]}), 401, "unauthorized")
    assert api.get("/me", headers=bearer(token)).status_code == 200  # session untouched
    assert _audits(backend, "reauth", "reauth-failed") == [
        (ID, "reauth", "idle-lock"),
        (ID, "reauth-failed", "idle-lock:bad-password"),
    ]


def test_reauth_failures_count_toward_lockout_and_end_the_sign_in(
    api: httpx.Client, backend: BackgroundServer, sign_in: Any
) -> None:
    pair = sign_in(api)
    token = pair["access_token"]
    _fail(api, ID, 2)  # at the login screen elsewhere
    for _ in range(2):
        _problem(_reauth(api, token, "Wrong#pass1"), 401, "invalid-credentials")
    locked = _problem(_reauth(api, token, "Wrong#pass1"), 423, "account-locked")
    assert locked["locked_until"]
    # The sign-in has ended: tokens revoked, agent Offline.
    _problem(api.get("/me", headers=bearer(token)), 401, "unauthorized")
    _problem(
        api.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}),
        401,
        "unauthorized",
    )
    with backend.context.db.read() as session:
        agent = session.get(Agent, ID)
        assert agent is not None and agent.state == "offline"
    _problem(_login(api, ID, DEMO["password"]), 423, "account-locked")


# -- a signed-in agent changes the password --------------------------------------


def _put_password(api: httpx.Client, token: str, current: str, new: str) -> httpx.Response:
    return api.put(
        "/me/password",
        json={"current_password": current, "new_password": new},
        headers=bearer(token),
    )


def test_change_my_password(api: httpx.Client, backend: BackgroundServer, sign_in: Any) -> None:
    other = sign_in(api)  # another terminal
    mine = sign_in(api)
    token = mine["access_token"]
    _problem(_put_password(api, token, "Wrong#pass1", "Lantern#2027k"), 401, "invalid-credentials")
    weak = _problem(_put_password(api, token, DEMO["password"], "lantern"), 422, "password-policy")
    assert {e["rule"] for e in weak["errors"]} == {"length", "upper", "digit", "symbol"}
    assert _put_password(api, token, DEMO["password"], "Lantern#2027k").status_code == 204
    # This sign-in stays; the other one is revoked; the new password signs in.
    assert api.get("/me", headers=bearer(token)).status_code == 200
    _problem(api.get("/me", headers=bearer(other["access_token"])), 401, "unauthorized")
    _problem(_login(api, ID, DEMO["password"]), 401, "invalid-credentials")
    body = _login(api, ID, "Lantern#2027k").json()
    assert body["password_change_required"] is False
    assert (ID, "password-changed", "self") in _audits(backend, "password-changed")


def test_a_password_from_the_last_five_is_refused(api: httpx.Client, sign_in: Any) -> None:
    token = sign_in(api)["access_token"]
    previous = [DEMO["password"]] + [f"Rotate#{n}2027x" for n in range(1, 6)]
    for old, new in zip(previous, previous[1:], strict=False):
        assert _put_password(api, token, old, new).status_code == 204
    current = previous[-1]
    # The last five (Rotate#1 … Rotate#5, the current one included) are refused …
    for reused in previous[1:]:
        body = _problem(_put_password(api, token, current, reused), 422, "password-policy")
        assert body["errors"] == [
            {"rule": "history", "message": "Must differ from your last 5 passwords."}
        ]
    # … the sixth one back is allowed again.
    assert _put_password(api, token, current, previous[0]).status_code == 204
