"""Second factors over real HTTP: TOTP codes as strings (leading zeros), and SMS codes.

RFC 6238 codes are 6-digit strings; SMS codes (operating guide §1.2, "手机验证码")
are 6 digits, expire after 300 s, are single use and stored hashed.
"""

from __future__ import annotations

import stat
import time
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import select

from csdesk.server.models import Agent, AuditEvent, SmsCode
from csdesk.server.runner import BackgroundServer
from csdesk.server.security import TOTP_STEP, new_totp_secret, verify_totp
from csdesk.server.seed import DEMO_AGENTS
from csdesk.server.sms import MemorySmsSender, mask_phone
from tests.conftest import bearer, totp_now

DEMO = dict(DEMO_AGENTS[0])
ID = DEMO["employee_id"]


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def _login(api: httpx.Client, agent: dict[str, Any] = DEMO) -> dict[str, Any]:
    response = api.post(
        "/auth/login", json={"employee_id": agent["employee_id"], "password": agent["password"]}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _sms_mfa(api: httpx.Client, ticket: str, code: str) -> httpx.Response:
    return api.post("/auth/mfa", json={"mfa_ticket": ticket, "code": code, "method": "sms"})


def _other(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# -- TOTP: codes are strings ------------------------------------------------------


def test_leading_zero_code_at_a_chosen_time() -> None:
    secret = DEMO["totp_secret"]
    totp = pyotp.TOTP(secret)
    # Find a moment whose code starts with 0 (one step in ten, on average).
    when = next(
        t for t in range(1_700_000_000, 1_700_000_000 + 3000 * TOTP_STEP, TOTP_STEP)
        if totp.at(t).startswith("0")
    )
    code = totp.at(when)
    assert len(code) == 6 and code[0] == "0"
    step = when // TOTP_STEP
    assert verify_totp(secret, code, last_step=None, window=1, now=when) == step
    # The same digits read as a number lose the zero and fail.
    assert verify_totp(secret, str(int(code)), last_step=None, window=1, now=when) is None
    # Replay: the accepted step cannot be used again.
    assert verify_totp(secret, code, last_step=step, window=1, now=when) is None


def test_leading_zero_code_over_http(api: httpx.Client, backend: BackgroundServer) -> None:
    totp_now(DEMO["totp_secret"])  # move away from the end of the step
    step = int(time.time() // TOTP_STEP)
    while True:  # a secret whose code for this step starts with 0
        secret = new_totp_secret()
        code = pyotp.TOTP(secret).generate_otp(step)
        if code.startswith("0"):
            break
    with backend.context.db.write() as session:
        agent = session.get(Agent, ID)
        assert agent is not None
        agent.totp_secret = secret
    ticket = _login(api)["mfa_ticket"]
    _problem(
        api.post("/auth/mfa", json={"mfa_ticket": ticket, "code": str(int(code))}),
        401,
        "invalid-code",
    )
    response = api.post("/auth/mfa", json={"mfa_ticket": ticket, "code": code})
    assert response.status_code == 200, response.text


# -- SMS ------------------------------------------------------------------------------


def test_sms_is_off_by_default(api: httpx.Client) -> None:
    body = _login(api)
    assert body["methods"] == ["totp"]
    ticket = body["mfa_ticket"]
    _problem(api.post("/auth/sms", json={"mfa_ticket": ticket}), 409, "sms-unavailable")
    _problem(_sms_mfa(api, ticket, "123456"), 409, "sms-unavailable")


@pytest.mark.backend_settings(sms_enabled=True)
def test_sms_sign_in(api: httpx.Client, backend: BackgroundServer, sms: MemorySmsSender) -> None:
    body = _login(api)
    assert body["methods"] == ["totp", "sms"]
    ticket = body["mfa_ticket"]
    sent = api.post("/auth/sms", json={"mfa_ticket": ticket})
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"expires_in": 300, "sent_to": "138****1001"}
    [message] = sms.messages
    assert (message.agent_id, message.phone_masked) == (ID, "138****1001")
    code = message.code
    assert len(code) == 6 and code.isdigit()
    assert "5 分钟" in message.text and "5 min" in message.text

    # Stored only as an Argon2id hash.
    with backend.context.db.read() as session:
        row = session.scalar(select(SmsCode))
        assert row is not None
        assert row.code_hash.startswith("$argon2id$") and code not in row.code_hash

    _problem(_sms_mfa(api, ticket, _other(code)), 401, "invalid-code")
    _problem(_sms_mfa(api, ticket, "12345"), 401, "invalid-code")
    pair = _sms_mfa(api, ticket, f"{code[:3]} {code[3:]}")
    assert pair.status_code == 200, pair.text
    assert pair.json()["agent"]["state"]["reason"] == "sign_in"
    assert api.get("/me", headers=bearer(pair.json()["access_token"])).status_code == 200

    # Single use: not on this ticket, not on a new one.
    _problem(_sms_mfa(api, ticket, code), 401, "mfa-ticket-invalid")
    _problem(_sms_mfa(api, _login(api)["mfa_ticket"], code), 401, "invalid-code")

    with backend.context.db.read() as session:
        audits = [
            (a.type, a.detail)
            for a in session.scalars(select(AuditEvent).where(AuditEvent.agent_id == ID))
        ]
    assert audits.count(("sms-sent", None)) == 1
    assert ("sign-in", "sms") in audits
    assert all(code not in (detail or "") for _, detail in audits)


@pytest.mark.backend_settings(sms_enabled=True, sms_max_sends=2)
def test_a_new_code_replaces_the_old_one_and_sends_are_limited(
    api: httpx.Client, sms: MemorySmsSender
) -> None:
    ticket = _login(api)["mfa_ticket"]
    assert api.post("/auth/sms", json={"mfa_ticket": ticket}).status_code == 200
    first = sms.last_code(ID)
    assert api.post("/auth/sms", json={"mfa_ticket": ticket}).status_code == 200
    second = sms.last_code(ID)
    _problem(api.post("/auth/sms", json={"mfa_ticket": ticket}), 429, "too-many-requests")
    assert len(sms.messages) == 2
    if first != second:
        _problem(_sms_mfa(api, ticket, first), 401, "invalid-code")
    assert _sms_mfa(api, ticket, second).status_code == 200


@pytest.mark.backend_settings(sms_enabled=True, sms_code_ttl=1)
def test_sms_code_expires(api: httpx.Client, sms: MemorySmsSender) -> None:
    ticket = _login(api)["mfa_ticket"]
    assert api.post("/auth/sms", json={"mfa_ticket": ticket}).json()["expires_in"] == 1
    time.sleep(1.05)
    _problem(_sms_mfa(api, ticket, sms.last_code(ID)), 401, "invalid-code")


@pytest.mark.backend_settings(sms_enabled=True)
def test_agent_without_a_phone_gets_no_sms(api: httpx.Client, backend: BackgroundServer) -> None:
    with backend.context.db.write() as session:
        agent = session.get(Agent, ID)
        assert agent is not None
        agent.phone = None
    body = _login(api)
    assert body["methods"] == ["totp"]
    _problem(api.post("/auth/sms", json={"mfa_ticket": body["mfa_ticket"]}), 409, "sms-unavailable")


@pytest.mark.backend_settings(sms_enabled=True)
def test_demo_sender_writes_the_code_beside_the_database(
    api: httpx.Client, backend: BackgroundServer
) -> None:
    log = backend.settings.db_path.parent / "sms.log"
    assert backend.settings.sms_log_file == log
    ticket = _login(api)["mfa_ticket"]
    assert api.post("/auth/sms", json={"mfa_ticket": ticket}).status_code == 200
    [line] = log.read_text(encoding="utf-8").splitlines()
    stamp, agent_id, phone, text = line.split("\t")
    assert (agent_id, phone) == (ID, "138****1001")
    assert stamp.endswith("+00:00")
    code = MemorySmsSender()
    code.send(agent_id, phone, text)
    assert _sms_mfa(api, ticket, code.last_code(ID)).status_code == 200
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_phone_masking() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138-1234-5678") == "861******5678"
    assert mask_phone("12345") == "***45"
