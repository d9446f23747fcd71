"""Bring a database made by an older csdesk up to the current tables.

``Base.metadata.create_all`` adds missing tables but not missing columns. A
demo or training database made before issue #3 lacks the agents' password
and SMS columns; this module adds them with ``ALTER TABLE … ADD COLUMN``
(the one schema change SQLite does in place), with values that keep those
agents signing in as before: no forced change, and the password age counted
from the upgrade, so nobody is told their password expired on the day the
policy arrives. A database made with issue #4's first contacts table lacks
``contacts.simulator_run`` (the simulator run playing a simulated customer);
it is added empty, so those contacts count as made before runs were recorded.
New tables (issue #5's ``knowledge_articles``) need nothing here:
``create_all`` makes them in an older database too.
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, update

from csdesk.server.db import utcnow

#: (table, column, DDL type and default) added when missing.
_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("agents", "must_change_password", "BOOLEAN NOT NULL DEFAULT 0"),
    ("agents", "password_changed_at", "DATETIME"),
    ("agents", "phone", "VARCHAR(32)"),
    ("contacts", "simulator_run", "VARCHAR(64)"),
)


def upgrade_schema(engine: Engine) -> list[str]:
    """Add the columns older ``agents``/``contacts`` tables lack; return their names (empty: none).

    Idempotent; runs in one transaction. Agents whose ``password_changed_at``
    was just added get the current time there.
    """
    from csdesk.server.models import Agent

    inspector = inspect(engine)
    present = {
        table: {column["name"] for column in inspector.get_columns(table)}
        for table in {table for table, _name, _ddl in _COLUMNS}
    }
    missing = [(table, name, ddl) for table, name, ddl in _COLUMNS if name not in present[table]]
    if not missing:
        return []
    with engine.begin() as connection:
        for table, name, ddl in missing:
            connection.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {name} {ddl}")
        if any(name == "password_changed_at" for _table, name, _ddl in missing):
            connection.execute(
                update(Agent)
                .where(Agent.password_changed_at.is_(None))
                .values(password_changed_at=utcnow())
            )
    return [name for _table, name, _ddl in missing]
