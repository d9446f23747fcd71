"""Work orders and callbacks: each agent syncs only its own (to-dos, guide §1.2)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect

from csdesk.server.context import ServerContext
from csdesk.server.runner import BackgroundServer
from csdesk.server.seed import DEMO_AGENTS, seed_if_new
from csdesk.server.work_items import (
    create_callback,
    create_work_order,
    update_callback,
    update_work_order,
)
from tests.conftest import bearer, make_settings

A = DEMO_AGENTS[0]
B = DEMO_AGENTS[2]


def _page(api: httpx.Client, auth: dict[str, str], collection: str, **params: Any) -> dict[str, Any]:
    response = api.get(f"/sync/{collection}", headers=auth, params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_each_agent_syncs_only_its_own_work_orders_and_callbacks(
    api: httpx.Client, sign_in: Any, backend: BackgroundServer
) -> None:
    mine = bearer(sign_in(api, dict(A))["access_token"])
    theirs = bearer(sign_in(api, dict(B))["access_token"])
    assert _page(api, mine, "work_orders")["items"] == []
    assert _page(api, mine, "callbacks")["items"] == []

    due = datetime.now(UTC) + timedelta(hours=2)
    ctx = backend.context
    wo_a = create_work_order(ctx, assignee_id=A["employee_id"], title="补寄信用卡账单", due_at=due)
    wo_b = create_work_order(
        ctx, assignee_id=B["employee_id"], title="投诉：网点排队", due_at=due, kind="complaint"
    )
    cb_a = create_callback(
        ctx, agent_id=A["employee_id"], customer_name="王*", phone_masked="138****5678",
        scheduled_at=due, note="回访分期进度",
    )
    create_callback(
        ctx, agent_id=B["employee_id"], customer_name="李*", phone_masked="139****0001",
        scheduled_at=due,
    )
    today = datetime.now(UTC).strftime("%Y%m%d")
    assert wo_a.number == f"WO-{today}-0001" and wo_b.number == f"WO-{today}-0002"

    page = _page(api, mine, "work_orders")
    assert [item["id"] for item in page["items"]] == [wo_a.id]
    item = page["items"][0]
    assert item["number"] == wo_a.number and item["kind"] == "work_order"
    assert item["status"] == "open" and item["assignee_id"] == A["employee_id"]
    assert datetime.fromisoformat(item["due_at"]) == due
    assert [i["id"] for i in _page(api, theirs, "work_orders")["items"]] == [wo_b.id]
    callbacks = _page(api, mine, "callbacks")
    assert [(i["id"], i["phone_masked"], i["status"]) for i in callbacks["items"]] == [
        (cb_a.id, "138****5678", "scheduled")
    ]
    assert len(_page(api, theirs, "callbacks")["items"]) == 1

    # Changes follow the cursor; a reassigned order leaves the old queue.
    cursor = page["cursor"]
    update_work_order(ctx, wo_a.id, status="in_progress")
    changed = _page(api, mine, "work_orders", since=cursor)
    assert [(i["id"], i["status"], i["version"]) for i in changed["items"]] == [
        (wo_a.id, "in_progress", 2)
    ]
    their_cursor = _page(api, theirs, "work_orders")["cursor"]
    update_work_order(ctx, wo_a.id, assignee_id=B["employee_id"])
    gone = _page(api, mine, "work_orders", since=changed["cursor"])
    assert gone["items"] == [] and gone["deleted"] == [wo_a.id]
    arrived = _page(api, theirs, "work_orders", since=their_cursor)
    assert [i["id"] for i in arrived["items"]] == [wo_a.id]
    # From the start, A sees nothing of B's (not even the order it used to have).
    assert _page(api, mine, "work_orders")["items"] == []

    update_callback(ctx, cb_a.id, status="done")
    done = _page(api, mine, "callbacks", since=callbacks["cursor"])
    assert [(i["id"], i["status"]) for i in done["items"]] == [(cb_a.id, "done")]


def test_work_item_events_go_to_their_agent_only(backend: BackgroundServer) -> None:
    from sqlalchemy import select

    from csdesk.server.models import EventRow

    due = datetime.now(UTC) + timedelta(hours=1)
    wo = create_work_order(backend.context, assignee_id=A["employee_id"], title="t", due_at=due)
    cb = create_callback(
        backend.context, agent_id=A["employee_id"], customer_name="王*",
        phone_masked="138****5678", scheduled_at=due,
    )
    with backend.context.db.read() as session:
        rows = list(session.scalars(select(EventRow).where(EventRow.type.in_(["work_order", "callback"]))))
    assert [(r.type, r.agent_id, r.data["id"]) for r in rows] == [
        ("work_order", A["employee_id"], wo.id),
        ("callback", A["employee_id"], cb.id),
    ]


def test_bad_input_is_refused(backend: BackgroundServer) -> None:
    ctx = backend.context
    due = datetime.now(UTC)
    with pytest.raises(ValueError):  # the full number must never be stored
        create_callback(ctx, agent_id=A["employee_id"], customer_name="王五",
                        phone_masked="13812345678", scheduled_at=due)
    with pytest.raises(ValueError):
        create_work_order(ctx, assignee_id=A["employee_id"], title="x", due_at=due, kind="bug")
    with pytest.raises(ValueError):
        create_work_order(ctx, assignee_id=A["employee_id"], title="x", due_at=due.replace(tzinfo=None))
    with pytest.raises(KeyError):
        create_work_order(ctx, assignee_id="Z9999", title="x", due_at=due)
    with pytest.raises(KeyError):
        update_callback(ctx, "cb-none", status="done")


def test_database_without_the_tables_gets_them(tmp_path: Path) -> None:
    """A database made before the to-dos gains both tables when opened (create_all)."""
    path = tmp_path / "old.db"
    ctx = ServerContext.open(make_settings(path))
    seed_if_new(ctx)
    ctx.close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE work_orders")
        db.execute("DROP TABLE callbacks")
    with BackgroundServer(make_settings(path)) as server:
        tables = set(inspect(server.context.db.engine).get_table_names())
        assert {"work_orders", "callbacks"} <= tables
        due = datetime.now(UTC) + timedelta(hours=1)
        assert create_work_order(
            server.context, assignee_id=A["employee_id"], title="t", due_at=due
        ).version == 1
