"""Callbacks: each agent syncs only its own (to-dos, guide §1.2). Work orders: test_work_orders.py."""

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
from csdesk.server.work_items import create_callback, update_callback
from tests.conftest import bearer, make_settings

A = DEMO_AGENTS[0]
B = DEMO_AGENTS[2]


def _page(api: httpx.Client, auth: dict[str, str], collection: str, **params: Any) -> dict[str, Any]:
    response = api.get(f"/sync/{collection}", headers=auth, params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_each_agent_syncs_only_its_own_callbacks(
    api: httpx.Client, sign_in: Any, backend: BackgroundServer
) -> None:
    mine = bearer(sign_in(api, dict(A))["access_token"])
    theirs = bearer(sign_in(api, dict(B))["access_token"])
    assert _page(api, mine, "callbacks")["items"] == []

    due = datetime.now(UTC) + timedelta(hours=2)
    ctx = backend.context
    cb_a = create_callback(
        ctx, agent_id=A["employee_id"], customer_name="王*", phone_masked="138****5678",
        scheduled_at=due, note="回访分期进度",
    )
    create_callback(
        ctx, agent_id=B["employee_id"], customer_name="李*", phone_masked="139****0001",
        scheduled_at=due,
    )
    callbacks = _page(api, mine, "callbacks")
    assert [(i["id"], i["phone_masked"], i["status"]) for i in callbacks["items"]] == [
        (cb_a.id, "138****5678", "scheduled")
    ]
    assert len(_page(api, theirs, "callbacks")["items"]) == 1

    update_callback(ctx, cb_a.id, status="done")
    done = _page(api, mine, "callbacks", since=callbacks["cursor"])
    assert [(i["id"], i["status"]) for i in done["items"]] == [(cb_a.id, "done")]


def test_work_item_events_go_to_their_agent_only(backend: BackgroundServer) -> None:
    from sqlalchemy import select

    from csdesk.server.models import EventRow

    due = datetime.now(UTC) + timedelta(hours=1)
    cb = create_callback(
        backend.context, agent_id=A["employee_id"], customer_name="王*",
        phone_masked="138****5678", scheduled_at=due,
    )
    with backend.context.db.read() as session:
        rows = list(session.scalars(select(EventRow).where(EventRow.type == "callback")))
    assert [(r.type, r.agent_id, r.data["id"]) for r in rows] == [("callback", A["employee_id"], cb.id)]


def test_bad_input_is_refused(backend: BackgroundServer) -> None:
    ctx = backend.context
    due = datetime.now(UTC)
    with pytest.raises(ValueError):  # the full number must never be stored
        create_callback(ctx, agent_id=A["employee_id"], customer_name="王五",
                        phone_masked="13812345678", scheduled_at=due)
    with pytest.raises(ValueError):
        create_callback(ctx, agent_id=A["employee_id"], customer_name="王*",
                        phone_masked="138****5678", scheduled_at=due.replace(tzinfo=None))
    with pytest.raises(KeyError):
        create_callback(ctx, agent_id="Z9999", customer_name="王*", phone_masked="138****5678", scheduled_at=due)
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
        assert create_callback(
            server.context, agent_id=A["employee_id"], customer_name="王*", phone_masked="138****5678",
            scheduled_at=due,
        ).version == 1
