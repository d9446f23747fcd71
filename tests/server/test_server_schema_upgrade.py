"""A demo database made before issue #3 keeps working after the upgrade."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
from sqlalchemy import inspect

from csdesk.server.context import ServerContext
from csdesk.server.models import Agent
from csdesk.server.runner import BackgroundServer
from csdesk.server.schema_upgrade import upgrade_schema
from csdesk.server.seed import DEMO_AGENTS, DEMO_FIRST_SIGN_IN, seed_if_new
from tests.conftest import make_settings, totp_now


def _make_old_database(path: Path) -> None:
    """Seed a database, then strip what issue #3 added: the old shape."""
    ctx = ServerContext.open(make_settings(path))
    seed_if_new(ctx)
    ctx.close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA foreign_keys=OFF")
        for table in ("password_history", "sign_in_guards", "pending_totp", "sms_codes"):
            db.execute(f"DROP TABLE {table}")
        db.execute("DELETE FROM agents WHERE employee_id = ?", (DEMO_FIRST_SIGN_IN["employee_id"],))
        db.execute("DELETE FROM meta WHERE key = 'seeded_first_sign_in_at'")
        for column in ("must_change_password", "password_changed_at", "phone"):
            db.execute(f"ALTER TABLE agents DROP COLUMN {column}")


def test_old_database_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _make_old_database(path)
    settings = make_settings(path)
    with BackgroundServer(settings) as server:
        columns = {c["name"] for c in inspect(server.context.db.engine).get_columns("agents")}
        assert {"must_change_password", "password_changed_at", "phone"} <= columns
        assert upgrade_schema(server.context.db.engine) == []  # idempotent
        with server.context.db.read() as session:
            agent = session.get(Agent, DEMO_AGENTS[0]["employee_id"])
            assert agent is not None and agent.password_changed_at is not None
            assert session.get(Agent, DEMO_FIRST_SIGN_IN["employee_id"]) is not None
        with httpx.Client(base_url=f"{server.url}/api/v1") as api:
            agent_data = DEMO_AGENTS[0]
            login = api.post(
                "/auth/login",
                json={"employee_id": agent_data["employee_id"], "password": agent_data["password"]},
            ).json()
            assert login["password_change_required"] is False
            assert login["totp_enrolled"] is True
            code = totp_now(agent_data["totp_secret"])
            mfa = api.post("/auth/mfa", json={"mfa_ticket": login["mfa_ticket"], "code": code})
            assert mfa.status_code == 200, mfa.text
            first = api.post(
                "/auth/login",
                json={
                    "employee_id": DEMO_FIRST_SIGN_IN["employee_id"],
                    "password": DEMO_FIRST_SIGN_IN["password"],
                },
            ).json()
            assert first["password_change_required"] is True
