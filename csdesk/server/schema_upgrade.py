"""Bring a database made by an older csdesk up to the current tables.

``Base.metadata.create_all`` adds missing tables but not missing columns. A
demo or training database made before issue #3 lacks the agents' password
and SMS columns; this module adds them with ``ALTER TABLE … ADD COLUMN``
(the one schema change SQLite does in place), with values that keep those
agents signing in as before: no forced change, and the password age counted
from the upgrade, so nobody is told their password expired on the day the
policy arrives.
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, update

from csdesk.server.db import utcnow

#: (column, DDL type and default) added to ``agents`` when missing.
_AGENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("must_change_password", "BOOLEAN NOT NULL DEFAULT 0"),
    ("password_changed_at", "DATETIME"),
    ("phone", "VARCHAR(32)"),
)


def upgrade_schema(engine: Engine) -> list[str]:
    """Add the columns an older ``agents`` table lacks; return their names (empty: none).

    Idempotent; runs in one transaction. Agents whose ``password_changed_at``
    was just added get the current time there.
    """
    from csdesk.server.models import Agent

    present = {column["name"] for column in inspect(engine).get_columns("agents")}
    missing = [(name, ddl) for name, ddl in _AGENT_COLUMNS if name not in present]
    if not missing:
        return []
    with engine.begin() as connection:
        for name, ddl in missing:
            connection.exec_driver_sql(f"ALTER TABLE agents ADD COLUMN {name} {ddl}")
        if any(name == "password_changed_at" for name, _ in missing):
            connection.execute(
                update(Agent)
                .where(Agent.password_changed_at.is_(None))
                .values(password_changed_at=utcnow())
            )
    return [name for name, _ in missing]
