"""First sign-in (operating guide §1.1, §1.3): temporary password, forced change, TOTP enrolment.

Real HTTP over loopback. ``A1004`` (``DEMO_FIRST_SIGN_IN``) has a temporary
password and no authenticator; the three other demo agents sign in as before.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import select

from tests.conftest import TOTP_STEP, bearer, make_settings, totp_now
from csdesk.domain.password_policy import PasswordPolicy
from csdesk.server.db import utcnow
from csdesk.server.models import Agent, AuditEvent, PasswordHistory
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS, DEMO_FIRST_SIGN_IN

NEW = DEMO_FIRST_SIGN_IN
NEW_ID = NEW["employee_id"]
CHOSEN = "Harbour#2027q"


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["type"] == f"https://csdesk.dev/problems/{code}"
    return body


def _login(api: httpx.Client, employee_id: str, password: str) -> dict[str, Any]:
    response = api.post("/auth/login", json={"employee_id": employee_id, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _first_login(api: httpx.Client) -> str:
    return str(_login(api, NEW_ID, NEW["password"])["mfa_ticket"])


def _change(api: httpx.Client, ticket: str, new_password: str) -> httpx.Response:
    return api.post("/auth/password", json={"mfa_ticket": ticket, "new_password": new_password})


def _fresh_code(secret: str) -> str:
    """A code for the current step with at least 2 s left in it (see ``conftest.totp_now``)."""
    return totp_now(secret)


# -- a backend shared by the read-only checks of this module -------------------


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """One backend for tests that only read or only get refused (nothing they do sticks)."""
    folder: Path = tmp_path_factory.mktemp("first-sign-in")
    with BackgroundServer(make_settings(folder / "csdesk.db")) as server:
        with httpx.Client(base_url=f"{server.url}/api/v1", timeout=10.0) as client:
            yield client


def test_existing_demo_agents_are_not_asked_to_change(shared: httpx.Client) -> None:
    for agent in DEMO_AGENTS:
        body = _login(shared, agent["employee_id"], agent["password"])
        assert body["password_change_required"] is False
        assert body["password_expires_in_days"] is None
        assert body["totp_enrolled"] is True
        assert body["methods"] == ["totp"]


def test_first_sign_in_agent_must_change_and_enrol(shared: httpx.Client) -> None:
    body = _login(shared, NEW_ID, NEW["password"])
    assert body["password_change_required"] is True
    assert body["password_expires_in_days"] is None
    assert body["totp_enrolled"] is False
    assert body["methods"] == ["totp"]
    assert body["expires_in"] == 300


def test_password_policy_is_published(shared: httpx.Client) -> None:
    response = shared.get("/auth/password-policy")
    assert response.status_code == 200
    view = response.json()
    assert PasswordPolicy.from_mapping(view) == PasswordPolicy()
    assert [rule["rule"] for rule in view["rules"]] == [
        "length", "upper", "lower", "digit", "symbol", "employee_id", "history",
    ]
    assert view["rules"][0] == {
        "rule": "length",
        "message_key": "password.rule.length",
        "params": {"min": 10},
        "message": "At least 10 characters.",
    }


@pytest.mark.parametrize(
    ("candidate", "rule"),
    [
        ("Harb#27q", "length"),
        ("harbour#2027q", "upper"),
        ("HARBOUR#2027Q", "lower"),
        ("Harbour#abcdq", "digit"),
        ("Harbour02027q", "symbol"),
        ("Xa1004#Harbour", "employee_id"),
        (NEW["password"], "history"),  # the current (temporary) password
    ],
)
def test_each_policy_violation_is_refused_on_its_own(
    shared: httpx.Client, candidate: str, rule: str
) -> None:
    ticket = _first_login(shared)
    body = _problem(_change(shared, ticket, candidate), 422, "password-policy")
    assert [error["rule"] for error in body["errors"]] == [rule]
    assert body["errors"][0]["message"]
    assert candidate not in str(body)


def test_everything_else_waits_for_the_password_change(shared: httpx.Client) -> None:
    ticket = _first_login(shared)
    for path, extra in (
        ("/auth/mfa", {"code": "123456"}),
        ("/auth/mfa", {"code": "123456", "method": "sms"}),
        ("/auth/totp/enrol", {}),
        ("/auth/totp/confirm", {"code": "123456"}),
        ("/auth/sms", {}),
    ):
        response = shared.post(path, json={"mfa_ticket": ticket, **extra})
        _problem(response, 403, "password-change-required")


def test_change_is_refused_when_none_is_due_or_the_ticket_is_bad(shared: httpx.Client) -> None:
    agent = DEMO_AGENTS[0]
    ticket = _login(shared, agent["employee_id"], agent["password"])["mfa_ticket"]
    _problem(_change(shared, ticket, CHOSEN), 409, "password-change-not-required")
    _problem(_change(shared, "made-up", CHOSEN), 401, "mfa-ticket-invalid")


def test_enrolment_is_refused_for_an_enrolled_agent(shared: httpx.Client) -> None:
    agent = DEMO_AGENTS[1]
    ticket = _login(shared, agent["employee_id"], agent["password"])["mfa_ticket"]
    enrol = shared.post("/auth/totp/enrol", json={"mfa_ticket": ticket})
    _problem(enrol, 409, "totp-already-enrolled")
    _problem(
        shared.post("/auth/totp/confirm", json={"mfa_ticket": ticket, "code": "123456"}),
        409,
        "totp-already-enrolled",
    )


# -- the whole first sign-in, each on a fresh backend --------------------------


def test_first_sign_in_end_to_end(api: httpx.Client, backend: BackgroundServer) -> None:
    ticket = _first_login(api)
    assert _change(api, ticket, CHOSEN).status_code == 204

    # Same ticket, next step: the authenticator. TOTP at /auth/mfa is not possible yet.
    _problem(
        api.post("/auth/mfa", json={"mfa_ticket": ticket, "code": "123456"}),
        403,
        "totp-enrolment-required",
    )
    _problem(
        api.post("/auth/totp/confirm", json={"mfa_ticket": ticket, "code": "123456"}),
        403,
        "totp-enrolment-required",
    )
    first = api.post("/auth/totp/enrol", json={"mfa_ticket": ticket})
    assert first.status_code == 200, first.text
    again = api.post("/auth/totp/enrol", json={"mfa_ticket": ticket}).json()
    secret = again["secret"]
    assert secret != first.json()["secret"]  # a new call replaces the pending secret
    assert len(secret) == 32 and set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert again["otpauth_uri"] == (
        f"otpauth://totp/csdesk:{NEW_ID}?secret={secret}&issuer=csdesk"
    )
    assert again["otpauth_uri"] == pyotp.TOTP(secret).provisioning_uri(
        name=NEW_ID, issuer_name="csdesk"
    )

    # The replaced secret no longer works; the new one does, typed with a space.
    old_code = _fresh_code(first.json()["secret"])
    code = _fresh_code(secret)
    if old_code != code:
        _problem(
            api.post("/auth/totp/confirm", json={"mfa_ticket": ticket, "code": old_code}),
            401,
            "invalid-code",
        )
    confirmed = api.post(
        "/auth/totp/confirm", json={"mfa_ticket": ticket, "code": f"{code[:3]} {code[3:]}"}
    )
    assert confirmed.status_code == 200, confirmed.text
    pair = confirmed.json()
    assert pair["agent"]["employee_id"] == NEW_ID
    assert pair["agent"]["name"] == "陈静"
    assert pair["agent"]["state"]["reason"] == "sign_in"
    assert api.get("/me", headers=bearer(pair["access_token"])).status_code == 200
    # The ticket is used up.
    _problem(
        api.post("/auth/totp/confirm", json={"mfa_ticket": ticket, "code": code}),
        401,
        "mfa-ticket-invalid",
    )

    # Next sign-in: the old temporary password is gone, the new one needs no change.
    wrong = api.post(
        "/auth/login", json={"employee_id": NEW_ID, "password": NEW["password"]}
    )
    _problem(wrong, 401, "invalid-credentials")
    body = _login(api, NEW_ID, CHOSEN)
    assert body["password_change_required"] is False
    assert body["totp_enrolled"] is True
    # The code used at enrolment cannot be replayed (RFC 6238 §5.2).
    _problem(
        api.post("/auth/mfa", json={"mfa_ticket": body["mfa_ticket"], "code": code}),
        401,
        "invalid-code",
    )
    nxt = pyotp.TOTP(secret).generate_otp(int(time.time() // TOTP_STEP) + 1)
    assert api.post(
        "/auth/mfa", json={"mfa_ticket": body["mfa_ticket"], "code": nxt}
    ).status_code == 200

    with backend.context.db.read() as session:
        agent = session.get(Agent, NEW_ID)
        assert agent is not None
        assert agent.must_change_password is False
        assert agent.totp_secret == secret
        history = list(
            session.scalars(select(PasswordHistory).where(PasswordHistory.agent_id == NEW_ID))
        )
        assert len(history) == 2 and all(h.password_hash.startswith("$argon2id$") for h in history)
        audits = [
            (a.type, a.detail)
            for a in session.scalars(select(AuditEvent).where(AuditEvent.agent_id == NEW_ID))
        ]
    assert [a for a in audits if a[0] != "sign-in-failed"] == [
        ("password-changed", "temporary"),
        ("totp-enrolled", None),
        ("sign-in", "totp-enrol"),
        ("sign-in", "totp"),
    ]
    assert ("sign-in-failed", "bad-password") in audits  # the old temporary password
    assert ("sign-in-failed", "bad-code") in audits  # the replayed code
    assert all(CHOSEN not in (detail or "") for _, detail in audits)


def test_wrong_confirmation_codes_count_on_the_ticket(
    api: httpx.Client, backend: BackgroundServer
) -> None:
    ticket = _first_login(api)
    assert _change(api, ticket, CHOSEN).status_code == 204
    secret = api.post("/auth/totp/enrol", json={"mfa_ticket": ticket}).json()["secret"]
    right = _fresh_code(secret)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    for _ in range(backend.settings.mfa_max_attempts):
        _problem(
            api.post("/auth/totp/confirm", json={"mfa_ticket": ticket, "code": wrong}),
            401,
            "invalid-code",
        )
    _problem(
        api.post("/auth/totp/confirm", json={"mfa_ticket": ticket, "code": _fresh_code(secret)}),
        401,
        "mfa-ticket-invalid",
    )
    with backend.context.db.read() as session:
        agent = session.get(Agent, NEW_ID)
        assert agent is not None and agent.totp_secret == ""


def test_expired_password_must_be_changed(api: httpx.Client, backend: BackgroundServer) -> None:
    agent = DEMO_AGENTS[0]
    with backend.context.db.write() as session:
        row = session.get(Agent, agent["employee_id"])
        assert row is not None
        row.password_changed_at = utcnow() - timedelta(days=91)
    body = _login(api, agent["employee_id"], agent["password"])
    assert body["password_change_required"] is True
    assert body["totp_enrolled"] is True
    ticket = body["mfa_ticket"]
    _problem(
        api.post("/auth/mfa", json={"mfa_ticket": ticket, "code": totp_now(agent["totp_secret"])}),
        403,
        "password-change-required",
    )
    _problem(_change(api, ticket, agent["password"]), 422, "password-policy")  # reuse
    assert _change(api, ticket, "Lantern#2027k").status_code == 204
    pair = api.post(
        "/auth/mfa", json={"mfa_ticket": ticket, "code": totp_now(agent["totp_secret"])}
    )
    assert pair.status_code == 200, pair.text
    with backend.context.db.read() as session:
        audits = list(
            session.scalars(select(AuditEvent).where(AuditEvent.type == "password-changed"))
        )
    assert [(a.agent_id, a.detail) for a in audits] == [(agent["employee_id"], "expired")]


def test_expiry_warning_days(api: httpx.Client, backend: BackgroundServer) -> None:
    agent = DEMO_AGENTS[2]
    for age_days, expected in ((0, None), (82, None), (83.5, 7), (89.9, 1)):
        with backend.context.db.write() as session:
            row = session.get(Agent, agent["employee_id"])
            assert row is not None
            row.password_changed_at = utcnow() - timedelta(days=age_days)
        body = _login(api, agent["employee_id"], agent["password"])
        assert body["password_change_required"] is False, age_days
        assert body["password_expires_in_days"] == expected, age_days


@pytest.mark.backend_settings(password_policy=PasswordPolicy(min_length=14, max_age_days=0))
def test_policy_is_configurable(api: httpx.Client, backend: BackgroundServer) -> None:
    view = api.get("/auth/password-policy").json()
    assert view["min_length"] == 14 and view["max_age_days"] == 0
    with backend.context.db.write() as session:
        row = session.get(Agent, DEMO_AGENTS[0]["employee_id"])
        assert row is not None
        row.password_changed_at = utcnow() - timedelta(days=3650)
    body = _login(api, DEMO_AGENTS[0]["employee_id"], DEMO_AGENTS[0]["password"])
    assert body["password_change_required"] is False  # max_age_days=0: never expires
    ticket = _first_login(api)
    failed = _problem(_change(api, ticket, CHOSEN), 422, "password-policy")  # 13 characters
    assert [e["rule"] for e in failed["errors"]] == ["length"]
    assert failed["errors"][0]["message"] == "At least 14 characters."
    assert _change(api, ticket, CHOSEN + "Z").status_code == 204
