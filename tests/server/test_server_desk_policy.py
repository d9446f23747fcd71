"""``GET /auth/desk-policy`` and the server-side idle-lock maximum on ``PUT /me/settings``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from csdesk.domain import desk_settings as ds
from csdesk.domain.schemas import DeskPolicyView
from csdesk.server.config import ServerSettings
from tests.conftest import bearer


def test_default_policy_without_auth(api: httpx.Client) -> None:
    answer = api.get("/auth/desk-policy")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"max_idle_lock_minutes": 15}
    assert DeskPolicyView.model_validate(answer.json()).max_idle_lock_minutes == 15
    assert "/api/v1/auth/desk-policy" in api.get("/openapi.json").json()["paths"]


@pytest.mark.backend_settings(max_idle_lock_minutes=10)
def test_configured_maximum_is_published(api: httpx.Client) -> None:
    assert api.get("/auth/desk-policy").json() == {"max_idle_lock_minutes": 10}


def _put(api: httpx.Client, token: str, data: dict[str, Any], base: int) -> dict[str, Any]:
    answer = api.put(
        "/me/settings", json={"data": data, "base_version": base}, headers=bearer(token)
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


@pytest.mark.backend_settings(max_idle_lock_minutes=10)
@pytest.mark.parametrize(
    ("sent", "stored"),
    [(12, 10), (10, 10), (3, 3), (0, 1), (-5, 1), ("7", "7"), (True, True), (None, None)],
)
def test_saved_idle_minutes_are_kept_within_the_maximum(
    api: httpx.Client, sign_in: Any, sent: object, stored: object
) -> None:
    token = sign_in(api)["access_token"]
    saved = _put(api, token, {"theme": "light", "idle_lock_minutes": sent}, 0)
    assert saved["data"] == {"theme": "light", "idle_lock_minutes": stored}
    again = api.get("/me/settings", headers=bearer(token)).json()
    assert again["data"] == saved["data"] and again["version"] == 1


@pytest.mark.backend_settings(max_idle_lock_minutes=10)
def test_document_without_idle_minutes_is_untouched(api: httpx.Client, sign_in: Any) -> None:
    token = sign_in(api)["access_token"]
    assert _put(api, token, {"theme": "dark"}, 0)["data"] == {"theme": "dark"}


@pytest.mark.backend_settings(max_idle_lock_minutes=10)
def test_idempotent_replay_of_a_clamped_save(api: httpx.Client, sign_in: Any) -> None:
    token = sign_in(api)["access_token"]
    headers = {**bearer(token), "Idempotency-Key": "6f1c7d1e-3b7a-4f55-9f0e-2d2f1a0b9c11"}
    body = {"data": {"idle_lock_minutes": 14}, "base_version": 0}
    first = api.put("/me/settings", json=body, headers=headers)
    second = api.put("/me/settings", json=body, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert first.json()["data"] == {"idle_lock_minutes": 10} and first.json()["version"] == 1


@pytest.mark.parametrize("bad", [0, -1, True, 2.5, "15"])
def test_setting_must_be_whole_minutes(tmp_path: Path, bad: Any) -> None:
    with pytest.raises(ValueError, match="max_idle_lock_minutes"):
        ServerSettings(db_path=tmp_path / "x.db", max_idle_lock_minutes=bad)


def test_domain_rules() -> None:
    assert ds.limit_idle_minutes({"idle_lock_minutes": 99, "x": 1}, 10) == {
        "idle_lock_minutes": 10, "x": 1,
    }
    assert ds.idle_minutes_problem(12, 10) == "above-maximum"
    assert ds.idle_minutes_problem(0, 10) == "below-one"
    assert ds.idle_minutes_problem(True, 10) == "not-whole-minutes"
    assert ds.idle_minutes_problem(10, 10) is None
    stored = ds.DeskSettings.from_document({"idle_lock_minutes": 15}, max_idle_lock_minutes=10)
    assert stored.idle_lock_minutes == 10
    # The default (5) is itself kept within a maximum below it.
    assert ds.DeskSettings.from_document({}, max_idle_lock_minutes=3).idle_lock_minutes == 3
