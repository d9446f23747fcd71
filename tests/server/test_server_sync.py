"""``GET /sync/{collection}``: pages, cursors, deletions, errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from csdesk.server.announcements import (
    publish_announcement,
    update_announcement,
    withdraw_announcement,
)
from csdesk.server.runner import BackgroundServer


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def auth(api: httpx.Client, sign_in: Any) -> dict[str, str]:
    return bearer(sign_in(api)["access_token"])


def _page(
    api: httpx.Client, auth: dict[str, str], collection: str, **params: Any
) -> dict[str, Any]:
    response = api.get(f"/sync/{collection}", headers=auth, params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_announcements_paginate_with_a_cursor(
    api: httpx.Client, auth: dict[str, str], backend: BackgroundServer
) -> None:
    seen: list[str] = []
    cursor = ""
    pages = 0
    while True:
        page = _page(api, auth, "announcements", since=cursor, limit=1)
        pages += 1
        assert page["collection"] == "announcements"
        assert len(page["items"]) <= 1
        seen += [item["id"] for item in page["items"]]
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    assert seen == [
        "ann-kb-release",
        "ann-holiday-hours",
        "ann-antifraud-script",
    ]  # publication order
    assert pages == 3

    nothing = _page(api, auth, "announcements", since=cursor)
    assert nothing["items"] == [] and nothing["deleted"] == []
    assert nothing["cursor"] == cursor

    new = publish_announcement(backend.context, title="新公告", body="内容", mandatory=True)
    update_announcement(backend.context, "ann-holiday-hours", title="元旦假期服务安排（修订）")
    changed = _page(api, auth, "announcements", since=cursor)
    assert [item["id"] for item in changed["items"]] == [new.id, "ann-holiday-hours"]
    assert changed["items"][1]["version"] == 2
    assert int(changed["cursor"]) > int(cursor)

    withdraw_announcement(backend.context, new.id)
    gone = _page(api, auth, "announcements", since=changed["cursor"])
    assert gone["items"] == []
    assert gone["deleted"] == [new.id]


def test_sync_from_the_start_gives_each_item_once(
    api: httpx.Client, auth: dict[str, str], backend: BackgroundServer
) -> None:
    update_announcement(backend.context, "ann-kb-release", body="v2")
    update_announcement(backend.context, "ann-kb-release", body="v3")
    page = _page(api, auth, "announcements")
    ids = [item["id"] for item in page["items"]]
    assert sorted(ids) == sorted(set(ids))
    assert next(i for i in page["items"] if i["id"] == "ann-kb-release")["version"] == 3
    assert page["has_more"] is False


def test_ack_shows_up_in_this_agents_sync_only(
    api: httpx.Client, auth: dict[str, str], sign_in: Any
) -> None:
    from csdesk.server.seed import DEMO_AGENTS

    other = bearer(sign_in(api, dict(DEMO_AGENTS[2]))["access_token"])
    cursor = _page(api, auth, "announcements")["cursor"]
    other_cursor = _page(api, other, "announcements")["cursor"]
    api.post("/announcements/ann-antifraud-script/ack", headers=auth, json={"version": 1})
    mine = _page(api, auth, "announcements", since=cursor)
    assert [(i["id"], i["acknowledged_version"]) for i in mine["items"]] == [
        ("ann-antifraud-script", 1)
    ]
    assert _page(api, other, "announcements", since=other_cursor)["items"] == []


def test_settings_collection(api: httpx.Client, auth: dict[str, str]) -> None:
    assert _page(api, auth, "settings")["items"] == []
    api.put(
        "/me/settings",
        headers=auth,
        json={"data": {"bindings": {"toggle_ready": "f2"}}, "base_version": 0},
    )
    api.put(
        "/me/settings",
        headers=auth,
        json={"data": {"bindings": {"toggle_ready": "f12"}}, "base_version": 1},
    )
    page = _page(api, auth, "settings")
    assert len(page["items"]) == 1
    item = page["items"][0]
    assert item["id"] == "settings"
    assert item["version"] == 2
    assert item["data"] == {"bindings": {"toggle_ready": "f12"}}
    assert _page(api, auth, "settings", since=page["cursor"])["items"] == []


def test_errors(api: httpx.Client, auth: dict[str, str]) -> None:
    unknown = api.get("/sync/customers", headers=auth)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["code"] == "not-found"
    for bad in ("abc", "-1", "1.5", "９"):
        response = api.get("/sync/announcements", headers=auth, params={"since": bad})
        assert response.status_code == 422, bad
        assert response.json()["code"] == "validation-error"
        assert response.json()["errors"][0]["field"] == "query.since"
    for limit in (0, 1001, "x"):
        assert (
            api.get("/sync/announcements", headers=auth, params={"limit": limit}).status_code == 422
        )
    assert api.get("/sync/announcements").status_code == 401
