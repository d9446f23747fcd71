"""Announcements: the list, recorded acknowledgements, version bumps, idempotent acks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from csdesk.server.announcements import (
    publish_announcement,
    update_announcement,
    withdraw_announcement,
)
from csdesk.server.models import AnnouncementAck, AuditEvent
from csdesk.server.runner import BackgroundServer

MANDATORY = "ann-antifraud-script"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def auth(api: httpx.Client, sign_in: Any) -> dict[str, str]:
    return bearer(sign_in(api)["access_token"])


def _by_id(api: httpx.Client, auth: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in api.get("/announcements", headers=auth).json()}


def test_list_is_newest_first_with_no_ack_yet(api: httpx.Client, auth: dict[str, str]) -> None:
    items = api.get("/announcements", headers=auth).json()
    assert [a["id"] for a in items] == [MANDATORY, "ann-holiday-hours", "ann-kb-release"]
    published = [a["published_at"] for a in items]
    assert published == sorted(published, reverse=True)
    first = items[0]
    assert first["mandatory"] is True
    assert first["title"] == "反诈骗话术更新"
    assert "96110" in first["body"]
    assert first["version"] == 1
    assert first["acknowledged_at"] is None
    assert first["acknowledged_version"] is None
    assert [a["mandatory"] for a in items[1:]] == [False, False]


def test_ack_is_recorded_with_agent_and_time(
    api: httpx.Client, auth: dict[str, str], backend: BackgroundServer
) -> None:
    before = datetime.now(UTC)
    response = api.post(f"/announcements/{MANDATORY}/ack", headers=auth, json={"version": 1})
    after = datetime.now(UTC)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["announcement_id"] == MANDATORY
    assert result["version"] == 1

    with backend.context.db.read() as session:
        acks = list(session.scalars(select(AnnouncementAck)))
        audits = list(session.scalars(select(AuditEvent).where(AuditEvent.type == "ack")))
    assert [(a.agent_id, a.announcement_id, a.version) for a in acks] == [("A1001", MANDATORY, 1)]
    assert before <= acks[0].acknowledged_at <= after
    assert datetime.fromisoformat(result["acknowledged_at"]) == acks[0].acknowledged_at
    assert [(a.agent_id, a.detail) for a in audits] == [("A1001", f"{MANDATORY} v1")]

    listed = _by_id(api, auth)[MANDATORY]
    assert listed["acknowledged_version"] == 1
    assert listed["acknowledged_at"] == result["acknowledged_at"]

    # Acknowledging again keeps the first record.
    again = api.post(f"/announcements/{MANDATORY}/ack", headers=auth, json={"version": 1})
    assert again.json() == result


def test_ack_is_per_agent(api: httpx.Client, auth: dict[str, str], sign_in: Any) -> None:
    from csdesk.server.seed import DEMO_AGENTS

    api.post(f"/announcements/{MANDATORY}/ack", headers=auth, json={"version": 1})
    li_na = bearer(sign_in(api, dict(DEMO_AGENTS[1]))["access_token"])
    assert _by_id(api, li_na)[MANDATORY]["acknowledged_at"] is None


def test_new_version_needs_a_new_ack(
    api: httpx.Client, auth: dict[str, str], backend: BackgroundServer
) -> None:
    assert (
        api.post(f"/announcements/{MANDATORY}/ack", headers=auth, json={"version": 1}).status_code
        == 200
    )
    updated = update_announcement(backend.context, MANDATORY, body="更新后的反诈骗话术：……")
    assert updated.version == 2

    listed = _by_id(api, auth)[MANDATORY]
    assert listed["version"] == 2
    assert listed["acknowledged_version"] == 1  # the client sees it must ask again

    stale = api.post(f"/announcements/{MANDATORY}/ack", headers=auth, json={"version": 1})
    assert stale.status_code == 409
    assert stale.json()["code"] == "version-conflict"
    future = api.post(f"/announcements/{MANDATORY}/ack", headers=auth, json={"version": 3})
    assert future.status_code == 409

    fresh = api.post(f"/announcements/{MANDATORY}/ack", headers=auth, json={"version": 2})
    assert fresh.status_code == 200
    assert _by_id(api, auth)[MANDATORY]["acknowledged_version"] == 2
    with backend.context.db.read() as session:
        versions = sorted(a.version for a in session.scalars(select(AnnouncementAck)))
    assert versions == [1, 2]


def test_idempotent_ack(api: httpx.Client, auth: dict[str, str], backend: BackgroundServer) -> None:
    key = str(uuid.uuid4())
    headers = {**auth, "Idempotency-Key": key}
    first = api.post(f"/announcements/{MANDATORY}/ack", headers=headers, json={"version": 1})
    second = api.post(f"/announcements/{MANDATORY}/ack", headers=headers, json={"version": 1})
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    with backend.context.db.read() as session:
        assert len(list(session.scalars(select(AnnouncementAck)))) == 1

    different_body = api.post(
        f"/announcements/{MANDATORY}/ack", headers=headers, json={"version": 2}
    )
    assert different_body.status_code == 422
    assert different_body.headers["content-type"] == "application/problem+json"
    assert different_body.json()["code"] == "idempotency-key-reused"
    different_path = api.post(
        "/announcements/ann-holiday-hours/ack", headers=headers, json={"version": 1}
    )
    assert different_path.status_code == 422
    assert different_path.json()["code"] == "idempotency-key-reused"


def test_unknown_expired_and_future_announcements_are_404(
    api: httpx.Client, auth: dict[str, str], backend: BackgroundServer
) -> None:
    assert (
        api.post("/announcements/nope/ack", headers=auth, json={"version": 1}).json()["code"]
        == "not-found"
    )
    later = publish_announcement(
        backend.context,
        title="明日生效",
        body="……",
        mandatory=False,
        published_at=datetime.now(UTC) + timedelta(days=1),
    )
    withdraw_announcement(backend.context, "ann-kb-release")
    ids = set(_by_id(api, auth))
    assert later.id not in ids
    assert "ann-kb-release" not in ids
    for ident in (later.id, "ann-kb-release"):
        response = api.post(f"/announcements/{ident}/ack", headers=auth, json={"version": 1})
        assert response.status_code == 404


def test_ack_body_is_validated(api: httpx.Client, auth: dict[str, str]) -> None:
    response = api.post(f"/announcements/{MANDATORY}/ack", headers=auth, json={"version": 0})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.version"
