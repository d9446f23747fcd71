"""Sign-in (password + TOTP), refresh rotation and sign-out over real HTTP."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from csdesk.server.models import Agent, AuditEvent
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS

DEMO = dict(DEMO_AGENTS[0])
SECRET = DEMO["totp_secret"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _login(api: httpx.Client, agent: dict[str, Any] = DEMO) -> str:
    response = api.post(
        "/auth/login", json={"employee_id": agent["employee_id"], "password": agent["password"]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["methods"] == ["totp"]
    assert body["expires_in"] == 300
    return str(body["mfa_ticket"])


def _mfa(api: httpx.Client, ticket: str, code: str) -> httpx.Response:
    return api.post("/auth/mfa", json={"mfa_ticket": ticket, "code": code})


def _assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"] == f"https://csdesk.dev/problems/{code}"
    assert "Traceback" not in response.text
    return dict(body)


def test_full_sign_in(totp: Any, api: httpx.Client) -> None:
    ticket = _login(api, {**DEMO, "employee_id": " a1001 "})  # normalised
    response = _mfa(api, ticket, totp(SECRET))
    assert response.status_code == 200, response.text
    pair = response.json()
    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == 3600
    assert pair["refresh_expires_in"] == 36000
    assert pair["access_token"] != pair["refresh_token"]
    assert pair["agent"]["employee_id"] == "A1001"
    assert pair["agent"]["name"] == "张伟"
    assert pair["agent"]["state"]["state"] == "not_ready"
    assert pair["agent"]["state"]["reason"] == "sign_in"

    me = api.get("/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 200
    assert me.json()["team"] == "零售客服一组"
    assert me.json()["state"]["reason"] == "sign_in"


def test_wrong_password_and_unknown_id_answer_the_same(
    api: httpx.Client, backend: BackgroundServer
) -> None:
    wrong = api.post("/auth/login", json={"employee_id": "A1001", "password": "not-the-password"})
    unknown = api.post("/auth/login", json={"employee_id": "Z9999", "password": "not-the-password"})
    malformed = api.post("/auth/login", json={"employee_id": "no such id!", "password": "x"})
    body = _assert_problem(wrong, 401, "invalid-credentials")
    assert unknown.json() == body
    assert malformed.json() == body
    assert unknown.status_code == malformed.status_code == 401
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"]

    with backend.context.db.read() as session:
        rows = list(session.scalars(select(AuditEvent).where(AuditEvent.type == "sign-in-failed")))
    assert [(r.agent_id, r.detail) for r in rows] == [
        ("A1001", "bad-password"),
        (None, "unknown-id"),
        (None, "unknown-id"),
    ]
    assert all("not-the-password" not in (r.detail or "") for r in rows)


def test_wrong_code_is_refused_and_the_ticket_survives(totp: Any, api: httpx.Client) -> None:
    ticket = _login(api)
    right = totp(SECRET)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    _assert_problem(_mfa(api, ticket, wrong), 401, "invalid-code")
    _assert_problem(_mfa(api, ticket, "12345"), 401, "invalid-code")  # not six digits
    assert _mfa(api, ticket, totp(SECRET)).status_code == 200


def test_code_from_two_steps_ago_is_refused(totp: Any, api: httpx.Client) -> None:
    ticket = _login(api)
    old = totp(SECRET, -2)
    if old in {totp(SECRET, k) for k in (-1, 0, 1)}:
        pytest.skip("codes collide this step (1 in ~300 000)")
    _assert_problem(_mfa(api, ticket, old), 401, "invalid-code")


def test_previous_step_is_accepted(totp: Any, api: httpx.Client) -> None:
    ticket = _login(api)
    assert _mfa(api, ticket, totp(SECRET, -1)).status_code == 200


def test_next_step_is_accepted(totp: Any, api: httpx.Client) -> None:
    ticket = _login(api)
    assert _mfa(api, ticket, totp(SECRET, +1)).status_code == 200


def test_used_code_is_refused_and_so_is_an_older_step(totp: Any, api: httpx.Client) -> None:
    code = totp(SECRET)
    assert _mfa(api, _login(api), code).status_code == 200
    # RFC 6238 §5.2: the same code (same step) must not be accepted twice ...
    _assert_problem(_mfa(api, _login(api), code), 401, "invalid-code")
    # ... nor a step before the last accepted one.
    _assert_problem(_mfa(api, _login(api), totp(SECRET, -1)), 401, "invalid-code")


def test_code_with_spaces_or_hyphen_is_accepted(totp: Any, api: httpx.Client) -> None:
    code = totp(SECRET)
    assert _mfa(api, _login(api), f" {code[:3]} {code[3:]} ").status_code == 200
    nxt = totp(SECRET, +1)
    assert _mfa(api, _login(api), f"{nxt[:3]}-{nxt[3:]}").status_code == 200


def test_ticket_is_single_use(totp: Any, api: httpx.Client) -> None:
    ticket = _login(api)
    assert _mfa(api, ticket, totp(SECRET)).status_code == 200
    _assert_problem(_mfa(api, ticket, totp(SECRET, +1)), 401, "mfa-ticket-invalid")
    _assert_problem(_mfa(api, "made-up-ticket", "123456"), 401, "mfa-ticket-invalid")


def test_ticket_dies_after_too_many_wrong_codes(
    totp: Any, api: httpx.Client, backend: BackgroundServer
) -> None:
    ticket = _login(api)
    right = totp(SECRET)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    for _ in range(backend.settings.mfa_max_attempts):
        _assert_problem(_mfa(api, ticket, wrong), 401, "invalid-code")
    _assert_problem(_mfa(api, ticket, totp(SECRET)), 401, "mfa-ticket-invalid")


def test_missing_or_bad_token_is_unauthorized(api: httpx.Client) -> None:
    missing = api.get("/me")
    _assert_problem(missing, 401, "unauthorized")
    assert missing.headers["www-authenticate"].startswith("Bearer")
    _assert_problem(api.get("/me", headers=bearer("not-a-token")), 401, "unauthorized")
    _assert_problem(api.get("/me", headers={"Authorization": "Basic eDp5"}), 401, "unauthorized")


@pytest.mark.backend_settings(access_ttl=1)
def test_expired_access_token_says_token_expired(api: httpx.Client, sign_in: Any) -> None:
    pair = sign_in(api)
    assert pair["expires_in"] == 1
    time.sleep(1.2)
    _assert_problem(api.get("/me", headers=bearer(pair["access_token"])), 401, "token-expired")
    fresh = api.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert fresh.status_code == 200
    assert api.get("/me", headers=bearer(fresh.json()["access_token"])).status_code == 200


def test_refresh_rotates_and_a_replayed_refresh_token_revokes_the_sign_in(
    api: httpx.Client, sign_in: Any
) -> None:
    pair = sign_in(api)
    first = api.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert first.status_code == 200, first.text
    rotated = first.json()
    assert rotated["refresh_token"] != pair["refresh_token"]
    assert rotated["access_token"] != pair["access_token"]
    assert rotated["refresh_expires_in"] <= pair["refresh_expires_in"]  # absolute end kept
    assert api.get("/me", headers=bearer(rotated["access_token"])).status_code == 200

    # The old refresh token is spent; presenting it again looks like theft.
    _assert_problem(
        api.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}),
        401,
        "unauthorized",
    )
    _assert_problem(api.get("/me", headers=bearer(rotated["access_token"])), 401, "unauthorized")
    _assert_problem(
        api.post("/auth/refresh", json={"refresh_token": rotated["refresh_token"]}),
        401,
        "unauthorized",
    )


def test_logout_goes_offline_and_revokes_the_tokens(
    api: httpx.Client, sign_in: Any, backend: BackgroundServer
) -> None:
    other = sign_in(api, dict(DEMO_AGENTS[1]))
    pair = sign_in(api)
    response = api.post("/auth/logout", headers=bearer(pair["access_token"]))
    assert response.status_code == 204
    assert response.content == b""

    _assert_problem(api.get("/me", headers=bearer(pair["access_token"])), 401, "unauthorized")
    _assert_problem(
        api.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}),
        401,
        "unauthorized",
    )
    # Another agent's sign-in is untouched.
    assert api.get("/me", headers=bearer(other["access_token"])).status_code == 200

    again = sign_in(api)
    assert again["agent"]["state"]["state"] == "not_ready"
    with backend.context.db.read() as session:
        types = [
            r.type
            for r in session.scalars(select(AuditEvent).where(AuditEvent.agent_id == "A1001"))
        ]
    assert types == ["sign-in", "sign-out", "sign-in"]


def test_logout_state_is_offline_on_the_server(
    api: httpx.Client, sign_in: Any, backend: BackgroundServer
) -> None:
    pair = sign_in(api)
    assert api.post("/auth/logout", headers=bearer(pair["access_token"])).status_code == 204
    with backend.context.db.read() as session:
        agent = session.get(Agent, "A1001")
        assert agent is not None
        assert (agent.state, agent.state_reason) == ("offline", None)
