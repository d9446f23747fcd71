"""``/me``: profile, state machine and settings (version conflicts, idempotency)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from csdesk.server.models import AuditEvent, IdempotencyKey
from csdesk.server.runner import BackgroundServer


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def auth(api: httpx.Client, sign_in: Any) -> dict[str, str]:
    """Headers of a signed-in A1001."""
    return bearer(sign_in(api)["access_token"])


def _problem_code(response: httpx.Response) -> str:
    assert response.headers["content-type"] == "application/problem+json"
    return str(response.json()["code"])


def test_me(api: httpx.Client, auth: dict[str, str]) -> None:
    body = api.get("/me", headers=auth).json()
    assert body["employee_id"] == "A1001"
    assert body["state"]["state"] == "not_ready"
    assert body["server_time"].endswith("Z")


def test_state_toggles(api: httpx.Client, auth: dict[str, str]) -> None:
    ready = api.put("/me/state", headers=auth, json={"state": "ready"})
    assert ready.status_code == 200, ready.text
    assert ready.json()["state"] == "ready"
    assert ready.json()["reason"] is None

    brk = api.put("/me/state", headers=auth, json={"state": "not_ready", "reason": "break"})
    assert brk.status_code == 200
    assert brk.json() == {**brk.json(), "state": "not_ready", "reason": "break"}
    assert brk.json()["since"] >= ready.json()["since"]

    meal = api.put("/me/state", headers=auth, json={"state": "not_ready", "reason": "meal"})
    assert meal.json()["reason"] == "meal"
    assert api.put("/me/state", headers=auth, json={"state": "ready"}).json()["state"] == "ready"
    assert api.get("/me", headers=auth).json()["state"]["state"] == "ready"


def test_illegal_transition_is_409(api: httpx.Client, auth: dict[str, str]) -> None:
    assert api.put("/me/state", headers=auth, json={"state": "ready"}).status_code == 200
    again = api.put("/me/state", headers=auth, json={"state": "ready"})
    assert again.status_code == 409
    assert _problem_code(again) == "illegal-transition"
    routing = api.put("/me/state", headers=auth, json={"state": "on_contact"})
    assert routing.status_code == 409
    assert api.get("/me", headers=auth).json()["state"]["state"] == "ready"


@pytest.mark.parametrize(
    "body",
    [
        {"state": "not_ready"},
        {"state": "not_ready", "reason": None},
        {"state": "not_ready", "reason": "sign_in"},  # the server's own reason
        {"state": "not_ready", "reason": "nap"},
        {"state": "ready", "reason": "break"},
        {"state": "asleep"},
    ],
)
def test_bad_state_requests_are_422(
    api: httpx.Client, auth: dict[str, str], body: dict[str, Any]
) -> None:
    response = api.put("/me/state", headers=auth, json=body)
    assert response.status_code == 422, response.text
    assert _problem_code(response) == "validation-error"
    assert response.json()["errors"]


def test_state_changes_are_audited(
    api: httpx.Client, auth: dict[str, str], backend: BackgroundServer
) -> None:
    api.put("/me/state", headers=auth, json={"state": "ready"})
    api.put("/me/state", headers=auth, json={"state": "not_ready", "reason": "training"})
    with backend.context.db.read() as session:
        details = list(session.scalars(select(AuditEvent.detail).where(AuditEvent.type == "state")))
    assert details == ["ready", "not_ready:training"]


def test_settings_roundtrip_and_conflict(api: httpx.Client, auth: dict[str, str]) -> None:
    empty = api.get("/me/settings", headers=auth).json()
    assert empty == {"data": {}, "version": 0, "updated_at": None}

    first = api.put(
        "/me/settings", headers=auth, json={"data": {"theme": "dark"}, "base_version": 0}
    )
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 1
    assert first.json()["updated_at"] is not None

    second = api.put(
        "/me/settings", headers=auth, json={"data": {"theme": "light"}, "base_version": 1}
    )
    assert second.json()["version"] == 2

    stale = api.put(
        "/me/settings", headers=auth, json={"data": {"theme": "blue"}, "base_version": 1}
    )
    assert stale.status_code == 409
    assert _problem_code(stale) == "version-conflict"
    assert api.get("/me/settings", headers=auth).json()["data"] == {"theme": "light"}


def test_settings_too_large_is_422(api: httpx.Client, auth: dict[str, str]) -> None:
    response = api.put(
        "/me/settings", headers=auth, json={"data": {"x": "y" * 70_000}, "base_version": 0}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.data"


def test_settings_idempotency_key_replays(
    api: httpx.Client, auth: dict[str, str], backend: BackgroundServer
) -> None:
    key = str(uuid.uuid4())
    body = {"data": {"phrases": ["您好，工号 A1001 为您服务"]}, "base_version": 0}
    first = api.put("/me/settings", headers={**auth, "Idempotency-Key": key}, json=body)
    second = api.put("/me/settings", headers={**auth, "Idempotency-Key": key}, json=body)
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert "idempotent-replayed" not in first.headers
    assert second.headers["idempotent-replayed"] == "true"
    assert api.get("/me/settings", headers=auth).json()["version"] == 1

    other = api.put(
        "/me/settings", headers={**auth, "Idempotency-Key": key}, json={**body, "data": {}}
    )
    assert other.status_code == 422
    assert _problem_code(other) == "idempotency-key-reused"

    bad_key = api.put("/me/settings", headers={**auth, "Idempotency-Key": "has space"}, json=body)
    assert bad_key.status_code == 422
    with backend.context.db.read() as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1


def test_settings_same_key_racing_applies_once(
    backend: BackgroundServer, auth: dict[str, str]
) -> None:
    key = str(uuid.uuid4())
    body = {"data": {"layout": "compact"}, "base_version": 0}
    answers: list[httpx.Response] = []
    start = threading.Barrier(6)

    def put() -> None:
        with httpx.Client(base_url=f"{backend.url}/api/v1", timeout=10) as client:
            start.wait()
            answers.append(
                client.put("/me/settings", headers={**auth, "Idempotency-Key": key}, json=body)
            )

    threads = [threading.Thread(target=put) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200] * 6
    assert {a.json()["version"] for a in answers} == {1}
    assert len({a.json()["updated_at"] for a in answers}) == 1
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 5
