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
``create_all`` makes them in an older database too. Issue #6 replaced the
first ``work_orders`` table (kind, title, status, assignee, due time) by one
with types, queues, SLA facts and a history: an old table is renamed before
``create_all`` (:func:`retire_old_work_orders`) and its rows are carried
into the new one after it (:func:`copy_old_work_orders`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, inspect, update

from csdesk.server.db import utcnow

#: (table, column, DDL type and default) added when missing.
_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("agents", "must_change_password", "BOOLEAN NOT NULL DEFAULT 0"),
    ("agents", "password_changed_at", "DATETIME"),
    ("agents", "phone", "VARCHAR(32)"),
    ("contacts", "simulator_run", "VARCHAR(64)"),
    ("agents", "role", "VARCHAR(16) NOT NULL DEFAULT 'agent'"),
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


#: Statuses of the first work-order table → the issue #6 flow.
_OLD_STATUS = {"open": "new", "in_progress": "in_progress", "resolved": "resolved", "closed": "closed"}
_OLD_TABLE = "work_orders_v1"


def retire_old_work_orders(engine: Engine) -> bool:
    """Rename a ``work_orders`` table of the first shape (no ``type`` column) to
    ``work_orders_v1``, dropping its index (index names are per database), so
    ``create_all`` makes the new one. True if it did."""
    inspector = inspect(engine)
    if "work_orders" not in inspector.get_table_names():
        return False
    if "type" in {column["name"] for column in inspector.get_columns("work_orders")}:
        return False
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX IF EXISTS ix_work_orders_assignee")
        connection.exec_driver_sql(f"ALTER TABLE work_orders RENAME TO {_OLD_TABLE}")
    return True


def copy_old_work_orders(engine: Engine) -> int:
    """Carry the rows of ``work_orders_v1`` into the new table, then drop it; return how many.

    A ``complaint`` stays a complaint (grade ``general``), anything else
    becomes a ``follow_up`` at ``P3``; ``open`` becomes ``new``. Each keeps
    its number, assignee (also its creator) and deadline (a calendar
    resolution target from creation to the old due time), in the
    ``general`` queue, with a ``created`` history entry.
    """
    from sqlalchemy import text

    from csdesk.server.models import WorkOrder, WorkOrderEvent

    with engine.begin() as connection:
        rows = connection.execute(
            text(f"SELECT id, number, kind, title, status, assignee_id, due_at, created_at, updated_at, version "
                 f"FROM {_OLD_TABLE}")
        ).mappings().all()
        for row in rows:
            created = _as_utc(row["created_at"])
            due = _as_utc(row["due_at"])
            complaint = row["kind"] == "complaint"
            connection.execute(WorkOrder.__table__.insert().values(
                id=row["id"], number=row["number"], type="complaint" if complaint else "follow_up",
                title=row["title"], description="", category="", tags=[], customer_ref="", excerpt="",
                priority=None if complaint else "P3", grade="general" if complaint else None,
                status=_OLD_STATUS.get(row["status"], "new"), queue="general", team="",
                assignee_id=row["assignee_id"], created_by=row["assignee_id"], pauses=[],
                sla={"basis": "calendar", "first_response_s": 86400.0,
                     "resolution_s": max(1.0, (due - created).total_seconds())},
                resolution_due_at=due, escalated=False, breached=False,
                created_at=created, updated_at=_as_utc(row["updated_at"]), version=row["version"],
            ))
            connection.execute(WorkOrderEvent.__table__.insert().values(
                work_order_id=row["id"], seq=1, at=created, actor_id=row["assignee_id"], kind="created",
                to_status=_OLD_STATUS.get(row["status"], "new"), comment="carried over from the first work-order table",
                visibility="internal", changes={},
            ))
        connection.exec_driver_sql(f"DROP TABLE {_OLD_TABLE}")
    return len(rows)


def _as_utc(value: object) -> datetime:
    """A stored naive-UTC time (a ``datetime`` or SQLite's ISO text) as an aware UTC datetime."""
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
